//! The repository API: every read and write earshot makes to its database,
//! and the transaction boundaries that carry its guarantees. The only
//! module with SQL.
//!
//! - [`Store::commit_poll`] stores a poll's mentions, advances the source's
//!   cursor, writes one outbox row per mention × receiver and opens queue
//!   items, all in ONE transaction: a crash anywhere re-reads, never skips.
//! - Mentions are unique on (platform, external id, brand); a duplicate is
//!   counted and produces no outbox row, so re-reads never re-alert.
//! - Outbox rows are claimed with a lease (`claimed_until`), so a worker
//!   that dies mid-send leaves a row that becomes claimable again.
//!
//! Backends: SQLite (`sqlite.rs`) and PostgreSQL (`postgres.rs`) share
//! one set of queries (`repo.rs`); callers only see [`Store`].
//! Tests: `store/tests.rs` (real SQLite files) and `tests/it/`.

mod alert_drafts;
mod board_repo;
mod customer;
mod history_repo;
mod leases;
mod mention_rows;
mod postgres;
mod postgres_commit;
mod queue;
mod queue_repo;
mod repo;
mod routing_repo;
pub mod scratch;
mod sla;
mod sla_repo;
mod spike_repo;
mod sqlite;
mod sqlite_commit;
mod sqlite_group;
mod sqlite_handles;
mod sqlite_raw;
mod sqlite_reads;
mod transient;
mod wal_checkpoint;

/// Runs the same call on whichever backend the store is.
macro_rules! dispatch {
    ($store:expr, $s:ident => $call:expr) => {
        match $store {
            Store::Sqlite($s) => $call,
            Store::Postgres($s) => $call,
        }
    };
}

// After `dispatch!`, which its `impl Store` block uses.
mod board;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::{BrandName, Mention, MentionId, Platform, Post, QueueItemId, ReceiverName, SourceName, Urgency};
use crate::pipeline::History;
use crate::queue::customer::{CustomerHistory, CustomerRecord, NewPost};
use crate::routing::{Delivery, Matcher, Silence, SilenceId};
use crate::sources::Cursor;

pub use self::board::{BoardItem, BoardScope, TopicCount, VolumeBucket};
pub use self::customer::ItemCustomer;
pub use self::leases::LeaseRow;
pub use self::postgres::PgStore;
pub use self::queue::{QueueError, QueueEvent, QueueFilter, QueueItemRow};
pub use self::queue_repo::Change;
pub use self::sla::{Breach, DueItem, Escalation, QueueDepth, SlaFigure};
pub use self::spike_repo::{NegativeMention, SeriesRow};
pub use self::sqlite::SqliteStore;

/// Database id of an outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutboxId(pub i64);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported storage url {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An error SQLite returned to a statement run on its own handle
    /// (`sqlite_raw.rs`), with its extended result code.
    #[error("database error: {message} (SQLite code {code})")]
    Sqlite { code: i32, message: String },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// One mention to store, with where its alerts go.
#[derive(Debug)]
pub struct NewMention<'a> {
    pub post: &'a Post,
    pub mention: &'a Mention,
    /// One outbox row per delivery, written only if the mention is new.
    pub deliveries: Vec<Delivery>,
    /// Open a rapid-response queue item (only if the mention is new).
    pub open_queue_item: bool,
    /// The author's history, shown in the alert; a post that follows up on
    /// a resolved item records its outcome on that item (only if new).
    pub history: Option<CustomerHistory>,
}

impl NewMention<'_> {
    /// Rows written after it name it (a queue item, an alert, a
    /// follow-up), so its insert must say its id.
    pub(crate) fn is_named_later(&self) -> bool {
        self.open_queue_item
            || !self.deliveries.is_empty()
            || self.history.as_ref().is_some_and(|h| h.follow_up.is_some())
    }
}

