//! Repository tests on real SQLite files (one temp file per test).

use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::*;

pub(crate) fn post(id: &str) -> Post {
    Post {
        platform: Platform::Hackernews,
        external_id: ExternalId::new(id),
        url: format!("https://news.ycombinator.com/item?id={id}"),
        author: Author { handle: "dana".into(), display_name: None, followers: Some(12) },
        text: "Acme Air lost my bag".into(),
        created_at: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
        lang: None,
        engagement: Engagement { likes: Some(3), reposts: None, replies: Some(1) },
    }
}

pub(crate) fn mention(brand: &str) -> Mention {
    Mention {
        brand: BrandName::new(brand),
        terms: vec!["acme air".into()],
        score: Score {
            compound: -0.6,
            label: Label::Negative,
            urgency: 0.6,
            level: Urgency::High,
            topics: vec![],
            reasons: vec!["sentiment: negative".into()],
        },
    }
}

/// Keeps a test database alive: a temp folder for SQLite, a scratch
/// database for PostgreSQL.
pub(crate) enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] scratch::ScratchPostgres),
}

async fn sqlite() -> (TestDb, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/earshot.db", dir.path().display());
    let store = Store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    (TestDb::Sqlite(dir), store)
}

/// SQLite's plan for `sql` (its `/*LOCK*/` marker dropped) with each of
/// its `params` bound to 0: one step per line of `EXPLAIN QUERY PLAN`.
/// SQLite keeps no statistics here, so a plan is fixed by the schema.
async fn sqlite_plan(store: &Store, sql: &str, params: usize) -> Vec<String> {
    use sqlx::Row;
    let Store::Sqlite(s) = store else { unreachable!("a SQLite store") };
    let explain = format!("EXPLAIN QUERY PLAN {}", sql.replace("/*LOCK*/", ""));
    let mut query = sqlx::query(&explain);
    for _ in 0..params {
        query = query.bind(0_i64);
    }
    query.fetch_all(s.pool()).await.unwrap().iter().map(|r| r.get(3)).collect()
}

/// A fresh PostgreSQL database under `EARSHOT_TEST_PG`, or `None` with a
/// loud skip message when it is unset.
async fn postgres() -> Option<(TestDb, Store)> {
    let Ok(admin) = std::env::var("EARSHOT_TEST_PG") else {
        eprintln!("SKIPPED (PostgreSQL): EARSHOT_TEST_PG is not set; set it to run the PostgreSQL store tests");
        return None;
    };
    let db = scratch::ScratchPostgres::create(&admin, "earshot_t").await.expect("EARSHOT_TEST_PG reachable");
    let store = Store::open(&db.url).await.expect("open test database");
    store.migrate().await.expect("postgres migrations");
    Some((TestDb::Postgres(db), store))
}

/// Runs `check` against SQLite and, when configured, PostgreSQL.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test] async fn $name() { let (_db, store) = super::sqlite().await; super::$name(store).await; })*
        }
        mod postgres_backend {
            $(#[tokio::test] async fn $name() {
                if let Some((_db, store)) = super::postgres().await { super::$name(store).await; }
            })*
        }
    };
}

both_backends!(
    commit_is_idempotent_and_moves_the_cursor_with_the_rows,
    a_poll_with_nothing_new_moves_the_cursor_and_pushed_posts_keep_it,
    a_failed_commit_stores_nothing_and_keeps_the_cursor,
    same_post_for_two_brands_is_two_mentions,
    claims_are_leased_and_released,
    system_alerts_are_enqueued_without_a_mention,
    queue_moves_are_audited_and_invalid_moves_change_nothing,
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 30, 0).unwrap()
}

async fn commit_is_idempotent_and_moves_the_cursor_with_the_rows(store: Store) {
    let source = SourceName::new("hn");
    let p = post("1");
    let m = mention("Acme Air");
    let receivers = [ReceiverName::new("slack")];
    let (c1, c2) = (Cursor("100".into()), Cursor("200".into()));
    let commit = |cursor| PollCommit {
        source: &source,
        cursor: Some(cursor),
        mentions: vec![NewMention {
            post: &p,
            mention: &m,
            deliveries: receivers.iter().cloned().map(Delivery::to).collect(),
            open_queue_item: true,
            history: None,
        }],
        now: now(),
    };
    let first = store.commit_poll(commit(&c1)).await.unwrap();
    assert_eq!(
        first,
        CommitReport {
            inserted: 1,
            duplicates: 0,
            outbox_rows: 1,
            queue_items: 1,
            routed: RoutedReport { pending: 1, ..Default::default() }
        }
    );
    let again = store.commit_poll(commit(&c2)).await.unwrap();
    assert_eq!(
        again,
        CommitReport { inserted: 0, duplicates: 1, outbox_rows: 0, queue_items: 0, ..Default::default() }
    );
    assert_eq!(store.cursor(&source).await.unwrap(), Some(Cursor("200".into())));

    let counts = store.counts().await.unwrap();
    assert_eq!((counts.mentions, counts.outbox_pending, counts.queue_open), (1, 1, 1));
}

