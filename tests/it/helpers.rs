//! `spawn_app`: the real daemon on port 0 with a fresh SQLite file, one
//! source pointed at a local fake platform and one Slack receiver at the
//! fake webhook. Polls are driven by the test (`app.poll()`); delivery
//! workers run on their own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use earshot::config;
use earshot::daemon::{Context, Daemon, PollError, PollReport};
use earshot::demo::hn_sim::{HnSimulator, SimHit};
use earshot::domain::SourceName;
use earshot::store::StoreCounts;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fakes::slack::FakeSlack;

/// The name of the one source every test app has.
pub const SOURCE: &str = "src";

/// A running daemon plus the fake Slack it talks to.
pub struct TestApp {
    pub ctx: Arc<Context>,
    pub addr: std::net::SocketAddr,
    pub slack: Arc<FakeSlack>,
    pub dir: Arc<tempfile::TempDir>,
    /// The platform keys of the `[[sources]]` table (type, base_url, ...).
    source_keys: String,
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
    let hn = Arc::new(HnSimulator::start(corpus).await.expect("simulator starts"));
    let keys =
        format!("type = \"hackernews\"\nbase_url = \"{}\"\nhits_per_page = 2\noverlap = \"5m\"\n", hn.base_url());
    (spawn_app(keys, Vec::new()).await, hn)
}

/// A daemon whose one source has these platform keys; `env` is the
/// environment its `*_env` secrets are read from.
pub async fn spawn_app(source_keys: String, env: Vec<(String, String)>) -> TestApp {
    let slack = Arc::new(FakeSlack::start().await.expect("fake Slack starts"));
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    start(slack, dir, source_keys, env).await
}

async fn start(
    slack: Arc<FakeSlack>,
    dir: Arc<tempfile::TempDir>,
    source_keys: String,
    env: Vec<(String, String)>,
) -> TestApp {
    init_logs();
    let path = write_config(&dir, &slack, &source_keys);
    let settings = config::load_with_env(&path, &env).unwrap_or_else(|e| panic!("test config is valid: {e}"));
    let daemon = Daemon::build(settings).await.expect("daemon builds");
    let addr = daemon.local_addr().expect("bound");
    let ctx = daemon.context();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(daemon.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp { ctx, addr, slack, dir, source_keys, env, stop: Some(tx), task: Some(task) }
}

fn write_config(dir: &tempfile::TempDir, slack: &FakeSlack, source_keys: &str) -> PathBuf {
    let db = dir.path().join("earshot.db");
    // The cron schedule never fires during a test: the test drives polls.
    let toml = format!(
        r##"
[storage]
url = "sqlite://{db}"
[http]
listen = "127.0.0.1:0"
[fetch]
timeout = "1s"
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
[[routes]]
receivers = ["slack"]
min_urgency = "low"
[[sources]]
name = "{SOURCE}"
cron = "0 0 0 1 1 *"
backfill = "2h"
{source_keys}
"##,
        db = db.display(),
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
        start(self.slack.clone(), self.dir.clone(), keys, env).await
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
