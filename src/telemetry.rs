//! Logging setup and the metrics registry, in one place so names stay
//! consistent. Metrics are `earshot_<area>_<thing>_<unit>` with bounded
//! labels only (source, receiver, brand and outcome names come from config,
//! never from post content). Beside them, the process's own figures
//! under their standard `process_*` names (`telemetry/process.rs`).

use std::io::IsTerminal;

mod process;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global tracing subscriber, writing to stderr (stdout is
/// for command output). `RUST_LOG` overrides the configured level. Safe to
/// call twice: the second call is a no-op.
pub fn init_logging(cfg: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::try_new(&cfg.level).unwrap_or_else(|_| EnvFilter::new("info")));
    let json = match cfg.format {
        LogFormat::Json => true,
        LogFormat::Human => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).with_current_span(false).try_init()
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).try_init()
    };
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceOutcome {
    pub source: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReceiverOutcome {
    pub receiver: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReceiverReason {
    pub receiver: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SpikeLabel {
    pub brand: String,
    /// Empty for a spike of the whole brand.
    pub topic: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BrandLabel {
    pub brand: String,
}

/// An ingest stage a batch spends time in, in the order it goes through
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// What earlier polls stored about its posts and authors, silences,
    /// spikes.
    Reads,
    /// Matching and scoring its posts.
    Scoring,
    /// Storing it, the wait for the writer included.
    Commit,
    /// Refreshing posts read again.
    Rereads,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Reads, Stage::Scoring, Stage::Commit, Stage::Rereads];

    /// Its `stage` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reads => "reads",
            Stage::Scoring => "scoring",
            Stage::Commit => "commit",
            Stage::Rereads => "rereads",
        }
    }
}

/// A [`Stage`] as a label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    pub stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UrgencyLabel {
    pub urgency: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BreachLabel {
    pub kind: String,
    pub urgency: String,
}

/// A histogram family whose buckets are fixed by a plain function.
pub type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Ingest stage buckets: 100 µs doubling to ~3.3 s.
fn stage_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.0, 16))
}

/// Time-to-acknowledge/resolve buckets: 1 minute doubling to ~34 hours.
fn queue_wait_histogram() -> Histogram {
    Histogram::new(exponential_buckets(60.0, 2.0, 12))
}

