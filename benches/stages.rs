//! Cost of each stage of the per-hop pipeline, per 10 ms hop.
//!
//! Every stage is fed real inputs: 10 s of a synthetic utterance is taken
//! through the whole chain once up front, and each benchmark then cycles
//! through the recorded inputs of its own stage, one hop per iteration, so the
//! time criterion reports is the cost of one hop of that stage. Stateful
//! stages keep their state across the cycle, as they would in a long call.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tonewatch::audio::resample::StreamResampler;
use tonewatch::audio::synth::{self, UtteranceSpec};
use tonewatch::dsp::filter::Cascade;
use tonewatch::dsp::level::{EnvelopeFollower, HopLevel};
use tonewatch::dsp::nuclei::{NucleiParams, NucleusDetector, NucleusInput};
use tonewatch::dsp::pitch::{self, Candidates, PitchAnalyzer, PitchTracker, TrackerParams};
use tonewatch::dsp::spectrum::{self, SpectrumAnalyzer};
use tonewatch::dsp::vad::{VadParams, VoiceActivity};
use tonewatch::measures::{ChannelAccumulator, HopRecord, WindowMeasurer, hz_to_st};
use tonewatch::{ANALYSIS_RATE, HOP, HOP_S};

const SECONDS: f64 = 10.0;
const SEED: u64 = 42;
/// The analyser's default window: 3 s.
const WINDOW_HOPS: usize = 300;

fn speech(rate: u32) -> Vec<f32> {
    let spec = UtteranceSpec {
        duration_s: SECONDS,
        ..UtteranceSpec::default()
    };
    synth::utterance(rate, SEED, &spec).0
}

/// Every stage's input at every hop of the utterance, in pipeline order.
struct Recorded {
    /// Filtered samples at the analysis rate.
    filtered: Vec<f32>,
    /// End (exclusive) in `filtered` of each hop that has a full pitch frame.
    ends: Vec<usize>,
    levels_db: Vec<f32>,
    candidates: Vec<Candidates>,
    speech: Vec<bool>,
    nuclei: Vec<NucleusInput>,
    records: Vec<HopRecord>,
}

fn record() -> Recorded {
    let mut filtered = speech(ANALYSIS_RATE);
    Cascade::butter_highpass(2, 60.0, ANALYSIS_RATE as f64).process_in_place(&mut filtered);
    let ends: Vec<usize> = (1..=filtered.len() / HOP)
        .map(|k| k * HOP)
        .filter(|&end| end >= pitch::FRAME)
        .collect();
    let mut envelope = EnvelopeFollower::new();
    let mut spec = SpectrumAnalyzer::new();
    let mut vad = VoiceActivity::new(VadParams::default());
    let mut pa = PitchAnalyzer::new();
    let mut tracker = PitchTracker::new(TrackerParams::default());
    let mut nuclei = NucleusDetector::new(NucleiParams::default());
    let mut r = Recorded {
        filtered: Vec::new(),
        ends: ends.clone(),
        levels_db: Vec::new(),
        candidates: Vec::new(),
        speech: Vec::new(),
        nuclei: Vec::new(),
        records: Vec::new(),
    };
    for (k, &end) in ends.iter().enumerate() {
        let level: HopLevel = envelope.push(&filtered[end - HOP..end]);
        let bands = spec.analyze(&filtered[end - spectrum::FRAME..end]);
        let activity = vad.push(bands.level_db);
        let mut c = Candidates::default();
        pa.analyze(&filtered[end - pitch::FRAME..end], &mut c);
        let f0 = tracker.push(&c, activity.speech, bands.level_db);
        let input = NucleusInput {
            time_s: (k + 1) as f64 * HOP_S,
            level_db: bands.level_db,
            floor_db: activity.floor_db,
            speech: activity.speech,
            periodicity: c.best_strength(),
            balance_db: bands.balance_db,
            flux_db: bands.flux_db,
            shape_db: bands.shape_db,
        };
        let nucleus = nuclei.push(input);
        r.records.push(HopRecord {
            speech: activity.speech,
            f0_st: f0
                .filter(|_| activity.speech)
                .map(|f| hz_to_st(f as f64) as f32),
            nucleus_weight: nucleus.map_or(0.0, |n| n.weight),
            level,
            balance_db: bands.balance_db,
            periodicity: c.best_strength(),
            flux_db: bands.flux_db,
            shape_db: bands.shape_db,
            shape_change_db: None,
        });
        r.levels_db.push(bands.level_db);
        r.candidates.push(c);
        r.speech.push(activity.speech);
        r.nuclei.push(input);
    }
    r.filtered = filtered;
    r
}

/// Index of the next recorded hop, wrapping around.
struct Cycle {
    i: usize,
    n: usize,
    laps: usize,
}

impl Cycle {
    fn new(n: usize) -> Self {
        Self { i: 0, n, laps: 0 }
    }

    fn next(&mut self) -> usize {
        let i = self.i;
        self.i += 1;
        if self.i == self.n {
            self.i = 0;
            self.laps += 1;
        }
        i
    }
}

