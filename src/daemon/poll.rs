//! One poll of one source, end to end: read the stored cursor, poll the
//! platform, turn posts into scored mentions, route them, and commit
//! mentions + cursor + outbox rows + queue items in one transaction.
//!
//! [`Context::poll_source`] is public so tests and `earshot demo` drive
//! polls directly, without waiting for the scheduler.

use chrono::Utc;

use super::health::Outcome;
use super::Context;
use crate::domain::{Mention, SourceName};
use crate::routing::inhibit::Inhibitor;
use crate::routing::Labels;
use crate::sinks::Notification;
use crate::sources::{Batch, PollContext, SourceError};
use crate::store::{CommitReport, NewMention, PollCommit, RoutedReport, StoreError};
use crate::telemetry::{BrandLabel, Metrics, SourceLabel, Stage, StageLabel};

/// What one successful poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub posts: u64,
    pub pages: u32,
    pub commit: CommitReport,
    /// The source asked to wait this long before its next poll.
    pub throttle: Option<std::time::Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("no source named {0:?}")]
    UnknownSource(String),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("cannot store the poll: {0}")]
    Store(#[from] StoreError),
}

impl PollError {
    /// Stable, bounded label for metrics and health.
    pub fn kind(&self) -> &'static str {
        match self {
            PollError::UnknownSource(_) => "unknown_source",
            PollError::Source(e) => e.kind(),
            PollError::Store(_) => "store",
        }
    }
}