/// Everything one poll stores, committed together.
#[derive(Debug)]
pub struct PollCommit<'a> {
    pub source: &'a SourceName,
    /// `None` leaves the stored cursor as it is (pushed posts).
    pub cursor: Option<&'a Cursor>,
    pub mentions: Vec<NewMention<'a>>,
    pub now: DateTime<Utc>,
}

/// What a commit did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CommitReport {
    pub inserted: u64,
    pub duplicates: u64,
    pub outbox_rows: u64,
    pub queue_items: u64,
    /// The outbox rows by the state they were written in.
    pub routed: RoutedReport,
}

/// Where an outbox row goes: its state, when it is due and the silence
/// muting it ([`OutboxWrite::placement`]).
pub(crate) type Placement = (OutboxState, DateTime<Utc>, Option<i64>);

/// One outbox row to write: a notification's payload for one delivery.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutboxWrite<'a> {
    pub mention_id: Option<i64>,
    pub payload: &'a str,
    pub delivery: &'a Delivery,
}

impl<'a> OutboxWrite<'a> {
    /// One row per delivery of the same payload.
    pub fn all(mention_id: Option<i64>, payload: &'a str, deliveries: &'a [Delivery]) -> Vec<Self> {
        deliveries.iter().map(|delivery| OutboxWrite { mention_id, payload, delivery }).collect()
    }

    /// The state the row is written in, when it is due (its group's
    /// digest: when it may join), and the silence muting it.
    fn placement(&self, now: DateTime<Utc>) -> Placement {
        use crate::routing::DeliveryState;
        let grouped = self.delivery.group.is_some();
        match self.delivery.state {
            DeliveryState::Silenced(id) => (OutboxState::Silenced, now, Some(id.0)),
            DeliveryState::Inhibited => (OutboxState::Inhibited, now, None),
            DeliveryState::Quiet { until } if grouped => (OutboxState::Grouped, until, None),
            DeliveryState::Quiet { until } => (OutboxState::Held, until, None),
            DeliveryState::Deliver if grouped => (OutboxState::Grouped, now, None),
            DeliveryState::Deliver => (OutboxState::Pending, now, None),
        }
    }
}

/// The state a routed outbox row is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Due now.
    Pending,
    /// Pending, due when the route's quiet hours end.
    Held,
    /// Waiting for its group's digest.
    Grouped,
    /// Muted by a silence; never sent.
    Silenced,
    /// Held back while a spike of its brand fires; never sent.
    Inhibited,
}

impl OutboxState {
    pub fn column(self) -> &'static str {
        match self {
            OutboxState::Pending | OutboxState::Held => "pending",
            OutboxState::Grouped => "grouped",
            OutboxState::Silenced => "silenced",
            OutboxState::Inhibited => "inhibited",
        }
    }

    /// The `outcome` label of `earshot_delivery_routed_total`.
    pub fn outcome(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Held => "held",
            OutboxState::Grouped => "grouped",
            OutboxState::Silenced => "silenced",
            OutboxState::Inhibited => "inhibited",
        }
    }
}

/// Outbox rows written, by state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoutedReport {
    pub pending: u64,
    pub held: u64,
    pub grouped: u64,
    pub silenced: u64,
    pub inhibited: u64,
}

impl RoutedReport {
    pub fn count(&mut self, state: OutboxState) {
        match state {
            OutboxState::Pending => self.pending += 1,
            OutboxState::Held => self.held += 1,
            OutboxState::Grouped => self.grouped += 1,
            OutboxState::Silenced => self.silenced += 1,
            OutboxState::Inhibited => self.inhibited += 1,
        }
    }

    pub fn add(&mut self, other: RoutedReport) {
        self.pending += other.pending;
        self.held += other.held;
        self.grouped += other.grouped;
        self.silenced += other.silenced;
        self.inhibited += other.inhibited;
    }

