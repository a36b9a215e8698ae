//! Caller profiles on modified speech: each speaker's neutral speech, brought
//! to the nominal telephone level, is turned into variants with a known
//! direction — faster or slower (tempo ×1.3 / ×0.8, same pitch), louder or
//! softer (+8 / −8 dB), livelier or flatter (pitch excursions ×1.8 / ×0.5) —
//! one per quadrant, and must be named as intended; the unmodified speech
//! must not be forced into an extreme.
//!
//! The language norms a speaker is judged with come from the other speakers
//! of the same corpus, measured the same way (whole stretches of neutral
//! speech), so no speaker is judged against a norm made from their own voice.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::corpus::{self, Corpus, Utterance};
use super::modify::modify;
use crate::Role;
use crate::analyzer::{AnalyzerConfig, analyze_samples};
use crate::audio::synth::Rng;
use crate::classify::Models;
use crate::classify::profile::{LanguageNorms, ProfileNorms, ProfileType};
use crate::measures::Measures;
use crate::offline::{self, Options};

/// Seconds of utterances (cycled if a speaker has fewer) per speaker: enough
/// that a tempo x1.3 variant still has the 15 s + 5 s a profile needs to settle.
const SPEECH_S: f64 = 32.0;

/// A variant: name, tempo factor, gain (dB re nominal), pitch excursion
/// factor, and the profile it must get.
pub const VARIANTS: [(&str, f64, f64, f64, ProfileType); 5] = [
    ("unmodified", 1.0, 0.0, 1.0, ProfileType::Undetermined),
    ("fast-loud-flat", 1.3, 8.0, 0.5, ProfileType::Eagle),
    ("fast-loud-lively", 1.3, 8.0, 1.8, ProfileType::Peacock),
    ("slow-soft-lively", 0.8, -8.0, 1.8, ProfileType::Dove),
    ("slow-soft-flat", 0.8, -8.0, 0.5, ProfileType::Owl),
];

/// One speaker's neutral speech at the nominal level, with its measures.
pub struct SpeakerSpeech {
    pub speaker: String,
    pub corpus: Corpus,
    pub rate: u32,
    pub samples: Vec<f32>,
    pub measures: Measures,
}

fn scale_to(x: &[f32], rate: u32, level_dbfs: f64) -> Result<Vec<f32>, String> {
    let (_, m) = analyze_samples(x, rate, AnalyzerConfig::default()).map_err(|e| e.to_string())?;
    let current = m
        .active_level_dbfs
        .ok_or("no speech to measure the level of")?;
    let g = 10f64.powf((level_dbfs - current) / 20.0) as f32;
    Ok(x.iter().map(|v| v * g).collect())
}

/// Each speaker's neutral utterances strung together (pauses of quiet line
/// noise), brought to `level_dbfs`.
pub fn neutral_speech(data: &Path, level_dbfs: f64) -> Result<Vec<SpeakerSpeech>, String> {
    let utts = corpus::load_all(data).map_err(|e| e.to_string())?;
    let mut by_speaker: BTreeMap<String, Vec<&Utterance>> = BTreeMap::new();
    for u in utts.iter().filter(|u| u.emotion == "neutral") {
        by_speaker.entry(u.speaker_key()).or_default().push(u);
    }
    let mut out = Vec::new();
    for (k, (speaker, list)) in by_speaker.iter().enumerate() {
        let mut rng = Rng::new(7000 + k as u64);
        let mut samples = Vec::new();
        let mut speech = 0.0;
        let mut rate;
        'fill: loop {
            for u in list {
                let (mut x, r) = corpus::read_wav(&u.path)?;
                if u.corpus == Corpus::EmoDb {
                    let end = (corpus::audible_duration(&x, r) * r as f64) as usize;
                    x.truncate(end);
                }
                rate = r;
                let pause = (0.6 * r as f64) as usize;
                samples.extend((0..pause).map(|_| (rng.gaussian() * 1e-3) as f32));
                speech += x.len() as f64 / r as f64;
                samples.extend(x);
                if speech >= SPEECH_S {
                    break 'fill;
                }
            }
        }
        let samples = scale_to(&samples, rate, level_dbfs)?;
        let (_, measures) = analyze_samples(&samples, rate, AnalyzerConfig::default())
            .map_err(|e| e.to_string())?;
        out.push(SpeakerSpeech {
            speaker: speaker.clone(),
            corpus: list[0].corpus,
            rate,
            samples,
            measures,
        });
    }
    Ok(out)
}

/// Language norms from the given speakers' neutral speech.
pub fn norms_from<'a>(
    speakers: impl Iterator<Item = &'a SpeakerSpeech>,
    source: &str,
) -> Option<LanguageNorms> {
    let (mut rate, mut sd, mut n) = (0.0, 0.0, 0usize);
    for s in speakers {
        if let (Some(r), Some(p)) = (s.measures.speech_rate_syl_s, s.measures.pitch_sd_st) {
            rate += r;
            sd += p;
            n += 1;
        }
    }
    let round = |v: f64| (v * 100.0).round() / 100.0;
    (n > 0).then(|| LanguageNorms {
        speech_rate_syl_s: round(rate / n as f64),
        pitch_sd_st: round(sd / n as f64),
        source: source.to_string(),
    })
}

