//! Who hears about an alert, and how: a tree of routes over the alert's
//! [`Labels`] (Alertmanager's model), each naming receivers, with
//! grouping into digests, quiet hours and silences. Pure: no I/O, no
//! clock; the caller passes `now` and the active silences.
//!
//! - `labels.rs`: the labels every alert carries.
//! - `matcher.rs`: `label op value` conditions.
//! - `tree.rs`: the walk over the tree, grouping keys, the printed tree.
//! - `quiet.rs`: quiet hours; `silence.rs`: silences.
//!
//! How system alerts route: they carry `kind` (`source_health`, `spike`,
//! `sla_breach`, `follow_up`) and `urgency`, and a `brand` only when they
//! are about one (`Labels::system("spike", level).brand(b)`). A route
//! matches every kind unless it has a `kind` matcher, so a route with a
//! brand filter takes a brand's spikes but not source health alerts, as
//! before the tree.
//!
//! Tests: `routing/tests.rs` and each module's own.

pub mod inhibit;
mod labels;
mod matcher;
mod quiet;
mod silence;
pub mod spike;
mod tree;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

pub use self::labels::{LabelName, Labels, Values};
pub use self::matcher::{Matcher, Op};
pub use self::quiet::{quiet_until, TimeInterval};
pub use self::silence::{CheckedSilence, Silence, SilenceId, SilenceRequest};
pub use self::tree::{render, Grouping};
use self::tree::{walk, Step};
use crate::config::RouteSettings;
use crate::domain::{ReceiverName, Urgency};

/// The checked route tree.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RouteSettings>,
}

/// What happens to an alert at one receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub receiver: ReceiverName,
    /// The path of the route that delivers it, e.g. `routes[0].routes[1]`.
    pub route: String,
    /// The digest group it joins, if the route groups.
    pub group: Option<Group>,
    pub state: DeliveryState,
}

impl Delivery {
    /// A plain delivery to `receiver`: no route, no group, due now.
    pub fn to(receiver: ReceiverName) -> Delivery {
        Delivery { receiver, route: String::new(), group: None, state: DeliveryState::Deliver }
    }
}

/// A digest group: its key and the route's timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    pub wait: std::time::Duration,
    pub interval: std::time::Duration,
    pub repeat: std::time::Duration,
}

impl Group {
    /// When the group's next digest is due after an alert that can go out
    /// from `ready` (later than `now` when held for quiet hours) joins it.
    /// `pending`: the digest already due, if any; `last_flush`: when the
    /// previous one went out. A group whose last digest is older than
    /// `repeat` starts afresh and waits `wait`; otherwise digests are at
    /// least `interval` apart.
    pub fn next_flush(
        &self,
        now: DateTime<Utc>,
        ready: DateTime<Utc>,
        pending: Option<DateTime<Utc>>,
        last_flush: Option<DateTime<Utc>>,
    ) -> DateTime<Utc> {
        let span = |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(365));
        let base = match last_flush {
            Some(last) if last + span(self.repeat) > now => (last + span(self.interval)).max(now),
            _ => now + span(self.wait),
        };
        let candidate = base.max(ready);
        pending.map_or(candidate, |p| p.min(candidate))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Send it (alone or in its group's digest).
    Deliver,
    /// A silence mutes it: stored as `silenced`, never sent.
    Silenced(SilenceId),
    /// The route's quiet hours hold it until then (never for critical).
    Quiet { until: DateTime<Utc> },
    /// A spike of its brand is firing (`inhibit.rs`): stored as
    /// `inhibited`, never sent.
    Inhibited,
}

impl Router {
    pub fn new(routes: &[RouteSettings]) -> Self {
        Router { routes: routes.to_vec() }
    }

