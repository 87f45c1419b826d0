//! Sentiment of a text: a Rust implementation of VADER (Hutto & Gilbert
//! 2014, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of
//! Social Media Text", ICWSM-14), checked against the reference Python
//! package vaderSentiment 3.3.2.
//!
//! Owns: the compound score in [-1, 1], its label, and the words that drove
//! it (returned, or lent from per-thread buffers to the scorer, which only
//! quotes them). Pure and synchronous; the lexicon is parsed once per
//! [`SentimentAnalyzer`]. Customer-service cues, urgency and reasons are
//! the scorer's (`pipeline::scorer`), not this module's.
//!
//! - `lexicon.rs`: the embedded word and emoji lexicons (`data/`).
//! - `keys.rs`: the lexicon's fast path, words packed into two machine
//!   words and an open-addressed table of them.
//! - `tokens.rs`: VADER's tokeniser (words, emoticons, emoji descriptions).
//! - `rules.rs`: boosters, negations, idioms, punctuation, normalisation.
//! - `tests.rs`: the classic VADER examples, hostile input, and the parity
//!   test against Python on 500 tweets (`tests/fixtures/vader/`).
//!
//! The algorithm, per token: take the word's lexicon valence; add boosters
//! and dampeners up to three words before (decaying with distance), flip
//! it (×-0.74) for a negation up to three words before ("not", "n't",
//! "never", "without"; but "never so good" intensifies), boost an ALL-CAPS
//! word in mixed-case text, apply the idioms ("the shit", "kind of") and
//! "least". Then weight the words before the first "but" ×0.5 and those
//! after ×1.5, sum, add "!"/"?" emphasis away from zero, and normalise with
//! `x / sqrt(x² + 15)`.
//!
//! Deliberate differences from the reference: the "but" weighting is
//! applied by position (the reference looks each value up with
//! `list.index`, which re-weights the wrong word when two words share a
//! valence, and is quadratic); emoji modifiers and glued text are handled
//! as described in `tokens.rs`.

mod keys;
mod lexicon;
mod rules;
mod tokens;

#[cfg(test)]
mod tests;

use crate::domain::Label;

use std::borrow::Cow;

pub(crate) use self::keys::{bytes_equal, load as load_eight, upper_bytes, WordKey, WordMap, INLINE as INLINE_WORD};
use self::lexicon::Lexicon;
pub(crate) use self::lexicon::{embedded as embedded_lexicons, FxHasher};
use self::rules::{
    booster_bigram, normalize, punctuation_emphasis, special_case, Boost, RuleWord, BOOSTER_DECAY, BUT_AFTER,
    BUT_BEFORE, C_INCR, NEVER_SO, N_SCALAR,
};
use self::tokens::{TokenBuffers, Tokens};

/// Per-thread buffers [`SentimentAnalyzer`] reuses from text to text.
#[derive(Debug, Default)]
struct Buffers {
    tokens: TokenBuffers,
    words: Vec<WordInfo>,
    scores: Vec<WordScore>,
    /// Driver candidates: token and valence.
    candidates: Vec<(usize, f64)>,
    /// The drivers' phrases, back to back, and per driver where its
    /// phrase ends and its valence ([`DriverPhrases`]).
    phrases: String,
    drivers: Vec<(usize, f64)>,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

/// A compound at or above this is positive (VADER's published cut).
pub const POSITIVE_THRESHOLD: f64 = 0.05;
/// A compound at or below this is negative.
pub const NEGATIVE_THRESHOLD: f64 = -0.05;
/// How many driving words [`SentimentAnalyzer::analyze`] reports.
pub const MAX_DRIVERS: usize = 3;
/// Longest phrase, in characters, a driver shows before it is cut.
const MAX_PHRASE_CHARS: usize = 40;

/// The label for a compound score.
pub fn label(compound: f64) -> Label {
    if compound >= POSITIVE_THRESHOLD {
        Label::Positive
    } else if compound <= NEGATIVE_THRESHOLD {
        Label::Negative
    } else {
        Label::Neutral
    }
}

/// The sentiment of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentiment {
    /// VADER's compound in [-1, 1], rounded to four decimals as the
    /// reference does.
    pub compound: f64,
    /// The words that pushed `compound` its way, strongest first, at most
    /// [`MAX_DRIVERS`]; empty when `compound` is zero.
    pub drivers: Vec<Driver>,
}

/// A word (or emoji, or negated phrase) that drove a sentiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    /// As written: "terrible", "not good", "😡".
    pub phrase: String,
    /// Its valence after every rule; same sign as the compound.
    pub valence: f64,
}

