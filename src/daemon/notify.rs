//! systemd's notify protocol (sd_notify(3)), spoken directly over the
//! datagram socket in `NOTIFY_SOCKET`: `READY=1` once migrations ran and the
//! HTTP listener is up, `STATUS=...` (with `EXTEND_TIMEOUT_USEC=` while
//! start-up waits for the database), `RELOADING=1` around reloads,
//! `WATCHDOG=1` keep-alives, `STOPPING=1` on shutdown. Without
//! `NOTIFY_SOCKET` every call is a no-op.
//!
//! The environment is read by `cli` at start-up and handed in as
//! [`SystemdEnv`]. Tests: `tests/it/systemd.rs` listens on a socket.

use std::path::PathBuf;
use std::time::Duration;

/// What systemd told the process through its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemdEnv {
    /// `NOTIFY_SOCKET`: a path, or `@name` for an abstract socket.
    pub notify_socket: Option<String>,
    /// `WATCHDOG_USEC`, when `WatchdogSec=` is set for this process.
    pub watchdog: Option<Duration>,
}

impl SystemdEnv {
    /// Reads the two variables from an environment snapshot. A watchdog
    /// meant for another process (`WATCHDOG_PID`) is ignored.
    pub fn from_env(env: &[(String, String)]) -> SystemdEnv {
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let for_us = get("WATCHDOG_PID").is_none_or(|p| p.trim() == std::process::id().to_string());
        SystemdEnv {
            notify_socket: get("NOTIFY_SOCKET").filter(|s| !s.is_empty()),
            watchdog: get("WATCHDOG_USEC")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|us| *us > 0 && for_us)
                .map(Duration::from_micros),
        }
    }
}

/// Sends notify messages; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    socket: Option<String>,
}

impl Notifier {
    pub fn new(env: &SystemdEnv) -> Notifier {
        Notifier { socket: env.notify_socket.clone() }
    }

    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={status}\nMAINPID={}", std::process::id()));
    }
    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={status}"));
    }
    /// Still starting (waiting for the database): why, and more time
    /// before systemd's start-up timeout (`TimeoutStartSec=`) gives up.
    pub fn waiting(&self, status: &str, extend: Duration) {
        self.send(&format!("STATUS={status}\nEXTEND_TIMEOUT_USEC={}", extend.as_micros()));
    }
    pub fn reloading(&self) {
        self.send("RELOADING=1");
    }
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping");
    }

    /// Best effort: a failure is logged at debug and otherwise ignored,
    /// as sd_notify does.
    fn send(&self, msg: &str) {
        let Some(path) = &self.socket else { return };
        if let Err(e) = send_datagram(path, msg.as_bytes()) {
            tracing::debug!(error = %e, "cannot notify systemd");
        }
    }
}

#[cfg(target_os = "linux")]
fn send_datagram(path: &str, msg: &[u8]) -> std::io::Result<usize> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let sock = UnixDatagram::unbound()?;
    match path.strip_prefix('@') {
        Some(name) => sock.send_to_addr(msg, &SocketAddr::from_abstract_name(name.as_bytes())?),
        None => sock.send_to(msg, PathBuf::from(path)),
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn send_datagram(path: &str, msg: &[u8]) -> std::io::Result<usize> {
    std::os::unix::net::UnixDatagram::unbound()?.send_to(msg, PathBuf::from(path))
}

#[cfg(not(unix))]
fn send_datagram(_path: &str, _msg: &[u8]) -> std::io::Result<usize> {
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_socket_and_watchdog() {
        let env = vec![
            ("NOTIFY_SOCKET".to_string(), "/run/x".to_string()),
            ("WATCHDOG_USEC".to_string(), "30000000".to_string()),
        ];
        let s = SystemdEnv::from_env(&env);
        assert_eq!(s.notify_socket.as_deref(), Some("/run/x"));
        assert_eq!(s.watchdog, Some(Duration::from_secs(30)));
        let other = vec![("WATCHDOG_USEC".into(), "1000".into()), ("WATCHDOG_PID".into(), "1".into())];
        assert_eq!(SystemdEnv::from_env(&other).watchdog, None, "another process's watchdog");
    }

    #[test]
    fn messages_arrive_on_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        let n = Notifier::new(&SystemdEnv { notify_socket: Some(path.display().to_string()), watchdog: None });
        n.watchdog();
        let mut buf = [0u8; 256];
        let len = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"WATCHDOG=1");
    }
}
