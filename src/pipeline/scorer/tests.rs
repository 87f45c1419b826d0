//! Scorer tests: labels, urgency and levels, history (momentum, repeat
//! complaints), reasons, thresholds, hostile input. Cue categories, topics
//! and negation are in `tests/cues.rs`, social text in `tests/social.rs`,
//! the tokeniser and phrase compiler in `tests/text.rs`, the learned
//! complaint signal in `tests/model.rs`.

mod cues;
mod model;
mod social;
mod text;

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::{Author, Engagement, ExternalId, Platform, Urgency};

/// One scorer for the whole test binary: building it compiles the data.
pub(crate) fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(Scorer::new)
}

/// Asserts that the shared scorer labels every one of `texts` `label`.
pub(super) fn assert_labelled(label: Label, texts: &[&str]) {
    for text in texts {
        let score = scorer().score_text(text);
        assert_eq!(score.label, label, "{text:?}: {score:?}");
    }
}

pub(super) fn post(text: &str, followers: Option<u64>, likes: u64, reposts: u64, replies: u64) -> Post {
    Post {
        platform: Platform::Mastodon,
        external_id: ExternalId::new("1"),
        url: "https://example.social/@someone/1".into(),
        author: Author { handle: "someone".into(), display_name: None, followers },
        text: text.into(),
        created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        lang: Some("en".into()),
        engagement: Engagement { likes: Some(likes), reposts: Some(reposts), replies: Some(replies) },
    }
}

const ANGRY: &str = "@acmeair lost my bag again and the service was terrible. Never again!";

#[test]
fn labels_follow_compound() {
    let s = scorer();
    let good = s.score_text("VADER is smart, handsome, and funny.");
    assert_eq!(good.label, Label::Positive);
    assert_eq!(good.level, Urgency::Low);
    assert_eq!(good.urgency, 0.0);
    let bad = s.score_text("VADER is not smart, handsome, nor funny.");
    assert_eq!(bad.label, Label::Negative);
    let mixed = s.score_text("The book was good, but the ending was terrible");
    assert_eq!(mixed.label, Label::Negative);
    // Text without cues or social features scores as plain VADER.
    for text in ["The book was good.", "At least it isn't a horrible book.", "Not bad at all"] {
        assert_eq!(s.score_text(text).compound, s.sentiment().compound(text), "{text}");
    }
}

#[test]
fn compound_includes_the_cues() {
    let s = scorer();
    let text = "been on hold for 90 min now";
    assert!(s.score_text(text).reasons.len() == 2, "overlapping hits of a category make one cue");
    assert_eq!(s.sentiment().compound(text), 0.0, "plain VADER hears nothing");
    let score = s.score_text(text);
    assert_eq!(score.label, Label::Negative);
    assert!(score.compound < -0.3, "{score:?}");
    assert!(score.reasons.iter().any(|r| r == "cue: waiting (been on hold for 90 min now)"), "{:?}", score.reasons);
}

#[test]
fn empty_text_is_neutral_and_low() {
    let score = scorer().score_text("");
    assert_eq!(score.compound, 0.0);
    assert_eq!(score.label, Label::Neutral);
    assert_eq!(score.urgency, 0.0);
    assert_eq!(score.level, Urgency::Low);
    assert!(score.topics.is_empty());
    assert_eq!(score.reasons, ["sentiment: neutral (0.00)"]);
}

#[test]
fn reasons_name_the_strongest_words_and_the_cues() {
    let s = scorer();
    let score = s.score_text("The crew was not helpful and the food was terrible");
    assert_eq!(score.label, Label::Negative);
    let reason = &score.reasons[0];
    assert!(reason.starts_with("sentiment: negative (-0."), "{reason}");
    assert!(reason.contains("\"terrible\"") && reason.contains("\"not helpful\""), "{reason}");

    let score = s.score_text("Thank you so much, the crew was wonderful 😀");
    assert!(score.reasons[0].starts_with("sentiment: positive (0."), "{:?}", score.reasons);

    let score = s.score_text("2 hrs on hold and still no refund. switching to another provider");
    let cues: Vec<&str> = score.reasons.iter().filter(|r| r.starts_with("cue: ")).map(String::as_str).collect();
    assert_eq!(
        cues,
        ["cue: waiting (2 hrs on hold)", "cue: billing (still no refund)", "cue: churn (switching to another)"],
        "{:?}",
        score.reasons
    );
}

