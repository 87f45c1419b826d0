//! Group commit for SQLite: polls that reach the one writer while another
//! poll is writing share its transaction, so BEGIN and COMMIT are paid
//! once per group, not once per poll.
//!
//! Owns: [`GroupCommit`]: the writer's turn and the poll writer
//! (`sqlite_handles.rs`, the handle polls are written on). The turn is a
//! fair (first come, first served) lock. A poll takes the turn, begins the
//! group's transaction if none is open, and writes its rows
//! (`sqlite_commit.rs`, with its own borrowed data: nothing crosses
//! between tasks or threads; the whole write, BEGIN and COMMIT included,
//! runs on the poll's own thread). Then, with another poll waiting for the
//! turn and the group not full ([`MAX_GROUP`]), it passes the turn on and
//! leaves the transaction open; otherwise it commits and tells every
//! member how the COMMIT went. A member answers its caller only after its
//! group's COMMIT. The WAL's `RESTART` checkpoints take the turn too, so
//! they run between groups (`wal_checkpoint.rs`).
//!
//! When a group fails (a member's write fails, the COMMIT fails, or a
//! member's write panics: its guard sees it), the whole group rolls back
//! and each member writes its poll again in a transaction of its own. That
//! is safe because `write_poll` is idempotent (written again, a poll finds
//! its mentions stored), and it keeps one bad poll from failing its
//! neighbours: alone, only it fails. A member whose group nobody commits
//! (the poll it passed the turn to was cancelled while waiting) commits the
//! group itself after [`STRANDED`]. Tests: `store/tests/group_commit.rs`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{oneshot, Mutex, MutexGuard};

use super::alert_drafts::AlertDrafts;
use super::sqlite_commit::write_poll;
use super::sqlite_handles::{OwnedHandle, StoreFile};
use super::sqlite_raw::Db;
use super::wal_checkpoint::{self, BUSY_TIMEOUT};
use super::{CommitReport, PollCommit, StoreError};
use crate::blocking::hold_thread;

/// Most polls in one transaction. Each member waits for the ones after
/// it (about 3 ms each under load) before it hears that it committed.
/// Chosen when BEGIN and getting the writer back from sqlx's pool cost
/// milliseconds a group; on the poll writer they cost almost nothing and
/// groups of 4 measured the same as groups of 8 ("Eighteenth pass" in
/// BENCHMARKS.md): what a group still shares is its COMMIT.
pub(crate) const MAX_GROUP: usize = 8;

/// How long a member waits for its group's COMMIT before it looks for a
/// committer that is gone. Groups normally commit within milliseconds.
pub(crate) const STRANDED: Duration = Duration::from_secs(1);

