//! Unit tests for `sources::x`: the recorded responses in
//! `tests/fixtures/x/`, synthetic edge cases (nulls, missing authors, long
//! posts, entities, surrogate pairs), error bodies, query building and the
//! cursor spellings. Polling over HTTP is in `tests/it/x.rs`.

use chrono::TimeZone;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;

use super::wire::*;
use super::*;

const SEARCH: &str = include_str!("../../../tests/fixtures/x/search_recent_tweets.json");
const SEARCH_HEADERS: &str = include_str!("../../../tests/fixtures/x/search_recent_tweets.headers.json");
const SEARCH_RETWEETS: &str = include_str!("../../../tests/fixtures/x/search_recent_tweets_2.json");
const EXPANSIONS: &str = include_str!("../../../tests/fixtures/x/search_recent_expansions_with_errors.json");
const LOOKUP: &str = include_str!("../../../tests/fixtures/x/get_tweets_by_ids.json");
const QUOTES: &str = include_str!("../../../tests/fixtures/x/quote_tweets.json");

fn cfg() -> XConfig {
    XConfig {
        base_url: Url::parse("https://api.x.com/2").unwrap(),
        bearer_token: None,
        bearer_token_env: None,
        bearer_token_file: None,
        max_results: 100,
        max_pages: 10,
        exclude_retweets: true,
        operators: None,
        max_query_len: 512,
    }
}

fn source() -> XSource {
    XSource::new(XSettings { config: cfg(), bearer_token: SecretString::from("t0k3n".to_string()) })
}

fn parse(body: &str) -> SearchPage {
    parse_search(body.as_bytes()).expect("parses")
}

#[test]
fn default_fields_fixture_uses_snowflake_times_and_web_permalinks() {
    let page = parse(SEARCH);
    assert_eq!(page.posts.len(), 10);
    assert_eq!(page.result_count, 10);
    assert_eq!(page.newest_id, Some(1578516068309794817));
    assert_eq!(page.oldest_id, Some(1578511538419212288));
    assert_eq!(page.next_token.as_deref(), Some("b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"));
    let p = &page.posts[0];
    assert_eq!(p.external_id.as_str(), "1578516068309794817");
    assert_eq!(p.text, "2022-10-07 22:42:12.637103 tweepy");
    // No created_at requested: the snowflake says 22:42:12.752, which the
    // text (written by the poster's script) confirms.
    assert_eq!(
        p.created_at,
        Utc.with_ymd_and_hms(2022, 10, 7, 22, 42, 12).unwrap() + chrono::Duration::milliseconds(752)
    );
    assert_eq!(p.url, "https://x.com/i/web/status/1578516068309794817");
    assert_eq!(p.author, crate::domain::Author::default());
    assert_eq!(p.engagement, crate::domain::Engagement::default());
}

#[test]
fn recorded_rate_limit_headers_give_no_throttle_while_the_budget_is_healthy() {
    let sidecar: serde_json::Value = serde_json::from_str(SEARCH_HEADERS).unwrap();
    let mut h = HeaderMap::new();
    for (k, v) in sidecar["headers"].as_object().unwrap() {
        h.insert(reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.as_str().unwrap().parse().unwrap());
    }
    let at = Utc.timestamp_opt(1665182599, 0).unwrap(); // the recorded Date header
    assert_eq!(crate::sources::http::throttle(&h, at), None, "448 of 450 left");
    h.insert("x-rate-limit-remaining", HeaderValue::from_static("2"));
    assert_eq!(crate::sources::http::throttle(&h, at), Some(Duration::from_secs(630)), "wait for the epoch reset");
}

