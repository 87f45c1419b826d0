//! The tokeniser, durations and the phrase compiler.

use std::collections::HashMap;

use super::scorer;
use crate::pipeline::scorer::phrases::{BookBuilder, Hit, MAX_EXPANSIONS};
use crate::pipeline::scorer::text::{ascii_path_agrees, Kind, MatchText};

fn words(text: &str) -> Vec<String> {
    let t = MatchText::new(text);
    (0..t.tokens.len()).map(|i| t.word(i).to_string()).collect()
}

#[test]
fn ascii_posts_read_as_the_character_path_reads_them() {
    for text in [
        "",
        "Can't log in!!",
        "charged 34.99 x2, 1,000.5 and 3'5 or 3`5",
        "the 3rd email 3rds 21st2 4TH",
        "don't'' it's` 'quoted' rock'n'roll dogs' end'",
        "why?? ok. fine...\nnext;line !? ?! a.b 1.a 1..2 2.,3",
        "  spaced\tout\r\nWORDS  ",
        "2hrs 90min an hour and a half, 2-3 days",
        "x'",
        "'",
        "a",
    ] {
        assert!(ascii_path_agrees(text), "{text:?}");
    }
}

#[test]
fn tokens_are_lower_case_words_numbers_durations_and_breaks() {
    assert_eq!(words("Can't log in!!"), [".", "cant", "log", "in", "."]);
    assert_eq!(words("charged £34.99 x2"), [".", "charged", "_num", "x", "_num", "."]);
    assert_eq!(words("the 3rd email"), [".", "the", "3rd", "email", "."]);
    assert_eq!(words("no-show"), [".", "no", "show", "."]);
    assert_eq!(words("why?? ok. fine"), [".", "why", ".", "ok", ".", "fine", "."]);
    assert_eq!(words("ÉCHEC 😡 total"), [".", "échec", "😡", "total", "."]);
    assert_eq!(words(""), [".", "."]);
    let t = MatchText::new("really? yes!");
    assert!(t.tokens[2].question && !t.tokens[4].question);
}

#[test]
fn durations_are_one_token_with_minutes() {
    for (text, minutes) in [
        ("90 min", 90.0),
        ("2hrs", 120.0),
        ("1 hr 20", 80.0),
        ("an hour and a half", 90.0),
        ("half an hour", 30.0),
        ("a couple of days", 2_880.0),
        ("3 weeks", 30_240.0),
        ("2-3 days", 4_320.0),
        ("5 working days", 7_200.0),
        ("hours", 120.0),
    ] {
        let t = MatchText::new(text);
        let durations: Vec<f32> = t.tokens.iter().filter(|t| t.kind == Kind::Dur).map(|t| t.minutes).collect();
        assert_eq!(durations, [minutes], "{text}");
        assert_eq!(t.tokens.len(), 3, "{text}: one duration between the breaks");
    }
    for text in ["between 8-12", "a day off", "day 9", "3 times"] {
        let t = MatchText::new(text);
        let dur = t.tokens.iter().any(|t| t.kind == Kind::Dur);
        assert_eq!(dur, text == "a day off", "{text}");
    }
}

#[test]
fn sentences_and_but() {
    let t = MatchText::new("a b. c but d");
    assert!(t.same_sentence(1, 2));
    assert!(!t.same_sentence(1, 4));
    assert_eq!(t.first_but().map(|i| t.word(i).to_string()), Some("but".into()));
}

