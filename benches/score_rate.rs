//! Scoring rate on one core, for `benches/scorer_vs_vader.py`, which runs
//! Python's vaderSentiment on the same texts in the same run and prints
//! the ratio.
//!
//! `cargo bench --profile perf --bench score_rate -- TEXTS [SECONDS] [RUNS]`
//! reads one text per line from TEXTS and, for each mode, scores the whole
//! file over and over for SECONDS (default 2) per run, RUNS times
//! (default 5), and prints one line per mode:
//! `MODE texts_per_s=MEDIAN runs=R1,R2,...`. Modes: `score_text` (the
//! whole scorer: social cleaning, cues, topics, sentiment, urgency,
//! reasons) and `vader_compound` (the VADER core alone, what
//! vaderSentiment's `polarity_scores` computes). `SCORE_RATE_MODE=MODE`
//! runs one mode only (for a profile of it).

use std::hint::black_box;
use std::time::{Duration, Instant};

use earshot::pipeline::Scorer;

fn main() {
    // `cargo bench` passes `--bench`; everything starting with `--` is its.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: score_rate TEXTS [SECONDS] [RUNS]");
        std::process::exit(2);
    };
    let seconds: f64 = args.get(1).map_or(2.0, |s| s.parse().expect("SECONDS is a number"));
    let runs: usize = args.get(2).map_or(5, |s| s.parse().expect("RUNS is a whole number"));
    let file = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let texts: Vec<&str> = file.lines().filter(|l| !l.is_empty()).collect();
    assert!(!texts.is_empty(), "{path} holds no texts");

    let scorer = Scorer::new();
    let budget = Duration::from_secs_f64(seconds);
    let only = std::env::var("SCORE_RATE_MODE").ok();
    let wanted = |mode: &str| only.as_deref().is_none_or(|m| m == mode);
    if wanted("score_text") {
        report("score_text", &texts, budget, runs, |t| scorer.score_text(t).urgency);
    }
    if wanted("vader_compound") {
        report("vader_compound", &texts, budget, runs, |t| scorer.sentiment().compound(t));
    }
}

/// Measures `score` over `texts` and prints the median rate.
fn report(mode: &str, texts: &[&str], budget: Duration, runs: usize, score: impl Fn(&str) -> f64) {
    // Warm-up: caches, branch predictors, the allocator's free lists.
    for t in texts {
        black_box(score(black_box(t)));
    }
    let mut rates: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let mut scored = 0usize;
            while start.elapsed() < budget {
                for t in texts {
                    black_box(score(black_box(t)));
                }
                scored += texts.len();
            }
            scored as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    let shown: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
    rates.sort_by(f64::total_cmp);
    println!("{mode} texts_per_s={:.0} runs={}", rates[rates.len() / 2], shown.join(","));
}
