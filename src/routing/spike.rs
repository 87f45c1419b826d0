//! Spike detection, pure: one [`Series`] per brand (and per brand + topic)
//! counts negative mentions per interval and keeps an EWMA baseline of
//! them. [`Series::observe`] takes the next interval's count and says
//! whether a spike started, goes on, or ended.
//!
//! - Warm-up: the first `warmup` intervals only teach the baseline, so a
//!   fresh install (or a new brand or topic) cannot fire on its first day.
//! - Firing: a count at or above the threshold, `max(min_count,
//!   sensitivity × baseline)`. While firing the baseline is frozen, so a
//!   long spike does not become the new normal and end itself.
//! - Resolving: `resolve_after` intervals in a row below the threshold.
//!
//! One alert per spike and one when it ends, never one per interval.
//! No I/O, no clock: times are given. Tests: below.

use chrono::{DateTime, Utc};

/// The baseline below which ratios are computed against this floor (a
/// baseline of 0 would make any count infinitely above normal).
pub const MIN_BASELINE: f64 = 0.1;

/// How one series decides; from `[spikes]` (with per-brand overrides).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// EWMA weight of the newest interval, in (0, 1].
    pub alpha: f64,
    /// Intervals observed before the series may fire.
    pub warmup: u32,
    /// Multiple of the baseline that fires.
    pub sensitivity: f64,
    /// Fewer negative mentions than this in an interval never fire.
    pub min_count: u64,
    /// Intervals in a row below the threshold that end a spike.
    pub resolve_after: u32,
}

impl Rule {
    /// The count at or above which an interval is a spike.
    pub fn threshold(&self, baseline: f64) -> f64 {
        (self.sensitivity * baseline).max(self.min_count as f64)
    }
}

/// `count` as a multiple of `baseline` (floored at [`MIN_BASELINE`]).
pub fn ratio(count: u64, baseline: f64) -> f64 {
    count as f64 / baseline.max(MIN_BASELINE)
}

/// What the store keeps of one series between intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Normal negative mentions per interval (EWMA).
    pub baseline: f64,
    /// Intervals observed (saturating).
    pub intervals: u32,
    /// Start of the first interval of the spike now firing.
    pub firing_since: Option<DateTime<Utc>>,
    /// Intervals in a row below the threshold while firing.
    pub quiet: u32,
    /// The last interval's count.
    pub last_count: u64,
}

impl Default for Series {
    fn default() -> Self {
        Series { baseline: 0.0, intervals: 0, firing_since: None, quiet: 0, last_count: 0 }
    }
}

/// What one interval did to a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing to say (learning, or normal).
    Quiet,
    /// A spike began with this interval.
    Started,
    /// The spike goes on (or is cooling down, not yet resolved).
    Firing,
    /// The spike is over.
    Resolved,
}

impl Series {
    pub fn is_firing(&self) -> bool {
        self.firing_since.is_some()
    }

    /// Feeds the count of the interval starting at `start`.
    pub fn observe(&mut self, rule: &Rule, count: u64, start: DateTime<Utc>) -> Step {
        self.last_count = count;
        let warming = self.intervals < rule.warmup;
        let above = count as f64 >= rule.threshold(self.baseline);
        let step = match (self.firing_since, warming, above) {
            (None, true, _) | (None, false, false) => {
                self.learn(rule, count);
                Step::Quiet
            }
            (None, false, true) => {
                self.firing_since = Some(start);
                self.quiet = 0;
                Step::Started
            }
            (Some(_), _, true) => {
                self.quiet = 0;
                Step::Firing
            }
            (Some(_), _, false) => {
                self.quiet += 1;
                if self.quiet >= rule.resolve_after.max(1) {
                    self.firing_since = None;
                    self.quiet = 0;
                    self.learn(rule, count);
                    Step::Resolved
                } else {
                    Step::Firing
                }
            }
        };
        self.intervals = self.intervals.saturating_add(1);
        step
    }

    fn learn(&mut self, rule: &Rule, count: u64) {
        let c = count as f64;
        self.baseline = if self.intervals == 0 { c } else { rule.alpha * c + (1.0 - rule.alpha) * self.baseline };
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const RULE: Rule = Rule { alpha: 0.1, warmup: 288, sensitivity: 4.0, min_count: 10, resolve_after: 2 };

    fn at(i: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_777_600_000 + i * 300, 0).unwrap()
    }

    /// Feeds `counts` from interval `from` on; returns the steps.
    fn feed(s: &mut Series, from: i64, counts: &[u64]) -> Vec<Step> {
        counts.iter().enumerate().map(|(i, &c)| s.observe(&RULE, c, at(from + i as i64))).collect()
    }

    /// A day of normal traffic: 2 to 6 negative mentions per 5 minutes.
    fn normal_day() -> Vec<u64> {
        (0..288).map(|i| 2 + (i * 7 % 5) as u64).collect()
    }

    #[test]
    fn nothing_fires_during_warm_up_even_a_huge_burst() {
        let mut s = Series::default();
        let mut counts = normal_day();
        counts[10] = 500;
        counts[11] = 500;
        assert!(feed(&mut s, 0, &counts).iter().all(|s| *s == Step::Quiet));
        assert_eq!(s.intervals, 288);
        assert!(!s.is_firing());
    }

    #[test]
    fn a_tenfold_jump_fires_once_in_its_first_interval_then_resolves() {
        let mut s = Series::default();
        feed(&mut s, 0, &normal_day());
        let normal = s.baseline;
        assert!((3.0..5.0).contains(&normal), "{normal}");

        let jump = (normal * 10.0).round() as u64;
        let steps = feed(&mut s, 288, &[jump, jump, jump + 5, jump]);
        assert_eq!(steps, [Step::Started, Step::Firing, Step::Firing, Step::Firing], "one alert, not one per interval");
        assert_eq!(s.firing_since, Some(at(288)));
        assert_eq!(s.baseline, normal, "the spike is not learnt as normal");
        assert!(ratio(jump, s.baseline) >= 9.5);

        // One quiet interval is not the end; two are.
        let steps = feed(&mut s, 292, &[3, 4, 3]);
        assert_eq!(steps, [Step::Firing, Step::Resolved, Step::Quiet]);
        assert!(!s.is_firing());
        // A dip in the middle of a spike does not resolve it.
        let steps = feed(&mut s, 295, &[60, 2, 60, 4, 4]);
        assert_eq!(steps, [Step::Started, Step::Firing, Step::Firing, Step::Firing, Step::Resolved]);
    }

    #[test]
    fn min_count_keeps_a_quiet_brand_from_firing_on_a_handful() {
        let mut s = Series::default();
        feed(&mut s, 0, &vec![0; 288]);
        assert_eq!(s.baseline, 0.0);
        assert_eq!(feed(&mut s, 288, &[9]), [Step::Quiet], "9 < min_count");
        assert_eq!(feed(&mut s, 289, &[10]), [Step::Started]);
        assert_eq!(ratio(10, 0.0), 100.0);
    }

    #[test]
    fn a_slow_rise_is_learnt_not_alerted() {
        let mut s = Series::default();
        feed(&mut s, 0, &normal_day());
        // Doubling over a day: each interval only slightly above the last.
        let rising: Vec<u64> = (0..288).map(|i| 4 + i / 36).collect();
        assert!(feed(&mut s, 288, &rising).iter().all(|s| *s == Step::Quiet));
        assert!(s.baseline > 8.0, "{}", s.baseline);
    }
}
