//! Config validation: every refusal names the file, the key and the reason.

use std::path::PathBuf;

use secrecy::ExposeSecret;

use super::*;
use crate::domain::Urgency;

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
    let SourceKind::Hackernews(hn) = &s.sources[0].kind else { panic!("hackernews expected") };
    assert_eq!(hn.base_url.as_str(), "http://127.0.0.1:9/api/v1");
    assert_eq!(hn.hits_per_page, 100);
    assert_eq!(s.routes[0].matchers, [crate::routing::Matcher::at_least(Urgency::High)]);
    assert_eq!(s.routes[1].matchers.len(), 1, "brands only");
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

const PLATFORMS: &str = r##"
[[sources]]
name = "masto"
type = "mastodon"
base_url = "https://social.example"
hashtags = ["#AcmeAir", "acmeair", "délai"]
token_env = "EARSHOT_TEST_MASTODON"

[[sources]]
name = "bsky"
type = "bluesky"
identifier = "acmeair.bsky.social"
app_password_env = "EARSHOT_TEST_BSKY"

[[sources]]
name = "reddit"
type = "reddit"
client_id = "inline-client-id"
client_secret_env = "EARSHOT_TEST_REDDIT"
username = "acme_ops"
subreddits = ["r/travel", "flights"]
"##;

fn platform_env() -> Vec<(String, String)> {
    let mut e = env();
    e.push(("EARSHOT_TEST_MASTODON".into(), "masto-token-s3cret".into()));
    e.push(("EARSHOT_TEST_BSKY".into(), "bsky-app-password-s3cret".into()));
    e.push(("EARSHOT_TEST_REDDIT".into(), "reddit-client-s3cret".into()));
    e
}

/// GOOD plus the three platform sources, with `edit` applied to them.
fn refuse_platforms(edit: impl Fn(&str) -> String) -> ConfigError {
    let (_dir, path) = write(&format!("{GOOD}{}", edit(PLATFORMS)));
    let err = load_with_env(&path, &platform_env()).expect_err("config should be refused");
    assert_eq!(err.file, path, "error names the file: {err}");
    err
}

#[test]
fn mastodon_bluesky_and_reddit_load_with_defaults_and_secrets() {
    let (_dir, path) = write(&format!("{GOOD}{PLATFORMS}"));
    let s = load_with_env(&path, &platform_env()).unwrap();
    let SourceKind::Mastodon(m) = &s.sources[1].kind else { panic!("mastodon expected") };
    assert_eq!(m.config.tags(), ["acmeair", "délai"]);
    assert_eq!(m.token.as_ref().unwrap().expose_secret(), "masto-token-s3cret");
    assert_eq!((m.config.limit, m.config.max_pages, m.config.search), (40, 10, true));
    assert_eq!(m.config.overlap, std::time::Duration::from_secs(120));
    let SourceKind::Bluesky(b) = &s.sources[2].kind else { panic!("bluesky expected") };
    assert_eq!(b.app_password.as_ref().unwrap().expose_secret(), "bsky-app-password-s3cret");
    assert_eq!(
        (b.config.pds_url.as_str(), b.config.appview_url.as_str()),
        ("https://bsky.social/", "https://public.api.bsky.app/")
    );
    assert_eq!((b.config.limit, b.config.base_url.is_none()), (100, true));
    let SourceKind::Reddit(r) = &s.sources[3].kind else { panic!("reddit expected") };
    assert_eq!(r.client_id.expose_secret(), "inline-client-id");
    assert_eq!(r.client_secret.expose_secret(), "reddit-client-s3cret");
    assert!(
        r.user_agent.ends_with(&format!(":earshot:v{} (by /u/acme_ops)", env!("CARGO_PKG_VERSION"))),
        "{}",
        r.user_agent
    );
    assert_eq!(r.config.subreddit_names(), ["travel", "flights"]);
    assert_eq!(
        (r.config.base_url.as_str(), r.config.auth_url.as_str()),
        ("https://oauth.reddit.com/", "https://www.reddit.com/")
    );
    assert_eq!(r.config.overlap, std::time::Duration::from_secs(900));
    let shown = format!("{s:?}{}", s.summary());
    for secret in ["s3cret", "inline-client-id"] {
        assert!(!shown.contains(secret), "{secret} leaked into Debug or the summary");
    }
    assert!(s.summary().contains("reddit (reddit, every 1m)"), "{}", s.summary());
}

