//! Phrase patterns, compiled once into one word-level Aho-Corasick
//! automaton.
//!
//! Owns: the pattern syntax documented at the top of `data/cues.toml`
//! (alternatives `{a|b}`, gaps `..`/`...`, `.`, `<dur>`, `<num>` and
//! macros), its expansion into literal phrases, and finding every pattern
//! in a [`MatchText`] in one pass over its words. Words are interned as
//! ids once; each alternative is tokenised once and phrases are built by
//! joining id sequences, so a large data file compiles in milliseconds.
//! The automaton steps word by word (one hash lookup per step), so a post
//! costs time linear in its words, whatever the data. Each pattern carries
//! a caller's tag (a cue category, a topic, politeness...); what a hit
//! means is the caller's business. A pattern with gaps is compiled as its
//! parts, and the parts' hits are chained after the scan. Expansion is
//! capped per pattern. Tests: `scorer/tests/text.rs`.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::text::{is_duration_word, Kind, MatchText, DUR_MARK, NUM_MARK};
use crate::pipeline::sentiment::{FxHasher, WordMap};

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Most literal phrases one pattern may expand to.
pub(crate) const MAX_EXPANSIONS: usize = 20_000;
/// Words a `..` gap may skip; `...` skips twice as many.
pub(crate) const GAP: u8 = 3;

/// Word ids with a fixed meaning; interned words start after them.
const UNKNOWN: u32 = 0;
const NUM: u32 = 1;
const DUR: u32 = 2;
const BREAK: u32 = 3;
const FIRST_WORD: u32 = 4;

/// One pattern found in a text: tokens `first..=last` of the
/// [`MatchText`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) tag: u32,
    pub(crate) first: u32,
    pub(crate) last: u32,
    /// A negation word stands in one of the pattern's gaps ("the app
    /// isn't down" for "<service> .. down").
    pub(crate) negated_gap: bool,
}

/// A compiled pattern: its parts, in order, and the largest gap after each.
#[derive(Debug)]
struct Pattern {
    tag: u32,
    parts: u8,
    gaps: Vec<u8>,
}

/// Collects patterns, then builds the automaton.
#[derive(Debug, Default)]
pub(crate) struct BookBuilder {
    vocab: FxMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    /// A word string of a pattern → its ids, tokenised once.
    tokenised: FxMap<String, Vec<u32>>,
    literals: FxMap<Vec<u32>, u32>,
    /// Per literal: the (pattern, part) pairs it stands for.
    uses: Vec<Vec<(u32, u8)>>,
    patterns: Vec<Pattern>,
    negations: Vec<u32>,
}

/// Every pattern's literals in one automaton over word ids.
#[derive(Debug)]
pub(crate) struct Phrasebook {
    vocab: WordMap<u32>,
    /// Ids of the negation words, for [`Hit::negated_gap`].
    negations: Vec<u32>,
    /// The transitions out of every state but the root: state `s`'s are
    /// `edges[edge_from[s]..edge_from[s + 1]]`, (word, next state) sorted
    /// by word. Sized to its entries: a hash map of the same 60,000 edges
    /// took 2 MiB of an idle daemon's memory, this takes under 0.7.
    edge_from: Vec<u32>,
    edges: Vec<(u32, u32)>,
    /// The root's transitions by word id (0: none), looked up without
    /// hashing: after a miss every scan restarts at the root, so most
    /// steps are taken from it.
    root: Vec<u32>,
    /// Per word id: whether some literal has the word after its first
    /// word. From any other state, a word that is not leads where it
    /// leads from the root (every failure chain ends there), so most
    /// steps skip the search in `edges`.
    inner: Vec<bool>,
    fail: Vec<u32>,
    /// Per state: the next state on its failure chain that ends a literal.
    output_link: Vec<u32>,
    /// Per state: the literals ending there, `outputs[output_from[s]..
    /// output_from[s + 1]]`.
    output_from: Vec<u32>,
    outputs: Vec<u32>,
    /// Per literal: what a scan needs when it ends, side by side (one
    /// cache line per literal found, where five arrays took five), and
    /// one more at the end that closes the last one's ranges.
    literals: Vec<Literal>,
    /// What literals stand for, from each literal's [`Literal::later_from`] to the next one's.
    later: Vec<Use>,
    /// The patterns literals start, from each literal's [`Literal::starts_from`] to the next one's.
    starts: Vec<u32>,
    /// The distinct sets of pattern bits literals name, each kept once:
    /// tens of thousands of literals share a few hundred sets, and 16
    /// bytes or more per literal stayed resident in an idle daemon.
    bit_sets: Vec<u128>,
    patterns: Vec<Pattern>,
    /// The numbers literals spell out ("section 75", "eu261"), by
    /// literal: the automaton steps on any number there, and a literal
    /// marked [`NUMBERS`] counts only when its numbers are the post's.
    numbers: Vec<NumberCheck>,
}

