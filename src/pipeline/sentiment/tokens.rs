//! VADER's tokeniser: a text as words and emoticons.
//!
//! Owns: splitting on whitespace, stripping the ASCII punctuation around a
//! word (but keeping short emoticons such as ":)" whole), expanding emoji
//! into the words of their description, lower-casing, and the ALL-CAPS
//! test, and each token's lexicon entry, looked up as the token is made
//! (for an ASCII word, from a key packed straight from the text: see
//! `keys.rs`). Tokens borrow from the text or from the embedded lexicon;
//! the only buffers are the token vector and, when some token has upper
//! case, one of lower-cased copies, both kept between texts. ASCII bytes
//! are classified by one table lookup each ([`CLASS`]). Tests: `tests.rs`.
//!
//! Where this differs from the reference (vaderSentiment 3.3.2), on
//! purpose:
//! - Variation selectors, skin-tone modifiers and zero-width joiners right
//!   after an emoji are dropped, so "❤️" reads as "red heart" (the reference
//!   leaves U+FE0F glued to "heart" and so misses its valence).
//! - Letters glued to the end of an emoji ("😀happy") form their own token;
//!   the reference glues them to the description ("grinning facehappy").
//!   Punctuation glued there is dropped, as the reference strips it.

use super::keys::{WordKey, INLINE};
use super::lexicon::{Entry, Lexicon};

/// One word or emoticon.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    /// The word as VADER reads it, original case.
    pub(crate) text: &'a str,
    /// What a person should be shown for it: the word itself, or the emoji
    /// whose description it came from.
    pub(crate) shown: &'a str,
    /// Python's `str.isupper()`: some cased letter and no lower-case one.
    pub(crate) upper: bool,
    /// What the lexicon says about the lower-case word.
    pub(crate) entry: Entry,
    lower: Lower,
}

/// Where a token's lower-case form lives.
#[derive(Debug, Clone, Copy)]
enum Lower {
    /// `text` is already lower case.
    Same,
    /// A range of [`Tokens::lowered`].
    Buffer(usize, usize),
}

/// The tokens of one text.
#[derive(Debug)]
pub(crate) struct Tokens<'a> {
    tokens: Vec<Token<'a>>,
    /// Lower-cased copies of the tokens that had upper case, back to back.
    lowered: String,
    /// "!" and "?" in the text (all are inside chunks: neither separates).
    exclamations: usize,
    questions: usize,
}

/// The buffers of a [`Tokens`], kept between texts so tokenising
/// allocates nothing once they have grown.
#[derive(Debug, Default)]
pub(crate) struct TokenBuffers {
    tokens: Vec<Token<'static>>,
    lowered: String,
}