#[test]
fn platform_range_checks_name_the_key() {
    let cases: [(&str, &str, &str); 14] = [
        ("hashtags = [\"#AcmeAir\", \"acmeair\", \"délai\"]", "hashtags = [\"acme air\"]", "sources[1].hashtags[0]"),
        (
            "token_env = \"EARSHOT_TEST_MASTODON\"",
            "limit = 41\ntoken_env = \"EARSHOT_TEST_MASTODON\"",
            "sources[1].limit",
        ),
        ("base_url = \"https://social.example\"", "base_url = \"ftp://social.example\"", "sources[1].base_url"),
        ("identifier = \"acmeair.bsky.social\"\n", "", "sources[2].identifier"),
        ("app_password_env = \"EARSHOT_TEST_BSKY\"", "limit = 2", "sources[2].app_password"),
        ("app_password_env = \"EARSHOT_TEST_BSKY\"", "app_password_env = \"X\"\nlimit = 101", "sources[2].limit"),
        (
            "app_password_env = \"EARSHOT_TEST_BSKY\"",
            "app_password_env = \"X\"\napp_password = \"y\"",
            "sources[2].app_password",
        ),
        ("client_id = \"inline-client-id\"\n", "", "sources[3].client_id"),
        (
            "client_secret_env = \"EARSHOT_TEST_REDDIT\"",
            "client_secret_env = \"NOT_SET_ANYWHERE\"",
            "sources[3].client_secret_env",
        ),
        ("username = \"acme_ops\"", "", "sources[3].username"),
        ("username = \"acme_ops\"", "username = \"a b\"", "sources[3].username"),
        ("username = \"acme_ops\"", "user_agent = \"bad\\u0001agent\"", "sources[3].user_agent"),
        ("subreddits = [\"r/travel\", \"flights\"]", "subreddits = [\"r/travel/../x\"]", "sources[3].subreddits[0]"),
        ("subreddits = [\"r/travel\", \"flights\"]", "comments = true", "sources[3].comments"),
    ];
    for (from, to, key) in cases {
        let err = refuse_platforms(|p| {
            assert!(p.contains(from), "{from}");
            p.replacen(from, to, 1)
        });
        assert_eq!(err.key, key, "{from} -> {to}: {err}");
    }
    // A missing secret variable is named with the key that names it.
    let err = refuse_platforms(|p| p.replace("EARSHOT_TEST_BSKY", "EARSHOT_NOPE"));
    assert_eq!(err.key, "sources[2].app_password_env");
    assert!(err.reason.contains("EARSHOT_NOPE"), "{err}");
    // Mastodon with neither hashtags nor a token has nothing to poll.
    let err = refuse_platforms(|p| {
        p.replace("hashtags = [\"#AcmeAir\", \"acmeair\", \"délai\"]\ntoken_env = \"EARSHOT_TEST_MASTODON\"\n", "")
    });
    assert_eq!(err.key, "sources[1].hashtags");
    assert!(err.reason.contains("nothing to poll"), "{err}");
    // Typos are refused like everywhere else.
    let err = refuse_platforms(|p| p.replace("subreddits =", "subreddit ="));
    assert!(err.key.starts_with("sources[3]") && err.reason.contains("subreddit"), "{err}");
}

/// `GOOD` with its source table replaced by `source`.
fn with_source(source: &str) -> String {
    let start = GOOD.find("[[sources]]").unwrap();
    let end = GOOD.find("[[receivers]]").unwrap();
    format!("{}[[sources]]\nname = \"s\"\n{source}\n{}", &GOOD[..start], &GOOD[end..])
}

fn env_with(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut e = env();
    e.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    e
}

fn load_source(source: &str, extra: &[(&str, &str)]) -> Result<SourceSettings, ConfigError> {
    let (_dir, path) = write(&with_source(source));
    load_with_env(&path, &env_with(extra)).map(|s| s.sources.into_iter().next().unwrap())
}

