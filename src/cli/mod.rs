//! Command-line interface.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod bench;
mod eval;
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
        Command::Analyze(a) => analyze::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Train(a) => train::run(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tonewatch: {e:#}");
            ExitCode::from(2)
        }
    }
}
