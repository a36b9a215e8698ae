//! Pitch variation of real emotional speech, clean against a telephone channel
//! of the same recording: the measure must not change when a call goes through
//! a phone line (octave errors on band-limited low voices inflate it).

use std::path::Path;

use super::corpus::{self, Corpus, Utterance};
use super::stats::mean;
use crate::analyzer::{AnalyzerConfig, analyze_samples};
use crate::audio::telephone::{RATE as TEL_RATE, telephone_channel};
use crate::measures::Measures;

/// Largest |telephone − clean| pitch SD (semitones) that counts as agreement.
pub const AGREE_ST: f64 = 1.0;
/// Least share of utterances that must agree.
pub const AGREE_MIN: f64 = 0.9;

/// One utterance's whole-utterance pitch measures, clean and telephone.
#[derive(Debug, Clone)]
pub struct RealRow {
    pub corpus: Corpus,
    pub file: String,
    pub speaker: String,
    pub emotion: String,
    /// Speakers alternate between halves in manifest order of first
    /// appearance, per corpus: the tuning half is even positions.
    pub tuning_half: bool,
    pub clean: Measures,
    pub tel: Measures,
}

/// How the two versions of an utterance compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    /// Both have a pitch SD and they are within [`AGREE_ST`].
    Agree,
    /// Both have a pitch SD and they differ by more.
    Differ,
    /// Neither version has pitch: not counted.
    BothNone,
    /// Only one version has pitch: a failure.
    OneNone,
}

impl RealRow {
    pub fn agreement(&self) -> Agreement {
        match (self.clean.pitch_sd_st, self.tel.pitch_sd_st) {
            (Some(c), Some(t)) if (t - c).abs() <= AGREE_ST => Agreement::Agree,
            (Some(_), Some(_)) => Agreement::Differ,
            (None, None) => Agreement::BothNone,
            _ => Agreement::OneNone,
        }
    }
}

/// Agreement counts of a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AgreeCounts {
    pub agree: usize,
    pub differ: usize,
    pub one_none: usize,
    pub both_none: usize,
}

impl AgreeCounts {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a RealRow>) -> Self {
        let mut c = Self::default();
        for r in rows {
            match r.agreement() {
                Agreement::Agree => c.agree += 1,
                Agreement::Differ => c.differ += 1,
                Agreement::OneNone => c.one_none += 1,
                Agreement::BothNone => c.both_none += 1,
            }
        }
        c
    }

    /// Utterances that count: all but those without pitch in both versions.
    pub fn counted(&self) -> usize {
        self.agree + self.differ + self.one_none
    }

    pub fn share(&self) -> f64 {
        if self.counted() == 0 {
            f64::NAN
        } else {
            self.agree as f64 / self.counted() as f64
        }
    }
}

/// Mean of a measure over rows, clean and telephone, over rows where both
/// versions have it.
pub fn mean_pair<'a>(
    rows: impl IntoIterator<Item = &'a RealRow>,
    f: impl Fn(&Measures) -> Option<f64>,
) -> (f64, f64, usize) {
    let (c, t): (Vec<f64>, Vec<f64>) = rows
        .into_iter()
        .filter_map(|r| Some((f(&r.clean)?, f(&r.tel)?)))
        .unzip();
    (mean(&c), mean(&t), c.len())
}

#[derive(Debug, Clone)]
pub struct RealFigures {
    pub rows: Vec<RealRow>,
    pub emodb: AgreeCounts,
    pub emovo: AgreeCounts,
    pub overall: AgreeCounts,
}

impl RealFigures {
    /// (name, value, threshold, pass) of each gated figure: the share of
    /// agreeing utterances per corpus and overall.
    pub fn checks(&self) -> Vec<(&'static str, f64, f64, bool)> {
        let at_least = |name, v: f64| (name, v, AGREE_MIN, v >= AGREE_MIN);
        vec![
            at_least(
                "EmoDB pitch SD within 1 st, telephone vs clean",
                self.emodb.share(),
            ),
            at_least(
                "EMOVO pitch SD within 1 st, telephone vs clean",
                self.emovo.share(),
            ),
            at_least(
                "overall pitch SD within 1 st, telephone vs clean",
                self.overall.share(),
            ),
        ]
    }

    pub fn pass(&self) -> bool {
        self.checks().iter().all(|c| c.3)
    }
}

/// Analyses one utterance clean and through the telephone channel.
pub fn analyze_utterance(
    u: &Utterance,
    config: AnalyzerConfig,
) -> Result<(Measures, Measures), String> {
    let (mut samples, rate) = corpus::read_wav(&u.path)?;
    if u.corpus == Corpus::EmoDb {
        // The padding is digital silence the original recording does not have.
        let audible = (corpus::audible_duration(&samples, rate) * rate as f64).round() as usize;
        samples.truncate(audible);
    }
    let (_, clean) = analyze_samples(&samples, rate, config).map_err(|e| e.to_string())?;
    let tel = telephone_channel(&samples, rate).map_err(|e| e.to_string())?;
    let (_, tel) = analyze_samples(&tel, TEL_RATE, config).map_err(|e| e.to_string())?;
    Ok((clean, tel))
}

pub fn evaluate(data: &Path, config: AnalyzerConfig) -> Result<RealFigures, String> {
    let mut rows = Vec::new();
    for c in [Corpus::EmoDb, Corpus::Emovo] {
        let utts = corpus::load_manifest(data, c).map_err(|e| e.to_string())?;
        let mut speakers: Vec<&str> = Vec::new();
        for u in &utts {
            let pos = match speakers.iter().position(|s| *s == u.speaker) {
                Some(p) => p,
                None => {
                    speakers.push(&u.speaker);
                    speakers.len() - 1
                }
            };
            let (clean, tel) = analyze_utterance(u, config)?;
            rows.push(RealRow {
                corpus: c,
                file: u.file_name(),
                speaker: u.speaker.clone(),
                emotion: u.emotion.clone(),
                tuning_half: pos % 2 == 0,
                clean,
                tel,
            });
        }
    }
    Ok(RealFigures {
        emodb: AgreeCounts::of(rows.iter().filter(|r| r.corpus == Corpus::EmoDb)),
        emovo: AgreeCounts::of(rows.iter().filter(|r| r.corpus == Corpus::Emovo)),
        overall: AgreeCounts::of(&rows),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(clean: Option<f64>, tel: Option<f64>) -> RealRow {
        RealRow {
            corpus: Corpus::EmoDb,
            file: String::new(),
            speaker: String::new(),
            emotion: String::new(),
            tuning_half: true,
            clean: Measures {
                pitch_sd_st: clean,
                ..Default::default()
            },
            tel: Measures {
                pitch_sd_st: tel,
                ..Default::default()
            },
        }
    }

    #[test]
    fn missing_pitch_fails_unless_both_lack_it() {
        let rows = [
            row(Some(2.0), Some(2.9)),
            row(Some(2.0), Some(3.1)),
            row(Some(2.0), None),
            row(None, None),
        ];
        let c = AgreeCounts::of(&rows);
        assert_eq!(
            c,
            AgreeCounts {
                agree: 1,
                differ: 1,
                one_none: 1,
                both_none: 1
            }
        );
        assert_eq!(c.counted(), 3);
        assert!((c.share() - 1.0 / 3.0).abs() < 1e-12);
    }
}
