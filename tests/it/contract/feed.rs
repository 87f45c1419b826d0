//! The fake feed server as a contract-suite fake. A feed is served whole,
//! so "a page size of 2" has no meaning; instead the source reads three
//! feed URLs (one Atom, two RSS 2.0), items spread over them in turn, and
//! each fetched feed counts as a page. Conditional GET is on: unchanged
//! feeds answer 304 on the second poll.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fakes::feed::{Entry, FakeFeeds};
use crate::fakes::server::{Fake, Fault};

use super::{FakeFault, FakePost, PlatformFake};

const FEEDS: usize = 3;

pub struct FeedFake {
    fake: FakeFeeds,
    next: AtomicUsize,
}

impl FeedFake {
    fn add(&self, p: FakePost) {
        let feed = self.next.fetch_add(1, Ordering::Relaxed) % FEEDS;
        let entry = Entry {
            key: p.id.clone(),
            author: p.author,
            title: format!("Post {}", p.id),
            text: p.text,
            published: p.created_at,
        };
        self.fake.publish(feed, entry);
    }
}

#[async_trait::async_trait]
impl PlatformFake for FeedFake {
    async fn start(posts: Vec<FakePost>) -> Self {
        let me = FeedFake { fake: FakeFeeds::start(FEEDS).await, next: AtomicUsize::new(0) };
        for p in posts {
            me.add(p);
        }
        me
    }

    fn source_keys(&self) -> String {
        let urls: Vec<String> = (0..FEEDS).map(|n| format!("\"{}\"", self.fake.url(n))).collect();
        format!("type = \"feed\"\nurls = [{}]\n", urls.join(", "))
    }

    fn env(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    fn publish(&self, p: FakePost) {
        self.add(p);
    }

    fn delete(&self, id: &str) {
        self.fake.delete(id);
    }

    fn fail_next(&self, fault: FakeFault) {
        self.fake.fail_next(match fault {
            FakeFault::RateLimited { retry_after_secs } => Fault::reply(
                429,
                &[("content-type", "text/html"), ("retry-after", &retry_after_secs.to_string())],
                "<html><body>Too Many Requests</body></html>",
            ),
            FakeFault::ServerError => Fault::server_error_html(),
            FakeFault::Malformed => Fault::reply(
                200,
                &[("content-type", "application/atom+xml; charset=utf-8")],
                "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>urn:x</id><title>Acme Air tr",
            ),
            FakeFault::Slow(d) => Fault::Delay(d),
        });
    }

    fn external_id(&self, id: &str) -> String {
        FakeFeeds::external_id(id)
    }
}

crate::contract_suite!(FeedFake);
