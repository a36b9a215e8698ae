//! Syllable nuclei: stretches of speech a small learnt model calls "nucleus"
//! (the vowel of a syllable, or its nasal or liquid when the vowel is elided).
//!
//! A peak-picker on the level envelope (De Jong & Wempe's method and our
//! first detector) misses syllables whose vowel is not louder than its
//! neighbours: reduced vowels between sonorants, `-en` said as a syllabic
//! nasal, vowel sequences. What tells a vowel from a nasal, a liquid or a
//! fricative at the same level is the spectral shape. So each hop is judged
//! from the 16-band spectral shape, the level relative to the noise floor and
//! to the loud part of the recent speech, periodicity, spectral balance and
//! flux, at five moments from 60 ms before to 60 ms after it; a small neural
//! network (`models/nuclei.json`, one hidden layer of 16 units, trained on
//! EmoDB's phone labels of half the speakers, clean and telephone) turns that
//! into the probability that the hop is inside a nucleus. A nucleus is a peak
//! of a sonority contour (the level plus `sonority_db_per_logit` dB per
//! log-odds, smoothed over ±2 hops) where the hop is periodic, probable and
//! loud enough; it is confirmed once the contour has fallen `dip_db` below it,
//! after the 60 ms of look-ahead the model needs. Four such peak-pickers, each
//! with its own contour and thresholds, count side by side, and the count is
//! their weighted mean ([`NucleiParams::pickers`]): where a syllable is
//! doubtful they disagree, and their mean errs less than any one of them
//! (EmoDB rate r 0.735 → 0.763 for one picker → four).
//!
//! Everything is gain-invariant (levels enter relative to the floor and to
//! the recent speech) and causal with a bounded delay.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::sliding::SlidingExtreme;
use super::spectrum::SHAPE_BANDS;
use crate::HOP_S;
use crate::learn::mlp::{Folded, Mlp};

/// Per-hop inputs the model sees.
pub const BASE_FEATURES: usize = SHAPE_BANDS + 6;
/// Hops (relative to the judged hop) whose inputs enter the model.
pub const OFFSETS: [i32; 5] = [-6, -3, 0, 3, 6];
/// Hops of look-ahead: the judged hop is this many hops old.
pub const LOOKAHEAD: usize = 6;
const SPAN: usize = 2 * LOOKAHEAD + 1;
/// Contour features of the judged hop: for the telephone-band level and the
/// 300–1000 Hz level, how far it is below the highest level within ±30 ms
/// and ±60 ms (0 at a local peak) and how far above the lowest in the 60 ms
/// before and after it (the dips that separate syllables).
pub const CONTOUR_FEATURES: usize = 8;
/// Length of the model's feature vector.
pub const N_FEATURES: usize = BASE_FEATURES * OFFSETS.len() + CONTOUR_FEATURES;
/// Seconds of recent speech whose loudest level is the loudness reference.
const REFERENCE_S: f64 = 2.0;

/// Names of the per-hop inputs, in order (for the model file).
pub fn base_feature_names() -> Vec<String> {
    let mut v: Vec<String> = (0..SHAPE_BANDS).map(|i| format!("shape_{i}")).collect();
    v.extend(
        [
            "level_above_floor",
            "level_below_recent_max",
            "periodicity",
            "balance",
            "flux",
            "speech",
        ]
        .map(String::from),
    );
    v
}

/// Names of the contour features, in order (for the model file).
pub fn contour_feature_names() -> Vec<String> {
    let mut v = Vec::new();
    for band in ["level", "low_level"] {
        for f in [
            "below_max_30ms",
            "below_max_60ms",
            "above_min_before",
            "above_min_after",
        ] {
            v.push(format!("{band}_{f}"));
        }
    }
    v
}

/// One peak-picker of the detector's committee.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Picker {
    /// dB added to the level per unit of the model's log-odds (clamped to
    /// ±6): how much the vowel-likeness shapes this picker's sonority contour.
    pub sonority_db_per_logit: f32,
    /// Rise before and fall after a peak of the sonority contour, dB.
    pub dip_db: f32,
    /// Minimum nucleus probability within ±20 ms of the peak.
    pub min_probability: f32,
    /// Minimum time between this picker's nuclei, s.
    pub min_gap_s: f64,
    /// This picker's share of the count (the shares add up to 1).
    pub weight: f32,
}

