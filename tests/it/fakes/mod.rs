//! Fakes at the network boundary, one per remote service. Each binds
//! `127.0.0.1:0`, records what it receives and can be told to misbehave.
//! (The simulated Hacker News API lives in the library, `earshot::demo::hn_sim`,
//! because `earshot demo` uses it too.) `server.rs` holds what the platform
//! fakes share: the server, the request log, the fault queue.

// Not every test uses every helper of a fake.
#[allow(dead_code)]
pub mod feed;
#[allow(dead_code)]
pub mod server;
#[allow(dead_code)]
pub mod slack;
#[allow(dead_code)]
pub mod x;
#[allow(dead_code)]
pub mod youtube;
