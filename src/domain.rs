//! The vocabulary every other module speaks: posts, mentions, scores,
//! urgency levels, platforms and id newtypes.
//!
//! Pure data: no I/O, no async, no knowledge of any wire format or SQL.
//! A *post* is a raw platform item made platform-neutral; a *mention* is a
//! post × brand with the watch terms that hit and its score.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The platforms earshot hears. `Ingest` is a post pushed over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Mastodon,
    Bluesky,
    Reddit,
    Hackernews,
    X,
    Youtube,
    Feed,
    Ingest,
}

impl Platform {
    /// The stable lowercase name used in config, the database and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Mastodon => "mastodon",
            Platform::Bluesky => "bluesky",
            Platform::Reddit => "reddit",
            Platform::Hackernews => "hackernews",
            Platform::X => "x",
            Platform::Youtube => "youtube",
            Platform::Feed => "feed",
            Platform::Ingest => "ingest",
        }
    }

    /// A name a person reads in an alert ("Hacker News", "X").
    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Mastodon => "Mastodon",
            Platform::Bluesky => "Bluesky",
            Platform::Reddit => "Reddit",
            Platform::Hackernews => "Hacker News",
            Platform::X => "X",
            Platform::Youtube => "YouTube",
            Platform::Feed => "Feed",
            Platform::Ingest => "Ingest",
        }
    }

    /// Parses the stable name written by [`Platform::as_str`].
    pub fn parse(s: &str) -> Option<Platform> {
        [
            Platform::Mastodon,
            Platform::Bluesky,
            Platform::Reddit,
            Platform::Hackernews,
            Platform::X,
            Platform::Youtube,
            Platform::Feed,
            Platform::Ingest,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! name_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_newtype!(
    /// The id a platform gives a post (HN `objectID`, a Mastodon status id, ...).
    ExternalId
);
name_newtype!(
    /// A brand's configured name, e.g. "Acme Air".
    BrandName
);
name_newtype!(
    /// A configured source's unique name (`[[sources]] name`).
    SourceName
);
name_newtype!(
    /// A configured receiver's unique name (`[[receivers]] name`).
    ReceiverName
);

/// Database id of a stored mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MentionId(pub i64);

/// Database id of a rapid-response queue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueueItemId(pub i64);

impl fmt::Display for MentionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for QueueItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who wrote a post, and how far their voice carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    /// Platform handle, without a leading `@`.
    pub handle: String,
    pub display_name: Option<String>,
    /// Followers / subscribers, where the platform gives it.
    pub followers: Option<u64>,
}

/// Engagement counts at the time the post was read; `None` where the
/// platform does not give the count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub likes: Option<u64>,
    pub reposts: Option<u64>,
    pub replies: Option<u64>,
}

impl Engagement {
    /// Likes + reposts + replies, counting missing figures as zero.
    pub fn total(&self) -> u64 {
        self.likes.unwrap_or(0) + self.reposts.unwrap_or(0) + self.replies.unwrap_or(0)
    }
}

/// A platform item made platform-neutral. `text` is plain text: HTML and
/// entities are already stripped by the source that read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub platform: Platform,
    pub external_id: ExternalId,
    /// Permalink a responder opens.
    pub url: String,
    pub author: Author,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// ISO 639-1 / BCP 47 tag where the platform gives one.
    pub lang: Option<String>,
    pub engagement: Engagement,
}

/// Sentiment label derived from `compound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Negative,
    Neutral,
    Positive,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Negative => "negative",
            Label::Neutral => "neutral",
            Label::Positive => "positive",
        }
    }

    pub fn parse(s: &str) -> Option<Label> {
        match s {
            "negative" => Some(Label::Negative),
            "neutral" => Some(Label::Neutral),
            "positive" => Some(Label::Positive),
            _ => None,
        }
    }
}

/// How quickly a service team should look at a mention. Ordered: `Low` <
/// `Normal` < `High` < `Critical`, so routes can say "at least high".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Low,
    Normal,
    High,
    Critical,
}

impl Urgency {
    /// Every level, most urgent first.
    pub const ALL: [Urgency; 4] = [Urgency::Critical, Urgency::High, Urgency::Normal, Urgency::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
            Urgency::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        match s {
            "low" => Some(Urgency::Low),
            "normal" => Some(Urgency::Normal),
            "high" => Some(Urgency::High),
            "critical" => Some(Urgency::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the scorer concluded about a text, with the reasons a responder
/// reads. Field names and ranges are the fixed `earshot score --json` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Final sentiment in [-1, 1], customer-service cues included.
    pub compound: f64,
    pub label: Label,
    /// Urgency in [0, 1].
    pub urgency: f64,
    pub level: Urgency,
    pub topics: Vec<String>,
    pub reasons: Vec<String>,
}

/// A post × brand: the post, which brand it concerns, which of the brand's
/// watch terms hit, and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub brand: BrandName,
    /// The watch terms that matched, as configured.
    pub terms: Vec<String>,
    pub score: Score,
}
