//! Slack buttons end to end: a signed `block_actions` request acknowledges
//! the queue item as the clicking user and updates the message through its
//! `response_url`; unsigned, tampered and stale requests change nothing.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{spawn_app, wait_until, TestApp, API_TOKEN, BOUND};

const SIGNING_SECRET: &str = "test-signing-secret";

fn sign(ts: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SIGNING_SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

async fn click(app: &TestApp, action: &str, item: i64, ts: i64, tamper: bool) -> u16 {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U024BE7LH", "username": "dana", "name": "dana"},
        "response_url": app.slack.url(),
        "message": {"text": "[high] Acme Air", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}},
                                                            {"type": "actions", "elements": []}]},
        "actions": [{"action_id": action, "value": item.to_string(), "action_ts": "1777638700.123456"}],
    });
    let body: String =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish();
    let signature = sign(ts, &body);
    let sent = if tamper { body.replacen("dana", "mallory", 1) } else { body };
    reqwest::Client::new()
        .post(app.http("/slack/actions"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Slack-Request-Timestamp", ts.to_string())
        .header("X-Slack-Signature", signature)
        .body(sent)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn item_state(app: &TestApp, id: i64) -> Value {
    reqwest::Client::new()
        .get(app.http(&format!("/api/v1/queue/{id}")))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_click_acknowledges_and_updates_the_message() {
    let hn = earshot::demo::hn_sim::HnSimulator::start(vec![]).await.unwrap();
    let keys = format!("type = \"hackernews\"\nbase_url = \"{}\"\n", hn.base_url());
    let env = vec![
        ("EARSHOT__SLACK__SIGNING_SECRET".to_string(), SIGNING_SECRET.to_string()),
        ("EARSHOT__SLACK__RESPONSE_URL_PREFIX".to_string(), "http://127.0.0.1:".to_string()),
    ];
    let mut app = spawn_app(keys, env).await;
    let resp = reqwest::Client::new()
        .post(app.http("/api/v1/ingest"))
        .bearer_auth(API_TOKEN)
        .json(&json!({"id": "1", "text": "Acme Air lost my bag"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    app.wait_for_slack(1).await;
    let list: Value = reqwest::Client::new()
        .get(app.http("/api/v1/queue"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_i64().unwrap();
    let now = chrono::Utc::now().timestamp();

    assert_eq!(click(&app, "ack", id, now, true).await, 401, "tampered body");
    assert_eq!(click(&app, "ack", id, now - 301, false).await, 401, "stale timestamp");
    assert_eq!(item_state(&app, id).await["item"]["state"], "open", "refused requests change nothing");

    assert_eq!(click(&app, "ack", id, now, false).await, 200);
    let shown = item_state(&app, id).await;
    assert_eq!(shown["item"]["state"], "acknowledged");
    let last = shown["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["actor"].as_str(), last["via"].as_str()), (Some("slack:dana"), Some("slack")));

    // The message is updated through response_url: buttons gone, outcome said.
    wait_until(BOUND, "message update", || async { app.slack.received().len() >= 2 }).await;
    let update = app.slack.received()[1].clone();
    assert_eq!(update["replace_original"], true);
    assert!(update.to_string().contains("acknowledged by @dana"), "{update}");
    assert!(!update.to_string().contains("\"actions\""), "{update}");

    // A second click is harmless.
    assert_eq!(click(&app, "ack", id, now, false).await, 200);
    assert_eq!(item_state(&app, id).await["events"].as_array().unwrap().len(), 2);
    app.stop().await;
}
