//! Reload: read the config file again (same path, same environment snapshot
//! as at start-up), check it with the same code as start-up and
//! `check-config`, then build a new [`Context`] around the running store and
//! metrics. A refused config is logged with file, key and reason, counted,
//! and the old one keeps running. Keys that need a restart (`storage.url`,
//! `http.listen`, `[cluster]`) keep their running values, with a warning.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::Context;
use crate::config::{self, Settings};

/// Where a reload request came from (a log field and metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadOrigin {
    Signal,
    Api,
    File,
}

impl ReloadOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ReloadOrigin::Signal => "signal",
            ReloadOrigin::Api => "api",
            ReloadOrigin::File => "file",
        }
    }
}

/// What a successful reload changed, for logs and the API answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadSummary {
    pub brands: usize,
    pub sources_added: Vec<String>,
    pub sources_removed: Vec<String>,
    pub receivers: usize,
    pub routes: usize,
    /// Changed keys that only a restart applies.
    pub needs_restart: Vec<&'static str>,
}

/// The file and environment a daemon reloads from.
#[derive(Debug, Clone)]
pub struct ReloadSource {
    pub path: PathBuf,
    pub env: Vec<(String, String)>,
}

impl ReloadSource {
    /// The config file's modification time, to notice edits on disk.
    pub fn modified(&self) -> Option<SystemTime> {
        std::fs::metadata(&self.path).and_then(|m| m.modified()).ok()
    }
}

/// Loads and checks the config and builds the next context; `Err` is the
/// refusal, ready to log and to answer with.
pub fn prepare(current: &Context, from: &ReloadSource) -> Result<(Arc<Context>, ReloadSummary), String> {
    let mut next: Settings = config::load_with_env(&from.path, &from.env).map_err(|e| e.to_string())?;
    let mut needs_restart = Vec::new();
    if next.storage.url != current.settings.storage.url {
        needs_restart.push("storage.url");
        next.storage = current.settings.storage.clone();
    }
    if next.http.listen != current.settings.http.listen {
        needs_restart.push("http.listen");
        next.http.listen = current.settings.http.listen;
    }
    if next.cluster != current.settings.cluster {
        needs_restart.push("cluster");
        next.cluster = current.settings.cluster.clone();
    }
    let names = |s: &Settings| s.sources.iter().map(|s| s.name.to_string()).collect::<Vec<_>>();
    let (old, new) = (names(&current.settings), names(&next));
    let summary = ReloadSummary {
        brands: next.brands.len(),
        sources_added: new.iter().filter(|n| !old.contains(n)).cloned().collect(),
        sources_removed: old.iter().filter(|n| !new.contains(n)).cloned().collect(),
        receivers: next.receivers.len(),
        routes: next.routes.len(),
        needs_restart,
    };
    let ctx = Context::with_store(next, current.store.clone(), current.metrics.clone(), Some(current))
        .map_err(|e| format!("cannot build the new configuration: {e:#}"))?;
    Ok((Arc::new(ctx), summary))
}
