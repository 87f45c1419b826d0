//! The queue over HTTP: list with filters, show with the audit trail,
//! moves, assignment, notes, and the 400/401/404/409 answers.

use serde_json::{json, Value};

use crate::helpers::{spawn_hn, TestApp, API_TOKEN};

async fn call(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, app.http(path)).bearer_auth(API_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

async fn push(app: &TestApp, id: &str, text: &str) {
    let (status, _) = call(app, reqwest::Method::POST, "/api/v1/ingest", Some(json!({"id": id, "text": text}))).await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn items_move_through_the_queue_with_an_audit_trail() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    push(&app, "a", "Acme Air lost my bag").await;
    push(&app, "b", "Acme Air cancelled my flight, awful").await;

    let (status, list) = call(&app, reqwest::Method::GET, "/api/v1/queue?state=open&limit=1", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let newest = list["items"][0]["id"].as_i64().unwrap();
    let next = list["next_before"].as_i64().expect("a next page");
    let (_, page2) = call(&app, reqwest::Method::GET, &format!("/api/v1/queue?state=open&before={next}"), None).await;
    let older = page2["items"][0]["id"].as_i64().unwrap();
    assert!(older < newest);

    let ack = |id: i64| format!("/api/v1/queue/{id}/ack");
    let (status, body) = call(&app, reqwest::Method::POST, &ack(newest), Some(json!({"actor": "dana"}))).await;
    assert_eq!((status, body["item"]["state"].as_str()), (200, Some("acknowledged")), "{body}");
    let (status, body) = call(&app, reqwest::Method::POST, &ack(newest), None).await;
    assert_eq!(status, 409, "a second ack conflicts: {body}");
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/queue/{newest}/assign"),
        Some(json!({"assignee": "dana", "actor": "lead"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/queue/{newest}/resolve"),
        Some(json!({"actor": "dana", "note": "rebooked, bag on its way"})),
    )
    .await;
    assert_eq!(status, 200);

    let (status, shown) = call(&app, reqwest::Method::GET, &format!("/api/v1/queue/{newest}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["item"]["assignee"], "dana");
    let trail: Vec<(String, String)> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["to"].as_str().unwrap().to_string(), e["actor"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        trail,
        [("open", "earshot"), ("acknowledged", "dana"), ("acknowledged", "lead"), ("resolved", "dana")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let (_, mine) = call(&app, reqwest::Method::GET, "/api/v1/queue?assignee=dana&state=resolved", None).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    push(&app, "a", "Acme Air lost my bag").await;
    let resp = reqwest::Client::new().get(app.http("/api/v1/queue")).send().await.unwrap();
    assert_eq!(resp.status(), 401, "reading the queue needs the token");
    let get = reqwest::Method::GET;
    assert_eq!(call(&app, get.clone(), "/api/v1/queue?state=sleeping", None).await.0, 400);
    assert_eq!(call(&app, get.clone(), "/api/v1/queue?colour=red", None).await.0, 400);
    assert_eq!(call(&app, get.clone(), "/api/v1/queue/999", None).await.0, 404);
    let post = reqwest::Method::POST;
    assert_eq!(call(&app, post.clone(), "/api/v1/queue/999/ack", None).await.0, 404);
    let (_, list) = call(&app, get, "/api/v1/queue", None).await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(call(&app, post.clone(), &format!("/api/v1/queue/{id}/explode"), None).await.0, 404);
    assert_eq!(call(&app, post.clone(), &format!("/api/v1/queue/{id}/reopen"), None).await.0, 409);
    assert_eq!(call(&app, post.clone(), &format!("/api/v1/queue/{id}/assign"), Some(json!({}))).await.0, 400);
    assert_eq!(call(&app, post, &format!("/api/v1/queue/{id}/ack"), Some(json!({"who": "x"}))).await.0, 400);
    app.stop().await;
}

/// Runs `earshot queue ARGS` on `config`. Off the test's runtime thread:
/// the daemon under test runs on that thread, and a transaction it has
/// open must be able to finish while the CLI waits for the write lock (a
/// blocking wait there froze it, and the CLI gave up after its busy
/// timeout with "database is locked" when the machine was loaded).
async fn earshot_queue(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_earshot"));
    cmd.arg("--config").arg(config).arg("queue").args(args).env_remove("EARSHOT_CONFIG");
    tokio::task::spawn_blocking(move || cmd.output().expect("earshot runs")).await.expect("CLI thread")
}

#[tokio::test]
async fn the_cli_moves_items_too() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    push(&app, "a", "Acme Air lost my bag").await;
    let config = app.dir.path().join("earshot.toml");
    let list = earshot_queue(&config, &["list", "--state", "open"]).await;
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    let stdout = String::from_utf8_lossy(&list.stdout).into_owned();
    let id = stdout.split_whitespace().next().unwrap().trim_start_matches('#').to_string();
    assert!(stdout.contains("Acme Air"), "{stdout}");

    let ack = earshot_queue(&config, &["ack", &id, "--as", "dana", "--note", "calling them"]).await;
    assert!(String::from_utf8_lossy(&ack.stdout).contains("is acknowledged"), "{ack:?}");
    let again = earshot_queue(&config, &["ack", &id]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("cannot ack an item that is acknowledged"), "{again:?}");
    let shown = String::from_utf8_lossy(&earshot_queue(&config, &["show", &id]).await.stdout).into_owned();
    assert!(shown.contains("open -> acknowledged by dana via cli · calling them"), "{shown}");
    assert!(shown.contains("SLA clock from") && shown.contains("acknowledged 20"), "{shown}");
    assert!(shown.contains("customer @") && shown.contains("first mention from this author"), "{shown}");
    app.stop().await;
}

/// `GET /api/v1/queue` as if from `client` (forwarded by a proxy on this
/// host) with `token`, if any: (status, `Retry-After`).
async fn list_from(app: &TestApp, client: &str, token: Option<&str>) -> (u16, Option<String>) {
    let mut req = reqwest::Client::new().get(app.http("/api/v1/queue")).header("x-forwarded-for", client);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (resp.status().as_u16(), retry)
}

#[tokio::test]
async fn wrong_api_tokens_are_limited_per_client_address() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    for n in 0..10 {
        assert_eq!(list_from(&app, "192.0.2.9", Some("guess")).await, (401, None), "guess {n}");
    }
    let (status, retry) = list_from(&app, "192.0.2.9", Some(API_TOKEN)).await;
    assert_eq!(status, 429, "not even the right token is compared");
    assert!(retry.and_then(|r| r.parse::<u64>().ok()).is_some_and(|s| (1..=300).contains(&s)));
    assert_eq!(list_from(&app, "192.0.2.10", Some(API_TOKEN)).await.0, 200, "another address is not affected");
    // A missing token is no guess.
    for _ in 0..12 {
        assert_eq!(list_from(&app, "192.0.2.11", None).await.0, 401);
    }
    assert_eq!(list_from(&app, "192.0.2.11", Some(API_TOKEN)).await.0, 200);
    app.stop().await;
}
