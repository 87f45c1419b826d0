//! Tests for the VADER implementation. Expected compounds come from the
//! reference Python package (vaderSentiment 3.3.2) run on the same text.

use super::*;

fn analyzer() -> SentimentAnalyzer {
    SentimentAnalyzer::new()
}

/// Asserts our compound equals the reference's (both rounded to 4 places).
fn assert_reference(a: &SentimentAnalyzer, text: &str, python: f64) {
    let ours = a.compound(text);
    assert!((ours - python).abs() < 1e-4, "{text:?}: ours {ours}, python {python}");
}

#[test]
fn embedded_lexicons_parse_cleanly() {
    let lexicon = Lexicon::embedded();
    assert_eq!(lexicon.skipped_lines(), 0);
    // 7,520 lines with 14 duplicate keys (the reference's dict has 7,506).
    assert_eq!(lexicon.word_count(), 7_506);
    assert_eq!(lexicon.valence("good"), Some(1.9));
    assert_eq!(lexicon.valence("horrible"), Some(-2.5));
    assert_eq!(lexicon.valence(":)"), Some(2.0));
    assert_eq!(lexicon.emoji('😡'), Some("pouting face"));
    assert_eq!(lexicon.emoji('a'), None);
    assert!(lexicon.emoji_count() > 1_000);
    // The key hash spreads the words: no long probe chains.
    assert!(lexicon.longest_probe() <= 16, "longest probe {}", lexicon.longest_probe());
}

#[test]
fn word_keys_pack_lower_and_find_words() {
    use super::keys::{KeyTable, WordKey};
    let text = "xx Hello, WORLD-WIDE-WEB-SITE don't";
    let key = |start: usize, len: usize| WordKey::packed(text.as_bytes(), start, len);
    assert_eq!(key(3, 5).ascii_lowercase(), WordKey::of("hello").unwrap());
    assert_ne!(key(3, 5), WordKey::of("hello").unwrap());
    assert_eq!(key(10, 15).ascii_lowercase(), WordKey::of("world-wide-web-").unwrap());
    // Near the end of the text the load is padded, not out of bounds.
    assert_eq!(key(text.len() - 5, 5), WordKey::of("don't").unwrap());
    assert!(key(text.len() - 5, 5).contracted());
    assert!(!WordKey::of("dont").unwrap().contracted());
    assert_eq!(WordKey::of(""), None);
    assert_eq!(WordKey::of("sixteen-letters!"), None);
    // A zero byte inside a word is not padding.
    assert_ne!(WordKey::of("a\0"), WordKey::of("a"));
    let table = KeyTable::new(&[(WordKey::of("good").unwrap(), 1u8), (WordKey::of("bad").unwrap(), 2)]);
    assert_eq!(table.get(WordKey::of("good").unwrap()), Some(&1));
    assert_eq!(table.get(WordKey::of("bad").unwrap()), Some(&2));
    assert_eq!(table.get(WordKey::of("ugly").unwrap()), None);
}

#[test]
fn rule_words_are_read_whatever_their_case() {
    let a = analyzer();
    // "BUT" weighs the halves as "but" does; "NO" and "Least" negate.
    assert_eq!(
        a.compound("The food was GOOD BUT the service was TERRIBLE"),
        a.compound("The food was GOOD but the service was TERRIBLE")
    );
    assert_eq!(a.compound("No good"), a.compound("no good"));
    assert_eq!(a.compound("Least good"), a.compound("least good"));
}

