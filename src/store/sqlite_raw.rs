//! The hot statements of a poll straight through SQLite's C API: the rows
//! of its commit on the poll writer and the reads before it is scored on
//! a poll reader (both handles earshot owns: `sqlite_handles.rs`), and
//! the outbox rows of other notifications on sqlx's writer, inside the
//! transaction sqlx began.
//!
//! Owns: [`Db`] (a handle: exec, prepare, last rowid, changes, whether a
//! transaction is open, errors with their extended code), [`with_handle`]
//! and [`with_connection`] (take a handle from sqlx's connection thread,
//! run the work on this thread with the worker's other tasks handed over,
//! give the handle back), [`Statement`] (prepare, bind borrowed values
//! without copying them, step, read a row's columns, finalize on drop)
//! and [`KeptStatements`] (the statements a handle earshot owns keeps
//! prepared from poll to poll, handed back reset and unbound).
//! Why: through sqlx each statement and each returned row is a message to
//! the connection's thread and back, and every bound string is copied
//! twice on the way. A commit of a page of 100 posts paid dozens of such
//! hand-offs while holding the write lock, and they, not SQLite, set how
//! many pages a second one writer could take. Used by `sqlite_commit.rs`,
//! `sqlite_reads.rs`, `sqlite_handles.rs`, `wal_checkpoint.rs` and
//! `sqlite.rs` (whether the file opened read-only); everything else stays
//! on sqlx.

use std::ffi::{c_int, CStr};
use std::marker::PhantomData;
use std::ptr::NonNull;

use libsqlite3_sys as ffi;

use super::history_repo::Columns;
use super::StoreError;

type Tx<'t> = sqlx::Transaction<'t, sqlx::Sqlite>;

/// An open SQLite handle, lent by sqlx for the length of one
/// [`with_handle`] call, or by an [`OwnedHandle`] with its kept
/// statements.
///
/// [`OwnedHandle`]: super::sqlite_handles::OwnedHandle
pub(super) struct Db<'h> {
    raw: NonNull<ffi::sqlite3>,
    /// The handle's kept statements, if it keeps any ([`Db::prepare_kept`]).
    kept: Option<&'h KeptStatements>,
    _lent: PhantomData<&'h mut ()>,
}

/// Statements kept prepared on a handle earshot owns, by their SQL text
/// (a `'static` string, told apart by its address): a poll's dozen
/// statements are compiled once per handle, not once per poll (preparing
/// them was about 2 % of the writer's instructions and 13 % of the reads').
/// A statement comes back reset and with its bindings cleared, so it holds
/// no read snapshot and no pointer into a caller's text while it is kept.
/// The owner finalizes them ([`Self::finalize`]) before it closes the
/// handle.
#[derive(Default)]
pub(super) struct KeptStatements {
    idle: std::cell::RefCell<Vec<(&'static str, NonNull<ffi::sqlite3_stmt>)>>,
}

impl KeptStatements {
    /// The kept statement for `sql`, taken out until it is given back.
    fn take(&self, sql: &'static str) -> Option<NonNull<ffi::sqlite3_stmt>> {
        let mut idle = self.idle.borrow_mut();
        let at = idle.iter().position(|(kept, _)| std::ptr::eq(*kept, sql))?;
        Some(idle.swap_remove(at).1)
    }

    /// Keeps `stmt` (reset, its bindings cleared) for `sql`, unless one is
    /// kept already: then it is finalized.
    fn give_back(&self, sql: &'static str, stmt: NonNull<ffi::sqlite3_stmt>) {
        // SAFETY: `stmt` is a live statement of the handle this belongs to.
        unsafe {
            ffi::sqlite3_reset(stmt.as_ptr());
            ffi::sqlite3_clear_bindings(stmt.as_ptr());
        }
        let mut idle = self.idle.borrow_mut();
        if idle.iter().any(|(kept, _)| std::ptr::eq(*kept, sql)) {
            // SAFETY: as above; finalized once, and not kept.
            unsafe { ffi::sqlite3_finalize(stmt.as_ptr()) };
        } else {
            idle.push((sql, stmt));
        }
    }

    /// Finalizes every kept statement (before the handle closes).
    pub(super) fn finalize(&self) {
        for (_, stmt) in self.idle.borrow_mut().drain(..) {
            // SAFETY: each kept statement is live and finalized once.
            unsafe { ffi::sqlite3_finalize(stmt.as_ptr()) };
        }
    }

    /// How many statements are kept (tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.idle.borrow().len()
    }
}

