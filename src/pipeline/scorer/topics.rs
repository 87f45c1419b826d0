//! Topics: what a mention is about, from the taxonomy in
//! `data/topics.toml` (plus the admin's `[scoring.topics]`).
//!
//! Owns: turning topic phrase hits and fired cues into the `topics` of a
//! score, in taxonomy order, each once. A topic phrase counts wherever it
//! stands (a question about a refund is about billing); a cue adds its
//! category's topic. Pure. Tests: `scorer/tests/cues.rs`.

use super::cues::Fired;
use super::data::{Compiled, Tag};
use super::phrases::Hit;

/// The topic names of one post. `found` is a buffer kept between posts.
pub(crate) fn assign(c: &Compiled, hits: &[Hit], fired: &[Fired], found: &mut Vec<usize>) -> Vec<String> {
    let topic_hits = hits.iter().filter_map(|h| match c.tag(h) {
        Tag::Topic(t) => Some(usize::from(t)),
        _ => None,
    });
    let cue_topics = fired.iter().filter_map(|f| {
        let category = &c.categories[f.cat];
        category.topic.filter(|_| category.valence < 0.0)
    });
    found.clear();
    found.extend(topic_hits.chain(cue_topics));
    if found.is_empty() {
        return Vec::new();
    }
    found.sort_unstable();
    found.dedup();
    found.iter().map(|&t| c.topics[t].name.clone()).collect()
}
