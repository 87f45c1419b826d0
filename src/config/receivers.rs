//! `[[receivers]]`: where alerts go, selected by `type`. Secrets (Slack
//! webhook URLs) are resolved here and held as [`SecretString`].

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
    Console(ConsoleConfig),
}

impl ReceiverKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ReceiverKind::Slack(_) => "slack",
            ReceiverKind::Console(_) => "console",
        }
    }
}

pub(crate) const PLANNED_TYPES: &[&str] = &["webhook"];
pub(crate) const BUILT_TYPES: &[&str] = &["slack", "console"];

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

/// `type = "console"`: alerts printed to standard output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {}