/// Peak-pickers in the committee.
pub const PICKERS: usize = 4;

#[derive(Debug, Clone, Copy)]
pub struct NucleiParams {
    /// Minimum height of a peak above the noise floor, dB.
    pub min_above_floor_db: f32,
    /// Maximum depth of a peak below the highest contour of the last
    /// `reference_s` seconds, dB.
    pub max_below_recent_db: f32,
    pub reference_s: f64,
    /// Minimum periodicity (normalised correlation) at the peak.
    pub min_periodicity: f32,
    /// The committee: each picker counts the nuclei of its own contour with
    /// its own thresholds, and the count is their weighted mean. Pickers
    /// disagree where a syllable is doubtful (a reduced vowel, two vowels
    /// with little between them); their mean is a finer count than any one
    /// of them.
    pub pickers: [Picker; PICKERS],
}

impl NucleiParams {
    /// One picker alone (the others have the same settings), for sweeps.
    pub fn single(picker: Picker) -> Self {
        Self {
            pickers: [Picker {
                weight: 1.0 / PICKERS as f32,
                ..picker
            }; PICKERS],
            ..Self::default()
        }
    }
}

impl Default for NucleiParams {
    fn default() -> Self {
        // Chosen on the tuning half of EmoDB's speakers: five steps of
        // forward selection (with replacement) from a grid of 108 settings,
        // for the agreement of the rate with the truth, clean and telephone,
        // over the utterances at their own pace and sped up x1.3 / slowed
        // x0.8 (so the count follows a change of pace); further steps changed
        // it by less than 0.0005. `examples/grid_counts` and
        // `scripts/explore/pick_committee.py` redo it.
        let picker = |sonority_db_per_logit, dip_db, min_probability, min_gap_s, weight| Picker {
            sonority_db_per_logit,
            dip_db,
            min_probability,
            min_gap_s,
            weight,
        };
        Self {
            min_above_floor_db: 4.0,
            max_below_recent_db: 31.0,
            reference_s: 2.0,
            min_periodicity: 0.25,
            pickers: [
                picker(0.5, 1.5, 0.2, 0.05, 0.4),
                picker(2.0, 2.5, 0.2, 0.05, 0.2),
                picker(0.5, 2.5, 0.2, 0.05, 0.2),
                picker(2.0, 1.0, 0.2, 0.05, 0.2),
            ],
        }
    }
}

/// What the detector needs to know about one hop.
#[derive(Debug, Clone, Copy)]
pub struct NucleusInput {
    pub time_s: f64,
    /// Level in the telephone band, dB.
    pub level_db: f32,
    pub floor_db: f32,
    pub speech: bool,
    /// Best normalised correlation of the frame's pitch candidates.
    pub periodicity: f32,
    pub balance_db: f32,
    pub flux_db: f32,
    pub shape_db: [f32; SHAPE_BANDS],
}

/// Turns the stream of hops into the model's feature vectors, `LOOKAHEAD`
/// hops late.
#[derive(Debug, Clone)]
pub struct FeatureStack {
    ring: [[f32; BASE_FEATURES]; SPAN],
    /// Telephone-band and 300–1000 Hz levels, dB.
    levels: [[f32; 2]; SPAN],
    inputs: [Option<NucleusInput>; SPAN],
    filled: usize,
    /// Slot of the newest hop.
    newest: usize,
    /// Loudest speech hop of the last [`REFERENCE_S`].
    loudest: SlidingExtreme<f32>,
    index: u64,
}

impl Default for FeatureStack {
    fn default() -> Self {
        Self::new()
    }
}

/// The judged hop: its input and its feature vector.
#[derive(Debug, Clone, Copy)]
pub struct Stacked {
    pub time_s: f64,
    pub speech: bool,
    pub input: NucleusInput,
    pub features: [f32; N_FEATURES],
}

