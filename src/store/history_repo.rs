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
//! costs two queries, whatever its size.
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
            ) -> Result<PriorReads, StoreError> {
                let mut prior = PriorReads::default();
                if posts.is_empty() {
                    return Ok(prior);
                }
                let ids = json(&posts.iter().map(|p| p.external_id.as_str()).collect::<Vec<_>>());
                let rows = sqlx::query(&self.sql(
                    "SELECT external_id, brand, id, likes, reposts, replies, COALESCE(read_at, stored_at), level
                     FROM mentions WHERE platform = ? AND external_id IN (SELECT value FROM json_each(?))",
                ))
                .bind(platform.as_str())
                .bind(&ids)
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    let engagement = [r.get::<Option<i64>, _>(3), r.get(4), r.get(5)];
                    let level: String = r.get(7);
                    let level = Urgency::parse(&level)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown urgency level {level:?}")))?;
                    prior.posts.entry(r.get(0)).or_default().push(StoredMention {
                        brand: BrandName::new(r.get::<String, _>(1)),
                        id: MentionId(r.get(2)),
                        interactions: engagement.iter().flatten().map(|n| u64::try_from(*n).unwrap_or(0)).sum(),
                        read_at: from_ms(r.get(6)),
                        level,
                    });
                }
                let mut authors: Vec<&str> = posts.iter().map(|p| p.author.handle.as_str()).collect();
                authors.sort_unstable();
                authors.dedup();
                let rows = sqlx::query(&self.sql(
                    "SELECT DISTINCT author_handle, external_id FROM mentions
                     WHERE platform = ? AND author_handle IN (SELECT value FROM json_each(?))
                       AND label = 'negative' AND posted_at >= ?",
                ))
                .bind(platform.as_str())
                .bind(json(&authors))
                .bind(to_ms(complaints_since))
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    prior.complaints.entry(r.get(0)).or_default().push(r.get(1));
                }
                Ok(prior)
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
                    if r.deliveries.is_empty() {
                        continue;
                    }
                    let payload = encode(&Notification::Mention(MentionAlert {
                        mention_id: r.mention_id,
                        queue_item: None,
                        source: source.clone(),
                        post: post.clone(),
                        mention: r.mention.clone(),
                    }))?;
                    for d in &r.deliveries {
                        self.write_outbox(&mut tx, Some(r.mention_id.0), &payload, d, r_now).await?;
                        rows += 1;
                    }
                }
                tx.commit().await?;
                Ok(rows)
            }
        }
    };
}

pub(crate) use history_repository;