    /// One delivery per receiver the alert reaches (the first route to
    /// name a receiver decides for it), with its state at `now`.
    pub fn decide(&self, labels: &Labels, now: DateTime<Utc>, silences: &[Silence]) -> Vec<Delivery> {
        let mut matched = Vec::new();
        walk(&self.routes, labels, 0, &mut matched, &mut |_| {});
        let silence = silences.iter().find(|s| s.mutes(labels, now)).map(|s| s.id);
        let mut out: Vec<Delivery> = Vec::new();
        for route in matched {
            let quiet = match (labels.urgency, &route.quiet_hours) {
                (Urgency::Critical, _) => None,
                (_, q) if q.is_empty() => None,
                (_, q) => quiet_until(q, now),
            };
            let state = match (silence, quiet) {
                (Some(id), _) => DeliveryState::Silenced(id),
                (None, Some(until)) => DeliveryState::Quiet { until },
                (None, None) => DeliveryState::Deliver,
            };
            let group = route.grouping.as_ref().map(|g| Group {
                key: g.key(&route.path, labels),
                wait: g.wait,
                interval: g.interval,
                repeat: g.repeat,
            });
            for receiver in &route.receivers {
                if out.iter().any(|d| &d.receiver == receiver) {
                    continue;
                }
                out.push(Delivery {
                    receiver: receiver.clone(),
                    route: route.path.clone(),
                    group: group.clone(),
                    state,
                });
            }
        }
        out
    }

    /// The receivers the alert reaches, each once, ignoring silences and
    /// quiet hours.
    pub fn receivers_for(&self, labels: &Labels) -> Vec<ReceiverName> {
        let mut matched = Vec::new();
        walk(&self.routes, labels, 0, &mut matched, &mut |_| {});
        let mut out: Vec<ReceiverName> = Vec::new();
        for r in matched.iter().flat_map(|r| r.receivers.iter()) {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }

    /// Receivers for a source health alert at `level`. Kept while callers
    /// move to `receivers_for(&Labels::system(kind, level))`.
    pub fn receivers_for_system(&self, level: Urgency) -> Vec<ReceiverName> {
        self.receivers_for(&Labels::system(Labels::SOURCE_HEALTH, level))
    }

    /// Which routes an alert with `labels` takes and why: every route
    /// visited with the matcher that failed, then the deliveries.
    pub fn explain(&self, labels: &Labels, now: DateTime<Utc>, silences: &[Silence]) -> String {
        let mut out = format!("alert: {labels}\n");
        let mut matched = Vec::new();
        walk(&self.routes, labels, 0, &mut matched, &mut |step| {
            let _ = match step {
                Step::Visit { route, depth, failed } => {
                    let pad = "  ".repeat(depth + 1);
                    match failed {
                        None => writeln!(out, "{pad}{} matches ({})", route.path, tree::describe(route)),
                        Some(i) => writeln!(out, "{pad}{} no: {} does not hold", route.path, route.matchers[i]),
                    }
                }
                Step::Stop { depth } => {
                    writeln!(out, "{}(no continue: later siblings not tried)", "  ".repeat(depth + 2))
                }
            };
        });
        let deliveries = self.decide(labels, now, silences);
        if deliveries.is_empty() {
            out.push_str("no route takes it: nobody is alerted\n");
        }
        for d in deliveries {
            let _ = write!(out, "-> {} via {}", d.receiver, d.route);
            if let Some(g) = &d.group {
                let _ = write!(out, ", group {}", g.key);
            }
            let _ = match d.state {
                DeliveryState::Deliver => writeln!(out, ", deliver"),
                DeliveryState::Silenced(id) => writeln!(out, ", silenced by silence {}", id.0),
                DeliveryState::Quiet { until } => writeln!(out, ", held for quiet hours until {}", until.to_rfc3339()),
                DeliveryState::Inhibited => writeln!(out, ", inhibited by a spike of its brand"),
            };
        }
        out
    }

    /// The tree, for `earshot check-config`.
    pub fn render(&self) -> String {
        render(&self.routes, "")
    }
}
