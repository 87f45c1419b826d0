//! Brands and their watch terms: `[[brands]]` with `name`, `terms`,
//! `exclude` and `lexicon`. Kept on its own because admins edit it more
//! than anything else. The matcher (`pipeline::matcher`) compiles the
//! terms and the scorer (`pipeline::scorer`) the lexicon; this module only
//! checks them.

use std::collections::BTreeMap;

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
    /// Word valences (-4..4) for posts that mention this brand, over the
    /// built-in lexicon: `{ "sick" = 2.0 }` for a skate brand, 0 to make a
    /// word neutral. The brand's name and terms are neutral already.
    #[serde(default)]
    pub lexicon: BTreeMap<String, f64>,
}

/// A checked brand.
#[derive(Debug, Clone, PartialEq)]
pub struct Brand {
    pub name: BrandName,
    pub terms: Vec<String>,
    pub exclude: Vec<String>,
    /// Lower-case word → valence in -4..4 (0: neutral).
    pub lexicon: BTreeMap<String, f64>,
}

impl Brand {
    /// A brand with no exclusions and no lexicon overrides.
    pub fn new(name: &str, terms: &[&str]) -> Brand {
        Brand {
            name: BrandName::new(name),
            terms: terms.iter().map(|t| t.to_string()).collect(),
            exclude: Vec::new(),
            lexicon: BTreeMap::new(),
        }
    }
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
    let mut lexicon = BTreeMap::new();
    for (word, &valence) in &raw.lexicon {
        let key = format!("lexicon.{word:?}");
        let lower = word.trim().to_lowercase();
        if lower.is_empty() || lower.contains(char::is_whitespace) {
            return Err((key, "a lexicon entry is one word".into()));
        }
        if !valence.is_finite() || !(-4.0..=4.0).contains(&valence) {
            return Err((key, format!("valence {valence} is outside -4..4 (VADER's scale: \"good\" is 1.9)")));
        }
        lexicon.insert(lower, valence);
    }
    Ok(Brand {
        name: BrandName::new(raw.name.trim()),
        terms: raw.terms.iter().map(|t| t.trim().to_string()).collect(),
        exclude: raw.exclude.iter().map(|t| t.trim().to_string()).collect(),
        lexicon,
    })
}

fn has_word_char(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}
