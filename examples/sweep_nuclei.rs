//! Development tool, not part of the product. Sweeps the syllable-nucleus
//! peak-picker's settings and prints the speech-rate agreement on the tuning
//! half (even speakers: choose on these) and the check half (odd: look only).
//! Usage: cargo run --release --example sweep_nuclei -- DATA

use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::eval::rate;

fn main() {
    let data = std::path::PathBuf::from(std::env::args().nth(1).expect("DATA"));
    println!("sonority dip min_prob min_gap | tuning r mae tel_r | check r mae tel_r");
    for sonority in [1.0, 2.0, 3.0] {
        for dip in [0.5, 1.0, 1.5] {
            for min_probability in [0.2, 0.3, 0.4] {
                for min_gap_s in [0.05, 0.07, 0.09] {
                    let mut config = AnalyzerConfig::default();
                    config.nuclei.sonority_db_per_logit = sonority;
                    config.nuclei.dip_db = dip;
                    config.nuclei.min_probability = min_probability;
                    config.nuclei.min_gap_s = min_gap_s;
                    let (_, f) = rate::evaluate(&data, config).unwrap();
                    println!(
                        "{sonority} {dip} {min_probability} {min_gap_s} | {:.3} {:.2} {:.3} | {:.3} {:.2} {:.3}",
                        f.tuning.clean_r,
                        f.tuning.clean_mae,
                        f.tuning.tel_r,
                        f.check.clean_r,
                        f.check.clean_mae,
                        f.check.tel_r
                    );
                }
            }
        }
    }
}
