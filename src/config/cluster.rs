//! `[cluster]`: running several replicas on one PostgreSQL database. Each
//! replica has an id (`replica_id`, by default `HOSTNAME-PID`) and holds
//! named leases (`source:NAME`, `timer:NAME`) for `lease_ttl`, renewing
//! them every `renew_interval`; a lease its holder stopped renewing is
//! taken over once it lapses. On SQLite the one process holds every lease.
//!
//! Tests: below (defaults, refusals with their key).

use std::time::Duration;

use serde::Deserialize;

/// Longest accepted `replica_id` (it is a metric label and a log field).
const MAX_REPLICA_ID: usize = 128;

/// `[cluster]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    replica_id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    lease_ttl: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    renew_interval: Option<Duration>,
}

/// `[cluster]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSettings {
    /// This replica's name in the `leases` table, `/readyz` and metrics.
    pub replica_id: String,
    /// How long a lease lasts without renewal: after a replica dies, its
    /// sources and timers wait at most this long for another one.
    pub lease_ttl: Duration,
    /// How often held leases are renewed (well under `lease_ttl`).
    pub renew_interval: Duration,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            replica_id: default_replica_id(),
            lease_ttl: Duration::from_secs(30),
            renew_interval: Duration::from_secs(10),
        }
    }
}

impl ClusterConfig {
    /// Fills in defaults and checks; `Err` is (key under `cluster.`, reason).
    pub fn check(self) -> Result<ClusterSettings, (&'static str, String)> {
        let defaults = ClusterSettings::default();
        let replica_id = self.replica_id.unwrap_or(defaults.replica_id);
        let s = ClusterSettings {
            replica_id,
            lease_ttl: self.lease_ttl.unwrap_or(defaults.lease_ttl),
            renew_interval: self.renew_interval.unwrap_or(defaults.renew_interval),
        };
        let id_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if s.replica_id.is_empty() || s.replica_id.len() > MAX_REPLICA_ID || !s.replica_id.chars().all(id_ok) {
            return Err((
                "replica_id",
                format!("must be 1 to {MAX_REPLICA_ID} characters of letters, digits, '-', '_', '.' or ':'"),
            ));
        }
        if s.lease_ttl < Duration::from_millis(100) {
            return Err(("lease_ttl", "must be at least 100ms".into()));
        }
        if s.renew_interval.is_zero() || s.renew_interval * 2 > s.lease_ttl {
            return Err(("renew_interval", "must be more than zero and at most half of cluster.lease_ttl".into()));
        }
        Ok(s)
    }
}

/// `HOSTNAME-PID`: unique per process on a host, readable in `/readyz`.
fn default_replica_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.')).collect())
        .ok()
        .filter(|h: &String| !h.is_empty())
        .unwrap_or_else(|| "earshot".into());
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::load_with_env;

    const BASE: &str = "[[brands]]\nname = \"Acme\"\nterms = [\"acme\"]\n";

    fn load(cluster: &str) -> Result<super::ClusterSettings, crate::config::ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("earshot.toml");
        std::fs::write(&path, format!("{BASE}{cluster}")).unwrap();
        load_with_env(&path, &[]).map(|s| s.cluster)
    }

    #[test]
    fn defaults_name_the_host_and_process() {
        let c = load("").unwrap();
        assert!(c.replica_id.ends_with(&format!("-{}", std::process::id())), "{}", c.replica_id);
        assert_eq!((c.lease_ttl, c.renew_interval), (Duration::from_secs(30), Duration::from_secs(10)));
        let c = load("[cluster]\nreplica_id = \"eu-1\"\nlease_ttl = \"1m\"\nrenew_interval = \"15s\"\n").unwrap();
        assert_eq!(c.replica_id, "eu-1");
        assert_eq!((c.lease_ttl, c.renew_interval), (Duration::from_secs(60), Duration::from_secs(15)));
    }

    #[test]
    fn bad_values_are_refused_with_their_key() {
        let err = load("[cluster]\nrenew_interval = \"20s\"\n").unwrap_err();
        assert_eq!(err.key, "cluster.renew_interval", "{err}");
        assert!(err.reason.contains("half of cluster.lease_ttl"), "{err}");
        let err = load("[cluster]\nreplica_id = \"a b\"\n").unwrap_err();
        assert_eq!(err.key, "cluster.replica_id", "{err}");
        let err = load("[cluster]\nlease_ttl = \"soon\"\n").unwrap_err();
        assert_eq!(err.key, "cluster.lease_ttl", "{err}");
        let err = load("[cluster]\nleader = true\n").unwrap_err();
        assert!(err.reason.contains("leader"), "{err}");
    }
}
