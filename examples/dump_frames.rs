//! Development tool, not part of the product. Dumps per-hop features of every EmoDB utterance (clean and telephone) as
//! CSV, for exploring the syllable and pitch measures outside Rust.
//! Usage: cargo run --release --example dump_frames > frames.csv

use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Frame, Sink};
use tonewatch::audio::telephone::{RATE, telephone_channel};
use tonewatch::eval::corpus;

struct Rows<'a> {
    file: &'a str,
    version: &'a str,
}

impl Sink for Rows<'_> {
    fn frame(&mut self, f: &Frame) {
        println!(
            "{},{},{:.2},{:.2},{:.2},{:.2},{},{:.2},{:.3},{:.2},{:.2},{}",
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
            f.nucleus_s.map_or(String::new(), |t| format!("{t:.2}"))
        );
    }
}

fn main() {
    let data = corpus::data_dir().expect("corpus data");
    let which = std::env::args().nth(1).unwrap_or_else(|| "emodb".into());
    let utts = corpus::load_all(&data).expect("manifest");
    println!("file,version,t,level,vowel,floor,speech,f0,per,balance,flux,nucleus");
    for u in utts.iter().filter(|u| u.corpus.dir_name() == which) {
        let (x, rate) = corpus::read_wav(&u.path).expect("wav");
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
