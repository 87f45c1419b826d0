//! One typed settings tree, loaded and checked once, so that start-up,
//! `earshot check-config` and reload agree on what a config means.
//!
//! Layers, later wins: the built-in defaults (serde defaults on each field),
//! the TOML file (`--config`), then `EARSHOT__SECTION__KEY` environment
//! variables. Unknown keys, wrong types, bad durations, unknown receivers in
//! a route, duplicate names and unresolvable secrets are refused with a
//! [`ConfigError`] naming the file, the key and the reason. Nothing outside
//! this module reads environment variables after start-up.
//!
//! Tests: in this module (validation) and `tests/it/cli.rs` (exit codes).

pub mod cluster;
mod load;
pub mod queue;
pub mod receivers;
pub mod routes;
pub mod secret;
pub mod sources;
pub mod spikes;
pub mod terms;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

pub use self::cluster::ClusterSettings;
pub use self::load::{load, load_with_env};
pub use self::queue::{QueueSettings, Sla};
pub use self::receivers::{ReceiverKind, ReceiverSettings, SlackSettings, WebhookSettings};
pub use self::routes::RouteSettings;
pub use self::sources::{
    BlueskyConfig, BlueskySettings, FeedConfig, HackernewsConfig, MastodonConfig, MastodonSettings, RedditConfig,
    RedditSettings, Schedule, SourceKind, SourceSettings, XConfig, XSettings, YoutubeConfig, YoutubeSettings,
};
pub use self::terms::Brand;

/// The checked configuration of a running daemon.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file this was loaded from (for messages and reloads).
    pub file: PathBuf,
    pub storage: StorageSettings,
    pub http: HttpSettings,
    pub log: LogSettings,
    pub fetch: FetchSettings,
    pub delivery: DeliverySettings,
    pub queue: QueueSettings,
    pub reload: ReloadSettings,
    pub slack: SlackAppSettings,
    pub scoring: ScoringSettings,
    pub cluster: ClusterSettings,
    pub brands: Vec<Brand>,
    pub sources: Vec<SourceSettings>,
    pub receivers: Vec<ReceiverSettings>,
    pub routes: Vec<RouteSettings>,
    pub spikes: spikes::SpikeSettings,
}

/// `[storage]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// `sqlite://path/to/file.db` (created on first start, WAL mode) or
    /// `postgres://user@host/db`.
    #[serde(default = "default_storage_url")]
    pub url: String,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings { url: default_storage_url() }
    }
}

fn default_storage_url() -> String {
    "sqlite://data/earshot.db".into()
}

/// `[http]`, after secrets are resolved.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub listen: SocketAddr,
    /// Bearer token for the write API (`/api/v1/...`). When unset, those
    /// endpoints answer 401 to everybody.
    pub api_token: Option<SecretString>,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `auto` (human on a terminal, JSON otherwise), `human` or `json`.
    #[serde(default)]
    pub format: LogFormat,
    /// A tracing filter such as `info` or `earshot=debug,info`; `RUST_LOG`
    /// wins when set.
    #[serde(default = "default_log_level")]
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { format: LogFormat::Auto, level: default_log_level() }
    }
}

fn default_log_level() -> String {
    "info".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Auto,
    Human,
    Json,
}

/// `[fetch]`: the shared HTTP client every source uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSettings {
    /// Whole-request timeout for one platform request.
    #[serde(default = "default_fetch_timeout", with = "humantime_serde")]
    pub timeout: Duration,
    /// Sent on every platform request; platforms such as Reddit require a
    /// descriptive one.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings { timeout: default_fetch_timeout(), user_agent: default_user_agent() }
    }
}

fn default_fetch_timeout() -> Duration {
    Duration::from_secs(20)
}

fn default_user_agent() -> String {
    format!("earshot/{} (social listening daemon)", env!("CARGO_PKG_VERSION"))
}

/// `[delivery]`: the outbox workers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// How often each receiver's worker looks for due outbox rows.
    #[serde(default = "default_delivery_interval", with = "humantime_serde")]
    pub interval: Duration,
    /// Rows claimed per round.
    #[serde(default = "default_delivery_batch")]
    pub batch: u32,
    /// After this many failed attempts a row is given up (state `failed`).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with jitter, up to `backoff_max`.
    #[serde(default = "default_backoff_base", with = "humantime_serde")]
    pub backoff_base: Duration,
    #[serde(default = "default_backoff_max", with = "humantime_serde")]
    pub backoff_max: Duration,
    /// A claimed row whose worker died is claimable again after this long.
    #[serde(default = "default_lease", with = "humantime_serde")]
    pub lease: Duration,
    /// On shutdown, in-flight deliveries get this long to finish.
    #[serde(default = "default_drain_timeout", with = "humantime_serde")]
    pub drain_timeout: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            interval: default_delivery_interval(),
            batch: default_delivery_batch(),
            max_attempts: default_max_attempts(),
            backoff_base: default_backoff_base(),
            backoff_max: default_backoff_max(),
            lease: default_lease(),
            drain_timeout: default_drain_timeout(),
        }
    }
}

fn default_delivery_interval() -> Duration {
    Duration::from_millis(500)
}
fn default_delivery_batch() -> u32 {
    50
}
fn default_max_attempts() -> u32 {
    12
}
fn default_backoff_base() -> Duration {
    Duration::from_secs(2)
}
fn default_backoff_max() -> Duration {
    Duration::from_secs(600)
}
fn default_lease() -> Duration {
    Duration::from_secs(120)
}
fn default_drain_timeout() -> Duration {
    Duration::from_secs(10)
}

