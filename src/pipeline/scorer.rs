//! Scoring: sentiment, customer-service cues, topics, urgency and the
//! reasons a responder reads.
//!
//! Owns: turning a text or a post into a [`Score`]. The steps, each in its
//! own file:
//! 1. `social.rs`: handles, URLs, e-mails and brand names come out,
//!    hashtags are spelled out;
//! 2. `text.rs` + `phrases.rs`: the post's words (numbers, durations,
//!    sentence ends) are scanned once by one automaton holding every
//!    phrase of `data/cues.toml`, `data/topics.toml` and
//!    `data/social.toml` (`data.rs` loads and merges them with the
//!    admin's `[scoring]`);
//! 3. `cues.rs`: which cue categories fire (negation, hypotheticals,
//!    enquiries, resolutions, sarcasm) and the valence they add;
//! 4. sentiment ([`crate::pipeline::sentiment`], VADER) over the cleaned
//!    text, with politeness, brand lexicons, sarcasm and complaint context
//!    applied per word, plus the cues' valence: `compound` is the final
//!    sentiment;
//! 5. `topics.rs`: topics;
//! 6. `model.rs`: where the rules leave room and the post is about a
//!    company's service, the learned complaint signal may overrule the
//!    label (`training.rs` makes the model); a negative post no critical
//!    cue fired in is critical when the learned critical signal is sure;
//! 7. `urgency.rs`: urgency and its level.
//!
//! Every score says why: `sentiment: negative (-0.72): "terrible"`,
//! `cue: waiting (2 hrs on hold)`, `model: critical (p 0.81): "insulin"`,
//! `reach: 120k followers`, `momentum:
//! +340 interactions in 10 min`, `repeat: 3rd complaint this week`. Pure:
//! no I/O, no clock. Tests: `scorer/tests.rs` and `scorer/tests/`.

mod cues;
mod data;
mod model;
mod phrases;
mod scratch;
mod shared;
mod social;
mod text;
mod topics;
mod training;
mod urgency;
mod word_set;

#[cfg(test)]
pub(crate) mod tests;

use std::fmt::Write as _;

use crate::config::{Brand, ScoringSettings, UrgencyThresholds};
use crate::domain::{Label, Post, Score};
use crate::pipeline::sentiment::{self, Adjust, DriverPhrases, Extra, SentimentAnalyzer};

use self::data::{Tag, WordSet};
use self::scratch::Scratch;
use self::social::BrandTerms;

pub(crate) use self::data::embedded as embedded_data;
pub use self::data::ScoringError;
pub use self::training::TrainedModel;
pub use self::urgency::{engagement, level, momentum, reach, Audience, History, REPEAT_WINDOW_DAYS};

/// Longest cue excerpt shown in a reason, in characters.
const MAX_EXCERPT_CHARS: usize = 60;
/// What a negative word counts in an enquiry ("how do I report a lost
/// card?", "does my policy cover a stolen laptop?"): little enough that
/// one such word leaves the sentence neutral. A word that judges the
/// company (`[enquiry] judging` in `data/social.toml`) counts
/// [`ENQUIRY_STRONG`]: "is this useless app down again?" is still a
/// complaint.
const ENQUIRY_NEGATIVE: f64 = 0.06;
/// A complaint cue spanning a wait this long (a day) adds
/// [`LONG_WAIT_URGENCY`] to its urgency.
const LONG_WAIT_MINUTES: f64 = 1_440.0;
const LONG_WAIT_URGENCY: f64 = 0.1;
const ENQUIRY_STRONG: f64 = 0.5;

/// Scores texts and posts. Built once per config; `Send + Sync`.
pub struct Scorer {
    /// The compiled data, shared with every scorer built from equal
    /// `[scoring]` settings.
    core: std::sync::Arc<shared::Core>,
    brands: BrandTerms,
    /// Per configured brand: its lexicon overrides (`None`: unrated).
    brand_lexicons: Vec<Vec<(String, Option<f32>)>>,
    thresholds: UrgencyThresholds,
}