    /// `(outcome, rows)` for metrics.
    pub fn outcomes(&self) -> [(&'static str, u64); 5] {
        [
            ("pending", self.pending),
            ("held", self.held),
            ("grouped", self.grouped),
            ("silenced", self.silenced),
            ("inhibited", self.inhibited),
        ]
    }
}

/// What one flush of a receiver's due groups did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    /// Digest rows written.
    pub digests: u64,
    /// Grouped rows folded into them.
    pub folded: u64,
    /// Groups of one, released as their own alert.
    pub singles: u64,
}

/// A silence to create.
#[derive(Debug, Clone)]
pub struct NewSilence<'a> {
    pub matchers: &'a [Matcher],
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: &'a str,
    pub comment: &'a str,
}

/// A stored silence from its columns.
pub(crate) fn silence_row(
    id: i64,
    matchers: &str,
    starts_at: i64,
    ends_at: i64,
    created_by: String,
    comment: String,
) -> Result<Silence, StoreError> {
    let texts: Vec<String> =
        serde_json::from_str(matchers).map_err(|e| StoreError::Corrupt(format!("silence {id}: matchers: {e}")))?;
    let matchers = texts
        .iter()
        .map(|t| Matcher::parse(t).map_err(|e| StoreError::Corrupt(format!("silence {id}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Silence {
        id: SilenceId(id),
        matchers,
        starts_at: from_ms(starts_at),
        ends_at: from_ms(ends_at),
        created_by,
        comment,
    })
}

/// What the store holds about a batch's posts and authors, from
/// [`Store::prior_reads`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PriorReads {
    /// Stored mentions by the post's external id (one per brand).
    pub posts: std::collections::HashMap<String, Vec<StoredMention>>,
    /// Per author handle: their posts in the history window, summed up
    /// (the batch's own listed apart), and their queue items.
    pub customers: std::collections::HashMap<String, CustomerRecord>,
    /// The start of the complaint window the complaints were read for.
    pub complaints_since: DateTime<Utc>,
}

/// Which of an author's posts a customer record sums up.
#[derive(Debug, Clone, Copy)]
pub struct HistoryWindow<'a> {
    /// Posts since then count.
    pub since: DateTime<Utc>,
    /// Negative posts since then are this week's complaints.
    pub complaints_since: DateTime<Utc>,
    /// Posts with these external ids are left out (the ones being summed
    /// up against the record).
    pub leaving_out: &'a [&'a str],
    /// This queue item is left out of their items (the one whose customer
    /// is being shown).
    pub leaving_out_item: Option<QueueItemId>,
}

/// A stored mention of a post being read again.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMention {
    pub brand: BrandName,
    pub id: MentionId,
    /// Likes + reposts + replies when last read.
    pub interactions: u64,
    pub read_at: DateTime<Utc>,
    pub level: Urgency,
}

impl PriorReads {
    /// The scorer's history of `post` as of `now`: its engagement when last
    /// read (the first stored brand's; all were read together), and its
    /// author's other complaints.
    pub fn history(&self, post: &Post, now: DateTime<Utc>) -> History {
        let previous = self.posts.get(post.external_id.as_str()).and_then(|m| m.first());
        let complaints = self
            .customers
            .get(&post.author.handle)
            .map_or(0, |r| r.others(post.external_id.as_str(), self.complaints_since).complaints);
        History {
            previous_engagement: previous.map(|m| m.interactions),
            minutes_since_previous: previous.map(|m| (now - m.read_at).num_milliseconds() as f64 / 60_000.0),
            author_recent_complaints: complaints,
        }
    }

    /// The history an alert about `mention` of `post` shows.
    pub fn customer(&self, post: &Post, mention: &Mention) -> CustomerHistory {
        let new = NewPost {
            external_id: post.external_id.as_str(),
            brand: mention.brand.as_str(),
            label: mention.score.label,
            posted_at: post.created_at,
        };
        self.customers
            .get(&post.author.handle)
            .map(|r| r.history(new, self.complaints_since))
            .unwrap_or_else(|| CustomerRecord::default().history(new, self.complaints_since))
    }

