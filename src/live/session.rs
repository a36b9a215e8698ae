//! The analysis thread of a live session: chunks from the sources in, the
//! core's points and alerts out, as [`LiveEvent`]s for the output thread.
//!
//! One [`Analyzer`] per party, the same core `analyze` uses, so a recording
//! replayed live gives what it gives offline. Audio a source could not hand
//! over is replaced by as much silence, so the party's clock stays true.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::queue::{Chunk, Consumer};
use crate::Role;
use crate::analyzer::{
    Analyzer, AnalyzerConfig, AnalyzerError, BaselineMeasures, Sink, TimelinePoint,
};
use crate::audio::resample::StreamResampler;
use crate::classify::{Alert, Models, Profile};
use crate::measures::Measures;
use crate::report::events::{LatencyStatus, PartyStatus};

/// How long the analysis thread sleeps when no chunk is waiting. It polls
/// rather than blocks so that a capture callback never has to wake it (a
/// wake-up takes the channel's lock); 10 ms adds at most that to the latency
/// and costs a hundred cheap wake-ups a second.
pub const POLL: Duration = Duration::from_millis(10);

/// What the analysis thread tells the output thread.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    Point {
        role: Role,
        point: TimelinePoint,
        baseline: Option<BaselineMeasures>,
    },
    Alert(Alert),
    Summary {
        role: Role,
        time_s: f64,
        measures: Measures,
        profile: Profile,
    },
    Status {
        time_s: f64,
        latency: LatencyStatus,
        parties: Vec<PartyStatus>,
    },
    /// Something the user should know (device lost, re-opened…), one line.
    Notice(String),
    End {
        time_s: f64,
        reason: String,
    },
}

/// Audio as analysed, for the recorder: (party, samples at the party's rate).
pub type AudioTap = Sender<(usize, u32, Vec<f32>)>;

/// Settings of the analysis thread.
#[derive(Clone)]
pub struct SessionConfig {
    pub analyzer: AnalyzerConfig,
    pub models: Models,
    /// Seconds between `status` events (wall clock).
    pub status_every_s: f64,
    /// Seconds between `summary` events (wall clock).
    pub summary_every_s: f64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            analyzer: AnalyzerConfig::default(),
            models: Models::builtin(),
            status_every_s: 1.0,
            summary_every_s: 5.0,
        }
    }
}

/// Latencies in 50 µs bins up to 500 ms, the rest counted in the last bin.
pub struct LatencyHistogram {
    bins: Vec<u64>,
    count: u64,
    max_ms: f64,
}

const BIN_MS: f64 = 0.05;
const BINS: usize = 10_000;

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            bins: vec![0; BINS],
            count: 0,
            max_ms: 0.0,
        }
    }
}

