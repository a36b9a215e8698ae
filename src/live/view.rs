//! The agent's terminal view: per party, the current rate, volume and pitch
//! variation against the party's own baseline, the anger gauge and state,
//! the profile and its advice; the recent alerts; capture health.
//!
//! `Screen` redraws a whole screen (at most four times a second) on a
//! terminal; `Plain` prints lines: every alert as it comes, and one line per
//! party per second, for logs and terminals without cursor control.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::session::LiveEvent;
use crate::Role;
use crate::analyzer::{BaselineMeasures, TimelinePoint};
use crate::classify::{Alert, AlertKind, AngerState, Profile, ProfileType};
use crate::report::events::{LatencyStatus, PartyStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewMode {
    Screen,
    Plain,
    /// Nothing on the terminal but warnings (e.g. events on stdout).
    Quiet,
}

#[derive(Default)]
struct PartyView {
    point: Option<TimelinePoint>,
    baseline: Option<BaselineMeasures>,
    profile: Option<Profile>,
    last_plain_s: f64,
}

pub struct View<W: Write> {
    mode: ViewMode,
    out: W,
    source: String,
    parties: Vec<(Role, PartyView)>,
    alerts: Vec<Alert>,
    latency: LatencyStatus,
    status: Vec<PartyStatus>,
    notices: Vec<String>,
    last_draw: Option<Instant>,
    time_s: f64,
}

const REDRAW: Duration = Duration::from_millis(250);
const RECENT_ALERTS: usize = 4;

impl<W: Write> View<W> {
    pub fn new(mode: ViewMode, out: W, source: &str, roles: &[Role]) -> Self {
        Self {
            mode,
            out,
            source: source.to_string(),
            parties: roles.iter().map(|&r| (r, PartyView::default())).collect(),
            alerts: Vec::new(),
            latency: LatencyStatus::default(),
            status: Vec::new(),
            notices: Vec::new(),
            last_draw: None,
            time_s: 0.0,
        }
    }

    fn party(&mut self, role: Role) -> Option<&mut PartyView> {
        self.parties
            .iter_mut()
            .find(|(r, _)| *r == role)
            .map(|(_, p)| p)
    }

    /// Takes one event; writes what the mode shows of it.
    pub fn update(&mut self, event: &LiveEvent) -> io::Result<()> {
        let mode = self.mode;
        match event {
            LiveEvent::Point {
                role,
                point,
                baseline,
            } => {
                self.time_s = self.time_s.max(point.time_s);
                let Some(p) = self.party(*role) else {
                    return Ok(());
                };
                p.point = Some(point.clone());
                p.baseline = *baseline;
                if mode == ViewMode::Plain && point.time_s - p.last_plain_s >= 1.0 - 1e-9 {
                    p.last_plain_s = point.time_s;
                    let line = plain_point(*role, point, baseline.as_ref());
                    writeln!(self.out, "{line}")?;
                }
            }
            LiveEvent::Alert(a) => {
                if a.kind == AlertKind::Profile
                    && let Some(p) = self.party(a.role)
                {
                    p.profile = a.profile.clone();
                }
                self.alerts.push(a.clone());
                if self.alerts.len() > RECENT_ALERTS {
                    self.alerts.remove(0);
                }
                if mode == ViewMode::Plain {
                    writeln!(self.out, "{}", alert_lines(a))?;
                }
            }
            LiveEvent::Summary { role, profile, .. } => {
                if let Some(p) = self.party(*role) {
                    p.profile = Some(profile.clone());
                }
            }
            LiveEvent::Status {
                latency, parties, ..
            } => {
                self.latency = *latency;
                self.status = parties.clone();
            }
            LiveEvent::Cue {
                role,
                time_s,
                message,
                message_zh,
                ..
            } => {
                let line = format!("{time_s:8.2} s  {role} cue: {message} / {message_zh}");
                if mode == ViewMode::Plain {
                    writeln!(self.out, "{line}")?;
                } else if mode == ViewMode::Screen {
                    self.notices.push(line);
                    if self.notices.len() > 3 {
                        self.notices.remove(0);
                    }
                }
            }
            LiveEvent::Notice(n) => {
                // Notices always reach the user, whatever the mode.
                if mode == ViewMode::Screen {
                    self.notices.push(n.clone());
                    if self.notices.len() > 3 {
                        self.notices.remove(0);
                    }
                } else {
                    eprintln!("tonewatch: {n}");
                }
            }
            LiveEvent::End { time_s, reason } => {
                if mode == ViewMode::Screen {
                    self.draw()?;
                }
                if mode != ViewMode::Quiet {
                    writeln!(self.out, "-- {reason} at {time_s:.2} s")?;
                }
                return self.out.flush();
            }
        }
        if mode == ViewMode::Screen && self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW) {
            self.draw()?;
        }
        if mode == ViewMode::Plain {
            self.out.flush()?;
        }
        Ok(())
    }

    fn draw(&mut self) -> io::Result<()> {
        self.last_draw = Some(Instant::now());
        let mut s = String::from("\x1b[H\x1b[2J");
        let drops: u64 = self.status.iter().map(|p| p.overflows).sum();
        let _ = writeln!(
            s,
            "tonewatch — {}   {:.1} s   capture: {}, latency p99 {:.1} ms",
            self.source,
            self.time_s,
            if drops == 0 {
                "ok".to_string()
            } else {
                format!("{drops} drops")
            },
            self.latency.p99_ms
        );
        for st in &self.status {
            if !st.connected {
                let _ = writeln!(s, "  {} device: not delivering audio", st.role);
            }
        }
        for (role, p) in &self.parties {
            s.push('\n');
            party_block(&mut s, *role, p);
        }
        if !self.alerts.is_empty() {
            s.push_str("\nRecent alerts\n");
            for a in self.alerts.iter().rev() {
                let _ = writeln!(s, "{}", alert_lines(a));
            }
        }
        for n in &self.notices {
            let _ = writeln!(s, "! {n}");
        }
        self.out.write_all(s.as_bytes())?;
        self.out.flush()
    }
}

