//! Tests for the simulated HN API: parameter parsing, filtering, paging, the
//! 1000-hit cap, the wire format, faults over HTTP, and the demo corpus.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use serde_json::Value;

use super::search::{answer, parse_numeric, parse_tags, NumField, NumericFilter, Op, SearchParams};
use super::*;
use crate::demo::corpus::demo_corpus;
use crate::sources::text::html_to_text;

const T0: i64 = 1_777_640_000;

fn corpus(n: usize) -> Vec<SimHit> {
    (0..n)
        .map(|i| SimHit::story(format!("{}", 1000 + i), "a", T0 - i as i64 * 10, &format!("Acme Air story {i}")))
        .collect()
}

fn search(corpus: &[SimHit], raw: &str) -> Value {
    answer(corpus, &SearchParams::parse(raw).expect("params parse"), raw)
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"].as_array().unwrap().iter().map(|h| h["objectID"].as_str().unwrap().to_string()).collect()
}

#[test]
fn tags_parse_as_and_of_or_groups() {
    let s = |v: &[&str]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    assert_eq!(parse_tags("(story,comment)").unwrap(), vec![s(&["story", "comment"])]);
    assert_eq!(parse_tags("story,author_pg").unwrap(), vec![s(&["story"]), s(&["author_pg"])]);
    assert_eq!(parse_tags("(story, poll),ask_hn").unwrap(), vec![s(&["story", "poll"]), s(&["ask_hn"])]);
    assert_eq!(parse_tags("").unwrap(), Vec::<Vec<String>>::new());
    for bad in ["(story", "story)", "(story)x", "(,)", "a,,b", "((a))"] {
        assert!(parse_tags(bad).is_err(), "{bad}");
    }
}

#[test]
fn numeric_filters_parse_every_operator() {
    let f = |field, op, value| NumericFilter { field, op, value };
    assert_eq!(
        parse_numeric("created_at_i>=10,created_at_i<20, points>5,num_comments<=3,points=1,created_at_i>-1").unwrap(),
        vec![
            f(NumField::CreatedAtI, Op::Ge, 10),
            f(NumField::CreatedAtI, Op::Lt, 20),
            f(NumField::Points, Op::Gt, 5),
            f(NumField::NumComments, Op::Le, 3),
            f(NumField::Points, Op::Eq, 1),
            f(NumField::CreatedAtI, Op::Gt, -1),
        ]
    );
    for bad in ["created_at_i", "karma>1", "points>>1", "points>x", "points!=1", ">5"] {
        assert!(parse_numeric(bad).is_err(), "{bad}");
    }
}

#[test]
fn params_default_clamp_and_refuse() {
    let p = SearchParams::parse("query=acme+air&hitsPerPage=5000&analytics=false").unwrap();
    assert_eq!((p.query.as_str(), p.hits_per_page, p.page), ("acme air", 1000, 0));
    assert_eq!(SearchParams::parse("").unwrap().hits_per_page, 20);
    assert!(SearchParams::parse("page=-1").is_err());
    assert!(SearchParams::parse("numericFilters=created_at_i%3Ex").is_err());
}

