//! The fake X API as a contract-suite fake. X refuses `max_results` below
//! 10, so the source asks for 10 and the fake serves pages of 2 (real
//! pages are often shorter than `max_results`), which exercises paging.

use crate::fakes::server::{Fake, Fault};
use crate::fakes::x::{FakeX, TOKEN};

use super::{FakeFault, FakePost, PlatformFake};

pub struct XFake(FakeX);

#[async_trait::async_trait]
impl PlatformFake for XFake {
    async fn start(posts: Vec<FakePost>) -> Self {
        let fake = FakeX::start(2).await;
        for p in posts {
            fake.publish(&p.id, &p.author, &p.text, p.created_at);
        }
        XFake(fake)
    }

    fn source_keys(&self) -> String {
        format!(
            "type = \"x\"\nbase_url = \"{}\"\nbearer_token_env = \"EARSHOT_TEST_X_TOKEN\"\nmax_results = 10\n",
            self.0.base_url()
        )
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("EARSHOT_TEST_X_TOKEN".into(), TOKEN.into())]
    }

    fn publish(&self, p: FakePost) {
        self.0.publish(&p.id, &p.author, &p.text, p.created_at);
    }

    fn delete(&self, id: &str) {
        self.0.delete(id);
    }

    fn fail_next(&self, fault: FakeFault) {
        self.0.fail_next(match fault {
            FakeFault::RateLimited { retry_after_secs } => FakeX::rate_limited(retry_after_secs),
            FakeFault::ServerError => Fault::server_error_html(),
            FakeFault::Malformed => Fault::reply(
                200,
                &[("content-type", "application/json; charset=utf-8")],
                r#"{"data":[{"id":"1915000000000000123","text":"Acme Air tr"#,
            ),
            FakeFault::Slow(d) => Fault::Delay(d),
        });
    }

    fn external_id(&self, id: &str) -> String {
        self.0.id(id).to_string()
    }
}

crate::contract_suite!(XFake);
