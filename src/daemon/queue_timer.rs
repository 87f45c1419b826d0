//! The queue's clock: every `queue.tick`, [`Context::queue_tick`] escalates
//! the items whose acknowledge or resolve SLA has newly passed (an
//! `SlaBreach` alert through the router, once per breach), sends the
//! follow-up reminders that are due (a `FollowUp` alert, once per resolve)
//! and refreshes the queue gauges.
//!
//! `queue_tick(now)` is the one function a tick runs; it reads no clock,
//! so tests drive it with any time, and the loop ([`run`]) gives it the
//! wall time as moved by tokio's clock (paused in tests). Escalating twice
//! is impossible by construction: the store records a breach or a reminder
//! once, and only that first record writes alerts. In a cluster only the
//! holder of the `timer:queue` lease ticks.
//!
//! Tests: `store/tests/sla.rs` (the store's half, both backends),
//! `tests/it/sla.rs` (escalation through routes to fake Slack) and the
//! paused-clock loop test below.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::Context;
use crate::domain::Platform;
use crate::queue::sla::{allowance, Cutoffs, SlaKind};
use crate::routing::Labels;
use crate::sinks::queue_alerts::{excerpt, EXCERPT_CHARS};
use crate::sinks::{FollowUpAlert, ItemRef, Notification, SlaBreachAlert};
use crate::store::{DueItem, Escalation, StoreError};
use crate::telemetry::BreachLabel;

/// Items handled per query; a tick pages on until none are left.
const PAGE: u32 = 100;

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub ack_breaches: u64,
    pub resolve_breaches: u64,
    pub follow_ups: u64,
}

impl Context {
    /// One pass of the queue's clock at `now` (see the module doc).
    pub async fn queue_tick(&self, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        for kind in SlaKind::ALL {
            let cutoffs = Cutoffs::at(&self.settings.queue, kind, now);
            let n = self.escalate_all(|| self.store.sla_due(&cutoffs, PAGE), |due| self.breach(due, kind), now).await?;
            match kind {
                SlaKind::Ack => report.ack_breaches = n,
                SlaKind::Resolve => report.resolve_breaches = n,
            }
        }
        let follow_up_after =
            chrono::Duration::from_std(self.settings.queue.follow_up_after).unwrap_or(chrono::Duration::MAX);
        let resolved_before = now.checked_sub_signed(follow_up_after).unwrap_or(DateTime::<Utc>::MIN_UTC);
        report.follow_ups = self
            .escalate_all(|| self.store.follow_ups_due(resolved_before, PAGE), |due| self.follow_up(due), now)
            .await?;
        self.metrics.queue_follow_up_reminders.inc_by(report.follow_ups);
        let depth = self.store.queue_depth().await?;
        self.metrics.queue_depth(&depth, now);
        Ok(report)
    }

