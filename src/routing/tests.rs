//! The route tree from config to decisions: matchers, `continue`,
//! inheritance, grouping keys, quiet hours, silences, `explain`, and the
//! config refusals with their key paths.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::config::{load_with_env, ConfigError, Settings};

const BASE: &str = r#"
[[brands]]
name = "Acme"
terms = ["acme"]
[[brands]]
name = "Globex"
terms = ["globex"]
[[receivers]]
name = "a"
type = "console"
[[receivers]]
name = "b"
type = "console"
[[receivers]]
name = "c"
type = "console"
"#;

fn load(routes: &str) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("earshot.toml");
    std::fs::write(&path, format!("{BASE}\n{routes}")).unwrap();
    load_with_env(&path, &[])
}

fn router(routes: &str) -> Router {
    Router::new(&load(routes).unwrap().routes)
}

fn refuse(routes: &str) -> ConfigError {
    load(routes).expect_err("config should be refused")
}

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap()
}

fn mention(brand: &str, level: Urgency) -> Labels {
    Labels::system(Labels::MENTION, level).brand(brand).platform("x").source("xs")
}

fn names(r: &Router, l: &Labels) -> Vec<String> {
    r.receivers_for(l).into_iter().map(|r| r.to_string()).collect()
}

#[test]
fn old_style_routes_keep_every_matching_route() {
    let r = router(
        r#"
[[routes]]
receivers = ["a"]
min_urgency = "high"
[[routes]]
receivers = ["b", "a"]
brands = ["Acme"]
"#,
    );
    assert_eq!(names(&r, &mention("Acme", Urgency::Critical)), ["a", "b"]);
    assert_eq!(names(&r, &mention("Acme", Urgency::Low)), ["b", "a"]);
    assert_eq!(names(&r, &mention("Globex", Urgency::High)), ["a"]);
    assert!(names(&r, &mention("Globex", Urgency::Normal)).is_empty());
    // System alerts: no brand, so only routes without a brand filter.
    assert_eq!(r.receivers_for_system(Urgency::High), [ReceiverName::new("a")]);
    assert_eq!(names(&r, &Labels::system("spike", Urgency::High).brand("Acme")), ["a", "b"]);
}

#[test]
fn matchers_children_inheritance_and_continue() {
    let r = router(
        r#"
[[routes]]
receivers = ["a"]
matchers = ["brand = Acme"]
continue = false
  [[routes.routes]]
  matchers = ["topic = billing"]
  receivers = ["b"]
  [[routes.routes]]
  matchers = ["platform =~ x|reddit"]
  continue = true
  [[routes.routes]]
  matchers = ["urgency >= high"]
  receivers = ["c"]
[[routes]]
receivers = ["c"]
"#,
    );
    // First child matches and does not continue.
    assert_eq!(names(&r, &mention("Acme", Urgency::High).topic("billing")), ["b"]);
    // Second child (inherits "a") continues to the third.
    assert_eq!(names(&r, &mention("Acme", Urgency::High)), ["a", "c"]);
    assert_eq!(names(&r, &mention("Acme", Urgency::Low)), ["a"]);
    // No child matches: the parent delivers itself.
    assert_eq!(names(&r, &mention("Acme", Urgency::Low).platform("mastodon")), ["a"]);
    // The first top route does not continue: the second is tried only for others.
    assert_eq!(names(&r, &mention("Globex", Urgency::Low)), ["c"]);
}

