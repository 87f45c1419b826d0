//! The web board's queries, written once for both backends like `repo.rs`:
//! [`board_repository!`] expands them into an `impl` for a backend struct.
//! Everything is grouped in SQL (one row per brand × bucket, per topic), so
//! a trends page costs a few queries whatever the volume.
//! A mention's topics are a JSON array in `mentions.topics`, unnested with
//! `json_each(m.topics)` (PostgreSQL: `json_array_elements_text`).

/// Mentions per brand and time bucket posted in a range
/// (`mention_volume`): one range of `mentions_posted`.
pub(crate) const MENTION_VOLUME: &str =
    "SELECT brand, posted_at / ?1, COUNT(*), SUM(CASE WHEN label = 'negative' THEN 1 ELSE 0 END)
     FROM mentions WHERE posted_at >= ?2 AND posted_at < ?3
     GROUP BY 1, 2 ORDER BY 1, 2";

/// The topics of negative mentions posted since a time, most frequent
/// first (`complaint_topics`): one range of `mentions_posted`.
pub(crate) const COMPLAINT_TOPICS: &str = "SELECT t.value, COUNT(*) FROM mentions m, json_each(m.topics) t
     WHERE m.label = 'negative' AND m.posted_at >= ?
     GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?";

macro_rules! board_repository {
    ($store:ident) => {
        impl $store {
            pub async fn board_items(
                &self,
                scope: super::board::BoardScope,
                limit: u32,
            ) -> Result<Vec<super::board::BoardItem>, StoreError> {
                use super::board::BoardScope;
                let (only_id, unresolved, brand) = match scope {
                    BoardScope::Unresolved { brand } => (None, 1_i64, brand),
                    BoardScope::Item(id) => (Some(id.0), 0, None),
                };
                let rows = sqlx::query(&self.sql(concat!(
                    "SELECT ", super::queue_repo::queue_columns!(q), ",
                            m.platform, m.author_handle, m.body, m.url, m.posted_at, m.topics, m.reasons
                     FROM queue_items q JOIN mentions m ON m.id = q.mention_id
                     WHERE (?1 IS NULL OR q.id = ?1)
                       AND (?2 = 0 OR q.state IN ('open', 'acknowledged'))
                       AND (?4 IS NULL OR q.brand = ?4)
                     ORDER BY (CASE q.level WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END) DESC,
                              q.opened_at, q.id
                     LIMIT ?3"
                )))
                .bind(only_id)
                .bind(unresolved)
                .bind(i64::from(limit))
                .bind(brand)
                .fetch_all(&self.pool)
                .await?;
                let strings = |json: String| {
                    serde_json::from_str::<Vec<String>>(&json)
                        .map_err(|e| StoreError::Corrupt(format!("mention topics or reasons: {e}")))
                };
                rows.iter()
                    .map(|r| {
                        Ok(super::board::BoardItem {
                            queue: queue_row(r)?,
                            platform: r.try_get(13)?,
                            author: r.try_get(14)?,
                            text: r.try_get(15)?,
                            url: r.try_get(16)?,
                            posted_at: from_ms(r.try_get(17)?),
                            topics: strings(r.try_get(18)?)?,
                            reasons: strings(r.try_get(19)?)?,
                        })
                    })
                    .collect()
            }

            /// Mentions posted in `[since, until)` per brand and bucket of
            /// `width`, oldest bucket first; empty buckets are absent.
            pub async fn mention_volume(
                &self,
                since: DateTime<Utc>,
                until: DateTime<Utc>,
                width: std::time::Duration,
            ) -> Result<Vec<super::board::VolumeBucket>, StoreError> {
                let width_ms = i64::try_from(width.as_millis()).unwrap_or(i64::MAX).max(1);
                let rows = sqlx::query(&self.sql(super::board_repo::MENTION_VOLUME))
                .bind(width_ms)
                .bind(to_ms(since))
                .bind(to_ms(until))
                .fetch_all(&self.pool)
                .await?;
                let count = |n: i64| u64::try_from(n).unwrap_or(0);
                Ok(rows
                    .iter()
                    .map(|r| super::board::VolumeBucket {
                        brand: r.get(0),
                        start: from_ms(r.get::<i64, _>(1).saturating_mul(width_ms)),
                        mentions: count(r.get(2)),
                        negative: count(r.get(3)),
                    })
                    .collect())
            }

            /// The `limit` topics most often found in negative mentions
            /// posted since `since`, most frequent first.
            pub async fn complaint_topics(
                &self,
                since: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<super::board::TopicCount>, StoreError> {
                let rows = sqlx::query(&self.sql(super::board_repo::COMPLAINT_TOPICS))
                .bind(to_ms(since))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| super::board::TopicCount {
                        topic: r.get(0),
                        mentions: u64::try_from(r.get::<i64, _>(1)).unwrap_or(0),
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use board_repository;
