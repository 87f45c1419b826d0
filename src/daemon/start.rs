//! Start-up waits for the database: `earshot run` started before its
//! PostgreSQL server (or with its SQLite directory not mounted yet) keeps
//! trying with backoff instead of exiting, says why in its log, in
//! `/readyz` (503) and in systemd's `STATUS=`, and starts normally once
//! the database opens and migrates. A configuration error (a malformed
//! URL, refused credentials, a migration that does not match) still fails
//! at once: waiting would not fix it. The URL's password never reaches a
//! log line or a status.
//!
//! Tests: `tests/faults/start.rs` (the real binary, PostgreSQL behind a
//! proxy opened late, a SQLite directory that appears late).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rand::Rng;

use super::notify::Notifier;
use crate::config::redact_url_password;
use crate::store::Store;

/// First retry delay; doubles per attempt up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(30);
/// One attempt (connect, migrate) that takes longer counts as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the daemon is not ready yet; shown by `/readyz` while it waits.
pub type StartStatus = Arc<RwLock<String>>;

/// Opens and migrates the store at `url`, retrying transient failures
/// with backoff for as long as it takes; each failure is logged and set in
/// `status` and systemd's `STATUS=` (with the start-up timeout extended
/// past the next attempt).
pub(super) async fn wait_for_store(url: &str, status: &StartStatus, notifier: &Notifier) -> anyhow::Result<Store> {
    let shown = redact_url_password(url);
    let mut failures = 0u32;
    loop {
        let outcome = match tokio::time::timeout(ATTEMPT_TIMEOUT, Store::open_migrated(url)).await {
            Ok(Ok(store)) => Ok(store),
            Ok(Err(e)) => Err((e.is_transient(), hide_password(&e.to_string(), url))),
            Err(_) => Err((true, format!("no answer within {}", humantime::format_duration(ATTEMPT_TIMEOUT)))),
        };
        let error = match outcome {
            Ok(store) => {
                if failures > 0 {
                    tracing::info!(database = %shown, failed_attempts = failures, "database reachable; starting");
                }
                return Ok(store);
            }
            Err((false, error)) => anyhow::bail!("cannot use the database {shown}: {error}"),
            Err((true, error)) => error,
        };
        let delay = retry_delay(failures);
        failures += 1;
        tracing::warn!(
            database = %shown,
            error = %error,
            attempt = failures,
            retry_in = %humantime::format_duration(delay),
            "database unreachable; not ready, waiting for it"
        );
        let line = format!("waiting for the database: {error}");
        *status.write().unwrap_or_else(|p| p.into_inner()) = line.clone();
        notifier.waiting(&line, delay + ATTEMPT_TIMEOUT);
        tokio::time::sleep(delay).await;
    }
}

/// Exponential backoff with jitter in [d/2, d].
fn retry_delay(failures: u32) -> Duration {
    let d = FIRST_DELAY.saturating_mul(2u32.saturating_pow(failures.min(16))).min(MAX_DELAY);
    d.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

/// Drivers do not echo the password, but a message is checked anyway.
fn hide_password(message: &str, url: &str) -> String {
    let password = url::Url::parse(url).ok().and_then(|u| u.password().map(str::to_string)).unwrap_or_default();
    let decoded = url::form_urlencoded::parse(format!("p={}", password.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    [password, decoded]
        .iter()
        .filter(|p| p.len() >= 2)
        .fold(message.to_string(), |m, p| m.replace(p.as_str(), "REDACTED"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap() {
        assert!(retry_delay(0) <= FIRST_DELAY && retry_delay(0) >= FIRST_DELAY / 2);
        assert!(retry_delay(3) >= Duration::from_secs(2));
        assert!(retry_delay(40) <= MAX_DELAY && retry_delay(40) >= MAX_DELAY / 2);
    }

    #[test]
    fn a_password_never_shows() {
        let url = "postgres://earshot:s3cr%21t@db:5432/earshot";
        assert_eq!(hide_password("auth for s3cr!t and s3cr%21t", url), "auth for REDACTED and REDACTED");
        assert_eq!(hide_password("connection refused", "postgres://db/earshot"), "connection refused");
    }

    #[tokio::test]
    async fn waits_for_a_directory_that_appears_later() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("data");
        std::fs::write(&blocker, b"not a directory yet").unwrap();
        let url = format!("sqlite://{}", blocker.join("earshot.db").display());
        let status = StartStatus::default();
        let waiting = tokio::spawn({
            let (url, status) = (url.clone(), status.clone());
            async move { wait_for_store(&url, &status, &Notifier::default()).await }
        });
        let bound = std::time::Instant::now() + Duration::from_secs(10);
        while status.read().unwrap().is_empty() {
            assert!(std::time::Instant::now() < bound, "no failed attempt reported within 10 s");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(status.read().unwrap().starts_with("waiting for the database: cannot prepare the data directory"));
        assert!(!waiting.is_finished());
        std::fs::remove_file(&blocker).unwrap();
        let store = tokio::time::timeout(MAX_DELAY, waiting).await.expect("bounded").unwrap().expect("opened");
        store.ping().await.unwrap();
    }

    #[tokio::test]
    async fn a_bad_url_fails_at_once() {
        let e = wait_for_store("mysql://db/earshot", &StartStatus::default(), &Notifier::default()).await.unwrap_err();
        assert!(e.to_string().contains("cannot use the database"), "{e}");
    }
}