/// Every metric earshot exports; one instance per daemon, passed in its
/// context (no global registry).
#[derive(Debug)]
pub struct Metrics {
    pub registry: Registry,
    /// Polls by source and outcome (`ok`, or a `SourceError` kind).
    pub source_polls: Family<SourceOutcome, Counter>,
    /// Posts read by source.
    pub source_posts: Family<SourceLabel, Counter>,
    /// Mentions matched by the pipeline, by brand (re-reads included; see
    /// `store_duplicates`).
    pub pipeline_mentions: Family<BrandLabel, Counter>,
    /// Mentions read again and dropped as duplicates, by source.
    pub store_duplicates: Family<SourceLabel, Counter>,
    /// Delivery attempts by receiver and outcome (`sent`, `retry`, `failed`).
    pub delivery_attempts: Family<ReceiverOutcome, Counter>,
    /// Deliveries given up at once because the receiver refused them for
    /// good, by receiver and reason (`channel_not_found`, `http_404`...).
    pub delivery_permanent_failures: Family<ReceiverReason, Counter>,
    /// Spikes started, by brand and topic.
    pub spikes_started: Family<SpikeLabel, Counter>,
    /// Spikes firing now.
    pub spikes_firing: Gauge,
    /// Seconds from a mention being stored to its alert being accepted.
    pub delivery_latency: Histogram,
    /// Outbox rows written by routing outcome (`pending`, `held` for quiet
    /// hours, `grouped`, `silenced`).
    pub delivery_routed: Family<OutcomeLabel, Counter>,
    /// Group flushes by receiver and outcome (`digest` rows written,
    /// `folded` alerts in them, `single` groups of one sent as themselves).
    pub delivery_groups: Family<ReceiverOutcome, Counter>,
    /// Outbox rows waiting to be sent.
    pub outbox_pending: Gauge,
    /// Time to match and score one post.
    pub scoring_duration: Histogram,
    /// Seconds a batch spent in each ingest stage ([`StageLabel`]): where
    /// ingest time goes, e.g. commits waiting for a busy database.
    pub stage_duration: HistogramFamily<StageLabel>,
    /// Polls that ended in (or were slowed by) the platform's rate limit.
    pub rate_limit_waits: Family<SourceLabel, Counter>,
    /// Open rapid-response queue items.
    pub queue_open: Gauge,
    /// Age of the oldest open (unacknowledged) queue item.
    pub queue_oldest_unacked: Gauge,
    /// Queue items per state (set by the queue clock and at each scrape).
    pub queue_items: Family<StateLabel, Gauge>,
    /// SLA breaches escalated, by kind (`ack`, `resolve`) and urgency.
    pub queue_sla_breaches: Family<BreachLabel, Counter>,
    /// Follow-up reminders sent.
    pub queue_follow_up_reminders: Counter,
    /// Seconds from an item's SLA clock start to its acknowledge, by urgency.
    pub queue_ack_duration: HistogramFamily<UrgencyLabel>,
    /// Seconds from an item's SLA clock start to its resolve, by urgency.
    pub queue_resolve_duration: HistogramFamily<UrgencyLabel>,
    /// Config reloads by outcome (`ok`, `refused`).
    pub config_reloads: Family<OutcomeLabel, Counter>,
    /// Unix time of the last successful reload (or start).
    pub config_last_reload: Gauge,
    /// Polls in a row that failed, by source.
    pub source_failures: Family<SourceLabel, Gauge>,
    /// Unix time of the last successful poll, by source.
    pub source_last_success: Family<SourceLabel, Gauge>,
    /// Leases and database reachability (several replicas).
    pub cluster: ClusterMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        // The process's figures keep their standard names; earshot's own
        // are `earshot_*`.
        let mut root = Registry::default();
        root.register_collector(Box::new(process::ProcessCollector));
        let registry = root.sub_registry_with_prefix("earshot");
        let source_polls = Family::<SourceOutcome, Counter>::default();
        let source_posts = Family::<SourceLabel, Counter>::default();
        let pipeline_mentions = Family::<BrandLabel, Counter>::default();
        let store_duplicates = Family::<SourceLabel, Counter>::default();
        let delivery_attempts = Family::<ReceiverOutcome, Counter>::default();
        let delivery_latency = Histogram::new(exponential_buckets(0.005, 2.0, 16));
        let delivery_routed = Family::<OutcomeLabel, Counter>::default();
        let delivery_groups = Family::<ReceiverOutcome, Counter>::default();
        let delivery_permanent_failures = Family::<ReceiverReason, Counter>::default();
        let spikes_started = Family::<SpikeLabel, Counter>::default();
        let spikes_firing = Gauge::default();
        registry.register(
            "delivery_permanent_failures",
            "Deliveries refused for good, by receiver and reason",
            delivery_permanent_failures.clone(),
        );
        registry.register("spikes_started", "Spikes of negative mentions started", spikes_started.clone());
        registry.register("spikes_firing", "Spikes of negative mentions firing now", spikes_firing.clone());
        let outbox_pending = Gauge::default();
        let source_failures = Family::<SourceLabel, Gauge>::default();
        let config_reloads = Family::<OutcomeLabel, Counter>::default();
        let scoring_duration = Histogram::new(exponential_buckets(0.000_001, 2.0, 20));
        let stage_duration: HistogramFamily<StageLabel> = Family::new_with_constructor(stage_histogram);
        let rate_limit_waits = Family::<SourceLabel, Counter>::default();
        let queue_open = Gauge::default();
        let queue_oldest_unacked = Gauge::default();
        let queue_items = Family::<StateLabel, Gauge>::default();
        let queue_sla_breaches = Family::<BreachLabel, Counter>::default();
        let queue_follow_up_reminders = Counter::default();
        let queue_ack_duration: HistogramFamily<UrgencyLabel> = Family::new_with_constructor(queue_wait_histogram);
        let queue_resolve_duration: HistogramFamily<UrgencyLabel> = Family::new_with_constructor(queue_wait_histogram);
        registry.register("queue_items", "Queue items per state", queue_items.clone());
        registry.register(
            "queue_sla_breaches",
            "SLA breaches escalated, by kind and urgency",
            queue_sla_breaches.clone(),
        );
        registry.register("queue_follow_up_reminders", "Follow-up reminders sent", queue_follow_up_reminders.clone());
        registry.register_with_unit(
            "queue_ack_duration",
            "From an item's SLA clock start to its acknowledge, by urgency",
            prometheus_client::registry::Unit::Seconds,
            queue_ack_duration.clone(),
        );
        registry.register_with_unit(
            "queue_resolve_duration",
            "From an item's SLA clock start to its resolve, by urgency",
            prometheus_client::registry::Unit::Seconds,
            queue_resolve_duration.clone(),
        );
        let config_last_reload = Gauge::default();
        config_last_reload.set(chrono::Utc::now().timestamp());
        let source_last_success = Family::<SourceLabel, Gauge>::default();
        registry.register("source_polls", "Polls by source and outcome", source_polls.clone());
        registry.register("source_posts", "Posts read by source", source_posts.clone());
        registry.register(
            "pipeline_mentions",
            "Mentions matched, by brand (re-reads included)",
            pipeline_mentions.clone(),
        );
        registry.register("store_duplicates", "Mentions read again and dropped", store_duplicates.clone());
        registry.register("delivery_attempts", "Delivery attempts by receiver and outcome", delivery_attempts.clone());
        registry.register("delivery_routed", "Outbox rows written, by routing outcome", delivery_routed.clone());
        registry.register("delivery_groups", "Group flushes by receiver and outcome", delivery_groups.clone());
        registry.register_with_unit(
            "delivery_latency",
            "From mention stored to alert accepted by the receiver",
            prometheus_client::registry::Unit::Seconds,
            delivery_latency.clone(),
        );
        registry.register("outbox_pending", "Outbox rows waiting to be sent", outbox_pending.clone());
        registry.register("config_reloads", "Config reloads by outcome", config_reloads.clone());
        registry.register_with_unit(
            "pipeline_scoring_duration",
            "Time to match and score one post",
            prometheus_client::registry::Unit::Seconds,
            scoring_duration.clone(),
        );
        registry.register_with_unit(
            "pipeline_stage_duration",
            "Time a batch spends in each ingest stage",
            prometheus_client::registry::Unit::Seconds,
            stage_duration.clone(),
        );
        registry.register(
            "source_rate_limit_waits",
            "Polls stopped or slowed by a rate limit",
            rate_limit_waits.clone(),
        );
        registry.register("queue_open_items", "Open rapid-response queue items", queue_open.clone());
        registry.register_with_unit(
            "queue_oldest_unacknowledged_age",
            "Age of the oldest open queue item",
            prometheus_client::registry::Unit::Seconds,
            queue_oldest_unacked.clone(),
        );
        registry.register_with_unit(
            "config_last_reload_success_timestamp",
            "Unix time of the last successful config load",
            prometheus_client::registry::Unit::Seconds,
            config_last_reload.clone(),
        );
        registry.register("source_consecutive_failures", "Polls in a row that failed", source_failures.clone());
        registry.register_with_unit(
            "source_last_success_timestamp",
            "Unix time of the last successful poll",
            prometheus_client::registry::Unit::Seconds,
            source_last_success.clone(),
        );
        let cluster = ClusterMetrics::register(registry);
        Metrics {
            cluster,
            registry: root,
            source_polls,
            source_posts,
            pipeline_mentions,
            store_duplicates,
            delivery_attempts,
            delivery_latency,
            delivery_routed,
            delivery_groups,
            delivery_permanent_failures,
            spikes_started,
            spikes_firing,
            outbox_pending,
            source_failures,
            source_last_success,
            config_reloads,
            config_last_reload,
            scoring_duration,
            stage_duration,
            rate_limit_waits,
            queue_open,
            queue_oldest_unacked,
            queue_items,
            queue_sla_breaches,
            queue_follow_up_reminders,
            queue_ack_duration,
            queue_resolve_duration,
        }
    }

    /// Counts outbox rows by the state routing wrote them in.
    pub fn routed(&self, report: &crate::store::RoutedReport) {
        for (outcome, n) in report.outcomes().into_iter().filter(|(_, n)| *n > 0) {
            self.delivery_routed.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc_by(n);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn poll(&self, source: &str, outcome: &str) {
        self.source_polls.get_or_create(&SourceOutcome { source: source.into(), outcome: outcome.into() }).inc();
    }

    pub fn reload(&self, outcome: &str) {
        self.config_reloads.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc();
        if outcome == "ok" {
            self.config_last_reload.set(chrono::Utc::now().timestamp());
        }
    }

    pub fn permanent_failure(&self, receiver: &str, reason: &str) {
        self.delivery_permanent_failures
            .get_or_create(&ReceiverReason { receiver: receiver.into(), reason: reason.into() })
            .inc();
    }

    /// Sets the queue gauges from the store's depth at `now`.
    pub fn queue_depth(&self, depth: &crate::store::QueueDepth, now: chrono::DateTime<chrono::Utc>) {
        for state in crate::queue::QueueState::ALL {
            let n = depth.by_state.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
            self.queue_items
                .get_or_create(&StateLabel { state: state.as_str().into() })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        let age = depth.oldest_open.map_or(0, |t| (now - t).num_seconds().max(0));
        self.queue_oldest_unacked.set(age);
    }

    pub fn delivery(&self, receiver: &str, outcome: &str) {
        self.delivery_attempts
            .get_or_create(&ReceiverOutcome { receiver: receiver.into(), outcome: outcome.into() })
            .inc();
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LeaseLabel {
    pub lease: String,
    pub replica: String,
}

/// `earshot_cluster_lease_held{lease, replica}` (1 while this replica holds
/// the lease, else 0) and `earshot_store_up` (1 while the database takes
/// writes).
#[derive(Debug, Default)]
pub struct ClusterMetrics {
    pub lease_held: Family<LeaseLabel, Gauge>,
    pub store_up: Gauge,
}

impl ClusterMetrics {
    fn register(registry: &mut Registry) -> ClusterMetrics {
        let m = ClusterMetrics::default();
        registry.register("cluster_lease_held", "1 while this replica holds the lease", m.lease_held.clone());
        registry.register("store_up", "1 while the database takes writes", m.store_up.clone());
        m
    }
}
