//! A platform's rate-limit budget, as its headers describe it, tracked
//! across the requests of one poll: [`RateBudget::throttle`] becomes
//! `Batch.throttle` (the scheduler waits for the window to reset when
//! little is left: [`http::throttle`] decides what "little" is), and
//! [`RateBudget::exhausted`] stops a poll from sending a request that is
//! sure to be answered 429. Every header family
//! [`RateLimit::from_headers`] knows is read (Mastodon and Reddit
//! `X-RateLimit-*`, X `x-rate-limit-*`, Bluesky `RateLimit-*`).
//!
//! Tests: at the bottom of this file (fixed instants, no sleeping).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::http::{self, RateLimit};

/// The last rate-limit state a platform reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct RateBudget {
    last: Option<Observed>,
}

#[derive(Debug, Clone, Copy)]
struct Observed {
    remaining: u64,
    reset_after: Duration,
    /// [`http::throttle`] of the response.
    throttle: Option<Duration>,
    at: Instant,
}

impl RateBudget {
    /// Records the state a response reported (responses without rate-limit
    /// headers, e.g. cached ones, change nothing).
    pub fn observe(&mut self, headers: &HeaderMap, now: DateTime<Utc>) {
        self.observe_at(headers, now, Instant::now());
    }

    fn observe_at(&mut self, headers: &HeaderMap, now: DateTime<Utc>, at: Instant) {
        if let Some(rl) = RateLimit::from_headers(headers, now) {
            let throttle = http::throttle(headers, now);
            self.last = Some(Observed { remaining: rl.remaining, reset_after: rl.reset_after, throttle, at });
        }
    }

    /// Requests left, as last reported.
    pub fn remaining(&self) -> Option<u64> {
        self.last.map(|o| o.remaining)
    }

    /// How long the next poll should wait (until the window resets) when
    /// the budget is low; `None` when there is budget or nothing was
    /// reported.
    pub fn throttle(&self) -> Option<Duration> {
        self.throttle_at(Instant::now())
    }

    fn throttle_at(&self, now: Instant) -> Option<Duration> {
        let o = self.last?;
        let wait = o.throttle?.saturating_sub(now.saturating_duration_since(o.at));
        (!wait.is_zero()).then_some(wait)
    }

    /// `Some(wait)` when nothing is left and the window has not reset: the
    /// next request would only be answered 429.
    pub fn exhausted(&self) -> Option<Duration> {
        self.exhausted_at(Instant::now())
    }

    fn exhausted_at(&self, now: Instant) -> Option<Duration> {
        let o = self.last.filter(|o| o.remaining == 0)?;
        let wait = o.reset_after.saturating_sub(now.saturating_duration_since(o.at));
        (!wait.is_zero()).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 30, 0).unwrap()
    }

    fn budget(pairs: &[(&'static str, &str)], at: Instant) -> RateBudget {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        let mut b = RateBudget::default();
        b.observe_at(&h, now(), at);
        b
    }

    #[test]
    fn mastodon_low_budget_waits_for_the_iso_reset() {
        let t = Instant::now();
        let reset = [("x-ratelimit-limit", "300"), ("x-ratelimit-reset", "2026-05-01T12:35:00.000000Z")];
        let plenty = budget(&[reset[0], reset[1], ("x-ratelimit-remaining", "30")], t);
        assert_eq!(plenty.throttle_at(t), None, "exactly 10 % left is still fine");
        let low = budget(&[reset[0], reset[1], ("x-ratelimit-remaining", "29")], t);
        assert_eq!(low.throttle_at(t), Some(Duration::from_secs(300)));
        assert_eq!(low.throttle_at(t + Duration::from_secs(100)), Some(Duration::from_secs(200)));
        assert_eq!(low.throttle_at(t + Duration::from_secs(400)), None, "window already reset");
        assert_eq!(low.exhausted_at(t), None);
    }

    #[test]
    fn reddit_float_remaining_and_used_give_the_window() {
        let t = Instant::now();
        let fixture =
            budget(&[("x-ratelimit-used", "4"), ("x-ratelimit-remaining", "996.0"), ("x-ratelimit-reset", "11")], t);
        assert_eq!((fixture.remaining(), fixture.throttle_at(t)), (Some(996), None));
        let low =
            budget(&[("x-ratelimit-used", "950"), ("x-ratelimit-remaining", "50.0"), ("x-ratelimit-reset", "42")], t);
        assert_eq!(low.throttle_at(t), Some(Duration::from_secs(42)));
        let spent =
            budget(&[("x-ratelimit-used", "1000"), ("x-ratelimit-remaining", "0.0"), ("x-ratelimit-reset", "7")], t);
        assert_eq!(spent.exhausted_at(t), Some(Duration::from_secs(7)));
        assert_eq!(spent.exhausted_at(t + Duration::from_secs(8)), None);
    }

    #[test]
    fn bluesky_epoch_reset_and_few_left_without_a_limit() {
        let t = Instant::now();
        let epoch = (now().timestamp() + 60).to_string();
        let b = budget(&[("ratelimit-limit", "3000"), ("ratelimit-remaining", "299"), ("ratelimit-reset", &epoch)], t);
        assert_eq!(b.throttle_at(t), Some(Duration::from_secs(60)));
        let b = budget(&[("ratelimit-remaining", "2"), ("ratelimit-reset", &epoch)], t);
        assert_eq!(b.throttle_at(t), Some(Duration::from_secs(60)), "fewer than 3 left, limit unknown");
        let b = budget(&[("ratelimit-remaining", "5"), ("ratelimit-reset", &epoch)], t);
        assert_eq!(b.throttle_at(t), None);
    }

    #[test]
    fn nothing_reported_means_no_opinion() {
        let t = Instant::now();
        let b = budget(&[("content-type", "application/json")], t);
        assert_eq!((b.throttle_at(t), b.exhausted_at(t), b.remaining()), (None, None, None));
    }
}