#[test]
fn query_tags_and_numeric_filters_select_hits() {
    let hits = vec![
        SimHit::story("1", "pg", T0, "ACME Air grounds fleet").with_engagement(50, 3),
        SimHit::comment("2", "bob", T0 - 5, (1, "ACME Air grounds fleet"), "<p>acme AIR again</p>"),
        SimHit::story("3", "carol", T0 - 10, "Acme rockets").with_text("in the air"),
        SimHit::story("4", "dave", T0 - 20, "Unrelated").with_tag("ask_hn"),
    ];
    assert_eq!(ids(&search(&hits, "query=acme%20air")), ["1", "2", "3"]);
    assert_eq!(ids(&search(&hits, "query=grounds+ACME")), ["1"]);
    assert_eq!(ids(&search(&hits, "tags=(story,comment)")), ["1", "2", "3", "4"]);
    assert_eq!(ids(&search(&hits, "tags=comment")), ["2"]);
    assert_eq!(ids(&search(&hits, "tags=story,author_pg")), ["1"]);
    assert_eq!(ids(&search(&hits, "tags=(ask_hn,comment)")), ["2", "4"]);
    assert_eq!(ids(&search(&hits, "tags=story_1")), ["1", "2"]);
    let w = |f: &str| {
        ids(&search(
            &hits,
            &format!("numericFilters={}", url::form_urlencoded::byte_serialize(f.as_bytes()).collect::<String>()),
        ))
    };
    assert_eq!(w(&format!("created_at_i>={}", T0 - 10)), ["1", "2", "3"]);
    assert_eq!(w(&format!("created_at_i>{}", T0 - 10)), ["1", "2"]);
    assert_eq!(w(&format!("created_at_i<{},created_at_i>={}", T0, T0 - 10)), ["2", "3"]);
    assert_eq!(w(&format!("created_at_i={}", T0 - 20)), ["4"]);
    assert_eq!(w(&format!("created_at_i<={}", T0 - 20)), ["4"]);
    // Comments have null points: a points filter never holds for them.
    assert_eq!(w("points>=1"), ["1", "3", "4"]);
}

#[test]
fn pages_newest_first_with_nb_pages() {
    let mut hits = corpus(12);
    hits.reverse(); // insertion order must not matter
    let p0 = search(&hits, "hitsPerPage=5&page=0");
    assert_eq!((p0["nbHits"].as_u64(), p0["nbPages"].as_u64(), p0["page"].as_u64()), (Some(12), Some(3), Some(0)));
    assert_eq!(ids(&p0), ["1000", "1001", "1002", "1003", "1004"]);
    assert_eq!(ids(&search(&hits, "hitsPerPage=5&page=2")), ["1010", "1011"]);
    assert!(ids(&search(&hits, "hitsPerPage=5&page=3")).is_empty());
    assert_eq!(search(&hits, "hitsPerPage=0")["nbPages"].as_u64(), Some(0));
    assert_eq!(search(&hits, "")["hitsPerPage"].as_u64(), Some(20));
}

#[test]
fn the_1000_hit_cap_answer() {
    let hits = corpus(1200);
    let p1 = search(&hits, "hitsPerPage=400&page=1");
    assert_eq!((p1["nbHits"].as_u64(), p1["nbPages"].as_u64()), (Some(1200), Some(3)));
    let p2 = search(&hits, "hitsPerPage=400&page=2");
    assert_eq!(p2["hits"].as_array().map(Vec::len), Some(200), "only up to hit 1000");
    let p3 = search(&hits, "hitsPerPage=400&page=3");
    assert_eq!((p3["hits"].as_array().map(Vec::len), p3["nbHits"].as_u64()), (Some(0), Some(0)));
    assert!(p3["message"].as_str().unwrap().starts_with("you can only fetch the 1000 hits"));
}

#[test]
fn wire_format_matches_algolia() {
    let story = SimHit::story("43500001", "newsbot", 1777636933, "Acme Air grounds fleet")
        .with_url("https://news.example.com/a")
        .with_engagement(57, 1);
    let comment =
        SimHit::comment("43500123", "dev", 1777638669, (43500001, "Acme Air grounds fleet"), "<p>Acme x &amp; y</p>");
    let page = search(&[story, comment], "query=acme&tags=%28story%2Ccomment%29&hitsPerPage=2");
    for key in
        ["hits", "nbHits", "page", "nbPages", "hitsPerPage", "exhaustiveNbHits", "query", "params", "processingTimeMS"]
    {
        assert!(page.get(key).is_some(), "{key}");
    }
    assert_eq!(
        page["params"],
        "query=acme&tags=%28story%2Ccomment%29&hitsPerPage=2&advancedSyntax=true&analyticsTags=backend"
    );
    let c = &page["hits"][0];
    assert_eq!(c["created_at"], "2026-05-01T12:31:09Z");
    assert_eq!(
        (c["points"].is_null(), c["story_id"].as_u64(), c["parent_id"].as_u64()),
        (true, Some(43500001), Some(43500001))
    );
    assert_eq!(c["_tags"], serde_json::json!(["comment", "author_dev", "story_43500001"]));
    assert_eq!(c["_highlightResult"]["story_title"]["matchLevel"], "full");
    let s = &page["hits"][1];
    assert_eq!(
        (s["points"].as_u64(), s["num_comments"].as_u64(), s["story_text"].is_null()),
        (Some(57), Some(1), true)
    );
    assert_eq!(s["_tags"], serde_json::json!(["story", "author_newsbot", "story_43500001"]));
    assert_eq!(s["_highlightResult"]["author"]["matchLevel"], "none");
}

