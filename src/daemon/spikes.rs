//! The spike timer: [`Context::spike_tick`] counts the negative mentions of
//! every interval completed since the last tick (from the store), feeds
//! each brand's and brand + topic's [`Series`], and queues a spike alert
//! when one starts and a resolved alert when it ends: the series, how far
//! counting got and the alerts are committed together, so a crash recounts
//! and never alerts twice. [`run`] calls the tick on a short timer; a tick
//! with no completed interval does nothing, so running it often is cheap;
//! in a cluster only the holder of the `timer:spikes` lease ticks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::Context;
use crate::domain::{BrandName, Urgency};
use crate::routing::spike::{ratio, Series, Step};
use crate::routing::Labels;
use crate::sinks::{Notification, SpikeAlert};
use crate::store::{NegativeMention, RoutedReport, SeriesRow, StoreError};
use crate::telemetry::SpikeLabel;

/// Mentions stored this close to an interval's end may still be in a
/// commit; the interval is counted once this much later.
const GRACE: Duration = Duration::from_secs(10);
/// After a long stop, at most this many missed intervals are counted.
const MAX_CATCH_UP: i64 = 288;
/// The `kind` label of spike alerts.
pub const SPIKE_KIND: &str = "spike";
/// Examples quoted in a spike alert.
const EXAMPLES: usize = 5;

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SpikeReport {
    pub intervals: u32,
    pub started: u32,
    pub resolved: u32,
    /// The spike alerts' outbox rows, by state.
    pub routed: RoutedReport,
}

type Key = (BrandName, Option<String>);

impl Context {
    /// Counts every interval completed by `now` and not yet counted (see
    /// the module doc).
    pub async fn spike_tick(&self, now: DateTime<Utc>) -> Result<SpikeReport, StoreError> {
        let cfg = &self.settings.spikes;
        if !cfg.enabled {
            return Ok(SpikeReport::default());
        }
        let step_ms = i64::try_from(cfg.interval.as_millis()).unwrap_or(i64::MAX).max(1);
        let grace = chrono::Duration::from_std(GRACE).unwrap_or_default();
        let end_ms = (now - grace).timestamp_millis().div_euclid(step_ms) * step_ms;
        let (counted, rows) = self.store.spike_series().await?;
        let start_ms = match counted.map(|c| c.timestamp_millis()) {
            Some(c) if c >= end_ms => return Ok(SpikeReport::default()),
            Some(c) => c.max(end_ms - MAX_CATCH_UP * step_ms),
            None => end_ms - step_ms,
        };
        let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
        let mentions = self.store.negative_mentions(at(start_ms), at(end_ms)).await?;

        let mut series: BTreeMap<Key, Series> = rows.into_iter().map(|r| ((r.brand, r.topic), r.series)).collect();
        for b in &self.settings.brands {
            series.entry((b.name.clone(), None)).or_default();
        }
        let before: BTreeMap<Key, Option<DateTime<Utc>>> =
            series.iter().map(|(k, s)| (k.clone(), s.firing_since)).collect();
        let mut report = SpikeReport::default();
        let mut from = start_ms;
        while from < end_ms {
            let counts = self.interval_counts(&mentions, at(from), at(from + step_ms));
            for key in counts.keys() {
                series.entry(key.clone()).or_default();
            }
            for ((brand, topic), s) in series.iter_mut() {
                if !self.settings.brands.iter().any(|b| &b.name == brand) {
                    continue; // a brand no longer configured keeps its state
                }
                let count = counts.get(&(brand.clone(), topic.clone())).copied().unwrap_or(0);
                let rule = cfg.rule(brand, topic.as_deref());
                if s.observe(&rule, count, at(from)) == Step::Started {
                    tracing::debug!(brand = %brand, topic = topic.as_deref().unwrap_or(""), count, "spike started");
                }
            }
            from += step_ms;
            report.intervals += 1;
        }

        let mut alerts = Vec::new();
        let mut started = Vec::new();
        let wall = Utc::now();
        let silences = self.active_silences(wall).await?;
        for (key, s) in &series {
            let was = before.get(key).copied().flatten();
            if was.is_some() == s.is_firing() {
                continue;
            }
            let since = s.firing_since.or(was).unwrap_or(at(end_ms));
            let alert = self.spike_alert(key, s, since, cfg.interval, at(end_ms)).await?;
            if s.is_firing() {
                let label = SpikeLabel { brand: key.0.to_string(), topic: key.1.clone().unwrap_or_default() };
                report.started += 1;
                started.push(label);
                tracing::warn!(brand = %key.0, topic = key.1.as_deref().unwrap_or(""), count = alert.count, ratio = alert.ratio, "spike of negative mentions");
            } else {
                report.resolved += 1;
                tracing::info!(brand = %key.0, topic = key.1.as_deref().unwrap_or(""), "spike over");
            }
            // Where the spike went, its end goes too: both route at the
            // spike's own urgency.
            let mut labels = Labels::system(SPIKE_KIND, Urgency::High).brand(&key.0);
            if let Some(t) = &key.1 {
                labels = labels.topic(t);
            }
            let deliveries = self.router.decide(&labels, wall, &silences);
            if deliveries.is_empty() {
                tracing::warn!(brand = %key.0, alert = %labels, "no route takes this spike alert");
            } else {
                alerts.push((deliveries, Notification::Spike(alert)));
            }
        }
        let rows: Vec<SeriesRow> =
            series.into_iter().map(|((brand, topic), series)| SeriesRow { brand, topic, series }).collect();
        // Alerts are due at once, whatever time the tick was asked about.
        let committed = self.store.commit_spikes(counted, at(end_ms), &rows, &alerts, wall).await?;
        // Whatever fired or resolved holds back (or lets through) the next
        // page's alerts at once.
        self.routing_state.forget();
        match committed {
            Some(routed) => {
                self.metrics.routed(&routed);
                report.routed = routed;
            }
            None => {
                tracing::debug!("another spike round counted these intervals first");
                return Ok(SpikeReport::default());
            }
        }
        self.metrics.spikes_firing.set(rows.iter().filter(|r| r.series.is_firing()).count() as i64);
        for label in &started {
            self.metrics.spikes_started.get_or_create(label).inc();
        }
        Ok(report)
    }

