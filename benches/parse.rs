//! Parsing throughput per platform, in posts per second: each source's pure
//! parse function over the real recorded responses in `tests/fixtures/`
//! (the bytes a poll reads, turned into platform-neutral posts), and over
//! a full Hacker News page of 100 comments as the load command makes them.
//!
//! `cargo bench --bench parse` for figures (BENCHMARKS.md);
//! `cargo bench --bench parse -- --test` runs each once as a smoke test.

mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use earshot::sources::{bluesky, feed, hackernews, mastodon, reddit, x, youtube};

/// Benchmarks `parse` over `body`; it returns how many posts it made.
fn bench(c: &mut Criterion, name: &str, body: &[u8], parse: fn(&[u8]) -> usize) {
    let posts = parse(body);
    assert!(posts > 0, "{name}: the fixture parses into posts");
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(posts as u64));
    g.bench_function(name, |b| b.iter(|| parse(black_box(body))));
    g.finish();
}

fn hackernews_page(body: &[u8]) -> usize {
    let page = hackernews::parse_search(body).expect("fixture parses");
    page.hits.iter().filter_map(|h| hackernews::hit_to_post(h.get()?).ok()).count()
}

fn x_search(body: &[u8]) -> usize {
    x::wire::parse_search(body).expect("fixture parses").posts.len()
}

fn youtube_comments(body: &[u8]) -> usize {
    youtube::wire::parse_comment_threads(body).expect("fixture parses").posts.len()
}

fn youtube_search(body: &[u8]) -> usize {
    youtube::wire::parse_search(body).expect("fixture parses").videos.len()
}

fn mastodon_timeline(body: &[u8]) -> usize {
    mastodon::parse_timeline(body).expect("fixture parses").len()
}

fn bluesky_search(body: &[u8]) -> usize {
    bluesky::parse_search_posts(body).expect("fixture parses").len()
}

fn reddit_listing(body: &[u8]) -> usize {
    reddit::parse_listing(body).expect("fixture parses").len()
}

fn feed_entries(body: &[u8]) -> usize {
    feed::parse_feed(body).expect("fixture parses").entries.len()
}

fn parsers(c: &mut Criterion) {
    let f = |p: &str| std::fs::read(format!("{}/tests/fixtures/{p}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
    bench(c, "hackernews/search_by_date", &f("hackernews/search_by_date_comment_query.json"), hackernews_page);
    let terms = ["acme air".to_string(), "globex".to_string()];
    let load_page = support::hn_page(&mut support::Words(0x2545_f491_4f6c_dd1d), &terms, 1, 100, 1_777_638_669, 5_000);
    bench(c, "hackernews/load_page_100", &load_page, hackernews_page);
    bench(c, "mastodon/timeline_tag", &f("mastodon/timeline_hashtag.json"), mastodon_timeline);
    bench(c, "bluesky/search_posts", &f("bluesky/searchPosts.json"), bluesky_search);
    bench(c, "reddit/search", &f("reddit/search_r_all.json"), reddit_listing);
    bench(c, "reddit/comments", &f("reddit/subreddit_comments.json"), reddit_listing);
    bench(c, "x/search_recent", &f("x/search_recent_expansions_with_errors.json"), x_search);
    bench(c, "youtube/search", &f("youtube/search_list.json"), youtube_search);
    bench(c, "youtube/comment_threads", &f("youtube/commentThreads_by_video.json"), youtube_comments);
    bench(c, "feed/rss", &f("feeds/cloudflare_blog.rss.xml"), feed_entries);
    bench(c, "feed/atom", &f("feeds/reddit_search.atom.xml"), feed_entries);
}

criterion_group!(benches, parsers);
criterion_main!(benches);
