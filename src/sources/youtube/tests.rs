//! Unit tests for `sources::youtube`: the recorded responses in
//! `tests/fixtures/youtube/`, synthetic statistics and error bodies (no
//! recording exists; shapes from platform-apis.md 6.2/6.5), quota days
//! across daylight-saving switches, pacing, query building and the cursor.
//! Polling over HTTP is in `tests/it/youtube.rs`.

use chrono::{NaiveDate, TimeZone};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;

use super::quota::*;
use super::wire::*;
use super::*;

const SEARCH: &str = include_str!("../../../tests/fixtures/youtube/search_list.json");
const SEARCH_2: &str = include_str!("../../../tests/fixtures/youtube/search_list_page2.json");
const THREADS: &str = include_str!("../../../tests/fixtures/youtube/commentThreads_by_video.json");
const THREADS_SEARCH: &str = include_str!("../../../tests/fixtures/youtube/commentThreads_search_terms.json");

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

#[test]
fn search_fixture_decodes_entities_and_maps_videos() {
    let page = parse_search(SEARCH.as_bytes()).unwrap();
    assert_eq!((page.videos.len(), page.skipped), (25, 0));
    assert_eq!(page.next_page_token.as_deref(), Some("CBkQAA"));
    let first = &page.videos[0];
    assert_eq!(first.post.external_id.as_str(), "gQ_1zX-F_No");
    assert_eq!(first.post.url, "https://www.youtube.com/watch?v=gQ_1zX-F_No");
    assert_eq!(first.post.created_at, utc(2019, 12, 5, 19, 0) + chrono::Duration::seconds(10));
    assert_eq!(first.channel_id.as_deref(), Some("UCo_q6aOlvPH7M-j_XGWVgXg"));
    assert!(first
        .post
        .text
        .starts_with("SURFING HAWAII’S BEST WAVE WITH MY GIRLFRIEND (PIPELINE)\n\nSOME FUN BARRELS"));
    let amp = page.videos.iter().find(|v| v.post.external_id.as_str() == "i2hewkFijuY").unwrap();
    assert!(amp.post.text.starts_with("SURFING PERFECT PIPE & BACKDOOR || SUNRISE SHACK!"), "{}", amp.post.text);
    assert_eq!(amp.post.author.handle, "Koa Rothman");
    assert_eq!(amp.post.author.display_name.as_deref(), Some("Koa Rothman"));
    for v in &page.videos {
        assert!(!v.post.text.contains("&amp;") && !v.post.text.contains("&#39;"), "{}", v.post.text);
        assert_eq!(v.post.platform, Platform::Youtube);
    }
    let page2 = parse_search(SEARCH_2.as_bytes()).unwrap();
    assert_eq!(page2.next_page_token.as_deref(), Some("CDIQAA"));
    let quoted = page2.videos.iter().find(|v| v.post.external_id.as_str() == "vk0F8dHo3wU").unwrap();
    assert!(quoted.post.text.starts_with("\"Pacific Dreams\" A California Surfing Film"));
}

#[test]
fn comment_fixtures_prefer_the_original_text() {
    let page = parse_comment_threads(THREADS.as_bytes()).unwrap();
    assert_eq!(page.posts.len(), 5);
    assert!(page.next_page_token.as_deref().is_some_and(|t| t.starts_with("QURTSl9p")));
    let p = &page.posts[0];
    assert_eq!(p.external_id.as_str(), "UgyZ1jqkHKYvi1-ruOZ4AaABAg");
    assert_eq!(p.text, "Google.com", "textOriginal, not the HTML textDisplay");
    assert_eq!(p.url, "https://www.youtube.com/watch?v=F1UP7wRCPH8&lc=UgyZ1jqkHKYvi1-ruOZ4AaABAg");
    assert_eq!(p.author.handle, "himani agarwal");
    let last = &page.posts[4];
    assert!(last.text.starts_with("Lot's of good light coming in from here #ChromeDevSummit"), "{}", last.text);
    assert_eq!((last.engagement.likes, last.engagement.replies), (Some(0), Some(2)));

    let channel = parse_comment_threads(THREADS_SEARCH.as_bytes()).unwrap();
    assert_eq!(channel.posts.len(), 1);
    assert_eq!(channel.next_page_token, None);
    assert_eq!(channel.posts[0].url, "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw");
    assert_eq!(channel.posts[0].text, "Hello");
}