/// Runs `work` on the handle of `tx`'s connection, inside its
/// transaction, on this thread ([`crate::blocking::hold_thread`]: the
/// worker's other tasks go on elsewhere meanwhile).
pub(super) async fn with_handle<T>(
    tx: &mut Tx<'_>,
    work: impl FnOnce(&Db<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    with_connection(tx, work).await
}

/// [`with_handle`] on any connection: a pooled reader's, outside a
/// transaction (each statement reads its own snapshot).
pub(super) async fn with_connection<T>(
    conn: &mut sqlx::SqliteConnection,
    work: impl FnOnce(&Db<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut locked = conn.lock_handle().await?;
    let db = Db { raw: locked.as_raw_handle(), kept: None, _lent: PhantomData };
    crate::blocking::hold_thread(|| work(&db))
}

impl Db<'_> {
    /// Lends `raw`, whose kept statements are `kept`, as a `Db`.
    ///
    /// # Safety
    /// `raw` is an open handle that no other thread uses while the `Db`
    /// lives, and `kept` holds statements of `raw` only.
    pub(super) unsafe fn lend<'h>(raw: NonNull<ffi::sqlite3>, kept: &'h KeptStatements) -> Db<'h> {
        Db { raw, kept: Some(kept), _lent: PhantomData }
    }

    /// Runs `sql`, one statement or several, ignoring any rows.
    pub(super) fn exec(&self, sql: &str) -> Result<(), StoreError> {
        let sql = std::ffi::CString::new(sql).map_err(|_| StoreError::Corrupt("a statement with a NUL byte".into()))?;
        // SAFETY: the handle is open and ours; `sql` is NUL-terminated; no
        // callback, and no error string asked for (read from the handle).
        let rc = unsafe {
            ffi::sqlite3_exec(self.raw.as_ptr(), sql.as_ptr(), None, std::ptr::null_mut(), std::ptr::null_mut())
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(rc));
        }
        Ok(())
    }

    /// Whether the handle's database is read-only (opened so, or a file
    /// it may not write).
    pub(super) fn read_only(&self) -> bool {
        // SAFETY: the handle is open and ours; the name is NUL-terminated.
        unsafe { ffi::sqlite3_db_readonly(self.raw.as_ptr(), c"main".as_ptr()) == 1 }
    }

    /// Whether a transaction is open on the handle.
    pub(super) fn in_transaction(&self) -> bool {
        // SAFETY: the handle is open and ours.
        unsafe { ffi::sqlite3_get_autocommit(self.raw.as_ptr()) == 0 }
    }

    /// [`Self::prepare`] of a statement the handle keeps prepared, if it
    /// keeps any ([`KeptStatements`]): taken from those kept, or prepared,
    /// and kept again when the [`Statement`] drops.
    pub(super) fn prepare_kept<'v>(&self, sql: &'static str) -> Result<Statement<'_, 'v>, StoreError> {
        let Some(kept) = self.kept else { return self.prepare(sql) };
        let mut statement = match kept.take(sql) {
            Some(raw) => Statement { raw, db: self, next: 1, keep: None, _values: PhantomData },
            None => self.prepare(sql)?,
        };
        statement.keep = Some(sql);
        Ok(statement)
    }

    /// Prepares one statement (its text must hold exactly one).
    pub(super) fn prepare<'v>(&self, sql: &str) -> Result<Statement<'_, 'v>, StoreError> {
        let mut raw = std::ptr::null_mut();
        let len = c_int::try_from(sql.len()).map_err(|_| StoreError::Corrupt("statement too long".into()))?;
        // SAFETY: the handle is open and ours for 'h; `sql` is valid for
        // `len` bytes; `raw` receives the statement or null.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.raw.as_ptr(), sql.as_ptr().cast(), len, &mut raw, std::ptr::null_mut())
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(rc));
        }
        let raw = NonNull::new(raw).ok_or_else(|| StoreError::Corrupt("empty statement".into()))?;
        Ok(Statement { raw, db: self, next: 1, keep: None, _values: PhantomData })
    }

    /// The rowid of the last row this connection inserted.
    pub(super) fn last_insert_rowid(&self) -> i64 {
        // SAFETY: the handle is open and ours.
        unsafe { ffi::sqlite3_last_insert_rowid(self.raw.as_ptr()) }
    }

    /// Rows the last statement changed.
    pub(super) fn changes(&self) -> u64 {
        // SAFETY: the handle is open and ours.
        u64::try_from(unsafe { ffi::sqlite3_changes64(self.raw.as_ptr()) }).unwrap_or(0)
    }

    /// The connection's error for result code `rc`.
    pub(super) fn error(&self, rc: c_int) -> StoreError {
        // SAFETY: the handle is open; errmsg returns a NUL-terminated
        // string owned by SQLite, copied before the next call.
        let (code, message) = unsafe {
            let code = ffi::sqlite3_extended_errcode(self.raw.as_ptr());
            let msg = ffi::sqlite3_errmsg(self.raw.as_ptr());
            let message = if msg.is_null() {
                String::from("unknown error")
            } else {
                CStr::from_ptr(msg).to_string_lossy().into_owned()
            };
            (if code == 0 { rc } else { code }, message)
        };
        StoreError::Sqlite { code, message }
    }
}

