//! Inhibition: while a spike of a brand is firing, its ordinary mentions
//! (urgency normal or below) are not sent one by one: the spike alert
//! already says the brand is being talked about, and fifty pings more would
//! bury it. High and critical mentions still go out. An inhibited alert is
//! not dropped: its outbox row is written in state `inhibited`, visible in
//! the store and counted in `earshot_delivery_routed_total{outcome="inhibited"}`.
//! A silence still wins: a silenced delivery stays silenced.
//!
//! Pure: the firing brands are given (the store knows them). Tests: below
//! and `tests/it/spikes.rs` (end to end with the fake Slack).

use std::collections::HashSet;

use super::{Delivery, DeliveryState};
use crate::domain::{BrandName, Mention, Urgency};

/// The highest urgency a spike inhibits.
pub const MAX_INHIBITED: Urgency = Urgency::Normal;

/// The brands whose spikes are firing now.
#[derive(Debug, Clone, Default)]
pub struct Inhibitor {
    firing: HashSet<BrandName>,
}

impl Inhibitor {
    pub fn new(firing: impl IntoIterator<Item = BrandName>) -> Self {
        Inhibitor { firing: firing.into_iter().collect() }
    }

    /// Whether `mention`'s alerts are held back.
    pub fn inhibits(&self, mention: &Mention) -> bool {
        mention.score.level <= MAX_INHIBITED && self.firing.contains(&mention.brand)
    }

    pub fn is_empty(&self) -> bool {
        self.firing.is_empty()
    }

    /// Marks `mention`'s deliveries inhibited if it is held back (see
    /// [`Inhibitor::inhibits`]); silenced ones stay silenced.
    pub fn apply(&self, mention: &Mention, deliveries: &mut [Delivery]) {
        if !self.inhibits(mention) {
            return;
        }
        for d in deliveries.iter_mut().filter(|d| !matches!(d.state, DeliveryState::Silenced(_))) {
            d.state = DeliveryState::Inhibited;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Label, Score};

    fn mention(brand: &str, level: Urgency) -> Mention {
        Mention {
            brand: BrandName::new(brand),
            terms: vec![],
            score: Score {
                compound: -0.5,
                label: Label::Negative,
                urgency: 0.5,
                level,
                topics: vec![],
                reasons: vec![],
            },
        }
    }

    #[test]
    fn only_ordinary_mentions_of_a_firing_brand_are_held() {
        let i = Inhibitor::new([BrandName::new("Acme Air")]);
        assert!(i.inhibits(&mention("Acme Air", Urgency::Normal)));
        assert!(i.inhibits(&mention("Acme Air", Urgency::Low)));
        assert!(!i.inhibits(&mention("Acme Air", Urgency::High)));
        assert!(!i.inhibits(&mention("Acme Air", Urgency::Critical)));
        assert!(!i.inhibits(&mention("Globex", Urgency::Low)));
        assert!(!Inhibitor::default().inhibits(&mention("Acme Air", Urgency::Low)));
    }

    #[test]
    fn apply_marks_deliveries_but_leaves_silences() {
        use crate::domain::ReceiverName;
        use crate::routing::SilenceId;
        let i = Inhibitor::new([BrandName::new("Acme Air")]);
        let mut ds = vec![Delivery::to(ReceiverName::new("a")), Delivery::to(ReceiverName::new("b"))];
        ds[1].state = DeliveryState::Silenced(SilenceId(3));
        i.apply(&mention("Acme Air", Urgency::High), &mut ds);
        assert_eq!(ds[0].state, DeliveryState::Deliver, "urgent mentions go out");
        i.apply(&mention("Acme Air", Urgency::Normal), &mut ds);
        assert_eq!((ds[0].state, ds[1].state), (DeliveryState::Inhibited, DeliveryState::Silenced(SilenceId(3))));
    }
}
