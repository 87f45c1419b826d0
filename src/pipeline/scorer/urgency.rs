//! Urgency: how soon a service team should look at a mention, from what
//! it says (negativity, customer-service cues) and how loud it is (the
//! author's reach, the post's engagement and its momentum between polls,
//! the author's repeat complaints).
//!
//! Owns: the urgency formula and every constant in it, in this one file,
//! and [`History`], what the daemon knows from earlier polls. Pure
//! arithmetic: no I/O, no clock. Tests: `scorer/tests.rs`.
//!
//! ```text
//! negativity = max(0, -compound)                                  in [0, 1]
//! said       = min(0.7, 0.6 negativity + cue)     cue: the strongest fired complaint category's `urgency`
//! reach      = clamp((log10(followers) - 2) / 4, 0, 1)   100 → 0, 10k → 0.5, 1M → 1
//! engagement = clamp(log10(1 + interactions) / 3, 0, 1)  9 → 0.33, 99 → 0.67, 999 → 1
//! loudness   = 1 - (1 - reach) (1 - engagement)          either one makes a post loud
//! momentum   = clamp(log10(1 + gained per hour) / 3, 0, 1)  interactions gained since the last poll
//! repeat     = min(1, earlier complaints / 3)             by the same author, this week
//! gate       = clamp((negativity - 0.05) / 0.20, 0, 1)   0 unless negative, 1 from -0.25
//! urgency    = said + gate (0.3 loudness + 0.2 momentum + 0.15 repeat), at most 1
//! ```
//!
//! A critical cue (legal, safety, privacy) lifts urgency to the critical
//! threshold at least. So what a post says alone tops out at "high"; it
//! takes an audience, momentum or a repeat complaint, or a critical cue,
//! to be "critical"; and a loud post is urgent only if it is negative:
//! reach amplifies a complaint, it is not one.

use crate::config::UrgencyThresholds;
use crate::domain::Urgency;

/// Weight of negativity in what a post says.
pub const NEGATIVITY_WEIGHT: f64 = 0.6;
/// The most a post's words and cues alone can reach: below critical.
pub const SAID_MAX: f64 = 0.7;
/// Weights of the amplifiers.
pub const LOUDNESS_WEIGHT: f64 = 0.3;
pub const MOMENTUM_WEIGHT: f64 = 0.2;
pub const REPEAT_WEIGHT: f64 = 0.15;
/// Negativity below which amplifiers add nothing (a compound above -0.05
/// is not negative).
pub const GATE_START: f64 = 0.05;
/// Negativity from which amplifiers count in full.
pub const GATE_FULL: f64 = 0.25;
/// log10 of the follower count where reach starts to count (100).
pub const REACH_FLOOR_LOG10: f64 = 2.0;
/// log10 of the follower count where reach is full (1,000,000).
pub const REACH_FULL_LOG10: f64 = 6.0;
/// log10(1 + interactions) where engagement is full (999 interactions).
pub const ENGAGEMENT_FULL_LOG10: f64 = 3.0;
/// log10(1 + interactions gained per hour) where momentum is full (999/h).
pub const MOMENTUM_FULL_LOG10: f64 = 3.0;
/// Earlier complaints by the same author at which repeat counts in full.
pub const REPEAT_FULL: f64 = 3.0;
/// The window the daemon counts an author's earlier complaints over; the
/// reasons say "this week".
pub const REPEAT_WINDOW_DAYS: u32 = 7;

/// How far a post carries. Absent for a bare text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    /// The author's followers, where the platform gives them.
    pub followers: Option<u64>,
    /// Likes + reposts + replies.
    pub interactions: u64,
}

/// What earlier polls knew about a post and its author, looked up in the
/// store by the daemon. `History::default()` means "nothing known".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct History {
    /// Likes + reposts + replies when the same post was last read.
    pub previous_engagement: Option<u64>,
    /// Minutes between that read and this one.
    pub minutes_since_previous: Option<f64>,
    /// Negative mentions by the same author (same platform and handle) in
    /// the last [`REPEAT_WINDOW_DAYS`] days, this post excluded.
    pub author_recent_complaints: u32,
}

