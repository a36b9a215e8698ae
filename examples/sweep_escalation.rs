//! Dev tool: sweeps escalation parameters over the built calls, replaying the
//! recorded anger scores through the state machine (baseline adaptation is
//! not replayed, nor the pitch-rise condition on evidence; confirm a choice
//! with `tonewatch eval calls`). Arguments: anger window (s), baseline speech (s).
use std::collections::BTreeMap;
use std::sync::Arc;
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::classify::escalation::{Escalation, EscalationParams};
use tonewatch::eval::{anger, calls, corpus, stats::median};
use tonewatch::offline::{self, Options};

fn main() {
    let data = corpus::data_dir().unwrap();
    let window: f64 = std::env::args().nth(1).map_or(2.0, |v| v.parse().unwrap());
    let learn: f64 = std::env::args().nth(2).map_or(10.0, |v| v.parse().unwrap());
    let mut config = AnalyzerConfig {
        anger_window_s: window,
        ..Default::default()
    };
    config.monitor.baseline.learn_speech_s = learn;
    let examples = anger::build_dataset(&data, config).unwrap();
    let built = calls::build(&data).unwrap();
    let mut models = BTreeMap::new();
    let mut series = Vec::new();
    for c in &built {
        let m = models
            .entry(c.speaker.clone())
            .or_insert_with(|| {
                Arc::new(calls::model_without(
                    &examples,
                    &c.speaker,
                    anger::DEFAULT_L2,
                ))
            })
            .clone();
        let r = offline::analyze_samples(
            &c.name,
            c.sample_rate,
            &[&c.samples],
            &Options {
                config,
                models: tonewatch::classify::Models::builtin()
                    .with_anger_model(m)
                    .with_language(c.corpus.language())
                    .unwrap(),
                ..Options::default()
            },
        )
        .unwrap();
        let pts: Vec<(f64, Option<f64>, bool)> = r.channels[0]
            .timeline
            .points()
            .map(|p| p.expect("read the timeline"))
            .map(|p| {
                (
                    p.time_s,
                    p.anger_score,
                    p.state == tonewatch::classify::AngerState::Learning,
                )
            })
            .collect();
        series.push((c.kind, c.turn_s(), c.duration_s(), pts));
    }
    for angry in [0.6, 0.65, 0.7, 0.75, 0.8] {
        for evidence in [0.25, 0.5, 0.75, 1.0] {
            for tense in [0.5] {
                let p = EscalationParams {
                    angry_score: angry,
                    evidence_s: evidence,
                    tense_score: tense,
                    ..Default::default()
                };
                let mut det = 0;
                let mut n = 0;
                let mut delays = vec![];
                let mut fa: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
                for (kind, turn, dur, pts) in &series {
                    let mut e = Escalation::new(p);
                    let mut last = 0.0;
                    let mut alerts = vec![];
                    for &(t, s, learning) in pts {
                        let s = if learning { None } else { s };
                        if e.update(s, t - last) {
                            alerts.push(t);
                        }
                        last = t;
                    }
                    let name = match kind {
                        calls::CallKind::Escalation => "esc",
                        calls::CallKind::Neutral => "neu",
                        calls::CallKind::Sad => "sad",
                        calls::CallKind::Happy => "hap",
                    };
                    let (false_n, mins) = match kind {
                        calls::CallKind::Escalation => {
                            n += 1;
                            let t0 = turn.unwrap();
                            if let Some(a) = alerts.iter().find(|&&a| a >= t0) {
                                det += 1;
                                delays.push(a - t0);
                            }
                            (alerts.iter().filter(|&&a| a < t0).count(), t0 / 60.0)
                        }
                        _ => (alerts.len(), dur / 60.0),
                    };
                    let ent = fa.entry(name).or_insert((0, 0.0));
                    ent.0 += false_n;
                    ent.1 += mins;
                }
                println!(
                    "window {window} learn {learn} angry {angry} evidence {evidence} tense {tense}: detected {det}/{n} median delay {:.2} false/min {}",
                    median(&delays),
                    fa.iter()
                        .map(|(k, (c, m))| format!("{k} {:.3}", *c as f64 / m))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
        }
    }
}