impl FeatureStack {
    pub fn new() -> Self {
        let reference_hops = (REFERENCE_S / HOP_S).round() as u64;
        Self {
            ring: [[0.0; BASE_FEATURES]; SPAN],
            levels: [[0.0; 2]; SPAN],
            inputs: [None; SPAN],
            filled: 0,
            newest: SPAN - 1,
            loudest: SlidingExtreme::max(reference_hops),
            index: 0,
        }
    }

    /// Takes one hop; once enough hops are in, returns the hop `LOOKAHEAD`
    /// hops back with its features. Hops before the start of the stream
    /// count as copies of the first.
    pub fn push(&mut self, x: &NucleusInput) -> Option<Stacked> {
        let i = self.index;
        self.index += 1;
        if x.speech {
            self.loudest.push(i, x.level_db);
        }
        self.loudest.expire(i);
        let reference = self.loudest.get().unwrap_or(x.level_db);
        let mut base = [0.0f32; BASE_FEATURES];
        for (b, s) in base.iter_mut().zip(&x.shape_db) {
            *b = s.clamp(-60.0, 20.0);
        }
        let n = SHAPE_BANDS;
        base[n] = (x.level_db - x.floor_db).clamp(0.0, 60.0);
        base[n + 1] = (x.level_db - reference).clamp(-50.0, 0.0);
        base[n + 2] = x.periodicity.clamp(0.0, 1.0);
        base[n + 3] = x.balance_db.clamp(-40.0, 40.0);
        base[n + 4] = x.flux_db.clamp(0.0, 30.0);
        base[n + 5] = x.speech as u8 as f32;

        // Energy below 1 kHz from the total and the high/low balance.
        let low_db = x.level_db - 10.0 * (1.0 + 10f32.powf(base[n + 3] / 10.0)).log10();
        let levels = [x.level_db, low_db];

        self.newest = (self.newest + 1) % SPAN;
        if self.filled == 0 {
            // Pad the past with the first hop.
            self.ring = [base; SPAN];
            self.levels = [levels; SPAN];
            self.inputs = [Some(*x); SPAN];
        }
        self.ring[self.newest] = base;
        self.levels[self.newest] = levels;
        self.inputs[self.newest] = Some(*x);
        self.filled += 1;
        if self.filled <= LOOKAHEAD {
            return None;
        }
        let centre = (self.newest + SPAN - LOOKAHEAD) % SPAN;
        let mut features = [0.0f32; N_FEATURES];
        for (chunk, &o) in features.chunks_exact_mut(BASE_FEATURES).zip(&OFFSETS) {
            let slot = (centre as i32 + o).rem_euclid(SPAN as i32) as usize;
            chunk.copy_from_slice(&self.ring[slot]);
        }
        let slot = |o: i32| (centre as i32 + o).rem_euclid(SPAN as i32) as usize;
        let l = LOOKAHEAD as i32;
        for b in 0..2 {
            let at = |o: i32| self.levels[slot(o)][b];
            let here = at(0);
            let max_in = |r: i32| (-r..=r).map(at).fold(f32::NEG_INFINITY, f32::max);
            let min_of = |a: i32, z: i32| (a..=z).map(at).fold(f32::INFINITY, f32::min);
            let k = BASE_FEATURES * OFFSETS.len() + 4 * b;
            features[k] = (here - max_in(3)).max(-30.0);
            features[k + 1] = (here - max_in(l)).max(-30.0);
            features[k + 2] = (here - min_of(-l, 0)).min(30.0);
            features[k + 3] = (here - min_of(0, l)).min(30.0);
        }
        let input = self.inputs[centre]?;
        Some(Stacked {
            time_s: input.time_s,
            speech: input.speech,
            input,
            features,
        })
    }
}

