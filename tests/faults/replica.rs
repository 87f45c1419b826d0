//! One `earshot run` process (the real binary, `CARGO_BIN_EXE_earshot`)
//! with its own config file: where it listens (read from its JSON log), its
//! `/readyz`, and how to end it (SIGKILL, or SIGTERM and wait). Its log is
//! kept, and echoed to stderr when `TEST_LOG` is set.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A running replica; killed (SIGKILL) if still running when dropped.
pub struct Replica {
    pub id: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    addr: Arc<Mutex<Option<String>>>,
}

impl Replica {
    /// Starts `earshot --config CONFIG run` with `replica_id` set through
    /// the environment, as an operator would per pod.
    pub fn spawn(config: &Path, id: &str) -> Replica {
        Self::spawn_with_env(config, id, &[])
    }

    /// Like [`Replica::spawn`], with more environment (`NOTIFY_SOCKET`...).
    pub fn spawn_with_env(config: &Path, id: &str, env: &[(&str, &str)]) -> Replica {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_earshot"));
        cmd.env_remove("NOTIFY_SOCKET").envs(env.iter().copied());
        Self::start(cmd, config, id)
    }

    /// Like [`Replica::spawn`], with no file allowed to grow past `blocks`
    /// × 512 bytes (`ulimit -S -f`, a soft limit that `prlimit` can raise later; SIGXFSZ ignored, so a write past it fails
    /// with EFBIG as on a full disk).
    pub fn spawn_with_file_limit(config: &Path, id: &str, blocks: u32) -> Replica {
        let mut sh = Command::new("sh");
        sh.env_remove("NOTIFY_SOCKET");
        sh.arg("-c")
            .arg(format!("trap '' XFSZ; ulimit -S -f {blocks}; exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_earshot"));
        Self::start(sh, config, id)
    }

    fn start(mut cmd: Command, config: &Path, id: &str) -> Replica {
        cmd.arg("--config")
            .arg(config)
            .arg("run")
            .env("EARSHOT__CLUSTER__REPLICA_ID", id)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("earshot binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let addr = Arc::new(Mutex::new(None));
        let stderr = child.stderr.take().expect("piped stderr");
        let (log2, addr2, tag) = (log.clone(), addr.clone(), id.to_string());
        let echo = std::env::var_os("TEST_LOG").is_some();
        // Reads the log to its end so the pipe never fills and blocks the child.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if echo {
                    eprintln!("[{tag}] {line}");
                }
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v["message"] == "HTTP listening" {
                        *lock(&addr2) = v["listen"].as_str().map(str::to_string);
                    }
                }
                lock(&log2).push(line);
            }
        });
        Replica { id: id.to_string(), child, log, addr }
    }

    /// The `http://127.0.0.1:PORT` it listens on, once it logged it.
    pub fn base_url(&self) -> Option<String> {
        lock(&self.addr).as_ref().map(|a| format!("http://{a}"))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log lines so far.
    pub fn log(&self) -> Vec<String> {
        lock(&self.log).clone()
    }

    /// `Some(exit status)` once it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// SIGKILL: no shutdown, no release, no drain.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits (bounded) for a clean exit.
    pub fn terminate(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.exited().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9();
    }

    /// `GET /readyz`: (HTTP status, JSON body), or `None` if it does not answer.
    pub async fn readyz(&self) -> Option<(u16, Value)> {
        let url = format!("{}/readyz", self.base_url()?);
        let resp = reqwest::Client::new().get(url).timeout(Duration::from_secs(2)).send().await.ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.json().await.ok()?))
    }

    /// `GET path`: (HTTP status, body text), or `None` if it does not answer.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        let url = format!("{}{path}", self.base_url()?);
        let resp = reqwest::Client::new().get(url).timeout(Duration::from_secs(2)).send().await.ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.text().await.ok()?))
    }

    /// `GET /metrics` as text.
    pub async fn metrics(&self) -> Option<String> {
        let url = format!("{}/metrics", self.base_url()?);
        reqwest::Client::new().get(url).timeout(Duration::from_secs(2)).send().await.ok()?.text().await.ok()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Writes `toml` as `NAME.toml` in `dir`.
pub fn write_config(dir: &Path, name: &str, toml: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml).expect("config written");
    path
}

fn lock<T>(m: &Arc<Mutex<T>>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
