//! Spike detection's queries (`spike_repo.rs`) and inhibited outbox rows,
//! on both backends.

use super::*;
use crate::routing::spike::Series;
use crate::routing::{Delivery, DeliveryState};
use crate::sinks::{Notification, SpikeAlert};

both_backends!(
    negative_mentions_are_counted_by_store_time_and_examples_ranked,
    spike_state_commits_with_its_alerts,
    inhibited_rows_are_stored_not_sent
);

async fn store_at(store: &Store, id: &str, m: &Mention, stored: DateTime<Utc>, posted: DateTime<Utc>) {
    let p = Post { created_at: posted, ..post(id) };
    let source = SourceName::new("hn");
    let mentions = vec![NewMention { post: &p, mention: m, deliveries: vec![], open_queue_item: false, history: None }];
    store.commit_poll(PollCommit { source: &source, cursor: None, mentions, now: stored }).await.unwrap();
}

async fn negative_mentions_are_counted_by_store_time_and_examples_ranked(store: Store) {
    let t = now();
    let min = chrono::Duration::minutes;
    let mut refunds = mention("Acme Air");
    refunds.score.topics = vec!["refunds".into()];
    refunds.score.urgency = 0.9;
    let mut happy = mention("Acme Air");
    happy.score.label = Label::Positive;
    store_at(&store, "1", &refunds, t, t - min(2)).await;
    store_at(&store, "2", &mention("Acme Air"), t + min(1), t).await;
    store_at(&store, "3", &happy, t + min(1), t).await; // not negative
    store_at(&store, "4", &mention("Acme Air"), t + min(2), t - min(120)).await; // a backfill
    store_at(&store, "5", &mention("Acme Air"), t + min(5), t + min(5)).await; // next interval

    let got = store.negative_mentions(t, t + min(5)).await.unwrap();
    let mut ids: Vec<_> = got.iter().map(|n| (n.stored_at - t).num_minutes()).collect();
    ids.sort();
    assert_eq!(ids, [0, 1]);
    assert!(got.iter().any(|n| n.topics == ["refunds"]));

    let ex = store.spike_examples(&BrandName::new("Acme Air"), None, t, 5).await.unwrap();
    assert_eq!(ex.len(), 4, "every negative mention since t, backfills included");
    assert_eq!(ex[0].urgency, 0.9, "most urgent first");
    let ex = store.spike_examples(&BrandName::new("Acme Air"), Some("refunds"), t, 5).await.unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!((ex[0].level, ex[0].platform), (Urgency::High, Platform::Hackernews));
}

async fn spike_state_commits_with_its_alerts(store: Store) {
    assert_eq!(store.spike_series().await.unwrap(), (None, vec![]));
    let firing = Series { baseline: 3.5, intervals: 300, firing_since: Some(now()), quiet: 1, last_count: 40 };
    let rows = vec![
        SeriesRow { brand: BrandName::new("Acme Air"), topic: None, series: firing.clone() },
        SeriesRow { brand: BrandName::new("Acme Air"), topic: Some("refunds".into()), series: Series::default() },
        SeriesRow { brand: BrandName::new("Globex"), topic: None, series: Series::default() },
    ];
    let alert = Notification::Spike(SpikeAlert {
        brand: BrandName::new("Acme Air"),
        topic: None,
        resolved: false,
        count: 40,
        baseline: 3.5,
        ratio: 11.4,
        interval_secs: 300,
        since: now(),
        ended: None,
        examples: vec![],
    });
    let rx = vec![Delivery::to(ReceiverName::new("a")), Delivery::to(ReceiverName::new("b"))];
    let written = store.commit_spikes(None, now(), &rows, &[(rx.clone(), alert.clone())], now()).await.unwrap();
    assert_eq!(written.map(|r| r.pending), Some(2));
    // A second tick that read the same progress lost the race: nothing saved.
    let lost = store.commit_spikes(None, now(), &rows, &[(rx, alert)], now()).await.unwrap();
    assert_eq!(lost, None);
    let (counted, mut got) = store.spike_series().await.unwrap();
    got.sort_by(|a, b| (&a.brand, &a.topic).cmp(&(&b.brand, &b.topic)));
    assert_eq!((counted, got), (Some(now()), rows.clone()));
    assert_eq!(store.firing_spike_brands().await.unwrap(), [BrandName::new("Acme Air")]);

    // Saving again updates in place.
    let later = now() + chrono::Duration::minutes(5);
    let calm = vec![SeriesRow { brand: BrandName::new("Acme Air"), topic: None, series: Series::default() }];
    assert_eq!(store.commit_spikes(Some(later), later, &calm, &[], later).await.unwrap(), None, "stale progress");
    assert_eq!(store.commit_spikes(Some(now()), later, &calm, &[], later).await.unwrap(), Some(Default::default()));
    assert!(store.firing_spike_brands().await.unwrap().is_empty());
    assert_eq!(store.spike_series().await.unwrap().0, Some(later));
    let claimed = store.claim_due(&ReceiverName::new("a"), later, 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(claimed[0].mention_id.is_none() && claimed[0].payload.contains("\"kind\":\"spike\""));
}

async fn inhibited_rows_are_stored_not_sent(store: Store) {
    let source = SourceName::new("hn");
    let (p1, p2) = (post("1"), post("2"));
    let m = mention("Acme Air");
    let rx = ReceiverName::new("slack");
    let mut held = Delivery::to(rx.clone());
    held.state = DeliveryState::Inhibited;
    let report = store
        .commit_poll(PollCommit {
            source: &source,
            cursor: None,
            mentions: vec![
                NewMention { post: &p1, mention: &m, deliveries: vec![held], open_queue_item: false, history: None },
                NewMention {
                    post: &p2,
                    mention: &m,
                    deliveries: vec![Delivery::to(rx.clone())],
                    open_queue_item: false,
                    history: None,
                },
            ],
            now: now(),
        })
        .await
        .unwrap();
    assert_eq!((report.outbox_rows, report.routed.inhibited, report.routed.pending), (2, 1, 1));
    let claimed = store.claim_due(&rx, now(), 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(claimed.len(), 1, "the inhibited row is never claimed");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.outbox_pending, counts.outbox_inhibited), (1, 1));
}
