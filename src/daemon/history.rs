//! What earlier polls tell the scorer: before a batch is scored, its
//! posts' stored engagement (for momentum between polls) and their
//! authors' complaints this week (repeat complaints) and customer records
//! (their history and queue items, for alerts and follow-ups) are read
//! per platform; after it is stored, mentions read again are
//! refreshed, and one that rose to a level its routes alert on (a
//! complaint going viral) is alerted to the receivers it newly reaches.
//!
//! A re-read happens when poll windows overlap, a platform serves a post
//! again, or a post is pushed again with new counts
//! (`POST /api/v1/ingest`). Tests: `tests/it/flow.rs`
//! (`rising_mention_alerts_newly_reached_receivers`) and
//! `store/tests.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::Context;
use crate::domain::{Mention, Platform, Post, SourceName};
use crate::pipeline::History;
use crate::queue::customer::{CustomerHistory, HISTORY_WINDOW_DAYS};
use crate::routing::inhibit::Inhibitor;
use crate::routing::{Labels, Silence};
use crate::store::{ItemCustomer, PriorReads, Reread, StoreError};

/// The batch's prior reads, per platform.
#[derive(Debug, Default)]
pub(super) struct Prior {
    by_platform: HashMap<Platform, PriorReads>,
    now: DateTime<Utc>,
}

impl Prior {
    pub(super) fn history(&self, post: &Post) -> History {
        self.by_platform.get(&post.platform).map(|p| p.history(post, self.now)).unwrap_or_default()
    }

    /// The customer history an alert about `mention` of `post` shows.
    pub(super) fn customer(&self, post: &Post, mention: &Mention) -> CustomerHistory {
        self.by_platform.get(&post.platform).map(|p| p.customer(post, mention)).unwrap_or_default()
    }
}

impl Context {
    /// Reads what the store knows about `posts` as of `now`.
    pub(super) async fn prior_reads(&self, posts: &[Post], now: DateTime<Utc>) -> Result<Prior, StoreError> {
        let since = now - Duration::days(i64::from(crate::pipeline::scorer::REPEAT_WINDOW_DAYS));
        let history_since = now - Duration::days(HISTORY_WINDOW_DAYS);
        let mut groups: HashMap<Platform, Vec<&Post>> = HashMap::new();
        for post in posts {
            groups.entry(post.platform).or_default().push(post);
        }
        let mut prior = Prior { by_platform: HashMap::with_capacity(groups.len()), now };
        for (platform, posts) in groups {
            prior.by_platform.insert(platform, self.store.prior_reads(platform, &posts, since, history_since).await?);
        }
        Ok(prior)
    }

    /// Refreshes the mentions of `scored` that were stored before and whose
    /// engagement or level changed; alerts the receivers a risen mention
    /// newly reaches. Returns the outbox rows written.
    pub(super) async fn record_rereads(
        &self,
        source: &SourceName,
        posts: &[Post],
        scored: &[(usize, Mention)],
        prior: &Prior,
        silences: &[Silence],
        inhibitor: &Inhibitor,
    ) -> Result<u64, StoreError> {
        let rereads: Vec<Reread<'_>> = scored
            .iter()
            .filter_map(|(i, mention)| {
                let post = &posts[*i];
                let stored = prior.by_platform.get(&post.platform)?.stored(post, &mention.brand)?;
                let grew = post.engagement.total() != stored.interactions;
                let rose = mention.score.level > stored.level;
                if !grew && !rose {
                    return None;
                }
                let deliveries = if rose {
                    let labels = Labels::for_mention(source, post, mention);
                    let earlier = self.router.receivers_for(&labels.clone().urgency(stored.level));
                    let mut now = self.router.decide(&labels, prior.now, silences);
                    now.retain(|d| !earlier.contains(&d.receiver));
                    inhibitor.apply(mention, &mut now);
                    now
                } else {
                    Vec::new()
                };
                Some(Reread { mention_id: stored.id, post, mention, deliveries })
            })
            .collect();
        if rereads.is_empty() {
            return Ok(0);
        }
        let rows = self.store.record_rereads(source, &rereads, prior.now).await?;
        for r in rereads.iter().filter(|r| !r.deliveries.is_empty()) {
            tracing::warn!(
                source = %source,
                mention_id = r.mention_id.0,
                level = %r.mention.score.level,
                receivers = r.deliveries.len(),
                "mention rose in urgency; alerting the receivers it newly reaches"
            );
        }
        Ok(rows)
    }
}

impl Context {
    /// The customer history of `item`'s author as of `now`
    /// ([`Store::item_customer`](crate::store::Store::item_customer)).
    pub async fn item_customer(
        &self,
        item: &crate::store::QueueItemRow,
        now: DateTime<Utc>,
    ) -> Result<Option<ItemCustomer>, StoreError> {
        self.store.item_customer(item, now).await
    }
}
