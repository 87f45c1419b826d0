//! The checks every source must pass, generic over its [`PlatformFake`].

use std::collections::HashSet;
use std::time::Duration;

use earshot::daemon::PollError;
use earshot::domain::SourceName;
use earshot::sources::SourceError;

use super::{FakeFault, FakePost, PlatformFake};
use crate::helpers::{spawn_app, TestApp, SOURCE};

async fn app_for<F: PlatformFake>(posts: Vec<FakePost>) -> (TestApp, F) {
    let fake = F::start(posts).await;
    let app = spawn_app(fake.source_keys(), fake.env()).await;
    (app, fake)
}

pub async fn stored_ids(app: &TestApp) -> HashSet<String> {
    app.ctx.store.recent_mentions(10_000).await.expect("mentions").into_iter().map(|m| m.external_id).collect()
}

fn expect_ids<F: PlatformFake>(fake: &F, ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|id| fake.external_id(id)).collect()
}

pub async fn cursor(app: &TestApp) -> Option<earshot::sources::Cursor> {
    app.ctx.store.cursor(&SourceName::new(SOURCE)).await.expect("cursor")
}

fn posts(ids: &[&str]) -> Vec<FakePost> {
    ids.iter().enumerate().map(|(i, id)| FakePost::mention(id, 600 - 60 * i as i64)).collect()
}

/// Five items over several pages, then two more: each stored once.
pub async fn pages_through_everything_new<F: PlatformFake>() {
    let (mut app, fake) = app_for::<F>(posts(&["1", "2", "3", "4", "5"])).await;
    let first = app.poll().await.expect("first poll");
    assert_eq!(first.commit.inserted, 5, "every item read: {first:?}");
    assert!(first.pages >= 3, "page size 2 means at least 3 pages: {first:?}");
    assert_eq!(stored_ids(&app).await, expect_ids(&fake, &["1", "2", "3", "4", "5"]));

    fake.publish(FakePost::mention("6", 20));
    fake.publish(FakePost::mention("7", 10));
    let second = app.poll().await.expect("second poll");
    assert_eq!(second.commit.inserted, 2, "only the new items are new: {second:?}");
    app.wait_for_slack(7).await;
    app.stop().await;
    assert_eq!(app.slack.received().len(), 7, "one alert per item, none doubled");
}

/// Stored cursor survives a restart; nothing is read twice into the store.
pub async fn resumes_after_restart_without_duplicates<F: PlatformFake>() {
    let (app, fake) = app_for::<F>(posts(&["1", "2", "3"])).await;
    assert_eq!(app.poll().await.expect("poll").commit.inserted, 3);
    app.wait_for_slack(3).await;
    assert!(cursor(&app).await.is_some(), "a cursor is stored with the items");

    let mut app = app.restart().await;
    fake.publish(FakePost::mention("4", 5));
    let again = app.poll().await.expect("poll after restart");
    assert_eq!(again.commit.inserted, 1, "{again:?}");
    app.wait_for_slack(4).await;
    app.stop().await;
    assert_eq!(app.slack.received().len(), 4, "no duplicate alert across the restart");
}

/// Deleted items vanish (or become tombstones) without an error or a ghost.
pub async fn deleted_items_cause_no_error_and_no_ghost<F: PlatformFake>() {
    let (mut app, fake) = app_for::<F>(posts(&["1", "2", "3"])).await;
    fake.delete("2");
    let first = app.poll().await.expect("poll with a deleted item");
    assert_eq!(stored_ids(&app).await, expect_ids(&fake, &["1", "3"]), "{first:?}");
    fake.delete("3");
    fake.publish(FakePost::mention("4", 5));
    app.poll().await.expect("poll after another deletion");
    assert_eq!(stored_ids(&app).await, expect_ids(&fake, &["1", "3", "4"]));
    app.stop().await;
}

/// A 429 with the platform's headers becomes `RateLimited` with its wait.
pub async fn rate_limits_are_classified_with_the_wait<F: PlatformFake>() {
    let (mut app, fake) = app_for::<F>(posts(&["1", "2"])).await;
    fake.fail_next(FakeFault::RateLimited { retry_after_secs: 30 });
    match app.poll().await {
        Err(PollError::Source(SourceError::RateLimited { retry_after })) => assert!(
            (Duration::from_secs(28)..=Duration::from_secs(32)).contains(&retry_after),
            "the platform asked for 30 s, got {retry_after:?}"
        ),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(app.counts().await.mentions, 0);
    assert_eq!(cursor(&app).await, None, "the cursor did not move");
    assert_eq!(app.poll().await.expect("poll after the wait").commit.inserted, 2);
    app.stop().await;
}

/// 5xx and timeouts are transient; nothing is stored until a good poll.
pub async fn server_errors_and_timeouts_store_nothing<F: PlatformFake>() {
    let (mut app, fake) = app_for::<F>(posts(&["1", "2", "3"])).await;
    fake.fail_next(FakeFault::ServerError);
    let err = app.poll().await.expect_err("503 fails the poll");
    assert!(matches!(err, PollError::Source(SourceError::Transient(_))), "{err}");
    fake.fail_next(FakeFault::Slow(Duration::from_secs(3)));
    let err = app.poll().await.expect_err("a timeout fails the poll");
    assert!(matches!(err, PollError::Source(SourceError::Transient(_))), "{err}");
    assert_eq!(app.counts().await.mentions, 0);
    assert_eq!(cursor(&app).await, None);
    assert_eq!(app.poll().await.expect("good poll").commit.inserted, 3);
    app.stop().await;
}

/// A truncated body is `Malformed`; nothing stored, nothing advanced.
pub async fn malformed_bodies_store_nothing<F: PlatformFake>() {
    let (mut app, fake) = app_for::<F>(posts(&["1", "2", "3"])).await;
    fake.fail_next(FakeFault::Malformed);
    let err = app.poll().await.expect_err("malformed body fails the poll");
    assert!(matches!(err, PollError::Source(SourceError::Malformed(_))), "{err}");
    assert_eq!(app.counts().await.mentions, 0);
    assert_eq!(cursor(&app).await, None);
    assert_eq!(app.poll().await.expect("good poll").commit.inserted, 3);
    app.stop().await;
}

/// A 50 kB post with Slack markup and control characters is stored, and its
/// alert reaches Slack escaped.
pub async fn hostile_text_is_stored_whole_and_escaped_for_slack<F: PlatformFake>() {
    let mut text = String::from("Acme Air <!channel> <!here> <@U024BE7LH> & \u{7}\u{1b}[31m lost my bag ");
    while text.len() < 50_000 {
        text.push_str("never again, awful service. ");
    }
    let hostile = FakePost { id: "666".into(), author: "troll".into(), text, created_at: chrono::Utc::now() };
    let (mut app, fake) = app_for::<F>(vec![hostile]).await;
    app.poll().await.expect("hostile post polls fine");
    app.wait_for_slack(1).await;
    app.stop().await;
    let stored = app.ctx.store.recent_mentions(1).await.expect("mentions");
    assert_eq!(stored[0].external_id, fake.external_id("666"));
    assert!(stored[0].text.len() >= 40_000, "the post is stored whole ({} bytes)", stored[0].text.len());
    assert!(stored[0].text.contains("<!channel>"), "stored as the author wrote it");
    app.slack.assert_no_unescaped_mentions();
    let body = app.slack.received()[0].to_string();
    assert!(body.contains("&lt;!channel&gt;"), "escaped for Slack");
    assert!(body.len() < 20_000, "cut to Slack's limits ({} bytes)", body.len());
}