impl std::fmt::Debug for Scorer {
    // The compiled data is large: show its shape, not its contents.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer")
            .field("categories", &self.core.data.categories.iter().map(|c| &c.name).collect::<Vec<_>>())
            .field("topics", &self.core.data.topics.iter().map(|t| &t.name).collect::<Vec<_>>())
            .field("brands", &self.brand_lexicons.len())
            .field("thresholds", &self.thresholds)
            .finish_non_exhaustive()
    }
}

impl Default for Scorer {
    fn default() -> Self {
        Self::new()
    }
}

impl Scorer {
    /// The built-in data, no brands: what `earshot score` uses without a
    /// config.
    pub fn new() -> Self {
        Self::with_brands(&[])
    }

    /// The built-in data with `brands`' names neutralised and their
    /// lexicons applied to posts that mention them.
    pub fn with_brands(brands: &[Brand]) -> Self {
        Self::with_settings(brands, &ScoringSettings::default()).expect("the embedded scoring data compiles (tested)")
    }

    /// The built-in data extended by `[scoring]`. Fails on a phrase,
    /// category or value that does not compile.
    pub fn with_settings(brands: &[Brand], settings: &ScoringSettings) -> Result<Self, ScoringError> {
        let core = shared::core(settings)?;
        let brand_lexicons = brands
            .iter()
            .map(|b| {
                let valid = b.lexicon.iter().filter(|(_, v)| v.is_finite());
                let clamped = valid.map(|(w, v)| (w.clone(), v.clamp(-4.0, 4.0))).collect();
                data::lexicon_entries(&clamped, "brands.lexicon").unwrap_or_default()
            })
            .collect();
        Ok(Scorer { core, brands: BrandTerms::new(brands), brand_lexicons, thresholds: settings.urgency })
    }

    /// The sentiment analyser (VADER with the customer-service lexicon).
    pub fn sentiment(&self) -> &SentimentAnalyzer {
        &self.core.sentiment
    }

    /// The cue categories: name and summary, in data order.
    pub fn cue_categories(&self) -> impl Iterator<Item = (&str, &str)> {
        self.core.data.categories.iter().map(|c| (c.name.as_str(), c.summary.as_str()))
    }

    /// The topic taxonomy: name and summary.
    pub fn topics(&self) -> impl Iterator<Item = (&str, &str)> {
        self.core.data.topics.iter().map(|t| (t.name.as_str(), t.summary.as_str()))
    }

