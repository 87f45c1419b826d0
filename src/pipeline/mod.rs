//! Posts → mentions: the matcher finds which brands a post concerns and
//! which watch terms hit, the scorer attaches sentiment, urgency, topics and
//! reasons. Pure and synchronous: no I/O, no async, no clock, so it is cheap
//! to test and to benchmark (`benches/pipeline.rs`).

pub mod matcher;
pub mod scorer;
pub mod sentiment;

use crate::config::Brand;
use crate::domain::{Mention, Post};

pub use self::matcher::{BrandHit, Matcher};
pub use self::scorer::Scorer;

/// The compiled matcher and the scorer, built once per config.
#[derive(Debug)]
pub struct Pipeline {
    matcher: Matcher,
    scorer: Scorer,
}

impl Pipeline {
    pub fn new(brands: &[Brand]) -> Self {
        Pipeline { matcher: Matcher::new(brands), scorer: Scorer::new() }
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    /// Every mention in `post`: one per brand whose terms hit and whose
    /// excludes did not, each scored.
    pub fn process(&self, post: &Post) -> Vec<Mention> {
        let hits = self.matcher.find(&post.text);
        if hits.is_empty() {
            return Vec::new();
        }
        let score = self.scorer.score_post(post);
        hits.into_iter().map(|hit| Mention { brand: hit.brand, terms: hit.terms, score: score.clone() }).collect()
    }
}
