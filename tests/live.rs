//! `tonewatch live` / `demo` end to end without a sound server: the replay
//! path through the same queue, analysis and output threads as capture.
//! (Capture from a real PulseAudio server is checked by scripts/test-live.)

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn tonewatch() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tonewatch"));
    // No desktop notification service in tests, and none wanted.
    c.env_remove("DBUS_SESSION_BUS_ADDRESS");
    c
}

fn events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn anger_times(v: &[Value]) -> Vec<f64> {
    v.iter()
        .filter(|e| e["type"] == "alert" && e["kind"] == "anger_rising")
        .map(|e| e["time_s"].as_f64().unwrap())
        .collect()
}

#[test]
fn the_demo_through_the_live_path_alerts_like_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev.jsonl");
    let rec = dir.path().join("demo.wav");
    let out = tonewatch()
        .args([
            "demo",
            "--speed",
            "50",
            "--plain",
            "--no-notify",
            "--events",
        ])
        .arg(&ev)
        .arg("--record")
        .arg(&rec)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("end of input after 40.0 s of audio"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("anger_rising"), "{stdout}");

    let v = events(&ev);
    assert_eq!(v.first().unwrap()["type"], "start");
    assert_eq!(v.last().unwrap()["type"], "end");
    assert_eq!(v.last().unwrap()["reason"], "end of input");
    let points = v.iter().filter(|e| e["type"] == "point").count();
    assert_eq!(points, 160, "a point every 0.25 s of the 40 s call");
    assert!(v.iter().any(|e| e["type"] == "status"));

    // The same audio offline: the same alert at the same time.
    let offline = tonewatch()
        .args(["analyze", "--demo", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&offline.stdout).unwrap();
    let offline_times: Vec<f64> = report["channels"][0]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "anger_rising")
        .map(|a| a["time_s"].as_f64().unwrap())
        .collect();
    assert!(!offline_times.is_empty());
    assert_eq!(anger_times(&v), offline_times);

    // What was heard is recorded in full.
    let r = hound::WavReader::open(&rec).unwrap();
    assert_eq!(r.spec().sample_rate, 16000);
    assert_eq!(r.duration(), 640_000);
}