#[test]
fn grouping_is_inherited_and_keys_name_route_and_labels() {
    let r = router(
        r#"
[[routes]]
receivers = ["a"]
group_by = ["brand", "topic"]
group_wait = "10s"
  [[routes.routes]]
  matchers = ["urgency = critical"]
  group_interval = "1m"
"#,
    );
    let d = r.decide(&mention("Acme", Urgency::Critical).topic("refund").topic("billing"), noon(), &[]);
    assert_eq!(d.len(), 1);
    let g = d[0].group.as_ref().expect("grouped");
    assert_eq!(g.key, r#"routes[0].routes[0]{brand="Acme",topic="billing,refund"}"#);
    assert_eq!((g.wait.as_secs(), g.interval.as_secs(), g.repeat), (10, 60, Grouping::DEFAULT_REPEAT));
    assert_eq!(d[0].route, "routes[0].routes[0]");
    let plain = router("[[routes]]\nreceivers = [\"a\"]\n");
    assert!(plain.decide(&mention("Acme", Urgency::High), noon(), &[])[0].group.is_none());
}

#[test]
fn quiet_hours_hold_all_but_critical_and_silences_mute() {
    let r = router(
        r#"
[[time_intervals]]
name = "night"
intervals = [{ start = "22:00", end = "07:00", time_zone = "Europe/Berlin" }]
[[routes]]
receivers = ["a"]
quiet_hours = "night"
[[routes]]
receivers = ["b"]
quiet_hours = [{ days = ["sat", "sun"], start = "00:00", end = "00:00" }]
"#,
    );
    let late = Utc.with_ymd_and_hms(2026, 3, 4, 22, 30, 0).unwrap(); // 23:30 in Berlin
    let d = r.decide(&mention("Acme", Urgency::High), late, &[]);
    let morning = Utc.with_ymd_and_hms(2026, 3, 5, 6, 0, 0).unwrap();
    assert_eq!(d[0].state, DeliveryState::Quiet { until: morning });
    assert_eq!(d[1].state, DeliveryState::Deliver, "a Wednesday is not the weekend");
    let d = r.decide(&mention("Acme", Urgency::Critical), late, &[]);
    assert!(d.iter().all(|d| d.state == DeliveryState::Deliver), "critical bypasses quiet hours");

    let silence = Silence {
        id: SilenceId(7),
        matchers: vec![Matcher::parse("brand = Acme").unwrap()],
        starts_at: noon(),
        ends_at: noon() + chrono::Duration::hours(2),
        created_by: "ops".into(),
        comment: "known outage".into(),
    };
    let d = r.decide(&mention("Acme", Urgency::Critical), noon(), std::slice::from_ref(&silence));
    assert!(d.iter().all(|d| d.state == DeliveryState::Silenced(SilenceId(7))));
    let d = r.decide(&mention("Globex", Urgency::High), noon(), std::slice::from_ref(&silence));
    assert!(d.iter().all(|d| d.state == DeliveryState::Deliver));
    let later = noon() + chrono::Duration::hours(2);
    assert!(r
        .decide(&mention("Acme", Urgency::High), later, &[silence])
        .iter()
        .all(|d| d.state == DeliveryState::Deliver));
}

#[test]
fn explain_says_which_routes_matched_and_why_not() {
    let r = router(
        r#"
[[routes]]
receivers = ["a"]
matchers = ["brand = Globex"]
[[routes]]
receivers = ["b"]
matchers = ["urgency >= high"]
group_by = ["brand"]
"#,
    );
    let text = r.explain(&mention("Acme", Urgency::High), noon(), &[]);
    assert!(text.contains("routes[0] no: brand = Globex does not hold"), "{text}");
    assert!(text.contains("routes[1] matches"), "{text}");
    assert!(text.contains(r#"-> b via routes[1], group routes[1]{brand="Acme"}, deliver"#), "{text}");
    let text = r.explain(&mention("Acme", Urgency::Low), noon(), &[]);
    assert!(text.contains("nobody is alerted"), "{text}");
    assert!(r.render().contains("- routes[1]: urgency >= high -> b; group by [brand]"), "{}", r.render());
}

#[test]
fn bad_routes_are_refused_with_their_key_path() {
    let err = refuse("[[routes]]\nreceivers = [\"a\"]\nmatchers = [\"brand = Acme\", \"colour = red\"]\n");
    assert_eq!(err.key, "routes[0].matchers[1]", "{err}");
    assert!(err.reason.contains("unknown label"), "{err}");

    let err = refuse("[[routes]]\nreceivers = [\"a\"]\n  [[routes.routes]]\n  matchers = [\"platform =~ (x\"]\n");
    assert_eq!(err.key, "routes[0].routes[0].matchers[0]", "{err}");

    let err = refuse("[[routes]]\nmatchers = [\"brand = Acme\"]\n");
    assert_eq!(err.key, "routes[0].receivers", "{err}");

    let err = refuse("[[routes]]\nreceivers = [\"a\"]\ngroup_by = [\"colour\"]\n");
    assert_eq!(err.key, "routes[0].group_by[0]", "{err}");

    let err = refuse("[[routes]]\nreceivers = [\"a\"]\ngroup_by = []\ngroup_interval = \"0s\"\n");
    assert_eq!(err.key, "routes[0].group_interval", "{err}");

    let err = refuse("[[routes]]\nreceivers = [\"a\"]\nquiet_hours = \"nights\"\n");
    assert_eq!(err.key, "routes[0].quiet_hours", "{err}");

    let err = refuse("[[routes]]\nreceivers = [\"a\"]\nquiet_hours = [{ start = \"22:00\", end = \"7\" }]\n");
    assert_eq!(err.key, "routes[0].quiet_hours[0]", "{err}");

    let err = refuse("[[routes]]\nreceivers = [\"a\"]\n  [[routes.routes]]\n  receivers = [\"z\"]\n");
    assert_eq!(err.key, "routes[0].routes[0].receivers[0]", "{err}");
}
