//! Brands and their watch terms: `[[brands]]` with `name`, `terms` and
//! `exclude`. Kept on its own because admins edit it more than anything
//! else. The matcher (`pipeline::matcher`) compiles these; this module only
//! checks them.

use serde::Deserialize;

use crate::domain::BrandName;

/// One brand as written in the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandConfig {
    /// The brand's name as responders know it, unique.
    pub name: String,
    /// Watch terms: words or phrases ("acme air"), @handles ("@acmeair"),
    /// #hashtags ("#acmeair"). Case-insensitive, whole words only.
    pub terms: Vec<String>,
    /// Phrases that veto a match ("acme air show").
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A checked brand.
#[derive(Debug, Clone, PartialEq)]
pub struct Brand {
    pub name: BrandName,
    pub terms: Vec<String>,
    pub exclude: Vec<String>,
}

/// Checks one brand; the error is `(key below the brand, reason)`.
pub(crate) fn check_brand(raw: BrandConfig) -> Result<Brand, (String, String)> {
    if raw.name.trim().is_empty() {
        return Err(("name".into(), "a brand needs a non-empty name".into()));
    }
    if raw.terms.is_empty() {
        return Err(("terms".into(), "a brand needs at least one watch term".into()));
    }
    for (i, t) in raw.terms.iter().enumerate() {
        if !has_word_char(t) {
            return Err((format!("terms[{i}]"), format!("watch term {t:?} has no letters or digits")));
        }
    }
    for (i, t) in raw.exclude.iter().enumerate() {
        if !has_word_char(t) {
            return Err((format!("exclude[{i}]"), format!("exclude phrase {t:?} has no letters or digits")));
        }
    }
    Ok(Brand {
        name: BrandName::new(raw.name.trim()),
        terms: raw.terms.iter().map(|t| t.trim().to_string()).collect(),
        exclude: raw.exclude.iter().map(|t| t.trim().to_string()).collect(),
    })
}

fn has_word_char(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}
