//! `spawn_app`: the real daemon on port 0 with a fresh SQLite file, its
//! Hacker News source pointed at the in-process simulator and its Slack
//! receiver at the fake webhook. Polls are driven by the test
//! (`app.poll()`); delivery workers run on their own.

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

/// A running daemon plus the fakes it talks to.
pub struct TestApp {
    pub ctx: Arc<Context>,
    pub addr: std::net::SocketAddr,
    pub hn: Arc<HnSimulator>,
    pub slack: Arc<FakeSlack>,
    pub dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// What a test may change about the daemon's config.
pub struct AppOptions {
    /// Lowest urgency routed to Slack.
    pub slack_min_urgency: &'static str,
    pub slack_min_interval: &'static str,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions { slack_min_urgency: "low", slack_min_interval: "10ms" }
    }
}

pub const SOURCE: &str = "hn";

/// Logs go nowhere unless `TEST_LOG` is set.
fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        earshot::telemetry::init_logging(&config::LogSettings { level: "debug".into(), ..Default::default() });
    }
}

pub async fn spawn_app(corpus: Vec<SimHit>) -> TestApp {
    let hn = Arc::new(HnSimulator::start(corpus).await.expect("simulator starts"));
    let slack = Arc::new(FakeSlack::start().await.expect("fake Slack starts"));
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    start(hn, slack, dir, &AppOptions::default()).await
}

/// Writes the test config and starts a daemon on it.
async fn start(hn: Arc<HnSimulator>, slack: Arc<FakeSlack>, dir: Arc<tempfile::TempDir>, opts: &AppOptions) -> TestApp {
    init_logs();
    let path = write_config(&dir, &hn, &slack, opts);
    let settings = config::load_with_env(&path, &[]).expect("test config is valid");
    let daemon = Daemon::build(settings).await.expect("daemon builds");
    let addr = daemon.local_addr().expect("bound");
    let ctx = daemon.context();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(daemon.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp { ctx, addr, hn, slack, dir, stop: Some(tx), task: Some(task) }
}

pub fn write_config(dir: &tempfile::TempDir, hn: &HnSimulator, slack: &FakeSlack, opts: &AppOptions) -> PathBuf {
    let db = dir.path().join("earshot.db");
    // The cron schedule never fires during a test: the test drives polls.
    let toml = format!(
        r##"
[storage]
url = "sqlite://{db}"
[http]
listen = "127.0.0.1:0"
[delivery]
interval = "20ms"
backoff_base = "50ms"
backoff_max = "200ms"
drain_timeout = "5s"
[[brands]]
name = "Acme Air"
terms = ["acme air", "@acmeair", "#acmeair"]
exclude = ["acme air show"]
[[sources]]
name = "{SOURCE}"
type = "hackernews"
cron = "0 0 0 1 1 *"
backfill = "2h"
overlap = "5m"
hits_per_page = 2
base_url = "{base}"
[[receivers]]
name = "slack"
type = "slack"
url = "{slack_url}"
min_interval = "{interval}"
[[routes]]
receivers = ["slack"]
min_urgency = "{min}"
"##,
        db = db.display(),
        base = hn.base_url(),
        slack_url = slack.url(),
        interval = opts.slack_min_interval,
        min = opts.slack_min_urgency,
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
        start(self.hn.clone(), self.slack.clone(), self.dir.clone(), &AppOptions::default()).await
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

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
