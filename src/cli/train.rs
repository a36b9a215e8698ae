//! `tonewatch train`: rebuild the models in `models/` from the corpora.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::eval;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Which {
    Anger,
}

#[derive(Args)]
pub struct TrainArgs {
    which: Which,
    /// Folder of the corpora (default: $TONEWATCH_DATA or ../shared/data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long, default_value = "models/anger.json")]
    out: PathBuf,
    /// L2 penalty of the logistic regression.
    #[arg(long, default_value_t = eval::anger::DEFAULT_L2)]
    l2: f64,
}

pub fn run(a: TrainArgs) -> Result<ExitCode> {
    let data = super::eval::corpus_dir(a.data)?;
    match a.which {
        Which::Anger => {
            let examples = eval::anger::build_dataset(&data, AnalyzerConfig::default())
                .map_err(|e| anyhow!(e))?;
            let model = eval::anger::train(&examples, a.l2);
            let json = serde_json::to_string_pretty(&model)?;
            std::fs::write(&a.out, json + "\n").with_context(|| a.out.display().to_string())?;
            println!(
                "wrote {} ({} utterances, {} speakers); leave-one-speaker-out UAR: {}",
                a.out.display(),
                model.trained_on.utterances,
                model.trained_on.speakers.len(),
                model
                    .accuracy
                    .iter()
                    .map(|(k, v)| format!("{k} {v:.3}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
