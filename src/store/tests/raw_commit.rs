//! SQLite's commit rows written on the connection's own handle
//! (`sqlite_raw.rs`): a failing row rolls the whole commit back and the
//! writer takes the next one; the same commit on a multi-threaded runtime
//! (where the rows are written off the async workers).

use super::*;

/// A store whose outbox refuses rows (a trigger), and its raw pool.
async fn refusing_outbox() -> (TestDb, Store) {
    let (db, store) = sqlite().await;
    let Store::Sqlite(s) = &store else { unreachable!("a SQLite store") };
    sqlx::query("CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END")
        .execute(s.pool())
        .await
        .unwrap();
    (db, store)
}

#[tokio::test]
async fn a_refused_row_rolls_back_the_commit_and_the_writer_goes_on() {
    let (_db, store) = refusing_outbox().await;
    let source = SourceName::new("hn");
    let m = mention("Acme Air");
    let posts: Vec<Post> = (0..5).map(|i| post(&format!("p{i}"))).collect();
    let batch = || {
        posts
            .iter()
            .map(|p| NewMention {
                post: p,
                mention: &m,
                deliveries: vec![Delivery::to(ReceiverName::new("slack"))],
                open_queue_item: true,
                history: None,
            })
            .collect::<Vec<_>>()
    };
    let cursor = Cursor("c1".into());
    let commit = |mentions| PollCommit { source: &source, cursor: Some(&cursor), mentions, now: now() };

    let e = store.commit_poll(commit(batch())).await.unwrap_err();
    let StoreError::Sqlite { code, message } = &e else { panic!("a SQLite error, got {e:?}") };
    assert_eq!(*code & 0xff, 19, "a constraint error: {e}");
    assert!(message.contains("outbox refused") && e.to_string().contains("outbox refused"), "{e}");
    assert!(!e.is_transient(), "a refused row does not pass by waiting");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.mentions, counts.queue_open, counts.outbox_pending), (0, 0, 0), "nothing of it stored");
    assert_eq!(store.cursor(&source).await.unwrap(), None, "the cursor did not move");

    let Store::Sqlite(s) = &store else { unreachable!() };
    sqlx::query("DROP TRIGGER refuse").execute(s.pool()).await.unwrap();
    let report = store.commit_poll(commit(batch())).await.unwrap();
    assert_eq!((report.inserted, report.queue_items, report.outbox_rows), (5, 5, 5));
    assert_eq!(store.cursor(&source).await.unwrap(), Some(cursor.clone()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_right_on_a_multi_threaded_runtime() {
    let (_db, store) = sqlite().await;
    super::batch::every_alert_and_queue_item_names_its_own_mention(store).await;
}
