//! `YoutubeSource` against the fake YouTube Data API (`fakes/youtube.rs`),
//! beyond the contract suite: the requests it sends, statistics, comment
//! threads (incl. `commentsDisabled`), quota accounting (its own budget,
//! the budget running out mid-poll, Google's 403 `quotaExceeded`), the
//! backlog of a window bigger than `max_pages`, and a bad key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use earshot::config::{YoutubeConfig, YoutubeSettings};
use earshot::sources::youtube::quota::until_reset;
use earshot::sources::youtube::YoutubeSource;
use earshot::sources::{Batch, Cursor, Source, SourceError};
use secrecy::SecretString;
use url::Url;

use crate::fakes::server::Fake;
use crate::fakes::youtube::{FakeComment, FakeVideo, FakeYoutube, KEY};
use crate::helpers::poll_cx;

const HOUR: Duration = Duration::from_secs(3600);

fn config(fake: &FakeYoutube) -> YoutubeConfig {
    YoutubeConfig {
        base_url: Url::parse(&fake.base_url()).unwrap(),
        api_key: None,
        api_key_env: None,
        api_key_file: None,
        search_videos: true,
        max_results: 2,
        max_pages: 10,
        overlap: Duration::from_secs(7200),
        region_code: None,
        relevance_language: None,
        comment_videos: vec![],
        comment_channels: vec![],
        comment_search: false,
        comment_max_pages: 3,
        statistics: true,
        daily_quota: 10_000,
    }
}

fn source(config: YoutubeConfig, key: &str) -> YoutubeSource {
    YoutubeSource::new(YoutubeSettings { config, api_key: SecretString::from(key.to_string()) })
}

fn ago(mins: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(mins)
}

/// Videos `vid0000000{k}` about Acme Air, published `60 - k` minutes ago.
fn publish(fake: &FakeYoutube, keys: &[u32]) {
    for k in keys {
        fake.add_video(FakeVideo {
            video_id: format!("vid0000000{k}"),
            channel_id: format!("UCchannel{}", k % 2),
            channel_title: "Gate Crashers & Co".into(),
            title: format!("Acme Air & the {k}th delay"),
            description: "We waited 3 hours at gate 22 and then...".into(),
            published_at: ago(60 - i64::from(*k)),
        });
    }
}

async fn poll(src: &YoutubeSource, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
    src.poll(&poll_cx(&["acme air", "acmeair"], HOUR), cursor).await
}

fn ids(b: &Batch) -> Vec<&str> {
    let mut v: Vec<&str> = b.posts.iter().map(|p| p.external_id.as_str()).collect();
    v.sort_unstable();
    v
}

#[tokio::test]
async fn videos_statistics_and_comments_in_one_poll() {
    let fake = FakeYoutube::start().await;
    publish(&fake, &[1, 2, 3]);
    fake.add_comment(FakeComment {
        id: "UgzComment1".into(),
        video_id: "vid00000001".into(),
        author: "angry_flyer".into(),
        text: "Acme Air lost my bag & nobody answers".into(),
        published_at: ago(5),
    });
    fake.disable_comments("vidDisabled");
    fake.add_video(FakeVideo {
        video_id: "vidDisabled".into(),
        channel_id: "UCx".into(),
        channel_title: "x".into(),
        title: "unrelated".into(),
        description: String::new(),
        published_at: ago(300),
    });
    let cfg = YoutubeConfig { comment_videos: vec!["vid00000001".into(), "vidDisabled".into()], ..config(&fake) };
    let batch = poll(&source(cfg, KEY), None).await.unwrap();

    assert_eq!(ids(&batch), ["UgzComment1", "vid00000001", "vid00000002", "vid00000003"]);
    let v = batch.posts.iter().find(|p| p.external_id.as_str() == "vid00000003").unwrap();
    assert_eq!(v.text, "Acme Air & the 3th delay\n\nWe waited 3 hours at gate 22 and then...");
    assert_eq!(v.author.handle, "Gate Crashers & Co");
    assert_eq!((v.engagement.likes, v.engagement.replies, v.author.followers), (Some(31), Some(0), Some(12300)));
    let c = batch.posts.iter().find(|p| p.external_id.as_str() == "UgzComment1").unwrap();
    assert_eq!(c.url, "https://www.youtube.com/watch?v=vid00000001&lc=UgzComment1");
    assert_eq!(c.author.handle, "angry_flyer");
    assert_eq!(c.text, "Acme Air lost my bag & nobody answers");

    let reqs = fake.requests();
    let search = &reqs[0];
    assert_eq!(search.path, "/youtube/v3/search");
    for (k, v) in
        [("part", "snippet"), ("type", "video"), ("order", "date"), ("q", "\"acme air\"|acmeair"), ("maxResults", "2")]
    {
        assert_eq!(search.param(k).as_deref(), Some(v), "{k}");
    }
    assert_eq!(search.param("key").as_deref(), Some(KEY));
    assert!(search.param("publishedAfter").is_some_and(|t| t.ends_with('Z')));
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/youtube/v3/search",
            "/youtube/v3/search",
            "/youtube/v3/commentThreads",
            "/youtube/v3/commentThreads",
            "/youtube/v3/videos",
            "/youtube/v3/channels"
        ]
    );
    assert_eq!(batch.pages, 6);
    // 2 search pages + 2 comment pages + videos + channels.
    assert_eq!(fake.quota_used(), 204);
    let cursor = batch.next.unwrap();
    assert!(cursor.0.contains("\"used\":204"), "{}", cursor.0);
    assert!(cursor.0.contains("\"video:vid00000001\""), "{}", cursor.0);
    assert!(!cursor.0.contains("vidDisabled"), "a skipped target keeps no watermark: {}", cursor.0);
    assert!(batch.throttle.is_some_and(|t| t < until_reset(Utc::now())), "paced: {:?}", batch.throttle);
}

