//! The streaming core: one channel's audio in, frames and timeline points out.
//!
//! Every mode feeds this: offline files, real-time replay and live capture. It
//! takes chunks of any size at the input rate, converts them to the analysis
//! rate, and runs the per-hop pipeline (spectrum, level, voice activity, pitch,
//! syllable nuclei). Every output at time `t` depends only on audio before `t`,
//! and the outputs do not depend on how the input was cut into chunks: the
//! resampler gathers fixed blocks and the pipeline works on fixed hops.
//!
//! No I/O, no clocks, no randomness: the same samples give the same results.

use std::sync::Arc;

use crate::Role;
use crate::audio::resample::{ResampleError, StreamResampler};
use crate::classify::model::AngerModel;
use crate::classify::{Alert, AngerState, Models, MonitorParams, PartyMonitor, Profile};
use crate::dsp::filter::Cascade;
use crate::dsp::level::{EnvelopeFollower, HopLevel};
use crate::dsp::nuclei::{Confirmed, NucleiParams, NucleusDetector, NucleusInput};
use crate::dsp::pitch::{self, Candidates, PitchAnalyzer, PitchTracker, TrackerParams};
use crate::dsp::spectrum::{self, BandMeasures, SpectrumAnalyzer};
use crate::dsp::vad::{VadParams, VoiceActivity};
use crate::measures::{
    ChannelAccumulator, HopRecord, Measures, WindowMeasurer, hz_to_st, st_to_hz,
};
use crate::{ANALYSIS_RATE, HOP, HOP_S};

/// Hops between judgements of the caller's style.
const PROFILE_EVERY_HOPS: u64 = 100;

/// Samples of history the per-hop analyses look at.
const HISTORY: usize = if pitch::FRAME > spectrum::FRAME {
    pitch::FRAME
} else {
    spectrum::FRAME
};

/// Settings of the core. The defaults are what the figures in the README were
/// measured with.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzerConfig {
    /// Length of the sliding window of the timeline measures, s.
    pub window_s: f64,
    /// Time between timeline points, s.
    pub update_s: f64,
    /// Length of the window the anger score is computed on, s: shorter than
    /// the display window, so that an alert does not wait for calm speech
    /// to leave a long window.
    pub anger_window_s: f64,
    /// Corner of the front-end high-pass that removes DC and hum, Hz.
    pub highpass_hz: f64,
    pub vad: VadParams,
    pub tracker: TrackerParams,
    pub nuclei: NucleiParams,
    pub monitor: MonitorParams,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            window_s: 3.0,
            update_s: 0.25,
            anger_window_s: 2.0,
            highpass_hz: 60.0,
            vad: VadParams::default(),
            tracker: TrackerParams::default(),
            nuclei: NucleiParams::default(),
            monitor: MonitorParams::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzerError {
    #[error("invalid analyzer setting: {0}")]
    Config(String),
    #[error(transparent)]
    Resample(#[from] ResampleError),
}

/// Features of one 10 ms hop. `time_s` is the end of the hop: the moment the
/// features become known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub index: u64,
    pub time_s: f64,
    /// Level in the telephone band (300–3400 Hz) over the last 32 ms, dBFS.
    pub level_db: f32,
    pub noise_floor_db: f32,
    pub speech: bool,
    pub f0_hz: Option<f32>,
    /// Strongest normalised correlation among the F0 candidates (periodicity).
    pub periodicity: f32,
    pub spectral_balance_db: f32,
    pub spectral_flux_db: f32,
    /// Level in the vowel band (300–2300 Hz), dBFS: the syllable envelope.
    pub vowel_band_db: f32,
    /// Spectral shape (see [`BandMeasures`]).
    pub shape_db: [f32; spectrum::SHAPE_BANDS],
    /// Syllable nuclei confirmed at this hop (their weight and earlier time).
    pub nucleus: Option<Confirmed>,
}

impl Frame {
    /// What the syllable-nucleus detector was given for this hop.
    pub fn nucleus_input(&self) -> NucleusInput {
        NucleusInput {
            time_s: self.time_s,
            level_db: self.level_db,
            floor_db: self.noise_floor_db,
            speech: self.speech,
            periodicity: self.periodicity,
            balance_db: self.spectral_balance_db,
            flux_db: self.spectral_flux_db,
            shape_db: self.shape_db,
        }
    }
}

