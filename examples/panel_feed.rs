//! Test tool for the agent panel (until `tonewatch live --replay FILE --panel`
//! drives it): serves the panel and publishes the events of the built-in demo
//! call, analysed by the real core, at `--speed N` times real time.
//!
//! ```text
//! cargo run --release --example panel_feed -- [--addr 127.0.0.1:0] [--speed 1]
//!     [--repeat 1] [--agent] [--wait-client] [--linger 2] [--token T] [--allow-remote]
//!     [--corpus-call]
//! ```
//! Prints `panel: URL` first, `published: …` counters at the end.
//! `--repeat N` plays the 40 s call N times in a row (one continuous
//! session: 90 repeats = 1 hour); `--agent` adds an agent party speaking the
//! calm opening of the call; `--wait-client` starts only once a page is
//! streaming; `--corpus-call` replays, instead of the demo call, the first
//! escalating call built from the shared corpora (`tonewatch eval calls`)
//! on which the built-in model alerts (exit 3 when the corpora are absent).
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tonewatch::Role;
use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Sink, TimelinePoint};
use tonewatch::audio::synth;
use tonewatch::classify::{Alert, model::AngerModel};
use tonewatch::panel::{PanelConfig, PanelPublisher, PanelServer};
use tonewatch::report::events::{self, LatencyStatus, Party, PartyStatus};

const CHUNK_S: f64 = 0.25;

struct Publish<'a> {
    role: Role,
    points: Vec<TimelinePoint>,
    alerts: Vec<Alert>,
    out: &'a PanelPublisher,
}

impl Sink for Publish<'_> {
    fn point(&mut self, p: &TimelinePoint) {
        self.points.push(p.clone());
    }
    fn alert(&mut self, a: &Alert) {
        self.alerts.push(a.clone());
    }
}

impl Publish<'_> {
    fn flush(&mut self, analyzer: &Analyzer) {
        let baseline = analyzer.baseline();
        for p in self.points.drain(..) {
            self.out
                .publish(&events::point(self.role, &p, baseline.as_ref()));
        }
        for a in self.alerts.drain(..) {
            self.out.publish(&events::alert(&a));
        }
    }
}

