use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Frame, Sink};
use tonewatch::eval::corpus;
struct S(Vec<Frame>);
impl Sink for S {
    fn frame(&mut self, f: &Frame) {
        self.0.push(*f);
    }
}
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let (x, rate) = corpus::read_wav(std::path::Path::new(&p)).unwrap();
    let run = |g: f32| {
        let y: Vec<f32> = x.iter().map(|v| v * g).collect();
        let mut a = Analyzer::new(rate, AnalyzerConfig::default()).unwrap();
        let mut s = S(vec![]);
        a.process(&y, &mut s);
        a.finish(&mut s);
        s.0
    };
    let a = run(1.0);
    let b = run(10f32.powf(-0.6));
    for (f, g) in a.iter().zip(&b) {
        if f.speech != g.speech {
            println!(
                "{:.2} lvl {:.1} {:.1} floor {:.1} {:.1} sp {} {}",
                f.time_s,
                f.level_db,
                g.level_db,
                f.noise_floor_db,
                g.noise_floor_db,
                f.speech,
                g.speech
            );
        }
    }
}
