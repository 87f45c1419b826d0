//! Watch-term matching: every brand's terms and exclude phrases compiled
//! once into an index of their first words (`matcher/word_index.rs`), so a
//! post costs about one hash probe per word, flat in the number of brands
//! and terms. The rare patterns without any word character (":-)", "<3")
//! go to a small Aho-Corasick automaton.
//!
//! Owns: which brands a text concerns and which of their terms hit. Pure:
//! no I/O, no allocation for a text that matches nothing (the normalised
//! copy, hits and excludes live in per-thread buffers). Per-brand boolean
//! queries, prefixes and languages are still to come (DESIGN.md); they
//! would be evaluated over these hits. Tests: `matcher/tests.rs`, and
//! `matcher/reference_tests.rs` against a naive reading of the rules.
//!
//! Matching rules:
//! - Case-insensitive for all of Unicode, and width- and compatibility-
//!   insensitive: terms and text are compared in the normal form of
//!   `matcher/normalize.rs` (NFKC, lower case, separator runs as one
//!   space). A text already in that form up to ASCII case and separator
//!   runs, the common case (all ASCII text is), is searched in place,
//!   folding ASCII case and reading a pattern's space as any separator
//!   run; any other text is searched in a normalised copy whose offsets
//!   are mapped back.
//! - Whole words only: no letter, digit, `_` or combining mark right
//!   before or after a hit. `@`, `#`, `'`, `-` and emoji are boundaries,
//!   so "acmeair" is found in "@acmeair", "#acmeair" and "acmeair's", and
//!   "@acmeair" is not found in "x@acmeair.com".
//! - A multi-word term matches across any run of whitespace and hyphens:
//!   "acme air" finds "Acme   Air", "acme\nair" and "ACME-AIR".
//! - Accents count: "acme" does not find "acmé" (nor "acme\u{301}", which
//!   is the same word decomposed).
//! - An exclude phrase vetoes the hits of its own brand's terms that it
//!   overlaps: with exclude "acme air show", "the acme air show was fun"
//!   does not match "acme air", but "acme air lost my bag, unlike the acme
//!   air show" does (the first hit stands).
//! - A term configured for two brands hits both. Terms that are equal in
//!   normal form are one term, reported in their first configured spelling.

mod normalize;
mod word_index;

#[cfg(test)]
mod reference_tests;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};

use self::normalize::{is_search_ready, is_word_char, normalize_pattern, NormalizedText, ReadyCheck};
use self::word_index::WordIndex;
use crate::config::Brand;
use crate::domain::BrandName;

/// One brand a text concerns, with the configured terms that hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandHit {
    pub brand: BrandName,
    /// Configured spellings, deduplicated, in config order.
    pub terms: Vec<String>,
}

/// One occurrence of a watch term, for highlighting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermHit<'m> {
    pub brand: &'m BrandName,
    /// The term as configured.
    pub term: &'m str,
    /// Byte range in the text as given (not in its normal form).
    pub span: Range<usize>,
}

/// The watch terms could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// The automaton of patterns without a word character would pass
    /// aho-corasick's size limits (about two billion states or patterns).
    #[error("watch terms too large to compile: {0}")]
    TooLarge(#[from] aho_corasick::BuildError),
}

/// All brands' terms and excludes, compiled.
pub struct Matcher {
    /// The patterns with a word character: nearly all of them.
    words: WordIndex,
    /// The patterns without one, with their pattern ids; `None` when there
    /// are none.
    symbols: Option<(AhoCorasick, Vec<u32>)>,
    /// What each pattern means: `roles[role_starts[p]..role_starts[p + 1]]`.
    roles: Vec<Role>,
    role_starts: Vec<u32>,
    brands: Vec<CompiledBrand>,
    spellings: Spellings,
    /// Some pattern without a word character has several parts (": )"),
    /// so the automaton needs separator runs collapsed in the text.
    symbols_span_separators: bool,
}

#[derive(Debug)]
struct CompiledBrand {
    name: BrandName,
    /// Its configured spellings, one per distinct normal form, in config
    /// order: `spellings[terms]`.
    terms: Range<u32>,
}

