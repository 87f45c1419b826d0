//! `HackernewsSource` against the simulated Algolia API
//! (`earshot::demo::hn_sim`): paging, the incremental cursor, deduplication,
//! and every failure class (429, 5xx, malformed, timeout) failing the whole
//! poll with nothing partial.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use earshot::config::{FetchSettings, HackernewsConfig};
use earshot::demo::corpus::demo_corpus;
use earshot::demo::hn_sim::{Fault, HnSimulator, SimHit};
use earshot::sources::hackernews::HackernewsSource;
use earshot::sources::{Cursor, HttpClient, PollContext, Source, SourceError};

const HOUR: Duration = Duration::from_secs(3600);

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

fn source(sim: &HnSimulator, hits_per_page: u32) -> HackernewsSource {
    HackernewsSource::new(HackernewsConfig {
        base_url: sim.base_url(),
        tags: vec!["story".into(), "comment".into()],
        hits_per_page,
        overlap: Duration::from_secs(300),
        max_pages: 10,
    })
}

fn cx(now: DateTime<Utc>, queries: &[&str], timeout: Duration) -> PollContext {
    let fetch = FetchSettings { timeout, user_agent: "earshot-tests".into() };
    PollContext {
        source: earshot::domain::SourceName::new("hn"),
        http: HttpClient::new(&fetch).unwrap(),
        queries: queries.iter().map(|q| q.to_string()).collect(),
        now,
        backfill: HOUR,
    }
}

/// `n` Acme Air stories, one a minute, the newest a minute old.
fn stories(now: DateTime<Utc>, n: i64) -> Vec<SimHit> {
    (1..=n)
        .map(|i| SimHit::story(format!("{}", 100 + i), "u", now.timestamp() - i * 60, &format!("Acme Air {i}")))
        .collect()
}

fn ids(posts: &[earshot::domain::Post]) -> Vec<&str> {
    posts.iter().map(|p| p.external_id.as_str()).collect()
}

#[tokio::test]
async fn pages_through_the_window_and_dedupes() {
    let now = now();
    let mut corpus = stories(now, 12);
    corpus.push(SimHit { created_at_i: now.timestamp() - 50 * 60, ..corpus[0].clone() }); // id 101 again, page 3
    corpus.push(SimHit::story("999", "u", now.timestamp() - 120, "Unrelated"));
    corpus.push(SimHit::story("998", "u", now.timestamp() - 2 * 3600, "Acme Air, too old"));
    let sim = HnSimulator::start(corpus).await.unwrap();

    let batch = source(&sim, 5).poll(&cx(now, &["acme air"], HOUR), None).await.unwrap();

    let want: Vec<String> = (101..=112).map(|i| i.to_string()).collect();
    assert_eq!(ids(&batch.posts), want);
    assert_eq!(batch.pages, 3);
    assert_eq!(batch.next, Some(Cursor((now.timestamp() - 60).to_string())));
    let reqs = sim.requests();
    assert_eq!(reqs.iter().map(|r| r.param("page").unwrap()).collect::<Vec<_>>(), ["0", "1", "2"]);
    let r = &reqs[0];
    assert_eq!(r.path, "/api/v1/search_by_date");
    assert_eq!(r.param("query").as_deref(), Some("acme air"));
    assert_eq!(r.param("tags").as_deref(), Some("(story,comment)"));
    assert_eq!(r.param("hitsPerPage").as_deref(), Some("5"));
    assert_eq!(r.param("numericFilters"), Some(format!("created_at_i>={}", now.timestamp() - 3600)));
    assert!(r.query.contains("numericFilters=created_at_i%3E%3D"), "{}", r.query);
}

