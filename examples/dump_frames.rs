//! Development tool, not part of the product. Dumps per-hop features of every
//! corpus utterance (clean and telephone; EmoDB cut to its audible part, as the
//! evaluations do) as CSV, for exploring the measures outside Rust.
//! Usage: cargo run --release --example dump_frames [emodb|emovo|all] > frames.csv

use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Frame, Sink};
use tonewatch::audio::telephone::{RATE, telephone_channel};
use tonewatch::dsp::spectrum::SHAPE_BANDS;
use tonewatch::eval::corpus;

struct Rows<'a> {
    file: &'a str,
    version: &'a str,
}

impl Sink for Rows<'_> {
    fn frame(&mut self, f: &Frame) {
        let shape: Vec<String> = f.shape_db.iter().map(|v| format!("{v:.2}")).collect();
        println!(
            "{},{},{:.2},{:.2},{:.2},{:.2},{},{:.2},{:.3},{:.2},{:.2},{},{}",
            self.file,
            self.version,
            f.time_s,
            f.level_db,
            f.vowel_band_db,
            f.noise_floor_db,
            f.speech as u8,
            f.f0_hz.unwrap_or(0.0),
            f.periodicity,
            f.spectral_balance_db,
            f.spectral_flux_db,
            f.nucleus
                .map_or(String::new(), |n| format!("{:.2}", n.time_s)),
            shape.join(",")
        );
    }
}

fn main() {
    let data = corpus::data_dir().expect("corpus data");
    let which = std::env::args().nth(1).unwrap_or_else(|| "emodb".into());
    let utts = corpus::load_all(&data).expect("manifest");
    let shape: Vec<String> = (0..SHAPE_BANDS).map(|i| format!("shape_{i}")).collect();
    println!(
        "file,version,t,level,vowel,floor,speech,f0,per,balance,flux,nucleus,{}",
        shape.join(",")
    );
    for u in utts
        .iter()
        .filter(|u| which == "all" || u.corpus.dir_name() == which)
    {
        let (mut x, rate) = corpus::read_wav(&u.path).expect("wav");
        if u.corpus == corpus::Corpus::EmoDb {
            let end = (corpus::audible_duration(&x, rate) * rate as f64) as usize;
            x.truncate(end);
        }
        let name = u.file_name();
        for (version, sig, r) in [
            ("clean", x.clone(), rate),
            ("tel", telephone_channel(&x, rate).unwrap(), RATE),
        ] {
            let mut a = Analyzer::new(r, AnalyzerConfig::default()).unwrap();
            let mut sink = Rows {
                file: &name,
                version,
            };
            a.process(&sig, &mut sink);
            a.finish(&mut sink);
        }
    }
}
