//! Config validation: every refusal names the file, the key and the reason.

use std::path::PathBuf;

use secrecy::ExposeSecret;

use super::*;

const GOOD: &str = r##"
[storage]
url = "sqlite://data/test.db"

[http]
listen = "127.0.0.1:0"

[[brands]]
name = "Acme Air"
terms = ["acme air", "@acmeair", "#acmeair"]
exclude = ["acme air show"]

[[sources]]
name = "hn"
type = "hackernews"
every = "90s"
base_url = "http://127.0.0.1:9/api/v1"

[[receivers]]
name = "support-urgent"
type = "slack"
url_env = "EARSHOT_TEST_SLACK"

[[receivers]]
name = "console"
type = "console"

[[routes]]
receivers = ["support-urgent"]
min_urgency = "high"

[[routes]]
receivers = ["console"]
brands = ["Acme Air"]
"##;

fn write(body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("earshot.toml");
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

fn env() -> Vec<(String, String)> {
    vec![("EARSHOT_TEST_SLACK".into(), "https://hooks.slack.com/services/T/B/secret".into())]
}

fn refuse(body: &str) -> ConfigError {
    let (_dir, path) = write(body);
    let err = load_with_env(&path, &env()).expect_err("config should be refused");
    assert_eq!(err.file, path, "error names the file: {err}");
    err
}

#[test]
fn a_good_config_loads_with_defaults_filled_in() {
    let (_dir, path) = write(GOOD);
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!(s.brands[0].terms.len(), 3);
    assert_eq!(s.sources[0].schedule, Schedule::Every(std::time::Duration::from_secs(90)));
    let SourceKind::Hackernews(hn) = &s.sources[0].kind;
    assert_eq!(hn.base_url.as_str(), "http://127.0.0.1:9/api/v1");
    assert_eq!(hn.hits_per_page, 100);
    assert_eq!(s.routes[0].min_urgency, Urgency::High);
    assert_eq!(s.routes[1].min_urgency, Urgency::Low);
    let ReceiverKind::Slack(slack) = &s.receivers[0].kind else { panic!("slack expected") };
    assert!(slack.url.expose_secret().ends_with("/secret"));
    assert!(s.summary().contains("routes[0]"));
}

#[test]
fn secrets_never_show_in_debug_or_summary() {
    let (_dir, path) = write(GOOD);
    let s = load_with_env(&path, &env()).unwrap();
    assert!(!format!("{s:?}").contains("/secret"));
    assert!(!s.summary().contains("/secret"));
}

#[test]
fn environment_overrides_the_file() {
    let (_dir, path) = write(GOOD);
    let mut e = env();
    e.push(("EARSHOT__STORAGE__URL".into(), "sqlite://elsewhere.db".into()));
    e.push(("EARSHOT__HTTP__LISTEN".into(), "127.0.0.1:7000".into()));
    let s = load_with_env(&path, &e).unwrap();
    assert_eq!(s.storage.url, "sqlite://elsewhere.db");
    assert_eq!(s.http.listen.port(), 7000);
}

#[test]
fn unknown_keys_are_refused_with_their_path() {
    let err = refuse(&GOOD.replace("[storage]", "[storage]\nurll = \"x\""));
    assert!(err.reason.contains("unknown field `urll`"), "{err}");
    assert!(err.key.starts_with("storage"), "{err}");

    let err = refuse(&GOOD.replace("every = \"90s\"", "every = \"90s\"\nhits_per_pag = 5"));
    assert!(err.key.starts_with("sources[0]"), "{err}");
    assert!(err.reason.contains("hits_per_pag"), "{err}");

    let err = refuse(&format!("{GOOD}\n[bogus]\nx = 1\n"));
    assert!(err.reason.contains("bogus"), "{err}");
}

#[test]
fn wrong_types_and_bad_durations_name_the_key() {
    let err = refuse(&GOOD.replace("every = \"90s\"", "every = \"90 parsecs\""));
    assert_eq!(err.key, "sources[0].every");
    assert!(err.reason.contains("bad duration"), "{err}");

    let err = refuse(&GOOD.replace("every = \"90s\"", "every = \"90s\"\nhits_per_page = \"many\""));
    assert_eq!(err.key, "sources[0].hits_per_page", "{err}");

    let err = refuse(&GOOD.replace("[storage]", "[delivery]\ninterval = \"soon\"\n[storage]"));
    assert_eq!(err.key, "delivery.interval", "{err}");

    let err = refuse(&GOOD.replace("min_urgency = \"high\"", "min_urgency = \"extreme\""));
    assert_eq!(err.key, "routes[0].min_urgency", "{err}");
}

#[test]
fn routes_must_name_known_receivers_and_brands() {
    let err = refuse(&GOOD.replace("receivers = [\"support-urgent\"]", "receivers = [\"nobody\"]"));
    assert_eq!(err.key, "routes[0].receivers[0]");
    assert!(err.reason.contains("unknown receiver \"nobody\""), "{err}");

    let err = refuse(&GOOD.replace("brands = [\"Acme Air\"]", "brands = [\"Acme Airr\"]"));
    assert_eq!(err.key, "routes[1].brands[0]");
}

#[test]
fn duplicate_names_are_refused() {
    let dup = GOOD.replace("name = \"console\"", "name = \"support-urgent\"");
    let err = refuse(&dup);
    assert_eq!(err.key, "receivers[1].name");
    assert!(err.reason.contains("duplicate"), "{err}");

    let two_sources = format!("{GOOD}\n[[sources]]\nname = \"hn\"\ntype = \"hackernews\"\n");
    let err = refuse(&two_sources);
    assert_eq!(err.key, "sources[1].name");
}

#[test]
fn a_missing_secret_env_var_is_named() {
    let (_dir, path) = write(GOOD);
    let err = load_with_env(&path, &[]).unwrap_err();
    assert_eq!(err.key, "receivers[0].url_env");
    assert!(err.reason.contains("EARSHOT_TEST_SLACK"), "{err}");
}

#[test]
fn unknown_and_unbuilt_types_are_explained() {
    let err = refuse(&GOOD.replace("type = \"hackernews\"", "type = \"myspace\""));
    assert_eq!(err.key, "sources[0].type");
    assert!(err.reason.contains("unknown source type"), "{err}");
}

#[test]
fn schedules_are_either_every_or_a_valid_cron() {
    let err = refuse(&GOOD.replace("every = \"90s\"", "every = \"90s\"\ncron = \"0 * * * * *\""));
    assert_eq!(err.key, "sources[0].cron");
    let err = refuse(&GOOD.replace("every = \"90s\"", "cron = \"every tuesday\""));
    assert_eq!(err.key, "sources[0].cron");
    let (_dir, path) = write(&GOOD.replace("every = \"90s\"", "cron = \"0 */5 * * * *\""));
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!(s.sources[0].schedule, Schedule::Cron("0 */5 * * * *".into()));
}

#[test]
fn syntax_errors_and_missing_files_are_refused() {
    let err = refuse("[storage\nurl = 1");
    assert_eq!(err.key, "(syntax)");
    let err = load_with_env(std::path::Path::new("/nonexistent/earshot.toml"), &[]).unwrap_err();
    assert!(err.reason.contains("no such file"), "{err}");
}

#[test]
fn brands_need_terms() {
    let err = refuse(&GOOD.replace("terms = [\"acme air\", \"@acmeair\", \"#acmeair\"]", "terms = []"));
    assert_eq!(err.key, "brands[0].terms");
    let err = refuse(&GOOD.replace("\"#acmeair\"]", "\"#\"]"));
    assert_eq!(err.key, "brands[0].terms[2]");
}

#[test]
fn the_shipped_configs_are_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let e = vec![("EARSHOT_SLACK_SUPPORT_URGENT".to_string(), "https://hooks.slack.com/services/T/B/x".to_string())];
    for f in ["config/earshot.toml", "config/earshot.example.toml"] {
        load_with_env(&root.join(f), &e).unwrap_or_else(|err| panic!("{f}: {err}"));
    }
}

