//! The queue clock's queries (`sla_repo.rs`) on both backends: breaches
//! recorded once per SLA cycle, follow-up reminders once per resolve, the
//! SLA figures and the queue depth.

use super::*;
use crate::config::QueueSettings;
use crate::queue::sla::{Cutoffs, SlaKind};
use crate::queue::{Move, QueueState, Via};
use crate::sinks::Notification;

both_backends!(
    a_breach_is_recorded_and_alerted_once_per_cycle,
    an_acknowledged_item_breaches_only_its_resolve_sla,
    follow_up_reminders_are_due_once_per_resolve,
    sla_figures_give_percentiles_and_breaches_per_level,
);

const MIN: i64 = 60_000;

fn at(minutes: i64) -> DateTime<Utc> {
    now() + chrono::Duration::milliseconds(minutes * MIN)
}

/// Stores one mention of `level` opening a queue item at `now()`.
async fn open_item(store: &Store, id: &str, level: Urgency) -> QueueItemRow {
    let p = post(id);
    let mut m = mention("Acme Air");
    m.score.level = level;
    let source = SourceName::new("hn");
    let mentions = vec![NewMention { post: &p, mention: &m, deliveries: vec![], open_queue_item: true, history: None }];
    store.commit_poll(PollCommit { source: &source, cursor: None, mentions, now: now() }).await.unwrap();
    let items = store.queue_list(&QueueFilter { limit: 1, ..Default::default() }).await.unwrap();
    items.into_iter().next().unwrap()
}

async fn mv(store: &Store, item: &QueueItemRow, m: Move, when: DateTime<Utc>) -> QueueItemRow {
    let change = Change { mv: Some(m), assign: None, note: None, actor: "dana", via: Via::Api };
    store.queue_change(item.id, &change, when).await.unwrap()
}

fn alert() -> Notification {
    Notification::SourceHealth(crate::sinks::SourceHealthAlert {
        source: SourceName::new("hn"),
        platform: Platform::Hackernews,
        recovered: false,
        last_success: None,
        failing_since: now(),
        consecutive_failures: 1,
        last_error: "stand-in payload".into(),
    })
}

async fn due(store: &Store, kind: SlaKind, when: DateTime<Utc>) -> Vec<DueItem> {
    store.sla_due(&Cutoffs::at(&QueueSettings::default(), kind, when), 10).await.unwrap()
}

async fn escalate(store: &Store, d: &DueItem, kind: SlaKind, when: DateTime<Utc>) -> bool {
    let esc = Escalation::Breach { kind, cycle_start: d.item.sla_since, deadline: when };
    let to_leads = [crate::routing::Delivery::to(ReceiverName::new("leads"))];
    store.queue_escalate(&d.item, &esc, &to_leads, &alert(), when).await.unwrap().is_some()
}

async fn a_breach_is_recorded_and_alerted_once_per_cycle(store: Store) {
    // High: acknowledge within 1h by default.
    let item = open_item(&store, "1", Urgency::High).await;
    assert_eq!(item.sla_since, now());
    assert!(due(&store, SlaKind::Ack, at(59)).await.is_empty(), "not late yet");
    let late = due(&store, SlaKind::Ack, at(60)).await;
    assert_eq!(late.len(), 1);
    assert_eq!((late[0].author.as_str(), late[0].platform.as_str()), ("dana", "hackernews"));
    assert!(late[0].text.contains("lost my bag"));

    assert!(escalate(&store, &late[0], SlaKind::Ack, at(60)).await, "first record");
    assert!(!escalate(&store, &late[0], SlaKind::Ack, at(61)).await, "a racing second record changes nothing");
    assert!(due(&store, SlaKind::Ack, at(90)).await.is_empty(), "escalated once, not again next tick");
    let rows = store.claim_due(&ReceiverName::new("leads"), at(61), 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(rows.len(), 1, "one alert per breach");

    let breaches = store.queue_breaches(item.id).await.unwrap();
    assert_eq!(breaches.len(), 1);
    assert_eq!((breaches[0].kind, breaches[0].since, breaches[0].at), (SlaKind::Ack, now(), at(60)));
    let (_, events) = store.queue_item(item.id).await.unwrap().unwrap();
    let last = events.last().unwrap();
    assert_eq!((last.via.as_str(), last.to.as_str()), ("timer", "open"));
    assert!(last.note.as_deref().unwrap().contains("not acknowledged"), "{last:?}");

    // Resolve, reopen: a new cycle with its own clock and its own breach.
    mv(&store, &item, Move::Resolve, at(70)).await;
    let reopened = mv(&store, &item, Move::Reopen, at(100)).await;
    assert_eq!((reopened.sla_since, reopened.acked_at, reopened.resolved_at), (at(100), None, None));
    assert!(due(&store, SlaKind::Ack, at(159)).await.is_empty());
    let again = due(&store, SlaKind::Ack, at(160)).await;
    assert_eq!(again.len(), 1);
    assert!(escalate(&store, &again[0], SlaKind::Ack, at(160)).await, "a new cycle breaches anew");
    assert_eq!(store.queue_breaches(item.id).await.unwrap().len(), 2);
}

async fn an_acknowledged_item_breaches_only_its_resolve_sla(store: Store) {
    // Critical: acknowledge within 15m, resolve within 4h by default.
    let item = open_item(&store, "1", Urgency::Critical).await;
    let acked = mv(&store, &item, Move::Ack, at(10)).await;
    assert_eq!(acked.acked_at, Some(at(10)));
    assert!(due(&store, SlaKind::Ack, at(600)).await.is_empty(), "acknowledged before its deadline");
    assert!(due(&store, SlaKind::Resolve, at(239)).await.is_empty());
    let late = due(&store, SlaKind::Resolve, at(240)).await;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].item.state, QueueState::Acknowledged);
    assert!(escalate(&store, &late[0], SlaKind::Resolve, at(240)).await);
    assert!(due(&store, SlaKind::Resolve, at(241)).await.is_empty());

    // Resolving straight from open stamps the acknowledge too.
    let other = open_item(&store, "2", Urgency::Critical).await;
    let resolved = mv(&store, &other, Move::Resolve, at(5)).await;
    assert_eq!((resolved.acked_at, resolved.resolved_at), (Some(at(5)), Some(at(5))));
    assert!(due(&store, SlaKind::Resolve, at(1000)).await.iter().all(|d| d.item.id != other.id));
}