impl<'a> Tokens<'a> {
    /// Tokenises `text` into `buffers`; [`Self::into_buffers`] gives them
    /// back.
    pub(crate) fn with_buffers(text: &'a str, lexicon: &Lexicon, buffers: TokenBuffers) -> Tokens<'a> {
        let TokenBuffers { tokens, mut lowered } = buffers;
        lowered.clear();
        let mut tokens = Tokens { tokens: recycle(tokens), lowered, exclamations: 0, questions: 0 };
        tokens.tokens.reserve(text.len() / 5 + 1);
        for chunk in Chunks::new(text) {
            if chunk.seen & MARK != 0 {
                tokens.count_marks(&text.as_bytes()[chunk.start..chunk.end]);
            }
            if chunk.seen & WIDE == 0 {
                tokens.push_ascii_word(text, chunk, lexicon);
            } else {
                tokens.push_chunk(&text[chunk.start..chunk.end], lexicon);
            }
        }
        tokens
    }

    /// The buffers, emptied, for the next text.
    pub(crate) fn into_buffers(self) -> TokenBuffers {
        TokenBuffers { tokens: recycle(self.tokens), lowered: self.lowered }
    }

    /// How many "!" and "?" the text holds.
    pub(crate) fn marks(&self) -> (usize, usize) {
        (self.exclamations, self.questions)
    }

    fn count_marks(&mut self, chunk: &[u8]) {
        for &b in chunk {
            self.exclamations += usize::from(b == b'!');
            self.questions += usize::from(b == b'?');
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.tokens.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub(crate) fn get(&self, i: usize) -> &Token<'a> {
        &self.tokens[i]
    }

    /// The lower-case form of token `i`.
    #[inline]
    pub(crate) fn lower(&self, i: usize) -> &str {
        let token = &self.tokens[i];
        match token.lower {
            Lower::Same => token.text,
            Lower::Buffer(start, end) => &self.lowered[start..end],
        }
    }

    /// Splits a whitespace-free chunk holding non-ASCII characters at its
    /// emoji: the pieces between them are words, each emoji becomes the
    /// words of its description (or itself, if the lexicon's overlay rates
    /// it: [`Lexicon::rates_emoji`]).
    fn push_chunk(&mut self, chunk: &'a str, lexicon: &Lexicon) {
        let mut piece_start = 0;
        let mut after_emoji = false;
        let mut chars = chunk.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let Some(description) = lexicon.emoji(c) else { continue };
            self.push_piece(&chunk[piece_start..at], after_emoji, lexicon);
            let mut end = at + c.len_utf8();
            while let Some(&(next_at, next)) = chars.peek() {
                if !is_emoji_modifier(next) {
                    break;
                }
                end = next_at + next.len_utf8();
                chars.next();
            }
            let emoji = &chunk[at..end];
            if lexicon.rates_emoji(c) {
                self.push_word(&chunk[at..at + c.len_utf8()], Some(emoji), lexicon);
            } else {
                for word in description.split(' ').filter(|w| !w.is_empty()) {
                    self.push_word(word, Some(emoji), lexicon);
                }
            }
            piece_start = end;
            after_emoji = true;
        }
        self.push_piece(&chunk[piece_start..], after_emoji, lexicon);
    }

    fn push_piece(&mut self, piece: &'a str, after_emoji: bool, lexicon: &Lexicon) {
        if piece.is_empty() || (after_emoji && piece.bytes().all(|b| b.is_ascii_punctuation())) {
            return;
        }
        self.push_word(piece, None, lexicon);
    }

    /// Pushes an ASCII chunk of `text` as one word: punctuation stripped,
    /// looked up by a key packed from the text.
    fn push_ascii_word(&mut self, text: &'a str, chunk: Chunk, lexicon: &Lexicon) {
        let (start, end) = if chunk.seen & PUNCT == 0 { (chunk.start, chunk.end) } else { strip_ascii(text, chunk) };
        let word = &text[start..end];
        let has_upper = chunk.seen & UPPER != 0;
        let entry = if word.len() <= INLINE {
            let key = WordKey::packed(text.as_bytes(), start, word.len());
            let key = if has_upper { key.ascii_lowercase() } else { key };
            lexicon.entry_of_key(key, chunk.seen & APOSTROPHE != 0)
        } else {
            lexicon.entry(&word.to_ascii_lowercase())
        };
        let lower = self.ascii_lower(word, has_upper);
        let upper = has_upper && chunk.seen & LOWER == 0;
        self.tokens.push(Token { text: word, shown: word, upper, entry, lower });
    }

    /// Where the lower-case form of ASCII `text` lives: a copy in
    /// [`Tokens::lowered`] when it has upper-case letters.
    fn ascii_lower(&mut self, text: &str, has_upper: bool) -> Lower {
        if !has_upper {
            return Lower::Same;
        }
        let start = self.lowered.len();
        self.lowered.push_str(text);
        self.lowered[start..].make_ascii_lowercase();
        Lower::Buffer(start, self.lowered.len())
    }

    /// Pushes one word; `emoji` is the emoji it describes, if any.
    fn push_word(&mut self, raw: &'a str, emoji: Option<&'a str>, lexicon: &Lexicon) {
        let text = strip_punctuation(raw);
        let shown = emoji.unwrap_or(text);
        let (upper, lower) = if text.is_ascii() {
            let (mut has_upper, mut has_lower) = (false, false);
            for b in text.bytes() {
                has_upper |= b.is_ascii_uppercase();
                has_lower |= b.is_ascii_lowercase();
            }
            (has_upper && !has_lower, self.ascii_lower(text, has_upper))
        } else if text.chars().any(lowercase_differs) {
            let start = self.lowered.len();
            // str::to_lowercase, not per char: it handles final sigma as
            // Python's str.lower() does.
            self.lowered.push_str(&text.to_lowercase());
            (is_upper(text), Lower::Buffer(start, self.lowered.len()))
        } else {
            (is_upper(text), Lower::Same)
        };
        let entry = lexicon.entry(match lower {
            Lower::Same => text,
            Lower::Buffer(start, end) => &self.lowered[start..end],
        });
        self.tokens.push(Token { text, shown, upper, entry, lower });
    }
}

/// An emptied vector of tokens of another lifetime, in the same
/// allocation (the standard library collects in place when the element
/// layout is the same; the map never runs on an empty vector).
fn recycle<'b>(mut tokens: Vec<Token<'_>>) -> Vec<Token<'b>> {
    tokens.clear();
    tokens.into_iter().map(|_| unreachable!("the vector is empty")).collect()
}

/// What [`CLASS`] says about a byte, as bits.
const SPACE: u8 = 1;
const UPPER: u8 = 2;
const LOWER: u8 = 4;
const PUNCT: u8 = 8;
const APOSTROPHE: u8 = 16;
/// Part of a non-ASCII character.
const WIDE: u8 = 32;
/// "!" or "?", which VADER counts for emphasis.
const MARK: u8 = 64;

