//! Fundamental frequency: FFT-based normalised cross-correlation candidates per
//! frame, and a causal tracker that chooses among them.
//!
//! Telephone audio removes the fundamental of most male voices, and its
//! band-pass makes the correlation peak at half or double the period almost as
//! high as the true one. Single-frame pickers then jump by octaves, which is
//! exactly what inflates "pitch variation" on phone calls. Four things keep the
//! track on the right octave:
//! - candidates are only as strong as the correlation of the squared low band
//!   at their lag too, which tells a period from half of it when the first
//!   harmonic is missing (see [`PitchAnalyzer`]);
//! - peaks are located by band-limited interpolation, so high voices (short
//!   lags) are not underrated against their own octave below;
//! - the tracker keeps a running cost per candidate path (forward dynamic
//!   programming, as in Praat's path finder, but deciding at each frame from the
//!   past only), pays for octave jumps, and softly prefers candidates within
//!   about an octave of a slowly adapting reference of the speaker's F0;
//! - a voiced track is reported only once it has run a few frames without a
//!   jump, so onsets (where the evidence is weakest) do not emit stray octaves.

use std::f32::consts::PI;
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

/// Taps each side of the band-limited interpolation of the NCCF between lags.
const INTERP_HALF: usize = 6;
/// Fractional lag steps the interpolator is tabulated at.
const INTERP_STEPS: usize = 16;

/// Hann-windowed sinc weights for the value at fractional offset `frac` past
/// sample `INTERP_HALF - 1` of a run of `2 * INTERP_HALF` samples.
fn interp_weights(frac: f32) -> [f32; 2 * INTERP_HALF] {
    let mut w = [0.0f32; 2 * INTERP_HALF];
    for (k, v) in w.iter_mut().enumerate() {
        let x = frac + (INTERP_HALF - 1) as f32 - k as f32;
        let sinc = if x.abs() < 1e-6 {
            1.0
        } else {
            (PI * x).sin() / (PI * x)
        };
        *v = sinc * 0.5 * (1.0 + (PI * x / INTERP_HALF as f32).cos());
    }
    w
}

