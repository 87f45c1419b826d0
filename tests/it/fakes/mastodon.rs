//! A fake Mastodon instance (platform-apis.md §1 and 9.2): hashtag
//! timelines with the real paging (`min_id` returns the *oldest* page after
//! the id, in descending order; `since_id` the newest; `max_id`
//! exclusive; `limit` clamped to 40), `Link` headers (omitted on an empty
//! page), snowflake ids derived from creation times, boosts as `reblog`
//! wrappers, status search that needs a user token (silently empty
//! without one, 401 for `offset` without one), `X-RateLimit-*` with an
//! ISO-8601 reset, and the real 429 (`{"error":"Too many requests"}`, no
//! `Retry-After`). Unknown tags answer `[]` or 404 (switchable).

use std::collections::HashMap;

use axum::response::Response;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::api::{json, json_fault, matches_query, truncated_json, ApiServer, FakeApi, Req};
use super::server::{escape, Fault};
use crate::contract::{FakeFault, FakePost, PlatformFake};

/// The tag every contract post carries.
pub const TAG: &str = "acmeair";
/// A user token the fake accepts when one is set.
pub const TOKEN: &str = "mastodon-fake-user-token";
const LIMIT: u64 = 300;

#[derive(Debug, Clone)]
struct Status {
    id: u64,
    post: FakePost,
    tags: Vec<String>,
    /// For a boost: the boosted status's id.
    reblog_of: Option<u64>,
}

pub struct MastodonApi {
    base: String,
    statuses: Vec<Status>,
    /// Contract id → status id.
    ids: HashMap<String, u64>,
    seq: u64,
    /// When set, the one bearer token accepted (a wrong one is a 401).
    pub token: Option<String>,
    /// Timelines need the token too (Mastodon 4.5+ restricted feeds).
    pub timelines_need_token: bool,
    /// Unknown tags answer 404 instead of `[]`.
    pub unknown_tag_404: bool,
    /// Requests left in the current rate-limit window.
    pub remaining: u64,
}

impl MastodonApi {
    fn new(base: String) -> Self {
        MastodonApi {
            base,
            statuses: Vec::new(),
            ids: HashMap::new(),
            seq: 0,
            token: None,
            timelines_need_token: false,
            unknown_tag_404: false,
            remaining: LIMIT,
        }
    }

    /// Adds a status with these tags; its id is the snowflake of its time.
    pub fn publish(&mut self, post: FakePost, tags: &[&str]) -> u64 {
        self.seq += 1;
        let ms = post.created_at.timestamp_millis().max(0) as u64;
        let id = (ms << 16) | (self.seq & 0xffff);
        self.ids.insert(post.id.clone(), id);
        self.statuses.push(Status { id, post, tags: tags.iter().map(|t| t.to_lowercase()).collect(), reblog_of: None });
        id
    }

    /// `booster` boosts the status of contract id `of`, now; the boost
    /// carries the original's tags (it shows on the tag timeline).
    pub fn boost(&mut self, of: &str, booster: &str) -> u64 {
        let original = self.statuses.iter().find(|s| s.id == self.ids[of]).expect("boosted status exists").clone();
        let boost = FakePost {
            id: format!("boost-of-{of}"),
            author: booster.into(),
            text: String::new(),
            created_at: Utc::now(),
        };
        let tags: Vec<&str> = original.tags.iter().map(String::as_str).collect();
        let id = self.publish(boost, &tags);
        if let Some(s) = self.statuses.iter_mut().find(|s| s.id == id) {
            s.reblog_of = Some(original.id);
        }
        id
    }

    pub fn id_of(&self, contract_id: &str) -> String {
        self.ids.get(contract_id).map(u64::to_string).unwrap_or_default()
    }

