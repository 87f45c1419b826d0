//! Load command: the whole ingest path (parse -> match -> score -> route ->
//! store) under a sustained stream of fake platform pages, with the ingest
//! lag of every page.
//!
//! ```sh
//! cargo bench --profile perf --bench load -- [backend=sqlite|postgres] [seconds=60] [rate=0] [brands=1000] \
//!     [sources=2] [regulars=5000] [pages=FILE] [brands_toml=FILE]
//! ```
//!
//! - backend: a fresh SQLite file in a temporary directory, or a scratch
//!   database on the PostgreSQL server `EARSHOT_TEST_PG` points at;
//! - seconds: how long to feed;
//! - rate (0 = as fast as it goes): offered posts per second; pages of 100
//!   posts are due at a steady pace and the lag of a page is the time from
//!   when it was due to when its commit returned, so a store that cannot
//!   keep up shows a growing lag;
//! - brands: how many brands of ten watch terms;
//! - sources: how many sources store pages at once, each a task as the
//!   daemon runs its sources (pages go to whichever is free), so one
//!   page's matching and scoring overlaps another's commit;
//! - regulars: how many regular authors write one post in five (each
//!   builds up a history that every later post of theirs reads); 0: every
//!   author is new, so no read grows with the run;
//! - pages, brands_toml (used by `benches/python_peer.py`): read the pages
//!   (one JSON answer per line) from a file, each once, instead of making
//!   them, and the `[[brands]]` tables from another.
//!
//! Each page is a Hacker News `search_by_date` answer in the real wire
//! format, made by a producer thread; the consumer does what a poll does
//! after the HTTP read: `SearchPage` parse, `hit_to_post`, then
//! [`Context::store_batch`] (prior reads, matcher, scorer, router, one
//! commit with outbox rows, queue items and the source's cursor). Prints per 10 s window the
//! posts/s and lag p50/p99/max, and where a page's time went (the mean
//! per page of each stage of `earshot_pipeline_stage_duration_seconds`:
//! reads, scoring, commit with its wait for the writer, re-reads) and the
//! process's CPU use (cores busy, context switches per second, the page
//! producer's thread included: a run that stays well under the machine's
//! cores is held up by waits, not work), then the totals, the process's
//! peak RSS and (SQLite) the WAL file's size. The heap is set up as
//! `earshot run` sets it up: two malloc arenas, unless `MALLOC_ARENA_MAX`
//! is set (see BENCHMARKS.md for what more arenas buy and cost).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use earshot::config;
use earshot::daemon::Context;
use earshot::domain::SourceName;
use earshot::sources::{hackernews, Batch, Cursor};

const PAGE: usize = 100;
const WINDOW: Duration = Duration::from_secs(10);

struct Args {
    postgres: bool,
    seconds: f64,
    rate: f64,
    brands: usize,
    sources: usize,
    regulars: u64,
    pages: Option<String>,
    brands_toml: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        postgres: false,
        seconds: 60.0,
        rate: 0.0,
        brands: 1000,
        sources: 2,
        regulars: 5_000,
        pages: None,
        brands_toml: None,
    };
    // `cargo bench` passes `--bench`; everything starting with `--` is its.
    for arg in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
        let (key, value) = arg.split_once('=').unwrap_or_else(|| panic!("{arg:?}: expected key=value"));
        let num = || value.parse::<f64>().unwrap_or_else(|_| panic!("{key}: {value:?} is not a number"));
        match key {
            "backend" => a.postgres = value == "postgres",
            "seconds" => a.seconds = num(),
            "rate" => a.rate = num(),
            "brands" => a.brands = num() as usize,
            "sources" => a.sources = (num() as usize).max(1),
            "regulars" => a.regulars = num() as u64,
            "pages" => a.pages = Some(value.to_string()),
            "brands_toml" => a.brands_toml = Some(value.to_string()),
            _ => panic!("unknown argument {key:?}"),
        }
    }
    a
}

