//! Quiet hours: weekly time intervals in a time zone (`days`, `start`,
//! `end`, `time_zone`) during which a route holds non-critical alerts
//! until the interval ends. An interval whose end is before its start runs
//! past midnight and belongs to the day it starts on; `start == end` is
//! the whole day.
//!
//! Tests: in this module (explicit instants, daylight saving included).

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use jiff::tz::TimeZone;

/// One checked interval.
#[derive(Debug, Clone)]
pub struct TimeInterval {
    /// Bit `n` set: the interval starts on weekday `n` (Monday = 0).
    days: u8,
    start: NaiveTime,
    end: NaiveTime,
    /// The zone's IANA name, as configured (for display and equality).
    zone: String,
    /// Its rules, from the time zone database compiled into the binary
    /// (jiff's bundle: about 600 zones in one byte string, where a table
    /// of Rust values per zone put a megabyte of pointers the loader
    /// relocates, and so keeps resident, into every process).
    tz: TimeZone,
}

impl PartialEq for TimeInterval {
    fn eq(&self, other: &Self) -> bool {
        (self.days, self.start, self.end, &self.zone) == (other.days, other.start, other.end, &other.zone)
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl TimeInterval {
    /// Checks one interval; `days` are `mon`..`sun` or ranges such as
    /// `mon..fri`; empty means every day.
    pub fn new(days: &[String], start: &str, end: &str, time_zone: &str) -> Result<TimeInterval, String> {
        let mut mask = 0u8;
        for d in days {
            mask |= day_mask(d)?;
        }
        Ok(TimeInterval {
            days: if mask == 0 { 0x7f } else { mask },
            start: clock(start)?,
            end: clock(end)?,
            zone: time_zone.to_string(),
            tz: TimeZone::get(time_zone)
                .map_err(|_| format!("unknown time zone {time_zone:?} (e.g. Europe/Berlin)"))?,
        })
    }

    /// When the quiet time `now` falls in ends, or `None` outside it.
    pub fn end_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (today, t) = self.local(now)?;
        let on = |d: NaiveDate| self.days & (1 << d.weekday().num_days_from_monday()) != 0;
        let yesterday = today - Duration::days(1);
        let end_on = |d: NaiveDate| self.at(d, self.end);
        if self.start == self.end {
            return on(today).then(|| self.at(today + Duration::days(1), self.start));
        }
        if self.start < self.end {
            return (on(today) && t >= self.start && t < self.end).then(|| end_on(today));
        }
        if on(today) && t >= self.start {
            return Some(end_on(today + Duration::days(1)));
        }
        (on(yesterday) && t < self.end).then(|| end_on(today))
    }

    /// The local date and time at `now` (`None` past jiff's years
    /// -9999..=9999, which no clock reads).
    fn local(&self, now: DateTime<Utc>) -> Option<(NaiveDate, NaiveTime)> {
        let instant = jiff::Timestamp::new(now.timestamp(), now.timestamp_subsec_nanos() as i32).ok()?;
        let local = self.tz.to_datetime(instant);
        let date = NaiveDate::from_ymd_opt(local.year().into(), local.month() as u32, local.day() as u32)?;
        let time = NaiveTime::from_hms_nano_opt(
            local.hour() as u32,
            local.minute() as u32,
            local.second() as u32,
            local.subsec_nanosecond() as u32,
        )?;
        Some((date, time))
    }

    /// The instant of local `time` on `date`: the later one when a clock
    /// change repeats it, and as far past the change as `time` was into
    /// the hour it skips.
    fn at(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = jiff::civil::DateTime::new(
            date.year() as i16,
            date.month() as i8,
            date.day() as i8,
            time.hour() as i8,
            time.minute() as i8,
            time.second() as i8,
            time.nanosecond().min(999_999_999) as i32,
        );
        let instant = local.and_then(|local| self.tz.to_ambiguous_timestamp(local).later());
        instant
            .ok()
            .and_then(|t| DateTime::from_timestamp(t.as_second(), t.subsec_nanosecond() as u32))
            .unwrap_or_else(|| date.and_time(time).and_utc())
    }
}

/// When `now` is in any of `intervals`, the end of the quiet time,
/// following intervals that touch each other.
pub fn quiet_until(intervals: &[TimeInterval], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut until: Option<DateTime<Utc>> = None;
    let mut at = now;
    for _ in 0..16 {
        match intervals.iter().filter_map(|i| i.end_after(at)).max() {
            Some(end) if end > at => {
                until = Some(end);
                at = end;
            }
            _ => break,
        }
    }
    until
}

impl fmt::Display for TimeInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<&str> = (0..7).filter(|i| self.days & (1 << i) != 0).map(|i| DAYS[i]).collect();
        let days = if days.len() == 7 { "every day".to_string() } else { days.join(",") };
        write!(f, "{days} {}-{} {}", self.start.format("%H:%M"), self.end.format("%H:%M"), self.zone)
    }
}

