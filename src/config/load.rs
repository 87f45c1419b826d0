//! Reading and checking: TOML file + `EARSHOT__` environment through the
//! `config` crate, serde with path tracking for precise keys, then the
//! cross-checks serde cannot do (unique names, route targets, secrets).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat, Map, Value};
use secrecy::SecretString;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use super::receivers::{
    self, ConsoleConfig, ReceiverKind, ReceiverSettings, SlackConfig, SlackSettings, WebhookConfig, WebhookSettings,
};
use super::routes;
use super::secret::SecretSpec;
use super::sources::{
    self, BlueskyConfig, BlueskySettings, FeedConfig, HackernewsConfig, MastodonConfig, MastodonSettings, RedditConfig,
    RedditSettings, Schedule, SourceKind, SourceSettings, XConfig, XSettings, YoutubeConfig, YoutubeSettings,
};
use super::terms::{check_brand, BrandConfig};
use super::{
    ConfigError, DeliverySettings, FetchSettings, HttpSettings, LogSettings, QueueSettings, ReloadSettings,
    ScoringSettings, Settings, SlackAppSettings, StorageSettings,
};
use crate::domain::{ReceiverName, SourceName};

const ENV_PREFIX: &str = "EARSHOT";

/// The file as written, before cross-checks. `sources` and `receivers` are
/// tagged by `type` and read table by table in a second pass.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default)]
    storage: StorageSettings,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    log: LogSettings,
    #[serde(default)]
    fetch: FetchSettings,
    #[serde(default)]
    delivery: DeliverySettings,
    #[serde(default)]
    queue: QueueSettings,
    #[serde(default)]
    reload: ReloadSettings,
    #[serde(default)]
    slack: RawSlackApp,
    #[serde(default)]
    scoring: ScoringSettings,
    #[serde(default)]
    cluster: super::cluster::ClusterConfig,
    #[serde(default)]
    brands: Vec<BrandConfig>,
    #[serde(default)]
    #[allow(dead_code)]
    sources: IgnoredAny,
    #[serde(default)]
    #[allow(dead_code)]
    receivers: IgnoredAny,
    #[serde(default)]
    routes: Vec<routes::RawRoute>,
    #[serde(default)]
    time_intervals: Vec<routes::RawTimeIntervals>,
    #[serde(default)]
    spikes: super::spikes::SpikeSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    #[serde(default = "default_listen")]
    listen: String,
    token: Option<String>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp { listen: default_listen(), token: None, token_env: None, token_file: None }
    }
}

fn default_listen() -> String {
    "127.0.0.1:9477".into()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSlackApp {
    signing_secret: Option<String>,
    signing_secret_env: Option<String>,
    signing_secret_file: Option<PathBuf>,
    response_url_prefix: Option<String>,
}

/// Loads `path` with the process environment as the override layer.
pub fn load(path: &Path) -> Result<Settings, ConfigError> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    load_with_env(path, &env)
}

