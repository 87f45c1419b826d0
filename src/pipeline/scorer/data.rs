//! The scorer's data: `data/cues.toml`, `data/topics.toml` and
//! `data/social.toml`, embedded with `include_str!`, merged with what the
//! admin adds in `[scoring]` (extra phrases per category and topic, a
//! `cues_file`/`topics_file` in the same format, lexicon overrides), and
//! compiled into one [`Phrasebook`].
//!
//! Owns: the file formats (serde, unknown keys refused), the merge rules
//! (same name: phrases appended, given fields replaced; new name: a new
//! category or topic) and every check on them, reported as a
//! [`ScoringError`] naming the key. Knows nothing about what a cue does
//! when it fires (`cues.rs`). Tests: `scorer/tests/cues.rs`.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::phrases::{BookBuilder, Hit, Phrasebook};
pub(crate) use super::word_set::WordSet;
use crate::config::ScoringSettings;

static CUES: &str = include_str!("../../../data/cues.toml");
static TOPICS: &str = include_str!("../../../data/topics.toml");
static SOCIAL: &str = include_str!("../../../data/social.toml");

/// The data files' and the models' text as embedded in the binary (see
/// [`crate::pipeline::embedded_data`]). The texts are `static`, not
/// `const`: every use of a `const` may get its own copy of the bytes, and
/// these must be the very bytes the parse read.
pub(crate) fn embedded() -> [&'static str; 5] {
    [CUES, TOPICS, SOCIAL, super::model::BUILT_IN, super::model::BUILT_IN_CRITICAL]
}

/// Scoring data that does not compile: where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct ScoringError {
    /// Where: `scoring.cues.waiting[2]`, `cues_file: category[3].valence`.
    pub key: String,
    pub reason: String,
}