const SCORING: &str = r##"
[scoring]
cues_file = "more-cues.toml"
lexicon = { "meh" = -1.5 }
[scoring.cues]
waiting = ["stuck in limbo"]
[scoring.topics]
loyalty = ["reward points"]
[scoring.urgency]
critical = 0.9
high = 0.6
normal = 0.3
"##;

const MORE_CUES: &str = r#"
[[category]]
name = "recall"
summary = "Product recalls."
topic = "safety"
critical = true
phrases = ["product recall"]
"#;

#[test]
fn scoring_section_loads_with_its_files() {
    let body = format!("{GOOD}\n{SCORING}");
    let (dir, path) = write(&body);
    std::fs::write(dir.path().join("more-cues.toml"), MORE_CUES).unwrap();
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!(s.scoring.cues["waiting"], ["stuck in limbo"]);
    assert_eq!(s.scoring.topics["loyalty"], ["reward points"]);
    assert_eq!(s.scoring.lexicon["meh"], -1.5);
    assert_eq!(s.scoring.urgency, UrgencyThresholds { critical: 0.9, high: 0.6, normal: 0.3 });
    assert!(s.scoring.cues_file_text.as_deref().unwrap().contains("recall"), "read relative to the config");
    let pipeline = crate::pipeline::Pipeline::with_scoring(&s.brands, &s.scoring).unwrap();
    assert!(pipeline.scorer().cue_categories().any(|(n, _)| n == "recall"));

    // Defaults when the section is absent.
    let (_d, path) = write(GOOD);
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!(s.scoring, ScoringSettings::default());
    assert_eq!(s.scoring.urgency.critical, 0.75);
}

