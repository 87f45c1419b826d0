//! Metrics on hand-checked cases, both file formats, and the targets of
//! issue 4 on the shipped development sets.

use super::metrics::{classification, roc_auc, topics, urgency};
use super::*;
use crate::config::ScoringSettings;

#[test]
fn classification_metrics() {
    use Label::*;
    let gold = [Negative, Negative, Neutral, Positive, Positive, Negative];
    let compounds = [-0.5, 0.0, 0.0, 0.6, -0.2, -0.9];
    let m = classification(&gold, &compounds);
    assert_eq!(m.n, 6);
    assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
    let neg = m.negative();
    assert!((neg.precision - 2.0 / 3.0).abs() < 1e-12);
    assert!((neg.recall - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(neg.support, 3);
    // Neutral: 1 of 2 predicted right, recall 1.
    assert!((m.classes[1].precision - 0.5).abs() < 1e-12);
    assert!((m.classes[1].recall - 1.0).abs() < 1e-12);
    let f1s: f64 = m.classes.iter().map(|c| c.f1).sum();
    assert!((m.macro_f1 - f1s / 3.0).abs() < 1e-12);
    // Nothing predicted: precision 0, not NaN.
    let none = classification(&[Positive], &[-1.0]);
    assert_eq!(none.classes[2].precision, 0.0);
}

#[test]
fn roc_auc_counts_ties_half() {
    assert_eq!(roc_auc(&[true, false], &[1.0, 0.0]), Some(1.0));
    assert_eq!(roc_auc(&[true, false], &[0.0, 1.0]), Some(0.0));
    assert_eq!(roc_auc(&[true, false], &[0.5, 0.5]), Some(0.5));
    assert_eq!(roc_auc(&[true, true, false, false], &[0.9, 0.4, 0.4, 0.1]), Some(0.875));
    assert_eq!(roc_auc(&[true, true], &[0.9, 0.4]), None);
}

#[test]
fn urgency_and_topic_agreement() {
    use Urgency::*;
    let u = urgency(&[Critical, High, Normal, Low], &[Critical, Normal, Normal, Critical]);
    assert_eq!(u.accuracy, 0.5);
    assert_eq!(u.within_one, 0.75);
    assert_eq!(u.critical.precision, 0.5);
    assert_eq!(u.critical.recall, 1.0);
    let t = topics(&[vec!["billing".into()], vec![]], &[vec!["billing".into(), "delay".into()], vec![]]);
    assert_eq!((t.precision, t.recall), (0.5, 1.0));
}

#[test]
fn both_formats_parse() {
    let cs = "# comment\nid\tlabel\turgency\ttopics\ttext\na1\tnegative\thigh\tdelay,billing\twaited\tforever\na2\tneutral\tlow\t-\thi\n";
    let e = parse(cs, 0.5).unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].id, "a1");
    assert_eq!(e[0].text, "waited\tforever", "the text keeps any tabs after its column");
    assert_eq!(e[0].urgency, Some(Urgency::High));
    assert_eq!(e[0].topics.as_deref(), Some(&["delay".to_string(), "billing".to_string()][..]));
    assert_eq!(e[1].topics.as_deref(), Some(&[][..]));
    let gt = "1\t2.1\tgreat\r\n2\t-0.3\tmeh\r\n3\t-0.8\tbad";
    let e = parse(gt, 0.5).unwrap();
    assert_eq!(e.iter().map(|e| e.label).collect::<Vec<_>>(), [Label::Positive, Label::Neutral, Label::Negative]);
    assert_eq!(parse(gt, 0.2).unwrap()[1].label, Label::Negative);
    assert!(parse("1\tx\ttext", 0.5).is_err());
    assert!(parse("id\tlabel\ttext\n1\tangry\tx\n", 0.5).is_err());
}

/// VADER's tweets: outside the repository, so the tests that need them
/// are skipped, loudly, where it is absent.
const TWEETS: &str = "/work/shared/data/vader-groundtruth/tweets_GroundTruth.txt";

/// The customer-service sets the shipped complaint model is trained on
/// (`tests/data/cs_NAME.tsv`); [`HELD_OUT`] lists the sets it does not know.
const TRAINING_SETS: [&str; 13] = [
    "dev", "check", "blind_a", "blind_b", "blind_c", "blind_d", "blind_e", "blind_f", "blind_g", "blind_i", "blind_j",
    "blind_k", "blind_v",
];

fn cs_set(name: &str) -> String {
    format!("{}/tests/data/cs_{name}.tsv", env!("CARGO_MANIFEST_DIR"))
}

/// `tests/data/cs_blind_NAME.tsv`.
fn blind(name: &str) -> String {
    cs_set(&format!("blind_{name}"))
}

fn labelled(path: &str) -> Vec<Example> {
    parse(&std::fs::read_to_string(path).unwrap(), 0.5).unwrap()
}