impl LatencyHistogram {
    pub fn record(&mut self, ms: f64) {
        let bin = ((ms / BIN_MS) as usize).min(BINS - 1);
        self.bins[bin] += 1;
        self.count += 1;
        self.max_ms = self.max_ms.max(ms);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q`-quantile (upper edge of its bin), ms.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let target = ((q * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in self.bins.iter().enumerate() {
            seen += n;
            if seen >= target {
                return ((i + 1) as f64 * BIN_MS).min(self.max_ms);
            }
        }
        self.max_ms
    }

    pub fn status(&self) -> LatencyStatus {
        LatencyStatus {
            p50_ms: self.quantile(0.5),
            p99_ms: self.quantile(0.99),
            max_ms: self.max_ms,
        }
    }
}

/// One party as the session knows it.
pub struct PartySetup {
    pub role: Role,
}

struct Party {
    role: Role,
    analyzer: Option<Analyzer>,
    /// Converts chunks at another rate (a device re-opened differently) to
    /// the rate the analyser was made for.
    converter: Option<StreamResampler>,
    converted: Vec<f32>,
    frames: u64,
    dropped_seen: u64,
}

/// Collects what one `process` call emits, with the latency of each point.
struct Emitted<'a> {
    role: Role,
    arrived: Instant,
    out: &'a Sender<LiveEvent>,
    latency: &'a mut LatencyHistogram,
    /// The party's baseline as it was before this chunk (it changes slowly).
    baseline: Option<BaselineMeasures>,
}

impl Sink for Emitted<'_> {
    fn point(&mut self, point: &TimelinePoint) {
        self.latency
            .record(self.arrived.elapsed().as_secs_f64() * 1000.0);
        let _ = self.out.send(LiveEvent::Point {
            role: self.role,
            point: point.clone(),
            baseline: self.baseline,
        });
    }

    fn alert(&mut self, alert: &Alert) {
        let _ = self.out.send(LiveEvent::Alert(alert.clone()));
    }
}

/// What a session measured about itself.
#[derive(Debug, Clone)]
pub struct SessionStats {
    pub latency: LatencyStatus,
    pub points: u64,
    pub audio_s: Vec<f64>,
    pub overflows: Vec<u64>,
}

/// Runs the analysis until the sources have stopped (`sources_done`) and the
/// queue is empty; then finishes each party and sends `End` with `reason`.
pub fn run(
    consumer: Consumer,
    setups: &[PartySetup],
    config: &SessionConfig,
    sources_done: &AtomicBool,
    reason: &OnceLock<String>,
    out: &Sender<LiveEvent>,
    tap: Option<&AudioTap>,
) -> Result<SessionStats, AnalyzerError> {
    let mut parties: Vec<Party> = setups
        .iter()
        .map(|s| Party {
            role: s.role,
            analyzer: None,
            converter: None,
            converted: Vec::new(),
            frames: 0,
            dropped_seen: 0,
        })
        .collect();
    let mut latency = LatencyHistogram::default();
    let started = Instant::now();
    let mut next_status = started;
    let mut next_summary = started + Duration::from_secs_f64(config.summary_every_s);
    loop {
        let mut got = false;
        while let Some(chunk) = consumer.try_next() {
            got = true;
            feed(&mut parties, &chunk, config, out, tap, &mut latency)?;
            consumer.recycle(chunk);
            fill_dropped(&mut parties, &consumer, config, out, tap, &mut latency)?;
        }
        fill_dropped(&mut parties, &consumer, config, out, tap, &mut latency)?;
        let now = Instant::now();
        if now >= next_status {
            next_status = now + Duration::from_secs_f64(config.status_every_s);
            let _ = out.send(status(&parties, &consumer, &latency));
        }
        if now >= next_summary {
            next_summary = now + Duration::from_secs_f64(config.summary_every_s);
            send_summaries(&parties, out);
        }
        if !got {
            if sources_done.load(Ordering::Acquire) {
                // The sources stopped before the flag was set: one more pass
                // takes whatever they pushed last.
                let mut rest = false;
                while let Some(chunk) = consumer.try_next() {
                    rest = true;
                    feed(&mut parties, &chunk, config, out, tap, &mut latency)?;
                    consumer.recycle(chunk);
                }
                if !rest {
                    break;
                }
                continue;
            }
            std::thread::sleep(POLL);
        }
    }
    // The last hop of each party and a final point.
    let mut time_s: f64 = 0.0;
    for p in &mut parties {
        if let Some(a) = p.analyzer.as_mut() {
            let mut e = Emitted {
                role: p.role,
                arrived: Instant::now(),
                out,
                latency: &mut latency,
                baseline: a.baseline(),
            };
            a.finish(&mut e);
            time_s = time_s.max(a.time_s());
        }
    }
    send_summaries(&parties, out);
    let _ = out.send(status(&parties, &consumer, &latency));
    let _ = out.send(LiveEvent::End {
        time_s,
        reason: reason.get().map_or("end of input", String::as_str).into(),
    });
    Ok(SessionStats {
        latency: latency.status(),
        points: latency.count(),
        audio_s: parties.iter().map(party_audio_s).collect(),
        overflows: (0..parties.len())
            .map(|i| consumer.counters(i).overflows.load(Ordering::Relaxed))
            .collect(),
    })
}

fn party_audio_s(p: &Party) -> f64 {
    p.analyzer
        .as_ref()
        .map_or(0.0, |a| p.frames as f64 / f64::from(a.input_rate()))
}

fn feed(
    parties: &mut [Party],
    chunk: &Chunk,
    config: &SessionConfig,
    out: &Sender<LiveEvent>,
    tap: Option<&AudioTap>,
    latency: &mut LatencyHistogram,
) -> Result<(), AnalyzerError> {
    let Some(p) = parties.get_mut(chunk.party) else {
        return Ok(());
    };
    if p.analyzer.is_none() {
        p.analyzer = Some(Analyzer::with_models(
            chunk.rate,
            config.analyzer,
            p.role,
            config.models.clone(),
        )?);
    }
    let rate = p.analyzer.as_ref().map_or(chunk.rate, Analyzer::input_rate);
    if chunk.rate == rate {
        p.converter = None;
        analyse(
            p,
            &chunk.samples,
            chunk.arrived,
            out,
            tap,
            latency,
            chunk.party,
            rate,
        );
    } else {
        if p.converter
            .as_ref()
            .is_none_or(|c| c.in_rate() != chunk.rate)
        {
            p.converter = Some(StreamResampler::new(chunk.rate, rate)?);
            let _ = out.send(LiveEvent::Notice(format!(
                "{} audio now arrives at {} Hz; converting to {} Hz to keep the analysis going",
                p.role, chunk.rate, rate
            )));
        }
        let mut converted = std::mem::take(&mut p.converted);
        converted.clear();
        if let Some(c) = p.converter.as_mut() {
            c.process(&chunk.samples, &mut converted);
        }
        analyse(
            p,
            &converted,
            chunk.arrived,
            out,
            tap,
            latency,
            chunk.party,
            rate,
        );
        p.converted = converted;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn analyse(
    p: &mut Party,
    samples: &[f32],
    arrived: Instant,
    out: &Sender<LiveEvent>,
    tap: Option<&AudioTap>,
    latency: &mut LatencyHistogram,
    index: usize,
    rate: u32,
) {
    let Some(a) = p.analyzer.as_mut() else {
        return;
    };
    p.frames += samples.len() as u64;
    let mut e = Emitted {
        role: p.role,
        arrived,
        out,
        latency,
        baseline: a.baseline(),
    };
    a.process(samples, &mut e);
    if let Some(tap) = tap {
        // The recorder must get everything: wait for it rather than drop.
        let _ = tap.send((index, rate, samples.to_vec()));
    }
}

/// Feeds silence for audio the sources had to drop since the last look.
fn fill_dropped(
    parties: &mut [Party],
    consumer: &Consumer,
    _config: &SessionConfig,
    out: &Sender<LiveEvent>,
    tap: Option<&AudioTap>,
    latency: &mut LatencyHistogram,
) -> Result<(), AnalyzerError> {
    const SILENCE: [f32; 1024] = [0.0; 1024];
    for (i, p) in parties.iter_mut().enumerate() {
        let dropped = consumer.counters(i).frames_dropped.load(Ordering::Relaxed);
        let mut missing = dropped - p.dropped_seen;
        if missing == 0 || p.analyzer.is_none() {
            continue;
        }
        p.dropped_seen = dropped;
        let rate = p.analyzer.as_ref().map_or(0, Analyzer::input_rate);
        while missing > 0 {
            let n = missing.min(SILENCE.len() as u64) as usize;
            analyse(p, &SILENCE[..n], Instant::now(), out, tap, latency, i, rate);
            missing -= n as u64;
        }
    }
    Ok(())
}

fn status(parties: &[Party], consumer: &Consumer, latency: &LatencyHistogram) -> LiveEvent {
    let time_s = parties
        .iter()
        .filter_map(|p| p.analyzer.as_ref().map(Analyzer::time_s))
        .fold(0.0, f64::max);
    LiveEvent::Status {
        time_s,
        latency: latency.status(),
        parties: parties
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let c = consumer.counters(i);
                PartyStatus {
                    role: p.role,
                    overflows: c.overflows.load(Ordering::Relaxed),
                    audio_s: party_audio_s(p),
                    connected: c.connected.load(Ordering::Relaxed),
                }
            })
            .collect(),
    }
}

fn send_summaries(parties: &[Party], out: &Sender<LiveEvent>) {
    for p in parties {
        if let Some(a) = &p.analyzer {
            let _ = out.send(LiveEvent::Summary {
                role: p.role,
                time_s: a.time_s(),
                measures: a.summary(),
                profile: a.profile(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = LatencyHistogram::default();
        for i in 0..100 {
            h.record(i as f64 * 0.1 + 0.01);
        }
        assert!((h.quantile(0.5) - 5.0).abs() < 0.1, "{}", h.quantile(0.5));
        assert!((h.quantile(0.99) - 9.9).abs() < 0.1, "{}", h.quantile(0.99));
        assert!((h.status().max_ms - 9.91).abs() < 1e-9);
        h.record(10_000.0);
        assert_eq!(h.status().max_ms, 10_000.0);
    }
}
