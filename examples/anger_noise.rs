//! Development tool, not part of the product: leave-one-speaker-out anger
//! UAR when the held-out speaker is heard through background noise (white,
//! the given SNR below the utterance's active speech level; the baseline
//! hears the same noise, as in one noisy call). Models trained as shipped
//! (clean + white noise 20 dB below the speech; the test noise is another
//! draw) and, for comparison, on clean audio only, with all features and
//! with the earlier 24 (no spectral change and spread).
//! Usage: cargo run --release --example anger_noise -- [SNR_DB]
use std::collections::BTreeSet;
use tonewatch::analyzer::{AnalyzerConfig, analyze_samples};
use tonewatch::classify::features::{N_FEATURES, RawFeatures};
use tonewatch::dsp::spectrum::SHAPE_BANDS;
use tonewatch::eval::anger::{self, Channel, Example};
use tonewatch::eval::corpus::{self, Corpus};
use tonewatch::eval::volume::add_noise;

fn main() {
    let snr: f64 = std::env::args().nth(1).map_or(20.0, |v| v.parse().unwrap());
    let data = corpus::data_dir().expect("no corpus data");
    let config = AnalyzerConfig::default();
    let mut ex = anger::build_dataset(&data, config).expect("corpus");
    // Put the noisy version in the telephone slot.
    let utts = corpus::load_all(&data).unwrap();
    for (k, u) in utts.iter().enumerate() {
        let (mut x, rate) = corpus::read_wav(&u.path).unwrap();
        if u.corpus == Corpus::EmoDb {
            x.truncate((corpus::audible_duration(&x, rate) * rate as f64) as usize);
        }
        let level = analyze_samples(&x, rate, config)
            .unwrap()
            .1
            .active_level_dbfs;
        let Some(level) = level else { continue };
        // Another draw than the training copy's.
        let y = add_noise(&x, level, snr, 1_000_003 + k as u64);
        let m = analyze_samples(&y, rate, config).unwrap().1;
        let e: &mut Example = ex.iter_mut().find(|e| e.file == u.file_name()).unwrap();
        e.telephone = RawFeatures::from_measures(&m);
    }
    let clean = anger::relative_features(&ex, Channel::Clean);
    let train_noisy = anger::relative_features(&ex, Channel::Noisy);
    let noise = anger::relative_features(&ex, Channel::Telephone);
    let speakers: BTreeSet<&str> = ex.iter().map(|e| e.speaker.as_str()).collect();
    // The shipped model, the same on clean audio only, and the earlier
    // model (24 features, L2 10, clean only).
    for (name, keep, l2, multi) in [
        (
            "41 features, clean + noisy training",
            N_FEATURES,
            anger::DEFAULT_L2,
            true,
        ),
        (
            "41 features, clean training",
            N_FEATURES,
            anger::DEFAULT_L2,
            false,
        ),
        ("24 features, clean training", 8 + SHAPE_BANDS, 10.0, false),
    ] {
        let cut = |r: &[[f64; N_FEATURES]]| -> Vec<[f64; N_FEATURES]> {
            r.iter()
                .map(|v| {
                    let mut v = *v;
                    v[keep..].iter_mut().for_each(|x| *x = 0.0);
                    v
                })
                .collect()
        };
        let (c, n) = (cut(&clean), cut(&noise));
        let mut conditions = vec![c.clone()];
        if multi {
            conditions.push(cut(&train_noisy));
        }
        let mut pc = vec![false; ex.len()];
        let mut pn = vec![false; ex.len()];
        for s in &speakers {
            let train: Vec<usize> = (0..ex.len()).filter(|&i| ex[i].speaker != *s).collect();
            let m = anger::model_on(&ex, &conditions, &train, l2);
            for i in (0..ex.len()).filter(|&i| ex[i].speaker == *s) {
                let language = ex[i].corpus.language();
                pc[i] = m.score(&c[i], language) > 0.5;
                pn[i] = m.score(&n[i], language) > 0.5;
            }
        }
        let by = |corp: Corpus, p: &[bool]| anger::corpus_uar(&ex, corp, p);
        println!(
            "{name}, L2 {l2}: clean EmoDB {:.3} EMOVO {:.3}; white noise at {snr} dB SNR EmoDB {:.3} EMOVO {:.3}",
            by(Corpus::EmoDb, &pc),
            by(Corpus::Emovo, &pc),
            by(Corpus::EmoDb, &pn),
            by(Corpus::Emovo, &pn)
        );
    }
}
