//! `tonewatch live` (a call as it happens, or a recording replayed at its own
//! pace) and `tonewatch demo` (the built-in demo call through the live path).

use std::fs::File;
use std::io::{self, IsTerminal, LineWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use tonewatch::Role;
use tonewatch::audio::capture::{CaptureSpec, Pick};
use tonewatch::audio::synth;
use tonewatch::live::session::SessionConfig;
use tonewatch::live::view::ViewMode;
use tonewatch::live::{self, LiveOptions, LiveReport, Source};
use tonewatch::panel::{PanelConfig, PanelServer};

use super::common::{ModelArgs, Roles};

/// Rate the demo call is synthesised at (wideband, like a headset).
const DEMO_RATE: u32 = 16_000;

/// Output options `live` and `demo` share.
#[derive(Args, Clone)]
pub struct OutputArgs {
    /// Write the event stream (JSON lines: start, point, alert, summary, status, end; the keys
    /// of `analyze`) to FILE, or to stdout with '-'.
    #[arg(long, value_name = "FILE|-")]
    events: Option<String>,
    /// Record what is heard to a WAV file, one channel per party (valid even after Ctrl-C).
    #[arg(long, value_name = "FILE.wav")]
    record: Option<PathBuf>,
    /// Plain lines (alerts, one line per party per second) instead of the full-screen view.
    #[arg(long)]
    plain: bool,
    /// No view at all; warnings only.
    #[arg(long, conflicts_with = "plain")]
    quiet: bool,
    /// No desktop notifications.
    #[arg(long)]
    no_notify: bool,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    panel: PanelArgs,
}

/// The agent panel: a live web page beside the CRM.
#[derive(Args, Clone)]
pub struct PanelArgs {
    /// Serve the agent panel (a live web page; the URL is printed). Only measures and alerts
    /// go to it, never audio.
    #[arg(long)]
    panel: bool,
    /// Address of the panel (loopback unless --panel-remote).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8787",
        requires = "panel"
    )]
    panel_addr: std::net::SocketAddr,
    /// Allow a non-loopback --panel-addr; every request then needs the token in the URL.
    #[arg(long, requires = "panel")]
    panel_remote: bool,
    /// The token (at least 16 letters, digits or -._~); random when --panel-remote without one.
    #[arg(long, value_name = "TOKEN", requires = "panel")]
    panel_token: Option<String>,
    /// Wait until a browser has the panel open before starting (for demonstrations and tests).
    #[arg(long, requires = "panel")]
    panel_wait: bool,
    /// Keep serving the panel this many seconds after the session ends.
    #[arg(long, value_name = "S", default_value_t = 0.0, requires = "panel")]
    panel_linger: f64,
}

