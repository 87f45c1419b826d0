//! `commit_poll` with large batches, on both backends: every row stored
//! once, duplicates (inside the batch and from an earlier poll) counted,
//! each new mention's outbox row and queue item tied to it.

use super::*;

both_backends!(
    a_batch_larger_than_one_insert_is_stored_whole,
    quiet_and_named_mentions_are_counted_alike,
    every_alert_and_queue_item_names_its_own_mention,
);

/// Mentions nothing refers to are inserted without RETURNING and only
/// counted; both kinds report new and duplicate rows the same way, and
/// the gauges and running count see them.
async fn quiet_and_named_mentions_are_counted_alike(store: Store) {
    let source = SourceName::new("hn");
    let m = mention("Acme Air");
    let posts: Vec<Post> = (0..20).map(|i| post(&format!("p{i}"))).collect();
    let quiet = |p| NewMention { post: p, mention: &m, deliveries: vec![], open_queue_item: false, history: None };
    let named = |p| NewMention {
        post: p,
        mention: &m,
        deliveries: vec![Delivery::to(ReceiverName::new("slack"))],
        open_queue_item: true,
        history: None,
    };
    let commit = |mentions| PollCommit { source: &source, cursor: None, mentions, now: now() };
    let first = store.commit_poll(commit(vec![quiet(&posts[0]), named(&posts[10])])).await.unwrap();
    assert_eq!((first.inserted, first.duplicates, first.outbox_rows), (2, 0, 1));
    let (_, after_first) = store.mentions_after(crate::domain::MentionId(0)).await.unwrap();

    // Both earlier posts again, posts 1-9 quiet (post 1 twice), 11-15 named.
    let mut batch = vec![quiet(&posts[0]), named(&posts[10]), quiet(&posts[1])];
    batch.extend(posts[1..10].iter().map(quiet));
    batch.extend(posts[11..16].iter().map(named));
    let report = store.commit_poll(commit(batch)).await.unwrap();
    let routed = RoutedReport { pending: 5, ..Default::default() };
    assert_eq!(report, CommitReport { inserted: 14, duplicates: 3, outbox_rows: 5, queue_items: 5, routed });

    assert_eq!(store.counts().await.unwrap().mentions, 16);
    let gauges = store.gauges().await.unwrap();
    assert_eq!((gauges.outbox_pending, gauges.queue_open, gauges.queue_oldest_open), (6, 6, Some(now())));
    let (new, last) = store.mentions_after(after_first).await.unwrap();
    assert_eq!(new, 14, "counted from the first commit's last mention on");
    assert_eq!(store.mentions_after(last).await.unwrap(), (0, last));
}

async fn a_batch_larger_than_one_insert_is_stored_whole(store: Store) {
    let source = SourceName::new("hn");
    let receivers = [ReceiverName::new("slack"), ReceiverName::new("lead")];
    let earlier = post("0");
    let m = mention("Acme Air");
    let to = || receivers.iter().cloned().map(Delivery::to).collect::<Vec<_>>();
    let first =
        vec![NewMention { post: &earlier, mention: &m, deliveries: to(), open_queue_item: true, history: None }];
    store.commit_poll(PollCommit { source: &source, cursor: None, mentions: first, now: now() }).await.unwrap();

    // 300 new posts, the earlier one again, and one twice.
    let posts: Vec<Post> = (0..=300).map(|i| post(&i.to_string())).collect();
    let mut mentions: Vec<NewMention<'_>> = posts
        .iter()
        .enumerate()
        .map(|(i, p)| NewMention { post: p, mention: &m, deliveries: to(), open_queue_item: i % 2 == 0, history: None })
        .collect();
    mentions.push(NewMention { post: &posts[7], mention: &m, deliveries: to(), open_queue_item: true, history: None });
    let cursor = Cursor("next".into());
    let report = store.commit_poll(PollCommit { source: &source, cursor: Some(&cursor), mentions, now: now() }).await;
    let report = report.unwrap();
    // Posts 1..=300 are new; post 0 and the second post 7 are duplicates.
    let routed = RoutedReport { pending: 600, ..Default::default() };
    assert_eq!(report, CommitReport { inserted: 300, duplicates: 2, outbox_rows: 600, queue_items: 150, routed });
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.mentions, counts.outbox_pending, counts.queue_open), (301, 602, 151));
    assert_eq!(store.cursor(&source).await.unwrap(), Some(cursor));

    // Each alert names its own mention and, when one was opened, its item.
    let rows = store.claim_due(&receivers[0], now(), 1_000, Duration::from_secs(60)).await.unwrap();
    assert_eq!(rows.len(), 301);
    let mut with_item = 0;
    for row in &rows {
        let crate::sinks::Notification::Mention(alert) = serde_json::from_str(&row.payload).unwrap() else {
            panic!("a mention alert");
        };
        assert_eq!(Some(alert.mention_id), row.mention_id);
        with_item += usize::from(alert.queue_item.is_some());
    }
    assert_eq!(with_item, 151);
}

/// The ids later rows name are the ids of their own mention's row, with
/// duplicates among them (SQLite takes each new row's id from the last
/// rowid, PostgreSQL has them RETURNED), for posts named under two brands
/// too.
pub(super) async fn every_alert_and_queue_item_names_its_own_mention(store: Store) {
    let source = SourceName::new("hn");
    let (acme, globex) = (mention("Acme Air"), mention("Globex"));
    let posts: Vec<Post> = (0..44).map(|i| post(&format!("p{i}"))).collect();
    let slack = ReceiverName::new("slack");
    let new = |p, m, named: bool| NewMention {
        post: p,
        mention: m,
        deliveries: if named { vec![Delivery::to(slack.clone())] } else { vec![] },
        open_queue_item: named,
        history: None,
    };
    let commit = |mentions| PollCommit { source: &source, cursor: None, mentions, now: now() };
    store.commit_poll(commit(vec![new(&posts[5], &acme, true)])).await.unwrap();

    // 44 posts for Acme Air (every third one quiet), p3 and p40 for Globex
    // too, p5 stored before and p8 twice.
    let mut batch: Vec<NewMention<'_>> = posts.iter().enumerate().map(|(i, p)| new(p, &acme, i % 3 != 0)).collect();
    batch.insert(4, new(&posts[3], &globex, true));
    batch.insert(9, new(&posts[8], &acme, true));
    batch.push(new(&posts[40], &globex, false));
    let report = store.commit_poll(commit(batch)).await.unwrap();
    assert_eq!((report.inserted, report.duplicates, report.outbox_rows), (45, 2, 29), "{report:?}");

    let rows = store.claim_due(&slack, now(), 1_000, Duration::from_secs(60)).await.unwrap();
    assert_eq!(rows.len() as u64, 1 + report.outbox_rows);
    assert_eq!(report.queue_items, report.outbox_rows);
    for row in &rows {
        let crate::sinks::Notification::Mention(alert) = serde_json::from_str(&row.payload).unwrap() else {
            panic!("a mention alert");
        };
        let stored = store.mention_author(alert.mention_id).await.unwrap().expect("the alert's mention is stored");
        assert_eq!(
            (stored.external_id.as_str(), stored.brand.as_str()),
            (alert.post.external_id.as_str(), alert.mention.brand.as_str()),
            "alert {:?} names another post's mention",
            row.id
        );
        assert_eq!(row.mention_id, Some(alert.mention_id));
        let Some(item) = alert.queue_item else { continue };
        let (item, _) = store.queue_item(item).await.unwrap().expect("the alert's queue item is stored");
        assert_eq!((item.mention_id, item.brand.as_str()), (alert.mention_id, alert.mention.brand.as_str()));
    }
}
