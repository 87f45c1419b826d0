//! Unit tests for `sources::bluesky`: every recorded response in
//! `tests/fixtures/bluesky/`, synthetic hostile post views, AT URIs,
//! permalinks, error bodies, URLs and cursors. The session flow and polling
//! over HTTP are tested in `tests/it/bluesky.rs` and the contract suite.

use chrono::TimeZone;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use super::*;
use crate::domain::{Engagement, Post};
use crate::sources::http::RawResponse;

const SEARCH: &str = include_str!("../../../tests/fixtures/bluesky/searchPosts.json");
const SEARCH_HEADERS: &str = include_str!("../../../tests/fixtures/bluesky/searchPosts.headers.json");
const GET_POSTS: &str = include_str!("../../../tests/fixtures/bluesky/getPosts.json");
const GET_QUOTES: &str = include_str!("../../../tests/fixtures/bluesky/getQuotes.json");

fn at(s: &str) -> DateTime<Utc> {
    crate::sources::lenient::parse_time(s).unwrap()
}

fn one(view: &str) -> Result<Post, String> {
    let page = parse_search_page(format!(r#"{{"posts": [{view}]}}"#).as_bytes()).map_err(|e| e.to_string())?;
    assert_eq!(page.items, 1);
    page.posts.into_iter().next().ok_or_else(|| "skipped".to_string())
}

fn source(base_url: Option<&str>, logged_in: bool) -> BlueskySource {
    let mut json = serde_json::json!({"limit": 100});
    if let Some(b) = base_url {
        json["base_url"] = b.into();
    }
    if logged_in {
        json["identifier"] = "brand.bsky.social".into();
    }
    let config: BlueskyConfig = serde_json::from_value(json).unwrap();
    let app_password = logged_in.then(|| secrecy::SecretString::from("xxxx-xxxx-xxxx-xxxx".to_string()));
    BlueskySource::new(BlueskySettings { config, app_password })
}

#[test]
fn search_fixture_maps_every_post() {
    let page = parse_search_page(SEARCH.as_bytes()).unwrap();
    assert_eq!((page.items, page.posts.len(), page.cursor.as_deref()), (25, 25, Some("25")));
    assert_eq!(page.newest, Some(at("2025-05-19T17:10:09.561858Z")));
    assert_eq!(page.oldest, Some(at("2025-05-19T00:16:50.191Z")));
    let p = &page.posts[0];
    assert_eq!(p.platform, Platform::Bluesky);
    assert_eq!(p.external_id.as_str(), "at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m");
    assert_eq!(p.url, "https://bsky.app/profile/socpaperbot.bsky.social/post/3lpk2u6qo222m");
    assert_eq!(p.author.handle, "socpaperbot.bsky.social");
    assert_eq!(p.author.display_name.as_deref(), Some("Sociology papers (journals + SocArXiv)"));
    assert_eq!((p.author.followers, p.lang.as_deref()), (None, None), "no langs on this record");
    assert!(p
        .text
        .starts_with("Ends Versus Means: Public Opinion on Congressional Redistricting https://osf.io/v87fn"));
    assert_eq!(p.engagement, Engagement { likes: Some(0), reposts: Some(0), replies: Some(0) });
    // Every post: an AT URI id, a bsky.app permalink with its rkey, a time.
    for p in &page.posts {
        let (_, rkey) = parse_post_uri(p.external_id.as_str()).unwrap();
        assert!(p.url.starts_with("https://bsky.app/profile/") && p.url.ends_with(&format!("/post/{rkey}")));
        assert!(p.created_at >= page.oldest.unwrap() && p.created_at <= page.newest.unwrap());
    }
    let mcpli = page.posts.iter().find(|p| p.author.handle == "mcpli.bsky.social").unwrap();
    assert_eq!(mcpli.author.display_name.as_deref(), Some("Michael Li (李之樸)"));
    assert_eq!(mcpli.lang.as_deref(), Some("en"));
    assert_eq!(parse_search_posts(SEARCH.as_bytes()).unwrap(), page.posts);
}

#[test]
fn search_fixture_odd_timestamps_and_carriage_returns() {
    let page = parse_search_page(SEARCH.as_bytes()).unwrap();
    // createdAt after indexedAt: sortAt is the earlier one.
    let carrie = page.posts.iter().find(|p| p.author.handle == "stemgal.bsky.social").unwrap();
    assert_eq!(carrie.created_at, at("2025-05-19T02:52:17.916Z"));
    // createdAt with "+00:00" and microseconds.
    let chris = page.posts.iter().find(|p| p.author.handle == "humanbeinghuman.bsky.social").unwrap();
    assert_eq!(chris.created_at, at("2025-05-19T02:03:20.286393Z"));
    assert!(chris.text.starts_with("Automated disqualification from services\n\n118. Manipulation"), "{}", chris.text);
}

#[test]
fn search_fixture_headers_feed_the_budget() {
    let v: serde_json::Value = serde_json::from_str(SEARCH_HEADERS).unwrap();
    let mut h = HeaderMap::new();
    for (k, v) in v["headers"].as_object().unwrap() {
        h.insert(
            reqwest::header::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(),
            v.as_str().unwrap().parse().unwrap(),
        );
    }
    let mut budget = crate::sources::budget::RateBudget::default();
    budget.observe(&h, Utc.with_ymd_and_hms(2025, 5, 19, 17, 41, 36).unwrap());
    assert_eq!(budget.remaining(), Some(2983));
}

#[test]
fn get_posts_and_get_quotes_have_the_same_shape() {
    let posts = parse_search_posts(GET_POSTS.as_bytes()).unwrap();
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0].text.starts_with("Excited to be a speaker for the\n@rstatsai conf on Oct 19 @Georgetown! 📈"),
        "{}",
        posts[0].text
    );
    assert_eq!(posts[0].engagement.likes, Some(4));
    let quotes = parse_search_page(GET_QUOTES.as_bytes()).unwrap();
    assert_eq!((quotes.posts.len(), quotes.cursor), (2, None));
    assert_eq!(quotes.posts[0].author.display_name.as_deref(), Some("#!/usr/bin/env Rscript"));
    assert_eq!(quotes.posts[1].engagement, Engagement { likes: Some(12), reposts: Some(3), replies: Some(3) });
}