struct Args {
    addr: SocketAddr,
    speed: f64,
    repeat: usize,
    agent: bool,
    wait_client: bool,
    linger_s: f64,
    token: Option<String>,
    allow_remote: bool,
    corpus_call: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:0".parse().unwrap(),
        speed: 1.0,
        repeat: 1,
        agent: false,
        wait_client: false,
        linger_s: 2.0,
        token: None,
        allow_remote: false,
        corpus_call: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => a.addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--speed" => a.speed = value()?.parse().map_err(|e| format!("--speed: {e}"))?,
            "--repeat" => a.repeat = value()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--linger" => a.linger_s = value()?.parse().map_err(|e| format!("--linger: {e}"))?,
            "--token" => a.token = Some(value()?),
            "--agent" => a.agent = true,
            "--wait-client" => a.wait_client = true,
            "--allow-remote" => a.allow_remote = true,
            "--corpus-call" => a.corpus_call = true,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if !a.speed.is_finite() || a.speed <= 0.0 {
        return Err("--speed must be positive".into());
    }
    Ok(a)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("panel_feed: {e}");
            return ExitCode::from(2);
        }
    };
    let (call, rate, source) = if args.corpus_call {
        match corpus_call() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("panel_feed: {e}");
                return ExitCode::from(3);
            }
        }
    } else {
        (
            synth::demo_call(16000),
            16000,
            "replay:demo-call".to_owned(),
        )
    };
    let server = match PanelServer::start(PanelConfig {
        addr: args.addr,
        allow_remote: args.allow_remote,
        token: args.token.clone(),
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // The test reading stdout may be gone: never panic on a closed pipe.
    let _ = writeln!(std::io::stdout(), "panel: {}", server.url());
    let _ = std::io::stdout().flush();
    if args.wait_client {
        while server.stats().clients == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let out = server.publisher();

    // The agent speaks the calm opening of the demo call.
    let agent_audio = synth::demo_call(rate);
    let calm_len = (synth::DEMO_ESCALATION_S.0 * f64::from(rate)) as usize;
    let mut parties = vec![Party {
        role: Role::Customer,
        device: source.clone(),
    }];
    if args.agent {
        parties.push(Party {
            role: Role::Agent,
            device: "replay:demo-call (calm part)".into(),
        });
    }
    out.publish(&events::start(&source, &parties));

    let config = AnalyzerConfig::default();
    let mut customer = Analyzer::new(rate, config).expect("a supported rate");
    let mut agent =
        Analyzer::for_party(rate, config, Role::Agent, AngerModel::builtin()).expect("a rate");
    let chunk = (CHUNK_S * f64::from(rate)) as usize;
    let total = call.len() * args.repeat;
    let mut latencies: Vec<f64> = Vec::new();
    let started = Instant::now();
    let mut next_summary = 2.0;
    let mut next_status = 1.0;
    let mut cust = Publish {
        role: Role::Customer,
        points: Vec::new(),
        alerts: Vec::new(),
        out: &out,
    };
    let mut agt = Publish {
        role: Role::Agent,
        points: Vec::new(),
        alerts: Vec::new(),
        out: &out,
    };
    let mut buf = vec![0f32; chunk];
    let mut agent_buf = vec![0f32; chunk];
    let mut pos = 0;
    while pos < total {
        let n = chunk.min(total - pos);
        for i in 0..n {
            buf[i] = call[(pos + i) % call.len()];
            agent_buf[i] = agent_audio[(pos + i) % calm_len];
        }
        pos += n;
        let audio_s = pos as f64 / f64::from(rate);
        // The chunk "arrives" when its last sample would have been heard.
        let due = Duration::from_secs_f64(audio_s / args.speed);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let arrived = Instant::now();
        customer.process(&buf[..n], &mut cust);
        cust.flush(&customer);
        if args.agent {
            agent.process(&agent_buf[..n], &mut agt);
            agt.flush(&agent);
        }
        latencies.push(arrived.elapsed().as_secs_f64() * 1000.0);
        if audio_s >= next_summary {
            next_summary += 2.0;
            out.publish(&events::summary(
                Role::Customer,
                audio_s,
                &customer.summary(),
                &customer.profile(),
            ));
            if args.agent {
                out.publish(&events::summary(
                    Role::Agent,
                    audio_s,
                    &agent.summary(),
                    &agent.profile(),
                ));
            }
        }
        if audio_s >= next_status {
            next_status += 1.0;
            let mut sorted = latencies.clone();
            sorted.sort_by(f64::total_cmp);
            let latency = LatencyStatus {
                p50_ms: percentile(&sorted, 0.5),
                p99_ms: percentile(&sorted, 0.99),
                max_ms: sorted.last().copied().unwrap_or(0.0),
            };
            let status: Vec<PartyStatus> = parties
                .iter()
                .map(|p| PartyStatus {
                    role: p.role,
                    overflows: 0,
                    audio_s,
                    connected: true,
                })
                .collect();
            out.publish(&events::status(audio_s, &latency, &status));
            if latencies.len() > 20_000 {
                latencies.drain(..10_000);
            }
        }
    }
    out.publish(&events::end(
        total as f64 / f64::from(rate),
        "end of replay",
    ));
    std::thread::sleep(Duration::from_secs_f64(args.linger_s));
    let s = server.stats();
    let _ = writeln!(
        std::io::stdout(),
        "published: {} dropped_publish: {} dropped_client: {} invalid: {} clients: {}",
        s.published,
        s.dropped_publish,
        s.dropped_client,
        s.invalid,
        s.clients
    );
    server.shutdown();
    ExitCode::SUCCESS
}

/// The first escalating corpus call on which the built-in model alerts after
/// the anger begins: (samples, rate, source).
fn corpus_call() -> Result<(Vec<f32>, u32, String), String> {
    let data = tonewatch::eval::corpus::data_dir()
        .ok_or("no corpora (set TONEWATCH_DATA to the shared data folder)")?;
    let calls = tonewatch::eval::calls::build(&data)?;
    for c in calls
        .into_iter()
        .filter(|c| c.kind == tonewatch::eval::calls::CallKind::Escalation)
    {
        let turn = c.turn_s().unwrap_or(0.0);
        let mut a =
            Analyzer::new(c.sample_rate, AnalyzerConfig::default()).map_err(|e| e.to_string())?;
        let mut alerts: Vec<Alert> = Vec::new();
        struct Alerts<'a>(&'a mut Vec<Alert>);
        impl Sink for Alerts<'_> {
            fn alert(&mut self, a: &Alert) {
                self.0.push(a.clone());
            }
        }
        a.process(&c.samples, &mut Alerts(&mut alerts));
        if alerts
            .iter()
            .any(|al| al.kind.as_str() == "anger_rising" && al.time_s >= turn)
        {
            let _ = writeln!(
                std::io::stdout(),
                "call: {} ({:.1} s, anger from {turn:.1} s)",
                c.name,
                c.duration_s()
            );
            return Ok((c.samples, c.sample_rate, format!("replay:{}", c.name)));
        }
    }
    Err("no escalating corpus call alerts with the built-in model".into())
}
