//! The live event stream: one JSON object per line, with the same keys as the
//! `analyze` JSON plus `type`. The live monitor writes it (`--events`) and the
//! agent panel consumes it; other tools (a CRM widget, a supervisor board)
//! can read it too.
//!
//! Kinds: `start`, `point` (a timeline point of one party, with its calm
//! baseline), `alert` (the alert object of `analyze`), `summary` (a party's
//! whole-call measures and profile so far), `status` (capture health) and
//! `end`.

use serde::Serialize;

use super::{RoundedMeasures, SECONDS, round};
use crate::Role;
use crate::analyzer::{BaselineMeasures, TimelinePoint};
use crate::classify::{Alert, Profile};
use crate::measures::Measures;

/// One party of a live session, as the `start` event lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Party {
    pub role: Role,
    /// Where its audio comes from: a device id, or `replay:FILE`.
    pub device: String,
}

/// Capture health of one party, for `status` events.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PartyStatus {
    pub role: Role,
    /// Chunks the capture callback could not hand over (analysis too slow
    /// or stalled); each one is audio the analysis never saw.
    pub overflows: u64,
    /// Seconds of audio received so far.
    pub audio_s: f64,
    /// Whether the device is delivering audio now.
    pub connected: bool,
}

/// Latency from a sample arriving in the capture callback to the timeline
/// point it completes being emitted, over the session so far.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LatencyStatus {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn line<T: Serialize>(event: &T) -> String {
    // Only maps of numbers and strings: cannot fail.
    serde_json::to_string(event).expect("event serialises")
}

/// `{"type":"start", "version", "source", "parties": [{"role","device"}]}`.
pub fn start(source: &str, parties: &[Party]) -> String {
    #[derive(Serialize)]
    struct Start<'a> {
        r#type: &'static str,
        version: &'static str,
        source: &'a str,
        parties: &'a [Party],
    }
    line(&Start {
        r#type: "start",
        version: env!("CARGO_PKG_VERSION"),
        source,
        parties,
    })
}

/// `{"type":"point", "role", "time_s", measures…, "anger_score", "state",
/// "baseline": {…} | null}`.
pub fn point(role: Role, point: &TimelinePoint, baseline: Option<&BaselineMeasures>) -> String {
    #[derive(Serialize)]
    struct Point<'a> {
        r#type: &'static str,
        role: Role,
        #[serde(flatten)]
        point: RoundedMeasures<'a>,
        baseline: Option<RoundedBaseline>,
    }
    line(&Point {
        r#type: "point",
        role,
        point: RoundedMeasures {
            point: Some(point),
            measures: &point.measures,
            profile: None,
        },
        baseline: baseline.map(RoundedBaseline::new),
    })
}

/// `{"type":"alert", …the alert object of the analyze JSON}`.
pub fn alert(alert: &Alert) -> String {
    #[derive(Serialize)]
    struct Tagged<'a> {
        r#type: &'static str,
        #[serde(flatten)]
        alert: &'a Alert,
    }
    line(&Tagged {
        r#type: "alert",
        alert,
    })
}

/// `{"type":"summary", "role", "time_s", measures…, "profile": {…}}`: the
/// party's whole-call measures so far.
pub fn summary(role: Role, time_s: f64, measures: &Measures, profile: &Profile) -> String {
    #[derive(Serialize)]
    struct Summary<'a> {
        r#type: &'static str,
        role: Role,
        time_s: f64,
        #[serde(flatten)]
        measures: RoundedMeasures<'a>,
    }
    line(&Summary {
        r#type: "summary",
        role,
        time_s: round(time_s, SECONDS),
        measures: RoundedMeasures {
            point: None,
            measures,
            profile: Some(profile),
        },
    })
}

/// `{"type":"status", "time_s", "latency": {…}, "parties": [{…}]}`.
pub fn status(time_s: f64, latency: &LatencyStatus, parties: &[PartyStatus]) -> String {
    #[derive(Serialize)]
    struct Status {
        r#type: &'static str,
        time_s: f64,
        latency: LatencyStatus,
        parties: Vec<PartyStatus>,
    }
    line(&Status {
        r#type: "status",
        time_s: round(time_s, SECONDS),
        latency: LatencyStatus {
            p50_ms: round(latency.p50_ms, 2),
            p99_ms: round(latency.p99_ms, 2),
            max_ms: round(latency.max_ms, 2),
        },
        parties: parties
            .iter()
            .map(|p| PartyStatus {
                audio_s: round(p.audio_s, SECONDS),
                ..*p
            })
            .collect(),
    })
}

/// `{"type":"cue", "role", "time_s", "kind", "seconds", "message", "message_zh"}`:
/// a turn-taking event of a two-party call as it closes (`kind`:
/// `agent_overlap` when the agent talked over the customer,
/// `customer_overlap`, `dead_air`). `role` is who the cue is for.
pub fn cue(
    role: Role,
    time_s: f64,
    kind: &str,
    seconds: f64,
    message: &str,
    message_zh: &str,
) -> String {
    #[derive(Serialize)]
    struct Cue<'a> {
        r#type: &'static str,
        role: Role,
        time_s: f64,
        kind: &'a str,
        seconds: f64,
        message: &'a str,
        message_zh: &'a str,
    }
    line(&Cue {
        r#type: "cue",
        role,
        time_s: round(time_s, SECONDS),
        kind,
        seconds: round(seconds, 2),
        message,
        message_zh,
    })
}

