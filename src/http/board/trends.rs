//! `GET /board/trends?days=&bucket=`: how the conversation goes, as
//! server-drawn SVG: mention volume and negative share per brand over time
//! buckets (hourly or daily; last 7 days by default), the most frequent
//! complaint topics, and SLA figures (time to acknowledge and to resolve,
//! p50/p90, and breaches per urgency, from `Store::sla_figures`) of the
//! items whose SLA clock started in the window.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::auth::PageViewer;
use super::html::{self, span, when, Esc};
use super::svg::{self, Bar, Column};
use crate::http::AppState;
use crate::store::{SlaFigure, TopicCount, VolumeBucket};

/// The longest window, in days.
pub const MAX_DAYS: u32 = 90;
/// The longest window with hourly buckets, in days.
pub const MAX_HOURLY_DAYS: u32 = 31;
/// Topics shown.
const TOP_TOPICS: u32 = 10;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86400);

/// The time window a trends page covers, cut into buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub days: u32,
    pub bucket: Duration,
    /// Start of the first bucket.
    pub start: DateTime<Utc>,
    /// End of the last bucket (the one holding "now").
    pub end: DateTime<Utc>,
}

impl Window {
    /// Reads `days` (1..=90, default 7) and `bucket` (`hour` or `day`;
    /// default hourly up to 2 days, daily beyond); other parameters are
    /// refused.
    pub fn parse(q: &HashMap<String, String>, now: DateTime<Utc>) -> Result<Window, String> {
        let mut days = 7;
        let mut bucket = None;
        for (k, v) in q {
            match k.as_str() {
                "days" => {
                    days = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|d| (1..=MAX_DAYS).contains(d))
                        .ok_or_else(|| format!("days: a whole number from 1 to {MAX_DAYS}, not {v:?}"))?
                }
                "bucket" => {
                    bucket = Some(match v.as_str() {
                        "hour" => HOUR,
                        "day" => DAY,
                        other => return Err(format!("bucket: hour or day, not {other:?}")),
                    })
                }
                other => return Err(format!("unknown parameter {other:?}")),
            }
        }
        let bucket = bucket.unwrap_or(if days <= 2 { HOUR } else { DAY });
        if bucket == HOUR && days > MAX_HOURLY_DAYS {
            return Err(format!("bucket=hour: at most {MAX_HOURLY_DAYS} days"));
        }
        let width = bucket.as_millis() as i64;
        let end_ms = (now.timestamp_millis().div_euclid(width) + 1) * width;
        let end = store_time(end_ms);
        let start = store_time(end_ms - i64::from(days) * DAY.as_millis() as i64);
        Ok(Window { days, bucket, start, end })
    }

    fn buckets(&self) -> usize {
        ((self.end - self.start).num_milliseconds() / self.bucket.as_millis() as i64) as usize
    }

    fn label(&self, start: DateTime<Utc>) -> String {
        if self.bucket == HOUR {
            start.format("%d %H:00").to_string()
        } else {
            start.format("%b %d").to_string()
        }
    }

    /// One column per bucket of the window for one brand's buckets.
    fn columns(&self, buckets: &[&VolumeBucket]) -> Vec<Column> {
        let width = self.bucket.as_millis() as i64;
        let mut counts = vec![(0u64, 0u64); self.buckets()];
        for b in buckets {
            let i = (b.start - self.start).num_milliseconds().div_euclid(width);
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| counts.get_mut(i)) {
                *slot = (slot.0 + b.mentions, slot.1 + b.negative);
            }
        }
        counts
            .into_iter()
            .enumerate()
            .map(|(i, (mentions, negative))| {
                let start = self.start + chrono::Duration::milliseconds(width * i as i64);
                let share = (mentions > 0).then(|| negative as f64 / mentions as f64);
                let label = self.label(start);
                let tooltip = match share {
                    Some(s) => format!("{label}: {mentions} mentions, {:.0}% negative", s * 100.0),
                    None => format!("{label}: no mentions"),
                };
                Column { label, tooltip, value: mentions as f64, share }
            })
            .collect()
    }
}