#[test]
fn text_alone_is_at_most_high_unless_a_cue_is_critical() {
    let s = scorer();
    let score = s.score_text("TERRIBLE!!! worst airline ever, I hate you, horrible, disgusting");
    assert!(score.compound < -0.9);
    assert!(score.urgency <= urgency::SAID_MAX + 1e-9);
    assert_eq!(score.level, Urgency::High);
    let mild = s.score_text("the wifi was a bit slow and annoying");
    assert!(mild.label == Label::Negative && mild.level <= Urgency::Normal, "{mild:?}");
    for text in [
        "I'm taking this to the ombudsman",
        "the heater caught fire in my daughter's room",
        "someone else's bill came to my email with their address on it",
    ] {
        let score = s.score_text(text);
        assert_eq!(score.level, Urgency::Critical, "{text}: {score:?}");
    }
}

#[test]
fn reach_and_engagement_raise_urgency_of_complaints() {
    let s = scorer();
    let quiet = s.score_post(&post(ANGRY, Some(12), 0, 0, 0));
    let famous = s.score_post(&post(ANGRY, Some(120_000), 0, 0, 0));
    let viral = s.score_post(&post(ANGRY, Some(120_000), 250, 60, 30));
    assert_eq!(quiet.label, Label::Negative);
    assert!(quiet.urgency < famous.urgency && famous.urgency < viral.urgency);
    assert_eq!(viral.level, Urgency::Critical, "{viral:?}");
    assert!(viral.reasons.contains(&"reach: 120k followers".to_string()), "{:?}", viral.reasons);
    assert!(viral.reasons.contains(&"engagement: 340 interactions".to_string()));
    assert!(quiet.reasons.contains(&"reach: 12 followers".to_string()));

    // Loud but happy is not urgent.
    let happy = s.score_post(&post("love @acmeair, best crew ever", Some(2_000_000), 5_000, 900, 100));
    assert_eq!(happy.label, Label::Positive);
    assert_eq!(happy.urgency, 0.0);

    // Unknown followers and no engagement: the text decides alone.
    let unknown = s.score_post(&post(ANGRY, None, 0, 0, 0));
    assert_eq!(unknown.urgency, s.score_text(ANGRY).urgency);
    assert!(!unknown.reasons.iter().any(|r| r.starts_with("reach") || r.starts_with("engagement")));
}

#[test]
fn momentum_between_polls_raises_urgency() {
    let s = scorer();
    let p = post("the app is down again and nobody answers", Some(300), 300, 30, 12);
    let still = s.score_post_with(
        &p,
        &History { previous_engagement: Some(342), minutes_since_previous: Some(10.0), ..History::default() },
    );
    let rising = s.score_post_with(
        &p,
        &History { previous_engagement: Some(2), minutes_since_previous: Some(10.0), ..History::default() },
    );
    assert!(rising.urgency > still.urgency, "{rising:?} vs {still:?}");
    assert!(rising.reasons.contains(&"momentum: +340 interactions in 10 min".to_string()), "{:?}", rising.reasons);
    assert!(!still.reasons.iter().any(|r| r.starts_with("momentum")), "no growth, no momentum: {:?}", still.reasons);
    // Unknown minutes or a shrinking count: no momentum.
    let unknown = s.score_post_with(&p, &History { previous_engagement: Some(2), ..History::default() });
    assert!(!unknown.reasons.iter().any(|r| r.starts_with("momentum")));
    // Momentum amplifies complaints only.
    let happy = post("thanks, you sorted it in minutes, brilliant", Some(300), 300, 30, 12);
    let h = History { previous_engagement: Some(0), minutes_since_previous: Some(5.0), author_recent_complaints: 5 };
    assert_eq!(s.score_post_with(&happy, &h).urgency, 0.0);
}

