//! Routing decisions per second: a tree of 100 routes over 1,000 brands
//! (each top-level route owns 10 brands and has two children, on topic and
//! on platform), alerts of random brands, urgencies, platforms and topics;
//! with no silences and with 20 active ones.
//!
//! `cargo bench --bench routing` for figures; `cargo bench --bench routing
//! -- --test` runs each once as a smoke test.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use earshot::config::RouteSettings;
use earshot::domain::{ReceiverName, Urgency};
use earshot::routing::{Grouping, LabelName, Labels, Matcher, Router, Silence, SilenceId};

const ROUTES: usize = 100;
const BRANDS: usize = 1_000;
const PLATFORMS: [&str; 4] = ["x", "reddit", "mastodon", "hackernews"];
const TOPICS: [&str; 5] = ["billing", "delay", "baggage", "refund", "app"];

fn brand(i: usize) -> String {
    format!("Brand {i:04}")
}

fn route(i: usize) -> RouteSettings {
    let path = format!("routes[{i}]");
    let brands: Vec<String> = (0..BRANDS / ROUTES).map(|j| brand(i * (BRANDS / ROUTES) + j)).collect();
    let child = |j: usize, m: &str| RouteSettings {
        path: format!("{path}.routes[{j}]"),
        matchers: vec![Matcher::parse(m).unwrap()],
        receivers: vec![ReceiverName::new(format!("team-{i}-{j}"))],
        continue_matching: false,
        grouping: None,
        quiet_hours: Vec::new(),
        routes: Vec::new(),
    };
    RouteSettings {
        path: path.clone(),
        matchers: vec![Matcher::at_least(Urgency::Normal), Matcher::one_of(LabelName::Brand, brands)],
        receivers: vec![ReceiverName::new(format!("team-{i}"))],
        continue_matching: true,
        grouping: Some(Grouping {
            by: vec![LabelName::Brand, LabelName::Topic],
            wait: Duration::from_secs(30),
            interval: Duration::from_secs(300),
            repeat: Duration::from_secs(3600),
        }),
        quiet_hours: Vec::new(),
        routes: vec![child(0, "topic =~ billing|refund"), child(1, "platform = x")],
    }
}

/// A small deterministic generator, so every run routes the same alerts.
fn alerts(n: usize) -> Vec<Labels> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as usize
    };
    let levels = [Urgency::Low, Urgency::Normal, Urgency::High, Urgency::Critical];
    (0..n)
        .map(|_| {
            Labels::system(Labels::MENTION, levels[next() % 4])
                .brand(brand(next() % BRANDS))
                .platform(PLATFORMS[next() % PLATFORMS.len()])
                .topic(TOPICS[next() % TOPICS.len()])
                .source("bench")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let router = Router::new(&(0..ROUTES).map(route).collect::<Vec<_>>());
    let alerts = alerts(1_000);
    let now = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
    let silences: Vec<Silence> = (0..20)
        .map(|i| Silence {
            id: SilenceId(i),
            matchers: vec![Matcher::parse(&format!("brand = \"{}\"", brand(i as usize * 37))).unwrap()],
            starts_at: now - chrono::Duration::hours(1),
            ends_at: now + chrono::Duration::hours(1),
            created_by: "bench".into(),
            comment: String::new(),
        })
        .collect();

    let mut g = c.benchmark_group("routing");
    g.throughput(Throughput::Elements(alerts.len() as u64));
    g.bench_function("decide_100_routes_1000_brands", |b| {
        b.iter(|| alerts.iter().map(|l| router.decide(black_box(l), now, &[]).len()).sum::<usize>())
    });
    g.bench_function("decide_with_20_silences", |b| {
        b.iter(|| alerts.iter().map(|l| router.decide(black_box(l), now, &silences).len()).sum::<usize>())
    });
    g.bench_function("receivers_for", |b| {
        b.iter(|| alerts.iter().map(|l| router.receivers_for(black_box(l)).len()).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
