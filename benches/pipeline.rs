//! The whole pipeline over 10 s of synthetic speech: the streaming core alone,
//! and the offline path from decoded samples to the JSON text.
//!
//! Throughput is in hops (10 ms of audio), so criterion's "elem/s" divided by
//! 100 is the real-time factor.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tonewatch::analyzer::{Analyzer, AnalyzerConfig, NullSink};
use tonewatch::audio::synth::{self, UtteranceSpec};
use tonewatch::offline::{self, Options};

const SECONDS: f64 = 10.0;
const HOPS: u64 = (SECONDS * 100.0) as u64;

fn speech(rate: u32, seed: u64) -> Vec<f32> {
    let spec = UtteranceSpec {
        duration_s: SECONDS,
        ..UtteranceSpec::default()
    };
    synth::utterance(rate, seed, &spec).0
}

fn analyzer(c: &mut Criterion) {
    let mut g = c.benchmark_group("analyzer_10s");
    g.throughput(Throughput::Elements(HOPS));
    for rate in [8000u32, 16_000, 22_050] {
        let x = speech(rate, 1);
        // Construction (FFT plans) is measured on its own below.
        g.bench_function(format!("{rate}"), |b| {
            b.iter_batched_ref(
                || Analyzer::new(rate, AnalyzerConfig::default()).unwrap(),
                |a| {
                    a.process(black_box(&x), &mut NullSink);
                    a.finish(&mut NullSink);
                    a.summary()
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    let mut g = c.benchmark_group("analyzer_new");
    for rate in [8000u32, 16_000, 22_050] {
        g.bench_function(format!("{rate}"), |b| {
            b.iter(|| Analyzer::new(black_box(rate), AnalyzerConfig::default()).unwrap())
        });
    }
    g.finish();
}

fn offline_json(c: &mut Criterion) {
    let rate = 16_000;
    let customer = speech(rate, 1);
    let agent = speech(rate, 2);
    let options = Options::default();
    let run = |channels: &[&[f32]]| {
        let report = offline::analyze_samples("bench", rate, channels, &options).unwrap();
        serde_json::to_string(&report).unwrap()
    };

    let mut g = c.benchmark_group("offline_to_json_10s");
    g.throughput(Throughput::Elements(HOPS));
    g.bench_function("16000_mono", |b| b.iter(|| run(black_box(&[&customer]))));
    g.bench_function("16000_stereo", |b| {
        b.iter(|| run(black_box(&[&customer, &agent])))
    });
    g.finish();

    let mut g = c.benchmark_group("json_only_10s");
    let report = offline::analyze_samples("bench", rate, &[&customer], &options).unwrap();
    g.bench_function("16000_mono", |b| {
        b.iter(|| serde_json::to_string(black_box(&report)).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = analyzer, offline_json
}
criterion_main!(benches);
