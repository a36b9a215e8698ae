//! Measures over a sliding window of recent hops.

use std::collections::VecDeque;

use super::{HopRecord, MIN_SPEECH_FOR_LEVEL_S, MIN_VOICED_FOR_PITCH_S, Measures, Sums, st_to_hz};
use crate::HOP;
use crate::dsp::level::LevelHistogram;

/// Keeps the last `len` hops and computes [`Measures`] over them. Allocates
/// once at construction.
#[derive(Debug, Clone)]
pub struct WindowMeasurer {
    ring: VecDeque<HopRecord>,
    len: usize,
    histogram: LevelHistogram,
    pitch: Vec<f64>,
}

impl WindowMeasurer {
    pub fn new(len_hops: usize) -> Self {
        let len = len_hops.max(1);
        Self {
            ring: VecDeque::with_capacity(len),
            len,
            histogram: LevelHistogram::new(),
            pitch: Vec::with_capacity(len),
        }
    }

    pub fn push(&mut self, r: HopRecord) {
        if self.ring.len() == self.len {
            self.ring.pop_front();
        }
        self.ring.push_back(r);
    }

    pub fn measures(&mut self) -> Measures {
        let mut sums = Sums::default();
        self.histogram.clear();
        self.pitch.clear();
        for r in &self.ring {
            sums.add(r);
            if r.speech {
                self.histogram.add(&r.level, HOP as u64);
            }
            if let Some(st) = r.f0_st {
                self.pitch.push(st as f64);
            }
        }
        let mut m = Measures::default();
        sums.fill(&mut m);
        if m.speech_s >= MIN_SPEECH_FOR_LEVEL_S {
            m.active_level_dbfs = self.histogram.active_level_db();
        }
        if m.voiced_s >= MIN_VOICED_FOR_PITCH_S {
            fill_pitch(&mut self.pitch, &mut m);
        }
        m
    }
}

/// Pitch median, SD and 10–90 % range from semitone values (sorts `st`).
pub(crate) fn fill_pitch(st: &mut [f64], m: &mut Measures) {
    if st.is_empty() {
        return;
    }
    st.sort_unstable_by(f64::total_cmp);
    let n = st.len() as f64;
    let mean = st.iter().sum::<f64>() / n;
    let var = st.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    m.pitch_median_hz = Some(st_to_hz(percentile(st, 0.5)));
    m.pitch_sd_st = Some(var.sqrt());
    m.pitch_range_st = Some(percentile(st, 0.9) - percentile(st, 0.1));
}

/// Linear-interpolated percentile of sorted values (`q` in [0, 1]).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let frac = pos - i as f64;
    match sorted.get(i + 1) {
        Some(next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::spectrum::SHAPE_BANDS;

    #[test]
    fn percentile_interpolates() {
        let v = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 2.0);
        assert!((percentile(&v, 0.1) - 0.4).abs() < 1e-12);
        assert!((percentile(&v, 0.9) - 3.6).abs() < 1e-12);
    }

    #[test]
    fn no_speech_gives_no_numbers() {
        let mut w = WindowMeasurer::new(300);
        for _ in 0..300 {
            w.push(HopRecord::default());
        }
        let m = w.measures();
        assert_eq!(m.speech_rate_syl_s, None);
        assert_eq!(m.active_level_dbfs, None);
        assert_eq!(m.pitch_sd_st, None);
        assert_eq!(m.speech_s, 0.0);
    }

    #[test]
    fn spectral_shape_spread_and_change_over_voiced_hops() {
        let mut w = WindowMeasurer::new(300);
        // Voiced hops alternating between two shapes, band b at ±b dB; an
        // unvoiced hop in the middle breaks the chain of changes once.
        let voiced = |sign: f32| HopRecord {
            speech: true,
            f0_st: Some(30.0),
            shape_db: std::array::from_fn(|b| sign * b as f32),
            ..Default::default()
        };
        let mut last: Option<[f32; SHAPE_BANDS]> = None;
        for i in 0..21 {
            let mut r = if i == 10 {
                HopRecord {
                    speech: true,
                    ..Default::default()
                }
            } else {
                voiced(if i % 2 == 0 { 1.0 } else { -1.0 })
            };
            r.shape_change_db = last.zip(r.f0_st).map(|(p, _)| {
                p.iter()
                    .zip(&r.shape_db)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f32>()
                    / SHAPE_BANDS as f32
            });
            last = r.f0_st.map(|_| r.shape_db);
            w.push(r);
        }
        let m = w.measures();
        let sd = m.spectral_shape_sd_db.unwrap();
        let mean = m.spectral_shape_db.unwrap();
        // 20 voiced hops, 10 at +b and 10 at −b: mean 0, SD b.
        for b in 0..SHAPE_BANDS {
            assert!(mean[b].abs() < 1e-9, "band {b}: mean {}", mean[b]);
            assert!((sd[b] - b as f64).abs() < 1e-6, "band {b}: sd {}", sd[b]);
        }
        // Each change between neighbours is 2b dB in band b: mean over bands 15.
        let expected = (0..SHAPE_BANDS).map(|b| 2.0 * b as f64).sum::<f64>() / SHAPE_BANDS as f64;
        assert!((m.spectral_change_db.unwrap() - expected).abs() < 1e-6);
        let mut silent = WindowMeasurer::new(10);
        silent.push(HopRecord::default());
        assert_eq!(silent.measures().spectral_change_db, None);
        assert_eq!(silent.measures().spectral_shape_sd_db, None);
    }
}
