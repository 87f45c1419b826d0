//! One post travels from the (simulated) platform to exactly one Slack
//! message; restarts, Slack 429s and malformed platform responses lose
//! nothing and double nothing.

use std::time::Duration;

use earshot::daemon::PollError;
use earshot::demo::hn_sim::{Fault, SimHit};
use earshot::domain::SourceName;
use earshot::sources::SourceError;

use crate::fakes::slack::Reply;
use crate::helpers::{spawn_hn, wait_until, BOUND, SOURCE};

fn ago(secs: i64) -> i64 {
    chrono::Utc::now().timestamp() - secs
}

fn complaint(id: &str, secs_ago: i64) -> SimHit {
    SimHit::comment(
        id,
        "dana",
        ago(secs_ago),
        (1, "Airline IT outages"),
        "<p>Acme Air lost my bag &amp; nobody answers. Terrible, never again!</p>",
    )
}

#[tokio::test]
async fn a_post_flows_to_exactly_one_slack_message() {
    // Algolia returns it (all query words occur), the exclude vetoes it.
    let excluded = SimHit::story("2", "eve", ago(100), "Photos from the Acme Air Show last weekend");
    let (mut app, _hn) = spawn_hn(vec![complaint("1", 60), excluded]).await;

    let report = app.poll().await.expect("poll succeeds");
    assert_eq!(report.posts, 2);
    assert_eq!(report.commit.inserted, 1, "the air show post is excluded");
    app.wait_for_slack(1).await;

    // Polling again re-reads the overlap window but alerts nobody twice.
    let again = app.poll().await.expect("second poll");
    assert_eq!(again.commit.inserted, 0);
    assert_eq!(again.commit.duplicates, 1);
    app.stop().await;

    let received = app.slack.received();
    assert_eq!(received.len(), 1, "exactly one Slack message");
    let body = received[0].to_string();
    assert!(body.contains("Acme Air"), "{body}");
    assert!(body.contains("lost my bag &amp; nobody answers"), "post text arrives escaped: {body}");
    assert!(body.contains("news.ycombinator.com/item?id=1"), "{body}");
    assert_eq!(app.counts().await.outbox_sent, 1);
}

#[tokio::test]
async fn hostile_post_text_never_pings_the_channel() {
    let hostile = SimHit::comment(
        "66",
        "troll",
        ago(30),
        (1, "x"),
        "<p>&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt; Acme Air is the worst &amp; I want a refund</p>",
    );
    let (mut app, _hn) = spawn_hn(vec![hostile]).await;
    app.poll().await.expect("poll");
    app.wait_for_slack(1).await;
    app.stop().await;
    let body = app.slack.received()[0].to_string();
    app.slack.assert_no_unescaped_mentions();
    assert!(body.contains("&lt;!channel&gt;"), "{body}");
}

#[tokio::test]
async fn restart_resumes_from_the_stored_cursor_without_duplicates() {
    let (app, hn) = spawn_hn(vec![complaint("1", 600), complaint("2", 300)]).await;
    let first = app.poll().await.expect("first poll");
    assert_eq!(first.commit.inserted, 2);
    app.wait_for_slack(2).await;
    let cursor = app.ctx.store.cursor(&SourceName::new(SOURCE)).await.unwrap().expect("cursor stored");

    let app = app.restart().await;
    hn.push(complaint("3", 10));
    let before = hn.requests().len();
    let second = app.poll().await.expect("poll after restart");
    assert_eq!(second.commit.inserted, 1, "only the new post is new");
    app.wait_for_slack(3).await;

    // The poll after the restart asked from the stored watermark (minus the
    // overlap), not from the backfill window.
    let req = &hn.requests()[before];
    let filters = req.param("numericFilters").expect("numericFilters sent");
    let watermark: i64 = filters.rsplit(['=', '>']).next().unwrap().parse().unwrap();
    assert!(watermark > ago(7200), "resumed from the cursor, not the 2h backfill: {filters} (cursor {cursor:?})");

    let mut app = app;
    app.stop().await;
    assert_eq!(app.slack.received().len(), 3, "no duplicate alert across the restart");
    assert_eq!(app.counts().await.mentions, 3);
}

#[tokio::test]
async fn slack_429_is_retried_after_retry_after_and_nothing_is_lost() {
    let (mut app, _hn) = spawn_hn(vec![complaint("1", 60)]).await;
    app.slack.script(Reply::RateLimited { retry_after_secs: 1 });
    app.poll().await.expect("poll");
    app.wait_for_slack(1).await;
    app.stop().await;

    let attempts = app.slack.attempts();
    assert_eq!(attempts.len(), 2, "one 429, then one accepted delivery");
    assert_eq!((attempts[0].status, attempts[1].status), (429, 200));
    let gap = attempts[1].at - attempts[0].at;
    assert!(gap >= Duration::from_millis(950), "waited for Retry-After: 1 (gap {gap:?})");
    let c = app.counts().await;
    assert_eq!((c.outbox_sent, c.outbox_pending, c.outbox_failed), (1, 0, 0));
}

