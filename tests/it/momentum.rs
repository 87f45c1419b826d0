//! Momentum between reads: a complaint read again with far more engagement
//! is re-scored, stored anew and alerted to the receivers its new level
//! reaches, once; a repeat complainer's next post carries the repeat.

use serde_json::{json, Value};

use crate::fakes::slack::FakeSlack;
use crate::helpers::{spawn_hn, wait_until, API_TOKEN, BOUND};

async fn push(app: &crate::helpers::TestApp, post: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(app.http("/api/v1/ingest"))
        .bearer_auth(API_TOKEN)
        .json(&json!({ "posts": [post] }))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 202);
    resp.json().await.expect("json")
}

fn post(id: &str, author: &str, text: &str, likes: u64) -> Value {
    json!({"id": id, "platform": "ingest", "author": author, "followers": 10, "likes": likes,
           "text": text, "url": format!("https://example.com/{id}")})
}

#[tokio::test]
async fn rising_mention_alerts_newly_reached_receivers() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let leads = FakeSlack::start().await.expect("second fake Slack");
    let extra = format!(
        "[[receivers]]\nname = \"leads\"\ntype = \"slack\"\nurl = \"{}\"\nmin_interval = \"10ms\"\n\
         [[routes]]\nreceivers = [\"leads\"]\nmin_urgency = \"critical\"\n",
        leads.url()
    );
    app.rewrite_config(&extra);
    app.handle.reload(earshot::daemon::ReloadOrigin::Api).await.expect("reload");

    let text = "Acme Air lost my bag two days ago and nobody answers the phone. Useless.";
    assert_eq!(push(&app, post("v-1", "@quiet", text, 0)).await["new_mentions"], 1);
    app.wait_for_slack(1).await;
    let first = app.ctx.store.recent_mentions(1).await.unwrap().remove(0);
    assert_ne!(first.level, "critical", "a quiet complaint alone is not critical");
    assert!(leads.received().is_empty());

    // Read again: thousands of interactions since. Not new, but risen.
    assert_eq!(push(&app, post("v-1", "@quiet", text, 5_000)).await["duplicates"], 1);
    wait_until(BOUND, "the risen mention reaches the leads' channel", || async { leads.received().len() == 1 }).await;
    let risen = app.ctx.store.recent_mentions(1).await.unwrap().remove(0);
    assert_eq!((risen.id, risen.level.as_str()), (first.id, "critical"));
    let message = leads.received()[0].to_string();
    assert!(message.contains("momentum"), "the alert says why: {message}");

    // A third read with the same counts changes nothing and alerts nobody.
    push(&app, post("v-1", "@quiet", text, 5_000)).await;
    app.stop().await;
    assert_eq!(leads.received().len(), 1);
    assert_eq!(app.slack.received().len(), 1, "the low route had it already");
}

#[tokio::test]
async fn a_repeat_complainer_is_scored_with_their_history() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let text = |n: u32| format!("Acme Air cancelled my flight again, {n} hours on hold and no refund. Awful.");
    for n in 1..=3 {
        push(&app, post(&format!("r-{n}"), "@again", &text(n), 0)).await;
    }
    app.wait_for_slack(3).await;
    app.stop().await;
    let slack = app.slack.received().iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    assert!(slack.contains("3rd complaint this week"), "the third post names the repeat: {slack}");
}