/// The nucleus model: a small neural network over [`FeatureStack`] features
/// (one hidden layer of rectified units, logistic output;
/// [`crate::learn::mlp`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NucleusModel {
    pub name: String,
    pub description: String,
    pub base_features: Vec<String>,
    pub offsets_hops: Vec<i32>,
    pub contour_features: Vec<String>,
    /// The network over the features (its fields stand at this level of the
    /// file: `mean`, `scale`, `hidden_weights`, …).
    #[serde(flatten)]
    pub network: Mlp,
    /// How it was fitted (`tonewatch train nuclei`).
    pub l2: f64,
    pub epochs: usize,
    pub seed: u64,
    /// Speech rate = nuclei found × this / seconds of speech: the detector
    /// misses some nuclei of dense speech (merged vowels, reduced syllables),
    /// about one in seven, so the raw count reads slow. A least-squares scale
    /// from the raw rates to the true syllable rates of the tuning speakers'
    /// clean utterances (1 where a model predates it).
    #[serde(default = "unit")]
    pub rate_scale: f64,
    /// Speakers and hops the model was fitted on.
    pub trained_on: String,
    pub produced_by: String,
}

fn unit() -> f64 {
    1.0
}

#[derive(Debug, thiserror::Error)]
pub enum NucleusModelError {
    #[error("nuclei model: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("nuclei model: {0}")]
    Invalid(String),
}

const BUILTIN_JSON: &str = include_str!("../../models/nuclei.json");

/// The built-in model's [`NucleusModel::rate_scale`]: every speech rate the
/// measures report (windows, whole channel, the caller's baseline) is scaled
/// by it, so rates compare with each other and with the profile norms.
pub fn rate_scale() -> f64 {
    static SCALE: OnceLock<f64> = OnceLock::new();
    *SCALE.get_or_init(|| NucleusModel::builtin().rate_scale)
}

impl NucleusModel {
    /// The model compiled into the binary.
    pub fn builtin() -> Arc<NucleusModel> {
        static MODEL: OnceLock<Arc<NucleusModel>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                // Checked by a unit test; a broken file cannot be shipped.
                Arc::new(Self::from_json(BUILTIN_JSON).expect("built-in nuclei model"))
            })
            .clone()
    }

    pub fn from_json(text: &str) -> Result<Self, NucleusModelError> {
        let m: NucleusModel = serde_json::from_str(text)?;
        if m.base_features != base_feature_names()
            || m.offsets_hops != OFFSETS
            || m.contour_features != contour_feature_names()
        {
            return Err(NucleusModelError::Invalid(
                "made for other features than this build computes".into(),
            ));
        }
        m.network
            .check(N_FEATURES)
            .map_err(NucleusModelError::Invalid)?;
        Ok(m)
    }
}

/// Gaussian smoothing kernel of the contour (sigma = one hop), centred two
/// hops back.
const SMOOTH: [f32; 5] = [0.054, 0.244, 0.404, 0.244, 0.054];
const DELAY: usize = SMOOTH.len() / 2;

/// A judged hop on its way through the contour smoothing.
#[derive(Debug, Clone, Copy)]
struct Judged {
    input: NucleusInput,
    probability: f32,
    /// The clamped log-odds (−6 outside speech).
    logit: f32,
}

#[derive(Debug, Clone, Copy)]
struct Peak {
    time_s: f64,
    db: f32,
    valid: bool,
}

/// Nuclei confirmed at one hop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confirmed {
    /// The summed weights of the pickers that confirmed one (0 to 1).
    pub weight: f32,
    /// When the nucleus was, s (the weighted mean of their peaks' times).
    pub time_s: f64,
}

/// One picker's state.
#[derive(Debug, Clone)]
struct PickerState {
    settings: Picker,
    /// Lowest contour since the last peak.
    valley: f32,
    /// Highest point since the valley, if it rose enough to be a candidate.
    candidate: Option<Peak>,
    last_nucleus: f64,
    /// Highest sonority of a speech hop over the last `reference_s`.
    loudest: SlidingExtreme<f32>,
}

/// Streaming syllable-nucleus detector.
#[derive(Debug, Clone)]
pub struct NucleusDetector {
    params: NucleiParams,
    stack: FeatureStack,
    network: Folded,
    /// The last judged hops, newest last, for the smoothing.
    recent: [Option<Judged>; SMOOTH.len()],
    pickers: [PickerState; PICKERS],
    index: u64,
    last_probability: f32,
}

