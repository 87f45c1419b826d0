//! Matchers: one condition on one label, written `label op value` with
//! the operators `=`, `!=`, `=~`, `!~` (regular expressions, anchored at
//! both ends) and `>=` (urgency only: "at least"). Routes and silences are
//! lists of matchers that must all hold.
//!
//! `topic` has several values per mention: `=` and `=~` hold when any
//! topic matches, `!=` and `!~` when none does. A missing label is the
//! empty string, so `language != en` holds for a post of unknown language.
//!
//! Tests: in this module.

use std::fmt;

use regex::Regex;

use super::labels::{LabelName, Labels};
use crate::domain::Urgency;

/// One checked condition on a label.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub label: LabelName,
    pub op: Op,
}

#[derive(Debug, Clone)]
pub enum Op {
    Eq(String),
    NotEq(String),
    /// The pattern as written and its anchored compilation.
    Re(String, Regex),
    NotRe(String, Regex),
    AtLeast(Urgency),
    /// Any of these values (a route's `brands = [...]`).
    OneOf(Vec<String>),
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Matcher {
    /// Parses `label op value`; the value may be quoted with `"`.
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let text = text.trim();
        let name_end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
        let (name, rest) = text.split_at(name_end);
        if name.is_empty() {
            return Err(format!("{text:?} is not `label op value` (e.g. `brand = Acme`)"));
        }
        let label =
            LabelName::parse(name).ok_or_else(|| format!("unknown label {name:?} (known: {})", LabelName::list()))?;
        let rest = rest.trim_start();
        let (op, value) = ["=~", "!~", "!=", ">=", "="]
            .iter()
            .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v)))
            .ok_or_else(|| format!("{text:?} has no operator (one of = != =~ !~ >=)"))?;
        let value = unquote(value.trim());
        Matcher::new(label, op, value)
    }

    /// A matcher from its parts; `op` is one of `=`, `!=`, `=~`, `!~`, `>=`.
    pub fn new(label: LabelName, op: &str, value: &str) -> Result<Matcher, String> {
        let level = || {
            Urgency::parse(value).ok_or_else(|| format!("{value:?} is not an urgency (low, normal, high, critical)"))
        };
        let op = match op {
            "=" if label == LabelName::Urgency => Op::Eq(level()?.as_str().into()),
            "!=" if label == LabelName::Urgency => Op::NotEq(level()?.as_str().into()),
            "=" => Op::Eq(value.into()),
            "!=" => Op::NotEq(value.into()),
            "=~" => Op::Re(value.into(), anchored(value)?),
            "!~" => Op::NotRe(value.into(), anchored(value)?),
            ">=" if label == LabelName::Urgency => Op::AtLeast(level()?),
            ">=" => return Err(format!("`>=` compares urgency only, not {label}")),
            other => return Err(format!("unknown operator {other:?}")),
        };
        Ok(Matcher { label, op })
    }

    /// `urgency >= level`, the old `min_urgency`.
    pub fn at_least(level: Urgency) -> Matcher {
        Matcher { label: LabelName::Urgency, op: Op::AtLeast(level) }
    }

    /// `label` is one of `values`, the old `brands = [...]`.
    pub fn one_of(label: LabelName, values: Vec<String>) -> Matcher {
        Matcher { label, op: Op::OneOf(values) }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        let values = labels.values(self.label);
        match &self.op {
            Op::Eq(v) => values.any(|x| x == v),
            Op::NotEq(v) => !values.any(|x| x == v),
            Op::Re(_, re) => values.any(|x| re.is_match(x)),
            Op::NotRe(_, re) => !values.any(|x| re.is_match(x)),
            Op::AtLeast(level) => labels.urgency >= *level,
            Op::OneOf(vs) => values.any(|x| vs.iter().any(|v| v == x)),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.label;
        match &self.op {
            Op::Eq(v) => write!(f, "{label} = {}", quote(v)),
            Op::NotEq(v) => write!(f, "{label} != {}", quote(v)),
            Op::Re(v, _) => write!(f, "{label} =~ {}", quote(v)),
            Op::NotRe(v, _) => write!(f, "{label} !~ {}", quote(v)),
            Op::AtLeast(level) => write!(f, "{label} >= {level}"),
            Op::OneOf(vs) => {
                let vs: Vec<String> = vs.iter().map(|v| quote(v)).collect();
                write!(f, "{label} in [{}]", vs.join(", "))
            }
        }
    }
}

fn anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| format!("bad regular expression {pattern:?}: {e}"))
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v)
}

/// Quotes a value when it would not read back as written.
fn quote(v: &str) -> String {
    if v.is_empty() || v.contains(|c: char| c.is_whitespace() || c == '"') {
        format!("{v:?}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels::system("mention", Urgency::High).brand("Acme Air").platform("x").topic("billing").topic("delay")
    }

    fn m(s: &str) -> bool {
        Matcher::parse(s).unwrap().matches(&labels())
    }

    #[test]
    fn operators() {
        assert!(m("brand = Acme Air") && m(r#"brand = "Acme Air""#) && !m("brand = Acme"));
        assert!(m("brand != Globex") && !m("brand != Acme Air"));
        assert!(m("platform =~ x|reddit") && !m("platform =~ red") && m("brand =~ Acme.*"));
        assert!(m("platform !~ reddit|mastodon") && !m("platform !~ x"));
        assert!(m("urgency >= high") && m("urgency >= normal") && !m("urgency >= critical"));
        assert!(m("urgency = high") && !m("urgency = low"));
        assert!(m("language = \"\"") && m("language != en"), "a missing label is empty");
    }

    #[test]
    fn regexes_are_anchored() {
        assert!(!m("brand =~ Acme"), "a substring is not a match");
        assert!(!m("platform =~ xx|y"));
    }

    #[test]
    fn topic_matches_any_and_negations_need_none() {
        assert!(m("topic = billing") && m("topic = delay") && !m("topic = refund"));
        assert!(!m("topic != billing"), "one of the topics is billing");
        assert!(m("topic != refund"));
        assert!(!m("topic !~ bill.*") && m("topic !~ ref.*"));
    }

    #[test]
    fn bad_matchers_are_refused_with_a_reason() {
        let err = |s: &str| Matcher::parse(s).unwrap_err();
        assert!(err("colour = red").contains("unknown label \"colour\""), "{}", err("colour = red"));
        assert!(err("brand Acme").contains("no operator"));
        assert!(err("brand >= Acme").contains("urgency only"));
        assert!(err("urgency >= severe").contains("not an urgency"));
        assert!(err("brand =~ (unclosed").contains("bad regular expression"));
        assert!(err("= x").contains("label op value"));
    }

    #[test]
    fn display_reads_back() {
        for s in ["brand = \"Acme Air\"", "platform =~ x|reddit", "topic != billing", "urgency >= high"] {
            let parsed = Matcher::parse(s).unwrap();
            assert_eq!(parsed.to_string(), s);
            assert_eq!(Matcher::parse(&parsed.to_string()).unwrap(), parsed);
        }
    }
}
