//! Spike detection's reads and writes, written once for both backends like
//! `repo.rs`: the negative mentions of the intervals to count, the stored
//! [`Series`](crate::routing::spike::Series) of every brand and topic, the
//! most urgent examples of a spike, and `commit_spikes`, which saves the
//! series, how far counting got and the spike alerts' outbox rows in ONE
//! transaction, and only if no other tick moved the progress meanwhile (a
//! crash recounts, two ticks never alert twice).
//!
//! Tests: `store/tests.rs` (both backends) and `tests/it/spikes.rs`.

use crate::domain::BrandName;
use crate::routing::spike::Series;

/// A spike's most urgent negative mentions (`spike_examples`): the
/// spike's window of `mentions_stored`, filtered by brand.
pub(crate) const SPIKE_EXAMPLES: &str =
    "SELECT id, platform, url, author_handle, body, level, urgency, topics FROM mentions
     WHERE brand = ? AND label = 'negative' AND stored_at >= ?
     ORDER BY urgency DESC, id DESC LIMIT 200";

/// One stored series: a brand, or a brand's topic.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    pub brand: BrandName,
    /// `None`: the whole brand.
    pub topic: Option<String>,
    pub series: Series,
}

/// A negative mention as counted for spikes.
#[derive(Debug, Clone, PartialEq)]
pub struct NegativeMention {
    pub brand: BrandName,
    pub topics: Vec<String>,
    pub stored_at: chrono::DateTime<chrono::Utc>,
}

/// Posts stored this long after they were posted are not counted (a new
/// source's backfill, an old thread resurfacing): a spike is about now.
pub const MAX_LATENESS_MS: i64 = 3_600_000;

