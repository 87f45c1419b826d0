//! Hot reload end to end: a good config swaps in new brands and sources, a
//! bad one is refused with file, key and reason while the old one keeps
//! running, removed sources stop, and an edit on disk reloads by itself.

use serde_json::{json, Value};

use crate::helpers::{spawn_hn, wait_until, TestApp, API_TOKEN};

async fn reload(app: &TestApp) -> (u16, Value) {
    let resp =
        reqwest::Client::new().post(app.http("/-/reload")).bearer_auth(API_TOKEN).send().await.expect("reload request");
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

/// A reload stops the old generation (bounded by its drain timeout) before
/// it is seen; on a loaded CI machine give it room.
const RELOAD_BOUND: std::time::Duration = std::time::Duration::from_secs(30);

const GLOBEX: &str = r#"
[[brands]]
name = "Globex"
terms = ["globex"]
"#;

#[tokio::test]
async fn a_good_reload_adds_brands_and_sources() {
    let (mut app, hn) = spawn_hn(vec![]).await;
    let second = format!(
        "{GLOBEX}\n[[sources]]\nname = \"hn2\"\ntype = \"hackernews\"\ncron = \"0 0 0 1 1 *\"\nbase_url = \"{}\"\n",
        hn.base_url()
    );
    app.rewrite_config(&second);
    let (status, body) = reload(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sources_added"], json!(["hn2"]));
    assert_eq!(body["brands"], 2);
    let ctx = app.handle.context();
    assert_eq!(ctx.sources.len(), 2);

    // The new brand is heard at once.
    let resp = reqwest::Client::new()
        .post(app.http("/api/v1/ingest"))
        .bearer_auth(API_TOKEN)
        .json(&json!({"id": "g1", "text": "Globex charged me twice"}))
        .send()
        .await
        .unwrap();
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["new_mentions"], 1, "{answer}");
    app.wait_for_slack(1).await;
    app.stop().await;
}

#[tokio::test]
async fn a_bad_reload_is_refused_and_the_old_config_keeps_running() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    app.rewrite_config("[[routes]]\nreceivers = [\"nobody\"]\n");
    let (status, body) = reload(&app).await;
    assert_eq!(status, 400);
    let err = body["error"].as_str().unwrap();
    assert!(err.contains("earshot.toml") && err.contains("routes[1].receivers[0]") && err.contains("nobody"), "{err}");
    assert_eq!(app.handle.context().settings.routes.len(), 1, "old config still running");

    let metrics = reqwest::get(app.http("/metrics")).await.unwrap().text().await.unwrap();
    // Counted (the file watcher may have refused the same edit too).
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("earshot_config_reloads_total{outcome=\"refused\"} "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    assert!(refused >= Some(1.0), "{metrics}");

    // Without a token nobody may reload.
    let resp = reqwest::Client::new().post(app.http("/-/reload")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn removing_a_source_stops_it_and_an_edit_on_disk_reloads_by_itself() {
    let hn = std::sync::Arc::new(earshot::demo::hn_sim::HnSimulator::start(vec![]).await.unwrap());
    let keys = format!("type = \"hackernews\"\nbase_url = \"{}\"\n", hn.base_url());
    // The suite turns the file watcher off; this test turns it back on.
    let env = vec![
        ("EARSHOT__RELOAD__WATCH_FILE".to_string(), "true".to_string()),
        ("EARSHOT__RELOAD__WATCH_INTERVAL".to_string(), "100ms".to_string()),
    ];
    let mut app = crate::helpers::spawn_app(keys, env).await;
    let second = format!(
        "[[sources]]\nname = \"hn2\"\ntype = \"hackernews\"\ncron = \"0 0 0 1 1 *\"\nbase_url = \"{}\"\n",
        hn.base_url()
    );
    app.rewrite_config(&second);
    wait_until(RELOAD_BOUND, "the edited file is picked up", || async { app.handle.context().sources.len() == 2 })
        .await;

    app.rewrite_config(GLOBEX);
    wait_until(RELOAD_BOUND, "the second edit is picked up", || async {
        let ctx = app.handle.context();
        ctx.sources.len() == 1 && ctx.settings.brands.len() == 2
    })
    .await;
    let ready: Value = reqwest::get(app.http("/readyz")).await.unwrap().json().await.unwrap();
    assert_eq!(ready["sources"].as_array().map(Vec::len), Some(1), "{ready}");
    app.stop().await;
}
