//! Unit tests for `sources::mastodon`: every recorded response in
//! `tests/fixtures/mastodon/`, synthetic hostile statuses, ids, `Link`
//! headers, URLs and cursors. Polling over HTTP is tested in
//! `tests/it/mastodon.rs` and the contract suite.

use chrono::TimeZone;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::domain::{Engagement, Post};

const TIMELINE: &str = include_str!("../../../tests/fixtures/mastodon/timeline_hashtag.json");
const TIMELINE_HEADERS: &str = include_str!("../../../tests/fixtures/mastodon/timeline_hashtag.headers.json");
const SEARCH: &str = include_str!("../../../tests/fixtures/mastodon/search_v2.json");
const STATUS: &str = include_str!("../../../tests/fixtures/mastodon/status.json");
const QUOTE: &str = include_str!("../../../tests/fixtures/mastodon/status_with_quote.json");

/// The recorded headers of a sidecar as a `HeaderMap`.
fn sidecar_headers(sidecar: &str) -> HeaderMap {
    let v: serde_json::Value = serde_json::from_str(sidecar).unwrap();
    let mut h = HeaderMap::new();
    for (k, v) in v["headers"].as_object().unwrap() {
        let name = HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap();
        h.insert(name, HeaderValue::from_str(v.as_str().unwrap()).unwrap());
    }
    h
}

fn one(json: &str) -> Post {
    let posts = parse_timeline(format!("[{json}]").as_bytes()).expect("parses");
    assert_eq!(posts.len(), 1, "{json}");
    posts.into_iter().next().unwrap()
}

fn source() -> MastodonSource {
    let config: MastodonConfig = serde_json::from_value(serde_json::json!({
        "base_url": "https://social.example/sub/", "hashtags": ["#AcmeAir", "acmeair", "délai"], "limit": 40
    }))
    .unwrap();
    MastodonSource::new(MastodonSettings { config, token: None })
}

#[test]
fn timeline_fixture_maps_every_field() {
    let page = parse_timeline_page(TIMELINE.as_bytes()).unwrap();
    assert_eq!((page.items, page.posts.len()), (1, 1));
    assert_eq!(page.newest_id.as_deref(), Some("117020593741189701"));
    let p = &page.posts[0];
    assert_eq!(p.platform, Platform::Mastodon);
    assert_eq!(p.external_id.as_str(), "117020593741189701");
    assert_eq!(p.text, "#hoot (hashtag toot)");
    assert_eq!(p.url, "http://localhost:3000/@mastodonpy_test_2/117020593741189701");
    assert_eq!(p.author.handle, "mastodonpy_test_2");
    assert_eq!((p.author.display_name.as_deref(), p.author.followers), (None, Some(0)));
    assert_eq!(p.lang.as_deref(), Some("ja"));
    assert_eq!(
        p.created_at,
        Utc.with_ymd_and_hms(2026, 8, 1, 13, 55, 55).unwrap() + chrono::Duration::milliseconds(867)
    );
    assert_eq!(p.engagement, Engagement { likes: Some(0), reposts: Some(0), replies: Some(0) });
    // The id is a snowflake of its creation time.
    assert_eq!(id_time(&p.external_id.to_string()).map(|t| t.timestamp()), Some(p.created_at.timestamp()));
}

#[test]
fn timeline_fixture_link_header_gives_the_next_min_id() {
    let h = sidecar_headers(TIMELINE_HEADERS);
    assert_eq!(link_prev_min_id(&h).as_deref(), Some("117020593741189701"));
    let mut budget = crate::sources::budget::RateBudget::default();
    budget.observe(&h, Utc.with_ymd_and_hms(2026, 8, 1, 13, 59, 0).unwrap());
    assert_eq!(budget.remaining(), Some(299));
}