    /// The stored mention of `post` for `brand`, if it was read before.
    pub fn stored(&self, post: &Post, brand: &BrandName) -> Option<&StoredMention> {
        self.posts.get(post.external_id.as_str())?.iter().find(|m| &m.brand == brand)
    }
}

/// Who wrote a stored mention, where, and what it said.
#[derive(Debug, Clone, PartialEq)]
pub struct MentionAuthor {
    pub platform: Platform,
    pub author: String,
    pub external_id: String,
    pub brand: String,
    pub label: crate::domain::Label,
    pub posted_at: DateTime<Utc>,
}

/// A mention read again whose engagement or score changed.
#[derive(Debug)]
pub struct Reread<'a> {
    pub mention_id: MentionId,
    pub post: &'a Post,
    /// Scored anew, with the momentum since the last read.
    pub mention: &'a Mention,
    /// Deliveries to the receivers the mention reaches now and did not at
    /// its stored level: each gets one outbox row.
    pub deliveries: Vec<Delivery>,
}

/// A claimed outbox row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: OutboxId,
    /// `None` for alerts about earshot itself (source health).
    pub mention_id: Option<MentionId>,
    pub receiver: ReceiverName,
    /// The JSON-encoded `sinks::Notification`.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When the row was written (the mention stored), for latency.
    pub created_at: DateTime<Utc>,
}

/// The store's live figures for `/metrics`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreGauges {
    pub outbox_pending: u64,
    pub queue_open: u64,
    /// When the oldest still-open (unacknowledged) queue item was opened.
    pub queue_oldest_open: Option<DateTime<Utc>>,
}

/// Totals for the demo summary and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreCounts {
    pub mentions: u64,
    pub urgent_mentions: u64,
    pub outbox_pending: u64,
    pub outbox_sent: u64,
    pub outbox_failed: u64,
    pub outbox_inhibited: u64,
    pub queue_open: u64,
    /// When the oldest still-open (unacknowledged) queue item was opened.
    pub queue_oldest_open: Option<DateTime<Utc>>,
}

/// A stored mention as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct MentionRow {
    pub id: MentionId,
    pub platform: String,
    pub external_id: String,
    pub brand: String,
    pub source: String,
    pub author: String,
    pub text: String,
    pub level: String,
    pub posted_at: DateTime<Utc>,
}

