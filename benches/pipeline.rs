//! Benchmarks for the pure pipeline: the matcher's throughput (bytes/s)
//! with 10, 1,000 and 10,000 watch terms, in wall-clock time (`matcher`)
//! and in the thread's CPU time (`matcher_cpu`: what one core gives when
//! others compete for it), and the scorer over realistic 20-280 character
//! posts.
//!
//! `cargo bench --bench pipeline` for figures; `cargo bench --bench
//! pipeline -- --test` runs each once as a smoke test.

#[path = "support/mod.rs"]
mod support;

use criterion::measurement::Measurement;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use earshot::pipeline::{Matcher, Pipeline, Scorer};

use support::{brands, posts, POSTS};

fn matcher(c: &mut Criterion) {
    report_matcher_memory(10_000);
    matcher_find(c, "matcher");

    let mut group = c.benchmark_group("matcher_build");
    group.sample_size(10);
    for terms in [1_000, 10_000] {
        let b = brands(terms);
        group.bench_with_input(BenchmarkId::new("new", terms), &b, |bench, b| bench.iter(|| Matcher::new(b)));
    }
    group.finish();
}

fn matcher_cpu(c: &mut Criterion<cpu_time::ThreadCpuTime>) {
    matcher_find(c, "matcher_cpu");
}

/// Prints how much the resident set grows while a matcher for `terms`
/// terms is built (first thing in the process, so little freed memory is
/// there to reuse): what the daemon's idle RSS pays for it.
fn report_matcher_memory(terms: usize) {
    let resident = || {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc/self/statm");
        let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("statm resident pages");
        pages * 4096
    };
    let b = brands(terms);
    let before = resident();
    let m = Matcher::new(&b);
    let grown = resident().saturating_sub(before);
    eprintln!("matcher memory: {terms} terms ({} patterns) grew RSS by {} KiB", m.pattern_count(), grown / 1024);
}

/// `find` over [`POSTS`] with 10, 1,000 and 10,000 terms.
fn matcher_find<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let bytes: usize = POSTS.iter().map(|p| p.len()).sum();
    let mut group = c.benchmark_group(group);
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
}

/// Criterion measurement in the calling thread's CPU time.
mod cpu_time {
    use criterion::measurement::{Measurement, ValueFormatter, WallTime};

    /// `CLOCK_THREAD_CPUTIME_ID` (Linux), nanoseconds as `f64`, printed
    /// like wall-clock time.
    pub struct ThreadCpuTime;

    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }

    extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }

    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

    fn now() -> f64 {
        let mut t = Timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec (64-bit Linux layout)
        // through a pointer to a live, writable one.
        let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
        t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
    }

    impl Measurement for ThreadCpuTime {
        type Intermediate = f64;
        type Value = f64;

        fn start(&self) -> f64 {
            now()
        }

        fn end(&self, start: f64) -> f64 {
            now() - start
        }

        fn add(&self, a: &f64, b: &f64) -> f64 {
            a + b
        }

        fn zero(&self) -> f64 {
            0.0
        }

        fn to_f64(&self, value: &f64) -> f64 {
            *value
        }

        fn formatter(&self) -> &dyn ValueFormatter {
            // Wall time's formatter takes nanoseconds too.
            WallTime.formatter()
        }
    }
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
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(cpu_time::ThreadCpuTime);
    targets = matcher_cpu
}
criterion_main!(benches, cpu);
