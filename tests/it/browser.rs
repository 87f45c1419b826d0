//! The board in a real headless browser (Chromium over WebDriver): open the
//! board, get sent to the login form, sign in with the token, see the
//! queued complaint (its markup shown as text), click Acknowledge, and see
//! the new state on the page, in the audit trail and in the store.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). When they cannot start, the test prints a loud SKIPPED line,
//! unless `EARSHOT_BROWSER` is set (as in CI), where it fails.

use std::time::Duration;

use earshot::queue::QueueState;

use crate::board::push;
use crate::helpers::{spawn_hn, API_TOKEN, BOUND};
use crate::webdriver::{Driver, Session};

/// Starts the driver and a session, or says why not.
async fn browser(profile: &std::path::Path) -> Result<Driver, String> {
    let driver = Driver::start().await?;
    // Probe a session once so a browser that cannot start is a skip, not a failure below.
    let probe = driver.session(profile).await?;
    probe.quit().await;
    Ok(driver)
}

/// Waits (bounded) until the text of `css` satisfies `check`.
async fn wait_text(s: &Session<'_>, css: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        if let Some(t) = s.text_of(css).await.filter(|t| check(t)) {
            return t;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out waiting for {what} (at {:?})", s.current_url().await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_responder_acknowledges_an_item_in_a_real_browser() {
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = match browser(profile.path()).await {
        Ok(d) => d,
        Err(e) if std::env::var_os("EARSHOT_BROWSER").is_some() => {
            panic!("EARSHOT_BROWSER is set but Chromium cannot be driven: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED (browser): {e}; install chromium and chromium-driver, or set EARSHOT_BROWSER=1 to fail");
            return;
        }
    };
    let (mut app, _hn) = spawn_hn(vec![]).await;
    let id = push(&app, "1", "dana", "Acme Air lost my bag <b>again</b>, nobody answers").await;
    let s = driver.session(profile.path()).await.expect("browser session");

    s.goto(&app.http("/board")).await.expect("open the board");
    let url = s.current_url().await.unwrap();
    assert!(url.ends_with("/board/login"), "an anonymous visit lands on the login form, not {url}");
    s.type_text(&s.find("input[name=name]").await.unwrap(), "Sam").await.unwrap();
    s.type_text(&s.find("input[name=token]").await.unwrap(), API_TOKEN).await.unwrap();
    s.click(&s.find("form[action='/board/login'] button[type=submit]").await.unwrap()).await.unwrap();

    let row = format!("#item-{id}");
    let post = wait_text(&s, &format!("{row} td.post"), "the item on the board", |t| t.contains("lost my bag")).await;
    assert!(post.contains("<b>again</b>"), "markup in a post is shown as text: {post:?}");
    assert_eq!(s.text_of(&format!("{row} td.state")).await.as_deref(), Some("open"));

    s.click(&s.find(&format!("{row} button[value=ack]")).await.expect("an Acknowledge button")).await.unwrap();
    wait_text(&s, &format!("{row} td.state"), "the acknowledged state", |t| t == "acknowledged").await;
    assert!(s.find(&format!("{row} button[value=ack]")).await.is_err(), "no Acknowledge button any more");

    let (item, events) = app.ctx.store.queue_item(id).await.unwrap().expect("item");
    assert_eq!(item.state, QueueState::Acknowledged);
    let last = events.last().unwrap();
    assert_eq!((last.actor.as_str(), last.via.as_str()), ("Sam", "web"));

    s.goto(&app.http(&format!("/board/items/{id}"))).await.unwrap();
    let trail = wait_text(&s, "table:last-of-type", "the audit trail", |t| t.contains("web")).await;
    assert!(trail.contains("open → acknowledged") && trail.contains("Sam"), "{trail}");
    s.quit().await;
    app.stop().await;
}