#[test]
fn html_only_comments_nulls_and_unknown_fields() {
    let body = serde_json::json!({"items": [
        {"id": "t1", "snippet": {"videoId": "vid00000001", "totalReplyCount": null, "newField": {},
          "topLevelComment": {"id": "c1", "snippet": {"textDisplay": "Acme Air &amp; <b>never</b> again<br>&#128545;",
            "authorDisplayName": "@angry_flyer", "likeCount": "7", "publishedAt": "2026-05-01T12:00:00Z"}}}},
        {"id": "t2", "snippet": {"topLevelComment": {"id": "c2", "snippet": {"publishedAt": null}}}},
        {"id": "t3", "snippet": null},
        {"id": "t4", "snippet": {"topLevelComment": {"id": "bad id/../", "snippet": {"publishedAt": "2026-05-01T12:00:00Z"}}}}
    ], "nextPageToken": ""});
    let page = parse_comment_threads(body.to_string().as_bytes()).unwrap();
    assert_eq!((page.posts.len(), page.skipped, page.next_page_token), (1, 3, None));
    let p = &page.posts[0];
    assert_eq!(p.text, "Acme Air & never again\n😡");
    assert_eq!(p.author.handle, "angry_flyer");
    assert_eq!(p.author.display_name.as_deref(), Some("@angry_flyer"));
    assert_eq!(p.engagement.likes, Some(7), "a count as a string");

    let search = serde_json::json!({"items": [
        {"id": {"kind": "youtube#channel", "channelId": "UCx"}, "snippet": {"publishedAt": "2026-05-01T12:00:00Z"}},
        {"id": {"kind": "youtube#video", "videoId": "abc"}, "snippet": {"publishTime": "2026-05-01T12:00:00Z",
          "title": "&lt;!channel&gt; Acme Air \u{1F600}", "description": "", "channelTitle": null}}
    ]});
    let page = parse_search(search.to_string().as_bytes()).unwrap();
    assert_eq!((page.videos.len(), page.skipped), (1, 1));
    assert_eq!(page.videos[0].post.text, "<!channel> Acme Air 😀");
    assert_eq!(page.videos[0].post.author.handle, "");
    for bad in [r#"{"items":{}}"#, r#"{"items":[{"id":{"videoId":"a"}"#, ""] {
        assert!(matches!(parse_search(bad.as_bytes()), Err(SourceError::Malformed(_))), "{bad}");
    }
}

#[test]
fn statistics_counts_are_strings() {
    // Synthetic, from the documented shape (no recording exists).
    let videos = r#"{"kind":"youtube#videoListResponse","items":[
        {"id":"a","statistics":{"viewCount":"1200","likeCount":"31","favoriteCount":"0","commentCount":"4"}},
        {"id":"b","statistics":{"viewCount":"9","commentCount":"0"}},
        {"id":"c"}]}"#;
    let stats = parse_video_stats(videos.as_bytes()).unwrap();
    assert_eq!(stats["a"], VideoStats { likes: Some(31), comments: Some(4) });
    assert_eq!(stats["b"], VideoStats { likes: None, comments: Some(0) }, "likes hidden");
    assert_eq!(stats["c"], VideoStats::default());
    let channels = r#"{"items":[{"id":"UC1","statistics":{"subscriberCount":"12300","hiddenSubscriberCount":false}},
        {"id":"UC2","statistics":{"subscriberCount":"0","hiddenSubscriberCount":true}}]}"#;
    let subs = parse_channel_subscribers(channels.as_bytes()).unwrap();
    assert_eq!(subs.get("UC1"), Some(&12300));
    assert_eq!(subs.get("UC2"), None);
}

fn now() -> DateTime<Utc> {
    utc(2026, 5, 1, 12, 30)
}

fn classify(code: u16, body: &str) -> Failure {
    classify_error(StatusCode::from_u16(code).unwrap(), &HeaderMap::new(), body.as_bytes(), now())
}

