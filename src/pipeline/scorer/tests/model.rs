//! The learned complaint signal: the model file, a post's features, the
//! decision rule, the scorer with a model of the test's own, and training.

use super::super::model::{self, Overrule, RulesSaid, WordModel};
use super::super::text::MatchText;
use super::*;

/// A scorer whose complaint model is `model` (a model file's text).
fn with_model(model: &str) -> Scorer {
    let settings = ScoringSettings { complaint_model_text: Some(model.into()), ..ScoringSettings::default() };
    Scorer::with_settings(&[], &settings).unwrap()
}

/// A model that never speaks: p is 0.5 for every post.
const SILENT: &str = "bias\t0\n";

fn feature_names(text: &str) -> Vec<String> {
    let words = MatchText::new(text);
    let mut features = Vec::new();
    model::post_features(&words, &mut features);
    let mut names: Vec<String> = features.iter().map(|f| model::feature_name(&words, f)).collect();
    names.sort();
    names
}

#[test]
fn features_are_words_and_neighbours_within_a_sentence_each_once() {
    assert_eq!(
        feature_names("Still no reply. Day 3, still no reply"),
        ["_num", "_num still", "day", "day _num", "no", "no reply", "reply", "still", "still no"]
    );
    // Durations and numbers are read as the cue patterns read them; a
    // sentence end breaks the pair.
    assert_eq!(feature_names("2 hrs on hold!"), ["_dur", "_dur on", "hold", "on", "on hold"]);
    assert!(feature_names("").is_empty());
}

#[test]
fn the_model_file_is_read_strictly() {
    let ok = WordModel::parse("# comment\n\nbias\t-1.5\nstill\t0.8\nno reply\t1.25\r\n", "m").unwrap();
    assert_eq!(ok.len(), 2);
    let refuse = |text: &str| WordModel::parse(text, "m").unwrap_err();
    assert_eq!(refuse("still\t1\n").reason, "no `bias` line");
    let e = refuse("bias\t0\nstill 1\n");
    assert_eq!((e.key.as_str(), e.reason.as_str()), ("m: line 2", "expected `feature<TAB>weight`"));
    for weight in ["NaN", "inf", "x", ""] {
        assert!(refuse(&format!("bias\t0\nstill\t{weight}\n")).reason.contains("not a finite number"), "{weight}");
    }
    assert!(refuse("bias\t0\nthree word feature\t1\n").reason.contains("one or two lower-case words"));
    assert!(refuse("bias\t0\nStill\t1\n").reason.contains("one or two lower-case words"));
    assert!(refuse("bias\t0\nno  reply\t1\n").reason.contains("one or two lower-case words"));
    assert!(refuse("bias\t0\nstill\t1\nstill\t2\n").reason.contains("appears twice"));
    assert!(refuse("bias\t0\nbias\t1\n").reason.contains("second `bias`"));
    // The built-in model reads.
    assert!(WordModel::parse(model::BUILT_IN, "data/complaint_model.tsv").unwrap().len() > 1_000);
}

#[test]
fn verdicts_name_the_heaviest_words_toward_them() {
    let m = WordModel::parse("bias\t0\nstill\t1\nno reply\t3\nthanks\t-0.5\nreply\t0.2\n", "m").unwrap();
    let words = MatchText::new("thanks, still no reply");
    let v = m.verdict(&words, &mut Vec::new());
    assert!((v.p - model::sigmoid(3.7)).abs() < 1e-6, "{v:?}");
    let named: Vec<String> = v.heaviest.iter().flatten().map(|&(a, b)| format!("{a}-{b}")).collect();
    // Token 0 is the break that opens the text: "no reply" (tokens 3-4),
    // then "still" (2), then "reply" (4); never "thanks", which weighs the
    // other way.
    assert_eq!(named, ["3-4", "2-2", "4-4"]);
}

fn rules(label: Label, compound: f64) -> RulesSaid {
    RulesSaid { label, compound, topic: true, cue: true, resolved: false, binding: false }
}

