//! Follow-up after a resolve: what the customer's next post about the same
//! brand says. Positive or neutral means the customer recovered; negative
//! means they are still unhappy. Pure.
//!
//! Tests: in this module.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::Label;

/// What the customer's latest post after a resolve said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Positive or neutral: the customer is fine again.
    Recovered,
    /// Still negative.
    StillNegative,
}

impl Outcome {
    /// The outcome a post with this sentiment label shows.
    pub fn of(label: Label) -> Outcome {
        match label {
            Label::Negative => Outcome::StillNegative,
            Label::Neutral | Label::Positive => Outcome::Recovered,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Recovered => "recovered",
            Outcome::StillNegative => "still_negative",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Recovered, Outcome::StillNegative].into_iter().find(|o| o.as_str() == s)
    }

    /// What a person reads: "recovered", "still negative".
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Recovered => "recovered",
            Outcome::StillNegative => "still negative",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_negative_post_is_still_negative() {
        assert_eq!(Outcome::of(Label::Positive), Outcome::Recovered);
        assert_eq!(Outcome::of(Label::Neutral), Outcome::Recovered);
        assert_eq!(Outcome::of(Label::Negative), Outcome::StillNegative);
        for o in [Outcome::Recovered, Outcome::StillNegative] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::StillNegative.words(), "still negative");
    }
}
