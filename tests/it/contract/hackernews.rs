//! The Hacker News simulator as a contract-suite fake: items become
//! comments whose HTML body is the post text, escaped as HN stores it.

use std::sync::Arc;

use earshot::demo::hn_sim::{Fault, HnSimulator, SimHit};

use super::{FakeFault, FakePost, PlatformFake};

pub struct HnFake(Arc<HnSimulator>);

fn hit(p: &FakePost) -> SimHit {
    let html = format!("<p>{}</p>", p.text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"));
    SimHit::comment(p.id.clone(), &p.author, p.created_at.timestamp(), (1, "A thread about airlines"), &html)
}

#[async_trait::async_trait]
impl PlatformFake for HnFake {
    async fn start(posts: Vec<FakePost>) -> Self {
        let sim = HnSimulator::start(posts.iter().map(hit).collect()).await.expect("simulator starts");
        HnFake(Arc::new(sim))
    }

    fn source_keys(&self) -> String {
        format!("type = \"hackernews\"\nbase_url = \"{}\"\nhits_per_page = 2\n", self.0.base_url())
    }

    fn env(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    fn publish(&self, post: FakePost) {
        self.0.push(hit(&post));
    }

    fn delete(&self, id: &str) {
        self.0.remove(id);
    }

    fn fail_next(&self, fault: FakeFault) {
        self.0.fail_next(match fault {
            FakeFault::RateLimited { retry_after_secs } => Fault::rate_limited(retry_after_secs),
            FakeFault::ServerError => Fault::Status {
                code: 503,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: "<html><body><h1>503 Service Unavailable</h1></body></html>".into(),
            },
            FakeFault::Malformed => Fault::Malformed(r#"{"hits":[{"objectID":"1","created_at_i":17"#.into()),
            FakeFault::Slow(d) => Fault::Delay(d),
        });
    }

    fn external_id(&self, id: &str) -> String {
        id.to_string()
    }
}

crate::contract_suite!(HnFake);
