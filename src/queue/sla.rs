//! SLA rules: which deadline an item can breach in which state, when an
//! item of each urgency level is late, and the percentiles the SLA figures
//! report. Pure: the store finds the late items, the queue timer escalates
//! them.
//!
//! An item's SLA clock starts when it is opened, and again when it is
//! reopened. Acknowledging stops the acknowledge clock; resolving stops
//! both (a resolve is also an answer).
//!
//! Tests: in this module.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::QueueState;
use crate::config::QueueSettings;
use crate::domain::Urgency;

/// Which deadline was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    /// Not acknowledged (nor resolved) in time.
    Ack,
    /// Not resolved in time.
    Resolve,
}

impl SlaKind {
    pub const ALL: [SlaKind; 2] = [SlaKind::Ack, SlaKind::Resolve];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::Ack => "ack",
            SlaKind::Resolve => "resolve",
        }
    }

    pub fn parse(s: &str) -> Option<SlaKind> {
        SlaKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The states in which this clock is still running.
    pub fn running_in(self) -> &'static [QueueState] {
        match self {
            SlaKind::Ack => &[QueueState::Open],
            SlaKind::Resolve => &[QueueState::Open, QueueState::Acknowledged],
        }
    }

    /// What a person reads: "acknowledged", "resolved".
    pub fn past_participle(self) -> &'static str {
        match self {
            SlaKind::Ack => "acknowledged",
            SlaKind::Resolve => "resolved",
        }
    }
}

impl fmt::Display for SlaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long an item of `level` may wait before `kind` is breached.
pub fn allowance(settings: &QueueSettings, level: Urgency, kind: SlaKind) -> std::time::Duration {
    let sla = settings.sla(level);
    match kind {
        SlaKind::Ack => sla.ack,
        SlaKind::Resolve => sla.resolve,
    }
}

/// Per level, the latest SLA clock start that is late at `now`: an item
/// whose clock started at or before its level's cutoff has breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    pub kind: SlaKind,
    cutoffs: [DateTime<Utc>; 4],
}

impl Cutoffs {
    pub fn at(settings: &QueueSettings, kind: SlaKind, now: DateTime<Utc>) -> Cutoffs {
        let cutoffs = Urgency::ALL.map(|level| {
            let allowed = chrono::Duration::from_std(allowance(settings, level, kind)).unwrap_or(chrono::Duration::MAX);
            now.checked_sub_signed(allowed).unwrap_or(DateTime::<Utc>::MIN_UTC)
        });
        Cutoffs { kind, cutoffs }
    }

    /// The cutoff of `level`.
    pub fn of(&self, level: Urgency) -> DateTime<Utc> {
        let i = Urgency::ALL.iter().position(|l| *l == level).unwrap_or(0);
        self.cutoffs[i]
    }
}

/// The `p`-th percentile (0..=100) of `sorted` by nearest rank, or `None`
/// for no values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p.min(100)) * sorted.len() as u64).div_ceil(100).max(1);
    sorted.get(usize::try_from(rank - 1).unwrap_or(0)).copied()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;

    fn settings() -> QueueSettings {
        let mut s = QueueSettings::default();
        s.sla.critical.ack = Some(Duration::from_secs(60));
        s
    }

    #[test]
    fn cutoffs_follow_each_levels_sla() {
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let ack = Cutoffs::at(&settings(), SlaKind::Ack, now);
        assert_eq!(ack.of(Urgency::Critical), now - chrono::Duration::minutes(1), "configured");
        assert_eq!(ack.of(Urgency::High), now - chrono::Duration::hours(1), "default");
        let resolve = Cutoffs::at(&settings(), SlaKind::Resolve, now);
        assert_eq!(resolve.of(Urgency::Critical), now - chrono::Duration::hours(4), "default kept beside a set ack");
        assert_eq!(resolve.of(Urgency::Low), now - chrono::Duration::hours(72));
    }

    #[test]
    fn clocks_run_in_their_states() {
        assert_eq!(SlaKind::Ack.running_in(), [QueueState::Open]);
        assert!(SlaKind::Resolve.running_in().contains(&QueueState::Acknowledged));
        assert!(!SlaKind::Resolve.running_in().contains(&QueueState::Resolved));
        for k in SlaKind::ALL {
            assert_eq!(SlaKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!((percentile(&v, 50), percentile(&v, 90), percentile(&v, 100)), (Some(5), Some(9), Some(10)));
        assert_eq!(percentile(&v, 0), Some(1));
    }
}
