//! Development tool, not part of the product: an anger-model variant and
//! escalation settings judged on both the utterance leave-one-speaker-out UAR
//! and the escalation calls (real runs of the monitor, then a replay of the
//! recorded scores over a grid of thresholds without the pitch condition).
//!
//! `cargo run --release --example calls_variants -- VARIANT L2 LEARN_S WINDOW_S MIN_PITCH_RISE_ST [ANGRY_SCORE EVIDENCE_S]`
//! VARIANT: `all`, or names containing `norate`, `shape4`, `shape8`, `noshape`
//! (shape bands averaged in groups of 4 or 2, or left out; the spectral
//! change and spread features always enter one by one).
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::classify::escalation::{Escalation, EscalationParams};
use tonewatch::classify::features::N_FEATURES;
use tonewatch::classify::model::{AngerModel, TrainingSet};
use tonewatch::dsp::spectrum::SHAPE_BANDS;
use tonewatch::eval::anger::{self, Channel, Example};
use tonewatch::eval::corpus::{self, Corpus};
use tonewatch::eval::{calls, stats::median};
use tonewatch::learn::logistic;
use tonewatch::offline::{self, Options};

/// Groups of raw features; each group enters the model as its mean.
fn groups(variant: &str) -> Vec<Vec<usize>> {
    let base: Vec<usize> = match variant {
        v if v.contains("norate") => vec![0, 1, 2, 3, 4, 5, 7],
        _ => vec![0, 1, 2, 3, 4, 5, 6, 7],
    };
    let mut g: Vec<Vec<usize>> = base.into_iter().map(|i| vec![i]).collect();
    let size = if variant.contains("shape4") {
        4
    } else if variant.contains("shape8") {
        2
    } else if variant.contains("noshape") {
        0
    } else {
        1
    };
    // The spectral shape (features 8..24) in groups; the spectral change
    // and spread after it one by one.
    let shape_end = 8 + SHAPE_BANDS;
    if size > 0 {
        for k in (8..shape_end).step_by(size) {
            g.push((k..k + size).collect());
        }
    }
    g.extend((shape_end..N_FEATURES).map(|i| vec![i]));
    g
}

fn project(x: &[f64; N_FEATURES], g: &[Vec<usize>]) -> Vec<f64> {
    g.iter()
        .map(|m| m.iter().map(|&i| x[i]).sum::<f64>() / m.len() as f64)
        .collect()
}

