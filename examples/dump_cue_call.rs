//! Development tool, not part of the product. Per-hop voice activity of both
//! parties of one `eval cues` corpus call against its truth talk, for a time
//! range: why an overlap or a talk share is missed.
//! Usage: cargo run --release --example dump_cue_call -- DATA K T0 T1 [SECONDS]

use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Frame, Sink};
use tonewatch::classify::Models;
use tonewatch::eval::cues;
use tonewatch::report::Role;

#[derive(Default)]
struct Hops(Vec<(f64, f32, f32, bool)>);

impl Sink for Hops {
    fn frame(&mut self, f: &Frame) {
        self.0
            .push((f.time_s, f.level_db, f.noise_floor_db, f.speech));
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let data = std::path::Path::new(&a[1]);
    let k: usize = a[2].parse().unwrap();
    let (t0, t1): (f64, f64) = (a[3].parse().unwrap(), a[4].parse().unwrap());
    let seconds: f64 = a.get(5).map_or(60.0, |s| s.parse().unwrap());
    let pieces = cues::corpus_pieces(data).unwrap();
    let call = cues::corpus_call(&pieces, k, seconds);
    let run = |x: &[f32], role| {
        let mut an = Analyzer::with_models(
            call.sample_rate,
            AnalyzerConfig::default(),
            role,
            Models::builtin(),
        )
        .unwrap();
        let mut h = Hops::default();
        an.process(x, &mut h);
        an.finish(&mut h);
        h.0
    };
    let c = run(&call.customer, Role::Customer);
    let g = run(&call.agent, Role::Agent);
    let inside = |v: &[(f64, f64)], t: f64| v.iter().any(|&(s, e)| t >= s && t < e);
    println!("{}", call.name);
    for (who, talk) in [
        ("customer", &call.truth.customer),
        ("agent   ", &call.truth.agent),
    ] {
        for (s, e) in talk.iter().filter(|x| x.1 > t0 && x.0 < t1) {
            println!("truth {who} {s:.2}-{e:.2}");
        }
    }
    println!("time  c_lvl c_flr c T | a_lvl a_flr a T");
    for (x, y) in c.iter().zip(&g) {
        if x.0 < t0 || x.0 > t1 {
            continue;
        }
        println!(
            "{:.2} {:6.1} {:6.1} {} {} | {:6.1} {:6.1} {} {}",
            x.0,
            x.1,
            x.2,
            if x.3 { '#' } else { '.' },
            if inside(&call.truth.customer, x.0) {
                'T'
            } else {
                '.'
            },
            y.1,
            y.2,
            if y.3 { '#' } else { '.' },
            if inside(&call.truth.agent, x.0) {
                'T'
            } else {
                '.'
            },
        );
    }
}
