//! Prior reads and re-reads (`history_repo.rs`) on both backends.

use super::*;

both_backends!(
    prior_reads_give_engagement_and_the_authors_complaints,
    customer_records_sum_up_an_author_and_leave_out_the_batch,
    customer_records_count_open_items_and_list_resolved_ones,
    rereads_refresh_and_alert_once,
    the_tally_agrees_with_counting_every_post
);

/// The start of a history window that holds every test post.
fn long_ago() -> DateTime<Utc> {
    now() - chrono::Duration::days(90)
}

async fn store_one(store: &Store, p: &Post, m: &Mention, at: DateTime<Utc>) {
    let source = SourceName::new("hn");
    let mentions = vec![NewMention { post: p, mention: m, deliveries: vec![], open_queue_item: false, history: None }];
    store.commit_poll(PollCommit { source: &source, cursor: None, mentions, now: at }).await.unwrap();
}

async fn prior_reads_give_engagement_and_the_authors_complaints(store: Store) {
    let (first, second, unrelated) = (post("1"), post("2"), post("3"));
    store_one(&store, &first, &mention("Acme Air"), now()).await;
    store_one(&store, &first, &mention("Globex"), now()).await;
    store_one(&store, &second, &mention("Acme Air"), now()).await;
    let other_author = Post { author: Author { handle: "eve".into(), ..unrelated.author.clone() }, ..unrelated };
    store_one(&store, &other_author, &mention("Acme Air"), now()).await;

    let later = now() + chrono::Duration::minutes(30);
    let fresh = post("9");
    let batch = [&first, &fresh];
    let prior =
        store.prior_reads(Platform::Hackernews, &batch, now() - chrono::Duration::days(7), long_ago()).await.unwrap();
    let stored = prior.stored(&first, &BrandName::new("Globex")).expect("stored for both brands");
    assert_eq!((stored.interactions, stored.level), (4, Urgency::High));
    assert!(prior.stored(&fresh, &BrandName::new("Acme Air")).is_none());

    let h = prior.history(&first, later);
    assert_eq!((h.previous_engagement, h.minutes_since_previous), (Some(4), Some(30.0)));
    // dana's other negative post counts once (two brands), this one not at all.
    assert_eq!(h.author_recent_complaints, 1);
    assert_eq!(prior.history(&fresh, later).author_recent_complaints, 2);
    assert_eq!(prior.history(&fresh, later).previous_engagement, None);

    // Complaints older than the window, and other platforms, do not count.
    let old =
        store.prior_reads(Platform::Hackernews, &batch, now() + chrono::Duration::hours(1), long_ago()).await.unwrap();
    assert_eq!(old.history(&fresh, later).author_recent_complaints, 0);
    let elsewhere =
        store.prior_reads(Platform::Reddit, &batch, now() - chrono::Duration::days(7), long_ago()).await.unwrap();
    assert!(elsewhere.posts.is_empty() && elsewhere.customers.is_empty());
    assert!(store.prior_reads(Platform::Reddit, &[], now(), long_ago()).await.unwrap().posts.is_empty());
}

/// A post by dana `days` before `now()`, labelled `label` for `brands`.
async fn store_labelled(store: &Store, id: &str, days: i64, label: Label, brands: &[&str]) -> Post {
    let p = Post { created_at: now() - chrono::Duration::days(days), ..post(id) };
    for brand in brands {
        let mut m = mention(brand);
        m.score.label = label;
        store_one(store, &p, &m, now()).await;
    }
    p
}

