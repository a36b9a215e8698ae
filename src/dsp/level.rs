//! Active speech level after ITU-T P.56 method B.
//!
//! P.56 smooths the rectified signal twice with a 30 ms time constant, holds it
//! for 200 ms (hangover), and counts a sample as active for threshold `c` when
//! the held envelope is at or above `c`. The active level is the mean square of
//! the active samples for the threshold that sits 15.9 dB below it.
//!
//! Streaming form: per hop we keep the held envelope (dB) and the hop's energy.
//! A histogram of held-envelope levels, each bin carrying sample count and
//! energy, then gives the active level for any set of hops without keeping
//! samples: the whole channel in fixed memory, or a window from a ring of hops.
//!
//! Convention: levels are reported in dBFS where a full-scale sine reads
//! 0 dBFS (AES17). ITU "dBov" is 3.01 dB lower.

use super::sliding::SlidingExtreme;

use crate::{ANALYSIS_RATE, HOP};

/// P.56 margin between active level and activity threshold, dB.
const MARGIN_DB: f64 = 15.9;
const TIME_CONSTANT_S: f64 = 0.03;
const HANGOVER_S: f64 = 0.2;
/// Mean square to dBFS (full-scale sine = 0 dBFS).
const SINE_DB: f64 = 3.0103;

/// Histogram resolution and range of held-envelope levels (dB re full scale).
pub const BIN_DB: f64 = 0.25;
const LOWEST_DB: f64 = -110.0;
const HIGHEST_DB: f64 = 10.0;
pub const BINS: usize = ((HIGHEST_DB - LOWEST_DB) / BIN_DB) as usize;

/// Per-hop output of the envelope follower.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HopLevel {
    /// Histogram bin of the held envelope (`None` when below the lowest bin).
    pub bin: Option<u16>,
    /// Sum of squared samples over the hop.
    pub energy: f64,
    /// Mean-square level of the hop, dBFS.
    pub level_db: f32,
}

/// P.56 envelope with hangover, per hop.
#[derive(Debug, Clone)]
pub struct EnvelopeFollower {
    g: f64,
    p: f64,
    q: f64,
    /// Sliding maximum of per-hop envelope peaks over the hangover.
    held: SlidingExtreme<f64>,
    index: u64,
}

impl Default for EnvelopeFollower {
    fn default() -> Self {
        Self::new()
    }
}

impl EnvelopeFollower {
    pub fn new() -> Self {
        let hold_hops = (HANGOVER_S * ANALYSIS_RATE as f64 / HOP as f64).round() as u64;
        Self {
            g: (-1.0 / (ANALYSIS_RATE as f64 * TIME_CONSTANT_S)).exp(),
            p: 0.0,
            q: 0.0,
            held: SlidingExtreme::max(hold_hops),
            index: 0,
        }
    }

    /// Processes one hop of samples.
    pub fn push(&mut self, hop: &[f32]) -> HopLevel {
        let g = self.g;
        let mut energy = 0.0;
        let mut peak = 0.0f64;
        for &x in hop {
            let x = x as f64;
            energy += x * x;
            self.p = g * self.p + (1.0 - g) * x.abs();
            self.q = g * self.q + (1.0 - g) * self.p;
            peak = peak.max(self.q);
        }
        let i = self.index;
        self.index += 1;
        self.held.push(i, peak);
        self.held.expire(i);
        let held = self.held.get().unwrap_or(0.0);
        let held_db = 20.0 * held.max(1e-30).log10();
        let bin = ((held_db - LOWEST_DB) / BIN_DB).floor();
        let mean_sq = energy / hop.len().max(1) as f64;
        HopLevel {
            bin: (bin >= 0.0).then(|| (bin as usize).min(BINS - 1) as u16),
            energy,
            level_db: (10.0 * mean_sq.max(1e-30).log10() + SINE_DB) as f32,
        }
    }
}

/// Histogram of held-envelope levels with sample counts and energies.
#[derive(Debug, Clone)]
pub struct LevelHistogram {
    count: Vec<u64>,
    energy: Vec<f64>,
}

impl Default for LevelHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LevelHistogram {
    pub fn new() -> Self {
        Self {
            count: vec![0; BINS],
            energy: vec![0.0; BINS],
        }
    }

    pub fn clear(&mut self) {
        self.count.fill(0);
        self.energy.fill(0.0);
    }

    pub fn add(&mut self, h: &HopLevel, samples: u64) {
        if let Some(b) = h.bin {
            self.count[b as usize] += samples;
            self.energy[b as usize] += h.energy;
        }
    }

    /// Active speech level in dBFS, or `None` when nothing is active.
    pub fn active_level_db(&self) -> Option<f64> {
        // Walk thresholds from the top down, accumulating active samples; the
        // difference (active level - threshold) grows as the threshold falls.
        let mut n = 0u64;
        let mut e = 0.0f64;
        let mut prev: Option<(f64, f64)> = None; // (threshold dB, difference)
        for b in (0..BINS).rev() {
            n += self.count[b];
            e += self.energy[b];
            if n == 0 {
                continue;
            }
            let threshold = LOWEST_DB + b as f64 * BIN_DB;
            let active = 10.0 * (e / n as f64).max(1e-30).log10();
            let diff = active - threshold;
            if diff >= MARGIN_DB {
                let level = match prev {
                    // Interpolate the threshold where the difference is exactly the margin.
                    Some((t0, d0)) if diff > d0 => {
                        let t = t0 + (threshold - t0) * (MARGIN_DB - d0) / (diff - d0);
                        t + MARGIN_DB
                    }
                    _ => active,
                };
                return Some(level + SINE_DB);
            }
            prev = Some((threshold, diff));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(signal: &[f32]) -> Option<f64> {
        let mut f = EnvelopeFollower::new();
        let mut h = LevelHistogram::new();
        for hop in signal.chunks_exact(HOP) {
            let l = f.push(hop);
            h.add(&l, HOP as u64);
        }
        h.active_level_db()
    }

    fn bursts(amp: f32) -> Vec<f32> {
        // 0.5 s of 400 Hz tone, 0.5 s of silence, five times.
        (0..40000)
            .map(|i| {
                let on = (i / 4000) % 2 == 0;
                let t = i as f32 / 8000.0;
                if on {
                    amp * (2.0 * std::f32::consts::PI * 400.0 * t).sin()
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn steady_tone_reads_its_level() {
        let tone: Vec<f32> = (0..16000)
            .map(|i| 0.1 * (2.0 * std::f32::consts::PI * 400.0 * i as f32 / 8000.0).sin())
            .collect();
        let l = measure(&tone).unwrap();
        assert!((l + 20.0).abs() < 0.1, "{l}");
    }

    #[test]
    fn pauses_count_only_through_the_hangover() {
        // Half the time silent: the long-term level is -23 dBFS; P.56 counts
        // only the bursts plus the 200 ms hangover and envelope decay after
        // each (about 0.8 s active per 0.5 s burst), so about -22 dBFS.
        let l = measure(&bursts(0.1)).unwrap();
        assert!((-22.5..-21.5).contains(&l), "{l}");
    }

    #[test]
    fn gain_moves_level_exactly() {
        let a = measure(&bursts(0.05)).unwrap();
        let b = measure(&bursts(0.05 * 10f32.powf(12.0 / 20.0))).unwrap();
        assert!((b - a - 12.0).abs() < 0.05, "{a} {b}");
    }

    #[test]
    fn silence_has_no_level() {
        assert_eq!(measure(&vec![0.0; 16000]), None);
    }
}
