//! The history and follow-up flow end to end, against the simulated Hacker
//! News and the fake Slack: a complaint opens an item and its alert shows
//! the author's history; after the resolve, the queue clock sends one
//! follow-up reminder once `follow_up_after` has passed; the same author's
//! next post about the brand is recorded on the item as "recovered" and
//! its alert says so.

use chrono::{DateTime, Duration, Utc};
use earshot::demo::hn_sim::SimHit;
use serde_json::{json, Value};

use crate::helpers::{spawn_hn_with_env, wait_until, TestApp, API_TOKEN, BOUND};

fn ago(secs: i64) -> i64 {
    Utc::now().timestamp() - secs
}

async fn api(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new().request(method, app.http(path)).bearer_auth(API_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.expect("json")
}

fn slack_text(app: &TestApp, i: usize) -> String {
    app.slack.received()[i].to_string()
}

#[tokio::test]
async fn complaint_resolve_reminder_then_the_customer_recovers() {
    let complaint = SimHit::comment(
        "101",
        "carol",
        ago(120),
        (1, "Airline rants"),
        "<p>Acme Air lost my bag again and nobody answers. Terrible service!</p>",
    );
    let env = vec![("EARSHOT__QUEUE__FOLLOW_UP_AFTER".to_string(), "3s".to_string())];
    let (mut app, hn) = spawn_hn_with_env(vec![complaint], env).await;
    app.poll().await.expect("first poll");
    app.wait_for_slack(1).await;
    assert!(slack_text(&app, 0).contains("customer: first mention from this author"), "{}", slack_text(&app, 0));

    let list = api(&app, reqwest::Method::GET, "/api/v1/queue?state=open", None).await;
    let id = list["items"][0]["id"].as_i64().expect("an open item");
    let resolved = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/queue/{id}/resolve"),
        Some(json!({"actor": "dana", "note": "bag found, courier booked"})),
    )
    .await;
    assert_eq!(resolved["item"]["state"], "resolved");

    // The follow-up is due `follow_up_after` (3 s here) after the resolve: once.
    let ctx = app.handle.context();
    let early = ctx.queue_tick(Utc::now()).await.expect("tick");
    assert_eq!(early.follow_ups, 0);
    let resolved_at: DateTime<Utc> = resolved["item"]["resolved_at"].as_str().unwrap().parse().unwrap();
    let due_at = resolved_at + Duration::seconds(3);
    wait_until(BOUND, "the follow-up is due", || async { Utc::now() >= due_at }).await;
    let due = ctx.queue_tick(Utc::now()).await.expect("tick");
    assert_eq!(due.follow_ups, 1);
    let again = ctx.queue_tick(Utc::now()).await.expect("tick");
    assert_eq!(again.follow_ups, 0, "one reminder per resolve");
    app.wait_for_slack(2).await;
    let reminder = slack_text(&app, 1);
    assert!(reminder.contains(&format!("Follow up: Acme Air item #{id} was resolved")), "{reminder}");
    assert!(reminder.contains("no post from the customer since"), "{reminder}");

    // The same author posts again about the brand, happy now (in a later
    // second than the resolve: HN times are whole seconds).
    let posted_at = resolved_at.timestamp() + 1;
    wait_until(BOUND, "the clock passes the resolve", || async { Utc::now().timestamp() > posted_at }).await;
    hn.push(SimHit::comment(
        "102",
        "carol",
        posted_at,
        (1, "Airline rants"),
        "<p>Update: Acme Air found my bag and the courier brought it today. Thank you, great service!</p>",
    ));
    app.poll().await.expect("second poll");
    app.wait_for_slack(3).await;
    let alert = slack_text(&app, 2);
    assert!(alert.contains(&format!("after item #{id} was resolved: recovered")), "{alert}");
    assert!(alert.contains("1 earlier mention (1 negative)") && alert.contains("last: negative"), "{alert}");

    let shown = api(&app, reqwest::Method::GET, &format!("/api/v1/queue/{id}"), None).await;
    assert_eq!(shown["item"]["outcome"], "recovered", "{shown}");
    assert!(shown["item"]["reminded_at"].is_string(), "{shown}");
    let notes: Vec<&str> = shown["events"].as_array().unwrap().iter().filter_map(|e| e["note"].as_str()).collect();
    assert!(notes.iter().any(|n| n.contains("follow-up due; reminder sent")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("customer posted again") && n.ends_with("recovered")), "{notes:?}");
    assert_eq!(shown["customer"]["author"], "carol");
    assert_eq!(shown["customer"]["history"]["previous_mentions"], 1, "{shown}");
    assert_eq!(shown["customer"]["history"]["last"], "positive", "{shown}");
    app.stop().await;
    app.slack.assert_no_unescaped_mentions();
}