#[test]
fn the_model_adds_a_complaint_only_about_a_topic_and_when_sure() {
    let neutral = rules(Label::Neutral, 0.0);
    let Some(Overrule::Complaint { compound }) = model::decide(&neutral, 0.95) else { panic!("sure: a complaint") };
    assert_eq!(compound, -0.45);
    assert!(model::decide(&neutral, 0.86).is_some());
    assert_eq!(model::decide(&neutral, 0.84), None, "not sure enough");
    assert_eq!(model::decide(&RulesSaid { topic: false, ..neutral }, 0.99), None, "no customer-service topic");
    assert_eq!(model::decide(&RulesSaid { resolved: true, ..neutral }, 0.99), None, "the rules heard a resolution");
    assert_eq!(model::decide(&rules(Label::Positive, 0.6), 0.99), None, "clear praise stays praise");
    assert!(model::decide(&rules(Label::Positive, 0.3), 0.99).is_some());
}

#[test]
fn the_model_vetoes_only_a_mild_negative_about_the_service() {
    let mild = rules(Label::Negative, -0.3);
    assert_eq!(model::decide(&mild, 0.05), Some(Overrule::NoComplaint { compound: -0.04 }));
    assert_eq!(model::decide(&mild, 0.2), None, "not sure enough");
    assert_eq!(model::decide(&rules(Label::Negative, -0.8), 0.01), None, "strong words stay negative");
    // With no cue, the post must name a customer-service topic and the
    // model must be surer: otherwise negative words mean what they say.
    let uncued = RulesSaid { cue: false, ..mild };
    assert_eq!(model::decide(&uncued, 0.04), Some(Overrule::NoComplaint { compound: -0.04 }));
    assert_eq!(model::decide(&uncued, 0.07), None, "not sure enough without a cue");
    assert_eq!(model::decide(&RulesSaid { topic: false, ..uncued }, 0.01), None, "no cue, no topic: plain sentiment");
    assert_eq!(model::decide(&RulesSaid { binding: true, ..mild }, 0.01), None, "sarcasm or a critical cue");
    assert_eq!(model::decide(&mild, 0.95), None, "the model agrees");
}

#[test]
fn a_cleared_complaint_with_praise_or_a_resolution_is_praise() {
    // "broken screen at 9am, fixed by lunch, genuinely impressed": the
    // model hears no complaint, a resolution cue fired.
    let fixed = RulesSaid { resolved: true, ..rules(Label::Negative, -0.3) };
    let Some(Overrule::NoComplaint { compound }) = model::decide(&fixed, 0.05) else { panic!("cleared") };
    assert_eq!(crate::pipeline::sentiment::label(compound), Label::Positive, "{compound}");
    assert_eq!(model::decide(&fixed, 0.5), None, "the model is not sure: still a complaint");
}

