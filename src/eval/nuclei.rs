//! Training the syllable-nucleus model (`models/nuclei.json`) from EmoDB's
//! phone labels.
//!
//! A hop is a positive example when the centre of its spectrum frame lies in
//! a nucleus: a vowel of the phone labels (`lablaut/`), or, for a syllable of
//! the syllable labels (`silb/`) that has no vowel (German `-en` said as a
//! syllabic nasal), its nasals and liquids. Only speech hops of the audible
//! part are used, from the clean and the telephone version of each file, and
//! only from the tuning half of the speakers (even-numbered), so that the
//! other half checks the speech rate on speakers the model never heard.

use std::path::Path;

use super::corpus::{self, Corpus, SyllableTruth, Utterance};
use crate::analyzer::{Analyzer, AnalyzerConfig, Frame};
use crate::audio::telephone::{RATE as TEL_RATE, telephone_channel};
use crate::dsp::nuclei::{
    FeatureStack, NucleusDetector, NucleusModel, OFFSETS, base_feature_names, contour_feature_names,
};
use crate::learn::mlp;

/// L2 penalty of the shipped model (on the mean log-loss of a hop).
pub const DEFAULT_L2: f64 = 0.004;
/// How the shipped model is fitted: 16 hidden units, 30 passes over the
/// hops in minibatches of 256, Adam at 0.001, from a fixed seed.
pub const NETWORK: mlp::MlpParams = mlp::MlpParams {
    hidden: 16,
    l2: DEFAULT_L2,
    epochs: 30,
    batch: 256,
    learning_rate: 0.001,
    seed: 1,
};
/// Centre of a hop's spectrum frame relative to its `time_s` (the frame is
/// 32 ms long and ends there).
const FRAME_CENTRE_S: f64 = -0.016;

/// The tuning half of EmoDB's speakers (the model is fitted on these).
pub fn is_tuning_speaker(speaker: &str) -> bool {
    speaker.parse::<u32>().is_ok_and(|n| n % 2 == 0)
}

/// One phone of a `.lablaut` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Phone {
    pub start: f64,
    pub end: f64,
    pub label: String,
}

/// Parses an xlabel phone file: after the `#` line, `time -1 label [marks]`
/// per line, each time the start of its phone; lines with only marks
/// (`+lar`, …) do not start a phone; `.` ends speech.
pub fn parse_lablaut(text: &str) -> Vec<Phone> {
    let mut phones: Vec<Phone> = Vec::new();
    let body = text.split_once("\n#").map_or("", |(_, b)| b);
    for line in body.lines() {
        let head = line.split('\t').next().unwrap_or("");
        let mut parts = head.split_whitespace();
        let Some(t) = parts.next().and_then(|t| t.parse::<f64>().ok()) else {
            continue;
        };
        let _color = parts.next();
        let Some(label) = parts.next() else { continue };
        if label.starts_with(['+', '-']) {
            continue;
        }
        if let Some(last) = phones.last_mut() {
            last.end = t;
        }
        if label == "." {
            break;
        }
        phones.push(Phone {
            start: t,
            end: f64::INFINITY,
            label: label.to_string(),
        });
    }
    if phones.last().is_some_and(|p| p.end.is_infinite()) {
        phones.pop();
    }
    phones
}

/// SAMPA vowels (incl. diphthongs and the r-vowel `6`).
pub fn is_vowel(label: &str) -> bool {
    label.starts_with([
        'a', 'e', 'i', 'o', 'u', 'y', 'A', 'E', 'I', 'O', 'U', 'Y', '@', '6', '9', '2', '8',
    ])
}

fn is_syllabic_consonant(label: &str) -> bool {
    label.starts_with(['n', 'm', 'N', 'l', 'L'])
}

