//! `tonewatch analyze`: prosody reports of recorded calls.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::common::{ModelArgs, Roles};
use anyhow::{Context, Result};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, ValueEnum};
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::audio::synth;
use tonewatch::cues::CueParams;
use tonewatch::offline::{self, FileError, Options};
use tonewatch::report::batch::{self, SummaryRow};
use tonewatch::report::{FileReport, csv, html, text};

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

A FILE may be a folder: its WAV, MP3 and FLAC files are analysed, sorted by path.
With --out DIR, each call gets DIR/<name>.json (the JSON object above) and DIR/<name>.html
(plots and cues; <name> is the path relative to the folder given, or the file name), and the
batch gets DIR/summary.csv (one row per call, failed ones with their reason) and
DIR/index.html (sortable, worst escalations first). A stereo call's JSON has \"cues\": talk
share, overlaps (who started them), dead air, the customer's longest monologue, the agent's
own anger, the agent's pace against the customer's profile, the customer's anger recovery.

Problems go to stderr, one line per input. Exit status: 0 if every input was analysed in full,
1 if any could not be read or was only partly decoded (what was decoded is still reported),
2 on a usage error. Clipping and DC offset are warnings, not failures.")]
pub struct AnalyzeArgs {
    /// Recordings to analyse.
    #[arg(value_name = "FILE", required_unless_present = "demo")]
    files: Vec<PathBuf>,
    /// Write one JSON and one HTML report per call, summary.csv and index.html into DIR
    /// (instead of the report on stdout).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Calls analysed at once (default: the number of cores). The results do not depend on it.
    #[arg(long, value_name = "N")]
    jobs: Option<NonZeroUsize>,
    /// Silences of both parties longer than this are dead air (stereo calls).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    dead_air: f64,
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
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(a: AnalyzeArgs) -> Result<ExitCode> {
    if a.summary && a.format != Format::Csv {
        usage_error("--summary is for --format csv (JSON and text always include the summary)");
    }
    if !(a.dead_air.is_finite() && a.dead_air > 0.0) {
        usage_error("--dead-air must be a positive number of seconds");
    }
    let options = Options {
        config: AnalyzerConfig::default(),
        stereo_roles: a.roles.roles(),
        chunk_frames: a.block_frames,
        models: a.model.models()?,
        cues: CueParams {
            dead_air_s: a.dead_air,
            ..CueParams::default()
        },
    };
    let inputs = expand(&a.files);
    let jobs = a
        .jobs
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    if let Some(dir) = &a.out {
        return write_batch(&a, &inputs, jobs, &options, dir);
    }
    let mut out = BufWriter::new(io::stdout().lock());
    match report_all(&a, &inputs, jobs, &options, &mut out) {
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

/// One recording to analyse.
struct Input {
    path: PathBuf,
    /// Relative name the batch outputs are named after.
    name: String,
    /// Why it cannot be analysed before even opening it (an unreadable folder entry).
    error: Option<String>,
}

/// Whether a file is audio a folder walk should pick.
fn is_audio(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["wav", "mp3", "flac"].contains(&e.to_ascii_lowercase().as_str()))
}

/// The inputs: files as given, folders walked (audio files, sorted by path so
/// the order does not depend on the file system). Output names are the path
/// relative to the folder given (or the file name), made unique.
fn expand(given: &[PathBuf]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for g in given {
        if !g.is_dir() {
            let name = g
                .file_name()
                .map_or_else(|| g.display().to_string(), |n| n.to_string_lossy().into());
            inputs.push(Input {
                path: g.clone(),
                name,
                error: None,
            });
            continue;
        }
        let before = inputs.len();
        for entry in walkdir::WalkDir::new(g)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) if e.file_type().is_file() && is_audio(e.path()) => {
                    let rel = e.path().strip_prefix(g).unwrap_or(e.path());
                    let name = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    inputs.push(Input {
                        path: e.path().to_path_buf(),
                        name,
                        error: None,
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    let path = e.path().unwrap_or(g).to_path_buf();
                    let reason = e
                        .io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string());
                    inputs.push(Input {
                        name: path.display().to_string(),
                        error: Some(format!("{}: cannot read: {reason}", path.display())),
                        path,
                    });
                }
            }
        }
        if inputs.len() == before {
            inputs.push(Input {
                path: g.clone(),
                name: g.display().to_string(),
                error: Some(format!(
                    "{}: a folder with no WAV, MP3 or FLAC files",
                    g.display()
                )),
            });
        }
    }
    let mut used = BTreeSet::new();
    for i in &mut inputs {
        let mut name = i.name.clone();
        let mut k = 2;
        while !used.insert(name.clone()) {
            name = format!("{}~{k}", i.name);
            k += 1;
        }
        i.name = name;
    }
    inputs
}

/// What analysing one input gave.
type Outcome = Result<FileReport, String>;

