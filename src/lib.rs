//! earshot listens to social platforms for mentions of a brand, finds the
//! angry and the urgent ones, and puts them in front of a customer-service
//! team: on a rapid-response queue and in Slack.
//!
//! # Layout
//!
//! - [`domain`]: the vocabulary (post, mention, score, urgency, ids).
//! - [`config`]: one typed settings tree, loaded and checked once.
//! - [`sources`]: the `Source` trait and one module per platform.
//! - [`pipeline`]: posts → scored mentions (matcher, scorer); pure.
//! - [`routing`]: which receivers a mention goes to; pure.
//! - [`store`]: the repository API; the only module with SQL.
//! - [`delivery`]: outbox workers: claim, send, mark, back off.
//! - [`sinks`]: the `Sink` trait and one module per destination.
//! - [`http`]: health, readiness, metrics (the only module that knows axum).
//! - [`daemon`]: builds everything from settings, schedules, shuts down.
//! - [`demo`]: the whole flow offline, against a simulated platform.
//! - [`eval`]: `earshot eval`, the scorer measured on labelled sets.
//! - [`telemetry`]: logging setup and metric names.
//! - [`cli`]: the `earshot` subcommands; the only place that touches signals.

pub mod blocking;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod eval;
pub mod http;
pub mod pipeline;
pub mod queue;
pub mod routing;
pub mod sinks;
pub mod sources;
pub mod store;
pub mod telemetry;
