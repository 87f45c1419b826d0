//! The `earshot` binary as admins and scripts use it: exit codes, the
//! `score` contract, SIGTERM handling.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::wait_until;

fn earshot() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_earshot"));
    c.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("EARSHOT_CONFIG").env("RUST_LOG", "info");
    c
}

#[test]
fn check_config_accepts_the_default_config() {
    let out = earshot().args(["check-config"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("is valid") && stdout.contains("Acme Air"), "{stdout}");
}

#[test]
fn check_config_refuses_with_file_key_reason_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[brands]]\nname = \"A\"\nterms = [\"a\"]\n[[sources]]\nname = \"hn\"\ntype = \"hackernews\"\nevery = \"often\"\n",
    )
    .unwrap();
    let out = earshot().arg("--config").arg(&path).arg("check-config").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&path.display().to_string()), "names the file: {stderr}");
    assert!(stderr.contains("sources[0].every"), "names the key: {stderr}");
    assert!(stderr.contains("bad duration"), "gives the reason: {stderr}");
}

#[test]
fn a_missing_secret_env_var_is_refused() {
    let out = earshot()
        .args(["--config", "config/earshot.example.toml", "check-config"])
        .env_remove("EARSHOT_SLACK_SUPPORT_URGENT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EARSHOT_SLACK_SUPPORT_URGENT"));
}

#[test]
fn score_writes_exactly_one_line_per_input_line() {
    let mut child = earshot().args(["score", "--json"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let input: &[u8] =
        b"I love this airline!\n\nworst service ever, 3 hours on hold\r\n\xff\xfe broken utf8\nno newline at end";
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let c = v["compound"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&c));
        let u = v["urgency"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&u));
        assert!(["negative", "neutral", "positive"].contains(&v["label"].as_str().unwrap()));
        assert!(["critical", "high", "normal", "low"].contains(&v["level"].as_str().unwrap()));
        assert!(v["topics"].is_array() && v["reasons"].is_array());
    }
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["label"], "positive");
    let third: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(third["label"], "negative");
}

#[tokio::test]
async fn sigterm_stops_the_daemon_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let path = dir.path().join("earshot.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\nurl = \"sqlite://{}/e.db\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n\
             [[brands]]\nname = \"A\"\nterms = [\"acme\"]\n[[receivers]]\nname = \"c\"\ntype = \"console\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let mut child = earshot().arg("--config").arg(&path).arg("run").stderr(Stdio::null()).spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let client = reqwest::Client::new();
    wait_until(Duration::from_secs(20), "daemon ready", || {
        let (client, url) = (client.clone(), url.clone());
        async move { client.get(&url).send().await.map(|r| r.status().is_success()).unwrap_or(false) }
    })
    .await;
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "daemon did not stop after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(code.code(), Some(0), "SIGTERM exits 0");
    assert!(dir.path().join("e.db").exists(), "the database was created on first start");
}