async fn follow_up_reminders_are_due_once_per_resolve(store: Store) {
    let item = open_item(&store, "1", Urgency::High).await;
    mv(&store, &item, Move::Resolve, at(30)).await;
    assert!(store.follow_ups_due(at(29), 10).await.unwrap().is_empty(), "resolved after that");
    let due = store.follow_ups_due(at(30), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].item.resolved_at, Some(at(30)));
    let n = alert();
    let remind = |when| store.queue_escalate(&due[0].item, &Escalation::FollowUpReminder, &[], &n, when);
    assert!(remind(at(31)).await.unwrap().is_some());
    assert!(remind(at(32)).await.unwrap().is_none(), "once per resolve");
    assert!(store.follow_ups_due(at(5000), 10).await.unwrap().is_empty());
    let (row, _) = store.queue_item(item.id).await.unwrap().unwrap();
    assert_eq!(row.reminded_at, Some(at(31)));

    // Followed up: never due again. Reopened and resolved again: due again.
    mv(&store, &item, Move::FollowUp, at(40)).await;
    mv(&store, &item, Move::Reopen, at(50)).await;
    mv(&store, &item, Move::Resolve, at(60)).await;
    assert_eq!(store.follow_ups_due(at(60), 10).await.unwrap().len(), 1, "a new resolve, a new reminder");
}

async fn sla_figures_give_percentiles_and_breaches_per_level(store: Store) {
    // Five high items acknowledged after 10..50 minutes, two resolved.
    for (i, wait) in [10, 20, 30, 40, 50].into_iter().enumerate() {
        let item = open_item(&store, &format!("h{i}"), Urgency::High).await;
        mv(&store, &item, Move::Ack, at(wait)).await;
        if wait <= 20 {
            mv(&store, &item, Move::Resolve, at(wait * 10)).await;
        }
    }
    let dismissed = open_item(&store, "d", Urgency::High).await;
    mv(&store, &dismissed, Move::Dismiss, at(1)).await;
    let late = open_item(&store, "c", Urgency::Critical).await;
    let d = due(&store, SlaKind::Ack, at(15)).await;
    assert_eq!(d.len(), 1);
    assert!(escalate(&store, &d[0], SlaKind::Ack, at(15)).await);

    let figures = store.sla_figures(now() - chrono::Duration::days(7)).await.unwrap();
    let levels: Vec<Urgency> = figures.iter().map(|f| f.level).collect();
    assert_eq!(levels, Urgency::ALL);
    let high = &figures[1];
    assert_eq!((high.items, high.acknowledged, high.resolved), (5, 5, 2), "the dismissed item is left out");
    let mins = |d: Option<Duration>| d.map(|d| d.as_secs() / 60);
    assert_eq!((mins(high.ack_p50), mins(high.ack_p90)), (Some(30), Some(50)));
    assert_eq!((mins(high.resolve_p50), mins(high.resolve_p90)), (Some(100), Some(200)));
    let critical = &figures[0];
    assert_eq!((critical.items, critical.acknowledged, critical.ack_p50), (1, 0, None));
    assert_eq!((critical.ack_breaches, critical.resolve_breaches), (1, 0));
    assert_eq!(figures[3].items, 0);
    assert!(store.sla_figures(at(1)).await.unwrap().iter().all(|f| f.items == 0), "only clocks started since");

    let depth = store.queue_depth().await.unwrap();
    let count = |s| depth.by_state.iter().find(|(st, _)| *st == s).map_or(0, |(_, n)| *n);
    assert_eq!((count(QueueState::Open), count(QueueState::Acknowledged), count(QueueState::Resolved)), (1, 3, 2));
    assert_eq!(depth.oldest_open, Some(late.sla_since));
}

/// The follow-up reminders search the index of the items owed one, which
/// new (open) items are not entered in. SQLite's plan.
#[tokio::test]
async fn follow_ups_search_the_index_of_the_items_owed_a_reminder() {
    let (_db, store) = sqlite().await;
    let plan = sqlite_plan(&store, sla_repo::FOLLOW_UPS_DUE_SQL, 2).await;
    let step = "SEARCH q USING INDEX queue_items_follow_up (state=? AND resolved_at<?)";
    assert!(plan.iter().any(|p| p.starts_with(step)), "{plan:?}");
}
