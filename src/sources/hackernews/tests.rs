//! Unit tests for `sources::hackernews`: every recorded response in
//! `tests/fixtures/hackernews/`, synthetic hostile hits, URL building and
//! cursor arithmetic. Polling over HTTP is tested in `tests/it/hackernews.rs`.

use chrono::TimeZone;
use serde_json::{json, Value};

use super::*;

const FIXTURES: [(&str, &str); 4] = [
    ("ask_hn_page2", include_str!("../../../tests/fixtures/hackernews/search_by_date_ask_hn_page2.json")),
    ("comment_query", include_str!("../../../tests/fixtures/hackernews/search_by_date_comment_query.json")),
    ("poll_query", include_str!("../../../tests/fixtures/hackernews/search_by_date_poll_query.json")),
    ("story_query", include_str!("../../../tests/fixtures/hackernews/search_by_date_story_query.json")),
];

fn page(name: &str) -> SearchPage<'static> {
    let (_, body) = FIXTURES.iter().find(|(n, _)| *n == name).expect("fixture name");
    parse_search(body.as_bytes()).expect("fixture parses")
}

fn only_post(name: &str) -> Post {
    let p = page(name);
    assert_eq!(p.hits.len(), 1, "{name}");
    hit_to_post(p.hits[0].get().expect("an object")).expect("fixture hit maps").0
}

/// `f` of one hit written as JSON (`None`: not an object).
fn with_hit<R>(hit: &Value, f: impl FnOnce(Option<&Hit<'_>>) -> R) -> R {
    let text = hit.to_string();
    let read: Obj<Hit<'_>> = serde_json::from_str(&text).expect("a hit of any shape reads");
    f(read.get())
}

/// A hit written as JSON, mapped to a post.
fn map(hit: Value) -> Result<(Post, i64), &'static str> {
    with_hit(&hit, |h| h.ok_or("not an object").and_then(hit_to_post))
}

fn source() -> HackernewsSource {
    HackernewsSource::new(HackernewsConfig {
        base_url: Url::parse("https://hn.algolia.com/api/v1").unwrap(),
        tags: vec!["story".into(), "comment".into()],
        hits_per_page: 100,
        overlap: Duration::from_secs(300),
        max_pages: 10,
    })
}

#[test]
fn every_fixture_parses_and_maps() {
    for (name, _) in FIXTURES {
        let p = page(name);
        assert!(p.nb_hits.is_some() && p.nb_pages.is_some(), "{name}");
        for hit in &p.hits {
            let hit = hit.get().unwrap_or_else(|| panic!("{name}: a hit that is not an object"));
            let (post, created) = hit_to_post(hit).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(post.platform, Platform::Hackernews);
            assert_eq!(post.url, format!("https://news.ycombinator.com/item?id={}", post.external_id));
            assert_eq!(post.created_at.timestamp(), created);
            assert!(!post.text.is_empty() && !post.text.contains('<') && !post.text.contains("&#x"), "{name}");
            assert_eq!((post.lang.as_deref(), post.author.followers), (None, None));
        }
    }
}

#[test]
fn comment_fixture_strips_html_and_keeps_old_schema_points() {
    let post = only_post("comment_query");
    assert_eq!(post.external_id.as_str(), "7919418");
    assert_eq!(post.author.handle, "fleitz");
    assert_eq!(post.created_at, Utc.timestamp_opt(1403235154, 0).unwrap());
    assert!(post.text.starts_with(
        "Yeah the article seems stupid, while technically they aren't contributing to the scholarship they do pay"
    ));
    assert!(post.text.contains("last 2 years.\n\nI'm not the biggest fan"), "{}", post.text);
    assert!(post.text.ends_with("Starbucks/Wal-Mart than Lockheed Martin."));
    // Old schema: points on a comment; num_comments null.
    assert_eq!(post.engagement, Engagement { likes: Some(1), reposts: None, replies: None });
}

#[test]
fn story_fixture_with_empty_story_text_is_the_title() {
    let post = only_post("story_query");
    assert_eq!(post.text, "Judge says concerned about Apple, Google hiring settlement");
    assert_eq!(post.engagement.replies, Some(0));
    let p = page("story_query");
    assert_eq!((p.nb_hits, p.nb_pages), (Some(23818), Some(1000)));
}

