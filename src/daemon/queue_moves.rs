//! Queue moves made through the running daemon (HTTP API, Slack buttons,
//! the web board): applied by the store in one transaction with their
//! audit event, then measured: the time from an item's SLA clock start to
//! its acknowledge or resolve feeds the `queue_*_duration` histograms.
//! (`earshot queue` from a terminal goes to the store directly; its moves
//! count in the SLA figures but not in this process's metrics.)

use chrono::Utc;

use super::Context;
use crate::domain::QueueItemId;
use crate::queue::Move;
use crate::store::{Change, QueueError, QueueItemRow};
use crate::telemetry::UrgencyLabel;

impl Context {
    /// Applies `change` now and records how long the item waited.
    pub async fn queue_change(&self, id: QueueItemId, change: &Change<'_>) -> Result<QueueItemRow, QueueError> {
        let now = Utc::now();
        let item = self.store.queue_change(id, change, now).await?;
        let label = UrgencyLabel { urgency: item.level.as_str().into() };
        let waited = |t: chrono::DateTime<Utc>| (t - item.sla_since).num_milliseconds().max(0) as f64 / 1000.0;
        match change.mv {
            Some(Move::Ack) => {
                self.metrics.queue_ack_duration.get_or_create(&label).observe(waited(now));
            }
            Some(Move::Resolve) => {
                if item.acked_at == Some(now) {
                    // Resolved straight from open: that answered it too.
                    self.metrics.queue_ack_duration.get_or_create(&label).observe(waited(now));
                }
                self.metrics.queue_resolve_duration.get_or_create(&label).observe(waited(now));
            }
            _ => {}
        }
        Ok(item)
    }
}
