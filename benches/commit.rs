//! What storing a page costs the store, alone: for each page of 100 posts,
//! the reads a batch makes before scoring (`prior_reads`: stored mentions
//! and the authors' customer records) and the commit (`commit_poll`: the
//! mentions, their queue items and alerts), one page after another on one
//! task, nothing else running. The pages are shaped like the load
//! command's (`benches/load.rs`): 1-3 brands per post (1.7 on average), a
//! fifth of the posts by 5,000 regular authors, a page in four seen again
//! later (duplicates), about two in five mentions urgent (a queue item and
//! an alert).
//!
//! ```sh
//! cargo bench --profile perf --bench commit -- [pages=2000] [regulars=5000] [backend=sqlite|postgres]
//! # exact instructions per post, independent of the machine's load:
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null BINARY pages=300
//! ```
//!
//! It prints the process's CPU time per post for the reads and for the
//! commits, in halves of the run (so a cost that grows with the tables
//! shows), and the posts stored. Under callgrind the same run gives the
//! instructions, which do not move with the machine's load: divide by the
//! posts it prints.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use earshot::domain::{
    Author, BrandName, Engagement, ExternalId, Label, Mention, Platform, Post, ReceiverName, Score, SourceName, Urgency,
};
use earshot::routing::Delivery;
use earshot::store::{NewMention, PollCommit, Store};

#[path = "support/mod.rs"]
mod support;

use support::Words;

const PAGE: usize = 100;
const BRANDS: [&str; 3] = ["Acme Air", "Globex", "Initech"];

struct Args {
    pages: usize,
    /// How many regular authors share a fifth of the posts: fewer post
    /// more often each (the load's 5,000 post about 40 times a minute).
    regulars: u64,
    postgres: bool,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args { pages: 2000, regulars: 5_000, postgres: false };
    for arg in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
        match arg.split_once('=') {
            Some(("pages", n)) => a.pages = n.parse()?,
            Some(("regulars", n)) => a.regulars = n.parse::<u64>()?.max(1),
            Some(("backend", b)) => a.postgres = b == "postgres",
            _ => anyhow::bail!("unknown argument {arg:?} (pages=N regulars=N backend=sqlite|postgres)"),
        }
    }
    Ok(a)
}

/// Page `k`: its posts, each with its mentions.
fn page(draws: &mut Words, k: usize, regulars: u64, start: DateTime<Utc>) -> Vec<(Post, Vec<Mention>)> {
    (0..PAGE)
        .map(|i| {
            // A page in four repeats posts of the page before it (a poll
            // that overlaps the last one).
            let n = if k % 4 == 3 && k > 0 { (k - 1) * PAGE + i } else { k * PAGE + i };
            let handle =
                if draws.below(5) == 0 { format!("user{}", draws.below(regulars)) } else { format!("author{n}") };
            let post = Post {
                platform: Platform::Hackernews,
                external_id: ExternalId::new(n.to_string()),
                url: format!("https://news.ycombinator.com/item?id={n}"),
                author: Author { handle, display_name: None, followers: Some(draws.below(100_000)) },
                text: format!("post {n}: Acme Air lost my bag and I have been on hold for 3 hours, still no refund"),
                created_at: start + chrono::Duration::milliseconds(n as i64 * 10),
                lang: Some("en".into()),
                engagement: Engagement { likes: Some(draws.below(50)), reposts: None, replies: Some(draws.below(9)) },
            };
            let brands = [1, 1, 2, 2, 3][draws.below(5) as usize];
            let mentions = BRANDS[..brands]
                .iter()
                .map(|brand| {
                    let urgent = draws.below(5) < 2;
                    Mention {
                        brand: BrandName::new(*brand),
                        terms: vec![brand.to_lowercase()],
                        score: Score {
                            compound: -0.7,
                            label: [Label::Negative, Label::Neutral, Label::Positive][draws.below(3) as usize],
                            urgency: if urgent { 0.8 } else { 0.3 },
                            level: if urgent { Urgency::High } else { Urgency::Normal },
                            topics: vec!["lost_item".into()],
                            reasons: vec!["cue: lost or broken item (lost my bag)".into()],
                        },
                    }
                })
                .collect();
            (post, mentions)
        })
        .collect()
}

/// The process's CPU time so far.
fn cpu() -> Duration {
    support::Usage::now().cpu
}

#[derive(Default)]
struct Half {
    posts: usize,
    reads: Duration,
    commits: Duration,
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, scratch) = support::scratch_database(args.postgres, dir.path(), "earshot_commit", "commit.db").await?;
    let store = Store::open_migrated(&url).await?;
    let source = SourceName::new("bench");
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut draws = Words(0x2545_f491_4f6c_dd1d);
    let mut halves = [Half::default(), Half::default()];
    let mut stored = 0;
    for k in 0..args.pages {
        let page = page(&mut draws, k, args.regulars, start);
        let now = start + chrono::Duration::milliseconds((k * PAGE) as i64 * 10 + 1_000);
        let half = &mut halves[usize::from(k >= args.pages / 2)];
        let before = cpu();
        let posts: Vec<&Post> = page.iter().map(|(p, _)| p).collect();
        let prior = store
            .prior_reads(
                Platform::Hackernews,
                &posts,
                now - chrono::Duration::days(7),
                now - chrono::Duration::days(90),
            )
            .await?;
        let read = cpu();
        let mentions = page
            .iter()
            .flat_map(|(post, mentions)| {
                let history = prior.customers.get(&post.author.handle).map(|c| {
                    let first = &mentions[0];
                    let new = earshot::queue::customer::NewPost {
                        external_id: post.external_id.as_str(),
                        brand: first.brand.as_str(),
                        label: first.score.label,
                        posted_at: post.created_at,
                    };
                    c.history(new, now - chrono::Duration::days(7))
                });
                mentions.iter().map(move |m| {
                    let urgent = m.score.level == Urgency::High;
                    NewMention {
                        post,
                        mention: m,
                        deliveries: if urgent { vec![Delivery::to(ReceiverName::new("team"))] } else { vec![] },
                        open_queue_item: urgent,
                        history: history.clone(),
                    }
                })
            })
            .collect();
        let report = store.commit_poll(PollCommit { source: &source, cursor: None, mentions, now }).await?;
        half.commits += cpu() - read;
        half.reads += read - before;
        half.posts += PAGE;
        stored += report.inserted;
    }
    for (name, h) in ["first half", "second half"].iter().zip(&halves) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / h.posts.max(1) as f64;
        println!(
            "{name}: {} posts, reads {:.1} µs/post, commit {:.1} µs/post (CPU, all threads)",
            h.posts,
            per(h.reads),
            per(h.commits)
        );
    }
    println!("posts: {}, mentions stored: {stored}", args.pages * PAGE);
    drop(store);
    drop(scratch);
    Ok(())
}
