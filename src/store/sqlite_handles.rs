//! SQLite handles earshot opens and owns through the C API, not sqlx's
//! pooled connections: the poll writer, which polls are committed on, and
//! the poll readers, which a page's reads before scoring run on.
//!
//! Owns: [`OwnedHandle`] (open one on the store's file with the settings
//! sqlx gives its own connections, lend it as a [`Db`], close it on drop)
//! and [`ReadHandles`] (the idle readers, lent one per call). Why: sqlx
//! runs each SQLite connection on a thread of its own, so every BEGIN,
//! every hand-off of a handle and every COMMIT was a round trip to that
//! thread, each waiting for its answer to be taken. On a loaded two-core
//! machine one such round trip cost about 3 ms against 0.26 ms for the
//! statement itself, and a group of polls paid several while it held the
//! write lock ("Seventeenth pass" in BENCHMARKS.md). On these handles a
//! poll runs its reads, and the poll holding the writer's turn runs BEGIN,
//! its rows and COMMIT, on its own thread (`sqlite_reads.rs`,
//! `sqlite_group.rs`). Every other read and write (queue actions, outbox
//! claims, the API, migrations) stays on sqlx; the writers meet on
//! SQLite's write lock and its busy timeout.

use std::ffi::{c_int, CString};
use std::path::PathBuf;
use std::ptr::NonNull;
use std::sync::Mutex;
use std::time::Duration;

use libsqlite3_sys as ffi;

use super::sqlite_raw::{Db, KeptStatements};
use super::wal_checkpoint::BUSY_TIMEOUT;
use super::StoreError;

/// What every earshot connection sets (as `SqliteStore::open` asks sqlx
/// to): durable at checkpoints, foreign keys enforced, statement journals
/// in memory, 8 MiB of page cache, no automatic checkpoint at COMMIT
/// (`wal_checkpoint.rs` runs them).
const SETTINGS: &str = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
    PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 0;";

/// The store's file and whether sqlx opened it read-only (`?mode=ro`, or
/// a file the process may not write): earshot's own handles open it the
/// same way, so a read-only store stays unwritten.
#[derive(Debug, Clone, Default)]
pub(super) struct StoreFile {
    pub path: PathBuf,
    pub read_only: bool,
}

/// An open handle on the store's file, used by one thread at a time (the
/// holder of the writer's turn, or the poll a reader is lent to).
pub(super) struct OwnedHandle {
    raw: NonNull<ffi::sqlite3>,
    /// The poll's statements, prepared once on this handle.
    kept: KeptStatements,
}

// SAFETY: the handle is opened in SQLite's multi-thread mode (no
// connection mutex): it may move between threads as long as one thread at
// a time uses it, which the writer's turn and [`ReadHandles`] (one
// borrower per handle) ensure. Its kept statements move with it and are
// only used through it.
unsafe impl Send for OwnedHandle {}

impl std::fmt::Debug for OwnedHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedHandle").finish_non_exhaustive()
    }
}

impl OwnedHandle {
    /// Opens `file` (which exists: the store created and migrated it) for
    /// reading and writing, or reading only, waiting up to `busy_timeout`
    /// for the write lock.
    pub(super) fn open(file: &StoreFile, busy_timeout: Duration) -> Result<Self, StoreError> {
        let name = CString::new(file.path.as_os_str().as_encoded_bytes())
            .map_err(|_| StoreError::Corrupt("a database path with a NUL byte".into()))?;
        let access = if file.read_only { ffi::SQLITE_OPEN_READONLY } else { ffi::SQLITE_OPEN_READWRITE };
        let flags = access | ffi::SQLITE_OPEN_NOMUTEX | ffi::SQLITE_OPEN_EXRESCODE;
        let mut raw = std::ptr::null_mut();
        // SAFETY: `name` is NUL-terminated; `raw` receives a handle (or
        // null when SQLite could not allocate one).
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut raw, flags, std::ptr::null()) };
        let raw = NonNull::new(raw).ok_or_else(|| StoreError::Corrupt("SQLite could not allocate a handle".into()))?;
        // From here on the handle is closed on drop, failed or not.
        let handle = OwnedHandle { raw, kept: KeptStatements::default() };
        let db = handle.db();
        if rc != ffi::SQLITE_OK {
            return Err(db.error(rc));
        }
        let millis = c_int::try_from(busy_timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the handle is open and ours.
        unsafe { ffi::sqlite3_busy_timeout(raw.as_ptr(), millis) };
        db.exec(SETTINGS)?;
        Ok(handle)
    }

    /// The handle, lent for as long as `self` is borrowed.
    pub(super) fn db(&self) -> Db<'_> {
        // SAFETY: the handle is open until `self` drops, and `&self` is
        // only reached by one thread at a time (see `Send` above); `kept`
        // holds this handle's statements.
        unsafe { Db::lend(self.raw, &self.kept) }
    }
}

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        self.kept.finalize();
        // SAFETY: the handle is open and closed once; an open transaction
        // rolls back, statements were finalized with their `Statement` or
        // just above.
        unsafe {
            ffi::sqlite3_close(self.raw.as_ptr());
        }
    }
}

