//! The daemon's heap on glibc: fewer malloc arenas, and free pages handed
//! back to the kernel once start-up (or a reload) has built and dropped
//! its scratch. Compiling 10,000 watch terms and the scoring data leaves
//! megabytes of freed chunks below the live ones that glibc only returns
//! on request (`malloc_trim`); and each thread that allocates may get an
//! arena of its own, which an I/O-bound daemon does not need. Measured in
//! BENCHMARKS.md ("Memory and start-up"). Elsewhere both are no-ops.
//!
//! Tests: below (a trim after freeing returns pages).

/// One malloc arena (glibc's default is up to 8 per core). Measured: with
/// two, the pipeline built on a blocking thread lands in a second arena
/// and idle RSS is 3 MB higher; glibc's per-thread cache serves most small
/// allocations without taking the arena's lock anyway.
const ARENAS: i32 = 1;

/// Caps the number of malloc arenas; call before the runtime starts its
/// threads. `MALLOC_ARENA_MAX` in the environment still wins.
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
}
