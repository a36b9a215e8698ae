//! Voice activity from the frame level against an adaptive noise floor.
//!
//! The floor is the minimum level of the last two seconds (speech always has
//! gaps within that time: stop closures, breaths, pauses), ignoring digital
//! silence so that a muted line does not drag it to minus infinity. A frame is
//! speech when it stands clearly above the floor, with hysteresis and a short
//! hangover that bridges stop closures inside words. All thresholds are
//! relative to the floor, so a gain change does not change the decisions.

use super::sliding::SlidingExtreme;

use crate::HOP_S;

/// Voice-activity tuning.
#[derive(Debug, Clone, Copy)]
pub struct VadParams {
    /// Seconds of history the noise floor is the minimum of.
    pub floor_window_s: f64,
    /// dB above the floor to start speech.
    pub on_db: f32,
    /// dB above the floor to stay in speech.
    pub off_db: f32,
    /// Seconds speech is held after the level drops.
    pub hangover_s: f64,
    /// Frames below this level (dBFS) are digital silence, never speech.
    pub silence_dbfs: f32,
}

impl Default for VadParams {
    fn default() -> Self {
        Self {
            floor_window_s: 2.0,
            on_db: 10.0,
            off_db: 6.0,
            hangover_s: 0.12,
            silence_dbfs: -115.0,
        }
    }
}

/// The decision for one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activity {
    pub speech: bool,
    /// Current noise floor estimate, dBFS.
    pub floor_db: f32,
}

/// Streaming voice-activity detector. Fixed memory.
#[derive(Debug, Clone)]
pub struct VoiceActivity {
    params: VadParams,
    /// Lowest level of the last `floor_window_s`.
    lowest: SlidingExtreme<f32>,
    hangover: u32,
    hold: u32,
    speaking: bool,
    index: u64,
    floor: f32,
    /// Frames since the last digital-silence frame (the stream starts as silence).
    since_silence: u32,
}

/// A 32 ms frame overlaps the previous three hops: frames that still contain
/// digital silence read low and must not set the noise floor.
const FRAMES_SPANNED: u32 = 4;

impl VoiceActivity {
    pub fn new(params: VadParams) -> Self {
        let window = (params.floor_window_s / HOP_S).round().max(1.0) as u64;
        Self {
            lowest: SlidingExtreme::min(window),
            hangover: (params.hangover_s / HOP_S).round() as u32,
            hold: 0,
            speaking: false,
            index: 0,
            floor: params.silence_dbfs,
            since_silence: 0,
            params,
        }
    }

    pub fn push(&mut self, level_db: f32) -> Activity {
        let p = self.params;
        let i = self.index;
        self.index += 1;
        if level_db > p.silence_dbfs {
            self.since_silence = self.since_silence.saturating_add(1);
        } else {
            self.since_silence = 0;
        }
        if self.since_silence >= FRAMES_SPANNED {
            self.lowest.push(i, level_db);
        }
        self.lowest.expire(i);
        if let Some(v) = self.lowest.get() {
            self.floor = v;
        }
        let above = level_db - self.floor;
        // No floor known yet (stream start): nothing to compare with.
        let loud = level_db > p.silence_dbfs && self.lowest.get().is_some();
        if loud && (above >= p.on_db || (self.speaking && above >= p.off_db)) {
            self.speaking = true;
            self.hold = self.hangover;
        } else if self.hold > 0 {
            self.hold -= 1;
        } else {
            self.speaking = false;
        }
        Activity {
            speech: self.speaking || self.hold > 0,
            floor_db: self.floor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_over_noise_are_speech_and_gain_does_not_matter() {
        for gain in [-12.0f32, 0.0, 12.0] {
            let mut v = VoiceActivity::new(VadParams::default());
            let mut speech = 0;
            let mut noise_as_speech = 0;
            for i in 0..1000 {
                let burst = (i / 50) % 2 == 1;
                let level = if burst { -25.0 } else { -55.0 } + gain;
                let a = v.push(level);
                if burst && a.speech {
                    speech += 1;
                }
                // Frames well after a burst (beyond the hangover).
                if !burst && i % 50 > 15 && a.speech {
                    noise_as_speech += 1;
                }
            }
            assert!(speech >= 495, "gain {gain}: {speech}");
            assert_eq!(noise_as_speech, 0, "gain {gain}");
        }
    }

    #[test]
    fn digital_silence_and_steady_noise_are_not_speech() {
        let mut v = VoiceActivity::new(VadParams::default());
        for _ in 0..300 {
            assert!(!v.push(-150.0).speech);
        }
        let mut count = 0;
        for i in 0..1000 {
            // Steady noise with +-2 dB wobble.
            let wobble = ((i * 7919) % 17) as f32 / 4.0 - 2.0;
            if v.push(-50.0 + wobble).speech {
                count += 1;
            }
        }
        // The floor needs its window to learn the new noise, then nothing.
        assert!(count <= 200, "{count}");
    }
}
