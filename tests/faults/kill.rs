//! SIGKILL at random points: three replicas on one PostgreSQL database
//! share a flood; one of them, picked at random, is killed every 0.3-1.2 s
//! (mid-poll, mid-commit, mid-send, wherever it is) and a fresh one takes
//! its place, 20 times. Afterwards every post is stored exactly once and
//! every urgent mention reached Slack; duplicate Slack messages (a row
//! sent, then its replica killed before marking it) are counted, reported
//! and bounded by the number of kills.

use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::fakes::slack::FakeSlack;
use crate::flood::{Audit, Flood};
use crate::helpers::wait_until;
use crate::replica::{write_config, Replica};

const KILLS: usize = 20;
const REPLICAS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_replicas_mid_flood_loses_nothing() {
    let Some(db) = crate::scratch_postgres("killing_replicas_mid_flood_loses_nothing").await else { return };
    let store = earshot::store::Store::open(&db.url).await.expect("open");
    store.migrate().await.expect("migrate");
    let slack = FakeSlack::start().await.expect("fake Slack");
    let flood = Flood::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), "replica", &flood.config(&db.url, &slack, "5ms", ""));

    let mut started = 0;
    let mut spawn = || {
        started += 1;
        Replica::spawn(&config, &format!("r{started}"))
    };
    let mut replicas: Vec<Replica> = (0..REPLICAS).map(|_| spawn()).collect();
    wait_until(Duration::from_secs(20), "a replica polls the source", || async {
        store.leases().await.is_ok_and(|l| l.iter().any(|l| l.name == "source:hn"))
    })
    .await;

    let stop = CancellationToken::new();
    let pushing = flood.run(25, stop.clone());
    for _ in 0..KILLS {
        let pause = rand::thread_rng().gen_range(300..1200);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let victim = rand::thread_rng().gen_range(0..replicas.len());
        replicas[victim].kill9();
        replicas[victim] = spawn();
    }
    stop.cancel();
    pushing.await.expect("flood task");

    let audit = Audit::settle(&flood, &store, &slack, Duration::from_secs(40)).await;
    eprintln!(
        "{KILLS} kills of {REPLICAS} replicas: {} Slack messages for {} urgent mentions, {} duplicate(s)",
        audit.slack_messages, audit.urgent, audit.duplicates
    );
    audit.assert_nothing_lost();
    assert!(audit.duplicates <= KILLS, "at most one duplicate per kill (the send-then-crash window)");

    // Who holds what is visible: a live replica's /readyz names a live
    // holder of the source (once a dead holder's lease has lapsed).
    let ids: Vec<String> = replicas.iter().map(|r| r.id.clone()).collect();
    let first = &replicas[0];
    wait_until(Duration::from_secs(10), "a live replica holds the source", || async {
        let Some((200, body)) = first.readyz().await else { return false };
        let leases = body["leases"].as_array().cloned().unwrap_or_default();
        let holder = leases.iter().find(|l| l["name"] == "source:hn").and_then(|l| l["holder"].as_str());
        holder.is_some_and(|h| ids.iter().any(|id| id == h))
    })
    .await;
    for r in &mut replicas {
        r.terminate();
    }
}
