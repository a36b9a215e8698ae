//! Offline analysis of recorded calls: decode a file block by block, feed one
//! [`Analyzer`] per channel, and collect a [`FileReport`].
//!
//! Memory does not grow with the audio: the decoder hands out blocks of at
//! most a few thousand frames, the analysers keep fixed state, and each
//! channel's [`Timeline`] keeps only its newest points in memory (the older
//! ones go to a temporary file).

use std::num::NonZeroUsize;
use std::path::Path;

use crate::analyzer::Frame;
use crate::analyzer::{Analyzer, AnalyzerConfig, AnalyzerError, Sink, TimelinePoint};
use crate::audio::decode::{DecodeError, Decoder};
use crate::classify::{Alert, Models};
use crate::cues::{self, CueParams, CueTracker, PartyView, RecoveryTracker};
use crate::report::timeline::Timeline;
use crate::report::{ChannelReport, FileReport, Role, Warning};

/// A DC offset above this (−40 dB re full scale) is worth telling: it is
/// removed before analysis, but it says something is wrong in the recording
/// chain, and it eats headroom, so clipping comes sooner.
pub const DC_WARNING: f64 = 0.01;

/// Clipped samples above this fraction (1 in 1000) are worth telling: a few
/// isolated full-scale peaks are harmless, this many distort level and pitch.
pub const CLIPPING_WARNING: f64 = 0.001;

/// In-memory recordings are fed in blocks of this many frames, as a decoder
/// would hand them out. The results are the same as for one call with the
/// whole recording, but the analyser's working copies stay in the cache
/// instead of growing as long as the recording (4 MB per minute at 16 kHz):
/// their page faults alone cost 3–7 % of the analysis.
const MEMORY_BLOCK_FRAMES: usize = 4096;

/// How to analyse recordings.
#[derive(Debug, Clone)]
pub struct Options {
    pub config: AnalyzerConfig,
    /// Who speaks on channels 0 and 1 of a stereo recording. A mono recording
    /// is always the customer.
    pub stereo_roles: [Role; 2],
    /// Feed the analysers chunks of exactly this many frames (the last one
    /// shorter) instead of the decoder's blocks. The results must not change:
    /// this exists to check that they do not.
    pub chunk_frames: Option<NonZeroUsize>,
    /// The anger model and profile norms (default: the ones compiled in).
    pub models: Models,
    /// Settings of the agent cues of two-party (stereo) recordings.
    pub cues: CueParams,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            config: AnalyzerConfig::default(),
            stereo_roles: [Role::Customer, Role::Agent],
            chunk_frames: None,
            models: Models::builtin(),
            cues: CueParams::default(),
        }
    }
}

/// Collects what one channel's analyser produces.
#[derive(Debug)]
struct Collected {
    timeline: Timeline,
    /// The anger recovery cue, followed as the points come.
    recovery: RecoveryTracker,
    alerts: Vec<Alert>,
    /// Voice activity and level of hops not yet handed to the cue tracker.
    speech: Vec<(bool, f32)>,
    /// Whether to keep `speech` (two-party recordings only).
    cues: bool,
}

impl Sink for Collected {
    fn frame(&mut self, frame: &Frame) {
        if self.cues {
            self.speech.push((frame.speech, frame.level_db));
        }
    }

    fn point(&mut self, point: &TimelinePoint) {
        self.timeline.push(point);
        self.recovery.push(point);
    }

    fn alert(&mut self, alert: &Alert) {
        self.alerts.push(alert.clone());
    }
}

/// Why a recording could not be analysed at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Unreadable, not audio, unsupported, or corrupt beyond use.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The core refused the input (a sample rate it cannot convert).
    #[error("{file}: {source}")]
    Analyzer { file: String, source: AnalyzerError },
    /// An in-memory recording with no channels or more than two.
    #[error("{file}: {channels} channels: tonewatch analyses mono or stereo recordings")]
    Channels { file: String, channels: usize },
}

