//! What the benchmarks share: realistic posts, watch-term sets of any
//! size, and fake platform pages in the real wire format. Each bench
//! includes it with `mod support;` and uses what it needs.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{TimeZone, Utc};

use earshot::config::Brand;
use earshot::domain::{Author, BrandName, Engagement, ExternalId, Platform, Post};

/// Posts as they arrive: mentions, complaints, praise, noise; handles,
/// hashtags, emoji, line breaks, odd spacing, a little non-English.
pub const POSTS: &[&str] = &[
    "@acmeair lost my bag AGAIN. 3 hours on hold and still no refund. Never flying with you again 😡",
    "Shoutout to the Acme Air crew on flight 212, they were amazing with my kids ❤️ #acmeair",
    "is acme air down? app keeps crashing when I try to check in",
    "The acme air show was fun this weekend, great weather too!",
    "Just landed. Smooth flight, friendly staff, decent coffee. Would fly Acme Air again.",
    "why does every airline charge for seats now?? ridiculous",
    "Globex Corp support chat has been 'connecting you to an agent' for 45 minutes…",
    "new phone who dis, anyway",
    "Honestly the worst customer service I have ever experienced. @globex you should be ashamed.",
    "Initech's new release notes are out: faster sync, fewer bugs, dark mode 🎉",
    "Is it just me or is #Initech support actually good now? Got a reply in 5 minutes.",
    "My Umbrella Corp order arrived broken, box was crushed. Asked for a replacement, no answer yet.",
    "lol acme-air pilot just sang happy birthday over the intercom, best flight ever",
    "Hooli  search   results\nare getting worse every day. Ads everywhere.",
    "can anyone recommend a good budget airline for europe? thinking acme air or something else",
    "Café Crème at the Acme lounge in Zürich is très bon ☕",
    "ACME AIR CANCELLED MY FLIGHT WITH NO NOTICE. NO HOTEL. NO FOOD VOUCHER. NOTHING.",
    "Thanks @AcmeAir for sorting out my rebooking so fast, really appreciate it 🙏",
    "traffic on the bridge is terrible today",
    "the new Soylent flavour is kind of good but not great, I'd buy it again maybe",
    "Stark Industries stock up 4% after earnings; analysts bullish on new product line",
    "@wonka_industries my chocolate bar had a golden ticket but the website won't accept the code?!",
    "Vandelay Industries import/export: slow shipping, but they did refund me in the end. Meh.",
    "I can't believe how bad the wifi is on this train. Not even able to load a tweet.",
    "Day 3 of trying to get a refund from @AcmeAir for a flight THEY cancelled. Called 4 times, \
     emailed twice, chat bot loops me back to the FAQ. I have the confirmation number, the \
     cancellation email and the receipts. What else do you need?? #acmeair #refund",
    "Long thread, sorry: flew Acme Air LHR→JFK last week. Check-in was quick, the lounge was \
     packed but clean, boarding was chaotic, the seat was fine, food was honestly better than \
     expected, and the crew were lovely. Landed 40 min late. Overall 7/10, would fly again.",
    "PSA for anyone flying out of terminal 2 tomorrow: security lines are already over an hour \
     and two of the scanners are broken. Give yourself extra time. Not airline specific, \
     airport problem. Good luck out there everyone ✈️",
    "Globex Corp just emailed me that my account was 'compromised' and they reset my password. \
     No explanation, no apology, and now I can't log in because the reset link is expired. \
     Absolutely unacceptable for a company that holds my payment details. @globex fix this!!!",
];

pub fn posts() -> Vec<Post> {
    assert!(POSTS.iter().all(|p| (20..=280).contains(&p.chars().count())), "posts are 20-280 characters");
    POSTS
        .iter()
        .enumerate()
        .map(|(i, text)| Post {
            platform: Platform::Mastodon,
            external_id: ExternalId::new(i.to_string()),
            url: format!("https://example.social/@user{i}/{i}"),
            author: Author {
                handle: format!("user{i}"),
                display_name: None,
                followers: Some([12, 340, 5_600, 120_000][i % 4]),
            },
            text: (*text).to_string(),
            created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            lang: Some("en".into()),
            engagement: Engagement { likes: Some(i as u64 * 7), reposts: Some(i as u64), replies: Some(2) },
        })
        .collect()
}

/// Where a bench run stores: a SQLite file `file` in `dir`, or with
/// `postgres` a throwaway database on the PostgreSQL server
/// `EARSHOT_TEST_PG` names, named after `name` and dropped with the
/// returned guard. Gives the store URL and the guard.
pub async fn scratch_database(
    postgres: bool,
    dir: &std::path::Path,
    name: &str,
    file: &str,
) -> anyhow::Result<(String, Option<earshot::store::scratch::ScratchPostgres>)> {
    if !postgres {
        return Ok((format!("sqlite://{}/{file}", dir.display()), None));
    }
    let admin = std::env::var("EARSHOT_TEST_PG").map_err(|_| anyhow::anyhow!("EARSHOT_TEST_PG is not set"))?;
    let scratch = earshot::store::scratch::ScratchPostgres::create(&admin, name).await?;
    Ok((scratch.url.clone(), Some(scratch)))
}

/// Deterministic pseudo-random words (xorshift), so runs compare.
pub struct Words(pub u64);