/// A number a literal spells out: the token at `offset` must be written
/// `digits`.
#[derive(Debug)]
struct NumberCheck {
    lit: u32,
    offset: u8,
    digits: Box<str>,
}

/// One literal phrase of the automaton. Packed to 13 bytes (tens of
/// thousands stay resident in an idle daemon); its fields are only ever
/// copied out. Its ranges end where the next literal's begin.
#[derive(Debug, Clone, Copy)]
#[repr(C, packed)]
struct Literal {
    /// What it stands for other than the first part of a pattern with
    /// gaps (a whole pattern, or a later part), in data order, from here
    /// in [`Phrasebook::later`].
    later_from: u32,
    /// The patterns with gaps it starts, ascending, from here in
    /// [`Phrasebook::starts`]. A start is only remembered as an occurrence
    /// of the literal; the patterns are looked up when a second part turns
    /// up, so a common first word ("my", "i") costs one push, not one per
    /// pattern it starts.
    starts_from: u32,
    /// The [`pattern_bit`]s of the patterns it is a later part of, as an
    /// index into `bit_sets`, with [`WHOLE`] set when it is a whole
    /// pattern too. A later part waits for something only if its pattern
    /// started, so most literals' uses need not be visited.
    later_bits: u16,
    /// The [`pattern_bit`]s of the patterns it starts, as an index into
    /// `bit_sets`.
    start_bits: u16,
    /// Its words.
    length: u8,
}

const _: () = assert!(std::mem::size_of::<Literal>() == 13);

/// In [`Literal::later_bits`]: the literal is a whole pattern.
const WHOLE: u16 = 1 << 15;
/// In [`Literal::start_bits`]: the literal spells out a number
/// ([`Phrasebook::numbers`]).
const NUMBERS: u16 = 1 << 15;

/// [`Phrasebook::bit_sets`] as it is built: each set once.
#[derive(Default)]
struct BitSets {
    sets: Vec<u128>,
    index: std::collections::HashMap<u128, u16>,
}

impl BitSets {
    /// The index of `bits`, added if new.
    fn index(&mut self, bits: u128) -> u16 {
        *self.index.entry(bits).or_insert_with(|| {
            self.sets.push(bits);
            let at = self.sets.len() - 1;
            assert!(at < usize::from(WHOLE), "at most 32,767 distinct sets of pattern bits");
            at as u16
        })
    }
}

