//! The store's routing state every page's alerts need, the silences in
//! force and the brands whose complaint spike is firing, read at most once
//! a second instead of once a page.
//!
//! Owns: [`RoutingState`]. Every page of every source routes its alerts
//! through the active silences and holds back the ordinary ones of a
//! spiking brand. Both change only when someone adds or expires a silence
//! or a spike tick moves, yet reading them for each page took two of the
//! store's reader connections (and their round trips) per page, beside
//! the page's own history reads. So the rows are held for [`HOLD`]:
//! - a silence made by the CLI or by another replica, or a spike another
//!   replica fires, takes effect within [`HOLD`];
//! - this process's own changes (the silences API, its spike tick) drop
//!   the held rows at once ([`RoutingState::forget`]);
//! - silences are held as the store lists them (not yet ended) and checked
//!   against each page's time, so one that starts or ends inside the
//!   second counts from its exact time; asked about a time before the one
//!   they were listed for, they are listed again.
//!
//! Tests: in this module (holds of an hour or of zero, no clock).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::domain::BrandName;
use crate::routing::Silence;
use crate::store::{Store, StoreError};

/// How long rows read from the store are used before they are read again.
pub const HOLD: Duration = Duration::from_secs(1);

/// The silences and firing spikes, as last read.
#[derive(Debug)]
pub struct RoutingState {
    /// [`HOLD`] but in tests.
    hold: Duration,
    held: tokio::sync::Mutex<Option<Held>>,
    /// Bumped by [`Self::forget`]: rows read before the bump are not used.
    changes: AtomicU64,
}

#[derive(Debug)]
struct Held {
    read_at: Instant,
    /// [`RoutingState::changes`] when the read began.
    changes: u64,
    /// The time the silences were listed for: they serve that time and
    /// later ones (a silence left out had ended by then).
    listed_for: DateTime<Utc>,
    /// Not ended at `listed_for`.
    silences: Arc<[Silence]>,
    spiking: Arc<[BrandName]>,
}

impl Default for RoutingState {
    fn default() -> Self {
        Self::holding(HOLD)
    }
}

impl RoutingState {
    fn holding(hold: Duration) -> Self {
        RoutingState { hold, held: tokio::sync::Mutex::default(), changes: AtomicU64::new(0) }
    }

    /// The silences in force at `now` and the brands whose spike is
    /// firing, from rows at most [`HOLD`] old.
    pub async fn read(&self, store: &Store, now: DateTime<Utc>) -> Result<(Vec<Silence>, Vec<BrandName>), StoreError> {
        let mut held = self.held.lock().await;
        let changes = self.changes.load(Ordering::SeqCst);
        let usable = |h: &Held| h.changes == changes && h.read_at.elapsed() < self.hold && now >= h.listed_for;
        if !held.as_ref().is_some_and(usable) {
            let read_at = Instant::now();
            let (silences, spiking) = tokio::try_join!(store.silences(now, false), store.firing_spike_brands())?;
            *held =
                Some(Held { read_at, changes, listed_for: now, silences: silences.into(), spiking: spiking.into() });
        }
        let held = held.as_ref().expect("read above");
        let silences = held.silences.iter().filter(|s| s.active_at(now)).cloned().collect();
        Ok((silences, held.spiking.to_vec()))
    }

    /// Drops the held rows: the next read goes to the store. For this
    /// process's own changes to silences and spikes.
    pub fn forget(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::Matcher;
    use crate::store::NewSilence;

    /// Long enough that held rows stay held for the whole test.
    const LONG: Duration = Duration::from_secs(3600);

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("routing.db").display());
        let store = Store::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        (dir, store)
    }

    async fn silence(store: &Store, starts_at: DateTime<Utc>, minutes: i64) -> Silence {
        let matchers = vec![Matcher::parse("brand = Globex").unwrap()];
        let new = NewSilence {
            matchers: &matchers,
            starts_at,
            ends_at: starts_at + chrono::Duration::minutes(minutes),
            created_by: "test",
            comment: "",
        };
        store.create_silence(&new, starts_at).await.unwrap()
    }

    #[tokio::test]
    async fn held_rows_are_used_until_a_change_of_ours() {
        let (_dir, store) = store().await;
        let state = RoutingState::holding(LONG);
        let now = Utc::now();
        assert!(state.read(&store, now).await.unwrap().0.is_empty());
        // Made elsewhere (the CLI, another replica): not seen while held.
        silence(&store, now, 60).await;
        assert!(state.read(&store, now).await.unwrap().0.is_empty(), "held rows are used within the hold");
        // Made here: seen at once.
        silence(&store, now, 60).await;
        state.forget();
        assert_eq!(state.read(&store, now).await.unwrap().0.len(), 2);
    }

    #[tokio::test]
    async fn rows_are_read_again_once_the_hold_is_over() {
        let (_dir, store) = store().await;
        let state = RoutingState::holding(Duration::ZERO);
        let now = Utc::now();
        assert!(state.read(&store, now).await.unwrap().0.is_empty());
        silence(&store, now, 60).await;
        assert_eq!(state.read(&store, now).await.unwrap().0.len(), 1);
    }

    #[tokio::test]
    async fn a_held_silence_counts_from_its_exact_start_to_its_exact_end() {
        let (_dir, store) = store().await;
        let state = RoutingState::holding(LONG);
        let now = Utc::now();
        let s = silence(&store, now + chrono::Duration::milliseconds(300), 1).await;
        assert_eq!(state.read(&store, now).await.unwrap().0.len(), 0, "not started yet");
        assert_eq!(state.read(&store, s.starts_at).await.unwrap().0.len(), 1, "started, from the same held rows");
        assert_eq!(state.read(&store, s.ends_at).await.unwrap().0.len(), 0, "ended");
    }

    #[tokio::test]
    async fn an_earlier_time_than_the_rows_were_listed_for_lists_them_again() {
        let (_dir, store) = store().await;
        let state = RoutingState::holding(LONG);
        let now = Utc::now();
        silence(&store, now, 1).await;
        // Listed for a time after the silence ended: it is left out...
        assert!(state.read(&store, now + chrono::Duration::minutes(2)).await.unwrap().0.is_empty());
        // ...so a spike tick asked about a time inside it lists again.
        assert_eq!(state.read(&store, now + chrono::Duration::seconds(30)).await.unwrap().0.len(), 1);
    }

    #[tokio::test]
    async fn firing_spikes_are_held_too() {
        let (_dir, store) = store().await;
        let state = RoutingState::holding(LONG);
        assert!(state.read(&store, Utc::now()).await.unwrap().1.is_empty());
        let Store::Sqlite(sqlite) = &store else { unreachable!("a SQLite URL") };
        sqlx::query(
            "INSERT INTO spike_series (brand, topic, baseline, intervals, firing_since) VALUES ('Globex', '', 1, 10, 0)",
        )
        .execute(sqlite.pool())
        .await
        .unwrap();
        assert!(state.read(&store, Utc::now()).await.unwrap().1.is_empty(), "held");
        state.forget();
        assert_eq!(state.read(&store, Utc::now()).await.unwrap().1, [BrandName::new("Globex")]);
    }
}