/// The poll readers: idle handles, lent one per call and kept for the
/// next (at most [`ReadHandles::KEEP`]; more are opened while more polls
/// read at once, and closed after).
#[derive(Debug)]
pub(super) struct ReadHandles {
    file: StoreFile,
    idle: Mutex<Vec<OwnedHandle>>,
}

impl ReadHandles {
    /// Idle readers kept: as many as sqlx's reader pool had.
    const KEEP: usize = 3;

    /// Readers of `file`, none open yet.
    pub(super) fn new(file: StoreFile) -> Self {
        ReadHandles { file, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `work` on an idle reader (opened if none is), on this thread;
    /// each statement reads its own snapshot. The reader goes back idle,
    /// unless `work` failed (a handle in an unknown state is closed).
    pub(super) fn with<T>(&self, work: impl FnOnce(&Db<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let handle = match idle {
            Some(handle) => handle,
            None => OwnedHandle::open(&self.file, BUSY_TIMEOUT)?,
        };
        let done = work(&handle.db());
        if done.is_ok() && !handle.db().in_transaction() {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < Self::KEEP {
                idle.push(handle);
            }
        }
        done
    }

    /// Idle readers now (tests).
    #[cfg(test)]
    pub(super) fn idle(&self) -> usize {
        self.idle.lock().unwrap().len()
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
        let file = StoreFile { path: path.clone(), read_only: false };
        let w = OwnedHandle::open(&file, Duration::from_millis(250)).unwrap();
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
        drop(w);

        // Opened read-only, as sqlx opened the store: no write goes in.
        let r = OwnedHandle::open(&StoreFile { path, read_only: true }, Duration::ZERO).unwrap();
        assert!(r.db().read_only());
        let e = r.db().exec("INSERT INTO t (a) VALUES (2)").unwrap_err();
        assert!(e.to_string().contains("readonly"), "{e}");
    }

    #[test]
    fn kept_statements_are_reused_and_hold_no_snapshot_while_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        std::fs::write(&path, b"").unwrap();
        let file = StoreFile { path, read_only: false };
        let writer = OwnedHandle::open(&file, Duration::ZERO).unwrap();
        let w = writer.db();
        w.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2)").unwrap();
        const FIRST: &str = "SELECT a FROM t WHERE a >= ? ORDER BY a";
        let reader = OwnedHandle::open(&file, Duration::ZERO).unwrap();
        let r = reader.db();
        let first = |min: i64| {
            let mut q = r.prepare_kept(FIRST).unwrap();
            q.bind(min).unwrap();
            // One row of two read: the statement stops mid-way.
            q.next_row().unwrap().then(|| super::super::history_repo::Columns::int(&q, 0))
        };
        assert_eq!(first(0), Some(1));
        assert_eq!(reader.kept.len(), 1, "kept after use");
        assert_eq!(first(2), Some(2), "bound afresh");
        assert_eq!(reader.kept.len(), 1, "the same one, not another");
        // Two at once: both run, one is kept.
        let (a, b) = (r.prepare_kept(FIRST).unwrap(), r.prepare_kept(FIRST).unwrap());
        drop((a, b));
        assert_eq!(reader.kept.len(), 1);
        // The kept statement was reset: the reader holds no snapshot, so a
        // checkpoint after a write copies and truncates the whole WAL.
        w.exec("INSERT INTO t VALUES (3)").unwrap();
        let mut checkpoint = w.prepare("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        assert!(checkpoint.next_row().unwrap());
        let busy = super::super::history_repo::Columns::int(&checkpoint, 0);
        assert_eq!(busy, 0, "no reader pins the WAL");
        drop(checkpoint);
        // A handle with kept statements closes (it finalizes them first).
        drop(reader);
        let again = OwnedHandle::open(&file, Duration::ZERO).unwrap();
        let db = again.db();
        let mut q = db.prepare_kept(FIRST).unwrap();
        q.bind(3_i64).unwrap();
        assert!(q.next_row().unwrap());
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let missing = StoreFile { path: "/nonexistent/dir/x.db".into(), read_only: false };
        let e = OwnedHandle::open(&missing, Duration::ZERO).unwrap_err();
        assert!(matches!(e, StoreError::Sqlite { .. }), "{e:?}");
    }

    #[test]
    fn readers_are_kept_for_the_next_call_and_a_failed_one_is_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        std::fs::write(&path, b"").unwrap();
        let readers = ReadHandles::new(StoreFile { path, read_only: false });
        let one = |db: &Db<'_>| {
            let mut q = db.prepare("SELECT 1")?;
            q.next_row()?;
            Ok(super::super::history_repo::Columns::int(&q, 0))
        };
        assert_eq!(readers.with(one).unwrap(), 1);
        assert_eq!(readers.idle(), 1, "kept");
        // Two at once (one call inside another): two handles, both kept.
        assert_eq!(readers.with(|_| readers.with(one)).unwrap(), 1);
        assert_eq!(readers.idle(), 2);
        let e = readers.with(|db| db.exec("SELECT * FROM no_such_table")).unwrap_err();
        assert!(e.to_string().contains("no_such_table"), "{e}");
        assert_eq!(readers.idle(), 1, "the failed one is closed");
        // A handle left in a transaction is not lent again.
        readers.with(|db| db.exec("BEGIN")).unwrap();
        assert_eq!(readers.idle(), 0);
    }
}