fn day_index(d: &str) -> Result<u8, String> {
    DAYS.iter()
        .position(|x| x.eq_ignore_ascii_case(d.trim()))
        .map(|i| i as u8)
        .ok_or_else(|| format!("unknown day {d:?} (mon, tue, wed, thu, fri, sat, sun or a range like mon..fri)"))
}

fn day_mask(d: &str) -> Result<u8, String> {
    match d.split_once("..") {
        None => Ok(1 << day_index(d)?),
        Some((a, b)) => {
            let (a, b) = (day_index(a)?, day_index(b)?);
            let mut mask = 0u8;
            let mut i = a;
            loop {
                mask |= 1 << i;
                if i == b {
                    return Ok(mask);
                }
                i = (i + 1) % 7;
            }
        }
    }
}

fn clock(s: &str) -> Result<NaiveTime, String> {
    if s == "24:00" {
        return Ok(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("{s:?} is not a time of day HH:MM"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn night() -> TimeInterval {
        TimeInterval::new(&["mon..fri".into()], "22:00", "07:00", "Europe/Berlin").unwrap()
    }

    #[test]
    fn overnight_interval_belongs_to_its_start_day() {
        // 2026-03-02 is a Monday; Berlin is UTC+1 in winter.
        let i = night();
        assert_eq!(i.end_after(utc("2026-03-02T20:59:00Z")), None, "21:59 local");
        assert_eq!(i.end_after(utc("2026-03-02T21:00:00Z")), Some(utc("2026-03-03T06:00:00Z")));
        assert_eq!(i.end_after(utc("2026-03-03T05:59:00Z")), Some(utc("2026-03-03T06:00:00Z")));
        assert_eq!(i.end_after(utc("2026-03-03T06:00:00Z")), None);
        // Saturday 01:00 local still belongs to Friday's night; Sunday's does not.
        assert_eq!(i.end_after(utc("2026-03-07T00:00:00Z")), Some(utc("2026-03-07T06:00:00Z")));
        assert_eq!(i.end_after(utc("2026-03-08T00:00:00Z")), None);
    }

    #[test]
    fn daylight_saving_moves_the_utc_end() {
        // Berlin switches to UTC+2 on 2026-03-29: 07:00 local is 05:00 UTC.
        assert_eq!(night().end_after(utc("2026-03-30T23:00:00Z")), Some(utc("2026-03-31T05:00:00Z")));
    }

    #[test]
    fn an_end_the_clock_change_skips_or_repeats_is_the_later_instant() {
        // Berlin skips 02:00-03:00 on 2026-03-29: 02:30 is taken as 03:30 CEST.
        let spring = TimeInterval::new(&[], "01:00", "02:30", "Europe/Berlin").unwrap();
        assert_eq!(spring.end_after(utc("2026-03-29T00:15:00Z")), Some(utc("2026-03-29T01:30:00Z")));
        // And repeats 02:00-03:00 on 2026-10-25: 02:30 is the second one, in CET.
        let autumn = TimeInterval::new(&[], "01:00", "02:30", "Europe/Berlin").unwrap();
        assert_eq!(autumn.end_after(utc("2026-10-24T23:15:00Z")), Some(utc("2026-10-25T01:30:00Z")));
        // Far from a change, local time is plain: New York is UTC-5 in January.
        let ny = TimeInterval::new(&[], "09:00", "17:00", "America/New_York").unwrap();
        assert_eq!(ny.end_after(utc("2026-01-05T14:00:00Z")), Some(utc("2026-01-05T22:00:00Z")));
        assert_eq!(ny.end_after(utc("2026-01-05T13:59:00Z")), None);
        // An instant past the zone database's years is never quiet, and no panic.
        assert_eq!(ny.end_after(DateTime::<Utc>::MAX_UTC), None);
    }

    #[test]
    fn whole_days_and_adjacent_intervals_join() {
        let weekend = TimeInterval::new(&["sat".into(), "sun".into()], "00:00", "00:00", "UTC").unwrap();
        let friday_night = TimeInterval::new(&["fri".into()], "18:00", "24:00", "UTC").unwrap();
        let both = [weekend, friday_night];
        assert_eq!(quiet_until(&both, utc("2026-03-06T19:00:00Z")), Some(utc("2026-03-09T00:00:00Z")));
        assert_eq!(quiet_until(&both, utc("2026-03-09T00:00:00Z")), None);
    }

    #[test]
    fn bad_intervals_are_refused() {
        assert!(TimeInterval::new(&["monday".into()], "22:00", "07:00", "UTC").unwrap_err().contains("unknown day"));
        assert!(TimeInterval::new(&[], "25:00", "07:00", "UTC").unwrap_err().contains("HH:MM"));
        assert!(TimeInterval::new(&[], "22:00", "07:00", "Mars/Olympus").unwrap_err().contains("time zone"));
        assert_eq!(night().to_string(), "mon,tue,wed,thu,fri 22:00-07:00 Europe/Berlin");
    }
}