impl BookBuilder {
    /// The words that negate: a hit with one in a gap is marked.
    pub(crate) fn set_negations<'w>(&mut self, words: impl IntoIterator<Item = &'w str>) {
        for w in words {
            let id = self.intern(w);
            self.negations.push(id);
        }
    }

    /// Adds `pattern` with `tag`. `macros` maps `<name>` to its text.
    pub(crate) fn add(&mut self, pattern: &str, macros: &HashMap<String, String>, tag: u32) -> Result<(), String> {
        let text = expand_macros(pattern, macros)?;
        let parts = split_products(split_parts(&text)?);
        if parts.len() > usize::from(u8::MAX) {
            return Err(format!("{pattern:?}: too many gaps"));
        }
        let id = self.patterns.len() as u32;
        let mut gaps = Vec::with_capacity(parts.len());
        for (index, (nodes, gap)) in parts.iter().enumerate() {
            let phrases = self.expand(nodes)?;
            let mut any = false;
            for phrase in phrases {
                let phrase = self.settle_durations(phrase);
                if phrase.is_empty() || phrase.len() > usize::from(u8::MAX) {
                    continue;
                }
                any = true;
                let next = self.uses.len() as u32;
                let lit = *self.literals.entry(phrase).or_insert(next);
                if lit == next {
                    self.uses.push(Vec::new());
                }
                let uses = &mut self.uses[lit as usize];
                if !uses.contains(&(id, index as u8)) {
                    uses.push((id, index as u8));
                }
            }
            if !any {
                return Err(format!("{pattern:?}: a part of the pattern has no words"));
            }
            gaps.push(*gap);
        }
        self.patterns.push(Pattern { tag, parts: parts.len() as u8, gaps });
        Ok(())
    }

    fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.vocab.get(word) {
            return id;
        }
        let id = FIRST_WORD + self.names.len() as u32;
        self.vocab.insert(word.into(), id);
        self.names.push(word.into());
        id
    }

    /// The ids of one pattern word (or phrase), tokenised like a post;
    /// durations are read later, over whole phrases
    /// ([`Self::settle_durations`]).
    fn ids(&mut self, words: &str) -> Vec<u32> {
        if let Some(ids) = self.tokenised.get(words) {
            return ids.clone();
        }
        let ids = self.tokenise(words, false);
        self.tokenised.insert(words.to_string(), ids.clone());
        ids
    }

    fn tokenise(&mut self, words: &str, durations: bool) -> Vec<u32> {
        let text = if durations { MatchText::pattern(words) } else { MatchText::pattern_words(words) };
        let last = text.tokens.len().saturating_sub(1);
        let trimmed = words.trim();
        let (starts, ends) = (trimmed.starts_with(['.', '!', '?']), trimmed.ends_with(['.', '!', '?']));
        let mut ids = Vec::with_capacity(last);
        for i in 0..text.tokens.len() {
            let kind = text.tokens[i].kind;
            // MatchText frames the words with breaks; keep only the
            // pattern's own ("." written in the pattern).
            if kind == Kind::Break && ((i == 0 && !starts) || (i == last && !ends)) {
                continue;
            }
            ids.push(match kind {
                // A number written in a pattern ("section 75") is that
                // number: interned as its digits, which no word token
                // spells, and checked when found ([`Phrasebook::numbers`]).
                Kind::Num => match text.digits(i) {
                    Some(digits) => {
                        let name = format!("{NUMBER_PREFIX}{digits}");
                        self.intern(&name)
                    }
                    None => NUM,
                },
                Kind::Dur => DUR,
                Kind::Break => BREAK,
                Kind::Word | Kind::Emoji => {
                    let w = text.word(i).to_string();
                    self.intern(&w)
                }
            });
        }
        ids.dedup_by(|a, b| *a == BREAK && *b == BREAK);
        ids
    }

    /// A phrase joined from separately tokenised words may spell a
    /// duration across them ("{two|three} {days|weeks}"): tokenise it again
    /// as a whole, as a post would be.
    fn settle_durations(&mut self, phrase: Vec<u32>) -> Vec<u32> {
        let sensitive =
            phrase.iter().any(|&id| id >= FIRST_WORD && is_duration_word(&self.names[(id - FIRST_WORD) as usize]));
        if !sensitive {
            return phrase;
        }
        let mut text = String::new();
        for &id in &phrase {
            if !text.is_empty() {
                text.push(' ');
            }
            match id {
                NUM => text.push(NUM_MARK),
                DUR => text.push(DUR_MARK),
                BREAK => text.push('.'),
                _ => text.push_str(&self.names[(id - FIRST_WORD) as usize]),
            }
        }
        self.tokenise(&text, true)
    }

    /// Every phrase a sequence of elements spells, as word ids: the product
    /// of its groups' alternatives.
    fn expand(&mut self, nodes: &[Node]) -> Result<Vec<Vec<u32>>, String> {
        let mut phrases: Vec<Vec<u32>> = vec![Vec::new()];
        for node in nodes {
            let options: Vec<Vec<u32>> = match node {
                Node::Word(w) => vec![self.ids(w)],
                Node::Group(alternatives) => {
                    let mut all = Vec::new();
                    for alternative in alternatives {
                        if alternative.is_empty() {
                            all.push(Vec::new());
                        } else {
                            all.extend(self.expand(alternative)?);
                        }
                    }
                    all
                }
            };
            if phrases.len() * options.len() > MAX_EXPANSIONS {
                return Err(format!("pattern expands to more than {MAX_EXPANSIONS} phrases"));
            }
            let mut next = Vec::with_capacity(phrases.len() * options.len());
            for phrase in &phrases {
                for option in &options {
                    let mut p = phrase.clone();
                    p.extend_from_slice(option);
                    next.push(p);
                }
            }
            phrases = next;
        }
        phrases.sort_unstable();
        phrases.dedup();
        Ok(phrases)
    }

    pub(crate) fn build(self) -> Phrasebook {
        let mut by_id: Vec<Vec<u32>> = vec![Vec::new(); self.uses.len()];
        for (phrase, lit) in self.literals {
            by_id[lit as usize] = phrase;
        }
        let lengths: Vec<u8> = by_id.iter().map(|p| p.len() as u8).collect();
        // The trie: edges in `goto` (a map, for building only) and, for
        // the walk below, in `edges` (parent, word, child). Children are
        // created after their parent, so sorting edges by child visits
        // states breadth first enough: every state's failure target is
        // shallower, hence done before it.
        let mut goto: FxMap<u64, u32> = FxMap::with_capacity_and_hasher(by_id.len() * 2, Default::default());
        let mut edges: Vec<(u32, u32, u32)> = Vec::with_capacity(by_id.len() * 2);
        let mut depth: Vec<u8> = vec![0];
        // Per state: its first literal; literals ending at one state chain
        // through `next_own`.
        let mut first_own: Vec<u32> = vec![NONE];
        let mut next_own: Vec<u32> = vec![NONE; by_id.len()];
        let mut numbers = Vec::new();
        for (lit, phrase) in by_id.iter().enumerate() {
            let mut state = 0u32;
            for (offset, &w) in phrase.iter().enumerate() {
                // A written number steps like any number; the literal is
                // checked for it when found.
                let w = match written_number(&self.names, w) {
                    Some(digits) => {
                        numbers.push(NumberCheck { lit: lit as u32, offset: offset as u8, digits: digits.into() });
                        NUM
                    }
                    None => w,
                };
                state = match goto.get(&key(state, w)) {
                    Some(&next) => next,
                    None => {
                        let next = depth.len() as u32;
                        depth.push(depth[state as usize].saturating_add(1));
                        first_own.push(NONE);
                        edges.push((state, w, next));
                        goto.insert(key(state, w), next);
                        next
                    }
                };
            }
            next_own[lit] = first_own[state as usize];
            first_own[state as usize] = lit as u32;
        }
        let states = depth.len();
        edges.sort_unstable_by_key(|&(_, _, child)| (depth[child as usize], child));
        // Failure links and, for each state, the nearest state on its
        // failure chain that ends a literal.
        let mut fail = vec![0u32; states];
        let mut output_link = vec![NONE; states];
        for &(parent, w, child) in &edges {
            let target = if parent == 0 {
                0
            } else {
                let mut f = fail[parent as usize];
                loop {
                    if let Some(&next) = goto.get(&key(f, w)) {
                        break next;
                    }
                    if f == 0 {
                        break 0;
                    }
                    f = fail[f as usize];
                }
            };
            fail[child as usize] = target;
            output_link[child as usize] =
                if first_own[target as usize] == NONE { output_link[target as usize] } else { target };
        }
        let mut own: Vec<Vec<u32>> = Vec::new();
        own.resize_with(states, Vec::new);
        for (state, &first) in first_own.iter().enumerate() {
            let mut lit = first;
            while lit != NONE {
                own[state].push(lit);
                lit = next_own[lit as usize];
            }
        }
        let mut root = vec![0u32; FIRST_WORD as usize + self.names.len()];
        let mut inner = vec![false; root.len()];
        for &(parent, w, child) in &edges {
            if parent == 0 {
                root[w as usize] = child;
            } else {
                inner[w as usize] = true;
            }
        }
        let (mut later, mut starts) = (Vec::new(), Vec::new());
        let mut literals = Vec::with_capacity(self.uses.len());
        let mut bit_sets = BitSets::default();
        for (lit, (uses, &length)) in self.uses.iter().zip(&lengths).enumerate() {
            let first_parts = |&&(p, part): &&(u32, u8)| part == 0 && self.patterns[p as usize].parts > 1;
            let starts_from = starts.len();
            starts.extend(uses.iter().filter(first_parts).map(|&(p, _)| p));
            starts[starts_from..].sort_unstable();
            let mut start_bits = bit_sets.index(starts[starts_from..].iter().fold(0, |bits, &p| bits | pattern_bit(p)));
            if numbers.binary_search_by_key(&(lit as u32), |c: &NumberCheck| c.lit).is_ok() {
                start_bits |= NUMBERS;
            }
            let later_from = later.len();
            later.extend(uses.iter().filter(|u| !first_parts(u)).map(|&(pattern, part)| match part {
                0 => Use::new(0, self.patterns[pattern as usize].tag),
                _ => Use::new(part, pattern),
            }));
            let uses = &later[later_from..];
            let bits = uses.iter().filter(|u| u.part() > 0).fold(0, |bits, u| bits | pattern_bit(u.id()));
            let whole = if uses.iter().any(|u| u.part() == 0) { WHOLE } else { 0 };
            let later_bits = bit_sets.index(bits) | whole;
            literals.push(Literal {
                later_from: later_from as u32,
                starts_from: starts_from as u32,
                later_bits,
                start_bits,
                length,
            });
        }
        literals.push(Literal {
            later_from: later.len() as u32,
            starts_from: starts.len() as u32,
            later_bits: 0,
            start_bits: 0,
            length: 0,
        });
        let mut output_from = Vec::with_capacity(own.len() + 1);
        let mut outputs = Vec::new();
        for out in &own {
            output_from.push(outputs.len() as u32);
            outputs.extend_from_slice(out);
        }
        output_from.push(outputs.len() as u32);
        drop(goto);
        let (edge_from, edges) = inner_edges(&edges, states);
        Phrasebook {
            vocab: WordMap::new(self.vocab),
            negations: self.negations,
            edge_from,
            edges,
            root,
            inner,
            fail,
            output_link,
            output_from,
            outputs,
            literals,
            later,
            starts,
            bit_sets: bit_sets.sets,
            patterns: self.patterns,
            numbers,
        }
    }
}

