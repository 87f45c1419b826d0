//! Scorer tests: labels, urgency and levels, reasons, hostile input.

use chrono::{TimeZone, Utc};

use super::urgency::{engagement, reach, CRITICAL_FROM, HIGH_FROM, NORMAL_FROM};
use super::*;
use crate::domain::{Author, Engagement, ExternalId, Platform, Urgency};

fn post(text: &str, followers: Option<u64>, likes: u64, reposts: u64, replies: u64) -> Post {
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
    let s = Scorer::new();
    let good = s.score_text("VADER is smart, handsome, and funny.");
    assert!((good.compound - 0.8316).abs() < 1e-4);
    assert_eq!(good.label, Label::Positive);
    assert_eq!(good.level, Urgency::Low);
    assert_eq!(good.urgency, 0.0);

    let bad = s.score_text("VADER is not smart, handsome, nor funny.");
    assert_eq!(bad.label, Label::Negative);
    let mixed = s.score_text("The book was good, but the ending was terrible");
    assert!((mixed.compound - -0.4939).abs() < 1e-4);
    assert_eq!(mixed.label, Label::Negative);
}

#[test]
fn empty_text_is_neutral_and_low() {
    let s = Scorer::new();
    let score = s.score_text("");
    assert_eq!(score.compound, 0.0);
    assert_eq!(score.label, Label::Neutral);
    assert_eq!(score.urgency, 0.0);
    assert_eq!(score.level, Urgency::Low);
    assert!(score.topics.is_empty());
    assert_eq!(score.reasons, ["sentiment: neutral (0.00)"]);
}

#[test]
fn reasons_name_the_strongest_words() {
    let s = Scorer::new();
    let score = s.score_text("The crew was not helpful and the food was terrible");
    assert_eq!(score.label, Label::Negative);
    assert_eq!(score.reasons.len(), 1);
    let reason = &score.reasons[0];
    assert!(reason.starts_with("sentiment: negative (-0."), "{reason}");
    assert!(reason.contains("\"terrible\""), "{reason}");
    assert!(reason.contains("\"not helpful\""), "{reason}");

    let score = s.score_text("Thank you so much, the crew was wonderful 😀");
    assert!(score.reasons[0].starts_with("sentiment: positive (0."), "{:?}", score.reasons);
    assert!(score.reasons[0].contains("\"wonderful\""));
}

#[test]
fn text_alone_is_at_most_high() {
    let s = Scorer::new();
    let score = s.score_text("TERRIBLE!!! worst airline ever, I hate you, horrible, disgusting");
    assert!(score.compound < -0.9);
    assert!(score.urgency <= 0.7 + 1e-9);
    assert_eq!(score.level, Urgency::High);
    let mild = s.score_text("the wifi was a bit slow and annoying");
    assert!(mild.label == Label::Negative && mild.level <= Urgency::Normal, "{mild:?}");
}

#[test]
fn reach_and_engagement_raise_urgency_of_complaints() {
    let s = Scorer::new();
    let quiet = s.score_post(&post(ANGRY, Some(12), 0, 0, 0));
    let famous = s.score_post(&post(ANGRY, Some(120_000), 0, 0, 0));
    let viral = s.score_post(&post(ANGRY, Some(120_000), 250, 60, 30));
    assert_eq!(quiet.label, Label::Negative);
    assert!(quiet.urgency < famous.urgency && famous.urgency < viral.urgency);
    assert_eq!(viral.level, Urgency::Critical, "{viral:?}");
    assert_eq!(viral.reasons[1], "reach: 120k followers");
    assert_eq!(viral.reasons[2], "engagement: 340 interactions");
    assert_eq!(quiet.reasons[1..], ["reach: 12 followers"]);

    // Loud but happy is not urgent.
    let happy = s.score_post(&post("love @acmeair, best crew ever", Some(2_000_000), 5_000, 900, 100));
    assert_eq!(happy.label, Label::Positive);
    assert_eq!(happy.urgency, 0.0);
    assert_eq!(happy.level, Urgency::Low);

    // Unknown followers and no engagement: the text decides alone.
    let unknown = s.score_post(&post(ANGRY, None, 0, 0, 0));
    assert_eq!(unknown.urgency, s.score_text(ANGRY).urgency);
    assert_eq!(unknown.reasons.len(), 1);
}

