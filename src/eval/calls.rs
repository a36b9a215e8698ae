//! Test calls built from the corpora, and how the escalation alerts do on
//! them.
//!
//! A call is one speaker's utterances strung together with pauses of quiet
//! line noise: calm (neutral) utterances first, so the monitor can learn the
//! caller's baseline, then the utterances of one emotion. Escalation calls
//! turn angry; control calls stay neutral or turn sad or happy (happy is the
//! hard case: aroused but not angry). Each speaker's calls are judged by a
//! model trained without that speaker.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::anger::{self, Example};
use super::corpus::{self, Corpus, Utterance};
use super::stats::median;
use crate::Role;
use crate::analyzer::AnalyzerConfig;
use crate::audio::synth::Rng;
use crate::classify::model::AngerModel;
use crate::classify::{Alert, AlertKind, Models};
use crate::offline::{self, Options};

/// What a call turns into after its calm start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CallKind {
    Escalation,
    Neutral,
    Sad,
    Happy,
}

impl CallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Escalation => "escalation",
            CallKind::Neutral => "neutral",
            CallKind::Sad => "sad",
            CallKind::Happy => "happy",
        }
    }

    fn second_emotion(self) -> &'static str {
        match self {
            CallKind::Escalation => "anger",
            CallKind::Neutral => "neutral",
            CallKind::Sad => "sadness",
            CallKind::Happy => "happiness",
        }
    }
}

/// One utterance's place in a call.
#[derive(Debug, Clone)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    pub emotion: String,
    pub file: String,
}

#[derive(Debug, Clone)]
pub struct BuiltCall {
    pub name: String,
    pub speaker: String,
    pub corpus: Corpus,
    pub kind: CallKind,
    pub sample_rate: u32,
    pub samples: Vec<f32>,
    pub segments: Vec<Segment>,
}

impl BuiltCall {
    /// Start of the first utterance of the second part (anger, sadness...).
    pub fn turn_s(&self) -> Option<f64> {
        let second = self.kind.second_emotion();
        if self.kind == CallKind::Neutral {
            return None;
        }
        self.segments
            .iter()
            .find(|s| s.emotion == second)
            .map(|s| s.start_s)
    }

    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate as f64
    }
}

/// Level of the line noise in the pauses, dB re full scale (RMS).
const PAUSE_NOISE_DB: f64 = -60.0;

fn shuffled<'a>(mut v: Vec<&'a Utterance>, rng: &mut Rng) -> Vec<&'a Utterance> {
    for i in (1..v.len()).rev() {
        let j = rng.index(i + 1);
        v.swap(i, j);
    }
    v
}

fn append(call: &mut BuiltCall, u: &Utterance, rng: &mut Rng) -> Result<(), String> {
    let (mut x, rate) = corpus::read_wav(&u.path)?;
    if rate != call.sample_rate {
        return Err(format!(
            "{}: {} Hz, the call is {} Hz",
            u.path.display(),
            rate,
            call.sample_rate
        ));
    }
    if u.corpus == Corpus::EmoDb {
        let end = (corpus::audible_duration(&x, rate) * rate as f64) as usize;
        x.truncate(end);
    }
    let noise = 10f64.powf(PAUSE_NOISE_DB / 20.0);
    let pause = (rng.uniform(0.5, 1.2) * rate as f64) as usize;
    call.samples
        .extend((0..pause).map(|_| (rng.gaussian() * noise) as f32));
    let start = call.samples.len() as f64 / rate as f64;
    call.samples
        .extend(x.iter().map(|&v| v + (rng.gaussian() * noise) as f32));
    call.segments.push(Segment {
        start_s: start,
        end_s: call.samples.len() as f64 / rate as f64,
        emotion: u.emotion.clone(),
        file: u.file_name(),
    });
    Ok(())
}

/// Builds the calls of every speaker: the speaker's neutral utterances in a
/// shuffled order, then the utterances of the call's second emotion. The
/// neutral calls play the neutral utterances twice (in two orders) so that
/// they last as long as the others.
pub fn build(data: &Path) -> Result<Vec<BuiltCall>, String> {
    let utts = corpus::load_all(data).map_err(|e| e.to_string())?;
    let mut by_speaker: BTreeMap<String, Vec<&Utterance>> = BTreeMap::new();
    for u in &utts {
        by_speaker.entry(u.speaker_key()).or_default().push(u);
    }
    let mut calls = Vec::new();
    for (k, (speaker, list)) in by_speaker.iter().enumerate() {
        let rate = if list[0].corpus == Corpus::EmoDb {
            22050
        } else {
            16000
        };
        let of = |e: &str| {
            list.iter()
                .copied()
                .filter(|u| u.emotion == e)
                .collect::<Vec<_>>()
        };
        for kind in [
            CallKind::Escalation,
            CallKind::Neutral,
            CallKind::Sad,
            CallKind::Happy,
        ] {
            let mut rng = Rng::new(1000 * k as u64 + kind as u64);
            let mut call = BuiltCall {
                name: format!("{}-{}", speaker.replace(':', "-"), kind.as_str()),
                speaker: speaker.clone(),
                corpus: list[0].corpus,
                kind,
                sample_rate: rate,
                samples: Vec::new(),
                segments: Vec::new(),
            };
            for u in shuffled(of("neutral"), &mut rng) {
                append(&mut call, u, &mut rng)?;
            }
            for u in shuffled(of(kind.second_emotion()), &mut rng) {
                append(&mut call, u, &mut rng)?;
            }
            calls.push(call);
        }
    }
    Ok(calls)
}