/// `{"type":"notice", "message"}`: something about the capture a person
/// should know (a device lost or back, audio that stopped or converted).
pub fn notice(message: &str) -> String {
    #[derive(Serialize)]
    struct Notice<'a> {
        r#type: &'static str,
        message: &'a str,
    }
    line(&Notice {
        r#type: "notice",
        message,
    })
}

/// `{"type":"end", "time_s", "reason"}`.
pub fn end(time_s: f64, reason: &str) -> String {
    #[derive(Serialize)]
    struct End<'a> {
        r#type: &'static str,
        time_s: f64,
        reason: &'a str,
    }
    line(&End {
        r#type: "end",
        time_s: round(time_s, SECONDS),
        reason,
    })
}

#[derive(Serialize)]
struct RoundedBaseline {
    speech_rate_syl_s: Option<f64>,
    active_level_dbfs: Option<f64>,
    pitch_median_hz: Option<f64>,
    pitch_sd_st: Option<f64>,
}

impl RoundedBaseline {
    fn new(b: &BaselineMeasures) -> Self {
        let r = |v: Option<f64>, d| v.filter(|v| v.is_finite()).map(|v| round(v, d));
        Self {
            speech_rate_syl_s: r(b.speech_rate_syl_s, 2),
            active_level_dbfs: r(b.active_level_dbfs, 2),
            pitch_median_hz: r(b.pitch_median_hz, 1),
            pitch_sd_st: r(b.pitch_sd_st, 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::{Analyzer, AnalyzerConfig};
    use crate::audio::synth;
    use serde_json::Value;

    /// Runs the demo call through the core and returns (points with baselines, alerts).
    fn demo_events() -> (Vec<String>, Vec<String>) {
        struct Collect {
            points: Vec<TimelinePoint>,
            alerts: Vec<Alert>,
        }
        impl crate::analyzer::Sink for Collect {
            fn point(&mut self, p: &TimelinePoint) {
                self.points.push(p.clone());
            }
            fn alert(&mut self, a: &Alert) {
                self.alerts.push(a.clone());
            }
        }
        let call = synth::demo_call(16000);
        let mut a = Analyzer::new(16000, AnalyzerConfig::default()).unwrap();
        let mut points = Vec::new();
        let mut alerts = Vec::new();
        for chunk in call.chunks(1600) {
            let mut c = Collect {
                points: Vec::new(),
                alerts: Vec::new(),
            };
            a.process(chunk, &mut c);
            let b = a.baseline();
            points.extend(
                c.points
                    .iter()
                    .map(|p| point(Role::Customer, p, b.as_ref())),
            );
            alerts.extend(c.alerts.iter().map(alert));
        }
        (points, alerts)
    }

    #[test]
    fn points_carry_type_role_measures_and_a_baseline_once_learnt() {
        let (points, alerts) = demo_events();
        let first: Value = serde_json::from_str(&points[0]).unwrap();
        assert_eq!(first["type"], "point");
        assert_eq!(first["role"], "customer");
        assert_eq!(first["state"], "learning");
        assert!(first["baseline"].is_null());
        for key in [
            "time_s",
            "speech_rate_syl_s",
            "active_level_dbfs",
            "pitch_sd_st",
        ] {
            assert!(first.get(key).is_some(), "{key} missing");
        }
        let last: Value = serde_json::from_str(points.last().unwrap()).unwrap();
        assert_ne!(last["state"], "learning");
        let base = &last["baseline"];
        let hz = base["pitch_median_hz"].as_f64().unwrap();
        assert!((80.0..400.0).contains(&hz), "baseline pitch {hz}");
        assert!(base["speech_rate_syl_s"].as_f64().unwrap() > 1.0);

        let anger: Vec<Value> = alerts
            .iter()
            .map(|a| serde_json::from_str(a).unwrap())
            .filter(|v: &Value| v["kind"] == "anger_rising")
            .collect();
        assert_eq!(anger.len(), 1, "the demo call escalates once");
        assert_eq!(anger[0]["type"], "alert");
        assert!(anger[0]["advice_zh"].as_str().unwrap().chars().count() > 10);
    }

    #[test]
    fn other_kinds_are_tagged() {
        let s: Value = serde_json::from_str(&start(
            "replay:x.wav",
            &[Party {
                role: Role::Agent,
                device: "alsa:default".into(),
            }],
        ))
        .unwrap();
        assert_eq!(s["type"], "start");
        assert_eq!(s["parties"][0]["role"], "agent");
        let st: Value = serde_json::from_str(&status(
            1.23456,
            &LatencyStatus {
                p50_ms: 1.234,
                p99_ms: 5.678,
                max_ms: 9.0,
            },
            &[PartyStatus {
                role: Role::Customer,
                overflows: 2,
                audio_s: 1.5,
                connected: true,
            }],
        ))
        .unwrap();
        assert_eq!(st["type"], "status");
        assert_eq!(st["time_s"], 1.235);
        assert_eq!(st["latency"]["p99_ms"], 5.68);
        assert_eq!(st["parties"][0]["overflows"], 2);
        let e: Value = serde_json::from_str(&end(3.0, "end of input")).unwrap();
        assert_eq!(e["type"], "end");
    }
}
