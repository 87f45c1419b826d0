//! Differential tests: the matcher against a naive reading of its rules
//! (normalise the whole text, try every pattern at every character, check
//! both boundaries, veto by overlap) over many generated texts and configs:
//! case, Unicode forms, handles, hashtags, multi-word terms, excludes,
//! hyphens, odd spacing, patterns without a word character.

use super::normalize::{is_word_char, normalize_pattern, NormalizedText};
use super::*;

/// What the reference finds: `find`'s answer and `find_spans`' as
/// (brand, term, span) triples.
type Found = (Vec<BrandHit>, Vec<(String, String, Range<usize>)>);

fn reference(brands: &[Brand], text: &str) -> Found {
    let normal = NormalizedText::new(text);
    let hay = normal.text.as_str();
    let occurrences = |pattern: &str| -> Vec<Range<usize>> {
        if pattern.is_empty() {
            return Vec::new();
        }
        hay.char_indices()
            .map(|(i, _)| i)
            .filter(|&i| hay[i..].starts_with(pattern))
            .map(|i| i..i + pattern.len())
            .filter(|r| {
                !hay[..r.start].chars().next_back().is_some_and(is_word_char)
                    && !hay[r.end..].chars().next().is_some_and(is_word_char)
            })
            .collect()
    };
    let mut found = Vec::new();
    let mut spans = Vec::new();
    for (b, brand) in brands.iter().enumerate() {
        let vetoes: Vec<Range<usize>> = brand.exclude.iter().flat_map(|e| occurrences(&normalize_pattern(e))).collect();
        let mut normals: Vec<String> = Vec::new();
        let mut terms = Vec::new();
        for term in &brand.terms {
            let normal = normalize_pattern(term);
            if normal.is_empty() || normals.contains(&normal) {
                continue;
            }
            normals.push(normal.clone());
            let t = normals.len() - 1;
            let hits: Vec<Range<usize>> = occurrences(&normal)
                .into_iter()
                .filter(|h| !vetoes.iter().any(|v| v.start < h.end && h.start < v.end))
                .collect();
            if !hits.is_empty() {
                terms.push(term.clone());
            }
            for h in hits {
                spans.push((h.start, h.end, b, t, term.clone()));
            }
        }
        if !terms.is_empty() {
            found.push(BrandHit { brand: brand.name.clone(), terms });
        }
    }
    spans.sort_by_key(|s| (s.0, s.1, s.2, s.3));
    let spans = spans
        .into_iter()
        .map(|(start, end, b, _, term)| {
            (brands[b].name.as_str().to_string(), term, normal.original_start(start)..normal.original_end(end))
        })
        .collect();
    (found, spans)
}

fn actual(m: &Matcher, text: &str) -> Found {
    let spans = m.find_spans(text).into_iter().map(|h| (h.brand.as_str().to_string(), h.term.to_string(), h.span));
    (m.find(text), spans.collect())
}

/// xorshift: deterministic, so a failure reruns identically.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

const WORDS: &[&str] = &[
    "acme",
    "ACME",
    "Acme",
    "AcMe",
    "air",
    "AIR",
    "Air",
    "show",
    "acmeair",
    "AcmeAir",
    "café",
    "CAFÉ",
    "cafe\u{301}",
    "ｃａｆé",
    "crème",
    "straße",
    "STRASSE",
    "strasse",
    "σοφία",
    "ΣΟΦΊΑ",
    "t",
    "T",
    "mobile",
    "Mobile",
    "globex",
    "corp",
    "x",
    "c",
    "e",
    "on",
    "at",
    "yahoo",
    "7",
    "eleven",
    "ﬁne",
    "fine",
    "big",
    "ＡＣＭＥ",
    "acmé",
    "éclair",
    "Éclair",
    "ŝacme",
    "acmeist",
    "ǅemal",
];

