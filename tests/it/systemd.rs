//! The binary under a (simulated) systemd: sd_notify messages on a local
//! `NOTIFY_SOCKET` (READY, watchdog keep-alives, RELOADING on SIGHUP,
//! STOPPING on SIGTERM), `earshot healthcheck`, and no secret in any log
//! line even at debug level.

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SLACK_SECRET: &str = "T0SECRET/B0SECRET/slacksecretpath";
const API_SECRET: &str = "api-token-secret-value";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn config(dir: &std::path::Path, port: u16, slack_port: u16) -> std::path::PathBuf {
    let path = dir.join("earshot.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[storage]
url = "sqlite://{db}"
[http]
listen = "127.0.0.1:{port}"
token_env = "EARSHOT_TEST_API_TOKEN"
[log]
format = "json"
level = "debug"
[delivery]
interval = "50ms"
backoff_base = "50ms"
backoff_max = "100ms"
[[brands]]
name = "Acme Air"
terms = ["acme air"]
[[receivers]]
name = "slack"
type = "slack"
url_env = "EARSHOT_TEST_SLACK_URL"
[[routes]]
receivers = ["slack"]
{sources}
"#,
            db = dir.join("e.db").display(),
            sources = secret_sources(slack_port),
        ),
    )
    .unwrap();
    path
}

/// Every kind of platform secret, each source pointed at a port where
/// nothing listens, so every poll fails and is logged.
fn secret_sources(dead_port: u16) -> String {
    let base = format!("http://127.0.0.1:{dead_port}");
    format!(
        r#"
[slack]
signing_secret_env = "T_SIGNING"
[[sources]]
name = "x"
type = "x"
every = "1s"
base_url = "{base}/2"
bearer_token_env = "T_X_BEARER"
[[sources]]
name = "yt"
type = "youtube"
every = "1s"
base_url = "{base}/youtube/v3"
api_key_env = "T_YT_KEY"
[[sources]]
name = "reddit"
type = "reddit"
every = "1s"
base_url = "{base}"
auth_url = "{base}"
client_id_env = "T_REDDIT_ID"
client_secret_env = "T_REDDIT_SECRET"
username = "earshot_test"
[[sources]]
name = "bsky"
type = "bluesky"
every = "1s"
pds_url = "{base}"
identifier = "earshot.test"
app_password_env = "T_BSKY_PASSWORD"
[[sources]]
name = "masto"
type = "mastodon"
every = "1s"
base_url = "{base}"
hashtags = ["acmeair"]
token_env = "T_MASTO_TOKEN"
"#
    )
}

/// The secret of every kind the config above names, by variable.
const SECRETS: [(&str, &str); 7] = [
    ("T_SIGNING", "signing-secret-0123456789"),
    ("T_X_BEARER", "AAAAxbearertokensecret"),
    ("T_YT_KEY", "AIzaYoutubeKeySecret42"),
    ("T_REDDIT_ID", "redditclientidsecret"),
    ("T_REDDIT_SECRET", "redditclientsecretvalue"),
    ("T_BSKY_PASSWORD", "bsky-app-pass-word"),
    ("T_MASTO_TOKEN", "mastodonusertokensecret"),
];

fn spawn(path: &std::path::Path, socket: &std::path::Path, slack_port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_earshot"))
        .arg("--config")
        .arg(path)
        .arg("run")
        .env("NOTIFY_SOCKET", socket)
        .env("WATCHDOG_USEC", "200000")
        .env("EARSHOT_TEST_API_TOKEN", API_SECRET)
        .envs(SECRETS)
        // Nothing listens there: every delivery fails and is logged.
        .env("EARSHOT_TEST_SLACK_URL", format!("http://127.0.0.1:{slack_port}/services/{SLACK_SECRET}"))
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads datagrams until one contains `what`, within a bound.
fn expect_message(sock: &UnixDatagram, what: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            seen.push(msg.clone());
            if msg.contains(what) {
                return;
            }
        }
    }
    panic!("no {what} within 20 s; got {seen:?}");
}

fn signal(child: &Child, sig: &str) {
    assert!(Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success());
}

#[tokio::test]
async fn notify_protocol_watchdog_reload_and_stop_and_no_secret_in_logs() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&socket_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let (port, slack_port) = (free_port(), free_port());
    let path = config(dir.path(), port, slack_port);
    let mut child = spawn(&path, &socket_path, slack_port);
    let logs = collect_logs(&mut child);
    let mut seen = Vec::new();

    expect_message(&sock, "READY=1", &mut seen);
    expect_message(&sock, "WATCHDOG=1", &mut seen);
    expect_message(&sock, "WATCHDOG=1", &mut seen);

    // The container health check uses the binary itself.
    let hc = Command::new(env!("CARGO_BIN_EXE_earshot"))
        .arg("--config")
        .arg(&path)
        .arg("healthcheck")
        .env("EARSHOT_TEST_API_TOKEN", API_SECRET)
        .env("EARSHOT_TEST_SLACK_URL", "http://127.0.0.1:9/x")
        .envs(SECRETS)
        .output()
        .unwrap();
    assert!(hc.status.success(), "{}", String::from_utf8_lossy(&hc.stderr));

    // A pushed post makes the Slack receiver fail (and log) a few times.
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/ingest"))
        .bearer_auth(API_SECRET)
        .json(&serde_json::json!({"id": "1", "text": "Acme Air lost my bag, terrible"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    crate::helpers::wait_until(crate::helpers::BOUND, "a failed delivery attempt", || {
        let url = metrics.clone();
        async move {
            let text = reqwest::get(&url).await.ok().map(|r| r.text());
            match text {
                Some(t) => t.await.unwrap_or_default().contains("outcome=\"retry\""),
                None => false,
            }
        }
    })
    .await;

    signal(&child, "-HUP");
    expect_message(&sock, "RELOADING=1", &mut seen);
    signal(&child, "-TERM");
    expect_message(&sock, "STOPPING=1", &mut seen);
    let out = wait_with_bound(&mut child, logs);
    assert_eq!(out.0, Some(0), "SIGTERM exits 0");

    let logs = out.1;
    assert!(logs.contains("\"level\":\"DEBUG\"") || logs.contains("DEBUG"), "debug logs were written");
    assert!(logs.contains("config reloaded"), "the reload was logged");
    assert!(logs.contains("delivery failed"), "the failing webhook was logged: {logs}");
    for source in ["x", "yt", "reddit", "bsky", "masto"] {
        assert!(logs.contains(&format!("\"source\":\"{source}\"")), "source {source} logged its failure");
    }
    for secret in [SLACK_SECRET, "slacksecretpath", API_SECRET].into_iter().chain(SECRETS.iter().map(|(_, v)| *v)) {
        assert!(!logs.contains(secret), "secret {secret} leaked into the logs");
    }
}

/// Reads the daemon's stderr while it runs: debug logs outgrow a pipe's
/// buffer, and a full pipe would stall the daemon mid-log.
fn collect_logs(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut stderr = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        use std::io::Read;
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs);
        logs
    })
}

fn wait_with_bound(child: &mut Child, logs: std::thread::JoinHandle<String>) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), logs.join().expect("log reader"));
        }
        assert!(Instant::now() < deadline, "daemon did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
