//! VADER's rule tables and constants (Hutto & Gilbert 2014, and the
//! reference implementation vaderSentiment 3.3.2): booster and dampener
//! words, negations, special-case idioms, punctuation emphasis and the
//! compound normalisation.
//!
//! Owns: the fixed word lists and the empirically derived scalars. These
//! are the algorithm's constants, so they live in code; the rated
//! vocabulary is data (`lexicon.rs`, which also indexes these tables so a
//! token costs one lookup). No state, no allocation. Tests: `tests.rs`.

/// Mean rating increase for a booster word ("very good").
pub(crate) const B_INCR: f64 = 0.293;
/// Mean rating decrease for a dampener word ("kind of good").
pub(crate) const B_DECR: f64 = -0.293;
/// Mean rating increase for an ALL-CAPS word in mixed-case text.
pub(crate) const C_INCR: f64 = 0.733;
/// Factor applied to a negated valence ("not good").
pub(crate) const N_SCALAR: f64 = -0.74;
/// Factor for "never so/this good" (the negation intensifies instead).
pub(crate) const NEVER_SO: f64 = 1.25;
/// Decay of a booster's effect with distance: 1, 2 or 3 words before.
pub(crate) const BOOSTER_DECAY: [f64; 3] = [1.0, 0.95, 0.9];
/// Weight of sentiment before / after the first "but".
pub(crate) const BUT_BEFORE: f64 = 0.5;
pub(crate) const BUT_AFTER: f64 = 1.5;
/// Rating increase per "!" (counted up to [`MAX_EXCLAMATIONS`]).
const EXCLAMATION_INCR: f64 = 0.292;
const MAX_EXCLAMATIONS: usize = 4;
/// Rating increase per "?" when there are two or three, and the cap above.
const QUESTION_INCR: f64 = 0.18;
const QUESTION_CAP: f64 = 0.96;
/// Alpha of the compound normalisation: roughly the largest expected sum.
const NORMALIZE_ALPHA: f64 = 15.0;

/// Booster (positive) and dampener (negative) words with their scalars.
/// Two-word dampeners are in [`booster_bigram`].
pub(crate) const BOOSTERS: &[(&str, f64)] = &[
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", B_DECR),
    ("barely", B_DECR),
    ("hardly", B_DECR),
    ("kinda", B_DECR),
    ("kindof", B_DECR),
    ("kind-of", B_DECR),
    ("less", B_DECR),
    ("little", B_DECR),
    ("marginal", B_DECR),
    ("marginally", B_DECR),
    ("occasional", B_DECR),
    ("occasionally", B_DECR),
    ("partly", B_DECR),
    ("scarce", B_DECR),
    ("scarcely", B_DECR),
    ("slight", B_DECR),
    ("slightly", B_DECR),
    ("somewhat", B_DECR),
    ("sorta", B_DECR),
    ("sortof", B_DECR),
    ("sort-of", B_DECR),
];

/// The dampener scalar of a lower-case word pair ("kind of", "sort of",
/// "just enough").
pub(crate) fn booster_bigram(first: &str, second: &str) -> Option<f64> {
    match (first, second) {
        ("kind", "of") | ("sort", "of") | ("just", "enough") => Some(B_DECR),
        _ => None,
    }
}

/// Negation words. Any other word containing "n't" negates as well
/// (`Lexicon::entry`).
pub(crate) const NEGATIONS: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

/// The valence of a special-case idiom spelled by `words` (lower case):
/// these replace the valence of the rated word in them ("the shit" is
/// praise, "bus stop" is neutral).
pub(crate) fn special_case(words: &[&str]) -> Option<f64> {
    match words {
        ["the", "shit"] | ["the", "bomb"] | ["to", "die", "for"] => Some(3.0),
        ["bad", "ass"] => Some(1.5),
        ["bus", "stop"] => Some(0.0),
        ["yeah", "right"] => Some(-2.0),
        ["kiss", "of", "death"] => Some(-1.5),
        ["beating", "heart"] => Some(3.5),
        _ => None,
    }
}

/// Emphasis added by "!" (up to four) and by "??"/"???" (or a capped
/// amount for more), counted over the whole text.
pub(crate) fn punctuation_emphasis(text: &str) -> f64 {
    let (mut exclamations, mut questions) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'!' => exclamations += 1,
            b'?' => questions += 1,
            _ => {}
        }
    }
    let ep = exclamations.min(MAX_EXCLAMATIONS) as f64 * EXCLAMATION_INCR;
    let qm = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f64 * QUESTION_INCR,
        _ => QUESTION_CAP,
    };
    ep + qm
}

/// Maps a sum of valences onto (-1, 1): `x / sqrt(x² + alpha)`.
pub(crate) fn normalize(score: f64) -> f64 {
    (score / (score * score + NORMALIZE_ALPHA).sqrt()).clamp(-1.0, 1.0)
}
