//! Classification metrics for `earshot eval`: accuracy, per-class
//! precision/recall/F1, macro-F1 and the ROC-AUC of the negative class,
//! plus urgency-level and topic agreement.
//!
//! Owns: the arithmetic only, over plain slices; no I/O. A class nobody
//! predicted has precision 0, as scikit-learn reports it with
//! `zero_division=0`. Tests: `eval/tests.rs`.

use crate::domain::{Label, Urgency};
use crate::pipeline::sentiment;

/// The three labels in report order.
pub const LABELS: [Label; 3] = [Label::Negative, Label::Neutral, Label::Positive];

/// Precision, recall and F1 of one class, and its support (gold count).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// How one scorer did on one labelled set.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Negative, neutral, positive.
    pub classes: [Prf; 3],
    /// ROC-AUC of "negative" scored by `-compound`; `None` when the gold
    /// labels hold only one side.
    pub negative_auc: Option<f64>,
}

impl Metrics {
    pub fn negative(&self) -> &Prf {
        &self.classes[0]
    }
}

/// Metrics of compounds against gold labels; a compound is labelled with
/// VADER's cut (±0.05, [`sentiment::label`]).
pub fn classification(gold: &[Label], compounds: &[f64]) -> Metrics {
    assert_eq!(gold.len(), compounds.len(), "one compound per gold label");
    let predicted: Vec<Label> = compounds.iter().map(|&c| sentiment::label(c)).collect();
    let n = gold.len();
    let correct = gold.iter().zip(&predicted).filter(|(g, p)| g == p).count();
    let classes = LABELS.map(|class| prf(gold, &predicted, class));
    let macro_f1 = classes.iter().map(|c| c.f1).sum::<f64>() / 3.0;
    let positives: Vec<bool> = gold.iter().map(|g| *g == Label::Negative).collect();
    let scores: Vec<f64> = compounds.iter().map(|c| -c).collect();
    Metrics { n, accuracy: ratio(correct, n), macro_f1, classes, negative_auc: roc_auc(&positives, &scores) }
}

fn prf<T: PartialEq + Copy>(gold: &[T], predicted: &[T], class: T) -> Prf {
    let tp = gold.iter().zip(predicted).filter(|(g, p)| **g == class && **p == class).count();
    let predicted_n = predicted.iter().filter(|p| **p == class).count();
    let support = gold.iter().filter(|g| **g == class).count();
    let precision = ratio(tp, predicted_n);
    let recall = ratio(tp, support);
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Prf { precision, recall, f1, support }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// ROC-AUC by the Mann-Whitney U statistic, ties counted half: the chance
/// that a random positive scores above a random negative.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Option<f64> {
    let n_pos = positive.iter().filter(|p| **p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Average ranks (1-based) over ties.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += rank * order[i..=j].iter().filter(|&&k| positive[k]).count() as f64;
        i = j + 1;
    }
    let u = rank_sum_pos - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos as f64 * n_neg as f64))
}

/// Agreement of urgency levels with gold levels.
#[derive(Debug, Clone, PartialEq)]
pub struct UrgencyMetrics {
    pub n: usize,
    pub accuracy: f64,
    /// Predicted level at most one step from the gold one.
    pub within_one: f64,
    pub critical: Prf,
    /// Gold high or critical found as high or critical.
    pub urgent: Prf,
}

pub fn urgency(gold: &[Urgency], predicted: &[Urgency]) -> UrgencyMetrics {
    let n = gold.len();
    let step = |u: Urgency| u as i32;
    let exact = gold.iter().zip(predicted).filter(|(g, p)| g == p).count();
    let near = gold.iter().zip(predicted).filter(|(g, p)| (step(**g) - step(**p)).abs() <= 1).count();
    let urgent = |u: &Urgency| *u >= Urgency::High;
    let gold_urgent: Vec<bool> = gold.iter().map(urgent).collect();
    let predicted_urgent: Vec<bool> = predicted.iter().map(urgent).collect();
    UrgencyMetrics {
        n,
        accuracy: ratio(exact, n),
        within_one: ratio(near, n),
        critical: prf(gold, predicted, Urgency::Critical),
        urgent: prf(&gold_urgent, &predicted_urgent, true),
    }
}

/// Micro-averaged topic agreement over (post, topic) pairs.
pub fn topics(gold: &[Vec<String>], predicted: &[Vec<String>]) -> Prf {
    let (mut tp, mut predicted_n, mut gold_n) = (0, 0, 0);
    for (g, p) in gold.iter().zip(predicted) {
        tp += p.iter().filter(|t| g.contains(t)).count();
        predicted_n += p.len();
        gold_n += g.len();
    }
    let precision = ratio(tp, predicted_n);
    let recall = ratio(tp, gold_n);
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Prf { precision, recall, f1, support: gold_n }
}
