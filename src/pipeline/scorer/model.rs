//! The learned signals: logistic regressions over a post's words and
//! neighbouring word pairs ([`WordModel`]). The complaint model says how
//! sure it is that the post is a complaint (`data/complaint_model.tsv`,
//! made by `earshot train` from the labelled sets; an admin may give
//! their own with `[scoring] complaint_model_file`); the critical model,
//! how sure it is that a service lead would call it critical
//! (`data/critical_model.tsv`, `earshot train --target critical`,
//! `critical_model_file`).
//!
//! Critical mentions are told without the words the critical cues list
//! ("my son had the 'nut free' bar, we're in A&E", "her formula was in
//! that order"): the critical model hears them where the phrases do not
//! reach, and makes a negative post critical at [`CRITICAL_FROM`].
//!
//! The cue lists hear the complaints their phrases name; people state
//! complaints in more shapes than phrase lists reach ("Tracking: 'Out for
//! delivery' Mon. Tue. Wed."). The model hears the words complaints are
//! made of ("still", "again", "nobody", "_dur") and the words enquiries
//! and praise are made of, wherever they stand. It speaks only where the
//! rules leave room and the post is about a company (see [`decide`]):
//! trained on customer-service posts, it knows complaints, not
//! sentiment at large.
//!
//! Owns: the model file's format (`feature<TAB>weight` lines, one `bias`
//! line, `#` comments; a feature is one word or two separated by a space,
//! as the cue tokeniser writes them: lower case, `_num`, `_dur`), the
//! features of a post, the probability and its heaviest features (the
//! reason), and the decision rule. Training: `training.rs`. Tests:
//! `scorer/tests/model.rs`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::data::ScoringError;
use super::round4;
use super::text::{Kind, MatchText};
use crate::domain::Label;
use crate::pipeline::sentiment::FxHasher;

/// The built-in complaint model.
pub(crate) static BUILT_IN: &str = include_str!("../../../data/complaint_model.tsv");
/// The built-in critical model.
pub(crate) static BUILT_IN_CRITICAL: &str = include_str!("../../../data/critical_model.tsv");

/// A negative post no critical cue fired in becomes critical when the
/// critical model is at least this sure. Chosen before it was measured on
/// the held-out sets (BENCHMARKS.md, "A learned critical signal").
pub(crate) const CRITICAL_FROM: f64 = 0.5;

/// A post the rules read as not negative, about a customer-service topic,
/// becomes a complaint when the model is at least this sure.
pub(crate) const COMPLAINT_FROM: f64 = 0.85;
/// A post the rules read as negative (not strongly: see
/// [`VETO_MILDER_THAN`]) on the strength of a cue becomes neutral when the
/// model's probability is below this.
pub(crate) const NO_COMPLAINT_BELOW: f64 = 0.1;
/// The same for one with no cue but a customer-service topic ("signal
/// failure at Didcot, lines reopen 15:30, plan ahead"): the model must be
/// surer, since a post with no cue is nearer the general text where
/// negative words mean what they say.
pub(crate) const NO_CUED_COMPLAINT_BELOW: f64 = 0.05;
/// Only negative sentiment milder than this can be overruled: "furious",
/// "worst ever" stay negative whatever the words around them.
pub(crate) const VETO_MILDER_THAN: f64 = -0.5;
/// Nor can praise this clear: the model hears the words complaints are
/// made of ("since", "waiting"), not that "thanks, you made it right"
/// ends well.
pub(crate) const PRAISE_FROM: f64 = 0.5;
/// Where an overruled negative post lands: just inside neutral, so it
/// still ranks as more negative than every post nobody complained in.
const OVERRULED_COMPOUND: f64 = -0.04;
/// Where one lands when a cue of praise or of a resolution fired beside
/// the complaint words: "broken screen at 9am, fixed by lunch under
/// warranty, genuinely impressed" is thanks for a fix, so mildly
/// positive (on the training sets, 17 of the 19 such posts were praise,
/// none a complaint).
const CLEARED_WITH_PRAISE_COMPOUND: f64 = 0.2;
/// How many features a reason names.
const REASON_FEATURES: usize = 3;

/// A compiled model: the bias and each feature's weight, by the hash of
/// its words. The complaint and the critical model are both one.
#[derive(Debug, Clone, Default)]
pub(crate) struct WordModel {
    bias: f32,
    /// The features' hashes, ascending, and their weights beside them:
    /// two arrays sized to their entries, where a hash map took half as
    /// much again in an idle daemon.
    hashes: Vec<u64>,
    weights: Vec<f32>,
    /// One bit per bucket of feature hashes ([`PRESENT_BITS`] bits of
    /// them), set when a feature of the model falls in it: most of a
    /// post's features are not in the model, and a clear bit says so
    /// without searching `hashes`.
    present: Vec<u64>,
}

/// Buckets of [`WordModel::present`]: 2^16 bits, 8 KiB per model. (A
/// table of where each of 2^12 buckets starts in `hashes`, in place of
/// the bits and the binary search, cost an idle daemon 0.7 MiB more of
/// its binary's pages in every sitting measured.)
const PRESENT_BITS: u32 = 16;

