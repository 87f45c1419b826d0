//! A fake feed server (platform-apis.md §7, 9.2) on `127.0.0.1:0`: any
//! number of feeds at `/feeds/{n}.xml`, even ones Atom and odd ones RSS
//! 2.0 (CDATA descriptions, RFC 822 dates, `dc:creator`), each with an
//! `ETag` and `Last-Modified` answered with `304` and an empty body, or
//! told to ignore validators or to send a fresh ETag every time. Plus
//! `/moved.xml` (301 to feed 0), `/gone.xml` (410), `/html.xml` (a 200 HTML
//! page) and `/broken.xml` (a bare `&`).

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};

use super::server::{apply, escape, lock, respond, Fake, FakeServer, Log, Recorded};

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub author: String,
    pub title: String,
    /// Plain text; rendered as escaped HTML.
    pub text: String,
    pub published: DateTime<Utc>,
}

/// How a feed treats validators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validators {
    /// `ETag` + `Last-Modified`, 304 when they match.
    Honour,
    /// Sends them but always answers 200 with the whole feed.
    Ignore,
    /// A new ETag on every answer (and never a 304).
    FreshEtag,
}

#[derive(Debug)]
struct FeedState {
    /// Entries per feed, oldest first.
    feeds: Vec<Vec<Entry>>,
    /// Bumped on every change of a feed, for its ETag.
    versions: Vec<u64>,
    changed: Vec<DateTime<Utc>>,
    validators: Validators,
    counter: u64,
}

#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<FeedState>>,
    log: Arc<Mutex<Log>>,
}

pub struct FakeFeeds {
    pub server: FakeServer,
    state: Arc<Mutex<FeedState>>,
    log: Arc<Mutex<Log>>,
}

impl Fake for FakeFeeds {
    fn log(&self) -> &Arc<Mutex<Log>> {
        &self.log
    }
}

impl FakeFeeds {
    pub async fn start(n: usize) -> FakeFeeds {
        let epoch = Utc::now() - chrono::Duration::days(1);
        let state = Arc::new(Mutex::new(FeedState {
            feeds: vec![Vec::new(); n],
            versions: vec![1; n],
            changed: vec![epoch; n],
            validators: Validators::Honour,
            counter: 0,
        }));
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Shared { state: state.clone(), log: log.clone() };
        let server = FakeServer::start(Router::new().fallback(handle).with_state(shared)).await;
        FakeFeeds { server, state, log }
    }

    /// The URL of feed `n` (or of a special path such as `/gone.xml`).
    pub fn url(&self, n: usize) -> String {
        self.server.url(&format!("/feeds/{n}.xml"))
    }