/// The nucleus of each syllable of an utterance: from the start of its first
/// vowel to the end of its last (or, when it has no vowel, of its nasals and
/// liquids); syllables with neither have none.
pub fn syllable_nuclei(phones: &[Phone], syllables: &SyllableTruth) -> Vec<(f64, f64)> {
    // Syllable and phone labels were set separately: allow 5 ms.
    let eps = 0.005;
    let mut out = Vec::new();
    for (i, &s) in syllables.starts.iter().enumerate() {
        let e = syllables
            .starts
            .get(i + 1)
            .copied()
            .or(syllables.end)
            .unwrap_or(f64::INFINITY);
        let inside: Vec<&Phone> = phones
            .iter()
            .filter(|p| p.start >= s - eps && p.start < e - eps)
            .collect();
        let span = |f: fn(&str) -> bool| {
            let mut it = inside.iter().filter(|p| f(&p.label));
            let first = it.next()?;
            let last = it.next_back().unwrap_or(first);
            Some((first.start, last.end))
        };
        if let Some(n) = span(is_vowel).or_else(|| span(is_syllabic_consonant)) {
            out.push(n);
        }
    }
    out
}

/// The middle half of each nucleus, at least 20 ms: the hops the model
/// learns to call "nucleus". Whole nuclei would touch where a vowel meets a
/// syllabic nasal or another vowel, and the detector counts runs.
pub fn nucleus_cores(nuclei: &[(f64, f64)]) -> Vec<(f64, f64)> {
    nuclei
        .iter()
        .map(|&(a, b)| {
            let mid = 0.5 * (a + b);
            let half = (0.25 * (b - a)).max(0.01);
            (mid - half, mid + half)
        })
        .collect()
}

/// Training examples: feature vectors of speech hops and their labels.
pub struct Dataset {
    pub x: Vec<Vec<f64>>,
    pub y: Vec<bool>,
    pub utterances: usize,
    pub speakers: Vec<String>,
}

fn frames_of(samples: &[f32], rate: u32, config: AnalyzerConfig) -> Result<Vec<Frame>, String> {
    let mut a = Analyzer::new(rate, config).map_err(|e| e.to_string())?;
    let mut sink = Vec::<Frame>::new();
    a.process(samples, &mut sink);
    a.finish(&mut sink);
    Ok(sink)
}

/// Examples from the EmoDB utterances of the speakers `keep` accepts.
pub fn build_dataset(
    data: &Path,
    config: AnalyzerConfig,
    keep: impl Fn(&Utterance) -> bool,
) -> Result<Dataset, String> {
    let utts = corpus::load_manifest(data, Corpus::EmoDb).map_err(|e| e.to_string())?;
    let mut ds = Dataset {
        x: Vec::new(),
        y: Vec::new(),
        utterances: 0,
        speakers: Vec::new(),
    };
    for u in utts.iter().filter(|u| keep(u)) {
        let (Some(silb), Some(lab)) = (&u.syllables, &u.phones) else {
            continue;
        };
        let truth = SyllableTruth::load(silb).map_err(|e| e.to_string())?;
        let text = std::fs::read(lab).map_err(|e| format!("{}: {e}", lab.display()))?;
        let phones = parse_lablaut(&String::from_utf8_lossy(&text));
        let nuclei = nucleus_cores(&syllable_nuclei(&phones, &truth));
        let (samples, rate) = corpus::read_wav(&u.path)?;
        let audible = corpus::audible_duration(&samples, rate);
        let tel = telephone_channel(&samples, rate).map_err(|e| e.to_string())?;
        for (sig, r) in [(&samples, rate), (&tel, TEL_RATE)] {
            let mut stack = FeatureStack::new();
            for f in frames_of(sig, r, config)? {
                let Some(s) = stack.push(&f.nucleus_input()) else {
                    continue;
                };
                let c = s.time_s + FRAME_CENTRE_S;
                if !s.speech || c >= audible {
                    continue;
                }
                ds.x.push(s.features.iter().map(|&v| v as f64).collect());
                ds.y.push(nuclei.iter().any(|&(a, b)| c >= a && c < b));
            }
        }
        ds.utterances += 1;
        if !ds.speakers.contains(&u.speaker) {
            ds.speakers.push(u.speaker.clone());
        }
    }
    ds.speakers.sort();
    Ok(ds)
}

