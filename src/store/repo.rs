//! The repository's queries, written once for both backends:
//! [`repository!`] expands them into an `impl` for a backend struct that
//! provides `pool` (a `sqlx::Pool`), `begin_write()` (a write transaction
//! in the backend's own way), `sql()` (the backend's placeholder dialect
//! and row locking) and `insert_outbox` (outbox rows, each backend its own
//! way). A poll's commit is each backend's own (`sqlite_commit.rs`,
//! `postgres_commit.rs`). SQL is written SQLite-style with `?`
//! placeholders and a `/*LOCK*/` marker where PostgreSQL takes
//! `FOR UPDATE SKIP LOCKED`.

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
                    sqlx::query(&self.sql(
                        "INSERT INTO outbox (mention_id, receiver, payload, state, attempts, due_at, created_at)
                     VALUES (NULL, ?, ?, 'pending', 0, ?, ?)",
                    ))
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
                let rows = sqlx::query(&self.sql(super::repo::CLAIM_DUE_SQL))
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
                sqlx::query(&self.sql(
                    "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, claimed_until = NULL,
                     last_error = NULL WHERE id = ?",
                ))
                .bind(to_ms(now))
                .bind(id.0)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            pub async fn retry_later(&self, id: OutboxId, due: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
                sqlx::query(&self.sql(
                    "UPDATE outbox SET attempts = attempts + 1, due_at = ?, claimed_until = NULL, last_error = ?
                 WHERE id = ?",
                ))
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
                sqlx::query(&self.sql(
                    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, claimed_until = NULL, last_error = ?,
                     sent_at = NULL, due_at = ? WHERE id = ?",
                ))
                .bind(error)
                .bind(to_ms(now))
                .bind(id.0)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            pub async fn gauges(&self) -> Result<StoreGauges, StoreError> {
                let r = sqlx::query(&self.sql(super::repo::GAUGES_SQL)).fetch_one(&self.pool).await?;
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
                let r = sqlx::query(&self.sql(
                    "SELECT
                    (SELECT COUNT(*) FROM mentions),
                    (SELECT COUNT(*) FROM mentions WHERE level IN (?, ?)),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'sent'),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'failed'),
                    (SELECT COUNT(*) FROM queue_items WHERE state = 'open'),
                    (SELECT MIN(opened_at) FROM queue_items WHERE state = 'open'),
                    (SELECT COUNT(*) FROM outbox WHERE state = 'inhibited')",
                ))
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
                let rows = sqlx::query(&self.sql(
                    "SELECT id, platform, external_id, brand, source, author_handle, body, level, posted_at
                 FROM mentions ORDER BY id DESC LIMIT ?",
                ))
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

/// A notification (or part of one: `alert_drafts.rs`) as stored JSON.
pub(crate) fn encode<T: serde::Serialize + ?Sized>(n: &T) -> Result<String, StoreError> {
    serde_json::to_string(n).map_err(|e| StoreError::Corrupt(format!("cannot encode notification: {e}")))
}

pub(crate) fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn json<T: serde::Serialize>(v: &[T]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// A receiver's due alerts, claimed for a lease: binds the lease's end,
/// the receiver, now twice and the limit. Reads `outbox_pending`, the
/// partial index of the pending rows.
pub(super) const CLAIM_DUE_SQL: &str = "UPDATE outbox SET claimed_until = ?
     WHERE id IN (
         SELECT id FROM outbox
         WHERE receiver = ? AND state = 'pending' AND due_at <= ?
           AND (claimed_until IS NULL OR claimed_until < ?)
         ORDER BY due_at, id LIMIT ? /*LOCK*/)
     RETURNING id, mention_id, receiver, payload, attempts, created_at";

/// What `/metrics` shows on every scrape: pending alerts (`outbox_pending`
/// holds only those), open queue items and the oldest of them.
pub(super) const GAUGES_SQL: &str = "SELECT
        (SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
        (SELECT COUNT(*) FROM queue_items WHERE state = 'open'),
        (SELECT MIN(opened_at) FROM queue_items WHERE state = 'open')";
