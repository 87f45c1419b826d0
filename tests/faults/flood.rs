//! What every fault test shares: a flood of posts through the simulated
//! Hacker News API (half of them angry enough to alert), the replicas'
//! config, and the audit at the end: every post served stored exactly
//! once, every urgent mention in Slack at least once, duplicates counted.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use earshot::demo::hn_sim::{HnSimulator, SimHit};
use earshot::store::Store;
use tokio_util::sync::CancellationToken;

use crate::fakes::slack::FakeSlack;
use crate::helpers::wait_until;

/// An angry post (alerts: `high` or above) and a calm one (does not).
const ANGRY: &str = "Acme Air lost my bag AGAIN and support is useless, worst airline ever, I want a refund now!!!";
const CALM: &str = "Flying Acme Air to Lisbon tomorrow, the seats looked fine";

/// The simulated platform and every post it was given.
pub struct Flood {
    pub hn: Arc<HnSimulator>,
    next: AtomicU64,
    pushed: Mutex<Vec<String>>,
}

impl Flood {
    pub async fn start() -> Arc<Flood> {
        let hn = Arc::new(HnSimulator::start(Vec::new()).await.expect("simulator starts"));
        Arc::new(Flood { hn, next: AtomicU64::new(900_000), pushed: Mutex::new(Vec::new()) })
    }

    /// Publishes one post now; every other one is angry.
    pub fn push_one(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let id = n.to_string();
        let text = if n % 2 == 0 { ANGRY } else { CALM };
        let now = chrono::Utc::now().timestamp();
        self.hn.push(SimHit::story(id.clone(), &format!("user{}", n % 97), now, text));
        self.pushed.lock().unwrap_or_else(|p| p.into_inner()).push(id.clone());
        id
    }

    /// Publishes `per_second` posts a second until `stop`.
    pub fn run(self: &Arc<Self>, per_second: u32, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1) / per_second.max(1));
            while !stop.is_cancelled() {
                tick.tick().await;
                me.push_one();
            }
        })
    }

    pub fn pushed(&self) -> Vec<String> {
        self.pushed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A replica's config: the one source on the simulator, Slack for
    /// `high` and above, short leases and delivery claims so that a killed
    /// replica's work is taken over within the test's bounds; Slack messages
    /// paced `slack_interval` apart per replica; `extra` is appended (more
    /// sections or keys).
    pub fn config(&self, storage: &str, slack: &FakeSlack, slack_interval: &str, extra: &str) -> String {
        format!(
            r#"
[storage]
url = "{storage}"
[http]
listen = "127.0.0.1:0"
[log]
format = "json"
level = "info"
[fetch]
timeout = "1s"
[reload]
watch_file = false
[cluster]
lease_ttl = "1s"
renew_interval = "250ms"
[delivery]
interval = "50ms"
lease = "3s"
backoff_base = "100ms"
backoff_max = "500ms"
drain_timeout = "1s"
[[brands]]
name = "Acme Air"
terms = ["acme air"]
[[receivers]]
name = "slack"
type = "slack"
url = "{slack}"
min_interval = "{slack_interval}"
[[routes]]
receivers = ["slack"]
min_urgency = "high"
[[sources]]
name = "hn"
type = "hackernews"
base_url = "{hn}"
every = "1s"
backfill = "1h"
hits_per_page = 500
overlap = "3s"
{extra}
"#,
            slack = slack.url(),
            hn = self.hn.base_url(),
        )
    }
}

/// What the database and the fake Slack hold after a fault test.
#[derive(Debug)]
pub struct Audit {
    pub posts: usize,
    pub stored: usize,
    pub urgent: usize,
    pub slack_messages: usize,
    /// Slack messages beyond the first for the same mention.
    pub duplicates: usize,
    /// Urgent mentions Slack never got.
    pub undelivered: Vec<String>,
    /// Posts served but not stored.
    pub missing: Vec<String>,
}

impl Audit {
    /// Waits (bounded) until every post is stored and the outbox is empty,
    /// then compares the database and Slack with what was served.
    pub async fn settle(flood: &Flood, store: &Store, slack: &FakeSlack, bound: Duration) -> Audit {
        let posts = flood.pushed().len() as u64;
        wait_until(bound, &format!("all {posts} posts stored and delivered"), || async {
            store.counts().await.is_ok_and(|c| c.mentions >= posts && c.outbox_pending == 0)
        })
        .await;
        Self::take(flood, store, slack).await
    }

    /// The comparison, as things are now.
    pub async fn take(flood: &Flood, store: &Store, slack: &FakeSlack) -> Audit {
        let rows = store.recent_mentions(u32::MAX).await.expect("list mentions");
        let pushed = flood.pushed();
        let stored: HashSet<&str> = rows.iter().map(|r| r.external_id.as_str()).collect();
        let urgent: Vec<&str> = rows
            .iter()
            .filter(|r| r.level == "high" || r.level == "critical")
            .map(|r| r.external_id.as_str())
            .collect();
        let mut per_mention: HashMap<String, usize> = HashMap::new();
        let messages = slack.received();
        for m in &messages {
            if let Some(id) = item_id(&m.to_string()) {
                *per_mention.entry(id).or_default() += 1;
            }
        }
        Audit {
            posts: pushed.len(),
            stored: rows.len(),
            urgent: urgent.len(),
            slack_messages: messages.len(),
            duplicates: per_mention.values().map(|n| n - 1).sum(),
            undelivered: urgent.iter().filter(|id| !per_mention.contains_key(**id)).map(|s| s.to_string()).collect(),
            missing: pushed.iter().filter(|id| !stored.contains(id.as_str())).cloned().collect(),
        }
    }

    /// Every post stored exactly once (one brand: one mention per post; the
    /// store's unique key makes a second row impossible, the count proves
    /// no post is missing), every urgent mention delivered.
    pub fn assert_nothing_lost(&self) {
        eprintln!("audit: {self:?}");
        assert!(self.missing.is_empty(), "posts never stored: {:?}", self.missing);
        assert_eq!(self.stored, self.posts, "each post stored exactly once");
        assert!(self.urgent > 0, "the flood had urgent posts");
        assert!(self.undelivered.is_empty(), "urgent mentions never in Slack: {:?}", self.undelivered);
    }
}

/// The HN item id in a Slack message (its permalink button).
fn item_id(body: &str) -> Option<String> {
    let at = body.find("item?id=")? + "item?id=".len();
    Some(body[at..].chars().take_while(char::is_ascii_digit).collect())
}
