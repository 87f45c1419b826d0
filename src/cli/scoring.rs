//! `earshot eval` (the scorer measured on labelled files, beside plain
//! VADER) and `earshot train` (a complaint or critical model learned from
//! labelled files, for `[scoring] complaint_model_file` and
//! `critical_model_file`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::ScoringSettings;
use crate::domain::{Label, Urgency};
use crate::eval::Example;
use crate::pipeline::Scorer;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Labelled files: a customer-service TSV with a header (`label`,
    /// `text`, optional `urgency`, `topics`) or VADER's ground truth
    /// (`id<TAB>rating<TAB>text`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Ground-truth ratings within ±band (of -4..4) are neutral.
    #[arg(long, default_value_t = 0.5)]
    band: f64,
    /// List up to N texts per file whose label earshot got wrong.
    #[arg(long, default_value_t = 0)]
    errors: usize,
    /// Also measure single-thread throughput (texts/s) of both scorers.
    #[arg(long)]
    speed: bool,
    /// Score with this complaint model (from `earshot train`) instead of
    /// the built-in one.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Score with this critical model (from `earshot train --target
    /// critical`) instead of the built-in one.
    #[arg(long)]
    critical_model: Option<PathBuf>,
}

/// What a model learns to hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Complaints: the negative posts.
    Complaint,
    /// Critical mentions: the posts whose urgency is critical.
    Critical,
}

impl Target {
    /// Whether `e` is a post of the class the model learns to hear.
    fn hears(self, e: &Example) -> bool {
        match self {
            Target::Complaint => e.label == Label::Negative,
            Target::Critical => e.urgency == Some(Urgency::Critical),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Labelled files, as for `eval`. Negative posts are the complaints;
    /// posts of urgency `critical` the critical mentions.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What the model learns: complaints (`[scoring] complaint_model_file`)
    /// or critical mentions (`critical_model_file`).
    #[arg(long, value_enum, default_value_t = Target::Complaint)]
    target: Target,
    /// Where to write the model.
    #[arg(long)]
    out: PathBuf,
    /// How much a post of a ground-truth file (general sentiment, no
    /// urgency column) counts against one of a customer-service file.
    #[arg(long, default_value_t = 0.1)]
    general_weight: f64,
    /// Ground-truth ratings within ±band (of -4..4) are neutral.
    #[arg(long, default_value_t = 0.5)]
    band: f64,
}

/// `earshot eval`: one report per file, then the throughput if asked.
pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let settings = ScoringSettings {
        complaint_model_text: args.model.as_deref().map(read).transpose()?,
        critical_model_text: args.critical_model.as_deref().map(read).transpose()?,
        ..ScoringSettings::default()
    };
    let scorer = Scorer::with_settings(&[], &settings).map_err(|e| {
        // The error's key says which model file it is: name it by its path.
        let path = if e.key.starts_with("scoring.critical_model_file") { &args.critical_model } else { &args.model };
        match path {
            Some(path) => anyhow::anyhow!("{}: {e}", path.display()),
            None => anyhow::anyhow!("{e}"),
        }
    })?;
    let anchor = crate::pipeline::sentiment::SentimentAnalyzer::new();
    let mut texts = Vec::new();
    for path in &args.files {
        let examples = labelled(path, args.band)?;
        let report = crate::eval::evaluate(&path.display().to_string(), &examples, &scorer, &anchor);
        println!("{report}");
        let wrong = examples.iter().zip(&report.scored).filter(|(e, s)| e.label != s.earshot.label);
        for (e, s) in wrong.take(args.errors) {
            let text: String = e.text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            println!(
                "  {} gold {} got {} ({:+.3}; VADER {:+.3}) {}\n      {text}",
                e.id,
                e.label.as_str(),
                s.earshot.label.as_str(),
                s.earshot.compound,
                s.anchor,
                s.earshot.reasons[1..].join("; ")
            );
        }
        texts.extend(examples.into_iter().map(|e| e.text));
    }
    if args.speed {
        let budget = std::time::Duration::from_secs(3);
        let ours = crate::eval::throughput(&texts, budget, |t| scorer.score_text(t).compound);
        let plain = crate::eval::throughput(&texts, budget, |t| anchor.compound(t));
        println!(
            "throughput, one thread, {} texts: earshot {ours:.0} texts/s, plain VADER (Rust) {plain:.0} texts/s",
            texts.len()
        );
    }
    Ok(())
}

/// `earshot train`: reads the files, trains, writes the model with a
/// header naming what it was trained on.
pub fn train(args: &TrainArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.general_weight.is_finite() && args.general_weight >= 0.0,
        "--general-weight must be a number >= 0, not {}",
        args.general_weight
    );
    let mut examples: Vec<(String, bool, f64)> = Vec::new();
    let (what, positive) = match args.target {
        Target::Complaint => ("complaint", "negative"),
        Target::Critical => ("critical", "critical"),
    };
    let mut header = format!(
        "earshot's {what} model: a logistic regression over words and word pairs\n\
         (src/pipeline/scorer/model.rs). Written by `earshot train`; do not edit by hand.\n"
    );
    let _ = writeln!(
        header,
        "Trained with --target {what} --general-weight {} --band {} on:",
        args.general_weight, args.band
    );
    for path in &args.files {
        let file = labelled(path, args.band)?;
        // A file without urgency labels is general sentiment ground truth.
        let general = file.iter().all(|e| e.urgency.is_none());
        let weight = if general { args.general_weight } else { 1.0 };
        let positives = file.iter().filter(|e| args.target.hears(e)).count();
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let _ = writeln!(header, "  {name}: {} posts, {positives} {positive}, weight {weight}", file.len());
        examples.extend(file.into_iter().map(|e| {
            let hears = args.target.hears(&e);
            (e.text, hears, weight)
        }));
    }
    anyhow::ensure!(
        examples.iter().any(|e| e.1) && examples.iter().any(|e| !e.1),
        "training needs both {positive} and other posts"
    );
    let model = Scorer::new().train_model(examples.iter().map(|(t, c, w)| (t.as_str(), *c, *w)));
    std::fs::write(&args.out, model.to_file(&header)).with_context(|| format!("writing {}", args.out.display()))?;
    println!("{} features from {} posts -> {}", model.len(), examples.len(), args.out.display());
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn labelled(path: &Path, band: f64) -> anyhow::Result<Vec<Example>> {
    crate::eval::parse(&read(path)?, band).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
