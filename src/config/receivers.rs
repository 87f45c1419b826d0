//! `[[receivers]]`: where alerts go, selected by `type`. Secrets (Slack
//! webhook URLs, webhook URLs and signing secrets) are resolved here and
//! held as [`SecretString`].

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::ReceiverName;

/// A checked receiver.
#[derive(Debug, Clone)]
pub struct ReceiverSettings {
    pub name: ReceiverName,
    pub kind: ReceiverKind,
}

#[derive(Debug, Clone)]
pub enum ReceiverKind {
    Slack(SlackSettings),
    Webhook(WebhookSettings),
    Console(ConsoleConfig),
}

impl ReceiverKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ReceiverKind::Slack(_) => "slack",
            ReceiverKind::Webhook(_) => "webhook",
            ReceiverKind::Console(_) => "console",
        }
    }
}

pub(crate) const PLANNED_TYPES: &[&str] = &[];
pub(crate) const BUILT_TYPES: &[&str] = &["slack", "webhook", "console"];

/// `type = "slack"` as written: the webhook URL is a secret given as
/// `url`, `url_env` or `url_file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub url_file: Option<std::path::PathBuf>,
    /// Minimum gap between two messages to this webhook (Slack allows one
    /// per second).
    #[serde(default = "default_slack_min_interval", with = "humantime_serde")]
    pub min_interval: Duration,
    /// Per-request timeout.
    #[serde(default = "default_slack_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

fn default_slack_min_interval() -> Duration {
    Duration::from_secs(1)
}
fn default_slack_timeout() -> Duration {
    Duration::from_secs(10)
}

/// A checked Slack receiver.
#[derive(Debug, Clone)]
pub struct SlackSettings {
    /// The incoming-webhook URL: a credential, never logged.
    pub url: SecretString,
    pub min_interval: Duration,
    pub timeout: Duration,
}

/// `type = "webhook"` as written: JSON POSTed to any URL, signed with
/// HMAC-SHA256. Both the URL and the signing secret are secrets
/// (`url`/`url_env`/`url_file`, `secret`/`secret_env`/`secret_file`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: Option<super::secret::InlineSecret>,
    pub url_env: Option<String>,
    pub url_file: Option<std::path::PathBuf>,
    pub secret: Option<super::secret::InlineSecret>,
    pub secret_env: Option<String>,
    pub secret_file: Option<std::path::PathBuf>,
    /// Per-request timeout.
    #[serde(default = "default_slack_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

/// A checked webhook receiver.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Where to POST: may carry a token, never logged.
    pub url: SecretString,
    /// The HMAC-SHA256 key the receiver verifies signatures with.
    pub secret: SecretString,
    pub timeout: Duration,
}

/// `type = "console"`: alerts printed to standard output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {}
