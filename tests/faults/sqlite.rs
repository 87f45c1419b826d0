//! SQLite under faults: the daemon killed mid-write leaves a consistent
//! database (`PRAGMA integrity_check`, and no partial poll: every stored
//! mention has its outbox row and queue item, each post stored once); a
//! read-only database and a full disk (the file size limit of the process,
//! `ulimit -f`) give a clear error and a non-ready `/readyz`, while the
//! daemon keeps running instead of crash-looping; once the disk has room
//! again (the limit raised with `prlimit`) it recovers by itself, its
//! pooled connections no longer stuck in the transactions whose COMMIT
//! failed, and nothing published meanwhile is lost.

use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::fakes::slack::FakeSlack;
use crate::flood::{Audit, Flood};
use crate::helpers::wait_until;
use crate::replica::{write_config, Replica};

const KILLS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_write_the_database_stays_consistent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("earshot.db");
    let url = format!("sqlite://{}", path.display());
    let slack = FakeSlack::start().await.expect("fake Slack");
    let flood = Flood::start().await;
    let config = write_config(dir.path(), "replica", &flood.config(&url, &slack, "5ms", ""));
    let stop = CancellationToken::new();
    let pushing = flood.run(200, stop.clone());
    let mut replica = Replica::spawn(&config, "solo1");
    for n in 2..=KILLS + 1 {
        let pause = rand::thread_rng().gen_range(700..1500);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        replica.kill9();
        replica = Replica::spawn(&config, &format!("solo{n}"));
    }
    stop.cancel();
    pushing.await.expect("flood task");

    let store = earshot::store::Store::open(&url).await.expect("open");
    let audit = Audit::settle(&flood, &store, &slack, Duration::from_secs(40)).await;
    audit.assert_nothing_lost();
    replica.terminate();

    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the file");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.expect("integrity check");
    assert_eq!(check, "ok");
    let c = store.counts().await.expect("counts");
    // No partial poll: each urgent mention has its queue item and its one
    // outbox row (route and queue both start at `high`).
    assert_eq!(c.queue_open, c.urgent_mentions, "{c:?}");
    assert_eq!(c.outbox_sent + c.outbox_pending + c.outbox_failed, c.urgent_mentions, "{c:?}");
}

/// A migrated database with a few posts in it, and its URL.
async fn prepared(dir: &std::path::Path) -> String {
    let url = format!("sqlite://{}", dir.join("earshot.db").display());
    let store = earshot::store::Store::open(&url).await.expect("open");
    store.migrate().await.expect("migrate");
    url
}

/// Waits until `replica` answers `/readyz` with 503 and a database error
/// containing one of `reasons`, then checks that it keeps running.
async fn not_ready_but_running(replica: &mut Replica, reasons: &[&str]) {
    let r = &*replica;
    wait_until(Duration::from_secs(20), &format!("/readyz 503 naming one of {reasons:?}"), || async {
        match r.readyz().await {
            Some((503, body)) => {
                let db = body["database"].as_str().unwrap_or_default().to_lowercase();
                reasons.iter().any(|r| db.contains(r))
            }
            _ => false,
        }
    })
    .await;
    // Not a crash loop: still up, still answering, a while later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(replica.exited().is_none(), "the daemon exited: {:?}", replica.log());
    let (status, _) = replica.readyz().await.expect("still answers");
    assert_eq!(status, 503);
    let metrics = replica.metrics().await.expect("metrics answer");
    assert!(metrics.contains("earshot_store_up 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_is_reported_not_ready() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = prepared(dir.path()).await;
    let slack = FakeSlack::start().await.expect("fake Slack");
    let flood = Flood::start().await;
    flood.push_one();
    let config = write_config(dir.path(), "ro", &flood.config(&format!("{url}?mode=ro"), &slack, "5ms", ""));
    let mut replica = Replica::spawn(&config, "ro");
    not_ready_but_running(&mut replica, &["readonly"]).await;
    replica.terminate();
}

/// A replica whose files may grow to 256 KiB (the WAL fills up within a
/// few polls) under a flood of `per_second` posts, already reported
/// not ready for the full disk.
struct FullDisk {
    _dir: tempfile::TempDir,
    url: String,
    slack: FakeSlack,
    flood: std::sync::Arc<Flood>,
    stop: CancellationToken,
    pushing: tokio::task::JoinHandle<()>,
    replica: Replica,
}

impl FullDisk {
    async fn start(per_second: u32) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = prepared(dir.path()).await;
        let slack = FakeSlack::start().await.expect("fake Slack");
        let flood = Flood::start().await;
        let config = write_config(dir.path(), "full", &flood.config(&url, &slack, "5ms", ""));
        let stop = CancellationToken::new();
        let pushing = flood.run(per_second, stop.clone());
        let mut replica = Replica::spawn_with_file_limit(&config, "full", 512);
        // EFBIG reaches SQLite as a write error (or, on a really full disk, SQLITE_FULL).
        not_ready_but_running(&mut replica, &["disk i/o error", "full"]).await;
        FullDisk { _dir: dir, url, slack, flood, stop, pushing, replica }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_not_ready() {
    // Held whole: its folder, fakes and flood live until the end.
    let mut disk = FullDisk::start(200).await;
    disk.stop.cancel();
    (&mut disk.pushing).await.expect("flood task");
    disk.replica.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_recovers_once_there_is_room() {
    let FullDisk { _dir, url, slack, flood, stop, pushing, mut replica } = FullDisk::start(100).await;

    let room = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", replica.pid()))
        .arg("--fsize=unlimited")
        .status()
        .expect("prlimit runs");
    assert!(room.success(), "prlimit raised the file size limit");
    let r = &replica;
    wait_until(Duration::from_secs(20), "/readyz 200 once the disk has room", || async {
        matches!(r.readyz().await, Some((200, _)))
    })
    .await;
    // Once a poll committed again, every later one does, on whichever
    // pooled connection it gets: none is stuck in a failed transaction.
    let store = earshot::store::Store::open(&url).await.expect("open");
    let mut recovered_at = 0;
    for round in 0..5 {
        let before = store.counts().await.expect("counts").mentions;
        wait_until(Duration::from_secs(10), &format!("round {round}: new posts committed"), || async {
            store.counts().await.is_ok_and(|c| c.mentions > before)
        })
        .await;
        if round == 0 {
            recovered_at = replica.log().len();
        }
    }
    stop.cancel();
    pushing.await.expect("flood task");
    let audit = Audit::settle(&flood, &store, &slack, Duration::from_secs(30)).await;
    audit.assert_nothing_lost();
    let log = replica.log();
    let stuck: Vec<_> = log.iter().filter(|l| l.contains("transaction depth")).collect();
    assert!(stuck.is_empty(), "a connection was reused inside a failed transaction: {stuck:?}");
    let failed: Vec<_> = log[recovered_at..]
        .iter()
        .filter(|l| l.contains(r#""level":"WARN""#) || l.contains(r#""level":"ERROR""#))
        .collect();
    assert!(failed.is_empty(), "failures after the recovery: {failed:?}");
    assert!(replica.exited().is_none(), "the daemon kept running");
    replica.terminate();
}
