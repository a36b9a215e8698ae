//! Talk spurts of one party from the core's per-hop voice activity.
//!
//! The raw decision flickers: stop closures and short breaths inside a phrase
//! read as non-speech, and a click or a cough reads as speech. The rules:
//!
//! - a gap of up to `bridge_s` between two speech hops is part of the spurt
//!   (a pause inside a phrase is not a turn end);
//! - a spurt shorter than `min_spurt_s` after bridging is not talk (clicks,
//!   coughs, line noise);
//! - a spurt ends at the end of its last speech hop, less the voice-activity
//!   detector's own hangover (it holds speech a little after the level drops,
//!   which would make every spurt end late and every gap look shorter).
//!
//! Both rules need a little of the future, so the smoother answers with a
//! fixed delay of `bridge + min_spurt` hops: after hop `n` it says whether hop
//! `n - delay` was talk. Nothing later than that is used, so a live monitor
//! can run it with the same, bounded, delay.

use std::collections::VecDeque;

use crate::dsp::sliding::SlidingExtreme;

/// A spurt of talk in hop indices, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spurt {
    pub start: u64,
    pub end: u64,
}

/// Streaming smoother of one party's voice activity. Fixed memory.
#[derive(Debug, Clone)]
pub struct TalkSmoother {
    bridge: u64,
    /// Hops the detector holds speech after it ends.
    hangover: u64,
    min_spurt: u64,
    /// The spurt being gathered: start and last speech hop.
    open: Option<(u64, u64)>,
    /// Closed spurts not yet wholly behind the output hop.
    closed: VecDeque<Spurt>,
    next: u64,
}

impl TalkSmoother {
    /// `hangover_hops` is the voice-activity detector's hangover; gaps are
    /// bridged and spurts end as if it were not there.
    pub fn new(bridge_hops: u64, min_spurt_hops: u64, hangover_hops: u64) -> Self {
        Self {
            bridge: bridge_hops.max(hangover_hops),
            hangover: hangover_hops,
            min_spurt: min_spurt_hops.max(1),
            open: None,
            closed: VecDeque::new(),
            next: 0,
        }
    }

    /// Hops between an input hop and the output that covers it.
    pub fn delay(&self) -> u64 {
        self.bridge + self.min_spurt
    }

    /// Takes the raw decision for the next hop; returns whether the hop
    /// `delay()` hops earlier was talk (`None` for the first `delay()` hops).
    pub fn push(&mut self, speech: bool) -> Option<bool> {
        let n = self.next;
        self.next += 1;
        if speech {
            match self.open {
                Some((start, last)) if n - last <= self.raw_bridge() + 1 => {
                    self.open = Some((start, n))
                }
                Some((start, last)) => {
                    self.close(start, last);
                    self.open = Some((n, n));
                }
                None => self.open = Some((n, n)),
            }
        } else if let Some((start, last)) = self.open
            && n - last > self.raw_bridge()
        {
            self.close(start, last);
            self.open = None;
        }
        let m = n.checked_sub(self.delay())?;
        while self.closed.front().is_some_and(|s| s.end <= m) {
            self.closed.pop_front();
        }
        let in_closed = self.closed.front().is_some_and(|s| s.start <= m);
        // An open spurt reaching back to `m` has speech at least `min_spurt`
        // hops after `m` even without the hangover (see the delay), so it is
        // long enough to count and `m` is inside it.
        let in_open = self.open.is_some_and(|(start, _)| start <= m);
        Some(in_closed || in_open)
    }

    /// Everything left, as if the input went silent: the decisions of the
    /// last `delay()` hops.
    pub fn drain(&mut self) -> Vec<bool> {
        let real = self.next;
        let delay = self.delay();
        let mut out = Vec::with_capacity(delay as usize);
        for _ in 0..delay {
            let n = self.next;
            if let Some(v) = self.push(false)
                && n - delay < real
            {
                out.push(v);
            }
        }
        out
    }

    /// The longest gap bridged in the detector's output, where every gap is
    /// shorter by the hangover.
    fn raw_bridge(&self) -> u64 {
        self.bridge - self.hangover
    }

    fn close(&mut self, start: u64, last: u64) {
        let s = Spurt {
            start,
            end: (last + 1).saturating_sub(self.hangover).max(start + 1),
        };
        if s.end - s.start >= self.min_spurt {
            self.closed.push_back(s);
        }
    }
}

