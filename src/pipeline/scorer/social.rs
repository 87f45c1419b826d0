//! Social text made fit for a lexicon: what must not move the score is
//! taken out before sentiment and cues read the post.
//!
//! Owns:
//! - @handles, e-mail addresses and URLs: blanked ("@JoyTelecom" is not
//!   joy), except that a regulator's handle ("@FinOmbudsman", `[names]
//!   regulator_handles` in `data/social.toml`) is written as the word
//!   "regulator", so tagging one is heard as a legal cue;
//! - the configured brands' names and watch terms: blanked, and the brands
//!   found reported so their lexicon overrides apply;
//! - hashtags: the `#` dropped and camel case split ("#NeverAgain" →
//!   "Never Again"), so a hashtag reads like the words it spells;
//! - brand-like names without config: a run of Title Case words inside a
//!   sentence that holds a positive word ("Best Buy", "Happy Cow", "Joy
//!   Telecom"), or such a word after "from/at/via" ("ordered from Wish"),
//!   is blanked, unless the run is a greeting ("Happy Birthday") or half the
//!   post is in Title Case (a headline).
//!
//! Politeness ("please help", "kindly advise") is handled by the scorer as
//! phrases (`data/social.toml`), not here. Pure; one pass plus one for
//! names. Tests: `scorer/tests/social.rs`.

use aho_corasick::{AhoCorasick, MatchKind};

use super::data::{NameRules, WordSet};
use crate::config::Brand;
use crate::pipeline::sentiment::{bytes_equal, load_eight, upper_bytes, SentimentAnalyzer};

/// Words after which a Title Case sentiment word is a name: "from Wish".
const SPLIT_HASHTAGS: bool = false;
const MASK_NAMES: bool = true;
const NAME_PREPOSITIONS: &[&str] = &["from", "at", "via"];
/// Longest run of Title Case words taken for a brand name: longer runs are
/// titles of works and headlines ("The Cutie Mark Chronicles").
const MAX_NAME_WORDS: usize = 2;

/// The configured brands' terms and names, compiled.
#[derive(Debug, Default)]
pub(crate) struct BrandTerms {
    /// ASCII-case-insensitive, leftmost-longest.
    ac: Option<AhoCorasick>,
    /// Per pattern: the brand's index.
    brand_of: Vec<usize>,
}

