//! The analysis thread of a live session: chunks from the sources in, the
//! core's points and alerts out, as [`LiveEvent`]s for the output thread.
//!
//! One [`Analyzer`] per party, the same core `analyze` uses, so a recording
//! replayed live gives what it gives offline. Audio a source could not hand
//! over is replaced by as much silence, so the party's clock stays true, and
//! so is the time a party's device was gone (lost, or silent) once it is
//! more than [`MAX_LAG_S`] behind the other party: its alerts, and the cues
//! that pair the two parties hop by hop, stay on the call's clock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::queue::{Chunk, Consumer};
use super::record::MAX_LAG_S;
use crate::offline::CLIPPING_WARNING;

/// Seconds of audio between two clipping notices of one party.
const CLIPPING_TOLD_EVERY_S: f64 = 60.0;

/// A party whose device is gone is kept this close to the other party's
/// time, s (a few callbacks: when the device comes back, its audio lands on
/// the call's clock).
const LOST_LAG_S: f64 = 0.1;
use crate::Role;
use crate::analyzer::{
    Analyzer, AnalyzerConfig, AnalyzerError, BaselineMeasures, Sink, TimelinePoint,
};
use crate::audio::resample::StreamResampler;
use crate::classify::{Alert, Models, Profile};
use crate::cues::{CueParams, CueTracker, Starter};
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
    /// A turn-taking cue of a two-party call (see [`crate::report::events::cue`]).
    Cue {
        role: Role,
        time_s: f64,
        kind: &'static str,
        seconds: f64,
        message: String,
        message_zh: String,
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
    /// Input health (samples, clipped) at the last clipping check.
    clip_seen: (u64, u64),
    /// Audio time of the last clipping notice.
    clip_told_s: Option<f64>,
}

/// Collects what one `process` call emits, with the latency of each point.
struct Emitted<'a> {
    role: Role,
    arrived: Instant,
    out: &'a Sender<LiveEvent>,
    latency: &'a mut LatencyHistogram,
    /// The party's baseline as it was before this chunk (it changes slowly).
    baseline: Option<BaselineMeasures>,
    cues: Option<&'a mut CueTracker>,
}

impl Sink for Emitted<'_> {
    fn frame(&mut self, frame: &crate::analyzer::Frame) {
        if let Some(c) = self.cues.as_deref_mut() {
            c.push(self.role, frame.speech, frame.level_db);
        }
    }

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