#[tokio::test]
async fn the_source_never_spends_past_its_daily_quota() {
    let fake = FakeYoutube::start().await;
    publish(&fake, &[1, 2, 3, 4, 5]);
    // 250 units: two search pages, then the third cannot be paid.
    let src = source(YoutubeConfig { daily_quota: 250, ..config(&fake) }, KEY);
    let first = poll(&src, None).await.unwrap();
    assert_eq!(ids(&first), ["vid00000002", "vid00000003", "vid00000004", "vid00000005"]);
    assert_eq!(fake.quota_used(), 202, "2 pages + statistics; the third page was not sent");
    let cursor = first.next.unwrap();
    assert!(cursor.0.contains("\"backlog\""), "the unread rest is kept: {}", cursor.0);
    assert!(
        first.throttle.is_some_and(|t| t >= until_reset(Utc::now()) - Duration::from_secs(5)),
        "{:?}",
        first.throttle
    );

    let before = fake.requests().len();
    match poll(&src, Some(&cursor)).await {
        Err(SourceError::RateLimited { retry_after }) => {
            // The poll's "now" is whole seconds, so up to 1 s earlier.
            assert!(retry_after <= until_reset(Utc::now()) + Duration::from_secs(1) && retry_after > Duration::ZERO)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests().len(), before, "refused without a request");

    // A restarted source remembers today's spending from the cursor.
    let restarted = source(YoutubeConfig { daily_quota: 250, ..config(&fake) }, KEY);
    assert!(matches!(poll(&restarted, Some(&cursor)).await, Err(SourceError::RateLimited { .. })));
    assert_eq!(fake.requests().len(), before);
}

#[tokio::test]
async fn quota_exceeded_from_google_stops_until_midnight_pacific() {
    let fake = FakeYoutube::start().await;
    publish(&fake, &[1, 2, 3]);
    fake.set_quota(150); // the project's budget is shared with something else
    let src = source(config(&fake), KEY);
    match poll(&src, None).await {
        Err(SourceError::RateLimited { retry_after }) => {
            let reset = until_reset(Utc::now());
            assert!(
                retry_after <= reset + Duration::from_secs(1) && retry_after + Duration::from_secs(5) >= reset,
                "{retry_after:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    let sent = fake.requests().len();
    assert_eq!(sent, 2, "the second page got the 403");
    assert!(matches!(poll(&src, None).await, Err(SourceError::RateLimited { .. })));
    assert_eq!(fake.requests().len(), sent, "no request until the reset");
}

#[tokio::test]
async fn a_window_bigger_than_max_pages_is_read_over_several_polls() {
    let fake = FakeYoutube::start().await;
    publish(&fake, &[1, 2, 3, 4, 5]);
    // A one-second overlap, so the re-read of a finished window fits a page.
    let cfg = YoutubeConfig { max_pages: 1, statistics: false, overlap: Duration::from_secs(1), ..config(&fake) };
    let src = source(cfg, KEY);
    let mut cursor: Option<Cursor> = None;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..6 {
        let b = poll(&src, cursor.as_ref()).await.unwrap();
        seen.extend(b.posts.iter().map(|p| p.external_id.as_str().to_string()));
        cursor = b.next;
    }
    let all: std::collections::BTreeSet<String> = (1..=5).map(|k| format!("vid0000000{k}")).collect();
    assert_eq!(seen, all, "nothing skipped");
    let c = cursor.unwrap().0;
    assert!(!c.contains("backlog"), "{c}");
}

#[tokio::test]
async fn a_bad_key_is_an_auth_error_without_the_key() {
    let fake = FakeYoutube::start().await;
    publish(&fake, &[1]);
    match poll(&source(config(&fake), "AIzaWRONG"), None).await {
        Err(SourceError::Auth(m)) => {
            assert!(m.contains("api_key") && m.contains("API key not valid"), "{m}");
            assert!(!m.contains("AIzaWRONG") && !m.contains("127.0.0.1"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn comment_search_sends_the_queries_as_search_terms() {
    let fake = FakeYoutube::start().await;
    publish(&fake, &[1]);
    for (id, text) in [("Ugz1", "acme air refund please"), ("Ugz2", "nice video")] {
        fake.add_comment(FakeComment {
            id: id.into(),
            video_id: "vid00000001".into(),
            author: "a".into(),
            text: text.into(),
            published_at: ago(2),
        });
    }
    let cfg = YoutubeConfig {
        search_videos: false,
        comment_channels: vec!["UCchannel1".into()],
        comment_search: true,
        ..config(&fake)
    };
    let batch = poll(&source(cfg, KEY), None).await.unwrap();
    assert_eq!(ids(&batch), ["Ugz1"]);
    let reqs = fake.requests();
    let terms: Vec<Option<String>> = reqs.iter().map(|r| r.param("searchTerms")).collect();
    assert_eq!(terms, [Some("acme air".to_string()), Some("acmeair".to_string())]);
    assert_eq!(reqs[0].param("allThreadsRelatedToChannelId").as_deref(), Some("UCchannel1"));
    assert_eq!(fake.quota_used(), 2);
}
