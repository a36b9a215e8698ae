//! Replay: a recording fed through the live path at the pace it was spoken
//! (or `speed` times faster), as if a device delivered it. Used for demos,
//! for trainers showing a recorded call, and for tests of the live path.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::queue::Producer;
use crate::audio::decode::{DecodeError, Decoder};

/// Seconds of audio per hand-over at speed 1: like a device's 10 ms callbacks.
const PIECE_S: f64 = 0.01;

/// Where replayed audio comes from: a block at a time, one `Vec` per channel.
pub trait Blocks {
    /// Fills `out` (one buffer per channel) with the next block; returns its
    /// frames, 0 at the end.
    fn next_block(&mut self, out: &mut [Vec<f32>]) -> Result<usize, DecodeError>;
}

impl Blocks for Decoder {
    fn next_block(&mut self, out: &mut [Vec<f32>]) -> Result<usize, DecodeError> {
        Decoder::next_block(self, out)
    }
}

/// A recording held in memory (the built-in demo call).
pub struct InMemory {
    channels: Vec<Vec<f32>>,
    pos: usize,
}

impl InMemory {
    pub fn new(channels: Vec<Vec<f32>>) -> Self {
        Self { channels, pos: 0 }
    }
}

impl Blocks for InMemory {
    fn next_block(&mut self, out: &mut [Vec<f32>]) -> Result<usize, DecodeError> {
        let len = self.channels.first().map_or(0, Vec::len);
        let end = (self.pos + 4096).min(len);
        for (o, c) in out.iter_mut().zip(&self.channels) {
            o.clear();
            o.extend_from_slice(&c[self.pos..end]);
        }
        let n = end - self.pos;
        self.pos = end;
        Ok(n)
    }
}

/// Plays `blocks` (`channels` channels at `rate`) into `producer`, channel
/// `i` as party `parties[i]`, pacing the hand-overs to the wall clock.
/// Returns the seconds of audio played; stops early when `stop` is set.
pub fn play(
    blocks: &mut dyn Blocks,
    channels: usize,
    rate: u32,
    parties: &[usize],
    speed: f64,
    producer: &Producer,
    stop: &AtomicBool,
) -> Result<f64, DecodeError> {
    let piece = ((f64::from(rate) * PIECE_S * speed.max(1.0)).round() as usize).max(1);
    let mut block = vec![Vec::new(); channels];
    let start = Instant::now();
    let mut sent: u64 = 0;
    loop {
        let n = blocks.next_block(&mut block)?;
        if n == 0 {
            break;
        }
        let mut at = 0;
        while at < n {
            if stop.load(Ordering::Relaxed) {
                return Ok(sent as f64 / f64::from(rate));
            }
            let take = piece.min(n - at);
            sent += take as u64;
            // A device hands audio over once it has all of it: wait until
            // the end of this piece has been "spoken".
            let due = start + Duration::from_secs_f64(sent as f64 / f64::from(rate) / speed);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let arrived = Instant::now();
            for (c, &party) in block.iter().zip(parties) {
                producer.push(party, rate, &c[at..at + take], arrived);
            }
            at += take;
        }
    }
    Ok(sent as f64 / f64::from(rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::queue::ChunkQueue;

    #[test]
    fn replays_every_sample_in_order_at_the_requested_pace() {
        let rate = 8000;
        let left: Vec<f32> = (0..rate as usize / 2).map(|i| i as f32).collect();
        let right: Vec<f32> = left.iter().map(|x| -x).collect();
        let q = ChunkQueue::new(2, 512);
        let stop = AtomicBool::new(false);
        let t = Instant::now();
        let played = play(
            &mut InMemory::new(vec![left.clone(), right.clone()]),
            2,
            rate,
            &[1, 0],
            10.0,
            &q.producer(),
            &stop,
        )
        .unwrap();
        let wall = t.elapsed().as_secs_f64();
        assert!((played - 0.5).abs() < 1e-9);
        // 0.5 s of audio at 10x: not before 50 ms of wall time.
        assert!(wall >= 0.049, "{wall}");
        let c = q.consumer();
        let (mut got0, mut got1) = (Vec::new(), Vec::new());
        while let Some(ch) = c.try_next() {
            assert_eq!(ch.rate, rate);
            if ch.party == 0 {
                got0.extend_from_slice(&ch.samples);
            } else {
                got1.extend_from_slice(&ch.samples);
            }
            c.recycle(ch);
        }
        assert_eq!(got1, left);
        assert_eq!(got0, right);
    }
}