/// One feature of a post: its hash and the tokens it spans.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Feature {
    pub(crate) hash: u64,
    pub(crate) first: u32,
    pub(crate) last: u32,
    /// Its weight in the model (0 in training).
    weight: f32,
}

/// What the model says about one post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Verdict {
    /// Probability that the post is of the model's class (a complaint, a
    /// critical mention).
    pub(crate) p: f64,
    /// Token spans of the features that weighed most toward the verdict
    /// (towards "complaint" when `p` >= 0.5), heaviest first.
    pub(crate) heaviest: [Option<(u32, u32)>; REASON_FEATURES],
}

/// What the model changes in a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Overrule {
    /// The rules heard no complaint; the model hears one.
    Complaint { compound: f64 },
    /// The rules heard a complaint; the model hears none.
    NoComplaint { compound: f64 },
}

impl Overrule {
    pub(crate) fn compound(self) -> f64 {
        match self {
            Overrule::Complaint { compound } | Overrule::NoComplaint { compound } => compound,
        }
    }
}

/// What the rules concluded about a post: the model's gates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RulesSaid {
    pub(crate) label: Label,
    pub(crate) compound: f64,
    /// The post names a customer-service topic, or a company's service
    /// ([`Tag::Service`](super::data::Tag::Service)): it is about a company.
    pub(crate) topic: bool,
    /// A cue category fired.
    pub(crate) cue: bool,
    /// A cue of praise or of a resolution fired ("arrived today",
    /// "sorted it in 10 minutes").
    pub(crate) resolved: bool,
    /// A cue the model may not clear fired: sarcasm ("this bank is a
    /// joke" is a complaint in any question) or a critical one (legal,
    /// safety, privacy: a missed one costs more than a false alarm).
    pub(crate) binding: bool,
}

/// Whether the model may speak on this post at all: the only posts it
/// could overrule (the scorer reads no features for any other post).
pub(crate) fn may_overrule(rules: &RulesSaid) -> bool {
    match rules.label {
        Label::Negative => (rules.cue || rules.topic) && !rules.binding && rules.compound > VETO_MILDER_THAN,
        _ => rules.topic && !rules.resolved && rules.compound < PRAISE_FROM,
    }
}

/// The decision rule: the model overrules the rules' label only when it is
/// sure and the post is about a company's service (a topic for a new
/// complaint; a cue, or a topic and more certainty, for a vetoed one), and
/// never a resolution or praise
/// the rules heard ("my parcel arrived today": most posts with "parcel
/// arrived" in them are complaints, this one is not). Fitted on the
/// labelled sets with each set held out in turn (BENCHMARKS.md, "A
/// learned complaint signal" and "Held out again").
pub(crate) fn decide(rules: &RulesSaid, p: f64) -> Option<Overrule> {
    if !may_overrule(rules) {
        return None;
    }
    match rules.label {
        Label::Negative if p < no_complaint_below(rules) => {
            let compound =
                if rules.resolved { CLEARED_WITH_PRAISE_COMPOUND } else { rules.compound.max(OVERRULED_COMPOUND) };
            Some(Overrule::NoComplaint { compound })
        }
        Label::Negative => None,
        _ if p >= COMPLAINT_FROM => Some(Overrule::Complaint { compound: rules.compound.min(round4(0.5 - p)) }),
        _ => None,
    }
}

/// How unsure of a complaint the model must be to clear one: surer
/// where no cue fired ([`NO_CUED_COMPLAINT_BELOW`]).
fn no_complaint_below(rules: &RulesSaid) -> f64 {
    if rules.cue {
        NO_COMPLAINT_BELOW
    } else {
        NO_CUED_COMPLAINT_BELOW
    }
}