#[test]
fn scoring_mistakes_are_refused_with_the_key() {
    let err = refuse(&format!("{GOOD}\n[scoring.cues]\nwaitng = [\"x\"]\n"));
    assert_eq!(err.key, "scoring.cues.waitng");
    assert!(err.reason.contains("waiting"), "{err}");

    let err = refuse(&format!("{GOOD}\n[scoring.cues]\nwaiting = [\"{{unclosed\"]\n"));
    assert_eq!(err.key, "scoring.cues.waiting[0]");

    let err = refuse(&format!("{GOOD}\n[scoring.urgency]\nhigh = 0.9\n"));
    assert_eq!(err.key, "scoring.urgency");
    assert!(err.reason.contains("rise"), "{err}");

    let err = refuse(&format!("{GOOD}\n[scoring]\ncues_file = \"missing.toml\"\n"));
    assert_eq!(err.key, "scoring.cues_file");
    assert!(err.reason.contains("cannot read"), "{err}");

    let err = refuse(&format!("{GOOD}\n[scoring]\nlexicon = {{ \"meh\" = 12.0 }}\n"));
    assert_eq!(err.key, "scoring.lexicon.meh");

    let err = refuse(&format!("{GOOD}\n[scoring]\nweights = 1\n"));
    assert!(err.key.starts_with("scoring"), "{err}");
}

#[test]
fn brand_lexicon_is_checked() {
    let body =
        GOOD.replace("exclude = [\"acme air show\"]", "exclude = [\"acme air show\"]\nlexicon = { \"Sick\" = 2.0 }");
    let (_d, path) = write(&body);
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!(s.brands[0].lexicon["sick"], 2.0, "lower-cased");

    let body =
        GOOD.replace("exclude = [\"acme air show\"]", "exclude = [\"acme air show\"]\nlexicon = { \"sick\" = 5.0 }");
    let err = refuse(&body);
    assert_eq!(err.key, "brands[0].lexicon.\"sick\"");
    assert!(err.reason.contains("-4..4"), "{err}");
}

#[test]
fn scoring_thresholds_from_the_environment() {
    let (_d, path) = write(GOOD);
    let mut env = env();
    env.push(("EARSHOT__SCORING__URGENCY__CRITICAL".into(), "0.95".into()));
    let s = load_with_env(&path, &env).unwrap();
    assert_eq!(s.scoring.urgency.critical, 0.95);
}
