//! `SlackSink` against the fake Slack webhook: what arrives, how Slack's
//! answers are classified, that the webhook URL never leaks, and that the
//! fake's own checks hold.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use earshot::config::SlackSettings;
use earshot::domain::*;
use earshot::sinks::slack::SlackSink;
use earshot::sinks::{DeliveryId, MentionAlert, Notification, Sink, SinkError};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::fakes::slack::{FakeSlack, Reply, SECRET};

fn sink(url: &str) -> SlackSink {
    let cfg = SlackSettings {
        url: SecretString::from(url.to_string()),
        min_interval: Duration::ZERO,
        timeout: Duration::from_secs(5),
    };
    SlackSink::new(cfg, reqwest::Client::new()).interactive(true)
}

fn notification(text: &str) -> Notification {
    Notification::Mention(MentionAlert {
        mention_id: MentionId(8812),
        queue_item: Some(QueueItemId(77)),
        source: SourceName::new("hn"),
        post: Post {
            platform: Platform::Hackernews,
            external_id: ExternalId::new("43500023"),
            url: "https://news.ycombinator.com/item?id=43500023".into(),
            author: Author { handle: "mallory".into(), display_name: None, followers: None },
            text: text.into(),
            created_at: Utc.timestamp_opt(1777638669, 0).unwrap(),
            lang: None,
            engagement: Engagement { likes: Some(3), reposts: None, replies: Some(1) },
        },
        mention: Mention {
            brand: BrandName::new("Acme Air"),
            terms: vec!["acme air".into()],
            score: Score {
                compound: -0.8,
                label: Label::Negative,
                urgency: 0.9,
                level: Urgency::Critical,
                topics: vec![],
                reasons: vec!["complaint stated as fact".into()],
            },
        },
        history: None,
    })
}

const HOSTILE: &str = "Hey <!channel> and <@U123ABC>: Acme Air says refunds > vouchers & 2 < 3. <!here>?";

