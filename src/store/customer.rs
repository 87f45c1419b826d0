//! A queue item's customer as responders see it (`GET /api/v1/queue/{id}`,
//! the board, `earshot queue show`): the item's author and platform, and
//! everything else heard from them, summed up by `queue::customer`. Two
//! reads through the repository API; no SQL of its own.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{HistoryWindow, QueueItemRow, Store, StoreError};
use crate::domain::Platform;
use crate::queue::customer::{CustomerHistory, NewPost, HISTORY_WINDOW_DAYS};

/// A queue item's customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemCustomer {
    pub platform: Platform,
    pub author: String,
    /// Everything else heard from them (this item's post and the item
    /// itself left out).
    pub history: CustomerHistory,
    /// The one line alerts show.
    pub line: String,
}

impl Store {
    /// The customer history of `item`'s author as of `now`; `None` if its
    /// mention is gone.
    pub async fn item_customer(
        &self,
        item: &QueueItemRow,
        now: DateTime<Utc>,
    ) -> Result<Option<ItemCustomer>, StoreError> {
        let Some(who) = self.mention_author(item.mention_id).await? else { return Ok(None) };
        let complaints_since = now - Duration::days(i64::from(crate::pipeline::scorer::REPEAT_WINDOW_DAYS));
        let window = HistoryWindow {
            since: now - Duration::days(HISTORY_WINDOW_DAYS),
            complaints_since,
            leaving_out: &[who.external_id.as_str()],
            leaving_out_item: Some(item.id),
        };
        let mut records = self.customer_records(who.platform, &[who.author.as_str()], window).await?;
        let record = records.remove(&who.author).unwrap_or_default();
        let post = NewPost { external_id: &who.external_id, brand: &who.brand, label: who.label, posted_at: now };
        let mut history = record.history(post, complaints_since);
        history.follow_up = None;
        let line = history.line(who.label);
        Ok(Some(ItemCustomer { platform: who.platform, author: who.author, history, line }))
    }
}