/// Whether VADER's tweets are here; says so when a test skips.
fn tweets_present(test: &str) -> bool {
    let present = std::path::Path::new(TWEETS).exists();
    if !present {
        eprintln!("SKIPPED {test}: {TWEETS} not found");
    }
    present
}

/// The shipped scorer against plain VADER on `examples`.
fn shipped(name: &str, examples: &[Example]) -> Report {
    evaluate(name, examples, crate::pipeline::scorer::tests_support::scorer(), &SentimentAnalyzer::new())
}

fn report(path: &str) -> Report {
    shipped(path, &labelled(path))
}

/// Blind set `name` keeps at least `recall` at `precision` on the
/// negative class, and beats plain VADER's negative F1 by `f1_margin`.
fn holds_its_figures(name: &str, recall: f64, precision: f64, f1_margin: f64) -> Report {
    let r = report(&blind(name));
    assert!(r.earshot.n >= 200, "{r}");
    let neg = r.earshot.negative();
    assert!(neg.recall >= recall && neg.precision >= precision, "set {name}: {r}");
    assert!(neg.f1 > r.anchor.negative().f1 + f1_margin, "set {name}: {r}");
    r
}

/// Issue 4's target on the customer-service development set: negative
/// recall >= 0.85 at precision >= 0.90.
#[test]
fn customer_service_dev_set_meets_the_target() {
    let r = report(&cs_set("dev"));
    assert!(r.earshot.n >= 400);
    let neg = r.earshot.negative();
    println!("{r}");
    assert!(neg.recall >= 0.85 && neg.precision >= 0.90, "{r}");
    assert!(r.earshot.macro_f1 > r.anchor.macro_f1 + 0.2, "{r}");
    assert!(r.earshot.negative_auc > r.anchor.negative_auc);
}

/// The sets written blind (by writers who never saw the cue lists; see
/// BENCHMARKS.md, "Scorer accuracy"), scored by the shipped scorer, whose
/// complaint model was trained on them: a guard that the rules and the
/// model keep their figures. The floors sit a little under this session's
/// figures. What the model does on posts it was not trained on is the
/// next test's.
#[test]
fn blind_sets_hold_their_figures() {
    let sets = [
        ("a", 0.97, 0.95),
        ("b", 0.97, 0.90),
        ("c", 0.91, 0.94),
        ("d", 0.91, 0.95),
        ("e", 0.89, 0.86),
        ("f", 0.88, 0.84),
        ("g", 0.94, 0.90),
        ("i", 0.94, 0.90),
        ("j", 0.88, 0.94),
        ("k", 0.86, 0.93),
        // Comment-section and Gen-Z posts: scored on arrival at 0.783 at
        // 0.825, then read and trained on.
        ("v", 0.80, 0.88),
    ];
    for (name, recall, precision) in sets {
        let r = holds_its_figures(name, recall, precision, 0.15);
        assert!(r.earshot.macro_f1 > r.anchor.macro_f1 + 0.15, "set {name}: {r}");
    }
}

/// The sets no rule was written from and the shipped models were not
/// trained on: H, then L, M, N, O and P, then Q and R, then T, each
/// written by a writer who saw nothing of earshot (M to P after the
/// scorer of "Held out again" was final, Q and R after "Numbers and
/// topics", T after the critical phrases of "A learned critical
/// signal", U, in forum and regional styles, after "Praise the rules
/// missed") and scored as they arrived. Their figures are the shipped scorer's held-out ones
/// (BENCHMARKS.md); the floors sit a little under them.
const HELD_OUT: [(&str, f64, f64); 10] = [
    ("h", 0.82, 0.89),
    ("l", 0.90, 0.88),
    ("m", 0.90, 0.94),
    // With set V in the complaint model's training, N (developers' and
    // business customers' posts) lost a post each way (0.745 -> 0.724 at
    // 0.890 -> 0.877) and Q one (precision 0.897 -> 0.888), while the
    // 2,080 together gained (BENCHMARKS.md, "Praise the rules missed").
    ("n", 0.72, 0.87),
    ("o", 0.88, 0.90),
    ("p", 0.86, 0.92),
    ("q", 0.87, 0.88),
    ("r", 0.88, 0.89),
    ("t", 0.86, 0.87),
    ("u", 0.86, 0.82),
];

#[test]
fn the_held_out_sets_hold_their_figures() {
    for (name, recall, precision) in HELD_OUT {
        holds_its_figures(name, recall, precision, 0.25);
    }
}

