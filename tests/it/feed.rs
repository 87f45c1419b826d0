//! `FeedSource` against the fake feed server (`fakes/feed.rs`), beyond
//! the contract suite: conditional GET (validators sent, 304 read as
//! "nothing new"), servers that ignore validators or change the ETag every
//! time, re-dated entries, a 301, a 410, an HTML page, invalid XML,
//! `Retry-After` on a 503, and one failing URL failing the whole poll.

use std::time::Duration;

use chrono::Utc;
use earshot::config::FeedConfig;
use earshot::sources::feed::{FeedCursor, FeedSource};
use earshot::sources::{Batch, Cursor, Source, SourceError};
use url::Url;

use crate::fakes::feed::{Entry, FakeFeeds, Validators};
use crate::fakes::server::{Fake, Fault};
use crate::helpers::poll_cx;

const HOUR: Duration = Duration::from_secs(3600);

fn source(urls: &[String]) -> FeedSource {
    FeedSource::new(FeedConfig {
        url: None,
        urls: urls.iter().map(|u| Url::parse(u).unwrap()).collect(),
        overlap: Duration::from_secs(3 * 24 * 3600),
        remember: 500,
    })
}

fn entry(key: &str, mins_ago: i64) -> Entry {
    Entry {
        key: key.into(),
        author: "Jo Reporter".into(),
        title: format!("Acme Air story {key}"),
        text: format!("Passengers say Acme Air <b>lost</b> bags & more ({key})."),
        published: Utc::now() - chrono::Duration::minutes(mins_ago),
    }
}

async fn poll(src: &FeedSource, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
    src.poll(&poll_cx(&[], HOUR), cursor).await
}

