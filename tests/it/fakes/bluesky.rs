//! A fake Bluesky PDS + AppView (platform-apis.md §2 and 9.2):
//! `createSession` (identifier + app password) and `refreshSession` with
//! rotating refresh tokens; access tokens that expire after a few uses
//! (HTTP 400 `ExpiredToken`, to exercise the refresh); `searchPosts` with
//! `sort=latest`, `since` inclusive / `until` exclusive on `sortAt`, an
//! offset `cursor`, and hydration that drops deleted posts so pages come
//! back short while the cursor goes on; anonymous search refused with an
//! HTML 403 when switched on, and always when it sends a `cursor`; `RateLimit-*` headers with an epoch reset and
//! `RateLimit-Policy`, and the real 429 (`RateLimitExceeded`).

use std::collections::{HashMap, HashSet};

use axum::response::Response;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::api::{json, json_fault, matches_query, truncated_json, ApiServer, FakeApi, Req};
use super::server::{respond, Fault};
use crate::contract::{FakeFault, FakePost, PlatformFake};

pub const IDENTIFIER: &str = "brand.bsky.social";
pub const APP_PASSWORD: &str = "abcd-efgh-ijkl-mnop";
/// The env var the contract config reads the app password from.
pub const PASSWORD_ENV: &str = "EARSHOT_TEST_BSKY_APP_PASSWORD";
const LIMIT: u64 = 3000;
const WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone)]
struct Indexed {
    post: FakePost,
    did: String,
    rkey: String,
    indexed_at: DateTime<Utc>,
    /// Dropped during hydration (still counted by the search index).
    deleted: bool,
}

impl Indexed {
    fn uri(&self) -> String {
        format!("at://{}/app.bsky.feed.post/{}", self.did, self.rkey)
    }

    fn sort_at(&self) -> DateTime<Utc> {
        self.post.created_at.min(self.indexed_at)
    }
}

pub struct BlueskyApi {
    posts: Vec<Indexed>,
    ids: HashMap<String, usize>,
    /// Live access tokens and the uses each has left.
    access: HashMap<String, u32>,
    refresh: HashSet<String>,
    minted: u64,
    /// Uses an access token gets before it expires.
    pub access_uses: u32,
    /// Anonymous search is refused with an HTML 403.
    pub anonymous_forbidden: bool,
    pub logins: u32,
    pub refreshes: u32,
    pub remaining: u64,
}

impl BlueskyApi {
    fn new(_base: String) -> Self {
        BlueskyApi {
            posts: Vec::new(),
            ids: HashMap::new(),
            access: HashMap::new(),
            refresh: HashSet::new(),
            minted: 0,
            access_uses: 2,
            anonymous_forbidden: false,
            logins: 0,
            refreshes: 0,
            remaining: LIMIT,
        }
    }

    pub fn publish(&mut self, post: FakePost) {
        let did =
            format!("did:plc:fake{}", post.author.chars().filter(char::is_ascii_alphanumeric).collect::<String>());
        let rkey = format!("3l{}", post.id.chars().filter(char::is_ascii_alphanumeric).collect::<String>());
        let indexed_at = post.created_at + Duration::milliseconds(500);
        self.ids.insert(post.id.clone(), self.posts.len());
        self.posts.push(Indexed { post, did, rkey, indexed_at, deleted: false });
    }

    pub fn delete(&mut self, id: &str) {
        if let Some(&i) = self.ids.get(id) {
            self.posts[i].deleted = true;
        }
    }

    pub fn uri_of(&self, id: &str) -> String {
        self.ids.get(id).map(|&i| self.posts[i].uri()).unwrap_or_default()
    }

    /// Expires every access token (the next use gets `ExpiredToken`).
    pub fn expire_access(&mut self) {
        self.access.values_mut().for_each(|uses| *uses = 0);
    }

    /// Revokes every refresh token (the next refresh is refused).
    pub fn revoke_refresh(&mut self) {
        self.refresh.clear();
    }

