//! A channel's timeline, kept in bounded memory however long the call.
//!
//! A call's timeline grows by 4 points a second per party (≈ 300 bytes each):
//! 18 MB for a two-hour stereo call held in memory. [`Timeline`] keeps the
//! newest [`RECENT_POINTS`] in memory and moves older points to an anonymous
//! temporary file (deleted by the system when the timeline is dropped, or the
//! process dies) in a fixed-size binary record, so a long call costs the same
//! memory as a 9-minute one. A call shorter than that never touches the disk.
//! If the temporary file cannot be created or written (no temporary space),
//! the points stay in memory: nothing is lost, only memory is spent.
//!
//! What needs the points again reads them back with [`Timeline::points`]
//! (JSON and CSV write every point). The report's plots need far fewer points
//! than a two-hour call has, so the timeline also keeps [`Timeline::plot`]: at
//! most [`PLOT_POINTS`] points, every point while the call is short, then
//! every 2nd, 4th, ... point. Each point already averages a 2–3 s window,
//! so one point every 2 s (a two-hour call) loses little of the curve.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};

use crate::analyzer::TimelinePoint;
use crate::classify::AngerState;
use crate::dsp::spectrum::SHAPE_BANDS;
use crate::measures::Measures;

/// Points kept in memory before the older ones go to the temporary file
/// (8.5 minutes at the default 4 points a second).
pub const RECENT_POINTS: usize = 2048;

/// Most points [`Timeline::plot`] keeps.
pub const PLOT_POINTS: usize = 2048;

/// Points read back from the temporary file at a time.
const READ_POINTS: usize = 256;

/// Bytes of one point in the temporary file: time, speech and voiced seconds,
/// syllables, the 8 optional measures and the anger score, the spectral
/// shape, a bit mask of which options are present, and the state.
const RECORD: usize = 8 * 4 + OPTIONS * 8 + 2 * SHAPE_BANDS * 8 + 2 + 1;

/// The timeline points of one channel, in time order.
pub struct Timeline {
    /// The newest points, not yet spilled.
    recent: Vec<TimelinePoint>,
    /// The older points, [`RECORD`] bytes each.
    spill: Option<File>,
    /// Points in `spill`.
    spilled: usize,
    /// The temporary file failed once: keep everything in memory from now on.
    spill_failed: bool,
    /// Every `stride`-th point.
    plot: Vec<TimelinePoint>,
    plot_stride: usize,
    /// Highest anger score of any point.
    peak_anger: Option<f64>,
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline {
            recent: Vec::new(),
            spill: None,
            spilled: 0,
            spill_failed: false,
            plot: Vec::new(),
            plot_stride: 1,
            peak_anger: None,
        }
    }

    /// Appends a point (points come in time order).
    pub fn push(&mut self, point: &TimelinePoint) {
        if let Some(s) = point.anger_score {
            self.peak_anger = Some(self.peak_anger.map_or(s, |p| p.max(s)));
        }
        let index = self.len();
        if index.is_multiple_of(self.plot_stride) {
            if self.plot.len() == PLOT_POINTS {
                // Keep every other point: those at multiples of the doubled stride.
                let mut keep = false;
                self.plot.retain(|_| {
                    keep = !keep;
                    keep
                });
                self.plot_stride *= 2;
            }
            if index.is_multiple_of(self.plot_stride) {
                self.plot.push(point.clone());
            }
        }
        self.recent.push(point.clone());
        if self.recent.len() >= RECENT_POINTS && !self.spill_failed {
            if self.spill_recent().is_ok() {
                self.recent.clear();
            } else {
                self.spill_failed = true;
            }
        }
    }

    /// Writes the points in memory to the end of the temporary file. On a
    /// failure the file is cut back to the points it held before.
    fn spill_recent(&mut self) -> io::Result<()> {
        if self.spill.is_none() {
            self.spill = Some(tempfile::tempfile()?);
        }
        let file = self.spill.as_mut().expect("created above");
        let mut bytes = Vec::with_capacity(self.recent.len() * RECORD);
        for p in &self.recent {
            encode(p, &mut bytes);
        }
        if let Err(e) = file.write_all(&bytes) {
            let _ = file.set_len((self.spilled * RECORD) as u64);
            return Err(e);
        }
        self.spilled += self.recent.len();
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.spilled + self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Highest anger score of the channel, if it was ever scored.
    pub fn peak_anger(&self) -> Option<f64> {
        self.peak_anger
    }

    /// At most [`PLOT_POINTS`] evenly spaced points, for plots: all of them
    /// while there are no more than that.
    pub fn plot(&self) -> &[TimelinePoint] {
        &self.plot
    }

    /// Every point in time order. Points moved to the temporary file are read
    /// back, which can fail (an I/O error on the temporary file).
    pub fn points(&self) -> Points<'_> {
        Points {
            timeline: self,
            next_spilled: 0,
            buffer: Vec::new(),
            buffered: std::collections::VecDeque::new(),
            recent: 0,
        }
    }
}