/// The writer's turn, the poll writer and the group of polls in its open
/// transaction.
pub(crate) struct GroupCommit {
    turn: Mutex<Group>,
    /// Polls waiting for the turn.
    waiting: AtomicUsize,
    /// Transactions committed by groups, for the tests and the logs.
    commits: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .field("commits", &self.commits.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The poll writer, its open transaction and who is in it.
#[derive(Default)]
struct Group {
    /// The store's file.
    file: StoreFile,
    /// Opened at the first commit (a read-only command never opens it).
    writer: Option<OwnedHandle>,
    /// A transaction is open on `writer`.
    open: bool,
    /// The members whose polls are in the open transaction, each told
    /// whether it committed (a sender dropped unsent means no).
    members: Vec<oneshot::Sender<bool>>,
    /// Counts the groups closed or abandoned, so a member knows its own.
    generation: u64,
}

impl Group {
    /// The poll writer's handle, opened on first use.
    fn db(&mut self) -> Result<Db<'_>, StoreError> {
        if self.writer.is_none() {
            self.writer = Some(OwnedHandle::open(&self.file, BUSY_TIMEOUT)?);
        }
        Ok(self.writer.as_ref().expect("opened above").db())
    }

    /// Begins a write transaction unless one is open: `BEGIN IMMEDIATE`
    /// takes the write lock up front, so two writers never deadlock
    /// upgrading a read lock. A handle found in a transaction nobody
    /// opened (a failed COMMIT or ROLLBACK left it, on an I/O error or a
    /// full disk) is closed, which rolls it back, and a fresh one opened:
    /// otherwise every later BEGIN would fail on it.
    fn begin(&mut self) -> Result<(), StoreError> {
        if self.open {
            return Ok(());
        }
        if self.writer.as_ref().is_some_and(|w| w.db().in_transaction()) {
            tracing::warn!("the poll writer was left in a transaction: opening a fresh one");
            self.writer = None;
        }
        self.db()?.exec("BEGIN IMMEDIATE")?;
        self.open = true;
        Ok(())
    }

    /// Commits the open transaction. When the COMMIT fails, whatever
    /// SQLite left of the transaction is rolled back.
    fn commit(&mut self) -> Result<(), StoreError> {
        if !std::mem::take(&mut self.open) {
            return Ok(());
        }
        let db = self.db()?;
        let committed = db.exec("COMMIT");
        if committed.is_err() && db.in_transaction() {
            let _ = db.exec("ROLLBACK");
        }
        committed
    }

    /// Rolls the open transaction back.
    fn rollback(&mut self) {
        if std::mem::take(&mut self.open) {
            if let Some(writer) = &self.writer {
                let db = writer.db();
                if db.in_transaction() {
                    if let Err(e) = db.exec("ROLLBACK") {
                        tracing::warn!(error = %e, "a rollback on the poll writer failed");
                    }
                }
            }
        }
    }

    /// Rolls the group back and tells its members to write again alone.
    fn abandon(&mut self) {
        self.rollback();
        self.members.clear();
        self.generation += 1;
    }
}

/// A poll's turn on the writer. Dropped while its poll is being written
/// (the write panicked), it abandons the group: the transaction holds part
/// of a poll.
struct Turn<'g> {
    group: MutexGuard<'g, Group>,
    writing: bool,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if self.writing {
            self.group.abandon();
        }
    }
}

impl Turn<'_> {
    /// Writes `commit` in the open transaction (begun if none is),
    /// without leaving the thread.
    fn write(&mut self, commit: &PollCommit<'_>, drafts: &AlertDrafts<'_, '_>) -> Result<CommitReport, StoreError> {
        self.group.begin()?;
        self.writing = true;
        let written = write_poll(&self.group.db()?, commit, drafts);
        self.writing = false;
        written
    }
}

/// The turn, held by a test.
#[cfg(test)]
pub(crate) struct HeldTurn<'g>(#[allow(dead_code)] MutexGuard<'g, Group>);

