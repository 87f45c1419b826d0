//! Which store errors may pass by waiting: the database server is down,
//! starting, restarting or out of connections, the network is cut, a data
//! directory or file cannot be opened or written yet. Start-up retries
//! these with backoff (`daemon/start.rs`); anything else (a malformed URL,
//! refused credentials, a database that does not exist, a migration that
//! does not match) is a configuration error and fails at once.

use super::StoreError;

impl StoreError {
    /// Whether retrying the same operation later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::UnsupportedUrl(_) | StoreError::Corrupt(_) => false,
            StoreError::DataDir { .. } => true,
            StoreError::Database(e) => sqlx_transient(e),
            StoreError::Sqlite { code, .. } => sqlite_transient(*code),
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => sqlx_transient(e),
            StoreError::Migrate(_) => false,
        }
    }
}

fn sqlx_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                Some(_) => sqlite_transient(code.parse().unwrap_or(0)),
                None => postgres_transient(&code),
            }
        }
        _ => false,
    }
}

/// SQLite result codes (the primary code is the low byte of an extended one).
fn sqlite_transient(code: i32) -> bool {
    const BUSY: i32 = 5;
    const LOCKED: i32 = 6;
    const READONLY: i32 = 8;
    const IOERR: i32 = 10;
    const FULL: i32 = 13;
    const CANTOPEN: i32 = 14;
    matches!(code & 0xff, BUSY | LOCKED | READONLY | IOERR | FULL | CANTOPEN)
}

/// PostgreSQL SQLSTATEs: connection exceptions (class 08), insufficient
/// resources (53: too many connections, disk full), and the server
/// starting, shutting down or crashing (57P01-57P03).
fn postgres_transient(state: &str) -> bool {
    state.starts_with("08") || state.starts_with("53") || matches!(state, "57P01" | "57P02" | "57P03")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_helps_with_outages_not_with_configuration() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(StoreError::Database(sqlx::Error::Io(refused)).is_transient());
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_transient());
        let dir = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(StoreError::DataDir { path: "/srv/earshot".into(), source: dir }.is_transient());
        assert!(!StoreError::UnsupportedUrl("mysql://x".into()).is_transient());
        assert!(!StoreError::Database(sqlx::Error::Configuration("bad port".into())).is_transient());
        assert!(!StoreError::Migrate(sqlx::migrate::MigrateError::VersionMismatch(3)).is_transient());
        assert!(sqlite_transient(14) && sqlite_transient(5 | (1 << 8)) && !sqlite_transient(26));
        let full = StoreError::Sqlite { code: 13, message: "database or disk is full".into() };
        let constraint = StoreError::Sqlite { code: 19 | (1 << 8), message: "CHECK constraint failed".into() };
        assert!(full.is_transient() && !constraint.is_transient());
        assert!(postgres_transient("08006") && postgres_transient("57P03") && postgres_transient("53300"));
        assert!(!postgres_transient("28P01"), "wrong password: fix the config");
        assert!(!postgres_transient("3D000"), "no such database: fix the config");
    }

    #[tokio::test]
    async fn a_path_under_a_file_waits_and_a_bad_url_does_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("not-a-dir"), b"").unwrap();
        let url = format!("sqlite://{}", dir.path().join("not-a-dir/earshot.db").display());
        let e = crate::store::Store::open(&url).await.unwrap_err();
        assert!(e.is_transient(), "{e}");
        let e = crate::store::Store::open("sqlite://?mode=bogus").await.unwrap_err();
        assert!(!e.is_transient(), "{e}");
    }
}