impl PanelArgs {
    /// Starts the panel when asked; prints its URL (`panel: URL`) on stdout.
    fn start(&self, stop: &AtomicBool) -> Result<Option<PanelServer>> {
        if !self.panel {
            return Ok(None);
        }
        let server = PanelServer::start(PanelConfig {
            addr: self.panel_addr,
            allow_remote: self.panel_remote,
            token: self.panel_token.clone(),
        })?;
        // A closed stdout must not stop the monitor.
        let _ = writeln!(io::stdout(), "panel: {}", server.url());
        if self.panel_wait {
            eprintln!("tonewatch: waiting for a browser to open the panel…");
            while server.stats().clients == 0 && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(Some(server))
    }

    fn finish(&self, server: Option<PanelServer>, stop: &AtomicBool) {
        let Some(server) = server else { return };
        let until = std::time::Instant::now() + Duration::from_secs_f64(self.panel_linger.max(0.0));
        while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
        server.shutdown();
    }
}

#[derive(Args)]
#[command(after_help = "\
Sources: --customer-device and/or --agent-device (each mixed to mono), or --stereo-device with
one party per channel (--roles), or --replay FILE. With none, the default input device is the
customer. The caller's voice usually comes out of the softphone: capture that output's monitor
(PulseAudio/PipeWire '<sink>.monitor'; on Windows a WASAPI loopback device; on macOS a virtual
device such as BlackHole). `tonewatch devices` lists the ids.

Ctrl-C stops the monitor; the recording is finalised first. Exit status: 0 when the session
ended normally (end of input, Ctrl-C, --duration), 1 on a device or input failure, 2 on a usage
error.")]
pub struct LiveArgs {
    /// Device carrying the customer's voice (e.g. the monitor of the softphone's output).
    #[arg(long, value_name = "ID")]
    customer_device: Option<String>,
    /// Device carrying the agent's voice (their microphone).
    #[arg(long, value_name = "ID")]
    agent_device: Option<String>,
    /// A stereo device with one party per channel (see --roles).
    #[arg(long, value_name = "ID", conflicts_with_all = ["customer_device", "agent_device", "replay"])]
    stereo_device: Option<String>,
    /// Replay a recording through the live path at its own pace instead of capturing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["customer_device", "agent_device"])]
    replay: Option<PathBuf>,
    /// Replay speed (1 = real time).
    #[arg(long, default_value_t = 1.0, value_name = "N", requires = "replay")]
    speed: f64,
    /// Who speaks on channels 0 and 1 of a stereo device or recording.
    #[arg(long, value_enum, default_value_t = Roles::CustomerAgent)]
    roles: Roles,
    /// End the session when a device fails, instead of waiting for it to come back.
    #[arg(long)]
    exit_on_device_loss: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Replay speed (1 = real time: the demo call lasts 40 s).
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    speed: f64,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run_live(a: LiveArgs) -> Result<ExitCode> {
    let roles = a.roles.roles();
    let (source, party_roles) = if let Some(path) = a.replay {
        check_speed(a.speed)?;
        (
            Source::File {
                path,
                speed: a.speed,
            },
            roles.to_vec(),
        )
    } else if let Some(id) = a.stereo_device {
        (
            Source::Devices(vec![CaptureSpec {
                device: Some(id),
                parties: vec![(0, Pick::Channel(0)), (1, Pick::Channel(1))],
            }]),
            roles.to_vec(),
        )
    } else {
        let mut specs = Vec::new();
        let mut party_roles = Vec::new();
        if a.customer_device.is_some() || a.agent_device.is_none() {
            specs.push(CaptureSpec {
                device: a.customer_device,
                parties: vec![(party_roles.len(), Pick::Mix)],
            });
            party_roles.push(Role::Customer);
        }
        if let Some(id) = a.agent_device {
            specs.push(CaptureSpec {
                device: Some(id),
                parties: vec![(party_roles.len(), Pick::Mix)],
            });
            party_roles.push(Role::Agent);
        }
        (Source::Devices(specs), party_roles)
    };
    run(source, party_roles, &a.output, a.exit_on_device_loss)
}

pub fn run_demo(a: DemoArgs) -> Result<ExitCode> {
    check_speed(a.speed)?;
    let source = Source::Memory {
        name: "demo-call".into(),
        rate: DEMO_RATE,
        channels: vec![synth::demo_call(DEMO_RATE)],
        speed: a.speed,
    };
    run(source, vec![Role::Customer], &a.output, true)
}

fn run(
    source: Source,
    roles: Vec<Role>,
    o: &OutputArgs,
    exit_on_device_loss: bool,
) -> Result<ExitCode> {
    let stop = ctrl_c()?;
    let mut options = live_options(source, roles, o, exit_on_device_loss)?;
    let panel = o.panel.start(&stop)?;
    if let Some(p) = &panel {
        let publisher = p.publisher();
        options
            .subscribers
            .push(Box::new(move |line: &str| publisher.publish(line)));
    }
    let result = live::run(options, stop.clone());
    o.panel.finish(panel, &stop);
    finish(result, o)
}

fn check_speed(speed: f64) -> Result<()> {
    if !(speed.is_finite() && (0.01..=10_000.0).contains(&speed)) {
        bail!("--speed {speed}: use a speed from 0.01 to 10000 (1 = real time)");
    }
    Ok(())
}

fn live_options(
    source: Source,
    roles: Vec<Role>,
    o: &OutputArgs,
    exit_on_device_loss: bool,
) -> Result<LiveOptions> {
    let events_on_stdout = o.events.as_deref() == Some("-");
    let events: Option<Box<dyn Write + Send>> = match o.events.as_deref() {
        None => None,
        Some("-") => Some(Box::new(LineWriter::new(io::stdout()))),
        Some(path) => Some(Box::new(LineWriter::new(
            File::create(path)
                .with_context(|| format!("{path}: cannot create the event stream"))?,
        ))),
    };
    // The full-screen view needs a terminal of its own.
    let terminal = if events_on_stdout {
        io::stderr().is_terminal()
    } else {
        io::stdout().is_terminal()
    };
    let view = if o.quiet {
        ViewMode::Quiet
    } else if o.plain || !terminal {
        ViewMode::Plain
    } else {
        ViewMode::Screen
    };
    let duration = match o.duration {
        None => None,
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(s) => bail!("--duration {s}: give a number of seconds above 0"),
    };
    Ok(LiveOptions {
        source,
        roles,
        session: SessionConfig {
            models: o.model.models()?,
            ..SessionConfig::default()
        },
        events,
        view,
        view_on_stderr: events_on_stdout,
        notify: !o.no_notify,
        record: o.record.clone(),
        duration,
        exit_on_device_loss,
        subscribers: Vec::new(),
    })
}

/// A flag Ctrl-C (or SIGTERM) sets; a second one exits at once.
fn ctrl_c() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ctrlc::set_handler(move || {
        if s.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .context("cannot install the Ctrl-C handler")?;
    Ok(stop)
}

fn finish(result: Result<LiveReport, live::LiveError>, o: &OutputArgs) -> Result<ExitCode> {
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tonewatch: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if !o.quiet {
        eprintln!("{}", summary_line(&r));
    }
    if let Some(e) = &r.device_failure {
        eprintln!("tonewatch: {e}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn summary_line(r: &LiveReport) -> String {
    let audio: f64 = r.session.audio_s.iter().cloned().fold(0.0, f64::max);
    let overflows: u64 = r.session.overflows.iter().sum();
    let anger = r
        .output
        .alerts
        .iter()
        .filter(|a| a.kind == tonewatch::classify::AlertKind::AngerRising)
        .count();
    let mut s = format!(
        "tonewatch: {} after {audio:.1} s of audio; {anger} anger alert(s); latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} points; {overflows} overflow(s)",
        r.reason,
        r.session.latency.p50_ms,
        r.session.latency.p99_ms,
        r.session.latency.max_ms,
        r.session.points
    );
    if let Some(cpu) = r.cpu_s {
        s += &format!(
            "; CPU {:.2} % of one core",
            100.0 * cpu / r.wall_s.max(1e-9)
        );
    }
    if let (Some(a), Some(b)) = (r.rss_start_kib, r.rss_end_kib) {
        s += &format!(
            "; RSS {:.1} → {:.1} MiB",
            a as f64 / 1024.0,
            b as f64 / 1024.0
        );
    }
    if let Some(n) = &r.output.notify
        && n.shown > 0
    {
        s += &format!("; {} desktop notification(s)", n.shown);
    }
    if let Some(rec) = &r.record {
        s += &format!(
            "; recorded {} ({:.2} s, {} ch, {} Hz)",
            rec.path.display(),
            rec.frames as f64 / f64::from(rec.sample_rate.max(1)),
            rec.channels,
            rec.sample_rate
        );
    }
    s
}
