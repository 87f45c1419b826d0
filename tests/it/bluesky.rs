//! Bluesky against its fake PDS, where the contract suite does not reach:
//! the session (login once, refresh on `ExpiredToken`, log in again when
//! the refresh is refused), a wrong app password, anonymous search refused
//! with an HTML 403 or allowed (paging by `until`, as the AppView refuses
//! `cursor` without a session), pages emptied by hydration, and the
//! backlog a page limit leaves.

use earshot::daemon::PollError;
use earshot::sources::bluesky::BlueskyCursor;
use earshot::sources::SourceError;

use crate::contract::checks::{cursor, stored_ids};
use crate::contract::{FakePost, PlatformFake};
use crate::fakes::bluesky::{BlueskyFake, APP_PASSWORD};
use crate::helpers::spawn_app;

fn posts(n: i64) -> Vec<FakePost> {
    (1..=n).map(|i| FakePost::mention(&i.to_string(), 3000 - 60 * i)).collect()
}

fn anonymous(fake: &BlueskyFake) -> String {
    format!("type = \"bluesky\"\nappview_url = \"{}\"\nlimit = 2\n", fake.0.base())
}

#[tokio::test]
async fn expired_tokens_are_refreshed_and_the_session_kept() {
    let fake = BlueskyFake::start(posts(5)).await;
    let mut app = spawn_app(fake.source_keys(), fake.env()).await;
    assert_eq!(app.poll().await.expect("first poll").commit.inserted, 5);
    fake.publish(FakePost::mention("6", 10));
    assert_eq!(app.poll().await.expect("second poll").commit.inserted, 1);
    let (logins, refreshes) = fake.0.with(|api| (api.logins, api.refreshes));
    assert_eq!(logins, 1, "logged in once, session kept across polls");
    assert!(refreshes >= 2, "tokens expire every two searches: {refreshes} refreshes");
    // The password only ever goes to createSession; searches carry a token.
    for r in fake.0.requests() {
        let has_password = String::from_utf8_lossy(&r.body).contains(APP_PASSWORD);
        assert_eq!(has_password, r.path.ends_with("createSession"), "{}", r.path);
        if r.path.ends_with("searchPosts") {
            assert!(r.bearer().is_some_and(|t| t.starts_with("acc-")), "{:?}", r.bearer());
        }
    }
    let c = cursor(&app).await.expect("cursor").0;
    assert!(!c.contains("acc-") && !c.contains("ref-"), "no token in the cursor: {c}");
    app.stop().await;
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_a_new_login() {
    let fake = BlueskyFake::start(posts(2)).await;
    let mut app = spawn_app(fake.source_keys(), fake.env()).await;
    app.poll().await.expect("first poll");
    fake.0.with(|api| {
        api.expire_access();
        api.revoke_refresh();
    });
    fake.publish(FakePost::mention("3", 10));
    assert_eq!(app.poll().await.expect("poll after a refused refresh").commit.inserted, 1);
    assert_eq!(fake.0.with(|api| api.logins), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_app_password_is_auth_without_the_password() {
    let fake = BlueskyFake::start(posts(1)).await;
    let mut app = spawn_app(fake.source_keys(), BlueskyFake::password_env("wrong-pass-s3cr3t")).await;
    match app.poll().await {
        Err(PollError::Source(SourceError::Auth(msg))) => {
            assert!(msg.contains("`app_password`") && msg.contains("Invalid identifier or password"), "{msg}");
            assert!(!msg.contains("s3cr3t"), "{msg}");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    assert_eq!(fake.0.requests_to("/xrpc/app.bsky.feed.searchPosts").len(), 0, "no search without a session");
    app.stop().await;
}

#[tokio::test]
async fn anonymous_search_refused_with_html_403_is_auth_with_a_hint() {
    let fake = BlueskyFake::start(posts(2)).await;
    fake.0.with(|api| api.anonymous_forbidden = true);
    let mut app = spawn_app(anonymous(&fake), vec![]).await;
    let err = app.poll().await.expect_err("403");
    assert!(matches!(&err, PollError::Source(SourceError::Auth(m)) if m.contains("`identifier`")), "{err}");
    app.stop().await;

    fake.0.with(|api| api.anonymous_forbidden = false);
    let mut app = spawn_app(anonymous(&fake), vec![]).await;
    assert_eq!(app.poll().await.expect("anonymous poll").commit.inserted, 2);
    assert!(fake.0.requests().iter().all(|r| r.bearer().is_none()), "nothing to log in with");
    app.stop().await;
}

#[tokio::test]
async fn anonymous_search_pages_by_until_since_the_appview_refuses_cursor() {
    let fake = BlueskyFake::start(posts(5)).await;
    let mut app = spawn_app(anonymous(&fake), vec![]).await;
    assert_eq!(app.poll().await.expect("anonymous poll").commit.inserted, 5);
    let searches = fake.0.requests_to("/xrpc/app.bsky.feed.searchPosts");
    assert!(searches.iter().all(|r| r.param("cursor").is_none()), "never a cursor without a session");
    assert!(searches.iter().filter(|r| r.param("until").is_some()).count() >= 2, "paged by `until`");
    app.stop().await;
}

#[tokio::test]
async fn pages_emptied_by_hydration_do_not_end_paging() {
    let fake = BlueskyFake::start(posts(6)).await;
    fake.delete("6");
    fake.delete("5");
    let mut app = spawn_app(fake.source_keys(), fake.env()).await;
    let report = app.poll().await.expect("poll");
    assert_eq!(report.commit.inserted, 4, "{report:?}");
    assert_eq!(stored_ids(&app).await, ["1", "2", "3", "4"].iter().map(|i| fake.external_id(i)).collect());
    app.stop().await;
}

#[tokio::test]
async fn a_page_limit_leaves_a_backlog_that_later_polls_read() {
    let fake = BlueskyFake::start(posts(5)).await;
    let mut app = spawn_app(fake.keys("max_pages = 1\n"), fake.env()).await;
    let first = app.poll().await.expect("first poll");
    assert_eq!(first.commit.inserted, 3, "newest page, then one backlog page: {first:?}");
    let c = BlueskyCursor::parse(&cursor(&app).await.unwrap()).unwrap();
    assert!(c.backlog.contains_key("acme air"), "{c:?}");
    let mut polls = 1;
    while stored_ids(&app).await.len() < 5 {
        app.poll().await.expect("backlog poll");
        polls += 1;
        assert!(polls <= 4, "the backlog shrinks every poll");
    }
    let c = BlueskyCursor::parse(&cursor(&app).await.unwrap()).unwrap();
    assert!(c.backlog.is_empty(), "{c:?}");
    let untils: Vec<String> =
        fake.0.requests_to("/xrpc/app.bsky.feed.searchPosts").iter().filter_map(|r| r.param("until")).collect();
    assert!(!untils.is_empty(), "the backlog is read with `until`");
    app.stop().await;
}
