//! Syllable nuclei: peaks of the speech envelope that are periodic, stand out
//! from the noise floor and from their neighbours.
//!
//! Each syllable has one sonorant nucleus (a vowel, sometimes a syllabic nasal)
//! where the level in the telephone band peaks. The envelope is smoothed with
//! a short Gaussian (two hops of delay). A peak counts when the envelope rose
//! at least `dip_db` from the previous valley and then falls `dip_db` again (so
//! a nucleus is reported a few tens of milliseconds after it, never before),
//! the frame at the peak is periodic speech, and the peak is not far below the
//! loud part of the recent speech (which rejects breaths and noise bursts).
//!
//! Periodicity (the best normalised correlation) is used rather than the pitch
//! tracker's voicing decision: on fast pitch glides the tracker may call a loud
//! vowel unvoiced, but its correlation still stands above that of noise.

use std::collections::VecDeque;

use crate::HOP_S;

#[derive(Debug, Clone, Copy)]
pub struct NucleiParams {
    /// Rise before and fall after a peak, dB.
    pub dip_db: f32,
    /// Minimum height of a peak above the noise floor, dB.
    pub min_above_floor_db: f32,
    /// Maximum depth of a peak below the loudest envelope of the last
    /// `reference_s` seconds, dB.
    pub max_below_recent_db: f32,
    pub reference_s: f64,
    /// Minimum time between nuclei, s.
    pub min_gap_s: f64,
    /// Minimum periodicity (normalised correlation) at the peak.
    pub min_periodicity: f32,
}

impl Default for NucleiParams {
    fn default() -> Self {
        Self {
            dip_db: 1.5,
            min_above_floor_db: 10.0,
            max_below_recent_db: 25.0,
            reference_s: 2.0,
            min_gap_s: 0.07,
            min_periodicity: 0.25,
        }
    }
}

/// What the detector needs to know about one hop.
#[derive(Debug, Clone, Copy)]
pub struct NucleusInput {
    pub time_s: f64,
    /// Speech envelope (level in the telephone band), dB.
    pub envelope_db: f32,
    pub floor_db: f32,
    pub speech: bool,
    /// Best normalised correlation of the frame's pitch candidates.
    pub periodicity: f32,
}

/// Gaussian smoothing kernel (sigma = one hop), centred two hops back.
const SMOOTH: [f32; 5] = [0.054, 0.244, 0.404, 0.244, 0.054];
const DELAY: usize = SMOOTH.len() / 2;

#[derive(Debug, Clone, Copy)]
struct Peak {
    time_s: f64,
    db: f32,
    valid: bool,
}

/// Streaming syllable-nucleus detector.
#[derive(Debug, Clone)]
pub struct NucleusDetector {
    params: NucleiParams,
    /// Lowest envelope since the last peak.
    valley: f32,
    /// Highest point since the valley, if it rose enough to be a candidate.
    candidate: Option<Peak>,
    last_nucleus: f64,
    /// Sliding maximum of the speech envelope for the loudness reference.
    maxq: VecDeque<(u64, f32)>,
    reference_hops: u64,
    index: u64,
    /// The last inputs, newest last, for the smoothing.
    recent: [Option<NucleusInput>; SMOOTH.len()],
}

impl NucleusDetector {
    pub fn new(params: NucleiParams) -> Self {
        let reference_hops = (params.reference_s / HOP_S).round() as u64;
        Self {
            params,
            valley: f32::INFINITY,
            candidate: None,
            last_nucleus: f64::NEG_INFINITY,
            maxq: VecDeque::with_capacity(reference_hops as usize + 1),
            reference_hops,
            index: 0,
            recent: [None; SMOOTH.len()],
        }
    }

    /// Takes one hop; returns the time of a nucleus confirmed at this hop.
    pub fn push(&mut self, input: NucleusInput) -> Option<f64> {
        self.recent.rotate_left(1);
        self.recent[SMOOTH.len() - 1] = Some(input);
        // The hop at the centre of the kernel is the one decided; the first
        // hops of a stream wait until the kernel is full.
        let mut x = self.recent[0].and(self.recent[DELAY])?;
        x.envelope_db = self
            .recent
            .iter()
            .flatten()
            .zip(SMOOTH)
            .map(|(r, w)| w * r.envelope_db)
            .sum();
        self.decide(x)
    }

    fn decide(&mut self, x: NucleusInput) -> Option<f64> {
        let p = self.params;
        let i = self.index;
        self.index += 1;
        if x.speech {
            while self.maxq.back().is_some_and(|&(_, v)| v <= x.envelope_db) {
                self.maxq.pop_back();
            }
            self.maxq.push_back((i, x.envelope_db));
        }
        while self
            .maxq
            .front()
            .is_some_and(|&(j, _)| j + self.reference_hops <= i)
        {
            self.maxq.pop_front();
        }
        let reference = self.maxq.front().map_or(f32::NEG_INFINITY, |&(_, v)| v);

        let v = x.envelope_db;
        let here = Peak {
            time_s: x.time_s,
            db: v,
            valid: x.speech
                && x.periodicity >= p.min_periodicity
                && v >= x.floor_db + p.min_above_floor_db
                && v >= reference - p.max_below_recent_db,
        };
        let mut found = None;
        match self.candidate {
            Some(c) if v > c.db => self.candidate = Some(here),
            Some(c) if v <= c.db - p.dip_db => {
                if c.valid && c.time_s - self.last_nucleus >= p.min_gap_s {
                    self.last_nucleus = c.time_s;
                    found = Some(c.time_s);
                }
                self.candidate = None;
                self.valley = v;
            }
            Some(_) => {}
            None => {
                self.valley = self.valley.min(v);
                if v >= self.valley + p.dip_db {
                    self.candidate = Some(here);
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_syllable_bumps_and_ignores_ripple() {
        let mut d = NucleusDetector::new(NucleiParams::default());
        let mut count = 0;
        for i in 0..400 {
            let t = i as f64 * HOP_S;
            // 5 syllables per second: 15 dB bumps plus 1 dB ripple.
            let bump = 15.0 * (0.5 - 0.5 * (2.0 * std::f64::consts::PI * 5.0 * t).cos());
            let ripple = (2.0 * std::f64::consts::PI * 37.0 * t).sin();
            let env = -40.0 + bump + ripple;
            if d.push(NucleusInput {
                time_s: t,
                envelope_db: env as f32,
                floor_db: -60.0,
                speech: true,
                periodicity: 0.9,
            })
            .is_some()
            {
                count += 1;
            }
        }
        // 4 s at 5/s; the last bump may still be pending.
        assert!((19..=20).contains(&count), "{count}");
    }

    #[test]
    fn unvoiced_bumps_are_not_nuclei() {
        let mut d = NucleusDetector::new(NucleiParams::default());
        let n = (0..400)
            .filter(|&i| {
                let t = i as f64 * HOP_S;
                let env = -40.0 + 15.0 * (2.0 * std::f64::consts::PI * 5.0 * t).sin();
                d.push(NucleusInput {
                    time_s: t,
                    envelope_db: env as f32,
                    floor_db: -60.0,
                    speech: true,
                    periodicity: 0.1,
                })
                .is_some()
            })
            .count();
        assert_eq!(n, 0);
    }
}
