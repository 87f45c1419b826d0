//! Matcher tests: case, Unicode, word boundaries, multi-word terms,
//! handles and hashtags, excludes, overlaps, hostile input, offsets.

use super::normalize::{is_search_ready, normalize_pattern, NormalizedText};
use super::*;

fn brand(name: &str, terms: &[&str], exclude: &[&str]) -> Brand {
    Brand {
        name: BrandName::new(name),
        terms: terms.iter().map(|t| t.to_string()).collect(),
        exclude: exclude.iter().map(|t| t.to_string()).collect(),
        lexicon: Default::default(),
    }
}

fn acme() -> Matcher {
    Matcher::new(&[brand("Acme Air", &["acme air", "@acmeair", "#acmeair"], &["acme air show"])])
}

/// The terms of `brand` that hit `text`.
fn terms(m: &Matcher, text: &str, brand: &str) -> Vec<String> {
    m.find(text).into_iter().find(|h| h.brand.as_str() == brand).map(|h| h.terms).unwrap_or_default()
}

fn hits(m: &Matcher, text: &str) -> bool {
    !m.find(text).is_empty()
}

#[test]
fn matches_case_insensitively() {
    let m = Matcher::new(&[brand("Acme", &["acme"], &[])]);
    for text in ["acme", "ACME", "Acme rocks", "I like AcMe.", "(acme)"] {
        assert!(hits(&m, text), "{text:?}");
    }
}

#[test]
fn respects_word_boundaries_on_both_sides() {
    let m = Matcher::new(&[brand("Acme", &["acme"], &[])]);
    for text in ["acmeist", "bigacme", "bigacmeist", "acme2", "acme_air", "x_acme"] {
        assert!(!hits(&m, text), "{text:?} should not match");
    }
    for text in ["acme's", "acme-air", "acme/air", "\"acme\"", "acme…", "¡acme!", "acme.com"] {
        assert!(hits(&m, text), "{text:?} should match");
    }
}

#[test]
fn multi_word_terms_match_across_whitespace_and_hyphens() {
    let m = acme();
    for text in [
        "Acme Air's lounge",
        "ACME AIR!",
        "acme-air",
        "acme - air",
        "acme   air",
        "acme\nair",
        "acme\t \r\n air",
        "acme\u{a0}air",
        "acme\u{2003}air",
        "  acme air  ",
    ] {
        assert_eq!(terms(&m, text, "Acme Air"), ["acme air"], "{text:?}");
    }
    for text in ["acmeair", "acme, air", "acme.air", "acme airline", "bigacme air"] {
        assert!(!terms(&m, text, "Acme Air").contains(&"acme air".to_string()), "{text:?}");
    }
    // A hyphenated term is the same term with a space.
    let m = Matcher::new(&[brand("T", &["T-Mobile"], &[])]);
    for text in ["t-mobile", "T Mobile", "T\u{2010}Mobile", "t--mobile"] {
        assert_eq!(terms(&m, text, "T"), ["T-Mobile"], "{text:?}");
    }
}

#[test]
fn handles_and_hashtags() {
    let m = acme();
    assert_eq!(terms(&m, "thanks @AcmeAir!", "Acme Air"), ["@acmeair"]);
    assert_eq!(terms(&m, "#ACMEAIR fail", "Acme Air"), ["#acmeair"]);
    assert!(!hits(&m, "acmeair"), "the @ and # are part of those terms");
    assert!(!hits(&m, "mail x@acmeair.com"), "an e-mail address is not a handle");
    assert!(!hits(&m, "@acmeairlines"));

    // A plain term finds the handle and the hashtag: @ and # are boundaries.
    let m = Matcher::new(&[brand("Acme", &["acmeair"], &[])]);
    for text in ["@acmeair", "#AcmeAir", "acmeair.com", "(#acmeair)", "❤️@acmeair"] {
        assert!(hits(&m, text), "{text:?}");
    }
}

#[test]
fn excludes_veto_overlapping_hits_only() {
    let m = acme();
    assert!(!hits(&m, "the acme air show was fun"));
    assert!(!hits(&m, "The ACME-AIR  Show was fun"));
    assert_eq!(terms(&m, "acme air lost my bag, unlike the acme air show", "Acme Air"), ["acme air"]);
    // The exclude must be a whole phrase itself.
    assert!(hits(&m, "acme air showed up late"));

    // An exclude that contains the term from the left.
    let m = Matcher::new(&[brand("Apple", &["apple"], &["big apple"])]);
    assert!(!hits(&m, "visiting the Big Apple"));
    assert!(hits(&m, "apple support in the big apple is slow"));
}