#[tokio::test]
async fn delivers_an_escaped_block_kit_message() {
    let slack = FakeSlack::start().await.unwrap();
    sink(&slack.url()).deliver(DeliveryId(1), &notification(HOSTILE)).await.unwrap();

    let got = slack.received();
    assert_eq!(got.len(), 1);
    let blocks = got[0]["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["text"]["text"], "Critical: Acme Air on Hacker News");
    let section = blocks[1]["text"]["text"].as_str().unwrap();
    assert!(
        section.contains(
            "&gt; Hey &lt;!channel&gt; and &lt;@U123ABC&gt;: Acme Air says refunds &gt; vouchers &amp; 2 &lt; 3."
        ),
        "{section}"
    );
    assert_eq!(blocks[3]["elements"][0]["action_id"], "ack");
    assert!(got[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("[critical] Acme Air: @mallory on Hacker News: Hey &lt;!channel&gt;"));
    slack.assert_no_unescaped_mentions();
    assert_eq!(slack.attempts()[0].content_type.as_deref(), Some("application/json"));
    slack.shutdown().await;
}

#[tokio::test]
async fn huge_hostile_post_fits_slack_limits() {
    let slack = FakeSlack::start().await.unwrap();
    let huge = format!("{HOSTILE} ✈️ Zürich 😡\n").repeat(5_000);
    sink(&slack.url()).deliver(DeliveryId(1), &notification(&huge)).await.unwrap();
    assert_eq!(slack.received().len(), 1, "the fake's Block Kit checks passed");
    slack.assert_no_unescaped_mentions();
}

#[tokio::test]
async fn slack_answers_are_classified_and_never_leak_the_url() {
    let slack = FakeSlack::start().await.unwrap();
    let n = notification("3 hours on hold with Acme Air");
    let cases = [
        (Reply::ServerError, SinkError::Retryable { after: None, reason: "slack answered 500 rollup_error".into() }),
        (
            Reply::no_service(),
            SinkError::Permanent { code: "no_service".into(), reason: "slack answered 404 no_service".into() },
        ),
        (
            Reply::Status { code: 410, body: "channel_is_archived".into() },
            SinkError::Permanent {
                code: "channel_is_archived".into(),
                reason: "slack answered 410 channel_is_archived".into(),
            },
        ),
    ];
    for (reply, want) in cases {
        slack.script(reply);
        assert_eq!(sink(&slack.url()).deliver(DeliveryId(1), &n).await, Err(want));
    }
    slack.script(Reply::RateLimited { retry_after_secs: 7 });
    match sink(&slack.url()).deliver(DeliveryId(1), &n).await {
        Err(SinkError::Retryable { after, reason }) => {
            assert_eq!(after, Some(Duration::from_secs(7)));
            assert!(reason.starts_with("slack answered 429") && !reason.contains(SECRET), "{reason}");
        }
        other => panic!("expected a retryable 429, got {other:?}"),
    }
    assert!(slack.received().is_empty());
    // A wrong path is a revoked hook.
    let wrong = slack.url().replace(SECRET, "revoked");
    assert_eq!(
        sink(&wrong).deliver(DeliveryId(1), &n).await,
        Err(SinkError::Permanent { code: "no_service".into(), reason: "slack answered 404 no_service".into() })
    );
}

#[tokio::test]
async fn fake_rate_limit_reaches_the_sink_as_retry_after() {
    let slack = FakeSlack::start_rate_limited(2).await.unwrap();
    let s = sink(&slack.url());
    let n = notification("hello");
    assert_eq!(s.deliver(DeliveryId(1), &n).await, Ok(()));
    assert_eq!(s.deliver(DeliveryId(1), &n).await, Ok(()));
    match s.deliver(DeliveryId(1), &n).await {
        Err(SinkError::Retryable { after: Some(after), .. }) => assert!(after >= Duration::from_secs(1), "{after:?}"),
        other => panic!("expected a 429, got {other:?}"),
    }
    assert_eq!(slack.received().len(), 2);
}

#[tokio::test]
async fn fake_refuses_what_slack_refuses() {
    let slack = FakeSlack::start().await.unwrap();
    let http = reqwest::Client::new();
    let post = |body: String, content_type: &'static str| {
        let req = http.post(slack.url()).header("content-type", content_type).body(body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let section = |n: usize| json!({"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(n)}});
    let header = |n: usize| json!({"type": "header", "text": {"type": "plain_text", "text": "é".repeat(n)}});
    let msg = |blocks: Vec<Value>| json!({"text": "t", "blocks": blocks}).to_string();
    let cases = [
        (msg(vec![section(3000), header(150)]), "application/json", 200, "ok"),
        ("{\"text\": ".to_string(), "application/json", 400, "invalid_payload"),
        ("payload=%7B%7D".to_string(), "application/x-www-form-urlencoded", 400, "invalid_payload"),
        ("{}".to_string(), "application/json", 400, "no_text"),
        (msg(vec![section(3001)]), "application/json", 400, "invalid_blocks"),
        (msg(vec![header(151)]), "application/json", 400, "invalid_blocks"),
        (msg(vec![section(1); 51]), "application/json", 400, "invalid_blocks"),
        (msg(vec![json!({"type": "mystery"})]), "application/json", 400, "invalid_blocks"),
    ];
    for (body, ct, status, answer) in cases {
        assert_eq!(post(body.clone(), ct).await, (status, answer.to_string()), "{}", &body[..body.len().min(80)]);
    }
    assert_eq!(slack.received().len(), 1);
}

#[tokio::test]
#[should_panic(expected = "unescaped <!channel reached Slack")]
async fn the_mention_check_catches_raw_markup() {
    let slack = FakeSlack::start().await.unwrap();
    let body = json!({"text": "hi <!channel>"}).to_string();
    reqwest::Client::new()
        .post(slack.url())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    slack.assert_no_unescaped_mentions();
}
