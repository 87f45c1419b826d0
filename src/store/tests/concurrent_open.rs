//! Several processes opening and migrating one fresh SQLite file at once
//! (replicas starting together, the CLI next to the daemon after an
//! upgrade): each has its own pool here, as each process would. Without
//! the one-time WAL switch with retries and the migration run under the
//! write lock, some failed with "database is locked" or applied a
//! migration twice ("table mentions already exists").

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pools_opening_and_migrating_one_fresh_file_at_once_all_succeed() {
    let mut failures = Vec::new();
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/earshot.db", dir.path().display());
        let opening: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    let store = Store::open(&url).await.map_err(|e| format!("open: {e}"))?;
                    store.migrate().await.map_err(|e| format!("migrate: {e}"))?;
                    Ok::<_, String>(store)
                })
            })
            .collect();
        for task in opening {
            match task.await.unwrap() {
                Ok(store) => assert_eq!(store.counts().await.unwrap().mentions, 0),
                Err(e) => failures.push(format!("round {round}: {e}")),
            }
        }
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
        assert_eq!(mode, "wal");
    }
    assert!(failures.is_empty(), "{} of 40 failed: {failures:?}", failures.len());
}
