//! Development tool, not part of the product. Per EmoDB utterance (clean and
//! telephone), the truth rate, the detected speech time and the nucleus count
//! of one peak-picker at each setting of a grid, as CSV: what the committee
//! of pickers in `NucleiParams::default` was chosen from (forward selection on
//! the tuning half of the speakers, in Python on this file).
//! With a tempo factor, each utterance is first sped up or slowed down by it
//! (WSOLA, pitch kept) and the truth rate multiplied by it: how each setting
//! follows a change of pace.
//! Usage: cargo run --release --example grid_counts [TEMPO] > grid.csv

use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Frame};
use tonewatch::audio::telephone::{RATE, telephone_channel};
use tonewatch::dsp::nuclei::{NucleiParams, NucleusDetector, Picker};
use tonewatch::eval::modify::modify;
use tonewatch::eval::{corpus, rate};

fn main() {
    let data = corpus::data_dir().expect("corpus data");
    let tempo: f64 = std::env::args()
        .nth(1)
        .map_or(1.0, |t| t.parse().expect("a tempo factor"));
    let mut grid = Vec::new();
    for sonority in [0.5f32, 1.0, 2.0] {
        for dip in [0.5f32, 1.0, 1.5, 2.5] {
            for min_probability in [0.2f32, 0.3, 0.4] {
                for min_gap_s in [0.05, 0.07, 0.09] {
                    grid.push(Picker {
                        sonority_db_per_logit: sonority,
                        dip_db: dip,
                        min_probability,
                        min_gap_s,
                        weight: 1.0,
                    });
                }
            }
        }
    }
    let mut head = "file,speaker,version,truth_rate,speech_s".to_string();
    for g in &grid {
        head += &format!(
            ",s{}_d{}_p{}_g{}",
            g.sonority_db_per_logit, g.dip_db, g.min_probability, g.min_gap_s
        );
    }
    println!("{head}");
    for t in rate::truth_utterances(&data, |_| true).expect("utterances") {
        let t = t.expect("utterance");
        let samples = if tempo == 1.0 {
            t.samples.clone()
        } else {
            modify(&t.samples, t.rate, tempo, 1.0)
        };
        let tel = telephone_channel(&samples, t.rate).unwrap();
        for (version, sig, r) in [("clean", &samples, t.rate), ("tel", &tel, RATE)] {
            let mut a = Analyzer::new(r, AnalyzerConfig::default()).unwrap();
            let mut sink = Vec::<Frame>::new();
            a.process(sig, &mut sink);
            a.finish(&mut sink);
            let speech = sink.iter().filter(|f| f.speech).count() as f64 * tonewatch::HOP_S;
            let mut line = format!(
                "{},{},{version},{:.4},{speech:.3}",
                t.utterance.file_name(),
                t.utterance.speaker,
                tempo * t.syllables as f64 / t.duration_s
            );
            for g in &grid {
                let mut det = NucleusDetector::new(NucleiParams::single(*g));
                let n: f32 = sink
                    .iter()
                    .filter_map(|f| det.push(f.nucleus_input()))
                    .map(|c| c.weight)
                    .sum();
                line += &format!(",{n}");
            }
            println!("{line}");
        }
    }
}
