//! The routing tree end to end: a flood of urgent mentions through the
//! Hacker News simulator becomes a handful of digests at the fake Slack,
//! paced to one message a second, with every mention accounted for in the
//! store; silences created over the API mute alerts and are recorded.

use std::sync::Arc;
use std::time::Duration;

use earshot::demo::hn_sim::{HnSimulator, SimHit};
use serde_json::{json, Value};

use crate::helpers::{spawn_routed, wait_until, TestApp, API_TOKEN};

const BRANDS: [&str; 3] = ["Acme Air", "Globex", "Initech"];

/// Three brands, one paced Slack receiver, one route grouping by brand.
const FLOOD_ROUTES: &str = r#"
[[brands]]
name = "Globex"
terms = ["globex"]
[[brands]]
name = "Initech"
terms = ["initech"]
[[receivers]]
name = "paced"
type = "slack"
url = "{slack_url}"
min_interval = "1s"
[[routes]]
receivers = ["paced"]
group_by = ["brand"]
group_wait = "1s"
group_interval = "3s"
"#;

fn urgent(i: usize, now: i64) -> SimHit {
    let brand = BRANDS[i % BRANDS.len()];
    let text = format!(
        "{brand} lost my bag and cancelled my flight, 3 hours on hold, worst service ever, I want a refund now <!channel> #{i}"
    );
    SimHit::story(format!("9{i:05}"), &format!("user{i}"), now - 60 + (i % 50) as i64, &text)
}

async fn flood_app() -> (TestApp, Arc<HnSimulator>) {
    let hn = Arc::new(HnSimulator::start(Vec::new()).await.expect("simulator starts"));
    let keys = format!(
        "type = \"hackernews\"\nbase_url = \"{}\"\nhits_per_page = 1000\nqueries = [\"acme air\", \"globex\", \"initech\"]\n",
        hn.base_url()
    );
    (spawn_routed(keys, Vec::new(), FLOOD_ROUTES).await, hn)
}

/// The alert count a digest message announces (`[high] 333 alerts grouped: ...`).
fn digest_count(msg: &Value) -> u64 {
    let text = msg["text"].as_str().unwrap_or_default();
    text.split(' ').nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_flood_becomes_paced_digests_and_every_mention_is_accounted_for() {
    let (mut app, hn) = flood_app().await;
    let now = chrono::Utc::now().timestamp();
    for i in 0..500 {
        hn.push(urgent(i, now));
    }
    let first = app.poll().await.expect("first poll");
    for i in 500..1000 {
        hn.push(urgent(i, now));
    }
    let second = app.poll().await.expect("second poll");
    let inserted = first.commit.inserted + second.commit.inserted;
    assert_eq!(inserted, 1000, "every flood post is a new mention");

    let store = app.ctx.store.clone();
    let store = &store;
    wait_until(Duration::from_secs(40), "every mention in a sent digest", || async {
        store.outbox_in_state("digested").await.unwrap() == 1000
            && store.outbox_in_state("pending").await.unwrap() == 0
            && store.outbox_in_state("grouped").await.unwrap() == 0
    })
    .await;
    app.stop().await;

    let attempts = app.slack.attempts();
    for pair in attempts.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap >= Duration::from_millis(950), "two webhook requests {gap:?} apart");
    }
    let received = app.slack.received();
    // Three groups, each flushed at most once per group_interval while the flood lasts.
    assert!((3..=9).contains(&received.len()), "{} messages for 1000 mentions", received.len());
    assert_eq!(received.iter().map(digest_count).sum::<u64>(), 1000, "the digests announce every mention");
    assert_eq!(store.outbox_in_state("sent").await.unwrap(), received.len() as u64);
    assert_eq!(store.outbox_in_state("failed").await.unwrap(), 0);
    app.slack.assert_no_unescaped_mentions();
    for msg in &received {
        let blocks = msg["blocks"].as_array().expect("Block Kit");
        assert!(blocks.len() <= 50);
        assert!(msg.to_string().contains("&lt;!channel&gt;"), "hostile text shown escaped");
    }
}

