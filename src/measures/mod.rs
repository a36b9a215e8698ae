//! Measures over windows and whole channels: speech rate, active speech level,
//! pitch level and variation, spectral balance.
//!
//! Both kinds are built from the same per-hop records ([`HopRecord`]): a
//! window keeps the last few seconds of records in a ring, the whole channel
//! keeps fixed-size histograms, so memory never grows with call length.

pub mod summary;
pub mod window;

use serde::Serialize;

pub use summary::ChannelAccumulator;
pub use window::WindowMeasurer;

use crate::dsp::level::HopLevel;
use crate::dsp::spectrum::SHAPE_BANDS;

/// Reference for semitone values: semitones are 12·log2(F0 / this).
pub const SEMITONE_REF_HZ: f64 = 55.0;

/// Least speech (s) before a speech rate is given.
pub const MIN_SPEECH_FOR_RATE_S: f64 = 0.5;
/// Least speech (s) before an active level is given.
pub const MIN_SPEECH_FOR_LEVEL_S: f64 = 0.25;
/// Least voiced speech (s) before pitch measures are given.
pub const MIN_VOICED_FOR_PITCH_S: f64 = 0.2;

pub fn hz_to_st(hz: f64) -> f64 {
    12.0 * (hz / SEMITONE_REF_HZ).log2()
}

pub fn st_to_hz(st: f64) -> f64 {
    SEMITONE_REF_HZ * (st / 12.0).exp2()
}

/// What one hop contributes to the measures.
#[derive(Debug, Clone, Copy, Default)]
pub struct HopRecord {
    pub speech: bool,
    /// F0 in semitones re [`SEMITONE_REF_HZ`], for voiced speech hops.
    pub f0_st: Option<f32>,
    /// Weight of the syllable nuclei confirmed at this hop (0 to 1; see
    /// [`crate::dsp::nuclei::NucleiParams::pickers`]).
    pub nucleus_weight: f32,
    pub level: HopLevel,
    pub balance_db: f32,
    /// Best normalised correlation of the pitch candidates (voice clarity).
    pub periodicity: f32,
    pub flux_db: f32,
    /// Spectral shape of the frame (see [`crate::dsp::spectrum::BandMeasures`]).
    pub shape_db: [f32; SHAPE_BANDS],
    /// Mean absolute change of the spectral shape since the previous hop,
    /// dB per band, when both hops are voiced speech.
    pub shape_change_db: Option<f32>,
}

/// Prosody measures of a stretch of one channel. `None` means there was not
/// enough speech to say (see the `MIN_*` constants), never a made-up number.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measures {
    /// Seconds of speech (voice activity) in the stretch.
    pub speech_s: f64,
    /// Seconds of voiced speech.
    pub voiced_s: f64,
    /// Syllable nuclei found (the weighted mean count of the detector's
    /// pickers, so not always a whole number; reports round it).
    pub syllables: f64,
    /// Syllables per second of speech: `syllables` × the nucleus model's
    /// calibration ([`crate::dsp::nuclei::rate_scale`]) / `speech_s`.
    pub speech_rate_syl_s: Option<f64>,
    /// Active speech level, dBFS (full-scale sine = 0 dBFS), speech frames only.
    pub active_level_dbfs: Option<f64>,
    /// Median F0 of voiced speech, Hz.
    pub pitch_median_hz: Option<f64>,
    /// Standard deviation of F0 in semitones.
    pub pitch_sd_st: Option<f64>,
    /// 10th to 90th percentile range of F0 in semitones.
    pub pitch_range_st: Option<f64>,
    /// Mean spectral balance of voiced speech (energy 1–3.4 kHz vs 0.3–1 kHz),
    /// dB: vocal effort. Voiced frames only, so that the consonants a text
    /// happens to have (/s/ is all high frequencies) do not count.
    pub spectral_balance_db: Option<f64>,
    /// Mean periodicity of speech frames (0–1): lower in breathy, rough or
    /// strained voice.
    pub periodicity: Option<f64>,
    /// Mean spectral flux of speech frames, dB: how fast the spectrum moves.
    pub spectral_flux_db: Option<f64>,
    /// Mean spectral shape of voiced frames, dB per mel band: the classifier's
    /// view of voice quality. Not reported (16 numbers nobody reads).
    #[serde(skip)]
    pub spectral_shape_db: Option<[f64; SHAPE_BANDS]>,
    /// Standard deviation of each band of the spectral shape over voiced
    /// frames, dB: how much the voice moves between articulations. Not
    /// reported either.
    #[serde(skip)]
    pub spectral_shape_sd_db: Option<[f64; SHAPE_BANDS]>,
    /// Mean change of the spectral shape from one voiced hop to the next, dB
    /// per band: how fast articulation moves in voiced speech. Not reported.
    #[serde(skip)]
    pub spectral_change_db: Option<f64>,
}

/// Accumulates the parts of [`Measures`] that are plain sums.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sums {
    pub speech_hops: u64,
    pub voiced_hops: u64,
    pub nuclei: f64,
    pub balance_sum: f64,
    pub periodicity_sum: f64,
    pub flux_sum: f64,
    pub shape_sum: [f64; SHAPE_BANDS],
    pub shape_sq_sum: [f64; SHAPE_BANDS],
    pub change_hops: u64,
    pub change_sum: f64,
}

impl Sums {
    pub fn add(&mut self, r: &HopRecord) {
        if r.speech {
            self.speech_hops += 1;
            self.periodicity_sum += r.periodicity as f64;
            self.flux_sum += r.flux_db as f64;
        }
        if r.f0_st.is_some() {
            self.voiced_hops += 1;
            self.balance_sum += r.balance_db as f64;
            for ((acc, sq), v) in self
                .shape_sum
                .iter_mut()
                .zip(&mut self.shape_sq_sum)
                .zip(&r.shape_db)
            {
                let v = *v as f64;
                *acc += v;
                *sq += v * v;
            }
        }
        if let Some(c) = r.shape_change_db {
            self.change_hops += 1;
            self.change_sum += c as f64;
        }
        self.nuclei += f64::from(r.nucleus_weight);
    }

    /// Fills the sum-based fields of `m`.
    pub fn fill(&self, m: &mut Measures) {
        let hop = crate::HOP_S;
        m.speech_s = self.speech_hops as f64 * hop;
        m.voiced_s = self.voiced_hops as f64 * hop;
        m.syllables = self.nuclei;
        m.speech_rate_syl_s = (m.speech_s >= MIN_SPEECH_FOR_RATE_S)
            .then(|| self.nuclei * crate::dsp::nuclei::rate_scale() / m.speech_s);
        let per_speech_hop =
            |sum: f64| (self.speech_hops > 0).then(|| sum / self.speech_hops as f64);
        m.spectral_balance_db =
            (self.voiced_hops > 0).then(|| self.balance_sum / self.voiced_hops as f64);
        m.periodicity = per_speech_hop(self.periodicity_sum);
        m.spectral_flux_db = per_speech_hop(self.flux_sum);
        if self.voiced_hops > 0 {
            let n = self.voiced_hops as f64;
            let mean = self.shape_sum.map(|v| v / n);
            let mut sd = [0.0; SHAPE_BANDS];
            for ((s, sq), m) in sd.iter_mut().zip(&self.shape_sq_sum).zip(&mean) {
                *s = (sq / n - m * m).max(0.0).sqrt();
            }
            m.spectral_shape_db = Some(mean);
            m.spectral_shape_sd_db = Some(sd);
        }
        m.spectral_change_db =
            (self.change_hops > 0).then(|| self.change_sum / self.change_hops as f64);
    }
}
