//! Outbox workers: claim due rows for one receiver, hand each to its
//! [`Sink`], then mark it sent, reschedule it with backoff (or at the
//! receiver's own Retry-After), or give it up. Retry decisions live here
//! and nowhere else.
//!
//! One worker per receiver, delivering in order, so a slow or dead Slack
//! webhook never holds up another receiver. [`deliver_due`] is one round,
//! public so tests drive delivery without timers.
//!
//! Tests: `tests/it/delivery.rs` (fake Slack: 429, 5xx, permanent errors).

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::config::DeliverySettings;
use crate::domain::ReceiverName;
use crate::sinks::{DeliveryId, Notification, Sink, SinkError};
use crate::store::{Store, StoreError};
use crate::telemetry::{Metrics, ReceiverOutcome};

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: u32,
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
}

/// Everything a worker needs, borrowed from the daemon.
#[derive(Debug, Clone, Copy)]
pub struct Worker<'a> {
    pub store: &'a Store,
    pub receiver: &'a ReceiverName,
    pub sink: &'a dyn Sink,
    pub cfg: &'a DeliverySettings,
    pub metrics: &'a Metrics,
    /// Bumped when new rows were committed: a round starts at once.
    pub wake: &'a tokio::sync::watch::Sender<u64>,
}

impl Worker<'_> {
    /// One round: claim due rows and deliver them in order. Stops early,
    /// giving untried rows back, once `cancel` fires or half the claim's
    /// lease has gone (slow sends must not outlive the claim).
    pub async fn deliver_due(&self, cancel: &CancellationToken) -> Result<DeliveryReport, StoreError> {
        self.flush_groups().await?;
        let claimed = tokio::time::Instant::now();
        let rows = self.store.claim_due(self.receiver, Utc::now(), self.cfg.batch, self.cfg.lease).await?;
        let mut report = DeliveryReport { claimed: rows.len() as u32, ..Default::default() };
        let mut rows = rows.into_iter();
        for row in rows.by_ref() {
            let n: Notification = match serde_json::from_str(&row.payload) {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(receiver = %self.receiver, outbox_id = row.id.0, error = %e, "outbox row cannot be decoded; giving it up");
                    self.store.mark_failed(row.id, Utc::now(), &format!("undecodable payload: {e}")).await?;
                    report.failed += 1;
                    continue;
                }
            };
            match self.sink.deliver(DeliveryId(row.id.0), &n).await {
                Ok(()) => {
                    self.mark_sent(row.id, claimed, cancel).await?;
                    self.metrics.delivery(self.receiver.as_str(), "sent");
                    let latency = (Utc::now() - row.created_at).to_std().unwrap_or_default();
                    self.metrics.delivery_latency.observe(latency.as_secs_f64());
                    report.sent += 1;
                    tracing::info!(receiver = %self.receiver, outbox_id = row.id.0, subject = %n.subject(), level = %n.level(), "alert delivered");
                }
                Err(SinkError::Permanent { code, reason }) => {
                    self.store.mark_failed(row.id, Utc::now(), &reason).await?;
                    self.metrics.delivery(self.receiver.as_str(), "failed");
                    self.metrics.permanent_failure(self.receiver.as_str(), &code);
                    report.failed += 1;
                    tracing::error!(receiver = %self.receiver, outbox_id = row.id.0, reason = %code, error = %reason, "delivery failed permanently; not retrying");
                }
                Err(SinkError::Retryable { after, reason }) => {
                    let attempt = row.attempts + 1;
                    if attempt >= self.cfg.max_attempts {
                        self.store.mark_failed(row.id, Utc::now(), &reason).await?;
                        self.metrics.delivery(self.receiver.as_str(), "failed");
                        report.failed += 1;
                        tracing::error!(receiver = %self.receiver, outbox_id = row.id.0, attempts = attempt, error = %reason, "delivery gave up after max attempts");
                    } else {
                        let wait = after.unwrap_or_else(|| backoff(self.cfg, attempt));
                        self.store.retry_later(row.id, due_after(wait), &reason).await?;
                        self.metrics.delivery(self.receiver.as_str(), "retry");
                        report.retried += 1;
                        tracing::warn!(receiver = %self.receiver, outbox_id = row.id.0, attempt, retry_in = %humantime::format_duration(wait), error = %reason, "delivery failed; will retry");
                    }
                }
            }
            // Past half the claim's lease the rest goes back: sending it
            // later could race another worker that claims it once it lapses.
            if cancel.is_cancelled() || claimed.elapsed() >= self.cfg.lease / 2 {
                break;
            }
        }
        for row in rows {
            self.store.release(row.id).await?;
        }
        Ok(report)
    }

    /// Marks a delivered row sent, retrying while the database is out of
    /// reach (a lost connection): the receiver already has the message, and
    /// a row left claimed would be sent again once its claim lapses. Tries
    /// for at most half the claim's lease from `claimed`, or until `cancel`.
    async fn mark_sent(
        &self,
        id: crate::store::OutboxId,
        claimed: tokio::time::Instant,
        cancel: &CancellationToken,
    ) -> Result<(), StoreError> {
        let deadline = claimed + self.cfg.lease / 2;
        let mut wait = Duration::from_millis(50);
        loop {
            match self.store.mark_sent(id, Utc::now()).await {
                Ok(()) => return Ok(()),
                Err(e) if !cancel.is_cancelled() && tokio::time::Instant::now() + wait < deadline => {
                    tracing::warn!(receiver = %self.receiver, outbox_id = id.0, error = %e, "cannot mark a delivered alert sent; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Folds this receiver's due groups into digest rows, which this
    /// round then claims like any other row.
    async fn flush_groups(&self) -> Result<(), StoreError> {
        let flushed = self.store.flush_groups(self.receiver, Utc::now()).await?;
        for (outcome, n) in [("digest", flushed.digests), ("folded", flushed.folded), ("single", flushed.singles)] {
            if n > 0 {
                let label = ReceiverOutcome { receiver: self.receiver.to_string(), outcome: outcome.into() };
                self.metrics.delivery_groups.get_or_create(&label).inc_by(n);
            }
        }
        if flushed.digests > 0 {
            tracing::info!(receiver = %self.receiver, digests = flushed.digests, alerts = flushed.folded, "groups folded into digests");
        }
        Ok(())
    }

    /// Delivers until `cancel` fires: a round every `interval`, at once
    /// when `wake` is bumped (a poll committed alerts), or at once again
    /// when a round was full. The round in flight when `cancel` fires
    /// finishes its current message (the daemon bounds this by
    /// `drain_timeout`).
    pub async fn run(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(self.cfg.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Rounds failed in a row (the database is away): logged once, and
        // the next round waits longer, up to STORE_RETRY_MAX.
        let mut failing: u32 = 0;
        let mut woken = self.wake.subscribe();
        loop {
            let pause = if failing == 0 {
                Duration::ZERO
            } else {
                self.cfg.interval.saturating_mul(2u32.saturating_pow(failing.min(16))).min(STORE_RETRY_MAX)
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = async { tick.tick().await; tokio::time::sleep(pause).await } => {}
                _ = woken.changed(), if failing == 0 => {}
            }
            loop {
                match self.deliver_due(&cancel).await {
                    Ok(r) => {
                        if failing > 0 {
                            tracing::info!(receiver = %self.receiver, "outbox reachable again");
                            failing = 0;
                        }
                        if r.claimed >= self.cfg.batch && !cancel.is_cancelled() {
                            continue;
                        }
                        break;
                    }
                    Err(e) => {
                        if failing == 0 {
                            tracing::error!(receiver = %self.receiver, error = %e, "outbox round failed; will retry");
                        } else {
                            tracing::debug!(receiver = %self.receiver, error = %e, "outbox round failed again");
                        }
                        failing = failing.saturating_add(1);
                        break;
                    }
                }
            }
        }
    }
}

/// The longest a worker waits between rounds while the database fails.
const STORE_RETRY_MAX: Duration = Duration::from_secs(5);

/// Exponential backoff with full jitter in [d/2, d], capped at `backoff_max`.
pub fn backoff(cfg: &DeliverySettings, attempt: u32) -> Duration {
    let exp = cfg.backoff_base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(20)));
    let capped = exp.min(cfg.backoff_max);
    let jitter = rand::thread_rng().gen_range(0.5..=1.0);
    capped.mul_f64(jitter)
}

fn due_after(wait: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let cfg = DeliverySettings {
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            ..DeliverySettings::default()
        };
        for _ in 0..50 {
            let d1 = backoff(&cfg, 1);
            assert!(d1 >= Duration::from_secs(1) && d1 <= Duration::from_secs(2), "{d1:?}");
            let d3 = backoff(&cfg, 3);
            assert!(d3 >= Duration::from_secs(4) && d3 <= Duration::from_secs(8), "{d3:?}");
            let d30 = backoff(&cfg, 30);
            assert!(d30 >= Duration::from_secs(30) && d30 <= Duration::from_secs(60), "{d30:?}");
        }
    }

    /// Records what it is handed.
    #[derive(Debug, Default)]
    struct Recorder(std::sync::Mutex<Vec<String>>);

    #[async_trait::async_trait]
    impl Sink for Recorder {
        async fn deliver(&self, _id: crate::sinks::DeliveryId, n: &Notification) -> Result<(), SinkError> {
            self.0.lock().unwrap().push(n.subject().to_string());
            Ok(())
        }
    }

    fn health_alert(source: &str) -> Notification {
        Notification::SourceHealth(crate::sinks::SourceHealthAlert {
            source: crate::domain::SourceName::new(source),
            platform: crate::domain::Platform::Hackernews,
            recovered: false,
            last_success: None,
            failing_since: Utc::now(),
            consecutive_failures: 3,
            last_error: "timeout".into(),
        })
    }

    #[tokio::test]
    async fn a_bumped_wake_delivers_before_the_next_tick() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/w.db", dir.path().display())).await.unwrap();
        store.migrate().await.unwrap();
        let receiver = ReceiverName::new("team");
        let sink = Recorder::default();
        // Only the first tick (at once) falls inside the test.
        let cfg = DeliverySettings { interval: Duration::from_secs(3600), ..DeliverySettings::default() };
        let metrics = Metrics::new();
        let wake = tokio::sync::watch::Sender::new(0u64);
        let worker =
            Worker { store: &store, receiver: &receiver, sink: &sink, cfg: &cfg, metrics: &metrics, wake: &wake };
        let cancel = CancellationToken::new();
        let delivered = |n: usize| {
            let sink = &sink;
            async move {
                let bound = std::time::Instant::now() + Duration::from_secs(10);
                while sink.0.lock().unwrap().len() < n {
                    assert!(std::time::Instant::now() < bound, "{n} deliveries within 10 s");
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        // The first round (the immediate tick) delivers what is due.
        store.enqueue(std::slice::from_ref(&receiver), &health_alert("first"), Utc::now()).await.unwrap();
        let run = worker.run(cancel.clone());
        let drive = async {
            delivered(1).await;
            // The next tick is an hour away: only the wake can deliver this.
            store.enqueue(std::slice::from_ref(&receiver), &health_alert("second"), Utc::now()).await.unwrap();
            wake.send_modify(|n| *n += 1);
            delivered(2).await;
            cancel.cancel();
        };
        tokio::join!(run, drive);
        assert_eq!(sink.0.lock().unwrap().len(), 2);
    }
}
