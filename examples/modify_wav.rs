//! Development tool, not part of the product: applies the evaluation's voice
//! modification to a WAV file (for listening to it).
//! Usage: modify_wav IN.wav OUT.wav TEMPO EXCURSION
use tonewatch::audio::decode::read_all;
use tonewatch::eval::modify::modify;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (info, ch) = read_all(std::path::Path::new(&a[1])).expect("input");
    let y = modify(
        &ch[0],
        info.sample_rate,
        a[3].parse().unwrap(),
        a[4].parse().unwrap(),
    );
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: info.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&a[2], spec).unwrap();
    for v in y {
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}
