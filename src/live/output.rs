//! The output thread: everything the analysis produces goes out from here, so
//! a slow terminal, disk or browser never holds up the analysis. It writes
//! the event stream (JSON lines), feeds the terminal view, hands alerts to the
//! desktop notifier and passes event lines to subscribers (the agent panel).

use std::io::{self, Write};
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;

use super::notify::{Note, Notifier, NotifyStats};
use super::session::LiveEvent;
use super::view::View;
use crate::classify::Alert;
use crate::report::events::{self, Party};

/// Receives every event line (e.g. the panel's publisher). Must not block.
pub type Subscriber = Box<dyn FnMut(&str) + Send>;

pub struct Outputs<W: Write + Send + 'static> {
    /// Where `--events` go.
    pub events: Option<Box<dyn Write + Send>>,
    pub view: View<W>,
    pub notifier: Option<Notifier>,
    pub subscribers: Vec<Subscriber>,
}

/// What the output thread saw.
#[derive(Debug, Default)]
pub struct OutputSummary {
    pub alerts: Vec<Alert>,
    pub notify: Option<NotifyStats>,
    /// The event stream stopped early because it could not be written.
    pub events_error: Option<io::Error>,
}

/// Starts the output thread; it ends when the analysis side drops its sender.
pub fn start<W: Write + Send + 'static>(
    mut outputs: Outputs<W>,
    source: String,
    parties: Vec<Party>,
    rx: Receiver<LiveEvent>,
) -> JoinHandle<OutputSummary> {
    std::thread::Builder::new()
        .name("tonewatch-output".into())
        .spawn(move || {
            let mut summary = OutputSummary::default();
            let start = events::start(&source, &parties);
            emit(&mut outputs, &mut summary, &start);
            for event in rx {
                if let Some(line) = event_line(&event) {
                    emit(&mut outputs, &mut summary, &line);
                }
                if let LiveEvent::Alert(a) = &event {
                    if let Some(n) = &outputs.notifier {
                        n.send(Note::from_alert(a));
                    }
                    summary.alerts.push(a.clone());
                }
                if let Err(e) = outputs.view.update(&event)
                    && e.kind() != io::ErrorKind::BrokenPipe
                {
                    eprintln!("tonewatch: cannot write to the terminal: {e}");
                }
            }
            summary.notify = outputs.notifier.take().map(Notifier::finish);
            summary
        })
        .expect("spawn the output thread")
}

fn emit<W: Write + Send>(outputs: &mut Outputs<W>, summary: &mut OutputSummary, line: &str) {
    for s in &mut outputs.subscribers {
        s(line);
    }
    if let Some(w) = outputs.events.as_mut() {
        let r = w
            .write_all(line.as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .and_then(|()| w.flush());
        if let Err(e) = r {
            // A reader that went away (`| head`) is not an error; either way
            // the monitor goes on without the stream.
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("tonewatch: event stream stopped: {e}");
            }
            summary.events_error = Some(e);
            outputs.events = None;
        }
    }
}

/// The JSON line of an event.
pub fn event_line(e: &LiveEvent) -> Option<String> {
    Some(match e {
        LiveEvent::Point {
            role,
            point,
            baseline,
        } => events::point(*role, point, baseline.as_ref()),
        LiveEvent::Alert(a) => events::alert(a),
        LiveEvent::Summary {
            role,
            time_s,
            measures,
            profile,
        } => events::summary(*role, *time_s, measures, profile),
        LiveEvent::Status {
            time_s,
            latency,
            parties,
        } => events::status(*time_s, latency, parties),
        LiveEvent::Cue {
            role,
            time_s,
            kind,
            seconds,
            message,
            message_zh,
        } => events::cue(*role, *time_s, kind, *seconds, message, message_zh),
        LiveEvent::Notice(m) => events::notice(m),
        LiveEvent::End { time_s, reason } => events::end(*time_s, reason),
    })
}
