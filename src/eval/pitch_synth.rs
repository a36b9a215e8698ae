//! Pitch accuracy on synthetic voices with exact per-sample F0 truth, clean and
//! through a telephone channel.
//!
//! # What a frame is compared with
//! A [`Frame`] at `time_s` is computed from the pitch stage's correlation
//! reference window: the last [`pitch::WINDOW`] samples at the analysis rate,
//! i.e. the 32 ms `[time_s − 0.032, time_s)`. The frame's truth is taken over
//! the truth samples of that same span:
//! - truth-voiced when every sample in it is voiced; its F0 is then the median
//!   of the per-sample truth (jitter makes single cycles differ by ~1 %);
//! - truth-unvoiced when no sample is voiced;
//! - mixed otherwise (voice onsets and offsets): left out of every figure,
//!   since which answer is right there is a matter of definition.
//!
//! # Figures
//! - Gross pitch error (GPE): among frames voiced in truth and in the output,
//!   the share off by more than 20 %.
//! - Fine error: the median relative error of the others.
//! - Voicing decision error (VDE): among the frames with a clear truth, the
//!   share where voiced/unvoiced is wrong (the VAD's gating included, since
//!   that is what `Frame::f0_hz` reports).

use crate::analyzer::{Analyzer, AnalyzerConfig, AnalyzerError, Frame, Sink};
use crate::audio::synth::{Truth, pitch_test_signal};
use crate::audio::telephone::{RATE as TEL_RATE, telephone_channel};
use crate::dsp::pitch;
use crate::{ANALYSIS_RATE, HOP_S};

/// F0 ranges of the conditions: low male to child/raised female.
pub const RANGES_HZ: [(f64, f64); 4] = [
    (60.0, 120.0),
    (100.0, 200.0),
    (150.0, 300.0),
    (220.0, 450.0),
];
/// Seeds per condition. Odd seeds are the tuning half, even seeds the check half.
pub const SEEDS: std::ops::RangeInclusive<u64> = 1..=8;
/// Seconds per signal: 8 × 15 s = 120 s per condition.
pub const SIGNAL_S: f64 = 15.0;
/// White noise relative to the voiced power.
pub const SNR_DB: f64 = 20.0;
/// Rate the signals are made at: wideband, so the clean path exercises the
/// analyser's resampler as a headset would.
pub const SIGNAL_RATE: u32 = 16000;

/// A voiced frame whose F0 is off by more than this (relative) is a gross error.
pub const GROSS_RELATIVE: f64 = 0.2;
pub const GPE_MAX: f64 = 0.02;
pub const FINE_MAX: f64 = 0.01;
pub const VDE_MAX: f64 = 0.05;
pub const TEL_GPE_MAX: f64 = 0.05;

/// Frame counts of one or more signals.
#[derive(Debug, Clone, Default)]
pub struct PitchScore {
    pub truth_voiced: u64,
    pub truth_unvoiced: u64,
    /// Frames whose window is partly voiced: not scored.
    pub mixed: u64,
    /// Truth-voiced frames the output calls voiced.
    pub voiced_both: u64,
    pub gross: u64,
    /// Truth-voiced frames the output calls unvoiced.
    pub missed: u64,
    /// Truth-unvoiced frames the output calls voiced.
    pub false_voiced: u64,
    /// Relative errors of the voiced-in-both frames that are not gross.
    fine: Vec<f64>,
}

impl PitchScore {
    pub fn gpe(&self) -> f64 {
        ratio(self.gross, self.voiced_both)
    }

    /// Median relative error among the non-gross frames.
    pub fn fine_median(&self) -> f64 {
        super::stats::median(&self.fine)
    }

    pub fn vde(&self) -> f64 {
        ratio(
            self.missed + self.false_voiced,
            self.truth_voiced + self.truth_unvoiced,
        )
    }

    pub fn merge(&mut self, other: &PitchScore) {
        self.truth_voiced += other.truth_voiced;
        self.truth_unvoiced += other.truth_unvoiced;
        self.mixed += other.mixed;
        self.voiced_both += other.voiced_both;
        self.gross += other.gross;
        self.missed += other.missed;
        self.false_voiced += other.false_voiced;
        self.fine.extend_from_slice(&other.fine);
    }

