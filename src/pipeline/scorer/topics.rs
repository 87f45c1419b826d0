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

/// The topic names of one post.
pub(crate) fn assign(c: &Compiled, hits: &[Hit], fired: &[Fired]) -> Vec<String> {
    let mut seen = vec![false; c.topics.len()];
    for h in hits {
        if let Tag::Topic(t) = c.tags[h.tag as usize] {
            seen[usize::from(t)] = true;
        }
    }
    for f in fired {
        if let Some(t) = c.categories[f.cat].topic {
            if c.categories[f.cat].valence < 0.0 {
                seen[t] = true;
            }
        }
    }
    c.topics.iter().zip(seen).filter(|(_, s)| *s).map(|(t, _)| t.name.clone()).collect()
}
