//! Volume (active speech level) checks: gain moves it by exactly the gain,
//! white noise at 20 dB SNR barely moves it, silence gives no number.

use std::path::Path;

use super::corpus::{self, Corpus};
use crate::analyzer::{AnalyzerConfig, analyze_samples};
use crate::audio::synth::Rng;

/// Results over a set of utterances.
#[derive(Debug, Clone)]
pub struct VolumeFigures {
    pub files: usize,
    /// Largest |Δlevel − gain| over ±12 dB gains, dB.
    pub max_gain_error_db: f64,
    /// Share of (file, gain) pairs with |Δlevel − gain| ≤ 0.1 dB.
    pub gain_within_0_1: f64,
    /// Mean and largest |Δlevel| with white noise at 20 dB SNR, dB.
    pub mean_noise_shift_db: f64,
    pub max_noise_shift_db: f64,
    /// Share of files whose noise shift is ≤ 1 dB.
    pub noise_within_1: f64,
    /// Files where the clean version had no level (not enough speech).
    pub no_level: usize,
    /// Digital silence and noise-only signals that (wrongly) got a level.
    pub silence_with_level: usize,
}

fn level(samples: &[f32], rate: u32, config: AnalyzerConfig) -> Option<f64> {
    analyze_samples(samples, rate, config)
        .ok()
        .and_then(|(_, m)| m.active_level_dbfs)
}

/// Adds white Gaussian noise `snr_db` below the signal's active speech level.
pub fn add_noise(samples: &[f32], active_level_dbfs: f64, snr_db: f64, seed: u64) -> Vec<f32> {
    // Active level is in dBFS with a full-scale sine at 0 dB: mean square 0.5.
    let noise_ms = 0.5 * 10f64.powf((active_level_dbfs - snr_db) / 10.0);
    let sd = noise_ms.sqrt();
    let mut rng = Rng::new(seed);
    samples
        .iter()
        .map(|&x| x + (rng.gaussian() * sd) as f32)
        .collect()
}

pub fn evaluate(data: &Path, config: AnalyzerConfig) -> Result<VolumeFigures, String> {
    let mut gain_errors = Vec::new();
    let mut noise_shifts = Vec::new();
    let mut files = 0;
    let mut no_level = 0;
    let utts = corpus::load_all(data).map_err(|e| e.to_string())?;
    for (i, u) in utts.iter().enumerate() {
        let (mut x, rate) = corpus::read_wav(&u.path)?;
        if u.corpus == Corpus::EmoDb {
            // Measure the speech, not EmoDB's zero padding.
            let end = (corpus::audible_duration(&x, rate) * rate as f64) as usize;
            x.truncate(end);
        }
        files += 1;
        let Some(l0) = level(&x, rate, config) else {
            no_level += 1;
            continue;
        };
        for gain_db in [-12.0f64, 12.0] {
            let g = 10f64.powf(gain_db / 20.0) as f32;
            let y: Vec<f32> = x.iter().map(|v| v * g).collect();
            let l = level(&y, rate, config);
            gain_errors.push(l.map_or(f64::INFINITY, |l| (l - l0 - gain_db).abs()));
        }
        let noisy = add_noise(&x, l0, 20.0, i as u64 + 1);
        let l = level(&noisy, rate, config);
        noise_shifts.push(l.map_or(f64::INFINITY, |l| (l - l0).abs()));
    }
    let silence_with_level = silence_cases()
        .iter()
        .filter(|s| level(s, 16000, config).is_some())
        .count();
    let share = |v: &[f64], lim: f64| {
        v.iter().filter(|&&e| e <= lim).count() as f64 / v.len().max(1) as f64
    };
    let finite: Vec<f64> = noise_shifts
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    Ok(VolumeFigures {
        files,
        max_gain_error_db: gain_errors.iter().copied().fold(0.0, f64::max),
        gain_within_0_1: share(&gain_errors, 0.1),
        mean_noise_shift_db: super::stats::mean(&finite),
        max_noise_shift_db: noise_shifts.iter().copied().fold(0.0, f64::max),
        noise_within_1: share(&noise_shifts, 1.0),
        no_level,
        silence_with_level,
    })
}

/// Inputs without speech: digital silence, and steady white noise at three
/// levels (10 s each at 16 kHz).
pub fn silence_cases() -> Vec<Vec<f32>> {
    let n = 160_000;
    let mut cases = vec![vec![0.0f32; n]];
    for (k, level_dbfs) in [-70.0f64, -50.0, -30.0].into_iter().enumerate() {
        cases.push(add_noise(&vec![0.0; n], level_dbfs, 0.0, 100 + k as u64));
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::synth::{UtteranceSpec, utterance};

    fn speech() -> Vec<f32> {
        let spec = UtteranceSpec {
            syllables_per_s: 4.5,
            f0_mean_hz: 140.0,
            pitch_spread: 1.0,
            level_dbfs: -26.0,
            effort: 0.5,
            duration_s: 6.0,
            pause_fraction: 0.15,
        };
        utterance(16000, 7, &spec).0
    }

    #[test]
    fn gain_moves_the_level_by_the_gain() {
        let config = AnalyzerConfig::default();
        let x = speech();
        let l0 = level(&x, 16000, config).unwrap();
        for gain_db in [-12.0f64, 12.0] {
            let g = 10f64.powf(gain_db / 20.0) as f32;
            let y: Vec<f32> = x.iter().map(|v| v * g).collect();
            let l = level(&y, 16000, config).unwrap();
            assert!(
                (l - l0 - gain_db).abs() <= 0.1,
                "gain {gain_db}: {l0} -> {l}"
            );
        }
    }

    #[test]
    fn noise_at_20_db_snr_moves_the_level_less_than_1_db() {
        let config = AnalyzerConfig::default();
        let x = speech();
        let l0 = level(&x, 16000, config).unwrap();
        let l = level(&add_noise(&x, l0, 20.0, 3), 16000, config).unwrap();
        assert!((l - l0).abs() <= 1.0, "{l0} -> {l}");
    }

    #[test]
    fn silence_and_steady_noise_have_no_level() {
        for (i, s) in silence_cases().iter().enumerate() {
            assert_eq!(level(s, 16000, AnalyzerConfig::default()), None, "case {i}");
        }
    }
}