/// Loads `path` with `env` as the environment snapshot: both the
/// `EARSHOT__` overrides and the variables `*_env` secrets name.
pub fn load_with_env(path: &Path, env: &[(String, String)]) -> Result<Settings, ConfigError> {
    let cx = Checker { file: path, env };
    let cfg = cx.read()?;
    let raw: RawSettings = serde_path_to_error::deserialize(cfg.clone())
        .map_err(|e| cx.serde_error(&cfg, e.path().to_string(), e.inner()))?;

    let url = &raw.storage.url;
    if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(cx.err(
            "storage.url",
            format!("{:?} is neither sqlite://PATH nor postgres://USER@HOST/DB", super::redact_url_password(url)),
        ));
    }
    let http = cx.check_http(raw.http)?;
    let slack = cx.check_slack_app(raw.slack)?;
    let brands = cx.check_brands(raw.brands)?;
    let sources = cx.check_sources(&cfg)?;
    let receivers = cx.check_receivers(&cfg)?;
    let routes = routes::check(raw.routes, raw.time_intervals, &receivers, &brands)
        .map_err(|(key, reason)| cx.err(key, reason))?;
    cx.check_delivery(&raw.delivery)?;
    raw.queue.check(|key, reason| cx.err(key, reason))?;
    let scoring = cx.check_scoring(raw.scoring)?;
    let cluster = raw.cluster.check().map_err(|(key, reason)| cx.err(format!("cluster.{key}"), reason))?;
    let brand_names: Vec<crate::domain::BrandName> = brands.iter().map(|b| b.name.clone()).collect();
    raw.spikes.check(&brand_names).map_err(|(key, reason)| cx.err(key, reason))?;

    Ok(Settings {
        file: path.to_path_buf(),
        storage: raw.storage,
        http,
        log: raw.log,
        fetch: raw.fetch,
        delivery: raw.delivery,
        queue: raw.queue,
        reload: raw.reload,
        slack,
        scoring,
        cluster,
        brands,
        sources,
        receivers,
        routes,
        spikes: raw.spikes,
    })
}

/// Carries the file name and environment snapshot through the checks.
struct Checker<'a> {
    file: &'a Path,
    env: &'a [(String, String)],
}