impl Context {
    /// Polls `name` once and stores what it read (see the module doc).
    pub async fn poll_source(&self, name: &SourceName) -> Result<PollReport, PollError> {
        let handle = self.source(name).ok_or_else(|| PollError::UnknownSource(name.to_string()))?;
        let cursor = self.store.cursor(name).await?;
        let cx = self.poll_context(&handle.settings);
        let result = match handle.source.poll(&cx, cursor.as_ref()).await {
            Ok(batch) => {
                let stored = self.store_batch(name, &batch).await;
                self.leases.record_commit(stored.as_ref().map(|_| ()));
                stored.map_err(PollError::from)
            }
            Err(e) => Err(e.into()),
        };
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::Failed { kind: e.kind(), message: &e.to_string() },
        };
        let throttled = matches!(&result, Ok(r) if r.throttle.is_some())
            || matches!(&result, Err(PollError::Source(SourceError::RateLimited { .. })));
        if throttled {
            self.metrics.rate_limit_waits.get_or_create(&SourceLabel { source: name.to_string() }).inc();
        }
        self.metrics.poll(
            name.as_str(),
            match outcome {
                Outcome::Ok => "ok",
                Outcome::Failed { kind, .. } => kind,
            },
        );
        self.record_health(handle, outcome).await;
        result
    }

    /// Updates the source's health and metrics; raises a silent or
    /// recovered alert through the router when one is due.
    async fn record_health(&self, handle: &super::SourceHandle, outcome: Outcome<'_>) {
        let now = Utc::now();
        let (alert, health) = {
            let mut h = handle.state.health.lock().unwrap_or_else(|p| p.into_inner());
            (h.record(&handle.settings, handle.source.platform(), outcome, now), h.clone())
        };
        let label = SourceLabel { source: handle.settings.name.to_string() };
        self.metrics.source_failures.get_or_create(&label).set(i64::from(health.consecutive_failures));
        if let Some(t) = health.last_success {
            self.metrics.source_last_success.get_or_create(&label).set(t.timestamp());
        }
        let Some(alert) = alert else { return };
        let n = Notification::SourceHealth(alert);
        let source = &handle.settings.name;
        let labels = Labels::system(Labels::SOURCE_HEALTH, n.level()).source(source).platform(handle.source.platform());
        match self.raise(&labels, &n, now).await {
            Ok(r) if r == RoutedReport::default() => {}
            Ok(_) => tracing::warn!(source = %source, alert = ?n.level(), "source health alert queued"),
            Err(e) => tracing::error!(source = %source, error = %e, "cannot queue the source health alert"),
        }
    }

    fn poll_context(&self, settings: &crate::config::SourceSettings) -> PollContext {
        PollContext {
            source: settings.name.clone(),
            http: self.http.clone(),
            queries: settings.queries.as_deref().map(Into::into).unwrap_or_else(|| self.default_queries.clone()),
            now: Utc::now(),
            backfill: settings.backfill,
        }
    }

    /// Matches, scores, routes and commits a batch; also used for pushed
    /// posts (with no cursor).
    pub async fn store_batch(&self, source: &SourceName, batch: &Batch) -> Result<PollReport, StoreError> {
        let now = Utc::now();
        let stage = StageClock::start(&self.metrics);
        // The history reads, beside the silences and spikes (held for a
        // second, `routing_state.rs`).
        let (prior, (silences, spiking)) =
            tokio::try_join!(self.prior_reads(&batch.posts, now), self.routing_state.read(&self.store, now))?;
        let stage = stage.next(Stage::Reads);
        // A page takes milliseconds to score: its worker hands its other
        // tasks (another source's commit) over first.
        let scored: Vec<(usize, Mention)> = crate::blocking::hold_thread(|| {
            let each = batch.posts.iter().enumerate().flat_map(|(i, post)| {
                let started = std::time::Instant::now();
                let mentions = self.pipeline.process_with(post, &prior.history(post));
                self.metrics.scoring_duration.observe(started.elapsed().as_secs_f64());
                mentions.into_iter().map(move |m| (i, m))
            });
            each.collect()
        });
        let stage = stage.next(Stage::Scoring);
        let inhibitor = Inhibitor::new(spiking);
        let mentions = scored
            .iter()
            .map(|(i, m)| {
                let labels = Labels::for_mention(source, &batch.posts[*i], m);
                let mut deliveries = self.router.decide(&labels, now, &silences);
                inhibitor.apply(m, &mut deliveries);
                NewMention {
                    post: &batch.posts[*i],
                    mention: m,
                    deliveries,
                    open_queue_item: m.score.level >= self.queue_min_urgency,
                    history: Some(prior.customer(&batch.posts[*i], m)),
                }
            })
            .collect();
        let commit = self.store.commit_poll(PollCommit { source, cursor: batch.next.as_ref(), mentions, now }).await?;
        let stage = stage.next(Stage::Commit);
        let risen = self.record_rereads(source, &batch.posts, &scored, &prior, &silences, &inhibitor).await?;
        stage.next(Stage::Rereads);
        self.metrics.routed(&commit.routed);
        if commit.outbox_rows + risen > 0 {
            self.outbox_wake.send_modify(|n| *n = n.wrapping_add(1));
        }

        let label = SourceLabel { source: source.to_string() };
        self.metrics.source_posts.get_or_create(&label).inc_by(batch.posts.len() as u64);
        self.metrics.store_duplicates.get_or_create(&label).inc_by(commit.duplicates);
        for (_, m) in &scored {
            self.metrics.pipeline_mentions.get_or_create(&BrandLabel { brand: m.brand.to_string() }).inc();
        }
        tracing::info!(
            source = %source,
            posts = batch.posts.len(),
            pages = batch.pages,
            new_mentions = commit.inserted,
            duplicates = commit.duplicates,
            alerts_queued = commit.outbox_rows + risen,
            alerts_inhibited = commit.routed.inhibited,
            "poll stored"
        );
        Ok(PollReport { posts: batch.posts.len() as u64, pages: batch.pages, commit, throttle: batch.throttle })
    }
}

/// Times the stages of one batch into `pipeline_stage_duration`: each
/// [`StageClock::next`] records the stage that just ended. A batch that
/// fails records the stages it finished.
struct StageClock<'m> {
    metrics: &'m Metrics,
    since: std::time::Instant,
}

impl<'m> StageClock<'m> {
    fn start(metrics: &'m Metrics) -> Self {
        StageClock { metrics, since: std::time::Instant::now() }
    }

    /// Records `ended` and starts the next stage's clock.
    fn next(self, ended: Stage) -> Self {
        let now = std::time::Instant::now();
        let seconds = now.duration_since(self.since).as_secs_f64();
        self.metrics.stage_duration.get_or_create(&StageLabel { stage: ended.as_str() }).observe(seconds);
        StageClock { metrics: self.metrics, since: now }
    }
}
