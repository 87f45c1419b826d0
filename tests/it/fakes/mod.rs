//! Fakes at the network boundary, one per remote service. Each binds
//! `127.0.0.1:0`, records what it receives and can be told to misbehave.
//! The platform fakes share their plumbing (`server.rs`) and hold only
//! their wire format.
//! (The simulated Hacker News API lives in the library, `earshot::demo::hn_sim`,
//! because `earshot demo` uses it too.)

// Not every test uses every helper of a fake.
#[allow(dead_code)]
pub mod bluesky;
#[allow(dead_code)]
pub mod mastodon;
#[allow(dead_code)]
pub mod reddit;
#[allow(dead_code)]
pub mod server;
#[allow(dead_code)]
pub mod slack;
