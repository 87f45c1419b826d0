//! [`Context`]: everything the daemon's tasks share, built from one
//! checked config: store, pipeline, router, sources with their run state,
//! sinks and metrics. A reload builds a new one around the same store and
//! metrics and hands over the per-source state.

use std::sync::Arc;

use anyhow::Context as _;

use super::leases::Leases;
use super::routing_state::RoutingState;
use super::scheduler::SourceState;
use crate::config::{Brand, Settings, SourceSettings};
use crate::delivery::Worker;
use crate::domain::{ReceiverName, SourceName, Urgency};
use crate::pipeline::Pipeline;
use crate::routing::Router;
use crate::sinks::{self, Sink};
use crate::sources::{self, HttpClient, Source};
use crate::store::Store;
use crate::telemetry::Metrics;

/// A configured source and its running state.
#[derive(Debug)]
pub struct SourceHandle {
    pub settings: SourceSettings,
    pub source: Box<dyn Source>,
    /// Shared across reloads while the source keeps its name.
    pub state: Arc<SourceState>,
}

/// Everything the daemon's tasks share. Built once per config.
#[derive(Debug)]
pub struct Context {
    pub store: Store,
    pub pipeline: Pipeline,
    pub router: Router,
    pub http: HttpClient,
    pub metrics: Arc<Metrics>,
    /// This replica's leases; kept across reloads.
    pub leases: Arc<Leases>,
    pub sources: Vec<SourceHandle>,
    pub sinks: Vec<(ReceiverName, Box<dyn Sink>)>,
    /// Queries for sources without their own: every brand's watch terms,
    /// `@`/`#` stripped, deduplicated.
    pub default_queries: Arc<[String]>,
    pub queue_min_urgency: Urgency,
    pub settings: Settings,
    /// Bumped after a commit that queued alerts: wakes the delivery workers
    /// at once instead of at their next `delivery.interval` tick.
    pub outbox_wake: tokio::sync::watch::Sender<u64>,
    /// The silences and firing spikes every page routes with, held for a
    /// second (`routing_state.rs`).
    pub routing_state: RoutingState,
}

impl Context {
    /// Opens and migrates the store and builds every component.
    pub async fn build(settings: Settings) -> anyhow::Result<Context> {
        let store = Store::open(&settings.storage.url).await.context("opening the database")?;
        store.migrate().await.context("applying migrations")?;
        Self::with_store(settings, store, Arc::new(Metrics::new()), None)
    }

    /// Builds the components around an already opened store and metrics
    /// registry. On reload, `previous` lends its per-source state (health,
    /// backoff, the in-flight lock) to sources that keep their name, and its
    /// leases.
    pub fn with_store(
        settings: Settings,
        store: Store,
        metrics: Arc<Metrics>,
        previous: Option<&Context>,
    ) -> anyhow::Result<Context> {
        let pipeline = build_pipeline(&settings)?;
        Self::with_pipeline(settings, store, pipeline, metrics, previous)
    }

    /// [`Context::with_store`] with the pipeline built already (start-up
    /// builds it on a blocking thread while the database opens).
    pub fn with_pipeline(
        settings: Settings,
        store: Store,
        pipeline: Pipeline,
        metrics: Arc<Metrics>,
        previous: Option<&Context>,
    ) -> anyhow::Result<Context> {
        let http = HttpClient::new(&settings.fetch).context("building the HTTP client")?;
        let sources = settings
            .sources
            .iter()
            .map(|s| SourceHandle {
                settings: s.clone(),
                source: sources::build(&s.kind),
                state: previous.and_then(|p| p.source(&s.name)).map(|h| h.state.clone()).unwrap_or_default(),
            })
            .collect();
        let leases = match previous {
            Some(p) => p.leases.clone(),
            None => Arc::new(Leases::new(store.clone(), settings.cluster.clone(), metrics.clone())),
        };
        let interactive = settings.slack.signing_secret.is_some();
        let sinks = settings
            .receivers
            .iter()
            .map(|r| (r.name.clone(), sinks::build(r, http.inner.clone(), interactive)))
            .collect();
        Ok(Context {
            leases,
            store,
            pipeline,
            router: Router::new(&settings.routes),
            http,
            metrics,
            sources,
            sinks,
            default_queries: default_queries(&settings).into(),
            queue_min_urgency: settings.queue.min_urgency,
            settings,
            outbox_wake: tokio::sync::watch::Sender::new(0),
            routing_state: RoutingState::default(),
        })
    }

    pub fn source(&self, name: &SourceName) -> Option<&SourceHandle> {
        self.sources.iter().find(|s| &s.settings.name == name)
    }

    /// A delivery worker for `receiver`, borrowing this context.
    pub fn worker<'a>(&'a self, receiver: &'a ReceiverName) -> Option<Worker<'a>> {
        let (name, sink) = self.sinks.iter().find(|(n, _)| n == receiver)?;
        Some(Worker {
            store: &self.store,
            receiver: name,
            sink: sink.as_ref(),
            cfg: &self.settings.delivery,
            metrics: &self.metrics,
            wake: &self.outbox_wake,
        })
    }
}

/// The matcher and the scorer for `settings`: the CPU-heavy part of
/// building a context (10,000 watch terms compile in tens of milliseconds).
pub fn build_pipeline(settings: &Settings) -> anyhow::Result<Pipeline> {
    Pipeline::with_scoring(&settings.brands, &settings.scoring).context("building the scorer")
}

/// Every brand's watch terms as search queries: `@`/`#` stripped,
/// lowercased, deduplicated, in config order.
pub fn default_queries(settings: &Settings) -> Vec<String> {
    brand_queries(&settings.brands)
}

/// A set, not a scan of the list so far: with 10,000 terms the scan was
/// 50 million string comparisons, a third of the daemon's start-up.
fn brand_queries(brands: &[Brand]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    brands
        .iter()
        .flat_map(|b| b.terms.iter())
        .map(|term| term.trim_start_matches(['@', '#']).to_lowercase())
        .filter(|q| !q.is_empty() && seen.insert(q.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_queries_strip_marks_and_keep_the_first_of_each() {
        let brands = [
            Brand::new("Acme Air", &["acme air", "@AcmeAir", "#acmeair"]),
            Brand::new("Acme Rail", &["Acme Air", "acme rail", "#", "@acmerail"]),
        ];
        assert_eq!(brand_queries(&brands), ["acme air", "acmeair", "acme rail", "acmerail"]);
    }
}