#[test]
fn x_sources_resolve_their_token_and_check_ranges() {
    let s = load_source("type = \"x\"\nbearer_token_env = \"X_TOKEN\"", &[("X_TOKEN", "AAAAsecretbearer")]).unwrap();
    let SourceKind::X(x) = &s.kind else { panic!("x expected") };
    assert_eq!(x.bearer_token.expose_secret(), "AAAAsecretbearer");
    assert_eq!(x.config.base_url.as_str(), "https://api.x.com/2");
    assert_eq!((x.config.max_results, x.config.max_pages, x.config.exclude_retweets), (100, 10, true));
    assert!(!format!("{s:?}").contains("AAAAsecretbearer"), "redacted in Debug");

    let inline = load_source("type = \"x\"\nbearer_token = \"inline-secret\"", &[]).unwrap();
    let SourceKind::X(x) = &inline.kind else { panic!() };
    assert_eq!(x.config.bearer_token, None, "the inline value is moved out of the config");
    assert!(!format!("{inline:?}").contains("inline-secret"));

    let err = load_source("type = \"x\"\nbearer_token_env = \"X_TOKEN\"", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].bearer_token_env");
    assert!(err.reason.contains("X_TOKEN"), "{err}");
    let err = load_source("type = \"x\"", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].bearer_token");
    let err = load_source("type = \"x\"\nbearer_token = \"t\"\nmax_results = 5", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].max_results");
    let err = load_source("type = \"x\"\nbearer_token = \"t\"\nbase_url = \"ftp://x\"", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].base_url");
    let err = load_source("type = \"x\"\nbearer_token = \"t\"\nbearer_tokn = \"t\"", &[]).unwrap_err();
    assert!(err.reason.contains("bearer_tokn"), "{err}");
}

#[test]
fn youtube_sources_resolve_their_key_and_check_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("yt-key");
    std::fs::write(&key, "AIzaFromFile\n").unwrap();
    let s = load_source(&format!("type = \"youtube\"\napi_key_file = \"{}\"", key.display()), &[]).unwrap();
    let SourceKind::Youtube(y) = &s.kind else { panic!("youtube expected") };
    assert_eq!(y.api_key.expose_secret(), "AIzaFromFile");
    assert_eq!((y.config.daily_quota, y.config.max_results, y.config.max_pages), (10_000, 50, 2));
    assert!(y.config.search_videos && y.config.statistics && !y.config.comment_search);
    assert!(!format!("{s:?}").contains("AIzaFromFile"));

    let base = "type = \"youtube\"\napi_key = \"k\"\n";
    let err = load_source(&format!("{base}daily_quota = 50"), &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].daily_quota");
    let err = load_source(&format!("{base}max_results = 51"), &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].max_results");
    let err = load_source(&format!("{base}comment_videos = [\"ok_id_123\", \"bad id!\"]"), &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].comment_videos[1]");
    let err = load_source(&format!("{base}search_videos = false"), &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].search_videos");
    assert!(load_source(
        &format!("{base}search_videos = false\ncomment_channels = [\"UC_x5XG1OV2P6uZZ5FSM9Ttw\"]"),
        &[]
    )
    .is_ok());
    let err = load_source("type = \"youtube\"\napi_key = \"k\"\napi_key_env = \"K\"", &[("K", "v")]).unwrap_err();
    assert_eq!(err.key, "sources[0].api_key");
    assert!(err.reason.contains("only one"), "{err}");
}

#[test]
fn feed_sources_need_a_url_and_no_queries() {
    let s =
        load_source("type = \"feed\"\nurls = [\"https://a.example/feed\", \"https://b.example/atom\"]", &[]).unwrap();
    let SourceKind::Feed(f) = &s.kind else { panic!("feed expected") };
    assert_eq!(f.all_urls().count(), 2);
    assert_eq!((f.remember, f.overlap), (500, std::time::Duration::from_secs(3 * 24 * 3600)));
    let one = load_source("type = \"feed\"\nurl = \"https://a.example/feed\"", &[]).unwrap();
    assert_eq!(one.kind.type_name(), "feed");

    let err = load_source("type = \"feed\"", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].urls");
    let err =
        load_source("type = \"feed\"\nurls = [\"https://a.example/f\", \"https://a.example/f\"]", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].urls[1]");
    let err = load_source("type = \"feed\"\nurl = \"file:///etc/passwd\"", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].url");
    let err = load_source("type = \"feed\"\nurl = \"not a url\"", &[]).unwrap_err();
    assert!(err.key.starts_with("sources[0].url"), "{err}");
    let err = load_source("type = \"feed\"\nurl = \"https://a.example/f\"\nqueries = [\"acme\"]", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].queries");
    let err = load_source("type = \"feed\"\nurl = \"https://a.example/f\"\nremember = 1", &[]).unwrap_err();
    assert_eq!(err.key, "sources[0].remember");
}

#[test]
fn every_design_type_is_built() {
    for t in ["mastodon", "bluesky", "reddit", "x", "youtube", "feed", "hackernews"] {
        let err = load_source(&format!("type = \"{t}\"\nbogus_key = 1"), &[]).unwrap_err();
        assert!(!err.reason.contains("not available"), "{t}: {err}");
    }
}

