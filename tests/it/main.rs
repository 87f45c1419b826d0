//! earshot's integration tests: one binary, one module per area, fakes at
//! the network boundary (`fakes/`).

mod fakes;
mod hackernews;
mod slack;