#[test]
fn urgency_scales() {
    assert_eq!(reach(0), 0.0);
    assert_eq!(reach(100), 0.0);
    assert!((reach(10_000) - 0.5).abs() < 1e-9);
    assert_eq!(reach(1_000_000), 1.0);
    assert_eq!(reach(u64::MAX), 1.0);
    assert_eq!(engagement(0), 0.0);
    assert!((engagement(999) - 1.0).abs() < 1e-9);
    assert_eq!(engagement(u64::MAX), 1.0);

    assert_eq!(level(CRITICAL_FROM), Urgency::Critical);
    assert_eq!(level(CRITICAL_FROM - 1e-9), Urgency::High);
    assert_eq!(level(HIGH_FROM), Urgency::High);
    assert_eq!(level(NORMAL_FROM), Urgency::Normal);
    assert_eq!(level(NORMAL_FROM - 1e-9), Urgency::Low);

    let loud = Audience { followers: Some(u64::MAX), interactions: u64::MAX };
    assert_eq!(urgency(-1.0, Some(&loud)), 1.0);
    assert_eq!(urgency(1.0, Some(&loud)), 0.0);
    assert_eq!(urgency(f64::NAN, Some(&loud)), 0.0);
    assert!(urgency(-0.04, Some(&loud)) < NORMAL_FROM, "neutral stays low however loud");
    // Monotone in negativity and in loudness.
    let mut last = -1.0;
    for i in 0..=100 {
        let u = urgency(-(i as f64) / 100.0, Some(&Audience { followers: Some(5_000), interactions: 20 }));
        assert!(u >= last && (0.0..=1.0).contains(&u));
        last = u;
    }
}

#[test]
fn compact_counts() {
    assert_eq!(compact(0), "0");
    assert_eq!(compact(950), "950");
    assert_eq!(compact(1_000), "1k");
    assert_eq!(compact(1_234), "1.2k");
    assert_eq!(compact(120_000), "120k");
    assert_eq!(compact(3_400_000), "3.4M");
    assert_eq!(compact(u64::MAX), "18446744074B");
}

#[test]
fn hostile_input() {
    let s = Scorer::new();
    let huge = "the flight was delayed and the staff were rude. ".repeat(2_100);
    assert!(huge.len() > 100_000);
    let score = s.score_post(&post(&huge, Some(u64::MAX), u64::MAX / 4, u64::MAX / 4, u64::MAX / 4));
    assert!((-1.0..=1.0).contains(&score.compound));
    assert!((0.0..=1.0).contains(&score.urgency));

    // Words between a negation and its word are shown: escaped, never raw.
    let score = s.score_text("never \u{0}\u{202e}\"<!channel>\r helpful");
    assert_eq!(score.label, Label::Negative);
    let reason = &score.reasons[0];
    assert!(reason.contains("\\0\\u{202e}\\\"<!channel"), "{reason}");
    assert!(!reason.contains('\u{0}') && !reason.contains('\r') && !reason.contains('\u{202e}'), "{reason}");

    for text in ["🤬🤬🤬", "e\u{301}\u{301}\u{301}", &"!".repeat(100_000), &"?".repeat(100_000)] {
        let score = s.score_text(text);
        assert!((-1.0..=1.0).contains(&score.compound) && !score.reasons.is_empty());
    }
}

#[test]
fn scorer_is_debug_send_and_sync() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Scorer>();
    assert!(format!("{:?}", Scorer::new()).len() < 200);
}