fn gauge(score: f64) -> String {
    let n = (score.clamp(0.0, 1.0) * 20.0).round() as usize;
    format!("[{}{}] {:.2}", "#".repeat(n), ".".repeat(20 - n), score)
}

fn state_label(s: AngerState) -> &'static str {
    match s {
        AngerState::Learning => "learning the baseline 正在学习基线",
        AngerState::Calm => "calm 平静",
        AngerState::Tense => "tense 紧张",
        AngerState::Angry => "ANGRY 愤怒",
    }
}

fn versus(now: Option<f64>, base: Option<f64>, unit: &str, pct: bool) -> String {
    match (now, base) {
        (Some(n), Some(b)) if pct && b > 0.0 => {
            format!(
                "{n:.1} {unit} (baseline {b:.1}, {:+.0} %)",
                100.0 * (n / b - 1.0)
            )
        }
        (Some(n), Some(b)) => format!("{n:.1} {unit} (baseline {b:.1}, {:+.1})", n - b),
        (Some(n), None) => format!("{n:.1} {unit}"),
        _ => "—".into(),
    }
}

fn party_block(s: &mut String, role: Role, p: &PartyView) {
    let Some(pt) = &p.point else {
        let _ = writeln!(s, "{}: waiting for audio", role.as_str().to_uppercase());
        return;
    };
    let m = &pt.measures;
    let b = p.baseline.as_ref();
    let _ = writeln!(
        s,
        "{}  {}   anger {}",
        role.as_str().to_uppercase(),
        state_label(pt.state),
        pt.anger_score.map_or("—".into(), gauge)
    );
    // (label, now, baseline, unit, relative change in %)
    let rows = [
        (
            "rate 语速     ",
            m.speech_rate_syl_s,
            b.and_then(|b| b.speech_rate_syl_s),
            "syl/s",
            true,
        ),
        (
            "volume 音量   ",
            m.active_level_dbfs,
            b.and_then(|b| b.active_level_dbfs),
            "dBFS",
            false,
        ),
        (
            "pitch var 语调",
            m.pitch_sd_st,
            b.and_then(|b| b.pitch_sd_st),
            "st",
            false,
        ),
        (
            "pitch 音高    ",
            m.pitch_median_hz,
            b.and_then(|b| b.pitch_median_hz),
            "Hz",
            true,
        ),
    ];
    for (label, now, base, unit, pct) in rows {
        let _ = writeln!(s, "  {label} {}", versus(now, base, unit, pct));
    }
    if let Some(pr) = &p.profile {
        if pr.kind == ProfileType::Undetermined {
            let _ = writeln!(
                s,
                "  style 类型     undetermined 未确定 ({})",
                pr.reasons_en
            );
        } else {
            let _ = writeln!(
                s,
                "  style 类型     {} {} ({:.0} %): {}\n                 {}\n                 {}",
                pr.kind.as_str(),
                pr.label_zh,
                pr.confidence * 100.0,
                pr.reasons_zh,
                pr.advice_en,
                pr.advice_zh
            );
        }
    }
}

fn plain_point(role: Role, p: &TimelinePoint, b: Option<&BaselineMeasures>) -> String {
    let m = &p.measures;
    let f = |v: Option<f64>, d: usize| v.map_or("-".into(), |v| format!("{v:.d$}"));
    format!(
        "{:8.2} s {:8} {:8} anger {:>5}  rate {:>4} syl/s  level {:>6} dBFS  pitch {:>5} Hz sd {:>4} st{}",
        p.time_s,
        role.as_str(),
        p.state.as_str(),
        f(p.anger_score, 2),
        f(m.speech_rate_syl_s, 1),
        f(m.active_level_dbfs, 1),
        f(m.pitch_median_hz, 0),
        f(m.pitch_sd_st, 1),
        b.and_then(|b| b.pitch_median_hz)
            .map_or(String::new(), |h| format!("  (baseline {h:.0} Hz)"))
    )
}

/// An alert as the text report prints it: time, party, what, and advice.
pub fn alert_lines(a: &Alert) -> String {
    format!(
        "{:8.2} s  {} {}: {}\n            {}\n            advice: {}\n            建议：{}",
        a.time_s,
        a.role,
        a.kind.as_str(),
        a.message,
        a.message_zh,
        a.advice_en,
        a.advice_zh
    )
}