#[test]
fn invalid_handles_missing_counts_and_future_dates() {
    let p = one(r#"{"uri": "at://did:plc:zz9yy8xx7ww6vv5uu4tt3ss2/app.bsky.feed.post/3lqz6qrs5tu4v",
            "author": {"did": "did:plc:zz9yy8xx7ww6vv5uu4tt3ss2", "handle": "handle.invalid", "labels": []},
            "record": {"$type": "app.bsky.feed.post", "text": "flying #acmeair tmrw \ud83d\ude21",
                       "createdAt": "2099-01-01T00:00:00Z", "langs": [null, "pt-BR"]},
            "indexedAt": "2026-05-01T12:05:01.310Z", "hits_total": 3, "someNewField": {"x": [1]}}"#)
    .unwrap();
    assert_eq!(p.author.handle, "did:plc:zz9yy8xx7ww6vv5uu4tt3ss2");
    assert_eq!(p.url, "https://bsky.app/profile/did:plc:zz9yy8xx7ww6vv5uu4tt3ss2/post/3lqz6qrs5tu4v");
    assert_eq!(p.created_at, at("2026-05-01T12:05:01.310Z"), "a future createdAt does not count");
    assert_eq!(p.text, "flying #acmeair tmrw 😡");
    assert_eq!(p.lang.as_deref(), Some("pt-BR"));
    assert_eq!(p.engagement, Engagement::default(), "absent counts are unknown, not zero");
    assert_eq!(p.author.display_name, None);
}