#[test]
fn search_fixture_reads_statuses_and_ignores_the_rest() {
    let page = parse_search_page(SEARCH.as_bytes()).unwrap();
    assert_eq!((page.items, page.posts.len()), (2, 2));
    assert_eq!(page.newest_id.as_deref(), Some("116388149027005349"));
    assert_eq!(page.oldest_id.as_deref(), Some("116388107849695302"));
    let greg = &page.posts[0];
    assert_eq!(greg.author.handle, "greg@icosahedron.website");
    assert_eq!((greg.author.display_name.as_deref(), greg.author.followers), (Some("Greg"), Some(455)));
    assert_eq!(greg.url, "https://icosahedron.website/@greg/116388148912635764");
    assert!(greg.text.starts_with("@cancel @halcy not only is this the classic hip-hop / funk sample but it's ALSO"));
    // Mastodon hides parts of long links in invisible spans: the text keeps the whole URL.
    assert!(greg.text.ends_with("Come On My Selector https://www.youtube.com/watch?v=MWCSw_cNxKc"), "{}", greg.text);
    assert_eq!(greg.engagement.replies, Some(1));
    let jo = &page.posts[1];
    assert_eq!(jo.text, "@halcy me when im riding my horse in stop and go traffic");
    assert_eq!(jo.engagement, Engagement { likes: Some(4), reposts: Some(1), replies: Some(0) });
    assert_eq!(parse_search(SEARCH.as_bytes()).unwrap(), page.posts);
}

#[test]
fn remote_status_with_content_warning_custom_emoji_and_edit() {
    let p = one(STATUS);
    assert_eq!(p.external_id.as_str(), "110446223051565765");
    assert_eq!(
        p.text,
        "test post for mastodon.py stuff\n\n@halcy you're a doo-doo head\n\nedit: editing this to have the maximum \
         amount of fields filled :trans_heart: #ThisIsAHashtag"
    );
    assert_eq!(p.url, "https://icosahedron.website/@halcy/110446222386355655", "the origin's permalink");
    assert_eq!(p.author.handle, "halcy@icosahedron.website");
    assert_eq!(p.author.display_name.as_deref(), Some("halcy\u{200b} :icosahedron:"));
    assert_eq!((p.author.followers, p.lang.as_deref()), (Some(3553), Some("de")));
    assert_eq!(p.engagement.likes, Some(1));
}

#[test]
fn bridged_quote_status_keeps_its_own_text() {
    let p = one(QUOTE);
    assert_eq!(p.external_id.as_str(), "115044073088181107");
    assert_eq!(p.author.handle, "h4lcy.bsky.social@bsky.brid.gy");
    assert!(p.url.starts_with("https://bsky.brid.gy/r/https://bsky.app/profile/"), "{}", p.url);
    assert!(
        p.text.starts_with("actual reply that quotes a post that quotes a post bsky.app/profile/h4lc..."),
        "{}",
        p.text
    );
    assert!(p.text.contains("RE: https://bsky.app/profile/did:plc:5syfqzormjkutgo5hi2u2gpr/post/3lwlumdwf522i"));
}

#[test]
fn a_boost_is_the_boosted_status_but_pages_by_its_own_id() {
    let json = r#"[{"id": "113500000000009999", "created_at": "2026-05-01T12:40:00.000Z", "content": "",
        "account": {"acct": "booster", "followers_count": 1},
        "reblog": {"id": "113500000000000042", "created_at": "2026-05-01T12:00:00.000Z",
                   "content": "<p>Acme Air lost my bag</p>", "url": null,
                   "uri": "https://other.example/users/dana/statuses/1", "language": "en",
                   "account": {"acct": "dana@other.example", "display_name": "Dana", "followers_count": 1840},
                   "favourites_count": 11, "reblogs_count": 5, "replies_count": 2}}]"#;
    let page = parse_timeline_page(json.as_bytes()).unwrap();
    assert_eq!(page.newest_id.as_deref(), Some("113500000000009999"), "paging counts the boost");
    let p = &page.posts[0];
    assert_eq!(p.external_id.as_str(), "113500000000000042", "the post is the original");
    assert_eq!((p.author.handle.as_str(), p.author.followers), ("dana@other.example", Some(1840)));
    assert_eq!(p.url, "https://other.example/users/dana/statuses/1", "url null: falls back to uri");
    assert_eq!(p.text, "Acme Air lost my bag");
    assert_eq!(p.engagement, Engagement { likes: Some(11), reposts: Some(5), replies: Some(2) });
}

