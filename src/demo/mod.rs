//! `earshot demo`: the whole flow on one machine with no network and no
//! credentials. A simulated Hacker News API ([`hn_sim`]) serves a bundled
//! set of realistic posts; the real Hacker News source polls it; mentions
//! are stored in SQLite in a temporary folder; alerts go to the console (and
//! to Slack when the config names a Slack receiver). Midway, late posts
//! arrive, showing incremental polling. Ends with a summary.

pub mod corpus;
pub mod hn_sim;

use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::oneshot;

use crate::config::{self, ReceiverKind, ReceiverSettings, RouteSettings, Settings};
use crate::daemon::Daemon;
use crate::domain::Urgency;
use crate::store::StoreCounts;

use self::hn_sim::HnSimulator;

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Stop after this long even if alerts are still pending.
    pub max_duration: Duration,
    /// Slack receivers borrowed from the admin's config, if any.
    pub slack: Vec<ReceiverSettings>,
}

/// What the demo did, as printed at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub posts_served: usize,
    pub counts: StoreCounts,
}

/// The Slack receivers of a config, for the demo to post to as well.
pub fn slack_receivers(settings: &Settings) -> Vec<ReceiverSettings> {
    settings.receivers.iter().filter(|r| matches!(r.kind, ReceiverKind::Slack(_))).cloned().collect()
}

/// How many of the bundled posts are held back and published midway.
const LATE_POSTS: usize = 3;

/// Runs the demo and prints to stdout.
pub async fn run(opts: DemoOptions) -> anyhow::Result<DemoSummary> {
    let deadline = tokio::time::Instant::now() + opts.max_duration;
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let now = chrono::Utc::now();
    let mut corpus = corpus::demo_corpus(now);
    // The newest posts are held back and published midway.
    corpus.sort_by_key(|h| h.created_at_i);
    let late = corpus.split_off(corpus.len().saturating_sub(LATE_POSTS));
    let sim = HnSimulator::start(corpus.clone()).await?;
    let settings = demo_settings(&sim, dir.path(), &opts.slack)?;

    println!("earshot demo: a simulated Hacker News at {} serving {} posts", sim.base_url(), corpus.len());
    println!(
        "watching: {}",
        settings.brands.iter().map(|b| format!("{} ({})", b.name, b.terms.join(", "))).collect::<Vec<_>>().join("; ")
    );
    println!("database: {} (temporary)\n", dir.path().join("earshot.db").display());

    let daemon = Daemon::build(settings, Vec::new()).await?;
    let ctx = daemon.context();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let running = tokio::spawn(daemon.run_until_stopped(async {
        let _ = stop_rx.await;
    }));

    // Phase 1: the first poll reads the backlog and its alerts go out.
    wait_until_settled(&ctx, deadline, 1).await;
    // Phase 2: new posts appear; the next poll reads only those.
    let before = ctx.store.counts().await?.mentions;
    println!("--- {} new posts appear on the platform ---\n", late.len());
    for hit in &late {
        sim.push(hit.clone());
    }
    wait_until_settled(&ctx, deadline, before + 1).await;

    let _ = stop_tx.send(());
    running.await.context("daemon task")??;
    let counts = ctx.store.counts().await?;
    let summary = DemoSummary { posts_served: corpus.len() + late.len(), counts };
    print_summary(&summary, &ctx.metrics.render());
    Ok(summary)
}

/// Waits until at least `min_mentions` are stored and no alert is pending,
/// or the deadline passes.
async fn wait_until_settled(ctx: &crate::daemon::Context, deadline: tokio::time::Instant, min_mentions: u64) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while tokio::time::Instant::now() < deadline {
        tick.tick().await;
        if let Ok(c) = ctx.store.counts().await {
            if c.mentions >= min_mentions && c.outbox_pending == 0 {
                return;
            }
        }
    }
}

fn demo_settings(sim: &HnSimulator, dir: &std::path::Path, slack: &[ReceiverSettings]) -> anyhow::Result<Settings> {
    let db = dir.join("earshot.db");
    let toml = format!(
        r##"
[storage]
url = "sqlite://{db}"
[http]
listen = "127.0.0.1:0"
[delivery]
interval = "100ms"
[[brands]]
name = "Acme Air"
terms = ["acme air", "@acmeair", "#acmeair"]
exclude = ["acme air show"]
[[brands]]
name = "Globex Bank"
terms = ["globex bank", "@globexbank"]
[[sources]]
name = "hn-sim"
type = "hackernews"
every = "2s"
backfill = "2h"
base_url = "{base}"
hits_per_page = 10
[[receivers]]
name = "console"
type = "console"
[[routes]]
receivers = ["console"]
min_urgency = "normal"
"##,
        db = db.display(),
        base = sim.base_url(),
    );
    let path = dir.join("demo.toml");
    std::fs::write(&path, toml).context("writing the demo config")?;
    let mut settings = config::load_with_env(&path, &[]).map_err(|e| anyhow::anyhow!("demo config: {e}"))?;
    if !slack.is_empty() {
        settings.receivers.extend(slack.iter().cloned());
        let path = format!("routes[{}]", settings.routes.len());
        settings.routes.push(RouteSettings::simple(
            path,
            slack.iter().map(|r| r.name.clone()).collect(),
            Urgency::High,
        ));
    }
    Ok(settings)
}

fn print_summary(s: &DemoSummary, metrics: &str) {
    let read: f64 = metric_sum(metrics, "earshot_source_posts_total");
    let dups: f64 = metric_sum(metrics, "earshot_store_duplicates_total");
    println!("--- summary ---");
    println!("posts on the platform:   {}", s.posts_served);
    println!("posts read (all polls):  {read}");
    println!("re-reads dropped:        {dups}");
    println!("mentions stored:         {}", s.counts.mentions);
    println!("urgent (high/critical):  {}", s.counts.urgent_mentions);
    println!("queue items open:        {}", s.counts.queue_open);
    println!("alerts sent:             {}", s.counts.outbox_sent);
    println!("alerts pending / failed: {} / {}", s.counts.outbox_pending, s.counts.outbox_failed);
}

/// Sums every sample of one metric in a Prometheus text exposition.
fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
