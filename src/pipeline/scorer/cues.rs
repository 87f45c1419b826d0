//! Customer-service cues: which categories of `data/cues.toml` a post's
//! phrase hits add up to, and how much negativity they add.
//!
//! Owns the rules that turn raw phrase hits into fired cues:
//! - a negation up to `window` words before a cue, in its sentence,
//!   cancels it ("not cancelled after all"), unless the negation word is
//!   part of another cue ("no refund, no reply") or of an exception ("can't
//!   believe they cancelled");
//! - a hypothetical before it ("if my flight is cancelled") cancels it;
//! - inside an enquiry ("how do I cancel my contract?") or a report of
//!   news ("shares down 9% after weak guidance") only categories marked
//!   `in_questions` (and critical ones) fire;
//! - a hit inside a longer hit is dropped ("still no refund" is billing,
//!   not also waiting);
//! - a resolution ("all sorted now") quarters the complaint cues before it,
//!   around it and in its own clause;
//! - `with_complaint` phrases ("great job", "again") count only next to an
//!   unresolved complaint cue that a "but" does not separate from them;
//! - sarcasm switches off positive cues (and, in the scorer, positive
//!   words).
//!
//! Each category counts once, at its strongest hit, weighted like VADER
//! weights words around the first "but" (x0.5 before, x1.5 after); several
//! categories add up with diminishing weight. Tests: `scorer/tests/cues.rs`.

use super::data::{Category, Compiled, Tag};
use super::phrases::Hit;
use super::text::{Kind, MatchText};

/// Weight of a complaint cue the post says was resolved.
pub(crate) const RESOLVED: f64 = 0.25;
/// Each further category counts this much of the one before.
pub(crate) const DECAY: f64 = 0.7;

/// A cue that fired.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fired {
    /// Index into [`Compiled::categories`].
    pub(crate) cat: usize,
    /// Tokens of the [`MatchText`].
    pub(crate) first: usize,
    pub(crate) last: usize,
    /// "but" position and resolution, applied to the category's valence.
    pub(crate) weight: f64,
}

/// What the cues of one post add up to (its lists are in [`Buffers`]).
#[derive(Debug, Default)]
pub(crate) struct Outcome<'b> {
    /// In text order.
    pub(crate) fired: &'b [Fired],
    /// Added to the sentiment sum.
    pub(crate) valence: f64,
    /// Positive words are sarcastic.
    pub(crate) sarcasm: bool,
    /// An unresolved complaint cue before / after the first "but" (or
    /// anywhere, when there is none: "before").
    pub(crate) complaint_before_but: bool,
    pub(crate) complaint_after_but: bool,
    /// Enquiry sentences and news reports: token ranges, inclusive, not in
    /// text order.
    pub(crate) enquiries: &'b [(usize, usize)],
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    cat: usize,
    with_complaint: bool,
    first: usize,
    last: usize,
    damped: bool,
}

/// Buffers [`evaluate`] reuses from post to post (kept in the scorer's
/// per-thread scratch), so a post with cues allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    raw: Vec<Cand>,
    cands: Vec<Cand>,
    all: Vec<Cand>,
    exceptions: Vec<(usize, usize)>,
    blockers: Vec<(usize, usize)>,
    resolutions: Vec<(usize, usize)>,
    support: Vec<(usize, usize)>,
    values: Vec<f64>,
    /// What [`Outcome`] lends.
    fired: Vec<Fired>,
    enquiries: Vec<(usize, usize)>,
}