#[test]
fn excludes_are_per_brand() {
    let m = Matcher::new(&[
        brand("Acme Air", &["acme air"], &["acme air show"]),
        brand("Air Shows Inc", &["acme air show"], &[]),
    ]);
    let found = m.find("the acme air show was fun");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].brand.as_str(), "Air Shows Inc");
}

#[test]
fn overlapping_terms_are_all_found() {
    let m = Matcher::new(&[brand("Acme", &["acme air", "acme", "air"], &[])]);
    assert_eq!(terms(&m, "ACME AIR", "Acme"), ["acme air", "acme", "air"]);
    assert_eq!(terms(&m, "air acme", "Acme"), ["acme", "air"], "config order, not text order");
}

#[test]
fn same_term_in_two_brands_hits_both() {
    let m = Matcher::new(&[
        brand("Acme Air", &["acme"], &[]),
        brand("Acme Rail", &["rail", "ACME"], &[]),
        brand("Other", &["other"], &[]),
    ]);
    let found = m.find("acme everywhere");
    assert_eq!(
        found,
        [
            BrandHit { brand: BrandName::new("Acme Air"), terms: vec!["acme".into()] },
            BrandHit { brand: BrandName::new("Acme Rail"), terms: vec!["ACME".into()] },
        ]
    );
}

#[test]
fn terms_are_deduplicated_in_config_order() {
    let m = Matcher::new(&[brand("Acme", &["Acme Air", "acme", "acme  air", "ACME AIR", "acme"], &[])]);
    assert_eq!(terms(&m, "acme air acme air acme", "Acme"), ["Acme Air", "acme"]);
    assert_eq!(m.pattern_count(), 2);
}

#[test]
fn unicode_case_width_and_composition() {
    let m = Matcher::new(&[brand("Café", &["café crème", "ÄCME"], &[])]);
    for text in [
        "CAFÉ CRÈME",
        "Café Crème",
        "cafe\u{301} cre\u{300}me", // decomposed
        "ｃａｆé ｃｒèｍｅ",        // fullwidth
    ] {
        assert_eq!(terms(&m, text, "Café"), ["café crème"], "{text:?}");
    }
    assert_eq!(terms(&m, "äcme", "Café"), ["ÄCME"]);
    assert!(!hits(&m, "cafe creme"), "accents count");

    let m = Matcher::new(&[brand("Acme", &["acme"], &[])]);
    assert!(hits(&m, "ＡＣＭＥ"));
    assert!(!hits(&m, "acmé"));
    assert!(!hits(&m, "acme\u{301}"), "a combining accent makes another word");
    assert!(!hits(&m, "acme\u{20dd}"), "a mark that does not compose still belongs to the word");
    assert!(hits(&m, "acme\u{fe0f}"), "a variation selector is not part of a word");
    assert!(!hits(&m, "ŝacme"));

    let m = Matcher::new(&[brand("Straße", &["STRASSE", "ΣΟΦΊΑ"], &[])]);
    assert!(hits(&m, "strasse"));
    assert!(hits(&m, "σοφία"));
    assert!(hits(&m, "ΣΟΦΊΑ"));
}

#[test]
fn hostile_input() {
    let m = acme();
    assert!(m.find("").is_empty());
    assert!(m.find(" ").is_empty());
    assert!(m.find_spans("").is_empty());

    // Control characters and emoji are boundaries, not word characters.
    for text in ["\u{0}acme air\u{7}", "\u{1b}[31m acme air\u{1b}[0m", "😡acme air😡", "🇺🇸 acme air 👨‍👩‍👧"]
    {
        assert!(hits(&m, text), "{text:?}");
    }
    assert!(!hits(&m, "\u{0}\u{1}\u{2}\u{fffd}\u{feff}"));
    assert!(!hits(&m, &"\u{301}".repeat(10_000)));
    // An escape sequence's final letter touches the word: no boundary.
    assert!(!hits(&m, "\u{1b}[31macme air"));

    // 100 kB: no hit, one hit at the end, hits everywhere, one huge word.
    let filler = "lorem ipsum dolor sit amet, ".repeat(4_000);
    assert!(filler.len() >= 100_000);
    assert!(!hits(&m, &filler));
    assert!(hits(&m, &format!("{filler}ACME\n\nAIR")));
    let dense = "acme air show, acme air! ".repeat(4_000);
    assert_eq!(terms(&m, &dense, "Acme Air"), ["acme air"]);
    let vetoed = "the acme air show ".repeat(6_000);
    assert!(!hits(&m, &vetoed));
    assert!(!hits(&m, &"a".repeat(100_000)));
    assert!(!hits(&m, &"acme".repeat(25_000)));
    let spaced = format!("acme{}air", " ".repeat(100_000));
    assert!(hits(&m, &spaced));
}

