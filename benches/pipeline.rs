//! Benchmarks for the pure pipeline: the matcher's throughput (bytes/s)
//! with 10, 1,000 and 10,000 watch terms, and the scorer over realistic
//! 20-280 character posts.
//!
//! `cargo bench --bench pipeline` for figures; `cargo bench --bench
//! pipeline -- --test` runs each once as a smoke test.

#[path = "support/mod.rs"]
mod support;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use earshot::pipeline::{Matcher, Pipeline, Scorer};

use support::{brands, posts, POSTS};

fn matcher(c: &mut Criterion) {
    let bytes: usize = POSTS.iter().map(|p| p.len()).sum();
    let mut group = c.benchmark_group("matcher");
    group.throughput(Throughput::Bytes(bytes as u64));
    for terms in [10, 1_000, 10_000] {
        let m = Matcher::new(&brands(terms));
        group.bench_with_input(BenchmarkId::new("find", terms), &m, |b, m| {
            b.iter(|| {
                let mut found = 0;
                for text in POSTS {
                    found += m.find(black_box(text)).len();
                }
                found
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("matcher_build");
    group.sample_size(10);
    for terms in [1_000, 10_000] {
        let b = brands(terms);
        group.bench_with_input(BenchmarkId::new("new", terms), &b, |bench, b| bench.iter(|| Matcher::new(b)));
    }
    group.finish();
}

fn scorer(c: &mut Criterion) {
    let scorer = Scorer::new();
    let posts = posts();
    let mut group = c.benchmark_group("scorer");
    group.throughput(Throughput::Elements(posts.len() as u64));
    group.bench_function("score_text", |b| {
        b.iter(|| POSTS.iter().map(|t| scorer.score_text(black_box(t)).urgency).sum::<f64>())
    });
    group.bench_function("score_post", |b| {
        b.iter(|| posts.iter().map(|p| scorer.score_post(black_box(p)).urgency).sum::<f64>())
    });
    group.bench_function("compound_only", |b| {
        b.iter(|| POSTS.iter().map(|t| scorer.sentiment().compound(black_box(t))).sum::<f64>())
    });
    group.finish();

    c.bench_function("scorer_new", |b| b.iter(Scorer::new));

    let pipeline = Pipeline::new(&brands(1_000));
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(posts.len() as u64));
    group.bench_function("process_1000_terms", |b| {
        b.iter(|| posts.iter().map(|p| pipeline.process(black_box(p)).len()).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, matcher, scorer);
criterion_main!(benches);
