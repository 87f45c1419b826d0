//! The running daemon: [`Daemon::bind`] binds the HTTP listener,
//! [`Starting::connect`] waits for the database (`start.rs`: backoff, a
//! not-ready `/readyz` meanwhile) and turns checked settings into a
//! [`Context`]; [`Daemon::run_until_stopped`]
//! runs one [`generation`] of tasks (delivery workers, scheduled polls),
//! serves HTTP, reloads on request, keeps systemd's watchdog fed, and when
//! the shutdown future completes stops polling and drains deliveries within
//! `delivery.drain_timeout`.
//!
//! The main loop is one `select!` over shutdown, reload requests (SIGHUP via
//! `cli`, `POST /-/reload`, the config file changing on disk) and the
//! watchdog tick; the keep-alive is sent from that loop, so a hung loop
//! gets restarted by systemd. The daemon never touches signals itself.
//! Tests: `tests/it/` spawns it on port 0 against fake platforms.

mod context;
pub mod embedded;
mod generation;
mod health;
pub mod heap;
mod history;
mod leases;
mod notify;
mod poll;
mod queue_moves;
mod queue_timer;
mod reload;
mod route;
mod routing_state;
mod scheduler;
pub mod spikes;
mod start;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::config::Settings;

pub use self::context::{default_queries, Context, SourceHandle};
pub use self::health::Health;
pub use self::leases::{source_lease, Leases};
pub use self::notify::{Notifier, SystemdEnv};
pub use self::poll::{PollError, PollReport};
pub use self::queue_timer::TickReport;
pub use self::reload::{ReloadOrigin, ReloadSource, ReloadSummary};
pub use self::scheduler::SourceState;
pub use self::start::StartStatus;
pub use crate::store::ItemCustomer;

use self::generation::Generation;

type ReloadReply = oneshot::Sender<Result<ReloadSummary, String>>;

/// After start-up or a reload, what building the context left behind and
/// nothing reads again goes back to the kernel: the heap's freed pages
/// (`heap.rs`) and the pages of the scoring data it parsed (`embedded.rs`).
fn hand_back_memory() {
    heap::release_free_pages();
    embedded::release(crate::pipeline::embedded_data());
}

/// A handle on a running daemon: the current context, and reloads.
/// Cheap to clone; given to the HTTP layer and to `cli`'s SIGHUP task.
#[derive(Debug, Clone)]
pub struct Handle {
    current: Arc<RwLock<Arc<Context>>>,
    reloads: mpsc::Sender<(ReloadOrigin, Option<ReloadReply>)>,
}

impl Handle {
    /// The context of the config running now.
    pub fn context(&self) -> Arc<Context> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Asks for a reload and waits for its outcome (`Err` is the refusal).
    pub async fn reload(&self, origin: ReloadOrigin) -> Result<ReloadSummary, String> {
        let (tx, rx) = oneshot::channel();
        self.reloads.send((origin, Some(tx))).await.map_err(|_| "the daemon is stopping".to_string())?;
        rx.await.map_err(|_| "the daemon is stopping".to_string())?
    }

    fn swap(&self, ctx: Arc<Context>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = ctx;
    }
}

/// The daemon: a context plus a bound HTTP listener.
pub struct Daemon {
    handle: Handle,
    reload_rx: mpsc::Receiver<(ReloadOrigin, Option<ReloadReply>)>,
    listener: TcpListener,
    ready: Arc<AtomicBool>,
    reload_from: ReloadSource,
    /// The config file's modification time when it was last loaded.
    file_seen: Option<std::time::SystemTime>,
    systemd: SystemdEnv,
}

/// A daemon with its HTTP listener bound, before its database is open:
/// [`Starting::connect`] waits for the database and builds the [`Daemon`].
pub struct Starting {
    settings: Settings,
    listener: TcpListener,
    reload_from: ReloadSource,
    file_seen: Option<std::time::SystemTime>,
    systemd: SystemdEnv,
}

