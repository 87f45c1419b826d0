//! `POST /api/v1/ingest`: pushed posts enter the pipeline like polled ones.

use serde_json::{json, Value};

use crate::helpers::{spawn_hn, API_TOKEN};

async fn push(app: &crate::helpers::TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(app.http("/api/v1/ingest")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pushed_posts_are_matched_stored_and_alerted_once() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let body = json!({"posts": [
        {"id": "zd-1", "platform": "ingest", "author": "@priya", "followers": 20400,
         "text": "4 hours on the tarmac with Acme Air & no water. <!channel> Never again!",
         "url": "https://support.example.com/t/1", "created_at": "2026-05-01T12:30:00Z"},
        {"id": "zd-2", "text": "Nothing about airlines here"}
    ]});
    let (status, answer) = push(&app, Some(API_TOKEN), body.clone()).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer, json!({"accepted": 2, "new_mentions": 1, "duplicates": 0}));

    // The same push again is recognised: no second alert.
    let (status, answer) = push(&app, Some(API_TOKEN), body).await;
    assert_eq!(status, 202);
    assert_eq!(answer["duplicates"], 1);

    app.wait_for_slack(1).await;
    app.stop().await;
    assert_eq!(app.slack.received().len(), 1);
    app.slack.assert_no_unescaped_mentions();
    let stored = app.ctx.store.recent_mentions(10).await.unwrap();
    assert_eq!((stored[0].platform.as_str(), stored[0].source.as_str()), ("ingest", "ingest"));
}

#[tokio::test]
async fn the_write_api_refuses_bad_tokens_and_bad_bodies() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let post = json!({"id": "1", "text": "Acme Air"});
    assert_eq!(push(&app, None, post.clone()).await.0, 401);
    assert_eq!(push(&app, Some("wrong"), post).await.0, 401);

    let (status, answer) = push(&app, Some(API_TOKEN), json!({"posts": [{"id": "1"}]})).await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("text"), "{answer}");
    let (status, answer) = push(&app, Some(API_TOKEN), json!({"id": "1", "text": "x", "platform": "myspace"})).await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("posts[0]: platform"), "{answer}");
    assert_eq!(app.counts().await.mentions, 0, "nothing stored from refused requests");
    app.stop().await;
}
