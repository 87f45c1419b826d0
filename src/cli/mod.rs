//! The `earshot` subcommands. The only module that touches signals: `run`
//! turns SIGTERM / Ctrl-C into the daemon's shutdown future. Errors come
//! back as [`CliError`], and `main.rs` picks the exit code from it.

mod queue;
mod routing;
mod scoring;

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::config::{self, ConfigError, Settings};
use crate::daemon::Daemon;
use crate::domain::SourceName;
use crate::pipeline::{Matcher, Scorer};
use crate::sources::{self, HttpClient, PollContext};
use crate::store::Store;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "earshot",
    version,
    about = "Hears brand mentions on social platforms and puts the angry and urgent ones in front of your service team."
)]
pub struct Cli {
    /// Config file.
    #[arg(long, global = true, env = "EARSHOT_CONFIG", default_value = "config/earshot.toml")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon.
    Run,
    /// The whole flow offline: a simulated platform, SQLite in a temporary
    /// folder, alerts on the console; prints a summary and exits.
    Demo {
        /// Upper bound on the demo's running time.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    /// Validate the config; exit 0 with a summary or 2 with file, key, reason.
    CheckConfig,
    /// Apply database migrations.
    Migrate,
    /// Exit 0 if the running daemon's /healthz answers (container HEALTHCHECK).
    Healthcheck,
    /// Score one text per line from stdin; one output line per input line.
    /// Uses the config's brands and `[scoring]` when the config loads, the
    /// built-in data otherwise.
    Score {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Which routes an alert would take: `route --explain --brand X
    /// --urgency high --platform x --topic billing` or `--text "..."`.
    Route(routing::RouteArgs),
    /// Silences: `silence add --matcher 'brand = Acme' --for 2h`, `list`,
    /// `expire ID`.
    Silence {
        #[command(subcommand)]
        command: routing::SilenceCommand,
    },
    /// The rapid-response queue from a terminal.
    Queue {
        #[command(subcommand)]
        command: queue::QueueCommand,
    },
    /// Measure the scorer on labelled files against plain VADER: accuracy,
    /// macro-F1, negative precision/recall/F1, ROC-AUC, urgency, topics.
    /// Built-in data only (or `--model`), so figures do not depend on a
    /// config.
    Eval(scoring::EvalArgs),
    /// Train a complaint or critical model from labelled files (a team's
    /// own labelled mentions) for `[scoring] complaint_model_file` or
    /// `critical_model_file`.
    Train(scoring::TrainArgs),
    /// One poll of one source, printing posts as JSON lines; nothing stored.
    PollOnce {
        #[arg(long)]
        source: String,
    },
}

/// How a command failed; `main` maps it to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The config was refused (exit code 2).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// Anything else (exit code 1).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    // The one read of the environment: config overrides, `*_env` secrets,
    // systemd's variables. Reloads reuse this snapshot.
    let env: Vec<(String, String)> = std::env::vars().collect();
    let load = |path: &std::path::Path| config::load_with_env(path, &env);
    match cli.command {
        Command::Score { json } => score(&cli.config, json).map_err(CliError::from),
        Command::Eval(args) => scoring::eval(&args).map_err(CliError::from),
        Command::Train(args) => scoring::train(&args).map_err(CliError::from),
        Command::CheckConfig => {
            let settings = load(&cli.config)?;
            print!("{}", settings.summary());
            Ok(())
        }
        Command::Run => {
            crate::daemon::heap::limit_arenas();
            let settings = load(&cli.config)?;
            telemetry::init_logging(&settings.log);
            runtime()?.block_on(run_daemon(settings, env.clone())).map_err(CliError::from)
        }
        Command::Queue { command } => {
            let settings = load(&cli.config)?;
            runtime()?.block_on(queue::run(&settings, command, &login(&env))).map_err(CliError::from)
        }
        Command::Route(args) => routing::explain(&load(&cli.config)?, args).map_err(CliError::from),
        Command::Silence { command } => {
            let settings = load(&cli.config)?;
            runtime()?.block_on(routing::silence(&settings, command, &login(&env))).map_err(CliError::from)
        }
        Command::Healthcheck => {
            let settings = load(&cli.config)?;
            runtime()?.block_on(healthcheck(&settings)).map_err(CliError::from)
        }
        Command::Migrate => {
            let settings = load(&cli.config)?;
            telemetry::init_logging(&settings.log);
            runtime()?.block_on(migrate(&settings)).map_err(CliError::from)
        }
        Command::PollOnce { source } => {
            let settings = load(&cli.config)?;
            telemetry::init_logging(&settings.log);
            runtime()?.block_on(poll_once(&settings, &SourceName::new(source))).map_err(CliError::from)
        }
        Command::Demo { seconds } => {
            // The demo needs no config; a valid one only lends its Slack receivers.
            let slack = load(&cli.config).map(|s| crate::demo::slack_receivers(&s)).unwrap_or_default();
            let log = config::LogSettings { level: "warn".into(), ..Default::default() };
            telemetry::init_logging(&log);
            let opts = crate::demo::DemoOptions { max_duration: std::time::Duration::from_secs(seconds), slack };
            runtime()?.block_on(crate::demo::run(opts)).map(|_| ()).map_err(CliError::from)
        }
    }
}

/// Who is acting in `queue` and `silence` commands: the login name.
fn login(env: &[(String, String)]) -> String {
    env.iter().find(|(k, _)| k == "USER").map_or("cli".to_string(), |(_, v)| v.clone())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

async fn run_daemon(settings: Settings, env: Vec<(String, String)>) -> anyhow::Result<()> {
    tracing::info!(config = %settings.file.display(), "starting earshot {}", env!("CARGO_PKG_VERSION"));
    let starting = Daemon::bind(settings, env).await?;
    tracing::info!(listen = %starting.local_addr()?, "HTTP listening");
    // Listening already: a SIGHUP while waiting for the database is held
    // for later instead of ending the process (its default action).
    let hangups = listen_for_hangups();
    // SIGTERM while waiting for the database ends the wait.
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let daemon = tokio::select! {
        daemon = starting.connect() => daemon?,
        () = &mut shutdown => {
            tracing::info!("stopped before the database could be opened");
            return Ok(());
        }
    };
    let hup = tokio::spawn(reload_on_sighup(hangups, daemon.handle()));
    let result = daemon.run_until_stopped(shutdown).await;
    hup.abort();
    result
}

#[cfg(unix)]
type Hangups = std::io::Result<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn listen_for_hangups() -> Hangups {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
}
#[cfg(not(unix))]
fn listen_for_hangups() -> Hangups {}

/// SIGHUP → reload; the outcome is logged by the daemon.
async fn reload_on_sighup(hangups: Hangups, handle: crate::daemon::Handle) {
    #[cfg(unix)]
    {
        let mut hup = match hangups {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGHUP; reload with POST /-/reload instead");
                return;
            }
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP received: reloading the config");
            let _ = handle.reload(crate::daemon::ReloadOrigin::Signal).await;
        }
    }
    #[cfg(not(unix))]
    let _ = (hangups, handle);
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    let mut addr = settings.http.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let url = format!("http://{addr}/healthz");
    let resp = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("no answer from {url}"))?;
    anyhow::ensure!(resp.status().is_success(), "{url} answered {}", resp.status());
    println!("ok");
    Ok(())
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::open(&settings.storage.url).await.context("opening the database")?;
    store.migrate().await.context("applying migrations")?;
    println!("migrations applied to {}", config::redact_url_password(&settings.storage.url));
    Ok(())
}

