//! The console receiver: prints each alert as a person reads it, for the
//! demo and for debugging. Writes to any `Write` so tests can capture it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{
    DeliveryId, Digest, FollowUpAlert, ItemRef, MentionAlert, Notification, Sink, SinkError, SlaBreachAlert,
    SourceHealthAlert, SpikeAlert,
};

/// Where the console receiver writes; a std mutex is enough because
/// nothing awaits while holding it.
type Out = Arc<Mutex<Box<dyn Write + Send>>>;

pub struct ConsoleSink {
    out: Out,
}

impl std::fmt::Debug for ConsoleSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConsoleSink")
    }
}

impl ConsoleSink {
    pub fn stdout() -> Self {
        Self::to_writer(Box::new(std::io::stdout()))
    }

    pub fn to_writer(w: Box<dyn Write + Send>) -> Self {
        ConsoleSink { out: Arc::new(Mutex::new(w)) }
    }
}

#[async_trait]
impl Sink for ConsoleSink {
    async fn deliver(&self, _id: DeliveryId, n: &Notification) -> Result<(), SinkError> {
        let text = render(n);
        let mut out = self
            .out
            .lock()
            .map_err(|_| SinkError::Permanent { code: "poisoned".into(), reason: "console writer poisoned".into() })?;
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| SinkError::Retryable { after: None, reason: format!("cannot write to console: {e}") })
    }
}

/// The alert as plain text: urgency and brand first, then who, where, what
/// and why. Control characters in post text are replaced so a hostile post
/// cannot drive the terminal.
pub fn render(n: &Notification) -> String {
    match n {
        Notification::Mention(m) => render_mention(m),
        Notification::SourceHealth(h) => render_health(h),
        Notification::Digest(d) => render_digest(d),
        Notification::Spike(s) => render_spike(s),
        Notification::SlaBreach(b) => render_breach(b),
        Notification::FollowUp(f) => render_follow_up(f),
    }
}

fn render_digest(d: &Digest) -> String {
    let levels: Vec<String> = d.by_level.iter().map(|(l, n)| format!("{n} {l}")).collect();
    let mut s = format!(
        "[DIGEST {}] {} alerts in {} ({}) between {} and {}\n",
        d.level().as_str().to_uppercase(),
        d.count,
        d.group,
        levels.join(", "),
        d.first_at.to_rfc3339(),
        d.last_at.to_rfc3339(),
    );
    for e in &d.examples {
        let who = e.author.as_ref().map(|a| format!(" · @{a}")).unwrap_or_default();
        let line = e.excerpt.lines().next().unwrap_or_default();
        s.push_str(&format!("  - [{}] {}{who}: {}\n", e.level, e.subject, truncate_chars(line, 200)));
        if let Some(url) = &e.url {
            s.push_str(&format!("    {url}\n"));
        }
    }
    if d.count > d.examples.len() as u64 {
        s.push_str(&format!("  … and {} more\n", d.count - d.examples.len() as u64));
    }
    s.push('\n');
    sanitize(&s)
}

fn render_spike(s: &SpikeAlert) -> String {
    let minutes = (s.interval_secs / 60).max(1);
    let since = s.since.to_rfc3339();
    let mut out = if s.resolved {
        let ended = s.ended.map_or_else(String::new, |t| format!(" until {}", t.to_rfc3339()));
        format!(
            "[SPIKE OVER] {}: {} negative mentions in {minutes} min, normally {:.1}; spike ran from {since}{ended}\n",
            s.what(),
            s.count,
            s.baseline
        )
    } else {
        format!(
            "[SPIKE] {}: {} negative mentions in {minutes} min, normally {:.1} ({:.1}x), since {since}\n",
            s.what(),
            s.count,
            s.baseline,
            s.ratio
        )
    };
    for e in s.examples.iter().filter(|_| !s.resolved) {
        out.push_str(&format!(
            "  > [{}] @{}: {}\n    {}\n",
            e.level,
            e.author,
            truncate_chars(&e.text.replace('\n', " "), 200),
            e.url
        ));
    }
    out.push('\n');
    sanitize(&out)
}

fn render_breach(b: &SlaBreachAlert) -> String {
    let i = &b.item;
    let head = format!(
        "[SLA BREACH] {} {} · queue item #{} not {} by {} (open since {}) · {} · assignee {}",
        i.level.as_str().to_uppercase(),
        i.brand,
        i.item,
        b.breach.past_participle(),
        b.deadline.to_rfc3339(),
        b.since.to_rfc3339(),
        i.state,
        i.assignee.as_deref().unwrap_or("nobody"),
    );
    render_item(&head, i)
}

