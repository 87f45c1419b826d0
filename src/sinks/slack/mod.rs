//! Slack incoming webhooks.

use async_trait::async_trait;

use super::{Notification, Sink, SinkError};
use crate::config::SlackSettings;

#[derive(Debug)]
pub struct SlackSink {
    cfg: SlackSettings,
    http: reqwest::Client,
}

impl SlackSink {
    pub fn new(cfg: SlackSettings, http: reqwest::Client) -> Self {
        SlackSink { cfg, http }
    }
}

#[async_trait]
impl Sink for SlackSink {
    async fn deliver(&self, _n: &Notification) -> Result<(), SinkError> {
        let _ = (&self.cfg, &self.http);
        Err(SinkError::Permanent { reason: "slack sink not built".into() })
    }
}