/// Starts the name of a written number's word id: no word token holds
/// it, and a phrase spelled from names tokenises it away again
/// ([`BookBuilder::settle_durations`]).
const NUMBER_PREFIX: char = '#';

/// The digits of word id `id` when it stands for a written number (see
/// [`BookBuilder::tokenise`]).
fn written_number(names: &[Box<str>], id: u32) -> Option<&str> {
    names.get(id.checked_sub(FIRST_WORD)? as usize)?.strip_prefix(NUMBER_PREFIX)
}

/// What a literal stands for, in four bytes: part [`Use::part`] (the top
/// byte) of a pattern and, in the low 24 bits, the pattern's tag for part
/// 0 (a whole pattern without gaps: its hit needs nothing else) or the
/// pattern for a later part.
#[derive(Debug, Clone, Copy)]
struct Use(u32);

impl Use {
    fn new(part: u8, id: u32) -> Use {
        assert!(id < 1 << 24, "at most 16,777,216 patterns and tags");
        Use(u32::from(part) << 24 | id)
    }

    fn part(self) -> u8 {
        (self.0 >> 24) as u8
    }

    /// The tag (part 0) or the pattern (a later part).
    fn id(self) -> u32 {
        self.0 & 0xff_ffff
    }
}

/// A chain of a pattern with gaps, waiting for its next part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link {
    pattern: u32,
    next: u8,
    first: u32,
    last: u32,
    negated_gap: bool,
}