async fn customer_records_sum_up_an_author_and_leave_out_the_batch(store: Store) {
    use crate::queue::customer::NewPost;
    // dana's record: a two-brand post labelled negative for one brand and
    // neutral for the other (counts once, negative), an old complaint
    // outside the complaint window, a positive post, one outside the
    // history window; and two posts the batch reads again.
    store_labelled(&store, "a", 4, Label::Negative, &["Acme Air"]).await;
    let mut neutral = mention("Globex");
    neutral.score.label = Label::Neutral;
    store_one(&store, &Post { created_at: now() - chrono::Duration::days(4), ..post("a") }, &neutral, now()).await;
    store_labelled(&store, "b", 20, Label::Negative, &["Acme Air"]).await;
    store_labelled(&store, "c", 3, Label::Positive, &["Acme Air"]).await;
    store_labelled(&store, "old", 200, Label::Negative, &["Acme Air"]).await;
    let again = store_labelled(&store, "d", 0, Label::Negative, &["Acme Air", "Globex"]).await;
    let also = store_labelled(&store, "e", 2, Label::Neutral, &["Acme Air"]).await;
    let fresh = post("new");

    let week = now() - chrono::Duration::days(7);
    let prior = store.prior_reads(Platform::Hackernews, &[&again, &also, &fresh], week, long_ago()).await.unwrap();
    let record = &prior.customers["dana"];
    assert_eq!(
        (record.earlier.negative, record.earlier.neutral, record.earlier.positive, record.earlier.complaints),
        (2, 0, 1, 1),
        "a, b and c, the batch's d and e left out: {record:?}"
    );
    assert_eq!(record.posts.len(), 2, "the batch's stored posts, one per post: {:?}", record.posts);
    // An author named twice in a batch is summed up once.
    let leaving_out = [again.external_id.as_str(), also.external_id.as_str()];
    let window =
        HistoryWindow { since: long_ago(), complaints_since: week, leaving_out: &leaving_out, leaving_out_item: None };
    let twice = store.customer_records(Platform::Hackernews, &["dana", "dana"], window).await.unwrap();
    let e = &twice["dana"].earlier;
    assert_eq!((e.negative, e.neutral, e.positive, e.complaints), (2, 0, 1, 1), "{e:?}");

    let seen = |p: &Post, label| {
        let new = NewPost { external_id: p.external_id.as_str(), brand: "Acme Air", label, posted_at: p.created_at };
        record.history(new, week)
    };
    let h = seen(&fresh, Label::Negative);
    assert_eq!((h.previous_mentions, h.negative, h.neutral, h.positive), (5, 3, 1, 1));
    assert_eq!((h.complaints_this_week, h.last), (2, Some(Label::Negative)), "d is the latest");
    let h = seen(&again, Label::Negative);
    assert_eq!((h.previous_mentions, h.complaints_this_week, h.last), (4, 1, Some(Label::Neutral)), "e is");
    assert_eq!(prior.history(&again, now()).author_recent_complaints, 1);
    assert_eq!(prior.history(&fresh, now()).author_recent_complaints, 2);
}

/// Opens a queue item for `p` (Acme Air) and moves it by `moves`.
async fn item_after(store: &Store, p: &Post, moves: &[crate::queue::Move]) -> QueueItemRow {
    let mut m = mention("Acme Air");
    m.score.level = Urgency::High;
    let source = SourceName::new("hn");
    let mentions = vec![NewMention { post: p, mention: &m, deliveries: vec![], open_queue_item: true, history: None }];
    store.commit_poll(PollCommit { source: &source, cursor: None, mentions, now: now() }).await.unwrap();
    let mut item = store.queue_list(&QueueFilter { limit: 1, ..Default::default() }).await.unwrap().remove(0);
    for mv in moves {
        let change = Change { mv: Some(*mv), assign: None, note: None, actor: "sam", via: crate::queue::Via::Api };
        item = store.queue_change(item.id, &change, now()).await.unwrap();
    }
    item
}