/// Analyses one recording. Damage that leaves usable audio (a truncated file,
/// skipped corrupt packets) does not fail: the report covers what was decoded
/// and carries a [`Warning::Incomplete`].
pub fn analyze_file(path: &Path, options: &Options) -> Result<FileReport, FileError> {
    let mut decoder = Decoder::open(path)?;
    let info = decoder.info().clone();
    let file = path.display().to_string();
    let mut run = Run::new(&file, info.sample_rate, info.channels, options)?;
    let mut block = vec![Vec::new(); info.channels];
    while decoder.next_block(&mut block)? > 0 {
        run.feed(&block);
    }
    let damage = match decoder.finish() {
        Ok(()) => None,
        Err(e) if e.is_partial() => Some(e),
        Err(e) => return Err(e.into()),
    };
    if decoder.frames_decoded() == 0 {
        return Err(DecodeError::NoAudio {
            path: path.to_path_buf(),
        }
        .into());
    }
    let mut report = run.finish(file, info.codec);
    report.warnings.extend(damage.map(Warning::Incomplete));
    Ok(report)
}

/// Analyses a recording held in memory, one slice per channel (all the same
/// length), as if it were a file called `name`.
pub fn analyze_samples(
    name: &str,
    sample_rate: u32,
    channels: &[&[f32]],
    options: &Options,
) -> Result<FileReport, FileError> {
    let mut run = Run::new(name, sample_rate, channels.len(), options)?;
    let frames = channels.first().map_or(0, |c| c.len());
    let mut block = Vec::with_capacity(channels.len());
    for start in (0..frames).step_by(MEMORY_BLOCK_FRAMES) {
        let end = (start + MEMORY_BLOCK_FRAMES).min(frames);
        block.clear();
        block.extend(channels.iter().map(|c| &c[start..end]));
        run.feed(&block);
    }
    Ok(run.finish(name.to_string(), "in memory".to_string()))
}

/// One recording being analysed.
struct Run {
    sample_rate: u32,
    roles: Vec<Role>,
    analyzers: Vec<Analyzer>,
    timelines: Vec<Collected>,
    chunk_frames: Option<usize>,
    /// Frames not yet fed when re-chunking, per channel.
    pending: Vec<Vec<f32>>,
    frames: u64,
    cues: Option<CueTracker>,
    cue_params: CueParams,
}

