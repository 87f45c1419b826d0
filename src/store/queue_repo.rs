//! Queue queries, written once for both backends like `repo.rs`:
//! [`queue_repository!`] expands them into an `impl` for a backend struct.
//! A move reads the item's state under a row lock (`/*ROWLOCK*/`, `FOR
//! UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises
//! writers), checks it with `queue::apply`, and writes the new state and
//! its audit event in the same transaction, with the SLA clocks the move
//! stamps (`QueueItemRow::stamp`).

macro_rules! queue_repository {
    ($store:ident) => {
        impl $store {
            pub async fn queue_list(&self, f: &QueueFilter) -> Result<Vec<QueueItemRow>, StoreError> {
                let rows = sqlx::query(&self.sql(concat!(
                    "SELECT ",
                    super::queue_repo::queue_columns!(),
                    " FROM queue_items
                     WHERE (?1 IS NULL OR state = ?1)
                       AND (?2 IS NULL OR brand = ?2)
                       AND (CASE level WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END) >= ?3
                       AND (?4 IS NULL OR assignee = ?4)
                       AND opened_at <= ?5
                       AND id < ?6
                     ORDER BY id DESC LIMIT ?7",
                )))
                .bind(f.state.map(QueueState::as_str))
                .bind(f.brand.as_deref())
                .bind(f.min_level.map_or(0, super::queue::level_rank))
                .bind(f.assignee.as_deref())
                .bind(f.opened_before.map_or(i64::MAX, to_ms))
                .bind(f.before_id.unwrap_or(i64::MAX))
                .bind(i64::from(f.limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(queue_row).collect()
            }

            pub async fn queue_item(
                &self,
                id: QueueItemId,
            ) -> Result<Option<(QueueItemRow, Vec<QueueEvent>)>, StoreError> {
                let Some(row) = sqlx::query(&self.sql(concat!(
                    "SELECT ",
                    super::queue_repo::queue_columns!(),
                    " FROM queue_items WHERE id = ?"
                )))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?
                else {
                    return Ok(None);
                };
                let events = sqlx::query(&self.sql(
                    "SELECT from_state, to_state, actor, via, note, at FROM queue_events
                     WHERE item_id = ? ORDER BY id",
                ))
                .bind(id.0)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| QueueEvent {
                    from: r.get(0),
                    to: r.get(1),
                    actor: r.get(2),
                    via: r.get(3),
                    note: r.get(4),
                    at: from_ms(r.get(5)),
                })
                .collect();
                Ok(Some((queue_row(&row)?, events)))
            }

            /// Applies `mv` (or, with `None`, only an assignment or a note,
            /// keeping the state) and records who did it.
            pub async fn queue_change(
                &self,
                id: QueueItemId,
                change: &super::queue_repo::Change<'_>,
                now: DateTime<Utc>,
            ) -> Result<QueueItemRow, QueueError> {
                let mut tx = self.begin_write().await?;
                let Some(row) = sqlx::query(&self.sql(concat!(
                    "SELECT ",
                    super::queue_repo::queue_columns!(),
                    " FROM queue_items WHERE id = ? /*ROWLOCK*/"
                )))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
                else {
                    return Err(QueueError::NotFound(id));
                };
                let mut item = queue_row(&row)?;
                let from = item.state;
                if let Some(mv) = change.mv {
                    item.state = rules::apply(from, mv)?;
                    item.stamp(mv, now);
                }
                if let Some(assignee) = change.assign {
                    item.assignee = assignee.map(str::to_string);
                }
                item.updated_at = now;
                sqlx::query(&self.sql(
                    "UPDATE queue_items SET state = ?, assignee = ?, updated_at = ?, sla_since = ?, acked_at = ?,
                         resolved_at = ?, reminded_at = ?, outcome = ?,
                         outcome_mention_id = CASE WHEN ? IS NULL THEN NULL ELSE outcome_mention_id END
                     WHERE id = ?",
                ))
                .bind(item.state.as_str())
                .bind(item.assignee.as_deref())
                .bind(to_ms(now))
                .bind(to_ms(item.sla_since))
                .bind(item.acked_at.map(to_ms))
                .bind(item.resolved_at.map(to_ms))
                .bind(item.reminded_at.map(to_ms))
                .bind(item.outcome.map(|o| o.as_str()))
                .bind(item.outcome.map(|o| o.as_str()))
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query(&self.sql(
                    "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(id.0)
                .bind(from.as_str())
                .bind(item.state.as_str())
                .bind(change.actor)
                .bind(change.via.as_str())
                .bind(change.note())
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(item)
            }
        }
    };
}

pub(crate) use queue_repository;

/// The `queue_items` columns [`queue_row`] reads, in its order; `(q)`
/// qualifies them for joins.
macro_rules! queue_columns {
    () => {
        "id, mention_id, brand, level, state, assignee, opened_at, updated_at, COALESCE(sla_since, opened_at),
         acked_at, resolved_at, reminded_at, outcome"
    };
    (q) => {
        "q.id, q.mention_id, q.brand, q.level, q.state, q.assignee, q.opened_at, q.updated_at,
         COALESCE(q.sla_since, q.opened_at), q.acked_at, q.resolved_at, q.reminded_at, q.outcome"
    };
}

pub(crate) use queue_columns;

use crate::queue::{Move, Via};

/// One change to a queue item: a move, an assignment, a note, or several.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub mv: Option<Move>,
    /// `Some(None)` unassigns.
    pub assign: Option<Option<&'a str>>,
    pub note: Option<&'a str>,
    pub actor: &'a str,
    pub via: Via,
}

impl Change<'_> {
    /// The audit note: the given note, or what an assignment did.
    pub(crate) fn note(&self) -> Option<String> {
        let assigned = self.assign.map(|a| match a {
            Some(who) => format!("assigned to {who}"),
            None => "unassigned".to_string(),
        });
        match (assigned, self.note) {
            (Some(a), Some(n)) => Some(format!("{a}: {n}")),
            (Some(a), None) => Some(a),
            (None, n) => n.map(str::to_string),
        }
    }
}

/// Reads a `queue_items` row; unknown stored names are corruption.
pub(crate) fn queue_row<R: sqlx::Row>(r: &R) -> Result<super::QueueItemRow, super::StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let level: String = r.try_get(3)?;
    let state: String = r.try_get(4)?;
    let outcome: Option<String> = r.try_get(12)?;
    let stamp = |i: usize| r.try_get::<Option<i64>, _>(i).map(|t| t.map(super::from_ms));
    Ok(super::QueueItemRow {
        id: crate::domain::QueueItemId(r.try_get(0)?),
        mention_id: crate::domain::MentionId(r.try_get(1)?),
        brand: r.try_get(2)?,
        level: crate::store::parse_stored(&level, "urgency", crate::domain::Urgency::parse)?,
        state: crate::store::parse_stored(&state, "queue state", crate::queue::QueueState::parse)?,
        assignee: r.try_get(5)?,
        opened_at: super::from_ms(r.try_get(6)?),
        updated_at: super::from_ms(r.try_get(7)?),
        sla_since: super::from_ms(r.try_get(8)?),
        acked_at: stamp(9)?,
        resolved_at: stamp(10)?,
        reminded_at: stamp(11)?,
        outcome: outcome
            .map(|o| crate::store::parse_stored(&o, "follow-up outcome", crate::queue::follow_up::Outcome::parse))
            .transpose()?,
    })
}
