//! Reddit against its fake, where the contract suite does not reach: the
//! app-only token (Basic auth, cached, renewed once on 401), the
//! User-Agent Reddit requires, token endpoint failures (including 200 with
//! an `error`), subreddit search with `restrict_sr` and unreadable
//! subreddits skipped, and comments with removed ones left out.

use earshot::daemon::PollError;
use earshot::sources::SourceError;

use crate::contract::checks::stored_ids;
use crate::contract::{FakePost, PlatformFake};
use crate::fakes::reddit::{RedditFake, CLIENT_ID, SUB};
use crate::helpers::spawn_app;

fn posts(n: i64) -> Vec<FakePost> {
    (1..=n).map(|i| FakePost::mention(&i.to_string(), 3000 - 60 * i)).collect()
}

async fn expect_auth(app: &crate::helpers::TestApp) -> String {
    match app.poll().await {
        Err(PollError::Source(SourceError::Auth(msg))) => msg,
        other => panic!("expected Auth, got {other:?}"),
    }
}

#[tokio::test]
async fn one_token_with_basic_auth_serves_every_request() {
    let fake = RedditFake::start(posts(3)).await;
    let mut app = spawn_app(fake.source_keys(), fake.env()).await;
    assert_eq!(app.poll().await.expect("first poll").commit.inserted, 3);
    fake.publish(FakePost::mention("4", 5));
    assert_eq!(app.poll().await.expect("second poll").commit.inserted, 1);
    assert_eq!(fake.0.with(|api| api.token_requests), 1, "the token is cached");
    let token_req = &fake.0.requests_to("/api/v1/access_token")[0];
    assert!(token_req.header("authorization").is_some_and(|a| a.starts_with("Basic ")));
    assert_eq!(String::from_utf8_lossy(&token_req.body), "grant_type=client_credentials");
    for r in fake.0.requests_to("/search") {
        assert_eq!(r.bearer(), Some("tok-1"));
        let ua = r.header("user-agent").unwrap();
        assert!(ua.contains(":earshot:v") && ua.ends_with("(by /u/acme_ops)"), "{ua}");
        assert_eq!((r.param("sort").as_deref(), r.param("raw_json").as_deref()), (Some("new"), Some("1")));
        assert_eq!(r.param("t").as_deref(), Some("day"));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let fake = RedditFake::start(posts(2)).await;
    let mut app = spawn_app(fake.source_keys(), fake.env()).await;
    app.poll().await.expect("first poll");
    fake.0.with(|api| api.expire_tokens());
    fake.publish(FakePost::mention("3", 5));
    assert_eq!(app.poll().await.expect("poll with a renewed token").commit.inserted, 1);
    assert_eq!(fake.0.with(|api| api.token_requests), 2);

    // A fresh token refused too: a configuration problem, not a loop.
    fake.0.with(|api| {
        api.token_uses = 0;
        api.expire_tokens();
    });
    let msg = expect_auth(&app).await;
    assert!(msg.contains("HTTP 401"), "{msg}");
    assert_eq!(fake.0.with(|api| api.token_requests), 3, "exactly one renewal");
    app.stop().await;
}

#[tokio::test]
async fn a_generic_user_agent_is_blocked_and_reported_as_auth() {
    let fake = RedditFake::start(posts(1)).await;
    let keys = fake.keys("user_agent = \"reqwest/0.12\"\n");
    let mut app = spawn_app(keys, fake.env()).await;
    let msg = expect_auth(&app).await;
    assert!(msg.contains("HTTP 403") && msg.contains("Blocked") && msg.contains("User-Agent"), "{msg}");
    app.stop().await;
}

#[tokio::test]
async fn token_endpoint_failures_are_auth_without_the_secret() {
    let fake = RedditFake::start(posts(1)).await;
    fake.0.with(|api| api.token_error = Some("invalid_grant".into()));
    let mut app = spawn_app(fake.source_keys(), fake.env()).await;
    let msg = expect_auth(&app).await;
    assert!(msg.contains("invalid_grant") && msg.contains("`client_secret`"), "{msg}");
    app.stop().await;

    let fake = RedditFake::start(posts(1)).await;
    let mut app = spawn_app(fake.source_keys(), RedditFake::credentials(CLIENT_ID, "wrong-s3cr3t")).await;
    let msg = expect_auth(&app).await;
    assert!(msg.contains("HTTP 401") && !msg.contains("s3cr3t"), "{msg}");
    assert_eq!(fake.0.requests_to("/search").len(), 0);
    app.stop().await;
}

#[tokio::test]
async fn subreddits_are_searched_alone_and_unreadable_ones_skipped() {
    let fake = RedditFake::start(posts(2)).await;
    fake.0.with(|api| {
        api.publish("flying", "t3", FakePost::mention("elsewhere", 30));
        api.private_subs.insert("secretclub".into());
    });
    let keys = fake.keys(&format!("subreddits = [\"r/{SUB}\", \"secretclub\", \"nosuchsub\"]\n"));
    let mut app = spawn_app(keys, fake.env()).await;
    let report = app.poll().await.expect("bad subreddits are skipped, not fatal");
    assert_eq!(report.commit.inserted, 2);
    assert_eq!(stored_ids(&app).await, ["t3_1", "t3_2"].iter().map(|s| s.to_string()).collect());
    let travel = fake.0.requests_to(&format!("/r/{SUB}/search"));
    assert!(!travel.is_empty() && travel.iter().all(|r| r.param("restrict_sr").as_deref() == Some("1")));
    assert!(!fake.0.requests_to("/subreddits/search").is_empty(), "the unknown one was redirected");
    assert!(fake.0.requests_to("/search").is_empty(), "no site-wide search");
    app.stop().await;
}

#[tokio::test]
async fn comments_are_read_when_asked_and_removed_ones_left_out() {
    let fake = RedditFake::start(vec![]).await;
    fake.0.with(|api| {
        api.publish(SUB, "t1", FakePost::mention("c1", 60));
        api.publish(SUB, "t1", FakePost::mention("c2", 50));
        api.publish(SUB, "t1", FakePost::mention("c3", 40));
        api.remove("c2", "moderator");
    });
    let keys = fake.keys(&format!("subreddits = [\"{SUB}\"]\ncomments = true\n"));
    let mut app = spawn_app(keys, fake.env()).await;
    app.poll().await.expect("poll");
    assert_eq!(stored_ids(&app).await, ["t1_c1", "t1_c3"].iter().map(|s| s.to_string()).collect());
    assert!(!fake.0.requests_to(&format!("/r/{SUB}/comments")).is_empty());
    app.stop().await;
}
