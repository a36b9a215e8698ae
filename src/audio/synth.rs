//! Synthetic voice-like signals with exact ground truth: for measuring the pitch
//! tracker, testing the speech-rate and volume measures, and the built-in demo call
//! (no corpus audio ships with the crate).
//!
//! # Voice model (Klatt-style source–filter synthesis)
//! - **Glottal source**: Rosenberg (1971) flow pulses placed cycle by cycle. A cycle's
//!   period is 1 / F0 of the contour (vibrato included) at the cycle's middle, then
//!   perturbed by jitter; the truth holds 1 / period of the cycle each output sample
//!   falls in, so it is exactly the periodicity in the signal. The flow pulse is
//!   continuous with a slope jump at closure, so its harmonics fall off at −12 dB/octave;
//!   a first difference (lip radiation, +6 dB/octave) makes it the excitation.
//! - **Vocal effort** (`spectral_tilt`): a shorter closing phase (sharper closure, more
//!   high harmonics), a one-pole low-pass whose corner rises from 400 Hz to 12.8 kHz,
//!   and aspiration noise in the open phase that fades out as effort rises.
//! - **Vocal tract**: five cascaded two-pole resonators (F1–F4 from [`VOWELS`], a fixed
//!   F5 at 4.5 kHz), all raised for higher voices (shorter tracts), interpolated across a
//!   segment when the vowel glides.
//! - **Fricatives and bursts**: Gaussian noise through two cascaded band-pass biquads.
//!
//! # Band-limiting
//! Each event (a vowel, a fricative) is rendered at an internal rate that is an even
//! multiple `M` of the output rate and at least 96 kHz. There the source's one slope
//! discontinuity, at glottal closure, is band-limited with a two-point polyBLAMP (the
//! rest are curvature jumps, falling off at −18 dB/octave). The event is then decimated
//! in two Kaiser-windowed linear-phase stages (to 2·fs, then to fs), flat to 0.42·fs and
//! at least 80 dB down wherever a component would fold below 0.5·fs. Measured on a
//! 487 Hz voice at 8 kHz: nothing between the harmonics within 100 dB of the strongest.
//! The filters are centred, so output sample `n` is exactly time `n / fs`. Rendering per
//! event keeps memory and time proportional to the speech, not to internal rate ×
//! duration.
//!
//! # Determinism
//! The plan (timing, contours, jitter and shimmer draws) comes from one PRNG stream and
//! sample-level noise from others, so a seed gives the same timing, F0 and nuclei at
//! every sample rate, and the clean part of [`pitch_test_signal`] does not depend on
//! `snr_db`.

use std::f64::consts::{FRAC_PI_2, PI, TAU};
use std::ops::Range;

const PLAN_STREAM: u64 = 1;
const SOURCE_NOISE_STREAM: u64 = 2;
const ADDED_NOISE_STREAM: u64 = 3;

/// Lowest internal rendering rate; see the module docs on band-limiting.
const MIN_FINE_RATE: u32 = 96_000;
/// Formant ringing kept after a voiced event (a 60 Hz bandwidth decays 50 dB in 40 ms).
const VOICED_RING_S: f64 = 0.04;
/// Ringing kept after a noise event; its filters are at least several hundred Hz wide.
const NOISE_RING_S: f64 = 0.01;
/// Internal samples between formant retunings when a vowel glides (~0.3 ms).
const RETUNE_BLOCK: usize = 32;
/// Band over which the aspiration-to-voice ratio is defined.
const ASPIRATION_BAND_HZ: f64 = 4000.0;
/// Voiced RMS of the pitch test signals and sustained vowels (−26 dBFS, a usual speech
/// level): room for a low voice's crest factor, louder segments and noise without scaling.
const VOICED_RMS: f64 = 0.05;
/// Largest magnitude a returned sample may have; louder signals are scaled down.
const PEAK_LIMIT: f64 = 0.999;
/// Plausible F0 range of a speaking voice; contours are clamped to it.
const SPEECH_F0_LIMITS_HZ: (f64, f64) = (50.0, 500.0);

/// Deterministic PRNG: PCG32 (XSH-RR, O'Neill 2014) with Box–Muller Gaussians.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    increment: u64,
    spare_gaussian: Option<f64>,
}

impl Rng {
    const MULTIPLIER: u64 = 6_364_136_223_846_793_005;

    /// A generator on the default stream.
    pub fn new(seed: u64) -> Self {
        Self::with_stream(seed, 0)
    }

    /// A generator on one of 2^63 independent streams, so the plan of a signal and its
    /// noise can be drawn separately from one seed.
    pub fn with_stream(seed: u64, stream: u64) -> Self {
        // Reference PCG seeding; the seed is mixed first so that neighbouring seeds
        // do not start from neighbouring states.
        let mut rng = Self {
            state: 0,
            increment: (stream << 1) | 1,
            spare_gaussian: None,
        };
        rng.next_u32();
        rng.state = rng.state.wrapping_add(splitmix64(seed));
        rng.next_u32();
        rng
    }

    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old
            .wrapping_mul(Self::MULTIPLIER)
            .wrapping_add(self.increment);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        let high = u64::from(self.next_u32() >> 5);
        let low = u64::from(self.next_u32() >> 6);
        ((high << 26) | low) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [low, high).
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next_f64()
    }

    /// Uniform index in `0..len`; `len` must be positive.
    pub fn index(&mut self, len: usize) -> usize {
        ((self.next_f64() * len as f64) as usize).min(len - 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// Standard normal deviate.
    pub fn gaussian(&mut self) -> f64 {
        if let Some(z) = self.spare_gaussian.take() {
            return z;
        }
        // 1 - u is in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.next_f64()).ln()).sqrt();
        let angle = TAU * self.next_f64();
        self.spare_gaussian = Some(radius * angle.sin());
        radius * angle.cos()
    }
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Per-sample ground truth of a generated signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    pub sample_rate: u32,
    /// Instantaneous F0 in Hz per sample; 0.0 where the source is not voiced.
    pub f0_hz: Vec<f32>,
    /// Syllable nuclei (vowel centres) in seconds, for speech-rate tests; empty for
    /// pitch-test signals.
    pub nuclei_s: Vec<f64>,
    /// Intervals (start_s, end_s) of speech (voiced or unvoiced speech sounds, not
    /// pauses), sorted and disjoint.
    pub speech_intervals: Vec<(f64, f64)>,
}

impl Truth {
    /// Total length of the speech intervals, the denominator of an articulation rate.
    pub fn speech_time_s(&self) -> f64 {
        self.speech_intervals.iter().map(|(a, b)| b - a).sum()
    }
}

/// Glottal source options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoiceOptions {
    /// Local jitter: mean relative difference of consecutive periods, e.g. 0.01 (1 %).
    pub jitter: f64,
    /// Local shimmer: mean relative difference of consecutive cycle amplitudes, e.g. 0.05.
    pub shimmer: f64,
    /// Vibrato (or tremor) rate, e.g. 5.5.
    pub vibrato_hz: f64,
    /// Peak vibrato deviation in semitones, e.g. 0.5; 0 for none.
    pub vibrato_semitones: f64,
    /// Open phase as a fraction of the period, e.g. 0.6.
    pub open_quotient: f64,
    /// "Vocal effort": 0 = breathy/soft, 1 = pressed/loud (more high-frequency energy).
    pub spectral_tilt: f64,
}

impl Default for VoiceOptions {
    /// A modal speaking voice: small perturbations, no vibrato.
    fn default() -> Self {
        Self {
            jitter: 0.005,
            shimmer: 0.03,
            vibrato_hz: 5.5,
            vibrato_semitones: 0.0,
            open_quotient: 0.6,
            spectral_tilt: 0.5,
        }
    }
}

/// A vowel's vocal-tract resonances for an adult male; higher voices scale them up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vowel {
    /// IPA symbol.
    pub symbol: &'static str,
    /// F1..F4 in Hz.
    pub formants_hz: [f64; 4],
    /// Bandwidths of F1..F4 in Hz.
    pub bandwidths_hz: [f64; 4],
}

/// The vowels segments are drawn from: F1–F3 are Peterson & Barney's (1952) adult-male
/// means, F4 and the bandwidths typical values.
pub const VOWELS: [Vowel; 9] = [
    vowel(
        "i",
        [270.0, 2290.0, 3010.0, 3700.0],
        [60.0, 90.0, 150.0, 200.0],
    ),
    vowel(
        "ɪ",
        [390.0, 1990.0, 2550.0, 3600.0],
        [60.0, 90.0, 150.0, 200.0],
    ),
    vowel(
        "ɛ",
        [530.0, 1840.0, 2480.0, 3500.0],
        [60.0, 100.0, 150.0, 200.0],
    ),
    vowel(
        "æ",
        [660.0, 1720.0, 2410.0, 3500.0],
        [70.0, 100.0, 150.0, 200.0],
    ),
    vowel(
        "ɑ",
        [730.0, 1090.0, 2440.0, 3400.0],
        [80.0, 90.0, 120.0, 200.0],
    ),
    vowel(
        "ɔ",
        [570.0, 840.0, 2410.0, 3400.0],
        [70.0, 80.0, 120.0, 200.0],
    ),
    vowel(
        "ʊ",
        [440.0, 1020.0, 2240.0, 3400.0],
        [60.0, 90.0, 120.0, 200.0],
    ),
    vowel(
        "u",
        [300.0, 870.0, 2240.0, 3400.0],
        [60.0, 80.0, 120.0, 200.0],
    ),
    vowel(
        "ʌ",
        [640.0, 1190.0, 2390.0, 3400.0],
        [70.0, 90.0, 120.0, 200.0],
    ),
];