impl Default for Timeline {
    fn default() -> Timeline {
        Timeline::new()
    }
}

impl From<Vec<TimelinePoint>> for Timeline {
    fn from(points: Vec<TimelinePoint>) -> Timeline {
        let mut t = Timeline::new();
        for p in &points {
            t.push(p);
        }
        t
    }
}

impl fmt::Debug for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeline")
            .field("len", &self.len())
            .field("spilled", &self.spilled)
            .finish_non_exhaustive()
    }
}

/// The points of a [`Timeline`], read back from its temporary file first.
pub struct Points<'a> {
    timeline: &'a Timeline,
    next_spilled: usize,
    buffer: Vec<u8>,
    buffered: std::collections::VecDeque<TimelinePoint>,
    recent: usize,
}

impl Points<'_> {
    fn refill(&mut self, file: &File) -> io::Result<()> {
        let n = READ_POINTS.min(self.timeline.spilled - self.next_spilled);
        self.buffer.resize(n * RECORD, 0);
        read_exact_at(file, &mut self.buffer, (self.next_spilled * RECORD) as u64)?;
        self.buffered
            .extend(self.buffer.chunks_exact(RECORD).map(decode));
        self.next_spilled += n;
        Ok(())
    }
}

impl Iterator for Points<'_> {
    type Item = io::Result<TimelinePoint>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(p) = self.buffered.pop_front() {
            return Some(Ok(p));
        }
        if self.next_spilled < self.timeline.spilled {
            let file = self.timeline.spill.as_ref().expect("points were spilled");
            if let Err(e) = self.refill(file) {
                // Stop after reporting it.
                self.next_spilled = self.timeline.spilled;
                self.recent = self.timeline.recent.len();
                return Some(Err(e));
            }
            return self.buffered.pop_front().map(Ok);
        }
        let p = self.timeline.recent.get(self.recent)?;
        self.recent += 1;
        Some(Ok(p.clone()))
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn state_code(s: AngerState) -> u8 {
    match s {
        AngerState::Learning => 0,
        AngerState::Calm => 1,
        AngerState::Tense => 2,
        AngerState::Angry => 3,
    }
}

fn state_of(code: u8) -> AngerState {
    match code {
        0 => AngerState::Learning,
        1 => AngerState::Calm,
        2 => AngerState::Tense,
        _ => AngerState::Angry,
    }
}

/// Number of [`options`].
const OPTIONS: usize = 10;

/// The optional values of a point, in record order.
fn options(p: &TimelinePoint) -> [Option<f64>; OPTIONS] {
    let m = &p.measures;
    [
        m.speech_rate_syl_s,
        m.active_level_dbfs,
        m.pitch_median_hz,
        m.pitch_sd_st,
        m.pitch_range_st,
        m.spectral_balance_db,
        m.periodicity,
        m.spectral_flux_db,
        p.anger_score,
        m.spectral_change_db,
    ]
}