async fn customer_records_count_open_items_and_list_resolved_ones(store: Store) {
    use crate::queue::{Move, QueueState};
    // dana: two open items (one acknowledged), one resolved, one followed
    // up, one dismissed; eve: one open item.
    let open = item_after(&store, &post("1"), &[]).await;
    let acked = item_after(&store, &post("2"), &[Move::Ack]).await;
    let resolved = item_after(&store, &post("3"), &[Move::Resolve]).await;
    let followed = item_after(&store, &post("4"), &[Move::Resolve, Move::FollowUp]).await;
    item_after(&store, &post("5"), &[Move::Dismiss]).await;
    let eve = Post { author: Author { handle: "eve".into(), ..post("6").author }, ..post("6") };
    item_after(&store, &eve, &[]).await;

    let window = |leaving_out_item| HistoryWindow {
        since: long_ago(),
        complaints_since: long_ago(),
        leaving_out: &[],
        leaving_out_item,
    };
    let records = store.customer_records(Platform::Hackernews, &["dana", "eve"], window(None)).await.unwrap();
    let dana = &records["dana"];
    assert_eq!(dana.open_items, 2, "open and acknowledged, not resolved or dismissed: {dana:?}");
    let mut listed: Vec<_> = dana.resolved.iter().map(|i| (i.id, i.state, i.brand.as_str())).collect();
    listed.sort_by_key(|(id, _, _)| id.0);
    assert_eq!(
        listed,
        [(resolved.id, QueueState::Resolved, "Acme Air"), (followed.id, QueueState::FollowedUp, "Acme Air")]
    );
    assert!(dana.resolved.iter().all(|i| i.resolved_at.is_some()));
    assert_eq!((records["eve"].open_items, records["eve"].resolved.len()), (1, 0));

    // The item being shown is left out of its customer's items.
    let records = store.customer_records(Platform::Hackernews, &["dana"], window(Some(open.id))).await.unwrap();
    assert_eq!(records["dana"].open_items, 1);
    let records = store.customer_records(Platform::Hackernews, &["dana"], window(Some(resolved.id))).await.unwrap();
    assert_eq!((records["dana"].open_items, records["dana"].resolved.len()), (2, 1));
    let shown = store.item_customer(&acked, now()).await.unwrap().expect("its mention is stored");
    assert_eq!(shown.history.open_items, 1, "the other open item, not the acknowledged one shown");
}

async fn rereads_refresh_and_alert_once(store: Store) {
    let source = SourceName::new("hn");
    let p = post("1");
    store_one(&store, &p, &mention("Acme Air"), now()).await;
    let id = store.recent_mentions(1).await.unwrap()[0].id;

    let viral = Post { engagement: Engagement { likes: Some(5_000), reposts: None, replies: None }, ..p.clone() };
    let mut risen = mention("Acme Air");
    risen.score.level = Urgency::Critical;
    let reread = Reread {
        mention_id: id,
        post: &viral,
        mention: &risen,
        deliveries: vec![Delivery::to(ReceiverName::new("leads"))],
    };
    let later = now() + chrono::Duration::minutes(10);
    assert_eq!(store.record_rereads(&source, &[reread], later).await.unwrap(), 1);

    let row = store.recent_mentions(1).await.unwrap().remove(0);
    assert_eq!((row.id, row.level.as_str()), (id, "critical"));
    let prior = store.prior_reads(Platform::Hackernews, &[&viral], now(), long_ago()).await.unwrap();
    let stored = prior.stored(&viral, &BrandName::new("Acme Air")).unwrap();
    assert_eq!((stored.interactions, stored.read_at), (5_000, later));
    let claimed = store.claim_due(&ReceiverName::new("leads"), later, 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].mention_id, Some(id));
    assert!(claimed[0].payload.contains("critical"));
}

/// One stored mention row, as the tally's reference counts it.
#[derive(Debug, Clone)]
struct Row {
    author: &'static str,
    external_id: String,
    posted_at: DateTime<Utc>,
    brand: &'static str,
    label: Label,
}

