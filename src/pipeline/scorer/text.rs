//! A post's words as the cue patterns see them: lower case, apostrophes
//! dropped ("can't" = "cant"), other punctuation a separator, emoji as
//! words of their own, numbers as `_num`, durations ("90 min", "2hrs", "an
//! hour and a half", "ages") as `_dur`, and sentence ends as `.`.
//!
//! Owns: the tokeniser and the duration grammar, both single passes over
//! the text with no backtracking, so a hostile post costs linear time. The
//! same code normalises the data files' patterns (`phrases.rs`), so a
//! pattern and a post can never disagree on what a word is; an ASCII post
//! takes a shorter path through the same rules (`Raw::scan_ascii`: the
//! post lower-cased once, words as byte ranges of it), checked
//! byte-identical by `benches/scorer_golden.py`. Tests:
//! `scorer/tests/text.rs`.

use crate::pipeline::sentiment::WordKey;

/// Longest word [`MatchText::word_key`] packs.
const INLINE_WORD: usize = crate::pipeline::sentiment::INLINE_WORD;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    /// Digits ("3", "1.5", "1,000"), shown to patterns as `_num`.
    Num,
    /// A duration, shown as `_dur`.
    Dur,
    Emoji,
    /// A sentence end (". ! ? ; …" or a line break), shown as `.`.
    Break,
}

/// One token of [`MatchText`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    /// Byte range in the source text (empty for the virtual breaks at the
    /// start and the end).
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// Byte range of a word's or emoji's lower-case text in
    /// [`MatchText::lower`].
    lo: (u32, u32),
    pub(crate) kind: Kind,
    /// For a break: a "?" without a "!" ended the sentence.
    pub(crate) question: bool,
    /// For a duration: its length in minutes.
    pub(crate) minutes: f32,
}

/// The normalised words of one text, framed by a sentence break at each
/// end.
#[derive(Debug, Default)]
pub(crate) struct MatchText {
    /// Lower-case text of the words, back to back; for an ASCII post, the
    /// whole post lower-cased, then the words that dropped an apostrophe.
    lower: String,
    pub(crate) tokens: Vec<Token>,
    /// Per token, the number of breaks at or before it: two tokens are in
    /// the same sentence when no break lies between them.
    pub(crate) breaks: Vec<u32>,
    /// The tokens before durations are read, kept for reuse.
    raw: Vec<RawToken>,
    /// The first "but" (see [`Self::first_but`]).
    but: Option<usize>,
}

/// Private-use characters that stand for `_dur` and `_num` in patterns.
pub(crate) const DUR_MARK: char = '\u{E000}';
pub(crate) const NUM_MARK: char = '\u{E001}';

impl MatchText {
    /// Tokenises a post.
    #[cfg(test)]
    pub(crate) fn new(text: &str) -> MatchText {
        Self::build(text, false, true)
    }

    /// Tokenises a pattern: [`DUR_MARK`] and [`NUM_MARK`] become `_dur` and
    /// `_num` tokens.
    pub(crate) fn pattern(text: &str) -> MatchText {
        Self::build(text, true, true)
    }

    /// [`Self::pattern`] without reading durations: for the pieces of a
    /// pattern, whose durations are read once the pieces are joined.
    pub(crate) fn pattern_words(text: &str) -> MatchText {
        Self::build(text, true, false)
    }

    /// Tokenises a post into this text's buffers, reusing them.
    pub(crate) fn read(&mut self, text: &str) {
        self.fill(text, false, true);
    }

    fn build(text: &str, marks: bool, durations: bool) -> MatchText {
        let mut out = MatchText::default();
        out.fill(text, marks, durations);
        out
    }