impl Checker<'_> {
    fn err(&self, key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError::new(self.file, key, reason)
    }

    fn lookup_env(&self, name: &str) -> Option<String> {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn read(&self) -> Result<Config, ConfigError> {
        if !self.file.exists() {
            return Err(self.err("(file)", "no such file"));
        }
        let overrides: HashMap<String, String> =
            self.env.iter().filter(|(k, _)| k.starts_with("EARSHOT__")).cloned().collect();
        Config::builder()
            .add_source(File::from(self.file).format(FileFormat::Toml).required(true))
            .add_source(
                Environment::with_prefix(ENV_PREFIX)
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(overrides)),
            )
            .build()
            .map_err(|e| self.err("(syntax)", strip_origin(&e.to_string())))
    }

    /// Turns a serde error at `key` into a ConfigError, naming the
    /// environment variable instead of the file when that is where the
    /// offending value came from.
    fn serde_error(&self, cfg: &Config, key: String, e: &config::ConfigError) -> ConfigError {
        let key = if key == "." || key.is_empty() { "(top level)".to_string() } else { key };
        let reason = describe(e);
        let from_env = cfg.get::<Value>(&key).ok().and_then(|v| v.origin().map(|o| o == "the environment"));
        if from_env == Some(true) {
            let var = format!("{ENV_PREFIX}__{}", key.to_uppercase().replace('.', "__"));
            return ConfigError { file: PathBuf::from(format!("environment variable {var}")), key, reason };
        }
        self.err(key, reason)
    }

    fn check_http(&self, raw: RawHttp) -> Result<HttpSettings, ConfigError> {
        let listen = raw
            .listen
            .parse()
            .map_err(|_| self.err("http.listen", format!("{:?} is not an address like 127.0.0.1:9477", raw.listen)))?;
        let spec = SecretSpec { inline: raw.token, env: raw.token_env, file: raw.token_file };
        let api_token = spec
            .resolve("token", &|k| self.lookup_env(k))
            .map_err(|e| self.err(format!("http.{}", e.key), e.reason))?;
        Ok(HttpSettings { listen, api_token })
    }

    fn check_slack_app(&self, raw: RawSlackApp) -> Result<SlackAppSettings, ConfigError> {
        let spec =
            SecretSpec { inline: raw.signing_secret, env: raw.signing_secret_env, file: raw.signing_secret_file };
        let signing_secret = spec
            .resolve("signing_secret", &|k| self.lookup_env(k))
            .map_err(|e| self.err(format!("slack.{}", e.key), e.reason))?;
        let response_url_prefix = raw.response_url_prefix.unwrap_or_else(|| "https://hooks.slack.com/".into());
        if !response_url_prefix.starts_with("https://") && !response_url_prefix.starts_with("http://") {
            return Err(self.err("slack.response_url_prefix", "must be an http(s) URL prefix"));
        }
        Ok(SlackAppSettings { signing_secret, response_url_prefix })
    }

    fn check_brands(&self, raw: Vec<BrandConfig>) -> Result<Vec<super::Brand>, ConfigError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, b) in raw.into_iter().enumerate() {
            let brand = check_brand(b).map_err(|(k, r)| self.err(format!("brands[{i}].{k}"), r))?;
            if !seen.insert(brand.name.as_str().to_lowercase()) {
                return Err(
                    self.err(format!("brands[{i}].name"), format!("duplicate brand name {:?}", brand.name.as_str()))
                );
            }
            out.push(brand);
        }
        Ok(out)
    }

    fn check_sources(&self, cfg: &Config) -> Result<Vec<SourceSettings>, ConfigError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, mut table) in self.tables(cfg, "sources")?.into_iter().enumerate() {
            let at = |k: &str| format!("sources[{i}].{k}");
            let name: String = self.take_required(&mut table, &at("name"), "name")?;
            let type_name: String = self.take_required(&mut table, &at("type"), "type")?;
            let every: Option<String> = self.take(&mut table, &at("every"), "every")?;
            let cron: Option<String> = self.take(&mut table, &at("cron"), "cron")?;
            let backfill: Option<String> = self.take(&mut table, &at("backfill"), "backfill")?;
            let silent_after: Option<String> = self.take(&mut table, &at("silent_after"), "silent_after")?;
            let queries: Option<Vec<String>> = self.take(&mut table, &at("queries"), "queries")?;

            if name.trim().is_empty() {
                return Err(self.err(at("name"), "a source needs a non-empty name"));
            }
            if !seen.insert(name.clone()) {
                return Err(self.err(at("name"), format!("duplicate source name {name:?}")));
            }
            let schedule = match (every, cron) {
                (Some(_), Some(_)) => return Err(self.err(at("cron"), "give either `every` or `cron`, not both")),
                (None, Some(expr)) => {
                    check_cron(&expr).map_err(|r| self.err(at("cron"), r))?;
                    Schedule::Cron(expr)
                }
                (every, None) => {
                    let d = self.duration(every.as_deref().unwrap_or("60s"), &at("every"))?;
                    if d < Duration::from_secs(1) {
                        return Err(self.err(at("every"), "must be at least 1s"));
                    }
                    Schedule::Every(d)
                }
            };
            let backfill = self.duration(backfill.as_deref().unwrap_or("1h"), &at("backfill"))?;
            let silent_after = self.duration(silent_after.as_deref().unwrap_or("1h"), &at("silent_after"))?;
            if let Some(q) = &queries {
                if q.is_empty() || q.iter().any(|s| s.trim().is_empty()) {
                    return Err(self.err(at("queries"), "queries must be non-empty strings"));
                }
            }
            let kind = match type_name.as_str() {
                "hackernews" => {
                    let c: HackernewsConfig = self.rest(table, &format!("sources[{i}]"))?;
                    c.check().map_err(|(k, r)| self.err(at(&k), r))?;
                    SourceKind::Hackernews(c)
                }
                "x" => {
                    let mut c: XConfig = self.rest(table, &format!("sources[{i}]"))?;
                    c.check().map_err(|(k, r)| self.err(at(&k), r))?;
                    let spec = SecretSpec {
                        inline: c.bearer_token.take(),
                        env: c.bearer_token_env.clone(),
                        file: c.bearer_token_file.clone(),
                    };
                    let bearer_token = self.required_secret(&spec, "bearer_token", &at, "an x source")?;
                    SourceKind::X(XSettings { config: c, bearer_token })
                }
                "youtube" => {
                    let mut c: YoutubeConfig = self.rest(table, &format!("sources[{i}]"))?;
                    c.check().map_err(|(k, r)| self.err(at(&k), r))?;
                    let spec = SecretSpec {
                        inline: c.api_key.take(),
                        env: c.api_key_env.clone(),
                        file: c.api_key_file.clone(),
                    };
                    let api_key = self.required_secret(&spec, "api_key", &at, "a youtube source")?;
                    SourceKind::Youtube(YoutubeSettings { config: c, api_key })
                }
                "feed" => {
                    if queries.is_some() {
                        return Err(self.err(
                            at("queries"),
                            "a feed has no search query: every entry is read and the brands' terms decide",
                        ));
                    }
                    let c: FeedConfig = self.rest(table, &format!("sources[{i}]"))?;
                    c.check().map_err(|(k, r)| self.err(at(&k), r))?;
                    SourceKind::Feed(c)
                }
                "mastodon" => {
                    let mut c: MastodonConfig = self.rest(table, &format!("sources[{i}]"))?;
                    let spec = c.token_spec();
                    c.check(spec.is_given()).map_err(|(k, r)| self.err(at(&k), r))?;
                    let token = self.secret(&spec, "token", &at)?;
                    SourceKind::Mastodon(MastodonSettings { config: c, token })
                }
                "bluesky" => {
                    let mut c: BlueskyConfig = self.rest(table, &format!("sources[{i}]"))?;
                    let spec = c.app_password_spec();
                    c.check(spec.is_given()).map_err(|(k, r)| self.err(at(&k), r))?;
                    let app_password = self.secret(&spec, "app_password", &at)?;
                    SourceKind::Bluesky(BlueskySettings { config: c, app_password })
                }
                "reddit" => {
                    let mut c: RedditConfig = self.rest(table, &format!("sources[{i}]"))?;
                    let (id_spec, secret_spec) = (c.client_id_spec(), c.client_secret_spec());
                    c.check().map_err(|(k, r)| self.err(at(&k), r))?;
                    let client_id = self.required_secret(&id_spec, "client_id", &at, "a reddit source")?;
                    let client_secret = self.required_secret(&secret_spec, "client_secret", &at, "a reddit source")?;
                    let user_agent = c.agent().unwrap_or_default();
                    SourceKind::Reddit(RedditSettings { config: c, client_id, client_secret, user_agent })
                }
                other => {
                    return Err(self
                        .err(at("type"), unknown_type("source", other, sources::BUILT_TYPES, sources::PLANNED_TYPES)))
                }
            };
            out.push(SourceSettings { name: SourceName::new(name), schedule, backfill, silent_after, queries, kind });
        }
        Ok(out)
    }

    fn check_receivers(&self, cfg: &Config) -> Result<Vec<ReceiverSettings>, ConfigError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, mut table) in self.tables(cfg, "receivers")?.into_iter().enumerate() {
            let at = |k: &str| format!("receivers[{i}].{k}");
            let name: String = self.take_required(&mut table, &at("name"), "name")?;
            let type_name: String = self.take_required(&mut table, &at("type"), "type")?;
            if name.trim().is_empty() {
                return Err(self.err(at("name"), "a receiver needs a non-empty name"));
            }
            if !seen.insert(name.clone()) {
                return Err(self.err(at("name"), format!("duplicate receiver name {name:?}")));
            }
            let kind = match type_name.as_str() {
                "slack" => {
                    let c: SlackConfig = self.rest(table, &format!("receivers[{i}]"))?;
                    let spec = SecretSpec { inline: c.url, env: c.url_env, file: c.url_file };
                    let url = spec
                        .resolve("url", &|k| self.lookup_env(k))
                        .map_err(|e| self.err(at(&e.key), e.reason))?
                        .ok_or_else(|| self.err(at("url"), "a slack receiver needs `url`, `url_env` or `url_file`"))?;
                    ReceiverKind::Slack(SlackSettings { url, min_interval: c.min_interval, timeout: c.timeout })
                }
                "webhook" => {
                    let c: WebhookConfig = self.rest(table, &format!("receivers[{i}]"))?;
                    let url = SecretSpec { inline: c.url.map(|s| s.into_inner()), env: c.url_env, file: c.url_file };
                    let secret =
                        SecretSpec { inline: c.secret.map(|s| s.into_inner()), env: c.secret_env, file: c.secret_file };
                    let url = self.required_secret(&url, "url", &at, "a webhook receiver")?;
                    let secret = self.required_secret(&secret, "secret", &at, "a webhook receiver")?;
                    ReceiverKind::Webhook(WebhookSettings { url, secret, timeout: c.timeout })
                }
                "console" => ReceiverKind::Console(self.rest::<ConsoleConfig>(table, &format!("receivers[{i}]"))?),
                other => {
                    return Err(self.err(
                        at("type"),
                        unknown_type("receiver", other, receivers::BUILT_TYPES, receivers::PLANNED_TYPES),
                    ))
                }
            };
            out.push(ReceiverSettings { name: ReceiverName::new(name), kind });
        }
        Ok(out)
    }

    fn check_delivery(&self, d: &DeliverySettings) -> Result<(), ConfigError> {
        if d.batch == 0 {
            return Err(self.err("delivery.batch", "must be at least 1"));
        }
        if d.max_attempts == 0 {
            return Err(self.err("delivery.max_attempts", "must be at least 1"));
        }
        if d.backoff_base > d.backoff_max {
            return Err(self.err("delivery.backoff_base", "must not exceed delivery.backoff_max"));
        }
        Ok(())
    }

    /// Reads the cue and topic files and compiles the scorer once, so a bad
    /// phrase is refused here rather than when the daemon starts.
    fn check_scoring(&self, mut s: ScoringSettings) -> Result<ScoringSettings, ConfigError> {
        let u = s.urgency;
        let ordered = 0.0 < u.normal && u.normal < u.high && u.high < u.critical && u.critical <= 1.0;
        if !ordered {
            return Err(self.err(
                "scoring.urgency",
                format!(
                    "thresholds must rise within 0..1: normal {} < high {} < critical {} <= 1",
                    u.normal, u.high, u.critical
                ),
            ));
        }
        let dir = self.file.parent().unwrap_or_else(|| Path::new("."));
        let read = |path: &Path, key: &str| -> Result<String, ConfigError> {
            let full = dir.join(path);
            std::fs::read_to_string(&full).map_err(|e| self.err(key, format!("cannot read {}: {e}", full.display())))
        };
        if let Some(path) = &s.cues_file {
            s.cues_file_text = Some(read(path, "scoring.cues_file")?);
        }
        if let Some(path) = &s.topics_file {
            s.topics_file_text = Some(read(path, "scoring.topics_file")?);
        }
        if let Some(path) = &s.complaint_model_file {
            s.complaint_model_text = Some(read(path, "scoring.complaint_model_file")?);
        }
        if let Some(path) = &s.critical_model_file {
            s.critical_model_text = Some(read(path, "scoring.critical_model_file")?);
        }
        // Without the brands: only the shared data can be refused, and it
        // is compiled once per process and kept (`scorer/shared.rs`); the
        // brands' part (an automaton over every watch term) cannot fail and
        // is built once, by the daemon, not here and again there.
        crate::pipeline::Scorer::with_settings(&[], &s).map_err(|e| self.err(e.key, e.reason))?;
        Ok(s)
    }

    /// The tables of an array-of-tables section (`[[sources]]`).
    fn tables(&self, cfg: &Config, section: &str) -> Result<Vec<Map<String, Value>>, ConfigError> {
        let list = match cfg.get_array(section) {
            Ok(list) => list,
            Err(config::ConfigError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => {
                return Err(self.err(section, format!("must be a list of tables ([[{section}]]): {}", describe(&e))))
            }
        };
        list.into_iter()
            .enumerate()
            .map(|(i, v)| {
                v.into_table()
                    .map_err(|e| self.err(format!("{section}[{i}]"), format!("must be a table: {}", describe(&e))))
            })
            .collect()
    }

    fn take<T: DeserializeOwned>(
        &self,
        table: &mut Map<String, Value>,
        key: &str,
        field: &str,
    ) -> Result<Option<T>, ConfigError> {
        match table.remove(field) {
            None => Ok(None),
            Some(v) => v.try_deserialize().map(Some).map_err(|e| self.err(key, describe(&e))),
        }
    }

    fn take_required<T: DeserializeOwned>(
        &self,
        table: &mut Map<String, Value>,
        key: &str,
        field: &str,
    ) -> Result<T, ConfigError> {
        self.take(table, key, field)?.ok_or_else(|| self.err(key, "missing"))
    }

    /// Deserializes what is left of a tagged table into the type's own
    /// struct, which refuses unknown keys.
    fn rest<T: DeserializeOwned>(&self, table: Map<String, Value>, prefix: &str) -> Result<T, ConfigError> {
        let value = Value::new(None, table);
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let key = if path == "." { prefix.to_string() } else { format!("{prefix}.{path}") };
            self.err(key, describe(e.inner()))
        })
    }

    /// Resolves an optional secret (`base`, `base_env` or `base_file`);
    /// errors name the key as written, e.g. `sources[0].token_env`.
    fn secret(
        &self,
        spec: &SecretSpec,
        base: &str,
        at: &dyn Fn(&str) -> String,
    ) -> Result<Option<SecretString>, ConfigError> {
        spec.resolve(base, &|k| self.lookup_env(k)).map_err(|e| self.err(at(&e.key), e.reason))
    }

    /// Resolves a secret that must be given (`base`, `base_env` or
    /// `base_file`); errors name the key as written, e.g.
    /// `sources[0].bearer_token_env`.
    fn required_secret(
        &self,
        spec: &SecretSpec,
        base: &str,
        at: &dyn Fn(&str) -> String,
        what: &str,
    ) -> Result<secrecy::SecretString, ConfigError> {
        spec.resolve(base, &|k| self.lookup_env(k))
            .map_err(|e| self.err(at(&e.key), e.reason))?
            .ok_or_else(|| self.err(at(base), format!("{what} needs `{base}`, `{base}_env` or `{base}_file`")))
    }

    fn duration(&self, s: &str, key: &str) -> Result<Duration, ConfigError> {
        humantime::parse_duration(s)
            .map_err(|e| self.err(key, format!("bad duration {s:?}: {e} (write e.g. \"90s\", \"5m\", \"1h\")")))
    }
}

fn check_cron(expr: &str) -> Result<(), String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .build()
        .parse(expr)
        .map(|_| ())
        .map_err(|e| format!("bad cron expression {expr:?}: {e} (six fields, seconds first: \"0 */5 * * * *\")"))
}

fn unknown_type(what: &str, got: &str, built: &[&str], planned: &[&str]) -> String {
    if planned.contains(&got) {
        format!("{what} type {got:?} is not available in this version (available: {})", built.join(", "))
    } else {
        format!("unknown {what} type {got:?} (expected one of: {})", built.join(", "))
    }
}

pub(super) fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// A reason without the crate's own "for key ... in file ..." suffixes,
/// since [`ConfigError`] names the key and file itself.
fn describe(e: &config::ConfigError) -> String {
    match e {
        config::ConfigError::Type { unexpected, expected, .. } => {
            format!("wrong type: expected {expected}, found {unexpected}")
        }
        other => strip_origin(&other.to_string()),
    }
}

fn strip_origin(s: &str) -> String {
    s.split(" for key `").next().unwrap_or(s).to_string()
}
