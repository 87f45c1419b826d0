//! PostgreSQL connections killed mid-flood: every 0.5-1 s the test
//! terminates every other session on the replicas' database
//! (`pg_terminate_backend`), eight times. Queries in flight fail, polls
//! and deliveries retry on fresh connections, and afterwards every post is
//! stored exactly once and every urgent mention reached Slack once.

use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::fakes::slack::FakeSlack;
use crate::flood::{Audit, Flood};
use crate::helpers::wait_until;
use crate::replica::{write_config, Replica};

const CUTS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_database_connections_lose_and_double_nothing() {
    let Some(db) = crate::scratch_postgres("killed_database_connections_lose_and_double_nothing").await else {
        return;
    };
    let store = earshot::store::Store::open(&db.url).await.expect("open");
    store.migrate().await.expect("migrate");
    let slack = FakeSlack::start().await.expect("fake Slack");
    let flood = Flood::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), "replica", &flood.config(&db.url, &slack, "5ms", ""));
    let mut replicas = [Replica::spawn(&config, "p1"), Replica::spawn(&config, "p2")];
    wait_until(Duration::from_secs(20), "a replica polls the source", || async {
        store.leases().await.is_ok_and(|l| l.iter().any(|l| l.name == "source:hn"))
    })
    .await;

    let admin = sqlx::PgPool::connect(&db.url).await.expect("admin connection");
    let stop = CancellationToken::new();
    let pushing = flood.run(25, stop.clone());
    let mut terminated = 0;
    for _ in 0..CUTS {
        let pause = rand::thread_rng().gen_range(500..1000);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&admin)
        .await
        .expect("terminate sessions");
        terminated += killed.iter().filter(|k| **k).count();
    }
    stop.cancel();
    pushing.await.expect("flood task");
    assert!(terminated >= CUTS, "sessions were terminated ({terminated})");

    let audit = Audit::settle(&flood, &store, &slack, Duration::from_secs(40)).await;
    eprintln!("{terminated} sessions terminated: {} duplicate Slack message(s)", audit.duplicates);
    audit.assert_nothing_lost();
    assert_eq!(audit.duplicates, 0, "a lost connection doubles nothing");
    for r in &mut replicas {
        assert!(r.exited().is_none(), "replica {} kept running", r.id);
        r.terminate();
    }
    admin.close().await;
}