/// Evaluates the phrase hits of one post.
pub(crate) fn evaluate<'b>(c: &Compiled, text: &MatchText, hits: &[Hit], buffers: &'b mut Buffers) -> Outcome<'b> {
    let Buffers { raw, cands, all, exceptions, blockers, resolutions, support, values, fired: best, enquiries: found } =
        buffers;
    best.clear();
    let span = |h: &Hit| (h.first as usize, h.last as usize);
    let of = |want: Tag| hits.iter().filter(move |h| c.tag(h) == want).map(span);
    let openers = of(Tag::Enquiry).map(|(f, _)| (f, false)).chain(of(Tag::Question).map(|(f, _)| (f, true)));
    enquiries(c, text, openers, found);
    reports(text, of(Tag::Report), found);
    let mut out = Outcome { enquiries: found, ..Outcome::default() };

    raw.clear();
    raw.extend(hits.iter().filter_map(|h| match c.tag(h) {
        Tag::Cue { cat, with_complaint } if !h.negated_gap => Some(Cand {
            cat: usize::from(cat),
            with_complaint,
            first: h.first as usize,
            last: h.last as usize,
            damped: false,
        }),
        _ => None,
    }));
    if raw.is_empty() {
        return out;
    }
    exceptions.clear();
    exceptions.extend(of(Tag::NegException));
    blockers.clear();
    blockers.extend(of(Tag::Blocker));

    let inside = |spans: &[(usize, usize)], k: usize| spans.iter().any(|&(a, b)| a <= k && k <= b);
    // Whether token `k` is a negation word (the set lookup hashes the word,
    // so callers put their cheaper tests first).
    let negation_at = |k: usize| text.tokens[k].kind == Kind::Word && c.negations.contains(text.word(k));
    let raw = &raw[..];
    cands.clear();
    cands.extend(raw.iter().copied().filter(|h| {
        let cat = &c.categories[h.cat];
        if !cat.in_questions && out.enquiries.iter().any(|&(a, b)| a <= h.first && h.first <= b) {
            return false;
        }
        let negated = (h.first.saturating_sub(c.negation_window)..h.first).any(|k| {
            text.same_sentence(k, h.first)
                && negation_at(k)
                && !inside(exceptions, k)
                && !raw
                    .iter()
                    .any(|o| (o.first, o.last) != (h.first, h.last) && o.first <= k && k <= o.last && o.last < h.first)
        });
        let blocked = blockers
            .iter()
            .any(|&(_, b)| b < h.first && h.first - b <= c.blocker_window && text.same_sentence(b, h.first));
        !negated && !blocked
    }));

    // Drop hits inside a longer one. A critical cue always stays, and so
    // does a resolution that the longer hit does not negate before it:
    // "called Dev, who sorted it in 12 minutes" is not a complaint about
    // calling, but "still haven't been refunded" is one about a refund. A
    // `with_complaint` hit drops nothing: it needs the complaint inside it
    // ("3rd outage this month").
    all.clear();
    all.extend_from_slice(cands);
    let negates = |o: &Cand, h: &Cand| (o.first..h.first).any(negation_at);
    cands.retain(|h| {
        let cat = &c.categories[h.cat];
        let inside = |o: &&Cand| {
            !o.with_complaint && o.first <= h.first && h.last <= o.last && (o.first, o.last) != (h.first, h.last)
        };
        cat.critical || !all.iter().filter(inside).any(|o| !cat.resolves || negates(o, h))
    });
    // One hit per span and category; a plain phrase wins over the same
    // span as a `with_complaint` one ("no reply" is both), which would
    // need a complaint beside it.
    cands.sort_by_key(|h| (h.first, h.last, h.cat, h.with_complaint));
    cands.dedup_by_key(|h| (h.first, h.last, h.cat));

    let but = text.first_but();
    let between = |a: usize, b: usize| but.is_some_and(|x| a < x && x < b);
    resolutions.clear();
    resolutions.extend(cands.iter().filter(|h| c.categories[h.cat].resolves).map(|h| (h.first, h.last)));
    for h in cands.iter_mut().filter(|h| c.categories[h.cat].valence < 0.0) {
        h.damped = resolutions.iter().any(|&(rf, rl)| {
            h.last < rf
                || (h.first <= rf && rl <= h.last)
                || (h.first > rl && text.same_sentence(rl, h.first) && !between(rl, h.first))
        });
    }

    // `with_complaint` phrases need an unresolved complaint beside them.
    support.clear();
    support.extend(
        cands
            .iter()
            .filter(|h| !h.with_complaint && !h.damped && c.categories[h.cat].valence < 0.0)
            .map(|h| (h.first, h.last)),
    );
    let supported = |h: &Cand| support.iter().any(|&(f, l)| !between(l, h.first) && !between(h.last, f));
    cands.retain(|h| !h.with_complaint || supported(h));

    out.sarcasm = cands.iter().any(|h| c.categories[h.cat].sarcasm && !h.damped);
    if out.sarcasm {
        cands.retain(|h| c.categories[h.cat].valence < 0.0);
    }

    // Each category once, at its strongest hit.
    let factor = |h: &Cand| {
        let position = match but {
            Some(b) if h.last < b => 0.5,
            Some(b) if h.first > b => 1.5,
            _ => 1.0,
        };
        position * if h.damped { RESOLVED } else { 1.0 }
    };
    for h in cands.iter() {
        let weight = factor(h);
        match best.iter_mut().find(|f| f.cat == h.cat) {
            // Overlapping hits of one category are one cue: show it whole.
            Some(f) if h.first <= f.last && f.first <= h.last => {
                f.first = f.first.min(h.first);
                f.last = f.last.max(h.last);
                f.weight = f.weight.max(weight);
            }
            Some(f) if f.weight >= weight => {}
            Some(f) => *f = Fired { cat: h.cat, first: h.first, last: h.last, weight },
            None => best.push(Fired { cat: h.cat, first: h.first, last: h.last, weight }),
        }
    }
    out.valence = sum(&c.categories, best, true, values) + sum(&c.categories, best, false, values);
    for f in best.iter().filter(|f| c.categories[f.cat].valence < 0.0) {
        let undamped = cands.iter().any(|h| h.cat == f.cat && !h.damped);
        if undamped {
            match but {
                Some(b) if f.first > b => out.complaint_after_but = true,
                _ => out.complaint_before_but = true,
            }
        }
    }
    best.sort_by_key(|f| (f.first, f.cat));
    out.fired = &best[..];
    out
}