impl Starting {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Waits for the database (see [`start`]), answering `/healthz` and a
    /// not-ready `/readyz` on the listener meanwhile, then migrates it and
    /// builds the context. Fails at once on a configuration error.
    pub async fn connect(self) -> anyhow::Result<Daemon> {
        let Starting { settings, listener, reload_from, file_seen, systemd } = self;
        let notifier = Notifier::new(&systemd);
        let status = StartStatus::default();
        // The start-up server gets a clone of the socket and gives it back
        // when it stops; connections arriving in between wait in the backlog.
        let listener = listener.into_std().context("taking over the listener")?;
        let stop = tokio_util::sync::CancellationToken::new();
        let server = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(crate::http::serve_starting(
            TcpListener::from_std(listener.try_clone().context("cloning the listener")?)?,
            status.clone(),
            stop.clone().cancelled_owned(),
        )));
        // The database opens and migrates on the runtime's workers while
        // the matcher and the scorer compile here, instead of one after the
        // other. Here is the thread that started the runtime under `earshot
        // run` (its `block_on`): what the compile keeps and the scratch it
        // frees stay in glibc's main heap, so the arenas the workers get
        // (`heap.rs`) hold only what polls use and give it back on a trim.
        let store = tokio::spawn({
            let (url, status, notifier) = (settings.storage.url.clone(), status.clone(), notifier.clone());
            async move { start::wait_for_store(&url, &status, &notifier).await }
        });
        let pipeline = context::build_pipeline(&settings);
        let store = store.await.context("opening the database")?;
        stop.cancel();
        // A client holding a request open does not hold up the start.
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        let pipeline = pipeline?;
        let ctx = Context::with_pipeline(settings, store?, pipeline, Arc::new(crate::telemetry::Metrics::new()), None)?;
        let (tx, rx) = mpsc::channel(8);
        Ok(Daemon {
            handle: Handle { current: Arc::new(RwLock::new(Arc::new(ctx))), reloads: tx },
            reload_rx: rx,
            listener: TcpListener::from_std(listener)?,
            ready: Arc::new(AtomicBool::new(false)),
            reload_from,
            file_seen,
            systemd,
        })
    }
}

impl Daemon {
    /// Binds `http.listen` (port 0 picks a free one); the database is
    /// opened by [`Starting::connect`]. `env` is the environment snapshot
    /// reloads read (the same one the settings were loaded with).
    pub async fn bind(settings: Settings, env: Vec<(String, String)>) -> anyhow::Result<Starting> {
        let listen = settings.http.listen;
        let reload_from = ReloadSource { path: settings.file.clone(), env };
        let file_seen = reload_from.modified();
        let systemd = SystemdEnv::from_env(&reload_from.env);
        let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        Ok(Starting { settings, listener, reload_from, file_seen, systemd })
    }