/// Buffers one scan needs, kept between scans so a post allocates
/// nothing once they have grown (see [`Phrasebook::find_with`]).
#[derive(Debug, Default)]
pub(crate) struct FindScratch {
    ids: Vec<u32>,
    links: PendingLinks,
}

/// An occurrence of a literal that starts patterns with gaps.
#[derive(Debug, Clone, Copy)]
struct Start {
    lit: u32,
    first: u32,
    last: u32,
}

/// Chains waiting for their next part, threaded per pattern so a part
/// looks only at its own pattern's chains, not at every pending one.
#[derive(Debug, Default)]
struct PendingLinks {
    /// Chain starts (see [`Phrasebook::starts`]), in the order they ended.
    starts: Vec<Start>,
    /// The [`pattern_bit`]s of the patterns the starts start: most second
    /// parts are ruled out by this one test.
    started: u128,
    /// In the order they were made.
    links: Vec<Link>,
    /// Per link: the previous link of the same pattern, or [`NONE`].
    previous: Vec<u32>,
    /// Per pattern: its latest link, or [`NONE`]. Sized to the book's
    /// patterns on first use, reset through `touched`.
    latest: Vec<u32>,
    /// Patterns with a link in this scan.
    touched: Vec<u32>,
    /// The links a part extends, newest first.
    fits: Vec<u32>,
}

impl PendingLinks {
    fn start(&mut self, patterns: usize) {
        if self.latest.len() != patterns {
            self.latest.clear();
            self.latest.resize(patterns, NONE);
        }
    }

    /// Back to empty, keeping the buffers.
    fn finish(&mut self) {
        for &pattern in &self.touched {
            self.latest[pattern as usize] = NONE;
        }
        self.starts.clear();
        self.started = 0;
        self.links.clear();
        self.previous.clear();
        self.touched.clear();
    }

    fn push(&mut self, link: Link) {
        let slot = &mut self.latest[link.pattern as usize];
        if *slot == NONE {
            self.touched.push(link.pattern);
        }
        self.previous.push(*slot);
        *slot = self.links.len() as u32;
        self.links.push(link);
    }

    /// Whether anything could precede part `part` (>= 1) of `pattern`: a
    /// chain start for a second part, a link of the pattern otherwise. A
    /// cheap test before the pattern's data is touched.
    #[inline]
    fn waits_for(&self, pattern: u32, part: u8) -> bool {
        if part == 1 {
            self.started & pattern_bit(pattern) != 0
        } else {
            self.latest[pattern as usize] != NONE
        }
    }

    fn contains(&self, link: &Link) -> bool {
        self.of(link.pattern).any(|k| self.links[k as usize] == *link)
    }

    /// The links of `pattern`, newest first.
    fn of(&self, pattern: u32) -> impl Iterator<Item = u32> + '_ {
        let mut k = self.latest[pattern as usize];
        std::iter::from_fn(move || {
            let this = k;
            (this != NONE).then(|| {
                k = self.previous[this as usize];
                this
            })
        })
    }
}

/// The state of one scan for patterns with gaps.
struct Chains<'a> {
    ids: &'a [u32],
    text: &'a MatchText,
    pending: &'a mut PendingLinks,
}

/// A pattern's bit in a 128-bit filter of patterns (shared by every 128th).
fn pattern_bit(pattern: u32) -> u128 {
    1 << (pattern % 128)
}