/// The weighted valence of the fired negative (or positive) categories,
/// strongest first, each next one counting [`DECAY`] of the one before.
fn sum(categories: &[Category], fired: &[Fired], negative: bool, values: &mut Vec<f64>) -> f64 {
    values.clear();
    values.extend(fired.iter().map(|f| categories[f.cat].valence * f.weight).filter(|v| {
        if negative {
            *v < 0.0
        } else {
            *v > 0.0
        }
    }));
    values.sort_by(|a, b| b.abs().total_cmp(&a.abs()));
    values.iter().enumerate().map(|(i, v)| v * DECAY.powi(i as i32)).sum()
}

/// The break that starts the sentence of token `k` (0: the virtual break
/// before the post).
fn sentence_start(text: &MatchText, k: usize) -> usize {
    (0..k).rev().find(|&i| text.tokens[i].kind == Kind::Break).unwrap_or(0)
}

/// The break that ends the sentence of token `k`.
fn sentence_end(text: &MatchText, k: usize) -> usize {
    let last = text.tokens.len() - 1;
    (k..=last).find(|&i| text.tokens[i].kind == Kind::Break).unwrap_or(last)
}

/// The sentences holding news about a company (`[report]` in
/// `data/social.toml`: "shares up 4%", "now hiring", "announces a new
/// route"), added to the enquiries (`out`): a report weighs its words like
/// a question does, and its cues do not fire.
fn reports(text: &MatchText, hits: impl Iterator<Item = (usize, usize)>, out: &mut Vec<(usize, usize)>) {
    for (first, _) in hits {
        if !out.iter().any(|&(a, b)| a <= first && first <= b) {
            out.push((sentence_start(text, first), sentence_end(text, first)));
        }
    }
}

/// The sentences that open like an enquiry (after greetings) and end with
/// "?" or, unless the opener needs a question mark, end the post
/// unpunctuated: token ranges, break to break, into `out` (cleared first).
fn enquiries(
    c: &Compiled,
    text: &MatchText,
    openers: impl Iterator<Item = (usize, bool)>,
    out: &mut Vec<(usize, usize)>,
) {
    out.clear();
    let last = text.tokens.len() - 1;
    for (first, needs_question_mark) in openers {
        let start = sentence_start(text, first);
        if out.iter().any(|&(a, _)| a == start) {
            continue;
        }
        let greeted = (start + 1..first).all(|k| c.greetings.contains(text.word(k)));
        if !greeted {
            continue;
        }
        let end = sentence_end(text, first);
        let t = &text.tokens[end];
        let unpunctuated = end == last && t.start == t.end && !needs_question_mark;
        if t.question || unpunctuated {
            out.push((start, end));
        }
    }
}
