//! `tonewatch analyze` end to end: the binary on recordings generated here
//! (synthetic speech written as WAV, FLAC, MP3, and broken files), checking
//! the JSON contract, the other formats, stderr lines and exit codes.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;
use tonewatch::audio::synth::{UtteranceSpec, utterance};

const MEASURES: [&str; 11] = [
    "speech_s",
    "voiced_s",
    "syllables",
    "speech_rate_syl_s",
    "active_level_dbfs",
    "pitch_median_hz",
    "pitch_sd_st",
    "pitch_range_st",
    "spectral_balance_db",
    "periodicity",
    "spectral_flux_db",
];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The stderr, which must be exactly one line.
    fn one_stderr_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "stderr: {:?}", self.stderr);
        assert!(self.stderr.ends_with('\n'));
        lines[0]
    }

    /// The JSON objects on stdout, one per line.
    fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

fn analyze<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_tonewatch"))
        .arg("analyze")
        .args(args)
        .output()
        .unwrap();
    let run = Run {
        code: out
            .status
            .code()
            .unwrap_or_else(|| panic!("killed by a signal: {:?}", out.status)),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Synthetic speech: `secs` long, mean F0 `f0` Hz, at `level_dbfs`.
fn speech(rate: u32, seed: u64, f0: f64, level_dbfs: f64, secs: f64) -> Vec<f32> {
    let spec = UtteranceSpec {
        f0_mean_hz: f0,
        level_dbfs,
        duration_s: secs,
        ..UtteranceSpec::default()
    };
    utterance(rate, seed, &spec).0
}

fn interleave(left: &[f32], right: &[f32]) -> Vec<f32> {
    left.iter().zip(right).flat_map(|(&l, &r)| [l, r]).collect()
}

/// A 16-bit mono WAV of 4 s of speech at 8 kHz.
fn mono_speech_wav(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    write_hound(
        &path,
        HoundFormat::Int(16),
        8000,
        1,
        &speech(8000, 1, 200.0, -24.0, 4.0),
    );
    path
}

/// A 16-bit stereo WAV: a high, loud voice on channel 0 and a low, soft one
/// on channel 1, talking over each other for 4 s.
fn stereo_speech_wav(dir: &Path, rate: u32) -> PathBuf {
    let path = dir.join("stereo.wav");
    let high = speech(rate, 2, 240.0, -20.0, 4.0);
    let low = speech(rate, 3, 100.0, -32.0, 4.0);
    write_hound(
        &path,
        HoundFormat::Int(16),
        rate,
        2,
        &interleave(&high, &low),
    );
    path
}

fn number(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number: {v}"))
}

/// Checks a measures object: every key present, a number or null.
fn assert_measures(m: &Value, extra: &[&str]) {
    let obj = m
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {m}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut want: Vec<&str> = MEASURES.iter().chain(extra).copied().collect();
    keys.sort_unstable();
    want.sort_unstable();
    assert_eq!(keys, want);
    for (k, v) in obj {
        assert!(v.is_number() || v.is_null(), "{k}: {v}");
    }
    assert!(m["syllables"].is_u64(), "{m}");
}

#[test]
fn json_has_the_contract_keys_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let wav = mono_speech_wav(dir.path(), "call.wav");
    let run = analyze([&wav]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let reports = run.json();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "channels",
            "codec",
            "cues",
            "duration_s",
            "file",
            "sample_rate",
            "warnings"
        ]
    );
    assert_eq!(r["cues"], Value::Null, "cues need two parties");
    assert_eq!(r["file"], wav.display().to_string());
    assert_eq!(number(r, "duration_s"), 4.0);
    assert_eq!(r["sample_rate"], 8000);
    assert_eq!(r["codec"], "PCM 16-bit");
    assert_eq!(r["warnings"], Value::Array(vec![]));

    let channels = r["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 1, "mono is one channel");
    let ch = &channels[0];
    assert_eq!(ch["role"], "customer");
    assert_eq!(ch["alerts"], Value::Array(vec![]));
    let summary = &ch["summary"];
    // 4 s of speech is too little to name a style.
    let profile = &summary["profile"];
    assert_eq!(profile["type"], "undetermined", "{profile}");
    assert_eq!(profile["label_zh"], "未确定");
    assert_eq!(number(profile, "confidence"), 0.0);
    for k in ["speech_rate_syl_s", "active_level_dbfs", "pitch_sd_st"] {
        assert!(profile[k].is_number(), "{profile}");
    }
    let mut measures = summary.clone();
    measures.as_object_mut().unwrap().remove("profile");
    let summary = &measures;
    assert_measures(summary, &[]);
    for k in MEASURES {
        assert!(
            summary[k].is_number(),
            "4 s of speech measures {k}: {summary}"
        );
    }
    let pitch = number(summary, "pitch_median_hz");
    assert!((170.0..230.0).contains(&pitch), "{pitch}");

    // A point every 0.25 s and one at the end.
    let timeline = ch["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 16);
    let mut last = 0.0;
    for p in timeline {
        // 4 s of speech is less than the baseline needs: no anger score yet.
        assert_eq!(p["state"], "learning", "{p}");
        let mut measures = p.clone();
        measures.as_object_mut().unwrap().remove("state");
        assert_measures(&measures, &["time_s", "anger_score"]);
        assert!(p["anger_score"].is_null());
        let t = number(p, "time_s");
        assert!(t > last, "times increase: {t} after {last}");
        last = t;
    }
    assert_eq!(last, 4.0);
    assert_rounded(r);
}

/// Every number has at most 3 decimals (seconds; the rest have fewer).
fn assert_rounded(v: &Value) {
    match v {
        Value::Number(n) => {
            let scaled = n.as_f64().unwrap() * 1000.0;
            assert!((scaled - scaled.round()).abs() < 1e-6, "unrounded: {n}");
        }
        Value::Array(a) => a.iter().for_each(assert_rounded),
        Value::Object(o) => o.values().for_each(assert_rounded),
        _ => {}
    }
}

#[test]
fn silence_gives_null_measures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hold.wav");
    write_hound(&path, HoundFormat::Int(16), 8000, 1, &vec![0.0; 16000]);
    let run = analyze([&path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = &run.json()[0];
    let summary = &r["channels"][0]["summary"];
    for k in [
        "speech_rate_syl_s",
        "active_level_dbfs",
        "pitch_median_hz",
        "pitch_sd_st",
        "pitch_range_st",
    ] {
        assert!(summary[k].is_null(), "{k}: {summary}");
    }
    assert_eq!(summary["speech_s"], 0.0);
}

#[test]
fn stereo_channels_get_roles_and_swap() {
    let dir = tempfile::tempdir().unwrap();
    let wav = stereo_speech_wav(dir.path(), 8000);
    let pitch_by_role = |args: &[&str]| -> Vec<(String, f64)> {
        let run = analyze(args.iter().copied().chain([wav.to_str().unwrap()]));
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()[0]["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ch| {
                (
                    ch["role"].as_str().unwrap().to_string(),
                    number(&ch["summary"], "pitch_median_hz"),
                )
            })
            .collect()
    };
    for (args, roles) in [
        (&[][..], ["customer", "agent"]),
        (&["--roles", "customer,agent"][..], ["customer", "agent"]),
        (&["--roles", "agent,customer"][..], ["agent", "customer"]),
    ] {
        let got = pitch_by_role(args);
        assert_eq!(got.len(), 2);
        // Channel order is kept; the high voice is channel 0.
        assert_eq!([got[0].0.as_str(), got[1].0.as_str()], roles, "{args:?}");
        assert!(got[0].1 > 180.0 && got[1].1 < 130.0, "{args:?}: {got:?}");
    }
    let bad = analyze(["--roles", "agent,agent", wav.to_str().unwrap()]);
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stdout, "");
}

