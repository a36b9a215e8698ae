//! Fixtures for the decode tests, all generated in code: test signals, WAV files
//! written by hound, by tonewatch's G.711 writer or byte by byte (for the broken
//! headers real recorders produce), and FLAC/MP3 made with the `flac` and `lame`
//! command-line encoders.

#![allow(dead_code)] // each test binary uses its own subset

use std::f32::consts::TAU;
use std::path::{Path, PathBuf};
use std::process::Command;

use tonewatch::audio::decode::{DecodeError, Decoder};

/// Frequency and amplitude of the test tone on each channel.
pub const TONES: [(f32, f32); 2] = [(440.0, 0.5), (1000.0, 0.25)];

/// Sample `i` of channel `ch` of the test signal.
pub fn tone_sample(ch: usize, i: usize, rate: u32) -> f32 {
    let (freq, amp) = TONES[ch];
    amp * (TAU * freq * i as f32 / rate as f32).sin()
}

/// Interleaved test signal: 440 Hz at 0.5 on channel 0, 1000 Hz at 0.25 on channel 1.
pub fn tone(rate: u32, channels: usize, frames: usize) -> Vec<f32> {
    (0..frames)
        .flat_map(|i| (0..channels).map(move |ch| tone_sample(ch, i, rate)))
        .collect()
}

/// The kinds of WAV hound can write.
#[derive(Debug, Clone, Copy)]
pub enum HoundFormat {
    Int(u16),
    Float32,
}

/// Write interleaved samples with hound (8/16-bit int as WAVE_FORMAT_PCM, 24/32-bit
/// int and float as WAVE_FORMAT_EXTENSIBLE).
pub fn write_hound(path: &Path, format: HoundFormat, rate: u32, channels: u16, samples: &[f32]) {
    let (bits, sample_format) = match format {
        HoundFormat::Int(bits) => (bits, hound::SampleFormat::Int),
        HoundFormat::Float32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &x in samples {
        match format {
            HoundFormat::Float32 => w.write_sample(x).unwrap(),
            HoundFormat::Int(8) => w.write_sample(quantise(x, 8) as i8).unwrap(),
            HoundFormat::Int(16) => w.write_sample(quantise(x, 16) as i16).unwrap(),
            HoundFormat::Int(bits) => w.write_sample(quantise(x, bits)).unwrap(),
        }
    }
    w.finalize().unwrap();
}

/// Round to a signed integer of `bits` bits, clamped.
pub fn quantise(x: f32, bits: u16) -> i32 {
    let full = (1i64 << (bits - 1)) as f64;
    ((x as f64 * full).round()).clamp(-full, full - 1.0) as i32
}

/// A WAV file built byte by byte, to produce the headers recorders get wrong.
#[derive(Debug, Clone)]
pub struct RawWav {
    pub format_tag: u16,
    pub channels: u16,
    pub rate: u32,
    pub bits: u16,
    /// Bytes after the 16 basic fmt bytes (cbSize and extension).
    pub fmt_extra: Vec<u8>,
    /// Chunks written between fmt and data: (id, body).
    pub chunks_before_data: Vec<([u8; 4], Vec<u8>)>,
    pub data: Vec<u8>,
    /// Chunks written after the data chunk.
    pub chunks_after_data: Vec<([u8; 4], Vec<u8>)>,
    /// Overrides for the length fields; None writes the true length.
    pub riff_len: Option<u32>,
    pub data_len: Option<u32>,
}

impl RawWav {
    pub fn new(format_tag: u16, channels: u16, rate: u32, bits: u16, data: Vec<u8>) -> RawWav {
        RawWav {
            format_tag,
            channels,
            rate,
            bits,
            fmt_extra: Vec::new(),
            chunks_before_data: Vec::new(),
            data,
            chunks_after_data: Vec::new(),
            riff_len: None,
            data_len: None,
        }
    }

    pub fn pcm16(channels: u16, rate: u32, samples: &[f32]) -> RawWav {
        let data = samples
            .iter()
            .flat_map(|&x| (quantise(x, 16) as i16).to_le_bytes())
            .collect();
        RawWav::new(1, channels, rate, 16, data)
    }

    pub fn float32(channels: u16, rate: u32, samples: &[f32]) -> RawWav {
        let data = samples.iter().flat_map(|x| x.to_le_bytes()).collect();
        RawWav::new(3, channels, rate, 32, data)
    }

    pub fn bytes(&self) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8], len: u32) {
            out.extend_from_slice(id);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(body);
            if body.len() % 2 == 1 {
                out.push(0);
            }
        }
        let bytes_per_sample = u32::from(self.bits.div_ceil(8).max(1));
        let block_align = u32::from(self.channels) * bytes_per_sample;
        let mut fmt = Vec::new();
        fmt.extend_from_slice(&self.format_tag.to_le_bytes());
        fmt.extend_from_slice(&self.channels.to_le_bytes());
        fmt.extend_from_slice(&self.rate.to_le_bytes());
        fmt.extend_from_slice(&self.rate.wrapping_mul(block_align).to_le_bytes());
        fmt.extend_from_slice(&(block_align as u16).to_le_bytes());
        fmt.extend_from_slice(&self.bits.to_le_bytes());
        fmt.extend_from_slice(&self.fmt_extra);
        let mut body = b"WAVE".to_vec();
        chunk(&mut body, b"fmt ", &fmt, fmt.len() as u32);
        for (id, b) in &self.chunks_before_data {
            chunk(&mut body, id, b, b.len() as u32);
        }
        let data_len = self.data_len.unwrap_or(self.data.len() as u32);
        chunk(&mut body, b"data", &self.data, data_len);
        for (id, b) in &self.chunks_after_data {
            chunk(&mut body, id, b, b.len() as u32);
        }
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&self.riff_len.unwrap_or(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.bytes()).unwrap();
    }
}