#[test]
fn the_commented_example_sources_are_valid_when_uncommented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("config/earshot.example.toml")).unwrap();
    let start = text.find("# X (Twitter) API v2").expect("x example");
    let end = text.find("# One [[receivers]]").expect("receivers");
    // Uncomment every table and key, optional ones (`# # key = …`) too,
    // so every documented key is checked; prose stays a comment.
    let is_key = |l: &str| {
        l.starts_with("[[")
            || l.split_once(" = ").is_some_and(|(k, _)| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    };
    let all_keys: String = text[start..end]
        .lines()
        .map(|l| {
            let bare = l.trim_start_matches("# ");
            if is_key(bare) {
                bare
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let body = format!("{}{all_keys}\n{}", &text[..start], &text[end..]);
    let (_dir, path) = write(&body);
    let e = vec![
        ("EARSHOT_SLACK_SUPPORT_URGENT".to_string(), "https://hooks.slack.com/services/T/B/x".to_string()),
        ("EARSHOT_X_BEARER_TOKEN".to_string(), "bearer".to_string()),
        ("EARSHOT_YOUTUBE_API_KEY".to_string(), "key".to_string()),
        ("EARSHOT_MASTODON_TOKEN".to_string(), "token".to_string()),
        ("EARSHOT_BLUESKY_APP_PASSWORD".to_string(), "app-password".to_string()),
        ("EARSHOT_REDDIT_CLIENT_ID".to_string(), "id".to_string()),
        ("EARSHOT_REDDIT_CLIENT_SECRET".to_string(), "secret".to_string()),
    ];
    let s = load_with_env(&path, &e).unwrap_or_else(|err| panic!("{err}\n{body}"));
    let types: Vec<&str> = s.sources.iter().map(|s| s.kind.type_name()).collect();
    assert_eq!(types, ["hackernews", "x", "youtube", "feed", "mastodon", "bluesky", "reddit"]);
    let SourceKind::Youtube(y) = &s.sources[2].kind else { panic!() };
    assert_eq!(y.config.comment_videos, ["dQw4w9WgXcQ"]);
    let SourceKind::X(x) = &s.sources[1].kind else { panic!() };
    assert_eq!(x.config.operators.as_deref(), Some("lang:en -is:reply"));
}

#[test]
fn storage_urls_name_a_known_backend_and_hide_passwords() {
    let err = refuse(&GOOD.replace("sqlite://data/test.db", "mysql://u:hunter2@db/x"));
    assert_eq!(err.key, "storage.url");
    assert!(!err.reason.contains("hunter2"), "{err}");
    let (_dir, path) = write(&GOOD.replace("sqlite://data/test.db", "postgres://earshot@127.0.0.1/earshot"));
    assert!(load_with_env(&path, &env()).is_ok());
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

    let err = refuse(&format!("{GOOD}\n[scoring]\ncomplaint_model_file = \"missing.tsv\"\n"));
    assert_eq!(err.key, "scoring.complaint_model_file");
    assert!(err.reason.contains("cannot read"), "{err}");

    let (dir, path) = write(&format!("{GOOD}\n[scoring]\ncomplaint_model_file = \"model.tsv\"\n"));
    std::fs::write(dir.path().join("model.tsv"), "bias\t-1\nstill\tmany\n").unwrap();
    let err = load_with_env(&path, &env()).unwrap_err();
    assert_eq!(err.key, "scoring.complaint_model_file: line 2");
    assert!(err.reason.contains("not a finite number"), "{err}");
    std::fs::write(dir.path().join("model.tsv"), "bias\t-1\nstill\t0.5\n").unwrap();
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!(
        s.scoring.complaint_model_text.as_deref(),
        Some("bias\t-1\nstill\t0.5\n"),
        "read relative to the config"
    );

    let (dir, path) = write(&format!("{GOOD}\n[scoring]\ncritical_model_file = \"critical.tsv\"\n"));
    std::fs::write(dir.path().join("critical.tsv"), "still\t0.5\n").unwrap();
    let err = load_with_env(&path, &env()).unwrap_err();
    assert_eq!(err.key, "scoring.critical_model_file");
    assert!(err.reason.contains("bias"), "{err}");
    std::fs::write(dir.path().join("critical.tsv"), "bias\t-2\ninsulin\t1.5\n").unwrap();
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!(s.scoring.critical_model_text.as_deref(), Some("bias\t-2\ninsulin\t1.5\n"));

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

#[test]
fn webhook_receivers_need_a_url_and_a_signing_secret_and_hide_both() {
    let hook = |keys: &str| {
        GOOD.replace(
            "[[receivers]]\nname = \"console\"",
            &format!("[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\n{keys}\n\n[[receivers]]\nname = \"console\""),
        )
    };
    let (_dir, path) =
        write(&hook("url = \"https://hooks.example/t0k3n\"\nsecret_env = \"HOOK_SECRET\"\ntimeout = \"3s\""));
    let mut e = env();
    e.push(("HOOK_SECRET".into(), "s1gn1ng-k3y".into()));
    let s = load_with_env(&path, &e).unwrap();
    let ReceiverKind::Webhook(w) = &s.receivers[1].kind else { panic!("webhook expected") };
    assert_eq!((w.url.expose_secret(), w.secret.expose_secret()), ("https://hooks.example/t0k3n", "s1gn1ng-k3y"));
    assert_eq!(w.timeout, std::time::Duration::from_secs(3));
    let shown = format!("{s:?}{}", s.summary());
    assert!(!shown.contains("t0k3n") && !shown.contains("s1gn1ng"), "{shown}");

    let err = refuse(&hook("url = \"https://hooks.example/x\""));
    assert_eq!(err.key, "receivers[1].secret");
    assert!(err.reason.contains("`secret`, `secret_env` or `secret_file`"), "{err}");
    let err = refuse(&hook("secret = \"k\""));
    assert_eq!(err.key, "receivers[1].url");
}

#[test]
fn spikes_section_loads_and_bad_values_name_their_key() {
    let (_dir, path) = write(&format!("{GOOD}\n[spikes]\ninterval = \"10m\"\nsensitivity = 5.0\n"));
    let s = load_with_env(&path, &env()).unwrap();
    assert_eq!((s.spikes.interval.as_secs(), s.spikes.sensitivity, s.spikes.min_count), (600, 5.0, 10));
    let err = refuse(&format!("{GOOD}\n[spikes]\nalpha = 2.0\n"));
    assert_eq!(err.key, "spikes.alpha");
    let err = refuse(&format!("{GOOD}\n[[spikes.overrides]]\nbrand = \"Globex\"\n"));
    assert_eq!(err.key, "spikes.overrides[0].brand");
}

#[test]
fn queue_slas_fill_in_per_level_and_bad_ones_name_the_key() {
    let queue = "[queue]\nfollow_up_after = \"2d\"\ntick = \"10s\"\n[queue.sla.critical]\nack = \"5m\"\n[queue.sla.low]\nresolve = \"1w\"\n";
    let (_dir, path) = write(&format!("{queue}{GOOD}"));
    let mut e = env();
    e.push(("EARSHOT__QUEUE__SLA__HIGH__ACK".into(), "30m".into()));
    let q = load_with_env(&path, &e).unwrap().queue;
    let hours = |h: u64| std::time::Duration::from_secs(h * 3600);
    assert_eq!((q.follow_up_after, q.tick), (hours(48), std::time::Duration::from_secs(10)));
    assert_eq!(q.sla(Urgency::Critical), Sla { ack: std::time::Duration::from_secs(300), resolve: hours(4) });
    assert_eq!(q.sla(Urgency::High).ack, std::time::Duration::from_secs(1800), "from the environment");
    assert_eq!(q.sla(Urgency::Normal), Sla::default_for(Urgency::Normal));
    assert_eq!(q.sla(Urgency::Low), Sla { ack: hours(24), resolve: hours(168) });
    let (_plain, plain) = write(GOOD);
    let defaults = load_with_env(&plain, &env()).unwrap().queue;
    assert_eq!((defaults.follow_up_after, defaults.tick), (hours(72), std::time::Duration::from_secs(30)));

    let err = refuse(&format!("[queue.sla.high]\nack = \"9h\"\n{GOOD}"));
    assert_eq!(err.key, "queue.sla.high.ack", "{err}");
    assert!(err.reason.contains("longer than the resolve SLA (8h)"), "{err}");
    let err = refuse(&format!("[queue]\ntick = \"0s\"\n{GOOD}"));
    assert_eq!(err.key, "queue.tick", "{err}");
    let err = refuse(&format!("[queue.sla.urgentest]\nack = \"1m\"\n{GOOD}"));
    assert!(err.reason.contains("urgentest"), "{err}");
    let err = refuse(&format!("[queue.sla.normal]\nresolve = \"a while\"\n{GOOD}"));
    assert_eq!(err.key, "queue.sla.normal.resolve", "{err}");
}