    fn fill(&mut self, text: &str, marks: bool, durations: bool) {
        let mut lower = std::mem::take(&mut self.lower);
        let mut raw_tokens = std::mem::take(&mut self.raw);
        lower.clear();
        raw_tokens.clear();
        let mut raw = Raw { lower, tokens: raw_tokens };
        raw.scan(text, marks);
        let mut tokens = std::mem::take(&mut self.tokens);
        tokens.clear();
        tokens.push(Token::from(RawToken::virtual_break(0)));
        self.but = None;
        let mut i = 0;
        while i < raw.tokens.len() {
            let t = raw.tokens[i];
            if let Some((len, minutes)) = duration_at(&raw, i).filter(|_| durations) {
                let last = raw.tokens[i + len - 1];
                tokens.push(Token::from(RawToken { end: last.end, kind: Kind::Dur, minutes, ..t }));
                i += len;
                continue;
            }
            if !(t.kind == Kind::Break && tokens.last().is_some_and(|l| l.kind == Kind::Break)) {
                if t.kind == Kind::Word && t.lo.1 - t.lo.0 == 3 && self.but.is_none() && raw.text(i) == "but" {
                    self.but = Some(tokens.len());
                }
                tokens.push(Token::from(t));
            }
            i += 1;
        }
        if !(tokens.len() > 1 && tokens.last().is_some_and(|l| l.kind == Kind::Break)) {
            tokens.push(Token::from(RawToken::virtual_break(text.len() as u32)));
        }
        let mut count = 0;
        self.breaks.clear();
        self.breaks.extend(tokens.iter().map(|t| {
            count += u32::from(t.kind == Kind::Break);
            count
        }));
        self.tokens = tokens;
        self.lower = raw.lower;
        self.raw = raw.tokens;
    }

    /// The token's text as patterns see it: the lower-case word, or `_num`,
    /// `_dur`, `.`.
    pub(crate) fn word(&self, i: usize) -> &str {
        let t = &self.tokens[i];
        match t.kind {
            Kind::Num => "_num",
            Kind::Dur => "_dur",
            Kind::Break => ".",
            Kind::Word | Kind::Emoji => &self.lower[t.lo.0 as usize..t.lo.1 as usize],
        }
    }

    /// A number's text as written ("75", "1,000"); `None` for other
    /// tokens and for a pattern's `_num`, which stands for any number.
    pub(crate) fn digits(&self, i: usize) -> Option<&str> {
        let t = &self.tokens[i];
        (t.kind == Kind::Num && t.lo.1 > t.lo.0).then(|| &self.lower[t.lo.0 as usize..t.lo.1 as usize])
    }

    /// The key of a word's or emoji's lower-case text ([`Self::word`]), if
    /// it fits one: packed from the buffer, without slicing it.
    #[inline]
    pub(crate) fn word_key(&self, i: usize) -> Option<WordKey> {
        let t = &self.tokens[i];
        let (start, end) = (t.lo.0 as usize, t.lo.1 as usize);
        let fits = matches!(t.kind, Kind::Word | Kind::Emoji) && (1..=INLINE_WORD).contains(&(end - start));
        fits.then(|| WordKey::packed(self.lower.as_bytes(), start, end - start))
    }

    /// Whether tokens `a <= b` are in one sentence (a break at `a` or `b`
    /// itself does not separate them).
    pub(crate) fn same_sentence(&self, a: usize, b: usize) -> bool {
        b <= a + 1 || self.breaks[b - 1] == self.breaks[a]
    }

    /// The index of the first "but", if any.
    pub(crate) fn first_but(&self) -> Option<usize> {
        self.but
    }
}

impl From<RawToken> for Token {
    fn from(t: RawToken) -> Token {
        Token { start: t.start, end: t.end, lo: t.lo, kind: t.kind, question: t.question, minutes: t.minutes }
    }
}

/// A token before durations are read, its lower-case text in `Raw::lower`.
#[derive(Debug, Clone, Copy)]
struct RawToken {
    start: u32,
    end: u32,
    lo: (u32, u32),
    kind: Kind,
    question: bool,
    minutes: f32,
}

impl RawToken {
    fn virtual_break(at: u32) -> RawToken {
        RawToken { start: at, end: at, lo: (0, 0), kind: Kind::Break, question: false, minutes: 0.0 }
    }
}

struct Raw {
    lower: String,
    tokens: Vec<RawToken>,
}

impl Raw {
    fn text(&self, i: usize) -> &str {
        let (a, b) = self.tokens[i].lo;
        &self.lower[a as usize..b as usize]
    }

    fn scan(&mut self, text: &str, marks: bool) {
        if !marks && text.is_ascii() {
            self.scan_ascii(text);
        } else {
            self.scan_chars(text, marks);
        }
    }

