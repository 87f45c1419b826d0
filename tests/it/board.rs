//! The web board over plain HTTP: login required (form and Basic), wrong
//! tokens limited per client address, hostile
//! post text escaped, CSRF refused, moves through the board recorded with
//! `via = web`, the trends page drawn. The browser test is `browser.rs`.

use earshot::domain::QueueItemId;
use earshot::queue::QueueState;
use earshot::store::BoardScope;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_hn, TestApp, API_TOKEN};

/// Text no page may render as markup.
pub const HOSTILE: &str =
    r#"Acme Air lost my bag <script>alert("owned")</script><img src=x onerror=alert(1)> & "quotes""#;

/// Pushes one post through the ingest API; returns its queue item.
pub async fn push(app: &TestApp, id: &str, author: &str, text: &str) -> QueueItemId {
    let resp = reqwest::Client::new()
        .post(app.http("/api/v1/ingest"))
        .bearer_auth(API_TOKEN)
        .json(&json!({"id": id, "text": text, "author": author}))
        .send()
        .await
        .expect("ingest");
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap_or_default());
    let items = app.ctx.store.board_items(BoardScope::UNRESOLVED, 100).await.expect("items");
    let text_of = |t: &str| t == text;
    items.iter().find(|i| text_of(&i.text)).map(|i| i.queue.id).expect("the post opened a queue item")
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Logs in through the form; returns the `Cookie` header to send.
async fn login(app: &TestApp, name: &str) -> String {
    let resp = client()
        .post(app.http("/board/login"))
        .form(&[("name", name), ("token", API_TOKEN)])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/board");
    let set = resp.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/board"), "{set}");
    set.split(';').next().unwrap().to_string()
}

async fn get(app: &TestApp, path: &str, headers: HeaderMap) -> (StatusCode, HeaderMap, String) {
    let resp = client().get(app.http(path)).headers(headers).send().await.expect("GET");
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.text().await.unwrap())
}

fn with_cookie(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(COOKIE, cookie.parse().unwrap());
    h
}

/// The CSRF token in a rendered page.
fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a form with a CSRF field") + r#"name="csrf" value=""#.len();
    page[at..].split('"').next().unwrap().to_string()
}

async fn post_form(app: &TestApp, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> reqwest::Response {
    let mut req = client().post(app.http(path)).form(form);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    req.send().await.expect("POST")
}

async fn state_of(app: &TestApp, id: QueueItemId) -> QueueState {
    app.ctx.store.queue_item(id).await.unwrap().expect("item").0.state
}

#[tokio::test]
async fn the_board_needs_a_login() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let id = push(&app, "1", "dana", "Acme Air lost my bag").await;
    for path in ["/board", "/board/trends", &format!("/board/items/{id}")] {
        let (status, headers, _) = get(&app, path, HeaderMap::new()).await;
        assert_eq!(
            (status, headers.get(LOCATION).map(|l| l.to_str().unwrap())),
            (StatusCode::SEE_OTHER, Some("/board/login")),
            "{path}"
        );
    }
    let forged = with_cookie("earshot_board=99999999999.00.64616e61.deadbeef");
    assert_eq!(get(&app, "/board", forged).await.0, StatusCode::SEE_OTHER, "a forged session is no session");
    let resp = post_form(&app, &format!("/board/items/{id}"), None, &[("action", "ack")]).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(state_of(&app, id).await, QueueState::Open, "nothing moved");

    let resp = post_form(&app, "/board/login", None, &[("name", "x"), ("token", "wrong")]).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get(SET_COOKIE).is_none());
    assert!(resp.text().await.unwrap().contains("Wrong token."));

    let mut basic = HeaderMap::new();
    // "dana:<token>" and "dana:wrong"
    basic.insert(AUTHORIZATION, "Basic ZGFuYTp0ZXN0LWFwaS10b2tlbg==".parse().unwrap());
    let (status, _, page) = get(&app, "/board", basic).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("signed in as dana"));
    let mut wrong = HeaderMap::new();
    wrong.insert(AUTHORIZATION, "Basic ZGFuYTp3cm9uZw==".parse().unwrap());
    assert_eq!(get(&app, "/board", wrong).await.0, StatusCode::SEE_OTHER);
    app.stop().await;
}

