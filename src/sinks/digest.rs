//! Digests: what a grouping route sends instead of one message per alert.
//! A digest says how many alerts its group collected since the last one,
//! how many per urgency, and shows the most urgent few.
//!
//! Tests: in this module; rendering in `console.rs` and `slack/digest.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Notification;
use crate::domain::Urgency;

/// Examples a digest carries at most.
pub const MAX_EXAMPLES: usize = 5;
/// Characters of post text an example keeps.
const EXCERPT_CHARS: usize = 280;

/// One digest for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    /// The group, e.g. `routes[0]{brand="Acme"}`.
    pub group: String,
    pub count: u64,
    /// Alerts per urgency, most urgent first; levels with none left out.
    pub by_level: Vec<(Urgency, u64)>,
    /// The most urgent alerts, at most [`MAX_EXAMPLES`].
    pub examples: Vec<DigestExample>,
    /// When the first and the last alert of the digest were raised.
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// One alert shown in a digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestExample {
    pub level: Urgency,
    /// The brand, or what a system alert is about.
    pub subject: String,
    /// Who wrote it and where, for a mention.
    pub author: Option<String>,
    pub platform: Option<String>,
    /// The start of the post, or the alert's own summary.
    pub excerpt: String,
    pub url: Option<String>,
}

impl Digest {
    /// Folds `alerts` (each with when it was raised) into one digest.
    /// `None` for no alerts.
    pub fn fold(group: &str, alerts: &[(Notification, DateTime<Utc>)]) -> Option<Digest> {
        let first_at = alerts.iter().map(|(_, t)| *t).min()?;
        let last_at = alerts.iter().map(|(_, t)| *t).max()?;
        let mut ranked: Vec<&(Notification, DateTime<Utc>)> = alerts.iter().collect();
        ranked
            .sort_by(|(a, ta), (b, tb)| b.level().cmp(&a.level()).then(score(b).total_cmp(&score(a))).then(ta.cmp(tb)));
        let by_level = [Urgency::Critical, Urgency::High, Urgency::Normal, Urgency::Low]
            .into_iter()
            .map(|l| (l, alerts.iter().filter(|(n, _)| n.level() == l).count() as u64))
            .filter(|(_, n)| *n > 0)
            .collect();
        Some(Digest {
            group: group.to_string(),
            count: alerts.len() as u64,
            by_level,
            examples: ranked.iter().take(MAX_EXAMPLES).map(|(n, _)| example(n)).collect(),
            first_at,
            last_at,
        })
    }

    /// The highest urgency in the digest.
    pub fn level(&self) -> Urgency {
        self.by_level.first().map_or(Urgency::Low, |(l, _)| *l)
    }
}

fn score(n: &Notification) -> f64 {
    match n {
        Notification::Mention(m) => m.mention.score.urgency,
        _ => 0.0,
    }
}

fn example(n: &Notification) -> DigestExample {
    match n {
        Notification::Mention(m) => DigestExample {
            level: n.level(),
            subject: m.mention.brand.to_string(),
            author: Some(m.post.author.handle.clone()),
            platform: Some(m.post.platform.display_name().to_string()),
            excerpt: m.post.text.chars().take(EXCERPT_CHARS).collect(),
            url: Some(m.post.url.clone()),
        },
        other => DigestExample {
            level: other.level(),
            subject: other.subject().to_string(),
            author: None,
            platform: None,
            excerpt: crate::sinks::console::render(other).chars().take(EXCERPT_CHARS).collect(),
            url: None,
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{
        Author, BrandName, Engagement, ExternalId, Label, Mention, MentionId, Platform, Post, Score, SourceName,
    };
    use crate::sinks::MentionAlert;

    /// A mention alert for tests, with `text` as the post.
    pub(crate) fn alert(i: i64, level: Urgency, urgency: f64, text: &str) -> Notification {
        Notification::Mention(MentionAlert {
            mention_id: MentionId(i),
            queue_item: None,
            source: SourceName::new("x"),
            post: Post {
                platform: Platform::X,
                external_id: ExternalId::new(i.to_string()),
                url: format!("https://x.com/u/status/{i}"),
                author: Author { handle: format!("user{i}"), display_name: None, followers: Some(10) },
                text: text.into(),
                created_at: Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap(),
                lang: None,
                engagement: Engagement::default(),
            },
            mention: Mention {
                brand: BrandName::new("Acme"),
                terms: vec!["acme".into()],
                score: Score {
                    compound: -0.8,
                    label: Label::Negative,
                    urgency,
                    level,
                    topics: vec![],
                    reasons: vec![],
                },
            },
            history: None,
        })
    }

    #[test]
    fn a_digest_counts_and_keeps_the_most_urgent_examples() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
        let mut alerts: Vec<(Notification, DateTime<Utc>)> = (0..20)
            .map(|i| (alert(i, Urgency::High, 0.5 + i as f64 / 100.0, "late again"), t0 + chrono::Duration::seconds(i)))
            .collect();
        alerts.push((alert(99, Urgency::Critical, 0.9, "lawyer"), t0 + chrono::Duration::seconds(30)));
        let d = Digest::fold("routes[0]{}", &alerts).unwrap();
        assert_eq!(d.count, 21);
        assert_eq!(d.by_level, [(Urgency::Critical, 1), (Urgency::High, 20)]);
        assert_eq!(d.examples.len(), MAX_EXAMPLES);
        assert_eq!(d.examples[0].excerpt, "lawyer");
        assert_eq!(d.examples[1].author.as_deref(), Some("user19"), "then by score");
        assert_eq!((d.first_at, d.last_at), (t0, t0 + chrono::Duration::seconds(30)));
        assert_eq!(d.level(), Urgency::Critical);
        assert!(Digest::fold("g", &[]).is_none());
    }
}