    fn status_json(&self, s: &Status) -> Value {
        let reblog = s.reblog_of.and_then(|id| self.statuses.iter().find(|o| o.id == id)).map(|o| self.status_json(o));
        let p = &s.post;
        let tags_html: String = s
            .tags
            .iter()
            .map(|t| {
                format!(
                    " <a href=\"{}/tags/{t}\" class=\"mention hashtag\" rel=\"tag\">#<span>{t}</span></a>",
                    self.base
                )
            })
            .collect();
        let content = if reblog.is_some() {
            String::new()
        } else {
            format!("<p>{}{tags_html}</p>", escape(&p.text).replace('\n', "<br>"))
        };
        json!({
            "id": s.id.to_string(),
            "created_at": p.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "in_reply_to_id": null, "in_reply_to_account_id": null,
            "sensitive": false, "spoiler_text": "", "visibility": "public", "language": "en",
            "uri": format!("{}/users/{}/statuses/{}", self.base, p.author, s.id),
            "url": format!("{}/@{}/{}", self.base, p.author, s.id),
            "replies_count": 1, "reblogs_count": 2, "favourites_count": 3, "edited_at": null,
            "content": content,
            "reblog": reblog,
            "account": {
                "id": format!("1{}", p.author.len()), "username": p.author, "acct": p.author,
                "display_name": format!("{} :verified:", p.author), "bot": false,
                "url": format!("{}/@{}", self.base, p.author),
                "followers_count": 1840, "following_count": 5, "statuses_count": 42, "note": "<p>hi</p>"
            },
            "media_attachments": [], "mentions": [],
            "tags": s.tags.iter().map(|t| json!({"name": t, "url": format!("{}/tags/{t}", self.base)})).collect::<Vec<_>>(),
            "emojis": [], "card": null, "poll": null
        })
    }

