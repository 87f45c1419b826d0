//! Named, expiring leases shared by the replicas on one database (table
//! `leases`, migration 0006): `acquire` takes a free or lapsed lease, or
//! renews one the caller already holds, in ONE upsert, so two replicas
//! racing for a lapsed lease cannot both win; `release` gives it back; `lease_prune` deletes long-lapsed ones;
//! `leases` lists them for `/readyz`.
//!
//! Written once for both backends like `repo.rs`. Times are the caller's
//! clock in epoch ms: replicas must keep their clocks in step (NTP) to well
//! within the lease's time to live. On SQLite (one process) every lease is
//! simply held by that process, through the same queries.
//!
//! Tests: `store/tests/leases.rs` (both backends).

use chrono::{DateTime, Utc};

/// A lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub name: String,
    /// The replica id holding it (or that last held it, if lapsed).
    pub holder: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

macro_rules! lease_repository {
    ($store:ident) => {
        impl $store {
            pub async fn lease_acquire(
                &self,
                name: &str,
                holder: &str,
                now: DateTime<Utc>,
                ttl: Duration,
            ) -> Result<bool, StoreError> {
                let now = to_ms(now);
                let expires = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2));
                let row = sqlx::query(&self.sql(
                    "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (name) DO UPDATE SET
                         acquired_at = CASE WHEN leases.holder = excluded.holder
                                            THEN leases.acquired_at ELSE excluded.acquired_at END,
                         holder = excluded.holder,
                         expires_at = excluded.expires_at
                     WHERE leases.holder = excluded.holder OR leases.expires_at < ?
                     RETURNING holder",
                ))
                .bind(name)
                .bind(holder)
                .bind(now)
                .bind(expires)
                .bind(now)
                .fetch_optional(self.writes())
                .await?;
                Ok(row.is_some())
            }

            pub async fn lease_release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
                sqlx::query(&self.sql("DELETE FROM leases WHERE name = ? AND holder = ?"))
                    .bind(name)
                    .bind(holder)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            pub async fn lease_prune(&self, lapsed_before: DateTime<Utc>) -> Result<u64, StoreError> {
                let done = sqlx::query(&self.sql("DELETE FROM leases WHERE expires_at < ?"))
                    .bind(to_ms(lapsed_before))
                    .execute(self.writes())
                    .await?;
                Ok(done.rows_affected())
            }

            pub async fn leases(&self) -> Result<Vec<LeaseRow>, StoreError> {
                let rows =
                    sqlx::query(&self.sql("SELECT name, holder, acquired_at, expires_at FROM leases ORDER BY name"))
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| LeaseRow {
                        name: r.get(0),
                        holder: r.get(1),
                        acquired_at: from_ms(r.get(2)),
                        expires_at: from_ms(r.get(3)),
                    })
                    .collect())
            }
        }
    };
}

pub(super) use lease_repository;