#[test]
fn repeat_complaints_raise_urgency_and_say_so() {
    let s = scorer();
    let p = post("still no refund for the cancelled order", None, 0, 0, 0);
    let first = s.score_post_with(&p, &History::default());
    let third = s.score_post_with(&p, &History { author_recent_complaints: 2, ..History::default() });
    assert!(third.urgency > first.urgency);
    assert!(third.reasons.contains(&"repeat: 3rd complaint this week".to_string()), "{:?}", third.reasons);
    assert!(!first.reasons.iter().any(|r| r.starts_with("repeat")));
    let many = s.score_post_with(&p, &History { author_recent_complaints: 20, ..History::default() });
    assert!(many.reasons.contains(&"repeat: 21st complaint this week".to_string()), "{:?}", many.reasons);
}

#[test]
fn thresholds_are_configurable() {
    let strict = ScoringSettings {
        urgency: UrgencyThresholds { critical: 0.95, high: 0.9, normal: 0.8 },
        ..ScoringSettings::default()
    };
    let s = Scorer::with_settings(&[], &strict).unwrap();
    let text = "3 hours on hold and still no refund";
    assert_eq!(scorer().score_text(text).level, Urgency::High);
    assert_eq!(s.score_text(text).level, Urgency::Low);
    assert_eq!(s.score_text(text).urgency, scorer().score_text(text).urgency);
}

#[test]
fn urgency_scales() {
    let t = UrgencyThresholds::default();
    assert_eq!(reach(0), 0.0);
    assert_eq!(reach(100), 0.0);
    assert!((reach(10_000) - 0.5).abs() < 1e-9);
    assert_eq!(reach(1_000_000), 1.0);
    assert_eq!(reach(u64::MAX), 1.0);
    assert_eq!(engagement(0), 0.0);
    assert!((engagement(999) - 1.0).abs() < 1e-9);
    assert_eq!(momentum(0, 10.0), 0.0);
    assert!((momentum(999, 60.0) - 1.0).abs() < 1e-9);
    assert_eq!(momentum(u64::MAX, 0.0), 1.0, "zero minutes counts as one");
    assert_eq!(level(t.critical, &t), Urgency::Critical);
    assert_eq!(level(t.critical - 1e-9, &t), Urgency::High);
    assert_eq!(level(t.high, &t), Urgency::High);
    assert_eq!(level(t.normal, &t), Urgency::Normal);
    assert_eq!(level(t.normal - 1e-9, &t), Urgency::Low);

    let loud = Audience { followers: Some(u64::MAX), interactions: u64::MAX };
    let signals = |compound: f64| urgency::Signals { compound, audience: Some(loud), ..Default::default() };
    let full = urgency::NEGATIVITY_WEIGHT + urgency::LOUDNESS_WEIGHT;
    assert!((urgency::urgency(&signals(-1.0), &t) - full).abs() < 1e-9);
    assert_eq!(urgency::urgency(&signals(1.0), &t), 0.0);
    assert_eq!(urgency::urgency(&signals(f64::NAN), &t), 0.0);
    assert!(urgency::urgency(&signals(-0.04), &t) < t.normal, "neutral stays low however loud");
    let mut last = -1.0;
    for i in 0..=100 {
        let u = urgency::urgency(&signals(-(i as f64) / 100.0), &t);
        assert!(u >= last && (0.0..=1.0).contains(&u));
        last = u;
    }
}

