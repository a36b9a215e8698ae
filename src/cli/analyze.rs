//! `tonewatch analyze`: prosody reports of recorded calls.

use std::io::{self, BufWriter, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, ValueEnum};
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::audio::synth;
use tonewatch::classify::Models;
use tonewatch::classify::model::AngerModel;
use tonewatch::offline::{self, FileError, Options};
use tonewatch::report::{FileReport, Role, csv, text};

/// Rate the demo call is synthesised at: wideband, so the analysis shows the
/// same band-limiting to the telephone band a headset recording goes through.
const DEMO_RATE: u32 = 16_000;
const DEMO_NAME: &str = "demo-call";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per input, one per line (JSON Lines), whatever the number of inputs.
    Json,
    /// A header, then one row per timeline point per channel (see --summary).
    Csv,
    /// A readable summary per input and channel.
    Text,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Roles {
    /// Channel 0 is the customer, channel 1 the agent.
    #[value(name = "customer,agent")]
    CustomerAgent,
    /// Channel 0 is the agent, channel 1 the customer.
    #[value(name = "agent,customer")]
    AgentCustomer,
}

#[derive(Args)]
#[command(after_help = "\
Reads WAV (PCM, float, G.711 µ-law/A-law), MP3 and FLAC; mono or stereo, 8–192 kHz.
A mono recording is the customer. A stereo recording has one party per channel: by default
channel 0 (left) is the customer and channel 1 (right) the agent; --roles agent,customer swaps them.

JSON output, one line per input:
  {\"file\", \"duration_s\", \"sample_rate\", \"codec\",
   \"channels\": [{\"role\", \"summary\": {measures},
                  \"timeline\": [{\"time_s\", measures, \"anger_score\", \"state\"}],
                  \"alerts\": [{\"time_s\", \"kind\", \"role\", \"score\", \"evidence\", \"message\", ...}]}],
   \"warnings\": [\"...\"]}
Measures are null where there was not enough speech to measure them.

Problems go to stderr, one line per input. Exit status: 0 if every input was analysed in full,
1 if any could not be read or was only partly decoded (what was decoded is still reported),
2 on a usage error. Clipping and DC offset are warnings, not failures.")]
pub struct AnalyzeArgs {
    /// Recordings to analyse.
    #[arg(value_name = "FILE", required_unless_present = "demo")]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Who speaks on channels 0 and 1 of a stereo recording.
    #[arg(long, value_enum, default_value_t = Roles::CustomerAgent)]
    roles: Roles,
    /// CSV only: one row per channel with the whole-recording measures, instead of the timeline.
    #[arg(long)]
    summary: bool,
    /// Analyse the built-in synthetic demo call (40 s, one voice, calm then escalating),
    /// reported as `demo-call`, before any FILE.
    #[arg(long)]
    demo: bool,
    /// Feed the analysers chunks of N frames instead of the decoder's blocks; the results
    /// must be identical (for tests).
    #[arg(long, value_name = "N", hide = true)]
    block_frames: Option<NonZeroUsize>,
    /// Anger model to use instead of the built-in one (a file written by `tonewatch train anger`).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Language of the calls, for the profile norms (what counts as fast or lively):
    /// de, en, it, zh or generic.
    #[arg(long, default_value = "generic")]
    language: String,
}

pub fn run(a: AnalyzeArgs) -> Result<ExitCode> {
    if a.summary && a.format != Format::Csv {
        usage_error("--summary is for --format csv (JSON and text always include the summary)");
    }
    let options = Options {
        config: AnalyzerConfig::default(),
        stereo_roles: match a.roles {
            Roles::CustomerAgent => [Role::Customer, Role::Agent],
            Roles::AgentCustomer => [Role::Agent, Role::Customer],
        },
        chunk_frames: a.block_frames,
        models: {
            let models = match &a.model {
                Some(p) => Models::builtin().with_anger_model(Arc::new(AngerModel::load(p)?)),
                None => Models::builtin(),
            };
            models.with_language(&a.language)?
        },
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match report_all(&a, &options, &mut out) {
        Ok(true) => Ok(ExitCode::SUCCESS),
        Ok(false) => Ok(ExitCode::from(1)),
        // Whoever reads the output (`head`, a pager) has all it wants.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("cannot write the report"),
    }
}

/// Exits with clap's usage error for this subcommand (status 2).
fn usage_error(message: &str) -> ! {
    let mut cli = super::Cli::command();
    // Building sets the subcommand's full name for its usage line.
    cli.build();
    match cli.find_subcommand_mut("analyze") {
        Some(analyze) => analyze.error(ErrorKind::ArgumentConflict, message).exit(),
        None => cli.error(ErrorKind::ArgumentConflict, message).exit(),
    }
}

/// Analyses and reports every input in order; true if all were analysed in
/// full. Only errors writing `out` stop it.
fn report_all(a: &AnalyzeArgs, options: &Options, out: &mut impl Write) -> io::Result<bool> {
    let layout = if a.summary {
        csv::Layout::Summary
    } else {
        csv::Layout::Timeline
    };
    if a.format == Format::Csv {
        csv::write_header(out, layout)?;
    }
    let demo = a.demo.then(|| {
        let call = synth::demo_call(DEMO_RATE);
        offline::analyze_samples(DEMO_NAME, DEMO_RATE, &[&call], options)
    });
    let files = a.files.iter().map(|f| offline::analyze_file(f, options));
    let mut all_fine = true;
    for result in demo.into_iter().chain(files) {
        let report = match result {
            Ok(report) => report,
            Err(e) => {
                all_fine = false;
                complain(&e);
                continue;
            }
        };
        match a.format {
            Format::Json => {
                serde_json::to_writer(&mut *out, &report)?;
                writeln!(out)?;
            }
            Format::Csv => csv::write_rows(out, &report, layout)?,
            Format::Text => text::write_report(out, &report)?,
        }
        // Keep stdout and the stderr lines below in input order.
        out.flush()?;
        all_fine &= report.is_complete();
        warn(&report);
    }
    Ok(all_fine)
}

/// The one stderr line for an input that could not be analysed. A failing
/// stderr is not worth a panic.
fn complain(e: &FileError) {
    let _ = writeln!(io::stderr(), "tonewatch: {e}");
}

/// One stderr line per warning; a partial decode is a problem, not a warning.
fn warn(report: &FileReport) {
    let mut err = io::stderr().lock();
    for w in &report.warnings {
        let kind = if w.is_incomplete() { "" } else { "warning: " };
        let _ = writeln!(err, "tonewatch: {kind}{}: {w}", report.file);
    }
}