/// The model that judges `speaker`: trained on every other speaker.
pub fn model_without(examples: &[Example], speaker: &str, l2: f64) -> AngerModel {
    let conditions = anger::training_features(examples);
    let train: Vec<usize> = (0..examples.len())
        .filter(|&i| examples[i].speaker != speaker)
        .collect();
    anger::model_on(examples, &conditions, &train, l2)
}

/// The outcome of one call.
#[derive(Debug, Clone)]
pub struct CallResult {
    pub name: String,
    pub kind: CallKind,
    pub duration_s: f64,
    pub turn_s: Option<f64>,
    pub alerts: Vec<f64>,
}

impl CallResult {
    /// Alerts before the turn (or all, for a neutral call) are false alarms.
    pub fn false_alerts(&self) -> usize {
        match (self.kind, self.turn_s) {
            (CallKind::Escalation, Some(t)) => self.alerts.iter().filter(|&&a| a < t).count(),
            _ => self.alerts.len(),
        }
    }

    /// Delay of the first alert after the first angry utterance starts.
    pub fn detection_delay_s(&self) -> Option<f64> {
        let t = self.turn_s.filter(|_| self.kind == CallKind::Escalation)?;
        self.alerts.iter().find(|&&a| a >= t).map(|a| a - t)
    }
}

#[derive(Debug, Clone)]
pub struct CallFigures {
    pub results: Vec<CallResult>,
    pub escalations: usize,
    pub detected: usize,
    pub median_delay_s: f64,
    /// False `anger_rising` alerts per minute of call, by kind (for
    /// escalation calls: per minute of their calm part).
    pub false_per_min: BTreeMap<&'static str, f64>,
}

/// Runs every call through the offline analysis with its speaker's
/// leave-one-out model.
pub fn evaluate(data: &Path, config: AnalyzerConfig, l2: f64) -> Result<CallFigures, String> {
    let examples = anger::build_dataset(data, config)?;
    let calls = build(data)?;
    let mut models: BTreeMap<String, Arc<AngerModel>> = BTreeMap::new();
    let mut results = Vec::new();
    for call in &calls {
        let model = models
            .entry(call.speaker.clone())
            .or_insert_with(|| Arc::new(model_without(&examples, &call.speaker, l2)))
            .clone();
        let options = Options {
            config,
            models: Models::builtin()
                .with_anger_model(model)
                .with_language(call.corpus.language())
                .map_err(|e| e.to_string())?,
            ..Options::default()
        };
        let report =
            offline::analyze_samples(&call.name, call.sample_rate, &[&call.samples], &options)
                .map_err(|e| e.to_string())?;
        let alerts = report
            .channels
            .iter()
            .filter(|c| c.role == Role::Customer)
            .flat_map(|c| c.alerts.iter())
            .filter(|a: &&Alert| a.kind == AlertKind::AngerRising)
            .map(|a| a.time_s)
            .collect();
        results.push(CallResult {
            name: call.name.clone(),
            kind: call.kind,
            duration_s: call.duration_s(),
            turn_s: call.turn_s(),
            alerts,
        });
    }
    let esc: Vec<&CallResult> = results
        .iter()
        .filter(|r| r.kind == CallKind::Escalation)
        .collect();
    let delays: Vec<f64> = esc.iter().filter_map(|r| r.detection_delay_s()).collect();
    let mut false_per_min = BTreeMap::new();
    for kind in [
        CallKind::Escalation,
        CallKind::Neutral,
        CallKind::Sad,
        CallKind::Happy,
    ] {
        let of_kind: Vec<&CallResult> = results.iter().filter(|r| r.kind == kind).collect();
        let minutes: f64 = of_kind
            .iter()
            .map(|r| match kind {
                CallKind::Escalation => r.turn_s.unwrap_or(r.duration_s),
                _ => r.duration_s,
            })
            .sum::<f64>()
            / 60.0;
        let false_alerts: usize = of_kind.iter().map(|r| r.false_alerts()).sum();
        false_per_min.insert(kind.as_str(), false_alerts as f64 / minutes.max(1e-9));
    }
    Ok(CallFigures {
        escalations: esc.len(),
        detected: delays.len(),
        median_delay_s: if delays.is_empty() {
            f64::NAN
        } else {
            median(&delays)
        },
        false_per_min,
        results,
    })
}
