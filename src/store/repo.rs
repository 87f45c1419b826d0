//! The repository's queries, written once for both backends:
//! [`repository!`] expands them into an `impl` for a backend struct that
//! provides `pool` (a `sqlx::Pool`), `begin_write()` (a write transaction
//! in the backend's own way) and `sql()` (the backend's placeholder
//! dialect and row locking). SQL is written SQLite-style with `?`
//! placeholders and a `/*LOCK*/` marker where PostgreSQL takes
//! `FOR UPDATE SKIP LOCKED`.

use crate::sinks::Notification;

use super::StoreError;

macro_rules! repository {
    ($store:ident) => {
        impl $store {
        pub async fn ping(&self) -> Result<(), StoreError> {
            sqlx::query(&self.sql("SELECT 1")).execute(&self.pool).await?;
            Ok(())
        }

        pub async fn cursor(&self, source: &SourceName) -> Result<Option<Cursor>, StoreError> {
            let row = sqlx::query(&self.sql("SELECT cursor FROM source_cursors WHERE source = ?"))
                .bind(source.as_str())
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|r| Cursor(r.get::<String, _>(0))))
        }

        pub async fn commit_poll(&self, commit: PollCommit<'_>) -> Result<CommitReport, StoreError> {
            let now = to_ms(commit.now);
            let mut report = CommitReport::default();
            let mut tx = self.begin_write().await?;

            // Mentions, a few multi-row INSERTs. Those that later rows
            // name (queue item, alert, follow-up) need their ids. On
            // PostgreSQL they come back by RETURNING (a duplicate returns
            // nothing) and are matched back by key, and the others are
            // only counted, so quiet mentions cost no rows coming back. On
            // SQLite every mention's id is known without rows coming back
            // (`IDS_FROM_LAST_ROWID`), so all go in one group.
            let by_rowid = Self::IDS_FROM_LAST_ROWID;
            let (named, quiet): (Vec<&crate::store::NewMention<'_>>, Vec<_>) =
                commit.mentions.iter().partition(|m| by_rowid || m.is_named_later());
            // Each key's first mention in commit order (the one a new row
            // is), by borrowed key: rows coming back are looked up without
            // copying their strings.
            let mut first_of: std::collections::HashMap<(&str, &str, &str), usize> = std::collections::HashMap::with_capacity(named.len());
            for (i, m) in named.iter().enumerate() {
                first_of.entry((m.post.platform.as_str(), m.post.external_id.as_str(), m.mention.brand.as_str())).or_insert(i);
            }
            let mut ids: Vec<Option<MentionId>> = vec![None; named.len()];
            let mut quiet_inserted = 0;
            for (group, named_group) in [(&named, true), (&quiet, false)] {
                let mut at = 0;
                for chunk in chunks(group) {
                    let sql = self.sql_owned(values_sql(
                        "INSERT INTO mentions (platform, external_id, brand, source, url, author_handle, author_name,
                            author_followers, body, lang, likes, reposts, replies, posted_at, stored_at, terms,
                            compound, label, urgency, level, topics, reasons)",
                        22,
                        chunk.len(),
                        if named_group && !by_rowid {
                            "ON CONFLICT (platform, external_id, brand) DO NOTHING RETURNING id, platform, external_id, brand"
                        } else {
                            "ON CONFLICT (platform, external_id, brand) DO NOTHING"
                        },
                    ));
                    let mut query = sqlx::query(&sql);
                    for m in chunk {
                        let (post, score) = (m.post, &m.mention.score);
                        query = query
                            .bind(post.platform.as_str())
                            .bind(post.external_id.as_str())
                            .bind(m.mention.brand.as_str())
                            .bind(commit.source.as_str())
                            .bind(&post.url)
                            .bind(&post.author.handle)
                            .bind(&post.author.display_name)
                            .bind(post.author.followers.map(clamp_i64))
                            .bind(&post.text)
                            .bind(&post.lang)
                            .bind(post.engagement.likes.map(clamp_i64))
                            .bind(post.engagement.reposts.map(clamp_i64))
                            .bind(post.engagement.replies.map(clamp_i64))
                            .bind(to_ms(post.created_at))
                            .bind(now)
                            .bind(json(&m.mention.terms))
                            .bind(score.compound)
                            .bind(score.label.as_str())
                            .bind(score.urgency)
                            .bind(score.level.as_str())
                            .bind(json(&score.topics))
                            .bind(json(&score.reasons));
                    }
                    if !named_group {
                        quiet_inserted += query.execute(&mut *tx).await?.rows_affected();
                        continue;
                    }
                    let returned = if by_rowid {
                        let done = query.execute(&mut *tx).await?;
                        let (added, last) = (done.rows_affected(), Self::last_rowid(&done));
                        if added == chunk.len() as u64 {
                            // No duplicate: one new row each, ids in order.
                            for (k, id) in ids[at..at + chunk.len()].iter_mut().enumerate() {
                                *id = Some(MentionId(last - (chunk.len() - 1 - k) as i64));
                            }
                            Vec::new()
                        } else if added == 0 {
                            Vec::new()
                        } else {
                            // Some were duplicates: the new rows are the
                            // `added` highest ids up to `last`.
                            sqlx::query(&self.sql("SELECT id, platform, external_id, brand FROM mentions
                                 WHERE id <= ? ORDER BY id DESC LIMIT ?"))
                            .bind(last)
                            .bind(clamp_i64(added))
                            .fetch_all(&mut *tx)
                            .await?
                        }
                    } else {
                        query.fetch_all(&mut *tx).await?
                    };
                    for row in returned {
                        let key: (&str, &str, &str) = (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
                        if let Some(&i) = first_of.get(&key) {
                            ids[i] = Some(MentionId(row.try_get(0)?));
                        }
                    }
                    at += chunk.len();
                }
            }
            let mut inserted: Vec<(&crate::store::NewMention<'_>, MentionId)> = Vec::with_capacity(named.len());
            for (m, id) in named.iter().zip(&ids) {
                match id {
                    Some(id) => inserted.push((m, *id)),
                    None => report.duplicates += 1,
                }
            }
            report.duplicates += quiet.len() as u64 - quiet_inserted;
            report.inserted = inserted.len() as u64 + quiet_inserted;

            // Queue items of the new mentions, each with its opening event.
            let opening: Vec<&(&crate::store::NewMention<'_>, MentionId)> = inserted.iter().filter(|(m, _)| m.open_queue_item).collect();
            let mut items: std::collections::HashMap<i64, QueueItemId> = std::collections::HashMap::with_capacity(opening.len());
            if by_rowid && !opening.is_empty() {
                // Two statements however many items: each item copied from
                // its new mention's row, in mention id order (so the k-th
                // item has the k-th id of the range the INSERT added), and
                // the events from that range.
                let mut mentions: Vec<i64> = opening.iter().map(|(_, id)| id.0).collect();
                mentions.sort_unstable();
                let done = sqlx::query(&self.sql(
                    "INSERT INTO queue_items (mention_id, brand, level, state, opened_at, updated_at, platform, author_handle)
                     SELECT id, brand, level, 'open', ?, ?, platform, author_handle FROM mentions
                     WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                ))
                .bind(now)
                .bind(now)
                .bind(json(&mentions))
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != mentions.len() as u64 {
                    return Err(StoreError::Corrupt(format!(
                        "{} queue items opened for {} new mentions",
                        done.rows_affected(),
                        mentions.len()
                    )));
                }
                let last = Self::last_rowid(&done);
                let first = last + 1 - mentions.len() as i64;
                sqlx::query(&self.sql(
                    "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
                     SELECT id, NULL, 'open', 'earshot', 'pipeline', NULL, ? FROM queue_items
                     WHERE id BETWEEN ? AND ? ORDER BY id",
                ))
                .bind(now)
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await?;
                items.extend(mentions.iter().enumerate().map(|(k, &mention)| (mention, QueueItemId(first + k as i64))));
                report.queue_items += mentions.len() as u64;
            }
            // PostgreSQL: multi-row INSERTs, ids RETURNED with their mention's.
            let returning: &[_] = if by_rowid { &[] } else { &opening };
            for chunk in chunks(returning) {
                let sql = self.sql_owned(values_sql(
                    "INSERT INTO queue_items (mention_id, brand, level, state, opened_at, updated_at, platform, author_handle)",
                    8,
                    chunk.len(),
                    "RETURNING id, mention_id",
                ));
                let mut query = sqlx::query(&sql);
                for (m, id) in chunk.iter().copied() {
                    query = query
                        .bind(id.0)
                        .bind(m.mention.brand.as_str())
                        .bind(m.mention.score.level.as_str())
                        .bind("open")
                        .bind(now)
                        .bind(now)
                        .bind(m.post.platform.as_str())
                        .bind(&m.post.author.handle);
                }
                let rows = query.fetch_all(&mut *tx).await?;
                let sql = self.sql_owned(values_sql(
                    "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)",
                    7,
                    rows.len(),
                    "",
                ));
                let mut events = sqlx::query(&sql);
                for row in &rows {
                    let item: i64 = row.get(0);
                    items.insert(row.get(1), QueueItemId(item));
                    events = events
                        .bind(item)
                        .bind(None::<String>)
                        .bind("open")
                        .bind("earshot")
                        .bind("pipeline")
                        .bind(None::<String>)
                        .bind(now);
                }
                if !rows.is_empty() {
                    events.execute(&mut *tx).await?;
                }
                report.queue_items += rows.len() as u64;
            }

            // Follow-ups, then outbox rows, each as routing decided
            // (pending, grouped, held), all written together.
            let mut payloads: Vec<(i64, String, &[crate::routing::Delivery])> = Vec::new();
            for (m, mention_id) in &inserted {
                let mention_id = *mention_id;
                if let Some(f) = m.history.as_ref().and_then(|h| h.follow_up) {
                    super::history_repo::record_follow_up!(self, tx, f, mention_id, now);
                }
                if m.deliveries.is_empty() {
                    continue;
                }
                let payload = encode(&Notification::Mention(MentionAlert {
                    mention_id,
                    queue_item: items.get(&mention_id.0).copied(),
                    source: commit.source.clone(),
                    post: m.post.clone(),
                    mention: m.mention.clone(),
                    history: m.history.clone(),
                }))?;
                payloads.push((mention_id.0, payload, &m.deliveries));
            }
            let rows: Vec<super::OutboxWrite<'_>> = payloads
                .iter()
                .flat_map(|(id, payload, deliveries)| super::OutboxWrite::all(Some(*id), payload, deliveries))
                .collect();
            for state in self.write_outbox(&mut tx, &rows, commit.now).await? {
                report.routed.count(state);
                report.outbox_rows += 1;
            }

            if let Some(cursor) = commit.cursor {
                sqlx::query(&self.sql("INSERT INTO source_cursors (source, cursor, updated_at) VALUES (?, ?, ?)
                     ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at"),
                )
                .bind(commit.source.as_str())
                .bind(&cursor.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(report)
        }

        pub async fn enqueue(
            &self,
            receivers: &[ReceiverName],
            n: &Notification,
            now: DateTime<Utc>,
        ) -> Result<u64, StoreError> {
            let payload = encode(n)?;
            let now = to_ms(now);
            let mut tx = self.begin_write().await?;
            for receiver in receivers {
                sqlx::query(&self.sql("INSERT INTO outbox (mention_id, receiver, payload, state, attempts, due_at, created_at)
                     VALUES (NULL, ?, ?, 'pending', 0, ?, ?)"),
                )
                .bind(receiver.as_str())
                .bind(&payload)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(receivers.len() as u64)
        }

        pub async fn claim_due(
            &self,
            receiver: &ReceiverName,
            now: DateTime<Utc>,
            limit: u32,
            lease: Duration,
        ) -> Result<Vec<OutboxRow>, StoreError> {
            let now_ms = to_ms(now);
            let until = now_ms + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
            let rows = sqlx::query(&self.sql("UPDATE outbox SET claimed_until = ?
                 WHERE id IN (
                     SELECT id FROM outbox
                     WHERE receiver = ? AND state = 'pending' AND due_at <= ?
                       AND (claimed_until IS NULL OR claimed_until < ?)
                     ORDER BY due_at, id LIMIT ? /*LOCK*/)
                 RETURNING id, mention_id, receiver, payload, attempts, created_at"),
            )
            .bind(until)
            .bind(receiver.as_str())
            .bind(now_ms)
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(self.writes())
            .await?;
            let mut out: Vec<OutboxRow> = rows
                .into_iter()
                .map(|r| OutboxRow {
                    id: OutboxId(r.get(0)),
                    mention_id: r.get::<Option<i64>, _>(1).map(MentionId),
                    receiver: ReceiverName::new(r.get::<String, _>(2)),
                    payload: r.get(3),
                    attempts: u32::try_from(r.get::<i64, _>(4)).unwrap_or(u32::MAX),
                    created_at: from_ms(r.get(5)),
                })
                .collect();
            // RETURNING order is unspecified; deliver oldest first.
            out.sort_by_key(|r| r.id.0);
            Ok(out)
        }

        pub async fn mark_sent(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), StoreError> {
            sqlx::query(&self.sql("UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, claimed_until = NULL,
                     last_error = NULL WHERE id = ?"),
            )
            .bind(to_ms(now))
            .bind(id.0)
            .execute(self.writes())
            .await?;
            Ok(())
        }

        pub async fn retry_later(&self, id: OutboxId, due: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
            sqlx::query(&self.sql("UPDATE outbox SET attempts = attempts + 1, due_at = ?, claimed_until = NULL, last_error = ?
                 WHERE id = ?"),
            )
            .bind(to_ms(due))
            .bind(error)
            .bind(id.0)
            .execute(self.writes())
            .await?;
            Ok(())
        }

        pub async fn release(&self, id: OutboxId) -> Result<(), StoreError> {
            sqlx::query(&self.sql("UPDATE outbox SET claimed_until = NULL WHERE id = ? AND state = 'pending'"))
                .bind(id.0)
                .execute(self.writes())
                .await?;
            Ok(())
        }

        pub async fn mark_failed(&self, id: OutboxId, now: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
            sqlx::query(&self.sql("UPDATE outbox SET state = 'failed', attempts = attempts + 1, claimed_until = NULL, last_error = ?,
                     sent_at = NULL, due_at = ? WHERE id = ?"),
            )
            .bind(error)
            .bind(to_ms(now))
            .bind(id.0)
            .execute(self.writes())
            .await?;
            Ok(())
        }

        pub async fn gauges(&self) -> Result<StoreGauges, StoreError> {
            let r = sqlx::query(&self.sql("SELECT
                    (SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
                    (SELECT COUNT(*) FROM queue_items WHERE state = 'open'),
                    (SELECT MIN(opened_at) FROM queue_items WHERE state = 'open')"),
            )
            .fetch_one(&self.pool)
            .await?;
            Ok(StoreGauges {
                outbox_pending: u64::try_from(r.get::<i64, _>(0)).unwrap_or(0),
                queue_open: u64::try_from(r.get::<i64, _>(1)).unwrap_or(0),
                queue_oldest_open: r.get::<Option<i64>, _>(2).map(from_ms),
            })
        }

        pub async fn mentions_after(&self, after: MentionId) -> Result<(u64, MentionId), StoreError> {
            let r = sqlx::query(&self.sql("SELECT COUNT(*), MAX(id) FROM mentions WHERE id > ?"))
                .bind(after.0)
                .fetch_one(&self.pool)
                .await?;
            let last = r.get::<Option<i64>, _>(1).map_or(after, MentionId);
            Ok((u64::try_from(r.get::<i64, _>(0)).unwrap_or(0), last))
        }

        pub async fn counts(&self) -> Result<StoreCounts, StoreError> {
            let r = sqlx::query(&self.sql("SELECT
                    (SELECT COUNT(*) FROM mentions),
                    (SELECT COUNT(*) FROM mentions WHERE level IN (?, ?)),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'sent'),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'failed'),
                    (SELECT COUNT(*) FROM queue_items WHERE state = 'open'),
                    (SELECT MIN(opened_at) FROM queue_items WHERE state = 'open'),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'inhibited')"),
            )
            .bind(Urgency::High.as_str())
            .bind(Urgency::Critical.as_str())
            .fetch_one(&self.pool)
            .await?;
            let n = |i: usize| u64::try_from(r.get::<i64, _>(i)).unwrap_or(0);
            Ok(StoreCounts {
                mentions: n(0),
                urgent_mentions: n(1),
                outbox_pending: n(2),
                outbox_sent: n(3),
                outbox_failed: n(4),
                queue_open: n(5),
                queue_oldest_open: r.get::<Option<i64>, _>(6).map(from_ms),
                outbox_inhibited: n(7),
            })
        }

        pub async fn recent_mentions(&self, limit: u32) -> Result<Vec<MentionRow>, StoreError> {
            let rows = sqlx::query(&self.sql("SELECT id, platform, external_id, brand, source, author_handle, body, level, posted_at
                 FROM mentions ORDER BY id DESC LIMIT ?"),
            )
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|r| MentionRow {
                    id: MentionId(r.get(0)),
                    platform: r.get(1),
                    external_id: r.get(2),
                    brand: r.get(3),
                    source: r.get(4),
                    author: r.get(5),
                    text: r.get(6),
                    level: r.get(7),
                    posted_at: from_ms(r.get(8)),
                })
                .collect())
        }

        }
    };
}

pub(crate) use repository;

pub(crate) fn create_dir(dir: &std::path::Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })
}

pub(crate) fn encode(n: &Notification) -> Result<String, StoreError> {
    serde_json::to_string(n).map_err(|e| StoreError::Corrupt(format!("cannot encode notification: {e}")))
}

pub(crate) fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Most rows one multi-row INSERT carries (a power of two). 256 mentions
/// bind 5,632 values: within SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const MAX_ROWS_PER_INSERT: usize = 256;

/// `items` in runs of power-of-two lengths, longest first, at most
/// [`MAX_ROWS_PER_INSERT`]: a batch of any size takes a few statements, and
/// a connection prepares at most nine shapes per table.
pub(crate) fn chunks<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = rest.len().min(MAX_ROWS_PER_INSERT);
        let run = 1usize << (usize::BITS - 1 - len.leading_zeros());
        let (head, tail) = rest.split_at(run);
        rest = tail;
        Some(head)
    })
}

/// `{head} VALUES (?, ...), (?, ...) {tail}`: `rows` tuples of `columns`
/// placeholders, in the shared SQLite-style dialect.
pub(crate) fn values_sql(head: &str, columns: usize, rows: usize, tail: &str) -> String {
    let tuple = format!("({})", vec!["?"; columns].join(", "));
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * (tuple.len() + 2) + 16);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&tuple);
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

pub(crate) fn json<T: serde::Serialize>(v: &[T]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
