//! PostgreSQL unreachable mid-flood: two replicas reach the server through
//! a loopback proxy; the test cuts it (new connections refused, open ones
//! dropped) until both replicas answer `/readyz` 503, checks they keep
//! running, then restores it. Both become ready again without a restart,
//! and every post published before, during and after the outage is stored
//! exactly once and alerted.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::fakes::slack::FakeSlack;
use crate::flood::{Audit, Flood};
use crate::helpers::wait_until;
use crate::proxy::Proxy;
use crate::replica::{write_config, Replica};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_waited_out_without_loss() {
    let Some(db) = crate::scratch_postgres("an_unreachable_database_is_waited_out_without_loss").await else {
        return;
    };
    let store = earshot::store::Store::open(&db.url).await.expect("open");
    store.migrate().await.expect("migrate");
    let mut proxy = Proxy::closed(&Proxy::upstream_of(&db.url));
    proxy.open().await;
    let slack = FakeSlack::start().await.expect("fake Slack");
    let flood = Flood::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = proxy.url_for(&db.url);
    let config = write_config(dir.path(), "replica", &flood.config(url.as_ref(), &slack, "5ms", ""));
    let mut replicas = [Replica::spawn(&config, "d1"), Replica::spawn(&config, "d2")];
    for r in &replicas {
        wait_until(Duration::from_secs(20), &format!("{} ready", r.id), || async {
            matches!(r.readyz().await, Some((200, _)))
        })
        .await;
    }
    let stop = CancellationToken::new();
    let pushing = flood.run(25, stop.clone());
    let before = flood.pushed().len();
    wait_until(Duration::from_secs(10), "posts stored before the outage", || async {
        store.counts().await.is_ok_and(|c| c.mentions > 0)
    })
    .await;

    proxy.cut();
    for r in &replicas {
        wait_until(Duration::from_secs(20), &format!("{} reports the outage", r.id), || async {
            match r.readyz().await {
                Some((503, body)) => body["database"].as_str().is_some_and(|d| d.contains("did not answer")),
                _ => false,
            }
        })
        .await;
    }
    for r in &mut replicas {
        assert!(r.exited().is_none(), "replica {} kept running", r.id);
    }
    let during = flood.pushed().len();
    proxy.open().await;
    for r in &replicas {
        wait_until(Duration::from_secs(30), &format!("{} ready again", r.id), || async {
            matches!(r.readyz().await, Some((200, _)))
        })
        .await;
    }
    stop.cancel();
    pushing.await.expect("flood task");
    assert!(during > before, "posts were published during the outage");

    let audit = Audit::settle(&flood, &store, &slack, Duration::from_secs(40)).await;
    eprintln!("outage: {} duplicate Slack message(s)", audit.duplicates);
    audit.assert_nothing_lost();
    assert_eq!(audit.duplicates, 0, "an outage doubles nothing");
    for r in &mut replicas {
        r.terminate();
    }
}