    /// Trains a word model (`earshot train`: a complaint or a critical
    /// model) on texts, each with whether it is of the model's class and
    /// how much it counts; their features are read as this scorer reads a
    /// post.
    pub fn train_model<'a>(&self, examples: impl IntoIterator<Item = (&'a str, bool, f64)>) -> TrainedModel {
        let mut names = std::collections::HashMap::new();
        let examples: Vec<training::Example> = scratch::with(|scratch| {
            examples
                .into_iter()
                .map(|(text, complaint, weight)| {
                    social::clean(
                        text,
                        &mut scratch.cleaned,
                        &self.brands,
                        &self.core.sentiment,
                        &self.core.data.names,
                    );
                    scratch.words.read(&scratch.cleaned);
                    model::post_features(&scratch.words, &mut scratch.features);
                    for f in &scratch.features {
                        names.entry(f.hash).or_insert_with(|| model::feature_name(&scratch.words, f));
                    }
                    training::Example { features: scratch.features.iter().map(|f| f.hash).collect(), complaint, weight }
                })
                .collect()
        });
        training::train(&examples, &names)
    }

    /// Scores a bare text: no audience, no history.
    pub fn score_text(&self, text: &str) -> Score {
        self.score(text, None, &History::default())
    }

    /// Scores a post with nothing known from earlier polls.
    pub fn score_post(&self, post: &Post) -> Score {
        self.score_post_with(post, &History::default())
    }

    /// Scores a post: its text, its author's reach, its engagement and,
    /// from `history`, its momentum and the author's repeat complaints.
    pub fn score_post_with(&self, post: &Post, history: &History) -> Score {
        let audience = Audience { followers: post.author.followers, interactions: post.engagement.total() };
        self.score(&post.text, Some(&audience), history)
    }

    fn score(&self, text: &str, audience: Option<&Audience>, history: &History) -> Score {
        scratch::with(|scratch| self.score_with(text, audience, history, scratch))
    }

    fn score_with(&self, text: &str, audience: Option<&Audience>, history: &History, scratch: &mut Scratch) -> Score {
        let d = &self.core.data;
        let Scratch { cleaned, words, find, hits, cues: cue_buffers, neutral, enquiry, topics, features } = scratch;
        let named_brands = social::clean(text, cleaned, &self.brands, &self.core.sentiment, &d.names);
        let cleaned = &*cleaned;
        words.read(cleaned);
        let words = &*words;
        hits.clear();
        d.book.find_with(words, find, hits);
        let hits = &hits[..];
        let outcome = cues::evaluate(d, words, hits, cue_buffers);

        let span = |a: usize, b: usize| (words.tokens[a].start, words.tokens[b].end);
        // Closing thanks are politeness after an enquiry or a request.
        let asks = !outcome.enquiries.is_empty() || d.any_tagged(hits, Tag::Polite);
        neutral.clear();
        neutral.extend(
            hits.iter()
                .filter(|h| match d.tag(h) {
                    Tag::Neutral | Tag::Polite => true,
                    Tag::Closing => asks,
                    _ => false,
                })
                .map(|h| span(h.first as usize, h.last as usize)),
        );
        enquiry.clear();
        enquiry.extend(outcome.enquiries.iter().map(|&(a, b)| (words.tokens[a].end, words.tokens[b].start)));
        // After an enquiry, a post with no complaint cue goes on asking:
        // its negative words count as in the enquiry.
        let complaint = outcome.complaint_before_but || outcome.complaint_after_but;
        // The enquiries are not in text order: the first one ends first.
        let asking_after = enquiry.iter().map(|&(_, end)| end).min().filter(|_| !complaint);
        let brand: Vec<&(String, Option<f32>)> =
            named_brands.iter().flat_map(|&b| self.brand_lexicons.get(b).into_iter().flatten()).collect();
        let adjust = PostAdjust {
            neutral,
            enquiry,
            brand: &brand,
            complaint_context: &d.complaint_context,
            judging: &d.judging,
            asking_after,
            but_at: words.first_but().map(|i| words.tokens[i].start),
            complaint_before: outcome.complaint_before_but,
            complaint_after: outcome.complaint_after_but,
            sarcasm: outcome.sarcasm,
        };
        let (compound, label, sentiment_reason) = self.core.sentiment.analyze_lent(
            cleaned,
            &adjust,
            Extra { valence: outcome.valence },
            |compound, drivers| {
                let label = sentiment::label(compound);
                (compound, label, sentiment_reason(compound, label, drivers))
            },
        );

        let complaints =
            outcome.fired.iter().filter(|f| d.categories[f.cat].valence < 0.0 && f.weight > cues::RESOLVED);
        let critical = complaints.clone().any(|f| d.categories[f.cat].critical);
        let topics = topics::assign(d, hits, outcome.fired, topics);
        let rules = model::RulesSaid {
            label,
            compound,
            topic: !topics.is_empty() || d.any_tagged(hits, Tag::Service),
            cue: !outcome.fired.is_empty(),
            resolved: outcome.fired.iter().any(|f| d.categories[f.cat].valence > 0.0),
            binding: outcome.sarcasm || critical,
        };
        let learned = model::may_overrule(&rules).then(|| self.core.model.verdict(words, features));
        let overrule = learned.and_then(|v| model::decide(&rules, v.p).map(|o| (o, v)));
        let (compound, label) = match overrule {
            Some((o, _)) => (o.compound(), sentiment::label(o.compound())),
            None => (compound, label),
        };
        // A negative post no critical cue named may still be critical in
        // words the cues do not list: the critical model hears those.
        let critical_verdict = (label == Label::Negative && !critical)
            .then(|| self.core.critical.verdict(words, features))
            .filter(|v| v.p >= model::CRITICAL_FROM);
        let critical = critical || critical_verdict.is_some();

        // A complaint that mentions a wait of a day or more is more urgent.
        let longest_wait = complaints
            .clone()
            .flat_map(|f| &words.tokens[f.first..=f.last])
            .map(|t| f64::from(t.minutes))
            .fold(0.0, f64::max);
        let long_wait = if longest_wait >= LONG_WAIT_MINUTES { LONG_WAIT_URGENCY } else { 0.0 };
        let signals = urgency::Signals {
            compound,
            cue: complaints.clone().map(|f| d.categories[f.cat].urgency).fold(0.0, f64::max) + long_wait,
            critical,
            audience: audience.copied(),
            momentum: audience.and_then(|a| history.momentum(a.interactions)),
            repeats: if label == Label::Negative { history.author_recent_complaints } else { 0 },
        };
        let urgency = round4(urgency::urgency(&signals, &self.thresholds));

        // The sentiment, the cues, and up to four of reach, engagement,
        // momentum and repeats: sized once.
        let mut reasons = Vec::with_capacity(3 + outcome.fired.len() + 4);
        reasons.push(sentiment_reason);
        let excerpt = |a: u32, b: u32| {
            let (start, end) = span(a as usize, b as usize);
            &cleaned[start as usize..end as usize]
        };
        if let Some((o, verdict)) = overrule {
            let head = match o {
                model::Overrule::Complaint { .. } => "model: complaint (p ",
                model::Overrule::NoComplaint { .. } => "model: no complaint (p ",
            };
            reasons.push(model_reason(head, &verdict, excerpt));
        }
        if let Some(verdict) = critical_verdict {
            reasons.push(model_reason("model: critical (p ", &verdict, excerpt));
        }
        for f in outcome.fired {
            let (start, end) = span(f.first, f.last);
            let name = &d.categories[f.cat].name;
            let mut reason = String::with_capacity(8 + name.len() + (end - start) as usize);
            reason.push_str("cue: ");
            reason.push_str(name);
            reason.push_str(" (");
            push_excerpt(&mut reason, &cleaned[start as usize..end as usize]);
            reason.push(')');
            reasons.push(reason);
        }
        if let Some(audience) = audience {
            if let Some(followers) = audience.followers {
                let noun = if followers == 1 { "follower" } else { "followers" };
                reasons.push(format!("reach: {} {noun}", compact(followers)));
            }
            if audience.interactions > 0 {
                let noun = if audience.interactions == 1 { "interaction" } else { "interactions" };
                reasons.push(format!("engagement: {} {noun}", audience.interactions));
            }
        }
        if let Some((gained, minutes)) = signals.momentum {
            reasons.push(format!("momentum: +{gained} interactions in {}", duration(minutes)));
        }
        if signals.repeats > 0 {
            reasons.push(format!("repeat: {} complaint this week", ordinal(u64::from(signals.repeats) + 1)));
        }
        Score { compound, label, urgency, level: level(urgency, &self.thresholds), topics, reasons }
    }
}