/// The demo call as the live path records it (16 kHz mono), recorded in `dir`.
fn demo_recording(dir: &Path) -> Vec<i16> {
    let rec = dir.join("demo.wav");
    let st = tonewatch()
        .args([
            "demo",
            "--speed",
            "200",
            "--quiet",
            "--no-notify",
            "--record",
        ])
        .arg(&rec)
        .status()
        .unwrap();
    assert!(st.success());
    hound::WavReader::open(&rec)
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_stereo_replay_gives_two_parties_and_matches_analyze() {
    let dir = tempfile::tempdir().unwrap();
    // The demo call as the customer, and a quieter, delayed copy as the agent.
    let mono = demo_recording(dir.path());
    let stereo = dir.path().join("call.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&stereo, spec).unwrap();
    for i in 0..mono.len() {
        w.write_sample(mono[i]).unwrap();
        w.write_sample(if i >= 8000 { mono[i - 8000] / 3 } else { 0 })
            .unwrap();
    }
    w.finalize().unwrap();

    let ev = dir.path().join("ev.jsonl");
    let out = tonewatch()
        .args(["live", "--replay"])
        .arg(&stereo)
        .args(["--speed", "100", "--quiet", "--no-notify", "--events"])
        .arg(&ev)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = events(&ev);
    assert_eq!(v[0]["parties"].as_array().unwrap().len(), 2);
    for role in ["customer", "agent"] {
        assert!(
            v.iter().any(|e| e["type"] == "point" && e["role"] == role),
            "{role} points"
        );
    }
    let offline = tonewatch().arg("analyze").arg(&stereo).output().unwrap();
    let report: Value = serde_json::from_slice(&offline.stdout).unwrap();
    for ch in report["channels"].as_array().unwrap() {
        let role = ch["role"].as_str().unwrap();
        let off: Vec<f64> = ch["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "anger_rising")
            .map(|a| a["time_s"].as_f64().unwrap())
            .collect();
        let live: Vec<f64> = v
            .iter()
            .filter(|e| e["type"] == "alert" && e["kind"] == "anger_rising" && e["role"] == role)
            .map(|e| e["time_s"].as_f64().unwrap())
            .collect();
        assert_eq!(live, off, "{role}");
    }
    // The agent talks over the customer (its copy is delayed): the same
    // overlaps live, as cues, as offline.
    let overlaps = report["cues"]["overlaps"]["count"].as_u64().unwrap();
    assert!(overlaps > 5, "{overlaps}");
    let cues = v
        .iter()
        .filter(|e| e["type"] == "cue" && e["kind"] == "agent_overlap")
        .count();
    assert_eq!(cues as u64, overlaps);
}

#[test]
fn bad_sources_get_one_line_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "this is not audio\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["live".into(), "--replay".into(), text.display().to_string()],
            "notes.wav",
        ),
        (
            vec![
                "live".into(),
                "--replay".into(),
                dir.path().join("missing.wav").display().to_string(),
            ],
            "missing.wav",
        ),
        (
            vec![
                "live".into(),
                "--customer-device".into(),
                "alsa:no-such-device-here".into(),
            ],
            "alsa:no-such-device-here",
        ),
        (
            vec![
                "live".into(),
                "--customer-device".into(),
                "nohostcolon".into(),
            ],
            "nohostcolon",
        ),
        (
            vec![
                "demo".into(),
                "--record".into(),
                "/nonexistent-dir/x.wav".into(),
            ],
            "/nonexistent-dir/x.wav",
        ),
        (vec!["demo".into(), "--speed".into(), "0".into()], "--speed"),
    ];
    for (args, name) in cases {
        let out = tonewatch()
            .args(&args)
            .args(["--quiet", "--no-notify"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert_ne!(out.status.code(), Some(101), "panicked: {stderr}");
        let line = stderr
            .lines()
            .find(|l| l.starts_with("tonewatch: "))
            .unwrap_or_else(|| panic!("{args:?}: {stderr}"));
        assert!(line.contains(name), "{args:?}: {line}");
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_leaves_a_complete_recording_and_an_end_event() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.wav");
    let ev = dir.path().join("ev.jsonl");
    let mut child = tonewatch()
        .args(["demo", "--quiet", "--no-notify", "--record"])
        .arg(&rec)
        .arg("--events")
        .arg(&ev)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it hear a few seconds at real time.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let points = std::fs::read_to_string(&ev)
            .map(|s| s.matches("\"type\":\"point\"").count())
            .unwrap_or(0);
        if points >= 8 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let v = events(&ev);
    let end = v.last().unwrap();
    assert_eq!(end["type"], "end");
    assert_eq!(end["reason"], "stopped (Ctrl-C)");
    let heard = end["time_s"].as_f64().unwrap();
    let r = hound::WavReader::open(&rec).unwrap();
    let recorded = r.duration() as f64 / 16000.0;
    assert!(recorded >= 2.0, "{recorded}");
    // Everything analysed is in the recording (the last hop may be partial).
    assert!(
        (recorded - heard).abs() < 0.02,
        "recorded {recorded} s, heard {heard} s"
    );
}

#[test]
fn minutes_of_silence_then_clipped_speech_raise_no_false_alarm_and_one_clipping_notice() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo_recording(dir.path());
    // Two minutes of a dead line (digital zero), then the call four times too loud.
    let file = dir.path().join("silence-then-clipping.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&file, spec).unwrap();
    for _ in 0..16000 * 120 {
        w.write_sample(0i16).unwrap();
    }
    for &x in &demo {
        w.write_sample((i32::from(x) * 4).clamp(-32768, 32767) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let ev = dir.path().join("ev.jsonl");
    let out = tonewatch()
        .args(["live", "--replay"])
        .arg(&file)
        .args(["--speed", "200", "--quiet", "--no-notify", "--events"])
        .arg(&ev)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v = events(&ev);
    let clipping: Vec<&Value> = v
        .iter()
        .filter(|e| e["type"] == "notice" && e["message"].as_str().unwrap().contains("clipping"))
        .collect();
    assert_eq!(
        clipping.len(),
        1,
        "one notice for 40 s of clipping: {clipping:?}"
    );
    assert!(
        clipping[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("customer audio is clipping"),
        "{clipping:?}"
    );
    assert!(
        anger_times(&v).iter().all(|&t| t > 120.0),
        "no alert during the silence: {:?}",
        anger_times(&v)
    );
    let end = v.iter().find(|e| e["type"] == "end").unwrap();
    let t = end["time_s"].as_f64().unwrap();
    assert!(
        (t - 160.0).abs() < 0.5,
        "the session ran over the whole file: {t}"
    );
    // The silence scored nothing: no point in the first two minutes has a score.
    assert!(
        v.iter()
            .filter(|e| e["type"] == "point" && e["time_s"].as_f64().unwrap() < 120.0)
            .all(|e| e["anger_score"].is_null()),
        "silence has no anger score"
    );
}