    /// [`Self::scan`] of any text, one character at a time.
    fn scan_chars(&mut self, text: &str, marks: bool) {
        let bytes = text.as_bytes();
        let char_at = |at: usize| char_at(text, at);
        // The open word: its start in `text` and in `lower`, and whether it
        // holds digits (a number) or letters.
        let mut open: Option<(usize, usize, Kind)> = None;
        let mut at = 0;
        while at < bytes.len() {
            let (c, len) = char_at(at);
            let this = at;
            at += len;
            if c.is_alphanumeric() {
                let digit = c.is_ascii_digit();
                if let Some((start, lo, kind)) = open {
                    let was_num = kind == Kind::Num;
                    if was_num && !digit && ordinal_suffix(text, this) {
                        // "3rd": from here on a word.
                        open = Some((start, lo, Kind::Word));
                    } else if was_num != digit {
                        self.close(start, this, lo, kind);
                        open = None;
                    }
                }
                if open.is_none() {
                    open = Some((this, self.lower.len(), if digit { Kind::Num } else { Kind::Word }));
                }
                if len == 1 {
                    // The rest of this ASCII run of letters (or of digits)
                    // goes on the same word: take it in one step.
                    let run = if digit { ASCII_DIGIT } else { ASCII_LETTER };
                    let mut end = at;
                    while bytes.get(end).is_some_and(|&b| ASCII_CLASS[usize::from(b)] == run) {
                        end += 1;
                    }
                    let from = self.lower.len();
                    self.lower.push_str(&text[this..end]);
                    self.lower[from..].make_ascii_lowercase();
                    at = end;
                } else {
                    self.lower.extend(c.to_lowercase());
                }
                continue;
            }
            if c == ' ' {
                if let Some((start, lo, kind)) = open.take() {
                    self.close(start, this, lo, kind);
                }
                continue;
            }
            let next = (at < bytes.len()).then(|| char_at(at).0);
            let in_word = open.is_some() && next.is_some_and(char::is_alphanumeric);
            match c {
                // "can't", "haven’t": the apostrophe is dropped, the word goes on.
                '\'' | '\u{2019}' | '\u{2018}' | '\u{2bc}' | '`' if in_word => continue,
                // "1.5", "1,000".
                '.' | ','
                    if in_word
                        && open.is_some_and(|o| o.2 == Kind::Num)
                        && next.is_some_and(|n| n.is_ascii_digit()) =>
                {
                    self.lower.push(c);
                    continue;
                }
                _ => {}
            }
            if let Some((start, lo, kind)) = open.take() {
                self.close(start, this, lo, kind);
            }
            match c {
                '.' | '!' | '?' | ';' | '\u{2026}' | '\n' | '\u{2028}' | '\u{2029}' => self.sentence_end(this, at, c),
                DUR_MARK | NUM_MARK if marks => {
                    let kind = if c == DUR_MARK { Kind::Dur } else { Kind::Num };
                    self.push(this, at, self.lower.len(), kind);
                }
                c if len > 1 && is_emoji(c) => {
                    let lo = self.lower.len();
                    self.lower.push(c);
                    self.push(this, at, lo, Kind::Emoji);
                }
                _ => {}
            }
        }
        if let Some((start, lo, kind)) = open {
            self.close(start, text.len(), lo, kind);
        }
    }

    /// [`Self::scan`] of an ASCII post: the same tokens, but the text is
    /// lower-cased once as a whole, so a word's lower-case text is its own
    /// byte range of it; only a word that dropped an apostrophe ("can't")
    /// is copied, after the text.
    fn scan_ascii(&mut self, text: &str) {
        let bytes = text.as_bytes();
        self.lower.push_str(text);
        self.lower.make_ascii_lowercase();
        // The open word: its start, its kind, and whether it dropped an
        // apostrophe.
        let mut open: Option<(usize, Kind, bool)> = None;
        let mut at = 0;
        while at < bytes.len() {
            let b = bytes[at];
            let this = at;
            at += 1;
            let class = ASCII_CLASS[usize::from(b)];
            if class != 0 {
                let digit = class == ASCII_DIGIT;
                if let Some((start, kind, dropped)) = open {
                    let was_num = kind == Kind::Num;
                    if was_num && !digit && ordinal_suffix(text, this) {
                        open = Some((start, Kind::Word, dropped));
                    } else if was_num != digit {
                        self.close_ascii(start, this, kind, dropped);
                        open = None;
                    }
                }
                if open.is_none() {
                    open = Some((this, if digit { Kind::Num } else { Kind::Word }, false));
                }
                while bytes.get(at).is_some_and(|&b| ASCII_CLASS[usize::from(b)] == class) {
                    at += 1;
                }
                continue;
            }
            if b == b' ' {
                if let Some((start, kind, dropped)) = open.take() {
                    self.close_ascii(start, this, kind, dropped);
                }
                continue;
            }
            let next = bytes.get(at).copied();
            let in_word = open.is_some() && next.is_some_and(|n| n.is_ascii_alphanumeric());
            match b {
                b'\'' | b'`' if in_word => {
                    if let Some((_, _, dropped)) = &mut open {
                        *dropped = true;
                    }
                    continue;
                }
                b'.' | b','
                    if in_word
                        && open.is_some_and(|o| o.1 == Kind::Num)
                        && next.is_some_and(|n| n.is_ascii_digit()) =>
                {
                    continue;
                }
                _ => {}
            }
            if let Some((start, kind, dropped)) = open.take() {
                self.close_ascii(start, this, kind, dropped);
            }
            if matches!(b, b'.' | b'!' | b'?' | b';' | b'\n') {
                self.sentence_end(this, at, char::from(b));
            }
        }
        if let Some((start, kind, dropped)) = open {
            self.close_ascii(start, text.len(), kind, dropped);
        }
    }

