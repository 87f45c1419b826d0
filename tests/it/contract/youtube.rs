//! The fake YouTube Data API as a contract-suite fake: items become videos
//! whose description is the post text (escaped as YouTube escapes titles
//! and descriptions); the source asks for pages of 2. Its 429 is Google's
//! RESOURCE_EXHAUSTED answer with `Retry-After` (the per-minute limit);
//! the daily quota's 403 is tested in `tests/it/youtube.rs`.

use crate::fakes::server::{Fake, Fault};
use crate::fakes::youtube::{FakeVideo, FakeYoutube, KEY};

use super::{FakeFault, FakePost, PlatformFake};

pub struct YoutubeFake(FakeYoutube);

fn video_id(id: &str) -> String {
    format!("vid{id:0>8}")
}

fn video(p: &FakePost) -> FakeVideo {
    FakeVideo {
        video_id: video_id(&p.id),
        channel_id: format!("UC{:_>22}", p.author),
        channel_title: p.author.clone(),
        title: format!("Video {}", p.id),
        description: p.text.clone(),
        published_at: p.created_at,
    }
}

#[async_trait::async_trait]
impl PlatformFake for YoutubeFake {
    async fn start(posts: Vec<FakePost>) -> Self {
        let fake = FakeYoutube::start().await;
        for p in &posts {
            fake.add_video(video(p));
        }
        YoutubeFake(fake)
    }

    fn source_keys(&self) -> String {
        format!(
            "type = \"youtube\"\nbase_url = \"{}\"\napi_key_env = \"EARSHOT_TEST_YT_KEY\"\nmax_results = 2\nmax_pages = 10\n",
            self.0.base_url()
        )
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("EARSHOT_TEST_YT_KEY".into(), KEY.into())]
    }

    fn publish(&self, p: FakePost) {
        self.0.add_video(video(&p));
    }

    fn delete(&self, id: &str) {
        self.0.remove_video(&video_id(id));
    }

    fn fail_next(&self, fault: FakeFault) {
        self.0.fail_next(match fault {
            FakeFault::RateLimited { retry_after_secs } => FakeYoutube::rate_limited(retry_after_secs),
            FakeFault::ServerError => Fault::server_error_html(),
            FakeFault::Malformed => Fault::reply(
                200,
                &[("content-type", "application/json; charset=UTF-8")],
                r#"{"kind":"youtube#searchListResponse","items":[{"id":{"kind":"youtube#video","videoId":"vid0"#,
            ),
            FakeFault::Slow(d) => Fault::Delay(d),
        });
    }

    fn external_id(&self, id: &str) -> String {
        video_id(id)
    }
}

crate::contract_suite!(YoutubeFake);
