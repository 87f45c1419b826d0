//! `XSource` against the fake X API (`fakes/x.rs`), beyond the contract
//! suite: the request it sends, `since_id` and the first page's
//! `newest_id`, an unchanged cursor on an empty poll, the backlog of a
//! window bigger than `max_pages`, the fallback when `since_id` is older
//! than 7 days, missing authors, auth failures and the throttle.

use std::time::Duration;

use chrono::Utc;
use earshot::config::{XConfig, XSettings};
use earshot::sources::x::XSource;
use earshot::sources::{Batch, Cursor, Source, SourceError};
use secrecy::SecretString;
use url::Url;

use crate::fakes::server::{Fake, Fault};
use crate::fakes::x::{FakeX, TOKEN};
use crate::helpers::poll_cx;

const HOUR: Duration = Duration::from_secs(3600);

fn source(fake: &FakeX, max_pages: u32, token: &str) -> XSource {
    XSource::new(XSettings {
        config: XConfig {
            base_url: Url::parse(&fake.base_url()).unwrap(),
            bearer_token: None,
            bearer_token_env: None,
            bearer_token_file: None,
            max_results: 100,
            max_pages,
            exclude_retweets: true,
            operators: None,
            max_query_len: 512,
        },
        bearer_token: SecretString::from(token.to_string()),
    })
}

/// Publishes `keys` as Acme Air posts, one a minute, the last a minute old.
fn publish(fake: &FakeX, keys: &[&str]) {
    let n = keys.len() as i64;
    for (i, k) in keys.iter().enumerate() {
        let at = Utc::now() - chrono::Duration::minutes(n - i as i64);
        fake.publish(k, &format!("user{k}"), &format!("Acme Air post {k} &<>"), at);
    }
}

async fn poll(src: &XSource, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
    src.poll(&poll_cx(&["acme air", "acmeair"], HOUR), cursor).await
}

fn ids(fake: &FakeX, b: &Batch) -> Vec<String> {
    let mut keys: Vec<String> =
        b.posts.iter().map(|p| fake.key_of(p.external_id.as_str().parse().unwrap()).expect("a published id")).collect();
    keys.sort_by_key(|k| k.parse::<u32>().unwrap());
    keys
}

#[tokio::test]
async fn since_id_paging_keeps_the_first_pages_newest_id() {
    let fake = FakeX::start(2).await;
    publish(&fake, &["1", "2", "3", "4", "5"]);
    let src = source(&fake, 10, TOKEN);

    let first = poll(&src, None).await.unwrap();
    assert_eq!(ids(&fake, &first), ["1", "2", "3", "4", "5"]);
    assert_eq!(first.pages, 3);
    assert_eq!(first.next, Some(Cursor(fake.id("5").to_string())), "newest_id of the first page");
    assert!(first.posts.iter().all(|p| p.text.ends_with("&<>")), "X's escapes decoded");
    let reqs = fake.requests();
    let r = &reqs[0];
    assert_eq!(r.path, "/2/tweets/search/recent");
    assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}")));
    assert_eq!(r.param("query").as_deref(), Some("(\"acme air\" OR \"acmeair\") -is:retweet"));
    assert_eq!(r.param("max_results").as_deref(), Some("100"));
    assert_eq!(r.param("expansions").as_deref(), Some("author_id"));
    assert!(r.param("start_time").is_some() && r.param("since_id").is_none());
    assert_eq!(r.param("next_token"), None);
    assert!(reqs[1].param("next_token").is_some() && reqs[1].param("start_time") == r.param("start_time"));

    fake.publish("6", "user6", "acme air again", Utc::now());
    let second = poll(&src, first.next.as_ref()).await.unwrap();
    assert_eq!(ids(&fake, &second), ["6"]);
    assert_eq!(fake.requests().last().unwrap().param("since_id"), Some(fake.id("5").to_string()));
    assert_eq!(second.next, Some(Cursor(fake.id("6").to_string())));

    let empty = poll(&src, second.next.as_ref()).await.unwrap();
    assert!(empty.posts.is_empty());
    assert_eq!(empty.next, second.next, "zero results keep since_id");
    assert_eq!(empty.pages, 1);
}

