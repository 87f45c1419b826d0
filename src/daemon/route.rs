//! Routing inside the daemon: the pure router's decisions with the
//! store's silences, and [`Context::raise`] for alerts that are not a
//! stored mention (source health, spikes, SLA breaches, follow-ups):
//! `ctx.raise(&Labels::system("spike", level).brand(b), &notification, now)`.

use chrono::{DateTime, Utc};

use super::Context;
use crate::routing::{Delivery, Labels, Silence, SilenceId};
use crate::sinks::Notification;
use crate::store::{NewSilence, RoutedReport, StoreError};

impl Context {
    /// The silences in force at `now` (from rows at most a second old,
    /// `routing_state.rs`).
    pub async fn active_silences(&self, now: DateTime<Utc>) -> Result<Vec<Silence>, StoreError> {
        Ok(self.routing_state.read(&self.store, now).await?.0)
    }

    /// Stores a new silence; this process's routing sees it at once.
    pub async fn create_silence(&self, new: &NewSilence<'_>, now: DateTime<Utc>) -> Result<Silence, StoreError> {
        let created = self.store.create_silence(new, now).await;
        self.routing_state.forget();
        created
    }

    /// Ends silence `id` at `now`; this process's routing sees it at once.
    pub async fn expire_silence(&self, id: SilenceId, now: DateTime<Utc>) -> Result<Option<Silence>, StoreError> {
        let expired = self.store.expire_silence(id, now).await;
        self.routing_state.forget();
        expired
    }

    /// Where an alert with `labels` goes at `now`, silences applied.
    pub async fn route(&self, labels: &Labels, now: DateTime<Utc>) -> Result<Vec<Delivery>, StoreError> {
        Ok(self.router.decide(labels, now, &self.active_silences(now).await?))
    }

    /// Routes `n` by `labels` and writes its outbox rows; counts them in
    /// `earshot_delivery_routed_total`.
    pub async fn raise(
        &self,
        labels: &Labels,
        n: &Notification,
        now: DateTime<Utc>,
    ) -> Result<RoutedReport, StoreError> {
        let deliveries = self.route(labels, now).await?;
        if deliveries.is_empty() {
            tracing::warn!(kind = %labels.kind, alert = %labels, "no route takes this alert");
            return Ok(RoutedReport::default());
        }
        let report = self.store.enqueue_routed(&deliveries, n, now).await?;
        self.metrics.routed(&report);
        Ok(report)
    }
}
