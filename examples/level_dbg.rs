use tonewatch::analyzer::{AnalyzerConfig, analyze_samples};
use tonewatch::eval::corpus;
fn main() {
    let data = corpus::data_dir().unwrap();
    for u in corpus::load_all(&data).unwrap() {
        let (mut x, rate) = corpus::read_wav(&u.path).unwrap();
        if u.corpus == corpus::Corpus::EmoDb {
            let end = (corpus::audible_duration(&x, rate) * rate as f64) as usize;
            x.truncate(end);
        }
        let m0 = analyze_samples(&x, rate, AnalyzerConfig::default())
            .unwrap()
            .1;
        for g in [-12.0f64, 12.0] {
            let k = 10f64.powf(g / 20.0) as f32;
            let y: Vec<f32> = x.iter().map(|v| v * k).collect();
            let m = analyze_samples(&y, rate, AnalyzerConfig::default())
                .unwrap()
                .1;
            let e = m.active_level_dbfs.unwrap() - m0.active_level_dbfs.unwrap() - g;
            if e.abs() > 0.1 {
                println!(
                    "{} g {g} err {e:.3} l0 {:.1} speech {:.2}->{:.2}",
                    u.file_name(),
                    m0.active_level_dbfs.unwrap(),
                    m0.speech_s,
                    m.speech_s
                );
            }
        }
    }
}