impl BrandTerms {
    pub(crate) fn new(brands: &[Brand]) -> BrandTerms {
        let mut patterns: Vec<String> = Vec::new();
        let mut brand_of = Vec::new();
        for (i, b) in brands.iter().enumerate() {
            let name = b.name.as_str();
            for term in b.terms.iter().map(String::as_str).chain([name]) {
                let term = term.trim();
                if term.chars().any(char::is_alphanumeric) {
                    patterns.push(term.to_string());
                    brand_of.push(i);
                    // "acme air" also as "acmeair" and "#acmeair", "@acmeair".
                    let squashed: String = term.chars().filter(|c| c.is_alphanumeric()).collect();
                    if squashed.len() != term.len() {
                        patterns.push(squashed);
                        brand_of.push(i);
                    }
                }
            }
        }
        if patterns.is_empty() {
            return BrandTerms::default();
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        BrandTerms { ac, brand_of }
    }
}

/// Cleans `text` for scoring (see the module docs) into `out`, which is
/// cleared first (a buffer kept between posts). Returns the indexes of the
/// configured brands the post names, ascending.
pub(crate) fn clean(
    text: &str,
    out: &mut String,
    brands: &BrandTerms,
    analyzer: &SentimentAnalyzer,
    names: &NameRules,
) -> Vec<usize> {
    out.clear();
    let mut found = Vec::new();
    let mut blank: Vec<(usize, usize)> = Vec::new();
    if let Some(ac) = &brands.ac {
        for m in ac.find_iter(text) {
            let (s, e) = (m.start(), m.end());
            let before = text[..s].chars().next_back();
            let after = text[e..].chars().next();
            let word_edge = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if word_edge(before) && word_edge(after) {
                // Take a leading '@' or '#' with the term.
                let s = if matches!(before, Some('@' | '#')) { s - 1 } else { s };
                blank.push((s, e));
                let brand = brands.brand_of[m.pattern().as_usize()];
                if !found.contains(&brand) {
                    found.push(brand);
                }
            }
        }
    }
    found.sort_unstable();

    let special = has_specials(text.as_bytes());
    if blank.is_empty() && !special {
        // Nothing to take out: the common case.
        out.push_str(text);
        if MASK_NAMES {
            mask_names(out, analyzer, &names.not_names);
        }
        return found;
    }
    out.reserve(text.len() + 8);
    if blank.is_empty() && text.is_ascii() {
        clean_ascii_chunks(text, out, names);
        if MASK_NAMES {
            mask_names(out, analyzer, &names.not_names);
        }
        return found;
    }
    let mut next_blank = 0;
    let mut at = 0;
    // Chunks with nothing to take out are copied in runs, not one by one.
    let mut plain_from = 0;
    for chunk in split_after_spaces(text) {
        let start = at;
        at += chunk.len();
        while blank.get(next_blank).is_some_and(|&(_, e)| e <= start) {
            next_blank += 1;
        }
        let blanked = blank.get(next_blank).is_some_and(|&(s, _)| s < at);
        if !blanked && !needs_cleaning(without_space(chunk)) {
            continue;
        }
        out.push_str(&text[plain_from..start]);
        plain_from = at;
        // Brand terms in this chunk: keep what surrounds them.
        let mut from = start;
        while let Some(&(s, e)) = blank.get(next_blank).filter(|&&(s, _)| s < at) {
            push_word(out, &text[from..s.max(from)], names);
            out.push(' ');
            from = e.min(at).max(from);
            if e > at {
                break;
            }
            next_blank += 1;
        }
        push_word(out, &text[from..at], names);
    }
    out.push_str(&text[plain_from..]);
    if MASK_NAMES {
        mask_names(out, analyzer, &names.not_names);
    }
    found
}

/// [`clean`]'s walk over the chunks of ASCII text with no brand term in
/// it: only a chunk that holds '@', '#' or ':', or starts with "h" or "w",
/// can need cleaning ([`needs_cleaning`]), so only those bytes (found
/// eight at a time) lead to a chunk; the text between is copied in runs.
fn clean_ascii_chunks(text: &str, out: &mut String, names: &NameRules) {
    let bytes = text.as_bytes();
    let space = |b: &u8| is_ascii_whitespace(*b);
    let mut plain_from = 0;
    // The chunks before this byte are done.
    let mut done = 0;
    for at in (0..bytes.len()).step_by(8) {
        let word = load_eight(bytes, at);
        let mut marks = tag_marks(word) | link_marks(word);
        while marks != 0 {
            let p = at + marks.trailing_zeros() as usize / 8;
            marks &= marks - 1;
            let letter = matches!(bytes[p] | 0x20, b'h' | b'w');
            if p < done || (letter && p > 0 && !space(&bytes[p - 1])) {
                continue;
            }
            let start = bytes[..p].iter().rposition(space).map_or(0, |k| k + 1);
            let end = bytes[p..].iter().position(space).map_or(bytes.len(), |k| p + k + 1);
            done = end;
            let chunk = &text[start..end];
            if needs_cleaning(without_space(chunk)) {
                out.push_str(&text[plain_from..start]);
                plain_from = end;
                push_word(out, chunk, names);
            }
        }
    }
    out.push_str(&text[plain_from..]);
}

/// Whether `bytes` holds '@' or '#', or a URL start ([`link_at`]): what
/// makes a post need more than a copy. Read eight bytes at a time; only
/// the bytes that can begin a URL ("h", "w", the ":" of "://") are looked
/// at closely.
fn has_specials(bytes: &[u8]) -> bool {
    (0..bytes.len()).step_by(8).any(|at| {
        let word = load_eight(bytes, at);
        if tag_marks(word) != 0 {
            return true;
        }
        let mut starts = link_marks(word);
        while starts != 0 {
            let p = at + starts.trailing_zeros() as usize / 8;
            starts &= starts - 1;
            if link_at(bytes, p) || (p > 0 && link_at(bytes, p - 1)) {
                return true;
            }
        }
        false
    })
}

/// Bit 7 of each of the eight bytes of `word` that is '@' or '#': a
/// handle or a hashtag may start there.
fn tag_marks(word: u64) -> u64 {
    bytes_equal(word, b'@') | bytes_equal(word, b'#')
}

/// Bit 7 of each of the eight bytes of `word` that may begin a URL or its
/// "://": 'h' or 'w' in any case, or ':'.
fn link_marks(word: u64) -> u64 {
    // Or-ing 0x20 lowers a letter (and turns no other byte into 'h' or 'w').
    let lower = word | u64::from_ne_bytes([0x20; 8]);
    bytes_equal(lower, b'h') | bytes_equal(lower, b'w') | bytes_equal(word, b':')
}

/// Whether the four bytes from `i` are "http" or "www." (any case), or
/// "://" after some byte: what a URL may start with.
fn link_at(bytes: &[u8], i: usize) -> bool {
    let Some(w) = bytes.get(i..i + 4) else { return false };
    let start = match w[0] | 0x20 {
        b'h' => w.eq_ignore_ascii_case(b"http"),
        b'w' => w.eq_ignore_ascii_case(b"www."),
        _ => false,
    };
    start || &w[1..] == b"://"
}

/// Appends one whitespace-separated chunk, dropping handles (a
/// regulator's is written as the word "regulator", so the legal cue hears
/// a post that tags one), e-mails and URLs, and spelling out hashtags.
fn push_word(out: &mut String, chunk: &str, names: &NameRules) {
    let word = without_space(chunk);
    // Most words need nothing done.
    if !needs_cleaning(word) {
        out.push_str(chunk);
        return;
    }
    let starts =
        |prefix: &str| word.as_bytes().get(..prefix.len()).is_some_and(|b| b.eq_ignore_ascii_case(prefix.as_bytes()));
    if starts("http") || starts("www.") || has_scheme_separator(word.as_bytes()) {
        out.push_str(&chunk[word.len()..]);
        out.push(' ');
        return;
    }
    let word_start = out.len();
    let mut chars = word.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((at, c)) = chars.next() {
        let prev_is_word = prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        if c == '@' && !prev_is_word {
            // A handle: '@' and the name after it.
            let mut end = at + 1;
            while let Some(&(n_at, n)) = chars.peek().filter(|&&(_, n)| n.is_alphanumeric() || n == '_' || n == '.') {
                end = n_at + n.len_utf8();
                chars.next();
            }
            out.push_str(if names.is_regulator(&word[at + 1..end]) { " regulator " } else { " " });
            prev = Some(' ');
            continue;
        }
        if c == '@' && prev_is_word {
            // An e-mail address: the whole chunk goes.
            out.truncate(word_start);
            out.push(' ');
            break;
        }
        if c == '#' && !prev_is_word && chars.peek().is_some_and(|&(_, n)| n.is_alphanumeric()) {
            // A hashtag: its words, camel case split.
            out.push(' ');
            let mut last: Option<char> = None;
            while let Some(&(_, n)) = chars.peek() {
                if !(n.is_alphanumeric() || n == '_') {
                    break;
                }
                chars.next();
                let boundary = last.is_some_and(|l| {
                    (l.is_lowercase() && n.is_uppercase()) || (l.is_alphabetic() && n.is_ascii_digit())
                });
                if (boundary && SPLIT_HASHTAGS) || n == '_' {
                    out.push(' ');
                }
                if n != '_' {
                    out.push(n);
                }
                last = Some(n);
            }
            prev = last;
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    out.push_str(&chunk[word.len()..]);
}

/// Whether `word` holds "://" (`str::contains` would set up a substring
/// search for each word that needs cleaning).
fn has_scheme_separator(word: &[u8]) -> bool {
    word.iter().enumerate().any(|(i, &b)| b == b':' && word[i + 1..].starts_with(b"//"))
}

/// A chunk of [`split_after_spaces`] (or the end of one) without its
/// whitespace, which is one character at its end, if any: `trim_end`
/// without decoding an ASCII end.
#[inline]
fn without_space(chunk: &str) -> &str {
    match chunk.as_bytes().last() {
        Some(&b) if is_ascii_whitespace(b) => &chunk[..chunk.len() - 1],
        Some(&b) if b >= 0x80 => chunk.trim_end(),
        _ => chunk,
    }
}

/// `text.split_inclusive(char::is_whitespace)`, with ASCII bytes tested
/// as they are rather than decoded.
pub(crate) fn split_after_spaces(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let bytes = rest.as_bytes();
        let mut end = 0;
        while end < bytes.len() {
            let b = bytes[end];
            if b < 0x80 {
                end += 1;
                if is_ascii_whitespace(b) {
                    break;
                }
            } else {
                let c = rest[end..].chars().next().expect("a character starts here");
                end += c.len_utf8();
                if c.is_whitespace() {
                    break;
                }
            }
        }
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

/// `char::is_whitespace` for an ASCII byte (unlike `u8::is_ascii_whitespace`,
/// it counts the vertical tab).
#[inline]
fn is_ascii_whitespace(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// Whether [`push_word`] may change `word` (a chunk without its trailing
/// whitespace): it holds '@', '#' or ':', or starts like a URL.
#[inline]
fn needs_cleaning(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.iter().any(|&b| b == b'@' || b == b'#' || b == b':')
        || (bytes.len() >= 4 && (bytes[..4].eq_ignore_ascii_case(b"http") || bytes[..4].eq_ignore_ascii_case(b"www.")))
}

/// Blanks Title Case sentiment words that name something (see the module
/// docs), in place.
fn mask_names(text: &mut String, analyzer: &SentimentAnalyzer, not_names: &WordSet) {
    let candidate =
        if text.is_ascii() { ascii_title_candidate(text, analyzer) } else { title_candidate(text, analyzer) };
    if !candidate {
        return;
    }
    // (start, end, title case, starts a sentence) per word.
    let mut words: Vec<(usize, usize, bool, bool)> = Vec::new();
    let mut sentence_start = true;
    let mut titled = 0usize;
    for (start, end) in word_spans(text) {
        let w = &text[start..end];
        let core = w.trim_matches(|c: char| !c.is_alphanumeric());
        let title = is_title(core);
        titled += usize::from(title || (core.len() > 1 && core.chars().all(|c| !c.is_lowercase())));
        words.push((start, end, title, sentence_start));
        sentence_start = w.ends_with(['.', '!', '?', ':', ';', '\n']) || text[end..].starts_with('\n');
    }
    if words.len() < 2 || titled * 2 > words.len() {
        return;
    }
    let lower = |i: usize| -> String {
        let (s, e, ..) = words[i];
        text[s..e].trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
    };
    let mut masks: Vec<(usize, usize)> = Vec::new();
    let joined = |i: usize| !text[words[i].0..words[i].1].ends_with(|c: char| !c.is_alphanumeric());
    for i in 0..words.len() {
        let (_, _, title, start) = words[i];
        if !title || masks.last().is_some_and(|&(_, last)| last >= i) {
            continue;
        }
        let word = lower(i);
        if word == "i" || !analyzer.valence(&word).is_some_and(|v| v > 0.0) {
            continue;
        }
        let next_is_name = !start
            && joined(i)
            && words.get(i + 1).is_some_and(|&(_, _, t, s)| t && !s && !not_names.contains(&lower(i + 1)));
        let prev_is_name = i > 0 && !start && joined(i - 1) && {
            let (_, _, t, s) = words[i - 1];
            t && !s && !not_names.contains(&lower(i - 1))
        };
        let after_preposition = i > 0 && !start && NAME_PREPOSITIONS.contains(&lower(i - 1).as_str());
        if next_is_name || prev_is_name || after_preposition {
            // The whole run of Title Case words is the name.
            let mut first = i;
            while first > 0 && words[first - 1].2 && !words[first].3 && joined(first - 1) {
                first -= 1;
            }
            let mut last = i;
            while last + 1 < words.len() && words[last + 1].2 && !words[last + 1].3 && joined(last) {
                last += 1;
            }
            if last - first < MAX_NAME_WORDS {
                masks.push((first, last));
            }
        }
    }
    for (first, last) in masks {
        for (s, e, ..) in &words[first..=last] {
            let (s, e) = (*s, *e);
            let core_start = s + text[s..e].find(char::is_alphanumeric).unwrap_or(0);
            let core_end = text[s..e]
                .char_indices()
                .rfind(|(_, c)| c.is_alphanumeric())
                .map_or(core_start, |(p, c)| s + p + c.len_utf8());
            let spaces = " ".repeat(core_end.saturating_sub(core_start));
            text.replace_range(core_start..core_end.max(core_start), &spaces);
        }
    }
}

/// A cheap look before [`mask_names`] does its work: a positive Title
/// Case word inside a sentence.
fn title_candidate(text: &str, analyzer: &SentimentAnalyzer) -> bool {
    let mut buf = String::new();
    let mut sentence_start = true;
    for (start, end) in word_spans(text) {
        let w = &text[start..end];
        if !sentence_start && w.as_bytes()[0].is_ascii_uppercase() || !w.is_ascii() {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            if positive_title(core, &mut buf, analyzer) {
                return true;
            }
        }
        sentence_start = w.ends_with(['.', '!', '?', ':', ';', '\n']) || text[end..].starts_with('\n');
    }
    false
}

/// [`title_candidate`] for ASCII text, visiting only the words it can
/// find: a Title Case word there starts after whitespace with an
/// upper-case letter followed by a lower-case one (the first word starts a
/// sentence), so most posts, capitalised only at the start or in "I",
/// cost one pass over their bytes.
fn ascii_title_candidate(text: &str, analyzer: &SentimentAnalyzer) -> bool {
    let bytes = text.as_bytes();
    let space = |b: u8| char::from(b).is_whitespace();
    let mut buf = String::new();
    for i in upper_case_at(bytes) {
        if i == 0 || i + 1 >= bytes.len() || !(bytes[i + 1].is_ascii_lowercase() && space(bytes[i - 1])) {
            continue;
        }
        // The word before: none, or one ending a sentence, and this one
        // starts a sentence.
        let Some(p) = bytes[..i].iter().rposition(|&b| !space(b)) else { continue };
        if matches!(bytes[p], b'.' | b'!' | b'?' | b':' | b';') || bytes[p + 1] == b'\n' {
            continue;
        }
        let end = bytes[i..].iter().position(|&b| space(b)).map_or(bytes.len(), |k| i + k);
        let core = text[i..end].trim_end_matches(|c: char| !c.is_alphanumeric());
        if positive_title(core, &mut buf, analyzer) {
            return true;
        }
    }
    false
}

/// The positions of the ASCII upper-case letters of `bytes`, ascending,
/// found eight bytes at a time.
pub(crate) fn upper_case_at(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (0..bytes.len()).step_by(8).flat_map(move |at| {
        let mut uppers = upper_bytes(load_eight(bytes, at));
        std::iter::from_fn(move || {
            (uppers != 0).then(|| {
                let i = at + uppers.trailing_zeros() as usize / 8;
                uppers &= uppers - 1;
                i
            })
        })
    })
}

/// Whether `core` is a Title Case word the lexicon rates positive ("Joy",
/// "Best"); `buf` holds its lower case form (a buffer kept by the caller).
fn positive_title(core: &str, buf: &mut String, analyzer: &SentimentAnalyzer) -> bool {
    if !is_title(core) {
        return false;
    }
    let valence = if core.is_ascii() {
        analyzer.valence_any_case(core)
    } else {
        buf.clear();
        buf.extend(core.chars().flat_map(char::to_lowercase));
        analyzer.valence(buf)
    };
    valence.is_some_and(|v| v > 0.0)
}

/// Byte spans of whitespace-separated words.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    text.split(char::is_whitespace).filter_map(move |w| {
        let start = at;
        at += w.len() + text[start + w.len()..].chars().next().map_or(0, char::len_utf8);
        (!w.is_empty()).then_some((start, start + w.len()))
    })
}

/// "Joy", "Best": an upper-case letter, then only lower-case letters.
fn is_title(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase) && word.chars().count() > 1 && chars.all(char::is_lowercase)
}
