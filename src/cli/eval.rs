//! `tonewatch eval`: accuracy figures.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::eval;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Which {
    Rate,
    Volume,
    Anger,
}

#[derive(Args)]
pub struct EvalArgs {
    which: Which,
    /// Folder of the corpora (default: $TONEWATCH_DATA or ../shared/data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Write per-file rows as CSV here.
    #[arg(long)]
    rows: Option<PathBuf>,
}

/// The corpus folder: given, or found at the default places.
pub fn corpus_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    given
        .or_else(eval::corpus::data_dir)
        .ok_or_else(|| anyhow!("no corpus data: set TONEWATCH_DATA or put it at ../shared/data"))
}

pub fn run(a: EvalArgs) -> Result<ExitCode> {
    let data = corpus_dir(a.data)?;
    let config = AnalyzerConfig::default();
    match a.which {
        Which::Rate => {
            let (rows, f) = eval::rate::evaluate(&data, config).map_err(|e| anyhow!(e))?;
            if let Some(p) = a.rows {
                let mut w = std::fs::File::create(&p).with_context(|| p.display().to_string())?;
                writeln!(
                    w,
                    "file,speaker,truth_n,truth_dur,truth_rate,clean_n,clean_speech,clean_rate,tel_n,tel_speech,tel_rate"
                )?;
                for r in &rows {
                    writeln!(
                        w,
                        "{},{},{},{:.3},{:.3},{},{:.3},{:.3},{},{:.3},{:.3}",
                        r.file,
                        r.speaker,
                        r.truth_syllables,
                        r.truth_duration_s,
                        r.truth_rate,
                        r.clean_syllables,
                        r.clean_speech_s,
                        r.clean_rate.unwrap_or(f64::NAN),
                        r.tel_syllables,
                        r.tel_speech_s,
                        r.tel_rate.unwrap_or(f64::NAN)
                    )?;
                }
            }
            println!(
                "speech rate, EmoDB ({} files): clean r = {:.3}, MAE = {:.2} syl/s; telephone r = {:.3}, MAE = {:.2} syl/s",
                f.files, f.clean_r, f.clean_mae, f.tel_r, f.tel_mae
            );
        }
        Which::Volume => {
            let f = eval::volume::evaluate(&data, config).map_err(|e| anyhow!(e))?;
            println!(
                "volume, EmoDB+EMOVO ({} files, {} without a level): gain ±12 dB: max error {:.3} dB, {:.1} % within 0.1 dB; white noise at 20 dB SNR: mean shift {:.2} dB, max {:.2} dB, {:.1} % within 1 dB; silence/noise-only inputs given a level: {}",
                f.files,
                f.no_level,
                f.max_gain_error_db,
                100.0 * f.gain_within_0_1,
                f.mean_noise_shift_db,
                f.max_noise_shift_db,
                100.0 * f.noise_within_1,
                f.silence_with_level
            );
        }
        Which::Anger => {
            let examples = eval::anger::build_dataset(&data, config).map_err(|e| anyhow!(e))?;
            let f = eval::anger::leave_one_speaker_out(&examples, eval::anger::DEFAULT_L2);
            for (s, c, t) in &f.per_speaker {
                println!("  held-out {s}: UAR clean {c:.3}, telephone {t:.3}");
            }
            println!(
                "anger vs rest, leave-one-speaker-out UAR: EmoDB {:.3}, EMOVO {:.3}; trained clean, tested telephone: EmoDB {:.3}, EMOVO {:.3}",
                f.uar_emodb, f.uar_emovo, f.uar_telephone_emodb, f.uar_telephone_emovo
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
