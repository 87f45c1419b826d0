//! The running daemon: [`Daemon::build`] turns checked settings into a
//! [`Context`] (store, pipeline, router, sources, sinks, metrics) and binds
//! the HTTP listener; [`Daemon::run_until_stopped`] schedules polls, runs
//! one delivery worker per receiver and serves HTTP until the shutdown
//! future completes, then stops polling and drains deliveries within
//! `delivery.drain_timeout`.
//!
//! The daemon never touches signals: `cli` hands it a shutdown future.
//! It owns every task it spawns (a `TaskTracker`), so nothing outlives it.
//! Tests: `tests/it/` spawns it on port 0 against fake platforms.

mod poll;
mod scheduler;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Settings, SourceSettings};
use crate::delivery::Worker;
use crate::domain::{ReceiverName, SourceName, Urgency};
use crate::pipeline::Pipeline;
use crate::routing::Router;
use crate::sinks::{self, Sink};
use crate::sources::{self, HttpClient, Source};
use crate::store::Store;
use crate::telemetry::Metrics;

pub use self::poll::{PollError, PollReport};
pub use self::scheduler::SourceState;

/// A configured source and its running state.
#[derive(Debug)]
pub struct SourceHandle {
    pub settings: SourceSettings,
    pub source: Box<dyn Source>,
    pub state: SourceState,
}

/// Everything the daemon's tasks share. Built once per config.
#[derive(Debug)]
pub struct Context {
    pub store: Store,
    pub pipeline: Pipeline,
    pub router: Router,
    pub http: HttpClient,
    pub metrics: Arc<Metrics>,
    pub sources: Vec<SourceHandle>,
    pub sinks: Vec<(ReceiverName, Box<dyn Sink>)>,
    /// Queries for sources without their own: every brand's watch terms,
    /// `@`/`#` stripped, deduplicated.
    pub default_queries: Vec<String>,
    pub queue_min_urgency: Urgency,
    pub settings: Settings,
}

impl Context {
    /// Opens and migrates the store and builds every component.
    pub async fn build(settings: Settings) -> anyhow::Result<Context> {
        let store = Store::open(&settings.storage.url).await.context("opening the database")?;
        store.migrate().await.context("applying migrations")?;
        Self::with_store(settings, store)
    }

    /// Builds the components around an already opened store.
    pub fn with_store(settings: Settings, store: Store) -> anyhow::Result<Context> {
        let http = HttpClient::new(&settings.fetch).context("building the HTTP client")?;
        let sources = settings
            .sources
            .iter()
            .map(|s| SourceHandle {
                settings: s.clone(),
                source: sources::build(&s.kind),
                state: SourceState::default(),
            })
            .collect();
        let sinks = settings.receivers.iter().map(|r| (r.name.clone(), sinks::build(r, http.inner.clone()))).collect();
        Ok(Context {
            store,
            pipeline: Pipeline::with_scoring(&settings.brands, &settings.scoring).context("building the scorer")?,
            router: Router::new(&settings.routes),
            http,
            metrics: Arc::new(Metrics::new()),
            sources,
            sinks,
            default_queries: default_queries(&settings),
            queue_min_urgency: settings.queue.min_urgency,
            settings,
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
        })
    }
}

/// Every brand's watch terms as search queries: `@`/`#` stripped,
/// lowercased, deduplicated.
pub fn default_queries(settings: &Settings) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for term in settings.brands.iter().flat_map(|b| b.terms.iter()) {
        let q = term.trim_start_matches(['@', '#']).to_lowercase();
        if !q.is_empty() && !out.contains(&q) {
            out.push(q);
        }
    }
    out
}

/// The daemon: a context plus a bound HTTP listener.
pub struct Daemon {
    ctx: Arc<Context>,
    listener: TcpListener,
    ready: Arc<AtomicBool>,
}

impl Daemon {
    /// Builds the context and binds `http.listen` (port 0 picks a free one).
    pub async fn build(settings: Settings) -> anyhow::Result<Daemon> {
        let listen = settings.http.listen;
        let ctx = Context::build(settings).await?;
        let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        Ok(Daemon { ctx: Arc::new(ctx), listener, ready: Arc::new(AtomicBool::new(false)) })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn context(&self) -> Arc<Context> {
        self.ctx.clone()
    }

    /// Runs until `shutdown` completes, then drains and returns.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let ctx = self.ctx;

        let http_state =
            crate::http::AppState { store: ctx.store.clone(), metrics: ctx.metrics.clone(), ready: self.ready.clone() };
        let http_cancel = cancel.clone();
        let server = tokio::spawn(crate::http::serve(self.listener, http_state, http_cancel.cancelled_owned()));

        let deliveries = CancellationToken::new();
        for (name, _) in &ctx.sinks {
            let (ctx, name, stop) = (ctx.clone(), name.clone(), deliveries.clone());
            tracker.spawn(async move {
                if let Some(worker) = ctx.worker(&name) {
                    worker.run(stop).await;
                }
            });
        }

        let scheduler = scheduler::start(ctx.clone(), cancel.clone(), tracker.clone()).await?;
        self.ready.store(true, Ordering::SeqCst);
        tracing::info!(
            sources = ctx.sources.len(),
            receivers = ctx.sinks.len(),
            brands = ctx.settings.brands.len(),
            "earshot is running"
        );

        shutdown.await;
        tracing::info!("shutting down: stopping polls, draining deliveries");
        self.ready.store(false, Ordering::SeqCst);
        scheduler::stop(scheduler).await;
        cancel.cancel();
        deliveries.cancel();
        tracker.close();
        let drain = ctx.settings.delivery.drain_timeout;
        if tokio::time::timeout(drain, tracker.wait()).await.is_err() {
            tracing::warn!(timeout = %humantime::format_duration(drain), "drain timeout reached; unfinished deliveries stay in the outbox");
        }
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "HTTP server failed"),
            Err(e) => tracing::error!(error = %e, "HTTP server task panicked"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}