/// The cursor is written beside the rows, in the poll's transaction, so
/// the polls with no row to write are checked apart.
async fn a_poll_with_nothing_new_moves_the_cursor_and_pushed_posts_keep_it(store: Store) {
    let source = SourceName::new("hn");
    let (c1, c2) = (Cursor("100".into()), Cursor("200".into()));
    let empty = |cursor| PollCommit { source: &source, cursor, mentions: Vec::new(), now: now() };
    assert_eq!(store.commit_poll(empty(Some(&c1))).await.unwrap(), CommitReport::default());
    assert_eq!(store.cursor(&source).await.unwrap(), Some(c1.clone()), "a poll that found nothing moves it");
    store.commit_poll(empty(Some(&c2))).await.unwrap();
    assert_eq!(store.cursor(&source).await.unwrap(), Some(c2.clone()), "and moves it again");

    // Pushed posts (no cursor), with rows and without, leave it alone.
    let p = post("1");
    let m = mention("Acme Air");
    let pushed = PollCommit {
        source: &source,
        cursor: None,
        mentions: vec![NewMention {
            post: &p,
            mention: &m,
            deliveries: Vec::new(),
            open_queue_item: false,
            history: None,
        }],
        now: now(),
    };
    assert_eq!(store.commit_poll(pushed).await.unwrap().inserted, 1);
    store.commit_poll(empty(None)).await.unwrap();
    assert_eq!(store.cursor(&source).await.unwrap(), Some(c2));
    assert_eq!(store.counts().await.unwrap().mentions, 1);
}

async fn a_failed_commit_stores_nothing_and_keeps_the_cursor(store: Store) {
    let source = SourceName::new("hn");
    let p = post("1");
    let m = mention("Acme Air");
    let c1 = Cursor("100".into());
    store.commit_poll(PollCommit { source: &source, cursor: Some(&c1), mentions: vec![], now: now() }).await.unwrap();
    // Break the outbox table so the transaction fails after the mention insert.
    store.exec_for_tests("DROP TABLE outbox").await.unwrap();
    let c2 = Cursor("200".into());
    let res = store
        .commit_poll(PollCommit {
            source: &source,
            cursor: Some(&c2),
            mentions: vec![NewMention {
                post: &p,
                mention: &m,
                deliveries: vec![Delivery::to(ReceiverName::new("x"))],
                open_queue_item: false,
                history: None,
            }],
            now: now(),
        })
        .await;
    assert!(res.is_err());
    assert_eq!(store.cursor(&source).await.unwrap(), Some(c1));
    assert!(
        store.recent_mentions(10).await.unwrap().is_empty(),
        "the mention insert must roll back with the failed outbox write"
    );
}

async fn same_post_for_two_brands_is_two_mentions(store: Store) {
    let source = SourceName::new("hn");
    let p = post("7");
    let (a, b) = (mention("Acme Air"), mention("Globex"));
    let r = store
        .commit_poll(PollCommit {
            source: &source,
            cursor: None,
            mentions: vec![
                NewMention { post: &p, mention: &a, deliveries: vec![], open_queue_item: false, history: None },
                NewMention { post: &p, mention: &b, deliveries: vec![], open_queue_item: false, history: None },
            ],
            now: now(),
        })
        .await
        .unwrap();
    assert_eq!(r.inserted, 2);
    assert_eq!(store.cursor(&source).await.unwrap(), None);
}