const fn vowel(symbol: &'static str, formants_hz: [f64; 4], bandwidths_hz: [f64; 4]) -> Vowel {
    Vowel {
        symbol,
        formants_hz,
        bandwidths_hz,
    }
}

/// A fixed fifth resonance keeps the spectrum above F4 from falling unnaturally fast at
/// high sample rates.
const F5_HZ: f64 = 4500.0;
const B5_HZ: f64 = 300.0;

/// Formant scale for a voice of this F0: the vowel table is adult male; women's and
/// children's shorter vocal tracts put formants about 17 % and 30 % higher.
fn tract_scale(f0_hz: f64) -> f64 {
    let octaves_above_male = (f0_hz / 110.0).log2();
    let octaves_male_to_female = (200.0f64 / 110.0).log2();
    (1.0 + 0.17 * octaves_above_male / octaves_male_to_female).clamp(1.0, 1.3)
}

/// Formant frequencies and bandwidths at fraction `u` of a glide between two vowels.
fn formants(vowels: [&Vowel; 2], u: f64, scale: f64) -> [(f64, f64); 5] {
    let mut out = [(F5_HZ * scale, B5_HZ); 5];
    for (i, slot) in out.iter_mut().take(4).enumerate() {
        let mix = |a: f64, b: f64| a + (b - a) * u;
        *slot = (
            scale * mix(vowels[0].formants_hz[i], vowels[1].formants_hz[i]),
            mix(vowels[0].bandwidths_hz[i], vowels[1].bandwidths_hz[i]),
        );
    }
    out
}

/// Pitch test signal: alternating voiced segments (0.2–0.8 s, each with its own F0
/// contour inside `f0_lo..=f0_hi`: a base F0, a glide of up to a few semitones, an
/// optional accent, optional vibrato, jitter and shimmer, on a random vowel that may
/// glide to another), unvoiced segments (fricative-like band-passed noise, 0.05–0.3 s)
/// and silences (0.05–0.4 s); then white Gaussian noise at `snr_db` relative to the mean
/// power of the samples the truth marks voiced (`f64::INFINITY`: no noise).
///
/// The voiced parts are at −26 dBFS RMS unless the noise forces the whole signal down
/// to stay within [-1, 1]; the ratio is kept either way. Lasts `duration_s` (rounded to
/// a sample), deterministic in `seed`.
///
/// # Panics
/// If `sample_rate` is outside 8000..=48000, `duration_s < 1`, the F0 range is not
/// positive, ordered and below `sample_rate / 4`, or `snr_db` is NaN or −∞.
pub fn pitch_test_signal(
    sample_rate: u32,
    seed: u64,
    f0_lo: f64,
    f0_hi: f64,
    snr_db: f64,
    duration_s: f64,
) -> (Vec<f32>, Truth) {
    check_sample_rate(sample_rate);
    assert!(
        f0_lo > 0.0 && f0_lo <= f0_hi && f0_hi <= f64::from(sample_rate) / 4.0,
        "F0 range {f0_lo}..{f0_hi} Hz unusable at {sample_rate} Hz"
    );
    assert!(duration_s >= 1.0, "pitch test signals last at least 1 s");
    assert!(
        !snr_db.is_nan() && snr_db > f64::NEG_INFINITY,
        "SNR must be a number or +inf"
    );
    let mut plan = Rng::with_stream(seed, PLAN_STREAM);
    let mut canvas = Canvas::new(sample_rate, duration_s, seed);
    let mut speech = Vec::new();
    // Keep a short silence at the end so the last event's ringing is not cut.
    let last = duration_s - 0.05;
    let mut t = plan.uniform(0.05, 0.4);
    while t + 0.2 <= last {
        let end = (t + plan.uniform(0.2, 0.8)).min(last);
        add_test_vowel(&mut canvas, &mut plan, t..end, f0_lo, f0_hi);
        push_interval(&mut speech, t, end);
        t = end;
        let gap = plan.index(3);
        if gap > 0 {
            let end = (t + plan.uniform(0.05, 0.3)).min(last);
            if end > t {
                add_test_fricative(&mut canvas, &mut plan, t..end);
                push_interval(&mut speech, t, end);
                t = end;
            }
        }
        if gap != 1 {
            t += plan.uniform(0.05, 0.4);
        }
    }
    let (mut signal, f0_hz) = canvas.finish();
    let voiced_power = mean_power(
        signal
            .iter()
            .zip(&f0_hz)
            .filter(|(_, f0)| **f0 > 0.0)
            .map(|(x, _)| *x),
    );
    if voiced_power > 0.0 {
        scale(&mut signal, VOICED_RMS / voiced_power.sqrt());
        if snr_db.is_finite() {
            let mut rng = Rng::with_stream(seed, ADDED_NOISE_STREAM);
            let noise: Vec<f64> = (0..signal.len()).map(|_| rng.gaussian()).collect();
            // Scale by the realised noise power, so the SNR is exact, not just expected.
            let noise_power = mean_power(noise.iter().copied());
            let gain = (VOICED_RMS * VOICED_RMS / db_to_power(snr_db) / noise_power).sqrt();
            for (x, n) in signal.iter_mut().zip(&noise) {
                *x += gain * n;
            }
        }
    }
    let truth = Truth {
        sample_rate,
        f0_hz,
        nuclei_s: Vec::new(),
        speech_intervals: speech,
    };
    (to_unit_f32(&signal), truth)
}

fn add_test_vowel(canvas: &mut Canvas, plan: &mut Rng, span: Range<f64>, f0_lo: f64, f0_hi: f64) {
    let mut options = VoiceOptions {
        jitter: plan.uniform(0.002, 0.015),
        shimmer: plan.uniform(0.01, 0.08),
        vibrato_hz: plan.uniform(4.5, 6.5),
        vibrato_semitones: if plan.chance(0.3) {
            plan.uniform(0.1, 0.6)
        } else {
            0.0
        },
        open_quotient: plan.uniform(0.45, 0.75),
        spectral_tilt: plan.uniform(0.2, 0.9),
    };
    // Contour in semitones over u = 0..1 across the segment: a glide biased towards
    // declination and sometimes an accent bump.
    let glide = plan.uniform(-4.0, 2.5);
    let accent = if plan.chance(0.5) {
        plan.uniform(-2.0, 3.0)
    } else {
        0.0
    };
    let accent_at = plan.uniform(0.2, 0.8);
    let accent_half_width = plan.uniform(0.1, 0.25);
    let shape = move |u: f64| glide * (u - 0.5) + accent * bump(u, accent_at, accent_half_width);
    let (low, high) = (0..=64)
        .map(|i| shape(f64::from(i) / 64.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(s), hi.max(s))
        });
    let (low, high) = (
        low - options.vibrato_semitones,
        high + options.vibrato_semitones,
    );
    // Shrink the excursions when the requested range is narrower than the contour.
    let room = 0.9 * 12.0 * (f0_hi / f0_lo).log2();
    let squeeze = if high - low > room {
        room / (high - low)
    } else {
        1.0
    };
    options.vibrato_semitones *= squeeze;
    let base_st = plan.uniform(
        12.0 * f0_lo.log2() - squeeze * low,
        12.0 * f0_hi.log2() - squeeze * high,
    );
    let (start, end) = (span.start, span.end);
    let f0 = move |t: f64| ((base_st + squeeze * shape((t - start) / (end - start))) / 12.0).exp2();
    let first = plan.index(VOWELS.len());
    let last = if plan.chance(0.3) {
        plan.index(VOWELS.len())
    } else {
        first
    };
    let ramp_s = plan.uniform(0.01, 0.02);
    let envelope = move |t: f64| fade(t, start, end, ramp_s, ramp_s);
    let rms = db_to_amplitude(plan.uniform(-4.0, 4.0));
    canvas.add_voicing(
        plan,
        &Voicing {
            start_s: start,
            end_s: end,
            f0_hz: &f0,
            f0_limits_hz: (f0_lo, f0_hi),
            envelope: &envelope,
            vowels: [&VOWELS[first], &VOWELS[last]],
            tract_scale: tract_scale((base_st / 12.0).exp2()),
            options,
            rms,
        },
    );
}