impl NucleusDetector {
    pub fn new(params: NucleiParams) -> Self {
        Self::with_model(params, &NucleusModel::builtin())
    }

    pub fn with_model(params: NucleiParams, model: &NucleusModel) -> Self {
        let reference_hops = (params.reference_s / HOP_S).round() as u64;
        Self {
            params,
            stack: FeatureStack::new(),
            network: model
                .network
                .folded()
                .expect("checked when the model was read"),
            recent: [None; SMOOTH.len()],
            pickers: params.pickers.map(|settings| PickerState {
                settings,
                valley: f32::INFINITY,
                candidate: None,
                last_nucleus: f64::NEG_INFINITY,
                loudest: SlidingExtreme::max(reference_hops),
            }),
            index: 0,
            last_probability: 0.0,
        }
    }

    /// Nucleus probability of the hop judged last (`LOOKAHEAD` hops back).
    pub fn last_probability(&self) -> f32 {
        self.last_probability
    }

    /// Takes one hop; returns the nuclei confirmed at this hop.
    pub fn push(&mut self, input: NucleusInput) -> Option<Confirmed> {
        let s = self.stack.push(&input)?;
        let z = self.network.logit(&s.features);
        let z = if s.speech { z.clamp(-6.0, 6.0) } else { -6.0 };
        let probability = 1.0 / (1.0 + (-z).exp());
        self.last_probability = probability;
        self.recent.rotate_left(1);
        self.recent[SMOOTH.len() - 1] = Some(Judged {
            input: s.input,
            probability,
            logit: z,
        });
        // The hop at the centre of the kernel is the one decided; the first
        // hops of a stream wait until the kernel is full.
        let x = self.recent[0].and(self.recent[DELAY])?;
        let (mut level, mut logit, mut around) = (0.0f32, 0.0f32, 0.0f32);
        for (r, w) in self.recent.iter().flatten().zip(SMOOTH) {
            level += w * r.input.level_db;
            logit += w * r.logit;
            around = around.max(r.probability);
        }
        let i = self.index;
        self.index += 1;
        let (mut weight, mut time) = (0.0f32, 0.0f64);
        for picker in &mut self.pickers {
            let v = level + picker.settings.sonority_db_per_logit * logit;
            if let Some(t) = picker.decide(&self.params, i, &x.input, v, around) {
                weight += picker.settings.weight;
                time += f64::from(picker.settings.weight) * t;
            }
        }
        (weight > 0.0).then(|| Confirmed {
            weight,
            time_s: time / f64::from(weight),
        })
    }
}

