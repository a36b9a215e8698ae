//! The live monitor: audio from sound devices (or a recording replayed at
//! its own pace) through the same streaming core `analyze` uses, to the
//! agent's terminal, desktop notifications, an event stream and a recording.
//!
//! Threads: the device callbacks (or a replay thread) hand audio over a
//! bounded, pre-allocated [`queue`]; one analysis thread runs an
//! [`crate::analyzer::Analyzer`] per party ([`session`]); an output thread
//! writes events and the view ([`output`]); the notifier and the recorder
//! have a thread each. The calling thread supervises the devices: a device
//! that fails is reported and re-opened when it comes back.

pub mod notify;
pub mod output;
pub mod queue;
pub mod record;
pub mod replay;
pub mod session;
pub mod view;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, bounded};

use crate::Role;
use crate::analyzer::AnalyzerError;
use crate::audio::capture::{self, Capture, CaptureError, CaptureSpec, PresenceCheck};
use crate::audio::decode::{DecodeError, Decoder};
use crate::report::events::Party;
use notify::{Desktop, Notifier};
use output::{OutputSummary, Outputs, Subscriber};
use queue::ChunkQueue;
use record::{RecordError, RecordSummary, Recorder};
use session::{LiveEvent, PartySetup, SessionConfig, SessionStats};
use view::{View, ViewMode};

/// Buffers in the capture pool: 256 × 2048 frames, seconds of slack even
/// with small device callbacks.
const POOL_BUFFERS: usize = 256;
/// Seconds between attempts to re-open a lost device.
const REOPEN_EVERY: Duration = Duration::from_secs(1);
/// Seconds between checks that a named sound-server device still exists.
const PRESENCE_EVERY: Duration = Duration::from_secs(2);
/// A device silent (no callbacks at all) this long is reported.
const STALL: Duration = Duration::from_secs(3);
/// Minimum time between two desktop notifications.
pub const NOTIFY_INTERVAL: Duration = Duration::from_secs(20);

/// Where the audio comes from.
pub enum Source {
    /// Sound devices; each spec lists the parties it carries.
    Devices(Vec<CaptureSpec>),
    /// A recording replayed at `speed` × its own pace; channel `i` is
    /// party `i`.
    File { path: PathBuf, speed: f64 },
    /// Samples in memory (the demo call), one `Vec` per channel.
    Memory {
        name: String,
        rate: u32,
        channels: Vec<Vec<f32>>,
        speed: f64,
    },
}

pub struct LiveOptions {
    pub source: Source,
    /// The role of each party. For a replayed file: per channel (a mono file
    /// uses the first only).
    pub roles: Vec<Role>,
    pub session: SessionConfig,
    /// Where the JSON-lines event stream goes.
    pub events: Option<Box<dyn Write + Send>>,
    pub view: ViewMode,
    /// The view writes to stderr instead of stdout (events are on stdout).
    pub view_on_stderr: bool,
    pub notify: bool,
    pub record: Option<PathBuf>,
    /// Stop after this many seconds of wall time.
    pub duration: Option<Duration>,
    /// End the session when a device fails, instead of waiting for it.
    pub exit_on_device_loss: bool,
    /// Also receive every event line (the agent panel).
    pub subscribers: Vec<Subscriber>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("{0}")]
    Analyzer(#[from] AnalyzerError),
    #[error("{file}: {channels} channels: the live monitor replays mono or stereo recordings")]
    Channels { file: String, channels: usize },
    #[error("{device}: {reason}")]
    DeviceLost { device: String, reason: String },
}

/// How a session went.
#[derive(Debug)]
pub struct LiveReport {
    pub session: SessionStats,
    pub output: OutputSummary,
    pub record: Option<RecordSummary>,
    /// Why it ended: "end of input", "stopped (Ctrl-C)", "duration reached"…
    pub reason: String,
    pub wall_s: f64,
    /// CPU time of the whole process over the session, s.
    pub cpu_s: Option<f64>,
    pub rss_start_kib: Option<u64>,
    pub rss_end_kib: Option<u64>,
    /// The device failure that ended the session (with --exit-on-device-loss).
    pub device_failure: Option<LiveError>,
}

struct Slot {
    spec: CaptureSpec,
    name: String,
    capture: Option<Capture>,
    next_retry: Instant,
    last_frames: Vec<u64>,
    last_progress: Instant,
    stalled: bool,
    next_presence: Instant,
}

