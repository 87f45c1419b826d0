//! Social text: handles, URLs, e-mails, hashtags and brand names must not
//! move the score; a brand's lexicon applies to posts that name it.

use std::collections::BTreeMap;

use super::{post, scorer};
use crate::config::Brand;
use crate::domain::Label;
use crate::pipeline::scorer::social::{clean, split_after_spaces, upper_case_at, BrandTerms};
use crate::pipeline::{Pipeline, Scorer};

fn cleaned(text: &str, brands: &[Brand]) -> String {
    let s = scorer();
    let data = &s.core.data;
    let mut out = String::new();
    clean(text, &mut out, &BrandTerms::new(brands), s.sentiment(), &data.names);
    out
}

#[test]
fn handles_urls_and_emails_are_blanked() {
    assert_eq!(cleaned("@JoyTelecom hi", &[]).trim(), "hi");
    assert_eq!(
        cleaned("see https://joy.example/happy-days now", &[]).split_whitespace().collect::<Vec<_>>(),
        ["see", "now"]
    );
    assert_eq!(cleaned("www.happy.example is down", &[]).split_whitespace().collect::<Vec<_>>(), ["is", "down"]);
    assert_eq!(
        cleaned("mail joy@happy.example please", &[]).split_whitespace().collect::<Vec<_>>(),
        ["mail", "please"]
    );
    assert_eq!(cleaned("(@Wish) and @best_buy,", &[]).split_whitespace().collect::<Vec<_>>(), ["(", ")", "and", ","]);
    let s = scorer();
    for text in ["@JoyTelecom", "@Happy", "@Wish @Best @Love", "http://great.example/love", "@JoyTelecom 🙂"] {
        let base = text.replace("🙂", "").trim().to_string();
        let score = s.score_text(&base);
        assert_eq!(score.label, Label::Neutral, "{text:?}: {score:?}");
    }
}

#[test]
fn a_regulators_handle_reads_as_the_regulator() {
    assert_eq!(cleaned("@FinOmbudsman @JoyBank", &[]).split_whitespace().collect::<Vec<_>>(), ["regulator"]);
    assert_eq!(
        cleaned("cc @Ofgem, please", &[]).split_whitespace().collect::<Vec<_>>(),
        ["cc", "regulator", ",", "please"]
    );
    // Only a handle: the word itself, an e-mail and a company stay as they were.
    assert_eq!(cleaned("ofgem says", &[]).trim(), "ofgem says");
    assert_eq!(cleaned("help@ofgem.example", &[]).trim(), "");
    assert_eq!(cleaned("@JoyEnergy", &[]).trim(), "");
    let score = scorer().score_text("5 months, 14 calls, still no transfer @BrightPension @FinOmbudsman");
    assert!(score.reasons.iter().any(|r| r.starts_with("cue: legal")), "{score:?}");
    assert_eq!(score.level, crate::domain::Urgency::Critical, "{score:?}");
}

#[test]
fn hashtags_read_as_words() {
    assert!(cleaned("#fail again", &[]).contains("fail again"));
    assert!(
        scorer().score_text("#NeverAgain").reasons.iter().any(|r| r.starts_with("cue: churn")),
        "camel case is one word, never-again is matched whole"
    );
    assert_eq!(scorer().score_text("#fail").label, Label::Negative);
}

#[test]
fn brand_names_that_are_sentiment_words_are_neutral() {
    let s = scorer();
    for text in [
        "I went to Best Buy today",
        "ordered from Wish last month",
        "we tried Happy Cow for dinner",
        "is Joy Telecom any good for a family plan?",
    ] {
        let score = s.score_text(text);
        assert_ne!(score.label, Label::Positive, "{text:?}: {score:?}");
    }
    // Greetings keep their sense.
    assert_eq!(s.score_text("wishing you a Happy Birthday").label, Label::Positive);
    // A configured brand is neutral however it is written.
    let joy = Brand::new("Joy Telecom", &["joy telecom", "@joytelecom", "#joytelecom", "joy"]);
    let branded = Scorer::with_brands(&[joy]);
    for text in ["joy telecom cut me off", "JOY!! no signal", "#JoyTelecom no signal"] {
        let score = branded.score_text(text);
        assert_ne!(score.label, Label::Positive, "{text:?}: {score:?}");
        assert!(!score.reasons[0].to_lowercase().contains("joy"), "{score:?}");
    }
    assert_eq!(branded.score_text("what a joy the new app is").label, Label::Neutral);
}

#[test]
fn brand_lexicon_applies_to_posts_that_name_the_brand() {
    let mut skate = Brand::new("Sick Skates", &["sick skates", "@sickskates"]);
    skate.lexicon = BTreeMap::from([("sick".to_string(), 2.0), ("wicked".to_string(), 2.5)]);
    let s = Scorer::with_brands(&[skate]);
    assert_eq!(s.score_text("@sickskates these boards are sick").label, Label::Positive);
    assert_eq!(s.score_text("this soup made me sick").label, Label::Negative, "other posts keep the lexicon");
    assert_eq!(s.score_text("wicked deck from sick skates").label, Label::Positive);
}

#[test]
fn pipeline_scores_with_the_brands() {
    let joy = Brand::new("Joy Telecom", &["joy telecom", "@joytelecom"]);
    let pipeline = Pipeline::new(&[joy]);
    let mentions = pipeline.process(&post("@JoyTelecom joy telecom is a joy to use", None, 0, 0, 0));
    assert_eq!(mentions.len(), 1);
    assert_eq!(mentions[0].score.label, Label::Positive, "{:?}", mentions[0].score);
    let mentions = pipeline.process(&post("joy telecom has no signal since 7am", None, 0, 0, 0));
    assert_eq!(mentions[0].score.label, Label::Negative);
    assert!(mentions[0].score.topics.contains(&"outage".to_string()));
}

#[test]
fn chunks_split_as_split_inclusive_does() {
    for text in [
        "",
        " ",
        "a",
        "a b",
        "  two  spaces  ",
        "tab\tnew\nline\r\nvt\u{b}ff\u{c}end",
        "\u{1c}info\u{1f}separators are not whitespace",
        "nbsp\u{a0}and\u{2003}em\u{3000}ideographic\u{85}next",
        "emoji 😡😡 and é accents ",
    ] {
        let ours: Vec<&str> = split_after_spaces(text).collect();
        let std: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
        assert_eq!(ours, std, "{text:?}");
    }
}

#[test]
fn upper_case_letters_are_found_eight_bytes_at_a_time() {
    for text in ["", "a", "A", "no capitals here at all", "Best Buy and ZAPPOS, Inc. @[\\]^ AZ az", "é É Ä x"] {
        let ours: Vec<usize> = upper_case_at(text.as_bytes()).collect();
        let expected: Vec<usize> = (0..text.len()).filter(|&i| text.as_bytes()[i].is_ascii_uppercase()).collect();
        assert_eq!(ours, expected, "{text:?}");
    }
}
