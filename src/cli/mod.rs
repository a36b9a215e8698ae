//! Command-line interface.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `println!` for a command's report: the `?` hands a write error to the
/// caller, so that a closed stdout (`tonewatch eval … | head`) ends the
/// command quietly (see [`run`]) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod analyze;
mod bench;
mod common;
mod devices;
mod eval;
mod live;
mod live_check;
mod train;

#[derive(Parser)]
#[command(
    name = "tonewatch",
    version,
    about = "Speech-prosody monitor for contact-center calls"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Monitor a call as it happens (sound devices) or replay a recording through the live path.
    Live(live::LiveArgs),
    /// Replay the built-in demo call (calm, then escalating) through the live monitor.
    Demo(live::DemoArgs),
    /// Compare a live session (events + recording) with `analyze` on the file played into it.
    #[command(hide = true)]
    LiveCheck(live_check::LiveCheckArgs),
    /// List audio hosts and devices with the ids `live` takes.
    Devices(devices::DevicesArgs),
    /// Analyse recorded calls: speech rate, level and pitch per channel, over time.
    Analyze(analyze::AnalyzeArgs),
    /// Measure accuracy on synthetic signals and the shared corpora.
    Eval(eval::EvalArgs),
    /// Rebuild a model in models/ from the corpora (reproducible).
    Train(train::TrainArgs),
    /// Measure the speed of the analysis on this machine (real-time factor, live latency).
    Bench(bench::BenchArgs),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Live(a) => live::run_live(a),
        Command::Demo(a) => live::run_demo(a),
        Command::Devices(a) => devices::run(a),
        Command::LiveCheck(a) => live_check::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Train(a) => train::run(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): what it wanted it has.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tonewatch: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