/// The repository. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// Opens (creating if needed) the database named by `storage.url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            return Ok(Store::Sqlite(SqliteStore::open(url).await?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store::Postgres(PgStore::open(url).await?));
        }
        Err(StoreError::UnsupportedUrl(crate::config::redact_url_password(url)))
    }

    /// Opens and migrates the database, reporting why it cannot when it
    /// cannot (PostgreSQL is probed with one direct connection first).
    /// [`StoreError::is_transient`] says whether trying again may help.
    pub async fn open_migrated(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            PgStore::probe(url).await?;
        }
        let store = Store::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations; safe to run at every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.migrate().await)
    }

    /// Readiness probe: a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    pub async fn cursor(&self, source: &SourceName) -> Result<Option<Cursor>, StoreError> {
        dispatch!(self, s => s.cursor(source).await)
    }

    /// Stores a poll in one transaction (see the module doc).
    pub async fn commit_poll(&self, commit: PollCommit<'_>) -> Result<CommitReport, StoreError> {
        dispatch!(self, s => s.commit_poll(commit).await)
    }

    /// What earlier polls stored about `posts` (all from `platform`): their
    /// stored mentions, their authors' posts since `history_since` and queue
    /// items, and so their negative mentions since `complaints_since`. Three
    /// queries, whatever the batch size (SQLite: on one reader's own
    /// handle, `sqlite_reads.rs`).
    pub async fn prior_reads(
        &self,
        platform: Platform,
        posts: &[&Post],
        complaints_since: DateTime<Utc>,
        history_since: DateTime<Utc>,
    ) -> Result<PriorReads, StoreError> {
        match self {
            Store::Sqlite(s) => s.prior_reads(platform, posts, complaints_since, history_since).await,
            Store::Postgres(s) => s.prior_reads_pooled(platform, posts, complaints_since, history_since).await,
        }
    }

    /// Who wrote the mention `id`, where, and what it said.
    pub async fn mention_author(&self, id: MentionId) -> Result<Option<MentionAuthor>, StoreError> {
        dispatch!(self, s => s.mention_author(id).await)
    }

    /// Per author of `platform`: their posts in `window`, summed up, their
    /// open and acknowledged queue items counted, and their resolved ones.
    pub async fn customer_records(
        &self,
        platform: Platform,
        authors: &[&str],
        window: HistoryWindow<'_>,
    ) -> Result<std::collections::HashMap<String, CustomerRecord>, StoreError> {
        dispatch!(self, s => s.customer_records(platform, authors, window).await)
    }

    /// Refreshes re-read mentions (engagement, score, read time) and writes
    /// outbox rows for the receivers a rising mention newly reaches, in one
    /// transaction. Returns the outbox rows written.
    pub async fn record_rereads(
        &self,
        source: &SourceName,
        rereads: &[Reread<'_>],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.record_rereads(source, rereads, now).await)
    }

    /// Writes one outbox row per receiver for an alert that is not about a
    /// mention (source health).
    pub async fn enqueue(
        &self,
        receivers: &[ReceiverName],
        n: &crate::sinks::Notification,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.enqueue(receivers, n, now).await)
    }

    /// Writes the outbox rows of an alert that is not a stored mention
    /// (source health, spikes, SLA breaches, ...) as the router decided.
    pub async fn enqueue_routed(
        &self,
        deliveries: &[Delivery],
        n: &crate::sinks::Notification,
        now: DateTime<Utc>,
    ) -> Result<RoutedReport, StoreError> {
        dispatch!(self, s => s.enqueue_routed(deliveries, n, now).await)
    }

    /// Folds `receiver`'s due groups into digest rows (see `routing_repo.rs`).
    pub async fn flush_groups(&self, receiver: &ReceiverName, now: DateTime<Utc>) -> Result<FlushReport, StoreError> {
        dispatch!(self, s => s.flush_groups(receiver, now).await)
    }

    pub async fn create_silence(&self, s: &NewSilence<'_>, now: DateTime<Utc>) -> Result<Silence, StoreError> {
        dispatch!(self, st => st.create_silence(s, now).await)
    }

    /// Silences not yet ended at `now` (or all, with `include_expired`),
    /// newest first.
    pub async fn silences(&self, now: DateTime<Utc>, include_expired: bool) -> Result<Vec<Silence>, StoreError> {
        dispatch!(self, s => s.silences(now, include_expired).await)
    }

    /// Ends a silence at `now`; `None` if there is no such silence.
    pub async fn expire_silence(&self, id: SilenceId, now: DateTime<Utc>) -> Result<Option<Silence>, StoreError> {
        dispatch!(self, s => s.expire_silence(id, now).await)
    }

    /// Outbox rows in `state` (`pending`, `sent`, `failed`, `grouped`,
    /// `digested`, `silenced`).
    pub async fn outbox_in_state(&self, state: &str) -> Result<u64, StoreError> {
        dispatch!(self, s => s.outbox_in_state(state).await)
    }

    /// Claims up to `limit` due rows for `receiver`, leasing them for `lease`.
    pub async fn claim_due(
        &self,
        receiver: &ReceiverName,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        dispatch!(self, s => s.claim_due(receiver, now, limit, lease).await)
    }

    pub async fn mark_sent(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), StoreError> {
        dispatch!(self, s => s.mark_sent(id, now).await)
    }

    /// Releases the lease and makes the row due again at `due`.
    pub async fn retry_later(&self, id: OutboxId, due: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.retry_later(id, due, error).await)
    }

    /// Gives a claimed row back untouched (shutdown before it was tried).
    pub async fn release(&self, id: OutboxId) -> Result<(), StoreError> {
        dispatch!(self, s => s.release(id).await)
    }

    /// Gives a row up for good.
    pub async fn mark_failed(&self, id: OutboxId, now: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.mark_failed(id, now, error).await)
    }

    /// How far spike detection has counted, and every stored series.
    pub async fn spike_series(&self) -> Result<(Option<DateTime<Utc>>, Vec<SeriesRow>), StoreError> {
        dispatch!(self, s => s.spike_series().await)
    }

    /// Negative mentions stored in `[from, to)`, posted at most an hour
    /// before they were stored.
    pub async fn negative_mentions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NegativeMention>, StoreError> {
        dispatch!(self, s => s.negative_mentions(from, to).await)
    }

    /// The most urgent negative mentions of `brand` (and `topic`) stored
    /// since `since`, at most `limit`.
    pub async fn spike_examples(
        &self,
        brand: &BrandName,
        topic: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<crate::sinks::SpikeExample>, StoreError> {
        dispatch!(self, s => s.spike_examples(brand, topic, since, limit).await)
    }

    /// Saves how far spike detection counted, the series and the spike
    /// alerts' outbox rows (as routed) in one transaction, if the progress
    /// is still `previous` (as this tick read it); returns the rows
    /// written, or `None` when another tick committed first and nothing
    /// was saved.
    pub async fn commit_spikes(
        &self,
        previous: Option<DateTime<Utc>>,
        counted: DateTime<Utc>,
        series: &[SeriesRow],
        alerts: &[(Vec<Delivery>, crate::sinks::Notification)],
        now: DateTime<Utc>,
    ) -> Result<Option<RoutedReport>, StoreError> {
        dispatch!(self, s => s.commit_spikes(previous, counted, series, alerts, now).await)
    }

    /// Brands whose (brand-wide) spike is firing.
    pub async fn firing_spike_brands(&self) -> Result<Vec<BrandName>, StoreError> {
        dispatch!(self, s => s.firing_spike_brands().await)
    }

    /// Queue items matching `f`, newest first.
    pub async fn queue_list(&self, f: &QueueFilter) -> Result<Vec<QueueItemRow>, StoreError> {
        dispatch!(self, s => s.queue_list(f).await)
    }

    /// One queue item and its audit trail.
    pub async fn queue_item(&self, id: QueueItemId) -> Result<Option<(QueueItemRow, Vec<QueueEvent>)>, StoreError> {
        dispatch!(self, s => s.queue_item(id).await)
    }

    /// Moves, assigns or annotates a queue item in one transaction, with
    /// its audit event; an invalid move is refused and changes nothing.
    pub async fn queue_change(
        &self,
        id: QueueItemId,
        change: &Change<'_>,
        now: DateTime<Utc>,
    ) -> Result<QueueItemRow, QueueError> {
        dispatch!(self, s => s.queue_change(id, change, now).await)
    }

    /// Items whose `cutoffs.kind` SLA is late and not yet escalated in
    /// their current cycle, oldest first.
    pub async fn sla_due(&self, cutoffs: &crate::queue::sla::Cutoffs, limit: u32) -> Result<Vec<DueItem>, StoreError> {
        dispatch!(self, s => s.sla_due(cutoffs, limit).await)
    }

    /// Resolved items, resolved at or before `resolved_before`, whose
    /// follow-up reminder was not sent; oldest first.
    pub async fn follow_ups_due(&self, resolved_before: DateTime<Utc>, limit: u32) -> Result<Vec<DueItem>, StoreError> {
        dispatch!(self, s => s.follow_ups_due(resolved_before, limit).await)
    }

    /// Records a breach or a follow-up reminder once (see `sla_repo.rs`):
    /// only the first call writes the audit event and the outbox rows.
    /// Returns the rows written if this call recorded it.
    pub async fn queue_escalate(
        &self,
        item: &QueueItemRow,
        esc: &Escalation,
        deliveries: &[Delivery],
        n: &crate::sinks::Notification,
        now: DateTime<Utc>,
    ) -> Result<Option<RoutedReport>, StoreError> {
        dispatch!(self, s => s.queue_escalate(item, esc, deliveries, n, now).await)
    }

    /// The SLA breaches recorded for an item, oldest first.
    pub async fn queue_breaches(&self, item: QueueItemId) -> Result<Vec<Breach>, StoreError> {
        dispatch!(self, s => s.queue_breaches(item).await)
    }

    /// Items per state and the oldest open one.
    pub async fn queue_depth(&self) -> Result<QueueDepth, StoreError> {
        dispatch!(self, s => s.queue_depth().await)
    }

    /// p50/p90 time to acknowledge and resolve, and breaches, per urgency
    /// level (most urgent first, all four), over items whose SLA clock
    /// started at or after `since`; dismissed items are left out.
    pub async fn sla_figures(&self, since: DateTime<Utc>) -> Result<Vec<SlaFigure>, StoreError> {
        dispatch!(self, s => s.sla_figures(since).await)
    }

    /// What `/metrics` shows of the store; each read is an index range,
    /// whatever the tables hold.
    pub async fn gauges(&self) -> Result<StoreGauges, StoreError> {
        dispatch!(self, s => s.gauges().await)
    }

    /// How many mentions were stored after mention `after`, and the last
    /// one's id (`after` if none): a running count that reads only what is
    /// new.
    pub async fn mentions_after(&self, after: MentionId) -> Result<(u64, MentionId), StoreError> {
        dispatch!(self, s => s.mentions_after(after).await)
    }

    /// Totals for the demo summary and tests: counts whole tables, so its
    /// cost grows with them (not for anything that runs often).
    pub async fn counts(&self) -> Result<StoreCounts, StoreError> {
        dispatch!(self, s => s.counts().await)
    }

    /// Takes lease `name` for `holder` until `now + ttl` if it is free,
    /// lapsed, or already `holder`'s (a renewal); `false` if another
    /// replica holds it.
    pub async fn lease_acquire(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.lease_acquire(name, holder, now, ttl).await)
    }

    /// Gives lease `name` back if `holder` holds it.
    pub async fn lease_release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.lease_release(name, holder).await)
    }

    /// Deletes leases that lapsed before `lapsed_before`.
    pub async fn lease_prune(&self, lapsed_before: DateTime<Utc>) -> Result<u64, StoreError> {
        dispatch!(self, s => s.lease_prune(lapsed_before).await)
    }

    /// Every lease, lapsed ones included, by name.
    pub async fn leases(&self) -> Result<Vec<LeaseRow>, StoreError> {
        dispatch!(self, s => s.leases().await)
    }

    /// The most recently stored mentions, newest first.
    pub async fn recent_mentions(&self, limit: u32) -> Result<Vec<MentionRow>, StoreError> {
        dispatch!(self, s => s.recent_mentions(limit).await)
    }
}

#[cfg(test)]
impl Store {
    /// Runs raw SQL, for tests that break the schema on purpose.
    pub(crate) async fn exec_for_tests(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Store::Sqlite(s) => sqlx::query(sql).execute(s.pool()).await.map(|_| ()),
            Store::Postgres(s) => sqlx::query(sql).execute(s.pool()).await.map(|_| ()),
        }
    }
}

/// Epoch milliseconds, the storage form of every time.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

/// A stored sentiment label, or what is wrong with it.
pub(crate) fn parse_label(label: &str) -> Result<crate::domain::Label, StoreError> {
    parse_stored(label, "sentiment label", crate::domain::Label::parse)
}

/// A value stored as text (urgency, platform, queue state, ...) read back
/// with its `parse`, or [`StoreError::Corrupt`] naming what it should be.
pub(crate) fn parse_stored<T>(value: &str, what: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(value).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {value:?}")))
}

#[cfg(test)]
mod tests;