#[test]
fn google_error_bodies_are_classified_by_reason() {
    // Synthetic bodies in the shapes of platform-apis.md 6.5.
    let quota = r#"{"error":{"code":403,"message":"The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.","errors":[{"message":"…","domain":"youtube.quota","reason":"quotaExceeded"}]}}"#;
    assert!(matches!(classify(403, quota), Failure::QuotaExceeded));

    let bad_key = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","errors":[{"message":"API key not valid. Please pass a valid API key.","domain":"global","reason":"badRequest"}],"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
    let Failure::Error(SourceError::Auth(m)) = classify(400, bad_key) else { panic!() };
    assert!(m.contains("api_key") && m.contains("API key not valid"), "{m}");
    let legacy =
        r#"{"error":{"code":400,"message":"Bad Request","errors":[{"reason":"keyInvalid","domain":"usageLimits"}]}}"#;
    assert!(matches!(classify(400, legacy), Failure::Error(SourceError::Auth(_))));
    let blocked = r#"{"error":{"code":403,"message":"Requests to this API youtube method youtube.api.v3.V3DataSearchService.List are blocked.","status":"PERMISSION_DENIED","details":[{"reason":"API_KEY_SERVICE_BLOCKED"}]}}"#;
    let Failure::Error(SourceError::Auth(m)) = classify(403, blocked) else { panic!() };
    assert!(m.contains("API_KEY_SERVICE_BLOCKED"), "{m}");

    let disabled = r#"{"error":{"code":403,"message":"The video identified by the <code>videoId</code> parameter has disabled comments.","errors":[{"domain":"youtube.commentThread","reason":"commentsDisabled"}]}}"#;
    let Failure::Skip(m) = classify(403, disabled) else { panic!() };
    assert!(m.contains("disabled comments"), "{m}");
    assert!(matches!(classify(404, r#"{"error":{"errors":[{"reason":"videoNotFound"}]}}"#), Failure::Skip(_)));

    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from_static("30"));
    let slow = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","errors":[{"reason":"rateLimitExceeded"}]}}"#;
    match classify_error(StatusCode::TOO_MANY_REQUESTS, &h, slow, now()) {
        Failure::Error(SourceError::RateLimited { retry_after }) => assert_eq!(retry_after, Duration::from_secs(30)),
        other => panic!("{other:?}"),
    }
    let slow403 = r#"{"error":{"code":403,"errors":[{"reason":"userRateLimitExceeded","domain":"usageLimits"}]}}"#;
    assert!(matches!(classify(403, slow403), Failure::Error(SourceError::RateLimited { .. })));
    assert!(matches!(
        classify(503, r#"{"error":{"errors":[{"reason":"backendError"}]}}"#),
        Failure::Error(SourceError::Transient(_))
    ));
    assert!(matches!(
        classify(400, r#"{"error":{"errors":[{"reason":"invalidSearchFilter"}]}}"#),
        Failure::Error(SourceError::Rejected(_))
    ));
    assert!(matches!(classify(403, "<html>Forbidden</html>"), Failure::Error(SourceError::Auth(_))));
}

#[test]
fn the_quota_day_follows_pacific_time_across_dst() {
    // Winter (PST, UTC-8): the day turns at 08:00 UTC.
    assert_eq!(pacific_date(utc(2026, 1, 15, 7, 59)), NaiveDate::from_ymd_opt(2026, 1, 14).unwrap());
    assert_eq!(pacific_date(utc(2026, 1, 15, 8, 0)), NaiveDate::from_ymd_opt(2026, 1, 15).unwrap());
    assert_eq!(next_pacific_midnight(utc(2026, 1, 15, 12, 0)), utc(2026, 1, 16, 8, 0));
    // Summer (PDT, UTC-7): at 07:00 UTC.
    assert_eq!(next_pacific_midnight(now()), utc(2026, 5, 2, 7, 0));
    assert_eq!(until_reset(now()), Duration::from_secs((18 * 60 + 30) * 60));
    // 2026: DST from Sun 8 March 10:00 UTC to Sun 1 November 09:00 UTC.
    assert!(!is_pacific_dst(utc(2026, 3, 8, 9, 59)) && is_pacific_dst(utc(2026, 3, 8, 10, 0)));
    assert!(is_pacific_dst(utc(2026, 11, 1, 8, 59)) && !is_pacific_dst(utc(2026, 11, 1, 9, 0)));
    // The midnight after the spring switch is at 07:00 UTC, the one before at 08:00.
    assert_eq!(next_pacific_midnight(utc(2026, 3, 8, 12, 0)), utc(2026, 3, 9, 7, 0));
    assert_eq!(next_pacific_midnight(utc(2026, 3, 7, 12, 0)), utc(2026, 3, 8, 8, 0));
    assert_eq!(next_pacific_midnight(utc(2026, 10, 31, 12, 0)), utc(2026, 11, 1, 7, 0));
}

#[test]
fn quota_charges_refuses_rolls_and_seeds() {
    let mut q = Quota::new(250, now());
    assert!(q.charge(SEARCH_COST, now()) && q.charge(SEARCH_COST, now()));
    assert!(!q.charge(SEARCH_COST, now()), "50 left cannot pay a search");
    assert_eq!(q.remaining(), 50);
    assert!(q.charge(LIST_COST, now()));
    let tomorrow = utc(2026, 5, 2, 7, 0);
    assert!(q.charge(SEARCH_COST, tomorrow), "a new Pacific day");
    assert_eq!(q.today.used, 100);
    // A stored day replaces a lower count for the same day only.
    q.seed(Some(QuotaDay { day: q.today.day, used: 240 }), tomorrow);
    assert_eq!(q.today.used, 240);
    q.seed(Some(QuotaDay { day: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(), used: 999 }), tomorrow);
    assert_eq!(q.today.used, 240);
    q.exhaust(tomorrow);
    assert_eq!(q.remaining(), 0);
}

#[test]
fn pacing_spreads_the_budget_over_the_day() {
    let day = Duration::from_secs(10 * 3600);
    assert_eq!(pace(day, 100, 1000, 100), Some(Duration::from_secs(3600)), "10 polls left in 10 h");
    assert_eq!(pace(day, 100, 50, 100), Some(day), "cannot pay: wait for the reset");
    assert_eq!(pace(day, 0, 5000, 100), None);
    assert_eq!(pace(Duration::from_secs(10), 1, 10_000, 1), None, "under a second is no wait");
}

#[test]
fn search_q_ors_terms_and_quotes_phrases() {
    let q = |t: &[&str]| search_query(&t.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(q(&["acme air", "acmeair"]).unwrap(), "\"acme air\"|acmeair");
    assert_eq!(q(&[" a|b ", "\"x\""]).unwrap(), "\"a b\"|x");
    assert!(matches!(q(&[" "]), Err(SourceError::Rejected(_))));
}

fn source() -> YoutubeSource {
    YoutubeSource::new(YoutubeSettings {
        config: YoutubeConfig {
            base_url: Url::parse("https://www.googleapis.com/youtube/v3").unwrap(),
            api_key: None,
            api_key_env: None,
            api_key_file: None,
            search_videos: true,
            max_results: 50,
            max_pages: 2,
            overlap: Duration::from_secs(7200),
            region_code: None,
            relevance_language: None,
            comment_videos: vec![],
            comment_channels: vec![],
            comment_search: false,
            comment_max_pages: 3,
            statistics: true,
            daily_quota: 10_000,
        },
        api_key: SecretString::from("AIzaSECRET".to_string()),
    })
}

#[test]
fn urls_carry_the_key_but_debug_does_not() {
    let s = source();
    let url = s.url("search", &[("q", "\"acme air\"|acmeair"), ("part", "snippet")]).unwrap();
    assert_eq!(url.path(), "/youtube/v3/search");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!((q["q"].as_str(), q["key"].as_str()), ("\"acme air\"|acmeair", "AIzaSECRET"));
    assert!(!format!("{s:?}").contains("AIzaSECRET"));
}

#[test]
fn the_cursor_round_trips_as_json() {
    let state = YoutubeCursor {
        videos: VideoCursor {
            newest: Some(utc(2026, 5, 1, 11, 58)),
            backlog: Some(Window { after: utc(2026, 5, 1, 9, 0), before: utc(2026, 5, 1, 10, 0) }),
        },
        comments: [("video:dQw4w9WgXcQ".to_string(), utc(2026, 5, 1, 12, 0))].into(),
        quota: Some(QuotaDay { day: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(), used: 302 }),
    };
    let c = Cursor::to_json(&state);
    assert!(c.0.starts_with(r#"{"videos":{"newest":"2026-05-01T11:58:00Z","backlog":{"after":"#), "{}", c.0);
    assert!(c.0.contains(r#""quota":{"day":"2026-05-01","used":302}"#), "{}", c.0);
    assert_eq!(c.from_json::<YoutubeCursor>().unwrap(), state);
    assert_eq!(Cursor::to_json(&YoutubeCursor::default()).0, "{}");
}

#[test]
fn surrogate_pairs_decode_and_lone_surrogates_are_malformed() {
    let ok = r#"{"items":[{"id":{"kind":"youtube#video","videoId":"abc"},"snippet":{"publishedAt":"2026-05-01T12:00:00Z","title":"Acme Air \uD83D\uDE21 &#39;again&#39;"}}]}"#;
    assert_eq!(parse_search(ok.as_bytes()).unwrap().videos[0].post.text, "Acme Air 😡 'again'");
    // serde_json refuses a lone surrogate: the page is Malformed, never garbled.
    let lone = r#"{"items":[{"id":{"kind":"youtube#video","videoId":"abc"},"snippet":{"title":"\uD83D x"}}]}"#;
    assert!(matches!(parse_search(lone.as_bytes()), Err(SourceError::Malformed(_))));
}