/// Window measures and the party's assessment at a moment of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePoint {
    /// End of the window: the moment a live monitor shows this point.
    pub time_s: f64,
    pub measures: Measures,
    /// Anger score in [0, 1] relative to the party's baseline (`None` while
    /// learning it, or with too little speech in the window).
    pub anger_score: Option<f64>,
    pub state: AngerState,
}

/// The party's calm baseline in report units: what a live view compares the
/// current window with.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BaselineMeasures {
    pub speech_rate_syl_s: Option<f64>,
    pub active_level_dbfs: Option<f64>,
    pub pitch_median_hz: Option<f64>,
    pub pitch_sd_st: Option<f64>,
}

/// Receives what the core produces. Methods have empty defaults so a sink
/// implements only what it uses.
pub trait Sink {
    fn frame(&mut self, _frame: &Frame) {}
    fn point(&mut self, _point: &TimelinePoint) {}
    fn alert(&mut self, _alert: &Alert) {}
}

/// A sink that keeps the timeline points.
impl Sink for Vec<TimelinePoint> {
    fn point(&mut self, point: &TimelinePoint) {
        self.push(point.clone());
    }
}

/// A sink that keeps the per-hop frames.
impl Sink for Vec<Frame> {
    fn frame(&mut self, frame: &Frame) {
        self.push(*frame);
    }
}

/// A sink that ignores everything (for benchmarks and summaries only).
pub struct NullSink;
impl Sink for NullSink {}

/// Facts about the input signal itself, for warnings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InputHealth {
    pub samples: u64,
    /// Samples at or beyond ±0.999 of full scale.
    pub clipped: u64,
    /// NaN or infinite samples (replaced by 0).
    pub non_finite: u64,
    /// Sum of samples, for the DC offset.
    sum: f64,
}

impl InputHealth {
    pub fn dc_offset(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.sum / self.samples as f64
        }
    }

    pub fn clipped_fraction(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.clipped as f64 / self.samples as f64
        }
    }
}

/// The streaming analyser of one channel.
pub struct Analyzer {
    config: AnalyzerConfig,
    input_rate: u32,
    resampler: StreamResampler,
    resampled: Vec<f32>,
    /// Clean copy of the current chunk (non-finite samples replaced).
    cleaned: Vec<f32>,
    frontend: Cascade,
    /// The last HISTORY filtered samples, oldest first.
    history: Vec<f32>,
    /// Filtered samples of the hop being filled.
    pending: usize,
    hop_index: u64,
    envelope: EnvelopeFollower,
    spectrum: SpectrumAnalyzer,
    vad: VoiceActivity,
    pitch: PitchAnalyzer,
    candidates: Candidates,
    tracker: PitchTracker,
    nuclei: NucleusDetector,
    /// Spectral shape of the previous hop if it was voiced speech.
    last_voiced_shape: Option<[f32; spectrum::SHAPE_BANDS]>,
    window: WindowMeasurer,
    anger_window: WindowMeasurer,
    channel: ChannelAccumulator,
    monitor: PartyMonitor,
    update_hops: u64,
    last_point_hop: u64,
    health: InputHealth,
    finished: bool,
}

impl Analyzer {
    /// An analyser of a customer channel with the built-in anger model.
    pub fn new(input_rate: u32, config: AnalyzerConfig) -> Result<Self, AnalyzerError> {
        Self::for_party(input_rate, config, Role::Customer, AngerModel::builtin())
    }

    /// An analyser of a channel spoken by `role`, scored with `model` (and
    /// the built-in profile norms).
    pub fn for_party(
        input_rate: u32,
        config: AnalyzerConfig,
        role: Role,
        model: Arc<AngerModel>,
    ) -> Result<Self, AnalyzerError> {
        Self::with_models(
            input_rate,
            config,
            role,
            Models::builtin().with_anger_model(model),
        )
    }

