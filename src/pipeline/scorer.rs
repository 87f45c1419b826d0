//! Sentiment and urgency scoring.

use crate::domain::{Label, Post, Score, Urgency};

#[derive(Debug, Default)]
pub struct Scorer {}

impl Scorer {
    pub fn new() -> Self {
        Scorer {}
    }

    pub fn score_text(&self, _text: &str) -> Score {
        Score { compound: 0.0, label: Label::Neutral, urgency: 0.0, level: Urgency::Low, topics: vec![], reasons: vec![] }
    }

    pub fn score_post(&self, post: &Post) -> Score {
        self.score_text(&post.text)
    }
}