/// Per-word changes for one post (see the module docs, step 4).
struct PostAdjust<'a> {
    /// Byte ranges of politeness phrases and neutral idioms ("please help",
    /// "no idea"): their words carry no valence and negate nothing.
    neutral: &'a [(u32, u32)],
    /// Byte ranges of enquiry sentences: positive words count nothing,
    /// negative ones less (see [`ENQUIRY_NEGATIVE`]).
    enquiry: &'a [(u32, u32)],
    /// The lexicon overrides of the brands the post names.
    brand: &'a [&'a (String, Option<f32>)],
    /// Words that say nothing once the post is a complaint ("lol", "thanks").
    complaint_context: &'a WordSet,
    /// Words that judge the company: in an enquiry, still a complaint.
    judging: &'a WordSet,
    /// Where the first enquiry ends, in a post with no complaint cue: the
    /// negative words after it count as in an enquiry.
    asking_after: Option<u32>,
    but_at: Option<u32>,
    complaint_before: bool,
    complaint_after: bool,
    sarcasm: bool,
}

impl PostAdjust<'_> {
    fn in_neutral(&self, at: u32) -> bool {
        self.neutral.iter().any(|&(s, e)| s <= at && at < e)
    }
}

impl Adjust for PostAdjust<'_> {
    fn negates(&self, at: usize, _lower: &str, negation: bool) -> bool {
        negation && !self.in_neutral(at as u32)
    }

    #[inline]
    fn valence(&self, at: usize, lower: &str, valence: Option<f64>) -> Option<f64> {
        // Most words are unrated, and only a brand's lexicon could rate them.
        if valence.is_none() && self.brand.is_empty() {
            return None;
        }
        self.adjusted(at, lower, valence)
    }
}