#[test]
fn ask_hn_and_poll_fixtures_join_title_and_body() {
    let ask = only_post("ask_hn_page2");
    assert!(ask.text.starts_with("Ask HN: How can I get Swag from Startups?\n\n"), "{}", ask.text);
    assert!(ask.text.contains("I'm a college student from India"));
    assert_eq!(ask.engagement.replies, Some(3));
    let poll = only_post("poll_query");
    assert!(poll.text.starts_with("Poll: Which iPad(s) do you use?\n\nIn 3.5 years, Apple"));
}

#[test]
fn hostile_and_incomplete_hits_are_tolerated_or_skipped() {
    // Missing objectID or any timestamp: skipped, not fatal.
    assert!(map(json!({"created_at_i": 1})).is_err());
    assert!(map(json!({"objectID": "1"})).is_err());
    assert!(map(json!({"objectID": "", "created_at_i": 1})).is_err());
    assert!(map(json!({"objectID": "9".repeat(65), "created_at_i": 1})).is_err());
    assert!(map(json!({"objectID": "1", "created_at_i": "yesterday"})).is_err());
    // Fallback to the ISO string; numeric objectID; nulls everywhere else.
    let (post, created) = map(json!({
        "objectID": 43500123, "created_at": "2026-05-01T12:31:09Z", "created_at_i": null,
        "author": null, "title": null, "comment_text": null, "points": null, "num_comments": null,
        "some_future_field": {"nested": [1, 2]}
    }))
    .unwrap();
    assert_eq!((post.external_id.as_str(), created), ("43500123", 1777638669));
    assert_eq!((post.author.handle.as_str(), post.text.as_str()), ("", ""));
    assert_eq!(post.engagement, Engagement::default());
    // Wrong types in optional fields are ignored, not fatal; a count sent
    // as a string is read, a negative one is absent, a number where text
    // belongs is its decimal text (as on every JSON platform).
    let (post, created) = map(json!({
        "objectID": "7", "created_at_i": 1777638669.0, "points": "12", "num_comments": -3,
        "_tags": "story", "title": ["not", "a", "string"], "story_text": {"html": "<p>x</p>"}
    }))
    .unwrap();
    assert_eq!(created, 1777638669);
    assert_eq!((post.engagement.likes, post.engagement.replies, post.text.as_str()), (Some(12), None, ""));
    let (post, _) =
        map(json!({"objectID": "8", "created_at_i": "1777638669", "story_text": 5, "points": true})).unwrap();
    assert_eq!((post.created_at.timestamp(), post.text.as_str(), post.engagement.likes), (1777638669, "5", None));
    // Not an object at all: skipped.
    for odd in [json!(null), json!("7"), json!([1, 2]), json!(7)] {
        assert_eq!(map(odd).unwrap_err(), "not an object");
    }
}

#[test]
fn a_page_reads_odd_hits_as_skippable_but_a_broken_envelope_is_malformed() {
    let body = br#"{"hits": [{"objectID": "1", "created_at_i": 5, "title": "ok", "_highlightResult": {"title": {"value": "<em>ok</em>"}}}, "odd", null, {"objectID": {"nested": 1}}], "nbHits": 4, "nbPages": 1}"#;
    let page = parse_search(body).unwrap();
    let posts: Vec<_> = page.hits.iter().filter_map(|h| h.get().and_then(|h| hit_to_post(h).ok())).collect();
    assert_eq!(posts.len(), 1);
    assert_eq!((posts[0].0.external_id.as_str(), posts[0].0.text.as_str()), ("1", "ok"));
    assert_eq!((page.nb_hits, page.nb_pages), (Some(4), Some(1)));
    for broken in [
        &br#"{"hits": "none"}"#[..],
        br#"{"nbHits": 1}"#,
        br#"[{"objectID": "1"}]"#,
        br#"{"hits": [}"#,
        br#"{"hits": [{"objectID": "1", "objectID": "2", "created_at_i": 5}]}"#,
    ] {
        let err = parse_search(broken).unwrap_err();
        assert!(matches!(err, SourceError::Malformed(_)), "{err:?}");
    }
}