const GLUE: &[&str] = &[
    " ",
    " ",
    " ",
    "  ",
    "\n",
    "\t",
    "\r\n",
    " \n ",
    "-",
    " - ",
    "--",
    "\u{a0}",
    "\u{2003}",
    "\u{3000}",
    "\u{2010}",
    "\u{2011}",
    "\u{2028}",
    ".",
    ",",
    "'s ",
    "@",
    "#",
    " @",
    " #",
    "_",
    "…",
    "😡",
    "❤️",
    "\u{fe0f}",
    "\u{301}",
    "\u{20dd}",
    "x@",
    "(",
    ")",
    ":-)",
    ":)",
    "<3",
    "!!",
    "!",
    "!!!",
    "++",
    "&",
    "ŝ",
    "é",
    "2",
    "",
    "ß",
    "...",
    "# ",
    "@ @",
    "\u{0}",
    "\u{1b}[31m",
];

const TERMS: &[&str] = &[
    "acme air",
    "@acmeair",
    "#acmeair",
    "acme",
    "air",
    "T-Mobile",
    "t mobile",
    "@t-mobile",
    "café crème",
    "CAFÉ",
    "Straße",
    "ΣΟΦΊΑ",
    "ﬁne",
    "7-eleven",
    "x",
    "c++",
    "at&t",
    "e.on",
    "yahoo!",
    "...acme",
    "# acme",
    "@ @x",
    "big air",
    "acme air show",
    "globex corp",
    "éclair",
    "ǅemal",
    ":-)",
    "<3",
    "!!",
    "!!!",
    "#",
    "ＡＣＭＥ",
    "  globex   ",
    "x@acme",
    "acme\u{301}",
    "air!",
    "-acme-",
];

fn random_text(rng: &mut Rng) -> String {
    let mut text = String::new();
    for _ in 0..rng.next() % 14 {
        text.push_str(if rng.next() % 2 == 0 { rng.pick(WORDS) } else { rng.pick(GLUE) });
    }
    text
}

fn random_brands(rng: &mut Rng) -> Vec<Brand> {
    (0..1 + rng.next() % 5)
        .map(|b| {
            let terms: Vec<String> = (0..1 + rng.next() % 5).map(|_| rng.pick(TERMS).to_string()).collect();
            let exclude: Vec<String> = (0..rng.next() % 3).map(|_| rng.pick(TERMS).to_string()).collect();
            Brand { name: BrandName::new(format!("brand {b}")), terms, exclude, lexicon: Default::default() }
        })
        .collect()
}

#[test]
fn agrees_with_the_reference_on_generated_texts_and_configs() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut hit_texts = 0;
    for _ in 0..300 {
        let brands = random_brands(&mut rng);
        let m = Matcher::new(&brands);
        for _ in 0..200 {
            let text = random_text(&mut rng);
            let expected = reference(&brands, &text);
            assert_eq!(actual(&m, &text), expected, "text {text:?}, brands {brands:?}");
            hit_texts += usize::from(!expected.0.is_empty());
        }
    }
    // The generator must exercise hits, not only misses.
    assert!(hit_texts > 5_000, "{hit_texts} texts with hits");
}

#[test]
fn agrees_with_the_reference_for_every_term_in_every_glue() {
    // Each term alone between every pair of glue pieces, in both configs:
    // with and without a pattern that makes separator runs matter to the
    // symbol automaton (":-)" is ": )" in normal form).
    for with_spaced_symbol in [false, true] {
        let mut terms: Vec<&str> = TERMS.iter().copied().filter(|t| *t != ":-)").collect();
        if with_spaced_symbol {
            terms.push(":-)");
        }
        let brands = [
            brand("all", &terms, &[]),
            brand("vetoed", &["acme", "air", "#acmeair"], &["acme air show", "big air", "!!!"]),
        ];
        let m = Matcher::new(&brands);
        for term in TERMS {
            for before in GLUE {
                for after in GLUE {
                    let text = format!("{before}{term}{after}");
                    assert_eq!(actual(&m, &text), reference(&brands, &text), "{text:?}");
                }
            }
        }
    }
}

fn brand(name: &str, terms: &[&str], exclude: &[&str]) -> Brand {
    Brand {
        name: BrandName::new(name),
        terms: terms.iter().map(|t| t.to_string()).collect(),
        exclude: exclude.iter().map(|t| t.to_string()).collect(),
        lexicon: Default::default(),
    }
}