    fn add(&mut self, truth_f0: Option<Option<f64>>, out_f0: Option<f32>) {
        match (truth_f0, out_f0) {
            (None, _) => self.mixed += 1,
            (Some(None), out) => {
                self.truth_unvoiced += 1;
                self.false_voiced += out.is_some() as u64;
            }
            (Some(Some(_)), None) => {
                self.truth_voiced += 1;
                self.missed += 1;
            }
            (Some(Some(t)), Some(f)) => {
                self.truth_voiced += 1;
                self.voiced_both += 1;
                let err = (f as f64 / t - 1.0).abs();
                if err > GROSS_RELATIVE {
                    self.gross += 1;
                } else {
                    self.fine.push(err);
                }
            }
        }
    }
}

fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        f64::NAN
    } else {
        n as f64 / d as f64
    }
}

/// The truth of the frame ending at `time_s`: `None` when mixed, `Some(None)`
/// when unvoiced, `Some(Some(f0))` when voiced.
fn frame_truth(truth: &Truth, time_s: f64, scratch: &mut Vec<f64>) -> Option<Option<f64>> {
    let rate = truth.sample_rate as f64;
    let span_s = pitch::WINDOW as f64 / ANALYSIS_RATE as f64;
    let start = ((time_s - span_s) * rate).round().max(0.0) as usize;
    let end = ((time_s * rate).round() as usize).min(truth.f0_hz.len());
    if start >= end {
        return Some(None);
    }
    let span = &truth.f0_hz[start..end];
    let voiced = span.iter().filter(|&&f| f > 0.0).count();
    if voiced == 0 {
        Some(None)
    } else if voiced < span.len() {
        None
    } else {
        scratch.clear();
        scratch.extend(span.iter().map(|&f| f as f64));
        scratch.sort_by(f64::total_cmp);
        Some(Some(crate::measures::window::percentile(scratch, 0.5)))
    }
}

struct F0s(Vec<(f64, Option<f32>)>);

impl Sink for F0s {
    fn frame(&mut self, f: &Frame) {
        self.0.push((f.time_s, f.f0_hz));
    }
}

/// Scores the analyser's frames of `samples` (at `rate`) against `truth`,
/// which may be at another rate: frames are matched by time.
pub fn score_signal(
    samples: &[f32],
    rate: u32,
    truth: &Truth,
    config: AnalyzerConfig,
) -> Result<PitchScore, AnalyzerError> {
    let mut a = Analyzer::new(rate, config)?;
    let mut frames = F0s(Vec::with_capacity(
        (samples.len() as f64 / rate as f64 / HOP_S) as usize + 2,
    ));
    a.process(samples, &mut frames);
    a.finish(&mut frames);
    let mut score = PitchScore::default();
    let mut scratch = Vec::new();
    for &(t, f0) in &frames.0 {
        score.add(frame_truth(truth, t, &mut scratch), f0);
    }
    Ok(score)
}

/// Scores of one signal, clean and through the telephone channel.
#[derive(Debug, Clone)]
pub struct SignalScores {
    pub f0_lo: f64,
    pub f0_hi: f64,
    pub seed: u64,
    pub clean: PitchScore,
    pub tel: PitchScore,
}

impl SignalScores {
    pub fn is_tuning_half(&self) -> bool {
        self.seed % 2 == 1
    }
}

/// Makes one test signal and scores it both ways.
pub fn score_condition(
    f0_lo: f64,
    f0_hi: f64,
    seed: u64,
    duration_s: f64,
    config: AnalyzerConfig,
) -> Result<SignalScores, String> {
    let (x, truth) = pitch_test_signal(SIGNAL_RATE, seed, f0_lo, f0_hi, SNR_DB, duration_s);
    let clean = score_signal(&x, SIGNAL_RATE, &truth, config).map_err(|e| e.to_string())?;
    let tel = telephone_channel(&x, SIGNAL_RATE).map_err(|e| e.to_string())?;
    let tel = score_signal(&tel, TEL_RATE, &truth, config).map_err(|e| e.to_string())?;
    Ok(SignalScores {
        f0_lo,
        f0_hi,
        seed,
        clean,
        tel,
    })
}