    /// Escalates every item `due` returns, page by page, until a page
    /// escalates nothing new. Returns how many were escalated.
    async fn escalate_all<D, Fut>(
        &self,
        due: D,
        build: impl Fn(&DueItem) -> Result<(Escalation, Notification), StoreError>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>
    where
        D: Fn() -> Fut,
        Fut: Future<Output = Result<Vec<DueItem>, StoreError>>,
    {
        let mut escalated = 0;
        loop {
            let page = due().await?;
            let mut fresh = 0;
            for item in &page {
                let (esc, n) = build(item)?;
                let labels = Labels::system(n.kind(), n.level()).brand(&item.item.brand).platform(&item.platform);
                let deliveries = self.route(&labels, now).await?;
                if deliveries.is_empty() {
                    tracing::warn!(item = item.item.id.0, brand = %item.item.brand, alert = n.kind(), "no route takes this queue alert; recorded only");
                }
                let Some(routed) = self.store.queue_escalate(&item.item, &esc, &deliveries, &n, now).await? else {
                    continue;
                };
                fresh += 1;
                self.metrics.routed(&routed);
                if let Escalation::Breach { kind, .. } = esc {
                    self.metrics
                        .queue_sla_breaches
                        .get_or_create(&BreachLabel {
                            kind: kind.as_str().into(),
                            urgency: item.item.level.as_str().into(),
                        })
                        .inc();
                }
                tracing::warn!(item = item.item.id.0, brand = %item.item.brand, alert = n.kind(), deliveries = deliveries.len(), "queue alert raised");
            }
            escalated += fresh;
            if page.len() < PAGE as usize || fresh == 0 {
                return Ok(escalated);
            }
        }
    }

    fn breach(&self, due: &DueItem, kind: SlaKind) -> Result<(Escalation, Notification), StoreError> {
        let item = &due.item;
        let allowed = chrono::Duration::from_std(allowance(&self.settings.queue, item.level, kind))
            .unwrap_or(chrono::Duration::MAX);
        let deadline = item.sla_since.checked_add_signed(allowed).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let esc = Escalation::Breach { kind, cycle_start: item.sla_since, deadline };
        let n = Notification::SlaBreach(SlaBreachAlert {
            item: item_ref(due)?,
            breach: kind,
            since: item.sla_since,
            deadline,
        });
        Ok((esc, n))
    }

    fn follow_up(&self, due: &DueItem) -> Result<(Escalation, Notification), StoreError> {
        let resolved_at = due.item.resolved_at.unwrap_or(due.item.updated_at);
        let n = Notification::FollowUp(FollowUpAlert { item: item_ref(due)?, resolved_at, outcome: due.item.outcome });
        Ok((Escalation::FollowUpReminder, n))
    }
}

fn item_ref(due: &DueItem) -> Result<ItemRef, StoreError> {
    let i = &due.item;
    Ok(ItemRef {
        item: i.id,
        mention_id: i.mention_id,
        brand: crate::domain::BrandName::new(i.brand.clone()),
        level: i.level,
        state: i.state,
        assignee: i.assignee.clone(),
        platform: Platform::parse(&due.platform)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown platform {:?}", due.platform)))?,
        author: due.author.clone(),
        url: due.url.clone(),
        excerpt: excerpt(&due.text, EXCERPT_CHARS),
    })
}

/// Wall time that moves with tokio's clock: anchored once, then advanced
/// by tokio's `Instant`, so a paused test clock moves it too.
#[derive(Debug, Clone, Copy)]
pub struct TimerClock {
    wall: DateTime<Utc>,
    instant: tokio::time::Instant,
}

impl TimerClock {
    pub fn starting_at(wall: DateTime<Utc>) -> Self {
        TimerClock { wall, instant: tokio::time::Instant::now() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.instant.elapsed()).unwrap_or(chrono::Duration::MAX);
        self.wall.checked_add_signed(elapsed).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// Calls `tick` with the clock's time at once and then every `every`,
/// until `stop`; a tick in progress finishes first. A slow tick delays the
/// next one rather than bunching them up.
pub async fn every<F, Fut>(every: Duration, clock: TimerClock, stop: CancellationToken, mut tick: F)
where
    F: FnMut(DateTime<Utc>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = interval.tick() => tick(clock.now()).await,
        }
    }
}

/// The lease whose holder runs the queue clock (one replica per cluster).
pub const QUEUE_LEASE: &str = "timer:queue";

/// The daemon's queue clock for one generation; ticks only on the replica
/// holding [`QUEUE_LEASE`].
pub(super) async fn run(ctx: Arc<Context>, stop: CancellationToken) {
    let clock = TimerClock::starting_at(Utc::now());
    every(ctx.settings.queue.tick, clock, stop, |now| {
        let ctx = ctx.clone();
        async move {
            // With several replicas, only the lease holder runs the clock.
            if !ctx.leases.is_leader(QUEUE_LEASE).await {
                return;
            }
            match ctx.queue_tick(now).await {
                Ok(r) if r != TickReport::default() => tracing::info!(
                    ack_breaches = r.ack_breaches,
                    resolve_breaches = r.resolve_breaches,
                    follow_ups = r.follow_ups,
                    "queue clock escalated"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "queue clock tick failed; retrying next tick"),
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::TimeZone;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_loop_ticks_at_once_then_every_period_with_tokio_time() {
        let start = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let (seen, stop) = (seen.clone(), stop.clone());
            every(Duration::from_secs(30), TimerClock::starting_at(start), stop, move |now| {
                seen.lock().unwrap().push(now);
                async {}
            })
        });
        tokio::time::sleep(Duration::from_secs(95)).await;
        stop.cancel();
        task.await.unwrap();
        let secs: Vec<i64> = seen.lock().unwrap().iter().map(|t| (*t - start).num_seconds()).collect();
        assert_eq!(secs, [0, 30, 60, 90]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_tick_delays_the_next_one_and_stop_waits_for_it() {
        let start = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let (seen, stop) = (seen.clone(), stop.clone());
            every(Duration::from_secs(10), TimerClock::starting_at(start), stop, move |now| {
                let seen = seen.clone();
                async move {
                    tokio::time::sleep(Duration::from_secs(25)).await;
                    seen.lock().unwrap().push(now);
                }
            })
        });
        tokio::time::sleep(Duration::from_secs(60)).await;
        stop.cancel();
        task.await.unwrap();
        let secs: Vec<i64> = seen.lock().unwrap().iter().map(|t| (*t - start).num_seconds()).collect();
        assert_eq!(secs, [0, 25, 50], "no burst of missed ticks; the tick at 50s finished before stopping");
    }
}
