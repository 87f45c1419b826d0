//! The daemon's heap on glibc: two malloc arenas rather than glibc's
//! eight per core (unless `MALLOC_ARENA_MAX` says otherwise), and free
//! pages handed back to the kernel once start-up (or a reload) has built
//! and dropped its scratch. Compiling 10,000 watch terms and the scoring
//! data leaves megabytes of freed chunks below the live ones that glibc
//! only returns on request (`malloc_trim`), as do the first polls and
//! every burst of load after them. Measured in BENCHMARKS.md ("Memory and
//! start-up", "Malloc arenas"). Elsewhere both are no-ops.
//!
//! Tests: below (a trim after freeing returns pages).

use std::time::Duration;

/// Malloc arenas (glibc's default is up to 8 per core). Two keep an
/// idle daemon under its 30 MB budget (0.5 MiB above one) and let a busy
/// one allocate on two threads at once: with one, the tokio workers and
/// SQLite's connection threads queued on its lock, and the ingest path
/// ran 8-13 % slower (BENCHMARKS.md, "Malloc arenas" and "Sixth pass").
/// `MALLOC_ARENA_MAX` overrides it (the systemd unit and the container
/// say where). Extra arenas cost that little because the data that lives
/// (the compiled matcher and scorer) is built on the main thread, in the
/// main heap (`Starting::connect`); built on a blocking thread, it left
/// that thread's arena holding 3-4 MB of freed scratch no trim returned.
pub const ARENAS: i32 = 2;

/// When free pages are handed back besides after start-up and reloads:
/// once the first polls have run (their HTTP and database scratch is
/// freed by then), then now and again, so a burst of load does not stay
/// resident for good. Each trim is logged at debug level with its time.
const SETTLED: Duration = Duration::from_secs(5);
const EVERY: Duration = Duration::from_secs(600);

/// Trims [`SETTLED`] after it is started, then every [`EVERY`]; runs until
/// aborted.
pub async fn keep_trimmed() {
    trim_on_schedule(|| {
        let started = std::time::Instant::now();
        let returned = release_free_pages();
        tracing::debug!(returned, micros = started.elapsed().as_micros() as u64, "heap trimmed");
    })
    .await;
}

async fn trim_on_schedule(mut trim: impl FnMut()) {
    tokio::time::sleep(SETTLED).await;
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        trim();
        every.tick().await;
    }
}

/// Caps the number of malloc arenas; call before the runtime starts its
/// threads (glibc fixes the cap when a second thread first allocates).
/// `MALLOC_ARENA_MAX` in the environment still wins.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a glibc tunable; called once, early.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        }
    }
}

/// Returns free heap pages to the kernel; `true` if any were returned.
pub fn release_free_pages() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim walks glibc's own free lists under its locks.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    #[test]
    fn freed_pages_go_back() {
        // Many page-sized blocks, every tenth kept: the freed ones lie
        // between live ones, where only a trim returns them.
        let blocks: Vec<Vec<u8>> = (0..4_000).map(|i| vec![i as u8; 8_192]).collect();
        let kept: Vec<Vec<u8>> = blocks.into_iter().step_by(10).collect();
        assert!(release_free_pages());
        assert_eq!(kept.len(), 400);
    }

    #[tokio::test(start_paused = true)]
    async fn trims_once_settled_then_every_ten_minutes() {
        let trims = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = trims.clone();
        let task = tokio::spawn(trim_on_schedule(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let count = || trims.load(std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(SETTLED - Duration::from_millis(1)).await;
        assert_eq!(count(), 0);
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(count(), 1);
        tokio::time::sleep(EVERY * 2).await;
        assert_eq!(count(), 3);
        task.abort();
    }
}
