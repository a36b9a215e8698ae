//! `tonewatch bench`: how fast the analysis runs on this machine.
//!
//! Two figures matter for deployment. The real-time factor of the offline path
//! (decoded samples to JSON text) says how many recorded calls one core can
//! get through. The latency of each `Analyzer::process` call on 10 ms chunks
//! says whether the live path keeps up with an audio callback, and the worst
//! case matters there, not the mean. Everything runs on this one thread, so a
//! figure is per core.

use std::hint::black_box;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use tonewatch::analyzer::{Analyzer, AnalyzerConfig, NullSink};
use tonewatch::audio::decode::Decoder;
use tonewatch::audio::synth;
use tonewatch::offline::{self, Options};

/// The targets for one core.
const TARGET_RTF: f64 = 1000.0;
const TARGET_P99_US: f64 = 100.0;

const DEMO_RATE: u32 = 16_000;
const DEFAULT_DEMO_S: f64 = 60.0;
/// Longer runs say nothing more and a decoded hour of 48 kHz stereo is 1.4 GB.
const MAX_SECONDS: f64 = 3600.0;

#[derive(Args)]
#[command(after_help = "\
Without FILE, measures on the synthetic demo call (16 kHz) repeated to --seconds (default 60).
With FILE, decodes it first (timed on its own), then measures on the decoded samples.
Both a mono (one party) and a stereo (two-party) case are measured: a mono input gets a
second party made of the same audio shifted by half its length, a stereo input is also
measured on its first channel alone.

