//! Silences: matchers that mute alerts for a while, created from the API
//! or the CLI and kept in the store. A silenced alert's outbox row is
//! written as `silenced` (visible and counted), never sent.

use chrono::{DateTime, Utc};

use super::labels::Labels;
use super::matcher::Matcher;

/// Database id of a silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SilenceId(pub i64);

/// One silence: alerts matching every matcher between `starts_at` and
/// `ends_at` are muted.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: SilenceId,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

/// What a new silence asks for, as the API and the CLI take it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceRequest {
    /// `label op value` each; at least one.
    pub matchers: Vec<String>,
    /// Default: now.
    pub starts_at: Option<DateTime<Utc>>,
    /// Give `ends_at` or `duration` (`2h`, `30m`).
    pub ends_at: Option<DateTime<Utc>>,
    pub duration: Option<String>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub created_by: String,
}

/// A checked request: the matchers parsed, the times resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSilence {
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl SilenceRequest {
    /// Checks the request at `now`; the error names the field.
    pub fn check(&self, now: DateTime<Utc>) -> Result<CheckedSilence, String> {
        if self.matchers.is_empty() {
            return Err("matchers: at least one matcher, e.g. \"brand = Acme\"".into());
        }
        let matchers = self
            .matchers
            .iter()
            .enumerate()
            .map(|(i, m)| Matcher::parse(m).map_err(|e| format!("matchers[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let starts_at = self.starts_at.unwrap_or(now);
        let ends_at = match (&self.ends_at, &self.duration) {
            (Some(end), None) => *end,
            (None, Some(d)) => {
                let d = humantime::parse_duration(d).map_err(|e| format!("duration: {e}"))?;
                starts_at + chrono::Duration::from_std(d).map_err(|_| "duration: too long".to_string())?
            }
            _ => return Err("give either ends_at or duration".into()),
        };
        if ends_at <= starts_at || ends_at <= now {
            return Err("ends_at: must be after starts_at and in the future".into());
        }
        Ok(CheckedSilence { matchers, starts_at, ends_at })
    }
}

impl Silence {
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether the silence mutes `labels` at `now`. A silence with no
    /// matchers mutes nothing (refused at creation anyway).
    pub fn mutes(&self, labels: &Labels, now: DateTime<Utc>) -> bool {
        self.active_at(now) && !self.matchers.is_empty() && self.matchers.iter().all(|m| m.matches(labels))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap()
    }

    fn req(matchers: &[&str], duration: Option<&str>) -> SilenceRequest {
        SilenceRequest {
            matchers: matchers.iter().map(|m| m.to_string()).collect(),
            duration: duration.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn requests_are_checked_with_the_field_named() {
        let ok = req(&["brand = Acme"], Some("2h")).check(now()).unwrap();
        assert_eq!((ok.starts_at, ok.ends_at), (now(), now() + chrono::Duration::hours(2)));
        assert!(req(&[], Some("2h")).check(now()).unwrap_err().starts_with("matchers:"));
        assert!(req(&["brand = Acme", "colour = red"], Some("2h"))
            .check(now())
            .unwrap_err()
            .starts_with("matchers[1]:"));
        assert!(req(&["brand = Acme"], Some("soon")).check(now()).unwrap_err().starts_with("duration:"));
        assert!(req(&["brand = Acme"], None).check(now()).unwrap_err().contains("ends_at or duration"));
        let past = SilenceRequest { ends_at: Some(now() - chrono::Duration::hours(1)), ..req(&["brand = Acme"], None) };
        assert!(past.check(now()).unwrap_err().starts_with("ends_at:"));
    }
}
