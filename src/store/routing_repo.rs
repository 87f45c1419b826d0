//! Routing's queries, written once for both backends like `repo.rs`:
//! outbox rows in the state the router decided (pending, held for quiet
//! hours, grouped, silenced), group schedules and their flush into one
//! digest row, and silences.
//!
//! A grouped row waits in state `grouped`; its group's `alert_groups.flush_at`
//! says when the digest is due. [`flush_groups`] folds a due group's rows
//! into one `pending` digest row and marks them `digested` with its id, so
//! "grouped into a sent digest" is one join away. A group of one sends the
//! row itself.

macro_rules! routing_repository {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Writes outbox rows, each as its delivery says (each backend
            /// its own way: `insert_outbox`), and schedules their groups.
            /// Returns the states written, in `rows` order.
            pub(crate) async fn write_outbox(
                &self,
                tx: &mut sqlx::Transaction<'_, $db>,
                rows: &[super::OutboxWrite<'_>],
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<super::OutboxState>, StoreError> {
                let placed: Vec<super::Placement> = rows.iter().map(|r| r.placement(now)).collect();
                self.insert_outbox(tx, rows, &placed, now).await?;
                self.schedule_groups(tx, rows.iter().map(|r| r.delivery), &placed, now).await?;
                Ok(placed.into_iter().map(|(state, _, _)| state).collect())
            }

            /// Moves the schedule of each group that outbox rows for
            /// `deliveries` (written as `placed`, in the same order) joined:
            /// one read and one upsert per group, however many of its rows
            /// there are.
            pub(crate) async fn schedule_groups<'d>(
                &self,
                tx: &mut sqlx::Transaction<'_, $db>,
                deliveries: impl Iterator<Item = &'d crate::routing::Delivery>,
                placed: &[super::Placement],
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), StoreError> {
                for joined in super::routing_repo::joined_groups(deliveries, placed) {
                    let row = sqlx::query(&self.sql(super::routing_repo::GROUP_SCHEDULE_SQL))
                        .bind(joined.receiver)
                        .bind(&joined.group.key)
                        .fetch_optional(&mut **tx)
                        .await?;
                    let stored = row.map(|r| (r.get::<Option<i64>, _>(0), r.get::<Option<i64>, _>(1)));
                    sqlx::query(&self.sql(super::routing_repo::GROUP_SCHEDULE_UPSERT))
                        .bind(joined.receiver)
                        .bind(&joined.group.key)
                        .bind(joined.flush_at(now, stored))
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Writes the outbox rows of a notification that is not a
            /// stored mention (source health, spikes, ...) as routed.
            pub async fn enqueue_routed(
                &self,
                deliveries: &[crate::routing::Delivery],
                n: &Notification,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<super::RoutedReport, StoreError> {
                let payload = encode(n)?;
                let mut report = super::RoutedReport::default();
                let mut tx = self.begin_write().await?;
                let rows = super::OutboxWrite::all(None, &payload, deliveries);
                for state in self.write_outbox(&mut tx, &rows, now).await? {
                    report.count(state);
                }
                tx.commit().await?;
                Ok(report)
            }

            /// Folds every due group of `receiver` into a digest row (or
            /// releases a lone row as itself). Returns the digests written.
            pub async fn flush_groups(
                &self,
                receiver: &ReceiverName,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<super::FlushReport, StoreError> {
                let now_ms = super::to_ms(now);
                let mut report = super::FlushReport::default();
                // Most rounds have nothing due: find out without the write lock.
                let due = sqlx::query(&self.sql(
                    "SELECT 1 FROM alert_groups WHERE receiver = ? AND flush_at IS NOT NULL AND flush_at <= ? LIMIT 1",
                ))
                .bind(receiver.as_str())
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await?;
                if due.is_none() {
                    return Ok(report);
                }
                let mut tx = self.begin_write().await?;
                let keys: Vec<String> = sqlx::query(&self.sql(
                    "SELECT group_key FROM alert_groups
                     WHERE receiver = ? AND flush_at IS NOT NULL AND flush_at <= ? ORDER BY flush_at /*LOCK*/",
                ))
                .bind(receiver.as_str())
                .bind(now_ms)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|r| r.get(0))
                .collect();
                for key in keys {
                    let rows = sqlx::query(&self.sql(super::routing_repo::GROUPED_DUE_SQL))
                    .bind(receiver.as_str())
                    .bind(&key)
                    .bind(now_ms)
                    .fetch_all(&mut *tx)
                    .await?;
                    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
                    if let [only] = ids.as_slice() {
                        sqlx::query(&self.sql("UPDATE outbox SET state = 'pending', due_at = ? WHERE id = ?"))
                            .bind(now_ms)
                            .bind(*only)
                            .execute(&mut *tx)
                            .await?;
                        report.singles += 1;
                    } else if let Some(&last) = ids.last() {
                        let alerts: Vec<(Notification, chrono::DateTime<chrono::Utc>)> = rows
                            .iter()
                            .filter_map(|r| {
                                let n = serde_json::from_str::<Notification>(&r.get::<String, _>(1)).ok()?;
                                Some((n, super::from_ms(r.get(2))))
                            })
                            .collect();
                        let digest = crate::sinks::Digest::fold(&key, &alerts)
                            .ok_or_else(|| StoreError::Corrupt(format!("group {key:?}: no decodable alert")))?;
                        let digest_id: i64 = sqlx::query(&self.sql(
                            "INSERT INTO outbox (mention_id, receiver, payload, state, attempts, due_at, created_at, group_key)
                             VALUES (NULL, ?, ?, 'pending', 0, ?, ?, ?) RETURNING id",
                        ))
                        .bind(receiver.as_str())
                        .bind(encode(&Notification::Digest(digest))?)
                        .bind(now_ms)
                        .bind(now_ms)
                        .bind(&key)
                        .fetch_one(&mut *tx)
                        .await?
                        .get(0);
                        sqlx::query(&self.sql(super::routing_repo::GROUPED_DIGESTED_SQL))
                        .bind(digest_id)
                        .bind(receiver.as_str())
                        .bind(&key)
                        .bind(now_ms)
                        .bind(last)
                        .execute(&mut *tx)
                        .await?;
                        report.digests += 1;
                        report.folded += ids.len() as u64;
                    }
                    // Rows still held (quiet hours) keep the group due at the earliest of them.
                    let next: Option<i64> = sqlx::query(&self.sql(super::routing_repo::GROUPED_NEXT_DUE_SQL))
                    .bind(receiver.as_str())
                    .bind(&key)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                    let last_flush = if ids.is_empty() { None } else { Some(now_ms) };
                    sqlx::query(&self.sql(
                        "UPDATE alert_groups SET flush_at = ?, last_flush_at = COALESCE(?, last_flush_at)
                         WHERE receiver = ? AND group_key = ?",
                    ))
                    .bind(next)
                    .bind(last_flush)
                    .bind(receiver.as_str())
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(report)
            }

            pub async fn create_silence(
                &self,
                s: &super::NewSilence<'_>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<crate::routing::Silence, StoreError> {
                let matchers: Vec<String> = s.matchers.iter().map(|m| m.to_string()).collect();
                let id: i64 = sqlx::query(&self.sql(
                    "INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, created_at)
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                ))
                .bind(json(&matchers))
                .bind(super::to_ms(s.starts_at))
                .bind(super::to_ms(s.ends_at))
                .bind(s.created_by)
                .bind(s.comment)
                .bind(super::to_ms(now))
                .fetch_one(self.writes())
                .await?
                .get(0);
                Ok(crate::routing::Silence {
                    id: crate::routing::SilenceId(id),
                    matchers: s.matchers.to_vec(),
                    starts_at: s.starts_at,
                    ends_at: s.ends_at,
                    created_by: s.created_by.to_string(),
                    comment: s.comment.to_string(),
                })
            }

            /// Silences not yet ended at `now` (also those starting
            /// later), or every silence with `include_expired`; newest first.
            pub async fn silences(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                include_expired: bool,
            ) -> Result<Vec<crate::routing::Silence>, StoreError> {
                let since = if include_expired { i64::MIN } else { super::to_ms(now) };
                let rows = sqlx::query(&self.sql(
                    "SELECT id, matchers, starts_at, ends_at, created_by, comment FROM silences
                     WHERE ends_at > ? ORDER BY id DESC",
                ))
                .bind(since)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| super::silence_row(r.get(0), &r.get::<String, _>(1), r.get(2), r.get(3), r.get(4), r.get(5))).collect()
            }

            /// Ends a silence now. `None` when there is no such silence.
            pub async fn expire_silence(
                &self,
                id: crate::routing::SilenceId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<crate::routing::Silence>, StoreError> {
                let row = sqlx::query(&self.sql(
                    "UPDATE silences SET ends_at = CASE WHEN ends_at > ? THEN ? ELSE ends_at END WHERE id = ?
                     RETURNING id, matchers, starts_at, ends_at, created_by, comment",
                ))
                .bind(super::to_ms(now))
                .bind(super::to_ms(now))
                .bind(id.0)
                .fetch_optional(self.writes())
                .await?;
                row.map(|r| super::silence_row(r.get(0), &r.get::<String, _>(1), r.get(2), r.get(3), r.get(4), r.get(5)))
                    .transpose()
            }

            /// How many outbox rows are in `state` (tests, demo).
            pub async fn outbox_in_state(&self, state: &str) -> Result<u64, StoreError> {
                let n: i64 = sqlx::query(&self.sql("SELECT COUNT(*) FROM outbox WHERE state = ?"))
                    .bind(state)
                    .fetch_one(&self.pool)
                    .await?
                    .get(0);
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }
    };
}

pub(crate) use routing_repository;

/// A group's rows due by now (binds: receiver, group, now), oldest
/// first. This and the two below read `outbox_grouped`, the partial index
/// of the grouped rows.
pub(super) const GROUPED_DUE_SQL: &str = "SELECT id, payload, created_at FROM outbox
     WHERE receiver = ? AND group_key = ? AND state = 'grouped' AND due_at <= ? ORDER BY id";

/// Marks a group's rows folded into digest `?` (binds: digest, receiver,
/// group, now, the last row folded).
pub(super) const GROUPED_DIGESTED_SQL: &str = "UPDATE outbox SET state = 'digested', digest_id = ?
     WHERE receiver = ? AND group_key = ? AND state = 'grouped' AND due_at <= ? AND id <= ?";

/// When a group's next held row is due (binds: receiver, group).
pub(super) const GROUPED_NEXT_DUE_SQL: &str =
    "SELECT MIN(due_at) FROM outbox WHERE receiver = ? AND group_key = ? AND state = 'grouped'";

/// A group's schedule: its digest's due time and the last one's (ms,
/// either may be NULL). Binds: receiver, group key.
pub(super) const GROUP_SCHEDULE_SQL: &str =
    "SELECT flush_at, last_flush_at FROM alert_groups WHERE receiver = ? AND group_key = ?";

/// Stores a group's moved schedule. Binds: receiver, group key, flush_at.
pub(super) const GROUP_SCHEDULE_UPSERT: &str =
    "INSERT INTO alert_groups (receiver, group_key, flush_at, last_flush_at) VALUES (?, ?, ?, NULL)
     ON CONFLICT (receiver, group_key) DO UPDATE SET flush_at = excluded.flush_at";

/// A group that outbox rows joined, with when each of them can go out.
pub(super) struct JoinedGroup<'d> {
    pub receiver: &'d str,
    pub group: &'d crate::routing::Group,
    readies: Vec<chrono::DateTime<chrono::Utc>>,
}

impl JoinedGroup<'_> {
    /// The group's digest due time (ms) once its rows joined at `now`,
    /// from its `stored` schedule ([`GROUP_SCHEDULE_SQL`]'s row, if any).
    pub(super) fn flush_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        stored: Option<(Option<i64>, Option<i64>)>,
    ) -> Option<i64> {
        let (mut pending, last) = stored.map_or((None, None), |(f, l)| (f.map(super::from_ms), l.map(super::from_ms)));
        for ready in &self.readies {
            pending = Some(self.group.next_flush(now, *ready, pending, last));
        }
        pending.map(super::to_ms)
    }
}

/// The groups that outbox rows for `deliveries` (written as `placed`, in
/// the same order) joined, each once: one read and one upsert per group,
/// however many of its rows there are.
pub(super) fn joined_groups<'d>(
    deliveries: impl Iterator<Item = &'d crate::routing::Delivery>,
    placed: &[super::Placement],
) -> Vec<JoinedGroup<'d>> {
    let mut groups: Vec<JoinedGroup<'d>> = Vec::new();
    for (d, (state, ready, _)) in deliveries.zip(placed) {
        let (super::OutboxState::Grouped, Some(group)) = (state, &d.group) else { continue };
        let receiver = d.receiver.as_str();
        match groups.iter_mut().find(|g| g.receiver == receiver && g.group.key == group.key) {
            Some(joined) => joined.readies.push(*ready),
            None => groups.push(JoinedGroup { receiver, group, readies: vec![*ready] }),
        }
    }
    groups
}