#[test]
fn demo_corpus_has_what_the_demo_needs() {
    let now = Utc.timestamp_opt(T0, 0).unwrap();
    let hits = demo_corpus(now);
    assert!((25..=32).contains(&hits.len()), "{}", hits.len());
    assert!(hits.iter().all(|h| h.created_at_i < T0 && h.created_at_i > T0 - 3600));
    let unique: HashSet<_> = hits.iter().map(|h| &h.object_id).collect();
    assert_eq!(hits.len() - unique.len(), 2, "two objectIDs appear twice");
    let texts: Vec<String> = hits.iter().map(|h| html_to_text(&h.searchable()).to_lowercase()).collect();
    let any = |needle: &str| texts.iter().any(|t| t.contains(needle));
    for needle in [
        "<!channel>",
        "<@u123abc>",
        "@acmeair",
        "#acmeair",
        "acme air show",
        "acmeist",
        "globex bank",
        "3 hours on hold",
        "zürich",
    ] {
        assert!(any(needle), "{needle}");
    }
    assert!(hits.iter().any(|h| matches!(h.item, SimItem::Story { points, .. } if points > 1000)));
    assert!(texts.iter().any(|t| t.chars().count() > 3000), "a post long enough to be cut in Slack");
    // The query the daemon would send finds the Acme Air items, and most of the corpus.
    let found = search(&hits, "query=acme+air&hitsPerPage=100");
    assert!(found["nbHits"].as_u64().unwrap() >= 20);
}

#[tokio::test]
async fn serves_records_and_injects_faults_over_http() {
    let sim = HnSimulator::start(corpus(3)).await.unwrap();
    assert!(sim.base_url().as_str().ends_with("/api/v1"));
    let url = format!("{}/search_by_date?query=acme&hitsPerPage=2&page=1", sim.base_url());
    let get = |u: String| async move { reqwest::get(u).await.unwrap() };

    let ok = get(url.clone()).await;
    assert_eq!(ok.status(), 200);
    assert!(ok.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = ok.json().await.unwrap();
    assert_eq!((ids(&body), body["nbPages"].as_u64()), (vec!["1002".to_string()], Some(2)));

    sim.fail_next(Fault::rate_limited(7));
    sim.fail_next(Fault::server_error_html());
    sim.fail_next(Fault::Malformed("{\"hits\": [".into()));
    let r = get(url.clone()).await;
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (429, "7"));
    let r = get(url.clone()).await;
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (500, "text/html"));
    let r = get(url.clone()).await;
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (200, "{\"hits\": [".to_string()));

    sim.push(SimHit::story("2000", "late", T0 + 5, "Acme Air late arrival"));
    let body: Value = get(url.replace("page=1", "page=0")).await.json().await.unwrap();
    assert_eq!(ids(&body), ["2000", "1000"]);

    assert_eq!(get(format!("{}/items/1", sim.base_url())).await.status(), 404);
    let bad = get(format!("{}/search_by_date?tags=(story", sim.base_url())).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["status"], 400);

    let reqs = sim.requests();
    assert_eq!(reqs.len(), 7);
    assert_eq!(reqs[0].path, "/api/v1/search_by_date");
    assert_eq!((reqs[0].param("query").as_deref(), reqs[0].param("page").as_deref()), (Some("acme"), Some("1")));
    sim.shutdown().await;
}
