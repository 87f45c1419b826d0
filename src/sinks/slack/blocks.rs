//! The Slack message for one notification (platform-apis.md 8.3-8.5): a
//! `text` fallback plus Block Kit blocks (header, section with author and
//! quoted post, context with the score and its reasons, and Acknowledge /
//! Resolve / Open post buttons when a queue item exists and Slack
//! interactivity is configured: without a signing secret nobody receives
//! the clicks, so no buttons are offered).
//!
//! Every piece of outside text that lands in mrkdwn (or the `text`
//! fallback) goes through [`escape`], so a post saying `<!channel>` or
//! `<@U123>` reaches Slack as `&lt;!channel&gt;` and pings nobody. Lengths
//! are cut to Slack's limits with [`truncate_escaped`], which never splits a
//! character or an escape. Pure: no I/O.
//!
//! Tests: at the bottom of this file.

use serde_json::{json, Value};

use crate::domain::Urgency;
use crate::sinks::console::{human_count, sanitize};
use crate::sinks::{MentionAlert, Notification};

/// Blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// `section.text` length.
pub const MAX_SECTION_CHARS: usize = 3000;
/// `header.text` length (plain_text).
pub const MAX_HEADER_CHARS: usize = 150;
/// Each context element; Slack allows 3000, alerts stay short.
pub const MAX_CONTEXT_CHARS: usize = 1000;
/// The notification fallback `text`.
pub const MAX_FALLBACK_CHARS: usize = 300;
/// An author handle, before escaping.
const MAX_HANDLE_CHARS: usize = 80;
/// A permalink longer than this is not linked (button `url` allows 3000).
const MAX_URL_CHARS: usize = 1000;

/// Slack's mrkdwn escaping: `&` → `&amp;`, then `<` → `&lt;`, then `>` →
/// `&gt;`. Nothing else is touched (other entities show literally).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Cuts already-escaped text to at most `max` chars, `…` included, on a
/// char boundary and never inside an `&…;` escape.
pub fn truncate_escaped(s: &str, max: usize) -> String {
    cut(s, max, true)
}

/// Cuts plain text to at most `max` chars, `…` included, on a char boundary.
pub fn truncate_plain(s: &str, max: usize) -> String {
    cut(s, max, false)
}

fn cut(s: &str, max: usize, escaped: bool) -> String {
    let Some((end, _)) = s.char_indices().nth(max) else {
        return s.to_string(); // fits
    };
    if max == 0 {
        return String::new();
    }
    // Keep max - 1 chars and add '…'.
    let mut head = &s[..s[..end].char_indices().last().map_or(0, |(i, _)| i)];
    if escaped {
        // Every '&' in escaped text starts an entity; one without its ';'
        // was cut and goes too.
        if let Some(amp) = head.rfind('&').filter(|&a| !head[a..].contains(';')) {
            head = &head[..amp];
        }
    }
    format!("{head}…")
}

/// The webhook body for any notification; `interactive`: buttons allowed.
pub fn payload(n: &Notification, interactive: bool) -> Value {
    match n {
        Notification::Mention(m) => mention_payload(m, interactive),
        Notification::SourceHealth(h) => super::health::payload(h),
        Notification::Digest(d) => super::digest::payload(d),
        Notification::Spike(s) => super::spike::payload(s),
        Notification::SlaBreach(b) => super::queue::breach_payload(b, interactive),
        Notification::FollowUp(f) => super::queue::follow_up_payload(f, interactive),
    }
}

