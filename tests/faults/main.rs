//! Fault tests: the real `earshot run` binary, several replicas at once,
//! killed with SIGKILL mid-flood, cut off from PostgreSQL
//! (`pg_terminate_backend`) or from the server altogether (a proxy cut),
//! facing a Slack that is down, or a SQLite file
//! it cannot write, or started before its database is reachable. Loopback only; every wait is bounded. The PostgreSQL
//! tests need `EARSHOT_TEST_PG` (each runs on a fresh scratch database)
//! and print a loud skip without it. Set `TEST_LOG=1` to see the replicas'
//! logs.
//!
//! Shares the integration suite's fake Slack and helpers (`tests/it/`).

#[path = "../it/fakes/slack.rs"]
#[allow(dead_code)]
pub mod fake_slack;
#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

/// The integration suite's module path for what it shares with us.
mod fakes {
    pub use super::fake_slack as slack;
}

mod flood;
mod kill;
mod postgres_cut;
mod postgres_down;
mod proxy;
mod replica;
mod slack_down;
mod sqlite;
mod start;

/// A fresh scratch PostgreSQL database, or `None` (with a loud skip line)
/// when `EARSHOT_TEST_PG` is unset.
pub async fn scratch_postgres(test: &str) -> Option<earshot::store::scratch::ScratchPostgres> {
    let Ok(admin) = std::env::var("EARSHOT_TEST_PG") else {
        eprintln!("SKIPPED (PostgreSQL) {test}: EARSHOT_TEST_PG is not set");
        return None;
    };
    Some(
        earshot::store::scratch::ScratchPostgres::create(&admin, "earshot_fault")
            .await
            .expect("EARSHOT_TEST_PG reachable"),
    )
}

/// The database a test's replicas share: a scratch PostgreSQL database when
/// `EARSHOT_TEST_PG` is set, else a SQLite file in `dir` (one replica).
pub async fn shared_database(
    test: &str,
    dir: &std::path::Path,
) -> (String, Option<earshot::store::scratch::ScratchPostgres>) {
    match scratch_postgres(test).await {
        Some(db) => (db.url.clone(), Some(db)),
        None => (format!("sqlite://{}", dir.join("earshot.db").display()), None),
    }
}
