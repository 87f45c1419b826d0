//! Urgency: how soon a service team should look at a mention, from how
//! negative it is and how loud (the author's reach, the post's engagement).
//!
//! Owns: the urgency formula and every constant in it, in this one file.
//! Pure arithmetic, no I/O. Momentum and repeat complaints are a later
//! issue. Tests: `scorer/tests.rs`.
//!
//! ```text
//! negativity = max(0, -compound)                                  in [0, 1]
//! reach      = clamp((log10(followers) - 2) / 4, 0, 1)   100 → 0, 10k → 0.5, 1M → 1
//! engagement = clamp(log10(1 + interactions) / 3, 0, 1)  9 → 0.33, 99 → 0.67, 999 → 1
//! loudness   = 1 - (1 - reach) (1 - engagement)          either one makes a post loud
//! gate       = clamp((negativity - 0.05) / 0.20, 0, 1)   0 unless negative, 1 from -0.25
//! urgency    = 0.7 negativity + 0.3 loudness gate
//! ```
//!
//! So a text alone tops out at 0.7 ("high"), a strongly negative post
//! needs an audience to be "critical", and a loud post is urgent only if
//! it is negative: reach amplifies a complaint, it is not one.

use crate::domain::Urgency;

/// Weight of negativity in urgency.
pub const NEGATIVITY_WEIGHT: f64 = 0.7;
/// Weight of loudness (reach, engagement) in urgency.
pub const LOUDNESS_WEIGHT: f64 = 0.3;
/// Negativity below which loudness adds nothing (a compound above -0.05 is
/// not negative).
pub const GATE_START: f64 = 0.05;
/// Negativity from which loudness counts in full.
pub const GATE_FULL: f64 = 0.25;
/// log10 of the follower count where reach starts to count (100).
pub const REACH_FLOOR_LOG10: f64 = 2.0;
/// log10 of the follower count where reach is full (1,000,000).
pub const REACH_FULL_LOG10: f64 = 6.0;
/// log10(1 + interactions) where engagement is full (999 interactions).
pub const ENGAGEMENT_FULL_LOG10: f64 = 3.0;

/// Level thresholds: urgency at or above each gives that level.
pub const CRITICAL_FROM: f64 = 0.75;
pub const HIGH_FROM: f64 = 0.5;
pub const NORMAL_FROM: f64 = 0.25;

/// How far a post carries. Absent for a bare text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    /// The author's followers, where the platform gives them.
    pub followers: Option<u64>,
    /// Likes + reposts + replies.
    pub interactions: u64,
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

/// Urgency in [0, 1] from a compound sentiment and, for a post, its
/// audience.
pub fn urgency(compound: f64, audience: Option<&Audience>) -> f64 {
    let compound = if compound.is_finite() { compound.clamp(-1.0, 1.0) } else { 0.0 };
    let negativity = (-compound).max(0.0);
    let loudness = audience.map_or(0.0, |a| {
        let r = a.followers.map_or(0.0, reach);
        let e = engagement(a.interactions);
        1.0 - (1.0 - r) * (1.0 - e)
    });
    let gate = ((negativity - GATE_START) / (GATE_FULL - GATE_START)).clamp(0.0, 1.0);
    (NEGATIVITY_WEIGHT * negativity + LOUDNESS_WEIGHT * loudness * gate).clamp(0.0, 1.0)
}

/// The level for an urgency.
pub fn level(urgency: f64) -> Urgency {
    if urgency >= CRITICAL_FROM {
        Urgency::Critical
    } else if urgency >= HIGH_FROM {
        Urgency::High
    } else if urgency >= NORMAL_FROM {
        Urgency::Normal
    } else {
        Urgency::Low
    }
}