/// Runs a live session until the input ends, `stop` is set (Ctrl-C), the
/// duration passes, or (if asked) a device fails.
pub fn run(mut opts: LiveOptions, stop: Arc<AtomicBool>) -> Result<LiveReport, LiveError> {
    let rss_start_kib = crate::usage::rss_kib();
    let cpu_start = crate::usage::process_cpu_time();
    let started = Instant::now();

    // Everything that can fail on bad input fails here, before any thread.
    let mut decoder = None;
    let (source_name, roles, parties_info) = match &opts.source {
        Source::Devices(specs) => {
            let mut parties = Vec::new();
            for s in specs {
                for &(party, _) in &s.parties {
                    parties.push((party, s.device.clone().unwrap_or_else(|| "default".into())));
                }
            }
            parties.sort();
            let info = parties
                .iter()
                .map(|(p, d)| Party {
                    role: opts.roles[*p],
                    device: d.clone(),
                })
                .collect::<Vec<_>>();
            ("live".to_string(), opts.roles.clone(), info)
        }
        Source::File { path, .. } => {
            let d = Decoder::open(path)?;
            let ch = d.info().channels;
            if !(1..=2).contains(&ch) {
                return Err(LiveError::Channels {
                    file: path.display().to_string(),
                    channels: ch,
                });
            }
            decoder = Some(d);
            replay_parties(format!("replay:{}", path.display()), &opts.roles[..ch])
        }
        Source::Memory { name, channels, .. } => replay_parties(
            format!("replay:{name}"),
            &opts.roles[..channels.len().clamp(1, 2)],
        ),
    };
    let queue = ChunkQueue::new(roles.len(), POOL_BUFFERS);
    let mut slots = Vec::new();
    if let Source::Devices(specs) = &opts.source {
        for spec in specs {
            let c = capture::open(spec, queue.producer())?;
            slots.push(Slot {
                spec: spec.clone(),
                name: c.device.clone(),
                last_frames: vec![0; roles.len()],
                capture: Some(c),
                next_retry: Instant::now(),
                last_progress: Instant::now(),
                stalled: false,
                next_presence: Instant::now() + PRESENCE_EVERY,
            });
        }
    }
    let recorder = match &opts.record {
        Some(p) => Some(Recorder::start(p, roles.len())?),
        None => None,
    };

    // Output thread.
    let (out_tx, out_rx) = bounded::<LiveEvent>(4096);
    let notices = out_tx.clone();
    // The notifier belongs to the output thread, so its one warning goes
    // straight to stderr (through the event channel it would keep that
    // thread waiting for itself).
    let notifier = opts
        .notify
        .then(|| Notifier::start(Desktop, NOTIFY_INTERVAL, |m| eprintln!("tonewatch: {m}")));
    let view_out: Box<dyn Write + Send> = if opts.view_on_stderr {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let outputs = Outputs {
        events: opts.events.take(),
        view: View::new(opts.view, view_out, &source_name, &roles),
        notifier,
        subscribers: std::mem::take(&mut opts.subscribers),
    };
    let output = output::start(outputs, source_name.clone(), parties_info, out_rx);

    // Analysis thread.
    let done = Arc::new(AtomicBool::new(false));
    let reason: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let analysis = {
        let consumer = queue.consumer();
        let setups: Vec<PartySetup> = roles.iter().map(|&role| PartySetup { role }).collect();
        let config = opts.session.clone();
        let done = done.clone();
        let reason = reason.clone();
        let tap = recorder.as_ref().map(Recorder::tap);
        let out = out_tx.clone();
        std::thread::Builder::new()
            .name("tonewatch-analysis".into())
            .spawn(move || {
                session::run(
                    consumer,
                    &setups,
                    &config,
                    &done,
                    &reason,
                    &out,
                    tap.as_ref(),
                )
            })
            .expect("spawn the analysis thread")
    };
    drop(out_tx);

    // Replay thread.
    let replay_stop = Arc::new(AtomicBool::new(false));
    let replay = match std::mem::replace(&mut opts.source, Source::Devices(Vec::new())) {
        Source::Devices(_) => None,
        Source::File { speed, .. } => {
            let mut d = decoder.take().expect("opened above");
            let channels = d.info().channels;
            let rate = d.info().sample_rate;
            Some(spawn_replay(
                move |p, stop| {
                    replay::play(&mut d, channels, rate, &[0, 1][..channels], speed, p, stop)
                        .map(|_| ())
                },
                queue.producer(),
                replay_stop.clone(),
            ))
        }
        Source::Memory {
            rate,
            channels,
            speed,
            ..
        } => {
            let n = channels.len().clamp(1, 2);
            let mut m = replay::InMemory::new(channels);
            Some(spawn_replay(
                move |p, stop| {
                    replay::play(&mut m, n, rate, &[0, 1][..n], speed, p, stop).map(|_| ())
                },
                queue.producer(),
                replay_stop.clone(),
            ))
        }
    };

    // Supervise until something ends the session.
    let mut failure = None;
    let mut presence = PresenceCheck::new();
    let end_reason = loop {
        if stop.load(Ordering::Relaxed) {
            break "stopped (Ctrl-C)".to_string();
        }
        if opts.duration.is_some_and(|d| started.elapsed() >= d) {
            break "duration reached".to_string();
        }
        if replay.as_ref().is_some_and(|r| r.is_finished()) {
            break "end of input".to_string();
        }
        if analysis.is_finished() {
            break "analysis stopped".to_string();
        }
        if let Err(e) = supervise(
            &mut slots,
            &mut presence,
            &queue,
            &notices,
            opts.exit_on_device_loss,
        ) {
            failure = Some(e);
            break "device lost".to_string();
        }
        std::thread::sleep(Duration::from_millis(100));
    };

    // Stop the sources first so the analysis sees all they delivered.
    replay_stop.store(true, Ordering::Relaxed);
    let replay_result = replay.map(|r| r.join().expect("the replay thread does not panic"));
    for s in &mut slots {
        s.capture = None;
    }
    let _ = reason.set(end_reason.clone());
    done.store(true, Ordering::Release);
    drop(notices);
    let session = analysis
        .join()
        .expect("the analysis thread does not panic")?;
    let output = output.join().expect("the output thread does not panic");
    let record = recorder.map(Recorder::finish).transpose()?;
    if let Some(Err(e)) = replay_result {
        // A recording damaged part-way: what was before the damage has been
        // analysed and reported; say what happened.
        return Err(e.into());
    }
    Ok(LiveReport {
        session,
        output,
        record,
        reason: end_reason,
        wall_s: started.elapsed().as_secs_f64(),
        cpu_s: cpu_start
            .zip(crate::usage::process_cpu_time())
            .map(|(a, b)| (b - a).as_secs_f64()),
        rss_start_kib,
        rss_end_kib: crate::usage::rss_kib(),
        device_failure: failure,
    })
}

/// The source name, roles and `start` parties of a replay.
fn replay_parties(name: String, roles: &[Role]) -> (String, Vec<Role>, Vec<Party>) {
    let info = roles
        .iter()
        .map(|&role| Party {
            role,
            device: name.clone(),
        })
        .collect();
    (name, roles.to_vec(), info)
}

fn spawn_replay(
    mut play: impl FnMut(&queue::Producer, &AtomicBool) -> Result<(), DecodeError> + Send + 'static,
    producer: queue::Producer,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<(), DecodeError>> {
    std::thread::Builder::new()
        .name("tonewatch-replay".into())
        .spawn(move || play(&producer, &stop))
        .expect("spawn the replay thread")
}

/// Watches the devices: reports errors and stalls, re-opens lost devices.
fn supervise(
    slots: &mut [Slot],
    presence: &mut PresenceCheck,
    queue: &ChunkQueue,
    notices: &Sender<LiveEvent>,
    exit_on_loss: bool,
) -> Result<(), LiveError> {
    let counters = queue.counters();
    let notice = |m: String| {
        let _ = notices.send(LiveEvent::Notice(m));
    };
    for s in slots.iter_mut() {
        let parties: Vec<usize> = s.spec.parties.iter().map(|&(p, _)| p).collect();
        let mut lost = None;
        if let Some(c) = &s.capture {
            for e in c.errors.try_iter() {
                use cpal::ErrorKind as K;
                match e.kind() {
                    K::Xrun => notice(format!("{}: the device dropped audio (overrun)", s.name)),
                    K::DeviceChanged => {
                        notice(format!("{}: audio route changed; following it", s.name))
                    }
                    K::RealtimeDenied => {}
                    _ => lost = Some(e.to_string()),
                }
            }
            if lost.is_none() && Instant::now() >= s.next_presence {
                s.next_presence = Instant::now() + PRESENCE_EVERY;
                if presence.present(&s.spec) == Some(false) {
                    lost = Some("the device is gone from the sound server".into());
                }
            }
            // A device can also just stop calling back.
            let frames: Vec<u64> = parties
                .iter()
                .map(|&p| counters[p].frames_in.load(Ordering::Relaxed))
                .collect();
            if frames.iter().zip(&s.last_frames).any(|(a, b)| a != b) {
                s.last_progress = Instant::now();
                s.last_frames = frames;
                if s.stalled {
                    s.stalled = false;
                    notice(format!("{}: audio is flowing again", s.name));
                }
            } else if !s.stalled && s.last_progress.elapsed() >= STALL {
                s.stalled = true;
                for &p in &parties {
                    counters[p].connected.store(false, Ordering::Relaxed);
                }
                notice(format!(
                    "{}: no audio from the device for {} s (still waiting)",
                    s.name,
                    STALL.as_secs()
                ));
            }
        }
        if let Some(e) = lost {
            s.capture = None;
            for &p in &parties {
                counters[p].connected.store(false, Ordering::Relaxed);
            }
            if exit_on_loss {
                return Err(LiveError::DeviceLost {
                    device: s.name.clone(),
                    reason: e,
                });
            }
            notice(format!(
                "{}: device failed ({e}); re-opening it when it comes back",
                s.name
            ));
            s.next_retry = Instant::now() + REOPEN_EVERY;
        }
        if s.capture.is_none() && Instant::now() >= s.next_retry {
            s.next_retry = Instant::now() + REOPEN_EVERY;
            // Still gone: opening would only fail (after listing every
            // host's devices for its message, which wakes ALSA and JACK).
            if presence.present(&s.spec) == Some(false) {
                continue;
            }
            match capture::open(&s.spec, queue.producer()) {
                Ok(c) => {
                    notice(format!(
                        "{}: re-opened ({} Hz, {} ch)",
                        s.name, c.sample_rate, c.channels
                    ));
                    s.capture = Some(c);
                    s.last_progress = Instant::now();
                    s.next_presence = Instant::now() + PRESENCE_EVERY;
                }
                Err(e) if e.is_transient() => {}
                Err(e) => {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(())
}