#[tokio::test]
async fn malformed_platform_json_stores_nothing_and_keeps_the_cursor() {
    let (mut app, hn) = spawn_hn(vec![complaint("1", 60)]).await;
    hn.fail_next(Fault::Malformed(r#"{"hits": [{"objectID": "1", "#.into()));
    let err = app.poll().await.expect_err("malformed body fails the poll");
    assert!(matches!(err, PollError::Source(SourceError::Malformed(_))), "{err}");
    assert_eq!(app.ctx.store.cursor(&SourceName::new(SOURCE)).await.unwrap(), None, "cursor did not move");
    assert_eq!(app.counts().await.mentions, 0);

    // The next good poll reads what the broken one missed.
    app.poll().await.expect("next poll succeeds");
    app.wait_for_slack(1).await;
    app.stop().await;
    assert_eq!(app.slack.received().len(), 1);
}

#[tokio::test]
async fn platform_429_and_5xx_store_nothing_and_classify() {
    let (mut app, hn) = spawn_hn(vec![complaint("1", 60)]).await;
    hn.fail_next(Fault::rate_limited(7));
    match app.poll().await {
        Err(PollError::Source(SourceError::RateLimited { retry_after })) => {
            assert_eq!(retry_after, Duration::from_secs(7))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    hn.fail_next(Fault::server_error_html());
    assert!(matches!(app.poll().await, Err(PollError::Source(SourceError::Transient(_)))));
    assert_eq!(app.counts().await.mentions, 0);
    assert_eq!(app.ctx.store.cursor(&SourceName::new(SOURCE)).await.unwrap(), None);
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let (mut app, _hn) = spawn_hn(vec![complaint("1", 60)]).await;
    app.poll().await.expect("poll");
    let client = reqwest::Client::new();
    let health = client.get(app.http("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    wait_until(BOUND, "ready", || {
        let (c, u) = (client.clone(), app.http("/readyz"));
        async move { c.get(u).send().await.map(|r| r.status() == 200).unwrap_or(false) }
    })
    .await;
    let metrics = client.get(app.http("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("earshot_source_polls_total{source=\"src\",outcome=\"ok\"} 1"), "{metrics}");
    app.wait_for_slack(1).await;
    let metrics = client.get(app.http("/metrics")).send().await.unwrap().text().await.unwrap();
    for name in [
        "earshot_source_posts_total{source=\"src\"} 1",
        "earshot_source_consecutive_failures{source=\"src\"} 0",
        "earshot_source_last_success_timestamp_seconds{source=\"src\"}",
        "earshot_pipeline_mentions_total{brand=\"Acme Air\"} 1",
        "earshot_pipeline_scoring_duration_seconds_count 1",
        "earshot_pipeline_stage_duration_seconds_count{stage=\"reads\"} 1",
        "earshot_pipeline_stage_duration_seconds_count{stage=\"scoring\"} 1",
        "earshot_pipeline_stage_duration_seconds_count{stage=\"commit\"} 1",
        "earshot_pipeline_stage_duration_seconds_count{stage=\"rereads\"} 1",
        "earshot_store_duplicates_total{source=\"src\"} 0",
        "earshot_delivery_attempts_total{receiver=\"slack\",outcome=\"sent\"} 1",
        "earshot_delivery_latency_seconds_count 1",
        "earshot_outbox_pending 0",
        "earshot_queue_open_items",
        "earshot_queue_oldest_unacknowledged_age_seconds",
        "earshot_config_last_reload_success_timestamp_seconds",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        assert!(metrics.contains(name), "missing {name} in:\n{metrics}");
    }
    // Bounded labels only: no post ids, texts or terms.
    assert!(!metrics.contains("lost my bag"), "{metrics}");
    app.stop().await;
}

#[tokio::test]
async fn a_failing_source_raises_one_silent_alert_and_one_recovery() {
    let hn = std::sync::Arc::new(earshot::demo::hn_sim::HnSimulator::start(vec![complaint("1", 60)]).await.unwrap());
    let keys = format!("type = \"hackernews\"\nbase_url = \"{}\"\nsilent_after = \"0s\"\n", hn.base_url());
    let mut app = crate::helpers::spawn_app(keys, vec![]).await;
    hn.fail_next(Fault::server_error_html());
    hn.fail_next(Fault::server_error_html());
    assert!(app.poll().await.is_err());
    assert!(app.poll().await.is_err());
    app.wait_for_slack(1).await;

    let ready: serde_json::Value = reqwest::get(app.http("/readyz")).await.unwrap().json().await.unwrap();
    assert_eq!(ready["sources"][0]["consecutive_failures"], 2, "{ready}");
    assert_eq!(ready["sources"][0]["last_error_kind"], "transient", "{ready}");

    app.poll().await.expect("the platform is back");
    app.wait_for_slack(3).await;
    app.stop().await;
    let texts: Vec<String> = app.slack.received().iter().map(|m| m["text"].to_string()).collect();
    assert_eq!(texts.len(), 3, "silent once, recovered once, the mention once: {texts:?}");
    assert!(texts[0].contains("Source silent: src"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("Recovered")), "{texts:?}");
}

#[tokio::test]
async fn slack_permanent_errors_stop_retries_and_are_counted_by_reason() {
    let (mut app, hn) = spawn_hn(vec![complaint("1", 60)]).await;
    app.slack.script(Reply::Status { code: 404, body: "channel_not_found".into() });
    app.poll().await.expect("poll");
    wait_until(BOUND, "the delivery given up", || async { app.counts().await.outbox_failed == 1 }).await;
    hn.push(complaint("2", 30));
    app.poll().await.expect("second poll");
    app.wait_for_slack(1).await;
    let metrics = reqwest::get(app.http("/metrics")).await.unwrap().text().await.unwrap();
    app.stop().await;

    assert_eq!(app.slack.attempts().len(), 2, "the refused alert was tried once, not retried");
    let c = app.counts().await;
    assert_eq!((c.outbox_sent, c.outbox_failed, c.outbox_pending), (1, 1, 0));
    assert!(
        metrics.contains(r#"earshot_delivery_permanent_failures_total{receiver="slack",reason="channel_not_found"} 1"#),
        "{metrics}"
    );
    assert!(!metrics.contains(crate::fakes::slack::SECRET));
}