fn keys(b: &Batch) -> Vec<String> {
    let mut v: Vec<String> =
        b.posts.iter().map(|p| p.external_id.as_str().trim_start_matches("urn:earshot-fake:").to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn conditional_get_turns_an_unchanged_feed_into_a_304() {
    let fake = FakeFeeds::start(2).await;
    fake.publish(0, entry("a", 10));
    fake.publish(1, entry("b", 5));
    let src = source(&[fake.url(0), fake.url(1)]);

    let first = poll(&src, None).await.unwrap();
    assert_eq!(keys(&first), ["a", "b"]);
    assert_eq!(first.pages, 2);
    let atom = first.posts.iter().find(|p| p.external_id.as_str().ends_with(":a")).unwrap();
    assert_eq!(atom.text, "Acme Air story a\n\nPassengers say Acme Air <b>lost</b> bags & more (a).");
    assert_eq!(atom.url, "https://news.example.com/a");
    assert_eq!(atom.author.handle, "Jo Reporter");
    let rss = first.posts.iter().find(|p| p.external_id.as_str().ends_with(":b")).unwrap();
    assert_eq!(rss.lang.as_deref(), Some("en"));
    let r0 = &fake.requests()[0];
    assert!(r0.header("accept").is_some_and(|a| a.starts_with("application/atom+xml")));
    assert_eq!(r0.header("if-none-match"), None);

    let cursor = first.next.unwrap();
    let state: FeedCursor = cursor.from_json().unwrap();
    assert_eq!(state.feeds[&fake.url(0)].etag.as_deref(), Some("\"v2\""));
    let second = poll(&src, Some(&cursor)).await.unwrap();
    assert!(second.posts.is_empty());
    assert_eq!(second.pages, 2);
    let reqs = fake.requests();
    assert_eq!(reqs[2].header("if-none-match").as_deref(), Some("\"v2\""));
    assert!(reqs[2].header("if-modified-since").is_some_and(|d| d.ends_with("GMT")));
    assert_eq!(second.next.as_ref(), Some(&cursor), "a 304 keeps the validators and the seen ids");

    fake.publish(1, entry("c", 1));
    let third = poll(&src, second.next.as_ref()).await.unwrap();
    assert_eq!(keys(&third), ["c"], "feed 0 still 304, feed 1 has one new entry");
}

#[tokio::test]
async fn servers_that_ignore_validators_or_refresh_the_etag_still_yield_only_new_entries() {
    for mode in [Validators::Ignore, Validators::FreshEtag] {
        let fake = FakeFeeds::start(2).await;
        fake.set_validators(mode);
        fake.publish(0, entry("a", 30));
        fake.publish(1, entry("b", 20));
        let src = source(&[fake.url(0), fake.url(1)]);
        let first = poll(&src, None).await.unwrap();
        assert_eq!(keys(&first), ["a", "b"], "{mode:?}");
        // Re-ordered and re-dated: "a" moves to the top with a new date.
        fake.redate("a", Utc::now());
        fake.publish(0, entry("c", 1));
        let second = poll(&src, first.next.as_ref()).await.unwrap();
        assert_eq!(keys(&second), ["c"], "{mode:?}: seen ids are not new again, whatever their date");
        let third = poll(&src, second.next.as_ref()).await.unwrap();
        assert!(third.posts.is_empty(), "{mode:?}");
    }
}

#[tokio::test]
async fn redirects_are_followed_and_gone_feeds_are_refused() {
    let fake = FakeFeeds::start(1).await;
    fake.publish(0, entry("a", 3));
    let moved = poll(&source(&[fake.path("/moved.xml")]), None).await.unwrap();
    assert_eq!(keys(&moved), ["a"]);

    match poll(&source(&[fake.url(0), fake.path("/gone.xml")]), None).await {
        Err(SourceError::Rejected(m)) => {
            assert!(m.contains("410") && m.contains("gone") && m.contains("remove it"), "{m}");
            assert!(m.contains("127.0.0.1") && !m.contains("gone.xml"), "the host only: {m}");
        }
        other => panic!("one gone feed fails the poll: {other:?}"),
    }
    assert!(
        matches!(poll(&source(&[fake.path("/nope.xml")]), None).await, Err(SourceError::Rejected(m)) if m.contains("404"))
    );
}

#[tokio::test]
async fn html_pages_and_invalid_xml_are_malformed() {
    let fake = FakeFeeds::start(1).await;
    match poll(&source(&[fake.path("/html.xml")]), None).await {
        Err(SourceError::Malformed(m)) => assert!(m.contains("not a feed"), "{m}"),
        other => panic!("{other:?}"),
    }
    match poll(&source(&[fake.path("/broken.xml")]), None).await {
        Err(SourceError::Malformed(m)) => assert!(m.contains("invalid feed XML"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn retry_after_on_503_and_429_is_a_rate_limit() {
    let fake = FakeFeeds::start(2).await;
    fake.publish(0, entry("a", 3));
    let src = source(&[fake.url(0), fake.url(1)]);
    fake.fail_next(Fault::Pass);
    fake.fail_next(Fault::reply(503, &[("retry-after", "120"), ("content-type", "text/html")], "<html>busy</html>"));
    match poll(&src, None).await {
        Err(SourceError::RateLimited { retry_after }) => assert_eq!(retry_after, Duration::from_secs(120)),
        other => panic!("the second feed's 503 fails the poll: {other:?}"),
    }
    let date = (Utc::now() + chrono::Duration::seconds(90)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    fake.fail_next(Fault::reply(429, &[("retry-after", &date)], ""));
    match poll(&src, None).await {
        Err(SourceError::RateLimited { retry_after }) => {
            assert!((Duration::from_secs(85)..=Duration::from_secs(91)).contains(&retry_after), "{retry_after:?}")
        }
        other => panic!("{other:?}"),
    }
    fake.fail_next(Fault::server_error_html());
    assert!(matches!(poll(&src, None).await, Err(SourceError::Transient(_))), "no Retry-After: transient");
    assert_eq!(keys(&poll(&src, None).await.unwrap()), ["a"]);
}

#[tokio::test]
async fn the_first_fetch_reads_only_the_backfill_window() {
    let fake = FakeFeeds::start(1).await;
    fake.publish(0, entry("old", 3 * 60));
    fake.publish(0, entry("new", 30));
    let batch = poll(&source(&[fake.url(0)]), None).await.unwrap();
    assert_eq!(keys(&batch), ["new"], "a one-hour backfill");
}