fn add_test_fricative(canvas: &mut Canvas, plan: &mut Rng, span: Range<f64>) {
    // Centres stay well inside the output band, or 8 kHz signals would lose the noise.
    let top = (0.35 * canvas.out_rate).min(5500.0);
    let centre_hz = plan.uniform(1500.0, top);
    canvas.add_frication(&Frication {
        start_s: span.start,
        end_s: span.end,
        centre_hz,
        bandwidth_hz: centre_hz * plan.uniform(0.4, 0.8),
        attack_s: plan.uniform(0.005, 0.02),
        release_s: plan.uniform(0.005, 0.02),
        rms: db_to_amplitude(plan.uniform(-18.0, -6.0)),
    });
}

/// A sustained vowel: `duration_s` of voice between 50 ms silences, with 15 ms onset
/// and offset ramps, F0 from `f0_hz(seconds since voice onset)` (then vibrato and
/// jitter from `options`), at −26 dBFS voiced RMS. Deterministic in `seed`.
///
/// # Panics
/// If `sample_rate` is outside 8000..=48000, `duration_s` is not positive, or the
/// contour gives an F0 that is not positive and finite.
pub fn sustained_vowel(
    sample_rate: u32,
    seed: u64,
    f0_hz: impl Fn(f64) -> f64,
    duration_s: f64,
    vowel: &Vowel,
    options: &VoiceOptions,
) -> (Vec<f32>, Truth) {
    const PAD_S: f64 = 0.05;
    const RAMP_S: f64 = 0.015;
    check_sample_rate(sample_rate);
    assert!(duration_s > 0.0, "duration must be positive");
    let mut plan = Rng::with_stream(seed, PLAN_STREAM);
    let mut canvas = Canvas::new(sample_rate, duration_s + 2.0 * PAD_S, seed);
    let (start, end) = (PAD_S, PAD_S + duration_s);
    let contour = |t: f64| f0_hz(t - start);
    let envelope = |t: f64| fade(t, start, end, RAMP_S, RAMP_S);
    canvas.add_voicing(
        &mut plan,
        &Voicing {
            start_s: start,
            end_s: end,
            f0_hz: &contour,
            f0_limits_hz: (1.0, f64::from(sample_rate) / 4.0),
            envelope: &envelope,
            vowels: [vowel, vowel],
            tract_scale: tract_scale(f0_hz(0.5 * duration_s)),
            options: *options,
            rms: 1.0,
        },
    );
    let (mut signal, f0_hz) = canvas.finish();
    let power = mean_power(
        signal
            .iter()
            .zip(&f0_hz)
            .filter(|(_, f0)| **f0 > 0.0)
            .map(|(x, _)| *x),
    );
    if power > 0.0 {
        scale(&mut signal, VOICED_RMS / power.sqrt());
    }
    let truth = Truth {
        sample_rate,
        f0_hz,
        nuclei_s: Vec::new(),
        speech_intervals: vec![(start, end)],
    };
    (to_unit_f32(&signal), truth)
}

/// Speech-like utterance: phrases of syllables separated by pauses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UtteranceSpec {
    /// Mean articulation rate: syllables per second of speech, pauses excluded.
    /// Syllable durations vary ±25 %, phrase tempo ±8 %.
    pub syllables_per_s: f64,
    /// Mean F0: each phrase's geometric mean over its nuclei is this, shifted by up to
    /// ±`pitch_spread` semitones. The F0 actually used is kept within 50–500 Hz.
    pub f0_mean_hz: f64,
    /// Scale of the F0 excursions; 1.0 = typical: a declination of 2–5 semitones over a
    /// phrase, accents of 1.5–4 semitones, occasional final rises of 2–5 semitones.
    pub pitch_spread: f64,
    /// RMS over the speech intervals, in dBFS (≈ active speech level); lowered only if
    /// the peaks would otherwise exceed full scale.
    pub level_dbfs: f64,
    /// Vocal effort 0..1, used as the voice's spectral tilt (and a lower open quotient).
    pub effort: f64,
    pub duration_s: f64,
    /// Fraction of `duration_s` spent in pauses (before, between and after phrases).
    pub pause_fraction: f64,
}

impl Default for UtteranceSpec {
    fn default() -> Self {
        Self {
            syllables_per_s: 4.5,
            f0_mean_hz: 150.0,
            pitch_spread: 1.0,
            level_dbfs: -26.0,
            effort: 0.5,
            duration_s: 10.0,
            pause_fraction: 0.2,
        }
    }
}

/// A speech-like utterance: syllables (an optional onset consonant, a fricative noise or
/// a silent closure plus burst, then a voiced vowel nucleus with a rise-fall envelope
/// peaking at its centre) grouped in phrases of 4–12 syllables, F0 with declination,
/// accents and occasional final rises. Lasts `spec.duration_s` (rounded to a sample),
/// deterministic in `seed`.
///
/// # Panics
/// If `sample_rate` is outside 8000..=48000 or the spec is out of range (rate 0.5–12
/// syllables/s, F0 50–500 Hz, spread 0–3, effort 0–1, pause fraction 0–0.9, positive
/// duration).
pub fn utterance(sample_rate: u32, seed: u64, spec: &UtteranceSpec) -> (Vec<f32>, Truth) {
    check_sample_rate(sample_rate);
    assert!(
        (0.5..=12.0).contains(&spec.syllables_per_s)
            && (50.0..=500.0).contains(&spec.f0_mean_hz)
            && (0.0..=3.0).contains(&spec.pitch_spread)
            && (0.0..=1.0).contains(&spec.effort)
            && (0.0..=0.9).contains(&spec.pause_fraction)
            && spec.duration_s > 0.0
            && spec.level_dbfs.is_finite(),
        "utterance spec out of range: {spec:?}"
    );
    let mut plan = Rng::with_stream(seed, PLAN_STREAM);
    let mut canvas = Canvas::new(sample_rate, spec.duration_s, seed);
    let phrases = plan_phrases(&mut plan, spec);
    let speech_s: f64 = phrases.iter().flatten().sum();
    let gaps = plan_gaps(&mut plan, phrases.len(), spec.duration_s - speech_s);
    let voice = VoiceOptions {
        jitter: 0.006,
        shimmer: 0.035,
        vibrato_hz: 5.0,
        // Physiological tremor, not singing vibrato.
        vibrato_semitones: 0.05,
        open_quotient: 0.7 - 0.25 * spec.effort,
        spectral_tilt: spec.effort,
    };
    let mut nuclei = Vec::new();
    let mut speech = Vec::new();
    let mut t = gaps[0];
    for (durations, gap) in phrases.iter().zip(&gaps[1..]) {
        let end = t + durations.iter().sum::<f64>();
        nuclei.extend(add_phrase(
            &mut canvas,
            &mut plan,
            t,
            durations,
            spec,
            &voice,
        ));
        push_interval(&mut speech, t, end);
        t = end + gap;
    }
    let (mut signal, f0_hz) = canvas.finish();
    let rate = f64::from(sample_rate);
    let speech_power = mean_power(speech.iter().flat_map(|&(a, b)| {
        let first = ((a * rate).ceil() as usize).min(signal.len());
        let end = ((b * rate).ceil() as usize).min(signal.len());
        signal[first..end].iter().copied()
    }));
    if speech_power > 0.0 {
        scale(
            &mut signal,
            db_to_amplitude(spec.level_dbfs) / speech_power.sqrt(),
        );
    }
    let truth = Truth {
        sample_rate,
        f0_hz,
        nuclei_s: nuclei,
        speech_intervals: speech,
    };
    (to_unit_f32(&signal), truth)
}

/// Syllable durations of each phrase, filling `(1 - pause_fraction)` of the duration.
fn plan_phrases(plan: &mut Rng, spec: &UtteranceSpec) -> Vec<Vec<f64>> {
    let budget = spec.duration_s * (1.0 - spec.pause_fraction);
    let mut phrases = Vec::new();
    let mut used = 0.0;
    loop {
        let tempo = spec.syllables_per_s * plan.uniform(0.92, 1.08);
        let fits = ((budget - used) * tempo).floor() as usize;
        if fits == 0 {
            return phrases;
        }
        let count = (4 + plan.index(9)).min(fits);
        let mut durations: Vec<f64> = (0..count).map(|_| plan.uniform(0.75, 1.25)).collect();
        if count > 1 {
            // Phrase-final lengthening.
            durations[count - 1] *= 1.3;
        }
        // Normalise so the phrase runs exactly at its tempo: the articulation rate then
        // stays near the request however the random durations fall.
        let length = count as f64 / tempo;
        let raw: f64 = durations.iter().sum();
        durations.iter_mut().for_each(|d| *d *= length / raw);
        used += length;
        phrases.push(durations);
    }
}

