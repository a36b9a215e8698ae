//! Development tool, not part of the product. Dumps, per hop of every EmoDB
//! utterance (clean and telephone), the nucleus model's probability and the
//! phone-label truth, for studying the syllable-nucleus detector outside Rust.
//! With `features`, also the noise floor, the periodicity, the weight of the detector's
//! nuclei and the model's full feature vector (for trying other nucleus
//! classifiers).
//! Usage: cargo run --release --example dump_nuclei [features] > nuclei.csv

use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Frame};
use tonewatch::audio::telephone::{RATE, telephone_channel};
use tonewatch::dsp::nuclei::{
    FeatureStack, N_FEATURES, NucleiParams, NucleusDetector, NucleusModel,
};
use tonewatch::eval::corpus::{self, Corpus, SyllableTruth};
use tonewatch::eval::nuclei::{nucleus_cores, parse_lablaut, syllable_nuclei};

fn main() {
    let with_features = std::env::args().nth(1).as_deref() == Some("features");
    let data = corpus::data_dir().expect("corpus data");
    let network = NucleusModel::builtin().network.folded().unwrap();
    let utts = corpus::load_manifest(&data, Corpus::EmoDb).expect("manifest");
    let mut header = "file,speaker,version,t,speech,level,p,truth,syllable_start".to_string();
    if with_features {
        header += ",floor,periodicity,nucleus";
        for i in 0..N_FEATURES {
            header += &format!(",f{i}");
        }
    }
    println!("{header}");
    for u in &utts {
        let (Some(silb), Some(lab)) = (&u.syllables, &u.phones) else {
            continue;
        };
        let truth = SyllableTruth::load(silb).unwrap();
        let phones = parse_lablaut(&String::from_utf8_lossy(&std::fs::read(lab).unwrap()));
        let nuclei = nucleus_cores(&syllable_nuclei(&phones, &truth));
        let (x, rate) = corpus::read_wav(&u.path).expect("wav");
        for (version, sig, r) in [
            ("clean", x.clone(), rate),
            ("tel", telephone_channel(&x, rate).unwrap(), RATE),
        ] {
            let mut a = Analyzer::new(r, AnalyzerConfig::default()).unwrap();
            let mut sink = Vec::<Frame>::new();
            a.process(&sig, &mut sink);
            a.finish(&mut sink);
            let mut det = NucleusDetector::new(NucleiParams::default());
            let found: Vec<(f64, f32)> = sink
                .iter()
                .filter_map(|f| det.push(f.nucleus_input()))
                .map(|c| (c.time_s, c.weight))
                .collect();
            let mut stack = FeatureStack::new();
            for f in &sink {
                let Some(s) = stack.push(&f.nucleus_input()) else {
                    continue;
                };
                let z = network.logit(&s.features) as f64;
                let p = 1.0 / (1.0 + (-z).exp());
                let c = s.time_s - 0.016;
                let inn = nuclei.iter().any(|&(a, b)| c >= a && c < b);
                let syl = truth.starts.iter().any(|&t| (t - c).abs() < 0.005);
                let mut line = format!(
                    "{},{},{},{:.2},{},{:.1},{:.3},{},{}",
                    u.file_name(),
                    u.speaker,
                    version,
                    s.time_s,
                    s.speech as u8,
                    s.input.level_db,
                    p,
                    inn as u8,
                    syl as u8
                );
                if with_features {
                    let nuc: f32 = found
                        .iter()
                        .filter(|&&(t, _)| (t - s.time_s).abs() < 0.004)
                        .map(|&(_, w)| w)
                        .sum();
                    line += &format!(
                        ",{:.1},{:.3},{:.2}",
                        s.input.floor_db, s.input.periodicity, nuc
                    );
                    for v in &s.features {
                        line += &format!(",{v:.2}");
                    }
                }
                println!("{line}");
            }
        }
    }
}
