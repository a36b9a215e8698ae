//! Speech rate against EmoDB's syllable ground truth, clean and through a
//! telephone channel.

use std::path::Path;

use super::corpus::{self, Corpus, SyllableTruth, Utterance};
use super::nuclei::is_tuning_speaker;
use super::stats::{mae, pearson};
use crate::analyzer::{AnalyzerConfig, analyze_samples};
use crate::audio::telephone::{RATE as TEL_RATE, telephone_channel};

/// One utterance's truth and measurements.
#[derive(Debug, Clone)]
pub struct RateRow {
    pub file: String,
    pub speaker: String,
    pub truth_syllables: usize,
    pub truth_duration_s: f64,
    pub truth_rate: f64,
    pub clean_syllables: f64,
    pub clean_speech_s: f64,
    pub clean_rate: Option<f64>,
    pub tel_syllables: f64,
    pub tel_speech_s: f64,
    pub tel_rate: Option<f64>,
}

/// Agreement of one set of files with the truth.
#[derive(Debug, Clone, Copy)]
pub struct Agreement {
    pub files: usize,
    pub clean_r: f64,
    pub clean_mae: f64,
    pub tel_r: f64,
    pub tel_mae: f64,
}

impl Agreement {
    fn of<'a>(rows: impl Iterator<Item = &'a RateRow>) -> Self {
        let rows: Vec<&RateRow> = rows.collect();
        let pairs = |f: fn(&RateRow) -> Option<f64>| -> (Vec<f64>, Vec<f64>) {
            rows.iter()
                .map(|r| (r.truth_rate, f(r).unwrap_or(0.0)))
                .unzip()
        };
        let (t, c) = pairs(|r| r.clean_rate);
        let (t2, p) = pairs(|r| r.tel_rate);
        Self {
            files: rows.len(),
            clean_r: pearson(&t, &c),
            clean_mae: mae(&t, &c),
            tel_r: pearson(&t2, &p),
            tel_mae: mae(&t2, &p),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RateFigures {
    pub files: usize,
    pub clean_r: f64,
    pub clean_mae: f64,
    pub tel_r: f64,
    pub tel_mae: f64,
    /// The tuning half of the speakers (even-numbered; the nucleus model was
    /// fitted on them) and the check half (odd-numbered, never seen).
    pub tuning: Agreement,
    pub check: Agreement,
}

/// An EmoDB utterance with its true syllable count over the audible 2 s
/// (what the rate figures are measured against).
pub struct TruthUtterance {
    pub utterance: Utterance,
    pub samples: Vec<f32>,
    pub rate: u32,
    pub syllables: usize,
    /// The truth's speech time, s.
    pub duration_s: f64,
}

/// The EmoDB utterances `keep` accepts that have syllable labels, read one
/// at a time.
pub fn truth_utterances(
    data: &Path,
    keep: impl Fn(&Utterance) -> bool,
) -> Result<impl Iterator<Item = Result<TruthUtterance, String>>, String> {
    let utts = corpus::load_manifest(data, Corpus::EmoDb).map_err(|e| e.to_string())?;
    Ok(utts.into_iter().filter(move |u| keep(u)).filter_map(|u| {
        let silb = u.syllables.clone()?;
        let read = || -> Result<Option<TruthUtterance>, String> {
            let truth = SyllableTruth::load(&silb).map_err(|e| e.to_string())?;
            let (samples, rate) = corpus::read_wav(&u.path)?;
            let audible = corpus::audible_duration(&samples, rate).min(2.0);
            let Some((syllables, duration_s)) = truth.rate(audible, false, 0.0) else {
                return Ok(None);
            };
            Ok(Some(TruthUtterance {
                utterance: u.clone(),
                samples,
                rate,
                syllables,
                duration_s,
            }))
        };
        read().transpose()
    }))
}

pub fn evaluate(
    data: &Path,
    config: AnalyzerConfig,
) -> Result<(Vec<RateRow>, RateFigures), String> {
    let mut rows = Vec::new();
    for t in truth_utterances(data, |_| true)? {
        let TruthUtterance {
            utterance: u,
            samples,
            rate,
            syllables: n,
            duration_s: dur,
        } = t?;
        let (_, clean) = analyze_samples(&samples, rate, config).map_err(|e| e.to_string())?;
        let tel = telephone_channel(&samples, rate).map_err(|e| e.to_string())?;
        let (_, tel_m) = analyze_samples(&tel, TEL_RATE, config).map_err(|e| e.to_string())?;
        rows.push(RateRow {
            file: u.file_name(),
            speaker: u.speaker.clone(),
            truth_syllables: n,
            truth_duration_s: dur,
            truth_rate: n as f64 / dur,
            clean_syllables: clean.syllables,
            clean_speech_s: clean.speech_s,
            clean_rate: clean.speech_rate_syl_s,
            tel_syllables: tel_m.syllables,
            tel_speech_s: tel_m.speech_s,
            tel_rate: tel_m.speech_rate_syl_s,
        });
    }
    let all = Agreement::of(rows.iter());
    let tuning = Agreement::of(rows.iter().filter(|r| is_tuning_speaker(&r.speaker)));
    let check = Agreement::of(rows.iter().filter(|r| !is_tuning_speaker(&r.speaker)));
    let figures = RateFigures {
        files: all.files,
        clean_r: all.clean_r,
        clean_mae: all.clean_mae,
        tel_r: all.tel_r,
        tel_mae: all.tel_mae,
        tuning,
        check,
    };
    Ok((rows, figures))
}