#[test]
fn formatting_helpers() {
    assert_eq!(compact(0), "0");
    assert_eq!(compact(950), "950");
    assert_eq!(compact(1_234), "1.2k");
    assert_eq!(compact(120_000), "120k");
    assert_eq!(compact(3_400_000), "3.4M");
    assert_eq!(ordinal(1), "1st");
    assert_eq!(ordinal(2), "2nd");
    assert_eq!(ordinal(3), "3rd");
    assert_eq!(ordinal(11), "11th");
    assert_eq!(ordinal(22), "22nd");
    assert_eq!(duration(10.0), "10 min");
    assert_eq!(duration(150.0), "2.5 h");
    assert_eq!(duration(4_320.0), "3 days");
    for (x, shown) in [(0.0, "0.00"), (-0.4767, "-0.48"), (0.999_96, "1.00"), (-1.0, "-1.00"), (0.005, "0.01")] {
        let mut s = String::new();
        push_two_decimals(&mut s, x);
        assert_eq!(s, shown);
    }
    assert_eq!(excerpt("  2 hrs\u{0} on\u{202e} hold\r\n "), "2 hrs on hold");
    assert_eq!(excerpt(&"a ".repeat(100)).chars().count(), MAX_EXCERPT_CHARS + 1);
}

#[test]
fn hostile_input() {
    let s = scorer();
    let huge = "the flight was delayed 3 hours and the staff were rude. ".repeat(2_000);
    assert!(huge.len() > 100_000);
    let score = s.score_post(&post(&huge, Some(u64::MAX), u64::MAX / 4, u64::MAX / 4, u64::MAX / 4));
    assert!((-1.0..=1.0).contains(&score.compound));
    assert!((0.0..=1.0).contains(&score.urgency));

    // Words between a negation and its word are shown: escaped, never raw.
    let score = s.score_text("never \u{0}\u{202e}\"<!channel>\r helpful");
    assert_eq!(score.label, Label::Negative);
    let reason = &score.reasons[0];
    assert!(!reason.contains('\u{0}') && !reason.contains('\r') && !reason.contains('\u{202e}'), "{reason}");

    let controls: String = (0u8..32).map(char::from).collect();
    for text in [
        "🤬🤬🤬",
        "🙄",
        "❤️❤️❤️",
        "e\u{301}\u{301}\u{301}",
        &"!".repeat(100_000),
        &"?".repeat(100_000),
        &"@".repeat(10_000),
        &"#".repeat(10_000),
        &"9".repeat(10_000),
        &"on hold ".repeat(20_000),
        &controls,
        "\u{E000}\u{E001} hours",
        "🏽🏽\u{fe0f}\u{200d}",
        "İSTANBUL ΣΊΣΥΦΟΣ 3 ώρες",
        "{|}<dur> .. ...",
    ] {
        let score = s.score_text(text);
        assert!((-1.0..=1.0).contains(&score.compound) && !score.reasons.is_empty(), "{text:?}");
        assert!((0.0..=1.0).contains(&score.urgency));
        for r in &score.reasons {
            assert!(!r.chars().any(|c| c.is_control()), "{r:?}");
        }
    }
    assert_eq!(s.score_text("🤬🤬🤬").label, Label::Negative);
    assert_eq!(s.score_text("🙄").label, Label::Negative);
    assert_eq!(s.score_text("❤️❤️❤️").label, Label::Positive);
}

#[test]
fn scorer_is_debug_send_and_sync() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Scorer>();
    assert!(format!("{:?}", scorer()).len() < 100_000);
}

#[test]
fn equal_settings_share_compiled_data() {
    use crate::config::ScoringSettings;
    let mut settings = ScoringSettings::default();
    settings.lexicon.insert("zorblax".into(), -2.0);
    let a = Scorer::with_settings(&[], &settings).unwrap();
    // Thresholds are applied per scorer: still the same compiled data.
    settings.urgency.high = 0.9;
    let b = Scorer::with_settings(&[], &settings).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a.core, &b.core));
    assert_eq!(a.sentiment().valence("zorblax"), Some(-2.0));
    // Other data compiles anew, and the first is untouched.
    settings.lexicon.insert("zorblax".into(), 2.0);
    let c = Scorer::with_settings(&[], &settings).unwrap();
    assert!(!std::sync::Arc::ptr_eq(&a.core, &c.core));
    assert_eq!(c.sentiment().valence("zorblax"), Some(2.0));
    assert_eq!(a.sentiment().valence("zorblax"), Some(-2.0));
}
