//! Feed dates as they come (platform-apis.md 7.1): RFC 822/2822 in RSS
//! (`Fri, 01 May 2026 12:30:41 GMT`, numeric or named zones, two-digit
//! years, full month or weekday names, no weekday, no seconds) and RFC 3339
//! / W3C-DTF in Atom and `dc:date` (with or without seconds or fraction, or
//! a bare date). Anything else is `None`: the caller falls back to the
//! fetch time rather than failing the feed.
//!
//! Tests: `feed/tests.rs`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// Zone names RFC 2822 does not define but feeds use, as `+hhmm`. The
/// RFC's own (UT, GMT, EST…PDT, military letters) are left to chrono.
const EXTRA_ZONES: &[(&str, &str)] = &[
    ("UTC", "+0000"),
    ("WET", "+0000"),
    ("WEST", "+0100"),
    ("BST", "+0100"),
    ("CET", "+0100"),
    ("CEST", "+0200"),
    ("MET", "+0100"),
    ("MEST", "+0200"),
    ("EET", "+0200"),
    ("EEST", "+0300"),
    ("MSK", "+0300"),
    ("IST", "+0530"),
    ("SGT", "+0800"),
    ("HKT", "+0800"),
    ("AWST", "+0800"),
    ("JST", "+0900"),
    ("KST", "+0900"),
    ("ACST", "+0930"),
    ("AEST", "+1000"),
    ("AEDT", "+1100"),
    ("NZST", "+1200"),
    ("NZDT", "+1300"),
    ("BRT", "-0300"),
    ("ART", "-0300"),
    ("AKST", "-0900"),
    ("AKDT", "-0800"),
    ("HST", "-1000"),
];

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Parses any feed date; `None` when it is not one.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if s.as_bytes()[0].is_ascii_digit() && s.len() >= 10 && s.as_bytes()[4] == b'-' {
        return parse_iso(s);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    DateTime::parse_from_rfc2822(&normalize_rfc822(s)?).ok().map(|t| t.with_timezone(&Utc))
}

/// RFC 3339 and the looser ISO 8601 forms of W3C-DTF.
fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let with_zone = ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S %z"];
    if let Some(t) = with_zone.iter().find_map(|f| DateTime::<FixedOffset>::parse_from_str(s, f).ok()) {
        return Some(t.with_timezone(&Utc));
    }
    // No zone, or `Z` in a form RFC 3339 refuses (no seconds): UTC.
    let bare = s.strip_suffix('Z').unwrap_or(s);
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(bare, f).ok())
        .or_else(|| NaiveDate::parse_from_str(bare, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    Some(naive.and_utc())
}

/// Rewrites a sloppy RFC 822 date into one chrono reads: weekday dropped,
/// month cut to three letters, missing seconds added, extra zone names and
/// `+hh:mm` offsets made numeric.
fn normalize_rfc822(s: &str) -> Option<String> {
    let mut tokens: Vec<String> = s.replace(',', " ").split_whitespace().map(str::to_string).collect();
    if tokens.first().is_some_and(|t| t.chars().all(char::is_alphabetic) && !is_month(t)) {
        tokens.remove(0); // weekday, in any spelling
    }
    // "May 1 2026" (month first) → "1 May 2026".
    if tokens.len() >= 2 && is_month(&tokens[0]) && tokens[1].chars().all(|c| c.is_ascii_digit()) {
        tokens.swap(0, 1);
    }
    if tokens.len() < 4 {
        return None;
    }
    let month = tokens[1].to_ascii_lowercase();
    let m = MONTHS.iter().position(|m| month.starts_with(m))?;
    let mut month_name = MONTHS[m].to_string();
    month_name[..1].make_ascii_uppercase();
    tokens[1] = month_name;
    if tokens[3].matches(':').count() == 1 {
        tokens[3].push_str(":00");
    }
    let zone = tokens.get(4).map(|z| z.trim_start_matches('(').trim_end_matches(')').to_string());
    let zone = match zone {
        None => "+0000".to_string(), // no zone: take it as UTC
        Some(z) => {
            let upper = z.to_ascii_uppercase();
            if let Some((_, off)) = EXTRA_ZONES.iter().find(|(n, _)| *n == upper) {
                off.to_string()
            } else if (z.starts_with('+') || z.starts_with('-')) && z.len() == 6 && z.as_bytes()[3] == b':' {
                z.replace(':', "")
            } else {
                upper
            }
        }
    };
    Some(format!("{} {} {} {} {zone}", tokens[0], tokens[1], tokens[2], tokens[3]))
}

fn is_month(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    t.len() >= 3 && MONTHS.iter().any(|m| t.starts_with(m))
}