/// Analyses `n` items with `jobs` threads and hands the results to `emit` in
/// item order, whatever order they finish in. Each item is analysed on its
/// own, so the results do not depend on `jobs`.
fn in_order<F, E>(n: usize, jobs: usize, analyse: F, mut emit: E) -> io::Result<()>
where
    F: Fn(usize) -> Outcome + Sync,
    E: FnMut(usize, Outcome) -> io::Result<()>,
{
    if jobs <= 1 || n <= 1 {
        for i in 0..n {
            emit(i, analyse(i))?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..jobs.min(n) {
            let tx = tx.clone();
            let (next, analyse) = (&next, &analyse);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || tx.send((i, analyse(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, r) in rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&due) {
                if let Err(e) = emit(due, r) {
                    // Stop the workers: nothing more can be written.
                    next.store(n, Ordering::Relaxed);
                    return Err(e);
                }
                due += 1;
            }
        }
        Ok(())
    })
}

/// Analyses item `i`: the demo call first when asked for, then the inputs.
fn analyse_item(a: &AnalyzeArgs, inputs: &[Input], options: &Options, i: usize) -> Outcome {
    let i = if a.demo {
        if i == 0 {
            let call = synth::demo_call(DEMO_RATE);
            return offline::analyze_samples(DEMO_NAME, DEMO_RATE, &[&call], options)
                .map_err(|e| e.to_string());
        }
        i - 1
    } else {
        i
    };
    let input = &inputs[i];
    if let Some(e) = &input.error {
        return Err(e.clone());
    }
    offline::analyze_file(&input.path, options).map_err(|e: FileError| e.to_string())
}

/// The progress bar on a terminal; hidden when stderr is not one.
fn progress(n: usize) -> indicatif::ProgressBar {
    if !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40.cyan/blue} {pos}/{len} calls  {elapsed_precise} elapsed, ETA {eta_precise}  {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// `--out DIR`: per-call JSON and HTML, summary.csv and index.html.
fn write_batch(
    a: &AnalyzeArgs,
    inputs: &[Input],
    jobs: usize,
    options: &Options,
    dir: &Path,
) -> Result<ExitCode> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let n = inputs.len() + usize::from(a.demo);
    let bar = progress(n);
    let started = Instant::now();
    let mut rows = Vec::with_capacity(n);
    let mut all_fine = true;
    let mut audio_s = 0.0;
    let mut write_error = None;
    let result = in_order(
        n,
        jobs,
        |i| analyse_item(a, inputs, options, i),
        |i, outcome| {
            let name = if a.demo && i == 0 {
                DEMO_NAME
            } else {
                &inputs[i - usize::from(a.demo)].name
            };
            let row = match outcome {
                Ok(report) => {
                    all_fine &= report.is_complete();
                    audio_s += report.duration_s;
                    bar.suspend(|| warn(&report));
                    let mut row = SummaryRow::from_report(name, &report);
                    match write_call(dir, name, &report) {
                        Ok(html) => row.html = Some(html),
                        Err(e) => {
                            write_error = Some(e);
                            return Err(io::Error::other("stopped"));
                        }
                    }
                    row
                }
                Err(reason) => {
                    all_fine = false;
                    bar.suspend(|| {
                        let _ = writeln!(io::stderr(), "tonewatch: {reason}");
                    });
                    SummaryRow::failed(name, reason)
                }
            };
            rows.push(row);
            bar.inc(1);
            Ok(())
        },
    );
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e);
    }
    result.context("cannot write the reports")?;
    let summary = dir.join("summary.csv");
    let mut w = BufWriter::new(
        fs::File::create(&summary)
            .with_context(|| format!("cannot write {}", summary.display()))?,
    );
    batch::write_summary_header(&mut w)?;
    for r in &rows {
        batch::write_summary_row(&mut w, r)?;
    }
    w.flush()
        .with_context(|| format!("cannot write {}", summary.display()))?;
    let index = dir.join("index.html");
    fs::write(&index, html::index_page(&rows))
        .with_context(|| format!("cannot write {}", index.display()))?;
    let failed = rows.iter().filter(|r| r.status == "failed").count();
    let wall = started.elapsed().as_secs_f64();
    say!(
        "{} calls ({failed} failed), {:.1} s of audio in {wall:.1} s ({:.0}× real time, {jobs} jobs): {}",
        rows.len(),
        audio_s,
        audio_s / wall.max(1e-9),
        index.display()
    );
    Ok(if all_fine {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes DIR/<name>.json and DIR/<name>.html; returns the HTML's path
/// relative to DIR.
fn write_call(dir: &Path, name: &str, report: &FileReport) -> Result<String> {
    let json = dir.join(format!("{name}.json"));
    if let Some(parent) = json.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // Streamed to the file: a long call's JSON is tens of MB.
    let write = || -> io::Result<()> {
        let mut w = BufWriter::new(fs::File::create(&json)?);
        serde_json::to_writer(&mut w, report)?;
        writeln!(w)?;
        w.flush()
    };
    write().with_context(|| format!("cannot write {}", json.display()))?;
    let rel = format!("{name}.html");
    let page = dir.join(&rel);
    fs::write(&page, html::call_page(report, name))
        .with_context(|| format!("cannot write {}", page.display()))?;
    Ok(rel)
}

/// Analyses and reports every input in order; true if all were analysed in
/// full. Only errors writing `out` stop it.
fn report_all(
    a: &AnalyzeArgs,
    inputs: &[Input],
    jobs: usize,
    options: &Options,
    out: &mut impl Write,
) -> io::Result<bool> {
    let layout = if a.summary {
        csv::Layout::Summary
    } else {
        csv::Layout::Timeline
    };
    if a.format == Format::Csv {
        csv::write_header(out, layout)?;
    }
    let mut all_fine = true;
    let n = inputs.len() + usize::from(a.demo);
    in_order(
        n,
        jobs,
        |i| analyse_item(a, inputs, options, i),
        |_, result| {
            let report = match result {
                Ok(report) => report,
                Err(e) => {
                    all_fine = false;
                    complain(&e);
                    return Ok(());
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
            Ok(())
        },
    )?;
    Ok(all_fine)
}

/// The one stderr line for an input that could not be analysed. A failing
/// stderr is not worth a panic.
fn complain(e: &str) {
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