/// Changes word valences for one text, before VADER's rules run on them:
/// the scorer uses it for masked spans, politeness, brand overrides and
/// sarcasm. Called once per token.
pub trait Adjust {
    /// The valence to use for the token whose text starts at byte `at` of
    /// the analysed text, given its lower-case form and the lexicon's
    /// valence. `None` makes the token unrated.
    fn valence(&self, at: usize, lower: &str, valence: Option<f64>) -> Option<f64>;

    /// Whether the token at byte `at` negates what follows, given VADER's
    /// answer: an idiom such as "no idea" is not a negation.
    fn negates(&self, _at: usize, _lower: &str, negation: bool) -> bool {
        negation
    }
}

/// No adjustment: plain VADER.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

impl Adjust for Plain {
    #[inline]
    fn valence(&self, _at: usize, _lower: &str, valence: Option<f64>) -> Option<f64> {
        valence
    }
}

/// Valence from outside the words (the scorer's customer-service cues),
/// already weighted, added to the sum before punctuation emphasis and
/// normalisation, so it is on the lexicon's scale.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Extra {
    pub valence: f64,
}

/// VADER with its lexicons loaded. Cheap to share: `Send + Sync`, no
/// interior mutability.
#[derive(Debug)]
pub struct SentimentAnalyzer {
    lexicon: Lexicon,
}

impl Default for SentimentAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl SentimentAnalyzer {
    /// Parses the embedded lexicons.
    pub fn new() -> Self {
        Self::with_overlay(std::iter::empty())
    }

    /// The embedded lexicons with `overlay` applied: `Some(v)` rates a
    /// lower-case word `v` (in [-4, 4]), `None` makes it unrated.
    pub fn with_overlay<I>(overlay: I) -> Self
    where
        I: IntoIterator<Item = (Cow<'static, str>, Option<f32>)>,
    {
        SentimentAnalyzer { lexicon: Lexicon::with_overlay(overlay) }
    }

    /// The valence this analyser gives a lower-case word, if rated.
    pub fn valence(&self, lower: &str) -> Option<f64> {
        self.lexicon.valence(lower).map(f64::from)
    }

    /// [`Self::valence`] of an ASCII word in any case ("Joy"), without a
    /// lower-case copy.
    pub(crate) fn valence_any_case(&self, ascii: &str) -> Option<f64> {
        self.lexicon.valence_any_case(ascii).map(f64::from)
    }

    /// The compound score alone (no drivers, so no allocation beyond the
    /// tokens).
    pub fn compound(&self, text: &str) -> f64 {
        self.lend(text, false, &Plain, Extra::default(), |compound, _| compound)
    }

    /// The compound score and the words that drove it.
    pub fn analyze(&self, text: &str) -> Sentiment {
        self.run(text, true, &Plain, Extra::default())
    }

    /// [`Self::analyze`] with per-token adjustments and outside valence
    /// (see [`Adjust`], [`Extra`]). Drivers are words only.
    pub fn analyze_with<A: Adjust>(&self, text: &str, adjust: &A, extra: Extra) -> Sentiment {
        self.run(text, true, adjust, extra)
    }

    /// [`Self::analyze_with`] with the drivers lent to `f` (with the
    /// compound) rather than returned: no string per driver.
    pub(crate) fn analyze_lent<A: Adjust, R>(
        &self,
        text: &str,
        adjust: &A,
        extra: Extra,
        f: impl FnOnce(f64, DriverPhrases<'_>) -> R,
    ) -> R {
        self.lend(text, true, adjust, extra, f)
    }

    fn run<A: Adjust>(&self, text: &str, want_drivers: bool, adjust: &A, extra: Extra) -> Sentiment {
        self.lend(text, want_drivers, adjust, extra, |compound, drivers| Sentiment {
            compound,
            drivers: drivers.map(|(phrase, valence)| Driver { phrase: phrase.to_string(), valence }).collect(),
        })
    }

    fn lend<A: Adjust, R>(
        &self,
        text: &str,
        want_drivers: bool,
        adjust: &A,
        extra: Extra,
        f: impl FnOnce(f64, DriverPhrases<'_>) -> R,
    ) -> R {
        BUFFERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buffers) => self.lend_with(text, want_drivers, adjust, extra, &mut buffers, f),
            // Re-entered (an `Adjust` that scores): fresh buffers.
            Err(_) => self.lend_with(text, want_drivers, adjust, extra, &mut Buffers::default(), f),
        })
    }

