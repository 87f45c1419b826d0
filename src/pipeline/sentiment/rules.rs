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
pub(crate) const BOOSTERS: &[(&str, Boost)] = &[
    ("absolutely", Boost::Up),
    ("amazingly", Boost::Up),
    ("awfully", Boost::Up),
    ("completely", Boost::Up),
    ("considerable", Boost::Up),
    ("considerably", Boost::Up),
    ("decidedly", Boost::Up),
    ("deeply", Boost::Up),
    ("effing", Boost::Up),
    ("enormous", Boost::Up),
    ("enormously", Boost::Up),
    ("entirely", Boost::Up),
    ("especially", Boost::Up),
    ("exceptional", Boost::Up),
    ("exceptionally", Boost::Up),
    ("extreme", Boost::Up),
    ("extremely", Boost::Up),
    ("fabulously", Boost::Up),
    ("flipping", Boost::Up),
    ("flippin", Boost::Up),
    ("frackin", Boost::Up),
    ("fracking", Boost::Up),
    ("fricking", Boost::Up),
    ("frickin", Boost::Up),
    ("frigging", Boost::Up),
    ("friggin", Boost::Up),
    ("fully", Boost::Up),
    ("fuckin", Boost::Up),
    ("fucking", Boost::Up),
    ("fuggin", Boost::Up),
    ("fugging", Boost::Up),
    ("greatly", Boost::Up),
    ("hella", Boost::Up),
    ("highly", Boost::Up),
    ("hugely", Boost::Up),
    ("incredible", Boost::Up),
    ("incredibly", Boost::Up),
    ("intensely", Boost::Up),
    ("major", Boost::Up),
    ("majorly", Boost::Up),
    ("more", Boost::Up),
    ("most", Boost::Up),
    ("particularly", Boost::Up),
    ("purely", Boost::Up),
    ("quite", Boost::Up),
    ("really", Boost::Up),
    ("remarkably", Boost::Up),
    ("so", Boost::Up),
    ("substantially", Boost::Up),
    ("thoroughly", Boost::Up),
    ("total", Boost::Up),
    ("totally", Boost::Up),
    ("tremendous", Boost::Up),
    ("tremendously", Boost::Up),
    ("uber", Boost::Up),
    ("unbelievably", Boost::Up),
    ("unusually", Boost::Up),
    ("utter", Boost::Up),
    ("utterly", Boost::Up),
    ("very", Boost::Up),
    ("almost", Boost::Down),
    ("barely", Boost::Down),
    ("hardly", Boost::Down),
    ("kinda", Boost::Down),
    ("kindof", Boost::Down),
    ("kind-of", Boost::Down),
    ("less", Boost::Down),
    ("little", Boost::Down),
    ("marginal", Boost::Down),
    ("marginally", Boost::Down),
    ("occasional", Boost::Down),
    ("occasionally", Boost::Down),
    ("partly", Boost::Down),
    ("scarce", Boost::Down),
    ("scarcely", Boost::Down),
    ("slight", Boost::Down),
    ("slightly", Boost::Down),
    ("somewhat", Boost::Down),
    ("sorta", Boost::Down),
    ("sortof", Boost::Down),
    ("sort-of", Boost::Down),
];

/// Which way a booster word pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boost {
    Up,
    Down,
}

impl Boost {
    pub(crate) fn scalar(self) -> f64 {
        match self {
            Boost::Up => B_INCR,
            Boost::Down => B_DECR,
        }
    }
}

/// The dampener scalar of a word pair ("kind of", "sort of", "just
/// enough").
pub(crate) fn booster_bigram(first: RuleWord, second: RuleWord) -> Option<f64> {
    use RuleWord::*;
    match (first, second) {
        (Kind, Of) | (Sort, Of) | (Just, Enough) => Some(B_DECR),
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

/// The words the rules look for around a rated word ("but", "no",
/// "least", "never so", "without doubt", the idioms), each a
/// [`RuleWord`] so a rule compares one byte, not a string. The lexicon
/// tags each with its lower-case spelling (`lexicon.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum RuleWord {
    /// Any word no rule names.
    #[default]
    Other,
    But,
    No,
    Or,
    Nor,
    Least,
    At,
    Very,
    Never,
    So,
    This,
    Without,
    Doubt,
    Kind,
    Sort,
    Of,
    Just,
    Enough,
    The,
    Shit,
    Bomb,
    To,
    Die,
    For,
    Bad,
    Ass,
    Bus,
    Stop,
    Yeah,
    Right,
    Kiss,
    Death,
    Beating,
    Heart,
}

/// Every [`RuleWord`] but `Other`, spelled.
pub(crate) const RULE_WORDS: &[(&str, RuleWord)] = {
    use RuleWord::*;
    &[
        ("but", But),
        ("no", No),
        ("or", Or),
        ("nor", Nor),
        ("least", Least),
        ("at", At),
        ("very", Very),
        ("never", Never),
        ("so", So),
        ("this", This),
        ("without", Without),
        ("doubt", Doubt),
        ("kind", Kind),
        ("sort", Sort),
        ("of", Of),
        ("just", Just),
        ("enough", Enough),
        ("the", The),
        ("shit", Shit),
        ("bomb", Bomb),
        ("to", To),
        ("die", Die),
        ("for", For),
        ("bad", Bad),
        ("ass", Ass),
        ("bus", Bus),
        ("stop", Stop),
        ("yeah", Yeah),
        ("right", Right),
        ("kiss", Kiss),
        ("death", Death),
        ("beating", Beating),
        ("heart", Heart),
    ]
};

/// The valence of a special-case idiom spelled by `words`: these replace
/// the valence of the rated word in them ("the shit" is praise, "bus stop"
/// is neutral).
pub(crate) fn special_case(words: &[RuleWord]) -> Option<f64> {
    use RuleWord::*;
    match words {
        [The, Shit] | [The, Bomb] | [To, Die, For] => Some(3.0),
        [Bad, Ass] => Some(1.5),
        [Bus, Stop] => Some(0.0),
        [Yeah, Right] => Some(-2.0),
        [Kiss, Of, Death] => Some(-1.5),
        [Beating, Heart] => Some(3.5),
        _ => None,
    }
}

/// Emphasis added by "!" (up to four) and by "??"/"???" (or a capped
/// amount for more), given their counts over the whole text.
pub(crate) fn punctuation_emphasis(exclamations: usize, questions: usize) -> f64 {
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
