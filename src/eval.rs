//! `earshot eval`: how well the scorer hears sentiment, urgency and topics
//! on a labelled file, against plain VADER as the anchor.
//!
//! Owns: reading the two labelled formats, scoring every text with both
//! scorers and the report. Two formats, told apart by their first line:
//! - a customer-service set (`tests/data/*.tsv`): a header naming the
//!   columns, `label` and `text` required, `urgency` and `topics`
//!   (comma-separated, `-` for none) optional; lines starting `#` are
//!   comments;
//! - VADER's human-rated ground truth (`id<TAB>mean rating<TAB>text`,
//!   rating -4..4): negative below `-band`, positive above `band`,
//!   neutral between (the `eval/sentiment_eval.py` convention, band 0.5).
//!
//! Pure apart from the clock in [`throughput`]; files are read by the CLI.
//! Metrics in `eval/metrics.rs`. Tests: `eval/tests.rs`.

pub mod metrics;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::{Duration, Instant};

use crate::domain::{Label, Urgency};
use crate::pipeline::sentiment::SentimentAnalyzer;
use crate::pipeline::Scorer;

use self::metrics::{Metrics, Prf, UrgencyMetrics};

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub id: String,
    pub text: String,
    pub label: Label,
    pub urgency: Option<Urgency>,
    /// `None` when the file has no topics column.
    pub topics: Option<Vec<String>>,
}

/// Reads a labelled file in either format (see the module docs).
pub fn parse(content: &str, band: f64) -> Result<Vec<Example>, String> {
    let first = content.lines().find(|l| !l.trim().is_empty() && !l.starts_with('#')).unwrap_or("");
    let header: Vec<&str> = first.trim_end_matches('\r').split('\t').collect();
    if header.contains(&"label") && header.contains(&"text") {
        parse_labelled(content, &header)
    } else {
        parse_ground_truth(content, band)
    }
}

fn parse_labelled(content: &str, header: &[&str]) -> Result<Vec<Example>, String> {
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (label_at, text_at) = (col("label").unwrap_or(0), col("text").unwrap_or(0));
    let (id_at, urgency_at, topics_at) = (col("id"), col("urgency"), col("topics"));
    let mut out = Vec::new();
    for (n, line) in content.lines().enumerate().skip_while(|(_, l)| l.trim().is_empty() || l.starts_with('#')).skip(1)
    {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.splitn(header.len(), '\t').collect();
        let field = |i: usize| fields.get(i).copied().ok_or_else(|| format!("line {}: too few columns", n + 1));
        let label = Label::parse(field(label_at)?.trim()).ok_or_else(|| format!("line {}: bad label", n + 1))?;
        let urgency = match urgency_at {
            Some(i) => Some(Urgency::parse(field(i)?.trim()).ok_or_else(|| format!("line {}: bad urgency", n + 1))?),
            None => None,
        };
        let topics = match topics_at {
            Some(i) => Some(
                field(i)?.split(',').map(str::trim).filter(|t| !t.is_empty() && *t != "-").map(String::from).collect(),
            ),
            None => None,
        };
        let id = id_at.map_or_else(|| (n + 1).to_string(), |i| fields.get(i).copied().unwrap_or("").to_string());
        out.push(Example { id, text: field(text_at)?.to_string(), label, urgency, topics });
    }
    Ok(out)
}

fn parse_ground_truth(content: &str, band: f64) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    for (n, line) in content.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let (Some(id), Some(rating), Some(text)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("line {}: expected id, rating and text separated by tabs", n + 1));
        };
        let rating: f64 = rating.trim().parse().map_err(|_| format!("line {}: bad rating {rating:?}", n + 1))?;
        let label = if rating < -band {
            Label::Negative
        } else if rating > band {
            Label::Positive
        } else {
            Label::Neutral
        };
        out.push(Example { id: id.to_string(), text: text.to_string(), label, urgency: None, topics: None });
    }
    Ok(out)
}

/// The scores of one example by both scorers.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub earshot: crate::domain::Score,
    pub anchor: f64,
}