    /// Closes a word of [`Self::scan_ascii`] at `start..end`; one that
    /// dropped an apostrophe gets its lower-case text without it.
    fn close_ascii(&mut self, start: usize, end: usize, kind: Kind, dropped: bool) {
        let lo = if dropped {
            let from = self.lower.len();
            for k in start..end {
                let b = self.lower.as_bytes()[k];
                if b != b'\'' && b != b'`' {
                    self.lower.push(char::from(b));
                }
            }
            (from, self.lower.len())
        } else {
            (start, end)
        };
        self.close_range(start, end, lo, kind);
    }

    /// A sentence end `c` at `this..at`: a break token, or the end of the
    /// break right before it.
    fn sentence_end(&mut self, this: usize, at: usize, c: char) {
        let question = c == '?';
        let exclaim = c == '!';
        match self.tokens.last_mut() {
            Some(last) if last.kind == Kind::Break && last.end as usize == this => {
                last.end = at as u32;
                last.question = (last.question || question) && !exclaim;
            }
            _ => self.tokens.push(RawToken {
                start: this as u32,
                end: at as u32,
                lo: (0, 0),
                kind: Kind::Break,
                question,
                minutes: 0.0,
            }),
        }
    }

    /// Closes a word or number whose lower-case text runs from `lo` to the
    /// end of `lower`.
    fn close(&mut self, start: usize, end: usize, lo: usize, kind: Kind) {
        self.close_range(start, end, (lo, self.lower.len()), kind);
    }

    /// Closes a word or number at `start..end` whose lower-case text is
    /// `lower[lo.0..lo.1]`.
    fn close_range(&mut self, start: usize, end: usize, lo: (usize, usize), kind: Kind) {
        // "3rd" reads as a word, "3" as a number.
        let letters = kind == Kind::Num && self.lower.as_bytes()[lo.0..lo.1].iter().any(u8::is_ascii_alphabetic);
        self.push_range(start, end, lo, if letters { Kind::Word } else { kind });
    }

    fn push(&mut self, start: usize, end: usize, lo: usize, kind: Kind) {
        self.push_range(start, end, (lo, self.lower.len()), kind);
    }

    fn push_range(&mut self, start: usize, end: usize, lo: (usize, usize), kind: Kind) {
        self.tokens.push(RawToken {
            start: start as u32,
            end: end as u32,
            lo: (lo.0 as u32, lo.1 as u32),
            kind,
            question: false,
            minutes: 0.0,
        });
    }
}

/// Whether [`Raw::scan_ascii`] reads ASCII `text` as the character path
/// does: the same tokens with the same lower-case words.
#[cfg(test)]
pub(crate) fn ascii_path_agrees(text: &str) -> bool {
    let scan = |ascii: bool| {
        let mut raw = Raw { lower: String::new(), tokens: Vec::new() };
        if ascii {
            raw.scan_ascii(text);
        } else {
            raw.scan_chars(text, false);
        }
        (0..raw.tokens.len())
            .map(|i| {
                let t = raw.tokens[i];
                (t.start, t.end, t.kind, t.question, raw.text(i).to_string())
            })
            .collect::<Vec<_>>()
    };
    scan(true) == scan(false)
}