/// The trie's `(parent, word, child)` edges out of states other than the
/// root, as [`Phrasebook::edge_from`] and [`Phrasebook::edges`].
fn inner_edges(edges: &[(u32, u32, u32)], states: usize) -> (Vec<u32>, Vec<(u32, u32)>) {
    let mut inner: Vec<(u32, u32, u32)> = edges.iter().copied().filter(|&(parent, _, _)| parent != 0).collect();
    inner.sort_unstable();
    let mut edge_from = Vec::with_capacity(states + 1);
    let mut at = 0;
    for state in 0..=states as u32 {
        while at < inner.len() && inner[at].0 < state {
            at += 1;
        }
        edge_from.push(at as u32);
    }
    (edge_from, inner.iter().map(|&(_, word, child)| (word, child)).collect())
}

/// No state: the end of an output chain.
const NONE: u32 = u32::MAX;

fn key(state: u32, word: u32) -> u64 {
    (u64::from(state) << 32) | u64::from(word)
}

impl Phrasebook {
    /// Every pattern in `text`, appended to `out` (not deduplicated: one
    /// pattern can match overlapping spans).
    #[cfg(test)]
    pub(crate) fn find(&self, text: &MatchText, out: &mut Vec<Hit>) {
        self.find_with(text, &mut FindScratch::default(), out);
    }

    /// [`Self::find`] with reused buffers.
    pub(crate) fn find_with(&self, text: &MatchText, scratch: &mut FindScratch, out: &mut Vec<Hit>) {
        let FindScratch { ids, links } = scratch;
        ids.clear();
        ids.extend((0..text.tokens.len()).map(|i| match text.tokens[i].kind {
            Kind::Num => NUM,
            Kind::Dur => DUR,
            Kind::Break => BREAK,
            Kind::Word | Kind::Emoji => {
                let id = match text.word_key(i) {
                    Some(key) => self.vocab.get_key(key),
                    None => self.vocab.get(text.word(i)),
                };
                id.copied().unwrap_or(UNKNOWN)
            }
        }));
        links.start(self.patterns.len());
        let mut cx = Chains { ids, text, pending: links };
        let mut state = 0u32;
        for (i, &w) in cx.ids.iter().enumerate() {
            if w == UNKNOWN {
                state = 0;
                continue;
            }
            if !self.inner[w as usize] {
                state = 0;
            }
            state = loop {
                if let Some(next) = self.step(state, w) {
                    break next;
                }
                if state == 0 {
                    break 0;
                }
                state = self.fail[state as usize];
            };
            let mut at = state;
            while at != NONE {
                for &lit in self.outputs_at(at) {
                    let literal = self.literals[lit as usize];
                    let first = (i + 1 - usize::from(literal.length)) as u32;
                    if literal.start_bits & NUMBERS != 0 && !self.numbers_agree(lit, first, cx.text) {
                        continue;
                    }
                    if !self.starts_of(lit).is_empty() {
                        cx.pending.starts.push(Start { lit, first, last: i as u32 });
                        cx.pending.started |= self.bit_sets[usize::from(literal.start_bits & !NUMBERS)];
                    }
                    let later = literal.later_bits;
                    if later & WHOLE == 0 && self.bit_sets[later as usize] & cx.pending.started == 0 {
                        continue;
                    }
                    for &u in self.later_of(lit) {
                        if u.part() == 0 {
                            out.push(Hit { tag: u.id(), first, last: i as u32, negated_gap: false });
                        } else if cx.pending.waits_for(u.id(), u.part()) {
                            self.hit(u.id(), u.part(), first, i as u32, &mut cx, out);
                        }
                    }
                }
                at = self.output_link[at as usize];
            }
        }
        cx.pending.finish();
    }

    /// Whether the numbers literal `lit` spells out are the ones written
    /// at tokens `first..` of `text`.
    fn numbers_agree(&self, lit: u32, first: u32, text: &MatchText) -> bool {
        let from = self.numbers.partition_point(|c| c.lit < lit);
        self.numbers[from..]
            .iter()
            .take_while(|c| c.lit == lit)
            .all(|c| text.digits(first as usize + usize::from(c.offset)) == Some(&*c.digits))
    }

    /// The literals ending at `state`.
    #[inline]
    fn outputs_at(&self, state: u32) -> &[u32] {
        let at = state as usize;
        &self.outputs[self.output_from[at] as usize..self.output_from[at + 1] as usize]
    }

    /// What literal `lit` stands for but a first part ([`Literal::later_from`]).
    #[inline]
    fn later_of(&self, lit: u32) -> &[Use] {
        let (this, next) = (self.literals[lit as usize], self.literals[lit as usize + 1]);
        &self.later[this.later_from as usize..next.later_from as usize]
    }

