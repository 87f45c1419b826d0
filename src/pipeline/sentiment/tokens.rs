//! VADER's tokeniser: a text as words and emoticons.
//!
//! Owns: splitting on whitespace, stripping the ASCII punctuation around a
//! word (but keeping short emoticons such as ":)" whole), expanding emoji
//! into the words of their description, lower-casing, and the ALL-CAPS
//! test. Tokens borrow from the text or from the embedded lexicon; the
//! only allocations are the token vector and, when some token has upper
//! case, one shared buffer of lower-cased copies. Tests: `tests.rs`.
//!
//! Where this differs from the reference (vaderSentiment 3.3.2), on
//! purpose:
//! - Variation selectors, skin-tone modifiers and zero-width joiners right
//!   after an emoji are dropped, so "❤️" reads as "red heart" (the reference
//!   leaves U+FE0F glued to "heart" and so misses its valence).
//! - Letters glued to the end of an emoji ("😀happy") form their own token;
//!   the reference glues them to the description ("grinning facehappy").
//!   Punctuation glued there is dropped, as the reference strips it.

use super::lexicon::Lexicon;

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
        let mut tokens = Tokens { tokens: recycle(tokens), lowered };
        tokens.tokens.reserve(text.len() / 5 + 1);
        for chunk in Chunks(text) {
            if chunk.ascii {
                tokens.push_ascii_word(chunk.text, chunk.upper, chunk.lower);
            } else {
                tokens.push_chunk(chunk.text, lexicon);
            }
        }
        tokens
    }

    /// The buffers, emptied, for the next text.
    pub(crate) fn into_buffers(self) -> TokenBuffers {
        TokenBuffers { tokens: recycle(self.tokens), lowered: self.lowered }
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
    /// words of its description.
    fn push_chunk(&mut self, chunk: &'a str, lexicon: &Lexicon) {
        let mut piece_start = 0;
        let mut after_emoji = false;
        let mut chars = chunk.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let Some(description) = lexicon.emoji(c) else { continue };
            self.push_piece(&chunk[piece_start..at], after_emoji);
            let mut end = at + c.len_utf8();
            while let Some(&(next_at, next)) = chars.peek() {
                if !is_emoji_modifier(next) {
                    break;
                }
                end = next_at + next.len_utf8();
                chars.next();
            }
            let emoji = &chunk[at..end];
            for word in description.split(' ').filter(|w| !w.is_empty()) {
                self.push_word(word, Some(emoji));
            }
            piece_start = end;
            after_emoji = true;
        }
        self.push_piece(&chunk[piece_start..], after_emoji);
    }

    fn push_piece(&mut self, piece: &'a str, after_emoji: bool) {
        if piece.is_empty() || (after_emoji && piece.bytes().all(|b| b.is_ascii_punctuation())) {
            return;
        }
        self.push_word(piece, None);
    }

    /// Pushes an ASCII chunk as one word, given whether it holds upper- and
    /// lower-case letters (punctuation stripping removes neither).
    fn push_ascii_word(&mut self, raw: &'a str, has_upper: bool, has_lower: bool) {
        let text = strip_ascii_punctuation(raw);
        let lower = self.ascii_lower(text, has_upper);
        self.tokens.push(Token { text, shown: text, upper: has_upper && !has_lower, lower });
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
    fn push_word(&mut self, raw: &'a str, emoji: Option<&'a str>) {
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
        self.tokens.push(Token { text, shown, upper, lower });
    }
}

/// An emptied vector of tokens of another lifetime, in the same
/// allocation (the standard library collects in place when the element
/// layout is the same; the map never runs on an empty vector).
fn recycle<'b>(mut tokens: Vec<Token<'_>>) -> Vec<Token<'b>> {
    tokens.clear();
    tokens.into_iter().map(|_| unreachable!("the vector is empty")).collect()
}

/// The non-empty runs between separators, as Python's `str.split()`
/// finds them.
struct Chunks<'a>(&'a str);

/// One run, and what the pass that found it saw of its bytes.
struct Chunk<'a> {
    text: &'a str,
    /// Only ASCII: no emoji to expand, one byte per character.
    ascii: bool,
    /// ASCII upper- and lower-case letters seen (meaningful when `ascii`).
    upper: bool,
    lower: bool,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Chunk<'a>;

    fn next(&mut self) -> Option<Chunk<'a>> {
        let text = self.0;
        let bytes = text.as_bytes();
        // The length of the character at `at` and whether it separates.
        let wide_at = |at: usize| -> (usize, bool) {
            text[at..].chars().next().map_or((1, false), |c| (c.len_utf8(), is_space(c)))
        };
        let mut start = 0;
        while start < bytes.len() {
            let b = bytes[start];
            let (len, space) = if b < 0x80 { (1, is_ascii_space(b)) } else { wide_at(start) };
            if !space {
                break;
            }
            start += len;
        }
        let (mut ascii, mut upper, mut lower) = (true, false, false);
        let mut end = start;
        while end < bytes.len() {
            let b = bytes[end];
            if b < 0x80 {
                if is_ascii_space(b) {
                    break;
                }
                upper |= b.is_ascii_uppercase();
                lower |= b.is_ascii_lowercase();
                end += 1;
                continue;
            }
            let (len, space) = wide_at(end);
            if space {
                break;
            }
            ascii = false;
            end += len;
        }
        self.0 = &text[end..];
        (start < end).then(|| Chunk { text: &text[start..end], ascii, upper, lower })
    }
}

/// Python's `str.split()` separators: Unicode White_Space plus the ASCII
/// information separators U+001C..U+001F.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// [`is_space`] for an ASCII byte.
fn is_ascii_space(b: u8) -> bool {
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

/// [`strip_punctuation`] of an ASCII token: one byte per character.
fn strip_ascii_punctuation(token: &str) -> &str {
    let bytes = token.as_bytes();
    let start = bytes.iter().position(|b| !b.is_ascii_punctuation()).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !b.is_ascii_punctuation()).map_or(start, |e| e + 1);
    if end - start <= 2 {
        token
    } else {
        &token[start..end]
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
