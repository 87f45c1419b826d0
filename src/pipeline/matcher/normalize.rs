//! Normal form for matching: NFKC, then lower case, then every run of
//! separators (whitespace and hyphens) as one space. Watch terms and texts
//! go through the same function, so they compare equal exactly when they
//! should.
//!
//! Owns: the normal form, the test for "this text already is its normal
//! form up to ASCII case" (the matcher's no-copy fast path), and the map
//! from offsets in a normalised copy back to the original text. Knows
//! nothing about brands or the automaton. Tests: `tests.rs` in this folder.
//!
//! NFKC is applied per segment (a starter and the marks that follow it),
//! so offsets can be mapped back. That equals whole-text NFKC except for
//! rare compositions across starters (conjoining Hangul jamo are kept in
//! one segment, so those still compose).

use std::ops::Range;

use unicode_normalization::char::{canonical_combining_class, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Characters that separate the words of a multi-word term. Hyphens count,
/// so "acme air" also matches "acme-air" and "t-mobile" matches "T Mobile".
pub(super) fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '-' || c == '\u{2010}'
}

/// Characters that make up words. A term matches only where the text has
/// no word character right before and right after it, so "acme" is not
/// found in "acmeist" or "bigacme", but is in "@acme", "#acme", "acme's".
/// A combining mark belongs to the letter before it ("acme\u{301}" is
/// "acmé", another word); emoji variation selectors do not.
pub(super) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return is_ascii_word_byte(c as u8);
    }
    c.is_alphanumeric() || (is_combining_mark(c) && !is_variation_selector(c))
}

/// [`is_word_char`] for an ASCII byte.
pub(super) fn is_ascii_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}')
}

/// The normal form of a watch term or exclude phrase, without separators
/// at either end.
pub(super) fn normalize_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    normalize_into(term, &mut out, None);
    let trimmed = out.trim_matches(' ');
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

/// Whether the matcher (patterns in normal form, ASCII case folded) can
/// search `text` as it is: the text is NFKC and has no upper-case letter
/// outside ASCII and, when `collapse_separators` (some pattern without a
/// word character has several parts), every separator run is exactly one
/// space.
pub(super) fn is_search_ready(text: &str, collapse_separators: bool) -> bool {
    if !collapse_separators && text.is_ascii() {
        return true;
    }
    let bytes = text.as_bytes();
    let mut check = ReadyCheck::default();
    let mut prev_separator = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if collapse_separators {
                let separator = is_ascii_separator(b);
                if separator && (b != b' ' || prev_separator) {
                    return false;
                }
                prev_separator = separator;
            }
            i += 1;
            continue;
        }
        let Some(c) = text[i..].chars().next() else { break };
        if (collapse_separators && is_separator(c)) || !check.accept(c, i) {
            return false;
        }
        prev_separator = false;
        i += c.len_utf8();
    }
    true
}

/// [`is_search_ready`] without separator collapsing, fed the non-ASCII
/// characters of a text in order as a scan meets them (ASCII is always
/// ready), so the matcher can check a text while it searches it.
#[derive(Default)]
pub(super) struct ReadyCheck {
    /// The canonical combining class of the last character accepted...
    last_class: u8,
    /// ...which ended here: any other start means a starter came between.
    last_end: usize,
}

impl ReadyCheck {
    /// Whether the text is still ready with the non-ASCII `c` at byte `at`:
    /// `c` is its own lower case, NFKC quick check "yes", and its marks
    /// are in canonical order (`unicode_normalization`'s quick check, one
    /// character at a time).
    pub(super) fn accept(&mut self, c: char, at: usize) -> bool {
        if at != self.last_end {
            self.last_class = 0;
        }
        self.last_end = at + c.len_utf8();
        let class = canonical_combining_class(c);
        if (self.last_class > class && class != 0) || lowercase_differs(c) {
            return false;
        }
        self.last_class = class;
        is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
    }
}

/// [`is_separator`] for an ASCII byte: tab, line feed, vertical tab, form
/// feed, carriage return, space, hyphen.
pub(super) fn is_ascii_separator(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | b'-')
}

fn lowercase_differs(c: char) -> bool {
    let mut lower = c.to_lowercase();
    !(lower.next() == Some(c) && lower.next().is_none())
}

/// A normalised copy of a text, with what is needed to map offsets in it
/// back to the original.
#[derive(Debug, Default)]
pub(super) struct NormalizedText {
    pub(super) text: String,
    /// Segments whose normal form has a different length than the
    /// original, merged when adjacent, in text order. Between two edits
    /// the offsets differ by a constant.
    edits: Vec<Edit>,
}