    /// The patterns with gaps literal `lit` starts ([`Literal::starts_from`]).
    #[inline]
    fn starts_of(&self, lit: u32) -> &[u32] {
        let (this, next) = (self.literals[lit as usize], self.literals[lit as usize + 1]);
        &self.starts[this.starts_from as usize..next.starts_from as usize]
    }

    /// The transition from `state` on word `w`.
    #[inline]
    fn step(&self, state: u32, w: u32) -> Option<u32> {
        if state == 0 {
            return self.root.get(w as usize).copied().filter(|&next| next != 0);
        }
        let (from, to) = (self.edge_from[state as usize], self.edge_from[state as usize + 1]);
        let edges = &self.edges[from as usize..to as usize];
        edges.binary_search_by_key(&w, |&(word, _)| word).ok().map(|at| edges[at].1)
    }

    /// A later part (`part >= 1`) of `pattern` found at tokens
    /// `first..=last`: the second link of a chain from a start, the next
    /// link of a waiting one, or the last, a hit. Parts arrive in the order
    /// they end, so a part's predecessor is always seen first.
    fn hit(&self, pattern: u32, part: u8, first: u32, last: u32, cx: &mut Chains<'_>, out: &mut Vec<Hit>) {
        let p = &self.patterns[pattern as usize];
        let gap = u32::from(p.gaps[usize::from(part) - 1]);
        let reaches = |last: u32| first > last && first - last - 1 <= gap;
        let mut fits = std::mem::take(&mut cx.pending.fits);
        fits.clear();
        if part == 1 {
            // The pattern's starts: occurrences of its first-part literals,
            // in the order they ended, so the last few tokens are enough.
            let starts = &cx.pending.starts;
            for (k, s) in starts.iter().enumerate().rev() {
                if s.last >= first {
                    continue;
                }
                if !reaches(s.last) {
                    break;
                }
                if cx.text.same_sentence(s.last as usize, first as usize)
                    && self.starts_of(s.lit).binary_search(&pattern).is_ok()
                {
                    fits.push(k as u32);
                }
            }
        } else {
            fits.extend(cx.pending.of(pattern).filter(|&k| {
                let link = cx.pending.links[k as usize];
                link.next == part && reaches(link.last) && cx.text.same_sentence(link.last as usize, first as usize)
            }));
        }
        // Oldest first: the order the links were made in.
        for &k in fits.iter().rev() {
            let link = if part == 1 {
                let s = cx.pending.starts[k as usize];
                Link { pattern, next: 1, first: s.first, last: s.last, negated_gap: false }
            } else {
                cx.pending.links[k as usize]
            };
            let gap_ids = &cx.ids[link.last as usize + 1..first as usize];
            let negated_gap = link.negated_gap || gap_ids.iter().any(|id| self.negations.contains(id));
            if part + 1 == p.parts {
                let hit = Hit { tag: p.tag, first: link.first, last, negated_gap };
                if !out.contains(&hit) {
                    out.push(hit);
                }
            } else {
                let next = Link { pattern, next: part + 1, first: link.first, last, negated_gap };
                if !cx.pending.contains(&next) {
                    cx.pending.push(next);
                }
            }
        }
        cx.pending.fits = fits;
    }

    /// How many literal phrases the automaton holds.
    #[cfg(test)]
    pub(crate) fn literal_count(&self) -> usize {
        self.literals.len() - 1
    }
}

