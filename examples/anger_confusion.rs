//! Development tool, not part of the product: share of each emotion judged
//! angry in the leave-one-speaker-out evaluation (clean audio).
use std::collections::BTreeSet;
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::eval::anger::{self, Channel};
use tonewatch::eval::corpus::{self, Corpus};

fn main() {
    let data = corpus::data_dir().expect("no corpus data");
    let ex = anger::build_dataset(&data, AnalyzerConfig::default()).expect("corpus");
    let rel = anger::relative_features(&ex, Channel::Clean);
    let speakers: BTreeSet<&str> = ex.iter().map(|e| e.speaker.as_str()).collect();
    let mut angry = vec![false; ex.len()];
    for s in &speakers {
        let train: Vec<usize> = (0..ex.len()).filter(|&i| ex[i].speaker != *s).collect();
        let m = anger::fit_on(&ex, &rel, &train, anger::DEFAULT_L2);
        for i in (0..ex.len()).filter(|&i| ex[i].speaker == *s) {
            angry[i] = m.predict(&rel[i]) > 0.5;
        }
    }
    let emotions: BTreeSet<&str> = ex.iter().map(|e| e.emotion.as_str()).collect();
    for c in [Corpus::EmoDb, Corpus::Emovo] {
        let mut line = format!("{c}: judged angry");
        for em in &emotions {
            let idx: Vec<usize> = (0..ex.len())
                .filter(|&i| ex[i].corpus == c && ex[i].emotion == *em)
                .collect();
            if !idx.is_empty() {
                let n = idx.iter().filter(|&&i| angry[i]).count();
                line += &format!(" {em} {:.0} %", 100.0 * n as f64 / idx.len() as f64);
            }
        }
        println!("{line}");
    }
}
