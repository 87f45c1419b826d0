//! The VADER lexicons, shipped as data in `data/` (see `data/README.md` for
//! source, version and licence), embedded with `include_str!` and parsed
//! once when a [`Lexicon`] is built.
//!
//! Owns: parsing and lookup. Each word's entry also carries what the rule
//! tables say about it (booster, negation, the [`RuleWord`] it is), so a
//! token costs one lookup in a [`WordMap`] (a key table for words of up to
//! 15 bytes, all but a few dozen, a map for the rest).
//! Overlays (the scorer's domain lexicon, a brand's overrides) replace or
//! remove valences before the tables are built. Knows nothing about how
//! the rules use the values (`rules.rs`, `mod.rs`). Tests: `tests.rs`
//! (`embedded_lexicons_parse_cleanly`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use super::keys::{WordKey, WordMap};
use super::rules::{Boost, RuleWord, BOOSTERS, NEGATIONS, RULE_WORDS};

/// `TOKEN<TAB>MEAN<TAB>STD-DEV<TAB>RAW-RATINGS`, CRLF line ends.
static VADER_LEXICON: &str = include_str!("../../../data/vader_lexicon.txt");
/// `EMOJI<TAB>DESCRIPTION`, CRLF line ends.
static EMOJI_LEXICON: &str = include_str!("../../../data/emoji_utf8_lexicon.txt");

/// The lexicons' text as embedded in the binary (see
/// [`crate::pipeline::embedded_data`]; `static`, so this is the copy the
/// parse reads).
pub(crate) fn embedded() -> [&'static str; 2] {
    [VADER_LEXICON, EMOJI_LEXICON]
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// What the lexicon and the rule tables say about one lower-case word, in
/// eight bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    /// Mean valence in [-4, 4]; NaN for a word only the rule tables know,
    /// or one an overlay made unrated.
    valence: f32,
    /// Booster or dampener.
    pub(crate) booster: Option<Boost>,
    /// A negation word ("not", "never", "without", any "n't").
    pub(crate) negation: bool,
    /// The word, if a rule names it.
    pub(crate) word: RuleWord,
}

impl Default for Entry {
    fn default() -> Self {
        Entry { valence: f32::NAN, booster: None, negation: false, word: RuleWord::Other }
    }
}

impl Entry {
    /// The entry of a word the lexicon does not hold.
    #[inline]
    fn unknown(negation: bool) -> Entry {
        Entry { negation, ..Entry::default() }
    }

    /// The mean valence, if rated.
    #[inline]
    pub(crate) fn valence(&self) -> Option<f32> {
        (!self.valence.is_nan()).then_some(self.valence)
    }

    fn set_valence(&mut self, valence: Option<f32>) {
        self.valence = valence.unwrap_or(f32::NAN);
    }

    /// Says nothing: not worth keeping.
    fn is_blank(&self) -> bool {
        self.valence().is_none() && self.booster.is_none() && !self.negation && self.word == RuleWord::Other
    }
}

/// Word valences and emoji descriptions.
pub(crate) struct Lexicon {
    /// Lower-case word → its entry.
    words: WordMap<Entry>,
    /// How many words are rated.
    rated: usize,
    /// Single-code-point emoji → its description ("pouting face"). Emoji
    /// written as several code points (skin tones, flags, ZWJ sequences)
    /// are read one code point at a time, as the reference does, so only
    /// single-code-point keys are kept.
    emoji: FxMap<char, &'static str>,
    /// Emoji the overlay rates themselves (`"🔥" = 2.0` in
    /// `data/social.toml`): read as one token, the emoji, whose entry is
    /// the overlay's, rather than as the words of their description
    /// ("fire", which the lexicon rates -1.4). A handful at most.
    rated_emoji: Vec<char>,
    /// Lines of the embedded files that did not parse. Skipped rather than
    /// fatal, so a bad edit to the data cannot take the daemon down; a test
    /// checks that there are none.
    #[cfg_attr(not(test), allow(dead_code))]
    skipped_lines: usize,
}

impl Lexicon {
    /// Parses the embedded lexicons (about 0.5 MB; well under a
    /// millisecond in a release build).
    #[cfg(test)]
    pub(crate) fn embedded() -> Lexicon {
        Self::with_overlay(std::iter::empty())
    }

