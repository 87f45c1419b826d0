//! `spawn_app`: the real daemon on port 0 with a fresh SQLite file, one
//! source pointed at a local fake platform and one Slack receiver at the
//! fake webhook. Polls are driven by the test (`app.poll()`); delivery
//! workers run on their own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use earshot::config;
use earshot::daemon::{Context, Daemon, Handle, PollError, PollReport};
use earshot::demo::hn_sim::{HnSimulator, SimHit};
use earshot::domain::SourceName;
use earshot::store::scratch::ScratchPostgres;
use earshot::store::StoreCounts;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fakes::slack::FakeSlack;

/// The bearer token of the test daemon's write API.
pub const API_TOKEN: &str = "test-api-token";

/// The name of the one source every test app has.
pub const SOURCE: &str = "src";

/// A running daemon plus the fake Slack it talks to.
pub struct TestApp {
    /// The context the daemon started with (after a reload, ask `handle`).
    pub ctx: Arc<Context>,
    pub handle: Handle,
    pub addr: std::net::SocketAddr,
    pub slack: Arc<FakeSlack>,
    pub dir: Arc<tempfile::TempDir>,
    pub db: Arc<TestDb>,
    /// The platform keys of the `[[sources]]` table (type, base_url, ...).
    source_keys: String,
    /// The `[[routes]]` (and extra receivers) of the config.
    routes: String,
    env: Vec<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Logs go nowhere unless `TEST_LOG` is set.
fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        earshot::telemetry::init_logging(&config::LogSettings { level: "debug".into(), ..Default::default() });
    }
}

/// A daemon whose source is the Hacker News simulator serving `corpus`.
pub async fn spawn_hn(corpus: Vec<SimHit>) -> (TestApp, Arc<HnSimulator>) {
    spawn_hn_with_env(corpus, Vec::new()).await
}

/// [`spawn_hn`] with `env` as the daemon's environment (`EARSHOT__...`
/// overrides).
pub async fn spawn_hn_with_env(corpus: Vec<SimHit>, env: Vec<(String, String)>) -> (TestApp, Arc<HnSimulator>) {
    let hn = Arc::new(HnSimulator::start(corpus).await.expect("simulator starts"));
    let keys =
        format!("type = \"hackernews\"\nbase_url = \"{}\"\nhits_per_page = 2\noverlap = \"5m\"\n", hn.base_url());
    (spawn_app(keys, env).await, hn)
}

/// [`spawn_hn`] with `extra` TOML (sections such as `[spikes]`) in the
/// config.
pub async fn spawn_hn_with(corpus: Vec<SimHit>, extra: &str) -> (TestApp, Arc<HnSimulator>) {
    let hn = Arc::new(HnSimulator::start(corpus).await.expect("simulator starts"));
    let keys = format!(
        "type = \"hackernews\"\nbase_url = \"{}\"\nhits_per_page = 2\noverlap = \"5m\"\n{extra}\n",
        hn.base_url()
    );
    (spawn_app(keys, Vec::new()).await, hn)
}

/// A daemon whose one source has these platform keys; `env` is the
/// environment its `*_env` secrets are read from.
pub async fn spawn_app(source_keys: String, env: Vec<(String, String)>) -> TestApp {
    spawn_routed(source_keys, env, BASE_ROUTES).await
}

/// Every test app's routes unless it brings its own.
pub const BASE_ROUTES: &str = "[[routes]]\nreceivers = [\"slack\"]\nmin_urgency = \"low\"\n";

/// Like [`spawn_app`] with these `[[routes]]` (and any receivers or brands
/// they need) instead of the base route; `{slack_url}` in them is the fake
/// Slack's webhook.
pub async fn spawn_routed(source_keys: String, env: Vec<(String, String)>, routes: &str) -> TestApp {
    let slack = Arc::new(FakeSlack::start().await.expect("fake Slack starts"));
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let db = Arc::new(TestDb::create(&dir).await);
    let routes = routes.replace("{slack_url}", &slack.url());
    start(slack, dir, db, source_keys, routes, env).await
}

/// The suite's database: a SQLite file in the test's folder, or, when
/// `EARSHOT_IT_STORAGE=postgres`, a fresh PostgreSQL database under
/// `EARSHOT_TEST_PG`, dropped when the test ends. `.ci/run` runs the whole
/// suite both ways.
pub struct TestDb {
    pub url: String,
    _postgres: Option<ScratchPostgres>,
}

impl TestDb {
    async fn create(dir: &tempfile::TempDir) -> TestDb {
        if std::env::var("EARSHOT_IT_STORAGE").as_deref() != Ok("postgres") {
            let url = format!("sqlite://{}", dir.path().join("earshot.db").display());
            return TestDb { url, _postgres: None };
        }
        let admin = std::env::var("EARSHOT_TEST_PG").expect("EARSHOT_IT_STORAGE=postgres needs EARSHOT_TEST_PG");
        let db = ScratchPostgres::create(&admin, "earshot_it").await.expect("EARSHOT_TEST_PG reachable");
        TestDb { url: db.url.clone(), _postgres: Some(db) }
    }
}

