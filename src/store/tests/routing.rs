//! Routed outbox rows (`routing_repo.rs`) on both backends: silenced and
//! held rows, groups folded into one digest row on schedule, silences
//! created, listed and expired.

use super::*;
use crate::routing::{DeliveryState, Group};
use crate::sinks::Notification;

both_backends!(
    silenced_and_held_rows_are_recorded_not_sent,
    groups_fold_into_one_digest_on_schedule,
    silences_are_created_listed_and_expired
);

fn group(key: &str) -> Group {
    Group {
        key: key.into(),
        wait: Duration::from_secs(30),
        interval: Duration::from_secs(300),
        repeat: Duration::from_secs(3600),
    }
}

fn delivery(state: DeliveryState, grouped: bool) -> Delivery {
    Delivery {
        receiver: ReceiverName::new("slack"),
        route: "routes[0]".into(),
        group: grouped.then(|| group("routes[0]{brand=\"Acme Air\"}")),
        state,
    }
}

async fn commit(store: &Store, id: &str, d: Delivery, at: DateTime<Utc>) -> CommitReport {
    let (source, p, m) = (SourceName::new("hn"), post(id), mention("Acme Air"));
    let mentions =
        vec![NewMention { post: &p, mention: &m, deliveries: vec![d], open_queue_item: false, history: None }];
    store.commit_poll(PollCommit { source: &source, cursor: None, mentions, now: at }).await.unwrap()
}

async fn claim(store: &Store, at: DateTime<Utc>) -> Vec<OutboxRow> {
    store.claim_due(&ReceiverName::new("slack"), at, 100, Duration::from_secs(60)).await.unwrap()
}

async fn silenced_and_held_rows_are_recorded_not_sent(store: Store) {
    let r = commit(&store, "1", delivery(DeliveryState::Silenced(crate::routing::SilenceId(3)), false), now()).await;
    assert_eq!((r.outbox_rows, r.routed.silenced), (1, 1));
    let morning = now() + chrono::Duration::hours(8);
    let r = commit(&store, "2", delivery(DeliveryState::Quiet { until: morning }, false), now()).await;
    assert_eq!(r.routed.held, 1);
    assert!(claim(&store, now()).await.is_empty(), "silenced is never due, held not yet");
    assert_eq!(store.outbox_in_state("silenced").await.unwrap(), 1);
    let rows = claim(&store, morning).await;
    assert_eq!(rows.len(), 1, "the held row is due when the quiet hours end");
}

async fn groups_fold_into_one_digest_on_schedule(store: Store) {
    let rx = ReceiverName::new("slack");
    for i in 0..5 {
        let r = commit(&store, &i.to_string(), delivery(DeliveryState::Deliver, true), now()).await;
        assert_eq!(r.routed.grouped, 1);
    }
    assert!(claim(&store, now()).await.is_empty(), "grouped rows are not claimed themselves");
    let early = store.flush_groups(&rx, now() + chrono::Duration::seconds(29)).await.unwrap();
    assert_eq!(early, FlushReport::default(), "group_wait not over");

    let t1 = now() + chrono::Duration::seconds(30);
    let flushed = store.flush_groups(&rx, t1).await.unwrap();
    assert_eq!((flushed.digests, flushed.folded), (1, 5));
    let rows = claim(&store, t1).await;
    assert_eq!(rows.len(), 1);
    let Notification::Digest(d) = serde_json::from_str(&rows[0].payload).unwrap() else { panic!("a digest") };
    assert_eq!((d.count, d.examples.len()), (5, 5));
    store.mark_sent(rows[0].id, t1).await.unwrap();
    assert_eq!(store.outbox_in_state("digested").await.unwrap(), 5);

    // One more within group_interval waits for it; alone, it goes as itself.
    let t2 = t1 + chrono::Duration::seconds(10);
    commit(&store, "late", delivery(DeliveryState::Deliver, true), t2).await;
    assert_eq!(store.flush_groups(&rx, t2 + chrono::Duration::seconds(60)).await.unwrap(), FlushReport::default());
    let t3 = t1 + chrono::Duration::seconds(300);
    let flushed = store.flush_groups(&rx, t3).await.unwrap();
    assert_eq!((flushed.digests, flushed.singles), (0, 1));
    let rows = claim(&store, t3).await;
    assert!(matches!(serde_json::from_str(&rows[0].payload).unwrap(), Notification::Mention(_)));
}

async fn silences_are_created_listed_and_expired(store: Store) {
    let matchers = [crate::routing::Matcher::parse("brand = \"Acme Air\"").unwrap()];
    let s = store
        .create_silence(
            &NewSilence {
                matchers: &matchers,
                starts_at: now(),
                ends_at: now() + chrono::Duration::hours(2),
                created_by: "ops",
                comment: "known outage",
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(store.silences(now(), false).await.unwrap(), std::slice::from_ref(&s));
    let expired = store.expire_silence(s.id, now() + chrono::Duration::minutes(5)).await.unwrap().unwrap();
    assert_eq!(expired.ends_at, now() + chrono::Duration::minutes(5));
    assert!(store.silences(now() + chrono::Duration::minutes(6), false).await.unwrap().is_empty());
    assert_eq!(store.silences(now() + chrono::Duration::minutes(6), true).await.unwrap().len(), 1);
    assert!(store.expire_silence(crate::routing::SilenceId(999), now()).await.unwrap().is_none());
}

/// The outbox's reads search the partial index of the state they ask for
/// (pending or grouped), so sent and digested rows, which only grow, are
/// in no index they read. SQLite's plans (it keeps no statistics here, so
/// they are fixed).
#[tokio::test]
async fn outbox_reads_search_the_index_of_the_waiting_rows() {
    let (_db, store) = sqlite().await;
    let reads = [
        (repo::CLAIM_DUE_SQL, 5, "SEARCH outbox USING INDEX outbox_pending (receiver=? AND due_at<?)"),
        (repo::GAUGES_SQL, 0, "SCAN outbox USING COVERING INDEX outbox_pending"),
        (routing_repo::GROUPED_DUE_SQL, 3, "SEARCH outbox USING INDEX outbox_grouped (receiver=? AND group_key=?)"),
        (routing_repo::GROUPED_DIGESTED_SQL, 5, "SEARCH outbox USING INDEX outbox_grouped (receiver=? AND group_key=?"),
        (
            routing_repo::GROUPED_NEXT_DUE_SQL,
            2,
            "SEARCH outbox USING INDEX outbox_grouped (receiver=? AND group_key=?)",
        ),
    ];
    for (sql, params, step) in reads {
        let plan = sqlite_plan(&store, sql, params).await;
        assert!(plan.iter().any(|p| p.starts_with(step)), "{step}: {plan:?}");
        assert!(!plan.iter().any(|p| p == "SCAN outbox"), "a scan of the outbox: {plan:?}");
    }
}