    fn lend_with<A: Adjust, R>(
        &self,
        text: &str,
        want_drivers: bool,
        adjust: &A,
        extra: Extra,
        buffers: &mut Buffers,
        f: impl FnOnce(f64, DriverPhrases<'_>) -> R,
    ) -> R {
        let tokens = Tokens::with_buffers(text, &self.lexicon, std::mem::take(&mut buffers.tokens));
        buffers.phrases.clear();
        buffers.drivers.clear();
        let compound = self.score_tokens(&tokens, text, want_drivers, adjust, extra, buffers);
        buffers.tokens = tokens.into_buffers();
        f(compound, DriverPhrases { phrases: &buffers.phrases, drivers: &buffers.drivers, start: 0 })
    }

    fn score_tokens<A: Adjust>(
        &self,
        tokens: &Tokens<'_>,
        text: &str,
        want_drivers: bool,
        adjust: &A,
        extra: Extra,
        buffers: &mut Buffers,
    ) -> f64 {
        if tokens.is_empty() {
            return compound_of(extra.valence, tokens.marks());
        }
        let base = text.as_ptr() as usize;
        let words = &mut buffers.words;
        words.clear();
        let mut but = None;
        let mut uppers = 0;
        words.extend((0..tokens.len()).map(|i| {
            let token = tokens.get(i);
            let entry = token.entry;
            if but.is_none() && entry.word == RuleWord::But {
                but = Some(i);
            }
            uppers += usize::from(token.upper);
            let lower = tokens.lower(i);
            let at = (token.shown.as_ptr() as usize).wrapping_sub(base);
            WordInfo {
                valence: adjust.valence(at, lower, entry.valence().map(f64::from)),
                booster: entry.booster.map(Boost::scalar),
                negation: entry.negation && adjust.negates(at, lower, true),
                word: entry.word,
                upper: token.upper,
            }
        }));
        let text_rules = TextRules { words, cap_diff: uppers > 0 && uppers < tokens.len() };

        if !want_drivers {
            // The compound alone: the scores are summed, not kept.
            let weighted = (0..tokens.len()).map(|i| but_weighted(text_rules.contribution(i).valence, i, but));
            let sum = weighted.sum::<f64>() + extra.valence;
            return compound_of(sum, tokens.marks());
        }
        let scores = &mut buffers.scores;
        scores.clear();
        scores.extend((0..tokens.len()).map(|i| text_rules.contribution(i)));
        if but.is_some() {
            for (i, s) in scores.iter_mut().enumerate() {
                s.valence = but_weighted(s.valence, i, but);
            }
        }
        let sum: f64 = scores.iter().map(|s| s.valence).sum::<f64>() + extra.valence;
        let compound = compound_of(sum, tokens.marks());
        drivers(tokens, scores, compound, &mut buffers.candidates, &mut buffers.phrases, &mut buffers.drivers);
        compound
    }
}

/// The drivers of one text, strongest first: phrase and valence (see
/// [`Driver`]), lent from the per-thread buffers.
pub(crate) struct DriverPhrases<'b> {
    phrases: &'b str,
    drivers: &'b [(usize, f64)],
    /// Where the next phrase starts.
    start: usize,
}

impl<'b> Iterator for DriverPhrases<'b> {
    type Item = (&'b str, f64);

    fn next(&mut self) -> Option<(&'b str, f64)> {
        let (&(end, valence), rest) = self.drivers.split_first()?;
        let phrase = &self.phrases[self.start..end];
        self.start = end;
        self.drivers = rest;
        Some((phrase, valence))
    }
}

/// Token `i`'s valence weighted for the first "but" (at `but`): words
/// before it count half, those after it more.
#[inline]
fn but_weighted(valence: f64, i: usize, but: Option<usize>) -> f64 {
    match but {
        Some(but) if i < but => valence * BUT_BEFORE,
        Some(but) if i > but => valence * BUT_AFTER,
        _ => valence,
    }
}

/// The compound of a summed valence: punctuation emphasis (from the
/// text's "!" and "?" counts) away from zero, normalised, rounded to four
/// decimals as the reference does.
fn compound_of(mut sum: f64, (exclamations, questions): (usize, usize)) -> f64 {
    if sum != 0.0 {
        let emphasis = punctuation_emphasis(exclamations, questions);
        if sum > 0.0 {
            sum += emphasis;
        } else {
            sum -= emphasis;
        }
    }
    (normalize(sum) * 10_000.0).round() / 10_000.0
}

/// What the lexicon and the rule tables say about one token, looked up
/// once.
#[derive(Debug, Clone, Copy)]
struct WordInfo {
    /// Lexicon valence.
    valence: Option<f64>,
    /// Booster or dampener scalar.
    booster: Option<f64>,
    /// A negation word ("not", "never", any "n't").
    negation: bool,
    /// The word, if a rule names it.
    word: RuleWord,
    /// ALL CAPS.
    upper: bool,
}

/// One token's contribution.
#[derive(Debug, Clone, Copy)]
struct WordScore {
    valence: f64,
    /// The earliest negation that flipped it, for the reasons.
    negated_by: Option<usize>,
}

impl WordScore {
    const ZERO: WordScore = WordScore { valence: 0.0, negated_by: None };
}

/// The per-token rules over one text's tokens.
struct TextRules<'t> {
    /// Lexicon and rule-table facts, per token.
    words: &'t [WordInfo],
    /// Some but not all tokens are ALL CAPS, so caps mean emphasis.
    cap_diff: bool,
}