async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, app.http(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_silence_from_the_api_mutes_alerts_and_is_recorded() {
    let (mut app, hn) = flood_app().await;
    let post = reqwest::Method::POST;
    let silence =
        json!({"matchers": ["brand = Globex"], "duration": "1h", "comment": "known outage", "created_by": "ops"});
    assert_eq!(api(&app, post.clone(), "/api/v1/silences", None, Some(silence.clone())).await.0, 401);
    let (status, bad) = api(
        &app,
        post.clone(),
        "/api/v1/silences",
        Some(API_TOKEN),
        Some(json!({"matchers": ["colour = red"], "duration": "1h"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(bad["error"].as_str().unwrap().starts_with("matchers[0]"), "{bad}");
    let (status, created) = api(&app, post, "/api/v1/silences", Some(API_TOKEN), Some(silence)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["silence"]["id"].as_i64().unwrap();

    let now = chrono::Utc::now().timestamp();
    for i in 0..6 {
        hn.push(urgent(i, now)); // two per brand
    }
    app.poll().await.expect("poll");
    let store = app.ctx.store.clone();
    let store = &store;
    assert_eq!(store.outbox_in_state("silenced").await.unwrap(), 2, "Globex's two mentions are silenced");
    wait_until(Duration::from_secs(20), "the other brands' digests", || async {
        store.outbox_in_state("digested").await.unwrap() == 4 && store.outbox_in_state("pending").await.unwrap() == 0
    })
    .await;
    assert!(app.slack.received().iter().all(|m| !m.to_string().contains("Globex")), "nothing about Globex sent");

    let (status, listed) = api(&app, reqwest::Method::GET, "/api/v1/silences", Some(API_TOKEN), None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["silences"][0]["matchers"], json!(["brand = Globex"]));
    let path = format!("/api/v1/silences/{id}");
    let (status, expired) = api(&app, reqwest::Method::DELETE, &path, Some(API_TOKEN), None).await;
    assert_eq!((status, expired["silence"]["active"].clone()), (200, json!(false)));
    assert_eq!(api(&app, reqwest::Method::DELETE, "/api/v1/silences/999", Some(API_TOKEN), None).await.0, 404);
    let (_, listed) = api(&app, reqwest::Method::GET, "/api/v1/silences", Some(API_TOKEN), None).await;
    assert_eq!(listed["silences"], json!([]));
    app.stop().await;
}

fn earshot(config: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_earshot"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("USER", "dana")
        .output()
        .expect("earshot runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_prints_the_tree_explains_routes_and_manages_silences() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("earshot.toml");
    let toml = format!(
        r#"
[storage]
url = "sqlite://{}/earshot.db"
[[brands]]
name = "Acme Air"
terms = ["acme air"]
[[receivers]]
name = "support"
type = "console"
[[receivers]]
name = "billing"
type = "console"
[[routes]]
receivers = ["support"]
matchers = ["brand = Acme Air", "urgency >= high"]
continue = false
group_by = ["brand"]
  [[routes.routes]]
  matchers = ["topic = billing"]
  receivers = ["billing"]
"#,
        dir.path().display()
    );
    std::fs::write(&config, toml).unwrap();

    let (ok, out, err) = earshot(&config, &["check-config"]);
    assert!(ok, "{err}");
    assert!(out.contains("- routes[0]: brand = \"Acme Air\", urgency >= high -> support; group by [brand]"), "{out}");
    assert!(out.contains("  - routes[0].routes[0]: topic = billing -> billing"), "{out}");

    let args =
        ["route", "--explain", "--brand", "Acme Air", "--urgency", "high", "--platform", "x", "--topic", "billing"];
    let (ok, out, err) = earshot(&config, &args);
    assert!(ok, "{err}");
    assert!(out.contains("-> billing via routes[0].routes[0]"), "{out}");
    let (ok, out, _) = earshot(&config, &["route", "--explain", "--brand", "Acme Air", "--urgency", "low"]);
    assert!(ok && out.contains("urgency >= high does not hold") && out.contains("nobody is alerted"), "{out}");

    let (ok, out, err) =
        earshot(&config, &["silence", "add", "--matcher", "brand = Acme Air", "--for", "2h", "--comment", "outage"]);
    assert!(ok && out.starts_with("silence 1 until"), "{out}{err}");
    let (ok, out, _) = earshot(&config, &["silence", "list"]);
    assert!(ok && out.contains("active") && out.contains("by dana: brand = \"Acme Air\" · outage"), "{out}");
    let (ok, out, _) = earshot(&config, &["silence", "expire", "1"]);
    assert!(ok && out.contains("silence 1 ended"), "{out}");
    let (ok, out, _) = earshot(&config, &["silence", "list"]);
    assert!(ok && out.trim().is_empty(), "{out}");
    let (ok, _, err) = earshot(&config, &["silence", "add", "--matcher", "colour = red", "--for", "2h"]);
    assert!(!ok && err.contains("matchers[0]: unknown label"), "{err}");
}