#[test]
fn nulls_missing_fields_and_wrong_types_skip_or_default() {
    let json = r#"[
        {"id": "1", "created_at": null},
        {"created_at": "2026-05-01T12:00:00Z", "content": "<p>no id</p>"},
        {"id": "../../etc", "created_at": "2026-05-01T12:00:00Z"},
        "not a status", 42, null,
        {"id": 113500000000000001, "created_at": "2026-05-01T12:00:00Z", "content": null, "spoiler_text": null,
         "account": "gone", "language": {"en": true}, "favourites_count": "lots", "reblogs_count": -1,
         "replies_count": null, "reblog": "nope", "url": {"x": 1}, "uri": null,
         "brand_new_field": {"nested": [1, {"deep": null}]}}
    ]"#;
    let page = parse_timeline_page(json.as_bytes()).unwrap();
    assert_eq!(page.items, 7);
    assert_eq!(page.posts.len(), 1, "only the last one is usable: {:?}", page.posts);
    let p = &page.posts[0];
    assert_eq!(p.external_id.as_str(), "113500000000000001", "numeric id read as text");
    assert_eq!((p.text.as_str(), p.url.as_str(), p.author.handle.as_str()), ("", "", ""));
    assert_eq!((p.lang.as_deref(), p.author.followers), (None, None));
    assert_eq!(p.engagement, Engagement { likes: None, reposts: Some(0), replies: None });
    assert_eq!(page.newest_id.as_deref(), Some("113500000000000001"), "ids of unusable items still count");
    assert_eq!(page.oldest_id.as_deref(), Some("1"));
}

#[test]
fn entities_emoji_surrogates_and_hostile_markup() {
    let p = one(r#"{"id": "7", "created_at": "2026-05-01T12:31:07.412Z", "spoiler_text": "CW: \ud83d\ude21 rant",
        "content": "<p>3 hours on hold with <a href=\"https://social.example/tags/AcmeAir\" class=\"mention hashtag\" rel=\"tag\">#<span>AcmeAir</span></a> &amp; still no refund &#39;processing&#39; \ud83d\ude21</p><p>&lt;!channel&gt; <script>alert(1)</script>line<br>two\u0007</p>",
        "account": {"acct": "@dana", "display_name": "Dana :verified:"}}"#);
    assert_eq!(
        p.text,
        "CW: 😡 rant\n\n3 hours on hold with #AcmeAir & still no refund 'processing' 😡\n\n<!channel> line\ntwo"
    );
    assert_eq!(p.author.handle, "dana");
}

