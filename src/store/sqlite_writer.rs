//! The connection polls are committed on: one SQLite handle earshot opens
//! and owns through the C API, not one of sqlx's pooled connections.
//!
//! Owns: [`PollWriter`] (open it on the store's file with the settings
//! sqlx gives its own connections, lend it as a [`Db`], close it on drop).
//! Why: sqlx runs each SQLite connection on a thread of its own, so every
//! BEGIN, every hand-off of the handle for a poll's rows and every COMMIT
//! was a round trip to that thread, each waiting for the answer to be
//! taken. On a loaded two-core machine one such round trip cost about 3 ms
//! against 0.26 ms for the statement itself, and a group of polls paid
//! several while it held the write lock ("Seventeenth pass" in
//! BENCHMARKS.md). On this handle the poll holding the writer's turn runs
//! BEGIN, its rows and COMMIT on its own thread (`sqlite_group.rs`).
//! Every other write (queue actions, outbox claims, migrations) stays on
//! sqlx's writer connection; the two meet on SQLite's write lock and its
//! busy timeout.

use std::ffi::{c_int, CString};
use std::path::Path;
use std::ptr::NonNull;
use std::time::Duration;

use libsqlite3_sys as ffi;

use super::sqlite_raw::Db;
use super::StoreError;

/// What every earshot connection sets (as `SqliteStore::open` asks sqlx
/// to): durable at checkpoints, foreign keys enforced, statement journals
/// in memory, 8 MiB of page cache, no automatic checkpoint at COMMIT
/// (`wal_checkpoint.rs` runs them).
const SETTINGS: &str = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
    PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 0;";

/// An open handle on the store's file, used by one thread at a time (the
/// holder of the writer's turn).
pub(super) struct PollWriter {
    raw: NonNull<ffi::sqlite3>,
}

// SAFETY: the handle is opened in SQLite's multi-thread mode (no
// connection mutex): it may move between threads as long as one thread at
// a time uses it, which `&mut self` and the writer's turn ensure.
unsafe impl Send for PollWriter {}

impl std::fmt::Debug for PollWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollWriter").finish_non_exhaustive()
    }
}

impl PollWriter {
    /// Opens `path` (which exists: the store created and migrated it) for
    /// writing, waiting up to `busy_timeout` for the write lock.
    pub(super) fn open(path: &Path, busy_timeout: Duration) -> Result<Self, StoreError> {
        let name = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| StoreError::Corrupt("a database path with a NUL byte".into()))?;
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_NOMUTEX | ffi::SQLITE_OPEN_EXRESCODE;
        let mut raw = std::ptr::null_mut();
        // SAFETY: `name` is NUL-terminated; `raw` receives a handle (or
        // null when SQLite could not allocate one).
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut raw, flags, std::ptr::null()) };
        let raw = NonNull::new(raw).ok_or_else(|| StoreError::Corrupt("SQLite could not allocate a handle".into()))?;
        // From here on the handle is closed on drop, failed or not.
        let writer = PollWriter { raw };
        let db = writer.db();
        if rc != ffi::SQLITE_OK {
            return Err(db.error(rc));
        }
        let millis = c_int::try_from(busy_timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the handle is open and ours.
        unsafe { ffi::sqlite3_busy_timeout(raw.as_ptr(), millis) };
        db.exec(SETTINGS)?;
        Ok(writer)
    }

    /// The handle, lent for as long as `self` is borrowed.
    pub(super) fn db(&self) -> Db<'_> {
        // SAFETY: the handle is open until `self` drops, and `&self` is
        // only reached through the writer's turn (one thread at a time).
        unsafe { Db::lend(self.raw) }
    }
}

impl Drop for PollWriter {
    fn drop(&mut self) {
        // SAFETY: the handle is open and closed once; an open transaction
        // rolls back, statements were finalized with their `Statement`.
        unsafe {
            ffi::sqlite3_close(self.raw.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_the_stores_settings_and_reports_errors_with_their_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        std::fs::write(&path, b"").unwrap();
        let w = PollWriter::open(&path, Duration::from_millis(250)).unwrap();
        let db = w.db();
        db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER REFERENCES t (a))").unwrap();
        let mut q = db.prepare("PRAGMA busy_timeout").unwrap();
        assert!(q.next_row().unwrap());
        assert_eq!(super::super::history_repo::Columns::int(&q, 0), 250);
        drop(q);
        let e = db.exec("INSERT INTO t (a, b) VALUES (1, 7)").unwrap_err();
        let StoreError::Sqlite { code, message } = &e else { panic!("{e:?}") };
        assert_eq!(*code, ffi::SQLITE_CONSTRAINT_FOREIGNKEY, "foreign keys are on: {message}");
        assert!(!db.in_transaction());
        db.exec("BEGIN IMMEDIATE").unwrap();
        assert!(db.in_transaction());
        db.exec("ROLLBACK").unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let e = PollWriter::open(Path::new("/nonexistent/dir/x.db"), Duration::ZERO).unwrap_err();
        assert!(matches!(e, StoreError::Sqlite { .. }), "{e:?}");
    }
}
