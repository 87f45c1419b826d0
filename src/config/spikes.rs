//! `[spikes]`: spike detection on negative mentions per brand and per
//! brand + topic (see `routing::spike`). Defaults suit a 5-minute interval:
//! a day of warm-up, 4× the normal rate and at least 10 mentions to fire,
//! two quiet intervals to resolve. `[[spikes.overrides]]` tune one brand
//! (or one brand's topic).

use std::time::Duration;

use serde::Deserialize;

use crate::domain::BrandName;
use crate::routing::spike::Rule;

/// `[spikes]` as written and checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSettings {
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Length of one counting interval.
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    /// EWMA weight of the newest interval, in (0, 1].
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Time observed before a series may fire (rounded up to intervals).
    #[serde(default = "default_warmup", with = "humantime_serde")]
    pub warmup: Duration,
    /// Multiple of the normal rate that fires.
    #[serde(default = "default_sensitivity")]
    pub sensitivity: f64,
    /// Fewer negative mentions than this in one interval never fire.
    #[serde(default = "default_min_count")]
    pub min_count: u64,
    /// Intervals in a row back below the threshold that end a spike.
    #[serde(default = "default_resolve_after")]
    pub resolve_after: u32,
    /// Also watch each brand's topics separately.
    #[serde(default = "default_true")]
    pub per_topic: bool,
    #[serde(default)]
    pub overrides: Vec<SpikeOverride>,
}

/// `[[spikes.overrides]]`: other sensitivity or minimum for one brand, or
/// one topic of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeOverride {
    pub brand: BrandName,
    pub topic: Option<String>,
    pub sensitivity: Option<f64>,
    pub min_count: Option<u64>,
}

impl Default for SpikeSettings {
    fn default() -> Self {
        SpikeSettings {
            enabled: true,
            interval: default_interval(),
            alpha: default_alpha(),
            warmup: default_warmup(),
            sensitivity: default_sensitivity(),
            min_count: default_min_count(),
            resolve_after: default_resolve_after(),
            per_topic: true,
            overrides: Vec::new(),
        }
    }
}

impl SpikeSettings {
    /// The rule for `brand` (and `topic`): the most specific override
    /// (brand + topic, then brand) over the defaults.
    pub fn rule(&self, brand: &BrandName, topic: Option<&str>) -> Rule {
        let interval = self.interval.as_secs_f64().max(1.0);
        let mut rule = Rule {
            alpha: self.alpha,
            warmup: (self.warmup.as_secs_f64() / interval).ceil().min(f64::from(u32::MAX)) as u32,
            sensitivity: self.sensitivity,
            min_count: self.min_count,
            resolve_after: self.resolve_after,
        };
        let brand_wide = self.overrides.iter().filter(|o| &o.brand == brand && o.topic.is_none());
        let exact =
            self.overrides.iter().filter(|o| &o.brand == brand && topic.is_some() && o.topic.as_deref() == topic);
        for o in brand_wide.chain(exact) {
            rule.sensitivity = o.sensitivity.unwrap_or(rule.sensitivity);
            rule.min_count = o.min_count.unwrap_or(rule.min_count);
        }
        rule
    }

    /// One line for `earshot check-config`.
    pub fn summary(&self) -> String {
        if !self.enabled {
            return "  spikes: off\n".into();
        }
        format!(
            "  spikes: every {}, fire at {}x normal and >= {} negative mentions, warm-up {}{}, {} override(s)\n",
            humantime::format_duration(self.interval),
            self.sensitivity,
            self.min_count,
            humantime::format_duration(self.warmup),
            if self.per_topic { ", per brand and topic" } else { ", per brand" },
            self.overrides.len()
        )
    }

    /// The cross-checks serde cannot do: `(key, reason)` of the first
    /// problem.
    pub fn check(&self, brands: &[BrandName]) -> Result<(), (String, String)> {
        let bad = |k: &str, r: &str| Err((format!("spikes.{k}"), r.to_string()));
        if self.interval < Duration::from_secs(60) {
            return bad("interval", "must be at least 1m");
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return bad("alpha", "must be in (0, 1], e.g. 0.1");
        }
        if !(self.sensitivity.is_finite() && self.sensitivity > 1.0) {
            return bad("sensitivity", "must be a multiple above 1, e.g. 4.0");
        }
        if self.min_count == 0 {
            return bad("min_count", "must be at least 1");
        }
        if self.resolve_after == 0 {
            return bad("resolve_after", "must be at least 1");
        }
        for (i, o) in self.overrides.iter().enumerate() {
            if !brands.contains(&o.brand) {
                return Err((format!("spikes.overrides[{i}].brand"), format!("unknown brand {:?}", o.brand.as_str())));
            }
            if o.sensitivity.is_some_and(|s| !(s.is_finite() && s > 1.0)) {
                return Err((format!("spikes.overrides[{i}].sensitivity"), "must be a multiple above 1".into()));
            }
            if o.min_count == Some(0) {
                return Err((format!("spikes.overrides[{i}].min_count"), "must be at least 1".into()));
            }
        }
        Ok(())
    }
}

fn default_true() -> bool {
    true
}
fn default_interval() -> Duration {
    Duration::from_secs(300)
}
fn default_alpha() -> f64 {
    0.1
}
fn default_warmup() -> Duration {
    Duration::from_secs(24 * 3600)
}
fn default_sensitivity() -> f64 {
    4.0
}
fn default_min_count() -> u64 {
    10
}
fn default_resolve_after() -> u32 {
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_take_the_most_specific_override() {
        let s: SpikeSettings = toml::from_str(
            r#"
            interval = "10m"
            warmup = "1h"
            [[overrides]]
            brand = "Acme Air"
            sensitivity = 8.0
            [[overrides]]
            brand = "Acme Air"
            topic = "refunds"
            min_count = 3
            "#,
        )
        .unwrap();
        let acme = BrandName::new("Acme Air");
        assert_eq!(s.rule(&acme, None).warmup, 6);
        assert_eq!((s.rule(&acme, None).sensitivity, s.rule(&acme, None).min_count), (8.0, 10));
        assert_eq!((s.rule(&acme, Some("refunds")).sensitivity, s.rule(&acme, Some("refunds")).min_count), (8.0, 3));
        assert_eq!(s.rule(&BrandName::new("Globex"), Some("refunds")).sensitivity, 4.0);
        assert_eq!(s.check(std::slice::from_ref(&acme)), Ok(()));
        assert_eq!(
            s.summary(),
            "  spikes: every 10m, fire at 4x normal and >= 10 negative mentions, warm-up 1h, per brand and topic, \
             2 override(s)\n"
        );
        assert_eq!(s.check(&[]).unwrap_err().0, "spikes.overrides[0].brand");
    }

    #[test]
    fn bad_values_name_their_key() {
        let check = |toml: &str| toml::from_str::<SpikeSettings>(toml).unwrap().check(&[]).unwrap_err().0;
        assert_eq!(check("alpha = 0.0"), "spikes.alpha");
        assert_eq!(check("alpha = 1.5"), "spikes.alpha");
        assert_eq!(check("sensitivity = 1.0"), "spikes.sensitivity");
        assert_eq!(check("interval = \"10s\""), "spikes.interval");
        assert_eq!(check("min_count = 0"), "spikes.min_count");
        assert_eq!(check("resolve_after = 0"), "spikes.resolve_after");
    }
}