#[tokio::test]
async fn second_poll_reads_new_items_and_the_overlap_only() {
    let now = now();
    let sim = HnSimulator::start(stories(now, 10)).await.unwrap();
    let src = source(&sim, 4);
    let first = src.poll(&cx(now, &["acme air"], HOUR), None).await.unwrap();
    assert_eq!(first.posts.len(), 10);
    let w = now.timestamp() - 60;
    assert_eq!(first.next, Some(Cursor(w.to_string())));

    let later = now + chrono::Duration::seconds(120);
    sim.push(SimHit::story("200", "u", now.timestamp() + 30, "Acme Air new"));
    sim.push(SimHit::comment("201", "u", now.timestamp() + 90, (200, "Acme Air new"), "acme air again"));
    sim.push(SimHit::story("202", "u", w - 200, "Acme Air, indexed late")); // within the overlap
    let second = src.poll(&cx(later, &["acme air"], HOUR), first.next.as_ref()).await.unwrap();

    // New items, plus whatever lies in [W - overlap, W]: stories 101..=106 and the late one.
    assert_eq!(ids(&second.posts), ["201", "200", "101", "102", "103", "104", "202", "105", "106"]);
    assert!(second.posts.iter().all(|p| p.created_at.timestamp() >= w - 300));
    assert_eq!(second.next, Some(Cursor((now.timestamp() + 90).to_string())));
    let last = sim.requests().pop().unwrap();
    assert_eq!(last.param("numericFilters"), Some(format!("created_at_i>={}", w - 300)));
}

#[tokio::test]
async fn an_unreadable_cursor_falls_back_to_the_backfill() {
    let now = now();
    let sim = HnSimulator::start(stories(now, 2)).await.unwrap();
    let batch = source(&sim, 10).poll(&cx(now, &["acme"], HOUR), Some(&Cursor("garbage".into()))).await.unwrap();
    assert_eq!(batch.posts.len(), 2);
    assert_eq!(sim.requests()[0].param("numericFilters"), Some(format!("created_at_i>={}", now.timestamp() - 3600)));
}

async fn poll_err(sim: &HnSimulator, queries: &[&str], timeout: Duration) -> SourceError {
    match source(sim, 5).poll(&cx(now(), queries, timeout), None).await {
        Err(e) => e,
        Ok(b) => panic!("expected an error, got {} posts", b.posts.len()),
    }
}

