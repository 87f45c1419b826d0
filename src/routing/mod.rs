//! Who hears about a mention: routes are rules over brand and urgency that
//! name receivers. Pure: no I/O, no clock. (Grouping, silences and the full
//! routing tree build on this.)
//!
//! Tests: in this module.

use crate::config::RouteSettings;
use crate::domain::{Mention, ReceiverName};

/// The checked routes, in config order.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RouteSettings>,
}

impl Router {
    pub fn new(routes: &[RouteSettings]) -> Self {
        Router { routes: routes.to_vec() }
    }

    /// The receivers of every route the mention matches, each once, in
    /// the order they first appear.
    pub fn receivers_for(&self, mention: &Mention) -> Vec<ReceiverName> {
        let mut out: Vec<ReceiverName> = Vec::new();
        for route in self.routes.iter().filter(|r| matches(r, mention)) {
            for r in &route.receivers {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }
}

impl Router {
    /// Receivers for an alert about earshot itself (a silent source): the
    /// routes with no brand filter whose minimum urgency the alert reaches.
    pub fn receivers_for_system(&self, level: crate::domain::Urgency) -> Vec<ReceiverName> {
        let mut out: Vec<ReceiverName> = Vec::new();
        for route in self.routes.iter().filter(|r| r.brands.is_empty() && level >= r.min_urgency) {
            for r in &route.receivers {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }
}

fn matches(route: &RouteSettings, mention: &Mention) -> bool {
    mention.score.level >= route.min_urgency && (route.brands.is_empty() || route.brands.contains(&mention.brand))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BrandName, Label, Score, Urgency};

    fn mention(brand: &str, level: Urgency) -> Mention {
        Mention {
            brand: BrandName::new(brand),
            terms: vec![],
            score: Score { compound: 0.0, label: Label::Neutral, urgency: 0.0, level, topics: vec![], reasons: vec![] },
        }
    }

    fn route(receivers: &[&str], min: Urgency, brands: &[&str]) -> RouteSettings {
        RouteSettings {
            receivers: receivers.iter().map(|r| ReceiverName::new(*r)).collect(),
            min_urgency: min,
            brands: brands.iter().map(|b| BrandName::new(*b)).collect(),
        }
    }

    #[test]
    fn urgency_threshold_and_brand_filter() {
        let router = Router::new(&[
            route(&["urgent"], Urgency::High, &[]),
            route(&["acme-all", "urgent"], Urgency::Low, &["Acme Air"]),
        ]);
        let names = |m: &Mention| router.receivers_for(m).into_iter().map(|r| r.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&mention("Acme Air", Urgency::Critical)), ["urgent", "acme-all"]);
        assert_eq!(names(&mention("Acme Air", Urgency::Low)), ["acme-all", "urgent"]);
        assert_eq!(names(&mention("Globex", Urgency::High)), ["urgent"]);
        assert!(names(&mention("Globex", Urgency::Normal)).is_empty());
    }
}