#[test]
fn spans_point_into_the_original_text() {
    let m = acme();
    let text = "Ｈｉ ＡＣＭＥ\u{3000}\u{3000}Ａｉｒ, and @AcmeAir and acme\n\n air.";
    let spans = m.find_spans(text);
    let found: Vec<&str> = spans.iter().map(|h| &text[h.span.clone()]).collect();
    assert_eq!(found, ["ＡＣＭＥ\u{3000}\u{3000}Ａｉｒ", "@AcmeAir", "acme\n\n air"]);
    assert_eq!(spans[1].term, "@acmeair");
    assert!(spans.iter().all(|h| h.brand.as_str() == "Acme Air"));

    // Fast path (ASCII, one space): offsets are the text's own.
    let text = "so, ACME AIR lost it";
    let spans = m.find_spans(text);
    assert_eq!(spans.len(), 1);
    assert_eq!(&text[spans[0].span.clone()], "ACME AIR");

    // Decomposed accents: the span covers the marks.
    let m = Matcher::new(&[brand("Café", &["café"], &[])]);
    let text = "at CAFE\u{301}!";
    let spans = m.find_spans(text);
    assert_eq!(&text[spans[0].span.clone()], "CAFE\u{301}");
}

#[test]
fn fast_and_normalised_paths_agree() {
    let m = Matcher::new(&[
        brand("Acme Air", &["acme air", "@acmeair", "#acmeair", "acme"], &["acme air show"]),
        brand("Globex", &["globex", "globex corp"], &[]),
        brand("Café", &["café"], &[]),
    ]);
    let texts = [
        "acme air lost my bag",
        "ACME AIR lost my bag, unlike the acme air show",
        "@acmeair #acmeair acmeist globex corp",
        "Globex corp and café 😀 and acme",
        "nothing to see",
        "acme air show",
        "the café is ok",
    ];
    for text in texts {
        // Force the slow path: the normalised copy of an already normal text.
        let normal = NormalizedText::new(text);
        assert_eq!(normal.text, text.to_lowercase(), "{text:?}");
        assert!(is_search_ready(text, true), "{text:?}");
        let a = m.find(text);
        let b = m.find(&normal.text);
        assert_eq!(a, b, "{text:?}");
    }
}

#[test]
fn normal_form() {
    assert_eq!(normalize_pattern("  Acme   AIR "), "acme air");
    assert_eq!(normalize_pattern("T-Mobile"), "t mobile");
    assert_eq!(normalize_pattern("ＡＣＭＥ"), "acme");
    assert_eq!(normalize_pattern("ﬁne"), "fine");
    assert_eq!(normalize_pattern("cafe\u{301}"), "café");
    assert!(!is_search_ready("acme  air", true));
    assert!(is_search_ready("acme  air", false));
    assert!(!is_search_ready("acme\nair", true));
    assert!(is_search_ready("Acme air 😀 é", true));
    assert!(!is_search_ready("Éclair", true));
    assert!(!is_search_ready("cafe\u{301}", false));
    assert!(!is_search_ready("ＡＣＭＥ", false));
}

#[test]
fn no_brands_no_hits() {
    let m = Matcher::new(&[]);
    assert!(m.find("acme air").is_empty());
    assert_eq!(m.pattern_count(), 0);
    let m = Matcher::new(&[brand("Blank", &["   "], &[" - "])]);
    assert!(m.find("   -   ").is_empty());
    assert_eq!(m.pattern_count(), 0);
}

#[test]
fn matcher_is_debug_send_and_sync() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Matcher>();
    let debug = format!("{:?}", acme());
    assert!(debug.contains("Acme Air") && debug.len() < 200, "{debug}");
}
