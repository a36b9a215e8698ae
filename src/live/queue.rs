//! The hand-over from audio sources (a capture callback, a replay thread) to
//! the analysis thread.
//!
//! The capture callback must never allocate, lock or block. So the buffers
//! are allocated up front and circulate between two bounded channels: the
//! source takes an empty buffer from `free`, fills it and puts it on `full`;
//! the analysis thread takes it from `full`, analyses it and puts it back on
//! `free`. Both ends only use `try_send`/`try_recv`, and the analysis thread
//! never blocks on `full` (it polls with a short sleep), so a sender never
//! finds a receiver waiting and never takes the channel's waker lock. When no
//! empty buffer is left, or `full` is full, the source counts the frames it
//! could not hand over; the analysis thread feeds that much silence in their
//! place, so timing stays right and the loss is reported, never silent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

/// Frames a buffer holds. A callback that delivers more is split.
pub const CHUNK_FRAMES: usize = 2048;

/// One party's audio, as a source hands it over.
#[derive(Debug)]
pub struct Chunk {
    /// Index of the party (into the session's list of parties).
    pub party: usize,
    /// Sample rate of these samples.
    pub rate: u32,
    /// Mono samples of the party, `len() <= CHUNK_FRAMES`.
    pub samples: Vec<f32>,
    /// When the last of these samples arrived (the callback ran).
    pub arrived: Instant,
}

/// Counters a source keeps per party, shared with the analysis thread.
#[derive(Debug, Default)]
pub struct PartyCounters {
    /// Frames delivered by the device.
    pub frames_in: AtomicU64,
    /// Frames the source could not hand over (no free buffer, queue full).
    pub frames_dropped: AtomicU64,
    /// Hand-overs that failed (each one a gap in the audio).
    pub overflows: AtomicU64,
    /// The device is delivering audio.
    pub connected: AtomicBool,
}

/// Both channels of the pool, and the counters.
pub struct ChunkQueue {
    free_tx: Sender<Chunk>,
    free_rx: Receiver<Chunk>,
    full_tx: Sender<Chunk>,
    full_rx: Receiver<Chunk>,
    counters: Arc<[PartyCounters]>,
}

impl ChunkQueue {
    /// A pool of `buffers` chunks for `parties` parties.
    pub fn new(parties: usize, buffers: usize) -> Self {
        let (free_tx, free_rx) = bounded(buffers);
        let (full_tx, full_rx) = bounded(buffers);
        let now = Instant::now();
        for _ in 0..buffers {
            free_tx
                .try_send(Chunk {
                    party: 0,
                    rate: 0,
                    samples: Vec::with_capacity(CHUNK_FRAMES),
                    arrived: now,
                })
                .expect("the free channel holds every buffer");
        }
        Self {
            free_tx,
            free_rx,
            full_tx,
            full_rx,
            counters: (0..parties).map(|_| PartyCounters::default()).collect(),
        }
    }

    /// The handle a source pushes with (cheap to clone).
    pub fn producer(&self) -> Producer {
        Producer {
            free: self.free_rx.clone(),
            free_back: self.free_tx.clone(),
            full: self.full_tx.clone(),
            counters: self.counters.clone(),
        }
    }

    /// The analysis side.
    pub fn consumer(&self) -> Consumer {
        Consumer {
            free: self.free_tx.clone(),
            full: self.full_rx.clone(),
            counters: self.counters.clone(),
        }
    }

    pub fn counters(&self) -> Arc<[PartyCounters]> {
        self.counters.clone()
    }
}

/// The source side. Every method is safe to call from an audio callback: no
/// allocation, no lock, no blocking.
#[derive(Clone)]
pub struct Producer {
    free: Receiver<Chunk>,
    free_back: Sender<Chunk>,
    full: Sender<Chunk>,
    counters: Arc<[PartyCounters]>,
}

impl Producer {
    pub fn counters(&self, party: usize) -> &PartyCounters {
        &self.counters[party]
    }

