//! Fundamental frequency: FFT-based normalised cross-correlation candidates per
//! frame, and a causal tracker that chooses among them.
//!
//! Telephone audio removes the fundamental of most male voices, and its
//! band-pass makes the correlation peak at half or double the period almost as
//! high as the true one. Single-frame pickers then jump by octaves, which is
//! exactly what inflates "pitch variation" on phone calls. The tracker keeps a
//! running cost per candidate path (forward dynamic programming, as in Praat's
//! path finder, but deciding at each frame from the past only) and pays for
//! octave jumps, so an isolated frame cannot pull it off the speaker's track.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::ANALYSIS_RATE;

/// Lowest F0 searched (Hz).
pub const F0_MIN_HZ: f32 = 55.0;
/// Highest F0 searched (Hz).
pub const F0_MAX_HZ: f32 = 520.0;
/// Shortest lag searched, in samples at the analysis rate.
pub const LAG_MIN: usize = (ANALYSIS_RATE as f32 / F0_MAX_HZ) as usize;
/// Longest lag searched, in samples at the analysis rate.
pub const LAG_MAX: usize = (ANALYSIS_RATE as f32 / F0_MIN_HZ) as usize + 1;
/// Correlation window: the most recent `WINDOW` samples are compared with
/// the same span `lag` samples earlier.
pub const WINDOW: usize = 256;
/// Samples one pitch frame needs: window plus the longest lag plus one for
/// interpolation.
pub const FRAME: usize = WINDOW + LAG_MAX + 1;
const FFT_LEN: usize = 512;
/// Candidates kept per frame (besides "unvoiced").
pub const MAX_CANDIDATES: usize = 6;

/// One F0 hypothesis for a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub f0_hz: f32,
    /// Normalised cross-correlation at the candidate's lag, in [-1, 1].
    pub strength: f32,
}

/// The candidates of one frame, strongest first.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    items: [Option<Candidate>; MAX_CANDIDATES],
    len: usize,
}

impl Candidates {
    pub fn as_slice(&self) -> impl Iterator<Item = &Candidate> {
        self.items[..self.len].iter().flatten()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&Candidate> {
        self.items.get(i).and_then(Option::as_ref)
    }

    /// Strength of the strongest candidate (0 when there is none).
    pub fn best_strength(&self) -> f32 {
        self.get(0).map_or(0.0, |c| c.strength)
    }

    fn clear(&mut self) {
        self.items = [None; MAX_CANDIDATES];
        self.len = 0;
    }

    /// Inserts keeping the list sorted by strength, dropping the weakest.
    fn insert(&mut self, c: Candidate) {
        let mut pos = self.len;
        while pos > 0 && self.items[pos - 1].is_some_and(|o| o.strength < c.strength) {
            pos -= 1;
        }
        if pos >= MAX_CANDIDATES {
            return;
        }
        let last = self.len.min(MAX_CANDIDATES - 1);
        for i in (pos..last).rev() {
            self.items[i + 1] = self.items[i];
        }
        self.items[pos] = Some(c);
        self.len = (self.len + 1).min(MAX_CANDIDATES);
    }
}

/// Computes F0 candidates for frames of [`FRAME`] samples. Holds its FFT plans
/// and scratch buffers, so analysing a frame never allocates.
pub struct PitchAnalyzer {
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
    buf_x: Vec<f32>,
    buf_y: Vec<f32>,
    spec_x: Vec<Complex<f32>>,
    spec_y: Vec<Complex<f32>>,
    corr: Vec<f32>,
    scratch_fwd: Vec<Complex<f32>>,
    scratch_inv: Vec<Complex<f32>>,
    prefix: Vec<f64>,
    nccf: Vec<f32>,
}

impl Default for PitchAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl PitchAnalyzer {
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(FFT_LEN);
        let inv = planner.plan_fft_inverse(FFT_LEN);
        Self {
            buf_x: fwd.make_input_vec(),
            buf_y: fwd.make_input_vec(),
            spec_x: fwd.make_output_vec(),
            spec_y: fwd.make_output_vec(),
            corr: inv.make_output_vec(),
            scratch_fwd: fwd.make_scratch_vec(),
            scratch_inv: inv.make_scratch_vec(),
            prefix: vec![0.0; FRAME + 1],
            nccf: vec![0.0; LAG_MAX + 2],
            fwd,
            inv,
        }
    }

