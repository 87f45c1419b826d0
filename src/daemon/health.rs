//! Source health: when each source last polled successfully, how many
//! polls in a row failed and why, and the "source silent" alert raised
//! through the router when a source has failed for longer than its
//! `silent_after` (self-hosted monitors are known to stall silently; this
//! one says so), plus a "recovered" alert when it works again.
//!
//! [`Health::record`] is a pure state machine over explicit times, unit
//! tested here; `Context::poll_source` feeds it and raises what it returns.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::SourceSettings;
use crate::domain::Platform;
use crate::sinks::SourceHealthAlert;

/// One source's health, as shown in `/readyz` and metrics.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Health {
    pub last_success: Option<DateTime<Utc>>,
    /// Start of the current run of failures.
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// Bounded kind of the last error (`rate_limited`, `auth`, ...).
    pub last_error_kind: Option<&'static str>,
    pub last_error: Option<String>,
    /// A silent alert was raised for the current run of failures.
    pub silent_alerted: bool,
}

/// A poll's outcome as health sees it.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Ok,
    Failed { kind: &'static str, message: &'a str },
}

impl Health {
    /// Records one poll at `now`; returns the alert to raise, if the source
    /// just went silent or just recovered from being silent.
    pub fn record(
        &mut self,
        source: &SourceSettings,
        platform: Platform,
        outcome: Outcome<'_>,
        now: DateTime<Utc>,
    ) -> Option<SourceHealthAlert> {
        match outcome {
            Outcome::Ok => {
                let alert = self.silent_alerted.then(|| SourceHealthAlert {
                    source: source.name.clone(),
                    platform,
                    recovered: true,
                    last_success: self.last_success,
                    failing_since: self.failing_since.unwrap_or(now),
                    consecutive_failures: self.consecutive_failures,
                    last_error: self.last_error.clone().unwrap_or_default(),
                });
                *self = Health { last_success: Some(now), ..Health::default() };
                alert
            }
            Outcome::Failed { kind, message } => {
                let since = *self.failing_since.get_or_insert(now);
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.last_error_kind = Some(kind);
                self.last_error = Some(message.chars().take(500).collect());
                let silent_for = (now - since).to_std().unwrap_or_default();
                if self.silent_alerted || silent_for < source.silent_after {
                    return None;
                }
                self.silent_alerted = true;
                Some(SourceHealthAlert {
                    source: source.name.clone(),
                    platform,
                    recovered: false,
                    last_success: self.last_success,
                    failing_since: since,
                    consecutive_failures: self.consecutive_failures,
                    last_error: self.last_error.clone().unwrap_or_default(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::config::{HackernewsConfig, Schedule, SourceKind};
    use crate::domain::SourceName;

    fn source(silent_after: Duration) -> SourceSettings {
        let hn: HackernewsConfig = serde_json::from_str("{}").unwrap();
        SourceSettings {
            name: SourceName::new("hn"),
            schedule: Schedule::Every(Duration::from_secs(60)),
            backfill: Duration::from_secs(3600),
            silent_after,
            queries: None,
            kind: SourceKind::Hackernews(hn),
        }
    }

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    const FAIL: Outcome<'static> = Outcome::Failed { kind: "transient", message: "503 from the platform" };

    #[test]
    fn silent_once_after_the_threshold_then_recovered_once() {
        let s = source(Duration::from_secs(30 * 60));
        let mut h = Health::default();
        assert!(h.record(&s, Platform::Hackernews, Outcome::Ok, at(0)).is_none());
        assert!(h.record(&s, Platform::Hackernews, FAIL, at(1)).is_none());
        assert!(h.record(&s, Platform::Hackernews, FAIL, at(20)).is_none(), "19 minutes is not silent yet");
        let alert = h.record(&s, Platform::Hackernews, FAIL, at(31)).expect("silent after 30 minutes");
        assert!(!alert.recovered);
        assert_eq!((alert.failing_since, alert.consecutive_failures), (at(1), 3));
        assert_eq!(alert.last_success, Some(at(0)));
        assert!(h.record(&s, Platform::Hackernews, FAIL, at(40)).is_none(), "raised once per outage");
        let back = h.record(&s, Platform::Hackernews, Outcome::Ok, at(45)).expect("recovered alert");
        assert!(back.recovered);
        assert_eq!(h, Health { last_success: Some(at(45)), ..Health::default() });
    }

    #[test]
    fn a_short_failure_raises_nothing_on_recovery() {
        let s = source(Duration::from_secs(3600));
        let mut h = Health::default();
        assert!(h.record(&s, Platform::Hackernews, FAIL, at(0)).is_none());
        assert!(h.record(&s, Platform::Hackernews, Outcome::Ok, at(5)).is_none());
        assert_eq!(h.consecutive_failures, 0);
    }
}