impl PostAdjust<'_> {
    /// [`Adjust::valence`] past its quick exit.
    fn adjusted(&self, at: usize, lower: &str, valence: Option<f64>) -> Option<f64> {
        let valence = match self.brand.iter().find(|(w, _)| w == lower) {
            Some((_, v)) => v.map(f64::from),
            None => valence,
        }?;
        let at = at as u32;
        if self.in_neutral(at) {
            return None;
        }
        let complaint = match self.but_at {
            Some(b) if at > b => self.complaint_after,
            _ => self.complaint_before || self.complaint_after,
        };
        if (complaint && self.complaint_context.contains(lower)) || (self.sarcasm && valence > 0.0) {
            return None;
        }
        let within = |ranges: &[(u32, u32)]| ranges.iter().any(|&(s, e)| s <= at && at < e);
        let asked = self.asking_after.is_some_and(|end| at >= end) && valence < 0.0;
        if within(self.enquiry) || asked {
            return match valence {
                v if v > 0.0 => None,
                v if self.judging.contains(lower) => Some(v * ENQUIRY_STRONG),
                v => Some(v * ENQUIRY_NEGATIVE),
            };
        }
        Some(valence)
    }
}

/// `sentiment: negative (-0.72): "terrible", "not helpful"`. Words are
/// quoted with Rust's escaping, so control characters and quotes in a post
/// cannot break the line.
fn sentiment_reason(compound: f64, label: Label, drivers: DriverPhrases<'_>) -> String {
    let mut reason = String::with_capacity(64);
    reason.push_str("sentiment: ");
    reason.push_str(label.as_str());
    reason.push_str(" (");
    push_two_decimals(&mut reason, compound);
    reason.push(')');
    if label != Label::Neutral {
        push_quoted_list(&mut reason, drivers.map(|(phrase, _)| phrase));
    }
    reason
}

/// `model: complaint (p 0.94): "still", "no reply"` (`head` is the part
/// up to the probability): a learned signal's verdict, with the words of
/// the post that weighed most toward it.
fn model_reason<'t>(head: &str, verdict: &model::Verdict, excerpt: impl Fn(u32, u32) -> &'t str) -> String {
    let mut reason = String::with_capacity(64);
    reason.push_str(head);
    push_two_decimals(&mut reason, verdict.p);
    reason.push(')');
    push_quoted_list(&mut reason, verdict.heaviest.iter().flatten().map(|&(a, b)| excerpt(a, b)));
    reason
}

/// `: "a", "b"` after a reason's head: each quoted, none when empty.
fn push_quoted_list<'s>(out: &mut String, items: impl Iterator<Item = &'s str>) {
    for (i, item) in items.enumerate() {
        out.push_str(if i == 0 { ": " } else { ", " });
        push_quoted(out, item);
    }
}

/// `{:?}` of a string: printable ASCII without quotes or backslashes is
/// copied as it is (what `{:?}` does with it), anything else goes through
/// the formatter.
fn push_quoted(out: &mut String, s: &str) {
    if s.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        let _ = write!(out, "{s:?}");
    }
}

