//! `earshot queue ...`: the rapid-response queue from a terminal, straight
//! against the database the config names (the daemon need not run). Moves
//! are recorded with `via = cli` and the actor from `--as` (default: the
//! login name).

use anyhow::Context as _;
use chrono::Utc;
use clap::Subcommand;

use crate::config::Settings;
use crate::domain::{QueueItemId, Urgency};
use crate::queue::{Move, QueueState, Via};
use crate::store::{Change, QueueFilter, Store};

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// List items, newest first.
    List {
        /// open | acknowledged | resolved | followed_up | dismissed
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        brand: Option<String>,
        /// At least this urgent: low | normal | high | critical
        #[arg(long)]
        urgency: Option<String>,
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One item and its audit trail.
    Show { id: i64 },
    /// Acknowledge an item.
    Ack(MoveArgs),
    /// Resolve an item.
    Resolve(MoveArgs),
    /// Dismiss an item (not a real complaint).
    Dismiss(MoveArgs),
    /// Reopen a resolved, followed-up or dismissed item.
    Reopen(MoveArgs),
    /// Record the follow-up after a resolve.
    FollowUp(MoveArgs),
    /// Assign an item to someone.
    Assign {
        id: i64,
        assignee: String,
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Add a note to an item's record.
    Note {
        id: i64,
        text: String,
        #[arg(long = "as")]
        actor: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct MoveArgs {
    id: i64,
    /// Who is acting (default: the login name).
    #[arg(long = "as")]
    actor: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

pub async fn run(settings: &Settings, cmd: QueueCommand, login: &str) -> anyhow::Result<()> {
    let store = Store::open(&settings.storage.url).await.context("opening the database")?;
    store.migrate().await.context("applying migrations")?;
    let moved = |args: MoveArgs, mv: Move| (args.id, args.actor, args.note, Some(mv), None);
    let (id, actor, note, mv, assign) = match cmd {
        QueueCommand::List { state, brand, urgency, assignee, limit } => {
            let filter = QueueFilter {
                state: state
                    .map(|s| QueueState::parse(&s).with_context(|| format!("unknown state {s:?}")))
                    .transpose()?,
                brand,
                min_level: urgency
                    .map(|u| Urgency::parse(&u).with_context(|| format!("unknown urgency {u:?}")))
                    .transpose()?,
                assignee,
                limit: limit.clamp(1, 500),
                ..Default::default()
            };
            for i in store.queue_list(&filter).await? {
                let age = humantime::format_duration(std::time::Duration::from_secs(
                    (Utc::now() - i.opened_at).num_seconds().max(0) as u64,
                ));
                println!(
                    "#{:<6} {:<12} {:<8} {:<20} {:<12} opened {age} ago",
                    i.id.0,
                    i.state,
                    i.level,
                    i.brand,
                    i.assignee.as_deref().unwrap_or("-")
                );
            }
            return Ok(());
        }
        QueueCommand::Show { id } => {
            let (item, events) =
                store.queue_item(QueueItemId(id)).await?.with_context(|| format!("no queue item {id}"))?;
            println!(
                "#{} {} · {} · {} · assignee {}",
                item.id.0,
                item.state,
                item.level,
                item.brand,
                item.assignee.as_deref().unwrap_or("-")
            );
            println!("mention {} · opened {}", item.mention_id.0, item.opened_at.to_rfc3339());
            println!("{}", sla_line(&item));
            if let Some(c) = store.item_customer(&item, Utc::now()).await? {
                println!("customer @{} on {}: {}", c.author, c.platform.display_name(), c.line);
            }
            for b in store.queue_breaches(item.id).await? {
                println!(
                    "  SLA breach: not {} by {} (clock from {}), escalated {}",
                    b.kind.past_participle(),
                    b.deadline.to_rfc3339(),
                    b.since.to_rfc3339(),
                    b.at.to_rfc3339()
                );
            }
            for e in events {
                let note = e.note.map(|n| format!(" · {n}")).unwrap_or_default();
                println!(
                    "  {} {} -> {} by {} via {}{note}",
                    e.at.to_rfc3339(),
                    e.from.as_deref().unwrap_or("-"),
                    e.to,
                    e.actor,
                    e.via
                );
            }
            return Ok(());
        }
        QueueCommand::Ack(a) => moved(a, Move::Ack),
        QueueCommand::Resolve(a) => moved(a, Move::Resolve),
        QueueCommand::Dismiss(a) => moved(a, Move::Dismiss),
        QueueCommand::Reopen(a) => moved(a, Move::Reopen),
        QueueCommand::FollowUp(a) => moved(a, Move::FollowUp),
        QueueCommand::Assign { id, assignee, actor } => (id, actor, None, None, Some(assignee)),
        QueueCommand::Note { id, text, actor } => (id, actor, Some(text), None, None),
    };
    let actor = actor.unwrap_or_else(|| login.to_string());
    let change =
        Change { mv, assign: assign.as_deref().map(Some), note: note.as_deref(), actor: &actor, via: Via::Cli };
    let item = store.queue_change(QueueItemId(id), &change, Utc::now()).await?;
    println!("#{} is {} (assignee {})", item.id.0, item.state, item.assignee.as_deref().unwrap_or("-"));
    Ok(())
}

/// The item's SLA clock, stamps and follow-up outcome on one line.
fn sla_line(item: &crate::store::QueueItemRow) -> String {
    let stamp = |t: Option<chrono::DateTime<Utc>>| t.map_or("-".to_string(), |t| t.to_rfc3339());
    let mut line = format!(
        "SLA clock from {} · acknowledged {} · resolved {}",
        item.sla_since.to_rfc3339(),
        stamp(item.acked_at),
        stamp(item.resolved_at)
    );
    if let Some(t) = item.reminded_at {
        line.push_str(&format!(" · follow-up reminder {}", t.to_rfc3339()));
    }
    if let Some(o) = item.outcome {
        line.push_str(&format!(" · customer since: {}", o.words()));
    }
    line
}
