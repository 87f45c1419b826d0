//! A fake Reddit (platform-apis.md §3 and 9.2): the app-only token
//! endpoint (HTTP Basic `client_id:secret`, `grant_type=client_credentials`,
//! `expires_in`, the 200-with-`error` case), a User-Agent check on every
//! request (403 HTML "Blocked" for a generic one), bearer tokens that
//! expire after a few uses (401 with `WWW-Authenticate: Bearer
//! realm="reddit", error="invalid_token"`), `/search` and
//! `/r/{sub}/search` (`restrict_sr`) sorted by new and `/r/{sub}/comments`,
//! the Listing envelope with `after`/`before` fullnames (an empty listing
//! when the anchor is gone), tombstones for deleted posts, `raw_json`
//! on/off escaping, relative permalinks, float `created_utc`,
//! `X-Ratelimit-Used/Remaining(float)/Reset(seconds)`, 403 JSON with a
//! `reason` for private subreddits and a 302 to `/subreddits/search` for
//! unknown ones.

use std::collections::{HashMap, HashSet};

use axum::response::Response;
use chrono::Utc;
use serde_json::{json, Value};

use super::api::{json, json_fault, matches_query, truncated_json, ApiServer, FakeApi, Req};
use super::server::{respond, Fault};
use crate::contract::{FakeFault, FakePost, PlatformFake};

pub const CLIENT_ID: &str = "fakeclientid123";
pub const CLIENT_SECRET: &str = "fake-client-secret-xyz";
pub const ID_ENV: &str = "EARSHOT_TEST_REDDIT_ID";
pub const SECRET_ENV: &str = "EARSHOT_TEST_REDDIT_SECRET";
/// Where the contract posts are; site-wide search finds them too.
pub const SUB: &str = "travel";
const WINDOW_REQUESTS: u64 = 1000;

#[derive(Debug, Clone)]
struct Thing {
    post: FakePost,
    sub: String,
    /// `t3` post or `t1` comment.
    kind: &'static str,
    /// `None`, or why it is gone: `deleted` (by its author) or `moderator`.
    removed: Option<&'static str>,
}

impl Thing {
    fn name(&self) -> String {
        format!("{}_{}", self.kind, self.post.id)
    }
}

pub struct RedditApi {
    things: Vec<Thing>,
    /// Live tokens and the uses each has left.
    tokens: HashMap<String, u32>,
    minted: u64,
    pub token_uses: u32,
    pub expires_in: u64,
    /// The token endpoint answers 200 with this `error`.
    pub token_error: Option<String>,
    pub private_subs: HashSet<String>,
    /// Subreddits that exist (others redirect to the subreddit search).
    pub known_subs: HashSet<String>,
    pub token_requests: u32,
    pub used: u64,
}

impl RedditApi {
    fn new(_base: String) -> Self {
        RedditApi {
            things: Vec::new(),
            tokens: HashMap::new(),
            minted: 0,
            token_uses: 100,
            expires_in: 3600,
            token_error: None,
            private_subs: HashSet::new(),
            known_subs: [SUB.to_string()].into(),
            token_requests: 0,
            used: 0,
        }
    }

    pub fn publish(&mut self, sub: &str, kind: &'static str, post: FakePost) {
        self.known_subs.insert(sub.to_lowercase());
        self.things.push(Thing { post, sub: sub.to_lowercase(), kind, removed: None });
    }

    /// The item becomes a tombstone (`[deleted]`), as Reddit shows it.
    pub fn remove(&mut self, id: &str, why: &'static str) {
        self.things.iter_mut().filter(|t| t.post.id == id).for_each(|t| t.removed = Some(why));
    }

    /// Expires every token (the next use gets 401 `invalid_token`).
    pub fn expire_tokens(&mut self) {
        self.tokens.values_mut().for_each(|uses| *uses = 0);
    }

    fn rate_headers(&mut self) -> Vec<(&'static str, String)> {
        self.used += 1;
        vec![
            ("x-ratelimit-used", self.used.to_string()),
            ("x-ratelimit-remaining", format!("{:.1}", WINDOW_REQUESTS.saturating_sub(self.used) as f64)),
            ("x-ratelimit-reset", "412".into()),
        ]
    }