/// A prepared statement whose bound text borrows from `'v` (bound
/// without a copy: SQLite reads it until it is bound again, its bindings
/// are cleared or the statement is finalized; on drop, before `'v` ends,
/// it is finalized, or cleared and kept).
pub(super) struct Statement<'d, 'v> {
    raw: NonNull<ffi::sqlite3_stmt>,
    db: &'d Db<'d>,
    /// The next parameter [`Self::bind`] fills (1-based).
    next: c_int,
    /// Its SQL, when its handle keeps it on drop ([`Db::prepare_kept`]).
    keep: Option<&'static str>,
    _values: PhantomData<&'v str>,
}

/// A value [`Statement::bind`] takes.
pub(super) enum Value<'v> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'v str),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl<'v> From<&'v str> for Value<'v> {
    fn from(v: &'v str) -> Self {
        Value::Text(v)
    }
}

impl<'v> From<&'v String> for Value<'v> {
    fn from(v: &'v String) -> Self {
        Value::Text(v)
    }
}

impl<'v, T: Into<Value<'v>>> From<Option<T>> for Value<'v> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl<'d, 'v> Statement<'d, 'v> {
    /// Binds the next parameter.
    pub(super) fn bind(&mut self, value: impl Into<Value<'v>>) -> Result<&mut Self, StoreError> {
        let (stmt, i) = (self.raw.as_ptr(), self.next);
        // SAFETY: `stmt` is a live statement; text borrowed for 'v stays
        // valid while it is bound (SQLITE_STATIC: not copied), since the
        // statement is finalized before 'v ends.
        let rc = unsafe {
            match value.into() {
                Value::Null => ffi::sqlite3_bind_null(stmt, i),
                Value::Int(v) => ffi::sqlite3_bind_int64(stmt, i, v),
                Value::Real(v) => ffi::sqlite3_bind_double(stmt, i, v),
                Value::Text(v) => {
                    let len = ffi::sqlite3_uint64::try_from(v.len()).unwrap_or(ffi::sqlite3_uint64::MAX);
                    ffi::sqlite3_bind_text64(
                        stmt,
                        i,
                        v.as_ptr().cast(),
                        len,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    )
                }
            }
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.db.error(rc));
        }
        self.next += 1;
        Ok(self)
    }

    /// Makes the statement ready to run again: the next [`Self::bind`]
    /// fills the first parameter. (An error of the last run was returned
    /// by its `step` already.)
    pub(super) fn reset(&mut self) {
        // SAFETY: `self.raw` is a live statement.
        unsafe {
            ffi::sqlite3_reset(self.raw.as_ptr());
        }
        self.next = 1;
    }

    /// Runs a statement that returns no rows.
    pub(super) fn execute(&mut self) -> Result<(), StoreError> {
        match self.step()? {
            false => Ok(()),
            true => Err(StoreError::Corrupt("a write statement returned a row".into())),
        }
    }

    /// Steps a query once: `true` when a row is ready to read
    /// ([`Columns`]), `false` when the rows are done.
    pub(super) fn next_row(&mut self) -> Result<bool, StoreError> {
        self.step()
    }

    /// Steps once: `true` when a row is ready.
    fn step(&mut self) -> Result<bool, StoreError> {
        // SAFETY: `self.raw` is a live statement of an open handle.
        match unsafe { ffi::sqlite3_step(self.raw.as_ptr()) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            rc => Err(self.db.error(rc)),
        }
    }
}

/// The current row's columns (after [`Statement::next_row`] said one is
/// ready).
impl Columns for Statement<'_, '_> {
    fn text(&self, i: usize) -> String {
        let (stmt, i) = (self.raw.as_ptr(), column(i));
        // SAFETY: a row is ready on the live statement; the text pointer
        // stays valid until the next step, reset or finalize, and is copied
        // before any of them (length from `column_bytes`, read after it).
        unsafe {
            let text = ffi::sqlite3_column_text(stmt, i);
            if text.is_null() {
                return String::new();
            }
            let len = usize::try_from(ffi::sqlite3_column_bytes(stmt, i)).unwrap_or(0);
            String::from_utf8_lossy(std::slice::from_raw_parts(text, len)).into_owned()
        }
    }

    fn int(&self, i: usize) -> i64 {
        // SAFETY: a row is ready on the live statement.
        unsafe { ffi::sqlite3_column_int64(self.raw.as_ptr(), column(i)) }
    }

    fn opt_int(&self, i: usize) -> Option<i64> {
        // SAFETY: a row is ready on the live statement.
        let null = unsafe { ffi::sqlite3_column_type(self.raw.as_ptr(), column(i)) } == ffi::SQLITE_NULL;
        (!null).then(|| self.int(i))
    }
}

/// A column index as the C API takes it.
fn column(i: usize) -> c_int {
    c_int::try_from(i).unwrap_or(c_int::MAX)
}

impl Drop for Statement<'_, '_> {
    fn drop(&mut self) {
        if let (Some(sql), Some(kept)) = (self.keep, self.db.kept) {
            kept.give_back(sql, self.raw);
            return;
        }
        // SAFETY: the statement is live and finalized once; its handle is
        // still open (the statement borrows it).
        unsafe {
            ffi::sqlite3_finalize(self.raw.as_ptr());
        }
    }
}
