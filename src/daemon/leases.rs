//! This replica's leases: which sources it polls and which cluster-wide
//! timers it fires, when several replicas share one database.
//!
//! [`Leases::is_leader`] answers from what this replica holds and, when it
//! holds nothing under that name, tries once to take the lease (free or
//! lapsed). [`Leases::run`] renews what it holds every `renew_interval`,
//! together with a `replica:ID` heartbeat lease whose write doubles as the
//! "database takes writes" probe behind `/readyz` and `earshot_store_up`
//! (with the outcome of the last poll's commit, [`Leases::record_commit`]).
//! A lease counts as held only until `lease_ttl` after the renewal request
//! was *sent*, so a replica that cannot reach the database stops acting
//! before any other replica may take over. Shutdown releases everything,
//! so the others take over at once instead of after `lease_ttl`.
//!
//! On SQLite the one process takes every lease on first ask; the code path
//! is the same. Tests: `store/tests/leases.rs`, `tests/faults/`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::ClusterSettings;
use crate::store::{LeaseRow, Store};
use crate::telemetry::{LeaseLabel, Metrics};

/// Lapsed leases older than this many TTLs are deleted (dead replicas'
/// heartbeats, removed sources).
const PRUNE_AFTER_TTLS: u32 = 20;

/// The lease a source's polls need.
pub fn source_lease(source: &str) -> String {
    format!("source:{source}")
}

/// The leases this replica holds, shared by every generation.
#[derive(Debug)]
pub struct Leases {
    store: Store,
    cfg: ClusterSettings,
    metrics: Arc<Metrics>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Held leases and when our hold ends unless renewed.
    held: HashMap<String, Instant>,
    /// Why the last heartbeat write failed; `None` once one succeeds.
    write_error: Option<String>,
    /// Why the last poll's commit failed; `None` once one succeeds. Kept
    /// apart: a disk with room for a heartbeat but not for a poll is not
    /// ready either.
    commit_error: Option<String>,
    /// Whether any write was tried yet.
    probed: bool,
}

impl Leases {
    pub fn new(store: Store, cfg: ClusterSettings, metrics: Arc<Metrics>) -> Leases {
        Leases { store, cfg, metrics, state: Mutex::new(State::default()) }
    }

    pub fn replica_id(&self) -> &str {
        &self.cfg.replica_id
    }

    /// Whether this replica holds `name` now; if not, tries once to take it.
    pub async fn is_leader(&self, name: &str) -> bool {
        if self.holds(name) {
            return true;
        }
        self.acquire(name).await
    }

    /// Whether this replica holds `name` now, without asking the database.
    pub fn holds(&self, name: &str) -> bool {
        self.lock().held.get(name).is_some_and(|until| Instant::now() < *until)
    }

    /// `Some(reason)` while the database refuses writes (or was never
    /// written to yet: "not checked yet").
    pub fn store_problem(&self) -> Option<String> {
        let s = self.lock();
        if !s.probed {
            return Some("not checked yet".into());
        }
        s.write_error.clone().or_else(|| s.commit_error.clone())
    }

    /// Records whether a poll's commit went through (see `store_problem`).
    pub fn record_commit(&self, result: Result<(), &crate::store::StoreError>) {
        let mut s = self.lock();
        s.commit_error = result.err().map(|e| format!("cannot store polls: {e}"));
        let up = s.write_error.is_none() && s.commit_error.is_none();
        self.metrics.cluster.store_up.set(i64::from(up));
    }

    /// Every lease in the database (lapsed ones included), for `/readyz`.
    pub async fn all(&self) -> Result<Vec<LeaseRow>, crate::store::StoreError> {
        self.store.leases().await
    }

    /// Renews held leases and the heartbeat every `renew_interval` until
    /// `stop`, then releases everything this replica holds.
    pub async fn run(&self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.cfg.renew_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut round: u32 = 0;
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            self.renew_all().await;
            round = round.wrapping_add(1);
            if round % 32 == 1 {
                self.prune().await;
            }
        }
        self.release_all().await;
    }

    /// One round: the heartbeat, then every held lease.
    pub async fn renew_all(&self) {
        let heartbeat = format!("replica:{}", self.cfg.replica_id);
        self.acquire(&heartbeat).await;
        let held: Vec<String> = self.lock().held.keys().filter(|n| **n != heartbeat).cloned().collect();
        for name in held {
            self.acquire(&name).await;
        }
    }

    /// Gives `name` back (a source removed by a reload).
    pub async fn release(&self, name: &str) {
        self.forget(name);
        if let Err(e) = self.store.lease_release(name, &self.cfg.replica_id).await {
            tracing::warn!(lease = name, error = %e, "cannot release a lease; it lapses by itself");
        }
    }

    async fn release_all(&self) {
        let held: Vec<String> = self.lock().held.keys().cloned().collect();
        for name in held {
            self.release(&name).await;
        }
    }

    /// Takes or renews `name`; records the outcome. `true` if held after.
    async fn acquire(&self, name: &str) -> bool {
        let sent = Instant::now();
        let result = self.store.lease_acquire(name, &self.cfg.replica_id, Utc::now(), self.cfg.lease_ttl).await;
        let mut s = self.lock();
        s.probed = true;
        match result {
            Ok(won) => {
                if s.write_error.take().is_some() {
                    tracing::info!(replica = %self.cfg.replica_id, "database takes writes again");
                }
                self.metrics.cluster.store_up.set(i64::from(s.commit_error.is_none()));
                let had = s.held.contains_key(name);
                if won {
                    s.held.insert(name.to_string(), sent + self.cfg.lease_ttl);
                } else {
                    s.held.remove(name);
                }
                drop(s);
                self.set_gauge(name, won);
                match (had, won) {
                    (false, true) => tracing::info!(lease = name, replica = %self.cfg.replica_id, "lease taken"),
                    (true, false) => tracing::warn!(lease = name, replica = %self.cfg.replica_id, "lease lost"),
                    _ => {}
                }
                won
            }
            Err(e) => {
                if s.write_error.is_none() {
                    tracing::error!(replica = %self.cfg.replica_id, error = %e, "database does not take writes; not ready, retrying");
                }
                s.write_error = Some(e.to_string());
                self.metrics.cluster.store_up.set(0);
                let held = s.held.get(name).is_some_and(|until| Instant::now() < *until);
                drop(s);
                self.set_gauge(name, held);
                held
            }
        }
    }

    async fn prune(&self) {
        let age = self.cfg.lease_ttl.saturating_mul(PRUNE_AFTER_TTLS);
        let before = Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::days(1));
        if let Err(e) = self.store.lease_prune(before).await {
            tracing::debug!(error = %e, "cannot prune lapsed leases");
        }
    }

    fn forget(&self, name: &str) {
        self.lock().held.remove(name);
        self.set_gauge(name, false);
    }

    fn set_gauge(&self, name: &str, held: bool) {
        let label = LeaseLabel { lease: name.to_string(), replica: self.cfg.replica_id.clone() };
        self.metrics.cluster.lease_held.get_or_create(&label).set(i64::from(held));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
