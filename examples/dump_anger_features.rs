//! Development tool, not part of the product: every corpus utterance's
//! baseline-relative anger features (clean, noisy and telephone) as CSV, for
//! trying other anger classifiers outside Rust.
//! Usage: cargo run --release --example dump_anger_features > anger.csv
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::classify::features::FEATURE_NAMES;
use tonewatch::eval::anger::{self, Channel};
use tonewatch::eval::corpus;

fn main() {
    let data = corpus::data_dir().expect("no corpus data");
    let ex = anger::build_dataset(&data, AnalyzerConfig::default()).expect("corpus");
    let mut header = "corpus,speaker,emotion,file,channel".to_string();
    for n in FEATURE_NAMES {
        header += &format!(",{n}");
    }
    println!("{header}");
    for (name, channel) in [
        ("clean", Channel::Clean),
        ("noisy", Channel::Noisy),
        ("telephone", Channel::Telephone),
    ] {
        let rel = anger::relative_features(&ex, channel);
        for (e, r) in ex.iter().zip(&rel) {
            let values: Vec<String> = r.iter().map(|v| format!("{v:.5}")).collect();
            println!(
                "{},{},{},{},{name},{}",
                e.corpus,
                e.speaker,
                e.emotion,
                e.file,
                values.join(",")
            );
        }
    }
}