/// A login attempt as if from `client` (a proxy on this host forwards it).
async fn login_from(app: &TestApp, client: &str, token: &str) -> reqwest::Response {
    self::client()
        .post(app.http("/board/login"))
        .header("x-forwarded-for", format!("203.0.113.250, {client}"))
        .form(&[("name", "dana"), ("token", token)])
        .send()
        .await
        .expect("login")
}

#[tokio::test]
async fn wrong_tokens_are_limited_per_client_address() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    for n in 0..10 {
        assert_eq!(login_from(&app, "192.0.2.1", "guess").await.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let refused = login_from(&app, "192.0.2.1", "guess").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    let right = login_from(&app, "192.0.2.1", API_TOKEN).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "not even the right token is compared");
    assert!(right.headers().get(SET_COOKIE).is_none());
    // HTTP Basic on a page spends the same budget ("dana:wrong").
    let mut basic = HeaderMap::new();
    basic.insert(AUTHORIZATION, "Basic ZGFuYTp3cm9uZw==".parse().unwrap());
    basic.insert("x-forwarded-for", "192.0.2.1".parse().unwrap());
    assert_eq!(get(&app, "/board", basic).await.0, StatusCode::TOO_MANY_REQUESTS);

    // Another address is not affected, and its Basic guesses count too.
    assert_eq!(login_from(&app, "192.0.2.2", API_TOKEN).await.status(), StatusCode::SEE_OTHER);
    for _ in 0..10 {
        let mut basic = HeaderMap::new();
        basic.insert(AUTHORIZATION, "Basic ZGFuYTp3cm9uZw==".parse().unwrap());
        basic.insert("x-forwarded-for", "192.0.2.3".parse().unwrap());
        assert_eq!(get(&app, "/board", basic).await.0, StatusCode::SEE_OTHER);
    }
    assert_eq!(login_from(&app, "192.0.2.3", API_TOKEN).await.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[tokio::test]
async fn hostile_post_text_is_escaped_everywhere() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let id = push(&app, "1", "<b>mallory</b>", HOSTILE).await;
    let cookie = login(&app, "dana").await;
    for path in ["/board".to_string(), format!("/board/items/{id}")] {
        let (status, headers, page) = get(&app, &path, with_cookie(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(headers[CONTENT_SECURITY_POLICY].to_str().unwrap().contains("default-src 'none'"));
        assert!(page.contains("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;"), "{path}: {page}");
        assert!(page.contains("&lt;b&gt;mallory&lt;/b&gt;"), "{path}");
        for raw in ["<script", "<img", "<b>mallory"] {
            assert!(!page.contains(raw), "{path} carries raw {raw:?}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn moves_need_the_sessions_csrf_token_and_are_recorded_as_web() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let id = push(&app, "1", "dana", "Acme Air lost my bag").await;
    let cookie = login(&app, "Sam").await;
    let other = login(&app, "Eve").await;
    let (_, _, page) = get(&app, "/board", with_cookie(&cookie)).await;
    assert!(page.contains(&format!(r#"id="item-{id}""#)) && page.contains(r#"value="ack">Acknowledge"#));
    let csrf = csrf_of(&page);
    let (_, _, other_page) = get(&app, "/board", with_cookie(&other)).await;
    let path = format!("/board/items/{id}");

    for bad in [
        vec![("action", "ack")],
        vec![("action", "ack"), ("csrf", "0000")],
        vec![("action", "ack"), ("csrf", &csrf_of(&other_page))],
    ] {
        let resp = post_form(&app, &path, Some(&cookie), &bad).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{bad:?}");
    }
    assert_eq!(state_of(&app, id).await, QueueState::Open, "a refused form moves nothing");

    let resp = post_form(&app, &path, Some(&cookie), &[("csrf", &csrf), ("action", "ack"), ("note", "on it")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], format!("/board#item-{id}"));
    let (item, events) = app.ctx.store.queue_item(id).await.unwrap().unwrap();
    assert_eq!(item.state, QueueState::Acknowledged);
    let last = events.last().unwrap();
    assert_eq!((last.actor.as_str(), last.via.as_str(), last.note.as_deref()), ("Sam", "web", Some("on it")));

    let again = post_form(&app, &path, Some(&cookie), &[("csrf", &csrf), ("action", "ack")]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("cannot ack an item that is acknowledged"));
    let unknown = post_form(&app, &path, Some(&cookie), &[("csrf", &csrf), ("action", "explode")]).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let missing = post_form(&app, "/board/items/999999", Some(&cookie), &[("csrf", &csrf), ("action", "ack")]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let resolve =
        post_form(&app, &path, Some(&cookie), &[("csrf", &csrf), ("action", "resolve"), ("back", "item")]).await;
    assert_eq!(resolve.headers()[LOCATION], path);
    let (_, _, shown) = get(&app, &path, with_cookie(&cookie)).await;
    assert!(shown.contains(r#"id="state">resolved"#), "{shown}");
    assert!(shown.contains("acknowledged → resolved") && shown.contains("<td>Sam</td><td>web</td>"), "{shown}");
    let (_, _, board) = get(&app, "/board", with_cookie(&cookie)).await;
    assert!(!board.contains(&format!(r#"id="item-{id}""#)), "resolved items leave the board");

    let logout = post_form(&app, "/board/logout", Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert!(logout.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    app.stop().await;
}

#[tokio::test]
async fn the_board_lists_by_urgency_then_age_and_trends_draw_charts() {
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let calm = push(&app, "1", "ann", "Is the Acme Air lounge open on Sundays?").await;
    let angry =
        push(&app, "2", "bob", "Acme Air cancelled my flight AGAIN, worst airline ever, refund me NOW!!!").await;
    let cookie = login(&app, "dana").await;
    let (_, _, page) = get(&app, "/board", with_cookie(&cookie)).await;
    let (a, c) =
        (page.find(&format!(r#"id="item-{angry}""#)).unwrap(), page.find(&format!(r#"id="item-{calm}""#)).unwrap());
    let levels = app.ctx.store.board_items(BoardScope::UNRESOLVED, 10).await.unwrap();
    assert_eq!(levels[0].queue.id, angry, "the angrier post is more urgent: {levels:?}");
    assert!(a < c, "more urgent first");
    assert!(page.contains(r#"<meta http-equiv="refresh" content="60">"#));
    assert!(page.contains(r#"<span class="due">ack due in"#), "open items show their ack clock: {page}");
    let (_, _, none) = get(&app, "/board?brand=Globex", with_cookie(&cookie)).await;
    assert!(!none.contains(&format!(r#"id="item-{angry}""#)), "another brand's items only");
    let (_, _, acme) = get(&app, "/board?brand=Acme+Air", with_cookie(&cookie)).await;
    assert!(acme.contains(&format!(r#"id="item-{angry}""#)) && acme.contains(r#"<option value="Acme Air" selected>"#));
    let (_, _, shown) = get(&app, &format!("/board/items/{angry}"), with_cookie(&cookie)).await;
    assert!(shown.contains("Why this urgency</th><td>") && shown.contains("sentiment"), "{shown}");
    assert!(shown.contains("SLA breaches</th><td>none") && shown.contains("Customer</th>"), "{shown}");

    let (status, _, trends) = get(&app, "/board/trends", with_cookie(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(trends.contains("<svg") && trends.contains("Acme Air: 2 mentions"), "{trends}");
    assert!(trends.contains("Response times (SLA)"));
    let (status, _, _) = get(&app, "/board/trends?days=2&bucket=hour", with_cookie(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, bad) = get(&app, "/board/trends?days=0", with_cookie(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("days: a whole number from 1 to 90"));
    app.stop().await;
}
