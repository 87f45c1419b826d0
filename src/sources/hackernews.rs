//! Hacker News through the Algolia search API.

use async_trait::async_trait;

use super::{Batch, Cursor, PollContext, Source, SourceError};
use crate::config::HackernewsConfig;
use crate::domain::Platform;

#[derive(Debug)]
pub struct HackernewsSource {
    cfg: HackernewsConfig,
}

impl HackernewsSource {
    pub fn new(cfg: HackernewsConfig) -> Self {
        HackernewsSource { cfg }
    }
}

#[async_trait]
impl Source for HackernewsSource {
    fn platform(&self) -> Platform {
        Platform::Hackernews
    }

    async fn poll(&self, _cx: &PollContext, _cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
        let _ = &self.cfg;
        Err(SourceError::Rejected("not built".into()))
    }
}
