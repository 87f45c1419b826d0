//! Group commit for SQLite: polls that reach the one writer while another
//! poll is writing share its transaction, so BEGIN, COMMIT and the hand-off
//! of the writer connection from task to task are paid once per group, not
//! once per poll.
//!
//! Owns: [`GroupCommit`]. The turn to write is a fair (first come, first
//! served) lock. A poll takes the turn, begins the group's transaction if
//! none is open, and writes its rows (`write_poll`, with its own borrowed
//! data: nothing crosses between tasks). Then, with another poll waiting
//! for the turn and the group not full ([`MAX_GROUP`]), it passes the turn
//! on and leaves the transaction open; otherwise it commits and tells
//! every member how the COMMIT went. A member answers its caller only
//! after its group's COMMIT. Why: under the load command a poll's turn on
//! the writer was about 6 ms, of which writing its rows took 2; the rest
//! was BEGIN, COMMIT and waking the next task.
//!
//! When a group fails (a member's write fails, the COMMIT fails, or a
//! member is cancelled halfway through its write: its guard sees it), the
//! whole group rolls back and each member writes its poll again in a
//! transaction of its own. That is safe because `write_poll` is idempotent
//! (written again, a poll finds its mentions stored), and it keeps one bad
//! poll from failing its neighbours: alone, only it fails. A member whose
//! group nobody commits (the poll it passed the turn to was cancelled
//! while waiting) commits the group itself after [`STRANDED`].
//! Tests: `store/tests/group_commit.rs`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{oneshot, Mutex, MutexGuard};

use super::alert_drafts::AlertDrafts;
use super::{CommitReport, PollCommit, SqliteStore, StoreError};

/// Most polls in one transaction. Each member waits for the ones after
/// it (about 5 ms each under load) before it hears that it committed.
/// With 4, under the load command with 7 sources, the writer's turn was
/// never free and every group spent about 7 ms getting the writer
/// connection back from the pool and beginning; with 8, groups average 6
/// polls, that costs about 2 ms, and the turn is free a quarter of the time.
pub(crate) const MAX_GROUP: usize = 8;

/// How long a member waits for its group's COMMIT before it looks for a
/// committer that is gone. Groups normally commit within milliseconds.
pub(crate) const STRANDED: Duration = Duration::from_secs(1);

type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

/// The writer's turn and the group of polls in its open transaction.
#[derive(Default)]
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

/// The open transaction and who is in it.
#[derive(Default)]
struct Group {
    tx: Option<Tx>,
    /// The members whose polls are in `tx`, each told whether it committed
    /// (a sender dropped unsent means no).
    members: Vec<oneshot::Sender<bool>>,
    /// Counts the groups closed or abandoned, so a member knows its own.
    generation: u64,
}

impl Group {
    /// Rolls the group back (a dropped transaction rolls back) and tells
    /// its members to write again alone.
    fn abandon(&mut self) {
        self.tx = None;
        self.members.clear();
        self.generation += 1;
    }

    /// Takes the transaction and its members out, to be committed.
    fn close(&mut self) -> Option<(Tx, Vec<oneshot::Sender<bool>>)> {
        let tx = self.tx.take()?;
        self.generation += 1;
        Some((tx, std::mem::take(&mut self.members)))
    }
}

/// A poll's turn on the writer. Dropped while its poll is being written
/// (the caller cancelled), it abandons the group: the transaction holds
/// part of a poll.
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
    /// Stores `commit` in the current group, or alone if its group failed.
    pub(crate) async fn commit(
        &self,
        store: &SqliteStore,
        commit: &PollCommit<'_>,
    ) -> Result<CommitReport, StoreError> {
        // Encoded before the turn: the writer is the one thing polls share.
        let drafts = AlertDrafts::of(commit)?;
        match self.join(store, commit, &drafts).await? {
            Some(report) => Ok(report),
            None => store.commit_alone(commit, &drafts).await,
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

    /// Counts a poll waiting for the turn that never takes it, as one
    /// cancelled while it waited (tests).
    #[cfg(test)]
    pub(crate) fn pretend_waiting(&self) -> impl Sized + '_ {
        Waiting::new(&self.waiting)
    }

    /// Writes `commit` in the group; its report once the group committed,
    /// `None` when the group failed and the poll must be written alone.
    async fn join(
        &self,
        store: &SqliteStore,
        commit: &PollCommit<'_>,
        drafts: &AlertDrafts<'_, '_>,
    ) -> Result<Option<CommitReport>, StoreError> {
        let mut turn = {
            let _waiting = Waiting::new(&self.waiting);
            Turn { group: self.turn.lock().await, writing: false }
        };
        if turn.group.tx.is_none() {
            turn.group.tx = Some(store.begin_write().await?);
        }
        turn.writing = true;
        let tx = turn.group.tx.as_mut().expect("begun above");
        let written = store.write_poll(tx, commit, drafts).await;
        turn.writing = false;
        let report = match written {
            Ok(report) => report,
            Err(e) => {
                tracing::debug!(source = %commit.source, error = %e, "a poll failed in a group: the group writes again alone");
                turn.group.abandon();
                return Ok(None);
            }
        };
        let (told, answer) = oneshot::channel();
        turn.group.members.push(told);
        let generation = turn.group.generation;
        if self.waiting() > 0 && turn.group.members.len() < MAX_GROUP {
            // The next poll writes into the same transaction.
            drop(turn);
        } else {
            let closed = turn.group.close();
            drop(turn);
            self.finish(closed).await;
        }
        Ok(self.answer(answer, generation).await.then_some(report))
    }

    /// Commits a closed group and tells its members.
    async fn finish(&self, closed: Option<(Tx, Vec<oneshot::Sender<bool>>)>) {
        let Some((tx, members)) = closed else { return };
        let polls = members.len();
        let committed = match tx.commit().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(polls, error = %e, "a group commit failed: its polls write again alone");
                false
            }
        };
        self.commits.fetch_add(u64::from(committed), Ordering::Relaxed);
        for member in members {
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
                        let closed = group.close();
                        drop(group);
                        self.finish(closed).await;
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
        assert!(left.members.is_empty() && left.tx.is_none());
        assert_eq!(left.generation, 1, "a member waiting for the old group cannot take the next one for its own");

        drop(left);
        let (told, mut answer) = oneshot::channel();
        group.lock().await.members.push(told);
        drop(Turn { group: group.lock().await, writing: false });
        assert!(answer.try_recv().is_err_and(|e| e == oneshot::error::TryRecvError::Empty), "a finished turn keeps it");
        assert_eq!(group.lock().await.generation, 1);
    }
}