/// `[slack]`, after secrets are resolved: the Slack app behind the
/// Acknowledge / Resolve buttons.
#[derive(Debug, Clone)]
pub struct SlackAppSettings {
    /// The app's signing secret; without it `/slack/actions` refuses
    /// every request.
    pub signing_secret: Option<SecretString>,
    /// `response_url`s must start with this (Slack's own host), so a
    /// forged payload cannot make earshot post elsewhere.
    pub response_url_prefix: String,
}

/// `[reload]`: reloading the config while running.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadSettings {
    /// Reload by itself when the config file changes on disk.
    #[serde(default = "default_true")]
    pub watch_file: bool,
    /// How often the file's modification time is checked.
    #[serde(default = "default_watch_interval", with = "humantime_serde")]
    pub watch_interval: Duration,
}

impl Default for ReloadSettings {
    fn default() -> Self {
        ReloadSettings { watch_file: true, watch_interval: default_watch_interval() }
    }
}

fn default_true() -> bool {
    true
}

fn default_watch_interval() -> Duration {
    Duration::from_secs(2)
}

/// `[scoring]`: what the scorer hears beyond its built-in data
/// (`data/cues.toml`, `data/topics.toml`, `data/social.toml`) and where
/// urgency levels start.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringSettings {
    /// Extra phrases per customer-service cue category, in the pattern
    /// syntax of `data/cues.toml`: `waiting = ["stuck in the queue for <dur>"]`.
    #[serde(default)]
    pub cues: BTreeMap<String, Vec<String>>,
    /// Extra phrases per topic; a name not in the taxonomy adds a topic.
    #[serde(default)]
    pub topics: BTreeMap<String, Vec<String>>,
    /// Word valences (-4..4, VADER's scale) for every post; 0 makes a word
    /// neutral. A brand's own `lexicon` wins for posts that mention it.
    #[serde(default)]
    pub lexicon: BTreeMap<String, f64>,
    /// A TOML file in `data/cues.toml`'s format: new categories, or more
    /// phrases and changed weights for existing ones. Relative to the
    /// config file.
    pub cues_file: Option<PathBuf>,
    /// A TOML file in `data/topics.toml`'s format. Relative to the config
    /// file.
    pub topics_file: Option<PathBuf>,
    /// A complaint model made by `earshot train` (a team's own labelled
    /// mentions) in place of the built-in `data/complaint_model.tsv`.
    /// Relative to the config file.
    pub complaint_model_file: Option<PathBuf>,
    /// A critical model made by `earshot train --target critical` in place
    /// of the built-in `data/critical_model.tsv`. Relative to the config
    /// file.
    pub critical_model_file: Option<PathBuf>,
    /// Where the urgency levels start.
    #[serde(default)]
    pub urgency: UrgencyThresholds,
    /// The contents of `cues_file`, read when the config is loaded.
    #[serde(skip)]
    pub cues_file_text: Option<String>,
    /// The contents of `topics_file`, read when the config is loaded.
    #[serde(skip)]
    pub topics_file_text: Option<String>,
    /// The contents of `complaint_model_file`, read when the config is
    /// loaded.
    #[serde(skip)]
    pub complaint_model_text: Option<String>,
    /// The contents of `critical_model_file`, read when the config is
    /// loaded.
    #[serde(skip)]
    pub critical_model_text: Option<String>,
}

/// `[scoring.urgency]`: an urgency (0..1) at or above a threshold gets that
/// level; below `normal` it is low. Critical cues (legal, safety, privacy)
/// lift a mention to `critical` whatever its score.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrgencyThresholds {
    #[serde(default = "default_critical_from")]
    pub critical: f64,
    #[serde(default = "default_high_from")]
    pub high: f64,
    #[serde(default = "default_normal_from")]
    pub normal: f64,
}

impl Default for UrgencyThresholds {
    fn default() -> Self {
        UrgencyThresholds {
            critical: default_critical_from(),
            high: default_high_from(),
            normal: default_normal_from(),
        }
    }
}

fn default_critical_from() -> f64 {
    0.75
}
fn default_high_from() -> f64 {
    0.5
}
fn default_normal_from() -> f64 {
    0.25
}

/// A refused config: which file, which key, why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {key}: {reason}", file.display())]
pub struct ConfigError {
    pub file: PathBuf,
    /// Dotted path of the offending key, e.g. `sources[1].every`.
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(file: &Path, key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError { file: file.to_path_buf(), key: key.into(), reason: reason.into() }
    }
}

impl Settings {
    /// A one-screen summary for `check-config` and the start-up log.
    pub fn summary(&self) -> String {
        let terms: usize = self.brands.iter().map(|b| b.terms.len()).sum();
        let mut out = format!(
            "config {} is valid\n  storage: {}\n  http: {}\n  brands: {} ({} watch terms)\n",
            self.file.display(),
            redact_url_password(&self.storage.url),
            self.http.listen,
            self.brands.len(),
            terms
        );
        for b in &self.brands {
            out.push_str(&format!("    - {}: {}\n", b.name, b.terms.join(", ")));
        }
        out.push_str(&format!("  sources: {}\n", self.sources.len()));
        for s in &self.sources {
            out.push_str(&format!("    - {} ({}, {})\n", s.name, s.kind.type_name(), s.schedule));
        }
        out.push_str(&format!("  receivers: {}\n", self.receivers.len()));
        for r in &self.receivers {
            out.push_str(&format!("    - {} ({})\n", r.name, r.kind.type_name()));
        }
        out.push_str(&format!("  routes: {}\n", self.routes.len()));
        out.push_str(&crate::routing::render(&self.routes, "    "));
        out.push_str(&self.spikes.summary());
        out
    }
}

/// Hides a password in a database URL before it is printed.
pub fn redact_url_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests;