    /// Normalised cross-correlation of the last [`WINDOW`] samples of `frame`
    /// with the span `lag` samples earlier, for every lag up to [`LAG_MAX`].
    /// Valid after [`Self::analyze`].
    pub fn nccf(&self) -> &[f32] {
        &self.nccf
    }

    /// Finds the candidates of one frame (`frame.len() == FRAME`, oldest sample
    /// first) into `out`.
    pub fn analyze(&mut self, frame: &[f32], out: &mut Candidates) {
        debug_assert_eq!(frame.len(), FRAME);
        out.clear();
        let ref_start = FRAME - WINDOW;

        // Cross-correlation c[m] = sum_j y[j] x[j + m] with y the reference
        // window; the lag is ref_start - m. No wrap-around since FRAME <= FFT_LEN.
        self.buf_x[..FRAME].copy_from_slice(frame);
        self.buf_x[FRAME..].fill(0.0);
        self.buf_y[..WINDOW].copy_from_slice(&frame[ref_start..]);
        self.buf_y[WINDOW..].fill(0.0);
        // Lengths are fixed at construction: these calls cannot fail.
        let _ =
            self.fwd
                .process_with_scratch(&mut self.buf_x, &mut self.spec_x, &mut self.scratch_fwd);
        let _ =
            self.fwd
                .process_with_scratch(&mut self.buf_y, &mut self.spec_y, &mut self.scratch_fwd);
        for (x, y) in self.spec_x.iter_mut().zip(&self.spec_y) {
            *x *= y.conj();
        }
        self.spec_x[0].im = 0.0;
        let last = self.spec_x.len() - 1;
        self.spec_x[last].im = 0.0;
        let _ =
            self.inv
                .process_with_scratch(&mut self.spec_x, &mut self.corr, &mut self.scratch_inv);

        self.prefix[0] = 0.0;
        for (i, &v) in frame.iter().enumerate() {
            self.prefix[i + 1] = self.prefix[i] + (v as f64) * (v as f64);
        }
        let e_ref = self.prefix[FRAME] - self.prefix[ref_start];
        if e_ref <= 1e-12 {
            self.nccf.fill(0.0);
            return;
        }
        let norm = 1.0 / FFT_LEN as f64;
        for lag in 0..=LAG_MAX.min(ref_start) {
            let start = ref_start - lag;
            let e_lag = self.prefix[start + WINDOW] - self.prefix[start];
            let r = self.corr[start] as f64 * norm;
            self.nccf[lag] = (r / (e_ref * e_lag + 1e-20).sqrt()) as f32;
        }

        for lag in LAG_MIN.max(2)..LAG_MAX {
            let (a, b, c) = (self.nccf[lag - 1], self.nccf[lag], self.nccf[lag + 1]);
            if b > 0.2 && b >= a && b > c {
                // Parabolic interpolation of the peak position and height.
                let denom = a - 2.0 * b + c;
                let shift = if denom < 0.0 {
                    0.5 * (a - c) / denom
                } else {
                    0.0
                };
                let peak = b - 0.25 * (a - c) * shift;
                let lag_f = lag as f32 + shift;
                out.insert(Candidate {
                    f0_hz: ANALYSIS_RATE as f32 / lag_f,
                    strength: peak.min(1.0),
                });
            }
        }
    }
}

/// Tuning of the tracker's costs (dimensionless, in units of correlation).
#[derive(Debug, Clone, Copy)]
pub struct TrackerParams {
    /// Strength the best candidate needs before "voiced" beats "unvoiced".
    pub voicing_threshold: f32,
    /// Preference for higher candidates, per octave (counters the equal
    /// correlation at twice the period).
    pub octave_cost: f32,
    /// Cost of a jump of one octave between consecutive frames.
    pub octave_jump_cost: f32,
    /// Cost of switching between voiced and unvoiced.
    pub voiced_unvoiced_cost: f32,
}

impl Default for TrackerParams {
    fn default() -> Self {
        Self {
            voicing_threshold: 0.5,
            octave_cost: 0.04,
            octave_jump_cost: 0.5,
            voiced_unvoiced_cost: 0.2,
        }
    }
}

/// Causal F0 tracker: forward dynamic programming over the candidates of each
/// frame, deciding from past and present only.
#[derive(Debug, Clone)]
pub struct PitchTracker {
    params: TrackerParams,
    /// Accumulated cost per state of the previous frame: index 0 is unvoiced,
    /// 1.. are that frame's candidates.
    prev_cost: [f32; MAX_CANDIDATES + 1],
    prev_f0: [f32; MAX_CANDIDATES + 1],
    prev_len: usize,
}