/// [`ASCII_CLASS`] of an ASCII letter, of an ASCII digit.
const ASCII_LETTER: u8 = 1;
const ASCII_DIGIT: u8 = 2;

/// Per byte: whether it is an ASCII letter or digit (0: neither), so a
/// run of either is read with one table lookup per byte.
static ASCII_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        class[b] = if byte.is_ascii_alphabetic() {
            ASCII_LETTER
        } else if byte.is_ascii_digit() {
            ASCII_DIGIT
        } else {
            0
        };
        b += 1;
    }
    class
};

/// The character at byte `at` of `text` and its length; ASCII without
/// decoding.
#[inline(always)]
fn char_at(text: &str, at: usize) -> (char, usize) {
    let b = text.as_bytes()[at];
    if b < 0x80 {
        (char::from(b), 1)
    } else {
        let c = text[at..].chars().next().unwrap_or('\u{fffd}');
        (c, c.len_utf8())
    }
}

/// "st", "nd", "rd", "th" right after digits, ending the word: "3rd".
fn ordinal_suffix(text: &str, at: usize) -> bool {
    let rest = text.as_bytes().get(at..at + 3).unwrap_or(&text.as_bytes()[at..]);
    let suffix = rest.get(..2).map(|s| s.to_ascii_lowercase());
    matches!(suffix.as_deref(), Some(b"st" | b"nd" | b"rd" | b"th"))
        && !rest.get(2).is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Pictographs and symbols that people use as words: 😡 🙄 👏 ❤ ⭐.
fn is_emoji(c: char) -> bool {
    matches!(c, '\u{1F000}'..='\u{1F3FA}' | '\u{1F400}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2B50}' | '\u{2B55}' | '\u{231A}'..='\u{23FF}')
}

/// A duration starting at raw token `i`: its length in tokens and minutes.
fn duration_at(raw: &Raw, i: usize) -> Option<(usize, f32)> {
    let word = |k: usize| -> Option<&str> {
        let t = raw.tokens.get(k)?;
        match t.kind {
            Kind::Word => Some(raw.text(k)),
            Kind::Num => Some(raw.text(k)),
            _ => None,
        }
    };
    let is_num = |k: usize| raw.tokens.get(k).is_some_and(|t| t.kind == Kind::Num);
    // A pattern's `_num` mark has no digits: it stands for any number.
    let number = |k: usize| -> Option<f32> {
        let w = word(k)?;
        if w.is_empty() {
            return Some(1.0);
        }
        if w.contains(',') {
            w.replace(',', "").parse::<f32>().ok()
        } else {
            w.parse::<f32>().ok()
        }
    };
    // Most tokens are ruled out before their text is sliced.
    let first = match raw.tokens.get(i)?.kind {
        Kind::Num => raw.text(i),
        Kind::Word if starts_duration(raw.text(i)) => raw.text(i),
        _ => return None,
    };
    // Bare plurals: "for hours".
    if let Some(minutes) = bare_duration(first) {
        return Some((1, minutes));
    }
    let mut j = i;
    let quantity = if is_num(i) {
        let mut q = number(i)?;
        j += 1;
        // Ranges: "2-3 days", "2 to 3 days", "2 or 3 days".
        if is_num(j) {
            q = number(j)?;
            j += 1;
        } else if matches!(word(j), Some("to" | "or")) && is_num(j + 1) {
            q = number(j + 1)?;
            j += 2;
        }
        q
    } else if first == "half" && matches!(word(i + 1), Some("a" | "an")) {
        j += 2;
        0.5
    } else if first == "a" || first == "an" {
        j += 1;
        match word(j) {
            Some("couple") => {
                j += 1 + usize::from(word(j + 1) == Some("of"));
                2.0
            }
            Some("few") => {
                j += 1;
                3.0
            }
            _ => 1.0,
        }
    } else if let Some(q) = number_word(first) {
        j += 1;
        if first == "couple" && word(j) == Some("of") {
            j += 1;
        }
        q
    } else {
        return None;
    };
    // "2 more hours", "5 working days".
    if matches!(
        word(j),
        Some(
            "more"
                | "extra"
                | "additional"
                | "working"
                | "business"
                | "whole"
                | "full"
                | "entire"
                | "straight"
                | "long"
                | "solid"
        )
    ) && unit(word(j + 1)?).is_some()
    {
        j += 1;
    }
    let per = unit(word(j)?)?;
    j += 1;
    let mut minutes = quantity * per;
    if word(j) == Some("and") && word(j + 1) == Some("a") && word(j + 2) == Some("half") {
        minutes += per / 2.0;
        j += 3;
    } else if per == 60.0 && is_num(j) {
        // "1 hr 20", "1h30 min".
        minutes += number(j).unwrap_or(0.0);
        j += 1;
        if word(j).and_then(unit) == Some(1.0) {
            j += 1;
        }
    }
    Some((j - i, minutes))
}

/// Whether `w` can make a duration out of the words around it: a unit or
/// a bare plural ("hours").
pub(crate) fn is_duration_word(w: &str) -> bool {
    unit(w).is_some() || bare_duration(w).is_some()
}

/// Words other than numbers and bare durations that can start one.
const DURATION_ARTICLES: &[&str] = &["a", "an", "half"];

/// Whether a word can start a duration (a number is checked apart).
fn starts_duration(w: &str) -> bool {
    may_start_duration(w) && (DURATION_ARTICLES.contains(&w) || number_word(w).is_some() || bare_duration(w).is_some())
}

/// Per first byte: bit `n` is set when some word of `n` bytes starting
/// with that byte can start a duration ([`starts_duration`]). Most words
/// are ruled out by this one test.
static DURATION_STARTS: [u32; 256] = {
    let mut starts = [0u32; 256];
    let lists: [&[&str]; 3] = [DURATION_ARTICLES, &words_of(NUMBER_WORDS), &words_of(BARE_DURATIONS)];
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            let word = lists[l][i].as_bytes();
            starts[word[0] as usize] |= 1 << word.len();
            i += 1;
        }
        l += 1;
    }
    starts
};

