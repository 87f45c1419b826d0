//! Scoring: sentiment, urgency and the reasons a responder reads.
//!
//! Owns: turning a text or a post into a [`Score`]. Sentiment comes from
//! [`crate::pipeline::sentiment`] (VADER), urgency from
//! `scorer/urgency.rs` (negativity, reach, engagement), and every score
//! says why in plain words: `sentiment: negative (-0.72): "terrible",
//! "not helpful"`, `reach: 120k followers`, `engagement: 340
//! interactions`. Pure: no I/O, no clock. Customer-service cues ("still
//! no refund"), topics and momentum are later issues; `topics` is empty
//! for now. Tests: `scorer/tests.rs`.

mod urgency;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use crate::domain::{Label, Post, Score};
use crate::pipeline::sentiment::{self, Sentiment, SentimentAnalyzer};

pub use self::urgency::{level, urgency, Audience};

/// Scores texts and posts. Built once per config; `Send + Sync`.
#[derive(Debug, Default)]
pub struct Scorer {
    sentiment: SentimentAnalyzer,
}

impl Scorer {
    /// Loads the embedded lexicons (parsed once, here).
    pub fn new() -> Self {
        Scorer { sentiment: SentimentAnalyzer::new() }
    }

    /// The sentiment analyser, for callers that want the compound alone.
    pub fn sentiment(&self) -> &SentimentAnalyzer {
        &self.sentiment
    }

    /// Scores a bare text: sentiment only, no audience.
    pub fn score_text(&self, text: &str) -> Score {
        self.score(text, None)
    }

    /// Scores a post: sentiment of its text, urgency raised by its author's
    /// reach and its engagement.
    pub fn score_post(&self, post: &Post) -> Score {
        let audience = Audience { followers: post.author.followers, interactions: post.engagement.total() };
        self.score(&post.text, Some(&audience))
    }

    fn score(&self, text: &str, audience: Option<&Audience>) -> Score {
        let sentiment = self.sentiment.analyze(text);
        let label = sentiment::label(sentiment.compound);
        let urgency = round4(urgency(sentiment.compound, audience));
        let mut reasons = vec![sentiment_reason(&sentiment, label)];
        if let Some(audience) = audience {
            if let Some(followers) = audience.followers {
                let noun = if followers == 1 { "follower" } else { "followers" };
                reasons.push(format!("reach: {} {noun}", compact(followers)));
            }
            if audience.interactions > 0 {
                let noun = if audience.interactions == 1 { "interaction" } else { "interactions" };
                reasons.push(format!("engagement: {} {noun}", audience.interactions));
            }
        }
        Score { compound: sentiment.compound, label, urgency, level: level(urgency), topics: Vec::new(), reasons }
    }
}

/// `sentiment: negative (-0.72): "terrible", "not helpful"`. Words are
/// quoted with Rust's escaping, so control characters and quotes in a post
/// cannot break the line.
fn sentiment_reason(sentiment: &Sentiment, label: Label) -> String {
    let mut reason = format!("sentiment: {} ({:.2})", label.as_str(), sentiment.compound);
    if label != Label::Neutral {
        for (i, driver) in sentiment.drivers.iter().enumerate() {
            let _ = write!(reason, "{}{:?}", if i == 0 { ": " } else { ", " }, driver.phrase);
        }
    }
    reason
}

/// 950, 1.2k, 120k, 3.4M.
fn compact(n: u64) -> String {
    let (value, unit) = match n {
        0..=999 => return n.to_string(),
        1_000..=999_999 => (n as f64 / 1e3, "k"),
        1_000_000..=999_999_999 => (n as f64 / 1e6, "M"),
        _ => (n as f64 / 1e9, "B"),
    };
    if value < 10.0 {
        let s = format!("{value:.1}");
        format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
    } else {
        format!("{value:.0}{unit}")
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
