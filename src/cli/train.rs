//! `tonewatch train`: rebuild the models in `models/` from the corpora.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::classify::profile::ProfileNorms;
use tonewatch::eval;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Which {
    Anger,
    Profiles,
    /// The syllable-nucleus model (train it first: the others measure speech rate with it).
    Nuclei,
}

#[derive(Args)]
pub struct TrainArgs {
    which: Which,
    /// Folder of the corpora (default: $TONEWATCH_DATA or ../shared/data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Where to write the model (default: models/anger.json or models/profiles.json).
    #[arg(long)]
    out: Option<PathBuf>,
    /// L2 penalty of the model's weights (default: each model's own; the nucleus
    /// network's is on the mean log-loss of a hop).
    #[arg(long)]
    l2: Option<f64>,
}

pub fn run(a: TrainArgs) -> Result<ExitCode> {
    let data = super::eval::corpus_dir(a.data)?;
    match a.which {
        Which::Profiles => {
            let out = a
                .out
                .unwrap_or_else(|| PathBuf::from("models/profiles.json"));
            let norms =
                eval::profiles::train(&data, &ProfileNorms::builtin()).map_err(|e| anyhow!(e))?;
            let json = serde_json::to_string_pretty(&norms)?;
            std::fs::write(&out, json + "\n").with_context(|| out.display().to_string())?;
            for (code, l) in &norms.languages {
                say!(
                    "  {code}: {:.2} syl/s, pitch SD {:.2} st ({})",
                    l.speech_rate_syl_s,
                    l.pitch_sd_st,
                    l.source
                );
            }
            say!("wrote {}", out.display());
        }
        Which::Nuclei => {
            let out = a.out.unwrap_or_else(|| PathBuf::from("models/nuclei.json"));
            let model = eval::nuclei::train(
                &data,
                AnalyzerConfig::default(),
                a.l2.unwrap_or(eval::nuclei::DEFAULT_L2),
            )
            .map_err(|e| anyhow!(e))?;
            let json = serde_json::to_string_pretty(&model)?;
            std::fs::write(&out, json + "\n").with_context(|| out.display().to_string())?;
            say!("wrote {} ({})", out.display(), model.trained_on);
        }
        Which::Anger => {
            let out = a.out.unwrap_or_else(|| PathBuf::from("models/anger.json"));
            let examples = eval::anger::build_dataset(&data, AnalyzerConfig::default())
                .map_err(|e| anyhow!(e))?;
            let model = eval::anger::train(&examples, a.l2.unwrap_or(eval::anger::DEFAULT_L2));
            let json = serde_json::to_string_pretty(&model)?;
            std::fs::write(&out, json + "\n").with_context(|| out.display().to_string())?;
            say!(
                "wrote {} ({} utterances, {} speakers); leave-one-speaker-out UAR: {}",
                out.display(),
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
