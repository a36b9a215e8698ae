//! `tonewatch bench` runs and reports every figure. Nothing here depends on
//! how fast the machine is: speed is for the benchmarks, a timed test would
//! only fail on a busy machine.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;
use tonewatch::audio::synth::{UtteranceSpec, utterance};

fn bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tonewatch"))
        .arg("bench")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn text_report_has_every_figure_and_target() {
    let text = bench(&["--seconds", "2", "--repeat", "1"]);
    for needle in [
        "demo-call",
        "16000 Hz",
        "2.0 s of audio",
        "x real time",
        "target >= 1000x per channel: ",
        "per channel)",
        "p50",
        "p99",
        "max",
        "target p99 <= 100 µs: ",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    for case in ["mono", "stereo"] {
        let lines = text.lines().filter(|l| l.trim_start().starts_with(case));
        // One line for the real-time factor, one for the latency.
        assert_eq!(lines.count(), 2, "{case} in:\n{text}");
    }
    let verdicts = text.matches("PASS").count() + text.matches("FAIL").count();
    assert_eq!(verdicts, 4, "{text}");
}

fn number(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

#[test]
fn json_report_of_a_file_includes_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let spec = UtteranceSpec {
        duration_s: 3.0,
        ..UtteranceSpec::default()
    };
    let (x, _) = utterance(22_050, 7, &spec);
    write_hound(&path, HoundFormat::Int(16), 22_050, 1, &x);

    let out = bench(&[
        path.to_str().unwrap(),
        "--seconds",
        "2",
        "--repeat",
        "2",
        "--json",
    ]);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["synthetic"], false);
    assert_eq!(v["sample_rate"], 22_050);
    assert_eq!(v["channels"], 1);
    assert!((number(&v, "audio_s") - 2.0).abs() < 1e-3, "{v}");
    assert!(number(&v["decode"], "cpu_s") >= 0.0);
    assert!(number(&v["decode"], "wall_s") > 0.0);

    let pipeline = v["pipeline"].as_array().unwrap();
    let latency = v["latency"].as_array().unwrap();
    for list in [pipeline, latency] {
        let names: Vec<&str> = list.iter().map(|c| c["case"].as_str().unwrap()).collect();
        assert_eq!(names, ["mono", "stereo"]);
    }
    for p in pipeline {
        assert_eq!(p["runs"], 2);
        assert!(number(p, "rtf") > 0.0 && number(p, "wall_s") > 0.0, "{p}");
        let channels = number(p, "channels");
        assert!((number(p, "rtf_per_channel") / number(p, "rtf") - channels).abs() < 1e-9);
        assert_eq!(number(p, "target_rtf"), 1000.0);
        assert!(p["pass"].is_boolean());
        assert!(number(p, "json_bytes") > 100.0, "{p}");
    }
    for l in latency {
        // 2 s in 10 ms chunks.
        assert_eq!(l["calls"], 200, "{l}");
        let (p50, p99, max) = (
            number(l, "p50_us"),
            number(l, "p99_us"),
            number(l, "max_us"),
        );
        assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{l}");
        assert!(number(l, "max_hops_per_call") >= 1.0, "{l}");
        assert_eq!(number(l, "target_p99_us"), 100.0);
        assert!(l["pass"].is_boolean());
    }
}

#[test]
fn bad_seconds_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_tonewatch"))
        .args(["bench", "--seconds", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--seconds"), "{stderr}");
}