    fn rate_headers(&mut self) -> Vec<(&'static str, String)> {
        self.remaining = self.remaining.saturating_sub(1);
        vec![
            ("x-ratelimit-limit", LIMIT.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", iso_micros(Utc::now() + Duration::minutes(5))),
        ]
    }

    /// `None` when the request may go on; else the 401.
    fn check_token(&self, req: &Req, required: bool) -> Option<Response> {
        let ok = match (req.bearer(), &self.token) {
            (Some(given), Some(t)) => given == t,
            (Some(_), None) => false,
            (None, _) => !required,
        };
        (!ok).then(|| json(401, &[], &json!({"error": "The access token is invalid"})))
    }

    fn timeline(&mut self, req: &Req, tag: &str) -> Response {
        if let Some(denied) = self.check_token(req, self.timelines_need_token) {
            return denied;
        }
        let tag = tag.to_lowercase();
        let mut tagged: Vec<&Status> = self.statuses.iter().filter(|s| s.tags.contains(&tag)).collect();
        if tagged.is_empty() && self.unknown_tag_404 {
            return json(404, &[], &json!({"error": "Record not found"}));
        }
        tagged.sort_by_key(|s| s.id);
        let limit = req.param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(20).clamp(1, 40);
        let id = |name: &str| req.param(name).and_then(|v| v.parse::<u64>().ok());
        let (max_id, since_id, min_id) = (id("max_id"), id("since_id"), id("min_id"));
        tagged.retain(|s| max_id.is_none_or(|m| s.id < m));
        let page: Vec<&Status> = if let Some(min) = min_id {
            // The oldest `limit` after min_id, then reversed (paginable.rb).
            let mut p: Vec<&Status> = tagged.into_iter().filter(|s| s.id > min).take(limit).collect();
            p.reverse();
            p
        } else {
            let newer: Vec<&Status> = tagged.into_iter().filter(|s| since_id.is_none_or(|m| s.id > m)).collect();
            newer.into_iter().rev().take(limit).collect()
        };
        let body = Value::Array(page.iter().map(|s| self.status_json(s)).collect());
        let link = match (page.first(), page.last()) {
            (Some(newest), Some(oldest)) => {
                let url = format!("{}/api/v1/timelines/tag/{tag}", self.base);
                Some(format!(
                    "<{url}?limit={limit}&max_id={}>; rel=\"next\", <{url}?limit={limit}&min_id={}>; rel=\"prev\"",
                    oldest.id, newest.id
                ))
            }
            _ => None,
        };
        let mut headers = self.rate_headers();
        if let Some(l) = link {
            headers.push(("link", l));
        }
        json(200, &headers, &body)
    }

    fn search(&mut self, req: &Req) -> Response {
        let Some(q) = req.param("q").filter(|q| !q.is_empty()) else {
            return json(400, &[], &json!({"error": "param is missing or the value is empty: q"}));
        };
        if let Some(denied) = self.check_token(req, false) {
            return denied;
        }
        let authed = req.bearer().is_some();
        if !authed && (req.param("offset").is_some() || req.param("resolve").as_deref() == Some("true")) {
            return json(
                401,
                &[],
                &json!({"error": "Search queries pagination is not supported without authentication"}),
            );
        }
        let limit = req.param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(20).clamp(1, 40);
        let offset = req.param("offset").and_then(|o| o.parse::<usize>().ok()).unwrap_or(0);
        let mut found: Vec<&Status> = self
            .statuses
            .iter()
            .filter(|s| s.reblog_of.is_none() && matches_query(&q, &format!("{} {}", s.post.text, s.tags.join(" "))))
            .collect();
        found.sort_by_key(|s| std::cmp::Reverse(s.id));
        // Without a user token, statuses are silently empty (not an error).
        let statuses: Vec<Value> = if authed {
            found.into_iter().skip(offset).take(limit).map(|s| self.status_json(s)).collect()
        } else {
            vec![]
        };
        let headers = self.rate_headers();
        json(200, &headers, &json!({"accounts": [], "statuses": statuses, "hashtags": []}))
    }
}

/// ISO-8601 with microseconds, as Mastodon writes `X-RateLimit-Reset`.
fn iso_micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl FakeApi for MastodonApi {
    fn faultable(&self, req: &Req) -> bool {
        req.path.starts_with("/api/v1/timelines/tag/") || req.path == "/api/v2/search"
    }

    fn handle(&mut self, req: &Req) -> Response {
        if let Some(tag) = req.path.strip_prefix("/api/v1/timelines/tag/") {
            let tag = percent_decode(tag);
            return self.timeline(req, &tag);
        }
        if req.path == "/api/v2/search" {
            return self.search(req);
        }
        json(404, &[], &json!({"error": "Record not found"}))
    }
}

/// A contract fault as this platform answers it: its 429 has no
/// `Retry-After`, only the ISO reset.
fn to_fault(fault: FakeFault) -> Fault {
    match fault {
        FakeFault::RateLimited { retry_after_secs } => json_fault(
            429,
            &[
                ("X-RateLimit-Limit", LIMIT.to_string()),
                ("X-RateLimit-Remaining", "0".into()),
                ("X-RateLimit-Reset", iso_micros(Utc::now() + Duration::seconds(retry_after_secs as i64))),
            ],
            &json!({"error": "Too many requests"}),
        ),
        FakeFault::ServerError => Fault::server_error_html(),
        FakeFault::Malformed => truncated_json(r#"[{"id":"113500000000009876","created_at":"2026-05-01T12:31"#),
        FakeFault::Slow(d) => Fault::Delay(d),
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// The contract suite's handle on the fake: every post tagged `#acmeair`.
pub struct MastodonFake(pub ApiServer<MastodonApi>);

impl MastodonFake {
    /// `[[sources]]` keys for a hashtag source on this fake.
    pub fn keys(&self, extra: &str) -> String {
        format!("type = \"mastodon\"\nbase_url = \"{}\"\nhashtags = [\"{TAG}\"]\nlimit = 2\n{extra}", self.0.base())
    }
}

#[async_trait::async_trait]
impl PlatformFake for MastodonFake {
    async fn start(posts: Vec<FakePost>) -> Self {
        let server = ApiServer::start(MastodonApi::new).await;
        server.with(|api| {
            for p in posts {
                api.publish(p, &[TAG]);
            }
        });
        MastodonFake(server)
    }

    fn source_keys(&self) -> String {
        self.keys("")
    }

    fn env(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    fn publish(&self, post: FakePost) {
        self.0.with(|api| {
            api.publish(post, &[TAG]);
        });
    }

    fn delete(&self, id: &str) {
        self.0.with(|api| {
            let sid = api.ids.get(id).copied();
            api.statuses.retain(|s| Some(s.id) != sid && s.reblog_of.is_none_or(|r| Some(r) != sid));
        });
    }

    fn fail_next(&self, fault: FakeFault) {
        self.0.fail_next(to_fault(fault));
    }

    fn external_id(&self, id: &str) -> String {
        self.0.with(|api| api.id_of(id))
    }
}
