//! Measures over a whole channel in fixed memory.

use super::{HopRecord, MIN_SPEECH_FOR_LEVEL_S, MIN_VOICED_FOR_PITCH_S, Measures, Sums, st_to_hz};
use crate::HOP;
use crate::dsp::level::LevelHistogram;

/// Semitone histogram resolution and range (re [`super::SEMITONE_REF_HZ`]): 0.02 st
/// bins from 55 Hz up five octaves.
const ST_BIN: f64 = 0.02;
const ST_BINS: usize = (60.0 / ST_BIN) as usize;

/// Whole-channel accumulator. Memory is fixed: histograms, not samples.
#[derive(Debug, Clone)]
pub struct ChannelAccumulator {
    sums: Sums,
    levels: LevelHistogram,
    pitch_hist: Vec<u32>,
    pitch_n: u64,
    pitch_sum: f64,
    pitch_sum_sq: f64,
}

impl Default for ChannelAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl ChannelAccumulator {
    pub fn new() -> Self {
        Self {
            sums: Sums::default(),
            levels: LevelHistogram::new(),
            pitch_hist: vec![0; ST_BINS],
            pitch_n: 0,
            pitch_sum: 0.0,
            pitch_sum_sq: 0.0,
        }
    }

    pub fn push(&mut self, r: &HopRecord) {
        self.sums.add(r);
        if r.speech {
            self.levels.add(&r.level, HOP as u64);
        }
        if let Some(st) = r.f0_st {
            let st = st as f64;
            let b = ((st / ST_BIN).floor().max(0.0) as usize).min(ST_BINS - 1);
            self.pitch_hist[b] += 1;
            self.pitch_n += 1;
            self.pitch_sum += st;
            self.pitch_sum_sq += st * st;
        }
    }

    /// Seconds of speech so far (cheap, unlike [`Self::measures`]).
    pub fn speech_s(&self) -> f64 {
        self.sums.speech_hops as f64 * crate::HOP_S
    }

    pub fn measures(&self) -> Measures {
        let mut m = Measures::default();
        self.sums.fill(&mut m);
        if m.speech_s >= MIN_SPEECH_FOR_LEVEL_S {
            m.active_level_dbfs = self.levels.active_level_db();
        }
        if m.voiced_s >= MIN_VOICED_FOR_PITCH_S && self.pitch_n > 0 {
            let n = self.pitch_n as f64;
            let mean = self.pitch_sum / n;
            let var = (self.pitch_sum_sq / n - mean * mean).max(0.0);
            m.pitch_sd_st = Some(var.sqrt());
            m.pitch_median_hz = Some(st_to_hz(self.hist_percentile(0.5)));
            m.pitch_range_st = Some(self.hist_percentile(0.9) - self.hist_percentile(0.1));
        }
        m
    }

    /// Percentile from the histogram, interpolating within the bin.
    fn hist_percentile(&self, q: f64) -> f64 {
        let target = q * self.pitch_n as f64;
        let mut below = 0.0;
        for (b, &c) in self.pitch_hist.iter().enumerate() {
            let c = c as f64;
            if c > 0.0 && below + c >= target {
                let frac = (target - below) / c;
                return (b as f64 + frac) * ST_BIN;
            }
            below += c;
        }
        ST_BINS as f64 * ST_BIN
    }
}

#[cfg(test)]
mod tests {
    use super::super::{HopRecord, hz_to_st};
    use super::*;

    #[test]
    fn whole_channel_pitch_matches_direct_computation() {
        let mut acc = ChannelAccumulator::new();
        let f0s: Vec<f64> = (0..500)
            .map(|i| 120.0 * (1.0 + 0.2 * ((i as f64) * 0.05).sin()))
            .collect();
        for &f in &f0s {
            acc.push(&HopRecord {
                speech: true,
                f0_st: Some(hz_to_st(f) as f32),
                ..Default::default()
            });
        }
        let m = acc.measures();
        let st: Vec<f64> = f0s.iter().map(|&f| hz_to_st(f)).collect();
        let mean = st.iter().sum::<f64>() / st.len() as f64;
        let sd = (st.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / st.len() as f64).sqrt();
        assert!((m.pitch_sd_st.unwrap() - sd).abs() < 1e-3);
        assert!((m.pitch_median_hz.unwrap() / 120.0 - 1.0).abs() < 0.02);
    }
}