/// The customer tally counted the slow way: every post of the author in
/// the window once, at its first label, the left-out ones skipped.
fn reference_tally(rows: &[Row], author: &str, window: &HistoryWindow<'_>) -> crate::queue::customer::PostTally {
    let mut posts: std::collections::BTreeMap<(DateTime<Utc>, &str), Label> = std::collections::BTreeMap::new();
    for r in rows.iter().filter(|r| r.author == author && r.posted_at >= window.since) {
        if window.leaving_out.contains(&r.external_id.as_str()) {
            continue;
        }
        let label = posts.entry((r.posted_at, r.external_id.as_str())).or_insert(r.label);
        if r.label.as_str() < label.as_str() {
            *label = r.label;
        }
    }
    let mut tally = crate::queue::customer::PostTally::default();
    for (&(at, _), &label) in &posts {
        tally.add(label, at, at >= window.complaints_since);
    }
    // Of two latest posts at one time, the first label's is the latest.
    let latest = posts.keys().map(|&(at, _)| at).max();
    tally.latest = latest.map(|t| {
        let first = posts.iter().filter(|(&(at, _), _)| at == t).map(|(_, &l)| l).min_by_key(|l| l.as_str());
        (t, first.expect("a post at the latest time"))
    });
    tally
}

/// The tally the store sums up in SQL agrees with counting every post in
/// Rust, for posts on and around day boundaries and window edges, posts
/// naming several brands with different labels, labels changed by
/// re-reads, left-out posts and windows of every shape (a guard for any
/// faster way to read it, such as a rollup by day).
async fn the_tally_agrees_with_counting_every_post(store: Store) {
    const DAY: i64 = 86_400_000;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let authors = ["dana", "eve", "finn"];
    let brands = ["Acme Air", "Globex", "Initech"];
    let labels = [Label::Negative, Label::Neutral, Label::Positive];
    let since = now() - chrono::Duration::days(90);
    let week = now() - chrono::Duration::days(7);
    let day_start = |t: DateTime<Utc>| DateTime::from_timestamp_millis(t.timestamp_millis() / DAY * DAY).unwrap();
    // Times that matter to the tally's parts, and random ones.
    let mut times = vec![since, week, day_start(since), day_start(week), day_start(now())];
    let next_day = |t| day_start(t) + chrono::Duration::days(1);
    for edge in [since, week, next_day(since), next_day(week)] {
        times.extend([edge - chrono::Duration::milliseconds(1), edge + chrono::Duration::milliseconds(1)]);
    }
    times.extend((0..30).map(|_| now() - chrono::Duration::milliseconds((next(100 * DAY as u64)) as i64)));
    let mut rows: Vec<Row> = Vec::new();
    let mut posts = Vec::new();
    for (k, &at) in times.iter().enumerate() {
        for copy in 0..=next(2) {
            let author = authors[next(3) as usize];
            let p = Post {
                author: Author { handle: author.into(), ..post("x").author },
                created_at: at,
                ..post(&format!("{k}-{copy}"))
            };
            for brand in brands.iter().take(1 + next(3) as usize) {
                let mut m = mention(brand);
                m.score.label = labels[next(3) as usize];
                store_one(&store, &p, &m, now()).await;
                let external_id = p.external_id.as_str().to_string();
                rows.push(Row { author, external_id, posted_at: at, brand, label: m.score.label });
            }
            posts.push(p);
        }
    }
    // Re-reads relabel a third of the rows.
    let refs: Vec<&Post> = posts.iter().collect();
    let prior = store.prior_reads(Platform::Hackernews, &refs, week, since).await.unwrap();
    let relabelled: Vec<usize> = (0..rows.len()).filter(|_| next(3) == 0).collect();
    for k in relabelled {
        let row = &mut rows[k];
        let p = posts.iter().find(|p| p.external_id.as_str() == row.external_id).unwrap();
        let stored = prior.stored(p, &BrandName::new(row.brand)).expect("stored");
        let mut m = mention(row.brand);
        m.score.label = labels[next(3) as usize];
        let reread = Reread { mention_id: stored.id, post: p, mention: &m, deliveries: vec![] };
        store.record_rereads(&SourceName::new("hn"), &[reread], now()).await.unwrap();
        row.label = m.score.label;
    }

    let left_out: Vec<&str> = rows.iter().step_by(4).map(|r| r.external_id.as_str()).collect();
    let windows = [
        (since, week),
        (day_start(since), day_start(week)),
        (week, week),
        (week, since),
        (now() - chrono::Duration::days(2), now() - chrono::Duration::hours(30)),
        (now() + chrono::Duration::days(1), now() + chrono::Duration::days(1)),
        (DateTime::from_timestamp_millis(0).unwrap(), week),
        (DateTime::from_timestamp_millis(-5 * DAY / 2).unwrap(), since),
    ];
    for (since, complaints_since) in windows {
        for leaving_out in [&[][..], &left_out[..]] {
            let window = HistoryWindow { since, complaints_since, leaving_out, leaving_out_item: None };
            let records = store.customer_records(Platform::Hackernews, &authors, window).await.unwrap();
            for author in authors {
                let expected = reference_tally(&rows, author, &window);
                let got = records.get(author).map(|r| r.earlier).unwrap_or_default();
                assert_eq!(
                    got,
                    expected,
                    "{author}, since {since}, complaints since {complaints_since}, {} left out",
                    leaving_out.len()
                );
            }
        }
    }
}

