//! One generation of running tasks for one [`Context`]: a delivery worker
//! per receiver, the spike timer, the queue clock and a scheduler job per
//! source. Start-up starts the first generation; a reload stops the old
//! one (in-flight polls finish and
//! commit, each worker finishes the message in hand) and starts the next.

use std::sync::Arc;
use std::time::Duration;

use tokio_cron_scheduler::JobScheduler;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{scheduler, spikes, Context};
use crate::domain::SourceName;

pub(super) struct Generation {
    pub ctx: Arc<Context>,
    scheduler: JobScheduler,
    /// Cancels polls (only at shutdown: a reload lets them finish).
    polls: CancellationToken,
    /// Stops the delivery workers and the queue clock (at shutdown and
    /// on reload: the next generation runs its own).
    deliveries: CancellationToken,
    tracker: TaskTracker,
}

impl Generation {
    /// Starts workers and scheduler jobs; `poll_now` names the sources that
    /// poll at once (all at start-up; only the new ones after a reload).
    pub async fn start(
        ctx: Arc<Context>,
        poll_now: &(dyn Fn(&SourceName) -> bool + Sync),
    ) -> anyhow::Result<Generation> {
        let tracker = TaskTracker::new();
        let polls = CancellationToken::new();
        let deliveries = CancellationToken::new();
        for (name, _) in &ctx.sinks {
            let (ctx, name, stop) = (ctx.clone(), name.clone(), deliveries.clone());
            tracker.spawn(async move {
                if let Some(worker) = ctx.worker(&name) {
                    worker.run(stop).await;
                }
            });
        }
        let (spike_ctx, stop) = (ctx.clone(), deliveries.clone());
        tracker.spawn(spikes::run(spike_ctx, stop));
        {
            let (ctx, stop) = (ctx.clone(), deliveries.clone());
            tracker.spawn(super::queue_timer::run(ctx, stop));
        }
        let scheduler = scheduler::start(ctx.clone(), polls.clone(), tracker.clone(), poll_now).await?;
        Ok(Generation { ctx, scheduler, polls, deliveries, tracker })
    }

    /// Stops this generation. With `cancel_polls` (shutdown) in-flight polls
    /// are abandoned, which loses nothing since their cursor never moved;
    /// otherwise (reload) they finish. Waits at most `drain`.
    pub async fn stop(self, cancel_polls: bool, drain: Duration) {
        scheduler::stop(self.scheduler).await;
        if cancel_polls {
            self.polls.cancel();
        }
        self.deliveries.cancel();
        self.tracker.close();
        if tokio::time::timeout(drain, self.tracker.wait()).await.is_err() {
            tracing::warn!(
                timeout = %humantime::format_duration(drain),
                "drain timeout reached; unfinished deliveries stay in the outbox"
            );
        }
    }
}
