//! Unit tests for `sources::reddit`: every recorded response in
//! `tests/fixtures/reddit/`, synthetic hostile and removed items,
//! permalinks, URLs, time windows and token lifetimes. The token flow and
//! polling over HTTP are tested in `tests/it/reddit.rs` and the contract
//! suite.

use chrono::TimeZone;
use reqwest::header::{HeaderMap, HeaderValue, WWW_AUTHENTICATE};

use super::*;
use crate::domain::{Engagement, Post};

const SEARCH: &str = include_str!("../../../tests/fixtures/reddit/search_r_all.json");
const HOT: &str = include_str!("../../../tests/fixtures/reddit/r_popular_hot.json");
const HOT_HEADERS: &str = include_str!("../../../tests/fixtures/reddit/r_popular_hot.headers.json");
const COMMENTS: &str = include_str!("../../../tests/fixtures/reddit/subreddit_comments.json");

fn listing(children: &str) -> ListingPage {
    parse_listing_page(
        format!(r#"{{"kind": "Listing", "data": {{"after": null, "children": [{children}]}}}}"#).as_bytes(),
    )
    .unwrap()
}

fn one(kind: &str, data: &str) -> Option<Post> {
    let page = listing(&format!(r#"{{"kind": "{kind}", "data": {data}}}"#));
    assert_eq!(page.items, 1);
    page.posts.into_iter().next()
}

fn source(subreddits: &[&str], comments: bool) -> RedditSource {
    let config: RedditConfig = serde_json::from_value(serde_json::json!({
        "username": "acme_ops", "subreddits": subreddits, "comments": comments, "limit": 100
    }))
    .unwrap();
    let user_agent = config.agent().unwrap();
    RedditSource::new(RedditSettings {
        config,
        client_id: "id".to_string().into(),
        client_secret: "secret".to_string().into(),
        user_agent,
    })
}

#[test]
fn old_schema_search_fixture() {
    let page = parse_listing_page(SEARCH.as_bytes()).unwrap();
    assert_eq!((page.items, page.posts.len(), page.after), (6, 6, None));
    let p = &page.posts[0];
    assert_eq!(p.platform, Platform::Reddit);
    assert_eq!(p.external_id.as_str(), "t3_3gpbiu");
    assert_eq!(p.author.handle, "dClauzel");
    assert_eq!(p.created_at, Utc.timestamp_opt(1439370514, 0).unwrap());
    assert_eq!(
        p.url,
        "https://www.reddit.com/r/redditdev/comments/3gpbiu/prawoauth2util_problem_using_get_banned_raise/?ref=search_posts"
    );
    assert!(p.text.starts_with(
        "[PRAW][OAuth2Util] Problem using get_banned() : raise Forbidden(_raw=response)\n\n# solved\n\nProblem solved"
    ));
    assert_eq!(p.engagement, Engagement { likes: Some(0), reposts: None, replies: Some(21) });
    assert_eq!((p.lang.as_deref(), p.author.followers, p.author.display_name.as_deref()), (None, None, None));
    // Non-ASCII permalinks are percent-encoded, on Reddit's host.
    let jp = &page.posts[5];
    assert!(jp.url.starts_with("https://www.reddit.com/r/p18s/comments/4at068/%E3%81%9F"), "{}", jp.url);
    assert!(jp.text.starts_with("たびたび話題になるサイドバーの閲覧中ユーザ数について（また）調べた\n\n## tl;dr"));
    assert_eq!(page.newest, Some(1458221634));
    assert_eq!(page.oldest, Some(1384770349));
}

#[test]
fn modern_schema_hot_fixture_and_its_rate_limit_headers() {
    let page = parse_listing_page(HOT.as_bytes()).unwrap();
    assert_eq!((page.items, page.posts.len(), page.after.as_deref()), (20, 20, Some("t3_1sk79iw")));
    let p = &page.posts[0];
    assert_eq!((p.external_id.as_str(), p.author.handle.as_str()), ("t3_1sk99af", "o0Phoenix0o"));
    assert_eq!(p.text, "Blursed_Self defence", "a link post is its title");
    assert_eq!(p.url, "https://www.reddit.com/r/blursed_videos/comments/1sk99af/blursed_self_defence/");
    assert_eq!(p.engagement, Engagement { likes: Some(1913), reposts: None, replies: Some(160) });
    let v: serde_json::Value = serde_json::from_str(HOT_HEADERS).unwrap();
    let mut h = HeaderMap::new();
    for (k, v) in v["headers"].as_object().unwrap() {
        h.insert(
            reqwest::header::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(),
            v.as_str().unwrap().parse().unwrap(),
        );
    }
    let mut budget = crate::sources::budget::RateBudget::default();
    budget.observe(&h, Utc::now());
    assert_eq!((budget.remaining(), budget.throttle()), (Some(996), None));
}

#[test]
fn comment_listing_fixture() {
    let page = parse_listing_page(COMMENTS.as_bytes()).unwrap();
    assert_eq!((page.items, page.posts.len(), page.after.as_deref()), (20, 20, Some("t1_k3uzsxu")));
    let c = &page.posts[0];
    assert_eq!(
        (c.external_id.as_str(), c.author.handle.as_str(), c.text.as_str()),
        ("t1_k3yrfii", "Acceptable-Bread-566", "Did it work?")
    );
    assert_eq!(
        c.engagement,
        Engagement { likes: Some(1), reposts: None, replies: None },
        "num_comments is the thread's"
    );
    assert_eq!(c.url, "https://www.reddit.com/r/%3CTEST_SUBREDDIT%3E/comments/agi5zf/%3CTEST_SUBREDDIT%3E/k3yrfii/");
    // Markdown stays readable; entities in it are decoded.
    let bot = &page.posts[8];
    assert!(bot.text.starts_with("**[The Fifth Season (The Broken Earth #1)](https://www.goodreads.com/book/show/19161852-the-fifth-season) by N.K. Jemisin** ^((Matching 100% ☑️))"), "{}", bot.text);
    assert!(bot.text.contains("\n\n> **Themes**: Fantasy"));
}

#[test]
fn removed_and_deleted_items_are_skipped() {
    let removed_post = r#"{"name": "t3_1kqa7zb", "title": "Acme Air lounge review", "selftext": "[removed]",
        "author": "[deleted]", "created_utc": 1777630002.0, "removed_by_category": "moderator"}"#;
    assert_eq!(one("t3", removed_post), None);
    let deleted_post = r#"{"name": "t3_x", "title": "t", "selftext": "[deleted]", "created_utc": 1}"#;
    assert_eq!(one("t3", deleted_post), None);
    let by_category =
        r#"{"name": "t3_y", "title": "t", "selftext": "", "created_utc": 1, "removed_by_category": "deleted"}"#;
    assert_eq!(one("t3", by_category), None);
    for body in ["[deleted]", "[removed]"] {
        assert_eq!(one("t1", &format!(r#"{{"name": "t1_z", "body": "{body}", "created_utc": 1}}"#)), None);
    }
    assert_eq!(GONE, ["[deleted]", "[removed]"]);
    // A deleted account on a live post: kept, without a handle.
    let p = one(
        "t3",
        r#"{"name": "t3_w", "title": "Acme Air", "selftext": "still here", "author": "[deleted]", "created_utc": 1}"#,
    )
    .unwrap();
    assert_eq!((p.author.handle.as_str(), p.text.as_str()), ("", "Acme Air\n\nstill here"));
    // Removed items still count for paging.
    let page = listing(&format!(r#"{{"kind": "t3", "data": {removed_post}}}"#));
    assert_eq!((page.posts.len(), page.newest), (0, Some(1777630002)));
}

#[test]
fn other_kinds_nulls_and_wrong_types() {
    assert_eq!(one("t5", r#"{"name": "t5_2qh41", "display_name": "travel", "created_utc": 1}"#), None);
    assert_eq!(one("t3", r#"{"title": "no name or id", "created_utc": 1}"#), None);
    assert_eq!(one("t3", r#"{"name": "t3_a", "title": "no time"}"#), None);
    assert_eq!(one("t3", r#"{"name": "t3_../../x", "created_utc": 1}"#), None);
    assert_eq!(one("t1", r#"{"name": "t1_a", "body": null, "created_utc": 1}"#), None);
    let p = one(
        "t3",
        r#"{"id": "abc", "title": null, "selftext": null, "author": {"x": 1}, "permalink": null, "created_utc": "1777638641.5",
            "score": -12, "num_comments": "lots", "edited": 1777638700.0, "replies": "", "all_awardings": [{"x": 1}]}"#,
    )
    .unwrap();
    assert_eq!(p.external_id.as_str(), "t3_abc", "fullname built from kind and id");
    assert_eq!(p.url, "https://www.reddit.com/by_id/t3_abc");
    assert_eq!(p.created_at, Utc.timestamp_millis_opt(1777638641500).unwrap());
    assert_eq!((p.text.as_str(), p.author.handle.as_str()), ("", ""));
    assert_eq!(p.engagement, Engagement { likes: Some(0), reposts: None, replies: None });
    assert!(listing("null, 3, \"x\", {\"kind\": \"t3\"}").posts.is_empty());
}

#[test]
fn hostile_text_and_legacy_escaping() {
    let p = one(
        "t3",
        r#"{"name": "t3_h", "created_utc": 1, "permalink": "//evil.example/x",
            "title": "Acme Air cancelled my flight & won't refund <rant> \ud83d\ude21",
            "selftext": "**Cancelled** 2h before.\n\n&lt;!channel&gt; &amp;#x200B; &#x200B;\u0007 <@U123>"}"#,
    )
    .unwrap();
    assert_eq!(p.text, "Acme Air cancelled my flight & won't refund <rant> 😡\n\n**Cancelled** 2h before.\n\n<!channel> &#x200B; <@U123>");
    assert!(p.url.starts_with("https://www.reddit.com//evil.example/x"), "stays on Reddit's host: {}", p.url);
    let big = "acme air &amp; more ".repeat(5_000);
    let p = one("t1", &format!(r#"{{"name": "t1_big", "created_utc": 1, "body": "{big}"}}"#)).unwrap();
    assert!(p.text.len() > 75_000 && p.text.starts_with("acme air & more"));
}

#[test]
fn envelopes_that_do_not_fit_are_malformed() {
    for body in [
        &b""[..],
        b"[]",
        b"{\"kind\": \"Listing\"}",
        b"{\"data\": \"x\"}",
        b"{\"data\": {\"children\": [",
        b"<html>Blocked</html>",
    ] {
        assert!(matches!(parse_listing(body), Err(SourceError::Malformed(_))), "{:?}", String::from_utf8_lossy(body));
    }
    assert_eq!(parse_listing(br#"{"data": {"children": null}}"#).unwrap(), vec![]);
    // A permalink-context answer is an array of listings: not a listing.
    assert!(parse_listing(br#"[{"kind": "Listing", "data": {"children": []}}]"#).is_err());
}

#[test]
fn listing_urls_and_windows() {
    let s = source(&[], false);
    assert_eq!(s.listings(&["acme air".into()]), [Listing::Search { sub: None, query: "acme air".into() }]);
    let url = s.listing_url(&s.listings(&["acme air".into()])[0], "day", None).unwrap();
    assert_eq!(
        url.as_str(),
        "https://oauth.reddit.com/search?q=acme+air&sort=new&t=day&type=link&limit=100&raw_json=1"
    );
    let s = source(&["r/travel", "/r/flying/", "Travel"], true);
    let listings = s.listings(&["acme".into()]);
    assert_eq!(listings.len(), 4, "{listings:?}");
    let url = s.listing_url(&listings[0], "hour", Some("t3_1kqa7zb")).unwrap();
    assert_eq!(
        url.as_str(),
        "https://oauth.reddit.com/r/travel/search?q=acme&sort=new&t=hour&type=link&restrict_sr=1&limit=100&raw_json=1&after=t3_1kqa7zb"
    );
    assert_eq!(listings[1], Listing::Comments { sub: "travel".into() });
    let url = s.listing_url(&listings[1], "hour", None).unwrap();
    assert_eq!(url.as_str(), "https://oauth.reddit.com/r/travel/comments?limit=100&raw_json=1");
    assert_eq!(listings[3].to_string(), "r/flying comments");
    assert_eq!((time_window(600), time_window(3600), time_window(3601)), ("hour", "hour", "day"));
    assert_eq!((time_window(86400 * 3), time_window(86400 * 20), time_window(86400 * 100)), ("week", "month", "year"));
    assert_eq!((time_window(86400 * 400), time_window(i64::MAX)), ("all", "all"));
    assert!(s.user_agent.ends_with(":earshot:v0.1.0 (by /u/acme_ops)"), "{}", s.user_agent);
}

#[test]
fn cursor_errors_and_token_lifetimes() {
    assert_eq!(parse_cursor(&Cursor("1777638641".into())), Some(1777638641));
    assert_eq!(parse_cursor(&Cursor("{\"w\": 1}".into())), None);
    let www = |v: &'static str| {
        let mut h = HeaderMap::new();
        h.insert(WWW_AUTHENTICATE, HeaderValue::from_static(v));
        h
    };
    assert!(token_refused(&www(r#"Bearer realm="reddit", error="invalid_token""#)));
    assert!(!token_refused(&www(r#"Bearer realm="reddit", error="insufficient_scope""#)));
    assert!(token_refused(&HeaderMap::new()));
    assert_eq!(
        error_reason(br#"{"message": "Forbidden", "error": 403, "reason": "private"}"#).as_deref(),
        Some("private")
    );
    assert_eq!(error_reason(b"<html>Blocked</html>"), None);
    assert_eq!(lifetime(Some(3600.0)), Duration::from_secs(3540));
    assert_eq!(lifetime(Some(86400.0)), Duration::from_secs(86340));
    assert_eq!(lifetime(Some(60.0)), Duration::from_secs(30), "short tokens are used for half their life");
    assert_eq!(lifetime(None), Duration::from_secs(3540));
    assert_eq!(lifetime(Some(f64::NAN)), Duration::from_secs(3540));
    assert_eq!(EXPIRY_MARGIN, Duration::from_secs(60));
}
