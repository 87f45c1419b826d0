//! Queries of the queue's clock, written once for both backends like
//! `repo.rs`: [`sla_repository!`] expands them into an `impl` for a
//! backend struct.
//!
//! "Once per breach" is the database's promise, not the timer's:
//! `queue_breaches` is unique on (item, kind, SLA cycle start) and the
//! follow-up reminder stamps `reminded_at` only while it is unset, each in
//! the same transaction as the escalation's outbox rows and audit event.
//! Two timers racing (two replicas, a reload) escalate once.

macro_rules! sla_repository {
    ($store:ident) => {
        impl $store {
            /// Items whose `cutoffs.kind` clock started at or before their
            /// level's cutoff, still running, and not yet escalated in this
            /// cycle; oldest first.
            pub async fn sla_due(&self, cutoffs: &Cutoffs, limit: u32) -> Result<Vec<DueItem>, StoreError> {
                let states = cutoffs.kind.running_in();
                let rows = sqlx::query(&self.sql(concat!(
                    "SELECT ", super::queue_repo::queue_columns!(q), ", m.platform, m.author_handle, m.url, m.body
                     FROM queue_items q JOIN mentions m ON m.id = q.mention_id
                     WHERE q.state IN (?1, ?2)
                       AND COALESCE(q.sla_since, q.opened_at) <= CASE q.level
                           WHEN 'critical' THEN ?3 WHEN 'high' THEN ?4 WHEN 'normal' THEN ?5 ELSE ?6 END
                       AND NOT EXISTS (SELECT 1 FROM queue_breaches b
                           WHERE b.item_id = q.id AND b.kind = ?7 AND b.cycle_start = COALESCE(q.sla_since, q.opened_at))
                     ORDER BY q.id LIMIT ?8"
                )))
                .bind(states[0].as_str())
                .bind(states[states.len() - 1].as_str())
                .bind(to_ms(cutoffs.of(Urgency::Critical)))
                .bind(to_ms(cutoffs.of(Urgency::High)))
                .bind(to_ms(cutoffs.of(Urgency::Normal)))
                .bind(to_ms(cutoffs.of(Urgency::Low)))
                .bind(cutoffs.kind.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(due_item).collect()
            }

            /// Resolved items resolved at or before `resolved_before` whose
            /// reminder was not sent; oldest first.
            pub async fn follow_ups_due(
                &self,
                resolved_before: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<DueItem>, StoreError> {
                let rows = sqlx::query(&self.sql(super::sla_repo::FOLLOW_UPS_DUE_SQL))
                .bind(to_ms(resolved_before))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(due_item).collect()
            }

            /// Records `esc` for `item` and, only if it was not recorded
            /// before, writes its audit event (`via = timer`) and its outbox
            /// rows as routed, all in one transaction. Returns the rows
            /// written if it was new, `None` if it was recorded before.
            pub async fn queue_escalate(
                &self,
                item: &QueueItemRow,
                esc: &Escalation,
                deliveries: &[crate::routing::Delivery],
                n: &Notification,
                now: DateTime<Utc>,
            ) -> Result<Option<super::RoutedReport>, StoreError> {
                let mut tx = self.begin_write().await?;
                let fresh = match esc {
                    Escalation::Breach { kind, cycle_start, deadline } => sqlx::query(&self.sql(
                        "INSERT INTO queue_breaches (item_id, kind, cycle_start, deadline, at) VALUES (?, ?, ?, ?, ?)
                         ON CONFLICT (item_id, kind, cycle_start) DO NOTHING",
                    ))
                    .bind(item.id.0)
                    .bind(kind.as_str())
                    .bind(to_ms(*cycle_start))
                    .bind(to_ms(*deadline))
                    .bind(to_ms(now))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                    Escalation::FollowUpReminder => sqlx::query(&self.sql(
                        "UPDATE queue_items SET reminded_at = ? WHERE id = ? AND state = 'resolved' AND reminded_at IS NULL",
                    ))
                    .bind(to_ms(now))
                    .bind(item.id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                } == 1;
                if !fresh {
                    return Ok(None);
                }
                let note = match esc {
                    Escalation::Breach { kind, .. } => format!("SLA breached: not {} in time; escalated", kind.past_participle()),
                    Escalation::FollowUpReminder => "follow-up due; reminder sent".to_string(),
                };
                sqlx::query(&self.sql(
                    "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
                     VALUES (?, ?, ?, 'earshot', 'timer', ?, ?)",
                ))
                .bind(item.id.0)
                .bind(item.state.as_str())
                .bind(item.state.as_str())
                .bind(note)
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?;
                let payload = encode(n)?;
                let mut report = super::RoutedReport::default();
                for state in self.write_outbox(&mut tx, &super::OutboxWrite::all(None, &payload, deliveries), now).await? {
                    report.count(state);
                }
                tx.commit().await?;
                Ok(Some(report))
            }

            /// The SLA breaches recorded for `item`, oldest first.
            pub async fn queue_breaches(&self, item: QueueItemId) -> Result<Vec<Breach>, StoreError> {
                let rows = sqlx::query(&self.sql(
                    "SELECT kind, cycle_start, deadline, at FROM queue_breaches WHERE item_id = ? ORDER BY id",
                ))
                .bind(item.0)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let kind: String = r.get(0);
                        Ok(Breach {
                            kind: crate::store::parse_stored(&kind, "breach kind", SlaKind::parse)?,
                            since: from_ms(r.get(1)),
                            deadline: from_ms(r.get(2)),
                            at: from_ms(r.get(3)),
                        })
                    })
                    .collect()
            }

            pub async fn queue_depth(&self) -> Result<QueueDepth, StoreError> {
                let rows = sqlx::query(&self.sql(
                    "SELECT state, COUNT(*), MIN(CASE WHEN state = 'open' THEN COALESCE(sla_since, opened_at) END)
                     FROM queue_items GROUP BY state",
                ))
                .fetch_all(&self.pool)
                .await?;
                let mut depth = QueueDepth::default();
                for r in rows {
                    let state: String = r.get(0);
                    let state = crate::store::parse_stored(&state, "queue state", QueueState::parse)?;
                    depth.by_state.push((state, u64::try_from(r.get::<i64, _>(1)).unwrap_or(0)));
                    if let Some(t) = r.get::<Option<i64>, _>(2) {
                        depth.oldest_open = Some(from_ms(t));
                    }
                }
                Ok(depth)
            }

            pub async fn sla_figures(&self, since: DateTime<Utc>) -> Result<Vec<SlaFigure>, StoreError> {
                let since = to_ms(since);
                let rows = sqlx::query(&self.sql(
                    "SELECT level, COALESCE(sla_since, opened_at), acked_at, resolved_at FROM queue_items
                     WHERE COALESCE(sla_since, opened_at) >= ? AND state <> 'dismissed'",
                ))
                .bind(since)
                .fetch_all(&self.pool)
                .await?;
                let level = |s: String| {
                    crate::store::parse_stored(&s, "urgency", Urgency::parse)
                };
                let rows = rows
                    .into_iter()
                    .map(|r| Ok((level(r.get(0))?, r.get::<i64, _>(1), r.get::<Option<i64>, _>(2), r.get::<Option<i64>, _>(3))))
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let breaches = sqlx::query(&self.sql(
                    "SELECT q.level, b.kind, COUNT(*) FROM queue_breaches b JOIN queue_items q ON q.id = b.item_id
                     WHERE b.cycle_start >= ? AND q.state <> 'dismissed' GROUP BY q.level, b.kind",
                ))
                .bind(since)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| {
                    let kind: String = r.get(1);
                    let kind = crate::store::parse_stored(&kind, "breach kind", SlaKind::parse)?;
                    Ok((level(r.get(0))?, kind, u64::try_from(r.get::<i64, _>(2)).unwrap_or(0)))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(super::sla::figures(&rows, &breaches))
            }
        }
    };
}

pub(crate) use sla_repository;

/// Resolved items owed a reminder, resolved at or before `?`, oldest first,
/// at most `?`. Reads `queue_items_follow_up`, which holds only those items.
pub(super) const FOLLOW_UPS_DUE_SQL: &str = concat!(
    "SELECT ",
    super::queue_repo::queue_columns!(q),
    ", m.platform, m.author_handle, m.url, m.body
     FROM queue_items q JOIN mentions m ON m.id = q.mention_id
     WHERE q.state = 'resolved' AND q.reminded_at IS NULL AND q.resolved_at <= ?
     ORDER BY q.id LIMIT ?"
);

/// Reads a queue item joined with its mention's platform, author, URL and text.
pub(crate) fn due_item<R: sqlx::Row>(r: &R) -> Result<super::DueItem, super::StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(super::DueItem {
        item: super::queue_repo::queue_row(r)?,
        platform: r.try_get(13)?,
        author: r.try_get(14)?,
        url: r.try_get(15)?,
        text: r.try_get(16)?,
    })
}
