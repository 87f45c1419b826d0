//! The `webhook` receiver against a fake receiver that verifies signatures
//! the documented way; retries through a real outbox (SQLite file) and the
//! delivery worker: 500 then success, 429 with Retry-After, 404 permanent
//! (counted); the URL and the secret never reach errors or Debug.

use std::time::Duration;

use earshot::config::{DeliverySettings, WebhookSettings};
use earshot::delivery::Worker;
use earshot::domain::*;
use earshot::sinks::webhook::WebhookSink;
use earshot::sinks::{DeliveryId, Notification, Sink, SinkError, SourceHealthAlert};
use earshot::store::Store;
use earshot::telemetry::Metrics;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::fakes::server::{Fake, Fault};
use crate::fakes::webhook::{FakeWebhook, SIGNING_SECRET, URL_TOKEN};

fn sink(url: &str, secret: &str) -> WebhookSink {
    let cfg = WebhookSettings {
        url: SecretString::from(url.to_string()),
        secret: SecretString::from(secret.to_string()),
        timeout: Duration::from_secs(5),
    };
    WebhookSink::new(cfg, reqwest::Client::new())
}

fn health() -> Notification {
    Notification::SourceHealth(SourceHealthAlert {
        source: SourceName::new("hn"),
        platform: Platform::Hackernews,
        recovered: false,
        last_success: None,
        failing_since: chrono::Utc::now(),
        consecutive_failures: 4,
        last_error: "timed out".into(),
    })
}

#[tokio::test]
async fn deliveries_are_signed_and_verify_with_the_documented_algorithm() {
    let hook = FakeWebhook::start().await;
    sink(&hook.url(), SIGNING_SECRET).deliver(DeliveryId(41), &health()).await.unwrap();
    let got = hook.accepted();
    assert_eq!(got.len(), 1);
    let (id, body) = &got[0];
    assert_eq!(id, "41");
    assert_eq!((body["version"].as_u64(), body["delivery_id"].as_i64()), (Some(1), Some(41)));
    assert_eq!((body["kind"].as_str(), body["level"].as_str()), (Some("source_health"), Some("high")));
    assert_eq!(body["source"], "hn");
    let req = &hook.requests()[0];
    assert_eq!(req.header("content-type").as_deref(), Some("application/json"));
    assert!(req.header("x-earshot-signature").unwrap().starts_with("v1="));

    // Signed with another secret: the receiver refuses it, earshot sees a
    // permanent 401.
    let err = sink(&hook.url(), "not-the-secret").deliver(DeliveryId(42), &health()).await.unwrap_err();
    assert!(matches!(&err, SinkError::Permanent { code, .. } if code == "http_401"), "{err:?}");
    assert_eq!(hook.rejected(), 1);
}

#[tokio::test]
async fn answers_classify_like_slack_and_never_show_the_url_or_secret() {
    let hook = FakeWebhook::start().await;
    let s = sink(&hook.url(), SIGNING_SECRET);
    hook.fail_next(Fault::reply(429, &[("Retry-After", "7")], "slow down"));
    hook.fail_next(Fault::reply(503, &[], "<html>down</html>"));
    hook.fail_next(Fault::reply(404, &[], "Not Found"));
    let n = health();
    match s.deliver(DeliveryId(1), &n).await {
        Err(SinkError::Retryable { after, reason }) => {
            assert_eq!(after, Some(Duration::from_secs(7)));
            assert_eq!(reason, "webhook answered 429: slow down");
        }
        other => panic!("expected a retryable 429, got {other:?}"),
    }
    assert!(matches!(s.deliver(DeliveryId(1), &n).await, Err(SinkError::Retryable { after: None, .. })));
    assert_eq!(
        s.deliver(DeliveryId(1), &n).await,
        Err(SinkError::Permanent { code: "http_404".into(), reason: "webhook answered 404: Not Found".into() })
    );
    // A dead port: retryable, and neither the URL's token nor the secret shows.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = sink(&format!("http://127.0.0.1:{port}/hooks/{URL_TOKEN}"), SIGNING_SECRET);
    let err = dead.deliver(DeliveryId(1), &n).await.unwrap_err();
    let shown = format!("{err} {err:?} {dead:?}");
    assert!(matches!(err, SinkError::Retryable { .. }), "{shown}");
    assert!(!shown.contains(URL_TOKEN) && !shown.contains(SIGNING_SECRET), "{shown}");
}

async fn store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&format!("sqlite://{}", dir.path().join("w.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn the_worker_retries_with_the_same_delivery_id_and_counts_permanent_failures() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let hook = FakeWebhook::start().await;
    let s = sink(&hook.url(), SIGNING_SECRET);
    let receiver = ReceiverName::new("hook");
    let cfg = DeliverySettings {
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(1),
        ..DeliverySettings::default()
    };
    let metrics = Metrics::new();
    let wake = tokio::sync::watch::Sender::new(0);
    let worker = Worker { store: &store, receiver: &receiver, sink: &s, cfg: &cfg, metrics: &metrics, wake: &wake };
    let cancel = CancellationToken::new();
    store.enqueue(std::slice::from_ref(&receiver), &health(), chrono::Utc::now()).await.unwrap();

    // 500, then success: two attempts, one accepted delivery, same id.
    hook.fail_next(Fault::reply(500, &[], "oops"));
    let first = worker.deliver_due(&cancel).await.unwrap();
    assert_eq!((first.claimed, first.retried), (1, 1));
    crate::helpers::wait_until(crate::helpers::BOUND, "retry sent", || async {
        worker.deliver_due(&cancel).await.unwrap().sent == 1
    })
    .await;
    let ids: Vec<_> = hook.requests().iter().map(|r| r.header("x-earshot-delivery").unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "a retry carries the same delivery id");
    assert_eq!((hook.accepted().len(), hook.distinct()), (1, 1));

    // 429 with Retry-After: not due again before then.
    store.enqueue(std::slice::from_ref(&receiver), &health(), chrono::Utc::now()).await.unwrap();
    hook.fail_next(Fault::reply(429, &[("Retry-After", "3600")], ""));
    assert_eq!(worker.deliver_due(&cancel).await.unwrap().retried, 1);
    assert_eq!(worker.deliver_due(&cancel).await.unwrap().claimed, 0, "waits for Retry-After");

    // 404: given up at once, counted by receiver and reason.
    store.enqueue(std::slice::from_ref(&receiver), &health(), chrono::Utc::now()).await.unwrap();
    hook.fail_next(Fault::reply(404, &[], "Not Found"));
    assert_eq!(worker.deliver_due(&cancel).await.unwrap().failed, 1);
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.outbox_sent, counts.outbox_failed, counts.outbox_pending), (1, 1, 1));
    let text = metrics.render();
    assert!(
        text.contains(r#"earshot_delivery_permanent_failures_total{receiver="hook",reason="http_404"} 1"#),
        "{text}"
    );
}