fn render_follow_up(f: &FollowUpAlert) -> String {
    let i = &f.item;
    let said =
        f.outcome.map_or("no post from the customer since".to_string(), |o| format!("customer since: {}", o.words()));
    let head = format!(
        "[FOLLOW UP] {} · queue item #{} resolved {} · is @{} happy again? {said}",
        i.brand,
        i.item,
        f.resolved_at.to_rfc3339(),
        i.author,
    );
    render_item(&head, i)
}

/// The alert's first line, then the item's post quoted and its link.
fn render_item(head: &str, i: &ItemRef) -> String {
    let mut s = sanitize(head);
    s.push('\n');
    for line in sanitize(&i.excerpt).lines().take(3) {
        s.push_str("  > ");
        s.push_str(&truncate_chars(line, 200));
        s.push('\n');
    }
    s.push_str(&format!("  @{} on {} · {}\n\n", sanitize(&i.author), i.platform.display_name(), sanitize(&i.url)));
    s
}

fn render_health(h: &SourceHealthAlert) -> String {
    let what = if h.recovered { "RECOVERED" } else { "SOURCE SILENT" };
    let last_ok = h.last_success.map_or("never since start".to_string(), |t| t.to_rfc3339());
    sanitize(&format!(
        "[{what}] source {} ({}): {} consecutive failed polls since {} · last success: {last_ok}\n  last error: {}\n\n",
        h.source,
        h.platform.display_name(),
        h.consecutive_failures,
        h.failing_since.to_rfc3339(),
        h.last_error,
    ))
}

fn render_mention(n: &MentionAlert) -> String {
    let m = &n.mention;
    let p = &n.post;
    let reach = p.author.followers.map(|f| format!(" ({} followers)", human_count(f))).unwrap_or_default();
    let mut s = format!(
        "[{}] {} on {} · @{}{} · sentiment {:+.2} ({})\n",
        m.score.level.as_str().to_uppercase(),
        m.brand,
        p.platform.display_name(),
        sanitize(&p.author.handle),
        reach,
        m.score.compound,
        m.score.label.as_str(),
    );
    for line in sanitize(&p.text).lines().take(6) {
        s.push_str("  > ");
        s.push_str(&truncate_chars(line, 200));
        s.push('\n');
    }
    s.push_str(&format!("  {}\n", p.url));
    s.push_str(&format!("  terms: {}", m.terms.join(", ")));
    if !m.score.reasons.is_empty() {
        s.push_str(&format!(" · why: {}", sanitize(&m.score.reasons.join("; "))));
    }
    if let Some(q) = n.queue_item {
        s.push_str(&format!(" · queue item #{q}"));
    }
    if let Some(h) = &n.history {
        s.push_str(&format!("\n  customer: {}", h.line(m.score.label)));
    }
    s.push_str("\n\n");
    s
}

/// "1234" → "1.2k", "2500000" → "2.5M".
pub fn human_count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

/// Control characters (other than newlines) become spaces, so hostile text
/// cannot drive a terminal or hide in an alert.
pub(crate) fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && c != '\n' { ' ' } else { c }).collect()
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{BrandName, MentionId, Platform, Urgency};
    use crate::sinks::SpikeExample;

    #[test]
    fn a_spike_prints_count_normal_ratio_and_examples_without_control_characters() {
        let mut s = SpikeAlert {
            brand: BrandName::new("Acme Air"),
            topic: None,
            resolved: false,
            count: 42,
            baseline: 3.5,
            ratio: 12.0,
            interval_secs: 300,
            since: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
            ended: None,
            examples: vec![SpikeExample {
                mention_id: MentionId(1),
                platform: Platform::Hackernews,
                url: "https://news.ycombinator.com/item?id=1".into(),
                author: "dana".into(),
                text: "lost my bag\u{1b}[2J again".into(),
                level: Urgency::High,
                urgency: 0.8,
            }],
        };
        let out = render(&Notification::Spike(s.clone()));
        assert!(out.starts_with("[SPIKE] Acme Air: 42 negative mentions in 5 min, normally 3.5 (12.0x), since 2026-05-01T12:00:00+00:00\n"), "{out}");
        assert!(out.contains("  > [high] @dana: lost my bag [2J again\n"), "{out}");
        s.resolved = true;
        let out = render(&Notification::Spike(s));
        assert!(out.starts_with("[SPIKE OVER] Acme Air"), "{out}");
        assert!(!out.contains("@dana"));
    }
}