    /// Hands over `frames` samples of `party`, produced by `sample(i)` for
    /// `i` in `0..frames` (so the caller converts straight from the device's
    /// format into the buffer, without a copy of its own).
    pub fn push_with(
        &self,
        party: usize,
        rate: u32,
        frames: usize,
        arrived: Instant,
        mut sample: impl FnMut(usize) -> f32,
    ) {
        let c = &self.counters[party];
        c.frames_in.fetch_add(frames as u64, Ordering::Relaxed);
        c.connected.store(true, Ordering::Relaxed);
        let mut start = 0;
        while start < frames {
            let n = (frames - start).min(CHUNK_FRAMES);
            let Ok(mut chunk) = self.free.try_recv() else {
                self.dropped(party, frames - start);
                return;
            };
            chunk.party = party;
            chunk.rate = rate;
            chunk.arrived = arrived;
            chunk.samples.clear();
            // Within the capacity reserved up front: no allocation.
            chunk.samples.extend((start..start + n).map(&mut sample));
            if let Err(TrySendError::Full(chunk) | TrySendError::Disconnected(chunk)) =
                self.full.try_send(chunk)
            {
                // Back to the pool rather than freed here (freeing is as bad
                // as allocating in a callback). The pool has room for every
                // buffer, so this cannot fail.
                let _ = self.free_back.try_send(chunk);
                self.dropped(party, frames - start);
                return;
            }
            start += n;
        }
    }

    /// Hands over a slice of `party`'s samples.
    pub fn push(&self, party: usize, rate: u32, samples: &[f32], arrived: Instant) {
        self.push_with(party, rate, samples.len(), arrived, |i| samples[i]);
    }

    fn dropped(&self, party: usize, frames: usize) {
        let c = &self.counters[party];
        c.frames_dropped.fetch_add(frames as u64, Ordering::Relaxed);
        c.overflows.fetch_add(1, Ordering::Relaxed);
    }
}

/// The analysis side.
pub struct Consumer {
    free: Sender<Chunk>,
    full: Receiver<Chunk>,
    counters: Arc<[PartyCounters]>,
}

impl Consumer {
    /// The next chunk, if one is waiting.
    pub fn try_next(&self) -> Option<Chunk> {
        self.full.try_recv().ok()
    }

    /// Returns a chunk's buffer to the pool.
    pub fn recycle(&self, chunk: Chunk) {
        // The pool has room for every buffer: this cannot fail, and if it
        // did the buffer would simply be freed.
        let _ = self.free.try_send(chunk);
    }

    pub fn counters(&self, party: usize) -> &PartyCounters {
        &self.counters[party]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_circulate_and_long_callbacks_are_split() {
        let q = ChunkQueue::new(2, 4);
        let p = q.producer();
        let c = q.consumer();
        let data: Vec<f32> = (0..CHUNK_FRAMES + 10).map(|i| i as f32).collect();
        p.push(1, 16000, &data, Instant::now());
        let a = c.try_next().unwrap();
        let b = c.try_next().unwrap();
        assert!(c.try_next().is_none());
        assert_eq!((a.party, a.rate, a.samples.len()), (1, 16000, CHUNK_FRAMES));
        assert_eq!(b.samples, data[CHUNK_FRAMES..]);
        c.recycle(a);
        c.recycle(b);
        assert_eq!(
            c.counters(1).frames_in.load(Ordering::Relaxed),
            data.len() as u64
        );
        assert_eq!(c.counters(1).overflows.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_stalled_consumer_makes_counted_overflows_not_allocations() {
        let q = ChunkQueue::new(1, 3);
        let p = q.producer();
        let c = q.consumer();
        let block = [0.5f32; 100];
        for _ in 0..5 {
            p.push(0, 8000, &block, Instant::now());
        }
        let counters = c.counters(0);
        assert_eq!(counters.overflows.load(Ordering::Relaxed), 2);
        assert_eq!(counters.frames_dropped.load(Ordering::Relaxed), 200);
        // The three delivered buffers still have the capacity they started with.
        for _ in 0..3 {
            let chunk = c.try_next().unwrap();
            assert_eq!(chunk.samples.capacity(), CHUNK_FRAMES);
            c.recycle(chunk);
        }
        // Recycled buffers make room again.
        p.push(0, 8000, &block, Instant::now());
        assert!(c.try_next().is_some());
    }
}
