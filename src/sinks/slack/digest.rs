//! Block Kit for digests: a header with the count and the top urgency, a
//! section with the counts per urgency and the group, then one section per
//! example (author linked, the post quoted, escaped) and a "... and N
//! more" context. At most 2 + 2 × `MAX_EXAMPLES` + 1 blocks, well within
//! Slack's 50; every text cut to Slack's limits.

use serde_json::{json, Value};

use super::blocks::{
    escape, handle, level_word, truncate_escaped, truncate_plain, web_url, MAX_CONTEXT_CHARS, MAX_FALLBACK_CHARS,
    MAX_HEADER_CHARS, MAX_SECTION_CHARS,
};
use crate::sinks::console::sanitize;
use crate::sinks::{Digest, DigestExample};

pub fn payload(d: &Digest) -> Value {
    let header = format!("{}: {} alerts grouped", level_word(d.level()), d.count);
    let levels: Vec<String> = d.by_level.iter().map(|(l, n)| format!("{n} {l}")).collect();
    let summary = format!(
        "*{}* alerts ({}) in group `{}`\nfrom {} to {}",
        d.count,
        levels.join(", "),
        escape(&d.group).replace('`', "'"),
        d.first_at.format("%Y-%m-%d %H:%M:%S UTC"),
        d.last_at.format("%Y-%m-%d %H:%M:%S UTC"),
    );
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate_plain(&header, MAX_HEADER_CHARS)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate_escaped(&summary, MAX_SECTION_CHARS)}}),
    ];
    for e in &d.examples {
        blocks.push(json!({"type": "divider"}));
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": example(e)}}));
    }
    let more = d.count.saturating_sub(d.examples.len() as u64);
    if more > 0 {
        let text = format!("… and {more} more in this group");
        blocks.push(json!({"type": "context", "elements": [
            {"type": "mrkdwn", "text": truncate_escaped(&text, MAX_CONTEXT_CHARS)}
        ]}));
    }
    let fallback = format!("[{}] {} alerts grouped: {}", d.level(), d.count, escape(&d.group));
    json!({
        "text": truncate_escaped(&fallback, MAX_FALLBACK_CHARS),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// `*[High] Acme* · <url|@handle> on X`, then the excerpt quoted.
fn example(e: &DigestExample) -> String {
    let mut first = format!("*[{}] {}*", level_word(e.level), escape(&sanitize(&e.subject)));
    if let Some(author) = &e.author {
        let h = escape(&handle(author));
        match e.url.as_deref().and_then(web_url) {
            Some(url) => first.push_str(&format!(" · <{}|@{h}>", escape(&url).replace('|', "%7C"))),
            None => first.push_str(&format!(" · @{h}")),
        }
    }
    if let Some(p) = &e.platform {
        first.push_str(&format!(" on {}", escape(p)));
    }
    let quoted: Vec<String> = sanitize(&e.excerpt)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(4)
        .map(|l| format!(">{}", escape(l)))
        .collect();
    truncate_escaped(&format!("{first}\n{}", quoted.join("\n")), MAX_SECTION_CHARS)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::Urgency;
    use crate::sinks::digest::tests::alert;

    #[test]
    fn digests_stay_within_slack_limits_and_escape_hostile_text() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
        let hostile = format!("<!channel> <@U123> &amp; {}", "x".repeat(5000));
        let alerts: Vec<_> = (0..300).map(|i| (alert(i, Urgency::High, 0.6, &hostile), t0)).collect();
        let d = Digest::fold("routes[0]{brand=\"<!here>\"}", &alerts).unwrap();
        let body = payload(&d);
        let text = body.to_string();
        assert!(!text.contains("<!channel>") && !text.contains("<@U123>") && !text.contains("<!here>"), "{text}");
        assert!(text.contains("&lt;!channel&gt;"));
        let blocks = body["blocks"].as_array().unwrap();
        assert!(blocks.len() <= super::super::blocks::MAX_BLOCKS);
        assert_eq!(blocks.len(), 2 + 2 * crate::sinks::digest::MAX_EXAMPLES + 1);
        assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= MAX_HEADER_CHARS);
        for b in blocks.iter().filter(|b| b["type"] == "section") {
            assert!(b["text"]["text"].as_str().unwrap().chars().count() <= MAX_SECTION_CHARS);
        }
        assert!(body["text"].as_str().unwrap().chars().count() <= MAX_FALLBACK_CHARS);
        assert!(text.contains("and 295 more"), "{text}");
    }
}
