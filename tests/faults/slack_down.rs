//! Slack down for a while (500s, and requests that hang past the client's
//! timeout) during a flood: alerts wait in the outbox, retried with
//! backoff; after recovery the backlog is delivered, paced by the
//! receiver's `min_interval`, and nothing is lost. Two replicas on
//! PostgreSQL when `EARSHOT_TEST_PG` is set, else one on SQLite.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::fakes::slack::FakeSlack;
use crate::flood::{Audit, Flood};
use crate::helpers::wait_until;
use crate::replica::{write_config, Replica};

/// The receiver's pacing in this test.
const PACE: Duration = Duration::from_millis(50);
const OUTAGE: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slack_outage_delays_alerts_but_loses_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, _db) = crate::shared_database("a_slack_outage_delays_alerts_but_loses_none", dir.path()).await;
    let store = earshot::store::Store::open(&url).await.expect("open");
    store.migrate().await.expect("migrate");
    let slack = FakeSlack::start().await.expect("fake Slack");
    let flood = Flood::start().await;
    let config = write_config(dir.path(), "replica", &flood.config(&url, &slack, "50ms", ""));
    let count = if _db.is_some() { 2 } else { 1 };
    let mut replicas: Vec<Replica> = (1..=count).map(|i| Replica::spawn(&config, &format!("s{i}"))).collect();

    let stop = CancellationToken::new();
    let pushing = flood.run(10, stop.clone());
    wait_until(Duration::from_secs(20), "alerts flow before the outage", || async { slack.received().len() >= 3 })
        .await;
    slack.outage(OUTAGE, Duration::from_millis(1500));
    let down_from = tokio::time::Instant::now();
    tokio::time::sleep(OUTAGE).await;
    stop.cancel();
    pushing.await.expect("flood task");

    let audit = Audit::settle(&flood, &store, &slack, Duration::from_secs(40)).await;
    audit.assert_nothing_lost();
    assert_eq!(audit.duplicates, 0, "a failed attempt is retried, never doubled");

    let attempts = slack.attempts();
    let failed = attempts.iter().filter(|a| a.at >= down_from && a.status == 500).count();
    assert!(failed >= 2, "earshot kept trying during the outage ({failed} failed attempts)");
    // The backlog after recovery is paced: at most `count` messages (one
    // per replica's gate) per PACE, with a little slack for timer jitter.
    let after: Vec<_> =
        attempts.iter().filter(|a| a.at >= down_from + OUTAGE && a.status == 200).map(|a| a.at).collect();
    assert!(after.len() >= 5, "a backlog was delivered after recovery ({} messages)", after.len());
    let window = PACE * 10;
    let most = after.iter().map(|t| after.iter().filter(|u| **u >= *t && **u < *t + window).count()).max();
    let allowed = count * 11 + 1;
    assert!(most.unwrap_or(0) <= allowed, "at most {allowed} messages per {window:?}, saw {most:?}");
    for r in &mut replicas {
        r.terminate();
    }
}