    /// The embedded lexicons with valences replaced: `Some(v)` rates the
    /// word `v`, `None` makes it unrated. Booster, negation and rule roles
    /// are kept.
    pub(crate) fn with_overlay<I>(overlay: I) -> Lexicon
    where
        I: IntoIterator<Item = (Cow<'static, str>, Option<f32>)>,
    {
        let mut skipped_lines = 0;
        let mut words: FxMap<Cow<'static, str>, Entry> =
            FxMap::with_capacity_and_hasher(8_192, BuildHasherDefault::default());
        for line in VADER_LEXICON.lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            match (fields.next(), fields.next().and_then(|v| v.parse::<f32>().ok())) {
                (Some(word), Some(valence)) if !word.is_empty() && valence.is_finite() => {
                    // Later lines win, as in the reference's dict build.
                    words.entry(Cow::Borrowed(word)).or_default().set_valence(Some(valence));
                }
                _ => skipped_lines += 1,
            }
        }
        let mut emoji = FxMap::with_capacity_and_hasher(2_048, BuildHasherDefault::default());
        for line in EMOJI_LEXICON.lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            match (fields.next(), fields.next()) {
                (Some(key), Some(description)) if !description.is_empty() => {
                    let mut chars = key.chars();
                    if let (Some(c), None) = (chars.next(), chars.next()) {
                        emoji.insert(c, description);
                    }
                }
                _ => skipped_lines += 1,
            }
        }
        for &(word, boost) in BOOSTERS {
            words.entry(Cow::Borrowed(word)).or_default().booster = Some(boost);
        }
        for &word in NEGATIONS {
            words.entry(Cow::Borrowed(word)).or_default().negation = true;
        }
        for &(word, rule_word) in RULE_WORDS {
            words.entry(Cow::Borrowed(word)).or_default().word = rule_word;
        }
        let mut rated_emoji = Vec::new();
        for (word, valence) in overlay {
            let mut chars = word.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                if emoji.contains_key(&c) && !rated_emoji.contains(&c) {
                    rated_emoji.push(c);
                }
            }
            words.entry(word).or_default().set_valence(valence);
        }
        for (word, entry) in words.iter_mut() {
            entry.negation |= contracted(word);
        }
        words.retain(|_, e| !e.is_blank());
        let rated = words.values().filter(|e| e.valence().is_some()).count();
        Lexicon { words: WordMap::new(words), rated, emoji, rated_emoji, skipped_lines }
    }

    /// Everything known about a lower-case token, in one lookup. Any
    /// "n't" contraction is a negation even when not listed.
    #[inline]
    pub(crate) fn entry(&self, lower: &str) -> Entry {
        self.words.get(lower).copied().unwrap_or_else(|| Entry::unknown(contracted(lower)))
    }

    /// [`Self::entry`] of the lower-case word packed in `key`; `apostrophe`:
    /// whether the word may hold one (else it cannot be a contraction).
    #[inline]
    pub(crate) fn entry_of_key(&self, key: WordKey, apostrophe: bool) -> Entry {
        match self.words.get_key(key) {
            Some(entry) => *entry,
            None => Entry::unknown(apostrophe && key.contracted()),
        }
    }

    /// The valence of a lower-case token, if the lexicon rates it.
    #[inline]
    pub(crate) fn valence(&self, lower: &str) -> Option<f32> {
        self.entry(lower).valence()
    }

    /// [`Self::valence`] of an ASCII word in any case.
    pub(crate) fn valence_any_case(&self, ascii: &str) -> Option<f32> {
        debug_assert!(ascii.is_ascii());
        match WordKey::of(ascii) {
            Some(key) => self.words.get_key(key.ascii_lowercase()).and_then(Entry::valence),
            None => self.valence(&ascii.to_ascii_lowercase()),
        }
    }

    /// The description of a single-code-point emoji.
    #[inline]
    pub(crate) fn emoji(&self, c: char) -> Option<&'static str> {
        // Every emoji in the file is outside ASCII: skip the hash for the
        // common case.
        if c.is_ascii() {
            return None;
        }
        self.emoji.get(&c).copied()
    }

    /// Whether emoji `c` is read as itself, rated by the overlay, rather
    /// than as its description's words.
    #[inline]
    pub(crate) fn rates_emoji(&self, c: char) -> bool {
        !self.rated_emoji.is_empty() && self.rated_emoji.contains(&c)
    }

    #[cfg(test)]
    pub(crate) fn word_count(&self) -> usize {
        self.rated
    }

    #[cfg(test)]
    pub(crate) fn emoji_count(&self) -> usize {
        self.emoji.len()
    }

    #[cfg(test)]
    pub(crate) fn skipped_lines(&self) -> usize {
        self.skipped_lines
    }

    #[cfg(test)]
    pub(crate) fn longest_probe(&self) -> usize {
        self.words.longest_probe()
    }
}

/// Whether `word` holds "n't": `str::contains` without its searcher set-up,
/// which costs more than the scan for a word of a few bytes.
#[inline]
fn contracted(word: &str) -> bool {
    word.as_bytes().windows(3).any(|w| w == b"n't")
}

impl fmt::Debug for Lexicon {
    // Thousands of entries: print their counts, not their contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lexicon").field("rated", &self.rated).field("emoji", &self.emoji.len()).finish()
    }
}

/// The multiply-rotate hash rustc uses (FxHash). The lexicon's keys are
/// fixed at build time, so hostile lookups cannot lengthen its probe
/// chains; SipHash's flood resistance buys nothing here and costs several
/// times more per token.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // Mix the length in so "a" and "a\0" differ.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The product's high bits depend on every input bit, its low bits
    /// only on the input's low bits; hashbrown picks the bucket from the
    /// low bits, so they are rotated in (as rustc-hash 2 does). Without it,
    /// words sharing their first bytes, and automaton edges sharing a word,
    /// all probe the same buckets.
    #[inline]
    fn finish(&self) -> u64 {
        self.hash.rotate_left(26)
    }
}
