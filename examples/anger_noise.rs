//! Development tool, not part of the product: leave-one-speaker-out anger
//! UAR when the held-out speaker is heard through background noise (white,
//! at a given SNR against the utterance's RMS over its loudest half; the
//! baseline hears the same noise, as in one noisy call), with the shipped
//! model's features and with the earlier model's (no spectral change and
//! spread; L2 10). Trained on clean audio.
//! Usage: cargo run --release --example anger_noise -- [SNR_DB]
use std::collections::BTreeSet;
use tonewatch::analyzer::{AnalyzerConfig, analyze_samples};
use tonewatch::classify::features::{N_FEATURES, RawFeatures};
use tonewatch::dsp::spectrum::SHAPE_BANDS;
use tonewatch::eval::anger::{self, Channel, Example, uar};
use tonewatch::eval::corpus::{self, Corpus};

fn noisy(x: &[f32], snr_db: f64, seed: u64) -> Vec<f32> {
    let mut p: Vec<f64> = x.iter().map(|v| (*v as f64).powi(2)).collect();
    p.sort_unstable_by(f64::total_cmp);
    let half = &p[p.len() / 2..];
    let power = half.iter().sum::<f64>() / half.len().max(1) as f64;
    let sd = (power / 10f64.powf(snr_db / 10.0)).sqrt();
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut uniform = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    x.iter()
        .map(|v| {
            let g = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
            (*v as f64 + sd * g) as f32
        })
        .collect()
}

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
        let m = analyze_samples(&noisy(&x, snr, k as u64), rate, config)
            .unwrap()
            .1;
        let e: &mut Example = ex.iter_mut().find(|e| e.file == u.file_name()).unwrap();
        e.telephone = RawFeatures::from_measures(&m);
    }
    let clean = anger::relative_features(&ex, Channel::Clean);
    let noise = anger::relative_features(&ex, Channel::Telephone);
    let speakers: BTreeSet<&str> = ex.iter().map(|e| e.speaker.as_str()).collect();
    // The shipped model, and the one before it (24 features, L2 10).
    for (name, keep, l2) in [
        ("41 features", N_FEATURES, anger::DEFAULT_L2),
        ("24 features (no spread/change)", 8 + SHAPE_BANDS, 10.0),
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
        let mut pc = vec![false; ex.len()];
        let mut pn = vec![false; ex.len()];
        for s in &speakers {
            let train: Vec<usize> = (0..ex.len()).filter(|&i| ex[i].speaker != *s).collect();
            let m = anger::fit_on(&ex, &c, &train, l2);
            for i in (0..ex.len()).filter(|&i| ex[i].speaker == *s) {
                pc[i] = m.predict(&c[i]) > 0.5;
                pn[i] = m.predict(&n[i]) > 0.5;
            }
        }
        let by = |corp: Corpus, p: &[bool]| {
            let idx: Vec<usize> = (0..ex.len()).filter(|&i| ex[i].corpus == corp).collect();
            let t: Vec<bool> = idx.iter().map(|&i| ex[i].is_anger()).collect();
            let q: Vec<bool> = idx.iter().map(|&i| p[i]).collect();
            uar(&t, &q)
        };
        println!(
            "{name}, L2 {l2}: clean EmoDB {:.3} EMOVO {:.3}; white noise at {snr} dB SNR EmoDB {:.3} EMOVO {:.3}",
            by(Corpus::EmoDb, &pc),
            by(Corpus::Emovo, &pc),
            by(Corpus::EmoDb, &pn),
            by(Corpus::Emovo, &pn)
        );
    }
}
