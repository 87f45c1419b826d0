//! The web board's queries (`board_repo.rs`) on both backends.

use super::*;
use crate::queue::{Move, QueueState, Via};

both_backends!(board_lists_unresolved_items_by_urgency_then_age, trends_count_volume_and_complaint_topics);

/// Stores `p` as a mention of Acme Air at `level` with `topics`, opening a
/// queue item at `at`; returns the item.
async fn store_item(
    store: &Store,
    p: &Post,
    level: Urgency,
    label: Label,
    topics: &[&str],
    at: DateTime<Utc>,
) -> QueueItemId {
    let mut m = mention("Acme Air");
    m.score.level = level;
    m.score.label = label;
    m.score.topics = topics.iter().map(|t| t.to_string()).collect();
    let source = SourceName::new("hn");
    let mentions = vec![NewMention { post: p, mention: &m, deliveries: vec![], open_queue_item: true, history: None }];
    store.commit_poll(PollCommit { source: &source, cursor: None, mentions, now: at }).await.unwrap();
    let items = store.queue_list(&QueueFilter { limit: 1, ..Default::default() }).await.unwrap();
    items[0].id
}

async fn make(store: &Store, id: QueueItemId, mv: Move, at: DateTime<Utc>) {
    let change = Change { mv: Some(mv), assign: None, note: None, actor: "sam", via: Via::Web };
    store.queue_change(id, &change, at).await.unwrap();
}

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

async fn board_lists_unresolved_items_by_urgency_then_age(store: Store) {
    let t = now();
    let high = store_item(&store, &post("1"), Urgency::High, Label::Negative, &[], t).await;
    let critical = store_item(&store, &post("2"), Urgency::Critical, Label::Negative, &[], t + minutes(1)).await;
    let older_high = store_item(&store, &post("3"), Urgency::High, Label::Negative, &[], t - minutes(1)).await;
    let resolved = store_item(&store, &post("4"), Urgency::Critical, Label::Negative, &[], t - minutes(5)).await;
    let low = store_item(&store, &post("5"), Urgency::Low, Label::Neutral, &[], t - minutes(9)).await;
    make(&store, resolved, Move::Resolve, t).await;
    make(&store, high, Move::Ack, t).await;

    let items = store.board_items(BoardScope::UNRESOLVED, 10).await.unwrap();
    let ids: Vec<QueueItemId> = items.iter().map(|i| i.queue.id).collect();
    assert_eq!(ids, [critical, older_high, high, low], "by urgency, then oldest first; resolved left out");
    let first = &items[2];
    assert_eq!(
        (first.queue.state, first.queue.level, first.queue.brand.as_str()),
        (QueueState::Acknowledged, Urgency::High, "Acme Air")
    );
    assert_eq!(
        (first.platform.as_str(), first.author.as_str(), first.text.as_str()),
        ("hackernews", "dana", "Acme Air lost my bag")
    );
    assert_eq!(
        (first.url.as_str(), first.posted_at, first.queue.opened_at),
        ("https://news.ycombinator.com/item?id=1", post("1").created_at, t)
    );
    assert_eq!(
        (first.topics.as_slice(), first.reasons.as_slice()),
        (&[] as &[String], &["sentiment: negative".to_string()][..])
    );
    assert_eq!(store.board_items(BoardScope::UNRESOLVED, 2).await.unwrap().len(), 2, "limited");
    let of = |brand: &str| BoardScope::Unresolved { brand: Some(brand.to_string()) };
    assert_eq!(store.board_items(of("Acme Air"), 10).await.unwrap().len(), 4);
    assert!(store.board_items(of("Globex"), 10).await.unwrap().is_empty(), "one brand's items only");

    let one = store.board_items(BoardScope::Item(resolved), 10).await.unwrap();
    assert_eq!((one.len(), one[0].queue.state), (1, QueueState::Resolved), "one item whatever its state");
    assert!(store.board_items(BoardScope::Item(QueueItemId(9999)), 10).await.unwrap().is_empty());
}

async fn trends_count_volume_and_complaint_topics(store: Store) {
    let day = chrono::Duration::days(1);
    let at = |id: &str, when: DateTime<Utc>| Post { created_at: when, ..post(id) };
    let d0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let t = now();
    // Day 0: two negative (delays twice, refund once), one positive. Day 1: one negative.
    store_item(&store, &at("1", d0 + minutes(60)), Urgency::Critical, Label::Negative, &["delay", "refund"], t).await;
    store_item(&store, &at("2", d0 + minutes(600)), Urgency::Critical, Label::Negative, &["delay"], t).await;
    store_item(&store, &at("3", d0 + minutes(700)), Urgency::Low, Label::Positive, &["delay", "staff"], t).await;
    store_item(&store, &at("4", d0 + day + minutes(5)), Urgency::High, Label::Negative, &["baggage"], t).await;
    // Posted before the window: not counted.
    store_item(&store, &at("5", d0 - minutes(1)), Urgency::High, Label::Negative, &["delay"], t - day * 30).await;

    let volume = store.mention_volume(d0, d0 + day * 7, Duration::from_secs(86400)).await.unwrap();
    let got: Vec<(String, DateTime<Utc>, u64, u64)> =
        volume.iter().map(|v| (v.brand.clone(), v.start, v.mentions, v.negative)).collect();
    assert_eq!(got, [("Acme Air".to_string(), d0, 3, 2), ("Acme Air".to_string(), d0 + day, 1, 1)]);
    let hourly = store.mention_volume(d0, d0 + day, Duration::from_secs(3600)).await.unwrap();
    assert_eq!(
        hourly.iter().map(|v| v.start).collect::<Vec<_>>(),
        [d0 + minutes(60), d0 + minutes(600), d0 + minutes(660)]
    );

    let topics = store.complaint_topics(d0, 10).await.unwrap();
    let got: Vec<(&str, u64)> = topics.iter().map(|t| (t.topic.as_str(), t.mentions)).collect();
    assert_eq!(got, [("delay", 2), ("baggage", 1), ("refund", 1)], "negative mentions only, most frequent first");
    assert_eq!(store.complaint_topics(d0, 1).await.unwrap().len(), 1);
}

/// The board's time-range reads and a spike's examples search a range of
/// an index on time; none scans the mentions, which only grow. SQLite's
/// plans (it keeps no statistics here, so they are fixed).
#[tokio::test]
async fn time_range_reads_search_an_index_on_time() {
    let (_db, store) = sqlite().await;
    let reads = [
        (board_repo::MENTION_VOLUME, 3, "mentions_posted"),
        (board_repo::COMPLAINT_TOPICS, 2, "mentions_posted"),
        (spike_repo::SPIKE_EXAMPLES, 2, "mentions_stored"),
    ];
    for (sql, params, index) in reads {
        let plan = sqlite_plan(&store, sql, params).await;
        assert!(plan.iter().any(|step| step.starts_with("SEARCH") && step.contains(index)), "{index}: {plan:?}");
        assert!(!plan.iter().any(|step| step.starts_with("SCAN m")), "a scan of the mentions: {plan:?}");
    }
}