fn resampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("resample_per_10ms");
    for rate in [22_050u32, 16_000] {
        let input = speech(rate);
        // 10 ms of input per call; 22.05 kHz alternates 220 and 221 samples.
        let bounds: Vec<usize> = (0..=input.len() * 100 / rate as usize)
            .map(|k| k * rate as usize / 100)
            .collect();
        let chunks: Vec<&[f32]> = bounds.windows(2).map(|w| &input[w[0]..w[1]]).collect();
        let mut r = StreamResampler::new(rate, ANALYSIS_RATE).unwrap();
        let mut out = Vec::with_capacity(r.output_frames_max(input.len()));
        let mut cycle = Cycle::new(chunks.len());
        g.bench_function(format!("{}_to_8000", rate), |b| {
            b.iter(|| {
                out.clear();
                r.process(black_box(chunks[cycle.next()]), &mut out);
                black_box(out.len())
            })
        });
    }
    g.finish();
}

fn stages(c: &mut Criterion) {
    let r = record();
    let n = r.ends.len();
    let mut g = c.benchmark_group("stage_per_hop");

    {
        let mut hp = Cascade::butter_highpass(2, 60.0, ANALYSIS_RATE as f64);
        let raw = speech(ANALYSIS_RATE);
        let mut hop = [0.0f32; HOP];
        let mut cycle = Cycle::new(raw.len() / HOP);
        g.bench_function("highpass", |b| {
            b.iter(|| {
                let k = cycle.next() * HOP;
                for (y, &x) in hop.iter_mut().zip(&raw[k..k + HOP]) {
                    *y = hp.process(x);
                }
                black_box(&hop);
            })
        });
    }
    {
        let mut envelope = EnvelopeFollower::new();
        let mut cycle = Cycle::new(n);
        g.bench_function("p56_envelope", |b| {
            b.iter(|| {
                let end = r.ends[cycle.next()];
                black_box(envelope.push(&r.filtered[end - HOP..end]))
            })
        });
    }
    {
        let mut spec = SpectrumAnalyzer::new();
        let mut cycle = Cycle::new(n);
        g.bench_function("spectrum", |b| {
            b.iter(|| {
                let end = r.ends[cycle.next()];
                black_box(spec.analyze(&r.filtered[end - spectrum::FRAME..end]))
            })
        });
    }
    {
        let mut vad = VoiceActivity::new(VadParams::default());
        let mut cycle = Cycle::new(n);
        g.bench_function("voice_activity", |b| {
            b.iter(|| black_box(vad.push(r.levels_db[cycle.next()])))
        });
    }
    {
        let mut pa = PitchAnalyzer::new();
        let mut out = Candidates::default();
        let mut cycle = Cycle::new(n);
        g.bench_function("pitch_candidates", |b| {
            b.iter(|| {
                let end = r.ends[cycle.next()];
                pa.analyze(&r.filtered[end - pitch::FRAME..end], &mut out);
                black_box(&out);
            })
        });
    }
    {
        let mut tracker = PitchTracker::new(TrackerParams::default());
        let mut cycle = Cycle::new(n);
        g.bench_function("pitch_tracking", |b| {
            b.iter(|| {
                let k = cycle.next();
                black_box(tracker.push(&r.candidates[k], r.speech[k], r.levels_db[k]))
            })
        });
    }
    {
        let mut nuclei = NucleusDetector::new(NucleiParams::default());
        let mut cycle = Cycle::new(n);
        let lap_s = n as f64 * HOP_S;
        g.bench_function("syllable_nuclei", |b| {
            b.iter(|| {
                let laps = cycle.laps;
                let mut input = r.nuclei[cycle.next()];
                // Time must keep increasing or the minimum gap rejects every nucleus.
                input.time_s += laps as f64 * lap_s;
                black_box(nuclei.push(input))
            })
        });
    }
    {
        // What the analyser does with every hop's record: the window ring and
        // the whole-channel histograms.
        let mut window = WindowMeasurer::new(WINDOW_HOPS);
        let mut channel = ChannelAccumulator::new();
        let mut cycle = Cycle::new(n);
        g.bench_function("measures_push", |b| {
            b.iter(|| {
                let rec = r.records[cycle.next()];
                window.push(rec);
                channel.push(&rec);
            })
        });
    }
    g.finish();

    // Computed once per timeline point (every 25 hops by default), over a
    // full window: a 25th of this is its share of each hop.
    let mut g = c.benchmark_group("window_measures");
    let mut window = WindowMeasurer::new(WINDOW_HOPS);
    for rec in r.records.iter().cycle().take(WINDOW_HOPS) {
        window.push(*rec);
    }
    g.bench_function("per_update", |b| b.iter(|| black_box(window.measures())));
    g.finish();
}

fn config() -> Criterion {
    // The stages take nanoseconds to microseconds: short runs are enough, and
    // keep the whole suite to a couple of minutes on a shared machine.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = resampling, stages
}
criterion_main!(benches);