impl Default for PitchTracker {
    fn default() -> Self {
        Self::new(TrackerParams::default())
    }
}

impl PitchTracker {
    pub fn new(params: TrackerParams) -> Self {
        Self {
            params,
            prev_cost: [0.0; MAX_CANDIDATES + 1],
            prev_f0: [0.0; MAX_CANDIDATES + 1],
            prev_len: 1,
        }
    }

    /// Takes one frame's candidates and whether the frame is loud enough to be
    /// speech; returns the chosen F0, or `None` for unvoiced.
    pub fn push(&mut self, cands: &Candidates, audible: bool) -> Option<f32> {
        let p = self.params;
        let mut cost = [f32::INFINITY; MAX_CANDIDATES + 1];
        let mut f0 = [0.0f32; MAX_CANDIDATES + 1];
        let n = cands.len() + 1;

        // Unvoiced: wins when no candidate reaches the threshold, and always
        // in frames too quiet to be speech.
        let unvoiced_local = if audible {
            1.0 - p.voicing_threshold
        } else {
            -1.0
        };
        for (i, c) in cands.as_slice().enumerate() {
            f0[i + 1] = c.f0_hz;
        }
        for j in 0..n {
            let local = if j == 0 {
                unvoiced_local
            } else {
                let c = cands.get(j - 1).map_or(0.0, |c| c.strength);
                1.0 - c + p.octave_cost * (F0_MAX_HZ / f0[j]).log2()
            };
            let mut best = f32::INFINITY;
            for i in 0..self.prev_len {
                let trans = match (i == 0, j == 0) {
                    (true, true) => 0.0,
                    (true, false) | (false, true) => p.voiced_unvoiced_cost,
                    (false, false) => p.octave_jump_cost * (f0[j] / self.prev_f0[i]).log2().abs(),
                };
                best = best.min(self.prev_cost[i] + trans);
            }
            cost[j] = local + best;
        }
        // Keep costs bounded: only differences matter.
        let (arg, min) = cost[..n]
            .iter()
            .enumerate()
            .fold(
                (0, f32::INFINITY),
                |acc, (i, &c)| if c < acc.1 { (i, c) } else { acc },
            );
        for c in &mut cost[..n] {
            *c -= min;
        }
        self.prev_cost = cost;
        self.prev_f0 = f0;
        self.prev_len = n;
        (arg > 0).then_some(f0[arg])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    fn harmonic_frame(f0: f32, first_harmonic: usize) -> Vec<f32> {
        (0..FRAME)
            .map(|i| {
                let t = i as f32 / ANALYSIS_RATE as f32;
                (first_harmonic..=20)
                    .map(|h| (2.0 * PI * f0 * h as f32 * t).sin() / h as f32)
                    .filter(|_| true)
                    .sum::<f32>()
            })
            .collect()
    }

    #[test]
    fn finds_f0_of_a_harmonic_tone() {
        let mut a = PitchAnalyzer::new();
        let mut c = Candidates::default();
        for f0 in [60.0, 100.0, 150.0, 220.0, 330.0, 450.0] {
            a.analyze(&harmonic_frame(f0, 1), &mut c);
            let best = c.as_slice().find(|c| (c.f0_hz / f0 - 1.0).abs() < 0.01);
            assert!(best.is_some_and(|b| b.strength > 0.95), "f0 {f0}: {c:?}");
        }
    }

    #[test]
    fn tracker_follows_missing_fundamental_without_octave_jumps() {
        let mut a = PitchAnalyzer::new();
        let mut tr = PitchTracker::default();
        let mut c = Candidates::default();
        // Fundamental and second harmonic removed, as a telephone band does to a low voice.
        for _ in 0..50 {
            a.analyze(&harmonic_frame(90.0, 3), &mut c);
            let f = tr.push(&c, true).expect("voiced");
            assert!((f / 90.0 - 1.0).abs() < 0.02, "got {f}");
        }
    }

    #[test]
    fn silence_is_unvoiced() {
        let mut a = PitchAnalyzer::new();
        let mut tr = PitchTracker::default();
        let mut c = Candidates::default();
        a.analyze(&vec![0.0; FRAME], &mut c);
        assert!(c.is_empty());
        assert_eq!(tr.push(&c, false), None);
    }
}