impl Words {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A draw in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn word(&mut self) -> String {
        const SYLLABLES: &[&str] = &[
            "ac", "me", "glo", "bex", "ini", "tech", "hoo", "li", "um", "bre", "la", "van", "de", "lay", "so", "lent",
            "sta", "rk", "won", "ka", "zor", "tri", "qua", "nex",
        ];
        let n = 2 + (self.next() % 3) as usize;
        (0..n).map(|_| SYLLABLES[(self.next() % SYLLABLES.len() as u64) as usize]).collect()
    }
}

/// `total` watch terms over brands of ten terms each: names, two-word
/// phrases, @handles and #hashtags, plus one exclude per brand; the real
/// brands of [`POSTS`] first, so the texts do hit.
pub fn brands(total: usize) -> Vec<Brand> {
    let mut words = Words(0x9e37_79b9_7f4a_7c15);
    let mut out = vec![
        brand("Acme Air", &["acme air", "@acmeair", "#acmeair", "acme"], &["acme air show"]),
        brand("Globex", &["globex", "globex corp", "@globex"], &[]),
        brand("Initech", &["initech", "#initech"], &[]),
    ];
    let mut count: usize = out.iter().map(|b| b.terms.len()).sum();
    while count < total {
        let name = words.word();
        let terms: Vec<String> = (0..10.min(total - count))
            .map(|k| match k % 4 {
                0 => name.clone(),
                1 => format!("{name} {}", words.word()),
                2 => format!("@{}", words.word()),
                _ => format!("#{}", words.word()),
            })
            .collect();
        count += terms.len();
        out.push(Brand {
            name: BrandName::new(format!("{name} {}", out.len())),
            exclude: vec![format!("{name} show")],
            terms,
            lexicon: Default::default(),
        });
    }
    if total < count {
        // Small sets: keep exactly `total` terms.
        let mut left = total;
        out.retain_mut(|b| {
            b.terms.truncate(left);
            left -= b.terms.len();
            !b.terms.is_empty()
        });
    }
    out
}

pub fn brand(name: &str, terms: &[&str], exclude: &[&str]) -> Brand {
    Brand {
        name: BrandName::new(name),
        terms: terms.iter().map(|t| t.to_string()).collect(),
        exclude: exclude.iter().map(|t| t.to_string()).collect(),
        lexicon: Default::default(),
    }
}

/// `[[brands]]` tables for a config file.
pub fn brands_toml(brands: &[Brand]) -> String {
    let quote = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let list = |items: &[String]| items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    brands
        .iter()
        .map(|b| {
            format!(
                "[[brands]]\nname = {}\nterms = [{}]\nexclude = [{}]\n",
                quote(b.name.as_str()),
                list(&b.terms),
                list(&b.exclude)
            )
        })
        .collect()
}

/// A Hacker News `search_by_date` answer (the real wire format) of `n`
/// comments with ids from `first_id` on: [`POSTS`] in turn, every third
/// one naming one of `terms` too. One post in five is by one of
/// `regulars` regular authors (who build up a history the scorer reads;
/// none when 0), the others by someone heard from for the first time, as
/// in a real stream.
pub fn hn_page(
    words: &mut Words,
    terms: &[String],
    first_id: u64,
    n: usize,
    created_at: i64,
    regulars: u64,
) -> Vec<u8> {
    let hits: Vec<serde_json::Value> = (0..n as u64)
        .map(|k| {
            let id = first_id + k;
            let post = POSTS[(words.next() % POSTS.len() as u64) as usize];
            let text = if id % 3 == 0 && !terms.is_empty() {
                format!("{post} cc {}", terms[(words.next() % terms.len() as u64) as usize])
            } else {
                post.to_string()
            };
            let html = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<p>");
            serde_json::json!({
                "created_at_i": created_at,
                "author": if words.next() % 5 == 0 && regulars > 0 {
                    format!("user{}", words.next() % regulars)
                } else {
                    format!("u{id}")
                },
                "points": words.next() % 50,
                "comment_text": html,
                "story_title": "Ask HN: which airline do you trust?",
                "_tags": ["comment"],
                "objectID": id.to_string(),
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "hits": hits, "nbHits": n, "nbPages": 1 })).expect("a page serialises")
}

/// The process's resource use so far, every thread's (sqlx runs SQLite on
/// threads of its own): CPU time and context switches.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu: Duration,
    pub switches: u64,
}

impl Usage {
    pub fn now() -> Self {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
        // SAFETY: getrusage fills the struct it is given.
        let usage = unsafe {
            libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
            usage.assume_init()
        };
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
        let switches = usage.ru_nvcsw.max(0) as u64 + usage.ru_nivcsw.max(0) as u64;
        Usage { cpu: tv(usage.ru_utime) + tv(usage.ru_stime), switches }
    }

    /// "1.43 cores, 16204 context switches/s": the use since `before`
    /// over `elapsed`.
    pub fn since(&self, before: &Usage, elapsed: Duration) -> String {
        let secs = elapsed.as_secs_f64().max(f64::EPSILON);
        let cores = (self.cpu.saturating_sub(before.cpu)).as_secs_f64() / secs;
        let switches = self.switches.saturating_sub(before.switches) as f64 / secs;
        format!("{cores:.2} cores, {switches:.0} context switches/s")
    }
}