/// The fmt extension of WAVE_FORMAT_EXTENSIBLE for a sub-format wrapping `tag`.
pub fn extensible_fmt_extra(valid_bits: u16, channel_mask: u32, tag: u16) -> Vec<u8> {
    let mut extra = Vec::new();
    extra.extend_from_slice(&22u16.to_le_bytes());
    extra.extend_from_slice(&valid_bits.to_le_bytes());
    extra.extend_from_slice(&channel_mask.to_le_bytes());
    extra.extend_from_slice(&tag.to_le_bytes());
    extra.extend_from_slice(&[
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]);
    extra
}

/// Decode a file block by block, as the analyser does. Returns the decoder (for
/// finish()), the planar samples and the largest block seen.
pub fn decode_blocks(path: &Path) -> Result<(Decoder, Vec<Vec<f32>>, usize), DecodeError> {
    let mut dec = Decoder::open(path)?;
    let channels = dec.info().channels;
    let mut all = vec![Vec::new(); channels];
    let mut block = vec![Vec::new(); channels];
    let mut largest = 0;
    loop {
        let n = dec.next_block(&mut block)?;
        if n == 0 {
            break;
        }
        for ch in &block {
            assert_eq!(ch.len(), n, "every channel holds the block's frames");
            assert!(
                ch.iter().all(|x| (-1.0..=1.0).contains(x)),
                "samples in [-1, 1]"
            );
        }
        largest = largest.max(n);
        for (dst, src) in all.iter_mut().zip(&block) {
            dst.extend_from_slice(src);
        }
    }
    assert_eq!(dec.frames_decoded(), all[0].len() as u64);
    Ok((dec, all, largest))
}

/// Open and decode to the end whatever the outcome, as a fuzz target: returns
/// the first error, from open, next_block or finish. Panics are the failure.
pub fn decode_anything(path: &Path) -> Result<u64, DecodeError> {
    let mut dec = Decoder::open(path)?;
    let mut block = vec![Vec::new(); dec.info().channels];
    // Bound the loop: no fixture here holds more than a few thousand blocks.
    for _ in 0..1_000_000 {
        if dec.next_block(&mut block)? == 0 {
            break;
        }
    }
    dec.finish()?;
    Ok(dec.frames_decoded())
}

/// Tiny deterministic generator for fuzz-ish inputs.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Run a command-line encoder, failing the test with the fix if it is missing.
pub fn run_encoder(program: &str, args: &[&str]) {
    let out = match Command::new(program).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "the `{program}` encoder is not installed; the decode tests need it to make \
             fixtures: run `scripts/deps --test`"
        ),
        Err(e) => panic!("cannot run {program}: {e}"),
    };
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Encode a 16-bit WAV to FLAC with the `flac` tool.
pub fn make_flac(dir: &Path, name: &str, rate: u32, channels: u16, frames: usize) -> PathBuf {
    let wav = dir.join(format!("{name}.src.wav"));
    write_hound(
        &wav,
        HoundFormat::Int(16),
        rate,
        channels,
        &tone(rate, channels.into(), frames),
    );
    let flac = dir.join(format!("{name}.flac"));
    run_encoder(
        "flac",
        &[
            "--silent",
            "--force",
            "-o",
            flac.to_str().unwrap(),
            wav.to_str().unwrap(),
        ],
    );
    flac
}

/// Encode a 16-bit WAV to MP3 with `lame` (CBR; lame writes a LAME/Info tag with
/// the exact length and encoder delay).
pub fn make_mp3(dir: &Path, name: &str, rate: u32, channels: u16, frames: usize) -> PathBuf {
    let wav = dir.join(format!("{name}.src.wav"));
    write_hound(
        &wav,
        HoundFormat::Int(16),
        rate,
        channels,
        &tone(rate, channels.into(), frames),
    );
    let mp3 = dir.join(format!("{name}.mp3"));
    // MPEG-2.5 at 8–12 kHz allows at most 64 kbit/s; keep the rate (no resampling).
    let bitrate = if rate <= 12000 { "32" } else { "128" };
    run_encoder(
        "lame",
        &[
            "--silent",
            "-b",
            bitrate,
            "--resample",
            &format!("{}", rate as f32 / 1000.0),
            wav.to_str().unwrap(),
            mp3.to_str().unwrap(),
        ],
    );
    mp3
}

/// Frequency of a tone from its zero crossings, and its amplitude from its RMS.
pub fn measure_tone(x: &[f32], rate: u32) -> (f32, f32) {
    let crossings = x.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    let freq = crossings as f32 * rate as f32 / x.len() as f32;
    let rms = (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
    (freq, rms * std::f32::consts::SQRT_2)
}

/// Assert the error names the file and renders as one line.
pub fn assert_names_file(err: &DecodeError, path: &Path) {
    let msg = err.to_string();
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(msg.contains(name), "message does not name the file: {msg}");
    assert!(!msg.contains('\n'), "message is not one line: {msg}");
    assert_eq!(err.path(), path);
}