fn find(patterns: &[&str], text: &str) -> Vec<(u32, String)> {
    let mut b = BookBuilder::default();
    let macros = HashMap::from([("x".to_string(), "{one|two words}".to_string())]);
    for (tag, p) in patterns.iter().enumerate() {
        b.add(p, &macros, tag as u32).unwrap();
    }
    let book = b.build();
    let t = MatchText::new(text);
    let mut hits: Vec<Hit> = Vec::new();
    book.find(&t, &mut hits);
    let mut out: Vec<(u32, String)> = hits
        .iter()
        .map(|h| (h.tag, (h.first..=h.last).map(|i| t.word(i as usize)).collect::<Vec<_>>().join(" ")))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn patterns_alternatives_gaps_macros_breaks() {
    assert_eq!(find(&["on hold"], "ON HOLD again"), [(0, "on hold".into())]);
    assert_eq!(
        find(&["{still|} no refund"], "still no refund"),
        [(0, "no refund".into()), (0, "still no refund".into())]
    );
    assert_eq!(find(&["charged .. twice"], "charged my card twice"), [(0, "charged my card twice".into())]);
    assert!(find(&["charged .. twice"], "charged a b c d twice").is_empty(), "gap of 3 at most");
    assert_eq!(find(&["charged ... twice"], "charged a b c d twice").len(), 1);
    assert!(find(&["charged .. twice"], "charged. twice").is_empty(), "never across a sentence");
    assert_eq!(find(&["<x> more"], "two words more"), [(0, "two words more".into())]);
    assert_eq!(find(&["<dur> on hold"], "2 hours on hold"), [(0, "_dur on hold".into())]);
    assert_eq!(find(&["_num times"], "3 times"), [(0, "_num times".into())]);
    assert_eq!(find(&[". great ."], "waited. Great."), [(0, ". great .".into())]);
    assert!(find(&[". great ."], "great service").is_empty());
    assert_eq!(find(&["{two|three} {days|weeks} late"], "three weeks late"), [(0, "_dur late".into())]);
    assert_eq!(find(&["can't", "cant"], "can't"), [(0, "cant".into()), (1, "cant".into())]);
    // Overlapping patterns all report.
    assert_eq!(find(&["on hold", "hold music"], "on hold music").len(), 2);
    // Long alternative lists split into adjacent parts match the same.
    let names = |p: char| {
        (0..40u8)
            .map(|i| format!("{p}{}", char::from(b'a' + i % 26)).repeat(1 + usize::from(i / 26)))
            .collect::<Vec<_>>()
    };
    let many = format!("{{{}}} {{{}}} x", names('a').join("|"), names('b').join("|"));
    assert_eq!(find(&[&many], "ag bz x"), [(0, "ag bz x".into())]);
    assert!(find(&[&many], "ag zz bz x").is_empty());
}

#[test]
fn a_number_written_in_a_pattern_matches_only_itself() {
    // "section 75" is that section, not any: "EU 3 times", a camera
    // called "S330" or "S$128" once read as legal threats.
    let legal = ["{section 75|s75|eu261|eu 261}"];
    assert_eq!(find(&legal, "a section 75 claim"), [(0, "section _num".into())]);
    assert_eq!(find(&legal, "claim under S75"), [(0, "s _num".into())]);
    assert_eq!(find(&legal, "EU261 compensation"), [(0, "eu _num".into())]);
    for text in
        ["see section 4 of the form", "the canon s330", "charged S$128", "flew to the EU 3 times", "the 1990s 5 times"]
    {
        assert!(find(&legal, text).is_empty(), "{text:?}");
    }
    // `_num` and `<num>` still stand for any number, beside a written one
    // on the same words.
    let both = ["section _num", "section 75"];
    assert_eq!(find(&both, "section 75"), [(0, "section _num".into()), (1, "section _num".into())]);
    assert_eq!(find(&both, "section 4"), [(0, "section _num".into())]);
    // Ordinals and numbers glued to letters are words of their own or
    // numbers as written: "4g" is not "3g", "3rd" is a word.
    assert_eq!(find(&["{4g|5g} down"], "3G down"), []);
    assert_eq!(find(&["{4g|5g} down"], "4G down"), [(0, "_num g down".into())]);
    assert_eq!(find(&["3rd time"], "3rd time"), [(0, "3rd time".into())]);
    // A written number in a part of a pattern with gaps, and one a
    // duration is read from.
    assert_eq!(find(&["rated .. 1 star"], "rated it 1 star"), [(0, "rated it _num star".into())]);
    assert!(find(&["rated .. 1 star"], "rated it 5 star").is_empty());
    assert_eq!(find(&["{2|3} hours on hold"], "3 hours on hold"), [(0, "_dur on hold".into())]);
}

#[test]
fn pattern_errors() {
    let macros = HashMap::new();
    for bad in ["", "..", "a ..", ".. a", "{a|b", "a}", "<nope>", "{.. a}", "{|}"] {
        assert!(BookBuilder::default().add(bad, &macros, 0).is_err(), "{bad:?} should be refused");
    }
    let huge = "{k|l|n|o|p|q|r|t|u|v}".repeat(5);
    let e = BookBuilder::default().add(&huge.replace("}{", "} {"), &macros, 0);
    assert!(e.is_ok(), "products split into adjacent parts instead of blowing up");
    const _: () = assert!(MAX_EXPANSIONS >= 1_000);
}

#[test]
fn the_shipped_data_compiles_small() {
    let n = scorer().core.data.book.literal_count();
    assert!((1_000..60_000).contains(&n), "{n} literal phrases");
}
