//! When sources poll: one tokio-cron-scheduler job per source (`every` or
//! `cron`), plus one poll at start for `every` sources. A tick never
//! overlaps a running poll of the same source, respects the source's
//! backoff after errors (the platform's Retry-After, else exponential), and
//! adds a little jitter so sources with equal intervals spread out. With
//! several replicas, a tick polls only on the replica holding the source's
//! lease (`source:NAME`, see `leases.rs`); the others skip it, and take
//! over when the holder stops renewing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::health::Health;
use super::{Context, PollError};
use crate::config::Schedule;
use crate::sources::SourceError;

/// The longest a failing source waits between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// The first wait after a failure that named no wait of its own.
const BASE_BACKOFF: Duration = Duration::from_secs(5);
/// A poll that failed on the database (connection lost, a write refused)
/// retries sooner and never waits longer than this: the platform did
/// nothing wrong, and the work resumes as soon as the database is back.
const MAX_STORE_BACKOFF: Duration = Duration::from_secs(30);

/// Per-source run state: whether a poll is in flight, and until when the
/// source is backing off.
#[derive(Debug, Default)]
pub struct SourceState {
    running: tokio::sync::Mutex<()>,
    backoff: Mutex<Backoff>,
    /// Last success, failures in a row, silent alert raised (see `health`).
    pub(super) health: Mutex<Health>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Backoff {
    until: Option<Instant>,
    failures: u32,
}

impl SourceState {
    /// A snapshot of the source's health.
    pub fn health(&self) -> Health {
        self.health.lock().map(|h| h.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    fn backing_off(&self) -> bool {
        let b = self.backoff.lock().map(|b| *b).unwrap_or_default();
        b.until.is_some_and(|u| Instant::now() < u)
    }

    fn record(&self, result: &Result<super::PollReport, PollError>) -> Option<Duration> {
        let mut b = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(report) => {
                // A source near its rate limit asks to wait before the next poll.
                *b = Backoff { until: report.throttle.map(|t| Instant::now() + t), failures: 0 };
                None
            }
            Err(e) => {
                b.failures = b.failures.saturating_add(1);
                let doubling = 2u32.saturating_pow(b.failures.saturating_sub(1).min(16));
                let wait = match e {
                    PollError::Source(SourceError::RateLimited { retry_after }) => *retry_after,
                    PollError::Store(_) => Duration::from_secs(1).saturating_mul(doubling).min(MAX_STORE_BACKOFF),
                    _ => BASE_BACKOFF.saturating_mul(doubling),
                }
                .min(MAX_BACKOFF);
                b.until = Some(Instant::now() + wait);
                Some(wait)
            }
        }
    }
}

/// Starts one job per source, and an immediate poll for the `every`
/// sources that `poll_now` names.
pub(super) async fn start(
    ctx: Arc<Context>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    poll_now: &(dyn Fn(&crate::domain::SourceName) -> bool + Sync),
) -> anyhow::Result<JobScheduler> {
    let sched = JobScheduler::new().await?;
    for (idx, handle) in ctx.sources.iter().enumerate() {
        let (c, k, t) = (ctx.clone(), cancel.clone(), tracker.clone());
        let run = move |_id, _sched| -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
            trigger(&c, idx, &k, &t);
            Box::pin(async {})
        };
        let job = match &handle.settings.schedule {
            Schedule::Every(d) => Job::new_repeated_async(*d, run)?,
            Schedule::Cron(expr) => Job::new_async(expr.as_str(), run)?,
        };
        sched.add(job).await?;
        if matches!(handle.settings.schedule, Schedule::Every(_)) && poll_now(&handle.settings.name) {
            trigger(&ctx, idx, &cancel, &tracker);
        }
    }
    sched.start().await?;
    Ok(sched)
}

pub(super) async fn stop(mut sched: JobScheduler) {
    if let Err(e) = sched.shutdown().await {
        tracing::warn!(error = %e, "scheduler did not shut down cleanly");
    }
}

/// Spawns one poll of source `idx` unless it is running or backing off.
fn trigger(ctx: &Arc<Context>, idx: usize, cancel: &CancellationToken, tracker: &TaskTracker) {
    if cancel.is_cancelled() || tracker.is_closed() {
        return;
    }
    let handle = &ctx.sources[idx];
    let name = &handle.settings.name;
    if handle.state.backing_off() {
        tracing::debug!(source = %name, "tick skipped: source is backing off");
        return;
    }
    let Ok(guard) = handle.state.running.try_lock() else {
        tracing::debug!(source = %name, "tick skipped: previous poll still running");
        return;
    };
    drop(guard);
    let jitter = jitter_for(&handle.settings.schedule);
    let (ctx, cancel) = (ctx.clone(), cancel.clone());
    tracker.spawn(async move {
        let handle = &ctx.sources[idx];
        let Ok(_running) = handle.state.running.try_lock() else { return };
        let name = &handle.settings.name;
        // With several replicas, only the lease holder polls a source.
        if !ctx.leases.is_leader(&super::source_lease(name.as_str())).await {
            tracing::debug!(source = %name, "tick skipped: another replica holds the source's lease");
            return;
        }
        let poll = async {
            tokio::time::sleep(jitter).await;
            ctx.poll_source(name).await
        };
        // Cancelling mid-poll loses nothing: the cursor only moves in the
        // transaction that stores the posts.
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            r = poll => r,
        };
        if let Some(wait) = handle.state.record(&result) {
            if let Err(e) = &result {
                tracing::warn!(source = %name, error = %e, retry_in = %humantime::format_duration(wait), "poll failed; nothing stored, cursor unchanged");
            }
        }
    });
}

fn jitter_for(schedule: &Schedule) -> Duration {
    match schedule {
        Schedule::Every(d) => {
            let max = (*d / 10).min(Duration::from_secs(5));
            if max.is_zero() {
                Duration::ZERO
            } else {
                rand::thread_rng().gen_range(Duration::ZERO..max)
            }
        }
        Schedule::Cron(_) => Duration::ZERO,
    }
}