/// Per byte: [`is_ascii_space`], ASCII upper and lower case, ASCII
/// punctuation, the apostrophe, "!" and "?", or not ASCII.
static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        class[b] = if !byte.is_ascii() {
            WIDE
        } else if is_ascii_space(byte) {
            SPACE
        } else if byte.is_ascii_uppercase() {
            UPPER
        } else if byte.is_ascii_lowercase() {
            LOWER
        } else if byte == b'\'' {
            PUNCT | APOSTROPHE
        } else if byte == b'!' || byte == b'?' {
            PUNCT | MARK
        } else if byte.is_ascii_punctuation() {
            PUNCT
        } else {
            0
        };
        b += 1;
    }
    class
};

/// The non-empty runs between separators, as Python's `str.split()`
/// finds them.
struct Chunks<'a> {
    text: &'a str,
    /// Where the search for the next run starts.
    at: usize,
}

impl<'a> Chunks<'a> {
    fn new(text: &'a str) -> Self {
        Chunks { text, at: 0 }
    }

    /// The length of the non-ASCII character at `at` and whether it
    /// separates.
    fn wide_at(&self, at: usize) -> (usize, bool) {
        self.text[at..].chars().next().map_or((1, false), |c| (c.len_utf8(), is_space(c)))
    }
}

/// One run: a byte range of the text, and the [`CLASS`] bits of its bytes
/// or-ed together.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    start: usize,
    end: usize,
    seen: u8,
}

impl Iterator for Chunks<'_> {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        let bytes = self.text.as_bytes();
        let mut start = self.at;
        loop {
            let class = CLASS[usize::from(*bytes.get(start)?)];
            if class & SPACE != 0 {
                start += 1;
                continue;
            }
            if class & WIDE == 0 {
                break;
            }
            let (len, space) = self.wide_at(start);
            if !space {
                break;
            }
            start += len;
        }
        let mut seen = 0;
        let mut end = start;
        while let Some(&b) = bytes.get(end) {
            let class = CLASS[usize::from(b)];
            if class & (SPACE | WIDE) == 0 {
                seen |= class;
                end += 1;
                continue;
            }
            if class & SPACE != 0 {
                break;
            }
            let (len, space) = self.wide_at(end);
            if space {
                break;
            }
            seen |= WIDE;
            end += len;
        }
        self.at = end;
        Some(Chunk { start, end, seen })
    }
}

/// Python's `str.split()` separators: Unicode White_Space plus the ASCII
/// information separators U+001C..U+001F.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// [`is_space`] for an ASCII byte.
const fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b'\x1c'..=b'\x1f' | b' ')
}

/// Strips leading and trailing ASCII punctuation, unless that leaves two
/// characters or fewer (then the token was likely an emoticon: ":)", ":-(").
fn strip_punctuation(token: &str) -> &str {
    let bytes = token.as_bytes();
    let mut start = 0;
    while start < bytes.len() && bytes[start].is_ascii_punctuation() {
        start += 1;
    }
    let mut end = bytes.len();
    while end > start && bytes[end - 1].is_ascii_punctuation() {
        end -= 1;
    }
    // ASCII punctuation is one byte, so both ends are char boundaries.
    let stripped = &token[start..end];
    let short = if stripped.is_ascii() { stripped.len() <= 2 } else { stripped.chars().nth(2).is_none() };
    if short {
        token
    } else {
        stripped
    }
}

/// [`strip_punctuation`] of an ASCII chunk of `text`: its byte range.
fn strip_ascii(text: &str, chunk: Chunk) -> (usize, usize) {
    let bytes = text.as_bytes();
    let (mut start, mut end) = (chunk.start, chunk.end);
    while start < end && CLASS[usize::from(bytes[start])] & PUNCT != 0 {
        start += 1;
    }
    while end > start && CLASS[usize::from(bytes[end - 1])] & PUNCT != 0 {
        end -= 1;
    }
    if end - start <= 2 {
        (chunk.start, chunk.end)
    } else {
        (start, end)
    }
}

/// Python's `str.isupper()`.
fn is_upper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        cased |= c.is_uppercase();
    }
    cased
}

fn lowercase_differs(c: char) -> bool {
    let mut lower = c.to_lowercase();
    !(lower.next() == Some(c) && lower.next().is_none())
}

/// Code points that modify the emoji before them and carry no meaning of
/// their own here: variation selectors, zero-width joiner, skin tones.
fn is_emoji_modifier(c: char) -> bool {
    matches!(c, '\u{fe0e}' | '\u{fe0f}' | '\u{200d}' | '\u{1f3fb}'..='\u{1f3ff}')
}