    fn access_token(&mut self, req: &Req) -> Response {
        self.token_requests += 1;
        let expected = format!("Basic {}", base64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")));
        if req.header("authorization") != Some(expected.as_str()) {
            return json(401, &[], &json!({"message": "Unauthorized", "error": 401}));
        }
        let form = String::from_utf8_lossy(&req.body).to_string();
        if !form.split('&').any(|kv| kv == "grant_type=client_credentials") {
            return json(200, &[], &json!({"error": "unsupported_grant_type"}));
        }
        if let Some(e) = &self.token_error {
            return json(200, &[], &json!({"error": e}));
        }
        self.minted += 1;
        let token = format!("tok-{}", self.minted);
        self.tokens.insert(token.clone(), self.token_uses);
        json(
            200,
            &[],
            &json!({"access_token": token, "token_type": "bearer", "expires_in": self.expires_in, "scope": "*"}),
        )
    }

    fn listing(&mut self, req: &Req, sub: Option<&str>, comments: bool) -> Response {
        match req.bearer().map(str::to_string).and_then(|t| self.tokens.get_mut(&t)) {
            Some(uses) if *uses > 0 => *uses -= 1,
            _ => {
                return json(
                    401,
                    &[("www-authenticate", r#"Bearer realm="reddit", error="invalid_token""#.into())],
                    &json!({"message": "Unauthorized", "error": 401}),
                )
            }
        }
        if let Some(s) = sub {
            if self.private_subs.contains(s) {
                return json(403, &[], &json!({"message": "Forbidden", "error": 403, "reason": "private"}));
            }
            if !self.known_subs.contains(s) {
                return respond(302, &[("location", &format!("/subreddits/search?q={s}"))], "");
            }
        }
        let restrict =
            sub.is_some() && (comments || matches!(req.param("restrict_sr").as_deref(), Some("1" | "true" | "on")));
        let q = req.param("q");
        let window = match req.param("t").as_deref() {
            Some("hour") => 3600,
            Some("day") => 86_400,
            Some("week") => 7 * 86_400,
            Some("month") => 31 * 86_400,
            Some("year") => 365 * 86_400,
            _ => i64::MAX,
        };
        let now = Utc::now().timestamp();
        let mut found: Vec<&Thing> = self
            .things
            .iter()
            .filter(|t| t.kind == if comments { "t1" } else { "t3" })
            .filter(|t| !restrict || Some(t.sub.as_str()) == sub)
            .filter(|t| comments || q.as_deref().is_some_and(|q| matches_query(q, &t.post.text)))
            .filter(|t| now.saturating_sub(t.post.created_at.timestamp()) <= window)
            .collect();
        found.sort_by(|a, b| b.post.created_at.cmp(&a.post.created_at).then_with(|| b.name().cmp(&a.name())));
        let limit = req.param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(25).clamp(1, 100);
        let position = |anchor: &str| found.iter().position(|t| t.name() == anchor);
        let slice: Vec<&Thing> = match (req.param("after"), req.param("before")) {
            (Some(a), _) => position(&a).map_or(vec![], |i| found[i + 1..].iter().take(limit).copied().collect()),
            (None, Some(b)) => position(&b).map_or(vec![], |i| found[i.saturating_sub(limit)..i].to_vec()),
            (None, None) => found.iter().take(limit).copied().collect(),
        };
        let more = slice.last().and_then(|l| position(&l.name())).is_some_and(|i| i + 1 < found.len());
        let raw = req.param("raw_json").as_deref() == Some("1");
        let children: Vec<Value> = slice.iter().map(|t| thing_json(t, raw)).collect();
        let body = json!({"kind": "Listing", "data": {
            "after": if more { slice.last().map(|t| t.name()) } else { None },
            "dist": children.len(), "modhash": "", "geo_filter": "", "before": null, "children": children
        }});
        let headers = self.rate_headers();
        json(200, &headers, &body)
    }
}

/// A `t3`/`t1` as Reddit serialises it; without `raw_json=1` every string
/// has `&`, `<`, `>` escaped (the legacy behaviour).
fn thing_json(t: &Thing, raw: bool) -> Value {
    let esc =
        |s: &str| if raw { s.to_string() } else { s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;") };
    let p = &t.post;
    let (author, text) = match t.removed {
        Some(_) => {
            ("[deleted]".to_string(), format!("[{}]", if t.removed == Some("deleted") { "deleted" } else { "removed" }))
        }
        None => (p.author.clone(), p.text.clone()),
    };
    let title: String = p.text.lines().next().unwrap_or("").chars().take(300).collect();
    let created = p.created_at.timestamp() as f64;
    let permalink = format!("/r/{}/comments/{}/{}/", t.sub, p.id, if t.kind == "t1" { "c" } else { "post" });
    let data = if t.kind == "t3" {
        json!({
            "id": p.id, "name": t.name(), "title": esc(&title), "selftext": esc(&text),
            "selftext_html": format!("<!-- SC_OFF --><div class=\"md\"><p>{}</p>\n</div><!-- SC_ON -->", esc(&text)),
            "author": author, "subreddit": t.sub, "subreddit_name_prefixed": format!("r/{}", t.sub),
            "created_utc": created, "permalink": permalink, "url": format!("https://www.reddit.com{permalink}"),
            "is_self": true, "score": 48, "ups": 48, "downs": 0, "upvote_ratio": 0.94, "num_comments": 23,
            "over_18": false, "edited": false, "removed_by_category": t.removed,
        })
    } else {
        json!({
            "id": p.id, "name": t.name(), "body": esc(&text), "author": author, "link_id": "t3_parent",
            "parent_id": "t3_parent", "subreddit": t.sub, "created_utc": created, "permalink": permalink,
            "score": 5, "replies": "", "num_comments": 700,
        })
    };
    json!({"kind": t.kind, "data": data})
}

/// Standard base64 with padding (for the expected Basic credentials).
fn base64(s: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Reddit blocks agents that are not `<platform>:<app>:<version> (by /u/<user>)`.
fn descriptive_agent(req: &Req) -> bool {
    req.header("user-agent").is_some_and(|ua| ua.contains(" (by /u/") && ua.split(':').count() >= 3)
}

impl FakeApi for RedditApi {
    fn faultable(&self, req: &Req) -> bool {
        req.path == "/search" || req.path.starts_with("/r/")
    }

    fn handle(&mut self, req: &Req) -> Response {
        if !descriptive_agent(req) {
            return respond(
                403,
                &[("content-type", "text/html; charset=utf-8")],
                "<!doctype html><html><head><title>Blocked</title></head><body>whoa there, pardner! Your request \
                 has been blocked due to a network policy.</body></html>",
            );
        }
        let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.method.as_str(), segments.as_slice()) {
            ("POST", ["api", "v1", "access_token"]) => self.access_token(req),
            ("GET", ["search"]) => self.listing(req, None, false),
            ("GET", ["r", sub, "search"]) => self.listing(req, Some(&sub.to_lowercase()), false),
            ("GET", ["r", sub, "comments"]) => self.listing(req, Some(&sub.to_lowercase()), true),
            ("GET", ["subreddits", "search"]) => {
                let headers = self.rate_headers();
                json(200, &headers, &json!({"kind": "Listing", "data": {"after": null, "children": []}}))
            }
            _ => json(404, &[], &json!({"message": "Not Found", "error": 404})),
        }
    }
}

/// A contract fault as this platform answers it: the 429 paces through
/// `X-Ratelimit-*` (no `Retry-After`).
fn to_fault(fault: FakeFault) -> Fault {
    match fault {
        FakeFault::RateLimited { retry_after_secs } => json_fault(
            429,
            &[
                ("X-Ratelimit-Used", WINDOW_REQUESTS.to_string()),
                ("X-Ratelimit-Remaining", "0.0".into()),
                ("X-Ratelimit-Reset", retry_after_secs.to_string()),
            ],
            &json!({"message": "Too Many Requests", "error": 429}),
        ),
        FakeFault::ServerError => Fault::server_error_html(),
        FakeFault::Malformed => {
            truncated_json(r#"{"kind":"Listing","data":{"after":"t3_1","children":[{"kind":"t3","data":{"id":"1","#)
        }
        FakeFault::Slow(d) => Fault::Delay(d),
    }
}

/// The contract suite's handle on the fake: site-wide search, posts in r/travel.
pub struct RedditFake(pub ApiServer<RedditApi>);

impl RedditFake {
    /// `[[sources]]` keys for a source on this fake.
    pub fn keys(&self, extra: &str) -> String {
        let base = self.0.base();
        format!(
            "type = \"reddit\"\nclient_id_env = \"{ID_ENV}\"\nclient_secret_env = \"{SECRET_ENV}\"\n\
             username = \"acme_ops\"\nbase_url = \"{base}\"\nauth_url = \"{base}\"\nlimit = 2\n{extra}"
        )
    }

    pub fn credentials(id: &str, secret: &str) -> Vec<(String, String)> {
        vec![(ID_ENV.to_string(), id.to_string()), (SECRET_ENV.to_string(), secret.to_string())]
    }
}

#[async_trait::async_trait]
impl PlatformFake for RedditFake {
    async fn start(posts: Vec<FakePost>) -> Self {
        let server = ApiServer::start(RedditApi::new).await;
        server.with(|api| posts.into_iter().for_each(|p| api.publish(SUB, "t3", p)));
        RedditFake(server)
    }

    fn source_keys(&self) -> String {
        self.keys("")
    }

    fn env(&self) -> Vec<(String, String)> {
        Self::credentials(CLIENT_ID, CLIENT_SECRET)
    }

    fn publish(&self, post: FakePost) {
        self.0.with(|api| api.publish(SUB, "t3", post));
    }

    fn delete(&self, id: &str) {
        self.0.with(|api| api.remove(id, "deleted"));
    }

    fn fail_next(&self, fault: FakeFault) {
        self.0.fail_next(to_fault(fault));
    }

    fn external_id(&self, id: &str) -> String {
        format!("t3_{id}")
    }
}
