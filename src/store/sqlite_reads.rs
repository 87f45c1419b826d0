//! SQLite's reads before a batch is scored ([`Store::prior_reads`]): the
//! batch's stored mentions and its authors' customer records, three
//! queries stepped one after another on one of the poll readers
//! (`sqlite_handles.rs`, through `sqlite_raw.rs`), on this thread.
//!
//! Why: through sqlx each of the three was a message to a connection's
//! thread and back, each returned row another, and the three took three
//! of the pool's readers at once. Under the load command seven sources'
//! pages queued for the readers and their threads, and a page's reads
//! took 7-15 ms of wall time for about 1.5 ms of work, time in which the
//! source's next page waited. Taking a sqlx reader's handle instead still
//! cost two round trips to its thread (acquire, lend); a poll reader is
//! the poll's own for the call. The SQL and the reading of its rows are
//! `history_repo.rs`'s, shared with PostgreSQL, which reads through sqlx
//! (`prior_reads_pooled`, also the oracle of this file's test).
//!
//! [`Store::prior_reads`]: super::Store::prior_reads

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::history_repo::{item_row, tally_row, Batch, PriorBuilder, STORED_SQL};
use super::repo::json;
use super::{to_ms, PriorReads, SqliteStore, StoreError};
use crate::domain::{Platform, Post};

impl SqliteStore {
    /// What earlier polls stored about `posts` (all from `platform`); see
    /// [`Store::prior_reads`](super::Store::prior_reads).
    pub async fn prior_reads(
        &self,
        platform: Platform,
        posts: &[&Post],
        complaints_since: DateTime<Utc>,
        history_since: DateTime<Utc>,
    ) -> Result<PriorReads, StoreError> {
        let batch = Batch::of(posts);
        if batch.is_empty() {
            return Ok(PriorReads { complaints_since, ..PriorReads::default() });
        }
        // The batch's own posts are left out of its authors' tallies: their
        // ids are `ids_json`, bound twice.
        let authors = json(&batch.authors);
        let platform = platform.as_str();
        crate::blocking::hold_thread(|| {
            self.readers.with(|db| {
                let mut prior = PriorBuilder::new(complaints_since, history_since);
                let mut stored = db.prepare_kept(STORED_SQL)?;
                stored.bind(platform)?.bind(batch.ids_json.as_str())?;
                while stored.next_row()? {
                    prior.stored_row(&stored)?;
                }
                let mut customers = HashMap::new();
                let mut tally = db.prepare_kept(Self::TALLY_SQL)?;
                tally
                    .bind(to_ms(complaints_since))?
                    .bind(platform)?
                    .bind(authors.as_str())?
                    .bind(to_ms(history_since))?
                    .bind(batch.ids_json.as_str())?;
                while tally.next_row()? {
                    tally_row(&mut customers, &tally);
                }
                let mut items = db.prepare_kept(Self::ITEMS_SQL)?;
                items.bind(platform)?.bind(authors.as_str())?.bind(0_i64)?;
                while items.next_row()? {
                    item_row(&mut customers, &items)?;
                }
                Ok(prior.finish(customers))
            })
        })
    }
}
