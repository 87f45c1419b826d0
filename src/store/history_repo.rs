//! What earlier polls stored about the posts of a new batch, for the
//! scorer's [`History`](crate::pipeline::History): each post's engagement
//! when last read (momentum) and its author's recent complaints (repeat
//! complaints); and the re-read write that refreshes a stored mention's
//! engagement and score, alerting the receivers a rising mention newly
//! reaches.
//!
//! Written once for both backends like `repo.rs`: the post and author
//! lists are bound as ONE JSON array each (`json_each(?)`, which the
//! PostgreSQL dialect turns into `json_array_elements_text`), so a batch
//! costs four queries, whatever its size.
//!
//! The same author query gives each author's customer record (their
//! posts in the history window and their queue items), from which the
//! daemon sums up the history an alert shows and notices a post that
//! follows up on a resolved item (`queue::customer`).
//!
//! Tests: `store/tests.rs` (both backends) and `tests/it/flow.rs`.

macro_rules! history_repository {
    ($store:ident) => {
        impl $store {
            pub async fn prior_reads(
                &self,
                platform: Platform,
                posts: &[&Post],
                complaints_since: DateTime<Utc>,
                history_since: DateTime<Utc>,
            ) -> Result<PriorReads, StoreError> {
                let mut prior = PriorReads { complaints_since, ..PriorReads::default() };
                if posts.is_empty() {
                    return Ok(prior);
                }
                let ids: Vec<&str> = posts.iter().map(|p| p.external_id.as_str()).collect();
                let mut authors: Vec<&str> = posts.iter().map(|p| p.author.handle.as_str()).collect();
                authors.sort_unstable();
                authors.dedup();
                let window = HistoryWindow { since: history_since, complaints_since, leaving_out: &ids, leaving_out_item: None };
                let ids_json = json(&ids);
                // The posts' stored mentions and their authors' records,
                // read at once on reader connections of their own.
                let posts_read = async {
                    sqlx::query(&self.sql(
                        "SELECT external_id, brand, id, likes, reposts, replies, COALESCE(read_at, stored_at), level,
                                author_handle, label, posted_at
                         FROM mentions WHERE platform = ? AND external_id IN (SELECT value FROM json_each(?))",
                    ))
                    .bind(platform.as_str())
                    .bind(&ids_json)
                    .persistent(Self::KEEP_LOOKUP_PLANS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::from)
                };
                let (rows, customers) = tokio::try_join!(posts_read, self.customer_records(platform, &authors, window))?;
                prior.customers = customers;
                // The batch's posts stored before, per author, one per post
                // (its first label and time over its brands, as the tally
                // in SQL counts a post).
                let mut stored: std::collections::HashMap<String, Vec<PastPost>> = std::collections::HashMap::new();
                for r in rows {
                    let engagement = [r.get::<Option<i64>, _>(3), r.get(4), r.get(5)];
                    let level: String = r.get(7);
                    let level = crate::store::parse_stored(&level, "urgency level", Urgency::parse)?;
                    let external_id: String = r.get(0);
                    let (label, posted_at) = (parse_label(&r.get::<String, _>(9))?, from_ms(r.get(10)));
                    let posts_of_author = stored.entry(r.get(8)).or_default();
                    match posts_of_author.iter_mut().find(|p| p.external_id == external_id) {
                        Some(p) => {
                            if label.as_str() < p.label.as_str() {
                                p.label = label;
                            }
                            p.posted_at = p.posted_at.min(posted_at);
                        }
                        None => posts_of_author.push(PastPost { external_id: external_id.clone(), label, posted_at }),
                    }
                    prior.posts.entry(external_id).or_default().push(StoredMention {
                        brand: BrandName::new(r.get::<String, _>(1)),
                        id: MentionId(r.get(2)),
                        interactions: engagement.iter().flatten().map(|n| u64::try_from(*n).unwrap_or(0)).sum(),
                        read_at: from_ms(r.get(6)),
                        level,
                    });
                }
                for (author, posts_of_author) in stored {
                    let record = prior.customers.entry(author).or_default();
                    record.posts = posts_of_author.into_iter().filter(|p| p.posted_at >= history_since).collect();
                }
                Ok(prior)
            }

            /// Per author: their posts in `window` summed up (one per
            /// post, its first label and time over its brands), their open
            /// and acknowledged queue items counted, and their resolved
            /// ones (what a new post may follow up on). Two queries, each
            /// returning a few rows per author however much they posted or
            /// how many items they have open; each reads one covering
            /// index (`author_posts`' key, `queue_items_author_state`).
            pub async fn customer_records(
                &self,
                platform: Platform,
                authors: &[&str],
                window: HistoryWindow<'_>,
            ) -> Result<std::collections::HashMap<String, CustomerRecord>, StoreError> {
                let mut out: std::collections::HashMap<String, CustomerRecord> = std::collections::HashMap::new();
                if authors.is_empty() {
                    return Ok(out);
                }
                let authors = json(authors);
                let leaving_out = json(window.leaving_out);
                // The two reads run at once, on reader connections of their own.
                // Each post once (its first label over its brands, one row
                // of `author_posts`; a post stored with two different
                // times counts as two), per author, the labels side by side.
                let tally_sql = self.sql(
                    "SELECT author_handle,
                            SUM(CASE WHEN label = 'negative' THEN 1 ELSE 0 END),
                            SUM(CASE WHEN label = 'neutral' THEN 1 ELSE 0 END),
                            SUM(CASE WHEN label = 'positive' THEN 1 ELSE 0 END),
                            SUM(CASE WHEN label = 'negative' AND posted_at >= ? THEN 1 ELSE 0 END),
                            MAX(CASE WHEN label = 'negative' THEN posted_at END),
                            MAX(CASE WHEN label = 'neutral' THEN posted_at END),
                            MAX(CASE WHEN label = 'positive' THEN posted_at END)
                     FROM author_posts
                     WHERE platform = ? AND author_handle IN (SELECT value FROM json_each(?)) AND posted_at >= ?
                       AND external_id NOT IN (SELECT value FROM json_each(?))
                     GROUP BY author_handle",
                );
                let tally = sqlx::query(&tally_sql)
                    .bind(to_ms(window.complaints_since))
                    .bind(platform.as_str())
                    .bind(&authors)
                    .bind(to_ms(window.since))
                    .bind(&leaving_out)
                    .persistent(Self::KEEP_LOOKUP_PLANS)
                    .fetch_all(&self.pool);
                // Open items as one count per author (item 0), resolved
                // ones one row each (ids start at 1, so 0 also leaves
                // nothing out). One range of the covering index per author;
                // no condition on the state an index could take: with
                // `state IN (...)` PostgreSQL, its statistics behind a fast
                // growing table, intersected the state and platform indexes
                // instead and filtered every open item of every author.
                let items_sql = self.sql(
                    "SELECT author_handle, CASE WHEN state IN ('open', 'acknowledged') THEN 0 ELSE id END AS item,
                            COUNT(*), MIN(brand), MIN(state), MAX(resolved_at)
                     FROM queue_items
                     WHERE platform = ? AND author_handle IN (SELECT value FROM json_each(?))
                       AND state <> 'dismissed' AND id <> ?
                     GROUP BY author_handle, item",
                );
                let items = sqlx::query(&items_sql)
                    .bind(platform.as_str())
                    .bind(&authors)
                    .bind(window.leaving_out_item.map_or(0, |i| i.0))
                    .persistent(Self::KEEP_LOOKUP_PLANS)
                    .fetch_all(&self.pool);
                let (rows, items) = tokio::try_join!(tally, items)?;
                use crate::domain::Label;
                for r in rows {
                    let earlier = &mut out.entry(r.get(0)).or_default().earlier;
                    // Counted for negative posts only (`add_many` ignores it
                    // for the others).
                    let complaints: i64 = r.get(4);
                    // In label order, so of two latest posts at one time the
                    // first label's counts as the latest (as it always did).
                    for (k, label) in [Label::Negative, Label::Neutral, Label::Positive].into_iter().enumerate() {
                        let (n, latest): (i64, Option<i64>) = (r.get(1 + k), r.get(5 + k));
                        let Some(latest) = latest.filter(|_| n > 0) else { continue };
                        earlier.add_many(
                            label,
                            u32::try_from(n).unwrap_or(u32::MAX),
                            u32::try_from(complaints).unwrap_or(u32::MAX),
                            from_ms(latest),
                        );
                    }
                }
                for r in items {
                    let record = out.entry(r.get(0)).or_default();
                    let id: i64 = r.get(1);
                    if id == 0 {
                        record.open_items = u32::try_from(r.get::<i64, _>(2)).unwrap_or(u32::MAX);
                        continue;
                    }
                    let state: String = r.get(4);
                    let state = crate::store::parse_stored(&state, "queue state", QueueState::parse)?;
                    record.resolved.push(CustomerItem {
                        id: QueueItemId(id),
                        brand: r.get(3),
                        state,
                        resolved_at: r.get::<Option<i64>, _>(5).map(from_ms),
                    });
                }
                Ok(out)
            }

            /// Who wrote a stored mention, where, and what it said.
            pub async fn mention_author(&self, id: MentionId) -> Result<Option<MentionAuthor>, StoreError> {
                let Some(r) = sqlx::query(&self.sql(
                    "SELECT platform, author_handle, external_id, label, posted_at, brand FROM mentions WHERE id = ?",
                ))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?
                else {
                    return Ok(None);
                };
                let (platform, label): (String, String) = (r.get(0), r.get(3));
                Ok(Some(MentionAuthor {
                    platform: crate::store::parse_stored(&platform, "platform", Platform::parse)?,
                    author: r.get(1),
                    external_id: r.get(2),
                    label: parse_label(&label)?,
                    posted_at: from_ms(r.get(4)),
                    brand: r.get(5),
                }))
            }

            pub async fn record_rereads(
                &self,
                source: &SourceName,
                rereads: &[Reread<'_>],
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                let r_now = now;
                let now = to_ms(now);
                let mut rows = 0;
                let mut tx = self.begin_write().await?;
                for r in rereads {
                    let (post, score) = (r.post, &r.mention.score);
                    sqlx::query(&self.sql(
                        "UPDATE mentions SET likes = ?, reposts = ?, replies = ?, author_followers = ?, read_at = ?,
                             compound = ?, label = ?, urgency = ?, level = ?, topics = ?, reasons = ?
                         WHERE id = ?",
                    ))
                    .bind(post.engagement.likes.map(clamp_i64))
                    .bind(post.engagement.reposts.map(clamp_i64))
                    .bind(post.engagement.replies.map(clamp_i64))
                    .bind(post.author.followers.map(clamp_i64))
                    .bind(now)
                    .bind(score.compound)
                    .bind(score.label.as_str())
                    .bind(score.urgency)
                    .bind(score.level.as_str())
                    .bind(json(&score.topics))
                    .bind(json(&score.reasons))
                    .bind(r.mention_id.0)
                    .execute(&mut *tx)
                    .await?;
                    // Its post's first label over its brands, again.
                    sqlx::query(&self.sql(
                        "UPDATE author_posts SET label = (
                             SELECT MIN(m.label) FROM mentions m
                             WHERE m.platform = author_posts.platform AND m.external_id = author_posts.external_id
                               AND m.author_handle = author_posts.author_handle AND m.posted_at = author_posts.posted_at)
                         WHERE (platform, author_handle, posted_at, external_id) =
                               (SELECT platform, author_handle, posted_at, external_id FROM mentions WHERE id = ?)",
                    ))
                    .bind(r.mention_id.0)
                    .execute(&mut *tx)
                    .await?;
                    if r.deliveries.is_empty() {
                        continue;
                    }
                    let payload = encode(&Notification::Mention(MentionAlert {
                        mention_id: r.mention_id,
                        queue_item: None,
                        source: source.clone(),
                        post: post.clone(),
                        mention: r.mention.clone(),
                        history: None,
                    }))?;
                    let written = self.write_outbox(&mut tx, &super::OutboxWrite::all(Some(r.mention_id.0), &payload, &r.deliveries), r_now).await?;
                    rows += written.len() as u64;
                }
                tx.commit().await?;
                Ok(rows)
            }
        }
    };
}