/// Every brand's term spellings in one buffer: 10,000 terms are two
/// allocations instead of 10,000 small ones the daemon keeps for its life.
#[derive(Debug, Default)]
struct Spellings {
    text: String,
    /// `text[ends[i - 1]..ends[i]]` is spelling `i`.
    ends: Vec<u32>,
}

impl Spellings {
    fn push(&mut self, spelling: &str) {
        self.text.push_str(spelling);
        self.ends.push(to_u32(self.text.len()));
    }

    fn len(&self) -> u32 {
        to_u32(self.ends.len())
    }

    fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// What a pattern is to one brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Term { brand: u32, term: u32 },
    Exclude { brand: u32 },
}

/// A term hit that survived word boundaries and excludes, in the searched
/// haystack's offsets until mapped back.
#[derive(Debug, Clone)]
struct Hit {
    brand: u32,
    term: u32,
    span: Range<usize>,
}

impl Matcher {
    /// Compiles the brands' terms and excludes.
    ///
    /// # Panics
    ///
    /// Only past aho-corasick's limits (about two billion states), which no
    /// config file reaches; [`Matcher::try_new`] returns that as an error.
    pub fn new(brands: &[Brand]) -> Self {
        Self::try_new(brands).expect("watch terms within aho-corasick's limits (billions of states)")
    }

    /// Compiles the brands' terms and excludes.
    ///
    /// # Errors
    ///
    /// [`MatcherError::TooLarge`] past aho-corasick's size limits.
    pub fn try_new(brands: &[Brand]) -> Result<Self, MatcherError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut pattern_roles: Vec<Vec<Role>> = Vec::new();
        let mut compiled = Vec::with_capacity(brands.len());
        let mut spellings = Spellings::default();
        let mut add = |normal: String, role: Role| {
            let id = *pattern_ids.entry(normal).or_insert_with_key(|normal| {
                patterns.push(normal.clone());
                pattern_roles.push(Vec::new());
                patterns.len() - 1
            });
            if !pattern_roles[id].contains(&role) {
                pattern_roles[id].push(role);
            }
        };
        for (b, brand) in brands.iter().enumerate() {
            let b = to_u32(b);
            let first = spellings.len();
            let mut normals: Vec<String> = Vec::new();
            for term in &brand.terms {
                let normal = normalize_pattern(term);
                if normal.is_empty() {
                    continue;
                }
                let t = match normals.iter().position(|n| *n == normal) {
                    Some(t) => t,
                    None => {
                        normals.push(normal.clone());
                        spellings.push(term);
                        normals.len() - 1
                    }
                };
                add(normal, Role::Term { brand: b, term: to_u32(t) });
            }
            for phrase in &brand.exclude {
                let normal = normalize_pattern(phrase);
                if !normal.is_empty() {
                    add(normal, Role::Exclude { brand: b });
                }
            }
            compiled.push(CompiledBrand { name: brand.name.clone(), terms: first..spellings.len() });
        }

