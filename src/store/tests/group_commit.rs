//! SQLite's group commit (`sqlite_group.rs`): polls queued behind the
//! writer share one transaction; a poll that fails in a group fails alone
//! and its neighbours are stored; a group whose next poll never comes is
//! committed by its own member; a WAL restart takes the turn and commits
//! the group left open for it; sqlx's writer and the poll writer take
//! SQLite's write lock in turn.

use super::*;

/// Ten posts of `source`'s own, each alerting `receiver` and opening an
/// item.
fn posts_of(source: &str) -> Vec<Post> {
    (0..10).map(|i| post(&format!("{source}-{i}"))).collect()
}

fn poll<'a>(
    source: &'a SourceName,
    cursor: &'a Cursor,
    posts: &'a [Post],
    m: &'a Mention,
    receiver: &str,
) -> PollCommit<'a> {
    let mentions = posts
        .iter()
        .map(|p| NewMention {
            post: p,
            mention: m,
            deliveries: vec![Delivery::to(ReceiverName::new(receiver))],
            open_queue_item: true,
            history: None,
        })
        .collect();
    PollCommit { source, cursor: Some(cursor), mentions, now: now() }
}

fn sqlite_of(store: &Store) -> &SqliteStore {
    let Store::Sqlite(s) = store else { unreachable!("a SQLite store") };
    s
}

/// Waits (bounded, no clock) until `n` polls wait for the writer's turn.
async fn until_waiting(s: &SqliteStore, n: usize) {
    for _ in 0..100_000 {
        if s.group().waiting() == n {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("{n} polls never queued for the turn ({} did)", s.group().waiting());
}

/// Sources a, b and c, each with its own posts.
const SOURCES: [&str; 3] = ["a", "b", "c"];

/// Queues a poll of each of [`SOURCES`] (alerting `receivers` in turn)
/// behind the writer's turn, then lets them go at once.
async fn three_queued_polls(store: &Store, receivers: [&str; 3]) -> [Result<CommitReport, StoreError>; 3] {
    let s = sqlite_of(store);
    let m = mention("Acme Air");
    let names = SOURCES.map(SourceName::new);
    let cursor = Cursor("next".into());
    let posts = SOURCES.map(posts_of);
    let held = s.group().hold().await;
    let release = async {
        until_waiting(s, 3).await;
        drop(held);
    };
    let (a, b, c, ()) = tokio::join!(
        store.commit_poll(poll(&names[0], &cursor, &posts[0], &m, receivers[0])),
        store.commit_poll(poll(&names[1], &cursor, &posts[1], &m, receivers[1])),
        store.commit_poll(poll(&names[2], &cursor, &posts[2], &m, receivers[2])),
        release
    );
    [a, b, c]
}

#[tokio::test]
async fn polls_queued_behind_the_writer_commit_together() {
    let (_db, store) = sqlite().await;
    for report in three_queued_polls(&store, ["slack"; 3]).await {
        let report = report.unwrap();
        assert_eq!((report.inserted, report.queue_items, report.outbox_rows), (10, 10, 10));
    }
    assert_eq!(sqlite_of(&store).group().commits(), 1, "three polls, one transaction");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.mentions, counts.queue_open, counts.outbox_pending), (30, 30, 30));
    for name in SOURCES.map(SourceName::new) {
        assert_eq!(store.cursor(&name).await.unwrap(), Some(Cursor("next".into())));
    }
}

#[tokio::test]
async fn a_poll_that_fails_in_a_group_fails_alone() {
    let (_db, store) = sqlite().await;
    sqlx::query(
        "CREATE TRIGGER refuse BEFORE INSERT ON outbox WHEN NEW.receiver = 'broken'
         BEGIN SELECT RAISE(ABORT, 'outbox refused'); END",
    )
    .execute(sqlite_of(&store).pool())
    .await
    .unwrap();
    let [a, b, c] = three_queued_polls(&store, ["slack", "broken", "slack"]).await;
    assert_eq!(a.unwrap().inserted, 10, "the poll before the bad one is written again alone");
    assert_eq!(c.unwrap().inserted, 10, "the poll after it");
    let e = b.unwrap_err();
    assert!(e.to_string().contains("outbox refused"), "{e}");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.mentions, counts.queue_open, counts.outbox_pending), (20, 20, 20), "nothing of b's");
    let [a, b, c] = SOURCES.map(SourceName::new);
    let cursor = Some(Cursor("next".into()));
    assert_eq!(store.cursor(&a).await.unwrap(), cursor);
    assert_eq!(store.cursor(&b).await.unwrap(), None, "b's cursor did not move");
    assert_eq!(store.cursor(&c).await.unwrap(), cursor);
}

