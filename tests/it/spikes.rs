//! Spikes end to end: a burst of complaints polled from the (simulated)
//! platform fires one spike alert in Slack; while it fires, ordinary
//! mentions of the brand are stored with `inhibited` outbox rows (counted,
//! never sent) and urgent ones still go out; the spike resolves with one
//! message. The spike timer runs in the daemon as well: whichever tick
//! counts an interval first, there is one alert.

use chrono::{Duration, Utc};
use earshot::demo::hn_sim::SimHit;
use earshot::domain::Urgency;

use crate::helpers::{spawn_hn_with, wait_until, BOUND};

/// One-minute intervals, learnt after one, firing from 3 mentions.
const SPIKES: &str = r#"
[spikes]
interval = "1m"
warmup = "1m"
min_count = 3
sensitivity = 2.0
resolve_after = 3
per_topic = false
"#;

fn ago(secs: i64) -> i64 {
    Utc::now().timestamp() - secs
}

fn complaint(id: &str, author: &str, text: &str) -> SimHit {
    SimHit::comment(id, author, ago(20), (1, "Airline IT outages"), &format!("<p>{text}</p>"))
}

fn spike_messages(received: &[serde_json::Value]) -> Vec<String> {
    received
        .iter()
        .filter_map(|m| m["blocks"][0]["text"]["text"].as_str())
        .filter(|h| h.starts_with("Spike"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_burst_fires_one_spike_inhibits_ordinary_mentions_and_resolves() {
    let burst: Vec<SimHit> = (0..5)
        .map(|i| {
            complaint(&format!("{i}"), &format!("user{i}"), "Acme Air lost my bag, terrible service, never again!")
        })
        .collect();
    let (mut app, hn) = spawn_hn_with(burst, SPIKES).await;
    let ctx = app.ctx.clone();
    // The interval before start: the brand's one warm-up interval.
    ctx.spike_tick(Utc::now()).await.expect("first spike round");
    assert!(ctx.store.spike_series().await.unwrap().0.is_some());
    let first = app.poll().await.expect("poll");
    assert_eq!(first.commit.inserted, 5);
    app.wait_for_slack(5).await;

    // Count the burst's interval (the daemon's own timer may get there
    // first; either way the spike fires once).
    let later = Utc::now() + Duration::seconds(70);
    ctx.spike_tick(later).await.expect("spike tick");
    ctx.spike_tick(later).await.expect("a second tick for the same time does nothing");
    wait_until(BOUND, "the spike alert", || async { !spike_messages(&app.slack.received()).is_empty() }).await;
    assert_eq!(ctx.store.firing_spike_brands().await.unwrap().len(), 1);
    let spikes = spike_messages(&app.slack.received());
    assert_eq!(spikes.len(), 1, "{spikes:?}");
    assert!(spikes[0].starts_with("Spike: Acme Air,"), "{spikes:?}");
    let body = app.slack.received().iter().find(|m| m.to_string().contains("Spike: Acme Air")).unwrap().to_string();
    assert!(body.contains("5 negative mentions in 1 min"), "{body}");
    assert!(body.contains("lost my bag"), "examples are quoted: {body}");

    // While it fires: ordinary mentions are held, urgent ones are sent.
    let sent_before = app.slack.received().len();
    hn.push(complaint("10", "mild1", "Not thrilled with the Acme Air snacks"));
    hn.push(complaint("11", "mild2", "The Acme Air app is kind of bad"));
    hn.push(
        complaint(
            "12",
            "loud",
            "URGENT: Acme Air flight AA12 passengers stuck on the tarmac for 6 hours, no water, a child fainted! \
             Disgusting and dangerous. Lawyers are being called.",
        )
        .with_engagement(900, 300),
    );
    let second = app.poll().await.expect("poll while firing");
    assert_eq!(second.commit.inserted, 3);
    let levels: Vec<Urgency> =
        ctx.store.recent_mentions(3).await.unwrap().iter().map(|m| Urgency::parse(&m.level).expect("level")).collect();
    let ordinary = levels.iter().filter(|l| **l <= Urgency::Normal).count() as u64;
    assert!(ordinary >= 1, "the test needs an ordinary mention: {levels:?}");
    assert_eq!(second.commit.routed.inhibited, ordinary, "{levels:?}");
    let urgent = levels.len() - ordinary as usize;
    wait_until(BOUND, "urgent mentions sent", || async { app.slack.received().len() >= sent_before + urgent }).await;
    wait_until(BOUND, "outbox drained", || async { app.counts().await.outbox_pending == 0 }).await;
    let counts = app.counts().await;
    assert_eq!(counts.outbox_inhibited, ordinary);
    assert_eq!(app.slack.received().len(), sent_before + urgent, "inhibited rows are never sent");
    let metrics = reqwest::get(app.http("/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(&format!("earshot_delivery_routed_total{{outcome=\"inhibited\"}} {ordinary}")),
        "{metrics}"
    );
    assert!(metrics.contains("earshot_spikes_firing 1"), "{metrics}");

    // Quiet intervals end it: one resolved message.
    let quiet = later + Duration::minutes(5);
    let report = ctx.spike_tick(quiet).await.expect("tick");
    assert_eq!(report.resolved, 1, "{report:?}");
    wait_until(BOUND, "the resolved message", || async { spike_messages(&app.slack.received()).len() == 2 }).await;
    assert!(spike_messages(&app.slack.received())[1].starts_with("Spike over: Acme Air"));
    assert!(ctx.store.firing_spike_brands().await.unwrap().is_empty());
    app.stop().await;
}