#[test]
fn unusable_views_are_skipped_and_wrong_types_tolerated() {
    for (view, why) in [
        (r#"{"indexedAt": "2026-05-01T12:00:00Z"}"#, "no uri"),
        (r#"{"uri": "at://did:plc:a/app.bsky.feed.like/x", "indexedAt": "2026-05-01T12:00:00Z"}"#, "a like"),
        (r#"{"uri": "https://bsky.app/x", "indexedAt": "2026-05-01T12:00:00Z"}"#, "not AT"),
        (r#"{"uri": "at://did:plc:a/app.bsky.feed.post/x/y", "indexedAt": "2026-05-01T12:00:00Z"}"#, "extra segment"),
        (r#"{"uri": "at://did:plc:a/app.bsky.feed.post/x?y", "indexedAt": "2026-05-01T12:00:00Z"}"#, "query"),
        (r#"{"uri": "at://did:plc:a/app.bsky.feed.post/x", "indexedAt": null, "record": {"createdAt": 5}}"#, "no time"),
        ("null", "null"),
        ("\"a string\"", "string"),
    ] {
        assert_eq!(one(view), Err("skipped".into()), "{why}");
    }
    let p = one(r#"{"uri": "at://did:plc:a/app.bsky.feed.post/x", "author": "bob", "record": [1, 2],
            "indexedAt": "2026-05-01T12:00:00Z", "likeCount": "7", "replyCount": {"n": 1}, "repostCount": -2}"#)
    .unwrap();
    assert_eq!((p.author.handle.as_str(), p.text.as_str()), ("did:plc:a", ""));
    assert_eq!(p.engagement, Engagement { likes: Some(7), reposts: Some(0), replies: None });
}

#[test]
fn hostile_text_is_plain_text() {
    let text = format!("Acme Air <!channel> <@U123> &amp; \\u0007\\u001b[31m {}", "awful ".repeat(10_000));
    let p = one(&format!(
        r#"{{"uri": "at://did:plc:a/app.bsky.feed.post/x", "indexedAt": "2026-05-01T12:00:00Z", "record": {{"text": "{text}"}}}}"#
    ))
    .unwrap();
    assert!(p.text.starts_with("Acme Air <!channel> <@U123> &amp; [31m awful awful"), "{}", &p.text[..60]);
    assert!(p.text.len() > 50_000);
}

#[test]
fn envelopes_that_do_not_fit_are_malformed() {
    for body in [&b""[..], b"[]", b"{\"cursor\": \"1\"}", b"{\"posts\": [", b"<html>403</html>"] {
        assert!(
            matches!(parse_search_page(body), Err(SourceError::Malformed(_))),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    let page = parse_search_page(br#"{"posts": null, "cursor": null, "hitsTotal": 0}"#).unwrap();
    assert_eq!((page.items, page.cursor, page.newest), (0, None, None));
}

#[test]
fn xrpc_errors_and_expiry() {
    let raw = |status: u16, body: &str| RawResponse {
        status: StatusCode::from_u16(status).unwrap(),
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    };
    assert_eq!(
        xrpc_error_name(br#"{"error":"ExpiredToken","message":"Token has expired"}"#).as_deref(),
        Some("ExpiredToken")
    );
    assert_eq!(xrpc_error_name(b"<html>Forbidden</html>"), None);
    assert!(is_expired(&raw(400, r#"{"error":"ExpiredToken","message":"Token has expired"}"#)));
    assert!(is_expired(&raw(400, r#"{"error":"InvalidToken"}"#)));
    assert!(is_expired(&raw(401, r#"{"error":"AuthMissing"}"#)));
    assert!(!is_expired(&raw(400, r#"{"error":"InvalidRequest","message":"bad since"}"#)));
    assert!(!is_expired(&raw(400, "not json")));
    assert!(!is_expired(&raw(403, "<html>Request forbidden by administrative rules</html>")));
    assert!(!is_expired(&raw(200, "{}")));
    assert_eq!(RENEW_ERRORS, ["ExpiredToken", "InvalidToken"]);
}

#[test]
fn urls_go_to_the_pds_when_logged_in_and_the_appview_otherwise() {
    let gap = Gap { since: at("2026-05-01T12:00:00Z"), until: Some(at("2026-05-01T12:10:00.001Z")) };
    let url = source(None, true).search_url("acme air", gap, Some("25")).unwrap();
    assert_eq!(
        url.as_str(),
        "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=acme+air&sort=latest&limit=100\
         &since=2026-05-01T12%3A00%3A00.000Z&until=2026-05-01T12%3A10%3A00.001Z&cursor=25"
    );
    let open = Gap { since: gap.since, until: None };
    let url = source(None, false).search_url("#acme&co", open, None).unwrap();
    assert!(url.as_str().starts_with("https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=%23acme%26co&"));
    assert!(!url.as_str().contains("until") && !url.as_str().contains("cursor"));
    let url = source(Some("http://127.0.0.1:9/pds/"), true).search_url("a", open, None).unwrap();
    assert!(url.as_str().starts_with("http://127.0.0.1:9/pds/xrpc/app.bsky.feed.searchPosts?"), "{url}");
}

#[test]
fn cursor_round_trip_and_gap_merge() {
    let mut c = BlueskyCursor { newest: Some(at("2026-05-01T12:30:42.004Z")), ..Default::default() };
    c.backlog.insert(
        "acme air".into(),
        Gap { since: at("2026-05-01T12:00:00Z"), until: Some(at("2026-05-01T12:10:00.001Z")) },
    );
    let encoded = c.encode();
    assert_eq!(
        encoded.0,
        r#"{"newest":"2026-05-01T12:30:42.004Z","backlog":{"acme air":{"since":"2026-05-01T12:00:00Z","until":"2026-05-01T12:10:00.001Z"}}}"#
    );
    assert_eq!(BlueskyCursor::parse(&encoded), Some(c));
    assert_eq!(BlueskyCursor::parse(&Cursor("1777638669".into())), None);
    assert_eq!(BlueskyCursor::parse(&Cursor("{\"newest\": 5}".into())), None);

    let a = Gap { since: at("2026-05-01T12:00:00Z"), until: Some(at("2026-05-01T12:10:00Z")) };
    let b = Gap { since: at("2026-05-01T12:20:00Z"), until: Some(at("2026-05-01T12:30:00Z")) };
    assert_eq!(a.merge(b), Gap { since: a.since, until: b.until });
    assert_eq!(a.merge(Gap { since: b.since, until: None }), Gap { since: a.since, until: None });
    assert_eq!(format_time(at("2026-05-01T12:00:00.5Z")), "2026-05-01T12:00:00.500Z");
}

#[test]
fn permalinks_encode_odd_rkeys() {
    assert_eq!(
        permalink("sam.example.com", "3lqz7abcxyz2k"),
        "https://bsky.app/profile/sam.example.com/post/3lqz7abcxyz2k"
    );
    assert_eq!(parse_post_uri("at://did:web:example.com/app.bsky.feed.post/a~b"), Some(("did:web:example.com", "a~b")));
    assert_eq!(parse_post_uri("at:///app.bsky.feed.post/x"), None);
}
