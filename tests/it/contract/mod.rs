//! One contract suite that runs against every source (vector's compliance
//! harness idea): each platform's fake implements [`PlatformFake`], and
//! [`contract_suite!`] stamps out the same checks for it: paging, resume
//! after restart, duplicates across pages, deleted items, 429 with the
//! platform's own headers, 5xx, timeouts, malformed bodies, HTML content and
//! hostile text.
//!
//! A fake renders [`FakePost`]s in its platform's real wire format; the
//! suite only speaks in `FakePost`s and the daemon's store.

mod bluesky;
pub mod checks;
mod feed;
mod hackernews;
mod mastodon;
mod reddit;
mod x;
mod youtube;

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A platform item as the suite describes it; the fake renders it in its
/// platform's wire format (HTML for Mastodon, a Listing for Reddit, XML for
/// feeds...).
#[derive(Debug, Clone, PartialEq)]
pub struct FakePost {
    /// Unique per item; the fake derives its platform id from it.
    pub id: String,
    /// Author handle, without `@`.
    pub author: String,
    /// Plain text. Fakes of HTML platforms escape it into HTML (so `<` stays
    /// literal text once earshot strips the markup).
    pub text: String,
    /// When the item was published.
    pub created_at: DateTime<Utc>,
}

impl FakePost {
    /// A post mentioning the suite's brand ("Acme Air"), `secs_ago` old.
    pub fn mention(id: &str, secs_ago: i64) -> FakePost {
        FakePost {
            id: id.into(),
            author: format!("user{id}"),
            text: format!("Acme Air post {id}: my flight was delayed again"),
            created_at: Utc::now() - chrono::Duration::seconds(secs_ago),
        }
    }
}

/// A misbehaviour for the fake's next request.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeFault {
    /// The platform's real 429: its status, body and rate-limit headers
    /// (Retry-After and/or its reset header) asking for this many seconds.
    RateLimited { retry_after_secs: u64 },
    /// 503 with an HTML body.
    ServerError,
    /// 200 with the platform's content type and a truncated body.
    Malformed,
    /// Answer only after this long (the suite's client timeout is 1 s).
    Slow(Duration),
}

/// What every platform fake offers the suite.
#[async_trait::async_trait]
pub trait PlatformFake: Send + Sync + Sized + 'static {
    /// Starts on `127.0.0.1:0` with these items already published.
    async fn start(posts: Vec<FakePost>) -> Self;
    /// The platform keys of a `[[sources]]` table pointing at this fake:
    /// `type`, `base_url`, credentials (as `*_env` names), queries or tags,
    /// and a page size of 2 so paging is exercised. Not `name`, `every`,
    /// `cron` or `backfill` (the suite sets those).
    fn source_keys(&self) -> String;
    /// The environment the `*_env` keys read (fake credentials).
    fn env(&self) -> Vec<(String, String)>;
    /// Publishes an item, visible from the next request on.
    fn publish(&self, post: FakePost);
    /// Deletes an item (it disappears, or becomes the platform's tombstone).
    fn delete(&self, id: &str);
    /// Queues a fault for the next request to the search endpoint.
    fn fail_next(&self, fault: FakeFault);
    /// The external id earshot stores for item `id` (e.g. `t3_{id}`).
    fn external_id(&self, id: &str) -> String;
}

/// Stamps out every contract check as a `#[tokio::test]` for one fake,
/// in a `suite` module beside it: `contract_suite!(HnFake);`.
#[macro_export]
macro_rules! contract_suite {
    ($fake:ident) => {
        mod suite {
            use $crate::contract::checks;
            #[tokio::test]
            async fn pages_through_everything_new() {
                checks::pages_through_everything_new::<super::$fake>().await
            }
            #[tokio::test]
            async fn resumes_after_restart_without_duplicates() {
                checks::resumes_after_restart_without_duplicates::<super::$fake>().await
            }
            #[tokio::test]
            async fn deleted_items_cause_no_error_and_no_ghost() {
                checks::deleted_items_cause_no_error_and_no_ghost::<super::$fake>().await
            }
            #[tokio::test]
            async fn rate_limits_are_classified_with_the_wait() {
                checks::rate_limits_are_classified_with_the_wait::<super::$fake>().await
            }
            #[tokio::test]
            async fn server_errors_and_timeouts_store_nothing() {
                checks::server_errors_and_timeouts_store_nothing::<super::$fake>().await
            }
            #[tokio::test]
            async fn malformed_bodies_store_nothing() {
                checks::malformed_bodies_store_nothing::<super::$fake>().await
            }
            #[tokio::test]
            async fn hostile_text_is_stored_whole_and_escaped_for_slack() {
                checks::hostile_text_is_stored_whole_and_escaped_for_slack::<super::$fake>().await
            }
        }
    };
}