impl TextRules<'_> {
    #[inline]
    fn word(&self, i: usize) -> RuleWord {
        self.words[i].word
    }

    /// Token `i`'s contribution. Most tokens are unrated: nothing to do,
    /// and no call.
    #[inline]
    fn contribution(&self, i: usize) -> WordScore {
        match self.words[i].valence {
            Some(base) => self.score(i, base),
            None => WordScore::ZERO,
        }
    }

    /// The contribution of the rated token `i`, whose valence is `base`.
    fn score(&self, i: usize, base: f64) -> WordScore {
        use RuleWord::*;
        let n = self.words.len();
        let word = self.word(i);
        // Modifiers carry no valence of their own.
        if self.words[i].booster.is_some() || (word == Kind && i + 1 < n && self.word(i + 1) == Of) {
            return WordScore::ZERO;
        }
        let mut valence = base;
        let mut negated_by = None;

        // "no" before a rated word negates it rather than counting itself.
        if word == No && i + 1 < n && self.words[i + 1].valence.is_some() {
            valence = 0.0;
        }
        let no_at = if i >= 1 && self.word(i - 1) == No {
            Some(i - 1)
        } else if i >= 2 && self.word(i - 2) == No {
            Some(i - 2)
        } else if i >= 3 && self.word(i - 3) == No && matches!(self.word(i - 1), Or | Nor) {
            Some(i - 3)
        } else {
            None
        };
        if no_at.is_some() {
            valence = base * N_SCALAR;
            negated_by = no_at;
        }

        if self.words[i].upper && self.cap_diff {
            valence += if valence > 0.0 { C_INCR } else { -C_INCR };
        }

        for distance in 1..=3 {
            if i < distance {
                break;
            }
            let j = i - distance;
            // A rated word in between is not a modifier of this one.
            if self.words[j].valence.is_some() {
                continue;
            }
            valence += self.booster_scalar(j, valence) * BOOSTER_DECAY[distance - 1];
            valence = self.negation(valence, i, distance, &mut negated_by);
            if distance == 3 {
                valence = self.idioms(valence, i);
            }
        }
        valence = self.least(valence, i, &mut negated_by);
        WordScore { valence, negated_by }
    }

    /// The booster or dampener effect of token `j` on a word now worth
    /// `valence`: it pushes away from zero (or towards it), more if in caps.
    fn booster_scalar(&self, j: usize, valence: f64) -> f64 {
        let Some(mut scalar) = self.words[j].booster else { return 0.0 };
        if valence < 0.0 {
            scalar = -scalar;
        }
        if self.words[j].upper && self.cap_diff {
            scalar += if valence > 0.0 { C_INCR } else { -C_INCR };
        }
        scalar
    }

    /// Negation by the word `distance` before `i`.
    fn negation(&self, valence: f64, i: usize, distance: usize, negated_by: &mut Option<usize>) -> f64 {
        use RuleWord::*;
        let w = |k: usize| self.word(k);
        let so_or_this = |k: usize| matches!(w(k), So | This);
        let j = i - distance;
        let negate = |negated_by: &mut Option<usize>| {
            *negated_by = Some(negated_by.map_or(j, |k| k.min(j)));
            valence * N_SCALAR
        };
        match distance {
            1 if self.words[j].negation => negate(negated_by),
            2 if w(i - 2) == Never && so_or_this(i - 1) => valence * NEVER_SO,
            2 if w(i - 2) == Without && w(i - 1) == Doubt => valence,
            2 if self.words[j].negation => negate(negated_by),
            // The reference's condition reads `never && so/this || so/this`,
            // so "so"/"this" right before the word also intensifies. Kept:
            // the published scores depend on it.
            3 if (w(i - 3) == Never && so_or_this(i - 2)) || so_or_this(i - 1) => valence * NEVER_SO,
            3 if w(i - 3) == Without && (w(i - 2) == Doubt || w(i - 1) == Doubt) => valence,
            3 if self.words[j].negation => negate(negated_by),
            _ => valence,
        }
    }

    /// Idioms around word `i` (needs `i >= 3`): special cases replace the
    /// valence, "kind of"/"sort of" before it dampen it.
    fn idioms(&self, mut valence: f64, i: usize) -> f64 {
        let n = self.words.len();
        let w = |k: usize| self.word(k);
        let (w3, w2, w1, w0) = (w(i - 3), w(i - 2), w(i - 1), w(i));
        let around: [&[RuleWord]; 5] = [&[w1, w0], &[w2, w1, w0], &[w2, w1], &[w3, w2, w1], &[w3, w2]];
        if let Some(v) = around.iter().find_map(|words| special_case(words)) {
            valence = v;
        }
        if i + 1 < n {
            if let Some(v) = special_case(&[w0, w(i + 1)]) {
                valence = v;
            }
        }
        if i + 2 < n {
            if let Some(v) = special_case(&[w0, w(i + 1), w(i + 2)]) {
                valence = v;
            }
        }
        for (a, b) in [(w3, w2), (w2, w1)] {
            if let Some(scalar) = booster_bigram(a, b) {
                valence += scalar;
            }
        }
        valence
    }

    /// "least good" negates; "at least good" and "very least good" do not.
    fn least(&self, valence: f64, i: usize, negated_by: &mut Option<usize>) -> f64 {
        if i == 0 || self.words[i - 1].valence.is_some() || self.word(i - 1) != RuleWord::Least {
            return valence;
        }
        if i >= 2 && matches!(self.word(i - 2), RuleWord::At | RuleWord::Very) {
            return valence;
        }
        *negated_by = Some(negated_by.map_or(i - 1, |k| k.min(i - 1)));
        valence * N_SCALAR
    }
}