/// Counts a poll waiting for the turn while it waits (cancelled too).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl GroupCommit {
    /// Group commits on `file`.
    pub(super) fn new(file: StoreFile) -> Self {
        GroupCommit {
            turn: Mutex::new(Group { file, ..Group::default() }),
            waiting: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
        }
    }

    /// Stores `commit` in the current group, or alone if its group failed.
    pub(crate) async fn commit(&self, commit: &PollCommit<'_>) -> Result<CommitReport, StoreError> {
        // Encoded before the turn: the writer is the one thing polls share.
        let drafts = AlertDrafts::of(commit)?;
        match self.join(commit, &drafts).await? {
            Some(report) => Ok(report),
            None => self.alone(commit, &drafts).await,
        }
    }

    /// Transactions committed by groups so far.
    #[cfg(test)]
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Polls waiting for the turn now.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Holds the turn: polls queue behind it (tests).
    #[cfg(test)]
    pub(crate) async fn hold(&self) -> HeldTurn<'_> {
        HeldTurn(self.turn.lock().await)
    }

    /// Polls in the open group, and whether the turn is taken now (tests).
    #[cfg(test)]
    pub(crate) fn members(&self) -> Option<usize> {
        self.turn.try_lock().ok().map(|g| g.members.len())
    }

    /// Leaves the poll writer in a transaction it does not know of, as a
    /// COMMIT that failed half way can (tests).
    #[cfg(test)]
    pub(crate) async fn strand_a_transaction(&self) {
        let mut group = self.turn.lock().await;
        group.db().unwrap().exec("BEGIN").unwrap();
    }

    /// Counts a poll waiting for the turn that never takes it, as one
    /// cancelled while it waited (tests).
    #[cfg(test)]
    pub(crate) fn pretend_waiting(&self) -> impl Sized + '_ {
        Waiting::new(&self.waiting)
    }

    /// A `RESTART` checkpoint (`wal_checkpoint.rs`) on the poll writer,
    /// between two groups: it takes the turn like a poll, commits the
    /// group left open for it, if any, and runs on this thread. Whether it
    /// got through before readers of old snapshots outlasted its wait.
    pub(crate) async fn restart_wal(&self) -> Result<bool, StoreError> {
        let mut group = self.turn.lock().await;
        hold_thread(|| {
            self.finish(&mut group);
            wal_checkpoint::restart_on(&group.db()?)
        })
    }

    /// Writes `commit` in the group; its report once the group committed,
    /// `None` when the group failed and the poll must be written alone.
    async fn join(
        &self,
        commit: &PollCommit<'_>,
        drafts: &AlertDrafts<'_, '_>,
    ) -> Result<Option<CommitReport>, StoreError> {
        let mut turn = {
            let _waiting = Waiting::new(&self.waiting);
            Turn { group: self.turn.lock().await, writing: false }
        };
        let (told, answer) = oneshot::channel();
        let written = hold_thread(|| {
            let report = turn.write(commit, drafts)?;
            let group = &mut *turn.group;
            group.members.push(told);
            let generation = group.generation;
            if !(self.waiting() > 0 && group.members.len() < MAX_GROUP) {
                self.finish(group);
            }
            // Otherwise the next poll writes into the same transaction.
            Ok((report, generation))
        });
        let (report, generation) = match written {
            Ok(written) => written,
            Err(e) if turn.group.open => {
                tracing::debug!(source = %commit.source, error = %e, "a poll failed in a group: the group writes again alone");
                turn.group.abandon();
                return Ok(None);
            }
            // BEGIN failed: no group to write again in.
            Err(e) => return Err(e),
        };
        drop(turn);
        Ok(self.answer(answer, generation).await.then_some(report))
    }

    /// Writes `commit` in a transaction of its own, after its group
    /// failed. A group left open for it commits first.
    async fn alone(&self, commit: &PollCommit<'_>, drafts: &AlertDrafts<'_, '_>) -> Result<CommitReport, StoreError> {
        let mut turn = Turn { group: self.turn.lock().await, writing: false };
        hold_thread(|| {
            self.finish(&mut turn.group);
            match turn.write(commit, drafts) {
                Ok(report) => turn.group.commit().map(|()| report),
                Err(e) => {
                    turn.group.rollback();
                    Err(e)
                }
            }
        })
    }

    /// Commits the open group, if any, and tells its members.
    fn finish(&self, group: &mut Group) {
        if !group.open {
            return;
        }
        let polls = group.members.len();
        let committed = match group.commit() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(polls, error = %e, "a group commit failed: its polls write again alone");
                false
            }
        };
        group.generation += 1;
        self.commits.fetch_add(u64::from(committed), Ordering::Relaxed);
        for member in group.members.drain(..) {
            let _ = member.send(committed);
        }
    }

    /// Whether this member's group (number `generation`) committed. After
    /// [`STRANDED`] with no answer, it commits the group itself if nobody
    /// is writing in it (it holds the turn) and it is still open.
    async fn answer(&self, answer: oneshot::Receiver<bool>, generation: u64) -> bool {
        tokio::pin!(answer);
        loop {
            tokio::select! {
                told = &mut answer => return told.unwrap_or(false),
                () = tokio::time::sleep(STRANDED) => {
                    let mut group = self.turn.lock().await;
                    if group.generation == generation {
                        tracing::warn!("a group commit was left open by a cancelled poll: committing it");
                        hold_thread(|| self.finish(&mut group));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_turn_dropped_while_writing_abandons_its_group() {
        let group = Mutex::new(Group::default());
        let (told, answer) = oneshot::channel();
        group.lock().await.members.push(told);
        let turn = Turn { group: group.lock().await, writing: true };
        drop(turn);
        assert!(answer.await.is_err(), "the member hears its group will not commit");
        let left = group.lock().await;
        assert!(left.members.is_empty() && !left.open);
        assert_eq!(left.generation, 1, "a member waiting for the old group cannot take the next one for its own");

        drop(left);
        let (told, mut answer) = oneshot::channel();
        group.lock().await.members.push(told);
        drop(Turn { group: group.lock().await, writing: false });
        assert!(answer.try_recv().is_err_and(|e| e == oneshot::error::TryRecvError::Empty), "a finished turn keeps it");
        assert_eq!(group.lock().await.generation, 1);
    }
}
