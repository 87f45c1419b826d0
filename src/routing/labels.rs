//! The labels every alert carries, which routes, silences and grouping
//! match on: `kind` (`mention`, `source_health`, `spike`, `sla_breach`,
//! `follow_up`), `brand`, `urgency`, `platform`, `topic` (several per
//! mention), `source` and `language`. A label an alert lacks reads as the
//! empty string, as in Alertmanager.
//!
//! Tests: in this module and `routing/tests.rs`.

use std::fmt;

use crate::domain::{Mention, Post, SourceName, Urgency};

/// The label names a matcher or `group_by` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LabelName {
    Kind,
    Brand,
    Urgency,
    Platform,
    Topic,
    Source,
    Language,
}

impl LabelName {
    pub const ALL: [LabelName; 7] = [
        LabelName::Kind,
        LabelName::Brand,
        LabelName::Urgency,
        LabelName::Platform,
        LabelName::Topic,
        LabelName::Source,
        LabelName::Language,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LabelName::Kind => "kind",
            LabelName::Brand => "brand",
            LabelName::Urgency => "urgency",
            LabelName::Platform => "platform",
            LabelName::Topic => "topic",
            LabelName::Source => "source",
            LabelName::Language => "language",
        }
    }

    pub fn parse(s: &str) -> Option<LabelName> {
        LabelName::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The label names, comma separated, for error messages.
    pub fn list() -> String {
        LabelName::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for LabelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An alert's labels. Build one with [`Labels::for_mention`] or
/// [`Labels::system`] and the builder methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub kind: String,
    pub brand: String,
    pub urgency: Urgency,
    pub platform: String,
    pub topics: Vec<String>,
    pub source: String,
    pub language: String,
}

impl Labels {
    /// The kind of a mention alert.
    pub const MENTION: &'static str = "mention";
    /// The kind of a source silent / recovered alert.
    pub const SOURCE_HEALTH: &'static str = "source_health";

    /// A mention of a brand in a post read by `source`.
    pub fn for_mention(source: &SourceName, post: &Post, mention: &Mention) -> Labels {
        Labels {
            kind: Labels::MENTION.into(),
            brand: mention.brand.to_string(),
            urgency: mention.score.level,
            platform: post.platform.as_str().into(),
            topics: mention.score.topics.clone(),
            source: source.to_string(),
            language: post.lang.clone().unwrap_or_default(),
        }
    }

    /// An alert that is not one mention (`source_health`, `spike`,
    /// `sla_breach`, `follow_up`) at `level`; add what it is about with
    /// the builder methods, e.g. `Labels::system("spike", level).brand(b)`.
    pub fn system(kind: &str, level: Urgency) -> Labels {
        Labels {
            kind: kind.into(),
            brand: String::new(),
            urgency: level,
            platform: String::new(),
            topics: Vec::new(),
            source: String::new(),
            language: String::new(),
        }
    }

    pub fn brand(mut self, brand: impl fmt::Display) -> Labels {
        self.brand = brand.to_string();
        self
    }

    pub fn source(mut self, source: impl fmt::Display) -> Labels {
        self.source = source.to_string();
        self
    }

    pub fn platform(mut self, platform: impl fmt::Display) -> Labels {
        self.platform = platform.to_string();
        self
    }

    pub fn topic(mut self, topic: impl fmt::Display) -> Labels {
        self.topics.push(topic.to_string());
        self
    }

    pub fn language(mut self, language: impl fmt::Display) -> Labels {
        self.language = language.to_string();
        self
    }

    pub fn urgency(mut self, level: Urgency) -> Labels {
        self.urgency = level;
        self
    }

    /// The values of `name`: one for most labels, any number of topics (no
    /// topic reads as one empty value).
    pub fn values(&self, name: LabelName) -> Values<'_> {
        match name {
            LabelName::Kind => Values::One(&self.kind),
            LabelName::Brand => Values::One(&self.brand),
            LabelName::Urgency => Values::One(self.urgency.as_str()),
            LabelName::Platform => Values::One(&self.platform),
            LabelName::Source => Values::One(&self.source),
            LabelName::Language => Values::One(&self.language),
            LabelName::Topic if self.topics.is_empty() => Values::One(""),
            LabelName::Topic => Values::Many(&self.topics),
        }
    }

    /// One value of `name` for a group key: topics sorted and joined by
    /// `,`.
    pub fn joined(&self, name: LabelName) -> String {
        match self.values(name) {
            Values::One(v) => v.to_string(),
            Values::Many(vs) => {
                let mut vs: Vec<&str> = vs.iter().map(String::as_str).collect();
                vs.sort_unstable();
                vs.dedup();
                vs.join(",")
            }
        }
    }
}

impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for name in LabelName::ALL {
            let v = self.joined(name);
            if v.is_empty() {
                continue;
            }
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{name}={v:?}")?;
        }
        Ok(())
    }
}

/// The values of one label.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> Values<'a> {
    /// Whether any value satisfies `f`.
    pub fn any(self, mut f: impl FnMut(&str) -> bool) -> bool {
        match self {
            Values::One(v) => f(v),
            Values::Many(vs) => vs.iter().any(|v| f(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_labels_have_no_brand_until_given_one() {
        let l = Labels::system("spike", Urgency::High);
        assert_eq!((l.kind.as_str(), l.brand.as_str()), ("spike", ""));
        let l = l.brand("Acme Air").source("hn").platform("hackernews");
        assert_eq!(
            l.to_string(),
            r#"kind="spike", brand="Acme Air", urgency="high", platform="hackernews", source="hn""#
        );
    }

    #[test]
    fn topics_are_many_values_and_join_sorted() {
        let l = Labels::system("mention", Urgency::Low).topic("refund").topic("billing");
        assert!(l.values(LabelName::Topic).any(|t| t == "billing"));
        assert_eq!(l.joined(LabelName::Topic), "billing,refund");
        let none = Labels::system("mention", Urgency::Low);
        assert!(none.values(LabelName::Topic).any(str::is_empty));
        assert_eq!(LabelName::parse("language"), Some(LabelName::Language));
        assert_eq!(LabelName::parse("lang"), None);
    }
}
