//! `tonewatch analyze DIR --out OUT --jobs N` end to end, on two-party calls
//! built from synthetic voices with known overlaps and silences.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tonewatch::eval::cues::{TwoPartyCall, build_call, synthetic_pieces};

fn calls(n: u64, seconds: f64) -> Vec<TwoPartyCall> {
    let rate = 8000;
    let customer = synthetic_pieces(rate, 210.0, 4.5, 8, 11);
    let agent = synthetic_pieces(rate, 115.0, 4.0, 8, 12);
    (0..n)
        .map(|k| build_call(format!("call{k}"), rate, &customer, &agent, seconds, k))
        .collect()
}

fn tonewatch(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tonewatch"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        stderr,
    )
}

fn batch(input: &Path, out: &Path, jobs: &str) -> (i32, String, String) {
    tonewatch(&[
        "analyze".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--jobs".as_ref(),
        jobs.as_ref(),
    ])
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_folder_becomes_json_html_and_a_summary_the_same_whatever_the_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("calls");
    std::fs::create_dir_all(input.join("monday")).unwrap();
    let built = calls(3, 40.0);
    for (k, c) in built.iter().enumerate() {
        let sub = if k == 0 { "monday/" } else { "" };
        c.write_wav(&input.join(format!("{sub}{}.wav", c.name)))
            .unwrap();
    }
    std::fs::write(input.join("broken.wav"), b"RIFF nonsense").unwrap();
    std::fs::write(input.join("notes.txt"), b"not audio, not picked").unwrap();

    let one = dir.path().join("one");
    let two = dir.path().join("two");
    let (code, stdout, stderr) = batch(&input, &one, "1");
    assert_eq!(code, 1, "a failed file fails the run: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("broken.wav"), "{stderr}");
    assert!(stdout.contains("4 calls (1 failed)"), "{stdout}");
    let (code, _, _) = batch(&input, &two, "2");
    assert_eq!(code, 1);

    // The same files with the same contents, whatever --jobs.
    for name in [
        "summary.csv",
        "index.html",
        "call1.wav.json",
        "call2.wav.html",
        "monday/call0.wav.json",
        "monday/call0.wav.html",
    ] {
        assert_eq!(read(&one.join(name)), read(&two.join(name)), "{name}");
    }

    let summary = read(&one.join("summary.csv"));
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 5, "{summary}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    // Sorted by path: broken.wav, call1, call2, monday/call0.
    assert!(lines[1].starts_with("broken.wav,failed,"), "{}", lines[1]);
    assert!(lines[4].starts_with("monday/call0.wav,ok,"), "{}", lines[4]);
    for (line, call) in lines[2..].iter().zip([&built[1], &built[2], &built[0]]) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len(), "{line}");
        let share: f64 = f[col("customer_talk_share")].parse().unwrap();
        assert!(
            (share - call.truth.customer_share()).abs() < 0.03,
            "{line}: truth {}",
            call.truth.customer_share()
        );
        let dead: usize = f[col("dead_air")].parse().unwrap();
        assert_eq!(dead, call.truth.dead_air.len(), "{line}");
        let overlaps: usize = f[col("overlaps")].parse().unwrap();
        assert_eq!(overlaps, call.truth.overlaps.len(), "{line}");
    }

    let json: Value = serde_json::from_str(&read(&one.join("call1.wav.json"))).unwrap();
    let cues = &json["cues"];
    for key in [
        "talk",
        "overlaps",
        "dead_air",
        "customer_longest_monologue",
        "agent_anger_rising",
        "agent_pace",
        "customer_anger_recovery",
    ] {
        assert!(cues.get(key).is_some(), "no cues.{key}: {cues}");
    }
    assert_eq!(json["channels"].as_array().unwrap().len(), 2);

    let page = read(&one.join("call1.wav.html"));
    assert!(page.contains("<svg") && page.contains("class=\"series customer\""));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "self-contained"
    );
    let index = read(&one.join("index.html"));
    assert!(index.contains("href=\"monday/call0.wav.html\""), "{index}");
}

#[test]
fn without_out_a_folder_is_reported_on_stdout_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for c in calls(2, 20.0) {
        c.write_wav(&dir.path().join(format!("{}.wav", c.name)))
            .unwrap();
    }
    let run = |jobs: &str| {
        tonewatch(&[
            "analyze".as_ref(),
            dir.path().as_os_str(),
            "--jobs".as_ref(),
            jobs.as_ref(),
        ])
    };
    let (code, one, stderr) = run("1");
    assert_eq!(code, 0, "{stderr}");
    let (_, two, _) = run("2");
    assert_eq!(one, two);
    let files: Vec<String> = one
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["file"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(files.len(), 2);
    assert!(
        files[0].ends_with("call0.wav") && files[1].ends_with("call1.wav"),
        "{files:?}"
    );
}
