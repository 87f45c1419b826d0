//! YouTube quota accounting (platform-apis.md 6.1): every request costs
//! units (search 100, everything else 1) out of a daily budget that Google
//! resets at midnight Pacific time. The source charges each request
//! *before* sending it and refuses what the day's budget cannot pay.
//!
//! Pacific time is computed here (US rules since 2007: daylight time from
//! the second Sunday of March, 02:00 local, to the first Sunday of
//! November, 02:00 local) rather than pulling in a time-zone database for
//! one zone. The day is a Pacific calendar date.
//!
//! Tests: `youtube/tests.rs`.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Units per `search.list` page.
pub const SEARCH_COST: u32 = 100;
/// Units per `commentThreads.list`, `videos.list` or `channels.list` call.
pub const LIST_COST: u32 = 1;

/// Units spent on one Pacific day; also stored in the cursor so a restart
/// does not forget what today already cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaDay {
    /// The Pacific calendar day.
    pub day: NaiveDate,
    pub used: u32,
}

/// The running budget of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub today: QuotaDay,
}

impl Quota {
    pub fn new(limit: u32, now: DateTime<Utc>) -> Quota {
        Quota { limit, today: QuotaDay { day: pacific_date(now), used: 0 } }
    }

    /// Starts a new day when the Pacific date has changed.
    pub fn roll(&mut self, now: DateTime<Utc>) {
        let day = pacific_date(now);
        if day != self.today.day {
            self.today = QuotaDay { day, used: 0 };
        }
    }

    /// Takes over what a stored cursor says today cost, if it is today and
    /// more than this process knows (a restart, a rebuilt source).
    pub fn seed(&mut self, stored: Option<QuotaDay>, now: DateTime<Utc>) {
        self.roll(now);
        if let Some(s) = stored.filter(|s| s.day == self.today.day) {
            self.today.used = self.today.used.max(s.used);
        }
    }

    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.today.used)
    }

    /// Charges `cost` units, or refuses (nothing charged) when today's
    /// budget cannot pay them.
    pub fn charge(&mut self, cost: u32, now: DateTime<Utc>) -> bool {
        self.roll(now);
        if self.remaining() < cost {
            return false;
        }
        self.today.used += cost;
        true
    }

    /// Marks today as spent (Google said `quotaExceeded`).
    pub fn exhaust(&mut self, now: DateTime<Utc>) {
        self.roll(now);
        self.today.used = self.today.used.max(self.limit);
    }
}

/// Time left until the next midnight Pacific, when Google resets quotas.
pub fn until_reset(now: DateTime<Utc>) -> Duration {
    (next_pacific_midnight(now) - now).to_std().unwrap_or(Duration::ZERO)
}

/// The Pacific calendar date at `t`.
pub fn pacific_date(t: DateTime<Utc>) -> NaiveDate {
    let offset = if is_pacific_dst(t) { 7 } else { 8 };
    (t - chrono::Duration::hours(offset)).date_naive()
}

/// The UTC instant of the first Pacific midnight after `t`. Midnight is
/// never inside a daylight-saving switch (those happen at 02:00), so its
/// offset is unambiguous.
pub fn next_pacific_midnight(t: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = pacific_date(t).succ_opt().unwrap_or(NaiveDate::MAX);
    let local_midnight = tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default();
    let standard = Utc.from_utc_datetime(&local_midnight) + chrono::Duration::hours(8);
    if is_pacific_dst(standard) {
        standard - chrono::Duration::hours(1)
    } else {
        standard
    }
}

/// Whether US Pacific daylight time is in force at `t`.
pub fn is_pacific_dst(t: DateTime<Utc>) -> bool {
    let y = t.year();
    // 02:00 PST = 10:00 UTC; 02:00 PDT = 09:00 UTC.
    let start = nth_sunday(y, 3, 2).and_then(|d| d.and_hms_opt(10, 0, 0));
    let end = nth_sunday(y, 11, 1).and_then(|d| d.and_hms_opt(9, 0, 0));
    match (start, end) {
        (Some(s), Some(e)) => {
            let n = t.naive_utc();
            s <= n && n < e
        }
        _ => false,
    }
}

fn nth_sunday(year: i32, month: u32, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n)
}