    /// [`Daemon::bind`], then [`Starting::connect`].
    pub async fn build(settings: Settings, env: Vec<(String, String)>) -> anyhow::Result<Daemon> {
        Self::bind(settings, env).await?.connect().await
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The context running now (it changes on reload: ask the handle).
    pub fn context(&self) -> Arc<Context> {
        self.handle.context()
    }

    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Runs until `shutdown` completes, then drains and returns.
    pub async fn run_until_stopped(mut self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let notifier = Notifier::new(&self.systemd);
        let http_stop = tokio_util::sync::CancellationToken::new();
        let state = crate::http::AppState {
            handle: self.handle.clone(),
            ready: self.ready.clone(),
            token_guesses: Default::default(),
        };
        let server = tokio::spawn(crate::http::serve(self.listener, state, http_stop.clone().cancelled_owned()));

        // Leases first: the first round probes the database and takes what
        // is free, so the first polls need not wait for a renewal.
        let leases = self.handle.context().leases.clone();
        leases.renew_all().await;
        let leases_stop = tokio_util::sync::CancellationToken::new();
        let lease_task = tokio::spawn({
            let (leases, stop) = (leases.clone(), leases_stop.clone());
            async move { leases.run(stop).await }
        });

        let mut running = Generation::start(self.handle.context(), &|_| true).await?;
        self.ready.store(true, Ordering::SeqCst);
        let status = status_line(&running.ctx);
        tracing::info!(status = %status, "earshot is running");
        notifier.ready(&status);
        hand_back_memory();
        let trimmer = tokio::spawn(heap::keep_trimmed());

        // The file's mtime as last loaded, and a changed mtime waiting one
        // more tick to prove the write is complete (editors and scripts
        // often truncate, then write).
        let mut file_seen = self.file_seen;
        let mut file_changing: Option<Option<std::time::SystemTime>> = None;
        let watch = self.handle.context().settings.reload.clone();
        let mut file_tick = tokio::time::interval(watch.watch_interval);
        file_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watchdog = tokio::time::interval(self.systemd.watchdog.map_or(Duration::from_secs(3600), |w| w / 2));
        watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            let (origin, reply) = tokio::select! {
                _ = &mut shutdown => break,
                Some(req) = self.reload_rx.recv() => req,
                _ = file_tick.tick(), if watch.watch_file => {
                    let now = self.reload_from.modified();
                    if now == file_seen {
                        file_changing = None;
                        continue;
                    }
                    if file_changing != Some(now) {
                        file_changing = Some(now);
                        continue;
                    }
                    (ReloadOrigin::File, None)
                }
                _ = watchdog.tick() => {
                    if self.systemd.watchdog.is_some() {
                        feed_watchdog(&running.ctx, &notifier).await;
                    }
                    continue;
                }
            };
            // Taken before reading: an edit made while loading is seen on a
            // later tick instead of being mistaken for this one.
            file_seen = self.reload_from.modified();
            file_changing = None;
            notifier.reloading();
            let outcome = reload_generation(&self.handle, &self.reload_from, &mut running, origin).await;
            hand_back_memory();
            notifier.status(&status_line(&running.ctx));
            if let Some(reply) = reply {
                let _ = reply.send(outcome);
            }
        }

        trimmer.abort();
        tracing::info!("shutting down: stopping polls, draining deliveries");
        notifier.stopping();
        self.ready.store(false, Ordering::SeqCst);
        let drain = running.ctx.settings.delivery.drain_timeout;
        running.stop(true, drain).await;
        // Released at once, so other replicas take over without waiting
        // for the leases to lapse.
        leases_stop.cancel();
        if let Err(e) = lease_task.await {
            tracing::error!(error = %e, "lease task panicked");
        }
        http_stop.cancel();
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "HTTP server failed"),
            Err(e) => tracing::error!(error = %e, "HTTP server task panicked"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Checks the config and, if it is good, swaps generations: the new one
/// starts, then the old one's in-flight polls finish and its workers hand
/// back what they have not started.
async fn reload_generation(
    handle: &Handle,
    from: &ReloadSource,
    running: &mut Generation,
    origin: ReloadOrigin,
) -> Result<ReloadSummary, String> {
    {
        let metrics = running.ctx.metrics.clone();
        let (next, summary) = match reload::prepare(&running.ctx, from) {
            Ok(x) => x,
            Err(reason) => {
                metrics.reload("refused");
                tracing::error!(origin = origin.as_str(), error = %reason, "config reload refused; the running config stays");
                return Err(reason);
            }
        };
        let known: Vec<_> = running.ctx.sources.iter().map(|s| s.settings.name.clone()).collect();
        let drain = running.ctx.settings.delivery.drain_timeout;
        let new = match Generation::start(next.clone(), &|name| !known.contains(name)).await {
            Ok(g) => g,
            Err(e) => {
                metrics.reload("refused");
                let reason = format!("cannot start the new configuration: {e:#}");
                tracing::error!(origin = origin.as_str(), error = %reason, "config reload refused; the running config stays");
                return Err(reason);
            }
        };
        let old = std::mem::replace(running, new);
        handle.swap(next);
        old.stop(false, drain).await;
        for name in &summary.sources_removed {
            handle.context().leases.release(&source_lease(name)).await;
        }
        metrics.reload("ok");
        for key in &summary.needs_restart {
            tracing::warn!(key, "changed, but only a restart applies it; keeping the running value");
        }
        tracing::info!(
            origin = origin.as_str(),
            brands = summary.brands,
            sources_added = ?summary.sources_added,
            sources_removed = ?summary.sources_removed,
            receivers = summary.receivers,
            routes = summary.routes,
            "config reloaded"
        );
        Ok(summary)
    }
}

/// Sends the watchdog keep-alive only if the database still answers.
async fn feed_watchdog(ctx: &Context, notifier: &Notifier) {
    match tokio::time::timeout(Duration::from_secs(5), ctx.store.ping()).await {
        Ok(Ok(())) => notifier.watchdog(),
        Ok(Err(e)) => tracing::warn!(error = %e, "database not answering; watchdog not fed"),
        Err(_) => tracing::warn!("database ping timed out; watchdog not fed"),
    }
}

fn status_line(ctx: &Context) -> String {
    format!("{} brands, {} sources, {} receivers", ctx.settings.brands.len(), ctx.sources.len(), ctx.sinks.len())
}
