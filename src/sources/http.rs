//! The shared HTTP client every source uses.

use crate::config::FetchSettings;

/// One client, one connection pool, shared by every source.
#[derive(Debug, Clone)]
pub struct HttpClient {
    pub inner: reqwest::Client,
}

impl HttpClient {
    pub fn new(cfg: &FetchSettings) -> reqwest::Result<Self> {
        let inner = reqwest::Client::builder().timeout(cfg.timeout).user_agent(cfg.user_agent.clone()).build()?;
        Ok(HttpClient { inner })
    }
}