fn store_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// `GET /board/trends`
pub async fn trends(
    PageViewer(viewer): PageViewer,
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let window = match Window::parse(&q, Utc::now()) {
        Ok(w) => w,
        Err(msg) => return html::message(StatusCode::BAD_REQUEST, "Bad request", Some(&viewer.chrome()), &msg),
    };
    let store = state.handle.context().store.clone();
    let read = tokio::try_join!(
        store.mention_volume(window.start, window.end, window.bucket),
        store.complaint_topics(window.start, TOP_TOPICS),
        store.sla_figures(window.start),
    );
    let (volume, topics, sla) = match read {
        Ok(r) => r,
        Err(e) => {
            let chrome = viewer.chrome();
            return html::message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Database unavailable",
                Some(&chrome),
                &e.to_string(),
            );
        }
    };
    let body = format!(
        "{form}<h2>Mention volume and negative share</h2>{volume}<h2>Top complaint topics</h2>{topics}\
         <h2>Response times (SLA)</h2>{sla}",
        form = window_form(&window),
        volume = volume_section(&window, &volume),
        topics = topics_section(&topics),
        sla = sla_section(&sla),
    );
    html::page(StatusCode::OK, "Trends", Some(&viewer.chrome()), &body)
}

/// The window picker: a plain GET form.
fn window_form(w: &Window) -> String {
    let option = |value: &str, label: &str, selected: bool| {
        format!(r#"<option value="{value}"{}>{label}</option>"#, if selected { " selected" } else { "" })
    };
    let days: String =
        [1, 2, 7, 14, 30, 90].iter().map(|d| option(&d.to_string(), &format!("{d} days"), w.days == *d)).collect();
    format!(
        r#"<form method="get" action="/board/trends" class="inline">Last <select name="days">{days}</select>
by <select name="bucket">{hour}{day}</select> <button type="submit">Show</button></form>
<p class="muted">From {from} to {to}.</p>"#,
        hour = option("hour", "hour", w.bucket == HOUR),
        day = option("day", "day", w.bucket == DAY),
        from = when(w.start),
        to = when(w.end),
    )
}

fn volume_section(w: &Window, volume: &[VolumeBucket]) -> String {
    let mut by_brand: BTreeMap<&str, Vec<&VolumeBucket>> = BTreeMap::new();
    for b in volume {
        by_brand.entry(b.brand.as_str()).or_default().push(b);
    }
    if by_brand.is_empty() {
        return r#"<p class="muted">No mentions in this window.</p>"#.to_string();
    }
    let total =
        |bs: &[&VolumeBucket]| bs.iter().map(|b| (b.mentions, b.negative)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let mut brands: Vec<(&str, Vec<&VolumeBucket>)> = by_brand.into_iter().collect();
    brands.sort_by_key(|(_, bs)| std::cmp::Reverse(total(bs).0));
    let mut s = String::new();
    for (brand, buckets) in brands {
        let (mentions, negative) = total(&buckets);
        let title =
            format!("{brand}: {mentions} mentions, {:.0}% negative", 100.0 * negative as f64 / mentions.max(1) as f64);
        let _ = write!(
            s,
            "<h3>{}</h3>{}",
            Esc(&title),
            svg::columns_with_share(&title, "mentions", "negative share", &w.columns(&buckets))
        );
    }
    s
}

fn topics_section(topics: &[TopicCount]) -> String {
    if topics.is_empty() {
        return r#"<p class="muted">No topics in negative mentions in this window.</p>"#.to_string();
    }
    let bars: Vec<Bar> = topics
        .iter()
        .map(|t| Bar { label: t.topic.clone(), value: t.mentions as f64, text: t.mentions.to_string() })
        .collect();
    svg::bars("Topics of negative mentions", &bars)
}

/// The SLA table (items, answered, p50/p90, breaches per urgency) and
/// charts of the percentiles; levels without items are left out.
/// A chart of the SLA section: its title and the two figures it plots.
type Chart = (&'static str, fn(&SlaFigure) -> [Option<Duration>; 2]);

fn sla_section(figures: &[SlaFigure]) -> String {
    let levels: Vec<&SlaFigure> = figures.iter().filter(|f| f.items > 0).collect();
    if levels.is_empty() {
        return r#"<p class="muted">No queue items opened in this window.</p>"#.to_string();
    }
    let mut s = String::from(
        "<table><thead><tr><th>Urgency</th><th>Items</th><th>Acknowledged</th><th>Ack p50</th><th>Ack p90</th>\
         <th>Ack breaches</th><th>Resolved</th><th>Resolve p50</th><th>Resolve p90</th><th>Resolve breaches</th>\
         </tr></thead><tbody>",
    );
    let cell = |d: Option<Duration>| d.map_or("—".to_string(), |d| span(d.as_secs() as i64));
    for f in &levels {
        let _ = write!(
            s,
            r#"<tr class="lvl-{lvl}"><td>{lvl}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            f.items,
            f.acknowledged,
            cell(f.ack_p50),
            cell(f.ack_p90),
            f.ack_breaches,
            f.resolved,
            cell(f.resolve_p50),
            cell(f.resolve_p90),
            f.resolve_breaches,
            lvl = f.level,
        );
    }
    s.push_str("</tbody></table>");
    let charts: [Chart; 2] =
        [("Time to acknowledge", |f| [f.ack_p50, f.ack_p90]), ("Time to resolve", |f| [f.resolve_p50, f.resolve_p90])];
    for (title, pick) in charts {
        let bars: Vec<Bar> = levels
            .iter()
            .flat_map(|f| {
                ["p50", "p90"].into_iter().zip(pick(f)).filter_map(move |(name, d)| {
                    d.map(|d| Bar {
                        label: format!("{} {name}", f.level),
                        value: d.as_secs_f64(),
                        text: span(d.as_secs() as i64),
                    })
                })
            })
            .collect();
        if !bars.is_empty() {
            let _ = write!(s, "<h3>{title}</h3>{}", svg::bars(title, &bars));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 10, 13, 20, 0).unwrap()
    }

    #[test]
    fn windows_default_to_seven_days_by_day() {
        let w = Window::parse(&q(&[]), now()).unwrap();
        assert_eq!((w.days, w.bucket, w.buckets()), (7, DAY, 7));
        assert_eq!(w.end, Utc.with_ymd_and_hms(2026, 5, 11, 0, 0, 0).unwrap());
        assert_eq!(w.start, Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap());
        let short = Window::parse(&q(&[("days", "1")]), now()).unwrap();
        assert_eq!((short.bucket, short.buckets()), (HOUR, 24));
        assert_eq!(short.end, Utc.with_ymd_and_hms(2026, 5, 10, 14, 0, 0).unwrap());
        let hourly = Window::parse(&q(&[("days", "7"), ("bucket", "hour")]), now()).unwrap();
        assert_eq!(hourly.buckets(), 168);
    }

    #[test]
    fn bad_windows_are_refused_with_the_reason() {
        for (pairs, expect) in [
            (vec![("days", "0")], "days: a whole number from 1 to 90"),
            (vec![("days", "91")], "days: a whole number from 1 to 90"),
            (vec![("days", "x")], "days: a whole number"),
            (vec![("bucket", "week")], "bucket: hour or day"),
            (vec![("days", "60"), ("bucket", "hour")], "bucket=hour: at most 31 days"),
            (vec![("since", "1")], "unknown parameter"),
        ] {
            let err = Window::parse(&q(&pairs), now()).unwrap_err();
            assert!(err.contains(expect), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn buckets_become_one_column_each_with_gaps_as_zero() {
        let w = Window::parse(&q(&[("days", "7")]), now()).unwrap();
        let b = VolumeBucket {
            brand: "Acme".into(),
            start: Utc.with_ymd_and_hms(2026, 5, 9, 0, 0, 0).unwrap(),
            mentions: 4,
            negative: 1,
        };
        let cols = w.columns(&[&b]);
        assert_eq!(cols.len(), 7);
        assert_eq!((cols[5].value, cols[5].share), (4.0, Some(0.25)));
        assert_eq!(cols[5].tooltip, "May 09: 4 mentions, 25% negative");
        assert_eq!((cols[0].value, cols[0].share), (0.0, None));
    }

    #[test]
    fn sla_figures_become_a_table_and_percentile_charts() {
        use crate::domain::Urgency;
        let mins = |m: u64| Some(Duration::from_secs(m * 60));
        let figure = |level, items| SlaFigure {
            level,
            items,
            acknowledged: items,
            resolved: 1,
            ack_p50: mins(5),
            ack_p90: mins(20),
            resolve_p50: mins(65),
            resolve_p90: None,
            ack_breaches: 1,
            resolve_breaches: 0,
        };
        let html = sla_section(&[figure(Urgency::Critical, 2), figure(Urgency::High, 0)]);
        assert!(html.contains("<td>critical</td><td>2</td><td>2</td><td>5m</td><td>20m</td><td>1</td>"), "{html}");
        assert!(!html.contains("<td>high</td>"), "levels without items are left out");
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("critical p90") && html.contains("1h 05m"));
        assert!(sla_section(&[figure(Urgency::Low, 0)]).contains("No queue items"));
    }
}
