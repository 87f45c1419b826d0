//! Cluster load run: posts published at a fixed rate through the simulated
//! Hacker News API, read by two earshot replicas (two daemons in this
//! process, each with its own pool, replica id and leases) sharing one
//! scratch PostgreSQL database; prints the ingest lag second by second.
//!
//! ```sh
//! EARSHOT_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --example cluster_load -- [RATE_PER_S] [SECONDS] [AUTHORS]
//! ```
//!
//! Defaults: 1000 posts/s for 60 s, written in turn by 997 authors (each
//! of whom builds up a history that their later posts read); `AUTHORS` 0
//! gives every post an author of its own. Four sources, each searching one of
//! the four post texts, so each is a separate lease and the replicas split
//! the polling between them. Ingest lag of second k: the
//! time from the moment the k-th second's last post was published until
//! the database holds at least as many mentions as had been published by
//! then (all posts are distinct and mention the brand once). Figures go to
//! BENCHMARKS.md.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use earshot::daemon::Daemon;
use earshot::demo::hn_sim::{HnSimulator, SimHit};
use earshot::store::scratch::ScratchPostgres;
use earshot::store::Store;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const TEXTS: [&str; 4] = [
    "Acme Air lost my bag again, support is useless, I want a refund",
    "Flying Acme Air to Lisbon tomorrow, seats looked fine",
    "Does Acme Air allow pets in the cabin on short flights?",
    "Acme Air crew were lovely today, thanks for the upgrade",
];

/// Seconds a post stays searchable in the simulator.
const RETAIN_S: i64 = 10;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    let rate = args.first().copied().unwrap_or(1000);
    let seconds = args.get(1).copied().unwrap_or(60);
    let authors = args.get(2).copied().unwrap_or(997);
    let admin = std::env::var("EARSHOT_TEST_PG").context("EARSHOT_TEST_PG must name a PostgreSQL server")?;
    let db = ScratchPostgres::create(&admin, "earshot_load").await?;
    let store = Store::open(&db.url).await?;
    store.migrate().await?;
    let hn = Arc::new(HnSimulator::start(Vec::new()).await?);
    let dir = tempfile::tempdir()?;

    let stop = CancellationToken::new();
    let mut daemons = Vec::new();
    for replica in ["load-a", "load-b"] {
        let path = dir.path().join(format!("{replica}.toml"));
        std::fs::write(&path, config(&db.url, &hn, replica))?;
        let settings = earshot::config::load_with_env(&path, &[])?;
        let daemon = Daemon::build(settings, Vec::new()).await?;
        let stopped = stop.clone();
        daemons.push(tokio::spawn(daemon.run_until_stopped(async move { stopped.cancelled().await })));
    }

    // Publisher: `rate` posts a second, in 10 ms slices; remembers how many
    // were out at the end of every second.
    let published = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let load_before = loadavg();
    let mut marks: Vec<(Instant, u64)> = Vec::new();
    let sampler = tokio::spawn(sample_counts(store.clone(), stop.clone()));
    let mut slice = tokio::time::interval(Duration::from_millis(10));
    let per_slice = rate as f64 / 100.0;
    let mut owed = 0.0;
    for second in 0..seconds {
        for _ in 0..100 {
            slice.tick().await;
            owed += per_slice;
            let now = chrono::Utc::now().timestamp();
            while owed >= 1.0 {
                let n = published.fetch_add(1, Ordering::SeqCst);
                hn.push(SimHit::story(
                    format!("{}", 10_000_000 + n),
                    &format!("u{}", if authors == 0 { n } else { n % authors }),
                    now,
                    TEXTS[(n % 4) as usize],
                ));
                owed -= 1.0;
            }
        }
        marks.push((Instant::now(), published.load(Ordering::SeqCst)));
        // Older posts are far behind every cursor's overlap; a post not
        // read by then shows up as missing in the summary.
        hn.forget_before(chrono::Utc::now().timestamp() - RETAIN_S);
        if second % 10 == 9 {
            eprintln!("published {} posts in {:.1?}", published.load(Ordering::SeqCst), started.elapsed());
        }
    }
    let total = published.load(Ordering::SeqCst);
    let drain_deadline = Instant::now() + Duration::from_secs(120);
    while store.counts().await?.mentions < total && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    let samples = sampler.await?;
    for d in daemons {
        d.await??;
    }

    println!("second,published,lag_ms");
    let mut lags = Vec::new();
    for (k, (at, count)) in marks.iter().enumerate() {
        let reached = samples.iter().find(|(t, n)| t >= at && *n >= *count).map(|(t, _)| *t - *at);
        let lag = reached.map_or(-1, |d| d.as_millis() as i64);
        println!("{},{},{}", k + 1, count, lag);
        lags.push(lag);
    }
    let stored = store.counts().await?.mentions;
    let half = lags.len() / 2;
    let mean = |xs: &[i64]| xs.iter().sum::<i64>() as f64 / xs.len().max(1) as f64;
    println!(
        "rate {rate}/s for {seconds}s: published {total}, stored {stored}; \
         lag mean first half {:.0} ms, second half {:.0} ms, max {} ms; \
         trend over the second half {:+.1} ms per second; load average {load_before} -> {}",
        mean(&lags[..half]),
        mean(&lags[half..]),
        lags.iter().max().copied().unwrap_or(0),
        slope(&lags[half..]),
        loadavg()
    );
    Ok(())
}

