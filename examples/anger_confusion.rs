//! Development tool, not part of the product: share of each emotion judged
//! angry in the leave-one-speaker-out evaluation (clean audio), and per
//! held-out speaker the ROC-AUC of anger vs rest and the mean pitch rise of
//! their angry and happy utterances over their neutral baseline.
use std::collections::BTreeSet;
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::classify::features::PITCH;
use tonewatch::eval::anger::{self, Channel};
use tonewatch::eval::corpus::{self, Corpus};

/// Probability that a random positive scores above a random negative.
fn auc(pos: &[f64], neg: &[f64]) -> f64 {
    let mut wins = 0.0;
    for p in pos {
        for n in neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

fn main() {
    let data = corpus::data_dir().expect("no corpus data");
    let ex = anger::build_dataset(&data, AnalyzerConfig::default()).expect("corpus");
    let conditions = anger::training_features(&ex);
    let rel = anger::relative_features(&ex, Channel::Clean);
    let speakers: BTreeSet<&str> = ex.iter().map(|e| e.speaker.as_str()).collect();
    let mut p = vec![0.0; ex.len()];
    for s in &speakers {
        let train: Vec<usize> = (0..ex.len()).filter(|&i| ex[i].speaker != *s).collect();
        let m = anger::model_on(&ex, &conditions, &train, anger::DEFAULT_L2);
        for i in (0..ex.len()).filter(|&i| ex[i].speaker == *s) {
            p[i] = m.score(&rel[i], ex[i].corpus.language());
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
                let n = idx.iter().filter(|&&i| p[i] > 0.5).count();
                line += &format!(" {em} {:.0} %", 100.0 * n as f64 / idx.len() as f64);
            }
        }
        println!("{line}");
    }
    for s in &speakers {
        let of = |pred: &dyn Fn(usize) -> bool| -> Vec<usize> {
            (0..ex.len())
                .filter(|&i| ex[i].speaker == *s && pred(i))
                .collect()
        };
        let pos: Vec<f64> = of(&|i| ex[i].is_anger()).iter().map(|&i| p[i]).collect();
        let neg: Vec<f64> = of(&|i| !ex[i].is_anger()).iter().map(|&i| p[i]).collect();
        let rise = |em: &str| {
            let idx = of(&|i| ex[i].emotion == em);
            idx.iter().map(|&i| rel[i][PITCH]).sum::<f64>() / idx.len().max(1) as f64
        };
        println!(
            "{s}: AUC anger vs rest {:.3}; pitch over neutral: anger {:+.1} st, happiness {:+.1} st",
            auc(&pos, &neg),
            rise("anger"),
            rise("happiness")
        );
    }
}