impl History {
    /// Interactions gained since the previous read and over how many
    /// minutes, when both are known and engagement grew.
    pub fn momentum(&self, interactions: u64) -> Option<(u64, f64)> {
        let previous = self.previous_engagement?;
        let minutes = self.minutes_since_previous.filter(|m| m.is_finite() && *m >= 0.0)?;
        let gained = interactions.checked_sub(previous).filter(|g| *g > 0)?;
        Some((gained, minutes))
    }
}

/// Everything urgency is computed from.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Signals {
    pub(crate) compound: f64,
    /// The strongest fired complaint category's urgency weight.
    pub(crate) cue: f64,
    pub(crate) critical: bool,
    pub(crate) audience: Option<Audience>,
    pub(crate) momentum: Option<(u64, f64)>,
    pub(crate) repeats: u32,
}

/// Reach in [0, 1] from a follower count, log-scaled.
pub fn reach(followers: u64) -> f64 {
    if followers == 0 {
        return 0.0;
    }
    let log = (followers as f64).log10();
    ((log - REACH_FLOOR_LOG10) / (REACH_FULL_LOG10 - REACH_FLOOR_LOG10)).clamp(0.0, 1.0)
}

/// Engagement in [0, 1] from an interaction count, log-scaled.
pub fn engagement(interactions: u64) -> f64 {
    ((interactions as f64).ln_1p() / std::f64::consts::LN_10 / ENGAGEMENT_FULL_LOG10).clamp(0.0, 1.0)
}

/// Momentum in [0, 1] from interactions gained over some minutes (a
/// minute at least, so two polls in one second do not look viral).
pub fn momentum(gained: u64, minutes: f64) -> f64 {
    let per_hour = gained as f64 * 60.0 / minutes.max(1.0);
    (per_hour.ln_1p() / std::f64::consts::LN_10 / MOMENTUM_FULL_LOG10).clamp(0.0, 1.0)
}

/// Urgency in [0, 1].
pub(crate) fn urgency(s: &Signals, thresholds: &UrgencyThresholds) -> f64 {
    let compound = if s.compound.is_finite() { s.compound.clamp(-1.0, 1.0) } else { 0.0 };
    let negativity = (-compound).max(0.0);
    let cue = if s.cue.is_finite() { s.cue.clamp(0.0, 1.0) } else { 0.0 };
    let said = (NEGATIVITY_WEIGHT * negativity + cue).min(SAID_MAX);
    let loudness = s.audience.map_or(0.0, |a| {
        let r = a.followers.map_or(0.0, reach);
        let e = engagement(a.interactions);
        1.0 - (1.0 - r) * (1.0 - e)
    });
    let momentum = s.momentum.map_or(0.0, |(g, m)| momentum(g, m));
    let repeat = (f64::from(s.repeats) / REPEAT_FULL).min(1.0);
    let gate = ((negativity - GATE_START) / (GATE_FULL - GATE_START)).clamp(0.0, 1.0);
    let amplified = LOUDNESS_WEIGHT * loudness + MOMENTUM_WEIGHT * momentum + REPEAT_WEIGHT * repeat;
    let mut u = (said + gate * amplified).clamp(0.0, 1.0);
    if s.critical {
        u = u.max(thresholds.critical);
    }
    u
}

/// The level for an urgency under `thresholds`.
pub fn level(urgency: f64, thresholds: &UrgencyThresholds) -> Urgency {
    if urgency >= thresholds.critical {
        Urgency::Critical
    } else if urgency >= thresholds.high {
        Urgency::High
    } else if urgency >= thresholds.normal {
        Urgency::Normal
    } else {
        Urgency::Low
    }
}
