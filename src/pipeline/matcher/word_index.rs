//! The patterns that contain a word character, indexed by their first word
//! (their anchor), so a text is searched with one hash probe per word,
//! whatever the number of patterns.
//!
//! Owns: finding every occurrence of those patterns in a haystack that is
//! in normal form up to ASCII case and separator runs. Since hits are whole
//! words, an occurrence's anchor is exactly one of the text's maximal runs
//! of word characters: the text is read once, each word hashed with its
//! ASCII case folded as it is read, and only a word that is some pattern's
//! anchor costs more. Its candidates are then checked around it: the
//! non-word characters the pattern has before its anchor ("@", "#"), what
//! it has after (more words, a pattern space standing for any run of
//! separators), and the word boundaries at both ends. Knows nothing about
//! brands, roles or excludes. Tests: `tests.rs` and `reference_tests.rs`
//! in this folder.

use std::collections::HashMap;
use std::ops::Range;

use super::normalize::{is_ascii_separator, is_ascii_word_byte, is_separator, is_word_char};

/// Anchors, their candidate patterns, and an open-addressing table over
/// the anchors.
pub(super) struct WordIndex {
    /// Every indexed pattern's normal form, one after the other.
    arena: String,
    patterns: Vec<IndexedPattern>,
    anchors: Vec<Anchor>,
    /// Indices into `patterns`, grouped by anchor.
    candidates: Vec<u32>,
    /// Power-of-two table, at most half full.
    slots: Vec<Slot>,
    /// `64 - log2(slots.len())`: a hash's slot is its top bits.
    shift: u32,
    /// Words longer than every anchor are not looked up.
    longest_anchor: usize,
    filter: Filter,
}

/// A pattern as stored: `arena[start..end]`, its anchor at
/// `arena[anchor_start..anchor_end]`.
struct IndexedPattern {
    id: u32,
    start: u32,
    anchor_start: u32,
    anchor_end: u32,
    end: u32,
}

struct Anchor {
    hash: u64,
    /// The anchor word, `arena[word]`.
    word: Range<u32>,
    /// Its patterns, `candidates[candidates]`.
    candidates: Range<u32>,
}

#[derive(Clone, Copy)]
struct Slot {
    /// Bits of the hash below those that pick the slot, so most probes
    /// that land on another anchor are told apart without reading it.
    tag: u32,
    anchor: u32,
}

const EMPTY: u32 = u32::MAX;