    pub fn path(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub fn publish(&self, feed: usize, e: Entry) {
        let mut s = lock(&self.state);
        s.feeds[feed].push(e);
        touch(&mut s, feed);
    }

    /// Removes an entry from whichever feed has it.
    pub fn delete(&self, key: &str) {
        let mut s = lock(&self.state);
        for i in 0..s.feeds.len() {
            let before = s.feeds[i].len();
            s.feeds[i].retain(|e| e.key != key);
            if s.feeds[i].len() != before {
                touch(&mut s, i);
            }
        }
    }

    /// Moves an entry to the top of its feed with a new date (a re-dated post).
    pub fn redate(&self, key: &str, published: DateTime<Utc>) {
        let mut s = lock(&self.state);
        for i in 0..s.feeds.len() {
            if let Some(pos) = s.feeds[i].iter().position(|e| e.key == key) {
                let mut e = s.feeds[i].remove(pos);
                e.published = published;
                s.feeds[i].push(e);
                touch(&mut s, i);
            }
        }
    }

    pub fn set_validators(&self, v: Validators) {
        lock(&self.state).validators = v;
    }

    /// The external id earshot stores for entry `key`.
    pub fn external_id(key: &str) -> String {
        format!("urn:earshot-fake:{key}")
    }
}

fn touch(s: &mut FeedState, feed: usize) {
    s.versions[feed] += 1;
    // Whole seconds, as an HTTP-date carries.
    s.changed[feed] = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default();
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

async fn handle(State(shared): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let req = Recorded { path: uri.path().into(), query: uri.query().unwrap_or("").into(), headers };
    let fault = lock(&shared.log).take(req.clone());
    if let Some(r) = apply(fault).await {
        return r;
    }
    match req.path.as_str() {
        "/moved.xml" => return respond(301, &[("location", "/feeds/0.xml")], ""),
        "/gone.xml" => return respond(410, &[("content-type", "text/html")], "<html><body>Gone</body></html>"),
        "/html.xml" => {
            return respond(
                200,
                &[("content-type", "text/html; charset=utf-8")],
                "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><p>Please sign in</p></body></html>",
            )
        }
        "/broken.xml" => {
            return respond(
                200,
                &[("content-type", "application/rss+xml")],
                "<rss version=\"2.0\"><channel><item><title>Fish & Chips</title></item></channel></rss>",
            )
        }
        _ => {}
    }
    let n = req.path.strip_prefix("/feeds/").and_then(|p| p.strip_suffix(".xml")).and_then(|n| n.parse::<usize>().ok());
    let mut s = lock(&shared.state);
    let Some(n) = n.filter(|n| *n < s.feeds.len()) else {
        return respond(404, &[("content-type", "text/html")], "<html><body>Not Found</body></html>");
    };
    s.counter += 1;
    let etag = match s.validators {
        Validators::FreshEtag => format!("\"v{}-{}\"", s.versions[n], s.counter),
        _ => format!("\"v{}\"", s.versions[n]),
    };
    let last_modified = http_date(s.changed[n]);
    if s.validators == Validators::Honour {
        let none_match = req.header("if-none-match");
        let since = req.header("if-modified-since");
        let fresh = match (&none_match, &since) {
            (Some(tag), _) => tag.split(',').any(|t| t.trim() == etag),
            (None, Some(lm)) => DateTime::parse_from_rfc2822(lm).is_ok_and(|t| t >= s.changed[n]),
            (None, None) => false,
        };
        if fresh {
            return respond(304, &[("etag", &etag), ("last-modified", &last_modified)], "");
        }
    }
    let (body, content_type) = if n % 2 == 0 {
        (atom(n, &s.feeds[n]), "application/atom+xml; charset=utf-8")
    } else {
        (rss(n, &s.feeds[n]), "application/rss+xml; charset=utf-8")
    };
    respond(200, &[("content-type", content_type), ("etag", &etag), ("last-modified", &last_modified)], body)
}

fn atom(n: usize, entries: &[Entry]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>tag:feeds.fake,2026:{n}</id>\n  <title>Fake feed {n}</title>\n  <updated>{}</updated>\n",
        Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    for e in entries.iter().rev() {
        let date = e.published.to_rfc3339_opts(SecondsFormat::Secs, true);
        out.push_str(&format!(
            "  <entry>\n    <id>{}</id>\n    <title type=\"html\">{}</title>\n    <link href=\"https://news.example.com/{}\"/>\n    <published>{date}</published>\n    <updated>{date}</updated>\n    <content type=\"html\">{}</content>\n    <author><name>{}</name></author>\n  </entry>\n",
            FakeFeeds::external_id(&e.key),
            escape(&escape(&e.title)),
            e.key,
            escape(&format!("<p>{}</p>", escape(&e.text))),
            escape(&e.author)
        ));
    }
    out.push_str("</feed>\n");
    out
}

fn rss(n: usize, entries: &[Entry]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>Fake feed {n}</title>\n<link>https://news.example.com/</link>\n<description>fake</description>\n<language>en</language>\n"
    );
    for e in entries.iter().rev() {
        // CDATA cannot hold "]]>": split it across two sections.
        let html = format!("<p>{}</p>", escape(&e.text)).replace("]]>", "]]]]><![CDATA[>");
        out.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>https://news.example.com/{}</link>\n<guid isPermaLink=\"false\">{}</guid>\n<pubDate>{}</pubDate>\n<dc:creator>{}</dc:creator>\n<description><![CDATA[{html}]]></description>\n</item>\n",
            escape(&e.title),
            e.key,
            FakeFeeds::external_id(&e.key),
            e.published.to_rfc2822(),
            escape(&e.author)
        ));
    }
    out.push_str("</channel>\n</rss>\n");
    out
}