pub(crate) use history_repository;

/// Inside `write_poll`'s transaction `$tx` (a `&mut` one): records on queue item `$f.item`
/// what the new mention `$mention` (a post by the same author about the
/// same brand, after the item's resolve) says, with an audit event, when
/// it changes what the item knew.
macro_rules! record_follow_up {
    ($this:ident, $tx:ident, $f:expr, $mention:expr, $now:expr) => {{
        let outcome = $f.outcome.as_str();
        let changed = sqlx::query(&$this.sql(
            "UPDATE queue_items SET outcome = ?, outcome_mention_id = ?, updated_at = ?
             WHERE id = ? AND state IN ('resolved', 'followed_up') AND (outcome IS NULL OR outcome <> ?)",
        ))
        .bind(outcome)
        .bind($mention.0)
        .bind($now)
        .bind($f.item.0)
        .bind(outcome)
        .execute(&mut **$tx)
        .await?
        .rows_affected();
        if changed == 1 {
            sqlx::query(&$this.sql(
                "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
                 SELECT id, state, state, 'earshot', 'pipeline', ?, ? FROM queue_items WHERE id = ?",
            ))
            .bind(format!("customer posted again (mention {}): {}", $mention.0, $f.outcome.words()))
            .bind($now)
            .bind($f.item.0)
            .execute(&mut **$tx)
            .await?;
        }
    }};
}

pub(crate) use record_follow_up;
