//! ITU-T G.711 companding (µ-law and A-law), the codecs of the public telephone
//! network and of most call recorders, plus a writer for G.711 WAVE files.
//!
//! Encoding follows the reference algorithm on the 16-bit linear scale
//! (µ-law: 14-bit magnitude with bias 0x84; A-law: 13-bit), so the codes match
//! what real telephone equipment produces. Decoding is a table lookup: the
//! telephone simulation calls these once per sample.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Which G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// µ-law: North America and Japan.
    MuLaw,
    /// A-law: Europe and most of the rest of the world.
    ALaw,
}

impl Law {
    /// Encode one sample in [-1, 1] (clamped) with this law.
    pub fn encode(self, x: f32) -> u8 {
        match self {
            Law::MuLaw => mulaw_encode(x),
            Law::ALaw => alaw_encode(x),
        }
    }

    /// Decode one code with this law to a sample in [-1, 1].
    pub fn decode(self, c: u8) -> f32 {
        match self {
            Law::MuLaw => mulaw_decode(c),
            Law::ALaw => alaw_decode(c),
        }
    }

    /// The WAVE format tag call recorders write for this law.
    fn wave_format_tag(self) -> u16 {
        match self {
            Law::MuLaw => 7,
            Law::ALaw => 6,
        }
    }
}

const MULAW_BIAS: i32 = 0x84;
/// Largest magnitude µ-law can represent once the bias is added (32635 + 0x84 = 0x7FFF).
const MULAW_CLIP: i32 = 32635;

/// Float in [-1, 1] to the 16-bit linear scale G.711 is defined on.
#[inline]
fn to_linear16(x: f32) -> i32 {
    // `as` saturates and maps NaN to 0, so no input can overflow the codec arithmetic.
    ((x * 32768.0).round() as i32).clamp(-32768, 32767)
}

/// Encode a sample in [-1, 1] (clamped) to a µ-law code.
#[inline]
pub fn mulaw_encode(x: f32) -> u8 {
    let pcm = to_linear16(x);
    let (sign, magnitude) = if pcm < 0 { (0x80, -pcm) } else { (0x00, pcm) };
    let biased = magnitude.min(MULAW_CLIP) + MULAW_BIAS;
    // biased >> 7 lies in 1..=255, so the segment (exponent) is its highest set bit: 0..=7.
    let exponent = 31 - ((biased >> 7) as u32).leading_zeros() as i32;
    let mantissa = (biased >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) | mantissa) as u8
}

