//! `earshot route --explain ...` (which routes an alert would take, from
//! the config alone) and `earshot silence add|list|expire` (straight
//! against the database the config names; the daemon need not run).

use anyhow::Context as _;
use chrono::Utc;
use clap::Subcommand;

use crate::config::Settings;
use crate::domain::Urgency;
use crate::pipeline::Scorer;
use crate::routing::{Labels, Router, SilenceId, SilenceRequest};
use crate::store::{NewSilence, Store};

/// The alert to explain: labels given directly, or a text scored first.
#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    /// Show the walk over the tree (the only mode for now; accepted for
    /// clarity in scripts).
    #[arg(long)]
    explain: bool,
    /// mention | source_health | spike | sla_breach | follow_up
    #[arg(long, default_value = "mention")]
    kind: String,
    #[arg(long)]
    brand: Option<String>,
    /// low | normal | high | critical (default: from --text, else normal)
    #[arg(long)]
    urgency: Option<String>,
    #[arg(long)]
    platform: Option<String>,
    /// May be repeated.
    #[arg(long)]
    topic: Vec<String>,
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    language: Option<String>,
    /// Score this text with the config's scorer: its level and topics
    /// become the alert's urgency and topics (flags still win).
    #[arg(long)]
    text: Option<String>,
}

pub fn explain(settings: &Settings, a: RouteArgs) -> anyhow::Result<()> {
    let _ = a.explain;
    let scored = match &a.text {
        Some(t) => Some(
            Scorer::with_settings(&settings.brands, &settings.scoring).context("building the scorer")?.score_text(t),
        ),
        None => None,
    };
    let urgency = match &a.urgency {
        Some(u) => Urgency::parse(u).with_context(|| format!("--urgency: unknown level {u:?}"))?,
        None => scored.as_ref().map_or(Urgency::Normal, |s| s.level),
    };
    let mut labels = Labels::system(&a.kind, urgency);
    if let Some(b) = &a.brand {
        labels = labels.brand(b);
    }
    if let Some(p) = &a.platform {
        labels = labels.platform(p);
    }
    if let Some(s) = &a.source {
        labels = labels.source(s);
    }
    if let Some(l) = &a.language {
        labels = labels.language(l);
    }
    let topics = if a.topic.is_empty() { scored.map(|s| s.topics).unwrap_or_default() } else { a.topic };
    for t in topics {
        labels = labels.topic(t);
    }
    print!("{}", Router::new(&settings.routes).explain(&labels, Utc::now(), &[]));
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum SilenceCommand {
    /// Mute alerts matching every --matcher for a while.
    Add {
        /// `label op value`, e.g. 'brand = Acme Air'; repeat for more.
        #[arg(long = "matcher", required = true)]
        matchers: Vec<String>,
        /// How long, e.g. 2h or 30m.
        #[arg(long = "for")]
        duration: String,
        #[arg(long, default_value = "")]
        comment: String,
        /// Who is silencing (default: the login name).
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Silences not yet ended (with --all, also expired ones).
    List {
        #[arg(long)]
        all: bool,
    },
    /// End a silence now.
    Expire { id: i64 },
}

pub async fn silence(settings: &Settings, cmd: SilenceCommand, login: &str) -> anyhow::Result<()> {
    let store = Store::open(&settings.storage.url).await.context("opening the database")?;
    store.migrate().await.context("applying migrations")?;
    let now = Utc::now();
    match cmd {
        SilenceCommand::Add { matchers, duration, comment, actor } => {
            let req = SilenceRequest { matchers, duration: Some(duration), comment, ..Default::default() };
            let checked = req.check(now).map_err(anyhow::Error::msg)?;
            let created_by = actor.unwrap_or_else(|| login.to_string());
            let new = NewSilence {
                matchers: &checked.matchers,
                starts_at: checked.starts_at,
                ends_at: checked.ends_at,
                created_by: &created_by,
                comment: &req.comment,
            };
            let s = store.create_silence(&new, now).await?;
            println!("silence {} until {}", s.id.0, s.ends_at.to_rfc3339());
        }
        SilenceCommand::List { all } => {
            for s in store.silences(now, all).await? {
                let matchers: Vec<String> = s.matchers.iter().map(|m| m.to_string()).collect();
                let state = if s.active_at(now) {
                    "active"
                } else if s.ends_at <= now {
                    "expired"
                } else {
                    "pending"
                };
                println!(
                    "{:<6} {:<8} {} .. {} by {}: {} · {}",
                    s.id.0,
                    state,
                    s.starts_at.to_rfc3339(),
                    s.ends_at.to_rfc3339(),
                    s.created_by,
                    matchers.join(", "),
                    s.comment
                );
            }
        }
        SilenceCommand::Expire { id } => {
            let s = store.expire_silence(SilenceId(id), now).await?.with_context(|| format!("no silence {id}"))?;
            println!("silence {} ended at {}", s.id.0, s.ends_at.to_rfc3339());
        }
    }
    Ok(())
}
