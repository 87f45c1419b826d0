//! Fakes at the network boundary, one per remote service. Each binds
//! `127.0.0.1:0`, records what it receives and can be told to misbehave.
//! (The simulated Hacker News API lives in the library, `earshot::demo::hn_sim`,
//! because `earshot demo` uses it too.) `server.rs` holds what the platform
//! fakes share: the server, the request log, the fault queue; `api.rs`
//! builds on it for fakes whose state answers whole requests (Mastodon,
//! Bluesky, Reddit: login and token endpoints need method and body).

// Not every test uses every helper of a fake.
#[allow(dead_code)]
pub mod api;
#[allow(dead_code)]
pub mod bluesky;
#[allow(dead_code)]
pub mod feed;
#[allow(dead_code)]
pub mod mastodon;
#[allow(dead_code)]
pub mod reddit;
#[allow(dead_code)]
pub mod server;
#[allow(dead_code)]
pub mod slack;
#[allow(dead_code)]
pub mod webhook;
#[allow(dead_code)]
pub mod x;
#[allow(dead_code)]
pub mod youtube;