/// Fitted as the shipped model is (`anger::fit_on`): every training
/// condition once, penalty `l2` per copy.
fn fit(
    ex: &[Example],
    conditions: &[Vec<[f64; N_FEATURES]>],
    train: &[usize],
    g: &[Vec<usize>],
    l2: f64,
) -> AngerModel {
    let mut x: Vec<Vec<f64>> = Vec::new();
    let mut y: Vec<bool> = Vec::new();
    for rel in conditions {
        x.extend(train.iter().map(|&i| project(&rel[i], g)));
        y.extend(train.iter().map(|&i| ex[i].is_anger()));
    }
    let l = logistic::fit(&x, &y, l2 * conditions.len() as f64);
    // Expand to the full feature list: a group's mean is the sum of its
    // members / n, so each member gets the group's weight with scale n·s.
    let mut full = logistic::Logistic {
        mean: vec![0.0; N_FEATURES],
        scale: vec![1.0; N_FEATURES],
        weights: vec![0.0; N_FEATURES],
        bias: l.bias,
    };
    for (k, m) in g.iter().enumerate() {
        for &i in m {
            full.mean[i] = l.mean[k];
            full.scale[i] = l.scale[k] * m.len() as f64;
            full.weights[i] = l.weights[k];
        }
    }
    AngerModel::from_logistic(
        &full,
        l2,
        TrainingSet {
            corpora: vec![],
            speakers: vec![],
            utterances: train.len(),
            positives: 0,
            channel: "clean".into(),
            baseline: String::new(),
        },
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let variant = args.get(1).cloned().unwrap_or_default();
    let l2: f64 = args.get(2).map_or(10.0, |v| v.parse().unwrap());
    let learn: f64 = args.get(3).map_or(10.0, |v| v.parse().unwrap());
    let window: f64 = args.get(4).map_or(2.0, |v| v.parse().unwrap());
    let data = corpus::data_dir().unwrap();
    let mut config = AnalyzerConfig {
        anger_window_s: window,
        ..Default::default()
    };
    config.monitor.baseline.learn_speech_s = learn;
    let rise: f64 = args.get(5).map_or(0.0, |v| v.parse().unwrap());
    config.monitor.escalation.min_pitch_rise_st = rise;
    if let Some(v) = args.get(6) {
        config.monitor.escalation.angry_score = v.parse().unwrap();
    }
    if let Some(v) = args.get(7) {
        config.monitor.escalation.evidence_s = v.parse().unwrap();
    }
    let ex = anger::build_dataset(&data, AnalyzerConfig::default()).unwrap();
    let g = groups(&variant);
    let conditions = anger::training_features(&ex);
    let clean = &conditions[0];
    let tel = anger::relative_features(&ex, Channel::Telephone);
    let speakers: BTreeSet<String> = ex.iter().map(|e| e.speaker.clone()).collect();
    let mut models = BTreeMap::new();
    let (mut pc, mut pt) = (vec![false; ex.len()], vec![false; ex.len()]);
    for s in &speakers {
        let train: Vec<usize> = (0..ex.len()).filter(|&i| ex[i].speaker != *s).collect();
        let m = fit(&ex, &conditions, &train, &g, l2);
        for i in (0..ex.len()).filter(|&i| ex[i].speaker == *s) {
            pc[i] = m.score(&clean[i], ex[i].corpus.language()) > 0.5;
            pt[i] = m.score(&tel[i], ex[i].corpus.language()) > 0.5;
        }
        models.insert(s.clone(), Arc::new(m));
    }
    let cu = |c: Corpus, p: &[bool]| anger::corpus_uar(&ex, c, p);
    println!(
        "variant '{variant}' l2 {l2} learn {learn} window {window}: UAR emodb {:.3} emovo {:.3} tel-emodb {:.3} tel-emovo {:.3}",
        cu(Corpus::EmoDb, &pc),
        cu(Corpus::Emovo, &pc),
        cu(Corpus::EmoDb, &pt),
        cu(Corpus::Emovo, &pt)
    );
    let built = calls::build(&data).unwrap();
    let mut series = Vec::new();
    let mut real = Vec::new();
    for c in &built {
        let r = offline::analyze_samples(
            &c.name,
            c.sample_rate,
            &[&c.samples],
            &Options {
                config,
                models: tonewatch::classify::Models::builtin()
                    .with_anger_model(models[&c.speaker].clone()),
                ..Options::default()
            },
        )
        .unwrap();
        real.push((
            c.kind,
            c.turn_s(),
            r.channels[0]
                .alerts
                .iter()
                .filter(|a| a.kind == tonewatch::classify::AlertKind::AngerRising)
                .map(|a| a.time_s)
                .collect::<Vec<f64>>(),
            c.name.clone(),
        ));
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
        series.push((c.name.clone(), c.kind, c.turn_s(), c.duration_s(), pts));
    }
    {
        let mut det = 0;
        let mut delays = vec![];
        let mut fa: BTreeMap<&str, usize> = BTreeMap::new();
        for (kind, turn, alerts, name) in &real {
            let t0 = turn.unwrap_or(f64::INFINITY);
            let f = if *kind == calls::CallKind::Escalation {
                alerts.iter().filter(|&&a| a < t0).count()
            } else {
                alerts.len()
            };
            *fa.entry(kind.as_str()).or_default() += f;
            if *kind == calls::CallKind::Escalation {
                match alerts.iter().find(|&&a| a >= t0) {
                    Some(a) => {
                        det += 1;
                        delays.push(a - t0);
                    }
                    None => println!("  missed {name}"),
                }
            }
            if f > 0 {
                println!("  false in {name}: {alerts:?}");
            }
        }
        delays.sort_by(f64::total_cmp);
        println!("REAL ({:?})", config.monitor.escalation);
        println!(
            "REAL (rise {rise}): detected {det} median {:.2} delays {:?} false counts {:?}",
            median(&delays),
            delays
                .iter()
                .map(|d| (d * 100.0).round() / 100.0)
                .collect::<Vec<_>>(),
            fa
        );
    }
    if rise > 0.0 {
        return;
    }
    for angry in [0.75, 0.8, 0.85, 0.9] {
        for evidence in [0.5, 0.75, 1.0, 1.25] {
            let p = EscalationParams {
                angry_score: angry,
                evidence_s: evidence,
                min_pitch_rise_st: rise,
                ..Default::default()
            };
            let mut det = 0;
            let mut n = 0;
            let mut delays = vec![];
            let mut missed = vec![];
            let mut fa: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
            for (name, kind, turn, dur, pts) in &series {
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
                let (false_n, mins) = match kind {
                    calls::CallKind::Escalation => {
                        n += 1;
                        let t0 = turn.unwrap();
                        if let Some(a) = alerts.iter().find(|&&a| a >= t0) {
                            det += 1;
                            delays.push(a - t0);
                        } else {
                            missed.push(name.as_str());
                        }
                        (alerts.iter().filter(|&&a| a < t0).count(), t0 / 60.0)
                    }
                    _ => (alerts.len(), dur / 60.0),
                };
                let ent = fa.entry(kind.as_str()).or_insert((0, 0.0));
                ent.0 += false_n;
                ent.1 += mins;
            }
            println!(
                "  angry {angry} evidence {evidence}: detected {det}/{n} median delay {:.2} false/min {} missed {:?}",
                median(&delays),
                fa.iter()
                    .map(|(k, (c, m))| format!("{k} {:.3}", *c as f64 / m))
                    .collect::<Vec<_>>()
                    .join(" "),
                missed
            );
        }
    }
}