/// Replaces `<name>` by its macro and `<dur>`, `_dur`, `_num` by their
/// marks.
fn expand_macros(pattern: &str, macros: &HashMap<String, String>) -> Result<String, String> {
    let mut text = pattern.to_string();
    for _ in 0..4 {
        if !text.contains('<') {
            break;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(open) = rest.find('<') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('>').ok_or_else(|| format!("{pattern:?}: '<' without '>'"))?;
            let name = &rest[open + 1..open + close];
            match name {
                "dur" => out.push(DUR_MARK),
                _ => out.push_str(macros.get(name).ok_or_else(|| format!("{pattern:?}: unknown macro <{name}>"))?),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        text = out;
    }
    if text.contains('<') {
        return Err(format!("{pattern:?}: macros nest too deeply"));
    }
    Ok(text.replace("_dur", &DUR_MARK.to_string()).replace("_num", &NUM_MARK.to_string()))
}

/// Alternatives one part may multiply out to before it is split into
/// adjacent parts (chained with no gap): "{a|b|c} {d|e|f}" is compiled as
/// "{a|b|c}" then "{d|e|f}" right after, 6 phrases rather than 9, and far
/// fewer for the long lists of the data files.
const SPLIT_PRODUCT: usize = 64;

/// Splits each part whose alternatives multiply beyond [`SPLIT_PRODUCT`]
/// into adjacent parts. A part never starts or ends with an optional
/// group (it would match nothing on its own), and a group holding a
/// duration word stays with its neighbours ("{two|three} {days|weeks}"
/// must be read as one duration, as in a post).
fn split_products(parts: Vec<(Vec<Node>, u8)>) -> Vec<(Vec<Node>, u8)> {
    let mut out = Vec::with_capacity(parts.len());
    for (nodes, gap) in parts {
        let mut current: Vec<Node> = Vec::new();
        let mut product = 1usize;
        for (i, node) in nodes.iter().enumerate() {
            let n = count(node);
            let cuttable = !current.is_empty()
                && product.saturating_mul(n) > SPLIT_PRODUCT
                && !optional(node)
                && !current.last().is_some_and(optional)
                && !has_duration_word(node)
                && !current.last().is_some_and(has_duration_word)
                && current.iter().any(|c| !optional(c))
                && nodes[i..].iter().any(|c| !optional(c));
            if cuttable {
                out.push((std::mem::take(&mut current), 0));
                product = 1;
            }
            product = product.saturating_mul(n);
            current.push(node.clone());
        }
        out.push((current, gap));
    }
    out
}

/// How many phrases a node spells.
fn count(node: &Node) -> usize {
    match node {
        Node::Word(_) => 1,
        Node::Group(alternatives) => alternatives
            .iter()
            .map(|a| a.iter().map(count).fold(1usize, usize::saturating_mul))
            .fold(0usize, usize::saturating_add),
    }
}

/// A group with an empty alternative.
fn optional(node: &Node) -> bool {
    matches!(node, Node::Group(alternatives) if alternatives.iter().any(Vec::is_empty))
}

fn has_duration_word(node: &Node) -> bool {
    match node {
        Node::Word(w) => w.split_whitespace().any(is_duration_word) || w.contains(DUR_MARK),
        Node::Group(alternatives) => alternatives.iter().flatten().any(has_duration_word),
    }
}

/// A parsed pattern element: a word, or a group of alternatives, each a
/// sequence of elements (groups nest when a macro is used inside one).
#[derive(Debug, Clone)]
enum Node {
    Word(String),
    Group(Vec<Vec<Node>>),
}

/// Splits a pattern at its gaps: each part is a sequence of elements, with
/// the gap that follows it.
fn split_parts(text: &str) -> Result<Vec<(Vec<Node>, u8)>, String> {
    let mut parts: Vec<(Vec<Node>, u8)> = vec![(Vec::new(), 0)];
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let node = parse_node(&chars, &mut i, text)?;
        if let Node::Word(w) = &node {
            if w == ".." || w == "..." {
                let last = parts.last_mut().expect("one part at least");
                if last.0.is_empty() {
                    return Err(format!("{text:?}: a gap needs words before it"));
                }
                last.1 = if w == ".." { GAP } else { GAP * 2 };
                parts.push((Vec::new(), 0));
                continue;
            }
        }
        if i == start {
            return Err(format!("{text:?}: stray {:?}", chars[i]));
        }
        parts.last_mut().expect("one part at least").0.push(node);
    }
    if parts.last().is_some_and(|p| p.0.is_empty()) {
        if parts.len() == 1 {
            return Err(format!("{text:?}: empty pattern"));
        }
        return Err(format!("{text:?}: a gap needs words after it"));
    }
    Ok(parts)
}

/// One word (up to whitespace, a brace or a bar) or one `{...}` group.
fn parse_node(chars: &[char], i: &mut usize, text: &str) -> Result<Node, String> {
    if chars[*i] != '{' {
        let start = *i;
        while *i < chars.len() && !chars[*i].is_whitespace() && !matches!(chars[*i], '{' | '}' | '|') {
            *i += 1;
        }
        return Ok(Node::Word(chars[start..*i].iter().collect()));
    }
    *i += 1;
    let mut alternatives = vec![Vec::new()];
    loop {
        match chars.get(*i) {
            None => return Err(format!("{text:?}: '{{' without '}}'")),
            Some('}') => {
                *i += 1;
                return Ok(Node::Group(alternatives));
            }
            Some('|') => {
                *i += 1;
                alternatives.push(Vec::new());
            }
            Some(c) if c.is_whitespace() => *i += 1,
            Some(_) => {
                let start = *i;
                let node = parse_node(chars, i, text)?;
                if matches!(&node, Node::Word(w) if w == ".." || w == "...") {
                    return Err(format!("{text:?}: no gaps inside {{...}}"));
                }
                if *i == start {
                    return Err(format!("{text:?}: stray {:?}", chars[start]));
                }
                alternatives.last_mut().expect("one alternative at least").push(node);
            }
        }
    }
}