Timings are noisy on a busy machine: the load average is printed with the results.
Targets (one core): whole pipeline >= 1000x real time per channel, live p99 <= 100 µs per
10 ms chunk (for the stereo case, both channels' chunks in one call).
A missed target is reported as FAIL but does not change the exit status.")]
pub struct BenchArgs {
    /// Recording to measure with (WAV, MP3 or FLAC); default: the synthetic demo call.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Seconds of audio: the demo call is repeated to this length, a FILE is cut to it.
    #[arg(long, value_name = "N")]
    seconds: Option<f64>,
    /// Runs of the whole pipeline; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    source: String,
    synthetic: bool,
    sample_rate: u32,
    /// Channels of the input itself.
    channels: usize,
    audio_s: f64,
    cpus: usize,
    /// 1, 5 and 15 minute load averages, where the system tells them.
    load_average: Option<[f64; 3]>,
    /// "thread" when CPU times are the measuring thread's own, else "wall".
    cpu_clock: &'static str,
    decode: Option<Timing>,
    pipeline: Vec<Pipeline>,
    latency: Vec<Latency>,
}

#[derive(Serialize, Clone, Copy)]
struct Timing {
    cpu_s: f64,
    wall_s: f64,
}

#[derive(Serialize)]
struct Pipeline {
    case: &'static str,
    channels: usize,
    runs: u32,
    /// Medians over the runs.
    cpu_s: f64,
    wall_s: f64,
    /// Audio seconds per CPU second (of the call: a stereo second counts once).
    rtf: f64,
    /// Channel seconds per CPU second: what the target is for, as the work
    /// grows with the number of parties.
    rtf_per_channel: f64,
    /// Audio seconds per wall-clock second.
    rtf_wall: f64,
    json_bytes: usize,
    target_rtf: f64,
    pass: bool,
}

#[derive(Serialize)]
struct Latency {
    case: &'static str,
    channels: usize,
    chunk_ms: f64,
    calls: usize,
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
    /// Most 10 ms hops one call analysed: the resampler works in blocks, so
    /// the call that completes a block runs several hops at once.
    max_hops_per_call: u64,
    target_p99_us: f64,
    pass: bool,
}

/// Audio to measure with, one Vec per channel.
struct Audio {
    source: String,
    synthetic: bool,
    rate: u32,
    channels: Vec<Vec<f32>>,
    decode: Option<Timing>,
}

pub fn run(a: BenchArgs) -> Result<ExitCode> {
    if let Some(s) = a.seconds
        && !(s > 0.0 && s <= MAX_SECONDS)
    {
        bail!("--seconds {s}: use more than 0 and at most {MAX_SECONDS}");
    }
    let audio = match &a.file {
        None => demo(a.seconds.unwrap_or(DEFAULT_DEMO_S)),
        Some(path) => decode(path, a.seconds)?,
    };
    let frames = audio.channels[0].len();
    if frames == 0 {
        bail!("{}: no audio to measure with", audio.source);
    }
    let audio_s = frames as f64 / f64::from(audio.rate);

    // The one-party and two-party cases, whatever the input has.
    let first = audio.channels[0].as_slice();
    let shifted;
    let second = match audio.channels.get(1) {
        Some(c) => c.as_slice(),
        None => {
            shifted = rotated(first, frames / 2);
            shifted.as_slice()
        }
    };
    let cases: [(&'static str, Vec<&[f32]>); 2] =
        [("mono", vec![first]), ("stereo", vec![first, second])];

    let mut pipeline = Vec::new();
    for (case, channels) in &cases {
        pipeline.push(measure_pipeline(
            case,
            &audio.source,
            audio.rate,
            channels,
            audio_s,
            a.repeat,
        )?);
    }
    let mut latency = Vec::new();
    for (case, channels) in &cases {
        latency.push(measure_latency(case, audio.rate, channels)?);
    }

    let report = Report {
        source: audio.source,
        synthetic: audio.synthetic,
        sample_rate: audio.rate,
        channels: audio.channels.len(),
        audio_s,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average: load_average(),
        cpu_clock: if tonewatch::usage::thread_cpu_time().is_some() {
            "thread"
        } else {
            "wall"
        },
        decode: audio.decode,
        pipeline,
        latency,
    };
    let mut out = io::stdout().lock();
    let written = if a.json {
        serde_json::to_writer(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_text(&mut out, &report)
    };
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write the report")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn demo(seconds: f64) -> Audio {
    let call = synth::demo_call(DEMO_RATE);
    let len = (seconds * f64::from(DEMO_RATE)).round().max(1.0) as usize;
    let samples: Vec<f32> = call.iter().copied().cycle().take(len).collect();
    Audio {
        source: "demo-call".into(),
        synthetic: true,
        rate: DEMO_RATE,
        channels: vec![samples],
        decode: None,
    }
}

fn decode(path: &std::path::Path, seconds: Option<f64>) -> Result<Audio> {
    let t = Stopwatch::start();
    let mut decoder = Decoder::open(path)?;
    let info = decoder.info().clone();
    let limit = seconds.map(|s| (s * f64::from(info.sample_rate)).round() as usize);
    let mut channels = vec![Vec::new(); info.channels];
    let mut block = vec![Vec::new(); info.channels];
    loop {
        let n = match decoder.next_block(&mut block) {
            Ok(n) => n,
            // Measuring on what could be decoded is still useful.
            Err(e) => {
                eprintln!("tonewatch: warning: {e}");
                0
            }
        };
        if n == 0 {
            break;
        }
        for (c, b) in channels.iter_mut().zip(&block) {
            c.extend_from_slice(b);
        }
        if limit.is_some_and(|l| channels[0].len() >= l) {
            break;
        }
    }
    if let Some(l) = limit {
        for c in &mut channels {
            c.truncate(l);
        }
    }
    let timing = t.stop();
    Ok(Audio {
        source: path.display().to_string(),
        synthetic: false,
        rate: info.sample_rate,
        channels,
        decode: Some(timing),
    })
}

fn rotated(x: &[f32], by: usize) -> Vec<f32> {
    let mut y = x.to_vec();
    y.rotate_left(by);
    y
}

/// Decoded samples to JSON text, `repeat` times; medians.
fn measure_pipeline(
    case: &'static str,
    name: &str,
    rate: u32,
    channels: &[&[f32]],
    audio_s: f64,
    repeat: u32,
) -> Result<Pipeline> {
    let options = Options::default();
    let mut cpu = Vec::new();
    let mut wall = Vec::new();
    let mut json_bytes = 0;
    for _ in 0..repeat {
        let t = Stopwatch::start();
        let report = offline::analyze_samples(name, rate, channels, &options)?;
        let json = serde_json::to_string(&report)?;
        json_bytes = black_box(json).len();
        let timing = t.stop();
        cpu.push(timing.cpu_s);
        wall.push(timing.wall_s);
    }
    let (cpu_s, wall_s) = (median(&mut cpu), median(&mut wall));
    let rtf = audio_s / cpu_s.max(1e-9);
    let rtf_per_channel = rtf * channels.len() as f64;
    Ok(Pipeline {
        case,
        channels: channels.len(),
        runs: repeat,
        cpu_s,
        wall_s,
        rtf,
        rtf_per_channel,
        rtf_wall: audio_s / wall_s.max(1e-9),
        json_bytes,
        target_rtf: TARGET_RTF,
        pass: rtf_per_channel >= TARGET_RTF,
    })
}

/// Times each `process` call of the live path, one 10 ms chunk per channel
/// per call, as an audio callback would make them.
fn measure_latency(case: &'static str, rate: u32, channels: &[&[f32]]) -> Result<Latency> {
    let config = AnalyzerConfig::default();
    let mut analyzers = channels
        .iter()
        .map(|_| Analyzer::new(rate, config))
        .collect::<Result<Vec<_>, _>>()?;
    let frames = channels[0].len();
    // Rates that are not a multiple of 100 Hz alternate chunk lengths
    // (220 and 221 frames at 22.05 kHz).
    let bound = |k: usize| k * rate as usize / 100;
    let max_chunk = bound(1) + 1;
    for a in &mut analyzers {
        // A live caller reserves once, so no call allocates.
        a.reserve(max_chunk);
    }
    let mut ns = Vec::with_capacity(frames / bound(1).max(1) + 1);
    let mut max_hops = 0;
    let mut k = 0;
    while bound(k) < frames {
        let (start, end) = (bound(k), bound(k + 1).min(frames));
        let before = analyzers[0].time_s();
        let t = Instant::now();
        for (a, c) in analyzers.iter_mut().zip(channels) {
            a.process(&c[start..end], &mut NullSink);
        }
        ns.push(t.elapsed().as_nanos() as f64);
        let hops = ((analyzers[0].time_s() - before) * 100.0).round() as u64;
        max_hops = max_hops.max(hops);
        k += 1;
    }
    let calls = ns.len();
    let mean_us = ns.iter().sum::<f64>() / calls as f64 / 1000.0;
    ns.sort_unstable_by(f64::total_cmp);
    let pct = |q: f64| ns[((q * calls as f64).ceil() as usize).clamp(1, calls) - 1] / 1000.0;
    let p99_us = pct(0.99);
    Ok(Latency {
        case,
        channels: channels.len(),
        chunk_ms: 10.0,
        calls,
        mean_us,
        p50_us: pct(0.5),
        p99_us,
        max_us: ns[calls - 1] / 1000.0,
        max_hops_per_call: max_hops,
        target_p99_us: TARGET_P99_US,
        pass: p99_us <= TARGET_P99_US,
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

fn write_text(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let what = if r.synthetic {
        "synthetic demo call"
    } else {
        "decoded file"
    };
    writeln!(
        out,
        "tonewatch bench: {} ({what}), {} Hz, {} channel{}, {:.1} s of audio",
        r.source,
        r.sample_rate,
        r.channels,
        if r.channels == 1 { "" } else { "s" },
        r.audio_s
    )?;
    write!(out, "machine: {} CPUs available", r.cpus)?;
    if let Some([l1, l5, _]) = r.load_average {
        write!(out, ", load average {l1:.2} (1 min) {l5:.2} (5 min)")?;
        if l1 > 0.5 {
            write!(out, ": other work competes, figures are pessimistic")?;
        }
    }
    writeln!(out, "; measuring on 1 thread")?;
    if let Some(d) = r.decode {
        writeln!(
            out,
            "decode: {:.3} s CPU, {:.3} s wall ({:.0}x real time; not included below)",
            d.cpu_s,
            d.wall_s,
            r.audio_s / d.cpu_s.max(1e-9)
        )?;
    }
    let clock = if r.cpu_clock == "thread" {
        "thread CPU time"
    } else {
        "wall time (no CPU clock here)"
    };
    writeln!(out)?;
    writeln!(
        out,
        "Whole pipeline, decoded samples to JSON text (median of {} runs, {clock}):",
        r.pipeline.first().map_or(0, |p| p.runs)
    )?;
    for p in &r.pipeline {
        write!(
            out,
            "  {:<6} {:6.1} ms CPU {:6.1} ms wall {:6.0}x real time",
            p.case,
            p.cpu_s * 1e3,
            p.wall_s * 1e3,
            p.rtf,
        )?;
        let per_channel = if p.channels > 1 {
            format!("({:.0}x per channel)", p.rtf_per_channel)
        } else {
            String::new()
        };
        writeln!(
            out,
            " {per_channel:<20} target >= {:.0}x per channel: {}",
            p.target_rtf,
            verdict(p.pass)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Live path, one Analyzer::process call per 10 ms chunk (per channel), latency of each call:"
    )?;
    for l in &r.latency {
        writeln!(
            out,
            "  {:<6} p50 {:6.1} µs  p99 {:6.1} µs  max {:7.1} µs  target p99 <= {:.0} µs: {}",
            l.case,
            l.p50_us,
            l.p99_us,
            l.max_us,
            l.target_p99_us,
            verdict(l.pass)
        )?;
    }
    if let Some(l) = r.latency.first() {
        writeln!(
            out,
            "  {} calls; mean {:.1} µs; up to {} hops in one call (the resampler works in blocks)",
            l.calls, l.mean_us, l.max_hops_per_call
        )?;
    }
    Ok(())
}

/// CPU and wall time of a stretch of work on this thread.
struct Stopwatch {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Stopwatch {
    fn start() -> Self {
        Self {
            cpu: tonewatch::usage::thread_cpu_time(),
            wall: Instant::now(),
        }
    }

    fn stop(self) -> Timing {
        let wall = self.wall.elapsed();
        let cpu = match (self.cpu, tonewatch::usage::thread_cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        };
        Timing {
            cpu_s: cpu.as_secs_f64(),
            wall_s: wall.as_secs_f64(),
        }
    }
}

fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}
