//! Block Kit for spike alerts: a header naming the brand (and topic), a
//! section with the count against normal and since when, then one section
//! per example (up to five, escaped and cut like any post text). A resolved
//! spike is a short header and summary. Within Slack's limits whatever the
//! brand, topic or examples say.

use serde_json::{json, Value};

use super::blocks::{escape, truncate_escaped, truncate_plain, MAX_BLOCKS, MAX_HEADER_CHARS, MAX_SECTION_CHARS};
use crate::sinks::console::sanitize;
use crate::sinks::{SpikeAlert, SpikeExample};

/// Characters of an example's text quoted in its section.
const EXAMPLE_CHARS: usize = 500;
/// Sections for examples, at most (the alert itself takes two blocks).
const MAX_EXAMPLES: usize = 5;

pub fn payload(s: &SpikeAlert) -> Value {
    let what = s.what();
    let minutes = (s.interval_secs / 60).max(1);
    let header =
        if s.resolved { format!("Spike over: {what}") } else { format!("Spike: {what}, {:.1}x normal", s.ratio) };
    let since = s.since.format("%Y-%m-%d %H:%M UTC");
    let summary = if s.resolved {
        let ended = s.ended.map_or_else(String::new, |t| format!(" until {}", t.format("%Y-%m-%d %H:%M UTC")));
        format!(
            "*{}*: negative mentions back to normal ({} in the last {minutes} min, normally {:.1}); spike ran from {since}{ended}",
            escape(&what),
            s.count,
            s.baseline
        )
    } else {
        format!(
            "*{}*: {} negative mentions in {minutes} min, normally {:.1} ({:.1}x), since {since}",
            escape(&what),
            s.count,
            s.baseline,
            s.ratio
        )
    };
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate_plain(&header, MAX_HEADER_CHARS)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate_escaped(&summary, MAX_SECTION_CHARS)}}),
    ];
    if !s.resolved {
        blocks.extend(s.examples.iter().take(MAX_EXAMPLES).map(example));
    }
    debug_assert!(blocks.len() <= MAX_BLOCKS);
    json!({
        "text": truncate_escaped(&escape(&header), 300),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// `*@author* · high (0.91) · <url|open>` then the text quoted.
fn example(e: &SpikeExample) -> Value {
    let author = truncate_plain(sanitize(&e.author).trim(), 80);
    let mut first = format!("*@{}* · {} ({:.2}) · {}", escape(&author), e.level, e.urgency, e.platform.display_name());
    let linkable = (e.url.starts_with("https://") || e.url.starts_with("http://"))
        && e.url.chars().count() <= 1000
        && !e.url.chars().any(|c| c.is_whitespace() || c.is_control());
    if linkable {
        first.push_str(&format!(" · <{}|open>", escape(&e.url).replace('|', "%7C")));
    }
    let text = truncate_plain(&sanitize(&e.text).replace('\n', " "), EXAMPLE_CHARS);
    let body = format!("{first}\n&gt; {}", escape(&text));
    json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate_escaped(&body, MAX_SECTION_CHARS)}})
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{BrandName, MentionId, Platform, Urgency};

    fn sample() -> SpikeAlert {
        SpikeAlert {
            brand: BrandName::new("Acme Air"),
            topic: Some("refunds".into()),
            resolved: false,
            count: 42,
            baseline: 3.5,
            ratio: 12.0,
            interval_secs: 300,
            since: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
            ended: None,
            examples: (0..7)
                .map(|i| SpikeExample {
                    mention_id: MentionId(i),
                    platform: Platform::Hackernews,
                    url: format!("https://news.ycombinator.com/item?id={i}"),
                    author: format!("user{i}"),
                    text: "Acme Air <!channel> refund & still waiting".into(),
                    level: Urgency::High,
                    urgency: 0.9,
                })
                .collect(),
        }
    }

    #[test]
    fn a_spike_says_what_how_much_and_since_when_with_five_examples() {
        let p = payload(&sample());
        let b = p["blocks"].as_array().unwrap();
        assert_eq!(b[0]["text"]["text"], "Spike: Acme Air / refunds, 12.0x normal");
        assert_eq!(
            b[1]["text"]["text"],
            "*Acme Air / refunds*: 42 negative mentions in 5 min, normally 3.5 (12.0x), since 2026-05-01 12:00 UTC"
        );
        assert_eq!(b.len(), 2 + 5);
        let ex = b[2]["text"]["text"].as_str().unwrap();
        assert!(ex.starts_with("*@user0* · high (0.90) · Hacker News · <https://news.ycombinator.com/item?id=0|open>"));
        assert!(ex.contains("&gt; Acme Air &lt;!channel&gt; refund &amp; still waiting"), "{ex}");
        assert!(!p.to_string().contains("<!channel>"));
    }

    #[test]
    fn resolved_spike_is_short() {
        let mut s = sample();
        s.resolved = true;
        s.count = 2;
        s.ended = Some(Utc.with_ymd_and_hms(2026, 5, 1, 12, 30, 0).unwrap());
        let p = payload(&s);
        let b = p["blocks"].as_array().unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0]["text"]["text"], "Spike over: Acme Air / refunds");
        assert!(b[1]["text"]["text"].as_str().unwrap().contains("until 2026-05-01 12:30 UTC"));
    }

    #[test]
    fn hostile_huge_spike_fits_slack_limits() {
        let mut s = sample();
        s.brand = BrandName::new("<!here>".repeat(100));
        s.topic = Some("&".repeat(5000));
        for e in &mut s.examples {
            e.text = "😡 <@U1> &".repeat(10_000);
            e.author = "<!channel>".repeat(100);
            e.url = format!("https://x/{}", "a|<".repeat(2000));
        }
        let p = payload(&s);
        let b = p["blocks"].as_array().unwrap();
        assert!(b.len() <= MAX_BLOCKS);
        assert!(b[0]["text"]["text"].as_str().unwrap().chars().count() <= MAX_HEADER_CHARS);
        for block in &b[1..] {
            assert!(block["text"]["text"].as_str().unwrap().chars().count() <= MAX_SECTION_CHARS);
        }
        // mrkdwn (everything but the plain_text header) is escaped.
        let mrkdwn = format!("{}{}", p["text"], serde_json::Value::from(b[1..].to_vec()));
        assert!(!mrkdwn.contains("<!here") && !mrkdwn.contains("<@U1") && !mrkdwn.contains("<!channel"), "{mrkdwn}");
    }
}
