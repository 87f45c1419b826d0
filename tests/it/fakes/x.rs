//! A fake X API v2 recent search (platform-apis.md §5, 9.2) on
//! `127.0.0.1:0`: `GET /2/tweets/search/recent` with bearer-token check,
//! quoted-phrase OR queries and `-is:retweet`, `since_id` / `until_id`
//! exclusive, `start_time` within 7 days, `max_results` 10..=100 (400
//! otherwise), newest first, `next_token` paging by id (stable when posts
//! arrive between pages), `meta.newest_id` per page, zero results without
//! `data`, authors in `includes.users` (or missing), long text in
//! `note_tweet`, `&`/`<`/`>` escaped, `x-rate-limit-*` headers with an
//! epoch reset, and X's problem JSON for 400/401/429.
//!
//! Pages hold at most `page_size` posts whatever `max_results` says (X
//! pages are often short), so tests can page with few posts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::server::{apply, lock, respond, Fake, FakeServer, Fault, Log, Recorded};

pub const TOKEN: &str = "AAAAfakeBearerToken";
const TWEPOCH_MS: i64 = 1_288_834_974_657;
/// X truncates `text` at this many characters; the rest is in `note_tweet`.
const TEXT_LIMIT: usize = 280;

#[derive(Debug, Clone)]
pub struct Tweet {
    pub id: u64,
    pub author: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// Leave the author out of `includes.users` (suspended...).
    pub hide_author: bool,
}

#[derive(Debug)]
struct XState {
    tweets: Vec<Tweet>,
    ids: HashMap<String, u64>,
    seq: u64,
    page_size: usize,
    /// `since_id` at or below this is "older than 7 days" (400).
    oldest_since_id: u64,
    remaining: u64,
}

#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<XState>>,
    log: Arc<Mutex<Log>>,
}

pub struct FakeX {
    pub server: FakeServer,
    state: Arc<Mutex<XState>>,
    log: Arc<Mutex<Log>>,
}

impl FakeX {
    pub async fn start(page_size: usize) -> FakeX {
        let state = Arc::new(Mutex::new(XState {
            tweets: Vec::new(),
            ids: HashMap::new(),
            seq: 0,
            page_size,
            oldest_since_id: 0,
            remaining: 450,
        }));
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Shared { state: state.clone(), log: log.clone() };
        let server = FakeServer::start(Router::new().fallback(handle).with_state(shared)).await;
        FakeX { server, state, log }
    }

    /// `http://127.0.0.1:{port}/2`
    pub fn base_url(&self) -> String {
        self.server.url("/2")
    }

    /// Publishes a post by `author` (its id grows with `created_at`, like a
    /// snowflake); returns the tweet id.
    pub fn publish(&self, key: &str, author: &str, text: &str, created_at: DateTime<Utc>) -> u64 {
        let mut s = lock(&self.state);
        s.seq += 1;
        let ms = (created_at.timestamp_millis() - TWEPOCH_MS).max(0) as u64;
        let id = (ms << 22) | (s.seq & 0x3F_FFFF);
        s.ids.insert(key.to_string(), id);
        s.tweets.push(Tweet { id, author: author.into(), text: text.into(), created_at, hide_author: false });
        id
    }

    pub fn hide_author(&self, key: &str) {
        let mut s = lock(&self.state);
        let id = s.ids.get(key).copied();
        s.tweets.iter_mut().filter(|t| Some(t.id) == id).for_each(|t| t.hide_author = true);
    }

    pub fn delete(&self, key: &str) {
        let mut s = lock(&self.state);
        let id = s.ids.get(key).copied();
        s.tweets.retain(|t| Some(t.id) != id);
    }

    pub fn id(&self, key: &str) -> u64 {
        lock(&self.state).ids[key]
    }

    /// The key a tweet id was published under.
    pub fn key_of(&self, id: u64) -> Option<String> {
        lock(&self.state).ids.iter().find(|(_, v)| **v == id).map(|(k, _)| k.clone())
    }

    /// `since_id` values at or below `id` are refused as too old.
    pub fn set_oldest_since_id(&self, id: u64) {
        lock(&self.state).oldest_since_id = id;
    }

    /// The `x-rate-limit-remaining` the next answers report (decreasing).
    pub fn set_remaining(&self, n: u64) {
        lock(&self.state).remaining = n;
    }

    /// 429 as X sends it: problem JSON, no Retry-After, an exhausted
    /// window resetting `secs` from now (epoch seconds).
    pub fn rate_limited(secs: u64) -> Fault {
        let reset = (Utc::now().timestamp() + secs as i64).to_string();
        Fault::reply(
            429,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("x-rate-limit-limit", "450"),
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", &reset),
            ],
            r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#,
        )
    }
}

impl Fake for FakeX {
    fn log(&self) -> &Arc<Mutex<Log>> {
        &self.log
    }
}

fn problem(status: u16, title: &str, kind: &str, detail: &str, errors: Value) -> Response {
    let mut body = json!({"title": title, "detail": detail, "type": kind, "status": status});
    if !errors.is_null() {
        body["errors"] = errors;
    }
    respond(status, &[("content-type", "application/problem+json")], body.to_string())
}

