//! What the paged JSON sources (Mastodon, Bluesky) share within one poll:
//! the running state ([`Poll`]: posts read, pages fetched, the rate-limit
//! budget and whether it ran out), how such a poll ends as a [`Batch`], and
//! how a stored cursor that no longer parses is read ([`read_cursor`]).
//!
//! Pure bookkeeping: requests and wire formats stay in each platform module.

use std::time::Duration;

use super::budget::RateBudget;
use super::{Batch, Collected, Cursor, PollContext};

/// One poll's running state.
pub(crate) struct Poll<'a> {
    pub cx: &'a PollContext,
    pub budget: RateBudget,
    pub read: Collected,
    pub pages: u32,
    /// Set when the budget ran out mid-poll: the wait until it resets.
    pub spent: Option<Duration>,
}

impl<'a> Poll<'a> {
    pub fn new(cx: &'a PollContext) -> Self {
        Poll { cx, budget: RateBudget::default(), read: Collected::default(), pages: 0, spent: None }
    }

    /// Whether the budget cannot afford another request; remembers the wait
    /// so the rest of the poll stops too.
    pub fn out_of_budget(&mut self) -> bool {
        if let Some(wait) = self.budget.exhausted() {
            self.spent = Some(wait);
        }
        self.spent.is_some()
    }

    /// The poll's batch: what was read, the next cursor, and how long the
    /// scheduler should wait when the platform's budget ran low or out.
    pub fn finish(self, next: Option<Cursor>) -> Batch {
        if let Some(wait) = self.spent {
            tracing::info!(
                source = %self.cx.source,
                wait = %humantime::format_duration(wait),
                "rate-limit budget spent; the rest is read next poll"
            );
        }
        let throttle = self.spent.or_else(|| self.budget.throttle());
        Batch { posts: self.read.into_posts(), next, pages: self.pages, throttle }
    }
}

/// The stored cursor as `parse` reads it; an unreadable one is logged and
/// read as `T::default()` (which starts from the backfill).
pub(crate) fn read_cursor<T: Default>(
    cx: &PollContext,
    cursor: Option<&Cursor>,
    parse: impl FnOnce(&Cursor) -> Option<T>,
) -> T {
    let Some(cursor) = cursor else { return T::default() };
    parse(cursor).unwrap_or_else(|| {
        tracing::warn!(source = %cx.source, "unreadable cursor; reading from the backfill start");
        T::default()
    })
}
