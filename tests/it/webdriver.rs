//! A small W3C WebDriver client over reqwest, enough to drive headless
//! Chromium through `chromedriver` (Debian's `chromium` and
//! `chromium-driver` packages): start the driver on a free local port, open
//! a session, navigate, find elements by CSS, type, click, read text.
//! Errors are strings: the browser test decides whether one is a skip.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// How long the driver and the browser may take to start.
const START_BOUND: Duration = Duration::from_secs(60);

/// A running `chromedriver`, killed when dropped.
pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts `chromedriver` (or `$CHROMEDRIVER`) and waits until it is ready.
    pub async fn start() -> Result<Driver, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_string());
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        let http = reqwest::Client::builder().timeout(START_BOUND).build().map_err(|e| e.to_string())?;
        let driver = Driver { child, base: format!("http://127.0.0.1:{port}"), http };
        let deadline = tokio::time::Instant::now() + START_BOUND;
        loop {
            let ready = driver.http.get(format!("{}/status", driver.base)).send().await;
            if let Ok(resp) = ready {
                let status: Value = resp.json().await.unwrap_or(Value::Null);
                if status["value"]["ready"] == true {
                    return Ok(driver);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("{program} did not become ready within {START_BOUND:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new headless Chromium session with its own profile in `profile`.
    pub async fn session(&self, profile: &std::path::Path) -> Result<Session<'_>, String> {
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-extensions", "--window-size=1280,1000",
                     format!("--user-data-dir={}", profile.display())],
        });
        if let Ok(binary) = std::env::var("CHROMIUM") {
            options["binary"] = json!(binary);
        } else if std::path::Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let value = call(&self.http, reqwest::Method::POST, &format!("{}/session", self.base), Some(caps)).await?;
        let id = value["sessionId"].as_str().ok_or_else(|| format!("no session id in {value}"))?.to_string();
        Ok(Session { driver: self, url: format!("{}/session/{id}", self.base) })
    }
}

/// One WebDriver command; the answer's `value`, or the driver's error.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let mut req = http.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.map_err(|e| format!("webdriver: {e}"))?;
    let status = resp.status();
    let answer: Value = resp.json().await.map_err(|e| format!("webdriver answer: {e}"))?;
    if !status.is_success() {
        return Err(format!("webdriver {status}: {}", answer["value"]));
    }
    Ok(answer["value"].clone())
}

/// A browser session.
pub struct Session<'d> {
    driver: &'d Driver,
    url: String,
}

/// An element of the current page.
pub struct Element(String);

impl Session<'_> {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        call(&self.driver.http, method, &format!("{}{path}", self.url), body).await
    }

    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await.map(drop)
    }

    pub async fn current_url(&self) -> Result<String, String> {
        Ok(self.cmd(reqwest::Method::GET, "/url", None).await?.as_str().unwrap_or_default().to_string())
    }

    /// The first element matching a CSS selector.
    pub async fn find(&self, css: &str) -> Result<Element, String> {
        let found =
            self.cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await?;
        // The element reference is the one value of the returned object.
        let id = found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str);
        Ok(Element(id.ok_or_else(|| format!("no element reference in {found}"))?.to_string()))
    }

    pub async fn click(&self, e: &Element) -> Result<(), String> {
        self.cmd(reqwest::Method::POST, &format!("/element/{}/click", e.0), Some(json!({}))).await.map(drop)
    }

    pub async fn type_text(&self, e: &Element, text: &str) -> Result<(), String> {
        self.cmd(reqwest::Method::POST, &format!("/element/{}/value", e.0), Some(json!({ "text": text })))
            .await
            .map(drop)
    }

    /// The element's rendered text.
    pub async fn text(&self, e: &Element) -> Result<String, String> {
        Ok(self
            .cmd(reqwest::Method::GET, &format!("/element/{}/text", e.0), None)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// The text of the first element matching `css`, or `None` when there is none.
    pub async fn text_of(&self, css: &str) -> Option<String> {
        let e = self.find(css).await.ok()?;
        self.text(&e).await.ok()
    }

    /// Ends the session (closes the browser).
    pub async fn quit(self) {
        let _ = self.cmd(reqwest::Method::DELETE, "", None).await;
    }
}
