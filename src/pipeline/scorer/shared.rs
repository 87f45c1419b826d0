//! The compiled scoring data (cue and topic automaton, sentiment lexicon
//! with its overlay), built once per distinct `[scoring]` and shared.
//!
//! Compiling is the expensive part of making a [`super::Scorer`]: the
//! TOML data files are parsed, phrase patterns expanded into one automaton
//! and the VADER lexicon read. A daemon builds scorers more than once for
//! one config (the check at load, the pipeline, every reload, `earshot
//! score`), and a reload that did not touch `[scoring]` should not pay for
//! it again nor hold two copies in memory. So the result is kept behind an
//! `Arc`, remembered by the settings it came from, and handed out again
//! for equal settings. Only the [`KEPT`] most recently used are
//! remembered: a daemon needs one, a reload briefly two.
//!
//! Tests: `scorer/tests.rs` (`equal_settings_share_compiled_data`).

use std::sync::{Arc, Mutex};

use crate::config::{ScoringSettings, UrgencyThresholds};
use crate::pipeline::sentiment::SentimentAnalyzer;

use super::data::{self, Compiled, ScoringError};
use super::model::{self, WordModel};

/// What a scorer needs from `[scoring]`, compiled.
pub(super) struct Core {
    pub(super) sentiment: SentimentAnalyzer,
    pub(super) data: Compiled,
    /// The learned complaint signal.
    pub(super) model: WordModel,
    /// The learned critical signal.
    pub(super) critical: WordModel,
}

/// How many compiled cores are remembered.
const KEPT: usize = 2;

/// Recently used compiled cores, by the settings they were compiled from,
/// most recent last.
static CORES: Mutex<Vec<(ScoringSettings, Arc<Core>)>> = Mutex::new(Vec::new());

/// The core for `settings`: the one already in use for equal settings, or
/// a new one.
pub(super) fn core(settings: &ScoringSettings) -> Result<Arc<Core>, ScoringError> {
    let key = key(settings);
    // A poisoned lock only means another thread panicked mid-lookup; the
    // list itself is always valid.
    let mut cores = CORES.lock().unwrap_or_else(|p| p.into_inner());
    let core = match cores.iter().position(|(k, _)| *k == key) {
        Some(i) => cores.remove(i).1,
        None => Arc::new(compile(settings)?),
    };
    if cores.len() >= KEPT {
        cores.remove(0);
    }
    cores.push((key, Arc::clone(&core)));
    Ok(core)
}

fn compile(settings: &ScoringSettings) -> Result<Core, ScoringError> {
    let data = data::compile(settings)?;
    let overlay = data.lexicon.iter().map(|(w, v)| (std::borrow::Cow::Owned(w.clone()), *v));
    let sentiment = SentimentAnalyzer::with_overlay(overlay);
    let model = match &settings.complaint_model_text {
        Some(text) => WordModel::parse(text, "scoring.complaint_model_file")?,
        None => WordModel::parse(model::BUILT_IN, "data/complaint_model.tsv")?,
    };
    let critical = match &settings.critical_model_text {
        Some(text) => WordModel::parse(text, "scoring.critical_model_file")?,
        None => WordModel::parse(model::BUILT_IN_CRITICAL, "data/critical_model.tsv")?,
    };
    Ok(Core { sentiment, data, model, critical })
}

/// The part of the settings the core depends on: the urgency thresholds
/// are applied per scorer, and the file paths only matter through the
/// texts read from them.
fn key(settings: &ScoringSettings) -> ScoringSettings {
    ScoringSettings {
        urgency: UrgencyThresholds::default(),
        cues_file: None,
        topics_file: None,
        complaint_model_file: None,
        critical_model_file: None,
        ..settings.clone()
    }
}