impl WordModel {
    /// Reads a model file; `key` names it in errors.
    pub(crate) fn parse(text: &str, key: &str) -> Result<WordModel, ScoringError> {
        let err = |line: usize, reason: String| ScoringError { key: format!("{key}: line {line}"), reason };
        let mut model = WordModel::default();
        let mut weights: HashMap<u64, f32, BuildHasherDefault<FxHasher>> = HashMap::default();
        let mut bias = None;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((feature, weight)) = line.split_once('\t') else {
                return Err(err(i + 1, "expected `feature<TAB>weight`".into()));
            };
            let weight: f32 = match weight.trim().parse() {
                Ok(w) if f32::is_finite(w) => w,
                _ => return Err(err(i + 1, format!("weight {weight:?} is not a finite number"))),
            };
            if feature == "bias" {
                if bias.replace(weight).is_some() {
                    return Err(err(i + 1, "a second `bias` line".into()));
                }
                continue;
            }
            let hash = feature_hash(feature).ok_or_else(|| {
                err(i + 1, format!("feature {feature:?} is not one or two lower-case words separated by a space"))
            })?;
            if weights.insert(hash, weight).is_some() {
                return Err(err(i + 1, format!("feature {feature:?} appears twice")));
            }
        }
        model.bias = bias.ok_or_else(|| ScoringError { key: key.into(), reason: "no `bias` line".into() })?;
        let mut weights: Vec<(u64, f32)> = weights.into_iter().collect();
        weights.sort_unstable_by_key(|&(hash, _)| hash);
        (model.hashes, model.weights) = weights.into_iter().unzip();
        model.present = vec![0; 1 << (PRESENT_BITS - 6)];
        for &hash in &model.hashes {
            let bucket = bucket(hash);
            model.present[bucket >> 6] |= 1 << (bucket & 63);
        }
        Ok(model)
    }

    /// How many features carry a weight.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.weights.len()
    }

    /// The weight of the feature hashed `hash`, if the model has it.
    #[inline]
    fn weight_of(&self, hash: u64) -> Option<f32> {
        let b = bucket(hash);
        if self.present.get(b >> 6).is_none_or(|bits| bits & (1 << (b & 63)) == 0) {
            return None;
        }
        self.hashes.binary_search(&hash).ok().map(|at| self.weights[at])
    }

    /// The model's verdict on a post's words; `found` is a buffer.
    pub(crate) fn verdict(&self, words: &MatchText, found: &mut Vec<Feature>) -> Verdict {
        // The features the model weighs, each once (its first place): few
        // per post, so a scan finds a repeat sooner than a sort would.
        found.clear();
        for_each_feature(words, |hash, first, last| {
            if let Some(weight) = self.weight_of(hash) {
                if !found.iter().any(|f| f.hash == hash) {
                    found.push(Feature { hash, first, last, weight });
                }
            }
        });
        let p = sigmoid(f64::from(self.bias) + found.iter().map(|f| f64::from(f.weight)).sum::<f64>());
        let toward = if p >= 0.5 { 1.0 } else { -1.0 };
        let mut heaviest = [(0.0f32, None); REASON_FEATURES];
        for f in found.iter() {
            let pull = f.weight * toward;
            if pull <= 0.0 {
                continue;
            }
            if let Some(slot) = heaviest.iter().position(|&(h, s)| s.is_none() || pull > h) {
                // Shifted by hand: `rotate_right` on three entries is a call.
                for k in (slot + 1..REASON_FEATURES).rev() {
                    heaviest[k] = heaviest[k - 1];
                }
                heaviest[slot] = (pull, Some((f.first, f.last)));
            }
        }
        Verdict { p, heaviest: heaviest.map(|(_, span)| span) }
    }
}

/// A feature hash's bucket in [`WordModel::present`]: its top bits.
fn bucket(hash: u64) -> usize {
    (hash >> (64 - PRESENT_BITS)) as usize
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp())
}

/// A post's features, each once (its first place): what training sees.
pub(crate) fn post_features(words: &MatchText, out: &mut Vec<Feature>) {
    out.clear();
    for_each_feature(words, |hash, first, last| out.push(Feature { hash, first, last, weight: 0.0 }));
    out.sort_unstable_by_key(|f| (f.hash, f.first));
    out.dedup_by_key(|f| f.hash);
}

/// Calls `f(hash, first token, last token)` for every feature of a post,
/// in text order, repeats included: every word, number (`_num`),
/// duration (`_dur`) and emoji, and every two neighbours within a
/// sentence.
fn for_each_feature(words: &MatchText, mut f: impl FnMut(u64, u32, u32)) {
    let mut previous: Option<(u64, u32)> = None;
    for (i, t) in words.tokens.iter().enumerate() {
        if t.kind == Kind::Break {
            previous = None;
            continue;
        }
        let i = i as u32;
        let hash = word_hash(words.word(i as usize));
        f(hash, i, i);
        if let Some((before, at)) = previous {
            f(pair_hash(before, hash), at, i);
        }
        previous = Some((hash, i));
    }
}

/// A feature's name as the model file writes it: its words, space
/// separated.
pub(crate) fn feature_name(words: &MatchText, f: &Feature) -> String {
    let (first, last) = (f.first as usize, f.last as usize);
    if first == last {
        words.word(first).to_string()
    } else {
        format!("{} {}", words.word(first), words.word(last))
    }
}

/// The hash of a feature written as in the model file.
fn feature_hash(name: &str) -> Option<u64> {
    let well_formed = |w: &str| !w.is_empty() && !w.chars().any(|c| c.is_whitespace() || c.is_uppercase());
    let mut parts = name.split(' ');
    let first = parts.next().filter(|w| well_formed(w))?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(word_hash(first)),
        (Some(second), None) if well_formed(second) => Some(pair_hash(word_hash(first), word_hash(second))),
        _ => None,
    }
}

fn word_hash(word: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(word.as_bytes());
    h.finish()
}

fn pair_hash(first: u64, second: u64) -> u64 {
    let mut h = FxHasher::default();
    h.write_u64(first);
    h.write_u64(second ^ 0x2545_f491_4f6c_dd1d);
    h.finish()
}