/// The analysis thread's state.
struct Analysis<'a> {
    parties: Vec<Party>,
    latency: LatencyHistogram,
    /// Turn-taking cues when the session has a customer and an agent.
    cues: Option<CueTracker>,
    /// Overlaps and dead-air intervals already reported.
    cues_seen: (usize, usize),
    config: &'a SessionConfig,
    out: &'a Sender<LiveEvent>,
    tap: Option<&'a AudioTap>,
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
    let roles: Vec<Role> = setups.iter().map(|s| s.role).collect();
    let two_party =
        roles.len() == 2 && roles.contains(&Role::Customer) && roles.contains(&Role::Agent);
    let mut s = Analysis {
        parties: setups
            .iter()
            .map(|s| Party {
                role: s.role,
                analyzer: None,
                converter: None,
                converted: Vec::new(),
                frames: 0,
                dropped_seen: 0,
                clip_seen: (0, 0),
                clip_told_s: None,
            })
            .collect(),
        latency: LatencyHistogram::default(),
        cues: two_party.then(|| CueTracker::new(CueParams::default())),
        cues_seen: (0, 0),
        config,
        out,
        tap,
    };
    let started = Instant::now();
    let mut next_status = started;
    let mut next_summary = started + Duration::from_secs_f64(config.summary_every_s);
    loop {
        let mut got = false;
        while let Some(chunk) = consumer.try_next() {
            got = true;
            s.feed(&chunk)?;
            consumer.recycle(chunk);
            s.fill_dropped(&consumer);
        }
        s.fill_dropped(&consumer);
        s.fill_lagging(&consumer);
        s.report_cues();
        let now = Instant::now();
        if now >= next_status {
            next_status = now + Duration::from_secs_f64(config.status_every_s);
            let _ = out.send(status(&s.parties, &consumer, &s.latency));
            s.tell_clipping();
        }
        if now >= next_summary {
            next_summary = now + Duration::from_secs_f64(config.summary_every_s);
            send_summaries(&s.parties, out);
        }
        if !got {
            if sources_done.load(Ordering::Acquire) {
                // The sources stopped before the flag was set: one more pass
                // takes whatever they pushed last.
                let mut rest = false;
                while let Some(chunk) = consumer.try_next() {
                    rest = true;
                    s.feed(&chunk)?;
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
    for p in &mut s.parties {
        if let Some(a) = p.analyzer.as_mut() {
            let mut e = Emitted {
                role: p.role,
                arrived: Instant::now(),
                out,
                latency: &mut s.latency,
                baseline: a.baseline(),
                cues: s.cues.as_mut(),
            };
            a.finish(&mut e);
            time_s = time_s.max(a.time_s());
        }
    }
    // Close what is still open at the end of the call (an overlap at hang-up).
    if let Some(c) = s.cues.take() {
        let closed = c.finish();
        s.report_cues_of(&closed);
    }
    s.tell_clipping();
    send_summaries(&s.parties, out);
    let _ = out.send(status(&s.parties, &consumer, &s.latency));
    let _ = out.send(LiveEvent::End {
        time_s,
        reason: reason.get().map_or("end of input", String::as_str).into(),
    });
    Ok(SessionStats {
        latency: s.latency.status(),
        points: s.latency.count(),
        audio_s: s.parties.iter().map(party_audio_s).collect(),
        overflows: (0..s.parties.len())
            .map(|i| consumer.counters(i).overflows.load(Ordering::Relaxed))
            .collect(),
    })
}

fn party_audio_s(p: &Party) -> f64 {
    p.analyzer
        .as_ref()
        .map_or(0.0, |a| p.frames as f64 / f64::from(a.input_rate()))
}

impl Analysis<'_> {
    fn feed(&mut self, chunk: &Chunk) -> Result<(), AnalyzerError> {
        let Some(p) = self.parties.get_mut(chunk.party) else {
            return Ok(());
        };
        if p.analyzer.is_none() {
            p.analyzer = Some(Analyzer::with_models(
                chunk.rate,
                self.config.analyzer,
                p.role,
                self.config.models.clone(),
            )?);
        }
        let rate = p.analyzer.as_ref().map_or(chunk.rate, Analyzer::input_rate);
        if chunk.rate == rate {
            p.converter = None;
            self.analyse(chunk.party, &chunk.samples, chunk.arrived);
            return Ok(());
        }
        if p.converter
            .as_ref()
            .is_none_or(|c| c.in_rate() != chunk.rate)
        {
            p.converter = Some(StreamResampler::new(chunk.rate, rate)?);
            let _ = self.out.send(LiveEvent::Notice(format!(
                "{} audio now arrives at {} Hz; converting to {} Hz to keep the analysis going",
                p.role, chunk.rate, rate
            )));
        }
        let mut converted = std::mem::take(&mut p.converted);
        converted.clear();
        if let Some(c) = p.converter.as_mut() {
            c.process(&chunk.samples, &mut converted);
        }
        self.analyse(chunk.party, &converted, chunk.arrived);
        self.parties[chunk.party].converted = converted;
        Ok(())
    }

    /// Runs party `index`'s analyser over samples at its own rate.
    fn analyse(&mut self, index: usize, samples: &[f32], arrived: Instant) {
        let p = &mut self.parties[index];
        let Some(a) = p.analyzer.as_mut() else {
            return;
        };
        p.frames += samples.len() as u64;
        let mut e = Emitted {
            role: p.role,
            arrived,
            out: self.out,
            latency: &mut self.latency,
            baseline: a.baseline(),
            cues: self.cues.as_mut(),
        };
        a.process(samples, &mut e);
        if let Some(tap) = self.tap {
            // The recorder must get everything: wait for it rather than drop.
            let _ = tap.send((index, a.input_rate(), samples.to_vec()));
        }
    }

    /// Feeds silence for audio the sources had to drop since the last look.
    fn fill_dropped(&mut self, consumer: &Consumer) {
        for i in 0..self.parties.len() {
            let dropped = consumer.counters(i).frames_dropped.load(Ordering::Relaxed);
            let p = &mut self.parties[i];
            let missing = dropped - p.dropped_seen;
            if missing == 0 || p.analyzer.is_none() {
                continue;
            }
            p.dropped_seen = dropped;
            self.analyse_silence(i, missing);
        }
    }

    /// Feeds `frames` of silence to party `i` (at its input rate).
    fn analyse_silence(&mut self, i: usize, mut frames: u64) {
        const SILENCE: [f32; 1024] = [0.0; 1024];
        while frames > 0 {
            let n = frames.min(SILENCE.len() as u64) as usize;
            self.analyse(i, &SILENCE[..n], Instant::now());
            frames -= n as u64;
        }
    }

    /// Feeds silence to a party more than [`MAX_LAG_S`] behind the other
    /// (its device stopped delivering), or more than [`LOST_LAG_S`] while its
    /// device is known to be gone, up to the other's time. The recorder gets
    /// the same silence, so the recording is what was analysed.
    fn fill_lagging(&mut self, consumer: &Consumer) {
        let started = |p: &&Party| p.analyzer.is_some();
        let Some(leader) =
            (self.parties.iter().filter(started).map(party_audio_s)).reduce(f64::max)
        else {
            return;
        };
        for i in 0..self.parties.len() {
            let p = &self.parties[i];
            let Some(a) = p.analyzer.as_ref() else {
                continue;
            };
            let t = party_audio_s(p);
            let connected = consumer.counters(i).connected.load(Ordering::Relaxed);
            if leader - t <= if connected { MAX_LAG_S } else { LOST_LAG_S } {
                continue;
            }
            let missing = ((leader - t) * f64::from(a.input_rate())) as u64;
            self.analyse_silence(i, missing);
        }
    }

    /// Tells when a party's audio clips (the input gain is too high: the
    /// level reads low and the pitch may be off), at most once a minute of
    /// audio per party, judged over the audio since the last look (at least
    /// a second of it).
    fn tell_clipping(&mut self) {
        for p in &mut self.parties {
            let Some(a) = p.analyzer.as_ref() else {
                continue;
            };
            let h = a.health();
            let samples = h.samples - p.clip_seen.0;
            if samples < u64::from(a.input_rate()) {
                continue;
            }
            let fraction = (h.clipped - p.clip_seen.1) as f64 / samples as f64;
            let seconds = samples as f64 / f64::from(a.input_rate());
            p.clip_seen = (h.samples, h.clipped);
            let now = a.time_s();
            let quiet = p
                .clip_told_s
                .is_none_or(|t| now - t >= CLIPPING_TOLD_EVERY_S);
            if fraction >= CLIPPING_WARNING && quiet {
                p.clip_told_s = Some(now);
                let _ = self.out.send(LiveEvent::Notice(format!(
                    "{} audio is clipping ({:.2} % of samples over the last {seconds:.0} s): lower the input gain (the level reads low, pitch may be off)",
                    p.role,
                    fraction * 100.0
                )));
            }
        }
    }

    /// Sends a cue for each overlap and dead-air interval closed since the
    /// last look.
    fn report_cues(&mut self) {
        let Some(c) = self.cues.take() else { return };
        self.report_cues_of(c.so_far());
        self.cues = Some(c);
    }

    fn report_cues_of(&mut self, t: &crate::cues::TurnCues) {
        for o in &t.overlaps[self.cues_seen.0..] {
            let seconds = o.end_s - o.start_s;
            let (role, kind, message, message_zh) = match o.started_by {
                Starter::Agent => (
                    Role::Agent,
                    "agent_overlap",
                    format!("you talked over the caller for {seconds:.1} s: let them finish"),
                    format!("您打断了客户 {seconds:.1} 秒：请让客户把话说完"),
                ),
                _ => (
                    Role::Agent,
                    "customer_overlap",
                    format!("the caller talked over you for {seconds:.1} s: pause and listen"),
                    format!("客户插话 {seconds:.1} 秒：先停下来倾听"),
                ),
            };
            let _ = self.out.send(LiveEvent::Cue {
                role,
                time_s: o.end_s,
                kind,
                seconds,
                message,
                message_zh,
            });
        }
        for d in &t.dead_air[self.cues_seen.1..] {
            let seconds = d.end_s - d.start_s;
            let _ = self.out.send(LiveEvent::Cue {
                role: Role::Agent,
                time_s: d.end_s,
                kind: "dead_air",
                seconds,
                message: format!("{seconds:.0} s of silence: tell the caller what you are doing"),
                message_zh: format!("沉默 {seconds:.0} 秒：告诉客户您正在处理什么"),
            });
        }
        self.cues_seen = (t.overlaps.len(), t.dead_air.len());
    }
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
