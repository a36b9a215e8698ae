//! `tonewatch live-check`: compares a live session (its events and recording)
//! with `analyze` on the file that was played into it. Used by scripts/test-live.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Args;
use tonewatch::eval::live_match;

use super::common::ModelArgs;

#[derive(Args)]
pub struct LiveCheckArgs {
    /// The recording that was played into the sound server.
    file: PathBuf,
    /// The live session's --events file.
    #[arg(long)]
    events: PathBuf,
    /// The live session's --record file.
    #[arg(long)]
    record: PathBuf,
    /// Largest allowed difference between live and offline alert times, s.
    #[arg(long, default_value_t = 0.5)]
    tolerance: f64,
    /// When the caller turns angry in the file, s: prints the delay to the live alert.
    #[arg(long)]
    turn: Option<f64>,
    /// The model and language the live session ran with.
    #[command(flatten)]
    models: ModelArgs,
}

pub fn run(a: LiveCheckArgs) -> Result<ExitCode> {
    let m = live_match::compare(&a.file, &a.events, &a.record, a.models.models()?)
        .map_err(|e| anyhow!(e))?;
    let f = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    say!(
        "{}: file starts at {:.2} s of the live session (envelope correlation {:.3})",
        a.file.display(),
        m.offset_s,
        m.correlation
    );
    say!(
        "  anger_rising offline [{}], live [{}] (file time); profile offline {}, live {}",
        f(&m.offline_alerts),
        f(&m.live_alerts),
        m.offline_profile,
        m.live_profile
    );
    say!(
        "  live latency p99 {} ms, {} overflow(s)",
        m.latency_p99_ms
            .map_or("?".to_string(), |v| format!("{v:.2}")),
        m.overflows
    );
    if let (Some(turn), Some(first)) = (a.turn, m.live_alerts.first()) {
        say!(
            "  first angry speech at {turn:.2} s, live alert at {first:.2} s: {:.2} s later (+ {:.2} ms to emit)",
            first - turn,
            m.latency_p99_ms.unwrap_or(0.0)
        );
    }
    let ok =
        m.alerts_match(a.tolerance) && m.offline_profile == m.live_profile && m.correlation > 0.9;
    say!(
        "  live vs offline: {}",
        if ok {
            "SAME (every anger_rising within the tolerance, same profile)"
        } else {
            "DIFFERENT"
        }
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
