//! Per-thread buffers the scorer reuses from post to post, so scoring
//! allocates nothing but what it returns once they have grown.
//!
//! Owns: [`with`], which lends the calling thread's [`Scratch`]. A
//! thread scores one post at a time, so the buffers are never shared; a
//! re-entrant call (none today) would get fresh buffers rather than
//! panic.

use std::cell::RefCell;

use super::cues;
use super::model;
use super::phrases::{FindScratch, Hit};
use super::text::MatchText;

/// The reusable buffers of one scoring thread.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// The post cleaned for scoring (`social.rs`).
    pub(crate) cleaned: String,
    pub(crate) words: MatchText,
    pub(crate) find: FindScratch,
    pub(crate) hits: Vec<Hit>,
    pub(crate) cues: cues::Buffers,
    /// Byte ranges of neutral phrases and of enquiries (`PostAdjust`).
    pub(crate) neutral: Vec<(u32, u32)>,
    pub(crate) enquiry: Vec<(u32, u32)>,
    /// Topic indexes found (`topics.rs`).
    pub(crate) topics: Vec<usize>,
    /// The features the complaint model weighs (`model.rs`).
    pub(crate) features: Vec<model::Feature>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch buffers.
pub(crate) fn with<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut Scratch::default()),
    })
}