impl WordIndex {
    /// Indexes `(id, normal form)` pairs; each normal form must contain a
    /// word character and must not start or end with a space.
    pub(super) fn new<'p>(patterns: impl IntoIterator<Item = (u32, &'p str)>) -> WordIndex {
        let patterns: Vec<(u32, &str)> = patterns.into_iter().collect();
        // Sized exactly: the index lives as long as the daemon.
        let mut arena = String::with_capacity(patterns.iter().map(|(_, p)| p.len()).sum());
        let mut indexed = Vec::with_capacity(patterns.len());
        let mut by_anchor: HashMap<&str, Vec<u32>> = HashMap::new();
        for &(id, pattern) in &patterns {
            let anchor = first_word(pattern).expect("indexed patterns have a word character");
            let start = arena.len();
            arena.push_str(pattern);
            indexed.push(IndexedPattern {
                id,
                start: offset(start),
                anchor_start: offset(start + anchor.start),
                anchor_end: offset(start + anchor.end),
                end: offset(arena.len()),
            });
            by_anchor.entry(&pattern[anchor]).or_default().push(offset(indexed.len() - 1));
        }

        let mut anchors = Vec::with_capacity(by_anchor.len());
        let mut candidates = Vec::with_capacity(indexed.len());
        // Config order, so a text's hits come out in the same order on every run.
        let mut words: Vec<(&str, Vec<u32>)> = by_anchor.into_iter().collect();
        words.sort_unstable_by_key(|(_, c)| c[0]);
        for (word, ids) in words {
            let p = &indexed[ids[0] as usize];
            let first = offset(candidates.len());
            candidates.extend(ids);
            anchors.push(Anchor {
                hash: hash_word(word.as_bytes()),
                word: p.anchor_start..p.anchor_end,
                candidates: first..offset(candidates.len()),
            });
        }

        let size = (anchors.len() * 2).next_power_of_two().max(16);
        let shift = 64 - size.trailing_zeros();
        let mut slots = vec![Slot { tag: 0, anchor: EMPTY }; size];
        for (a, anchor) in anchors.iter().enumerate() {
            let mut s = slot_of(anchor.hash, shift);
            while slots[s].anchor != EMPTY {
                s = (s + 1) & (size - 1);
            }
            slots[s] = Slot { tag: tag_of(anchor.hash), anchor: offset(a) };
        }
        let longest_anchor = anchors.iter().map(|a| a.word.len()).max().unwrap_or(0);
        let filter = Filter::new(anchors.iter().map(|a| a.hash));
        WordIndex { arena, patterns: indexed, anchors, candidates, slots, shift, longest_anchor, filter }
    }

    /// How many distinct first words the patterns have.
    pub(super) fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    /// Calls `on_match(id, span)` for every occurrence of an indexed
    /// pattern in `haystack` with no word character right before or after
    /// it, in the order of the anchors in the text. Each non-ASCII
    /// character is shown to `keep_going` with its offset, once, in order;
    /// when it says no, the search stops and returns false.
    pub(super) fn find(
        &self,
        haystack: &str,
        mut keep_going: impl FnMut(char, usize) -> bool,
        mut on_match: impl FnMut(u32, Range<usize>),
    ) -> bool {
        let bytes = haystack.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            // Between words.
            let start = at;
            let mut hash = WordHash::default();
            match WORD_BYTES[usize::from(bytes[at])] {
                NOT_WORD => {
                    at += 1;
                    continue;
                }
                NOT_ASCII => {
                    let c = char_at(haystack, at);
                    if !keep_going(c, at) {
                        return false;
                    }
                    at += c.len_utf8();
                    if !is_word_char(c) {
                        continue;
                    }
                    hash.push_all(&bytes[start..at]);
                }
                lower => {
                    hash.push(lower);
                    at += 1;
                }
            }
            // In a word: the rest of it.
            let mut end = bytes.len();
            while let Some(&b) = bytes.get(at) {
                match WORD_BYTES[usize::from(b)] {
                    NOT_WORD => {
                        end = at;
                        at += 1;
                        break;
                    }
                    NOT_ASCII => {
                        let c = char_at(haystack, at);
                        if !keep_going(c, at) {
                            return false;
                        }
                        let next = at + c.len_utf8();
                        if !is_word_char(c) {
                            end = at;
                            at = next;
                            break;
                        }
                        hash.push_all(&bytes[at..next]);
                        at = next;
                    }
                    lower => {
                        hash.push(lower);
                        at += 1;
                    }
                }
            }
            if end - start > self.longest_anchor {
                continue;
            }
            let hash = hash.finish();
            if self.filter.may_contain(hash) {
                if let Some(anchor) = self.lookup(hash, &bytes[start..end]) {
                    self.verify(anchor, haystack, start..end, &mut on_match);
                }
            }
        }
        true
    }

    /// The anchor equal to `word` up to ASCII case.
    fn lookup(&self, hash: u64, word: &[u8]) -> Option<&Anchor> {
        let mask = self.slots.len() - 1;
        let tag = tag_of(hash);
        let mut s = slot_of(hash, self.shift);
        loop {
            let slot = self.slots[s];
            if slot.anchor == EMPTY {
                return None;
            }
            if slot.tag == tag {
                let anchor = &self.anchors[slot.anchor as usize];
                if self.arena.as_bytes()[range(&anchor.word)].eq_ignore_ascii_case(word) {
                    return Some(anchor);
                }
            }
            s = (s + 1) & mask;
        }
    }

    /// Reports the candidates of `anchor` that occur around the text word
    /// at `word`.
    fn verify(
        &self,
        anchor: &Anchor,
        haystack: &str,
        word: Range<usize>,
        on_match: &mut impl FnMut(u32, Range<usize>),
    ) {
        let arena = self.arena.as_bytes();
        for &p in &self.candidates[range(&anchor.candidates)] {
            let p = &self.patterns[p as usize];
            let before = &arena[p.start as usize..p.anchor_start as usize];
            let after = &arena[p.anchor_end as usize..p.end as usize];
            // The text word is maximal: with nothing before or after the
            // anchor, its boundary on that side already holds.
            let start = if before.is_empty() {
                Some(word.start)
            } else {
                match_backward(before, haystack, word.start).filter(|&s| !word_char_before(haystack, s))
            };
            let Some(start) = start else { continue };
            let end = if after.is_empty() {
                Some(word.end)
            } else {
                match_forward(after, haystack, word.end).filter(|&e| !word_char_after(haystack, e))
            };
            if let Some(end) = end {
                on_match(p.id, start..end);
            }
        }
    }
}

/// The first maximal run of word characters in `pattern`.
fn first_word(pattern: &str) -> Option<Range<usize>> {
    let (start, _) = pattern.char_indices().find(|&(_, c)| is_word_char(c))?;
    let len = pattern[start..].find(|c| !is_word_char(c)).unwrap_or(pattern.len() - start);
    Some(start..start + len)
}

/// The end of `pattern` matched in `haystack` from `at`, ASCII case folded,
/// a space in the pattern standing for a whole run of separators.
fn match_forward(pattern: &[u8], haystack: &str, mut at: usize) -> Option<usize> {
    let bytes = haystack.as_bytes();
    for &p in pattern {
        if p == b' ' {
            let after = skip_separators(haystack, at);
            if after == at {
                return None;
            }
            at = after;
        } else if bytes.get(at).is_some_and(|b| b.to_ascii_lowercase() == p) {
            // A pattern character's bytes matched from a character boundary
            // end on one: UTF-8 lead and continuation bytes differ.
            at += 1;
        } else {
            return None;
        }
    }
    Some(at)
}