        let has_word = |p: &str| p.chars().any(is_word_char);
        let words = WordIndex::new(
            patterns.iter().enumerate().filter(|(_, p)| has_word(p)).map(|(id, p)| (to_u32(id), p.as_str())),
        );
        let symbol_ids: Vec<u32> = (0..patterns.len()).filter(|&id| !has_word(&patterns[id])).map(to_u32).collect();
        let symbols_span_separators = symbol_ids.iter().any(|&id| patterns[id as usize].contains(' '));
        let symbols = if symbol_ids.is_empty() {
            None
        } else {
            // Standard semantics: the only kind that reports overlapping
            // matches, which ":-)" inside ":-))" needs.
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(symbol_ids.iter().map(|&id| &patterns[id as usize]))?;
            Some((automaton, symbol_ids))
        };
        let mut roles = Vec::with_capacity(pattern_roles.iter().map(Vec::len).sum());
        let mut role_starts = Vec::with_capacity(pattern_roles.len() + 1);
        for r in pattern_roles {
            role_starts.push(to_u32(roles.len()));
            roles.extend(r);
        }
        role_starts.push(to_u32(roles.len()));
        spellings.shrink_to_fit();
        Ok(Matcher { words, symbols, roles, role_starts, brands: compiled, spellings, symbols_span_separators })
    }

    /// How many distinct patterns (terms and excludes) were compiled.
    pub fn pattern_count(&self) -> usize {
        self.role_starts.len().saturating_sub(1)
    }

    /// The brands `text` concerns, in config order, each with the terms
    /// that hit and were not vetoed by an exclude.
    pub fn find(&self, text: &str) -> Vec<BrandHit> {
        with_scratch(|scratch| {
            self.search(text, scratch);
            let hits = &mut scratch.hits;
            if hits.is_empty() {
                return Vec::new();
            }
            hits.sort_unstable_by_key(|h| (h.brand, h.term));
            hits.dedup_by_key(|h| (h.brand, h.term));
            let mut out: Vec<BrandHit> = Vec::new();
            for hit in hits.iter() {
                let brand = &self.brands[hit.brand as usize];
                let term = self.spelling(brand, hit.term).to_string();
                match out.last_mut() {
                    Some(last) if last.brand == brand.name => last.terms.push(term),
                    _ => out.push(BrandHit { brand: brand.name.clone(), terms: vec![term] }),
                }
            }
            out
        })
    }

    /// Every occurrence of a term that counts (boundaries and excludes
    /// applied), in text order, with byte ranges in `text`.
    pub fn find_spans(&self, text: &str) -> Vec<TermHit<'_>> {
        with_scratch(|scratch| {
            let normalized = self.search(text, scratch);
            let hits = &mut scratch.hits;
            if normalized {
                for hit in hits.iter_mut() {
                    let normal = &scratch.normal;
                    hit.span = normal.original_start(hit.span.start)..normal.original_end(hit.span.end);
                }
            }
            hits.sort_by_key(|h| (h.span.start, h.span.end, h.brand, h.term));
            hits.iter()
                .map(|h| {
                    let brand = &self.brands[h.brand as usize];
                    TermHit { brand: &brand.name, term: self.spelling(brand, h.term), span: h.span.clone() }
                })
                .collect()
        })
    }

    /// A brand's `term`-th spelling.
    fn spelling(&self, brand: &CompiledBrand, term: u32) -> &str {
        self.spellings.get(brand.terms.start + term)
    }

    /// Fills `scratch.hits` with the surviving term hits, in the offsets of
    /// the searched haystack; true when that was the normalised copy in
    /// `scratch.normal`.
    fn search(&self, text: &str, scratch: &mut Scratch) -> bool {
        let Scratch { normal, hits, excludes, max_end } = scratch;
        hits.clear();
        excludes.clear();
        if self.roles.is_empty() {
            return false;
        }
        // In place when the text allows it, checked while searching
        // (all-ASCII text always does, unless the symbol automaton needs
        // separator runs collapsed); else in a normalised copy.
        let in_place = {
            let mut record = |p: u32, span: Range<usize>| self.record(p, span, hits, excludes);
            if self.symbols_span_separators {
                is_search_ready(text, true) && self.words.find(text, |_, _| true, &mut record)
            } else if text.is_ascii() {
                self.words.find(text, |_, _| true, &mut record)
            } else {
                let mut check = ReadyCheck::default();
                self.words.find(text, |c, at| check.accept(c, at), &mut record)
            }
        };
        if !in_place {
            // What an interrupted in-place search found is found again.
            hits.clear();
            excludes.clear();
            normal.refill(text);
        }
        let haystack = if in_place { text } else { normal.text.as_str() };
        let mut record = |p: u32, span: Range<usize>| self.record(p, span, hits, excludes);
        if !in_place {
            self.words.find(haystack, |_, _| true, &mut record);
        }
        if let Some((automaton, ids)) = &self.symbols {
            for m in automaton.find_overlapping_iter(haystack) {
                if is_whole_word(haystack, m.start(), m.end()) {
                    record(ids[m.pattern().as_usize()], m.range());
                }
            }
        }
        if !hits.is_empty() && !excludes.is_empty() {
            let vetoes = Vetoes::new(excludes, max_end);
            hits.retain(|h| !vetoes.covers(h.brand, &h.span));
        }
        !in_place
    }

    /// Records an occurrence of pattern `p` as what it is to each brand.
    fn record(&self, p: u32, span: Range<usize>, hits: &mut Vec<Hit>, excludes: &mut Vec<(u32, Range<usize>)>) {
        let p = p as usize;
        for role in &self.roles[self.role_starts[p] as usize..self.role_starts[p + 1] as usize] {
            match *role {
                Role::Term { brand, term } => hits.push(Hit { brand, term, span: span.clone() }),
                Role::Exclude { brand } => excludes.push((brand, span.clone())),
            }
        }
    }
}