/// `{:.2}` without the formatting machinery (this runs for every post).
fn push_two_decimals(out: &mut String, x: f64) {
    let hundredths = (x * 100.0).round();
    if !hundredths.is_finite() || hundredths.abs() >= 1e9 {
        let _ = write!(out, "{x:.2}");
        return;
    }
    let n = hundredths as i64;
    if n < 0 {
        out.push('-');
    }
    let n = n.unsigned_abs();
    let (whole, hundredths) = (n / 100, n % 100);
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut w = whole;
    loop {
        digits[len] = b'0' + (w % 10) as u8;
        len += 1;
        w /= 10;
        if w == 0 {
            break;
        }
    }
    out.extend(digits[..len].iter().rev().map(|&d| char::from(d)));
    out.push('.');
    out.push(char::from(b'0' + (hundredths / 10) as u8));
    out.push(char::from(b'0' + (hundredths % 10) as u8));
}

/// [`push_excerpt`] into a new string.
#[cfg(test)]
fn excerpt(raw: &str) -> String {
    let mut out = String::new();
    push_excerpt(&mut out, raw);
    out
}

/// Appends to `out` the words of a cue as written, on one line, without
/// control or direction characters, cut to [`MAX_EXCERPT_CHARS`].
fn push_excerpt(out: &mut String, raw: &str) {
    let start = out.len();
    let trimmed = raw.trim_matches(|c: char| !c.is_alphanumeric() && !is_symbol(c));
    if plain_excerpt(trimmed) {
        out.push_str(trimmed);
        return;
    }
    let mut chars = 0;
    for c in trimmed.chars() {
        let c = if c.is_whitespace() || c.is_control() || is_format(c) { ' ' } else { c };
        if c == ' ' && (out.len() == start || out.ends_with(' ')) {
            continue;
        }
        if chars == MAX_EXCERPT_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
        chars += 1;
    }
    let kept = out[start..].trim_end().len();
    out.truncate(start + kept);
}

/// Whether [`push_excerpt`] keeps `trimmed` as it is: short enough,
/// printable ASCII, no two spaces in a row (it starts and ends with a
/// letter, digit or symbol).
fn plain_excerpt(trimmed: &str) -> bool {
    let bytes = trimmed.as_bytes();
    bytes.len() <= MAX_EXCERPT_CHARS
        && bytes.iter().all(|b| (b' '..=b'~').contains(b))
        && !bytes.windows(2).any(|w| w == b"  ")
}

/// Emoji and other symbols worth keeping at the edge of an excerpt.
fn is_symbol(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace() && !c.is_control() && !is_format(c)
}

/// Invisible formatting: direction marks and overrides, zero-width
/// characters, the BOM.
fn is_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// "10 min", "2 h", "3 days".
fn duration(minutes: f64) -> String {
    let trim = |x: f64| {
        let s = format!("{x:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    if minutes < 90.0 {
        format!("{} min", minutes.round().max(0.0))
    } else if minutes < 48.0 * 60.0 {
        format!("{} h", trim(minutes / 60.0))
    } else {
        format!("{} days", trim(minutes / 1440.0))
    }
}

/// 1st, 2nd, 3rd, 4th, 11th, 21st.
pub(crate) fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// 950, 1.2k, 120k, 3.4M.
fn compact(n: u64) -> String {
    let (value, unit) = match n {
        0..=999 => return n.to_string(),
        1_000..=999_999 => (n as f64 / 1e3, "k"),
        1_000_000..=999_999_999 => (n as f64 / 1e6, "M"),
        _ => (n as f64 / 1e9, "B"),
    };
    if value < 10.0 {
        let s = format!("{value:.1}");
        format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
    } else {
        format!("{value:.0}{unit}")
    }
}

/// Rounded to four decimals, as scores and model files show them.
pub(super) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The test binary's shared scorer, for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) use super::tests::scorer;
}
