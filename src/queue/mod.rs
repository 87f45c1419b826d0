//! The rapid-response queue's rules: the states an item moves through and
//! which moves are allowed. Pure: the store applies a move inside one
//! transaction (read state, check here, write state + audit event), and the
//! API, CLI and Slack buttons all go through that one path.
//!
//! ```text
//! open ──ack──▶ acknowledged ──resolve──▶ resolved ──follow_up──▶ followed_up
//!   │                 │                      │                        │
//!   └──resolve────────┼──────────────────────┘                        │
//!   └──dismiss──▶ dismissed ◀──dismiss──┘                              │
//! resolved / followed_up / dismissed ──reopen──▶ open ◀────────────────┘
//! ```
//!
//! SLA rules are in `sla.rs`, follow-up outcomes in `follow_up.rs`,
//! customer history in `customer.rs`.
//!
//! Tests: in this module (every valid and invalid move).

pub mod customer;
pub mod follow_up;
pub mod sla;

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a queue item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    Open,
    Acknowledged,
    Resolved,
    FollowedUp,
    Dismissed,
}

impl QueueState {
    pub const ALL: [QueueState; 5] = [
        QueueState::Open,
        QueueState::Acknowledged,
        QueueState::Resolved,
        QueueState::FollowedUp,
        QueueState::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueState::Open => "open",
            QueueState::Acknowledged => "acknowledged",
            QueueState::Resolved => "resolved",
            QueueState::FollowedUp => "followed_up",
            QueueState::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<QueueState> {
        QueueState::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

impl fmt::Display for QueueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move a responder (or a timer) makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    Ack,
    Resolve,
    FollowUp,
    Dismiss,
    Reopen,
}

impl Move {
    pub const ALL: [Move; 5] = [Move::Ack, Move::Resolve, Move::FollowUp, Move::Dismiss, Move::Reopen];

    pub fn as_str(self) -> &'static str {
        match self {
            Move::Ack => "ack",
            Move::Resolve => "resolve",
            Move::FollowUp => "follow_up",
            Move::Dismiss => "dismiss",
            Move::Reopen => "reopen",
        }
    }

    pub fn parse(s: &str) -> Option<Move> {
        Move::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where a move came from, recorded in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Pipeline,
    Api,
    Cli,
    Slack,
    Timer,
    /// The web board.
    Web,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Pipeline => "pipeline",
            Via::Api => "api",
            Via::Cli => "cli",
            Via::Slack => "slack",
            Via::Timer => "timer",
            Via::Web => "web",
        }
    }
}

/// A refused move, with what was asked and where the item was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} an item that is {from}", mv.as_str())]
pub struct InvalidMove {
    pub from: QueueState,
    pub mv: Move,
}

/// The state `mv` leads to from `from`, or why it is refused.
pub fn apply(from: QueueState, mv: Move) -> Result<QueueState, InvalidMove> {
    use {Move as M, QueueState as S};
    let to = match (from, mv) {
        (S::Open, M::Ack) => S::Acknowledged,
        (S::Open | S::Acknowledged, M::Resolve) => S::Resolved,
        (S::Resolved, M::FollowUp) => S::FollowedUp,
        (S::Open | S::Acknowledged | S::Resolved, M::Dismiss) => S::Dismissed,
        (S::Resolved | S::FollowedUp | S::Dismissed, M::Reopen) => S::Open,
        _ => return Err(InvalidMove { from, mv }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_from_every_state() {
        use {Move as M, QueueState as S};
        let allowed = [
            (S::Open, M::Ack, S::Acknowledged),
            (S::Open, M::Resolve, S::Resolved),
            (S::Open, M::Dismiss, S::Dismissed),
            (S::Acknowledged, M::Resolve, S::Resolved),
            (S::Acknowledged, M::Dismiss, S::Dismissed),
            (S::Resolved, M::FollowUp, S::FollowedUp),
            (S::Resolved, M::Dismiss, S::Dismissed),
            (S::Resolved, M::Reopen, S::Open),
            (S::FollowedUp, M::Reopen, S::Open),
            (S::Dismissed, M::Reopen, S::Open),
        ];
        for from in S::ALL {
            for mv in M::ALL {
                let expected = allowed.iter().find(|(f, m, _)| *f == from && *m == mv).map(|(_, _, to)| *to);
                match (apply(from, mv), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {mv:?}"),
                    (Err(e), None) => assert_eq!(e, InvalidMove { from, mv }),
                    (got, want) => panic!("{from} + {mv:?}: got {got:?}, expected {want:?}"),
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in QueueState::ALL {
            assert_eq!(QueueState::parse(s.as_str()), Some(s));
        }
        for m in Move::ALL {
            assert_eq!(Move::parse(m.as_str()), Some(m));
        }
        assert_eq!(
            InvalidMove { from: QueueState::Dismissed, mv: Move::Ack }.to_string(),
            "cannot ack an item that is dismissed"
        );
    }
}
