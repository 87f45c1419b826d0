//! The integration suite: one binary, one module per area. Every test
//! spawns the real daemon (or the binary) against local fakes (`fakes/`,
//! the in-process Hacker News simulator) with a real SQLite file. Set
//! `TEST_LOG=1` to see the daemon's logs.

mod bluesky;
mod board;
mod browser;
mod cli;
mod contract;
mod delivery_guarantee;
mod fakes;
mod feed;
mod flow;
mod follow_up;
mod hackernews;
mod helpers;
mod ingest;
mod mastodon;
mod momentum;
mod queue_api;
mod reddit;
mod reload;
mod routing;
mod sla;
mod slack;
mod slack_actions;
mod spikes;
mod systemd;
mod webdriver;
mod webhook;
mod x;
mod youtube;
