//! SLA escalation through the running daemon: the queue clock escalates a
//! late item once per breach, through a route on `kind = sla_breach` to a
//! leads' channel, records the breach (shown by
//! the API and counted in /metrics), and leaves an item acknowledged in
//! time with only its resolve SLA to breach. SLAs of seconds, so the
//! alerts are due at once (the clock itself is tested with explicit times
//! in `store/tests/sla.rs` and paused in `daemon/queue_timer.rs`).

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use earshot::demo::hn_sim::HnSimulator;

use crate::fakes::slack::FakeSlack;
use crate::helpers::{spawn_routed, wait_until, TestApp, API_TOKEN, BOUND};

async fn api(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new().request(method, app.http(path)).bearer_auth(API_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.expect("json")
}

async fn push(app: &TestApp, id: &str, text: &str) -> i64 {
    api(app, reqwest::Method::POST, "/api/v1/ingest", Some(json!({"id": id, "author": "@sam", "text": text}))).await;
    let list = api(app, reqwest::Method::GET, "/api/v1/queue?limit=1", None).await;
    list["items"][0]["id"].as_i64().expect("an item")
}

/// Every level: acknowledge within 3 s, resolve within 6 s.
fn short_slas() -> Vec<(String, String)> {
    let mut env = Vec::new();
    for level in ["CRITICAL", "HIGH", "NORMAL", "LOW"] {
        env.push((format!("EARSHOT__QUEUE__SLA__{level}__ACK"), "3s".to_string()));
        env.push((format!("EARSHOT__QUEUE__SLA__{level}__RESOLVE"), "6s".to_string()));
    }
    env
}

/// Mentions to the responders' Slack, SLA breaches to the leads' channel
/// by their `kind` label.
fn routes(leads: &FakeSlack) -> String {
    format!(
        "[[receivers]]\nname = \"leads\"\ntype = \"slack\"\nurl = \"{}\"\nmin_interval = \"10ms\"\n\
         [[routes]]\nreceivers = [\"slack\"]\nmatchers = [\"kind = mention\"]\n\
         [[routes]]\nreceivers = [\"leads\"]\nmatchers = [\"kind = sla_breach\"]\n",
        leads.url()
    )
}

#[tokio::test]
async fn late_items_are_escalated_once_per_breach_to_the_leads() {
    let leads = FakeSlack::start().await.expect("leads' fake Slack");
    let hn = HnSimulator::start(vec![]).await.expect("simulator");
    let keys = format!("type = \"hackernews\"\nbase_url = \"{}\"\n", hn.base_url());
    let mut app = spawn_routed(keys, short_slas(), &routes(&leads)).await;
    let late = push(&app, "s-1", "Acme Air cancelled my flight and nobody answers. Awful.").await;
    let acked = push(&app, "s-2", "Acme Air lost my bag, still waiting for an answer.").await;
    let opened = Utc::now();
    api(&app, reqwest::Method::POST, &format!("/api/v1/queue/{acked}/ack"), Some(json!({"actor": "dana"}))).await;
    app.wait_for_slack(2).await;

    let ctx = app.handle.context();
    let first = ctx.queue_tick(Utc::now()).await.expect("tick");
    assert_eq!((first.ack_breaches, first.resolve_breaches), (0, 0), "nothing is late yet");
    let past_resolve = opened + Duration::seconds(7);
    wait_until(BOUND, "both SLAs pass", || async { Utc::now() >= past_resolve }).await;
    let later = ctx.queue_tick(Utc::now()).await.expect("tick");
    assert_eq!((later.ack_breaches, later.resolve_breaches), (1, 2), "the acknowledged item breaches resolve only");
    let next = ctx.queue_tick(Utc::now()).await.expect("tick");
    assert_eq!((next.ack_breaches, next.resolve_breaches), (0, 0), "not again on the next tick");
    wait_until(BOUND, "3 breaches in the leads' channel", || async { leads.received().len() >= 3 }).await;
    let breaches: Vec<String> = leads.received().iter().map(Value::to_string).collect();
    assert!(breaches.iter().all(|m| m.contains("SLA breach")), "{breaches:?}");
    assert_eq!(breaches.len(), 3, "{breaches:?}");
    assert!(breaches.iter().any(|m| m.contains(&format!("item #{late} not acknowledged in time"))), "{breaches:?}");
    assert!(breaches.iter().any(|m| m.contains(&format!("item #{acked} not resolved in time"))), "{breaches:?}");

    let shown = api(&app, reqwest::Method::GET, &format!("/api/v1/queue/{late}"), None).await;
    let kinds: Vec<&str> = shown["breaches"].as_array().unwrap().iter().map(|b| b["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ack", "resolve"], "{shown}");
    let shown = api(&app, reqwest::Method::GET, &format!("/api/v1/queue/{acked}"), None).await;
    assert_eq!(shown["breaches"].as_array().unwrap().len(), 1, "{shown}");

    let metrics = reqwest::get(app.http("/metrics")).await.unwrap().text().await.unwrap();
    let breach_total: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("earshot_queue_sla_breaches_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(breach_total, 3.0, "{metrics}");
    assert!(metrics.contains("earshot_queue_items{state=\"acknowledged\"} 1"), "{metrics}");
    assert!(metrics.contains("earshot_queue_ack_duration_seconds_count{"), "{metrics}");
    app.stop().await;
    assert_eq!(leads.received().len(), 3, "once per breach");
    assert_eq!(app.slack.received().len(), 2, "the responders' channel had the two mentions only");
}