#[tokio::test]
async fn a_group_whose_next_poll_never_comes_is_committed_by_its_member() {
    let (_db, store) = sqlite().await;
    let s = sqlite_of(&store);
    let a = SourceA::new();

    // A poll counted as waiting that never takes the turn (cancelled as it
    // waited): the poll before it passes the turn and waits for a COMMIT
    // nobody else will run.
    let _gone = s.group().pretend_waiting();
    let report = store.commit_poll(a.poll()).await.unwrap();
    assert_eq!(report.inserted, 10);
    assert_eq!(s.group().commits(), 1);
    assert_eq!(store.counts().await.unwrap().mentions, 10);
    assert_eq!(store.cursor(&a.name).await.unwrap(), Some(a.cursor));
}

/// Source a's poll: ten posts, each alerting Slack.
struct SourceA {
    name: SourceName,
    cursor: Cursor,
    posts: Vec<Post>,
    mention: Mention,
}

impl SourceA {
    fn new() -> Self {
        SourceA {
            name: SourceName::new("a"),
            cursor: Cursor("next".into()),
            posts: posts_of("a"),
            mention: mention("Acme Air"),
        }
    }

    fn poll(&self) -> PollCommit<'_> {
        poll(&self.name, &self.cursor, &self.posts, &self.mention, "slack")
    }
}

#[tokio::test]
async fn a_wal_restart_commits_the_group_left_open_for_it_and_runs_between_groups() {
    let (_db, store) = sqlite().await;
    let s = sqlite_of(&store);
    let a = SourceA::new();

    // The poll leaves its group open for a poll that never comes; the
    // restart, next in line, commits it.
    let _gone = s.group().pretend_waiting();
    let restart = async {
        for _ in 0..100_000 {
            if s.group().members() == Some(1) {
                let restarted = s.group().restart_wal().await;
                assert_eq!(s.group().commits(), 1, "the restart committed the open group first");
                return restarted;
            }
            tokio::task::yield_now().await;
        }
        panic!("the poll never left its group open");
    };
    let (report, restarted) = tokio::join!(store.commit_poll(a.poll()), restart);
    assert_eq!(report.unwrap().inserted, 10);
    assert!(restarted.unwrap(), "no reader holds an old snapshot: the WAL starts over");
    assert_eq!(s.group().commits(), 1);
    assert_eq!(store.counts().await.unwrap().mentions, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_waits_for_a_transaction_on_sqlx_s_writer_and_both_are_stored() {
    let (_db, store) = sqlite().await;
    let s = sqlite_of(&store);
    let mut other = s.begin_write().await.unwrap();
    sqlx::query("INSERT INTO source_cursors (source, cursor, updated_at) VALUES ('other', 'x', 0)")
        .execute(&mut *other)
        .await
        .unwrap();
    // A task of its own, as the daemon's polls are: its BEGIN holds its
    // thread until the other transaction lets go of the write lock.
    let polled = tokio::spawn({
        let store = store.clone();
        async move { store.commit_poll(SourceA::new().poll()).await }
    });
    // The poll holds the turn: it is in BEGIN, waiting for the write lock.
    let mut waited = 0;
    while s.group().members().is_some() {
        waited += 1;
        assert!(waited < 100_000, "the poll never took the turn");
        tokio::task::yield_now().await;
    }
    other.commit().await.unwrap();
    assert_eq!(polled.await.unwrap().unwrap().inserted, 10);
    assert_eq!(store.counts().await.unwrap().mentions, 10);
    assert_eq!(store.cursor(&SourceName::new("other")).await.unwrap(), Some(Cursor("x".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_opened_read_only_refuses_a_poll_and_its_file_stays_unwritten() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/earshot.db", dir.path().display());
    let rw = Store::open(&url).await.unwrap();
    rw.migrate().await.unwrap();
    let ro = Store::open(&format!("{url}?mode=ro")).await.unwrap();
    let a = SourceA::new();
    let e = ro.commit_poll(a.poll()).await.unwrap_err();
    assert!(e.to_string().contains("readonly"), "{e}");
    // Its poll readers read as sqlx's do.
    let p = post("a-0");
    assert!(ro.prior_reads(p.platform, &[&p], now(), now()).await.is_ok());
    assert_eq!(rw.counts().await.unwrap().mentions, 0, "nothing written through the read-only store");
    assert_eq!(rw.cursor(&a.name).await.unwrap(), None);
}

#[tokio::test]
async fn a_poll_writer_left_in_a_transaction_is_replaced_and_the_next_poll_is_stored() {
    let (_db, store) = sqlite().await;
    let s = sqlite_of(&store);
    let a = SourceA::new();
    s.group().strand_a_transaction().await;
    assert_eq!(store.commit_poll(a.poll()).await.unwrap().inserted, 10);
    assert_eq!(store.counts().await.unwrap().mentions, 10, "committed, not left in the stray transaction");
}