/// The shipped norms with the German and Italian entries measured from all
/// speakers of EmoDB and EMOVO (`tonewatch train profiles`).
pub fn train(data: &Path, base: &ProfileNorms) -> Result<ProfileNorms, String> {
    let speech = neutral_speech(data, base.volume_reference.level_dbfs)?;
    let mut norms = base.clone();
    for (corpus, name) in [(Corpus::EmoDb, "EmoDB"), (Corpus::Emovo, "EMOVO")] {
        let n = speech.iter().filter(|s| s.corpus == corpus).count();
        let source = format!(
            "measured by tonewatch on {name} neutral speech ({n} speakers, about {SPEECH_S:.0} s each, judged as whole stretches)"
        );
        let l = norms_from(speech.iter().filter(|s| s.corpus == corpus), &source)
            .ok_or_else(|| format!("no measurable neutral speech in {name}"))?;
        norms.languages.insert(corpus.language().to_string(), l);
    }
    // Languages without a corpus here are stated relative to the measured
    // ones, so that they stay on tonewatch's own scale (its rate counts
    // nuclei per second of voice activity, lower than textbook syllable
    // rates).
    let (de, it) = (
        norms.language("de").map_err(|e| e.to_string())?.clone(),
        norms.language("it").map_err(|e| e.to_string())?.clone(),
    );
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let mid_rate = round(0.5 * (de.speech_rate_syl_s + it.speech_rate_syl_s));
    let mid_sd = round(0.5 * (de.pitch_sd_st + it.pitch_sd_st));
    norms.languages.insert(
        "generic".into(),
        LanguageNorms {
            speech_rate_syl_s: mid_rate,
            pitch_sd_st: mid_sd,
            source: "mean of the German and Italian norms measured here".into(),
        },
    );
    norms.languages.insert(
        "en".into(),
        LanguageNorms {
            speech_rate_syl_s: de.speech_rate_syl_s,
            pitch_sd_st: round(1.05 * de.pitch_sd_st),
            source:
                "assumption, not measured here: English pace as German, intonation 5 % livelier"
                    .into(),
        },
    );
    norms.languages.insert(
        "zh".into(),
        LanguageNorms {
            speech_rate_syl_s: mid_rate,
            pitch_sd_st: round(1.4 * mid_sd),
            source: "assumption, not measured here: Mandarin syllables almost all have a vowel nucleus, so its nucleus rate is like the European ones; lexical tones add about 40 % to F0 variation".into(),
        },
    );
    Ok(norms)
}

/// One variant's outcome.
#[derive(Debug, Clone)]
pub struct VariantResult {
    pub speaker: String,
    pub variant: &'static str,
    pub intended: ProfileType,
    pub got: ProfileType,
    pub rate: Option<f64>,
    pub level: Option<f64>,
    pub pitch_sd: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct ProfileFigures {
    pub results: Vec<VariantResult>,
    /// Share of modified variants named as intended.
    pub intended_share: f64,
    /// Share of unmodified speech left undetermined.
    pub unmodified_undetermined: f64,
}

pub fn evaluate(data: &Path, base: &ProfileNorms) -> Result<ProfileFigures, String> {
    let nominal = base.volume_reference.level_dbfs;
    let speech = neutral_speech(data, nominal)?;
    let mut results = Vec::new();
    for s in &speech {
        let lang = s.corpus.language();
        let others = speech
            .iter()
            .filter(|o| o.corpus == s.corpus && o.speaker != s.speaker);
        let held_out = norms_from(others, "other speakers of the corpus").ok_or("no norms")?;
        let mut norms = base.clone();
        norms.languages.insert(lang.to_string(), held_out);
        let models = Models::builtin()
            .with_profile_norms(Arc::new(norms))
            .with_language(lang)
            .map_err(|e| e.to_string())?;
        for (name, tempo, gain_db, excursion, intended) in VARIANTS {
            let x = if tempo == 1.0 && excursion == 1.0 {
                s.samples.clone()
            } else {
                modify(&s.samples, s.rate, tempo, excursion)
            };
            let x = scale_to(&x, s.rate, nominal + gain_db)?;
            let options = Options {
                models: models.clone(),
                ..Options::default()
            };
            let report = offline::analyze_samples(name, s.rate, &[&x], &options)
                .map_err(|e| e.to_string())?;
            let ch = report
                .channels
                .iter()
                .find(|c| c.role == Role::Customer)
                .ok_or("no customer channel")?;
            results.push(VariantResult {
                speaker: s.speaker.clone(),
                variant: name,
                intended,
                got: ch.profile.kind,
                rate: ch.summary.speech_rate_syl_s,
                level: ch.summary.active_level_dbfs,
                pitch_sd: ch.summary.pitch_sd_st,
            });
        }
    }
    let modified: Vec<&VariantResult> = results
        .iter()
        .filter(|r| r.variant != "unmodified")
        .collect();
    let unmodified: Vec<&VariantResult> = results
        .iter()
        .filter(|r| r.variant == "unmodified")
        .collect();
    let share = |v: &[&VariantResult]| {
        v.iter().filter(|r| r.got == r.intended).count() as f64 / v.len().max(1) as f64
    };
    Ok(ProfileFigures {
        intended_share: share(&modified),
        unmodified_undetermined: share(&unmodified),
        results,
    })
}