/// Lead-in, between-phrase and trailing pauses sharing `total_s`.
fn plan_gaps(plan: &mut Rng, phrases: usize, total_s: f64) -> Vec<f64> {
    let mut weights: Vec<f64> = (0..=phrases)
        .map(|i| {
            if i == 0 || i == phrases {
                plan.uniform(0.2, 0.5)
            } else {
                plan.uniform(0.5, 1.5)
            }
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    weights
        .iter_mut()
        .for_each(|w| *w *= total_s.max(0.0) / sum);
    weights
}

struct Syllable {
    vowel_start: f64,
    end: f64,
    onset_noise: Option<Frication>,
    accent_st: f64,
}

/// Spectral centre and relative bandwidth of fricative onsets: s-, sh-, f- and h-like.
const FRICATIVES: [(f64, f64); 4] = [(5500.0, 0.4), (3000.0, 0.5), (4000.0, 1.2), (1500.0, 1.0)];

/// Renders one phrase starting at `start`; returns its nuclei.
fn add_phrase(
    canvas: &mut Canvas,
    plan: &mut Rng,
    start: f64,
    durations: &[f64],
    spec: &UtteranceSpec,
    voice: &VoiceOptions,
) -> Vec<f64> {
    let spread = spec.pitch_spread;
    let top = 0.35 * canvas.out_rate;
    // Layout first: accents are aligned to the vowels.
    let mut syllables = Vec::with_capacity(durations.len());
    let mut t = start;
    for &length in durations {
        let kind = plan.next_f64();
        let (onset_s, onset_noise) = if kind < 0.3 {
            (0.0, None)
        } else if kind < 0.65 {
            let (centre, relative_bandwidth) = FRICATIVES[plan.index(FRICATIVES.len())];
            let centre_hz = centre.min(top);
            let onset_s = length * plan.uniform(0.2, 0.35);
            let noise = Frication {
                start_s: t,
                end_s: t + onset_s,
                centre_hz,
                bandwidth_hz: centre_hz * relative_bandwidth,
                attack_s: plan.uniform(0.01, 0.02),
                release_s: plan.uniform(0.005, 0.01),
                rms: db_to_amplitude(plan.uniform(-20.0, -10.0)),
            };
            (onset_s, Some(noise))
        } else {
            // Plosive: a silent closure, then a short release burst.
            let closure_s = length * plan.uniform(0.1, 0.2);
            let burst_s = plan.uniform(0.008, 0.02).min(0.1 * length);
            let centre_hz = plan.uniform(1500.0, top.min(4000.0));
            let noise = Frication {
                start_s: t + closure_s,
                end_s: t + closure_s + burst_s,
                centre_hz,
                bandwidth_hz: centre_hz,
                attack_s: 0.001,
                release_s: 0.8 * burst_s,
                rms: db_to_amplitude(plan.uniform(-14.0, -6.0)),
            };
            (closure_s + burst_s, Some(noise))
        };
        let accent_st = if plan.chance(0.3) {
            spread * plan.uniform(1.5, 4.0)
        } else {
            0.0
        };
        syllables.push(Syllable {
            vowel_start: t + onset_s,
            end: t + length,
            onset_noise,
            accent_st,
        });
        t += length;
    }
    if syllables.iter().all(|s| s.accent_st == 0.0) {
        let i = plan.index(syllables.len());
        syllables[i].accent_st = spread * plan.uniform(1.5, 4.0);
    }
    let end = t;
    let last = syllables.len() - 1;
    let mut contour = PhraseContour {
        start_s: start,
        end_s: end,
        f0_ref_hz: 1.0,
        declination_st: (
            spread * plan.uniform(1.0, 2.5),
            -spread * plan.uniform(1.0, 2.5),
        ),
        accents: syllables
            .iter()
            .filter(|s| s.accent_st != 0.0)
            .map(|s| Accent {
                // Accent peaks lag the vowel centre a little, as in speech.
                peak_s: s.vowel_start + 0.6 * (s.end - s.vowel_start),
                half_width_s: 0.9 * (s.end - s.vowel_start),
                semitones: s.accent_st,
            })
            .collect(),
        final_rise: plan.chance(0.15).then(|| FinalRise {
            from_s: syllables[last].vowel_start,
            to_s: end,
            semitones: spread * plan.uniform(2.0, 5.0),
        }),
    };
    let nuclei: Vec<f64> = syllables
        .iter()
        .map(|s| 0.5 * (s.vowel_start + s.end))
        .collect();
    let mean_st = nuclei.iter().map(|&t| contour.semitones(t)).sum::<f64>() / nuclei.len() as f64;
    let shift_st = spread * plan.uniform(-1.0, 1.0);
    contour.f0_ref_hz = spec.f0_mean_hz * ((shift_st - mean_st) / 12.0).exp2();
    let f0 = |t: f64| contour.hz(t);
    let tract = tract_scale(spec.f0_mean_hz);
    for (i, syllable) in syllables.iter().enumerate() {
        if let Some(noise) = &syllable.onset_noise {
            canvas.add_frication(noise);
        }
        let (v0, v1) = (syllable.vowel_start, syllable.end);
        let ramp_s = (0.015f64).min(0.25 * (v1 - v0));
        let envelope = |t: f64| {
            let u = (t - v0) / (v1 - v0);
            if (0.0..1.0).contains(&u) {
                (PI * u).sin().powf(0.6) * fade(t, v0, v1, ramp_s, ramp_s)
            } else {
                0.0
            }
        };
        let gain_db = if syllable.accent_st != 0.0 {
            plan.uniform(1.0, 3.0)
        } else {
            plan.uniform(-3.0, 0.0)
        } - if i == last { 2.0 } else { 0.0 };
        let first = plan.index(VOWELS.len());
        let target = if plan.chance(0.2) {
            plan.index(VOWELS.len())
        } else {
            first
        };
        canvas.add_voicing(
            plan,
            &Voicing {
                start_s: v0,
                end_s: v1,
                f0_hz: &f0,
                f0_limits_hz: SPEECH_F0_LIMITS_HZ,
                envelope: &envelope,
                vowels: [&VOWELS[first], &VOWELS[target]],
                tract_scale: tract,
                options: *voice,
                rms: db_to_amplitude(gain_db),
            },
        );
    }
    nuclei
}

struct Accent {
    peak_s: f64,
    half_width_s: f64,
    semitones: f64,
}

struct FinalRise {
    from_s: f64,
    to_s: f64,
    semitones: f64,
}

/// A phrase's F0: linear declination plus raised-cosine accents and an optional final
/// (question) rise, in semitones around `f0_ref_hz`.
struct PhraseContour {
    start_s: f64,
    end_s: f64,
    f0_ref_hz: f64,
    declination_st: (f64, f64),
    accents: Vec<Accent>,
    final_rise: Option<FinalRise>,
}

impl PhraseContour {
    fn semitones(&self, t: f64) -> f64 {
        let u = ((t - self.start_s) / (self.end_s - self.start_s)).clamp(0.0, 1.0);
        let (first, last) = self.declination_st;
        let accents: f64 = self
            .accents
            .iter()
            .map(|a| a.semitones * bump(t, a.peak_s, a.half_width_s))
            .sum();
        let rise = self.final_rise.as_ref().map_or(0.0, |r| {
            r.semitones * ((t - r.from_s) / (r.to_s - r.from_s)).clamp(0.0, 1.0)
        });
        first + (last - first) * u + accents + rise
    }

    fn hz(&self, t: f64) -> f64 {
        self.f0_ref_hz * (self.semitones(t) / 12.0).exp2()
    }
}

/// Seed of the demo call; any value works, this one is merely fixed.
const DEMO_SEED: u64 = 0x70E_CA11;
const DEMO_DURATION_S: f64 = 40.0;
/// When the demo call escalates, in seconds: turns centred before the first value are
/// calm, turns centred after the second fully escalated, with a smooth ramp between.
pub const DEMO_ESCALATION_S: (f64, f64) = (20.0, 26.0);

/// A 40 s demo call for the built-in demo (mono, customer voice): calm for about 20 s
/// (≈ 4.2 syllables/s, −26 dBFS, F0 ≈ 170 Hz, modest variation), then escalating (see
/// [`DEMO_ESCALATION_S`]) to F0 +5 semitones, level +8 dB, high effort and ≈ 5 syllables/s, in turns of
/// 3.5–6 s with short pauses, over white background noise 45 dB below the calm speech.
/// Deterministic.
///
/// # Panics
/// If `sample_rate` is outside 8000..=48000.
pub fn demo_call(sample_rate: u32) -> Vec<f32> {
    demo_call_with_truth(sample_rate).0
}

/// [`demo_call`] with its ground truth.
pub fn demo_call_with_truth(sample_rate: u32) -> (Vec<f32>, Truth) {
    const CALM_LEVEL_DBFS: f64 = -26.0;
    check_sample_rate(sample_rate);
    let rate = f64::from(sample_rate);
    let mut plan = Rng::with_stream(DEMO_SEED, PLAN_STREAM);
    let len = (DEMO_DURATION_S * rate).round() as usize;
    let mut signal = vec![0.0f64; len];
    let mut truth = Truth {
        sample_rate,
        f0_hz: vec![0.0; len],
        nuclei_s: Vec::new(),
        speech_intervals: Vec::new(),
    };
    let mut t = plan.uniform(0.3, 0.6);
    while t < DEMO_DURATION_S - 1.5 {
        let length = plan.uniform(3.5, 6.0).min(DEMO_DURATION_S - 0.3 - t);
        let (from, to) = DEMO_ESCALATION_S;
        let escalation = smoothstep((t + 0.5 * length - from) / (to - from));
        let spec = UtteranceSpec {
            syllables_per_s: 4.2 + 0.8 * escalation,
            f0_mean_hz: 170.0 * (5.0 * escalation / 12.0).exp2(),
            pitch_spread: 0.7 + 0.5 * escalation,
            level_dbfs: CALM_LEVEL_DBFS + 8.0 * escalation,
            effort: 0.3 + 0.6 * escalation,
            duration_s: length,
            pause_fraction: 0.12,
        };
        let seed = (u64::from(plan.next_u32()) << 32) | u64::from(plan.next_u32());
        let (turn, turn_truth) = utterance(sample_rate, seed, &spec);
        let offset = (t * rate).round() as usize;
        let at = offset as f64 / rate;
        for (i, (x, f0)) in turn.iter().zip(&turn_truth.f0_hz).enumerate() {
            if let Some(slot) = signal.get_mut(offset + i) {
                *slot += f64::from(*x);
                truth.f0_hz[offset + i] = *f0;
            }
        }
        truth
            .nuclei_s
            .extend(turn_truth.nuclei_s.iter().map(|n| n + at));
        for (a, b) in turn_truth.speech_intervals {
            push_interval(&mut truth.speech_intervals, a + at, b + at);
        }
        t += length + plan.uniform(0.3, 0.8);
    }
    let mut noise = Rng::with_stream(DEMO_SEED, ADDED_NOISE_STREAM);
    let noise_rms = db_to_amplitude(CALM_LEVEL_DBFS - 45.0);
    for x in &mut signal {
        *x += noise_rms * noise.gaussian();
    }
    (to_unit_f32(&signal), truth)
}

fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

fn check_sample_rate(sample_rate: u32) {
    assert!(
        (8000..=48000).contains(&sample_rate),
        "sample rate {sample_rate} Hz outside 8000..=48000"
    );
}

/// Appends an interval, merging it with the previous one if they touch.
fn push_interval(intervals: &mut Vec<(f64, f64)>, start: f64, end: f64) {
    match intervals.last_mut() {
        Some(last) if start <= last.1 + 1e-9 => last.1 = last.1.max(end),
        _ => intervals.push((start, end)),
    }
}

fn db_to_amplitude(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

fn db_to_power(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

fn mean_power(samples: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = samples.fold((0.0, 0usize), |(s, n), x| (s + x * x, n + 1));
    if count == 0 { 0.0 } else { sum / count as f64 }
}

fn scale(signal: &mut [f64], gain: f64) {
    signal.iter_mut().for_each(|x| *x *= gain);
}

/// Converts to f32, scaling the whole signal down if its peak exceeds [`PEAK_LIMIT`]:
/// clipping would distort the very measures these signals test.
fn to_unit_f32(signal: &[f64]) -> Vec<f32> {
    let peak = signal.iter().fold(0.0f64, |p, x| p.max(x.abs()));
    let gain = if peak > PEAK_LIMIT {
        PEAK_LIMIT / peak
    } else {
        1.0
    };
    signal.iter().map(|x| (x * gain) as f32).collect()
}

/// Raised-cosine bump of height 1 at `centre`, zero beyond `half_width`.
fn bump(x: f64, centre: f64, half_width: f64) -> f64 {
    let d = (x - centre) / half_width;
    if d.abs() < 1.0 {
        0.5 * (1.0 + (PI * d).cos())
    } else {
        0.0
    }
}

/// Envelope that is 1 inside [start, end) with raised-cosine attack and release, and 0
/// outside.
fn fade(t: f64, start: f64, end: f64, attack_s: f64, release_s: f64) -> f64 {
    if t < start || t >= end {
        return 0.0;
    }
    let x = ((t - start) / attack_s).min((end - t) / release_s).min(1.0);
    0.5 * (1.0 - (PI * x).cos())
}

/// Rosenberg glottal flow pulse at time `tau` into the cycle: a raised-cosine opening
/// over `rise`, a quarter-cosine closing over `fall`, closed afterwards.
fn rosenberg(tau: f64, rise: f64, fall: f64) -> f64 {
    if tau < 0.0 {
        0.0
    } else if tau < rise {
        0.5 * (1.0 - (PI * tau / rise).cos())
    } else if tau < rise + fall {
        (FRAC_PI_2 * (tau - rise) / fall).cos()
    } else {
        0.0
    }
}

/// One voiced event: a stretch of phonation on one vowel (or a vowel glide).
struct Voicing<'a> {
    start_s: f64,
    end_s: f64,
    /// F0 contour in Hz at absolute time, before vibrato and jitter.
    f0_hz: &'a dyn Fn(f64) -> f64,
    /// The F0 actually used (after vibrato and jitter) is clamped to this range.
    f0_limits_hz: (f64, f64),
    /// Amplitude envelope 0..1 at absolute time.
    envelope: &'a dyn Fn(f64) -> f64,
    /// Vowel at the start and at the end.
    vowels: [&'a Vowel; 2],
    tract_scale: f64,
    options: VoiceOptions,
    /// RMS the event has where its envelope is 1.
    rms: f64,
}

/// One noise event: a fricative or a plosive burst.
struct Frication {
    start_s: f64,
    end_s: f64,
    centre_hz: f64,
    bandwidth_hz: f64,
    attack_s: f64,
    release_s: f64,
    /// RMS the event has where its envelope is 1.
    rms: f64,
}

#[derive(Debug, Clone, Copy)]
struct Cycle {
    start: f64,
    period: f64,
    amplitude: f64,
}

/// Places glottal cycles over the event, each period set by the contour at the cycle's
/// middle (so glides are followed without lag) and then perturbed by jitter.
fn place_cycles(plan: &mut Rng, voicing: &Voicing) -> Vec<Cycle> {
    let options = &voicing.options;
    // Local jitter and shimmer are mean |differences| of consecutive cycles; for
    // independent Gaussian perturbations of deviation σ that mean is 2σ/√π.
    let jitter_sd = options.jitter.clamp(0.0, 0.1) * PI.sqrt() / 2.0;
    let shimmer_sd = options.shimmer.clamp(0.0, 0.3) * PI.sqrt() / 2.0;
    let vibrato_phase = plan.uniform(0.0, TAU);
    let nominal = |t: f64| {
        let vibrato = (TAU * options.vibrato_hz * (t - voicing.start_s) + vibrato_phase).sin();
        let f0 = (voicing.f0_hz)(t) * (options.vibrato_semitones * vibrato / 12.0).exp2();
        assert!(
            f0.is_finite() && f0 > 0.0,
            "F0 contour gave {f0} Hz at {t} s"
        );
        f0
    };
    let (low, high) = voicing.f0_limits_hz;
    let mut cycles = Vec::new();
    let mut t = voicing.start_s;
    loop {
        let f0 = nominal(t + 0.5 / nominal(t));
        let stretch = 1.0 + jitter_sd * plan.gaussian().clamp(-3.0, 3.0);
        let period = 1.0 / (f0 / stretch).clamp(low, high);
        if t + period > voicing.end_s {
            return cycles;
        }
        let amplitude = (1.0 + shimmer_sd * plan.gaussian().clamp(-3.0, 3.0)).max(0.1);
        cycles.push(Cycle {
            start: t,
            period,
            amplitude,
        });
        t += period;
    }
}

/// Klatt's two-pole resonator, unity gain at DC.
#[derive(Debug, Clone, Copy, Default)]
struct Resonator {
    a: f64,
    b: f64,
    c: f64,
    y1: f64,
    y2: f64,
}

impl Resonator {
    /// Retunes keeping the state, so formants can glide.
    fn tune(&mut self, frequency_hz: f64, bandwidth_hz: f64, rate: f64) {
        let radius = (-PI * bandwidth_hz / rate).exp();
        self.c = -radius * radius;
        self.b = 2.0 * radius * (TAU * frequency_hz / rate).cos();
        self.a = 1.0 - self.b - self.c;
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.a * x + self.b * self.y1 + self.c * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// RBJ band-pass biquad (0 dB peak), transposed direct form II.
#[derive(Debug, Clone, Copy)]
struct BandPass {
    b0: f64,
    a1: f64,
    a2: f64,
    s1: f64,
    s2: f64,
}

impl BandPass {
    fn new(centre_hz: f64, bandwidth_hz: f64, rate: f64) -> Self {
        let w0 = TAU * centre_hz / rate;
        let alpha = w0.sin() * bandwidth_hz / (2.0 * centre_hz);
        let a0 = 1.0 + alpha;
        Self {
            b0: alpha / a0,
            a1: -2.0 * w0.cos() / a0,
            a2: (1.0 - alpha) / a0,
            s1: 0.0,
            s2: 0.0,
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        // b1 = 0 and b2 = -b0 for this band-pass.
        let y = self.b0 * x + self.s1;
        self.s1 = -self.a1 * y + self.s2;
        self.s2 = -self.b0 * x - self.a2 * y;
        y
    }
}

/// Output-rate signal and F0 truth that band-limited events are rendered into.
struct Canvas {
    out_rate: f64,
    /// Internal samples per output sample; even, for the two-stage decimation.
    factor: usize,
    fine_rate: f64,
    /// Internal rate to twice the output rate: only has to stop what would fold into
    /// the final band, so it is short.
    first_stage: Vec<f64>,
    /// Twice the output rate to the output rate: the sharp filter.
    second_stage: Vec<f64>,
    /// Internal samples either side of an output sample's instant that reach it.
    reach: usize,
    out: Vec<f64>,
    f0: Vec<f32>,
    source_noise: Rng,
}

/// An event's samples at the internal rate, covering every internal sample the
/// decimation filters read for output samples `first_out..end_out`. Internal sample
/// `base + k` is at `samples[k]`.
struct Patch {
    first_out: usize,
    end_out: usize,
    base: i64,
    samples: Vec<f64>,
}

impl Patch {
    /// Local indices of the internal samples at times in [start_s, end_s).
    fn range(&self, start_s: f64, end_s: f64, rate: f64) -> Range<usize> {
        let local = |t: f64| {
            ((t * rate).ceil() as i64 - self.base).clamp(0, self.samples.len() as i64) as usize
        };
        local(start_s)..local(end_s)
    }
}

impl Canvas {
    fn new(sample_rate: u32, duration_s: f64, seed: u64) -> Self {
        let factor = 2 * MIN_FINE_RATE.div_ceil(2 * sample_rate);
        let step = factor as usize / 2;
        let len = (duration_s * f64::from(sample_rate)).round() as usize;
        // Frequencies in cycles per input sample of each stage. The first stage keeps
        // the band flat and removes what would land below 0.5·fs at 2·fs; the second
        // removes 0.5·fs..fs.
        let first_stage = if step == 1 {
            vec![1.0]
        } else {
            kaiser_lowpass(0.42 / factor as f64, 1.5 / factor as f64)
        };
        let second_stage = kaiser_lowpass(0.21, 0.25);
        let reach = second_stage.len() / 2 * step + first_stage.len() / 2;
        Self {
            out_rate: f64::from(sample_rate),
            factor: factor as usize,
            fine_rate: f64::from(sample_rate * factor),
            first_stage,
            second_stage,
            reach,
            out: vec![0.0; len],
            f0: vec![0.0; len],
            source_noise: Rng::with_stream(seed, SOURCE_NOISE_STREAM),
        }
    }

    fn patch(&self, start_s: f64, end_s: f64) -> Patch {
        let half = self.reach as i64;
        let factor = self.factor as i64;
        let first_fine = (start_s * self.fine_rate).floor() as i64;
        let last_fine = (end_s * self.fine_rate).ceil() as i64;
        let first_out = (first_fine - half).div_euclid(factor).max(0);
        let end_out = ((last_fine + half).div_euclid(factor) + 1)
            .min(self.out.len() as i64)
            .max(first_out);
        let len = if end_out > first_out {
            ((end_out - 1 - first_out) * factor + 2 * half + 1) as usize
        } else {
            0
        };
        Patch {
            first_out: first_out as usize,
            end_out: end_out as usize,
            base: first_out * factor - half,
            samples: vec![0.0; len],
        }
    }

    /// Low-passes and decimates the patch into the output, scaled by `gain`.
    fn commit(&mut self, patch: &Patch, gain: f64) {
        let outputs = patch.end_out - patch.first_out;
        if outputs == 0 {
            return;
        }
        let step = self.factor / 2;
        let (first, second) = (&self.first_stage, &self.second_stage);
        // Intermediate sample i is centred on internal sample i·step of the patch (the
        // patch starts `reach` before the first output's instant).
        let intermediate: Vec<f64> = (0..2 * (outputs - 1) + second.len())
            .map(|i| dot(&patch.samples[i * step..i * step + first.len()], first))
            .collect();
        for (j, out) in self.out[patch.first_out..patch.end_out]
            .iter_mut()
            .enumerate()
        {
            *out += gain * dot(&intermediate[2 * j..2 * j + second.len()], second);
        }
    }

    fn add_voicing(&mut self, plan: &mut Rng, voicing: &Voicing) {
        let cycles = place_cycles(plan, voicing);
        for cycle in &cycles {
            let sample = |t: f64| ((t * self.out_rate).ceil() as usize).min(self.f0.len());
            let cycle_f0 = (1.0 / cycle.period) as f32;
            let span = sample(cycle.start)..sample(cycle.start + cycle.period);
            self.f0[span].fill(cycle_f0);
        }
        let mut patch = self.patch(voicing.start_s, voicing.end_s + VOICED_RING_S);
        if patch.samples.is_empty() {
            return;
        }
        let rate = self.fine_rate;
        let base = patch.base;
        let time = |k: usize| (base + k as i64) as f64 / rate;
        let tilt = voicing.options.spectral_tilt.clamp(0.0, 1.0);
        let closing_share = 0.45 - 0.25 * tilt;
        let open_quotient = voicing.options.open_quotient.clamp(0.2, 0.95);
        // Glottal opening (pulse shape × envelope), which gates the aspiration noise.
        let mut opening = vec![0.0; patch.samples.len()];
        for cycle in &cycles {
            let open = open_quotient * cycle.period;
            let fall = closing_share * open;
            for k in patch.range(cycle.start, cycle.start + open, rate) {
                let t = time(k);
                let glottis = rosenberg(t - cycle.start, open - fall, fall) * (voicing.envelope)(t);
                // Added, not assigned: the previous closure's correction may reach here.
                patch.samples[k] += cycle.amplitude * glottis;
                opening[k] = glottis;
            }
            // The slope jump at closure is the one discontinuity whose images (−12 dB/oct)
            // would fold back audibly; a two-point polyBLAMP turns it into a band-limited
            // kink. Its residual (1 − |x|)³/6 spans the samples either side of the jump.
            let closure = cycle.start + open;
            let slope_jump =
                cycle.amplitude * (voicing.envelope)(closure) * FRAC_PI_2 / (fall * rate);
            let position = closure * rate - base as f64;
            let after = position.ceil();
            let before = after - 1.0;
            let lag = position - before;
            for (index, residual) in [(before, (1.0 - lag).powi(3)), (after, lag.powi(3))] {
                if index >= 0.0 && index < patch.samples.len() as f64 {
                    patch.samples[index as usize] += slope_jump * residual / 6.0;
                }
            }
        }
        let weight: f64 = patch
            .range(voicing.start_s, voicing.end_s, rate)
            .map(|k| (voicing.envelope)(time(k)).powi(2))
            .sum();
        if weight <= 0.0 {
            return;
        }
        let corner_hz = 400.0 * 32f64.powf(tilt);
        let pole = (-TAU * corner_hz / rate).exp();
        let (mut smoothed, mut previous) = (0.0, 0.0);
        for x in &mut patch.samples {
            smoothed = *x + pole * (smoothed - *x);
            // Lip radiation: the first difference of the flow.
            *x = smoothed - previous;
            previous = smoothed;
        }
        let breathiness = 0.2 * (1.0 - tilt);
        if breathiness > 0.0 {
            let radiated_rms = (patch.samples.iter().map(|x| x * x).sum::<f64>() / weight).sqrt();
            // White noise at the internal rate spreads its power to rate/2; scale it so
            // the part in the speech band is `breathiness` times the voice.
            let sd = breathiness * radiated_rms * (rate / (2.0 * ASPIRATION_BAND_HZ)).sqrt();
            for (x, &gate) in patch.samples.iter_mut().zip(&opening) {
                if gate > 0.0 {
                    *x += sd * gate * self.source_noise.gaussian();
                }
            }
        }
        let span = (voicing.end_s - voicing.start_s).max(f64::EPSILON);
        let mut tract = [Resonator::default(); 5];
        for (block, chunk) in patch.samples.chunks_mut(RETUNE_BLOCK).enumerate() {
            let u = ((time(block * RETUNE_BLOCK) - voicing.start_s) / span).clamp(0.0, 1.0);
            let targets = formants(voicing.vowels, u, voicing.tract_scale);
            for (resonator, (f, b)) in tract.iter_mut().zip(targets) {
                resonator.tune(f, b, rate);
            }
            for x in chunk {
                *x = tract.iter_mut().fold(*x, |y, r| r.process(y));
            }
        }
        let energy: f64 = patch.samples.iter().map(|x| x * x).sum();
        if energy > 0.0 {
            self.commit(&patch, voicing.rms * (weight / energy).sqrt());
        }
    }

    fn add_frication(&mut self, noise: &Frication) {
        let mut patch = self.patch(noise.start_s, noise.end_s + NOISE_RING_S);
        let rate = self.fine_rate;
        let mut filters = [BandPass::new(noise.centre_hz, noise.bandwidth_hz, rate); 2];
        let mut weight = 0.0;
        for (k, x) in patch.samples.iter_mut().enumerate() {
            let t = (patch.base + k as i64) as f64 / rate;
            let envelope = fade(
                t,
                noise.start_s,
                noise.end_s,
                noise.attack_s,
                noise.release_s,
            );
            let source = if envelope > 0.0 {
                weight += envelope * envelope;
                envelope * self.source_noise.gaussian()
            } else {
                0.0
            };
            *x = filters.iter_mut().fold(source, |y, f| f.process(y));
        }
        let energy: f64 = patch.samples.iter().map(|x| x * x).sum();
        if energy > 0.0 {
            self.commit(&patch, noise.rms * (weight / energy).sqrt());
        }
    }

    fn finish(self) -> (Vec<f64>, Vec<f32>) {
        (self.out, self.f0)
    }
}

/// Sum of products. An indexed loop because the tests run unoptimised, where iterator
/// adaptors cost several times more, and this loop is nearly all the synthesis time.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut sum = 0.0;
    let mut i = 0;
    while i < n {
        sum += a[i] * b[i];
        i += 1;
    }
    sum
}

/// Linear-phase low-pass, flat to `passband` and at least 80 dB down from `stopband`
/// (both in cycles per sample; Kaiser-window design), unity gain at DC.
fn kaiser_lowpass(passband: f64, stopband: f64) -> Vec<f64> {
    const ATTENUATION_DB: f64 = 80.0;
    let transition = stopband - passband;
    let beta = 0.1102 * (ATTENUATION_DB - 8.7);
    let half = ((ATTENUATION_DB - 7.95) / (14.36 * transition) / 2.0).ceil() as usize;
    let cutoff = 0.5 * (passband + stopband);
    let window_norm = bessel_i0(beta);
    let mut taps: Vec<f64> = (0..=2 * half)
        .map(|j| {
            let x = j as f64 - half as f64;
            let ideal = if x == 0.0 {
                2.0 * cutoff
            } else {
                (TAU * cutoff * x).sin() / (PI * x)
            };
            let r = x / half as f64;
            ideal * bessel_i0(beta * (1.0 - r * r).sqrt()) / window_norm
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|h| *h /= sum);
    taps
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let mut k = 1.0;
    while term > 1e-14 * sum {
        term *= (0.5 * x / k).powi(2);
        sum += term;
        k += 1.0;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::{FftPlanner, num_complex::Complex};

    fn as_f64(x: &[f32]) -> Vec<f64> {
        x.iter().map(|&v| f64::from(v)).collect()
    }

    fn correlation(x: &[f64], lag: usize, window: usize) -> f64 {
        let (a, b) = (&x[..window], &x[lag..lag + window]);
        dot(a, b) / (dot(a, a) * dot(b, b)).sqrt().max(1e-300)
    }

    /// Sub-sample position of the autocorrelation maximum among `lags` (parabolic fit).
    fn peak_lag(x: &[f64], lags: Range<usize>, window: usize) -> f64 {
        let r = |lag: usize| correlation(x, lag, window);
        let best = lags.clone().max_by(|&a, &b| r(a).total_cmp(&r(b))).unwrap();
        let (left, centre, right) = (r(best - 1), r(best), r(best + 1));
        let curvature = left - 2.0 * centre + right;
        let offset = if curvature < 0.0 {
            0.5 * (left - right) / curvature
        } else {
            0.0
        };
        best as f64 + offset
    }

    /// Period in samples: the first autocorrelation peak within 10 % of the highest one
    /// in `min_lag..=max_lag`, optionally refined on the multiple nearest 50 ms.
    fn autocorrelation_period(
        x: &[f64],
        rate: f64,
        min_lag: usize,
        max_lag: usize,
        refine: bool,
    ) -> f64 {
        let refine_lag = if refine { (0.06 * rate) as usize } else { 0 };
        let window = x.len() - max_lag.max(refine_lag) - 2;
        let r: Vec<f64> = (min_lag - 1..=max_lag + 1)
            .map(|lag| correlation(x, lag, window))
            .collect();
        let best = r[1..r.len() - 1]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let first = (1..r.len() - 1)
            .find(|&i| r[i] >= 0.9 * best && r[i] >= r[i - 1] && r[i] >= r[i + 1])
            .unwrap();
        let coarse = peak_lag(x, min_lag - 1 + first..min_lag + first, window);
        if !refine {
            return coarse;
        }
        let multiple = ((0.05 * rate / coarse).floor()).max(1.0);
        let target = multiple * coarse;
        let reach = (0.01 * target).ceil() as usize + 2;
        let centre = target.round() as usize;
        peak_lag(x, centre - reach..centre + reach + 1, window) / multiple
    }

    fn steady(jitter: f64) -> VoiceOptions {
        VoiceOptions {
            jitter,
            shimmer: 0.0,
            vibrato_semitones: 0.0,
            // Full effort: no aspiration noise.
            spectral_tilt: 1.0,
            ..VoiceOptions::default()
        }
    }

    fn rms_db(x: &[f32]) -> f64 {
        10.0 * mean_power(x.iter().map(|&v| f64::from(v))).log10()
    }

    #[test]
    fn rng_is_deterministic_and_well_spread() {
        let take = |mut rng: Rng| (0..8).map(|_| rng.next_u32()).collect::<Vec<_>>();
        assert_eq!(take(Rng::new(42)), take(Rng::new(42)));
        assert_ne!(take(Rng::new(42)), take(Rng::new(43)));
        assert_ne!(take(Rng::new(42)), take(Rng::with_stream(42, 1)));
        let mut rng = Rng::new(7);
        let n = 100_000;
        let uniform: Vec<f64> = (0..n).map(|_| rng.next_f64()).collect();
        assert!(uniform.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = uniform.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "uniform mean {mean}");
        let normal: Vec<f64> = (0..n).map(|_| rng.gaussian()).collect();
        let mean = normal.iter().sum::<f64>() / n as f64;
        let variance = normal.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.02 && (variance - 1.0).abs() < 0.02,
            "N({mean}, {variance})"
        );
    }

    #[test]
    fn same_seed_gives_identical_signals() {
        let a = pitch_test_signal(8000, 11, 80.0, 300.0, 15.0, 3.0);
        let b = pitch_test_signal(8000, 11, 80.0, 300.0, 15.0, 3.0);
        let c = pitch_test_signal(8000, 12, 80.0, 300.0, 15.0, 3.0);
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
        assert_eq!(a.0.len(), 24_000);
        let spec = UtteranceSpec {
            duration_s: 4.0,
            ..UtteranceSpec::default()
        };
        assert_eq!(utterance(16000, 3, &spec), utterance(16000, 3, &spec));
    }

    #[test]
    fn jitter_and_shimmer_are_as_requested() {
        let options = VoiceOptions {
            jitter: 0.01,
            shimmer: 0.05,
            ..steady(0.01)
        };
        let f0 = |_: f64| 100.0;
        let envelope = |_: f64| 1.0;
        let voicing = Voicing {
            start_s: 0.0,
            end_s: 20.0,
            f0_hz: &f0,
            f0_limits_hz: SPEECH_F0_LIMITS_HZ,
            envelope: &envelope,
            vowels: [&VOWELS[0], &VOWELS[0]],
            tract_scale: 1.0,
            options,
            rms: 1.0,
        };
        let cycles = place_cycles(&mut Rng::new(5), &voicing);
        let local = |values: Vec<f64>| {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let step = values.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>();
            step / (values.len() - 1) as f64 / mean
        };
        let jitter = local(cycles.iter().map(|c| c.period).collect());
        let shimmer = local(cycles.iter().map(|c| c.amplitude).collect());
        assert!((jitter / 0.01 - 1.0).abs() < 0.1, "jitter {jitter}");
        assert!((shimmer / 0.05 - 1.0).abs() < 0.1, "shimmer {shimmer}");
    }

    #[test]
    fn truth_f0_matches_periodicity_of_sustained_vowels() {
        for rate in [8000, 16000, 44100] {
            for (f0, vowel) in [(55.0, 4), (110.0, 0), (220.0, 3), (480.0, 7)] {
                let (signal, truth) =
                    sustained_vowel(rate, 1, |_| f0, 1.0, &VOWELS[vowel], &steady(0.0));
                let fs = f64::from(rate);
                let middle = (0.2 * fs) as usize..(0.9 * fs) as usize;
                assert!(truth.f0_hz[middle.clone()].iter().all(|&v| v == f0 as f32));
                let x = as_f64(&signal[middle]);
                let lags = (fs / 600.0) as usize..(fs / 45.0) as usize;
                let period = autocorrelation_period(&x, fs, lags.start, lags.end, true);
                let error = (fs / period / f0 - 1.0).abs();
                assert!(
                    error < 0.005,
                    "{rate} Hz, F0 {f0}: measured {} Hz",
                    fs / period
                );
            }
        }
    }

    #[test]
    fn truth_f0_follows_the_pitch_test_signal() {
        let (lo, hi) = (70.0, 400.0);
        for rate in [8000, 16000] {
            let (signal, truth) = pitch_test_signal(rate, 21, lo, hi, 40.0, 20.0);
            let fs = f64::from(rate);
            let x = as_f64(&signal);
            let (min_lag, max_lag) = ((fs / hi / 1.1) as usize, (fs / lo * 1.1) as usize);
            let span = (0.04 * fs) as usize + max_lag + 2;
            let (mut frames, mut good) = (0, 0);
            for start in (0..x.len() - span).step_by((0.02 * fs) as usize) {
                let f0 = &truth.f0_hz[start..start + span];
                if f0.contains(&0.0) {
                    continue;
                }
                assert!(f0.iter().all(|&v| (lo..=hi).contains(&f64::from(v))));
                let expected = f0.iter().map(|&v| f64::from(v)).sum::<f64>() / span as f64;
                let period =
                    autocorrelation_period(&x[start..start + span], fs, min_lag, max_lag, false);
                frames += 1;
                if (fs / period / expected - 1.0).abs() < 0.03 {
                    good += 1;
                }
            }
            assert!(frames > 300, "only {frames} voiced frames");
            let share = f64::from(good) / f64::from(frames);
            assert!(share > 0.95, "{rate} Hz: {good} of {frames} frames agree");
        }
    }

    #[test]
    fn added_noise_has_the_requested_snr() {
        for (rate, snr_db) in [(8000, 0.0), (8000, 20.0), (16000, 10.0), (8000, -5.0)] {
            let (clean, truth) = pitch_test_signal(rate, 3, 80.0, 300.0, f64::INFINITY, 5.0);
            let (noisy, _) = pitch_test_signal(rate, 3, 80.0, 300.0, snr_db, 5.0);
            let (clean, noisy) = (as_f64(&clean), as_f64(&noisy));
            // Projection undoes any scaling that kept the noisy signal within full scale.
            let gain = noisy.iter().zip(&clean).map(|(n, c)| n * c).sum::<f64>()
                / clean.iter().map(|c| c * c).sum::<f64>();
            let voiced = mean_power(
                clean
                    .iter()
                    .zip(&truth.f0_hz)
                    .filter(|(_, f0)| **f0 > 0.0)
                    .map(|(c, _)| gain * c),
            );
            let noise = mean_power(noisy.iter().zip(&clean).map(|(n, c)| n - gain * c));
            let achieved = 10.0 * (voiced / noise).log10();
            assert!(
                (achieved - snr_db).abs() < 0.2,
                "asked {snr_db} dB, got {achieved} dB"
            );
        }
    }

    #[test]
    fn high_voices_are_free_of_aliases() {
        for (rate, f0) in [(8000u32, 487.0), (16000, 493.0), (44100, 311.0)] {
            let (signal, _) = sustained_vowel(rate, 2, |_| f0, 2.0, &VOWELS[0], &steady(0.0));
            let fs = f64::from(rate);
            let n = (fs as usize).next_power_of_two();
            let start = (0.3 * fs) as usize;
            // Blackman–Harris: sidelobes below -92 dB, so leakage cannot hide aliases.
            let mut spectrum: Vec<Complex<f64>> = signal[start..start + n]
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let p = TAU * i as f64 / n as f64;
                    let w = 0.35875 - 0.48829 * p.cos() + 0.14128 * (2.0 * p).cos()
                        - 0.01168 * (3.0 * p).cos();
                    Complex::new(f64::from(x) * w, 0.0)
                })
                .collect();
            FftPlanner::new().plan_fft_forward(n).process(&mut spectrum);
            let (mut harmonic, mut other) = (0.0f64, 0.0f64);
            for (bin, value) in spectrum[..n / 2].iter().enumerate() {
                let hz = bin as f64 * fs / n as f64;
                let off_harmonic = (hz - (hz / f0).round() * f0).abs();
                if off_harmonic < 12.0 {
                    harmonic = harmonic.max(value.norm_sqr());
                } else {
                    other = other.max(value.norm_sqr());
                }
            }
            let ratio_db = 10.0 * (other / harmonic).log10();
            assert!(
                ratio_db < -90.0,
                "{rate} Hz: inharmonic peak at {ratio_db:.1} dB"
            );
        }
    }

    #[test]
    fn utterance_rate_level_and_pauses_are_as_requested() {
        for (rate, seed) in [(2.5, 1), (4.0, 2), (6.5, 3)] {
            let spec = UtteranceSpec {
                syllables_per_s: rate,
                duration_s: 20.0,
                pause_fraction: 0.25,
                ..UtteranceSpec::default()
            };
            let (signal, truth) = utterance(8000, seed, &spec);
            assert_eq!(signal.len(), 160_000);
            let speech_s = truth.speech_time_s();
            let achieved = truth.nuclei_s.len() as f64 / speech_s;
            assert!(
                (achieved / rate - 1.0).abs() < 0.15,
                "asked {rate}/s, got {achieved}/s"
            );
            let pauses = 1.0 - speech_s / spec.duration_s;
            assert!((pauses - 0.25).abs() < 0.05, "pause fraction {pauses}");
            assert!(
                truth
                    .nuclei_s
                    .iter()
                    .all(|&n| { truth.speech_intervals.iter().any(|&(a, b)| a < n && n < b) })
            );
            let in_speech: Vec<f32> = truth
                .speech_intervals
                .iter()
                .flat_map(|&(a, b)| {
                    signal[(a * 8000.0).ceil() as usize..(b * 8000.0).ceil() as usize]
                        .iter()
                        .copied()
                })
                .collect();
            let level = rms_db(&in_speech);
            assert!((level - spec.level_dbfs).abs() < 0.1, "level {level} dBFS");
        }
    }

    #[test]
    fn utterance_plan_does_not_depend_on_sample_rate() {
        let spec = UtteranceSpec {
            duration_s: 6.0,
            ..UtteranceSpec::default()
        };
        let (_, narrow) = utterance(8000, 9, &spec);
        let (_, wide) = utterance(22050, 9, &spec);
        assert_eq!(narrow.nuclei_s, wide.nuclei_s);
        assert_eq!(narrow.speech_intervals, wide.speech_intervals);
    }

    #[test]
    fn demo_call_escalates_in_its_second_half() {
        let (signal, truth) = demo_call_with_truth(8000);
        assert_eq!(signal, demo_call(8000));
        assert_eq!(signal.len(), 320_000);
        let half = signal.len() / 2;
        let median_f0 = |f0: &[f32]| {
            let mut voiced: Vec<f32> = f0.iter().copied().filter(|&v| v > 0.0).collect();
            voiced.sort_by(f32::total_cmp);
            f64::from(voiced[voiced.len() / 2])
        };
        let rise_st =
            12.0 * (median_f0(&truth.f0_hz[half..]) / median_f0(&truth.f0_hz[..half])).log2();
        let rise_db = rms_db(&signal[half..]) - rms_db(&signal[..half]);
        assert!(rise_st >= 3.0, "F0 rises {rise_st} semitones");
        assert!(rise_db >= 5.0, "level rises {rise_db} dB");
        let calm = rms_db(&signal[..half]);
        assert!((-32.0..-24.0).contains(&calm), "calm half at {calm} dBFS");
    }

    #[test]
    fn samples_stay_finite_and_within_full_scale() {
        let check = |signal: &[f32], truth: &Truth, (lo, hi): (f64, f64)| {
            assert!(signal.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
            assert_eq!(signal.len(), truth.f0_hz.len());
            let rate = f64::from(truth.sample_rate);
            for (n, &f0) in truth.f0_hz.iter().enumerate() {
                if f0 > 0.0 {
                    assert!((lo..=hi).contains(&f64::from(f0)), "F0 {f0}");
                    let t = n as f64 / rate;
                    assert!(
                        truth
                            .speech_intervals
                            .iter()
                            .any(|&(a, b)| a <= t && t <= b)
                    );
                }
            }
        };
        for rate in [8000, 11025, 22050, 48000] {
            for (lo, hi, snr) in [(50.0, 80.0, -5.0), (400.0, 500.0, 30.0)] {
                let (signal, truth) = pitch_test_signal(rate, 5, lo, hi, snr, 1.5);
                check(&signal, &truth, (lo, hi));
            }
            for (f0_mean_hz, effort) in [(60.0, 0.0), (400.0, 1.0)] {
                let spec = UtteranceSpec {
                    f0_mean_hz,
                    effort,
                    level_dbfs: -1.0,
                    pitch_spread: 2.0,
                    duration_s: 2.0,
                    ..UtteranceSpec::default()
                };
                let (signal, truth) = utterance(rate, 6, &spec);
                check(&signal, &truth, SPEECH_F0_LIMITS_HZ);
                let peak = signal.iter().fold(0.0f32, |p, x| p.max(x.abs()));
                assert!(peak > 0.99, "loud utterance should be scaled to full scale");
            }
        }
    }
}