    /// An analyser of a channel spoken by `role`, classified with `models`.
    pub fn with_models(
        input_rate: u32,
        config: AnalyzerConfig,
        role: Role,
        models: Models,
    ) -> Result<Self, AnalyzerError> {
        if !(config.window_s >= HOP_S && config.window_s <= 600.0) {
            return Err(AnalyzerError::Config(format!(
                "window of {} s (use 0.01–600 s)",
                config.window_s
            )));
        }
        if !(config.anger_window_s >= HOP_S && config.anger_window_s <= 600.0) {
            return Err(AnalyzerError::Config(format!(
                "anger window of {} s (use 0.01–600 s)",
                config.anger_window_s
            )));
        }
        if !(config.update_s >= HOP_S && config.update_s <= 600.0) {
            return Err(AnalyzerError::Config(format!(
                "update interval of {} s (use 0.01–600 s)",
                config.update_s
            )));
        }
        let resampler = StreamResampler::new(input_rate, ANALYSIS_RATE)?;
        Ok(Self {
            input_rate,
            resampler,
            resampled: Vec::new(),
            cleaned: Vec::new(),
            frontend: Cascade::butter_highpass(2, config.highpass_hz, ANALYSIS_RATE as f64),
            history: vec![0.0; HISTORY],
            pending: 0,
            hop_index: 0,
            envelope: EnvelopeFollower::new(),
            spectrum: SpectrumAnalyzer::new(),
            vad: VoiceActivity::new(config.vad),
            pitch: PitchAnalyzer::new(),
            candidates: Candidates::default(),
            tracker: PitchTracker::new(config.tracker),
            nuclei: NucleusDetector::new(config.nuclei),
            last_voiced_shape: None,
            window: WindowMeasurer::new((config.window_s / HOP_S).round() as usize),
            anger_window: WindowMeasurer::new((config.anger_window_s / HOP_S).round() as usize),
            channel: ChannelAccumulator::new(),
            monitor: PartyMonitor::new(role, models, config.monitor),
            update_hops: (config.update_s / HOP_S).round() as u64,
            last_point_hop: 0,
            health: InputHealth::default(),
            finished: false,
            config,
        })
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// Seconds of input analysed so far (complete hops).
    pub fn time_s(&self) -> f64 {
        self.hop_index as f64 * HOP_S
    }

    pub fn health(&self) -> InputHealth {
        self.health
    }

    /// Whole-channel measures so far.
    pub fn summary(&self) -> Measures {
        self.channel.measures()
    }

    /// The party's calm baseline, once learnt (`None` while learning).
    pub fn baseline(&self) -> Option<BaselineMeasures> {
        self.monitor.baseline().map(|r| BaselineMeasures {
            speech_rate_syl_s: r.speech_rate_syl_s,
            active_level_dbfs: r.level_dbfs,
            pitch_median_hz: r.features.0[crate::classify::features::PITCH].map(st_to_hz),
            pitch_sd_st: r.features.0[crate::classify::features::PITCH_SD],
        })
    }

    /// The party's communication style so far (`undetermined` until settled).
    pub fn profile(&self) -> Profile {
        self.monitor.profile(&self.channel.measures())
    }

    /// Reserves buffers for chunks of up to `max_chunk` input samples so that
    /// [`Self::process`] does not allocate afterwards (for real-time callers).
    pub fn reserve(&mut self, max_chunk: usize) {
        let out = self.resampler.output_frames_max(max_chunk);
        self.resampled
            .reserve(out.saturating_sub(self.resampled.len()));
        self.cleaned
            .reserve(max_chunk.saturating_sub(self.cleaned.len()));
    }

    /// Feeds a chunk of samples (any length, at the input rate, nominally in
    /// [-1, 1]). Frames and points completed by it go to `sink`.
    pub fn process<S: Sink + ?Sized>(&mut self, chunk: &[f32], sink: &mut S) {
        if self.finished {
            return;
        }
        // One pass for the health counters; a copy only when there are
        // samples to replace (NaN or infinite), which is rare.
        let mut sum = 0.0f64;
        let mut clipped = 0u64;
        let mut finite = true;
        for &x in chunk {
            finite &= x.is_finite();
            sum += x as f64;
            clipped += (x.abs() >= 0.999) as u64;
        }
        self.health.samples += chunk.len() as u64;
        self.health.clipped += clipped;
        self.resampled.clear();
        if finite {
            self.health.sum += sum;
            self.resampler.process(chunk, &mut self.resampled);
        } else {
            self.cleaned.clear();
            for &x in chunk {
                let x = if x.is_finite() {
                    x
                } else {
                    self.health.non_finite += 1;
                    0.0
                };
                self.health.sum += x as f64;
                self.cleaned.push(x);
            }
            self.resampler.process(&self.cleaned, &mut self.resampled);
        }
        self.consume_resampled(sink);
    }

    /// Ends the stream: flushes the resampler, analyses the last complete hop
    /// and emits a final timeline point at the end. Further input is ignored.
    pub fn finish<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        if self.finished {
            return;
        }
        self.resampled.clear();
        self.resampler.flush(&mut self.resampled);
        self.consume_resampled(sink);
        if self.hop_index > self.last_point_hop {
            self.emit_point(sink);
        }
        self.finished = true;
    }

