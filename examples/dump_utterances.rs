//! Development tool, not part of the product. Whole-utterance measures of every corpus file, clean and through the
//! telephone channel, as CSV (for exploring classifiers outside Rust).
use tonewatch::analyzer::{AnalyzerConfig, analyze_samples};
use tonewatch::audio::telephone::{RATE, telephone_channel};
use tonewatch::eval::corpus;
fn o(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.4}"))
}
fn main() {
    let data = corpus::data_dir().expect("data");
    println!(
        "corpus,file,speaker,gender,emotion,version,speech_s,voiced_s,syl,rate,level,f0,sd,range,balance,per,flux"
    );
    for u in corpus::load_all(&data).unwrap() {
        let (mut x, rate) = corpus::read_wav(&u.path).unwrap();
        if u.corpus == corpus::Corpus::EmoDb {
            let e = (corpus::audible_duration(&x, rate) * rate as f64) as usize;
            x.truncate(e);
        }
        for (v, sig, r) in [
            ("clean", x.clone(), rate),
            ("tel", telephone_channel(&x, rate).unwrap(), RATE),
        ] {
            let m = analyze_samples(&sig, r, AnalyzerConfig::default())
                .unwrap()
                .1;
            println!(
                "{},{},{},{},{},{},{:.3},{:.3},{},{},{},{},{},{},{},{},{}",
                u.corpus.dir_name(),
                u.file_name(),
                u.speaker,
                u.gender,
                u.emotion,
                v,
                m.speech_s,
                m.voiced_s,
                m.syllables,
                o(m.speech_rate_syl_s),
                o(m.active_level_dbfs),
                o(m.pitch_median_hz),
                o(m.pitch_sd_st),
                o(m.pitch_range_st),
                o(m.spectral_balance_db),
                o(m.periodicity),
                o(m.spectral_flux_db)
            );
        }
    }
}
