//! Posts → mentions: the matcher finds which brands a post concerns and
//! which watch terms hit, the scorer attaches sentiment, urgency, topics and
//! reasons. Pure and synchronous: no I/O, no async, no clock, so it is cheap
//! to test and to benchmark (`benches/pipeline.rs`).

pub mod matcher;
pub mod scorer;
pub mod sentiment;

use crate::config::{Brand, ScoringSettings};
use crate::domain::{Mention, Post};

pub use self::matcher::{BrandHit, Matcher};
pub use self::scorer::{History, Scorer, ScoringError};

/// The scoring data embedded in the binary: the lexicons, the cue, topic
/// and social data and the models, as text. A scorer parses it when it is
/// built and reads almost none of it after (an emoji's description, when a
/// post holds that emoji), so the daemon hands its pages back to the
/// kernel once the scorer is built (`daemon/embedded.rs`).
pub fn embedded_data() -> impl Iterator<Item = &'static str> {
    sentiment::embedded_lexicons().into_iter().chain(scorer::embedded_data())
}

/// The compiled matcher and the scorer, built once per config.
#[derive(Debug)]
pub struct Pipeline {
    matcher: Matcher,
    scorer: Scorer,
}

impl Pipeline {
    /// The matcher for `brands` and the scorer with the built-in scoring
    /// data, the brands' names neutralised and their lexicons applied.
    pub fn new(brands: &[Brand]) -> Self {
        Pipeline { matcher: Matcher::new(brands), scorer: Scorer::with_brands(brands) }
    }

    /// [`Pipeline::new`] with the config's `[scoring]` extensions.
    pub fn with_scoring(brands: &[Brand], scoring: &ScoringSettings) -> Result<Self, ScoringError> {
        Ok(Pipeline { matcher: Matcher::new(brands), scorer: Scorer::with_settings(brands, scoring)? })
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    /// Every mention in `post`: one per brand whose terms hit and whose
    /// excludes did not, each scored, with nothing known from earlier polls.
    pub fn process(&self, post: &Post) -> Vec<Mention> {
        self.process_with(post, &History::default())
    }

    /// [`Pipeline::process`] with what the store knows about the post and
    /// its author (momentum, repeat complaints).
    pub fn process_with(&self, post: &Post, history: &History) -> Vec<Mention> {
        let hits = self.matcher.find(&post.text);
        if hits.is_empty() {
            return Vec::new();
        }
        let score = self.scorer.score_post_with(post, history);
        hits.into_iter().map(|hit| Mention { brand: hit.brand, terms: hit.terms, score: score.clone() }).collect()
    }
}