#[tokio::test]
async fn a_window_bigger_than_max_pages_is_finished_by_the_next_polls() {
    let fake = FakeX::start(2).await;
    publish(&fake, &["1", "2", "3", "4", "5", "6", "7"]);
    let src = source(&fake, 2, TOKEN);

    let first = poll(&src, None).await.unwrap();
    assert_eq!(ids(&fake, &first), ["4", "5", "6", "7"]);
    let c = first.next.clone().unwrap();
    assert!(c.0.starts_with(&format!("{{\"since_id\":\"{}\",\"backlog\":{{\"start_time\":", fake.id("7"))), "{}", c.0);
    assert!(c.0.ends_with(&format!("\"until_id\":\"{}\"}}}}", fake.id("4"))), "{}", c.0);

    fake.publish("8", "user8", "acme air, later", Utc::now());
    let second = poll(&src, Some(&c)).await.unwrap();
    assert_eq!(ids(&fake, &second), ["1", "2", "3"], "the backlog first, within max_pages");
    let r = &fake.requests()[2];
    assert_eq!(r.param("until_id"), Some(fake.id("4").to_string()));
    assert_eq!(second.next, Some(Cursor(fake.id("7").to_string())), "backlog done");

    let third = poll(&src, second.next.as_ref()).await.unwrap();
    assert_eq!(ids(&fake, &third), ["8"]);
}

#[tokio::test]
async fn a_since_id_older_than_seven_days_falls_back_to_the_backfill() {
    let fake = FakeX::start(10).await;
    publish(&fake, &["1", "2"]);
    fake.set_oldest_since_id(fake.id("1"));
    let src = source(&fake, 10, TOKEN);
    let stale = Cursor(fake.id("1").to_string());
    let batch = poll(&src, Some(&stale)).await.unwrap();
    assert_eq!(ids(&fake, &batch), ["1", "2"], "re-read from now - backfill");
    assert_eq!(batch.next, Some(Cursor(fake.id("2").to_string())));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].param("since_id").is_some() && reqs[1].param("start_time").is_some());
}

#[tokio::test]
async fn missing_authors_and_the_throttle() {
    let fake = FakeX::start(10).await;
    publish(&fake, &["1", "2"]);
    fake.hide_author("1");
    fake.set_remaining(20);
    let batch = poll(&source(&fake, 10, TOKEN), None).await.unwrap();
    let orphan = batch.posts.iter().find(|p| p.external_id.as_str() == fake.id("1").to_string()).unwrap();
    assert_eq!(orphan.url, format!("https://x.com/i/web/status/{}", fake.id("1")));
    assert!(orphan.author.handle.chars().all(|c| c.is_ascii_digit()), "the author id stands in");
    let known = batch.posts.iter().find(|p| p.external_id.as_str() == fake.id("2").to_string()).unwrap();
    assert_eq!(known.author.handle, "user2");
    assert_eq!(known.author.followers, Some(1000));
    assert_eq!(known.url, format!("https://x.com/user2/status/{}", fake.id("2")));
    let wait = batch.throttle.expect("19 of 450 left: under 10 %");
    assert!((Duration::from_secs(890)..=Duration::from_secs(901)).contains(&wait), "{wait:?}");
}

#[tokio::test]
async fn auth_failures_and_rate_limits_are_classified() {
    let fake = FakeX::start(10).await;
    publish(&fake, &["1"]);
    match poll(&source(&fake, 10, "wrong-token"), None).await {
        Err(SourceError::Auth(m)) => assert!(m.contains("bearer_token") && !m.contains("wrong-token"), "{m}"),
        other => panic!("{other:?}"),
    }
    let src = source(&fake, 10, TOKEN);
    fake.fail_next(Fault::reply(
        403,
        &[("content-type", "application/problem+json")],
        r#"{"title":"Client Forbidden","type":"https://api.x.com/2/problems/client-forbidden","reason":"client-not-enrolled","detail":"…"}"#,
    ));
    assert!(matches!(poll(&src, None).await, Err(SourceError::Auth(m)) if m.contains("client-not-enrolled")));
    fake.fail_next(FakeX::rate_limited(120));
    match poll(&src, None).await {
        Err(SourceError::RateLimited { retry_after }) => {
            assert!((Duration::from_secs(118)..=Duration::from_secs(121)).contains(&retry_after), "{retry_after:?}")
        }
        other => panic!("{other:?}"),
    }
    // A failure on the second page fails the poll: nothing partial.
    let fake = FakeX::start(1).await;
    publish(&fake, &["1", "2"]);
    fake.fail_next(Fault::Pass);
    fake.fail_next(Fault::server_error_html());
    assert!(matches!(poll(&source(&fake, 10, TOKEN), None).await, Err(SourceError::Transient(_))));
}