#[test]
fn expansions_fixture_joins_authors_and_tolerates_partial_errors() {
    let page = parse(EXPANSIONS);
    assert_eq!(page.posts.len(), 100);
    assert_eq!(page.partial_errors, 1, "the suspended-user error rides along with data");
    assert_eq!(page.skipped, 0);
    let p = &page.posts[0];
    assert_eq!(p.external_id.as_str(), "1440717170493689866");
    assert_eq!(p.author.handle, "ximerios12_");
    assert_eq!(p.author.display_name.as_deref(), Some("Ximena Ríos"));
    assert_eq!(p.author.followers, Some(4));
    assert_eq!(p.url, "https://x.com/ximerios12_/status/1440717170493689866");
    assert_eq!(p.created_at, Utc.with_ymd_and_hms(2021, 9, 22, 16, 38, 35).unwrap());
    assert_eq!(p.lang.as_deref(), Some("es"));
    assert_eq!(p.engagement.reposts, Some(20));
    assert_eq!(p.engagement.likes, Some(0));
    assert!(p.text.starts_with("RT @ChartsEcuador: #TopKPopEcuador\n@BTS_twt se mantiene"), "{}", p.text);
    let amp = page.posts.iter().find(|p| p.external_id.as_str() == "1440716983960363017").unwrap();
    assert!(amp.text.contains("#kpop & #kdrama"), "entities decoded: {}", amp.text);
    assert!(page.posts.iter().all(|p| !p.text.contains("&amp;") && !p.author.handle.is_empty()));
}

#[test]
fn lookup_fixture_keeps_surrogate_pair_emoji_and_paragraphs() {
    let page = parse(LOOKUP);
    assert_eq!(page.posts.len(), 2);
    assert_eq!(page.newest_id, Some(1293595870563381249), "no meta: computed from the ids");
    assert_eq!(page.result_count, 2);
    assert!(page.posts[0].text.starts_with("It’s finally here! 🥁 Say hello"), "{}", page.posts[0].text);
    assert!(page.posts[0].text.contains("new #TwitterAPI.\n\nWe’re rebuilding"));
}

#[test]
fn retweet_and_quote_fixtures_parse() {
    let page = parse(SEARCH_RETWEETS);
    assert_eq!(page.posts.len(), 10);
    assert!(page.posts[0].text.starts_with("RT @t6dr1ve:"));
    let quotes = parse(QUOTES);
    assert_eq!(quotes.posts.len(), 9);
    assert_eq!(quotes.next_token.as_deref(), Some("ayf96h94ritk"));
    assert!(quotes.newest_id.is_some(), "computed from the ids when meta has none");
}

