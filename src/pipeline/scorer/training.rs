//! Training the complaint model (`model.rs`) from labelled posts:
//! logistic regression by stochastic gradient descent on the log loss,
//! L2-regularised, over each post's features as the scorer sees them
//! (cleaned of handles and links, tokenised by the cue tokeniser).
//!
//! Owns: the optimiser, its fixed settings, the order it visits posts in
//! (a seeded shuffle: the same posts give the same model, byte for byte)
//! and writing the model file. `earshot train` is its command; a team can
//! train on its own labelled mentions. Tests: `scorer/tests/model.rs`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::model::sigmoid;
use super::round4;

/// Passes over the posts.
const EPOCHS: usize = 20;
/// Step size.
const RATE: f64 = 0.2;
/// L2 penalty, applied to the features a post has when it is visited.
const L2: f64 = 1e-3;
/// Weights smaller than this are left out of the file: on the labelled
/// sets, held out, dropping them (about half the features) moved no
/// figure by more than one post, and every feature kept costs memory in
/// every scorer.
const PRUNE_BELOW: f32 = 0.2;
/// A feature must occur in this many posts to be learned: one post's
/// quirks are not a pattern.
const MIN_POSTS: usize = 2;
/// The shuffle's seed.
const SEED: u64 = 1;

/// One labelled post, as features.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    pub(crate) features: Vec<u64>,
    pub(crate) complaint: bool,
    /// How much it counts (general sentiment ground truth counts less than
    /// customer-service posts).
    pub(crate) weight: f64,
}

/// A trained model: what the file holds.
#[derive(Debug, Clone)]
pub struct TrainedModel {
    bias: f32,
    /// Feature name and weight, by name.
    features: Vec<(String, f32)>,
}

impl TrainedModel {
    /// How many features it keeps.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether it keeps no feature.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The model file: `header` (each line commented), the bias, then one
    /// `feature<TAB>weight` line per feature, by name.
    pub fn to_file(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(out, "bias\t{:.4}", self.bias);
        for (name, w) in &self.features {
            let _ = writeln!(out, "{name}\t{w:.4}");
        }
        out
    }
}

/// Trains on `examples`; `names` gives each feature hash its written form.
pub(crate) fn train(examples: &[Example], names: &HashMap<u64, String>) -> TrainedModel {
    let mut posts: HashMap<u64, usize> = HashMap::new();
    for h in examples.iter().flat_map(|e| &e.features) {
        *posts.entry(*h).or_insert(0) += 1;
    }
    let examples: Vec<Example> = examples
        .iter()
        .map(|e| Example { features: e.features.iter().copied().filter(|h| posts[h] >= MIN_POSTS).collect(), ..*e })
        .collect();
    let mut weights: HashMap<u64, f64> = HashMap::new();
    let mut bias = 0.0f64;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = SplitMix(SEED);
    for _ in 0..EPOCHS {
        shuffle(&mut order, &mut rng);
        for &i in &order {
            let e = &examples[i];
            let z = bias + e.features.iter().map(|h| weights.get(h).copied().unwrap_or(0.0)).sum::<f64>();
            let gradient = (sigmoid(z) - f64::from(u8::from(e.complaint))) * e.weight;
            bias -= RATE * gradient;
            for h in &e.features {
                let w = weights.entry(*h).or_insert(0.0);
                *w -= RATE * (gradient + L2 * *w);
            }
        }
    }
    let mut features: Vec<(String, f32)> = weights
        .into_iter()
        .map(|(h, w)| (h, round4(w) as f32))
        .filter(|&(_, w)| w.abs() >= PRUNE_BELOW)
        .filter_map(|(h, w)| names.get(&h).map(|n| (n.clone(), w)))
        .collect();
    features.sort_by(|a, b| a.0.cmp(&b.0));
    TrainedModel { bias: round4(bias) as f32, features }
}

/// Fisher-Yates.
fn shuffle(order: &mut [usize], rng: &mut SplitMix) {
    for i in (1..order.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

/// SplitMix64: a small, well-mixed generator, seeded, so training is
/// repeatable without a dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