    fn consume_resampled<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        let mut start = 0;
        while start < self.resampled.len() {
            let take = (HOP - self.pending).min(self.resampled.len() - start);
            let h = HISTORY;
            // Append filtered samples at the end of the history, which is
            // shifted by a whole hop once the hop is complete.
            for k in 0..take {
                let y = self.frontend.process(self.resampled[start + k]);
                self.history[h - HOP + self.pending + k] = y;
            }
            self.pending += take;
            start += take;
            if self.pending == HOP {
                self.run_hop(sink);
                self.history.copy_within(HOP.., 0);
                self.pending = 0;
            }
        }
    }

    fn run_hop<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        let h = HISTORY;
        let index = self.hop_index;
        self.hop_index += 1;
        let time_s = self.hop_index as f64 * HOP_S;

        let level: HopLevel = self.envelope.push(&self.history[h - HOP..]);
        let bands: BandMeasures = self.spectrum.analyze(&self.history[h - spectrum::FRAME..]);
        let activity = self.vad.push(bands.level_db);
        // Pitch is the costliest stage and means nothing outside speech (the
        // tracker is forced unvoiced there): skip it.
        if activity.speech {
            self.pitch
                .analyze(&self.history[h - pitch::FRAME..], &mut self.candidates);
        } else {
            self.candidates.clear();
        }
        let f0 = self
            .tracker
            .push(&self.candidates, activity.speech, bands.level_db);
        let voiced = f0.is_some() && activity.speech;
        let mut frame = Frame {
            index,
            time_s,
            level_db: bands.level_db,
            noise_floor_db: activity.floor_db,
            speech: activity.speech,
            f0_hz: f0.filter(|_| voiced),
            periodicity: self.candidates.best_strength(),
            spectral_balance_db: bands.balance_db,
            spectral_flux_db: bands.flux_db,
            vowel_band_db: bands.vowel_band_db,
            shape_db: bands.shape_db,
            nucleus: None,
        };
        let nucleus = self.nuclei.push(frame.nucleus_input());
        frame.nucleus = nucleus;
        sink.frame(&frame);

        let shape_change_db = match (&self.last_voiced_shape, voiced) {
            (Some(prev), true) => Some(
                prev.iter()
                    .zip(&bands.shape_db)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f32>()
                    / spectrum::SHAPE_BANDS as f32,
            ),
            _ => None,
        };
        self.last_voiced_shape = voiced.then_some(bands.shape_db);
        let record = HopRecord {
            speech: activity.speech,
            f0_st: frame.f0_hz.map(|f| hz_to_st(f as f64) as f32),
            nucleus_weight: nucleus.map_or(0.0, |n| n.weight),
            level,
            balance_db: bands.balance_db,
            periodicity: frame.periodicity,
            flux_db: bands.flux_db,
            shape_db: bands.shape_db,
            shape_change_db,
        };
        self.window.push(record);
        self.anger_window.push(record);
        self.channel.push(&record);
        self.monitor.push_hop(&record);

        if self.hop_index - self.last_point_hop >= self.update_hops {
            self.emit_point(sink);
        }
    }

    fn emit_point<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        self.last_point_hop = self.hop_index;
        let time_s = self.time_s();
        let measures = self.window.measures();
        let (assessment, alert) = self.monitor.assess(time_s, &self.anger_window.measures());
        let point = TimelinePoint {
            time_s,
            measures,
            anger_score: assessment.anger_score,
            state: assessment.state,
        };
        sink.point(&point);
        if let Some(alert) = alert {
            sink.alert(&alert);
        }
        // The style is a long-term trait: judging it once a second is plenty.
        if self.hop_index.is_multiple_of(PROFILE_EVERY_HOPS)
            && let Some(alert) = self
                .monitor
                .update_profile(time_s, &self.channel.measures())
        {
            sink.alert(&alert);
        }
    }
}

/// Analyses a whole buffer at once (tests and tools): returns the timeline
/// and the whole-channel measures.
pub fn analyze_samples(
    samples: &[f32],
    rate: u32,
    config: AnalyzerConfig,
) -> Result<(Vec<TimelinePoint>, Measures), AnalyzerError> {
    let mut a = Analyzer::new(rate, config)?;
    let mut points = Vec::new();
    a.process(samples, &mut points);
    a.finish(&mut points);
    Ok((points, a.summary()))
}