fn main() -> anyhow::Result<()> {
    let args = args();
    // The heap as `earshot run` sets it up (two malloc arenas unless
    // MALLOC_ARENA_MAX says otherwise), so the figures are the daemon's.
    earshot::daemon::heap::limit_arenas();
    println!(
        "malloc arenas: {}",
        std::env::var("MALLOC_ARENA_MAX")
            .unwrap_or_else(|_| format!("{} (as earshot run)", earshot::daemon::heap::ARENAS))
    );
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, scratch) = support::scratch_database(args.postgres, dir.path(), "earshot_load", "load.db").await?;
    let brands = support::brands(args.brands * 10);
    let terms: Vec<String> = brands.iter().flat_map(|b| b.terms.iter().cloned()).collect();
    let brands_toml = match &args.brands_toml {
        Some(file) => std::fs::read_to_string(file)?,
        None => support::brands_toml(&brands),
    };
    let path = dir.path().join("earshot.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\nurl = \"{url}\"\n[http]\nlisten = \"127.0.0.1:0\"\n\
             [[receivers]]\nname = \"team\"\ntype = \"slack\"\nurl = \"http://127.0.0.1:9/hook\"\n\
             [[routes]]\nreceivers = [\"team\"]\nmin_urgency = \"high\"\n\
             [[sources]]\nname = \"load\"\ntype = \"hackernews\"\ncron = \"0 0 0 1 1 *\"\n{brands_toml}"
        ),
    )?;
    let settings = config::load_with_env(&path, &[])?;
    let ctx = std::sync::Arc::new(Context::build(settings).await?);
    println!(
        "load: {} into {}, {} brands / {} terms, pages of {PAGE}, {} sources, {} regular authors, offered {}",
        humantime::format_duration(Duration::from_secs_f64(args.seconds)),
        if args.postgres { "PostgreSQL" } else { "SQLite" },
        ctx.settings.brands.len(),
        ctx.settings.brands.iter().map(|b| b.terms.len()).sum::<usize>(),
        args.sources,
        args.regulars,
        if args.rate > 0.0 { format!("{:.0} posts/s", args.rate) } else { "as fast as it goes".into() }
    );

    // The platform: pages made ahead on another thread, each with the time
    // it is due (with no rate: when a source asks for it).
    let (tx, rx) = tokio::sync::mpsc::channel::<(Option<Instant>, Vec<u8>)>(8);
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
    let start = Instant::now();
    let (seconds, rate, regulars) = (args.seconds, args.rate, args.regulars);
    let recorded = match &args.pages {
        Some(file) => Some(std::fs::read_to_string(file)?),
        None => None,
    };
    std::thread::spawn(move || {
        if let Some(recorded) = recorded {
            for line in recorded.lines().filter(|l| !l.is_empty()) {
                if tx.blocking_send((None, line.as_bytes().to_vec())).is_err() {
                    break;
                }
            }
            return;
        }
        let mut words = support::Words(0x2545_f491_4f6c_dd1d);
        let created = chrono::Utc::now().timestamp();
        for page in 0u64.. {
            let due = (rate > 0.0).then(|| start + Duration::from_secs_f64((page as f64 * PAGE as f64) / rate));
            if due.is_some_and(|d| d > start + Duration::from_secs_f64(seconds)) {
                break;
            }
            let body = support::hn_page(&mut words, &terms, 1 + page * PAGE as u64, PAGE, created, regulars);
            if tx.blocking_send((due, body)).is_err() {
                break;
            }
        }
    });

    // The sources: each takes the next page, waits until it is due, and
    // stores it; every page's lag goes to the shared figures.
    let figures = std::sync::Arc::new(std::sync::Mutex::new(Figures::new(ctx.metrics.clone())));
    let deadline = start + Duration::from_secs_f64(args.seconds);
    let mut sources = tokio::task::JoinSet::new();
    for n in 0..args.sources {
        let (ctx, rx, figures) = (ctx.clone(), rx.clone(), figures.clone());
        let source = SourceName::new(if n == 0 { "load".to_string() } else { format!("load-{n}") });
        sources.spawn(async move {
            let mut pages = 0u64;
            while Instant::now() < deadline {
                let Some((due, body)) = rx.lock().await.recv().await else { break };
                if let Some(due) = due {
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        tokio::time::sleep(wait).await;
                    }
                }
                let taken = Instant::now();
                let page = hackernews::parse_search(&body)?;
                let posts =
                    page.hits.iter().filter_map(|h| hackernews::hit_to_post(h.get()?).ok()).map(|(p, _)| p).collect();
                // Each page moves its source's cursor, as a poll's does.
                pages += 1;
                let batch = Batch { posts, next: Some(Cursor(pages.to_string())), pages: 1, throttle: None };
                let report = ctx.store_batch(&source, &batch).await?;
                let lag = due.map_or_else(|| taken.elapsed(), |d| d.elapsed());
                figures.lock().unwrap().add(batch.posts.len(), report.commit.inserted, lag, start);
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = sources.join_next().await {
        done??;
    }
    let mut figures = figures.lock().unwrap();
    figures.finish(start);
    println!("mentions stored: {}; peak RSS: {} MiB", figures.mentions, peak_rss_kib() / 1024);
    if !args.postgres {
        // A WAL that is never started over grows by the write rate.
        let wal = std::fs::metadata(dir.path().join("load.db-wal")).map_or(0, |m| m.len());
        println!("SQLite WAL at the end: {:.1} MiB", wal as f64 / (1024.0 * 1024.0));
    }
    drop(ctx);
    drop(scratch);
    Ok(())
}

/// The run's figures: the current 10 s window's and the whole run's.
struct Figures {
    window: Stats,
    total: Stats,
    window_start: Instant,
    mentions: u64,
    /// The daemon's metrics, for where a page's time went.
    metrics: std::sync::Arc<earshot::telemetry::Metrics>,
    stages: Stages,
    /// The process's CPU time and context switches at the window's start
    /// and at the run's.
    usage: support::Usage,
    run_usage: support::Usage,
}

impl Figures {
    fn new(metrics: std::sync::Arc<earshot::telemetry::Metrics>) -> Self {
        let stages = Stages::read(&metrics);
        let usage = support::Usage::now();
        Figures {
            window: Stats::default(),
            total: Stats::default(),
            window_start: Instant::now(),
            mentions: 0,
            metrics,
            stages,
            usage,
            run_usage: usage,
        }
    }

    /// One page stored: its posts, new mentions and lag; prints a window
    /// line every [`WINDOW`].
    fn add(&mut self, posts: usize, mentions: u64, lag: Duration, start: Instant) {
        self.mentions += mentions;
        self.window.add(posts, lag);
        self.total.add(posts, lag);
        if self.window_start.elapsed() >= WINDOW {
            self.print_window(start);
        }
    }

    fn print_window(&mut self, start: Instant) {
        self.window.print(&format!("t={:>3.0}s", start.elapsed().as_secs_f64()), self.window_start.elapsed());
        let now = Stages::read(&self.metrics);
        println!("        per page: {}", now.since(&self.stages));
        let usage = support::Usage::now();
        println!("        process: {}", usage.since(&self.usage, self.window_start.elapsed()));
        self.stages = now;
        self.usage = usage;
        self.window = Stats::default();
        self.window_start = Instant::now();
    }

    fn finish(&mut self, start: Instant) {
        if self.window.posts > 0 {
            self.print_window(start);
        }
        self.total.print("total", start.elapsed());
        println!("process: {}", support::Usage::now().since(&self.run_usage, start.elapsed()));
    }
}

/// Posts and per-page lags of a stretch of the run.
#[derive(Default)]
struct Stats {
    posts: usize,
    lags: Vec<Duration>,
}

impl Stats {
    fn add(&mut self, posts: usize, lag: Duration) {
        self.posts += posts;
        self.lags.push(lag);
    }

    fn print(&mut self, label: &str, elapsed: Duration) {
        self.lags.sort_unstable();
        let at = |q: f64| self.lags[((self.lags.len() - 1) as f64 * q).round() as usize];
        println!(
            "{label}: {:>7.0} posts/s  lag p50 {:>8.1?}  p99 {:>8.1?}  max {:>8.1?}",
            self.posts as f64 / elapsed.as_secs_f64(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}

/// The process's peak resident set (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The ingest stages' totals (`earshot_pipeline_stage_duration_seconds`):
/// seconds and batches per stage, as the daemon's metrics render them.
struct Stages(Vec<(String, f64, u64)>);

impl Stages {
    const METRIC: &'static str = "earshot_pipeline_stage_duration_seconds";

    fn read(metrics: &earshot::telemetry::Metrics) -> Self {
        let text = metrics.render();
        let mut stages: Vec<(String, f64, u64)> = Vec::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(Self::METRIC) else { continue };
            let (kind, rest) = rest.split_once("{stage=\"").unwrap_or(("", ""));
            let Some((stage, value)) = rest.split_once("\"} ") else { continue };
            let entry = match stages.iter_mut().find(|(s, _, _)| s == stage) {
                Some(e) => e,
                None => {
                    stages.push((stage.to_string(), 0.0, 0));
                    stages.last_mut().expect("pushed")
                }
            };
            match kind {
                "_sum" => entry.1 = value.parse().unwrap_or(0.0),
                "_count" => entry.2 = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        Stages(stages)
    }

    /// "reads 8.2 ms, scoring 2.4 ms, ...": the mean per batch since `before`.
    fn since(&self, before: &Stages) -> String {
        let total = |stages: &Stages, stage: &str| {
            stages.0.iter().find(|(s, _, _)| s == stage).map_or((0.0, 0), |(_, sum, count)| (*sum, *count))
        };
        let parts: Vec<String> = earshot::telemetry::Stage::ALL
            .iter()
            .map(|stage| stage.as_str())
            .map(|stage| {
                let ((sum, count), (s0, c0)) = (total(self, stage), total(before, stage));
                let batches = count.saturating_sub(c0).max(1);
                format!("{stage} {:.1} ms", (sum - s0) * 1000.0 / batches as f64)
            })
            .collect();
        parts.join(", ")
    }
}