/// The webhook body for a mention alert.
pub fn mention_payload(n: &MentionAlert, interactive: bool) -> Value {
    let post = &n.post;
    let m = &n.mention;
    let level = level_word(m.score.level);
    let platform = post.platform.display_name();
    let handle = handle(&post.author.handle);

    let mut blocks = vec![
        json!({"type": "header", "text": {
            "type": "plain_text",
            "text": truncate_plain(&format!("{level}: {} on {platform}", m.brand), MAX_HEADER_CHARS),
        }}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": section_text(n, &handle)}}),
        json!({"type": "context", "elements": context(n)}),
    ];
    if let Some(item) = n.queue_item.filter(|_| interactive) {
        let mut buttons = vec![
            json!({"type": "button", "action_id": "ack", "style": "primary", "value": item.to_string(),
                   "text": {"type": "plain_text", "text": "Acknowledge"}}),
            json!({"type": "button", "action_id": "resolve", "value": item.to_string(),
                   "text": {"type": "plain_text", "text": "Resolve"}}),
        ];
        if let Some(url) = web_url(&post.url) {
            buttons.push(json!({"type": "button", "action_id": "open", "url": url,
                                "text": {"type": "plain_text", "text": "Open post"}}));
        }
        blocks.push(json!({"type": "actions", "block_id": format!("mention:{}", n.mention_id), "elements": buttons}));
    }
    debug_assert!(blocks.len() <= MAX_BLOCKS);

    let first_line = sanitize(&post.text).lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
    let fallback = format!(
        "[{}] {}: @{} on {platform}: {}",
        m.score.level,
        escape(m.brand.as_str()),
        escape(&handle),
        escape(&first_line)
    );
    json!({
        "text": truncate_escaped(&fallback, MAX_FALLBACK_CHARS),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// `*<url|@handle>* (20.4k followers) · 57 likes · 12 replies`, then the
/// post quoted line by line, all within [`MAX_SECTION_CHARS`].
fn section_text(n: &MentionAlert, handle: &str) -> String {
    let post = &n.post;
    let who = match web_url(&post.url) {
        Some(url) => format!("*<{}|@{}>*", escape(&url).replace('|', "%7C"), escape(handle)),
        None => format!("*@{}*", escape(handle)),
    };
    let mut first = who;
    if let Some(f) = post.author.followers {
        first.push_str(&format!(" ({} followers)", human_count(f)));
    }
    if let Some(l) = post.engagement.likes {
        first.push_str(&format!(" · {} likes", human_count(l)));
    }
    if let Some(r) = post.engagement.replies {
        first.push_str(&format!(" · {} replies", human_count(r)));
    }
    let quote: Vec<String> = sanitize(&post.text)
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(|l| format!("&gt; {}", escape(l)))
        .collect();
    let quote = if quote.is_empty() { "&gt; _(no text)_".to_string() } else { quote.join("\n") };
    let budget = MAX_SECTION_CHARS.saturating_sub(first.chars().count() + 1);
    truncate_escaped(&format!("{first}\n{}", truncate_escaped(&quote, budget)), MAX_SECTION_CHARS)
}

fn context(n: &MentionAlert) -> Vec<Value> {
    let s = &n.mention.score;
    let mut lines = vec![format!(
        "*{}* · urgency {:.2} · sentiment {:+.2} ({})",
        level_word(s.level),
        s.urgency,
        s.compound,
        s.label.as_str()
    )];
    let list = |label: &str, items: &[String], sep: &str| {
        (!items.is_empty()).then(|| format!("{label}: {}", escape(&sanitize(&items.join(sep)))))
    };
    lines.extend(list("terms", &n.mention.terms, ", "));
    lines.extend(list("topics", &s.topics, ", "));
    lines.extend(list("why", &s.reasons, "; "));
    if let Some(h) = &n.history {
        lines.push(format!("customer: {}", h.line(s.label)));
    }
    lines.push(format!(
        "{} · source {} · {}",
        n.post.platform.display_name(),
        escape(n.source.as_str()),
        n.post.created_at.format("%Y-%m-%d %H:%M UTC")
    ));
    lines.into_iter().map(|t| json!({"type": "mrkdwn", "text": truncate_escaped(&t, MAX_CONTEXT_CHARS)})).collect()
}

/// The handle as shown: control characters out, cut, `unknown` if empty.
pub(super) fn handle(raw: &str) -> String {
    let h = truncate_plain(sanitize(raw).trim().trim_start_matches('@'), MAX_HANDLE_CHARS);
    if h.is_empty() {
        "unknown".into()
    } else {
        h
    }
}

/// The permalink if it is a plain http(s) URL of sane length; hostile or
/// odd URLs are not linked.
pub(super) fn web_url(url: &str) -> Option<String> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.chars().count() <= MAX_URL_CHARS
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| url.to_string())
}

pub(crate) fn level_word(u: Urgency) -> &'static str {
    match u {
        Urgency::Critical => "Critical",
        Urgency::High => "High",
        Urgency::Normal => "Normal",
        Urgency::Low => "Low",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::*;

    pub(crate) fn sample(text: &str) -> MentionAlert {
        MentionAlert {
            mention_id: MentionId(8812),
            queue_item: Some(QueueItemId(77)),
            source: SourceName::new("hn"),
            post: Post {
                platform: Platform::Hackernews,
                external_id: ExternalId::new("43500023"),
                url: "https://news.ycombinator.com/item?id=43500023&x=1".into(),
                author: Author { handle: "mallory".into(), display_name: None, followers: Some(20_400) },
                text: text.into(),
                created_at: Utc.timestamp_opt(1777638669, 0).unwrap(),
                lang: None,
                engagement: Engagement { likes: Some(1840), reposts: None, replies: Some(12) },
            },
            mention: Mention {
                brand: BrandName::new("Acme Air"),
                terms: vec!["acme air".into()],
                score: Score {
                    compound: -0.91,
                    label: Label::Negative,
                    urgency: 0.87,
                    level: Urgency::High,
                    topics: vec!["delay".into()],
                    reasons: vec!["complaint stated as fact: \"3 hours <on hold>\"".into()],
                },
            },
            history: None,
        }
    }

    fn texts(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
            Value::Object(o) => o.values().for_each(|x| texts(x, out)),
            _ => {}
        }
    }

    #[test]
    fn escape_is_exactly_three_characters_amp_first() {
        assert_eq!(escape("a & b < c > d"), "a &amp; b &lt; c &gt; d");
        assert_eq!(escape("<!channel> <!here> <@U123ABC>"), "&lt;!channel&gt; &lt;!here&gt; &lt;@U123ABC&gt;");
        // A post that literally says "&lt;" must show "&lt;", not "<".
        assert_eq!(escape("&lt;!channel&gt;"), "&amp;lt;!channel&amp;gt;");
        assert_eq!(escape("We&#39;ve *bold* _it_ ~s~ `c`"), "We&amp;#39;ve *bold* _it_ ~s~ `c`");
    }

    #[test]
    fn truncation_respects_chars_and_escapes() {
        assert_eq!(truncate_plain("short", 5), "short");
        assert_eq!(truncate_plain("東京は晴れ", 3), "東京…");
        assert_eq!(truncate_plain("abc", 0), "");
        // "a&amp;b": a cut after "a&am" backs up to before the '&'.
        assert_eq!(truncate_escaped("a&amp;b", 4), "a…");
        assert_eq!(truncate_escaped("a&amp;bc", 7), "a&amp;…");
        assert_eq!(truncate_escaped("&gt; x", 3), "…");
        for max in 0..40 {
            let s = escape("✈️ <!channel> & 😡 Zürich >");
            let t = truncate_escaped(&s, max);
            assert!(t.chars().count() <= max, "{max}: {t}");
            let body = t.trim_end_matches('…');
            for (i, _) in body.match_indices('&') {
                assert!(["&amp;", "&lt;", "&gt;"].iter().any(|e| body[i..].starts_with(e)), "{max}: {t}");
            }
        }
    }

    #[test]
    fn payload_has_header_section_context_and_buttons() {
        let p = mention_payload(&sample("3 hours on hold with Acme Air\nand still no answer"), true);
        assert_eq!(p["text"], "[high] Acme Air: @mallory on Hacker News: 3 hours on hold with Acme Air");
        assert_eq!((p["unfurl_links"].as_bool(), p["unfurl_media"].as_bool()), (Some(false), Some(false)));
        let b = p["blocks"].as_array().unwrap();
        assert_eq!(b.len(), 4);
        assert_eq!(b[0]["text"], json!({"type": "plain_text", "text": "High: Acme Air on Hacker News"}));
        assert_eq!(
            b[1]["text"]["text"],
            "*<https://news.ycombinator.com/item?id=43500023&amp;x=1|@mallory>* (20.4k followers) · 1.8k likes · 12 replies\n\
             &gt; 3 hours on hold with Acme Air\n&gt; and still no answer"
        );
        let ctx: Vec<&str> = b[2]["elements"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
        assert_eq!(ctx[0], "*High* · urgency 0.87 · sentiment -0.91 (negative)");
        assert_eq!(
            ctx[1..4],
            ["terms: acme air", "topics: delay", "why: complaint stated as fact: \"3 hours &lt;on hold&gt;\""]
        );
        assert_eq!(ctx[4], "Hacker News · source hn · 2026-05-01 12:31 UTC");
        assert_eq!(b[3]["block_id"], "mention:8812");
        let buttons = b[3]["elements"].as_array().unwrap();
        assert_eq!(
            (buttons[0]["action_id"].as_str(), buttons[0]["style"].as_str(), buttons[0]["value"].as_str()),
            (Some("ack"), Some("primary"), Some("77"))
        );
        assert_eq!((buttons[1]["action_id"].as_str(), buttons[1]["value"].as_str()), (Some("resolve"), Some("77")));
        assert_eq!(buttons[2]["url"], "https://news.ycombinator.com/item?id=43500023&x=1");
    }

    #[test]
    fn no_buttons_without_slack_interactivity() {
        let p = mention_payload(&sample("hi"), false);
        let b = p["blocks"].as_array().unwrap();
        assert_eq!(b.len(), 3);
        assert!(b.iter().all(|b| b["type"] != "actions"), "{p}");
    }

    #[test]
    fn the_customer_history_is_one_context_line() {
        let mut n = sample("still waiting");
        n.history = Some(crate::queue::customer::CustomerHistory {
            previous_mentions: 2,
            negative: 2,
            complaints_this_week: 2,
            open_items: 1,
            last: Some(Label::Negative),
            ..Default::default()
        });
        let p = mention_payload(&n, true);
        let ctx: Vec<&str> =
            p["blocks"][2]["elements"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
        assert!(
            ctx.contains(
                &"customer: 3rd complaint this week · 2 earlier mentions (2 negative) · 1 open item · last: negative"
            ),
            "{ctx:?}"
        );
    }

    #[test]
    fn no_actions_without_a_queue_item_and_odd_urls_are_not_linked() {
        let mut n = sample("hi");
        n.queue_item = None;
        n.post.url = "javascript:alert(1)|<!channel>".into();
        n.post.author = Author::default();
        let p = mention_payload(&n, true);
        let b = p["blocks"].as_array().unwrap();
        assert_eq!(b.len(), 3);
        assert!(b[1]["text"]["text"].as_str().unwrap().starts_with("*@unknown* · 1.8k likes"));
    }

    #[test]
    fn hostile_post_never_reaches_slack_unescaped() {
        let mut n =
            sample("Hey <!channel> <!here> <!everyone> <@U123ABC> <#C1> <!subteam^S1> <https://evil|click> & \u{7}bye");
        n.post.author.handle = "<@U999|boss>".into();
        n.mention.terms = vec!["<!here>".into()];
        let p = mention_payload(&n, true);
        let mut all = Vec::new();
        texts(&p, &mut all);
        for t in &all {
            for bad in ["<!", "<@", "<#"] {
                assert!(!t.contains(bad), "{bad} in {t}");
            }
        }
        let section = p["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(section.contains("|@&lt;@U999|boss&gt;>*"), "{section}");
        assert!(section.contains("&gt; Hey &lt;!channel&gt; &lt;!here&gt;"), "{section}");
        assert!(section.contains("&lt;https://evil|click&gt; &amp;  bye"), "{section}");
    }

    #[test]
    fn limits_hold_for_huge_multibyte_posts() {
        let mut n = sample(&"✈️ <!channel> & Zürich 😡\n".repeat(20_000));
        n.mention.brand = BrandName::new("Ä".repeat(400));
        n.mention.score.reasons = vec!["<&>".repeat(2000)];
        n.post.author.handle = "ü".repeat(5000);
        let p = mention_payload(&n, true);
        let b = p["blocks"].as_array().unwrap();
        assert!(b.len() <= MAX_BLOCKS);
        let header = b[0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), MAX_HEADER_CHARS);
        let section = b[1]["text"]["text"].as_str().unwrap();
        assert!(section.chars().count() <= MAX_SECTION_CHARS && section.ends_with('…'));
        assert!(section.chars().count() > MAX_SECTION_CHARS - 10, "uses the room it has");
        for e in b[2]["elements"].as_array().unwrap() {
            assert!(e["text"].as_str().unwrap().chars().count() <= MAX_CONTEXT_CHARS);
        }
        assert!(p["text"].as_str().unwrap().chars().count() <= MAX_FALLBACK_CHARS);
    }
}
