//! Block Kit for the queue clock's alerts: an SLA breach (header, the item
//! and its post, who holds it, Acknowledge / Resolve buttons) and a
//! follow-up reminder (the resolved item, what the customer said since,
//! a Followed up button). Outside text is escaped like post text.
//!
//! Tests: at the bottom of this file.

use serde_json::{json, Value};

use super::blocks::{escape, level_word, truncate_escaped, truncate_plain, MAX_HEADER_CHARS, MAX_SECTION_CHARS};
use crate::sinks::console::sanitize;
use crate::sinks::{FollowUpAlert, ItemRef, SlaBreachAlert};

pub fn breach_payload(b: &SlaBreachAlert, interactive: bool) -> Value {
    let i = &b.item;
    let header = format!(
        "SLA breach: {} {} item #{} not {} in time",
        level_word(i.level),
        i.brand,
        i.item,
        b.breach.past_participle()
    );
    let waited = humantime::format_duration(std::time::Duration::from_secs(
        (b.deadline - b.since).num_seconds().max(0).unsigned_abs(),
    ));
    let status = format!(
        "*{}* since {} (SLA {waited}) · deadline {} · assignee {}",
        i.state,
        b.since.format("%Y-%m-%d %H:%M UTC"),
        b.deadline.format("%H:%M UTC"),
        i.assignee.as_deref().map_or("nobody".to_string(), |a| escape(&sanitize(a)))
    );
    let mut buttons = vec![json!({"type": "button", "action_id": "resolve", "value": i.item.to_string(),
                                  "text": {"type": "plain_text", "text": "Resolve"}})];
    if i.state == crate::queue::QueueState::Open {
        buttons.insert(
            0,
            json!({"type": "button", "action_id": "ack", "style": "primary", "value": i.item.to_string(),
                   "text": {"type": "plain_text", "text": "Acknowledge"}}),
        );
    }
    item_message(&header, i, &status, interactive.then_some(buttons))
}

pub fn follow_up_payload(f: &FollowUpAlert, interactive: bool) -> Value {
    let i = &f.item;
    let header = format!("Follow up: {} item #{} was resolved {}", i.brand, i.item, f.resolved_at.format("%Y-%m-%d"));
    let said = match f.outcome {
        Some(o) => format!("the customer posted again since: *{}*", o.words()),
        None => "no post from the customer since".to_string(),
    };
    let status = format!(
        "Is @{} happy again? {said} · assignee {}",
        escape(&sanitize(&i.author)),
        i.assignee.as_deref().map_or("nobody".to_string(), |a| escape(&sanitize(a)))
    );
    let buttons = vec![json!({"type": "button", "action_id": "follow_up", "style": "primary",
                              "value": i.item.to_string(), "text": {"type": "plain_text", "text": "Followed up"}})];
    item_message(&header, i, &status, interactive.then_some(buttons))
}

/// Header, the quoted post, a status context line and the buttons (none
/// when the receiver has no Slack interactivity).
fn item_message(header: &str, i: &ItemRef, status: &str, buttons: Option<Vec<Value>>) -> Value {
    let quote = sanitize(&i.excerpt)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("&gt; {}", escape(l)))
        .collect::<Vec<_>>()
        .join("\n");
    let section = format!(
        "*@{}* on {} · {}\n{}",
        escape(&sanitize(&i.author)),
        i.platform.display_name(),
        escape(&i.url),
        if quote.is_empty() { "&gt; _(no text)_".to_string() } else { quote }
    );
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate_plain(header, MAX_HEADER_CHARS)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate_escaped(&section, MAX_SECTION_CHARS)}}),
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate_escaped(status, 1000)}]}),
    ];
    if let Some(buttons) = buttons {
        blocks.push(json!({"type": "actions", "block_id": format!("queue:{}", i.item), "elements": buttons}));
    }
    json!({
        "text": truncate_escaped(&escape(header), 300),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{BrandName, MentionId, Platform, QueueItemId, Urgency};
    use crate::queue::follow_up::Outcome;
    use crate::queue::sla::SlaKind;
    use crate::queue::QueueState;

    pub(crate) fn item() -> ItemRef {
        ItemRef {
            item: QueueItemId(12),
            mention_id: MentionId(40),
            brand: BrandName::new("Acme Air"),
            level: Urgency::Critical,
            state: QueueState::Open,
            assignee: None,
            platform: Platform::Hackernews,
            author: "<!channel>".into(),
            url: "https://news.ycombinator.com/item?id=1".into(),
            excerpt: "lost my bag <@U1> & more".into(),
        }
    }

    #[test]
    fn a_breach_names_the_item_the_deadline_and_escapes_the_post() {
        let since = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let b = SlaBreachAlert {
            item: item(),
            breach: SlaKind::Ack,
            since,
            deadline: since + chrono::Duration::minutes(15),
        };
        let p = breach_payload(&b, true);
        assert_eq!(
            breach_payload(&b, false)["blocks"].as_array().unwrap().len(),
            3,
            "no buttons without interactivity"
        );
        assert_eq!(p["blocks"][0]["text"]["text"], "SLA breach: Critical Acme Air item #12 not acknowledged in time");
        let body = p.to_string();
        assert!(body.contains("(SLA 15m)") && body.contains("assignee nobody"), "{body}");
        assert!(!body.contains("<!channel>") && !body.contains("<@U1>"), "{body}");
        let actions: Vec<_> =
            p["blocks"][3]["elements"].as_array().unwrap().iter().map(|b| b["action_id"].clone()).collect();
        assert_eq!(actions, ["ack", "resolve"]);
    }

    #[test]
    fn a_follow_up_says_what_the_customer_said_since() {
        let f = FollowUpAlert {
            item: ItemRef { state: QueueState::Resolved, ..item() },
            resolved_at: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
            outcome: Some(Outcome::Recovered),
        };
        let p = follow_up_payload(&f, true);
        assert_eq!(p["blocks"][0]["text"]["text"], "Follow up: Acme Air item #12 was resolved 2026-05-01");
        assert!(p["blocks"][2]["elements"][0]["text"].as_str().unwrap().contains("*recovered*"));
        assert_eq!(p["blocks"][3]["elements"][0]["action_id"], "follow_up");
    }
}
