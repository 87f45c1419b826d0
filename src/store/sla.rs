//! The queue clock's side of the repository API: items whose SLA is late
//! or whose follow-up is due, the escalation recorded once per breach or
//! resolve, breaches as shown, queue depth and the SLA figures (p50/p90
//! time to acknowledge and resolve per urgency). Queries are in
//! `sla_repo.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::QueueItemRow;
use crate::domain::Urgency;
use crate::queue::sla::SlaKind;
use crate::queue::QueueState;

/// A queue item the clock acts on, with the mention a responder needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    pub item: QueueItemRow,
    pub platform: String,
    pub author: String,
    pub url: String,
    pub text: String,
}

/// What the clock records, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// An SLA deadline of the item's current cycle passed.
    Breach { kind: SlaKind, cycle_start: DateTime<Utc>, deadline: DateTime<Utc> },
    /// The item's resolve is `follow_up_after` old and not followed up.
    FollowUpReminder,
}

/// A recorded SLA breach, as shown with its item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    pub kind: SlaKind,
    /// When the SLA clock of the breached cycle started.
    pub since: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// When it was noticed and escalated.
    pub at: DateTime<Utc>,
}

/// Items per state and the oldest unacknowledged one, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub by_state: Vec<(QueueState, u64)>,
    /// The SLA clock start of the oldest item still open.
    pub oldest_open: Option<DateTime<Utc>>,
}

/// SLA figures of one urgency level over items whose SLA clock started
/// since a given time (dismissed items left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaFigure {
    pub level: Urgency,
    pub items: u64,
    pub acknowledged: u64,
    pub resolved: u64,
    /// Time to acknowledge (a resolve also acknowledges), 50th and 90th
    /// percentile; `None` without acknowledged items.
    #[serde(with = "opt_secs")]
    pub ack_p50: Option<Duration>,
    #[serde(with = "opt_secs")]
    pub ack_p90: Option<Duration>,
    #[serde(with = "opt_secs")]
    pub resolve_p50: Option<Duration>,
    #[serde(with = "opt_secs")]
    pub resolve_p90: Option<Duration>,
    /// SLA breaches of those items.
    pub ack_breaches: u64,
    pub resolve_breaches: u64,
}

/// Durations as whole seconds in JSON.
mod opt_secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }
}

/// One item's SLA clock: `(level, clock start, acked, resolved)`, in ms.
pub(crate) type ClockRow = (Urgency, i64, Option<i64>, Option<i64>);

/// Turns [`ClockRow`]s and breach counts into one figure per level, most
/// urgent first (all four, zeros included).
pub(crate) fn figures(rows: &[ClockRow], breaches: &[(Urgency, SlaKind, u64)]) -> Vec<SlaFigure> {
    use crate::queue::sla::percentile;
    let ms = |v: Option<i64>| v.map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
    Urgency::ALL
        .into_iter()
        .map(|level| {
            let mine: Vec<_> = rows.iter().filter(|r| r.0 == level).collect();
            let waits = |pick: fn(&ClockRow) -> Option<i64>| {
                let mut v: Vec<i64> = mine.iter().filter_map(|r| pick(r).map(|t| (t - r.1).max(0))).collect();
                v.sort_unstable();
                v
            };
            let (acks, resolves) = (waits(|r| r.2), waits(|r| r.3));
            let breached = |kind| breaches.iter().filter(|b| b.0 == level && b.1 == kind).map(|b| b.2).sum();
            SlaFigure {
                level,
                items: mine.len() as u64,
                acknowledged: acks.len() as u64,
                resolved: resolves.len() as u64,
                ack_p50: ms(percentile(&acks, 50)),
                ack_p90: ms(percentile(&acks, 90)),
                resolve_p50: ms(percentile(&resolves, 50)),
                resolve_p90: ms(percentile(&resolves, 90)),
                ack_breaches: breached(SlaKind::Ack),
                resolve_breaches: breached(SlaKind::Resolve),
            }
        })
        .collect()
}