impl PickerState {
    /// Takes the smoothed sonority `v` of hop `i`; returns the time of a
    /// nucleus confirmed at this hop.
    fn decide(
        &mut self,
        shared: &NucleiParams,
        i: u64,
        input: &NucleusInput,
        v: f32,
        probability_around: f32,
    ) -> Option<f64> {
        let p = self.settings;
        if input.speech {
            self.loudest.push(i, v);
        }
        self.loudest.expire(i);
        let reference = self.loudest.get().unwrap_or(f32::NEG_INFINITY);
        let here = Peak {
            time_s: input.time_s,
            db: v,
            valid: input.speech
                && input.periodicity >= shared.min_periodicity
                && probability_around >= p.min_probability
                && v >= input.floor_db + shared.min_above_floor_db
                && v >= reference - shared.max_below_recent_db,
        };
        let mut found = None;
        match self.candidate {
            Some(c) if v > c.db => self.candidate = Some(here),
            Some(c) if v <= c.db - p.dip_db => {
                if c.valid && c.time_s - self.last_nucleus >= p.min_gap_s {
                    self.last_nucleus = c.time_s;
                    found = Some(c.time_s);
                }
                self.candidate = None;
                self.valley = v;
            }
            Some(_) => {}
            None => {
                self.valley = self.valley.min(v);
                if v >= self.valley + p.dip_db {
                    self.candidate = Some(here);
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(t: f64, level: f32, speech: bool) -> NucleusInput {
        NucleusInput {
            time_s: t,
            level_db: level,
            floor_db: -60.0,
            speech,
            periodicity: 0.9,
            balance_db: -10.0,
            flux_db: 2.0,
            shape_db: [-12.0; SHAPE_BANDS],
        }
    }

    #[test]
    fn builtin_model_loads_and_its_fast_path_agrees() {
        let m = NucleusModel::builtin();
        assert!(
            m.network
                .hidden_weights
                .iter()
                .all(|w| w.len() == N_FEATURES)
        );
        let fast = m.network.folded().unwrap();
        // Inputs spread around the training means.
        let mut x = [0.0f32; N_FEATURES];
        for (i, v) in x.iter_mut().enumerate() {
            *v = (m.network.mean[i] + 0.5 * m.network.scale[i] * ((i % 5) as f64 - 2.0)) as f32;
        }
        let exact = m.network.logit(&x.map(f64::from));
        assert!((f64::from(fast.logit(&x)) - exact).abs() < 1e-3 * exact.abs().max(1.0));
    }

    #[test]
    fn a_network_of_the_wrong_shape_is_refused() {
        let mut m = (*NucleusModel::builtin()).clone();
        m.network.output_weights.pop();
        let e = NucleusModel::from_json(&serde_json::to_string(&m).unwrap()).unwrap_err();
        assert!(e.to_string().contains("hidden units"), "{e}");
        let mut m = (*NucleusModel::builtin()).clone();
        m.network.hidden_weights[3].pop();
        let e = NucleusModel::from_json(&serde_json::to_string(&m).unwrap()).unwrap_err();
        assert!(e.to_string().contains("hidden_weights has"), "{e}");
    }

    #[test]
    fn stack_is_lookahead_late_and_places_offsets() {
        let mut s = FeatureStack::new();
        let mut out = Vec::new();
        for i in 0..20 {
            let mut x = input(i as f64 * HOP_S, -30.0, true);
            x.periodicity = i as f32 / 100.0;
            if let Some(st) = s.push(&x) {
                out.push(st);
            }
        }
        assert_eq!(out.len(), 20 - LOOKAHEAD);
        let st = out[10];
        assert!((st.time_s - 10.0 * HOP_S).abs() < 1e-9);
        let per = SHAPE_BANDS + 2;
        for (k, &o) in OFFSETS.iter().enumerate() {
            let want = (10 + o) as f32 / 100.0;
            assert!((st.features[k * BASE_FEATURES + per] - want).abs() < 1e-6);
        }
    }

    /// Nuclei found in a synthetic utterance (syllables of an onset
    /// consonant and a voiced vowel, in phrases between pauses).
    fn count_in_synthetic(rate: f64, seed: u64) -> (f64, usize, f64) {
        use crate::analyzer::{AnalyzerConfig, analyze_samples};
        use crate::audio::synth::{UtteranceSpec, utterance};
        let spec = UtteranceSpec {
            syllables_per_s: rate,
            duration_s: 20.0,
            ..UtteranceSpec::default()
        };
        let (signal, truth) = utterance(8000, seed, &spec);
        let (_, m) = analyze_samples(&signal, 8000, AnalyzerConfig::default()).unwrap();
        (
            m.syllables,
            truth.nuclei_s.len(),
            m.speech_rate_syl_s.unwrap(),
        )
    }

    #[test]
    fn the_reported_rate_is_the_count_calibrated_by_the_model() {
        use crate::analyzer::{AnalyzerConfig, analyze_samples};
        use crate::audio::synth::{UtteranceSpec, utterance};
        let (signal, _) = utterance(8000, 5, &UtteranceSpec::default());
        let (_, m) = analyze_samples(&signal, 8000, AnalyzerConfig::default()).unwrap();
        let k = rate_scale();
        let expected = m.syllables * k / m.speech_s;
        assert!((m.speech_rate_syl_s.unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn counts_the_syllables_of_a_synthetic_voice() {
        for (rate, seed) in [(3.0, 11), (4.5, 12), (6.0, 13)] {
            let (found, truth, _) = count_in_synthetic(rate, seed);
            let err = found / truth as f64 - 1.0;
            assert!(
                err.abs() < 0.2,
                "{rate}/s: {found} nuclei for {truth} syllables"
            );
        }
    }

    #[test]
    fn the_count_is_the_weighted_mean_of_the_pickers_counts() {
        use crate::analyzer::{Analyzer, AnalyzerConfig, Frame};
        use crate::audio::synth::{UtteranceSpec, utterance};
        let spec = UtteranceSpec {
            syllables_per_s: 6.0,
            duration_s: 20.0,
            ..UtteranceSpec::default()
        };
        let (signal, _) = utterance(8000, 41, &spec);
        let mut a = Analyzer::new(8000, AnalyzerConfig::default()).unwrap();
        let mut frames: Vec<Frame> = Vec::new();
        a.process(&signal, &mut frames);
        let count = |params: NucleiParams| -> f64 {
            let mut d = NucleusDetector::new(params);
            frames
                .iter()
                .filter_map(|f| d.push(f.nucleus_input()))
                .map(|c| f64::from(c.weight))
                .sum()
        };
        let committee = NucleiParams::default();
        let alone: Vec<f64> = committee
            .pickers
            .iter()
            .map(|&p| count(NucleiParams::single(p)))
            .collect();
        let mean: f64 = alone
            .iter()
            .zip(&committee.pickers)
            .map(|(n, p)| n * f64::from(p.weight))
            .sum();
        let together = count(committee);
        assert!((together - mean).abs() < 1e-3, "{together} vs {alone:?}");
        // The analyser's frames carry the same count.
        let framed: f64 = frames
            .iter()
            .filter_map(|f| f.nucleus)
            .map(|c| f64::from(c.weight))
            .sum();
        assert!((framed - together).abs() < 1e-3, "{framed} vs {together}");
        eprintln!("pickers alone: {alone:?}, committee {together:.2}");
    }

    #[test]
    fn faster_speech_gives_a_higher_rate() {
        let (_, _, slow) = count_in_synthetic(3.0, 21);
        let (_, _, fast) = count_in_synthetic(6.0, 21);
        assert!(fast > 1.4 * slow, "3/s read {slow:.2}, 6/s read {fast:.2}");
    }

    #[test]
    fn nuclei_are_confirmed_after_the_lookahead_within_a_bounded_delay() {
        use crate::analyzer::{Analyzer, AnalyzerConfig, Frame, Sink};
        use crate::audio::synth::{UtteranceSpec, utterance};
        struct Delays(Vec<f64>);
        impl Sink for Delays {
            fn frame(&mut self, f: &Frame) {
                if let Some(n) = f.nucleus {
                    self.0.push(f.time_s - n.time_s);
                }
            }
        }
        let spec = UtteranceSpec {
            duration_s: 20.0,
            ..UtteranceSpec::default()
        };
        let (signal, _) = utterance(8000, 31, &spec);
        let mut a = Analyzer::new(8000, AnalyzerConfig::default()).unwrap();
        let mut d = Delays(Vec::new());
        a.process(&signal, &mut d);
        let mut v = d.0;
        v.sort_by(f64::total_cmp);
        assert!(v.len() > 40, "{} nuclei", v.len());
        let (min, med, max) = (v[0], v[v.len() / 2], v[v.len() - 1]);
        eprintln!("confirmation delay: min {min:.2} s, median {med:.2} s, max {max:.2} s");
        // Look-ahead plus the smoothing's two hops, at least.
        assert!(min >= (LOOKAHEAD + DELAY) as f64 * HOP_S - 1e-9, "{min}");
        assert!(max < 0.4, "{max}");
    }

    #[test]
    fn non_speech_is_never_a_nucleus() {
        let mut d = NucleusDetector::new(NucleiParams::default());
        let n = (0..300)
            .filter_map(|i| {
                let t = i as f64 * HOP_S;
                let bump = 15.0 * (0.5 - 0.5 * (2.0 * std::f64::consts::PI * 5.0 * t).cos());
                d.push(input(t, (-40.0 + bump) as f32, false))
            })
            .count();
        assert_eq!(n, 0);
    }
}
