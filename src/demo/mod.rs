//! `earshot demo`'s offline world: simulated platforms ([`hn_sim`]) serving a bundled corpus ([`corpus`]).

pub mod corpus;
pub mod hn_sim;