/// Dot product of `a` and `b` and energy of `b`, in eight lanes so the
/// compiler can vectorise it. Lengths are multiples of 8.
fn dot_and_energy(a: &[f32], b: &[f32]) -> (f32, f32) {
    let mut dot = [0.0f32; 8];
    let mut energy = [0.0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            dot[k] += ca[k] * cb[k];
            energy[k] += cb[k] * cb[k];
        }
    }
    (dot.iter().sum(), energy.iter().sum())
}

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

    pub fn clear(&mut self) {
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
///
/// Each candidate's strength is the smaller of two normalised correlations at
/// its lag: of the waveform, and of its squared low band. Band-pass telephone
/// audio keeps harmonics 2, 3, 4… of a low voice; when the second dominates,
/// the waveform correlates almost as well at half the period as at the period,
/// because only the weak odd harmonics tell them apart. Squaring turns each
/// pair of neighbouring harmonics into a component at F0 itself (as in YAAPT's
/// nonlinear processing), so the squared signal correlates clearly worse at
/// half the period. The band is limited to about 2 kHz first, or the square
/// would alias at 8 kHz into components at half-integer multiples of F0.
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
    /// e_ref · e_lag per lag, the square of the NCCF's denominator.
    energy: Vec<f32>,
    nccf: Vec<f32>,
    /// Squared low band of the frame, mean removed.
    squared: Vec<f32>,
    /// [`interp_weights`] per fractional step.
    interp: Vec<[f32; 2 * INTERP_HALF]>,
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
            energy: vec![0.0; LAG_MAX + 1],
            nccf: vec![0.0; LAG_MAX + 2],
            squared: vec![0.0; FRAME],
            interp: (0..INTERP_STEPS)
                .map(|i| interp_weights(i as f32 / INTERP_STEPS as f32))
                .collect(),
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

        // Window energies by sliding the window one lag at a time (in f64: a
        // loud onset next to silence would cancel catastrophically in f32).
        let e_ref: f64 = frame[ref_start..].iter().map(|&v| (v * v) as f64).sum();
        if e_ref <= 1e-12 {
            self.nccf.fill(0.0);
            return;
        }
        let mut e_lag = e_ref;
        for (lag, e) in self.energy.iter_mut().enumerate() {
            if lag > 0 {
                let (entering, leaving) = (frame[ref_start - lag], frame[FRAME - lag]);
                e_lag =
                    (e_lag + (entering * entering) as f64 - (leaving * leaving) as f64).max(0.0);
            }
            *e = (e_ref * e_lag) as f32;
        }
        let norm = 1.0 / FFT_LEN as f32;
        // c[m] runs backwards in lag; the energies were laid out to match.
        let corr = self.corr[ref_start - LAG_MAX..=ref_start].iter().rev();
        for ((n, &c), &e) in self.nccf.iter_mut().zip(corr).zip(&self.energy) {
            *n = c * norm / (e + 1e-20).sqrt();
        }

        for lag in LAG_MIN.max(2)..LAG_MAX {
            let (a, b, c) = (self.nccf[lag - 1], self.nccf[lag], self.nccf[lag + 1]);
            if b > 0.2 && b >= a && b > c {
                let (lag_f, peak) = self.refine_peak(lag);
                out.insert(Candidate {
                    f0_hz: ANALYSIS_RATE as f32 / lag_f,
                    strength: peak.min(1.0),
                });
            }
        }
        if out.is_empty() {
            return;
        }

        let e_ref = self.square_low_band(frame);
        let mut items = [None; MAX_CANDIDATES];
        for (slot, c) in items.iter_mut().zip(out.as_slice()) {
            let envelope = self.squared_nccf(ANALYSIS_RATE as f32 / c.f0_hz, e_ref);
            *slot = Some(Candidate {
                f0_hz: c.f0_hz,
                strength: c.strength.min(envelope),
            });
        }
        out.clear();
        for c in items.into_iter().flatten() {
            out.insert(c);
        }
    }

    /// The NCCF at `grid / INTERP_STEPS` samples of lag, interpolated with a
    /// windowed sinc: the correlation is as band-limited as the signal, and
    /// at high F0 (a lag of 15–25 samples) a parabola through three samples
    /// underestimates the peak, so the octave below would win.
    fn interpolate(&self, grid: usize) -> f32 {
        let (base, step) = (grid / INTERP_STEPS, grid % INTERP_STEPS);
        let first = base + 1 - INTERP_HALF;
        self.interp[step]
            .iter()
            .zip(&self.nccf[first..first + 2 * INTERP_HALF])
            .map(|(w, v)| w * v)
            .sum()
    }

    /// Position and height of the NCCF maximum near the integer peak `lag`.
    fn refine_peak(&self, lag: usize) -> (f32, f32) {
        let (a, b, c) = (self.nccf[lag - 1], self.nccf[lag], self.nccf[lag + 1]);
        let denom = a - 2.0 * b + c;
        let shift = if denom < 0.0 {
            0.5 * (a - c) / denom
        } else {
            0.0
        };
        let parabolic = (lag as f32 + shift, b - 0.25 * (a - c) * shift);
        if lag + INTERP_HALF + 1 > LAG_MAX {
            // Long lags (F0 below ~60 Hz): the parabola is accurate there.
            return parabolic;
        }
        // Hill-climb on a grid of 1/8 sample, then a parabola through the
        // last three grid points.
        let half_step = INTERP_STEPS / 8;
        let lowest = (lag - 1) * INTERP_STEPS;
        let highest = (lag + 1) * INTERP_STEPS;
        let mut g = ((parabolic.0 * INTERP_STEPS as f32).round() as usize)
            .clamp(lowest + half_step, highest - half_step);
        let mut v = [
            self.interpolate(g - half_step),
            self.interpolate(g),
            self.interpolate(g + half_step),
        ];
        for _ in 0..4 {
            if v[0] > v[1] && g - half_step > lowest {
                g -= half_step;
                v = [self.interpolate(g - half_step), v[0], v[1]];
            } else if v[2] > v[1] && g + half_step < highest {
                g += half_step;
                v = [v[1], v[2], self.interpolate(g + half_step)];
            } else {
                break;
            }
        }
        let denom = v[0] - 2.0 * v[1] + v[2];
        let shift = if denom < 0.0 {
            (0.5 * (v[0] - v[2]) / denom).clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let pos = (g as f32 + shift * half_step as f32) / INTERP_STEPS as f32;
        (pos, v[1] - 0.25 * (v[0] - v[2]) * shift)
    }

    /// Fills `squared` with the square of the frame's band below ~2 kHz
    /// (a binomial low-pass, down 12 dB at 2 kHz and 34 dB at 3 kHz), mean
    /// removed, and returns the energy of its reference window.
    fn square_low_band(&mut self, frame: &[f32]) -> f32 {
        let n = FRAME - 4;
        let taps = (
            &frame[..n],
            &frame[1..n + 1],
            &frame[2..n + 2],
            &frame[3..n + 3],
            &frame[4..],
        );
        let inner = self.squared[2..FRAME - 2].iter_mut();
        for (q, ((((a, b), c), d), e)) in inner.zip(
            taps.0
                .iter()
                .zip(taps.1)
                .zip(taps.2)
                .zip(taps.3)
                .zip(taps.4),
        ) {
            let low = (a + e + 4.0 * (b + d) + 6.0 * c) * (1.0 / 16.0);
            *q = low * low;
        }
        // The two samples at each end: close enough for their few lags.
        for (i, j) in [
            (0, 2),
            (1, 2),
            (FRAME - 2, FRAME - 3),
            (FRAME - 1, FRAME - 3),
        ] {
            self.squared[i] = self.squared[j];
        }
        let mean = self.squared.iter().sum::<f32>() / FRAME as f32;
        for q in &mut self.squared {
            *q -= mean;
        }
        let reference = &self.squared[FRAME - WINDOW..];
        dot_and_energy(reference, reference).1
    }

    /// Peak NCCF of the squared low band near fractional `lag`, given the
    /// energy of its reference window.
    fn squared_nccf(&self, lag: f32, e_ref: f32) -> f32 {
        let ref_start = FRAME - WINDOW;
        let reference = &self.squared[ref_start..];
        let centre = (lag.round() as usize).clamp(2, ref_start - 1);
        let start = ref_start - centre;
        let (dot, e_centre) = dot_and_energy(reference, &self.squared[start..start + WINDOW]);
        let sq = |i: usize| self.squared[i] * self.squared[i];
        // The neighbouring lags' windows differ by one sample at each end.
        let e_longer = e_centre + sq(start - 1) - sq(start + WINDOW - 1);
        let e_shorter = e_centre - sq(start) + sq(start + WINDOW);
        let dot_at = |l: usize| {
            let start = ref_start - l;
            dot_and_energy(reference, &self.squared[start..start + WINDOW]).0
        };
        let nccf = |dot: f32, e: f32| dot / (e_ref * e.max(0.0) + 1e-30).sqrt();
        let v = [
            nccf(dot_at(centre - 1), e_shorter),
            nccf(dot, e_centre),
            nccf(dot_at(centre + 1), e_longer),
        ];
        if v[1] >= v[0] && v[1] >= v[2] {
            let denom = v[0] - 2.0 * v[1] + v[2];
            let shift = if denom < 0.0 {
                0.5 * (v[0] - v[2]) / denom
            } else {
                0.0
            };
            v[1] - 0.25 * (v[0] - v[2]) * shift
        } else {
            v[0].max(v[2])
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
    /// Octaves above and below the speaker reference a candidate may be
    /// without paying [`Self::prior_cost`]. Wide upwards: anger raises F0 by
    /// up to ~10 semitones faster than the reference follows.
    pub prior_free_up: f32,
    pub prior_free_down: f32,
    /// Cost per octave beyond that band.
    pub prior_cost: f32,
    /// Strength a chosen candidate needs to teach the reference.
    pub confident_strength: f32,
    /// Confident frames the reference needs before it is used.
    pub reference_min_frames: f32,
    /// Forgetting factor of the reference per confident frame.
    pub reference_decay: f32,
    /// Frames the voiced track must have run without a jump before its F0 is
    /// reported.
    pub settle_frames: u32,
    /// Frames more than this many dB below the recent speech peak are not
    /// voiced.
    pub level_gate_db: f32,
    /// Fall of that peak per frame, dB.
    pub peak_decay_db: f32,
}

impl Default for TrackerParams {
    fn default() -> Self {
        Self {
            voicing_threshold: 0.5,
            octave_cost: 0.02,
            octave_jump_cost: 0.5,
            voiced_unvoiced_cost: 0.2,
            prior_free_up: 0.9,
            prior_free_down: 0.75,
            prior_cost: 0.5,
            confident_strength: 0.7,
            reference_min_frames: 10.0,
            reference_decay: 0.995,
            settle_frames: 2,
            level_gate_db: 30.0,
            peak_decay_db: 0.02,
        }
    }
}

/// Semitone bins of the speaker reference, from [`F0_MIN_HZ`] up.
const REF_BINS: usize = 40;

/// A slowly adapting estimate of the speaker's usual F0: the weighted median
/// of confident past frames, forgetting old ones so a voice that rises (anger)
/// moves it along.
#[derive(Debug, Clone)]
struct SpeakerReference {
    weights: [f32; REF_BINS],
    /// Weight a new frame gets; grows instead of decaying every bin, and the
    /// whole histogram is rescaled when it gets large.
    increment: f32,
    /// Sum of the weights.
    total: f32,
}

impl SpeakerReference {
    fn new() -> Self {
        Self {
            weights: [0.0; REF_BINS],
            increment: 1.0,
            total: 0.0,
        }
    }

    fn bin(f0_hz: f32) -> usize {
        ((12.0 * (f0_hz / F0_MIN_HZ).log2()).max(0.0) as usize).min(REF_BINS - 1)
    }

    fn add(&mut self, f0_hz: f32, decay: f32) {
        self.increment /= decay;
        self.weights[Self::bin(f0_hz)] += self.increment;
        self.total += self.increment;
        if self.increment > 1e6 {
            for w in &mut self.weights {
                *w /= self.increment;
            }
            self.total /= self.increment;
            self.increment = 1.0;
        }
    }

    /// Effective number of frames the reference rests on.
    fn frames(&self) -> f32 {
        self.total / self.increment
    }

    /// Median F0 in octaves re [`F0_MIN_HZ`].
    fn median_octaves(&self) -> f32 {
        let half = 0.5 * self.total;
        let mut below = 0.0;
        for (b, &w) in self.weights.iter().enumerate() {
            if below + w >= half {
                let frac = if w > 0.0 { (half - below) / w } else { 0.5 };
                return (b as f32 + frac) / 12.0;
            }
            below += w;
        }
        REF_BINS as f32 / 12.0
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
    prev_log_f0: [f32; MAX_CANDIDATES + 1],
    prev_len: usize,
    reference: SpeakerReference,
    /// The previous frame's choice (0 when unvoiced) and how many frames the
    /// track has run without a jump.
    last_f0: f32,
    run: u32,
    /// Recent peak level of speech frames, dB.
    peak_db: f32,
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
            prev_log_f0: [0.0; MAX_CANDIDATES + 1],
            prev_len: 1,
            reference: SpeakerReference::new(),
            last_f0: 0.0,
            run: 0,
            peak_db: f32::NEG_INFINITY,
        }
    }

    /// Takes one frame's candidates, whether the frame is loud enough to be
    /// speech and its level (dB); returns the chosen F0, or `None` for
    /// unvoiced.
    pub fn push(&mut self, cands: &Candidates, speech: bool, level_db: f32) -> Option<f32> {
        let p = self.params;
        // Weak frames (phrase-final creak, breathy offsets) are where a
        // telephone channel's band-pass and µ-law noise destroy periodicity
        // that the clean signal still has; leaving them out of both keeps the
        // measures channel-independent.
        if speech {
            self.peak_db = self.peak_db.max(level_db);
        }
        let audible = speech && level_db > self.peak_db - p.level_gate_db;
        self.peak_db -= p.peak_decay_db;
        let mut cost = [f32::INFINITY; MAX_CANDIDATES + 1];
        let mut f0 = [0.0f32; MAX_CANDIDATES + 1];
        let n = cands.len() + 1;
        let reference = (self.reference.frames() >= p.reference_min_frames)
            .then(|| self.reference.median_octaves() + F0_MIN_HZ.log2());

        // Unvoiced: wins when no candidate reaches the threshold, and always
        // in frames too quiet to be speech.
        let unvoiced_local = if audible {
            1.0 - p.voicing_threshold
        } else {
            -1.0
        };
        // log2 once per candidate: the transition costs compare every pair.
        let mut log_f0 = [0.0f32; MAX_CANDIDATES + 1];
        for (i, c) in cands.as_slice().enumerate() {
            f0[i + 1] = c.f0_hz;
            log_f0[i + 1] = c.f0_hz.log2();
        }
        let log_max = F0_MAX_HZ.log2();
        for j in 0..n {
            let local = if j == 0 {
                unvoiced_local
            } else {
                let c = cands.get(j - 1).map_or(0.0, |c| c.strength);
                let prior = reference.map_or(0.0, |r| {
                    let d = log_f0[j] - r;
                    p.prior_cost * (d - p.prior_free_up).max(-d - p.prior_free_down).max(0.0)
                });
                1.0 - c + p.octave_cost * (log_max - log_f0[j]) + prior
            };
            let mut best = f32::INFINITY;
            for i in 0..self.prev_len {
                let trans = match (i == 0, j == 0) {
                    (true, true) => 0.0,
                    (true, false) | (false, true) => p.voiced_unvoiced_cost,
                    (false, false) => p.octave_jump_cost * (log_f0[j] - self.prev_log_f0[i]).abs(),
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
        self.prev_log_f0 = log_f0;
        self.prev_len = n;

        let chosen = f0[arg];
        let continuous =
            arg > 0 && self.last_f0 > 0.0 && (chosen / self.last_f0).log2().abs() < 0.25;
        self.run = match (arg > 0, continuous) {
            (false, _) => 0,
            (true, true) => self.run + 1,
            (true, false) => 1,
        };
        if continuous
            && cands
                .get(arg - 1)
                .is_some_and(|c| c.strength >= p.confident_strength)
        {
            self.reference.add(chosen, p.reference_decay);
        }
        self.last_f0 = chosen;
        (arg > 0 && self.run >= p.settle_frames).then_some(chosen)
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
            // Not 0.95: the squared band's correlation, which bounds the
            // strength, is a little lower at the shortest lags.
            assert!(best.is_some_and(|b| b.strength > 0.9), "f0 {f0}: {c:?}");
        }
    }

    #[test]
    fn tracker_follows_missing_fundamental_without_octave_jumps() {
        let mut a = PitchAnalyzer::new();
        let mut tr = PitchTracker::default();
        let mut c = Candidates::default();
        // Fundamental and second harmonic removed, as a telephone band does to a low voice.
        for i in 0..50 {
            a.analyze(&harmonic_frame(90.0, 3), &mut c);
            let f = tr.push(&c, true, -20.0);
            if i >= TrackerParams::default().settle_frames as usize {
                let f = f.expect("voiced");
                assert!((f / 90.0 - 1.0).abs() < 0.02, "got {f}");
            }
        }
    }

    /// Harmonics 2..=8 of `f0` with the second dominant, as a telephone band
    /// leaves a low voice on an /u/: the waveform repeats almost as well at
    /// half the period.
    fn second_harmonic_frame(f0: f32) -> Vec<f32> {
        (0..FRAME)
            .map(|i| {
                let t = i as f32 / ANALYSIS_RATE as f32;
                (2..=8)
                    .map(|h| {
                        let a = if h == 2 { 1.0 } else { 0.12 };
                        a * (2.0 * PI * f0 * h as f32 * t + 0.3 * h as f32).sin()
                    })
                    .sum::<f32>()
            })
            .collect()
    }

    #[test]
    fn dominant_second_harmonic_does_not_win_the_octave() {
        let mut a = PitchAnalyzer::new();
        let mut c = Candidates::default();
        for f0 in [100.0, 150.0, 190.0] {
            a.analyze(&second_harmonic_frame(f0), &mut c);
            let near = |f: f32| {
                c.as_slice()
                    .find(|c| (c.f0_hz / f - 1.0).abs() < 0.01)
                    .map_or(0.0, |c| c.strength)
            };
            // The waveform alone correlates about 0.92 at half the period here.
            assert!(near(f0) > 0.95 && near(2.0 * f0) < 0.8, "f0 {f0}: {c:?}");
        }
    }

    #[test]
    fn reference_follows_a_rising_voice() {
        let mut tr = PitchTracker::default();
        let mut c = Candidates::default();
        // Two seconds at 120 Hz, then a rise of 10 semitones (anger) over one
        // second, held: the octave below stays a close second all along.
        for i in 0..500 {
            let st = (i as f32 - 200.0).clamp(0.0, 100.0) / 10.0;
            let f0 = 120.0 * (st / 12.0).exp2();
            c.clear();
            c.insert(Candidate {
                f0_hz: f0,
                strength: 0.9,
            });
            c.insert(Candidate {
                f0_hz: f0 / 2.0,
                strength: 0.88,
            });
            let got = tr.push(&c, true, -20.0);
            if i >= 5 {
                let got = got.expect("voiced");
                assert!((got / f0 - 1.0).abs() < 0.01, "frame {i}: {got} for {f0}");
            }
        }
    }

    #[test]
    fn silence_is_unvoiced() {
        let mut a = PitchAnalyzer::new();
        let mut tr = PitchTracker::default();
        let mut c = Candidates::default();
        a.analyze(&vec![0.0; FRAME], &mut c);
        assert!(c.is_empty());
        assert_eq!(tr.push(&c, false, -150.0), None);
    }
}