#[test]
fn a_huge_status_is_handled() {
    let content = "<p>acme air &amp; more </p>".repeat(5_000);
    let p = one(&format!(r#"{{"id": "9", "created_at": "2026-05-01T12:00:00Z", "content": "{content}"}}"#));
    assert!(p.text.len() > 70_000 && p.text.starts_with("acme air & more"));
}

#[test]
fn envelopes_that_do_not_fit_are_malformed() {
    for body in [&b""[..], b"{\"error\":\"x\"}", b"[{\"id\": \"1\"", b"<html>502</html>", b"[\"\xff\"]"] {
        assert!(matches!(parse_timeline(body), Err(SourceError::Malformed(_))), "{:?}", String::from_utf8_lossy(body));
    }
    assert!(matches!(parse_search(b"[]"), Err(SourceError::Malformed(_))));
    assert!(matches!(parse_search(b"{\"accounts\": []}"), Err(SourceError::Malformed(_))));
    assert_eq!(parse_search(br#"{"statuses": null, "accounts": []}"#).unwrap(), vec![]);
}

#[test]
fn ids_compare_as_numbers_and_encode_time() {
    assert_eq!(id_cmp("113500000000009876", "99999999999999999"), Ordering::Greater);
    assert_eq!(id_cmp("0042", "42"), Ordering::Equal);
    assert_eq!(id_cmp("01HZX", "01HZY"), Ordering::Less);
    let t = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let id = id_at(t);
    assert_eq!(id, (t.timestamp_millis() as u64 * 65536).to_string());
    assert_eq!(id_time(&id), Some(t));
    assert_eq!(id_time("21"), None, "short ids are not snowflakes");
    assert_eq!(id_time("01HZXABC"), None);
    assert_eq!(id_at(DateTime::<Utc>::MIN_UTC), "0");
}

#[test]
fn link_header_variants() {
    let h = |v: &str| {
        let mut h = HeaderMap::new();
        h.insert(LINK_NAME, HeaderValue::from_str(v).unwrap());
        h
    };
    const LINK_NAME: HeaderName = reqwest::header::LINK;
    let both = "<https://s.example/api/v1/timelines/tag/acme?max_id=10>; rel=\"next\", \
                <https://s.example/api/v1/timelines/tag/acme?min_id=99&limit=40>; rel=\"prev\"";
    assert_eq!(link_prev_min_id(&h(both)).as_deref(), Some("99"));
    assert_eq!(link_prev_min_id(&h("<https://s.example/x?max_id=10>; rel=\"next\"")), None);
    assert_eq!(link_prev_min_id(&h("<not a url>; rel=\"prev\"")), None);
    assert_eq!(link_prev_min_id(&h("<https://s.example/x?min_id=1%262>; rel=prev")), None, "hostile id refused");
    assert_eq!(link_prev_min_id(&HeaderMap::new()), None);
}

#[test]
fn urls_are_built_under_the_base_path_and_encoded() {
    let s = source();
    assert_eq!(s.tags, ["acmeair", "délai"]);
    assert_eq!(
        s.timeline_url("délai", "113500000000000000").unwrap().as_str(),
        "https://social.example/sub/api/v1/timelines/tag/d%C3%A9lai?min_id=113500000000000000&limit=40"
    );
    assert_eq!(
        s.search_url("acme air", 0).unwrap().as_str(),
        "https://social.example/sub/api/v2/search?q=acme+air&type=statuses&limit=40"
    );
    assert!(s.search_url("a&b", 80).unwrap().as_str().ends_with("?q=a%26b&type=statuses&limit=40&offset=80"));
}

#[test]
fn cursor_round_trip_overlap_and_future_ids() {
    let mut c = MastodonCursor::default();
    c.tags.insert("acmeair".into(), "113500000000009876".into());
    c.search.insert("acme air".into(), "113500000000004321".into());
    let encoded = c.encode();
    assert_eq!(encoded.0, r#"{"tags":{"acmeair":"113500000000009876"},"search":{"acme air":"113500000000004321"}}"#);
    assert_eq!(MastodonCursor::parse(&encoded), Some(c));
    assert_eq!(MastodonCursor::parse(&Cursor("1777638669".into())), None);
    assert_eq!(MastodonCursor::parse(&Cursor("{}".into())), Some(MastodonCursor::default()));

    let t = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let cursor = id_at(t);
    assert_eq!(overlap_start(&cursor, Duration::from_secs(120)), id_at(t - chrono::Duration::seconds(120)));
    assert_eq!(overlap_start(&cursor, Duration::ZERO), cursor);
    assert_eq!(overlap_start("01HZXULID", Duration::from_secs(120)), "01HZXULID");
    assert_eq!(overlap_start("21", Duration::from_secs(120)), "21");

    let now = t;
    let future = id_at(t + chrono::Duration::days(3));
    assert_eq!(newer(None, Some(&future), now), Some(id_at(now)), "a future id counts as now");
    assert_eq!(newer(Some("5".into()), Some("4"), now).as_deref(), Some("5"), "never backwards");
    assert_eq!(newer(Some("5".into()), Some("10"), now).as_deref(), Some("10"));
    assert_eq!(newer(Some("5".into()), None, now).as_deref(), Some("5"));
    assert_eq!(newer(None, None, now), None);
}
