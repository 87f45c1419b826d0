//! `[queue]`: the rapid-response queue: which mentions open an item, the
//! SLA per urgency level (time to acknowledge, time to resolve), when a
//! resolved item's follow-up is due, and how often the queue's clock runs.
//!
//! ```toml
//! [queue]
//! min_urgency = "high"
//! follow_up_after = "3d"
//! tick = "30s"
//! [queue.sla.critical]
//! ack = "15m"
//! resolve = "4h"
//! ```
//!
//! A level or key left out keeps its default (see [`Sla::default_for`]).
//! Tests: `config/tests.rs`.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use crate::domain::Urgency;

/// `[queue]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    /// Mentions at or above this urgency open a queue item.
    #[serde(default = "default_queue_min_urgency")]
    pub min_urgency: Urgency,
    /// A resolved item not followed up this long after its resolve gets a
    /// reminder.
    #[serde(default = "default_follow_up_after", with = "humantime_serde")]
    pub follow_up_after: Duration,
    /// How often the queue's clock looks for breached SLAs and due
    /// follow-ups.
    #[serde(default = "default_tick", with = "humantime_serde")]
    pub tick: Duration,
    /// `[queue.sla.<level>]`
    #[serde(default)]
    pub sla: SlaTable,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            min_urgency: default_queue_min_urgency(),
            follow_up_after: default_follow_up_after(),
            tick: default_tick(),
            sla: SlaTable::default(),
        }
    }
}

/// `[queue.sla]`: one table per urgency level, each key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTable {
    #[serde(default)]
    pub critical: SlaConfig,
    #[serde(default)]
    pub high: SlaConfig,
    #[serde(default)]
    pub normal: SlaConfig,
    #[serde(default)]
    pub low: SlaConfig,
}

/// `[queue.sla.<level>]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaConfig {
    /// Time to acknowledge (or resolve) an item from when it was opened.
    #[serde(default, with = "humantime_serde")]
    pub ack: Option<Duration>,
    /// Time to resolve an item from when it was opened.
    #[serde(default, with = "humantime_serde")]
    pub resolve: Option<Duration>,
}

/// The SLA of one urgency level, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub ack: Duration,
    pub resolve: Duration,
}

impl Sla {
    /// The built-in SLA of `level`.
    pub fn default_for(level: Urgency) -> Sla {
        let (ack, resolve) = match level {
            Urgency::Critical => (15 * MINUTE, 4 * HOUR),
            Urgency::High => (HOUR, 8 * HOUR),
            Urgency::Normal => (4 * HOUR, 24 * HOUR),
            Urgency::Low => (24 * HOUR, 72 * HOUR),
        };
        Sla { ack, resolve }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl QueueSettings {
    /// The SLA of `level`: what the config says, the default otherwise.
    pub fn sla(&self, level: Urgency) -> Sla {
        let cfg = self.sla.get(level);
        let default = Sla::default_for(level);
        Sla { ack: cfg.ack.unwrap_or(default.ack), resolve: cfg.resolve.unwrap_or(default.resolve) }
    }

    /// Refuses zero durations and an acknowledge SLA longer than its
    /// resolve SLA.
    pub(crate) fn check(&self, err: impl Fn(String, String) -> ConfigError) -> Result<(), ConfigError> {
        if self.tick.is_zero() {
            return Err(err("queue.tick".into(), "must be longer than 0s".into()));
        }
        if self.follow_up_after.is_zero() {
            return Err(err("queue.follow_up_after".into(), "must be longer than 0s".into()));
        }
        for level in Urgency::ALL {
            let sla = self.sla(level);
            let key = |k: &str| format!("queue.sla.{level}.{k}");
            if sla.ack.is_zero() {
                return Err(err(key("ack"), "must be longer than 0s".into()));
            }
            if sla.resolve.is_zero() {
                return Err(err(key("resolve"), "must be longer than 0s".into()));
            }
            if sla.ack > sla.resolve {
                return Err(err(
                    key("ack"),
                    format!(
                        "{} is longer than the resolve SLA ({}); a resolve also acknowledges",
                        humantime::format_duration(sla.ack),
                        humantime::format_duration(sla.resolve)
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl SlaTable {
    fn get(&self, level: Urgency) -> &SlaConfig {
        match level {
            Urgency::Critical => &self.critical,
            Urgency::High => &self.high,
            Urgency::Normal => &self.normal,
            Urgency::Low => &self.low,
        }
    }
}

fn default_queue_min_urgency() -> Urgency {
    Urgency::High
}

fn default_follow_up_after() -> Duration {
    3 * 24 * HOUR
}

fn default_tick() -> Duration {
    Duration::from_secs(30)
}
