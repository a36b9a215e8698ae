//! `tonewatch devices`: the audio hosts and devices of this machine, with the
//! ids `tonewatch live` takes.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use tonewatch::audio::capture;

#[derive(Args)]
#[command(after_help = "\
Ids look like 'alsa:default', 'alsa:pulse' or 'pulseaudio:<source>'. The caller's voice usually
reaches the PC through the softphone's output: capture it from that output's monitor
(PulseAudio/PipeWire: a '<sink>.monitor' source) with --customer-device, and the agent's
microphone with --agent-device.")]
pub struct DevicesArgs {
    /// One JSON object per host instead of the table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: DevicesArgs) -> Result<ExitCode> {
    let hosts = capture::list_devices();
    let mut out = io::stdout().lock();
    let r = (|| -> io::Result<()> {
        if a.json {
            for h in &hosts {
                let v = match &h.devices {
                    Ok(d) => {
                        serde_json::json!({"host": h.host, "default_host": h.default_host, "devices": d})
                    }
                    Err(e) => {
                        serde_json::json!({"host": h.host, "default_host": h.default_host, "error": e})
                    }
                };
                writeln!(out, "{v}")?;
            }
            return Ok(());
        }
        if hosts.is_empty() {
            writeln!(out, "no audio hosts on this machine")?;
        }
        for h in &hosts {
            writeln!(
                out,
                "host {}{}",
                h.host,
                if h.default_host { " (default)" } else { "" }
            )?;
            match &h.devices {
                Err(e) => writeln!(out, "  cannot list devices: {e}")?,
                Ok(d) if d.is_empty() => writeln!(out, "  no devices")?,
                Ok(devices) => {
                    for d in devices {
                        let dir = match (d.input, d.output) {
                            (true, true) => "in/out",
                            (true, false) => "in",
                            (false, true) => "out",
                            _ => "-",
                        };
                        writeln!(
                            out,
                            "  {}{:<40} {:<6} {:<28} {}",
                            if d.default_input { "* " } else { "  " },
                            d.id,
                            dir,
                            d.input_config.as_deref().unwrap_or(""),
                            d.name
                        )?;
                    }
                }
            }
        }
        writeln!(out, "(* = default input device)")
    })();
    match r {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