/// The gated figures: overall over every condition and seed.
#[derive(Debug, Clone)]
pub struct SynthFigures {
    pub signals: Vec<SignalScores>,
    pub clean: PitchScore,
    pub tel: PitchScore,
}

impl SynthFigures {
    /// Merged scores of the signals `keep` selects.
    pub fn merged(&self, keep: impl Fn(&SignalScores) -> bool) -> (PitchScore, PitchScore) {
        let mut clean = PitchScore::default();
        let mut tel = PitchScore::default();
        for s in self.signals.iter().filter(|s| keep(s)) {
            clean.merge(&s.clean);
            tel.merge(&s.tel);
        }
        (clean, tel)
    }

    /// (name, value, threshold, pass) of each gated figure.
    pub fn checks(&self) -> Vec<(&'static str, f64, f64, bool)> {
        let at_most = |name, v: f64, max| (name, v, max, v <= max);
        vec![
            at_most("clean gross pitch error", self.clean.gpe(), GPE_MAX),
            at_most(
                "clean median fine error",
                self.clean.fine_median(),
                FINE_MAX,
            ),
            at_most("clean voicing decision error", self.clean.vde(), VDE_MAX),
            at_most("telephone gross pitch error", self.tel.gpe(), TEL_GPE_MAX),
        ]
    }

    pub fn pass(&self) -> bool {
        self.checks().iter().all(|c| c.3)
    }
}

/// Every condition × seed, each signal [`SIGNAL_S`] long.
pub fn evaluate(config: AnalyzerConfig) -> Result<SynthFigures, String> {
    let mut signals = Vec::new();
    for &(lo, hi) in &RANGES_HZ {
        for seed in SEEDS {
            signals.push(score_condition(lo, hi, seed, SIGNAL_S, config)?);
        }
    }
    let mut figures = SynthFigures {
        signals,
        clean: PitchScore::default(),
        tel: PitchScore::default(),
    };
    (figures.clean, figures.tel) = figures.merged(|_| true);
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_of_a_frame_needs_a_wholly_voiced_window() {
        let rate = 16000;
        let mut f0 = vec![0.0f32; rate as usize];
        f0[8000..].fill(100.0);
        f0[12000] = 110.0;
        let truth = Truth {
            sample_rate: rate,
            f0_hz: f0,
            nuclei_s: Vec::new(),
            speech_intervals: Vec::new(),
        };
        let mut s = Vec::new();
        assert_eq!(frame_truth(&truth, 0.5, &mut s), Some(None));
        assert_eq!(frame_truth(&truth, 0.52, &mut s), None);
        assert_eq!(frame_truth(&truth, 0.532, &mut s), Some(Some(100.0)));
        assert_eq!(frame_truth(&truth, 0.76, &mut s), Some(Some(100.0)));
    }

    /// The regression guard that runs without the corpus: a short signal per
    /// range, held to the same thresholds as the full evaluation.
    #[test]
    fn synthetic_pitch_errors_stay_within_thresholds() {
        let mut clean = PitchScore::default();
        let mut tel = PitchScore::default();
        for &(lo, hi) in &RANGES_HZ {
            let s = score_condition(lo, hi, 101, 4.0, AnalyzerConfig::default()).unwrap();
            clean.merge(&s.clean);
            tel.merge(&s.tel);
        }
        assert!(clean.truth_voiced > 600, "{clean:?}");
        assert!(clean.gpe() <= GPE_MAX, "clean GPE {:.4}", clean.gpe());
        assert!(
            clean.fine_median() <= FINE_MAX,
            "fine {:.4}",
            clean.fine_median()
        );
        assert!(clean.vde() <= VDE_MAX, "clean VDE {:.4}", clean.vde());
        assert!(tel.gpe() <= TEL_GPE_MAX, "telephone GPE {:.4}", tel.gpe());
    }
}