impl Run {
    fn new(
        file: &str,
        sample_rate: u32,
        channels: usize,
        options: &Options,
    ) -> Result<Run, FileError> {
        let roles = match channels {
            1 => vec![Role::Customer],
            2 => options.stereo_roles.to_vec(),
            _ => {
                return Err(FileError::Channels {
                    file: file.to_string(),
                    channels,
                });
            }
        };
        let analyzers = roles
            .iter()
            .map(|&role| {
                Analyzer::with_models(sample_rate, options.config, role, options.models.clone())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| FileError::Analyzer {
                file: file.to_string(),
                source,
            })?;
        Ok(Run {
            sample_rate,
            roles,
            analyzers,
            timelines: (0..channels)
                .map(|_| Collected {
                    timeline: Timeline::new(),
                    recovery: RecoveryTracker::new(&options.cues),
                    alerts: Vec::new(),
                    speech: Vec::new(),
                    cues: channels == 2,
                })
                .collect(),
            chunk_frames: options.chunk_frames.map(NonZeroUsize::get),
            pending: vec![Vec::new(); channels],
            frames: 0,
            cues: (channels == 2).then(|| {
                CueTracker::new(CueParams {
                    vad_hangover_s: options.config.vad.hangover_s,
                    ..options.cues
                })
            }),
            cue_params: options.cues,
        })
    }

    /// Hands the hops both channels have analysed to the cue tracker.
    fn hand_over_speech(&mut self) {
        if let Some(tracker) = &mut self.cues {
            for (t, &role) in self.timelines.iter_mut().zip(&self.roles) {
                for &(s, level) in &t.speech {
                    tracker.push(role, s, level);
                }
                t.speech.clear();
            }
        }
    }

    /// Feeds one block: a slice per channel, all the same length.
    fn feed<C: AsRef<[f32]>>(&mut self, block: &[C]) {
        self.frames += block.first().map_or(0, |c| c.as_ref().len()) as u64;
        let Some(n) = self.chunk_frames else {
            for ((a, t), c) in self
                .analyzers
                .iter_mut()
                .zip(&mut self.timelines)
                .zip(block)
            {
                a.process(c.as_ref(), t);
            }
            self.hand_over_speech();
            return;
        };
        for ((a, t), (p, c)) in self
            .analyzers
            .iter_mut()
            .zip(&mut self.timelines)
            .zip(self.pending.iter_mut().zip(block))
        {
            p.extend_from_slice(c.as_ref());
            let whole = p.len() - p.len() % n;
            for chunk in p[..whole].chunks_exact(n) {
                a.process(chunk, t);
            }
            p.drain(..whole);
        }
        self.hand_over_speech();
    }

    fn finish(mut self, file: String, codec: String) -> FileReport {
        let mut warnings = Vec::new();
        let mut channels = Vec::new();
        let mut recoveries = Vec::new();
        for (((mut a, mut collected), rest), role) in self
            .analyzers
            .into_iter()
            .zip(self.timelines)
            .zip(self.pending.iter_mut())
            .zip(self.roles)
        {
            a.process(rest, &mut collected);
            a.finish(&mut collected);
            if let Some(tracker) = &mut self.cues {
                for &(s, level) in &collected.speech {
                    tracker.push(role, s, level);
                }
            }
            let health = a.health();
            let offset = health.dc_offset();
            if offset.abs() >= DC_WARNING {
                warnings.push(Warning::DcOffset { role, offset });
            }
            let fraction = health.clipped_fraction();
            if fraction >= CLIPPING_WARNING {
                warnings.push(Warning::Clipping { role, fraction });
            }
            recoveries.push((role, collected.recovery.finish()));
            channels.push(ChannelReport {
                role,
                summary: a.summary(),
                profile: a.profile(),
                timeline: collected.timeline,
                alerts: collected.alerts,
            });
        }
        let cues = self.cues.map(|tracker| {
            let turns = tracker.finish();
            let view = |role| {
                let c = channels.iter().find(|c: &&ChannelReport| c.role == role)?;
                let (_, recovery) = recoveries.iter().find(|(r, _)| *r == role)?;
                Some(PartyView {
                    summary: &c.summary,
                    profile: &c.profile,
                    recovery: recovery.clone(),
                    alerts: &c.alerts,
                })
            };
            // Stereo roles are always one customer and one agent.
            let (customer, agent) = (view(Role::Customer), view(Role::Agent));
            customer
                .zip(agent)
                .map(|(c, a)| cues::whole_call(turns, &c, &a, &self.cue_params))
        });
        FileReport {
            file,
            duration_s: self.frames as f64 / f64::from(self.sample_rate),
            sample_rate: self.sample_rate,
            codec,
            channels,
            cues: cues.flatten(),
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::synth;

    #[test]
    fn a_long_call_reports_every_point_the_core_made() {
        // 10 minutes: more points than the timeline keeps in memory.
        let call: Vec<f32> = synth::demo_call(8000).repeat(15);
        let options = Options::default();
        let report = analyze_samples("long", 8000, &[&call], &options).unwrap();
        let mut a =
            Analyzer::with_models(8000, options.config, Role::Customer, options.models.clone())
                .unwrap();
        let mut expected: Vec<TimelinePoint> = Vec::new();
        a.process(&call, &mut expected);
        a.finish(&mut expected);
        let timeline = &report.channels[0].timeline;
        assert!(expected.len() > crate::report::timeline::RECENT_POINTS);
        let got: Vec<TimelinePoint> = timeline.points().map(Result::unwrap).collect();
        assert_eq!(got.len(), expected.len());
        assert!(
            got == expected,
            "the points read back differ from the core's"
        );
        let peak = expected
            .iter()
            .filter_map(|p| p.anger_score)
            .reduce(f64::max);
        assert_eq!(timeline.peak_anger(), peak);
    }
}