async fn start(
    slack: Arc<FakeSlack>,
    dir: Arc<tempfile::TempDir>,
    db: Arc<TestDb>,
    source_keys: String,
    routes: String,
    env: Vec<(String, String)>,
) -> TestApp {
    init_logs();
    let path = write_config(&dir, &db.url, &slack, &source_keys, &format!("{routes}\n"));
    let settings = config::load_with_env(&path, &env).unwrap_or_else(|e| panic!("test config is valid: {e}"));
    let daemon = Daemon::build(settings, env.clone()).await.expect("daemon builds");
    let addr = daemon.local_addr().expect("bound");
    let ctx = daemon.context();
    let handle = daemon.handle();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(daemon.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp { ctx, handle, addr, slack, dir, db, source_keys, routes, env, stop: Some(tx), task: Some(task) }
}

/// Writes the suite's config with `extra` TOML appended (more brands,
/// sources, receivers...).
fn write_config(dir: &tempfile::TempDir, storage: &str, slack: &FakeSlack, source_keys: &str, extra: &str) -> PathBuf {
    // The cron schedule never fires during a test: the test drives polls.
    let toml = format!(
        r##"
[storage]
url = "{storage}"
[http]
listen = "127.0.0.1:0"
token = "{API_TOKEN}"
[fetch]
timeout = "1s"
[reload]
watch_file = false
[queue]
min_urgency = "low"
# The queue clock ticks once at start; tests drive `queue_tick` themselves.
tick = "1h"
[delivery]
interval = "20ms"
backoff_base = "50ms"
backoff_max = "200ms"
drain_timeout = "5s"
[[brands]]
name = "Acme Air"
terms = ["acme air", "@acmeair", "#acmeair"]
exclude = ["acme air show"]
[[receivers]]
name = "slack"
type = "slack"
url = "{slack_url}"
min_interval = "10ms"
[[sources]]
name = "{SOURCE}"
cron = "0 0 0 1 1 *"
backfill = "2h"
{source_keys}
{extra}
"##,
        slack_url = slack.url(),
    );
    let path = dir.path().join("earshot.toml");
    std::fs::write(&path, toml).expect("config written");
    path
}

impl TestApp {
    pub async fn poll(&self) -> Result<PollReport, PollError> {
        self.ctx.poll_source(&SourceName::new(SOURCE)).await
    }

    pub async fn counts(&self) -> StoreCounts {
        self.ctx.store.counts().await.expect("counts")
    }

    /// Stops the daemon (draining deliveries) and waits for it.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("daemon task").expect("daemon stopped cleanly");
        }
    }

    /// Stops this daemon and starts a new one on the same database and fakes.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let (keys, env) = (std::mem::take(&mut self.source_keys), std::mem::take(&mut self.env));
        let routes = std::mem::take(&mut self.routes);
        start(self.slack.clone(), self.dir.clone(), self.db.clone(), keys, routes, env).await
    }

    /// Rewrites the config file on disk (for reload tests), keeping the
    /// suite's base and appending `extra`; `None` writes `raw` verbatim.
    pub fn rewrite_config(&self, extra: &str) -> PathBuf {
        write_config(&self.dir, &self.db.url, &self.slack, &self.source_keys, &format!("{}\n{extra}", self.routes))
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Waits until `n` alerts were accepted by the fake Slack and none is
    /// pending.
    pub async fn wait_for_slack(&self, n: usize) {
        wait_until(BOUND, &format!("{n} Slack message(s)"), || async { self.slack.received().len() >= n }).await;
        wait_until(BOUND, "outbox drained", || async { self.counts().await.outbox_pending == 0 }).await;
    }
}

/// The bound on every wait in the suite.
pub const BOUND: Duration = Duration::from_secs(10);

/// Polls `check` every 10 ms until it holds or `bound` passes; panics with
/// `what` on timeout. The only way tests wait.
pub async fn wait_until<F, Fut>(bound: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {bound:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A poll context for driving a source directly (no daemon): whole-second
/// "now", a 1 s client timeout, these queries and this first-run backfill.
pub fn poll_cx(queries: &[&str], backfill: Duration) -> earshot::sources::PollContext {
    let fetch = config::FetchSettings { timeout: Duration::from_secs(1), user_agent: "earshot-tests".into() };
    earshot::sources::PollContext {
        source: SourceName::new(SOURCE),
        http: earshot::sources::HttpClient::new(&fetch).expect("http client"),
        queries: queries.iter().map(|q| q.to_string()).collect(),
        now: chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).expect("now"),
        backfill,
    }
}