async fn poll_once(settings: &Settings, name: &SourceName) -> anyhow::Result<()> {
    let source_settings = settings
        .sources
        .iter()
        .find(|s| &s.name == name)
        .with_context(|| format!("no source named {name:?} in {}", settings.file.display()))?;
    let source = sources::build(&source_settings.kind);
    let matcher = Matcher::new(&settings.brands);
    let cx = PollContext {
        source: name.clone(),
        http: HttpClient::new(&settings.fetch)?,
        queries: source_settings.queries.clone().unwrap_or_else(|| crate::daemon::default_queries(settings)).into(),
        now: chrono::Utc::now(),
        backfill: source_settings.backfill,
    };
    let batch = source.poll(&cx, None).await.with_context(|| format!("polling {name}"))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for post in &batch.posts {
        let mentions: Vec<_> =
            matcher.find(&post.text).into_iter().map(|h| json!({"brand": h.brand, "terms": h.terms})).collect();
        let line = json!({
            "platform": post.platform,
            "id": post.external_id,
            "url": post.url,
            "author": post.author.handle,
            "text": post.text,
            "created_at": post.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "mentions": mentions,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `earshot score`: exactly one output line per input line, whatever the
/// input (empty lines, invalid UTF-8, huge lines).
fn score(config_path: &std::path::Path, as_json: bool) -> anyhow::Result<()> {
    // The config lends its brands and [scoring] when it loads; a missing
    // file is normal (scoring needs no config), a broken one is reported.
    let scorer = match config::load(config_path) {
        Ok(settings) => Scorer::with_settings(&settings.brands, &settings.scoring)
            .with_context(|| format!("building the scorer from {}", config_path.display()))?,
        Err(e) => {
            if config_path.exists() {
                eprintln!("earshot score: ignoring the config ({e}); scoring with the built-in data");
            }
            Scorer::new()
        }
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf);
        let text = line.trim_end_matches(['\n', '\r']);
        let s = scorer.score_text(text);
        if as_json {
            let v = json!({
                "compound": s.compound,
                "label": s.label,
                "urgency": s.urgency,
                "level": s.level,
                "topics": s.topics,
                "reasons": s.reasons,
            });
            writeln!(out, "{v}")?;
        } else {
            let reasons = s.reasons.join("; ").replace(['\n', '\r', '\t'], " ");
            writeln!(out, "{}\t{:+.4}\t{}\t{:.2}\t{}", s.label.as_str(), s.compound, s.level, s.urgency, reasons)?;
        }
    }
    out.flush()?;
    Ok(())
}
