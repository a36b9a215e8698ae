//! Desktop notifications of alerts, on their own thread (talking to the
//! notification service may block), throttled so they never flood: at most
//! one every `min_interval`; an alert that comes sooner waits for the end of
//! the interval, and only the most important waiting one is shown.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};

use crate::classify::{Alert, AlertKind};

/// A notification as it will be shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub title: String,
    pub body: String,
    /// Anger alerts win over profile news when both wait.
    pub urgent: bool,
}

impl Note {
    /// The notification for an alert, in both languages (the agent's desktop
    /// may be set to either).
    pub fn from_alert(a: &Alert) -> Self {
        let (title, urgent) = match a.kind {
            AlertKind::AngerRising => {
                (format!("tonewatch: {} anger rising 情绪升温", a.role), true)
            }
            AlertKind::Profile => (format!("tonewatch: {} style", a.role), false),
        };
        Note {
            title,
            body: format!(
                "{}\n{}\n{}\n{}",
                a.message, a.message_zh, a.advice_en, a.advice_zh
            ),
            urgent,
        }
    }
}

/// Shows notes; `Err` with a one-line reason when the desktop has no
/// notification service.
pub trait Backend: Send + 'static {
    fn show(&mut self, note: &Note) -> Result<(), String>;
}

/// The desktop's own notification service (D-Bus on Linux, Notification
/// Center on macOS, toasts on Windows).
pub struct Desktop;

impl Backend for Desktop {
    fn show(&mut self, note: &Note) -> Result<(), String> {
        notify_rust::Notification::new()
            .appname("tonewatch")
            .summary(&note.title)
            .body(&note.body)
            .timeout(notify_rust::Timeout::Milliseconds(15_000))
            .show()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The notifier thread's handle.
pub struct Notifier {
    tx: Sender<Note>,
    thread: JoinHandle<NotifyStats>,
}

/// What the notifier did over the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotifyStats {
    pub shown: u64,
    /// Alerts not shown because a more recent or more urgent one replaced them.
    pub coalesced: u64,
    /// Why notifications stopped, if the service failed.
    pub failed: Option<String>,
    /// When each note was shown, relative to the notifier's start.
    pub shown_at: Vec<Duration>,
}

impl Notifier {
    /// Starts the thread. `warn` receives one line if the service fails
    /// (notifications then stop; the monitor carries on).
    pub fn start(
        backend: impl Backend,
        min_interval: Duration,
        warn: impl Fn(String) + Send + 'static,
    ) -> Self {
        let (tx, rx) = bounded(64);
        let thread = std::thread::Builder::new()
            .name("tonewatch-notify".into())
            .spawn(move || run(backend, rx, min_interval, warn))
            .expect("spawn the notifier thread");
        Self { tx, thread }
    }

    /// Queues a note; never blocks (a note that does not fit is dropped:
    /// the queue holds far more than the throttle lets through).
    pub fn send(&self, note: Note) {
        let _ = self.tx.try_send(note);
    }

    pub fn finish(self) -> NotifyStats {
        drop(self.tx);
        self.thread.join().unwrap_or_default()
    }
}

fn run(
    mut backend: impl Backend,
    rx: Receiver<Note>,
    min_interval: Duration,
    warn: impl Fn(String),
) -> NotifyStats {
    let start = Instant::now();
    let mut stats = NotifyStats::default();
    let mut last: Option<Instant> = None;
    let mut waiting: Option<Note> = None;
    loop {
        let due = match (&waiting, last) {
            (Some(_), Some(t)) => Some(t + min_interval),
            (Some(_), None) => Some(Instant::now()),
            _ => None,
        };
        let got = match due {
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(note) => {
                if let Some(w) = &waiting {
                    stats.coalesced += 1;
                    if w.urgent && !note.urgent {
                        continue;
                    }
                }
                waiting = Some(note);
                if last.is_some_and(|t| t.elapsed() < min_interval) {
                    continue;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                // Show what still waits, then stop.
                if let Some(n) = waiting.take()
                    && stats.failed.is_none()
                {
                    show(&mut backend, &n, &mut stats, start, &warn);
                }
                return stats;
            }
        }
        if let Some(n) = waiting.take() {
            last = Some(Instant::now());
            if stats.failed.is_none() {
                show(&mut backend, &n, &mut stats, start, &warn);
            }
        }
    }
}

fn show(
    backend: &mut impl Backend,
    note: &Note,
    stats: &mut NotifyStats,
    start: Instant,
    warn: &impl Fn(String),
) {
    match backend.show(note) {
        Ok(()) => {
            stats.shown += 1;
            stats.shown_at.push(start.elapsed());
        }
        Err(e) => {
            warn(format!(
                "desktop notifications unavailable ({e}); alerts still show in this window"
            ));
            stats.failed = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Recording(Arc<Mutex<Vec<Note>>>);
    impl Backend for Recording {
        fn show(&mut self, note: &Note) -> Result<(), String> {
            self.0.lock().unwrap().push(note.clone());
            Ok(())
        }
    }

    fn note(title: &str, urgent: bool) -> Note {
        Note {
            title: title.into(),
            body: String::new(),
            urgent,
        }
    }

    #[test]
    fn a_burst_is_throttled_and_the_urgent_note_wins() {
        let shown = Recording::default();
        let n = Notifier::start(shown.clone(), Duration::from_millis(300), |_| {});
        n.send(note("first", true));
        std::thread::sleep(Duration::from_millis(50));
        for i in 0..20 {
            n.send(note(&format!("profile {i}"), false));
        }
        n.send(note("anger", true));
        n.send(note("profile late", false));
        let stats = n.finish();
        let titles: Vec<String> = shown
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|x| x.title.clone())
            .collect();
        assert_eq!(titles, ["first", "anger"]);
        assert_eq!(stats.shown, 2);
        assert_eq!(stats.coalesced, 21);
    }

    #[test]
    fn notes_are_spaced_by_the_interval() {
        let shown = Recording::default();
        let n = Notifier::start(shown.clone(), Duration::from_millis(200), |_| {});
        n.send(note("a", true));
        std::thread::sleep(Duration::from_millis(20));
        n.send(note("b", true));
        std::thread::sleep(Duration::from_millis(400));
        let stats = n.finish();
        assert_eq!(stats.shown, 2);
        let gap = stats.shown_at[1] - stats.shown_at[0];
        assert!(gap >= Duration::from_millis(200), "{gap:?}");
    }

    struct Broken;
    impl Backend for Broken {
        fn show(&mut self, _: &Note) -> Result<(), String> {
            Err("no D-Bus session".into())
        }
    }

    #[test]
    fn a_missing_service_warns_once_and_stops_trying() {
        let warnings = Arc::new(Mutex::new(Vec::new()));
        let w = warnings.clone();
        let n = Notifier::start(Broken, Duration::from_millis(10), move |m| {
            w.lock().unwrap().push(m)
        });
        for _ in 0..5 {
            n.send(note("x", true));
            std::thread::sleep(Duration::from_millis(30));
        }
        let stats = n.finish();
        assert_eq!(warnings.lock().unwrap().len(), 1);
        assert!(warnings.lock().unwrap()[0].contains("no D-Bus session"));
        assert_eq!(stats.failed.as_deref(), Some("no D-Bus session"));
    }
}
