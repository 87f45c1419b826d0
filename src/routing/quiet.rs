//! Quiet hours: weekly time intervals in a time zone (`days`, `start`,
//! `end`, `time_zone`) during which a route holds non-critical alerts
//! until the interval ends. An interval whose end is before its start runs
//! past midnight and belongs to the day it starts on; `start == end` is
//! the whole day.
//!
//! Tests: in this module (explicit instants, daylight saving included).

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// One checked interval.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeInterval {
    /// Bit `n` set: the interval starts on weekday `n` (Monday = 0).
    days: u8,
    start: NaiveTime,
    end: NaiveTime,
    tz: Tz,
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
            tz: time_zone.parse::<Tz>().map_err(|_| format!("unknown time zone {time_zone:?} (e.g. Europe/Berlin)"))?,
        })
    }

    /// When the quiet time `now` falls in ends, or `None` outside it.
    pub fn end_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.tz);
        let (today, t) = (local.date_naive(), local.time());
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

    /// The instant of local `time` on `date` (the later one when a clock
    /// change skips or repeats it).
    fn at(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let naive = date.and_time(time);
        match self.tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(_, later) => later.with_timezone(&Utc),
            chrono::LocalResult::None => {
                let shifted = naive + Duration::hours(1);
                self.tz
                    .from_local_datetime(&shifted)
                    .latest()
                    .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
            }
        }
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
        write!(f, "{days} {}-{} {}", self.start.format("%H:%M"), self.end.format("%H:%M"), self.tz)
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