#[test]
fn classic_vader_examples_match_the_reference() {
    let a = analyzer();
    for (text, python) in [
        ("VADER is smart, handsome, and funny.", 0.8316),
        ("VADER is smart, handsome, and funny!", 0.8439),
        ("VADER is very smart, handsome, and funny.", 0.8545),
        ("VADER is VERY SMART, handsome, and FUNNY.", 0.9227),
        ("VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342),
        ("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.9469),
        ("VADER is not smart, handsome, nor funny.", -0.7424),
        ("The book was good.", 0.4404),
        ("At least it isn't a horrible book.", 0.431),
        ("The book was only kind of good.", 0.3832),
        ("The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042),
        ("Today SUX!", -0.5461),
        ("Today only kinda sux! But I'll get by, lol", 0.5249),
        ("Make sure you :) or :D today!", 0.8633),
        ("Not bad at all", 0.431),
        ("The book was good, but the ending was terrible", -0.4939),
    ] {
        assert_reference(&a, text, python);
    }
}

#[test]
fn tricky_sentences_match_the_reference() {
    let a = analyzer();
    for (text, python) in [
        ("Sentiment analysis has never been good.", -0.3412),
        ("Sentiment analysis has never been this good!", 0.5672),
        ("Most automated sentiment analysis tools are shit.", -0.5574),
        ("With VADER, sentiment analysis is the shit!", 0.6476),
        ("Other sentiment analysis tools can be quite bad.", -0.5849),
        ("On the other hand, VADER is quite bad ass", 0.802),
        ("VADER is such a badass!", 0.4003),
        ("Without a doubt, excellent idea.", 0.7013),
        ("Roger Dodger is one of the most compelling variations on this theme.", 0.2944),
        ("Roger Dodger is at least compelling as a variation on the theme.", 0.2263),
        ("Roger Dodger is one of the least compelling variations on this theme.", -0.1695),
        ("Not such a badass after all.", -0.2584),
        ("Without a doubt, an excellent idea.", 0.7013),
        ("No problem at all", 0.3089),
        ("no good", -0.3412),
        ("this is not bad", 0.431),
        ("kind of good", 0.4404),
        ("he is kind of sad", -0.5256),
        ("least good", -0.3412),
        ("at least good", 0.4404),
        ("very least good", 0.4902),
        ("the bomb food", -0.4939),
        ("It was the worst, kinda bad", -0.8078),
    ] {
        assert_reference(&a, text, python);
    }
}

#[test]
fn caps_emphasise_only_in_mixed_case_text() {
    let a = analyzer();
    assert_reference(&a, "The service was GOOD", 0.5622);
    // All caps: no word stands out, so no emphasis.
    assert_reference(&a, "THE SERVICE WAS GOOD", 0.4404);
    assert!(a.compound("The service was GOOD") > a.compound("The service was good"));
}

#[test]
fn exclamation_marks_amplify_up_to_four() {
    let a = analyzer();
    assert_reference(&a, "I love my flight!!!!!!", 0.7482);
    let one = a.compound("I love my flight!");
    let three = a.compound("I love my flight!!!");
    let four = a.compound("I love my flight!!!!");
    let nine = a.compound("I love my flight!!!!!!!!!");
    assert!(a.compound("I love my flight") < one && one < three && three < four);
    assert_eq!(four, nine);
    // Emphasis pushes away from zero on the negative side too.
    assert!(a.compound("I hate my flight!!!") < a.compound("I hate my flight"));
}

#[test]
fn question_marks_amplify_from_two() {
    let a = analyzer();
    assert_reference(&a, "Is this good??", 0.504);
    assert_reference(&a, "Is this good????", 0.594);
    assert_eq!(a.compound("Is this good?"), a.compound("Is this good"));
}

#[test]
fn negation_flips_and_dampens() {
    let a = analyzer();
    assert!(a.compound("the crew was helpful") > 0.05);
    assert!(a.compound("the crew was not helpful") < -0.05);
    assert!(a.compound("the crew wasn't helpful") < -0.05);
    assert!(a.compound("the crew was never helpful") < -0.05);
    assert!(a.compound("never so good") > a.compound("good"));
    let s = a.analyze("the crew was not helpful at all");
    assert_eq!(s.drivers[0].phrase, "not helpful");
}

#[test]
fn emoji_read_through_their_descriptions() {
    let a = analyzer();
    assert_reference(&a, "Catch utf-8 emoji such as 💘 and 💋 and 😁", 0.875);
    assert_reference(&a, "I hate it 😡", -0.5719);
    assert_reference(&a, "😠😠", -0.765);
    assert_reference(&a, "worst airline ever 🤬", -0.6249);
    assert_reference(&a, "thanks so much 🙏 ❤", 0.7964);
    // Known gap, as in the reference: 😡 is "pouting face", and no word of
    // that is rated. Service cues (a later issue) should cover it.
    assert_reference(&a, "😡😡😡", 0.0);
    // Unlike the reference, the variation selector does not hide the heart.
    assert!(a.compound("great ❤️") > a.compound("great"));
    let s = a.analyze("flight delayed again 😠");
    assert!(s.compound < -0.05);
    assert_eq!(s.drivers[0].phrase, "😠");
}

#[test]
fn an_emoji_the_overlay_rates_reads_as_itself() {
    // The reference reads 🔥 as "fire" (-1.4); in posts it is praise.
    assert!(analyzer().compound("the new app is 🔥") < -0.05);
    let a = SentimentAnalyzer::with_overlay([(Cow::Borrowed("🔥"), Some(2.0))]);
    let s = a.analyze("the new app is 🔥🔥");
    assert!(s.compound > 0.5, "{s:?}");
    assert_eq!(s.drivers[0].phrase, "🔥");
    // The words of its description keep their valence, other emoji theirs.
    assert!(a.compound("the house is on fire") < -0.05);
    assert_eq!(a.compound("worst airline ever 🤬"), analyzer().compound("worst airline ever 🤬"));
    // Made unrated, it counts nothing.
    let unrated = SentimentAnalyzer::with_overlay([(Cow::Borrowed("🔥"), None)]);
    assert_eq!(unrated.compound("🔥🔥🔥"), 0.0);
}

#[test]
fn empty_and_blank_text_is_neutral() {
    let a = analyzer();
    for text in ["", " ", "\n\t  \r\n", "...", "acme air 123"] {
        let s = a.analyze(text);
        assert_eq!(s.compound, 0.0, "{text:?}");
        assert!(s.drivers.is_empty());
        assert_eq!(label(s.compound), Label::Neutral);
    }
}

#[test]
fn labels_use_the_published_thresholds() {
    assert_eq!(label(0.05), Label::Positive);
    assert_eq!(label(0.0499), Label::Neutral);
    assert_eq!(label(-0.0499), Label::Neutral);
    assert_eq!(label(-0.05), Label::Negative);
}

#[test]
fn drivers_name_the_strongest_words_on_the_winning_side() {
    let a = analyzer();
    let s = a.analyze("@acmeair lost my bag again, never flying with you again. terrible service");
    assert!((s.compound - -0.6597).abs() < 1e-4);
    let phrases: Vec<&str> = s.drivers.iter().map(|d| d.phrase.as_str()).collect();
    assert_eq!(phrases, ["terrible", "lost"]);
    assert!(s.drivers.iter().all(|d| d.valence < 0.0));
    let s = a.analyze("good good good good");
    assert_eq!(s.drivers.len(), 1, "duplicates collapse: {:?}", s.drivers);
}

#[test]
fn hostile_input_is_handled() {
    let a = analyzer();
    let big = "terrible service, want a refund now. ".repeat(100_000 / 37 + 1);
    assert!(big.len() >= 100_000);
    let s = a.analyze(&big);
    assert!((-1.0..=-0.05).contains(&s.compound));
    assert!(s.drivers.len() <= MAX_DRIVERS);

    let word = "x".repeat(100_000);
    assert_eq!(a.compound(&word), 0.0);
    let s = a.analyze(&format!("not {}good", "!".repeat(100_000)));
    assert!(s.drivers.iter().all(|d| d.phrase.chars().count() <= MAX_PHRASE_CHARS + 1));

    for text in [
        "\u{0}\u{1}\u{7}bad\u{1b}[31m",
        "good\u{0}",
        "\u{202e}terrible\u{202c}",
        "e\u{301}\u{301}\u{301}\u{301} good",
        "🏽🏽\u{fe0f}\u{200d}",
        "\u{1c}good\u{1f}",
        "İSTANBUL ΣΊΣΥΦΟΣ good",
    ] {
        let c = a.compound(text);
        assert!((-1.0..=1.0).contains(&c), "{text:?}");
    }
}

#[test]
fn analyzer_is_send_and_sync() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<SentimentAnalyzer>();
}

/// Our compound against the Python reference's on the first 500 tweets of
/// the VADER ground truth (fixtures written by `benches/vader_parity.py`).
#[test]
fn parity_with_python_vader() {
    const TEXTS: &str = include_str!("../../../tests/fixtures/vader/tweets_500.txt");
    const PYTHON: &str = include_str!("../../../tests/fixtures/vader/tweets_500_python.tsv");
    let python: std::collections::HashMap<&str, f64> = PYTHON
        .lines()
        .filter_map(|l| {
            let (id, compound) = l.trim_end().split_once('\t')?;
            Some((id, compound.parse().ok()?))
        })
        .collect();
    let a = analyzer();
    let (mut total, mut agree, mut exact) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for line in TEXTS.lines() {
        let line = line.trim_end_matches('\r');
        let mut fields = line.splitn(3, '\t');
        let (Some(id), Some(_rating), Some(text)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let expected = python[id];
        let ours = a.compound(text);
        total += 1;
        if (ours - expected).abs() <= 0.05 {
            agree += 1;
        } else {
            misses.push(format!("{id}: ours {ours} python {expected}: {text}"));
        }
        if (ours - expected).abs() < 1e-4 {
            exact += 1;
        }
    }
    assert_eq!(total, 500);
    let share = agree as f64 / total as f64;
    println!(
        "VADER parity: {agree}/{total} ({:.1}%) within 0.05 of Python, {exact} identical to 4 places",
        share * 100.0
    );
    for miss in &misses {
        println!("  miss {miss}");
    }
    assert!(share >= 0.95, "only {:.1}% within 0.05", share * 100.0);
}