    /// Negative mentions per brand (and, with `per_topic`, per brand +
    /// topic) stored in `[from, to)`.
    fn interval_counts(&self, all: &[NegativeMention], from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeMap<Key, u64> {
        let mut counts = BTreeMap::new();
        for m in all.iter().filter(|m| m.stored_at >= from && m.stored_at < to) {
            *counts.entry((m.brand.clone(), None)).or_insert(0) += 1;
            if self.settings.spikes.per_topic {
                for t in &m.topics {
                    *counts.entry((m.brand.clone(), Some(t.clone()))).or_insert(0) += 1;
                }
            }
        }
        counts
    }

    async fn spike_alert(
        &self,
        (brand, topic): &Key,
        s: &Series,
        since: DateTime<Utc>,
        interval: Duration,
        end: DateTime<Utc>,
    ) -> Result<SpikeAlert, StoreError> {
        let examples = if s.is_firing() {
            self.store.spike_examples(brand, topic.as_deref(), since, EXAMPLES).await?
        } else {
            Vec::new()
        };
        Ok(SpikeAlert {
            brand: brand.clone(),
            topic: topic.clone(),
            resolved: !s.is_firing(),
            count: s.last_count,
            baseline: s.baseline,
            ratio: ratio(s.last_count, s.baseline),
            interval_secs: interval.as_secs(),
            since,
            ended: (!s.is_firing()).then_some(end),
            examples,
        })
    }
}

/// The lease whose holder runs the spike timer (one replica per cluster).
pub const SPIKE_LEASE: &str = "timer:spikes";

/// Ticks until `cancel` fires: every 30 s (or each interval, if shorter),
/// on the replica holding [`SPIKE_LEASE`]. (`commit_spikes` also refuses a
/// round another tick already counted, so even two holders alert once.)
pub async fn run(ctx: Arc<Context>, cancel: CancellationToken) {
    if !ctx.settings.spikes.enabled {
        return;
    }
    // The first round one period after start (or reload), not at once:
    // a generation's start is busy enough.
    let period = ctx.settings.spikes.interval.min(Duration::from_secs(30));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        if !ctx.leases.is_leader(SPIKE_LEASE).await {
            continue;
        }
        if let Err(e) = ctx.spike_tick(Utc::now()).await {
            tracing::error!(error = %e, "spike detection round failed; will retry");
        }
    }
}
