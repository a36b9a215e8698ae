//! A telephone channel: band-pass 300–3400 Hz, 8 kHz, G.711 µ-law.
//!
//! Used to measure how the analysis holds up on phone audio, from the same
//! recordings: the clean version and its telephone version must give the same
//! measures.

use super::g711::{mulaw_decode, mulaw_encode};
use super::resample::{ResampleError, resample_all};
use crate::dsp::filter::Cascade;

/// Sample rate of the telephone channel.
pub const RATE: u32 = 8000;

/// Passes `samples` (at `rate`) through a narrow-band telephone channel and
/// returns the 8 kHz µ-law-decoded result.
pub fn telephone_channel(samples: &[f32], rate: u32) -> Result<Vec<f32>, ResampleError> {
    let mut out = resample_all(samples, rate, RATE)?;
    // 4th-order Butterworth each side: 24 dB/octave, like the channel filters
    // of G.712 mask tests, so 150 Hz is about 24 dB down.
    let mut band = Cascade::butter_highpass(4, 300.0, RATE as f64).then(Cascade::butter_lowpass(
        4,
        3400.0,
        RATE as f64,
    ));
    band.process_in_place(&mut out);
    for x in &mut out {
        *x = mulaw_decode(mulaw_encode(*x));
    }
    Ok(out)
}
