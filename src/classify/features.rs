//! The classifier's inputs: prosody and voice-quality measures of a stretch
//! of speech, relative to the same caller's baseline.
//!
//! Anger shows against the caller's own calm voice, not against a population
//! (an eagle-type caller is loud and fast when calm), so every feature is a
//! difference from the baseline. A feature that cannot be measured (too little
//! voiced speech) is taken as "no change" (0).

use crate::dsp::spectrum::SHAPE_BANDS;
use crate::measures::{Measures, hz_to_st};

/// Number of features.
pub const N_FEATURES: usize = 9 + 2 * SHAPE_BANDS;

/// Feature names, as stored in model files.
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "pitch_st",
    "pitch_sd_st",
    "pitch_range_st",
    "spectral_balance_db",
    "periodicity",
    "spectral_flux_db",
    "log_speech_rate",
    "voiced_fraction",
    "shape_0",
    "shape_1",
    "shape_2",
    "shape_3",
    "shape_4",
    "shape_5",
    "shape_6",
    "shape_7",
    "shape_8",
    "shape_9",
    "shape_10",
    "shape_11",
    "shape_12",
    "shape_13",
    "shape_14",
    "shape_15",
    "spectral_change_db",
    "shape_sd_0",
    "shape_sd_1",
    "shape_sd_2",
    "shape_sd_3",
    "shape_sd_4",
    "shape_sd_5",
    "shape_sd_6",
    "shape_sd_7",
    "shape_sd_8",
    "shape_sd_9",
    "shape_sd_10",
    "shape_sd_11",
    "shape_sd_12",
    "shape_sd_13",
    "shape_sd_14",
    "shape_sd_15",
];

/// Index of the pitch-level feature (for evidence texts).
pub const PITCH: usize = 0;
/// Index of the pitch-variation (SD) feature.
pub const PITCH_SD: usize = 1;
/// Index of the spectral-balance feature.
pub const BALANCE: usize = 3;
/// Index of the speech-rate feature.
pub const RATE: usize = 6;

/// Speech rates below this are clamped before taking the logarithm.
const MIN_RATE: f64 = 0.5;

/// Absolute feature values of one stretch of speech (before taking the
/// difference to a baseline). `None` = not measurable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawFeatures(pub [Option<f64>; N_FEATURES]);

impl RawFeatures {
    pub fn from_measures(m: &Measures) -> Self {
        let mut v = [None; N_FEATURES];
        v[0] = m.pitch_median_hz.map(hz_to_st);
        v[1] = m.pitch_sd_st;
        v[2] = m.pitch_range_st;
        v[3] = m.spectral_balance_db;
        v[4] = m.periodicity;
        v[5] = m.spectral_flux_db;
        v[6] = m.speech_rate_syl_s.map(|r| r.max(MIN_RATE).ln());
        v[7] = (m.speech_s > 0.0).then(|| m.voiced_s / m.speech_s);
        const SHAPE: usize = 8;
        const CHANGE: usize = SHAPE + SHAPE_BANDS;
        const SHAPE_SD: usize = CHANGE + 1;
        if let Some(shape) = m.spectral_shape_db {
            for (d, s) in v[SHAPE..CHANGE].iter_mut().zip(shape) {
                *d = Some(s);
            }
        }
        v[CHANGE] = m.spectral_change_db;
        if let Some(sd) = m.spectral_shape_sd_db {
            for (d, s) in v[SHAPE_SD..].iter_mut().zip(sd) {
                *d = Some(s);
            }
        }
        Self(v)
    }

    /// Mean of several stretches, feature by feature, ignoring missing values
    /// (how a baseline is pooled from several calm utterances).
    pub fn mean<'a>(items: impl IntoIterator<Item = &'a RawFeatures>) -> Self {
        let mut m = FeatureMean::default();
        for it in items {
            m.add(it);
        }
        m.mean()
    }

    /// Differences to `baseline`; missing on either side gives 0.
    pub fn relative_to(&self, baseline: &RawFeatures) -> [f64; N_FEATURES] {
        let mut out = [0.0; N_FEATURES];
        for (o, (a, b)) in out.iter_mut().zip(self.0.iter().zip(&baseline.0)) {
            if let (Some(a), Some(b)) = (a, b) {
                *o = a - b;
            }
        }
        out
    }
}

/// Running mean of feature vectors, feature by feature, ignoring missing
/// values. Fixed size: no allocation while it runs.
#[derive(Debug, Clone, Copy)]
pub struct FeatureMean {
    sum: [f64; N_FEATURES],
    n: [u32; N_FEATURES],
}

impl Default for FeatureMean {
    fn default() -> Self {
        Self {
            sum: [0.0; N_FEATURES],
            n: [0; N_FEATURES],
        }
    }
}

impl FeatureMean {
    pub fn add(&mut self, f: &RawFeatures) {
        for ((s, n), v) in self.sum.iter_mut().zip(&mut self.n).zip(&f.0) {
            if let Some(v) = v {
                *s += v;
                *n += 1;
            }
        }
    }

    /// Items added so far (of the most often measured feature).
    pub fn count(&self) -> u32 {
        self.n.iter().copied().max().unwrap_or(0)
    }

    pub fn mean(&self) -> RawFeatures {
        let mut out = [None; N_FEATURES];
        for (o, (s, n)) in out.iter_mut().zip(self.sum.iter().zip(&self.n)) {
            *o = (*n > 0).then(|| s / *n as f64);
        }
        RawFeatures(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_features_are_differences_and_missing_is_no_change() {
        let calm = Measures {
            pitch_median_hz: Some(110.0),
            speech_rate_syl_s: Some(4.0),
            speech_s: 2.0,
            voiced_s: 1.0,
            ..Default::default()
        };
        let loud = Measures {
            pitch_median_hz: Some(220.0),
            speech_rate_syl_s: None,
            speech_s: 2.0,
            voiced_s: 1.5,
            ..Default::default()
        };
        let d = RawFeatures::from_measures(&loud).relative_to(&RawFeatures::from_measures(&calm));
        assert!((d[PITCH] - 12.0).abs() < 1e-9);
        assert_eq!(d[RATE], 0.0);
        assert!((d[7] - 0.25).abs() < 1e-12);
    }

    #[test]
    fn mean_ignores_missing_values() {
        let a = RawFeatures::from_measures(&Measures {
            pitch_sd_st: Some(2.0),
            ..Default::default()
        });
        let b = RawFeatures::from_measures(&Measures {
            pitch_sd_st: Some(4.0),
            pitch_range_st: Some(1.0),
            ..Default::default()
        });
        let m = RawFeatures::mean([&a, &b]);
        assert_eq!(m.0[1], Some(3.0));
        assert_eq!(m.0[2], Some(1.0));
        assert_eq!(m.0[0], None);
    }
}