/// The words of a word-value table.
const fn words_of<const N: usize>(table: &[(&'static str, f32); N]) -> [&'static str; N] {
    let mut words = [""; N];
    let mut i = 0;
    while i < N {
        words[i] = table[i].0;
        i += 1;
    }
    words
}

/// The [`DURATION_STARTS`] test.
#[inline]
fn may_start_duration(w: &str) -> bool {
    match w.as_bytes().first() {
        Some(&first) => w.len() < 32 && DURATION_STARTS[usize::from(first)] & (1 << w.len()) != 0,
        None => false,
    }
}

/// Minutes per unit word.
fn unit(w: &str) -> Option<f32> {
    Some(match w {
        "sec" | "secs" | "second" | "seconds" => 1.0 / 60.0,
        "min" | "mins" | "minute" | "minutes" | "mn" | "mns" => 1.0,
        "h" | "hr" | "hrs" | "hour" | "hours" | "hrz" | "hour's" => 60.0,
        "day" | "days" => 1_440.0,
        "wk" | "wks" | "week" | "weeks" => 10_080.0,
        "month" | "months" | "mth" | "mths" => 43_200.0,
        "yr" | "yrs" | "year" | "years" => 525_600.0,
        _ => return None,
    })
}

/// A length written without a number.
const BARE_DURATIONS: &[(&str, f32); 6] = &[
    ("hours", 120.0),
    ("hrs", 120.0),
    ("days", 2_880.0),
    ("weeks", 20_160.0),
    ("months", 86_400.0),
    ("years", 1_051_200.0),
];

/// Numbers written as words.
const NUMBER_WORDS: &[(&str, f32); 26] = &[
    ("one", 1.0),
    ("two", 2.0),
    ("couple", 2.0),
    ("three", 3.0),
    ("few", 3.0),
    ("several", 3.0),
    ("multiple", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("many", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("dozen", 12.0),
    ("fifteen", 15.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("fifty", 50.0),
    ("sixty", 60.0),
    ("ninety", 90.0),
    ("hundred", 100.0),
];

/// A length written without a number.
fn bare_duration(w: &str) -> Option<f32> {
    value_of(BARE_DURATIONS, w)
}

fn number_word(w: &str) -> Option<f32> {
    value_of(NUMBER_WORDS, w)
}

/// The value of `w` in a word-value table.
fn value_of(table: &[(&str, f32)], w: &str) -> Option<f32> {
    table.iter().find(|&&(word, _)| word == w).map(|&(_, value)| value)
}