#[derive(Debug, Clone)]
struct Edit {
    normalized: Range<usize>,
    original: Range<usize>,
}

impl NormalizedText {
    #[cfg(test)]
    pub(super) fn new(text: &str) -> NormalizedText {
        let mut normalized = String::with_capacity(text.len() + text.len() / 8);
        let mut edits = Vec::new();
        normalize_into(text, &mut normalized, Some(&mut edits));
        NormalizedText { text: normalized, edits }
    }

    /// Makes this the normalised copy of `text`, reusing its buffers.
    pub(super) fn refill(&mut self, text: &str) {
        self.text.clear();
        self.edits.clear();
        self.text.reserve(text.len() + text.len() / 8);
        normalize_into(text, &mut self.text, Some(&mut self.edits));
    }

    /// Releases buffers grown by an unusually long text.
    pub(super) fn shrink_to(&mut self, bytes: usize) {
        self.text.shrink_to(bytes);
        self.edits.shrink_to(bytes / 16);
    }

    /// The original offset where a match starting at `at` starts.
    pub(super) fn original_start(&self, at: usize) -> usize {
        self.original(at, false)
    }

    /// The original offset where a match ending at `at` ends.
    pub(super) fn original_end(&self, at: usize) -> usize {
        self.original(at, true)
    }

    fn original(&self, at: usize, is_end: bool) -> usize {
        let next = self.edits.partition_point(|e| e.normalized.start <= at);
        let Some(edit) = next.checked_sub(1).map(|i| &self.edits[i]) else { return at };
        if at >= edit.normalized.end {
            edit.original.end + (at - edit.normalized.end)
        } else if at == edit.normalized.start || !is_end {
            // Inside a changed segment a start rounds down, an end up.
            edit.original.start
        } else {
            edit.original.end
        }
    }
}

/// Appends the normal form of `text` to `out`; records length-changing
/// segments in `edits` when asked.
fn normalize_into(text: &str, out: &mut String, mut edits: Option<&mut Vec<Edit>>) {
    let bytes = text.as_bytes();
    let mut prev_separator = false;
    let mut push = |c: char, out: &mut String| {
        if is_separator(c) {
            if !prev_separator {
                out.push(' ');
            }
            prev_separator = true;
        } else {
            out.push(c);
            prev_separator = false;
        }
    };
    let mut at = 0;
    while at < bytes.len() {
        let start = out.len();
        let segment = segment_at(text, at);
        let piece = &text[segment.clone()];
        match piece.as_bytes() {
            // Most segments: one ASCII character, no table lookups.
            [b] => push(char::from(b.to_ascii_lowercase()), out),
            _ if is_nfkc_quick(piece.chars()) == IsNormalized::Yes => {
                for lower in piece.chars().flat_map(char::to_lowercase) {
                    push(lower, out);
                }
            }
            _ => {
                for lower in piece.nfkc().flat_map(char::to_lowercase) {
                    push(lower, out);
                }
            }
        }
        at = segment.end;
        let Some(edits) = edits.as_deref_mut() else { continue };
        if out.len() - start == piece.len() {
            continue;
        }
        match edits.last_mut() {
            Some(last) if last.normalized.end == start && last.original.end == segment.start => {
                last.normalized.end = out.len();
                last.original.end = segment.end;
            }
            _ => edits.push(Edit { normalized: start..out.len(), original: segment }),
        }
    }
}

/// The segment starting at byte `at` (a character boundary): a starter and
/// the characters that may combine with it under NFKC.
fn segment_at(text: &str, at: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let first_len = match bytes[at] {
        b if b.is_ascii() => 1,
        _ => text[at..].chars().next().map_or(1, char::len_utf8),
    };
    let mut end = at + first_len;
    // An ASCII byte always starts a new segment: check that first, cheaply.
    while end < bytes.len() && !bytes[end].is_ascii() {
        let Some(c) = text[end..].chars().next() else { break };
        if starts_segment(c) {
            break;
        }
        end += c.len_utf8();
    }
    at..end
}

/// Whether NFKC can never combine `c` with what precedes it.
fn starts_segment(c: char) -> bool {
    c.is_ascii() || (canonical_combining_class(c) == 0 && is_nfkc_quick(std::iter::once(c)) != IsNormalized::Maybe)
}