/// Both scorers on one labelled set.
#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub earshot: Metrics,
    pub anchor: Metrics,
    pub urgency: Option<UrgencyMetrics>,
    pub topics: Option<Prf>,
    pub scored: Vec<Scored>,
}

/// Scores `examples` with `scorer` and with plain VADER (`anchor`).
pub fn evaluate(name: &str, examples: &[Example], scorer: &Scorer, anchor: &SentimentAnalyzer) -> Report {
    let scored: Vec<Scored> = examples
        .iter()
        .map(|e| Scored { earshot: scorer.score_text(&e.text), anchor: anchor.compound(&e.text) })
        .collect();
    let gold: Vec<Label> = examples.iter().map(|e| e.label).collect();
    let earshot = metrics::classification(&gold, &scored.iter().map(|s| s.earshot.compound).collect::<Vec<_>>());
    let anchor = metrics::classification(&gold, &scored.iter().map(|s| s.anchor).collect::<Vec<_>>());
    let urgency = examples.iter().map(|e| e.urgency).collect::<Option<Vec<Urgency>>>().map(|g| {
        let predicted: Vec<Urgency> = scored.iter().map(|s| s.earshot.level).collect();
        metrics::urgency(&g, &predicted)
    });
    let topics = examples.iter().map(|e| e.topics.clone()).collect::<Option<Vec<_>>>().map(|g| {
        let predicted: Vec<Vec<String>> = scored.iter().map(|s| s.earshot.topics.clone()).collect();
        metrics::topics(&g, &predicted)
    });
    Report { name: name.to_string(), earshot, anchor, urgency, topics, scored }
}

/// Texts scored per second by `score` over `texts`, repeated until at
/// least `budget` has passed, on the calling thread.
pub fn throughput(texts: &[String], budget: Duration, mut score: impl FnMut(&str) -> f64) -> f64 {
    if texts.is_empty() {
        return 0.0;
    }
    let start = Instant::now();
    let mut done = 0usize;
    let mut sink = 0.0;
    while start.elapsed() < budget {
        for t in texts {
            sink += score(t);
        }
        done += texts.len();
    }
    std::hint::black_box(sink);
    done as f64 / start.elapsed().as_secs_f64()
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({} texts)", self.name, self.earshot.n)?;
        writeln!(f, "  {:<22} {:>9} {:>9}", "", "VADER", "earshot")?;
        let row =
            |f: &mut fmt::Formatter<'_>, name: &str, a: f64, b: f64| writeln!(f, "  {name:<22} {a:>9.3} {b:>9.3}");
        row(f, "accuracy", self.anchor.accuracy, self.earshot.accuracy)?;
        row(f, "macro-F1", self.anchor.macro_f1, self.earshot.macro_f1)?;
        row(f, "negative precision", self.anchor.negative().precision, self.earshot.negative().precision)?;
        row(f, "negative recall", self.anchor.negative().recall, self.earshot.negative().recall)?;
        row(f, "negative F1", self.anchor.negative().f1, self.earshot.negative().f1)?;
        if let (Some(a), Some(b)) = (self.anchor.negative_auc, self.earshot.negative_auc) {
            row(f, "negative ROC-AUC", a, b)?;
        }
        for (i, name) in ["neutral", "positive"].iter().enumerate() {
            row(f, &format!("{name} F1"), self.anchor.classes[i + 1].f1, self.earshot.classes[i + 1].f1)?;
        }
        let support = self.earshot.classes.map(|c| c.support);
        writeln!(f, "  gold: {} negative, {} neutral, {} positive", support[0], support[1], support[2])?;
        if let Some(u) = &self.urgency {
            writeln!(
                f,
                "  urgency level: exact {:.3}, within one level {:.3}; high+critical P {:.3} R {:.3}; critical P {:.3} R {:.3}",
                u.accuracy, u.within_one, u.urgent.precision, u.urgent.recall, u.critical.precision, u.critical.recall
            )?;
        }
        if let Some(t) = &self.topics {
            writeln!(f, "  topics (micro): P {:.3} R {:.3} F1 {:.3}", t.precision, t.recall, t.f1)?;
        }
        Ok(())
    }
}