#[test]
fn a_sure_model_turns_a_neutral_post_about_a_topic_into_a_complaint_and_says_why() {
    let text = "the parcel came on monday";
    let silent = with_model(SILENT).score_text(text);
    assert_eq!(silent.label, Label::Neutral, "{silent:?}");
    assert!(silent.topics.contains(&"delivery".to_string()));
    let s = with_model("bias\t-2\nparcel\t3\ncame on\t2\n").score_text(text);
    assert_eq!(s.label, Label::Negative, "{s:?}");
    assert_eq!(s.reasons[1], r#"model: complaint (p 0.95): "parcel", "came on""#);
    assert!(s.urgency > silent.urgency);
    // The same words without a customer-service topic: the model is not
    // asked.
    let off_topic = with_model("bias\t-2\ncame on\t5\n").score_text("she came on monday");
    assert_eq!(off_topic.label, Label::Neutral, "{off_topic:?}");
    // A post about a company's service that names no topic ("the app")
    // is about a company all the same: the model is asked.
    let app = with_model("bias\t-2\ncame on\t5\n").score_text("the app came on monday");
    assert!(app.topics.is_empty(), "{app:?}");
    assert_eq!(app.label, Label::Negative, "{app:?}");
}

#[test]
fn a_sure_model_clears_a_mild_complaint_cue_and_says_why() {
    let text = "my parcel is late, tracking says tomorrow";
    let silent = with_model(SILENT).score_text(text);
    assert_eq!(silent.label, Label::Negative, "{silent:?}");
    let s = with_model("bias\t-1\ntomorrow\t-4\n").score_text(text);
    assert_eq!(s.label, Label::Neutral, "{s:?}");
    assert_eq!(s.compound, -0.04);
    assert!(s.reasons[1].starts_with(r#"model: no complaint (p 0.01): "tomorrow""#), "{s:?}");
}

#[test]
fn training_learns_the_words_of_complaints_and_repeats_itself() {
    let examples = [
        ("still no refund after 3 weeks", true, 1.0),
        ("still waiting on my refund", true, 1.0),
        ("no refund yet, nobody answers", true, 1.0),
        ("refund came through, thanks", false, 1.0),
        ("thanks for the quick refund", false, 1.0),
        ("how long does a refund take?", false, 1.0),
        ("the lovely weather", false, 0.1),
    ];
    let s = Scorer::new();
    let trained = s.train_model(examples.iter().copied());
    let file = trained.to_file("a test model\ntwo lines");
    assert!(file.starts_with("# a test model\n# two lines\nbias\t"), "{file}");
    assert_eq!(file, s.train_model(examples.iter().copied()).to_file("a test model\ntwo lines"));
    let weight =
        |name: &str| file.lines().find_map(|l| l.strip_prefix(&format!("{name}\t"))).map(|w| w.parse::<f32>().unwrap());
    assert!(weight("still").unwrap() > 0.2, "{file}");
    assert!(weight("thanks").unwrap() < -0.2, "{file}");
    // Seen in one post only: not learned.
    assert_eq!(weight("nobody"), None);
    // What it writes, the scorer reads, and it hears what it was taught.
    let m = WordModel::parse(&file, "trained").unwrap();
    let p = |text: &str| m.verdict(&MatchText::new(text), &mut Vec::new()).p;
    assert!(p("still no refund") > 0.5 && p("thanks for the refund") < 0.5);
}

#[test]
fn hostile_posts_cost_the_model_nothing_special() {
    let s = with_model("bias\t-2\nparcel\t3\n");
    let long = "where is my parcel ".repeat(6_000);
    for text in [long.as_str(), "parcel\u{0}\u{1b}[31m\u{202e}", "📦📦📦 parcel 📦", ""] {
        let score = s.score_text(text);
        assert!(score.compound.is_finite() && (-1.0..=1.0).contains(&score.compound), "{score:?}");
    }
}

/// A scorer whose critical model is `model`.
fn with_critical_model(model: &str) -> Scorer {
    let settings = ScoringSettings { critical_model_text: Some(model.into()), ..ScoringSettings::default() };
    Scorer::with_settings(&[], &settings).unwrap()
}

#[test]
fn the_critical_model_makes_a_negative_post_critical_and_says_why() {
    let s = with_critical_model("bias\t-3\ninsulin\t5\nlast pen\t1\n");
    let score = s.score_text("3rd time the pharmacy lost my insulin order. useless");
    assert_eq!(score.label, Label::Negative, "{score:?}");
    assert_eq!(score.level, Urgency::Critical, "{score:?}");
    assert!(score.reasons.iter().any(|r| r == "model: critical (p 0.88): \"insulin\""), "{score:?}");
    // Without the model's word: the rules' urgency.
    let plain = s.score_text("3rd time the pharmacy lost my order. useless");
    assert_ne!(plain.level, Urgency::Critical, "{plain:?}");
    // Only a negative post: thanks are never critical.
    let thanks = s.score_text("thanks for sorting my insulin delivery so fast, brilliant");
    assert_ne!(thanks.level, Urgency::Critical, "{thanks:?}");
    assert!(!thanks.reasons.iter().any(|r| r.starts_with("model: critical")), "{thanks:?}");
    // A critical cue already said it: no second reason.
    let cued = s.score_text("my insulin order was lost and someone hacked my account");
    assert_eq!(cued.level, Urgency::Critical, "{cued:?}");
    assert!(!cued.reasons.iter().any(|r| r.starts_with("model: critical")), "{cued:?}");
}

#[test]
fn the_shipped_critical_model_hears_what_the_cues_do_not_list() {
    // No critical cue names this; the shipped critical model hears it.
    let rules_alone = with_critical_model(SILENT_CRITICAL);
    let shipped = Scorer::new();
    let text = "your app showed me someone else's payslip and home address";
    assert_ne!(rules_alone.score_text(text).level, Urgency::Critical, "{text:?}");
    let score = shipped.score_text(text);
    assert_eq!(score.level, Urgency::Critical, "{text:?}: {score:?}");
}

/// A critical model that never reaches [`model::CRITICAL_FROM`].
const SILENT_CRITICAL: &str = "bias\t-30\n";