/// Appends the [`RECORD`] bytes of a point: exact, every bit of every value.
fn encode(p: &TimelinePoint, out: &mut Vec<u8>) {
    let start = out.len();
    let m = &p.measures;
    out.extend_from_slice(&p.time_s.to_le_bytes());
    out.extend_from_slice(&m.speech_s.to_le_bytes());
    out.extend_from_slice(&m.voiced_s.to_le_bytes());
    out.extend_from_slice(&m.syllables.to_le_bytes());
    let mut mask = 0u16;
    for (i, v) in options(p).into_iter().enumerate() {
        mask |= u16::from(v.is_some()) << i;
        out.extend_from_slice(&v.unwrap_or(0.0).to_le_bytes());
    }
    for (bit, bands) in [
        (OPTIONS, m.spectral_shape_db),
        (OPTIONS + 1, m.spectral_shape_sd_db),
    ] {
        mask |= u16::from(bands.is_some()) << bit;
        for v in bands.unwrap_or([0.0; SHAPE_BANDS]) {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out.extend_from_slice(&mask.to_le_bytes());
    out.push(state_code(p.state));
    debug_assert_eq!(out.len() - start, RECORD);
}

/// The point of one record written by [`encode`].
fn decode(r: &[u8]) -> TimelinePoint {
    let mut at = 0;
    let mut take = |n: usize| {
        let s = &r[at..at + n];
        at += n;
        s
    };
    let f = |b: &[u8]| f64::from_le_bytes(b.try_into().expect("8 bytes"));
    let time_s = f(take(8));
    let speech_s = f(take(8));
    let voiced_s = f(take(8));
    let syllables = f(take(8));
    let mut opts = [0.0; OPTIONS];
    for v in &mut opts {
        *v = f(take(8));
    }
    let mut bands = || {
        let mut b = [0.0; SHAPE_BANDS];
        for v in &mut b {
            *v = f(take(8));
        }
        b
    };
    let shape = bands();
    let shape_sd = bands();
    let mask = u16::from_le_bytes(take(2).try_into().expect("2 bytes"));
    let state = state_of(take(1)[0]);
    let opt = |i: usize| (mask & (1 << i) != 0).then_some(opts[i]);
    TimelinePoint {
        time_s,
        measures: Measures {
            speech_s,
            voiced_s,
            syllables,
            speech_rate_syl_s: opt(0),
            active_level_dbfs: opt(1),
            pitch_median_hz: opt(2),
            pitch_sd_st: opt(3),
            pitch_range_st: opt(4),
            spectral_balance_db: opt(5),
            periodicity: opt(6),
            spectral_flux_db: opt(7),
            spectral_change_db: opt(9),
            spectral_shape_db: (mask & (1 << OPTIONS) != 0).then_some(shape),
            spectral_shape_sd_db: (mask & (1 << (OPTIONS + 1)) != 0).then_some(shape_sd),
        },
        anger_score: opt(8),
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point whose values all differ, some missing, depending on `i`.
    fn point(i: usize) -> TimelinePoint {
        let x = i as f64;
        let some = |k: usize, v: f64| (!i.is_multiple_of(k)).then_some(v);
        TimelinePoint {
            time_s: 0.25 * x,
            measures: Measures {
                speech_s: 1.0 + x / 7.0,
                voiced_s: x / 11.0,
                syllables: x * 2.6,
                speech_rate_syl_s: some(2, 4.0 + x / 13.0),
                active_level_dbfs: some(3, -20.0 - x / 17.0),
                pitch_median_hz: some(5, 120.0 + x),
                pitch_sd_st: some(7, x.sin()),
                pitch_range_st: some(2, x.cos()),
                spectral_balance_db: some(3, -x),
                periodicity: some(4, 0.5 + 0.001 * x),
                spectral_flux_db: some(6, 1.0 / (1.0 + x)),
                spectral_shape_db: i
                    .is_multiple_of(3)
                    .then(|| std::array::from_fn(|b| b as f64 - x)),
                spectral_shape_sd_db: i
                    .is_multiple_of(4)
                    .then(|| std::array::from_fn(|b| b as f64 + x / 3.0)),
                spectral_change_db: some(5, 2.0 + x / 19.0),
            },
            anger_score: some(2, (x / 1000.0).min(1.0)),
            state: state_of((i % 4) as u8),
        }
    }

    fn all(t: &Timeline) -> Vec<TimelinePoint> {
        t.points().collect::<io::Result<_>>().unwrap()
    }

    #[test]
    fn records_keep_every_value_exactly() {
        for i in 0..50 {
            let p = point(i);
            let mut bytes = Vec::new();
            encode(&p, &mut bytes);
            assert_eq!(bytes.len(), RECORD);
            assert_eq!(decode(&bytes), p, "point {i}");
        }
    }

    #[test]
    fn a_long_timeline_reads_back_whole_and_in_order() {
        let n = RECENT_POINTS * 3 + 123;
        let expected: Vec<TimelinePoint> = (0..n).map(point).collect();
        let t = Timeline::from(expected.clone());
        assert!(
            t.spilled >= RECENT_POINTS * 3,
            "older points went to the file"
        );
        assert!(t.recent.len() < RECENT_POINTS, "memory stays bounded");
        assert_eq!(t.len(), n);
        assert_eq!(all(&t), expected);
        // Reading twice gives the same.
        assert_eq!(all(&t), expected);
    }

    #[test]
    fn a_short_timeline_stays_in_memory() {
        let expected: Vec<TimelinePoint> = (0..100).map(point).collect();
        let t = Timeline::from(expected.clone());
        assert!(t.spill.is_none());
        assert_eq!(all(&t), expected);
        assert_eq!(t.plot(), &expected[..], "a short call plots every point");
    }

    #[test]
    fn the_plot_is_bounded_and_evenly_spaced() {
        let n = PLOT_POINTS * 5 + 7;
        let t = Timeline::from((0..n).map(point).collect::<Vec<_>>());
        let plot = t.plot();
        assert!(plot.len() <= PLOT_POINTS && plot.len() > PLOT_POINTS / 2);
        // Every 8th point: the stride doubled from 1 three times for 5× the points.
        for (k, p) in plot.iter().enumerate() {
            assert_eq!(*p, point(k * 8), "plot point {k}");
        }
        assert_eq!(plot[0], point(0));
    }

    #[test]
    fn peak_anger_is_the_highest_score() {
        let t = Timeline::from((0..500).map(point).collect::<Vec<_>>());
        let expected = (0..500)
            .filter_map(|i| point(i).anger_score)
            .reduce(f64::max);
        assert_eq!(t.peak_anger(), expected);
        assert_eq!(Timeline::new().peak_anger(), None);
    }
}