fn invalid(param: &str, value: &str, message: &str) -> Response {
    problem(
        400,
        "Invalid Request",
        "https://api.x.com/2/problems/invalid-request",
        "One or more parameters to your request was invalid.",
        json!([{"parameters": {param: [value]}, "message": message}]),
    )
}

async fn handle(State(shared): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let req = Recorded { path: uri.path().into(), query: uri.query().unwrap_or("").into(), headers };
    let fault = lock(&shared.log).take(req.clone());
    if let Some(r) = apply(fault).await {
        return r;
    }
    if req.header("authorization").as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return problem(401, "Unauthorized", "about:blank", "Unauthorized", Value::Null);
    }
    if req.path != "/2/tweets/search/recent" {
        return problem(
            404,
            "Not Found Error",
            "https://api.x.com/2/problems/resource-not-found",
            "no such route",
            Value::Null,
        );
    }
    let Some(query) = req.param("query") else {
        return invalid("query", "", "The `query` query parameter can not be empty");
    };
    let max = req.param("max_results").map_or(Ok(10), |m| m.parse::<u64>());
    if !matches!(max, Ok(10..=100)) {
        return invalid("max_results", &req.param("max_results").unwrap_or_default(), "must be between 10 and 100");
    }
    let num = |k: &str| req.param(k).and_then(|v| v.parse::<u64>().ok());
    if req.param("since_id").is_some() && req.param("start_time").is_some() {
        return invalid("since_id", "", "only one of since_id and start_time");
    }
    let start = req.param("start_time").map(|s| DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)));
    match &start {
        Some(Ok(t)) if *t > Utc::now() - chrono::Duration::days(7) => {}
        None => {}
        Some(_) => return invalid("start_time", "", "'start_time' must be within the last 7 days"),
    }
    let mut s = lock(&shared.state);
    if let Some(since) = num("since_id") {
        if since <= s.oldest_since_id {
            let msg =
                format!("Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created after the last 7 days.");
            return invalid("since_id", &since.to_string(), &msg);
        }
    }
    let phrases: Vec<String> = query.split('"').skip(1).step_by(2).map(|p| p.to_lowercase()).collect();
    let no_retweets = query.contains("-is:retweet");
    let below = req.param("next_token").and_then(|t| u64::from_str_radix(t.trim_start_matches('n'), 16).ok());
    let mut hits: Vec<&Tweet> = s
        .tweets
        .iter()
        .filter(|t| phrases.iter().any(|p| t.text.to_lowercase().contains(p.as_str())))
        .filter(|t| !(no_retweets && t.text.starts_with("RT @")))
        .filter(|t| num("since_id").is_none_or(|since| t.id > since))
        .filter(|t| num("until_id").is_none_or(|until| t.id < until))
        .filter(|t| !matches!(start, Some(Ok(st)) if t.created_at < st))
        .filter(|t| below.is_none_or(|b| t.id < b))
        .collect();
    hits.sort_by_key(|t| std::cmp::Reverse(t.id));
    let page: Vec<&Tweet> = hits.iter().take(s.page_size).copied().collect();
    let more = hits.len() > page.len();
    let mut meta = json!({"result_count": page.len()});
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        meta["newest_id"] = json!(first.id.to_string());
        meta["oldest_id"] = json!(last.id.to_string());
        if more {
            meta["next_token"] = json!(format!("n{:x}", last.id));
        }
    }
    let mut body = json!({"meta": meta});
    if !page.is_empty() {
        body["data"] = page.iter().map(|t| render(t)).collect();
        let mut users: Vec<Value> = Vec::new();
        for t in page.iter().filter(|t| !t.hide_author) {
            if !users.iter().any(|u| u["username"] == t.author.as_str()) {
                users.push(json!({"id": user_id(&t.author), "name": format!("{} (display)", t.author),
                    "username": t.author, "public_metrics": {"followers_count": 1000, "following_count": 5, "tweet_count": 10, "listed_count": 0}}));
            }
        }
        body["includes"] = json!({"users": users});
    }
    s.remaining = s.remaining.saturating_sub(1);
    let (remaining, reset) = (s.remaining.to_string(), (Utc::now().timestamp() + 900).to_string());
    respond(
        200,
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("x-rate-limit-limit", "450"),
            ("x-rate-limit-remaining", &remaining),
            ("x-rate-limit-reset", &reset),
        ],
        body.to_string(),
    )
}

fn user_id(author: &str) -> String {
    (author.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) % 10_000_000_000).to_string()
}

fn x_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn render(t: &Tweet) -> Value {
    let long = t.text.chars().count() > TEXT_LIMIT;
    let short: String =
        if long { t.text.chars().take(TEXT_LIMIT - 1).chain(['…']).collect() } else { t.text.clone() };
    let mut v = json!({
        "id": t.id.to_string(),
        "text": x_escape(&short),
        "edit_history_tweet_ids": [t.id.to_string()],
        "author_id": user_id(&t.author),
        "created_at": t.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "lang": "en",
        "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0, "bookmark_count": 0, "impression_count": 50}
    });
    if long {
        v["note_tweet"] = json!({"text": x_escape(&t.text)});
    }
    v
}