/// The strongest words on the compound's side, as written: their phrases
/// back to back in `phrases`, and per driver where its phrase ends and
/// its valence in `drivers` (both empty to start with).
/// `candidates` is a buffer kept between texts.
fn drivers(
    tokens: &Tokens<'_>,
    scores: &[WordScore],
    compound: f64,
    candidates: &mut Vec<(usize, f64)>,
    phrases: &mut String,
    drivers: &mut Vec<(usize, f64)>,
) {
    if compound == 0.0 {
        return;
    }
    candidates.clear();
    candidates.extend(
        scores
            .iter()
            .enumerate()
            .filter(|(_, s)| s.valence != 0.0 && (s.valence > 0.0) == (compound > 0.0))
            .map(|(i, s)| (i, s.valence)),
    );
    // Stable: equal valences keep text order.
    candidates.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    for &(i, valence) in candidates.iter() {
        let from = phrases.len();
        push_phrase(phrases, tokens, scores[i].negated_by.unwrap_or(i), i);
        let phrase = &phrases[from..];
        let mut start = 0;
        let seen = drivers.iter().any(|&(end, _)| {
            let earlier = &phrases[start..end];
            start = end;
            earlier == phrase
        });
        if seen {
            phrases.truncate(from);
            continue;
        }
        drivers.push((phrases.len(), valence));
        if drivers.len() == MAX_DRIVERS {
            break;
        }
    }
}

/// Appends tokens `from..=to` as shown, one emoji once, cut to a readable
/// length.
fn push_phrase(out: &mut String, tokens: &Tokens<'_>, from: usize, to: usize) {
    let start = out.len();
    let mut chars = 0;
    let mut last: Option<&str> = None;
    for k in from..=to {
        let shown = tokens.get(k).shown;
        if last.is_some_and(|l| std::ptr::eq(l, shown)) {
            continue;
        }
        last = Some(shown);
        let separator = if out.len() == start { None } else { Some(' ') };
        // An ASCII word that fits goes in whole.
        let ascii_len = usize::from(separator.is_some()) + shown.len();
        if chars + ascii_len <= MAX_PHRASE_CHARS && shown.is_ascii() {
            out.extend(separator);
            out.push_str(shown);
            chars += ascii_len;
            continue;
        }
        for c in separator.into_iter().chain(shown.chars()) {
            if chars == MAX_PHRASE_CHARS {
                out.push('…');
                return;
            }
            out.push(c);
            chars += 1;
        }
    }
}