async fn claims_are_leased_and_released(store: Store) {
    let source = SourceName::new("hn");
    let p = post("1");
    let m = mention("Acme Air");
    let rx = ReceiverName::new("slack");
    store
        .commit_poll(PollCommit {
            source: &source,
            cursor: None,
            mentions: vec![NewMention {
                post: &p,
                mention: &m,
                deliveries: vec![Delivery::to(rx.clone())],
                open_queue_item: true,
                history: None,
            }],
            now: now(),
        })
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    let rows = store.claim_due(&rx, now(), 10, lease).await.unwrap();
    assert_eq!(rows.len(), 1);
    let crate::sinks::Notification::Mention(payload) = serde_json::from_str(&rows[0].payload).unwrap() else {
        panic!("a mention alert")
    };
    assert_eq!(payload.post, p);
    assert!(payload.queue_item.is_some());
    // Leased: a second worker sees nothing until the lease lapses.
    assert!(store.claim_due(&rx, now(), 10, lease).await.unwrap().is_empty());
    let later = now() + chrono::Duration::seconds(61);
    let again = store.claim_due(&rx, later, 10, lease).await.unwrap();
    assert_eq!(again.len(), 1, "a lapsed lease makes the row claimable again");

    store.retry_later(again[0].id, later + chrono::Duration::seconds(5), "429").await.unwrap();
    assert!(store.claim_due(&rx, later, 10, lease).await.unwrap().is_empty(), "not due yet");
    let due = store.claim_due(&rx, later + chrono::Duration::seconds(5), 10, lease).await.unwrap();
    assert_eq!(due[0].attempts, 1);
    store.mark_sent(due[0].id, later).await.unwrap();
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.outbox_pending, counts.outbox_sent), (0, 1));
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_the_password_hidden() {
    let err = Store::open("mysql://u:hunter2@localhost/x").await.unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

async fn system_alerts_are_enqueued_without_a_mention(store: Store) {
    use crate::sinks::{Notification, SourceHealthAlert};
    let n = Notification::SourceHealth(SourceHealthAlert {
        source: SourceName::new("hn"),
        platform: Platform::Hackernews,
        recovered: false,
        last_success: None,
        failing_since: now(),
        consecutive_failures: 3,
        last_error: "503".into(),
    });
    let receivers = [ReceiverName::new("a"), ReceiverName::new("b")];
    assert_eq!(store.enqueue(&receivers, &n, now()).await.unwrap(), 2);
    let rows = store.claim_due(&receivers[1], now(), 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].mention_id, None);
    assert_eq!(serde_json::from_str::<Notification>(&rows[0].payload).unwrap(), n);
}

async fn queue_moves_are_audited_and_invalid_moves_change_nothing(store: Store) {
    use crate::queue::{Move, QueueState, Via};
    let source = SourceName::new("hn");
    let (p1, p2) = (post("1"), post("2"));
    let (m, mut low) = (mention("Acme Air"), mention("Globex"));
    low.score.level = Urgency::Normal;
    store
        .commit_poll(PollCommit {
            source: &source,
            cursor: None,
            mentions: vec![
                NewMention { post: &p1, mention: &m, deliveries: vec![], open_queue_item: true, history: None },
                NewMention { post: &p2, mention: &low, deliveries: vec![], open_queue_item: true, history: None },
            ],
            now: now(),
        })
        .await
        .unwrap();
    let all = store.queue_list(&QueueFilter { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 2);
    let high = store
        .queue_list(&QueueFilter { min_level: Some(Urgency::High), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(high.len(), 1);
    let id = high[0].id;
    let change = |mv, actor| Change { mv: Some(mv), assign: None, note: None, actor, via: Via::Api };

    let item = store.queue_change(id, &change(Move::Ack, "dana"), now()).await.unwrap();
    assert_eq!(item.state, QueueState::Acknowledged);
    let err = store.queue_change(id, &change(Move::Ack, "eve"), now()).await.unwrap_err();
    assert!(matches!(err, QueueError::Invalid(_)), "{err}");
    let assign = Change { mv: None, assign: Some(Some("dana")), note: Some("on it"), actor: "lead", via: Via::Cli };
    store.queue_change(id, &assign, now()).await.unwrap();
    store.queue_change(id, &change(Move::Resolve, "dana"), now()).await.unwrap();
    assert!(matches!(
        store.queue_change(QueueItemId(999), &change(Move::Ack, "x"), now()).await,
        Err(QueueError::NotFound(_))
    ));

    let (item, events) = store.queue_item(id).await.unwrap().unwrap();
    assert_eq!((item.state, item.assignee.as_deref()), (QueueState::Resolved, Some("dana")));
    let trail: Vec<_> = events.iter().map(|e| (e.to.as_str(), e.actor.as_str(), e.via.as_str())).collect();
    assert_eq!(
        trail,
        [
            ("open", "earshot", "pipeline"),
            ("acknowledged", "dana", "api"),
            ("acknowledged", "lead", "cli"),
            ("resolved", "dana", "api")
        ]
    );
    assert_eq!(events[2].note.as_deref(), Some("assigned to dana: on it"));
    let mine = store
        .queue_list(&QueueFilter {
            assignee: Some("dana".into()),
            state: Some(QueueState::Resolved),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
}

mod batch;
mod board;
mod concurrent_open;
mod group_commit;
mod history;
mod leases;
mod raw_commit;
mod routing;
mod sla;
mod spikes;