impl fmt::Debug for Matcher {
    // Thousands of patterns: print their counts, not their contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("brands", &self.brands.iter().map(|b| b.name.as_str()).collect::<Vec<_>>())
            .field("patterns", &self.pattern_count())
            .field("first_words", &self.words.anchor_count())
            .field("symbol_patterns", &self.symbols.as_ref().map_or(0, |(_, ids)| ids.len()))
            .finish()
    }
}

/// Per-thread buffers for [`Matcher::search`], so a text allocates only
/// for what it returns.
#[derive(Default)]
struct Scratch {
    normal: NormalizedText,
    hits: Vec<Hit>,
    excludes: Vec<(u32, Range<usize>)>,
    max_end: Vec<usize>,
}

/// Buffers past this are released after use, so one huge text does not
/// keep its copy alive in every thread.
const SCRATCH_KEPT_BYTES: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let out = f(&mut scratch);
            if scratch.normal.text.capacity() > SCRATCH_KEPT_BYTES {
                scratch.normal.shrink_to(SCRATCH_KEPT_BYTES);
            }
            let kept_hits = SCRATCH_KEPT_BYTES / std::mem::size_of::<Hit>();
            if scratch.hits.capacity() > kept_hits {
                scratch.hits.shrink_to(kept_hits);
                scratch.excludes.shrink_to(kept_hits);
                scratch.max_end.shrink_to(kept_hits);
            }
            out
        }
        // Only if a search ever ran inside another on this thread.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// No word character touches `start..end` on either side.
fn is_whole_word(haystack: &str, start: usize, end: usize) -> bool {
    // Matches of valid UTF-8 patterns in valid UTF-8 fall on character
    // boundaries; `get` keeps a surprise from becoming a panic.
    let (Some(before), Some(after)) = (haystack.get(..start), haystack.get(end..)) else {
        return false;
    };
    !before.chars().next_back().is_some_and(is_word_char) && !after.chars().next().is_some_and(is_word_char)
}

/// Exclude occurrences, sorted for overlap queries in O(log n).
struct Vetoes<'s> {
    /// (brand, span), sorted by brand then start.
    spans: &'s [(u32, Range<usize>)],
    /// `max_end[i]`: the largest end among this brand's spans up to `i`.
    max_end: &'s [usize],
}

impl<'s> Vetoes<'s> {
    fn new(spans: &'s mut [(u32, Range<usize>)], max_end: &'s mut Vec<usize>) -> Self {
        spans.sort_unstable_by_key(|(brand, span)| (*brand, span.start));
        max_end.clear();
        for (i, (brand, span)) in spans.iter().enumerate() {
            let prev = (i > 0 && spans[i - 1].0 == *brand).then(|| max_end[i - 1]);
            max_end.push(prev.map_or(span.end, |m: usize| m.max(span.end)));
        }
        Vetoes { spans, max_end }
    }

    /// Whether one of `brand`'s exclude spans overlaps `span`.
    fn covers(&self, brand: u32, span: &Range<usize>) -> bool {
        let lo = self.spans.partition_point(|(b, _)| *b < brand);
        let hi = self.spans.partition_point(|(b, _)| *b <= brand);
        // Spans of this brand that start before the hit ends...
        let upto = lo + self.spans[lo..hi].partition_point(|(_, s)| s.start < span.end);
        // ...overlap it if one of them ends after it starts.
        upto > lo && self.max_end[upto - 1] > span.start
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 brands, terms and roles (the automaton's own limit is 2^31)")
}