#[tokio::test]
async fn rate_limits_map_to_retry_after() {
    let sim = HnSimulator::start(stories(now(), 3)).await.unwrap();
    sim.fail_next(Fault::rate_limited(7));
    let e = poll_err(&sim, &["acme"], HOUR).await;
    assert!(matches!(e, SourceError::RateLimited { retry_after } if retry_after == Duration::from_secs(7)), "{e:?}");

    sim.fail_next(Fault::Status { code: 429, headers: vec![], body: String::new() });
    let e = poll_err(&sim, &["acme"], HOUR).await;
    assert!(matches!(e, SourceError::RateLimited { retry_after } if retry_after == Duration::from_secs(60)), "{e:?}");

    let date = (Utc::now() + chrono::Duration::seconds(120)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    sim.fail_next(Fault::Status { code: 429, headers: vec![("Retry-After".into(), date)], body: String::new() });
    match poll_err(&sim, &["acme"], HOUR).await {
        SourceError::RateLimited { retry_after } => {
            assert!((Duration::from_secs(110)..=Duration::from_secs(120)).contains(&retry_after), "{retry_after:?}")
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn a_server_error_on_a_later_page_fails_the_whole_poll() {
    let sim = HnSimulator::start(stories(now(), 12)).await.unwrap();
    sim.fail_next(Fault::Pass);
    sim.fail_next(Fault::server_error_html());
    match poll_err(&sim, &["acme"], HOUR).await {
        SourceError::Transient(m) => assert!(m.starts_with("HTTP 500: <html>"), "{m}"),
        e => panic!("{e:?}"),
    }
    assert_eq!(sim.requests().len(), 2);
    assert_eq!(sim.requests()[1].param("page").as_deref(), Some("1"));
}

#[tokio::test]
async fn malformed_answers_are_malformed() {
    let sim = HnSimulator::start(stories(now(), 3)).await.unwrap();
    let html = Fault::Status {
        code: 200,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: "<html>maintenance</html>".into(),
    };
    for fault in [
        Fault::Malformed("{\"hits\": [".into()),
        Fault::Malformed("{\"nbHits\": 3}".into()),
        Fault::Malformed("{\"hits\": {\"not\": \"a list\"}}".into()),
        Fault::Malformed(String::new()),
        html,
    ] {
        sim.fail_next(fault.clone());
        match poll_err(&sim, &["acme"], HOUR).await {
            SourceError::Malformed(m) => assert!(m.len() < 400, "{m}"),
            e => panic!("{fault:?}: {e:?}"),
        }
    }
}

#[tokio::test]
async fn a_timeout_is_transient() {
    let sim = HnSimulator::start(stories(now(), 1)).await.unwrap();
    sim.fail_next(Fault::Delay(Duration::from_secs(30)));
    match poll_err(&sim, &["acme"], Duration::from_millis(200)).await {
        SourceError::Transient(m) => assert!(m.starts_with("timed out"), "{m}"),
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn every_query_must_succeed_and_results_are_merged() {
    let now = now();
    let mut corpus = stories(now, 3);
    corpus.push(SimHit::comment("300", "u", now.timestamp() - 30, (101, "Acme Air 1"), "love @acmeair"));
    let sim = HnSimulator::start(corpus).await.unwrap();
    sim.fail_next(Fault::Pass);
    sim.fail_next(Fault::server_error_html());
    assert!(matches!(poll_err(&sim, &["acme air", "acmeair"], HOUR).await, SourceError::Transient(_)));

    let batch = source(&sim, 5).poll(&cx(now, &["acme air", "acmeair"], HOUR), None).await.unwrap();
    // Both queries find the comment ("acmeair" holds both words): it is kept once.
    assert_eq!(ids(&batch.posts), ["300", "101", "102", "103"]);
    let queries: Vec<_> = sim.requests().iter().skip(2).map(|r| r.param("query").unwrap()).collect();
    assert_eq!(queries, ["acme air", "acmeair"]);
}

#[tokio::test]
async fn the_demo_corpus_reads_fully_with_a_one_hour_backfill() {
    let now = now();
    let corpus = demo_corpus(now);
    let unique: HashSet<&str> = corpus.iter().map(|h| h.object_id.as_str()).collect();
    let sim = HnSimulator::start(corpus.clone()).await.unwrap();
    let batch = source(&sim, 10).poll(&cx(now, &["acme air", "acmeair", "globex bank"], HOUR), None).await.unwrap();
    let got: HashSet<&str> = ids(&batch.posts).into_iter().collect();
    assert_eq!(got.len(), batch.posts.len(), "no duplicates");
    // Everything but the two off-topic items.
    assert_eq!(got.len(), unique.len() - 2);
    let text = |id: &str| batch.posts.iter().find(|p| p.external_id.as_str() == id).unwrap().text.clone();
    assert!(text("43500023").contains("<!channel> and <@U123ABC>"), "{}", text("43500023"));
    assert!(text("43500070").starts_with("<!channel> Acme Air is the worst & I'm done <3 >:("));
    assert!(text("43500012").contains("1998 mainframe & it shows.\n\nSee https://example.com/post"));
    let viral = batch.posts.iter().find(|p| p.external_id.as_str() == "43500020").unwrap();
    assert_eq!((viral.engagement.likes, viral.engagement.replies), (Some(1840), Some(912)));
}

/// More hits than one pass serves (here `max_pages` 2 × 2 hits; on the real
/// API, Algolia's 1000-hit cap): further passes narrow the window below the
/// oldest hit read, so one poll reads everything, same-second ties included.
#[tokio::test]
async fn a_window_larger_than_a_pass_is_read_in_narrowing_passes() {
    let now = now();
    let mut corpus = stories(now, 9);
    // Two more posts in the same second as the fifth-newest story.
    let tie = now.timestamp() - 5 * 60;
    corpus.push(SimHit::story("901", "u", tie, "Acme Air tie one"));
    corpus.push(SimHit::story("902", "u", tie, "Acme Air tie two"));
    let sim = HnSimulator::start(corpus).await.unwrap();
    let src = HackernewsSource::new(src_config(&sim));
    let batch = src.poll(&cx(now, &["acme air"], Duration::from_secs(5)), None).await.unwrap();
    let ids: HashSet<String> = batch.posts.iter().map(|p| p.external_id.to_string()).collect();
    assert_eq!(ids.len(), 11, "every hit of the window, once: {ids:?}");
    let narrowed =
        sim.requests().iter().filter(|r| r.param("numericFilters").is_some_and(|f| f.contains("<="))).count();
    assert!(narrowed >= 2, "later passes narrow the window");
}

fn src_config(sim: &HnSimulator) -> HackernewsConfig {
    HackernewsConfig {
        base_url: sim.base_url(),
        tags: vec!["story".into(), "comment".into()],
        hits_per_page: 2,
        overlap: Duration::from_secs(300),
        max_pages: 2,
    }
}