fn err(key: impl Into<String>, reason: impl Into<String>) -> ScoringError {
    ScoringError { key: key.into(), reason: reason.into() }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueFile {
    negation: Option<NegationData>,
    #[serde(default)]
    macros: HashMap<String, String>,
    #[serde(default)]
    category: Vec<CategoryData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NegationData {
    window: Option<u8>,
    blocker_window: Option<u8>,
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    exceptions: Vec<String>,
    #[serde(default)]
    blockers: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryData {
    name: String,
    summary: Option<String>,
    topic: Option<String>,
    valence: Option<f64>,
    urgency: Option<f64>,
    critical: Option<bool>,
    sarcasm: Option<bool>,
    resolves: Option<bool>,
    in_questions: Option<bool>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    with_complaint: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicFile {
    #[serde(default)]
    topic: Vec<TopicData>,
    /// Words that show a post is about a company's service without
    /// naming a topic ("the app", "my plan"): see [`Tag::Service`].
    #[serde(default)]
    service: Option<Phrases>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicData {
    name: String,
    summary: Option<String>,
    #[serde(default)]
    phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SocialFile {
    lexicon: BTreeMap<String, f64>,
    politeness: Phrases,
    neutral: Phrases,
    report: Phrases,
    complaint_context: Words,
    enquiry: Enquiry,
    names: Names,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Phrases {
    phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    words: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Enquiry {
    openers: Vec<String>,
    questions: Vec<String>,
    closings: Vec<String>,
    greetings: Vec<String>,
    judging: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Names {
    not_names: Vec<String>,
    regulator_handles: Vec<String>,
}

/// A cue category, merged and checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Category {
    pub(crate) name: String,
    pub(crate) summary: String,
    /// Index into [`Compiled::topics`].
    pub(crate) topic: Option<usize>,
    pub(crate) valence: f64,
    pub(crate) urgency: f64,
    pub(crate) critical: bool,
    pub(crate) sarcasm: bool,
    pub(crate) resolves: bool,
    pub(crate) in_questions: bool,
}

/// A topic of the taxonomy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Topic {
    pub(crate) name: String,
    pub(crate) summary: String,
}

/// What a pattern in the phrasebook stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// A cue of category `cat`; `with_complaint`: counts only alongside a
    /// complaint.
    Cue {
        cat: u16,
        with_complaint: bool,
    },
    Topic(u16),
    /// About a company's service, without a topic of its own ("the app",
    /// "my contract"): the complaint model may speak on such a post.
    Service,
    /// A neutral idiom ("no idea"): no valence, no negation.
    Neutral,
    /// Politeness ("please help"): no valence, no negation.
    Polite,
    /// Opens an enquiry (ended by "?" or by the post unpunctuated).
    Enquiry,
    /// Opens a yes/no question (ended by "?").
    Question,
    /// Closing thanks, politeness when the post holds an enquiry.
    Closing,
    /// News about a company ("shares up 4%", "now hiring"): its sentence
    /// reads like an enquiry.
    Report,
    /// A phrase in which a negation word does not negate.
    NegException,
    /// A hypothetical ("if", "in case").
    Blocker,
}

/// Everything the scorer needs from the data, compiled.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) book: Phrasebook,
    /// Tag id (a [`super::phrases::Hit::tag`]) → meaning.
    pub(crate) tags: Vec<Tag>,
    pub(crate) categories: Vec<Category>,
    pub(crate) topics: Vec<Topic>,
    /// Word valence overrides for the sentiment lexicon (`None`: unrated).
    pub(crate) lexicon: Vec<(String, Option<f32>)>,
    pub(crate) negations: WordSet,
    pub(crate) negation_window: usize,
    pub(crate) blocker_window: usize,
    pub(crate) complaint_context: WordSet,
    pub(crate) greetings: WordSet,
    /// Words that judge the company ("useless", "joke"): in an enquiry
    /// they still count as a complaint, other negative words hardly do.
    pub(crate) judging: WordSet,
    /// What `social.rs` reads names and handles by.
    pub(crate) names: NameRules,
}

/// The words `social.rs` reads names and handles by (`[names]` in
/// `data/social.toml`).
#[derive(Debug)]
pub(crate) struct NameRules {
    /// Words that end a Title Case run rather than name a brand.
    pub(crate) not_names: WordSet,
    /// The pieces of regulators' handles, in any case: a handle holding
    /// one is read as the word "regulator" (`None`: no pieces).
    pub(crate) regulator_handles: Option<aho_corasick::AhoCorasick>,
}

impl NameRules {
    /// Whether `handle` (without its '@') is a regulator's.
    pub(crate) fn is_regulator(&self, handle: &str) -> bool {
        self.regulator_handles.as_ref().is_some_and(|ac| ac.is_match(handle))
    }
}

impl Compiled {
    /// What phrase hit `hit` stands for.
    #[inline]
    pub(crate) fn tag(&self, hit: &Hit) -> Tag {
        self.tags[hit.tag as usize]
    }

    /// Whether some hit stands for `tag`.
    pub(crate) fn any_tagged(&self, hits: &[Hit], tag: Tag) -> bool {
        hits.iter().any(|h| self.tag(h) == tag)
    }
}

/// Loads the embedded data and merges `settings` into it.
pub(crate) fn compile(settings: &ScoringSettings) -> Result<Compiled, ScoringError> {
    let mut cues: CueFile = parse(CUES, "data/cues.toml")?;
    if let Some(extra) = &settings.cues_file_text {
        let more: CueFile = parse(extra, "scoring.cues_file")?;
        merge_cues(&mut cues, more, "scoring.cues_file")?;
    }
    let mut topic_file: TopicFile = parse(TOPICS, "data/topics.toml")?;
    if let Some(extra) = &settings.topics_file_text {
        let more: TopicFile = parse(extra, "scoring.topics_file")?;
        for (i, t) in more.topic.iter().enumerate() {
            check_phrases(&t.phrases, &cues.macros, &format!("scoring.topics_file: topic[{i}].phrases"))?;
        }
        merge_topics(&mut topic_file, more.topic);
        if let Some(service) = more.service {
            check_phrases(&service.phrases, &cues.macros, "scoring.topics_file: service.phrases")?;
            topic_file.service.get_or_insert(Phrases { phrases: Vec::new() }).phrases.extend(service.phrases);
        }
    }
    for (name, phrases) in &settings.topics {
        check_phrases(phrases, &cues.macros, &format!("scoring.topics.{name}"))?;
        let data = TopicData { name: name.clone(), summary: None, phrases: phrases.clone() };
        merge_topics(&mut topic_file, vec![data]);
    }
    let social: SocialFile = parse(SOCIAL, "data/social.toml")?;

    let topics: Vec<Topic> = topic_file
        .topic
        .iter()
        .map(|t| Topic { name: t.name.clone(), summary: t.summary.clone().unwrap_or_default() })
        .collect();
    let topic_index = |name: &str| topics.iter().position(|t| t.name == name);

    for (name, phrases) in &settings.cues {
        let Some(cat) = cues.category.iter_mut().find(|c| &c.name == name) else {
            let known: Vec<&str> = cues.category.iter().map(|c| c.name.as_str()).collect();
            return Err(err(
                format!("scoring.cues.{name}"),
                format!("no cue category {name:?} (known: {}; add new ones with cues_file)", known.join(", ")),
            ));
        };
        check_phrases(phrases, &cues.macros, &format!("scoring.cues.{name}"))?;
        cat.phrases.extend(phrases.iter().cloned());
    }

    let mut tags: Vec<Tag> = Vec::new();
    let mut tag_of = |tag: Tag| -> u32 {
        match tags.iter().position(|&t| t == tag) {
            Some(i) => i as u32,
            None => {
                tags.push(tag);
                (tags.len() - 1) as u32
            }
        }
    };
    let mut book = BookBuilder::default();
    let macros = &cues.macros;
    let add = |book: &mut BookBuilder, key: &str, pattern: &str, tag: u32| -> Result<(), ScoringError> {
        book.add(pattern, macros, tag).map_err(|reason| err(key, reason))
    };

    let mut categories = Vec::with_capacity(cues.category.len());
    for (i, c) in cues.category.iter().enumerate() {
        let at = |k: &str| format!("cues.{}.{k}", c.name);
        if c.name.trim().is_empty() || c.name != c.name.to_lowercase() {
            return Err(err(format!("category[{i}].name"), "a category needs a lower-case name"));
        }
        let valence = c.valence.unwrap_or(-2.0);
        if !(-4.0..=4.0).contains(&valence) {
            return Err(err(at("valence"), format!("{valence} is outside -4..4")));
        }
        let urgency = c.urgency.unwrap_or(0.2);
        if !(0.0..=1.0).contains(&urgency) {
            return Err(err(at("urgency"), format!("{urgency} is outside 0..1")));
        }
        let topic = match c.topic.as_deref() {
            None | Some("") => None,
            Some(t) => Some(topic_index(t).ok_or_else(|| err(at("topic"), format!("no topic {t:?} in the taxonomy")))?),
        };
        if c.phrases.is_empty() && c.with_complaint.is_empty() {
            return Err(err(at("phrases"), "a category needs at least one phrase"));
        }
        let cat = u16::try_from(i).map_err(|_| err("category", "too many categories"))?;
        for (lists, with_complaint, key) in
            [(&c.phrases, false, "phrases"), (&c.with_complaint, true, "with_complaint")]
        {
            let tag = tag_of(Tag::Cue { cat, with_complaint });
            for (k, p) in lists.iter().enumerate() {
                add(&mut book, &format!("{}[{k}]", at(key)), p, tag)?;
            }
        }
        categories.push(Category {
            name: c.name.clone(),
            summary: c.summary.clone().unwrap_or_default(),
            topic,
            valence,
            urgency,
            critical: c.critical.unwrap_or(false),
            sarcasm: c.sarcasm.unwrap_or(false),
            resolves: c.resolves.unwrap_or(false),
            in_questions: c.in_questions.unwrap_or(false) || c.critical.unwrap_or(false),
        });
    }
    for (i, t) in topic_file.topic.iter().enumerate() {
        let tag = tag_of(Tag::Topic(u16::try_from(i).map_err(|_| err("topic", "too many topics"))?));
        for (k, p) in t.phrases.iter().enumerate() {
            add(&mut book, &format!("topics.{}.phrases[{k}]", t.name), p, tag)?;
        }
    }
    for (k, p) in topic_file.service.iter().flat_map(|s| &s.phrases).enumerate() {
        add(&mut book, &format!("topics.service.phrases[{k}]"), p, tag_of(Tag::Service))?;
    }
    let negation = cues.negation.unwrap_or_default();
    book.set_negations(negation.words.iter().map(String::as_str));
    for (tag, list, key) in [
        (Tag::Polite, &social.politeness.phrases, "social.politeness"),
        (Tag::Neutral, &social.neutral.phrases, "social.neutral"),
        (Tag::Enquiry, &social.enquiry.openers, "social.enquiry.openers"),
        (Tag::Question, &social.enquiry.questions, "social.enquiry.questions"),
        (Tag::Closing, &social.enquiry.closings, "social.enquiry.closings"),
        (Tag::Report, &social.report.phrases, "social.report"),
        (Tag::NegException, &negation.exceptions, "cues.negation.exceptions"),
        (Tag::Blocker, &negation.blockers, "cues.negation.blockers"),
    ] {
        let tag = tag_of(tag);
        for (k, p) in list.iter().enumerate() {
            add(&mut book, &format!("{key}[{k}]"), p, tag)?;
        }
    }

    let mut lexicon: BTreeMap<String, f64> = social.lexicon;
    for (word, v) in &settings.lexicon {
        lexicon.insert(word.to_lowercase(), *v);
    }
    let lexicon = lexicon_entries(&lexicon, "scoring.lexicon")?;
    let words = |list: &[String]| -> WordSet {
        list.iter()
            .flat_map(|w| w.split_whitespace())
            .map(|w| w.to_lowercase().replace(['\'', '\u{2019}'], ""))
            .collect()
    };
    Ok(Compiled {
        book: book.build(),
        tags,
        categories,
        topics,
        lexicon,
        negations: words(&negation.words),
        negation_window: usize::from(negation.window.unwrap_or(3)),
        blocker_window: usize::from(negation.blocker_window.unwrap_or(6)),
        complaint_context: words(&social.complaint_context.words),
        greetings: words(&social.enquiry.greetings),
        judging: words(&social.enquiry.judging),
        names: NameRules {
            not_names: words(&social.names.not_names),
            regulator_handles: pieces_matcher(&social.names.regulator_handles),
        },
    })
}

/// Checked lexicon entries: a lower-case word and a valence in -4..4; 0
/// makes the word unrated.
pub(crate) fn lexicon_entries(
    lexicon: &BTreeMap<String, f64>,
    key: &str,
) -> Result<Vec<(String, Option<f32>)>, ScoringError> {
    lexicon
        .iter()
        .map(|(word, &v)| {
            let word = word.trim().to_lowercase();
            if word.is_empty() || word.contains(char::is_whitespace) {
                return Err(err(format!("{key}.{word:?}"), "a lexicon entry is one word"));
            }
            if !v.is_finite() || !(-4.0..=4.0).contains(&v) {
                return Err(err(format!("{key}.{word}"), format!("valence {v} is outside -4..4")));
            }
            Ok((word, (v != 0.0).then_some(v as f32)))
        })
        .collect()
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str, key: &str) -> Result<T, ScoringError> {
    toml::from_str(text).map_err(|e| err(key, e.message().to_string()))
}

/// Compiles `phrases` on their own, so an error names where the admin
/// wrote them.
fn check_phrases(phrases: &[String], macros: &HashMap<String, String>, key: &str) -> Result<(), ScoringError> {
    for (k, p) in phrases.iter().enumerate() {
        BookBuilder::default().add(p, macros, 0).map_err(|reason| err(format!("{key}[{k}]"), reason))?;
    }
    Ok(())
}

fn merge_cues(base: &mut CueFile, more: CueFile, key: &str) -> Result<(), ScoringError> {
    base.macros.extend(more.macros);
    for (i, c) in more.category.iter().enumerate() {
        check_phrases(&c.phrases, &base.macros, &format!("{key}: category[{i}].phrases"))?;
        check_phrases(&c.with_complaint, &base.macros, &format!("{key}: category[{i}].with_complaint"))?;
        if c.name.trim().is_empty() || c.name != c.name.to_lowercase() {
            return Err(err(format!("{key}: category[{i}].name"), "a category needs a lower-case name"));
        }
    }
    if let Some(n) = more.negation {
        let b = base.negation.get_or_insert_with(NegationData::default);
        b.window = n.window.or(b.window);
        b.blocker_window = n.blocker_window.or(b.blocker_window);
        b.words.extend(n.words);
        b.exceptions.extend(n.exceptions);
        b.blockers.extend(n.blockers);
    }
    for (i, c) in more.category.into_iter().enumerate() {
        match base.category.iter_mut().find(|b| b.name == c.name) {
            Some(b) => {
                b.summary = c.summary.or(b.summary.take());
                b.topic = c.topic.or(b.topic.take());
                b.valence = c.valence.or(b.valence);
                b.urgency = c.urgency.or(b.urgency);
                b.critical = c.critical.or(b.critical);
                b.sarcasm = c.sarcasm.or(b.sarcasm);
                b.resolves = c.resolves.or(b.resolves);
                b.in_questions = c.in_questions.or(b.in_questions);
                b.phrases.extend(c.phrases);
                b.with_complaint.extend(c.with_complaint);
            }
            None if c.summary.is_none() => {
                return Err(err(format!("{key}: category[{i}].summary"), "a new category needs a summary"))
            }
            None => base.category.push(c),
        }
    }
    Ok(())
}

fn merge_topics(base: &mut TopicFile, more: Vec<TopicData>) {
    for t in more {
        match base.topic.iter_mut().find(|b| b.name == t.name) {
            Some(b) => {
                b.summary = t.summary.or(b.summary.take());
                b.phrases.extend(t.phrases);
            }
            None => base.topic.push(t),
        }
    }
}

/// One automaton over `pieces` (ASCII case-insensitive): `None` when
/// there are none. A contiguous NFA (a few KiB where a DFA took 50)
/// without a prefilter: it reads handles of a few bytes, where setting up
/// a prefilter's search costs more than the walk.
fn pieces_matcher(pieces: &[String]) -> Option<aho_corasick::AhoCorasick> {
    let pieces: Vec<&str> = pieces.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
    if pieces.is_empty() {
        return None;
    }
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .prefilter(false)
        .build(pieces)
        .ok()
}