    fn mint(&mut self) -> Value {
        self.minted += 1;
        let (access, refresh) = (format!("acc-{}", self.minted), format!("ref-{}", self.minted));
        self.access.insert(access.clone(), self.access_uses);
        self.refresh.insert(refresh.clone());
        json!({"accessJwt": access, "refreshJwt": refresh, "handle": IDENTIFIER, "did": "did:plc:brandbrandbrand", "active": true})
    }

    fn rate_headers(&mut self) -> Vec<(&'static str, String)> {
        self.remaining = self.remaining.saturating_sub(1);
        vec![
            ("ratelimit-limit", LIMIT.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", (Utc::now().timestamp() + WINDOW_SECS).to_string()),
            ("ratelimit-policy", format!("{LIMIT};w={WINDOW_SECS}")),
        ]
    }

    fn create_session(&mut self, req: &Req) -> Response {
        if !req.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
            return xrpc_error(400, "InvalidRequest", "Request encoding (Content-Type) required but not provided");
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        if body["identifier"] != IDENTIFIER || body["password"] != APP_PASSWORD {
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password");
        }
        self.logins += 1;
        let session = self.mint();
        json(200, &[], &session)
    }

    fn refresh_session(&mut self, req: &Req) -> Response {
        let Some(token) = req.bearer().map(str::to_string) else {
            return xrpc_error(401, "AuthMissing", "Authentication Required");
        };
        if !self.refresh.remove(&token) {
            return xrpc_error(400, "ExpiredToken", "Token has been revoked");
        }
        self.refreshes += 1;
        let session = self.mint();
        json(200, &[], &session)
    }

    fn search(&mut self, req: &Req) -> Response {
        match req.bearer().map(str::to_string) {
            Some(token) => match self.access.get_mut(&token) {
                Some(0) => return xrpc_error(400, "ExpiredToken", "Token has expired"),
                Some(uses) => *uses -= 1,
                None => return xrpc_error(400, "InvalidToken", "Token could not be verified"),
            },
            // The public AppView refuses `cursor` without a session (C, 2.1).
            None if self.anonymous_forbidden || req.param("cursor").is_some() => {
                return respond(
                    403,
                    &[("content-type", "text/html")],
                    "<html><body><h1>403 Forbidden</h1>Request forbidden by administrative rules.</body></html>",
                )
            }
            None => {}
        }
        let Some(q) = req.param("q").filter(|q| !q.is_empty()) else {
            return xrpc_error(400, "InvalidRequest", "Error: Params must have the property \"q\"");
        };
        let limit = req.param("limit").map_or(Some(25), |l| l.parse::<usize>().ok()).filter(|l| (1..=100).contains(l));
        let Some(limit) = limit else {
            return xrpc_error(400, "InvalidRequest", "Error: limit must be between 1 and 100");
        };
        let time = |name: &str| {
            req.param(name).and_then(|v| DateTime::parse_from_rfc3339(&v).ok()).map(|t| t.with_timezone(&Utc))
        };
        let (since, until) = (time("since"), time("until"));
        let offset = req.param("cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
        let mut hits: Vec<&Indexed> = self
            .posts
            .iter()
            .filter(|p| matches_query(&q, &p.post.text))
            .filter(|p| since.is_none_or(|s| p.sort_at() >= s) && until.is_none_or(|u| p.sort_at() < u))
            .collect();
        hits.sort_by(|a, b| b.sort_at().cmp(&a.sort_at()).then_with(|| b.rkey.cmp(&a.rkey)));
        let total = hits.len();
        // Hydration drops deleted posts: the page is short, the cursor goes on.
        let posts: Vec<Value> =
            hits.iter().skip(offset).take(limit).filter(|p| !p.deleted).map(|p| post_view(p)).collect();
        let mut body = json!({"hitsTotal": total, "posts": posts});
        if offset + limit < total {
            body["cursor"] = (offset + limit).to_string().into();
        }
        let headers = self.rate_headers();
        json(200, &headers, &body)
    }
}

fn post_view(p: &Indexed) -> Value {
    let ms = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    json!({
        "uri": p.uri(),
        "cid": format!("bafyreifake{}", p.rkey),
        "author": {"did": p.did, "handle": format!("{}.bsky.social", p.post.author), "displayName": p.post.author.to_uppercase(),
                   "labels": [], "createdAt": "2023-08-01T10:00:00.000Z"},
        "record": {"$type": "app.bsky.feed.post", "text": p.post.text, "createdAt": ms(p.post.created_at), "langs": ["en"]},
        "replyCount": 3, "repostCount": 1, "likeCount": 14, "quoteCount": 0,
        "indexedAt": ms(p.indexed_at),
        "labels": [],
        "viewer": {"threadMuted": false, "embeddingDisabled": false}
    })
}

fn xrpc_error(status: u16, error: &str, message: &str) -> Response {
    json(status, &[], &json!({"error": error, "message": message}))
}

impl FakeApi for BlueskyApi {
    fn faultable(&self, req: &Req) -> bool {
        req.path == "/xrpc/app.bsky.feed.searchPosts"
    }

    fn handle(&mut self, req: &Req) -> Response {
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/xrpc/com.atproto.server.createSession") => self.create_session(req),
            ("POST", "/xrpc/com.atproto.server.refreshSession") => self.refresh_session(req),
            ("GET", "/xrpc/app.bsky.feed.searchPosts") => self.search(req),
            _ => xrpc_error(404, "XRPCNotSupported", "Method Not Implemented"),
        }
    }
}

/// A contract fault as this platform answers it: `RateLimitExceeded` with
/// `Retry-After` and the epoch reset.
fn to_fault(fault: FakeFault) -> Fault {
    match fault {
        FakeFault::RateLimited { retry_after_secs } => json_fault(
            429,
            &[
                ("RateLimit-Limit", LIMIT.to_string()),
                ("RateLimit-Remaining", "0".into()),
                ("RateLimit-Reset", (Utc::now().timestamp() + retry_after_secs as i64).to_string()),
                ("RateLimit-Policy", format!("{LIMIT};w={WINDOW_SECS}")),
                ("Retry-After", retry_after_secs.to_string()),
            ],
            &json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
        ),
        FakeFault::ServerError => Fault::server_error_html(),
        FakeFault::Malformed => {
            truncated_json(r#"{"cursor":"2","posts":[{"uri":"at://did:plc:x/app.bsky.feed.post/3l"#)
        }
        FakeFault::Slow(d) => Fault::Delay(d),
    }
}

/// The contract suite's handle on the fake: a logged-in source whose
/// access tokens expire every two searches.
pub struct BlueskyFake(pub ApiServer<BlueskyApi>);

impl BlueskyFake {
    /// `[[sources]]` keys for a logged-in source on this fake.
    pub fn keys(&self, extra: &str) -> String {
        format!(
            "type = \"bluesky\"\nidentifier = \"{IDENTIFIER}\"\napp_password_env = \"{PASSWORD_ENV}\"\n\
             pds_url = \"{}\"\nlimit = 2\n{extra}",
            self.0.base()
        )
    }

    pub fn password_env(password: &str) -> Vec<(String, String)> {
        vec![(PASSWORD_ENV.to_string(), password.to_string())]
    }
}

#[async_trait::async_trait]
impl PlatformFake for BlueskyFake {
    async fn start(posts: Vec<FakePost>) -> Self {
        let server = ApiServer::start(BlueskyApi::new).await;
        server.with(|api| posts.into_iter().for_each(|p| api.publish(p)));
        BlueskyFake(server)
    }

    fn source_keys(&self) -> String {
        self.keys("")
    }

    fn env(&self) -> Vec<(String, String)> {
        Self::password_env(APP_PASSWORD)
    }

    fn publish(&self, post: FakePost) {
        self.0.with(|api| api.publish(post));
    }

    fn delete(&self, id: &str) {
        self.0.with(|api| api.delete(id));
    }

    fn fail_next(&self, fault: FakeFault) {
        self.0.fail_next(to_fault(fault));
    }

    fn external_id(&self, id: &str) -> String {
        self.0.with(|api| api.uri_of(id))
    }
}