/// Fits the model on the tuning half of the speakers.
pub fn train(data: &Path, config: AnalyzerConfig, l2: f64) -> Result<NucleusModel, String> {
    let ds = build_dataset(data, config, |u| is_tuning_speaker(&u.speaker))?;
    if ds.y.is_empty() {
        return Err("no EmoDB utterances with syllable and phone labels".into());
    }
    let params = mlp::MlpParams { l2, ..NETWORK };
    let fit = mlp::fit(&ds.x, &ds.y, &params);
    let positives = ds.y.iter().filter(|&&v| v).count();
    let mut model = NucleusModel {
        name: "nuclei".into(),
        description: "Probability that a hop lies in a syllable nucleus (vowel, or syllabic nasal/liquid), from per-hop spectral shape, relative level, periodicity, balance and flux at the given hop offsets; a neural network with one hidden layer of rectified units and a logistic output, fitted on the hops' mean log-loss.".into(),
        base_features: base_feature_names(),
        offsets_hops: OFFSETS.to_vec(),
        contour_features: contour_feature_names(),
        network: fit,
        l2,
        epochs: params.epochs,
        seed: params.seed,
        rate_scale: 1.0,
        trained_on: format!(
            "EmoDB speakers {} ({} utterances, clean and telephone): {} speech hops, {} in nuclei",
            ds.speakers.join(" "),
            ds.utterances,
            ds.y.len(),
            positives
        ),
        produced_by: "tonewatch train nuclei".into(),
    };
    let (scale, files) = fit_rate_scale(data, config, &model)?;
    model.rate_scale = scale;
    model.trained_on.push_str(&format!(
        "; rate scale from {files} clean utterances of the same speakers"
    ));
    Ok(model)
}

/// The least-squares scale (through the origin) from the rates `model`'s
/// detector gives to the true syllable rates, over the tuning speakers'
/// clean utterances (as `eval rate` counts them: syllables over the truth's
/// speech time, against nuclei over the detected speech time).
fn fit_rate_scale(
    data: &Path,
    config: AnalyzerConfig,
    model: &NucleusModel,
) -> Result<(f64, usize), String> {
    let (mut tc, mut cc, mut files) = (0.0, 0.0, 0);
    for t in super::rate::truth_utterances(data, |u| is_tuning_speaker(&u.speaker))? {
        let super::rate::TruthUtterance {
            samples,
            rate,
            syllables: n,
            duration_s: dur,
            ..
        } = t?;
        // The analyser's frames do not depend on the nucleus model; its
        // detector is run again here with the new one.
        let frames = frames_of(&samples, rate, config)?;
        let mut detector = NucleusDetector::with_model(config.nuclei, model);
        let mut nuclei = 0.0;
        for f in &frames {
            nuclei += detector
                .push(f.nucleus_input())
                .map_or(0.0, |n| f64::from(n.weight));
        }
        let speech_s = frames.iter().filter(|f| f.speech).count() as f64 * crate::HOP_S;
        if speech_s < crate::measures::MIN_SPEECH_FOR_RATE_S {
            continue;
        }
        let (t, c) = (n as f64 / dur, nuclei / speech_s);
        tc += t * c;
        cc += c * c;
        files += 1;
    }
    if cc <= 0.0 {
        return Err("no tuning utterances with a measured speech rate".into());
    }
    Ok((tc / cc, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB: &str = "signal x\nnfields 1\n#\n    0.08   -1 _t\n    0.12   -1 E6\n    0.24   -1 l\n    0.30   -1 \t+hoe\n    0.35   -1 a\t+lar\t2\n    0.43   -1 b\n    0.50   -1 m\n    0.60   -1 .\n";

    #[test]
    fn parses_phones_and_skips_marks() {
        let p = parse_lablaut(LAB);
        let labels: Vec<&str> = p.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["_t", "E6", "l", "a", "b", "m"]);
        assert_eq!(p[2].end, 0.35);
        assert_eq!(p[5].end, 0.60);
    }

    #[test]
    fn a_syllable_without_vowel_has_its_nasal_as_nucleus() {
        let phones = parse_lablaut(LAB);
        let silb = SyllableTruth::parse("0.08\tder\n0.24\tla\n0.43\tbm\n0.60\t.\n");
        let n = syllable_nuclei(&phones, &silb);
        assert_eq!(n, vec![(0.12, 0.24), (0.35, 0.43), (0.50, 0.60)]);
        let cores = nucleus_cores(&n);
        assert!((cores[0].0 - 0.15).abs() < 1e-9 && (cores[0].1 - 0.21).abs() < 1e-9);
        // Short nuclei keep at least 20 ms.
        let c = nucleus_cores(&[(1.0, 1.02)])[0];
        assert!((c.1 - c.0 - 0.02).abs() < 1e-9);
    }
}
