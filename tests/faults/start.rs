//! Start-up without a database: `earshot run` started before its
//! database is reachable keeps running, answers `/healthz`, reports a
//! 503 `/readyz` with the reason and tells systemd why (`STATUS=`, no
//! `READY=1`), logs every attempt without the URL's password, survives a
//! SIGHUP meanwhile, and starts
//! normally (migrates, polls, alerts) once the database appears: a
//! PostgreSQL server behind a loopback proxy the test opens only later,
//! or a SQLite directory whose path is blocked by a file until the test
//! removes it.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;

use crate::fakes::slack::FakeSlack;
use crate::flood::{Audit, Flood};
use crate::helpers::wait_until;
use crate::proxy::Proxy;
use crate::replica::{write_config, Replica};

const PASSWORD: &str = "pw-never-logged-7f3a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_started_late_is_waited_for() {
    let Some(db) = crate::scratch_postgres("postgres_started_late_is_waited_for").await else {
        return;
    };
    // Nothing listens behind the proxy's port until it opens. The password
    // is ignored by the trust-auth test server.
    let mut proxy = Proxy::closed(&Proxy::upstream_of(&db.url));
    let mut url = proxy.url_for(&db.url);
    url.set_password(Some(PASSWORD)).unwrap();
    waits_then_starts(url.as_ref(), &["connection refused"], || proxy.open()).await;
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_directory_that_appears_late_is_waited_for() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = dir.path().join("data");
    std::fs::write(&blocker, b"the volume is not mounted yet").unwrap();
    let url = format!("sqlite://{}", blocker.join("earshot.db").display());
    waits_then_starts(&url, &["cannot prepare the data directory"], || async move {
        std::fs::remove_file(&blocker).expect("unblock the path");
    })
    .await;
}

/// Starts a replica on `url`, checks it waits (not ready for one of
/// `reasons`, alive, systemd told why, not READY), runs `make_reachable`,
/// then checks it becomes ready, tells systemd READY and alerts.
async fn waits_then_starts<F, Fut>(url: &str, reasons: &[&str], make_reachable: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let slack = FakeSlack::start().await.expect("fake Slack");
    let flood = Flood::start().await;
    let config = write_config(dir.path(), "late", &flood.config(url, &slack, "5ms", ""));
    let notify = Notifications::bind(dir.path());
    let mut replica = Replica::spawn_with_env(&config, "late", &[("NOTIFY_SOCKET", &notify.path())]);

    let r = &replica;
    wait_until(Duration::from_secs(20), &format!("/readyz 503 naming one of {reasons:?}"), || async {
        match r.readyz().await {
            Some((503, body)) => {
                let db = body["database"].as_str().unwrap_or_default().to_lowercase();
                db.starts_with("waiting for the database") && reasons.iter().any(|r| db.contains(r))
            }
            _ => false,
        }
    })
    .await;
    assert_eq!(replica.get("/healthz").await, Some((200, "ok\n".to_string())), "alive while waiting");
    assert_eq!(replica.get("/api/v1/queue").await.map(|(s, _)| s), Some(503), "the API waits too");
    let log = replica.log().join("\n");
    assert!(log.contains("database unreachable; not ready, waiting for it"), "{log}");
    let mut told = notify.drain();
    assert!(told.iter().any(|m| m.contains("STATUS=waiting for the database")), "{told:?}");
    assert!(told.iter().any(|m| m.contains("EXTEND_TIMEOUT_USEC=")), "{told:?}");
    assert!(!told.iter().any(|m| m.contains("READY=1")), "not READY before the database: {told:?}");
    assert!(replica.exited().is_none(), "the daemon exited: {log}");
    // A reload asked for while waiting does not end the process.
    let hup = std::process::Command::new("kill").arg("-HUP").arg(replica.pid().to_string()).status();
    assert!(hup.expect("kill runs").success());
    let r = &replica;
    wait_until(Duration::from_secs(5), "/readyz answers after SIGHUP", || async {
        matches!(r.readyz().await, Some((503, _)))
    })
    .await;
    assert!(replica.exited().is_none(), "SIGHUP ended the waiting daemon");

    make_reachable().await;
    let r = &replica;
    wait_until(Duration::from_secs(40), "/readyz 200 once the database is reachable", || async {
        matches!(r.readyz().await, Some((200, _)))
    })
    .await;
    wait_until(Duration::from_secs(5), "READY=1 on the notify socket", || {
        told.extend(notify.drain());
        let ready = told.iter().any(|m| m.contains("READY=1"));
        async move { ready }
    })
    .await;

    // It works: posts published now are polled, stored once and alerted.
    for _ in 0..4 {
        flood.push_one();
    }
    let store = earshot::store::Store::open(url).await.expect("open");
    let audit = Audit::settle(&flood, &store, &slack, Duration::from_secs(20)).await;
    audit.assert_nothing_lost();
    let log = replica.log().join("\n");
    assert!(!log.contains(PASSWORD), "the password reached the log");
    assert!(log.contains("database reachable; starting"), "{log}");
    replica.terminate();
}

/// A `NOTIFY_SOCKET` the test reads without blocking.
struct Notifications {
    socket: UnixDatagram,
    path: std::path::PathBuf,
}

impl Notifications {
    fn bind(dir: &Path) -> Notifications {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("notify socket");
        socket.set_nonblocking(true).unwrap();
        Notifications { socket, path }
    }

    fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Every message received so far.
    fn drain(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.socket.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        out
    }
}