/// SQLite reads a batch's prior reads on a reader's own handle
/// (`sqlite_reads.rs`); sqlx's way (`prior_reads_pooled`, PostgreSQL's)
/// is its oracle: the same stored mentions, tallies, open items and
/// resolved items, for batches of stored and new posts and for windows
/// that cut through the posts.
#[tokio::test]
async fn sqlite_reads_on_the_handle_agree_with_sqlx() {
    use crate::queue::Move;
    let (_db, store) = sqlite().await;
    let Store::Sqlite(sqlite) = &store else { unreachable!("sqlite() opens SQLite") };
    let authors = ["dana", "eve", "finn"];
    let labels = [Label::Negative, Label::Neutral, Label::Positive];
    let mut posts = Vec::new();
    for k in 0..24usize {
        let p = Post {
            author: Author { handle: authors[k % 3].into(), ..post("x").author },
            created_at: now() - chrono::Duration::hours(11 * k as i64),
            ..post(&format!("p{k}"))
        };
        for brand in ["Acme Air", "Globex"].iter().take(1 + k % 2) {
            let mut m = mention(brand);
            m.score.label = labels[(k / 2) % 3];
            store_one(&store, &p, &m, now()).await;
        }
        posts.push(p);
    }
    let moves: [&[Move]; 5] = [&[], &[Move::Ack], &[Move::Resolve], &[Move::Resolve, Move::FollowUp], &[Move::Dismiss]];
    for (k, moves) in moves.iter().enumerate() {
        let p = Post { author: Author { handle: authors[k % 2].into(), ..post("x").author }, ..post(&format!("i{k}")) };
        item_after(&store, &p, moves).await;
        posts.push(p);
    }
    let fresh = Post { author: Author { handle: "gus".into(), ..post("x").author }, ..post("new") };
    let mut batches: Vec<Vec<&Post>> = vec![posts.iter().collect(), posts.iter().step_by(3).collect()];
    batches.push(posts.iter().take(4).chain([&fresh]).collect());
    let week = now() - chrono::Duration::days(7);
    let windows = [(week, long_ago()), (long_ago(), week), (now() - chrono::Duration::days(3), now())];
    for batch in &batches {
        for (complaints_since, history_since) in windows {
            let raw = sqlite.prior_reads(Platform::Hackernews, batch, complaints_since, history_since).await.unwrap();
            let pooled =
                sqlite.prior_reads_pooled(Platform::Hackernews, batch, complaints_since, history_since).await.unwrap();
            assert_eq!(raw, pooled, "{} posts, complaints since {complaints_since}", batch.len());
            assert!(!raw.posts.is_empty() && !raw.customers.is_empty(), "the check reads something");
        }
    }
    assert!(sqlite.prior_reads(Platform::Reddit, &batches[0], week, long_ago()).await.unwrap().customers.is_empty());
}