const fn mulaw_decode_linear(code: u8) -> i32 {
    let c = !code;
    let exponent = ((c >> 4) & 0x07) as i32;
    let mantissa = (c & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
    if c & 0x80 != 0 { -magnitude } else { magnitude }
}

/// Encode a sample in [-1, 1] (clamped) to an A-law code.
#[inline]
pub fn alaw_encode(x: f32) -> u8 {
    // A-law works on 13 bits; negative values are stored as one's complement magnitude.
    let pcm = to_linear16(x) >> 3;
    let (mask, magnitude) = if pcm >= 0 {
        (0xD5, pcm)
    } else {
        (0x55, -pcm - 1)
    };
    // magnitude lies in 0..=4095; segment 0 and 1 share the same step, above that
    // the segment is the position of the highest set bit above bit 4.
    let segment = if magnitude < 32 {
        0
    } else {
        27 - (magnitude as u32).leading_zeros() as i32
    };
    let shift = if segment < 2 { 1 } else { segment };
    let code = (segment << 4) | ((magnitude >> shift) & 0x0F);
    (code ^ mask) as u8
}

const fn alaw_decode_linear(code: u8) -> i32 {
    let a = code ^ 0x55;
    let mantissa = ((a & 0x0F) as i32) << 4;
    let segment = ((a & 0x70) >> 4) as i32;
    let magnitude = match segment {
        0 => mantissa + 8,
        1 => mantissa + 0x108,
        _ => (mantissa + 0x108) << (segment - 1),
    };
    if a & 0x80 != 0 { magnitude } else { -magnitude }
}

const fn decode_table(law: Law) -> [f32; 256] {
    let mut table = [0.0f32; 256];
    let mut i = 0;
    while i < 256 {
        let linear = match law {
            Law::MuLaw => mulaw_decode_linear(i as u8),
            Law::ALaw => alaw_decode_linear(i as u8),
        };
        table[i] = linear as f32 / 32768.0;
        i += 1;
    }
    table
}

static MULAW_TABLE: [f32; 256] = decode_table(Law::MuLaw);
static ALAW_TABLE: [f32; 256] = decode_table(Law::ALaw);

/// Decode a µ-law code to a sample in [-1, 1].
#[inline]
pub fn mulaw_decode(c: u8) -> f32 {
    MULAW_TABLE[c as usize]
}

/// Decode an A-law code to a sample in [-1, 1].
#[inline]
pub fn alaw_decode(c: u8) -> f32 {
    ALAW_TABLE[c as usize]
}

/// Write interleaved samples in [-1, 1] as a G.711 WAVE file (format tag 7 for µ-law,
/// 6 for A-law, 8 bits per sample, with the `fact` chunk non-PCM WAVE requires), the
/// way call recorders store calls.
pub fn write_g711_wav(
    path: &Path,
    law: Law,
    sample_rate: u32,
    channels: u16,
    interleaved: &[f32],
) -> io::Result<()> {
    let invalid = |msg: &str| io::Error::new(io::ErrorKind::InvalidInput, msg.to_string());
    if channels == 0 {
        return Err(invalid("a G.711 WAVE file needs at least one channel"));
    }
    if sample_rate == 0 {
        return Err(invalid("sample rate must be positive"));
    }
    if !interleaved.len().is_multiple_of(usize::from(channels)) {
        return Err(invalid(
            "sample count is not a multiple of the channel count",
        ));
    }
    let frames = interleaved.len() / usize::from(channels);
    const FMT_LEN: u32 = 18;
    const HEADER_LEN: u32 = 4 + (8 + FMT_LEN) + (8 + 4) + 8;
    let data_len = u32::try_from(interleaved.len())
        .ok()
        .filter(|&n| n < u32::MAX - HEADER_LEN)
        .ok_or_else(|| invalid("too much audio for one WAVE file"))?;
    let frames = u32::try_from(frames).map_err(|_| invalid("too many frames"))?;
    let pad = data_len & 1;
    let byte_rate = sample_rate
        .checked_mul(u32::from(channels))
        .ok_or_else(|| invalid("sample rate × channels overflows the header"))?;

    let mut w = BufWriter::new(File::create(path)?);
    w.write_all(b"RIFF")?;
    w.write_all(&(HEADER_LEN + data_len + pad).to_le_bytes())?;
    w.write_all(b"WAVE")?;
    w.write_all(b"fmt ")?;
    w.write_all(&FMT_LEN.to_le_bytes())?;
    w.write_all(&law.wave_format_tag().to_le_bytes())?;
    w.write_all(&channels.to_le_bytes())?;
    w.write_all(&sample_rate.to_le_bytes())?;
    w.write_all(&byte_rate.to_le_bytes())?;
    w.write_all(&channels.to_le_bytes())?; // block align: one byte per channel
    w.write_all(&8u16.to_le_bytes())?; // bits per sample
    w.write_all(&0u16.to_le_bytes())?; // no extra format bytes
    w.write_all(b"fact")?;
    w.write_all(&4u32.to_le_bytes())?;
    w.write_all(&frames.to_le_bytes())?;
    w.write_all(b"data")?;
    w.write_all(&data_len.to_le_bytes())?;
    for chunk in interleaved.chunks(4096) {
        let mut codes = [0u8; 4096];
        for (code, &x) in codes.iter_mut().zip(chunk) {
            *code = law.encode(x);
        }
        w.write_all(&codes[..chunk.len()])?;
    }
    if pad == 1 {
        w.write_all(&[0])?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest allowed roundtrip error: half a quantisation step. For A-law that is
    /// 1/32 of the value above the two linear segments and 8 LSB in them; µ-law's
    /// bias makes its low segments coarser relative to the value, which the
    /// `floor` (in LSB of the 16-bit scale) covers.
    fn bound(x: f32, floor: f32) -> f32 {
        x.abs() / 31.0 + floor / 32768.0
    }

    fn sweep() -> impl Iterator<Item = f32> {
        (-20000..=20000).map(|i| i as f32 / 20000.0)
    }

    #[test]
    fn mulaw_roundtrip_error_is_within_half_a_step() {
        for x in sweep() {
            let y = mulaw_decode(mulaw_encode(x));
            // µ-law clips at 32635/32768 and its top code decodes to 32124/32768.
            let target = x.clamp(-32124.0 / 32768.0, 32124.0 / 32768.0);
            assert!((y - target).abs() <= bound(x, 17.0), "µ-law {x} -> {y}");
        }
    }

    #[test]
    fn alaw_roundtrip_error_is_within_half_a_step() {
        for x in sweep() {
            let y = alaw_decode(alaw_encode(x));
            let target = x.clamp(-32256.0 / 32768.0, 32256.0 / 32768.0);
            assert!((y - target).abs() <= bound(x, 9.0), "A-law {x} -> {y}");
        }
    }

    #[test]
    fn known_codes_from_the_standard() {
        assert_eq!(mulaw_encode(0.0), 0xFF);
        assert_eq!(mulaw_encode(1.0), 0x80);
        assert_eq!(mulaw_encode(-1.0), 0x00);
        assert_eq!(mulaw_decode(0xFF), 0.0);
        assert_eq!(mulaw_decode(0x7F), 0.0);
        assert_eq!(mulaw_decode(0x80), 32124.0 / 32768.0);
        assert_eq!(mulaw_decode(0x00), -32124.0 / 32768.0);
        // Segment 0 of µ-law: step 8 on the 16-bit scale, decoded at the step's middle.
        assert_eq!(mulaw_decode(0xFE), 8.0 / 32768.0);

        assert_eq!(alaw_encode(0.0), 0xD5);
        assert_eq!(alaw_encode(1.0), 0xAA);
        assert_eq!(alaw_encode(-1.0), 0x2A);
        assert_eq!(alaw_decode(0xD5), 8.0 / 32768.0);
        assert_eq!(alaw_decode(0x55), -8.0 / 32768.0);
        assert_eq!(alaw_decode(0xAA), 32256.0 / 32768.0);
        assert_eq!(alaw_decode(0x2A), -32256.0 / 32768.0);
    }

    #[test]
    fn out_of_range_and_nan_inputs_are_clamped() {
        assert_eq!(mulaw_encode(7.0), mulaw_encode(1.0));
        assert_eq!(mulaw_encode(-7.0), mulaw_encode(-1.0));
        assert_eq!(alaw_encode(f32::INFINITY), alaw_encode(1.0));
        assert_eq!(alaw_encode(f32::NEG_INFINITY), alaw_encode(-1.0));
        assert_eq!(mulaw_encode(f32::NAN), mulaw_encode(0.0));
        assert_eq!(alaw_encode(f32::NAN), alaw_encode(0.0));
    }

    #[test]
    fn every_code_decodes_to_a_distinct_level_and_encodes_back() {
        for law in [Law::MuLaw, Law::ALaw] {
            let mut levels: Vec<f32> = (0..=255u8).map(|c| law.decode(c)).collect();
            for c in 0..=255u8 {
                let back = law.encode(law.decode(c));
                // µ-law has a negative zero (0x7F); it encodes as the positive one.
                let expected = if law == Law::MuLaw && c == 0x7F {
                    0xFF
                } else {
                    c
                };
                assert_eq!(back, expected, "{law:?} code {c:#04x}");
            }
            levels.sort_by(f32::total_cmp);
            levels.dedup();
            let distinct = if law == Law::MuLaw { 255 } else { 256 };
            assert_eq!(levels.len(), distinct, "{law:?}");
        }
    }

    #[test]
    fn decoding_is_monotonic_within_each_sign_and_companding_is_monotonic() {
        for law in [Law::MuLaw, Law::ALaw] {
            // Both laws store the magnitude in the low 7 bits: ordered by magnitude code
            // the levels must strictly grow (µ-law inverts the bits, A-law flips every other).
            let magnitude_order = |c: u8| match law {
                Law::MuLaw => !c & 0x7F,
                Law::ALaw => (c ^ 0x55) & 0x7F,
            };
            for sign in [0x00u8, 0x80] {
                let mut codes: Vec<u8> = (0..128u8).map(|c| c | sign).collect();
                codes.sort_by_key(|&c| magnitude_order(c));
                for pair in codes.windows(2) {
                    let (a, b) = (law.decode(pair[0]).abs(), law.decode(pair[1]).abs());
                    assert!(
                        a < b,
                        "{law:?}: {:#04x} -> {a}, {:#04x} -> {b}",
                        pair[0],
                        pair[1]
                    );
                }
            }
            let mut last = f32::NEG_INFINITY;
            for x in sweep() {
                let y = law.decode(law.encode(x));
                assert!(y >= last, "{law:?} not monotonic at {x}");
                last = y;
            }
        }
    }

    #[test]
    fn g711_wav_header_is_what_recorders_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.wav");
        let samples = [0.0f32, 0.5, -0.5, 1.0, -1.0];
        write_g711_wav(&path, Law::ALaw, 8000, 1, &samples).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[0..4], b"RIFF");
        let riff_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff_len + 8, bytes.len());
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 6);
        assert_eq!(u16::from_le_bytes([bytes[34], bytes[35]]), 8);
        assert_eq!(&bytes[38..42], b"fact");
        assert_eq!(u32::from_le_bytes(bytes[46..50].try_into().unwrap()), 5);
        assert_eq!(&bytes[50..54], b"data");
        assert_eq!(u32::from_le_bytes(bytes[54..58].try_into().unwrap()), 5);
        let codes: Vec<u8> = samples.iter().map(|&x| alaw_encode(x)).collect();
        assert_eq!(&bytes[58..63], &codes[..]);
        // Odd data length: padded to an even chunk size.
        assert_eq!(bytes.len(), 64);

        assert!(write_g711_wav(&path, Law::MuLaw, 8000, 2, &samples).is_err());
        assert!(write_g711_wav(&path, Law::MuLaw, 8000, 0, &[]).is_err());
    }
}
