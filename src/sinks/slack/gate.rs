//! A per-webhook send gate: at most one message per `interval`, callers
//! served in the order they arrive, and a 429's `Retry-After` pushes every
//! later slot back. Built on `tokio::time`, so tests with a paused clock
//! drive it without real waiting.
//!
//! Tests: at the bottom of this file (slot arithmetic with fixed instants).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Gate {
    interval: Duration,
    /// The earliest instant the next caller may send. A std mutex: it is
    /// held only to reserve a slot, never across an await.
    next: Mutex<Option<Instant>>,
}

impl Gate {
    pub fn new(interval: Duration) -> Gate {
        Gate { interval, next: Mutex::new(None) }
    }

    /// Waits for this caller's slot. A caller dropped while waiting leaves
    /// its slot unused, which only makes the gate more conservative.
    pub async fn wait(&self) {
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// Takes the first free slot at or after `now` and returns it.
    pub fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let slot = next.filter(|n| *n > now).unwrap_or(now);
        *next = Some(slot + self.interval);
        slot
    }

    /// No slot before `until` (the receiver said "retry after").
    pub fn hold_until(&self, until: Instant) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        if next.is_none_or(|n| n < until) {
            *next = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_get_consecutive_slots_one_interval_apart() {
        let gate = Gate::new(Duration::from_secs(1));
        let t0 = Instant::now();
        let s = Duration::from_secs;
        // Three callers at once: now, +1 s, +2 s.
        assert_eq!([gate.reserve(t0), gate.reserve(t0), gate.reserve(t0)], [t0, t0 + s(1), t0 + s(2)]);
        // One arriving while the queue is still busy waits behind it.
        assert_eq!(gate.reserve(t0 + Duration::from_millis(500)), t0 + s(3));
        // After a quiet spell, a caller goes at once.
        assert_eq!(gate.reserve(t0 + s(10)), t0 + s(10));
        assert_eq!(gate.reserve(t0 + s(10)), t0 + s(11));
    }

    #[test]
    fn retry_after_holds_every_later_slot() {
        let gate = Gate::new(Duration::from_secs(1));
        let t0 = Instant::now();
        gate.hold_until(t0 + Duration::from_secs(30));
        assert_eq!(gate.reserve(t0), t0 + Duration::from_secs(30));
        assert_eq!(gate.reserve(t0), t0 + Duration::from_secs(31));
        // An earlier hold never pulls the queue forward.
        gate.hold_until(t0 + Duration::from_secs(5));
        assert_eq!(gate.reserve(t0), t0 + Duration::from_secs(32));
    }

    #[test]
    fn zero_interval_never_waits() {
        let gate = Gate::new(Duration::ZERO);
        let t0 = Instant::now();
        assert_eq!([gate.reserve(t0), gate.reserve(t0)], [t0, t0]);
    }
}