#[test]
fn zero_results_have_no_data_key() {
    let page = parse(r#"{"meta":{"result_count":0}}"#);
    assert_eq!((page.posts.len(), page.newest_id, page.next_token), (0, None, None));
    let page = parse(r#"{"data":null,"meta":{"result_count":0,"newest_id":null}}"#);
    assert_eq!(page.posts.len(), 0);
}

#[test]
fn long_posts_missing_authors_nulls_and_unknown_fields() {
    let long = "Acme Air &amp; the 9-hour delay ".repeat(20);
    let body = serde_json::json!({
        "data": [
            {"id": "1915000000000000123", "text": "cut at 280…", "author_id": "42",
             "created_at": "2026-05-01T12:30:41.000Z", "lang": "qme",
             "note_tweet": {"text": long, "entities": {}}, "brand_new_field": [1, 2]},
            {"id": "1915000000000000124", "text": "&lt;!channel&gt; acme air", "author_id": "404",
             "created_at": null, "lang": null, "public_metrics": null},
            {"id": null, "text": "no id"},
            {"id": "12345678901234567890123", "text": "id too long"},
            {"id": "1915000000000000125", "text": "post field spelling", "note_post": {"text": "full text under note_post"}}
        ],
        "includes": {"users": [{"id": "42", "username": "priya_travels", "name": null,
                                 "public_metrics": {"followers_count": 20412}}]},
        "meta": {"newest_id": "1915000000000000125", "result_count": 5, "future": true}
    });
    let page = parse(&body.to_string());
    assert_eq!(page.skipped, 2);
    let [long_post, orphan, note_post] = &page.posts[..] else { panic!("{:?}", page.posts) };
    assert!(long_post.text.starts_with("Acme Air & the 9-hour delay Acme Air &"), "{}", long_post.text);
    assert!(long_post.text.len() > 280);
    assert_eq!(long_post.lang, None, "qme is X's 'media only' code");
    assert_eq!(long_post.author.handle, "priya_travels");
    assert_eq!(long_post.author.display_name, None);
    assert_eq!(long_post.author.followers, Some(20412));
    assert_eq!(orphan.text, "<!channel> acme air", "decoded once, stored as written");
    assert_eq!(orphan.author.handle, "404", "author missing from includes: the id stands in");
    assert_eq!(orphan.url, "https://x.com/i/web/status/1915000000000000124");
    assert_eq!(orphan.created_at, snowflake_time(1915000000000000124).unwrap());
    assert_eq!(note_post.text, "full text under note_post");
    assert_eq!(page.oldest_id, Some(1915000000000000123), "computed when meta lacks it");
}

#[test]
fn a_wrong_envelope_or_truncated_body_is_malformed() {
    for body in [r#"{"data":{"id":"1"}}"#, r#"{"data":[{"id":"1","text":"tr"#, "42", "<html>"] {
        let err = parse_search(body.as_bytes()).expect_err(body);
        assert!(matches!(err, SourceError::Malformed(_)), "{body}: {err}");
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 30, 0).unwrap()
}

fn classify(code: u16, body: &str) -> Failure {
    classify_error(StatusCode::from_u16(code).unwrap(), &HeaderMap::new(), body.as_bytes(), now())
}

#[test]
fn problem_bodies_are_classified() {
    let too_old = r#"{"errors":[{"parameters":{"since_id":["1700000000000000000"]},"message":"Invalid 'since_id':'1700000000000000000'. 'since_id' must be a tweet id created after 2026-04-24T12:30Z."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"}"#;
    assert!(matches!(classify(400, too_old), Failure::SinceIdTooOld));

    let bad_query = r#"{"errors":[{"parameters":{"query":["(("]},"message":"bad"}],"title":"Invalid Request","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
    let Failure::Error(SourceError::Rejected(m)) = classify(400, bad_query) else { panic!() };
    assert!(m.contains("Invalid Request") && m.contains("invalid-request"), "{m}");

    let Failure::Error(SourceError::Auth(m)) =
        classify(401, r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#)
    else {
        panic!()
    };
    assert!(m.contains("bearer_token") && m.contains("401"), "{m}");
    let Failure::Error(SourceError::Auth(m)) = classify(
        403,
        r#"{"title":"Client Forbidden","type":"https://api.x.com/2/problems/client-forbidden","reason":"client-not-enrolled","detail":"When authenticating requests…"}"#,
    ) else {
        panic!()
    };
    assert!(m.contains("client-not-enrolled") && m.contains("client-forbidden"), "{m}");

    let mut h = HeaderMap::new();
    h.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
    h.insert("x-rate-limit-reset", HeaderValue::from_str(&(now().timestamp() + 42).to_string()).unwrap());
    let body = br#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#;
    match classify_error(StatusCode::TOO_MANY_REQUESTS, &h, body, now()) {
        Failure::Error(SourceError::RateLimited { retry_after }) => assert_eq!(retry_after, Duration::from_secs(42)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(classify(503, "<html>down</html>"), Failure::Error(SourceError::Transient(_))));
}

#[test]
fn queries_are_quoted_ored_and_bounded() {
    let q = |terms: &[&str], c: &XConfig| build_query(&terms.iter().map(|s| s.to_string()).collect::<Vec<_>>(), c);
    assert_eq!(q(&["acme air", "acmeair"], &cfg()).unwrap(), r#"("acme air" OR "acmeair") -is:retweet"#);
    assert_eq!(q(&["acme air"], &cfg()).unwrap(), r#""acme air" -is:retweet"#);
    let plain = XConfig { exclude_retweets: false, ..cfg() };
    assert_eq!(q(&["acme  \"air\"", " "], &plain).unwrap(), r#""acme air""#);
    let ops = XConfig { operators: Some("lang:en -is:reply".into()), ..cfg() };
    assert_eq!(q(&["a", "b"], &ops).unwrap(), r#"("a" OR "b") -is:retweet lang:en -is:reply"#);
    assert!(matches!(q(&[], &cfg()), Err(SourceError::Rejected(_))));
    let long: Vec<String> = (0..40).map(|i| format!("brand term {i}")).collect();
    let Err(SourceError::Rejected(m)) = build_query(&long, &cfg()) else { panic!() };
    assert!(m.contains("max_query_len"), "{m}");
}

#[test]
fn search_urls_carry_the_window_and_fields() {
    let s = source();
    let url = s.search_url("\"acme air\" -is:retweet", Lower::SinceId(1915000000000000000), None, None).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/2/tweets/search/recent");
    assert_eq!(q["query"], "\"acme air\" -is:retweet");
    assert_eq!(q["since_id"], "1915000000000000000");
    assert_eq!(q["max_results"], "100");
    assert_eq!(q["tweet.fields"], "created_at,public_metrics,lang,author_id,note_tweet");
    assert_eq!(q["expansions"], "author_id");
    assert_eq!(q["user.fields"], "username,name,public_metrics");
    assert!(!q.contains_key("start_time") && !q.contains_key("until_id") && !q.contains_key("next_token"));

    let url = s.search_url("a", Lower::StartTime(now()), Some(7), Some("tok en")).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["start_time"], "2026-05-01T12:30:00Z");
    assert_eq!((q["until_id"].as_str(), q["next_token"].as_str()), ("7", "tok en"));
    assert!(!url.as_str().contains("t0k3n"), "the token travels in a header only");
}

#[test]
fn cursor_spellings_round_trip() {
    let plain = XCursor { since_id: Some(1915000000000000123), backlog: None };
    assert_eq!(plain.to_cursor(), Some(Cursor("1915000000000000123".into())));
    let with_backlog = XCursor {
        since_id: Some(1915000000000000123),
        backlog: Some(Backlog { lower: Lower::SinceId(1914000000000000000), until_id: 1914500000000000000 }),
    };
    let c = with_backlog.to_cursor().unwrap();
    assert_eq!(
        c.0,
        r#"{"since_id":"1915000000000000123","backlog":{"since_id":"1914000000000000000","until_id":"1914500000000000000"}}"#
    );
    let first_run = XCursor { since_id: None, backlog: Some(Backlog { lower: Lower::StartTime(now()), until_id: 5 }) };
    let c2 = first_run.to_cursor().unwrap();
    assert_eq!(c2.0, r#"{"backlog":{"start_time":"2026-05-01T12:30:00Z","until_id":"5"}}"#);
    let cx = test_cx();
    assert_eq!(XCursor::parse(&c, &cx), Some(with_backlog));
    assert_eq!(XCursor::parse(&c2, &cx), Some(first_run));
    assert_eq!(XCursor::parse(&Cursor(" 1915000000000000123 ".into()), &cx), Some(plain));
    assert_eq!(XCursor::parse(&Cursor("garbage".into()), &cx), None);
    assert_eq!(XCursor::default().to_cursor(), None);
}

fn test_cx() -> PollContext {
    PollContext {
        source: crate::domain::SourceName::new("x"),
        http: crate::sources::HttpClient::new(&crate::config::FetchSettings::default()).unwrap(),
        queries: ["acme air".to_string()].into(),
        now: now(),
        backfill: Duration::from_secs(3600),
    }
}

#[test]
fn backfill_start_stays_inside_the_seven_day_window() {
    let mut cx = test_cx();
    assert_eq!(XSource::backfill_start(&cx), now() - chrono::Duration::hours(1));
    cx.backfill = Duration::from_secs(30 * 24 * 3600);
    assert_eq!(XSource::backfill_start(&cx), now() - chrono::Duration::days(7) + chrono::Duration::minutes(5));
    cx.backfill = Duration::ZERO;
    assert_eq!(XSource::backfill_start(&cx), now() - chrono::Duration::minutes(1));
}

#[test]
fn debug_output_hides_the_token() {
    assert!(!format!("{:?}", source()).contains("t0k3n"));
}

#[test]
fn escaped_surrogate_pairs_and_lone_surrogates() {
    let body =
        r#"{"data":[{"id":"1915000000000000123","text":"\uD83E\uDD41 acme air &amp;amp;"}],"meta":{"result_count":1}}"#;
    assert_eq!(parse(body).posts[0].text, "🥁 acme air &amp;", "decoded once only");
    let lone = r#"{"data":[{"id":"1915000000000000123","text":"\uDD41 broken"}]}"#;
    assert!(matches!(parse_search(lone.as_bytes()), Err(SourceError::Malformed(_))));
}
