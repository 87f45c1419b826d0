//! Mastodon against its fake instance, where the contract suite does not
//! reach: `min_id` paging by the `Link` header from the backfill start,
//! boosts, status search with a user token, refused tokens, restricted and
//! unknown tags, the rate-limit budget, and statuses dated in the future.

use earshot::daemon::PollError;
use earshot::sources::mastodon::{id_at, id_time, MastodonCursor};
use earshot::sources::SourceError;

use crate::contract::checks::{cursor, stored_ids};
use crate::contract::{FakePost, PlatformFake};
use crate::fakes::mastodon::{MastodonFake, TAG, TOKEN};
use crate::helpers::spawn_app;

const TOKEN_ENV: &str = "EARSHOT_TEST_MASTODON_TOKEN";

fn posts(n: i64) -> Vec<FakePost> {
    (1..=n).map(|i| FakePost::mention(&i.to_string(), 3000 - 60 * i)).collect()
}

fn with_token(fake: &MastodonFake) -> String {
    fake.keys(&format!("token_env = \"{TOKEN_ENV}\"\n"))
}

#[tokio::test]
async fn min_id_paging_walks_forward_from_the_backfill_start() {
    let fake = MastodonFake::start(posts(5)).await;
    let mut app = spawn_app(fake.source_keys(), vec![]).await;
    let report = app.poll().await.expect("poll");
    assert_eq!((report.commit.inserted, report.pages), (5, 3));
    let min_ids: Vec<String> =
        fake.0.requests_to("/api/v1/timelines/tag/").iter().map(|r| r.param("min_id").expect("min_id sent")).collect();
    // From the snowflake of `now - backfill` (2 h), then each page's newest
    // id, as its `Link: rel="prev"` says.
    let start = id_time(&min_ids[0]).expect("a snowflake");
    let two_hours_ago = chrono::Utc::now() - chrono::Duration::hours(2);
    assert!((start - two_hours_ago).num_seconds().abs() < 60, "{start}");
    assert_eq!(min_ids[1..], [fake.external_id("2"), fake.external_id("4")]);
    assert!(fake.0.requests().iter().all(|r| r.param("limit").as_deref() == Some("2")));
    let stored = MastodonCursor::parse(&cursor(&app).await.expect("cursor")).expect("cursor is JSON");
    assert_eq!(stored.tags.get(TAG), Some(&fake.external_id("5")));
    app.stop().await;
}

#[tokio::test]
async fn a_boost_stores_the_original_once() {
    let fake = MastodonFake::start(posts(2)).await;
    let boost_id = fake.0.with(|api| api.boost("1", "booster"));
    let mut app = spawn_app(fake.source_keys(), vec![]).await;
    let report = app.poll().await.expect("poll");
    assert_eq!((report.posts, report.commit.inserted), (2, 2), "the boost is the original, read once");
    let ids = stored_ids(&app).await;
    assert!(ids.contains(&fake.external_id("1")) && !ids.contains(&boost_id.to_string()));
    let stored = MastodonCursor::parse(&cursor(&app).await.unwrap()).unwrap();
    assert_eq!(stored.tags[TAG], boost_id.to_string(), "paging counts the boost's own id");
    app.stop().await;
}

#[tokio::test]
async fn search_with_a_user_token_reads_the_queries_by_offset() {
    let fake = MastodonFake::start(vec![]).await;
    fake.0.with(|api| {
        api.token = Some(TOKEN.into());
        for p in posts(3) {
            api.publish(p, &[]); // not on any tag timeline: only search finds them
        }
    });
    let env = vec![(TOKEN_ENV.to_string(), TOKEN.to_string())];
    let mut app = spawn_app(with_token(&fake), env).await;
    assert_eq!(app.poll().await.expect("first poll").commit.inserted, 3);
    let searches = fake.0.requests_to("/api/v2/search");
    assert!(searches.iter().all(|r| r.bearer() == Some(TOKEN) && r.param("type").as_deref() == Some("statuses")));
    let acme: Vec<_> = searches.iter().filter(|r| r.param("q").as_deref() == Some("acme air")).collect();
    assert_eq!(acme.iter().map(|r| r.param("offset")).collect::<Vec<_>>(), [None, Some("2".into())]);
    let stored = MastodonCursor::parse(&cursor(&app).await.unwrap()).unwrap();
    assert_eq!(stored.search.get("acme air"), Some(&fake.external_id("3")));

    fake.0.with(|api| api.publish(FakePost::mention("4", 5), &[]));
    let before = fake.0.requests_to("/api/v2/search").len();
    assert_eq!(app.poll().await.expect("second poll").commit.inserted, 1);
    let acme_now = fake.0.requests_to("/api/v2/search")[before..]
        .iter()
        .filter(|r| r.param("q").as_deref() == Some("acme air"))
        .count();
    assert_eq!(acme_now, 1, "the first page reached the cursor");
    app.stop().await;
}

