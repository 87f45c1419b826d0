//! A set of words that answers "no" for most words without hashing them.
//!
//! Owns: [`WordSet`]. The scorer asks such sets about many words of a post
//! (is this word before a cue a negation? a greeting? a word that says
//! nothing once the post is a complaint?), and almost every answer is no.
//! A table by first byte, with one bit per word length, rules most words
//! out in one lookup; only the rest are hashed. Tests: at the bottom.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use crate::pipeline::sentiment::FxHasher;

/// Words this long or longer skip the first test.
const SHORT: usize = 32;

/// A set of words (as the caller normalised them) with a cheap first test.
#[derive(Debug, Clone)]
pub(crate) struct WordSet {
    words: HashSet<String, BuildHasherDefault<FxHasher>>,
    /// Per first byte: bit `n` is set when some word of `n` bytes starts
    /// with it (`n` < [`SHORT`]).
    starts: Box<[u32; 256]>,
}

impl Default for WordSet {
    fn default() -> Self {
        WordSet { words: HashSet::default(), starts: Box::new([0; 256]) }
    }
}

impl WordSet {
    /// Whether `word` is in the set.
    #[inline]
    pub(crate) fn contains(&self, word: &str) -> bool {
        let Some(&first) = word.as_bytes().first() else { return self.words.contains(word) };
        if word.len() < SHORT && self.starts[usize::from(first)] & (1 << word.len()) == 0 {
            return false;
        }
        self.words.contains(word)
    }

    fn insert(&mut self, word: String) {
        if let Some(&first) = word.as_bytes().first() {
            if word.len() < SHORT {
                self.starts[usize::from(first)] |= 1 << word.len();
            }
        }
        self.words.insert(word);
    }
}

impl FromIterator<String> for WordSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut set = WordSet::default();
        for word in iter {
            set.insert(word);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_a_plain_set_does() {
        let long = "x".repeat(40);
        let words = ["not", "never", "no", "cannot", "", "é", "ünïcode", long.as_str()];
        let set: WordSet = words.iter().map(|w| w.to_string()).collect();
        for w in words {
            assert!(set.contains(w), "{w:?}");
        }
        let long_miss = "x".repeat(41);
        for w in ["nor", "n", "nott", "ever", "can", "e", "ü", long_miss.as_str(), "X".repeat(40).as_str()] {
            assert!(!set.contains(w), "{w:?}");
        }
        let empty = WordSet::default();
        assert!(!empty.contains("") && !empty.contains("not"));
    }
}