/// Cuts the faint tail of a party's speech: a hop is talk only while its
/// level is within `tail_db` of the party's loudest hop of the last
/// `window` hops. The voice-activity detector follows the noise floor, so it
/// holds a phrase's reverberant, breathy decay 35–50 dB under the phrase's
/// peak for a few tenths of a second, which nobody counts as talking (and
/// which made talk share read high for some voices). Causal; fixed memory.
///
/// A cut is held for `hangover` hops as the detector holds its own, so that
/// [`TalkSmoother`] taking the hangover off a spurt's end lands on the cut.
#[derive(Debug, Clone)]
pub struct TailGate {
    tail_db: f32,
    hangover: u64,
    /// Loudest hop of the window.
    loudest: SlidingExtreme<f32>,
    /// Hops since the level was last within `tail_db` of the maximum.
    since_loud: u64,
    next: u64,
}

impl TailGate {
    pub fn new(tail_db: f32, window_hops: u64, hangover_hops: u64) -> Self {
        Self {
            tail_db,
            hangover: hangover_hops,
            loudest: SlidingExtreme::max(window_hops.max(1)),
            since_loud: u64::MAX,
            next: 0,
        }
    }

    /// The detector's decision and the level of the next hop; returns
    /// whether the hop is talk.
    pub fn push(&mut self, speech: bool, level_db: f32) -> bool {
        let n = self.next;
        self.next += 1;
        self.loudest.push(n, level_db);
        self.loudest.expire(n);
        let peak = self.loudest.get().unwrap_or(level_db);
        if level_db >= peak - self.tail_db {
            self.since_loud = 0;
        } else {
            self.since_loud = self.since_loud.saturating_add(1);
        }
        speech && self.since_loud <= self.hangover
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faint_tail_is_cut_after_the_hangover() {
        let mut g = TailGate::new(35.0, 100, 2);
        // Loud speech, then a tail 40 dB down the detector still calls speech.
        let levels = [-20.0, -15.0, -18.0, -55.0, -56.0, -57.0, -58.0, -59.0];
        let out: Vec<bool> = levels.iter().map(|&l| g.push(true, l)).collect();
        assert_eq!(out, [true, true, true, true, true, false, false, false]);
        // Non-speech stays non-speech, however loud.
        assert!(!g.push(false, -10.0));
    }

    #[test]
    fn quiet_speech_on_its_own_is_talk() {
        // Nothing loud in the window: a soft speaker's speech all counts.
        let mut g = TailGate::new(35.0, 10, 0);
        for _ in 0..20 {
            g.push(false, -20.0);
        }
        let out: Vec<bool> = (0..15).map(|_| g.push(true, -58.0)).collect();
        assert!(!out[0], "the loud hops are still in the window");
        assert!(out[14], "once they leave it, the soft speech is talk");
    }

    fn smooth(raw: &[bool], bridge: u64, min: u64) -> Vec<bool> {
        let mut s = TalkSmoother::new(bridge, min, 0);
        let mut out: Vec<bool> = raw.iter().filter_map(|&x| s.push(x)).collect();
        out.extend(s.drain());
        out
    }

    fn pattern(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '#').collect()
    }

    #[test]
    fn short_gaps_are_bridged_long_ones_are_not() {
        let raw = pattern("..####..###.....###...");
        let want = pattern("..#########.....###...");
        assert_eq!(smooth(&raw, 2, 2), want);
    }

    #[test]
    fn clicks_are_not_talk() {
        let raw = pattern("..#.....##....####...#");
        let want = pattern("........##....####....");
        assert_eq!(smooth(&raw, 2, 2), want);
    }

    #[test]
    fn the_detectors_hangover_is_taken_off() {
        let mut s = TalkSmoother::new(3, 2, 1);
        let raw = pattern("..#####...####......###.");
        // Ends one hop earlier; the raw 3-hop gap is a 4-hop gap, over the bridge.
        let want = pattern("..####....###.......##..");
        let mut out: Vec<bool> = raw.iter().filter_map(|&x| s.push(x)).collect();
        out.extend(s.drain());
        assert_eq!(out, want);
    }

    #[test]
    fn output_has_one_decision_per_input_hop() {
        for len in 0..12 {
            let raw: Vec<bool> = (0..len).map(|i| i % 3 != 0).collect();
            assert_eq!(smooth(&raw, 3, 2).len(), len);
            let mut s = TalkSmoother::new(3, 2, 2);
            let n = raw.iter().filter_map(|&x| s.push(x)).count() + s.drain().len();
            assert_eq!(n, len);
        }
    }
}