#[tokio::test]
async fn a_refused_token_is_an_auth_error_that_names_the_key() {
    let fake = MastodonFake::start(posts(1)).await;
    fake.0.with(|api| api.token = Some(TOKEN.into()));
    let env = vec![(TOKEN_ENV.to_string(), "wrong-token-s3cr3t".to_string())];
    let mut app = spawn_app(with_token(&fake), env).await;
    match app.poll().await {
        Err(PollError::Source(SourceError::Auth(msg))) => {
            assert!(msg.contains("`token`") && msg.contains("The access token is invalid"), "{msg}");
            assert!(!msg.contains("s3cr3t"), "the token never shows: {msg}");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    assert_eq!(cursor(&app).await, None);
    app.stop().await;
}

#[tokio::test]
async fn restricted_timelines_ask_for_a_token_and_unknown_tags_read_empty() {
    let fake = MastodonFake::start(posts(1)).await;
    fake.0.with(|api| api.timelines_need_token = true);
    let mut app = spawn_app(fake.source_keys(), vec![]).await;
    let err = app.poll().await.expect_err("401");
    assert!(matches!(&err, PollError::Source(SourceError::Auth(m)) if m.contains("give a user `token`")), "{err}");
    app.stop().await;

    let empty = MastodonFake::start(vec![]).await;
    empty.0.with(|api| api.unknown_tag_404 = true);
    let mut app = spawn_app(empty.source_keys(), vec![]).await;
    let report = app.poll().await.expect("a 404 tag is empty, not an error");
    assert_eq!((report.posts, report.pages), (0, 0));
    app.stop().await;
}

#[tokio::test]
async fn a_low_budget_throttles_and_a_spent_one_cuts_the_poll_short_without_a_gap() {
    let fake = MastodonFake::start(posts(5)).await;
    fake.0.with(|api| api.remaining = 2);
    let mut app = spawn_app(fake.source_keys(), vec![]).await;
    let first = app.poll().await.expect("a spent budget is not an error");
    assert_eq!((first.commit.inserted, first.pages), (4, 2), "stopped when nothing was left");
    let wait = first.throttle.expect("waits for the reset");
    assert!(wait > std::time::Duration::from_secs(240) && wait <= std::time::Duration::from_secs(300), "{wait:?}");
    fake.0.with(|api| api.remaining = 300);
    let second = app.poll().await.expect("poll after the reset");
    assert_eq!(second.commit.inserted, 1, "continues where it stopped");
    assert_eq!(second.throttle, None);
    app.stop().await;
}

#[tokio::test]
async fn a_status_from_the_future_does_not_hide_later_ones() {
    let mut future = FakePost::mention("f", 0);
    future.created_at = chrono::Utc::now() + chrono::Duration::days(1);
    let fake = MastodonFake::start(vec![FakePost::mention("1", 60), future]).await;
    let mut app = spawn_app(fake.source_keys(), vec![]).await;
    assert_eq!(app.poll().await.expect("poll").commit.inserted, 2);
    let stored = MastodonCursor::parse(&cursor(&app).await.unwrap()).unwrap();
    assert!(
        earshot::sources::mastodon::id_cmp(&stored.tags[TAG], &id_at(chrono::Utc::now())).is_le(),
        "the cursor does not point past now"
    );
    fake.publish(FakePost::mention("2", 0));
    assert_eq!(app.poll().await.expect("poll").commit.inserted, 1, "a post made now is still read");
    app.stop().await;
}
