//! Block Kit for source-health alerts: a source went silent (it has failed
//! for longer than its `silent_after`, so nothing is heard from that
//! platform), or it recovered. Every string is escaped like post text:
//! error messages can quote what a platform sent.

use serde_json::{json, Value};

use super::blocks::{escape, truncate_escaped, truncate_plain, MAX_HEADER_CHARS, MAX_SECTION_CHARS};
use crate::sinks::SourceHealthAlert;

pub fn payload(h: &SourceHealthAlert) -> Value {
    let (header, summary) = if h.recovered {
        (format!("Recovered: source {} is heard again", h.source), "polls succeed again".to_string())
    } else {
        (
            format!("Source silent: {} ({})", h.source, h.platform.display_name()),
            format!("no successful poll since {}", h.failing_since.format("%Y-%m-%d %H:%M UTC")),
        )
    };
    let last_ok =
        h.last_success.map_or("never since start".to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let text = format!(
        "*{}*: {}\n{} consecutive failed polls · last success: {}\nlast error: {}",
        escape(h.source.as_str()),
        summary,
        h.consecutive_failures,
        last_ok,
        escape(&h.last_error),
    );
    json!({
        "text": truncate_escaped(&format!("{}: {}", escape(&header), summary), 300),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": truncate_plain(&header, MAX_HEADER_CHARS)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate_escaped(&text, MAX_SECTION_CHARS)}},
        ],
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{Platform, SourceName};

    #[test]
    fn a_silent_source_names_itself_and_escapes_the_error() {
        let h = SourceHealthAlert {
            source: SourceName::new("hn"),
            platform: Platform::Hackernews,
            recovered: false,
            last_success: None,
            failing_since: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
            consecutive_failures: 7,
            last_error: "malformed response: <!channel> & co".into(),
        };
        let body = payload(&h).to_string();
        assert!(body.contains("Source silent: hn (Hacker News)"), "{body}");
        assert!(body.contains("7 consecutive failed polls"), "{body}");
        assert!(body.contains("&lt;!channel&gt; &amp; co"), "{body}");
        assert!(!body.contains("<!channel>"), "{body}");
    }
}