/// Issue 4's target, negative recall >= 0.85 at precision >= 0.90, on
/// the 2,080 held-out posts together; their topics no worse than when a
/// topic was any word near it (micro-F1 0.50: "the app" was an outage);
/// and critical mentions heard as a lead would: recall 0.64 with the
/// critical cues alone, over 0.75 with the critical model, at the same
/// precision (BENCHMARKS.md, "A learned critical signal").
#[test]
fn the_held_out_posts_together_meet_the_target() {
    let examples: Vec<Example> = HELD_OUT.iter().flat_map(|(name, _, _)| labelled(&blind(name))).collect();
    assert_eq!(examples.len(), 2080);
    let r = shipped("held out", &examples);
    println!("{r}");
    let neg = r.earshot.negative();
    assert!(neg.recall >= 0.85 && neg.precision >= 0.90, "{r}");
    let topics = r.topics.as_ref().expect("the held-out sets label topics");
    assert!(topics.f1 >= 0.53 && topics.precision >= 0.50, "{r}");
    let critical = r.urgency.as_ref().expect("the held-out sets label urgency").critical;
    assert!(critical.recall >= 0.74 && critical.precision >= 0.74, "{r}");
}

/// The complaint model on a set it was not trained on: trained here by
/// earshot's own trainer on every other labelled set of the repository,
/// it must raise the held-out set's negative recall over the rules alone
/// (a model that never speaks) by 5 points, and lower neither its
/// precision nor its ROC-AUC. E and F were the last sets written blind:
/// no rule was written from E, and F was scored before any was.
#[test]
fn the_complaint_model_helps_on_a_set_it_was_not_trained_on() {
    let scorer_with = |model: String| {
        let settings = ScoringSettings { complaint_model_text: Some(model), ..ScoringSettings::default() };
        Scorer::with_settings(&[], &settings).unwrap()
    };
    let anchor = SentimentAnalyzer::new();
    let rules_alone = scorer_with("bias\t0\n".into());
    for held in ["blind_e", "blind_f"] {
        let training: Vec<Example> =
            TRAINING_SETS.iter().filter(|n| **n != held).flat_map(|n| labelled(&cs_set(n))).collect();
        let model =
            Scorer::new().train_model(training.iter().map(|e| (e.text.as_str(), e.label == Label::Negative, 1.0)));
        let with_model = scorer_with(model.to_file(""));
        let examples = labelled(&cs_set(held));
        let before = evaluate(held, &examples, &rules_alone, &anchor).earshot;
        let after = evaluate(held, &examples, &with_model, &anchor).earshot;
        let (b, a) = (before.negative(), after.negative());
        println!(
            "{held}: rules alone R {:.3} P {:.3}; with a model trained without it R {:.3} P {:.3}",
            b.recall, b.precision, a.recall, a.precision
        );
        assert!(a.recall >= b.recall + 0.05, "{held}: {b:?} -> {a:?}");
        assert!(a.precision >= b.precision, "{held}: {b:?} -> {a:?}");
        assert!(after.negative_auc >= before.negative_auc, "{held}: {before:?} -> {after:?}");
    }
}

/// `data/complaint_model.tsv` and `data/critical_model.tsv` are what
/// `earshot train` makes of the labelled sets and VADER's tweets (their
/// headers say how): a change to the tokeniser, the features or the
/// trainer that would make other models fails here until they are
/// trained again. Skipped when the tweets (outside the repository) are
/// absent.
#[test]
fn the_shipped_models_are_what_training_gives() {
    if !tweets_present("the_shipped_models_are_what_training_gives") {
        return;
    }
    let mut examples: Vec<(Example, f64)> =
        TRAINING_SETS.iter().flat_map(|n| labelled(&cs_set(n))).map(|e| (e, 1.0)).collect();
    examples.extend(labelled(TWEETS).into_iter().map(|e| (e, 0.1)));
    let body = |file: &str| file.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    /// A shipped model: its name, its file, and which posts it learns to hear.
    type Shipped = (&'static str, &'static str, fn(&Example) -> bool);
    let models: [Shipped; 2] = [
        ("complaint", include_str!("../../data/complaint_model.tsv"), |e| e.label == Label::Negative),
        ("critical", include_str!("../../data/critical_model.tsv"), |e| e.urgency == Some(Urgency::Critical)),
    ];
    for (name, shipped, positive) in models {
        let trained = Scorer::new().train_model(examples.iter().map(|(e, w)| (e.text.as_str(), positive(e), *w)));
        assert!(
            body(&trained.to_file("")) == body(shipped),
            "data/{name}_model.tsv is stale: train it again (BENCHMARKS.md, Reproduce)"
        );
    }
}

/// VADER's tweets (the ground truth is outside the repository; skipped
/// when absent): negative F1 no lower than plain VADER's, exactly (0.8840
/// against 0.8839 since written numbers match only themselves; 0.8832
/// before, when "EU 3 times" and "60s-70s" were legal threats).
#[test]
fn vader_tweets_no_worse_than_vader() {
    if !tweets_present("vader_tweets_no_worse_than_vader") {
        return;
    }
    let r = report(TWEETS);
    println!("{r}");
    assert!(r.earshot.negative().f1 >= r.anchor.negative().f1, "{r}");
    assert!(r.earshot.accuracy >= r.anchor.accuracy - 0.005, "{r}");
}