#[test]
fn demo_runs_and_has_speech_measures() {
    let run = analyze(["--demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let reports = run.json();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r["file"], "demo-call");
    assert_eq!(number(r, "duration_s"), 40.0);
    let ch = &r["channels"][0];
    assert_eq!(ch["role"], "customer");
    let s = &ch["summary"];
    assert!((3.0..6.0).contains(&number(s, "speech_rate_syl_s")), "{s}");
    assert!(
        (140.0..260.0).contains(&number(s, "pitch_median_hz")),
        "{s}"
    );
    assert!(
        (-30.0..-10.0).contains(&number(s, "active_level_dbfs")),
        "{s}"
    );
    assert!(number(s, "speech_s") > 20.0, "{s}");
    assert_eq!(ch["timeline"].as_array().unwrap().len(), 160);
    // The demo call escalates from 20 s on: the built-in model must raise
    // exactly one anger alert, after the escalation starts, with evidence
    // of raised pitch and advice in both languages.
    let all = ch["alerts"].as_array().unwrap();
    let alerts: Vec<&Value> = all.iter().filter(|a| a["kind"] == "anger_rising").collect();
    assert_eq!(alerts.len(), 1, "{all:?}");
    let a = alerts[0];
    assert_eq!(a["kind"], "anger_rising");
    assert_eq!(a["role"], "customer");
    assert!((20.0..36.0).contains(&number(a, "time_s")), "{a}");
    assert!(number(&a["evidence"], "pitch_st") > 2.0, "{a}");
    assert!(a["advice_en"].as_str().unwrap().contains("interrupt"));
    assert!(a["advice_zh"].as_str().unwrap().contains("打断"));
    // Calm before, angry at the end.
    let timeline = ch["timeline"].as_array().unwrap();
    let state_at = |t: f64| {
        timeline
            .iter()
            .find(|p| number(p, "time_s") >= t)
            .map(|p| p["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(state_at(18.0), "calm");
    assert_eq!(state_at(39.0), "angry");
    // The demo voice is close to the norms: its style is not forced.
    assert!(all.iter().all(|a| a["kind"] != "profile"), "{all:?}");
    assert_eq!(s["profile"]["type"], "undetermined");
}

#[test]
fn a_fast_loud_flat_caller_is_an_eagle_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eagle.wav");
    let spec = UtteranceSpec {
        syllables_per_s: 6.5,
        f0_mean_hz: 130.0,
        pitch_spread: 0.3,
        level_dbfs: -14.0,
        effort: 0.8,
        duration_s: 40.0,
        pause_fraction: 0.1,
    };
    write_hound(
        &path,
        HoundFormat::Int(16),
        16000,
        1,
        &utterance(16000, 5, &spec).0,
    );
    let run = analyze([path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = &run.json()[0];
    let ch = &r["channels"][0];
    let profiles: Vec<&Value> = ch["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "profile")
        .collect();
    // Announced once (no flip-flopping), after the minimum speech, and the
    // summary says the same, with reasons in both languages.
    assert_eq!(profiles.len(), 1, "{profiles:?}");
    assert!(number(profiles[0], "time_s") >= 15.0);
    let p = &ch["summary"]["profile"];
    assert_eq!(p["type"], "eagle", "{p}");
    assert_eq!(p["label_zh"], "老鹰型");
    assert!(number(p, "confidence") > 0.5);
    assert!(p["reasons_zh"].as_str().unwrap().contains("快"), "{p}");
    assert!(p["advice_en"].as_str().unwrap().contains("next step"));
}

#[test]
fn csv_has_a_header_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let wav = stereo_speech_wav(dir.path(), 8000);
    let run = analyze(["--format", "csv", wav.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    let header = lines.next().unwrap();
    let want = format!("file,role,time_s,{},anger_score,state", MEASURES.join(","));
    assert_eq!(header, want);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 16 timeline points per channel.
    assert_eq!(rows.len(), 32);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 5 + MEASURES.len());
        assert_eq!(row[0], wav.display().to_string());
        assert_eq!(row[1], if i < 16 { "customer" } else { "agent" });
        let (state, numbers) = row[2..].split_last().unwrap();
        for cell in numbers {
            assert!(cell.is_empty() || cell.parse::<f64>().is_ok(), "{row:?}");
        }
        assert_eq!(*state, "learning");
    }

    let run = analyze(["--format", "csv", "--summary", wav.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("file,role,duration_s,{}", MEASURES.join(","))
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains(",customer,4,"), "{}", lines[1]);
    assert!(lines[2].contains(",agent,4,"), "{}", lines[2]);

    let run = analyze(["--summary", wav.to_str().unwrap()]);
    assert_eq!(run.code, 2, "--summary needs csv");
}

#[test]
fn text_mentions_the_measures() {
    let dir = tempfile::tempdir().unwrap();
    let wav = stereo_speech_wav(dir.path(), 8000);
    let run = analyze(["--format", "text", wav.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = &run.stdout;
    for word in [
        "stereo.wav",
        "customer",
        "agent",
        "speech time",
        "speech rate",
        "syl/s",
        "level",
        "dBFS",
        "pitch median",
        "Hz",
        "pitch SD",
        "pitch range",
        " st",
    ] {
        assert!(text.contains(word), "no {word:?} in:\n{text}");
    }
}

/// Inputs that cannot be analysed at all: one stderr line naming the file and
/// the problem, nothing on stdout, exit 1.
#[test]
fn bad_inputs_fail_with_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let good = speech(8000, 4, 150.0, -26.0, 1.0);

    std::fs::create_dir(p("calls")).unwrap();
    std::fs::write(p("empty.wav"), b"").unwrap();
    std::fs::write(p("notes.wav"), "Call back Tuesday.\n".repeat(50)).unwrap();
    RawWav::new(0x0031, 1, 8000, 0, vec![0; 4000]).write(&p("gsm.wav"));
    RawWav::new(1, 0, 8000, 16, vec![0; 4000]).write(&p("zero-ch.wav"));
    RawWav::new(1, 1, 5_000_000, 16, vec![0; 4000]).write(&p("absurd-rate.wav"));
    RawWav::new(1, 1, 0, 16, vec![0; 4000]).write(&p("zero-rate.wav"));
    let mut bytes = RawWav::pcm16(1, 8000, &good).bytes();
    bytes.truncate(30);
    std::fs::write(p("header-cut.wav"), bytes).unwrap();
    RawWav::pcm16(1, 8000, &[]).write(&p("no-audio.wav"));
    let mut x = good.clone();
    x[5000] = f32::NAN;
    RawWav::float32(1, 8000, &x).write(&p("nan.wav"));
    x[5000] = f32::INFINITY;
    RawWav::float32(1, 8000, &x).write(&p("inf.wav"));

    for (name, problem) in [
        ("missing.wav", "no such file"),
        ("calls", "a folder with no WAV, MP3 or FLAC files"),
        ("empty.wav", "empty file"),
        ("notes.wav", "not an audio file"),
        ("gsm.wav", "unsupported codec GSM"),
        ("zero-ch.wav", "0 channels"),
        ("absurd-rate.wav", "unsupported sample rate 5000000 Hz"),
        ("zero-rate.wav", "unsupported sample rate 0 Hz"),
        ("header-cut.wav", "broken header"),
        ("no-audio.wav", "contains no audio"),
        ("nan.wav", "is NaN"),
        ("inf.wav", "is +Inf"),
    ] {
        let path = p(name);
        let run = analyze([&path]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{name}");
        let line = run.one_stderr_line();
        let prefix = format!("tonewatch: {}: ", path.display());
        assert!(line.starts_with(&prefix), "{name}: {line}");
        assert!(line.contains(problem), "{name}: {line}");
    }
}

/// Damaged files that still hold audio: the analysis of what was decoded,
/// one stderr line, the problem in `warnings`, exit 1.
#[test]
fn partly_decoded_files_are_reported_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let x = speech(8000, 5, 160.0, -26.0, 3.0);

    let full = p("full.wav");
    write_hound(&full, HoundFormat::Int(16), 8000, 1, &x);
    let bytes = std::fs::read(&full).unwrap();
    std::fs::write(p("cut.wav"), &bytes[..bytes.len() / 2]).unwrap();
    // A pre-allocating recorder's header: 10 s announced, 3 s written.
    let mut wav = RawWav::pcm16(1, 8000, &x);
    wav.data_len = Some(10 * 8000 * 2);
    wav.riff_len = Some(36 + 10 * 8000 * 2);
    wav.write(&p("lying.wav"));

    // FLAC and MP3 with 2000 bytes of garbage in the middle.
    let flac = make_flac(dir.path(), "tone", 16000, 1, 64_000);
    let mp3 = make_mp3(dir.path(), "tone", 16000, 1, 64_000);
    for src in [&flac, &mp3] {
        let mut bytes = std::fs::read(src).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid..mid + 2000].copy_from_slice(&XorShift(11).bytes(2000));
        let ext = src.extension().unwrap().to_str().unwrap();
        std::fs::write(p(&format!("corrupt.{ext}")), bytes).unwrap();
    }

    for (name, problem, max_duration) in [
        ("cut.wav", "truncated", 1.6),
        ("lying.wav", "truncated: the header announces 10.00 s", 3.0),
        ("corrupt.flac", "corrupt data", 4.0),
        (
            "corrupt.mp3",
            "incomplete: the header announces 4.00 s",
            4.0,
        ),
    ] {
        let path = p(name);
        let run = analyze([&path]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        let line = run.one_stderr_line();
        let prefix = format!("tonewatch: {}: ", path.display());
        assert!(line.starts_with(&prefix), "{name}: {line}");
        assert!(line.contains(problem), "{name}: {line}");
        let reports = run.json();
        assert_eq!(reports.len(), 1, "{name}: what was decoded is reported");
        let r = &reports[0];
        let duration = number(r, "duration_s");
        assert!(
            duration > 0.4 * max_duration && duration <= max_duration,
            "{name}: {duration}"
        );
        let warnings = r["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{name}: {warnings:?}");
        // The same text as stderr, without the file name the report holds anyway.
        assert_eq!(
            line.strip_prefix(&prefix),
            warnings[0].as_str(),
            "{name}: {warnings:?}"
        );
    }
}

/// Writes the same speech as 16-bit WAV with `transform` applied.
fn speech_wav_with(dir: &Path, name: &str, transform: impl Fn(f32) -> f32) -> PathBuf {
    let path = dir.join(name);
    let x: Vec<f32> = speech(8000, 6, 180.0, -24.0, 4.0)
        .into_iter()
        .map(transform)
        .collect();
    write_hound(&path, HoundFormat::Int(16), 8000, 1, &x);
    path
}

fn level(run: &Run) -> f64 {
    number(
        &run.json()[0]["channels"][0]["summary"],
        "active_level_dbfs",
    )
}

#[test]
fn dc_offset_is_removed_and_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let clean = speech_wav_with(dir.path(), "clean.wav", |x| x);
    let offset = speech_wav_with(dir.path(), "offset.wav", |x| x + 0.1);
    let clean_run = analyze([&clean]);
    assert_eq!(clean_run.code, 0);
    assert_eq!(clean_run.stderr, "");
    let run = analyze([&offset]);
    assert_eq!(run.code, 0, "a DC offset is not a failure");
    let line = run.one_stderr_line();
    assert!(
        line.starts_with(&format!("tonewatch: warning: {}: ", offset.display())),
        "{line}"
    );
    assert!(line.contains("DC offset of +0.100"), "{line}");
    let warnings = run.json()[0]["warnings"].clone();
    assert_eq!(warnings.as_array().unwrap().len(), 1, "{warnings}");
    assert!(warnings[0].as_str().unwrap().contains("DC offset"));
    let (with, without) = (level(&run), level(&clean_run));
    assert!((with - without).abs() < 0.5, "{with} vs {without} dBFS");
}

#[test]
fn clipping_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let clipped = speech_wav_with(dir.path(), "clipped.wav", |x| (x * 6.0).clamp(-1.0, 1.0));
    let run = analyze([&clipped]);
    assert_eq!(run.code, 0, "clipping is not a failure");
    let line = run.one_stderr_line();
    assert!(
        line.starts_with(&format!("tonewatch: warning: {}: ", clipped.display())),
        "{line}"
    );
    assert!(line.contains("% of samples clipped"), "{line}");
    let r = &run.json()[0];
    assert!(r["warnings"][0].as_str().unwrap().contains("clipped"));
    assert!(r["channels"][0]["summary"]["active_level_dbfs"].is_number());
}

#[test]
fn a_batch_reports_the_good_files_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let a = mono_speech_wav(dir.path(), "a.wav");
    let missing = dir.path().join("missing.wav");
    let b = mono_speech_wav(dir.path(), "b.wav");
    let run = analyze([&a, &missing, &b]);
    assert_eq!(run.code, 1);
    let line = run.one_stderr_line();
    assert_eq!(
        line,
        format!("tonewatch: {}: no such file", missing.display())
    );
    let files: Vec<String> = run
        .json()
        .iter()
        .map(|r| r["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files, [a.display().to_string(), b.display().to_string()]);

    let run = analyze(
        ["--format", "csv", "--summary"]
            .map(PathBuf::from)
            .iter()
            .chain([&a, &missing, &b]),
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout.lines().count(),
        3,
        "one header, a row per good file"
    );
}

#[test]
fn results_do_not_depend_on_chunk_sizes() {
    let dir = tempfile::tempdir().unwrap();
    // A rate that needs resampling, and both channels.
    let wav = stereo_speech_wav(dir.path(), 22050);
    let path = wav.to_str().unwrap();
    let reference = analyze([path]);
    assert_eq!(reference.code, 0, "{}", reference.stderr);
    for n in ["1", "7", "441", "10000"] {
        let run = analyze(["--block-frames", n, path]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, reference.stdout, "chunks of {n} frames");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["--format", "xml", "x.wav"][..],
        &["--block-frames", "0", "x.wav"][..],
        &["--no-such-flag"][..],
    ] {
        let run = analyze(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let wav = mono_speech_wav(dir.path(), "call.wav");
    let wav = wav.to_str().unwrap();
    // A report written through `analyze`'s sink, and one of `eval`'s
    // (pitch-synth needs no corpus).
    for args in [
        &["analyze", "--format", "csv", wav, wav, wav][..],
        &["eval", "pitch-synth"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tonewatch"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before tonewatch writes: as `| head -0` would.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}
