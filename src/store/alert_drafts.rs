//! Mention alerts encoded before a commit takes the writer: everything
//! but the two ids the commit hands out (the mention's and its queue
//! item's), which are filled in once the rows are written.
//!
//! Owns: [`AlertDrafts`]. Why: SQLite has one writer, and every other
//! poll waits while it holds the turn; encoding the alerts there (each a
//! copy of the post, its score and the author's history) took about 3 %
//! of the writer's CPU per poll under the load command (BENCHMARKS.md,
//! ninth pass). A draft is the alert's JSON after the ids; the payload is
//! the fixed head, the ids and the draft, the same bytes [`encode`] gives
//! for the whole alert (tested). Drafts are made for every mention with
//! somewhere to go; a mention that turns out to be stored already wastes
//! its draft, outside the writer. Tests: below.

use serde::Serialize;

use super::repo::encode;
use super::{NewMention, PollCommit, StoreError};
use crate::domain::{Mention, MentionId, Post, QueueItemId, SourceName};
use crate::queue::customer::CustomerHistory;
use crate::sinks::{MentionAlert, Notification};

/// What every mention alert's payload starts with, up to its mention id.
const HEAD: &str = r#"{"kind":"mention","mention_id":"#;

/// The alert fields after the ids, borrowed, in [`MentionAlert`]'s order
/// and with its rules (its `history` left out when absent).
#[derive(Serialize)]
struct Tail<'a> {
    source: &'a SourceName,
    post: &'a Post,
    mention: &'a Mention,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<&'a CustomerHistory>,
}

/// One draft per mention of a commit, in its order: `None` for a mention
/// with nowhere to go.
pub(crate) struct AlertDrafts<'c, 'a> {
    commit: &'c PollCommit<'a>,
    /// The JSON of [`Tail`] without its opening brace.
    tails: Vec<Option<String>>,
}

impl<'c, 'a> AlertDrafts<'c, 'a> {
    /// Drafts the alerts of `commit`'s routed mentions.
    pub(crate) fn of(commit: &'c PollCommit<'a>) -> Result<Self, StoreError> {
        let tails = commit
            .mentions
            .iter()
            .map(|m| (!m.deliveries.is_empty()).then(|| tail(m, commit.source)).transpose())
            .collect::<Result<_, _>>()?;
        Ok(AlertDrafts { commit, tails })
    }

    /// The payload of `m`'s alert (a mention of this commit) with its ids.
    /// A mention these drafts do not know is encoded whole.
    pub(crate) fn payload(
        &self,
        m: &NewMention<'_>,
        mention_id: MentionId,
        queue_item: Option<QueueItemId>,
    ) -> Result<String, StoreError> {
        let Some(tail) = self.index_of(m).and_then(|i| self.tails[i].as_deref()) else {
            return whole(m, mention_id, queue_item, self.commit.source);
        };
        let mut out = String::with_capacity(HEAD.len() + 48 + tail.len());
        out.push_str(HEAD);
        push_id(&mut out, mention_id.0);
        out.push_str(r#","queue_item":"#);
        match queue_item {
            Some(item) => push_id(&mut out, item.0),
            None => out.push_str("null"),
        }
        out.push(',');
        out.push_str(tail);
        Ok(out)
    }

    /// Where `m` is in the commit's mentions (by address, so found at
    /// once in the writer's turn, not searched for per alert).
    fn index_of(&self, m: &NewMention<'_>) -> Option<usize> {
        let mentions = &self.commit.mentions;
        let offset = (m as *const NewMention<'_> as usize).checked_sub(mentions.as_ptr() as usize)?;
        let at = offset / std::mem::size_of::<NewMention<'_>>();
        mentions.get(at).filter(|n| std::ptr::eq(*n, m)).map(|_| at)
    }
}

/// `m`'s alert fields after the ids, without the opening brace.
fn tail(m: &NewMention<'_>, source: &SourceName) -> Result<String, StoreError> {
    let json = encode(&Tail { source, post: m.post, mention: m.mention, history: m.history.as_ref() })?;
    Ok(json.strip_prefix('{').map(str::to_string).unwrap_or(json))
}

/// `m`'s alert encoded as a whole.
fn whole(
    m: &NewMention<'_>,
    mention_id: MentionId,
    queue_item: Option<QueueItemId>,
    source: &SourceName,
) -> Result<String, StoreError> {
    encode(&Notification::Mention(MentionAlert {
        mention_id,
        queue_item,
        source: source.clone(),
        post: m.post.clone(),
        mention: m.mention.clone(),
        history: m.history.clone(),
    }))
}

fn push_id(out: &mut String, id: i64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{id}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ReceiverName;
    use crate::routing::Delivery;
    use crate::store::tests::{mention, post};

    #[test]
    fn a_drafted_payload_is_the_alert_encoded_whole() {
        let source = SourceName::new("hn");
        let mut post = post("d1");
        post.text = "quote \" backslash \\ emoji 😠 and\ncontrol \u{7}".into();
        let mention = mention("Acme Air");
        let history = CustomerHistory { previous_mentions: 3, negative: 2, ..CustomerHistory::default() };
        let to = || vec![Delivery::to(ReceiverName::new("ops"))];
        let mentions = vec![
            NewMention { post: &post, mention: &mention, deliveries: to(), open_queue_item: true, history: None },
            NewMention { post: &post, mention: &mention, deliveries: vec![], open_queue_item: false, history: None },
            NewMention {
                post: &post,
                mention: &mention,
                deliveries: to(),
                open_queue_item: false,
                history: Some(history.clone()),
            },
        ];
        let commit = PollCommit { source: &source, cursor: None, mentions, now: chrono::Utc::now() };
        let drafts = AlertDrafts::of(&commit).unwrap();
        assert_eq!(drafts.tails.iter().filter(|t| t.is_some()).count(), 2, "only routed mentions are drafted");
        for (at, item) in [(0, Some(QueueItemId(7))), (2, None)] {
            let m = &commit.mentions[at];
            assert_eq!(drafts.index_of(m), Some(at), "a mention of the commit is found by its address");
            for id in [1, 42, i64::MAX] {
                let drafted = drafts.payload(m, MentionId(id), item).unwrap();
                assert_eq!(drafted, whole(m, MentionId(id), item, &source).unwrap());
                let decoded: Notification = serde_json::from_str(&drafted).unwrap();
                let Notification::Mention(alert) = decoded else { panic!("a mention alert") };
                assert_eq!((alert.mention_id, alert.queue_item), (MentionId(id), item));
                assert_eq!(alert.history.is_some(), m.history.is_some());
            }
        }
        let elsewhere =
            NewMention { post: &post, mention: &mention, deliveries: to(), open_queue_item: false, history: None };
        assert_eq!(drafts.index_of(&elsewhere), None);
        let whole_encoded = drafts.payload(&elsewhere, MentionId(3), None).unwrap();
        assert_eq!(whole_encoded, whole(&elsewhere, MentionId(3), None, &source).unwrap(), "unknown: encoded whole");
    }
}
