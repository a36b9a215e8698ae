//! The highest (or lowest) value of the last `window` hops, in O(1) amortised
//! time per hop and fixed memory: a monotonic deque of (hop, value). Noise
//! floors, peak holds and "loudest of the last seconds" references all use it.

use std::collections::VecDeque;

/// Sliding maximum or minimum over hop indices.
#[derive(Debug, Clone)]
pub struct SlidingExtreme<T> {
    /// Candidates in hop order, values strictly decreasing (max) or
    /// increasing (min) from the front.
    queue: VecDeque<(u64, T)>,
    window: u64,
    max: bool,
}

impl<T: Copy + PartialOrd> SlidingExtreme<T> {
    /// The maximum of the last `window` hops.
    pub fn max(window: u64) -> Self {
        Self::new(window, true)
    }

    /// The minimum of the last `window` hops.
    pub fn min(window: u64) -> Self {
        Self::new(window, false)
    }

    fn new(window: u64, max: bool) -> Self {
        Self {
            // Never more than `window` entries: no allocation after this.
            queue: VecDeque::with_capacity(window as usize + 1),
            window,
            max,
        }
    }

    /// Takes the value of hop `index` (indices increase).
    pub fn push(&mut self, index: u64, value: T) {
        while self
            .queue
            .back()
            .is_some_and(|&(_, v)| if self.max { v <= value } else { v >= value })
        {
            self.queue.pop_back();
        }
        self.queue.push_back((index, value));
    }

    /// Forgets hops older than the window ending at hop `now`.
    pub fn expire(&mut self, now: u64) {
        while self
            .queue
            .front()
            .is_some_and(|&(i, _)| i + self.window <= now)
        {
            self.queue.pop_front();
        }
    }

    /// The extreme of the hops in the window, if any was pushed.
    pub fn get(&self) -> Option<T> {
        self.queue.front().map(|&(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_extreme_of_the_window() {
        let values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0];
        let mut hi = SlidingExtreme::max(3);
        let mut lo = SlidingExtreme::min(3);
        for (i, &v) in values.iter().enumerate() {
            let i = i as u64;
            hi.push(i, v);
            lo.push(i, v);
            hi.expire(i);
            lo.expire(i);
            let w = &values[(i as usize).saturating_sub(2)..=i as usize];
            assert_eq!(hi.get(), w.iter().copied().reduce(f64::max), "max at {i}");
            assert_eq!(lo.get(), w.iter().copied().reduce(f64::min), "min at {i}");
        }
    }

    #[test]
    fn hops_not_pushed_leave_the_window_empty() {
        let mut hi = SlidingExtreme::max(2);
        hi.push(0, 1.0f32);
        hi.expire(1);
        assert_eq!(hi.get(), Some(1.0));
        hi.expire(2);
        assert_eq!(hi.get(), None);
    }
}