/// Least-squares slope of `ys` against their index (ms per second).
fn slope(ys: &[i64]) -> f64 {
    let n = ys.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = (n - 1.0) / 2.0;
    let my = ys.iter().sum::<i64>() as f64 / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        num += (i as f64 - mx) * (*y as f64 - my);
        den += (i as f64 - mx).powi(2);
    }
    num / den
}

/// The 1-minute load average, to judge how busy the machine was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_string))
        .unwrap_or_default()
}

/// Mentions stored, sampled every 50 ms until `stop`. A running count
/// of what is new since the last sample: counting the whole table each
/// time would itself load the database more and more as it grows.
async fn sample_counts(store: Store, stop: CancellationToken) -> Vec<(Instant, u64)> {
    let mut out = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let (mut total, mut last) = (0, earshot::domain::MentionId(0));
    while !stop.is_cancelled() {
        tick.tick().await;
        if let Ok((new, upto)) = store.mentions_after(last).await {
            (total, last) = (total + new, upto);
            out.push((Instant::now(), total));
        }
    }
    out
}

/// A replica's config: four Hacker News sources on the simulator, one per
/// post text (each searches a word only that text has).
fn config(db: &str, hn: &HnSimulator, replica: &str) -> String {
    let queries = ["lost", "lisbon", "pets", "crew"];
    let mut out = format!(
        r#"
[storage]
url = "{db}"
[http]
listen = "127.0.0.1:0"
[log]
level = "warn"
[reload]
watch_file = false
[cluster]
replica_id = "{replica}"
lease_ttl = "3s"
renew_interval = "1s"
[[brands]]
name = "Acme Air"
terms = ["acme air"]
[[brands]]
name = "Nobody"
terms = ["zzz never said"]
# Alerts are not part of this run: the one route is for a brand no post names.
[[receivers]]
name = "console"
type = "console"
[[routes]]
receivers = ["console"]
brands = ["Nobody"]
"#
    );
    for (i, q) in queries.iter().enumerate() {
        out.push_str(&format!(
            "[[sources]]\nname = \"hn{i}\"\ntype = \"hackernews\"\nbase_url = \"{}\"\nqueries = [\"acme air {q}\"]\n\
             every = \"1s\"\nbackfill = \"1h\"\nhits_per_page = 1000\nmax_pages = 50\noverlap = \"1s\"\n",
            hn.base_url()
        ));
    }
    out
}