#[test]
fn hostile_text_is_plain_text_and_ids_are_url_encoded() {
    let (post, _) = map(json!({
        "objectID": "1&x=<y> z", "created_at_i": 1777638669, "_tags": ["comment"],
        "author": "  mallory ",
        "comment_text": "<p>Hey <!channel> &lt;!here&gt; <@U123ABC> & friends\u{0}\u{7}<script>alert(1)</script>",
    }))
    .unwrap();
    assert_eq!(post.url, "https://news.ycombinator.com/item?id=1%26x%3D%3Cy%3E+z");
    assert_eq!(post.author.handle, "mallory");
    // Stripping HTML decodes `&lt;!here&gt;` into the very sequence Slack
    // must escape: that is the sink's job, and its tests cover it.
    assert_eq!(post.text, "Hey <!here> <@U123ABC> & friends");
    // A title is plain text: kept literally, whitespace normalised.
    let (story, _) = map(json!({
        "objectID": "2", "created_at_i": 1, "title": "Q&amp;A:\n<b>Acme Air</b>  rocks", "story_text": "",
    }))
    .unwrap();
    assert_eq!(story.text, "Q&amp;A:\n<b>Acme Air</b> rocks");
}

#[test]
fn huge_comment_is_handled() {
    let text = format!("<p>{}</p>", "acme air &amp; more ".repeat(10_000));
    let (post, _) = map(json!({"objectID": "3", "created_at_i": 1, "comment_text": text})).unwrap();
    assert!(post.text.len() > 150_000 && post.text.starts_with("acme air & more"));
}

#[test]
fn poll_dedupes_by_object_id_and_tracks_newest() {
    let mut read = Read::default();
    for (id, t) in [("1", 100), ("2", 300), ("1", 200), ("x", 0)] {
        with_hit(&json!({"objectID": id, "created_at_i": t, "title": "t"}), |h| read.add(h));
    }
    assert_eq!(with_hit(&json!({"created_at_i": 999}), |h| read.add(h)), None);
    assert_eq!(with_hit(&json!("not a hit"), |h| read.add(h)), None);
    let ids: Vec<_> = read.posts.iter().map(|p| p.external_id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "x"]);
    assert_eq!(read.newest, Some(300));
}

#[test]
fn search_url_is_form_encoded() {
    let url = source().search_url("acme air", 1777630000, None, 2).unwrap();
    assert_eq!(
        url.as_str(),
        "https://hn.algolia.com/api/v1/search_by_date?query=acme+air&tags=%28story%2Ccomment%29\
         &numericFilters=created_at_i%3E%3D1777630000&hitsPerPage=100&page=2"
    );
    let mut cfg = source().cfg;
    cfg.base_url = Url::parse("http://127.0.0.1:9/api/v1/").unwrap();
    let url = HackernewsSource::new(cfg).search_url("#acme & co", 0, None, 0).unwrap();
    assert!(url.as_str().starts_with("http://127.0.0.1:9/api/v1/search_by_date?query=%23acme+%26+co&"), "{url}");
}

#[test]
fn cursor_window_and_watermark() {
    let now = Utc.timestamp_opt(1777640000, 0).unwrap();
    let hour = Duration::from_secs(3600);
    let overlap = Duration::from_secs(300);
    assert_eq!(parse_cursor(&Cursor("1777638669".into())), Some(1777638669));
    assert_eq!(parse_cursor(&Cursor(" 12 ".into())), Some(12));
    assert_eq!(parse_cursor(&Cursor("{\"w\":1}".into())), None);
    assert_eq!(window_start(None, now, hour, overlap), 1777636400);
    assert_eq!(window_start(Some(1777638669), now, hour, overlap), 1777638369);
    assert_eq!(window_start(Some(i64::MIN + 1), now, Duration::MAX, Duration::MAX), i64::MIN);
    assert_eq!(window_start(None, now, Duration::MAX, overlap), i64::MIN + 1777640001);
    // Newest read wins, never backwards, never past now.
    assert_eq!(next_watermark(Some(10), Some(20), now), Some(20));
    assert_eq!(next_watermark(Some(30), Some(20), now), Some(30));
    assert_eq!(next_watermark(None, Some(1777650000), now), Some(1777640000));
    assert_eq!(next_watermark(Some(5), None, now), Some(5));
    assert_eq!(next_watermark(None, None, now), None);
}