macro_rules! spike_repository {
    ($store:ident) => {
        impl $store {
            pub async fn spike_series(
                &self,
            ) -> Result<(Option<DateTime<Utc>>, Vec<super::spike_repo::SeriesRow>), StoreError> {
                let counted = sqlx::query(&self.sql("SELECT counted FROM spike_progress WHERE id = 1"))
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| from_ms(r.get(0)));
                let rows = sqlx::query(&self.sql(
                    "SELECT brand, topic, baseline, intervals, quiet, firing_since, last_count FROM spike_series",
                ))
                .fetch_all(&self.pool)
                .await?;
                let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
                let series = rows
                    .into_iter()
                    .map(|r| super::spike_repo::SeriesRow {
                        brand: BrandName::new(r.get::<String, _>(0)),
                        topic: Some(r.get::<String, _>(1)).filter(|t| !t.is_empty()),
                        series: crate::routing::spike::Series {
                            baseline: r.get(2),
                            intervals: n(r.get(3)),
                            quiet: n(r.get(4)),
                            firing_since: r.get::<Option<i64>, _>(5).map(from_ms),
                            last_count: u64::try_from(r.get::<i64, _>(6)).unwrap_or(0),
                        },
                    })
                    .collect();
                Ok((counted, series))
            }

            pub async fn negative_mentions(
                &self,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<super::spike_repo::NegativeMention>, StoreError> {
                let rows = sqlx::query(&self.sql(
                    "SELECT brand, topics, stored_at FROM mentions
                     WHERE stored_at >= ? AND stored_at < ? AND label = 'negative' AND posted_at >= stored_at - ?",
                ))
                .bind(to_ms(from))
                .bind(to_ms(to))
                .bind(super::spike_repo::MAX_LATENESS_MS)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        let topics: String = r.get(1);
                        Ok(super::spike_repo::NegativeMention {
                            brand: BrandName::new(r.get::<String, _>(0)),
                            topics: serde_json::from_str(&topics)
                                .map_err(|e| StoreError::Corrupt(format!("mention topics: {e}")))?,
                            stored_at: from_ms(r.get(2)),
                        })
                    })
                    .collect()
            }

            pub async fn spike_examples(
                &self,
                brand: &BrandName,
                topic: Option<&str>,
                since: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<crate::sinks::SpikeExample>, StoreError> {
                let rows = sqlx::query(&self.sql(super::spike_repo::SPIKE_EXAMPLES))
                .bind(brand.as_str())
                .bind(to_ms(since))
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::new();
                for r in rows {
                    let topics: Vec<String> = serde_json::from_str(&r.get::<String, _>(7)).unwrap_or_default();
                    if topic.is_some_and(|t| !topics.iter().any(|x| x == t)) {
                        continue;
                    }
                    let platform: String = r.get(1);
                    let level: String = r.get(5);
                    let text: String = r.get(4);
                    out.push(crate::sinks::SpikeExample {
                        mention_id: MentionId(r.get(0)),
                        platform: crate::store::parse_stored(&platform, "platform", Platform::parse)?,
                        url: r.get(2),
                        author: r.get(3),
                        text: text.chars().take(400).collect(),
                        level: crate::store::parse_stored(&level, "urgency level", Urgency::parse)?,
                        urgency: r.get(6),
                    });
                    if out.len() == limit {
                        break;
                    }
                }
                Ok(out)
            }

            pub async fn commit_spikes(
                &self,
                previous: Option<DateTime<Utc>>,
                counted: DateTime<Utc>,
                series: &[super::spike_repo::SeriesRow],
                alerts: &[(Vec<crate::routing::Delivery>, Notification)],
                now: DateTime<Utc>,
            ) -> Result<Option<super::RoutedReport>, StoreError> {
                let mut tx = self.begin_write().await?;
                // Moves the progress only from where this tick read it: a
                // concurrent tick that committed first wins, this one is
                // dropped (no double alerts).
                let moved = match previous {
                    None => sqlx::query(&self.sql(
                        "INSERT INTO spike_progress (id, counted) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                    ))
                    .bind(to_ms(counted))
                    .execute(&mut *tx)
                    .await?,
                    Some(prev) => sqlx::query(&self.sql(
                        "UPDATE spike_progress SET counted = ? WHERE id = 1 AND counted = ?",
                    ))
                    .bind(to_ms(counted))
                    .bind(to_ms(prev))
                    .execute(&mut *tx)
                    .await?,
                };
                if moved.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                for row in series {
                    let s = &row.series;
                    sqlx::query(&self.sql(
                        "INSERT INTO spike_series (brand, topic, baseline, intervals, quiet, firing_since, last_count)
                         VALUES (?, ?, ?, ?, ?, ?, ?)
                         ON CONFLICT (brand, topic) DO UPDATE SET baseline = excluded.baseline,
                             intervals = excluded.intervals, quiet = excluded.quiet,
                             firing_since = excluded.firing_since, last_count = excluded.last_count",
                    ))
                    .bind(row.brand.as_str())
                    .bind(row.topic.as_deref().unwrap_or(""))
                    .bind(s.baseline)
                    .bind(i64::from(s.intervals))
                    .bind(i64::from(s.quiet))
                    .bind(s.firing_since.map(to_ms))
                    .bind(clamp_i64(s.last_count))
                    .execute(&mut *tx)
                    .await?;
                }
                let mut report = super::RoutedReport::default();
                for (deliveries, n) in alerts {
                    let payload = encode(n)?;
                    let rows = super::OutboxWrite::all(None, &payload, deliveries);
                    for state in self.write_outbox(&mut tx, &rows, now).await? {
                        report.count(state);
                    }
                }
                tx.commit().await?;
                Ok(Some(report))
            }

            pub async fn firing_spike_brands(&self) -> Result<Vec<BrandName>, StoreError> {
                let rows = sqlx::query(&self.sql(
                    "SELECT brand FROM spike_series WHERE topic = '' AND firing_since IS NOT NULL ORDER BY brand",
                ))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|r| BrandName::new(r.get::<String, _>(0))).collect())
            }
        }
    };
}

pub(crate) use spike_repository;