/// [`match_forward`] leftwards: the start of `pattern` ending at `at`.
fn match_backward(pattern: &[u8], haystack: &str, mut at: usize) -> Option<usize> {
    let bytes = haystack.as_bytes();
    for &p in pattern.iter().rev() {
        if p == b' ' {
            let before = skip_separators_back(haystack, at);
            if before == at {
                return None;
            }
            at = before;
        } else if at > 0 && bytes[at - 1].to_ascii_lowercase() == p {
            at -= 1;
        } else {
            return None;
        }
    }
    Some(at)
}

/// The end of the run of separators starting at `at`.
fn skip_separators(haystack: &str, mut at: usize) -> usize {
    let bytes = haystack.as_bytes();
    while let Some(&b) = bytes.get(at) {
        if b.is_ascii() {
            if !is_ascii_separator(b) {
                break;
            }
            at += 1;
        } else {
            let c = char_at(haystack, at);
            if !is_separator(c) {
                break;
            }
            at += c.len_utf8();
        }
    }
    at
}

/// The start of the run of separators ending at `at`.
fn skip_separators_back(haystack: &str, mut at: usize) -> usize {
    while let Some(c) = haystack[..at].chars().next_back() {
        if !is_separator(c) {
            break;
        }
        at -= c.len_utf8();
    }
    at
}

fn word_char_before(haystack: &str, at: usize) -> bool {
    match haystack.as_bytes()[..at].last() {
        None => false,
        Some(&b) if b.is_ascii() => is_ascii_word_byte(b),
        Some(_) => haystack[..at].chars().next_back().is_some_and(is_word_char),
    }
}

fn word_char_after(haystack: &str, at: usize) -> bool {
    match haystack.as_bytes().get(at) {
        None => false,
        Some(&b) if b.is_ascii() => is_ascii_word_byte(b),
        Some(_) => is_word_char(char_at(haystack, at)),
    }
}

/// The character at byte `at`, a character boundary before the end.
fn char_at(haystack: &str, at: usize) -> char {
    haystack[at..].chars().next().expect("a character boundary before the end")
}

/// `WORD_BYTES[b]`: an ASCII word byte's lower case, [`NOT_WORD`] for the
/// other ASCII bytes, [`NOT_ASCII`] for the bytes of longer characters.
static WORD_BYTES: [u8; 256] = word_bytes();
const NOT_WORD: u8 = 0;
const NOT_ASCII: u8 = 0x80;

const fn word_bytes() -> [u8; 256] {
    let mut table = [NOT_WORD; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if !byte.is_ascii() {
            NOT_ASCII
        } else if byte.is_ascii_alphanumeric() || byte == b'_' {
            byte.to_ascii_lowercase()
        } else {
            NOT_WORD
        };
        b += 1;
    }
    table
}

/// A word's hash, built as it is read: each byte rotated into a 64-bit
/// lane accumulator (one cheap step per byte, exact for words up to eight
/// bytes), then one FxHash multiply, whose top bits depend on every bit.
#[derive(Default)]
struct WordHash {
    lanes: u64,
    len: u64,
}

impl WordHash {
    fn push(&mut self, byte: u8) {
        self.lanes = self.lanes.rotate_left(8) ^ u64::from(byte);
        self.len += 1;
    }

    /// Bytes of a character outside ASCII: no case to fold.
    fn push_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }

    fn finish(&self) -> u64 {
        (self.lanes ^ self.len.rotate_right(8)).wrapping_mul(0x517c_c1b7_2722_0a95)
    }
}

fn hash_word(word: &[u8]) -> u64 {
    let mut hash = WordHash::default();
    for &b in word {
        hash.push(b.to_ascii_lowercase());
    }
    hash.finish()
}

/// One bit per hash of a few of its top bits, sized to stay in the first
/// level cache: most words are no anchor and stop here, without touching
/// the larger table.
struct Filter {
    bits: Vec<u64>,
    shift: u32,
}

impl Filter {
    fn new(hashes: impl ExactSizeIterator<Item = u64>) -> Filter {
        // About 16 bits per anchor (a few percent of misses pass), at most
        // 16 KiB.
        let size = (hashes.len() * 16).next_power_of_two().clamp(64, 1 << 17);
        let mut filter = Filter { bits: vec![0; size / 64], shift: 64 - size.trailing_zeros() };
        for hash in hashes {
            let (word, bit) = filter.position(hash);
            filter.bits[word] |= bit;
        }
        filter
    }

    fn position(&self, hash: u64) -> (usize, u64) {
        // Bits just below those that pick a slot: independent of them.
        let at = ((hash << 20) >> self.shift) as usize;
        (at / 64, 1 << (at % 64))
    }

    fn may_contain(&self, hash: u64) -> bool {
        let (word, bit) = self.position(hash);
        self.bits[word] & bit != 0
    }
}

/// The top bits of the product depend on every byte: they pick the slot.
fn slot_of(hash: u64, shift: u32) -> usize {
    (hash >> shift) as usize
}

fn tag_of(hash: u64) -> u32 {
    (hash >> 16) as u32
}

fn range(r: &Range<u32>) -> Range<usize> {
    r.start as usize..r.end as usize
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("watch terms under 4 GiB")
}
