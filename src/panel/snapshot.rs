//! What a browser that connects late needs to show the current state at once:
//! the last `start`, the last point and summary per party, recent alerts and
//! cues, the last status and `end`, and each party's anger trend.
//!
//! Everything is bounded, whatever the length of the call.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Map, Value, json};

/// Alerts kept for late joiners.
pub const ALERTS_KEPT: usize = 20;
/// Agent cues kept for late joiners.
pub const CUES_KEPT: usize = 20;
/// Seconds of anger trend kept per party.
pub const TREND_S: f64 = 600.0;
/// Hard cap on trend entries per party, should points come faster than
/// every 0.25 s (10 minutes at 4 points per second, with room).
pub const TREND_MAX: usize = 3000;

#[derive(Debug, Default)]
pub struct Snapshot {
    start: Option<Value>,
    end: Option<Value>,
    status: Option<Value>,
    points: BTreeMap<String, Value>,
    summaries: BTreeMap<String, Value>,
    alerts: VecDeque<Value>,
    cues: VecDeque<Value>,
    /// Per party: (time_s, anger_score or null).
    trend: BTreeMap<String, VecDeque<(f64, Value)>>,
}

impl Snapshot {
    /// Takes one event into the state. A `start` begins a new session and
    /// forgets the previous one.
    pub fn apply(&mut self, event: Map<String, Value>) {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let role = event
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("customer")
            .to_owned();

        let kind = kind.to_owned();
        let profile = event.get("profile").filter(|p| p.is_object()).cloned();
        let time_s = event.get("time_s").and_then(Value::as_f64).unwrap_or(0.0);
        let score = event.get("anger_score").cloned().unwrap_or(Value::Null);
        let value = Value::Object(event);
        match kind.as_str() {
            "start" => {
                *self = Snapshot::default();
                self.start = Some(value);
            }
            "end" => self.end = Some(value),
            "status" => self.status = Some(value),
            "point" => {
                let t = time_s;
                let trend = self.trend.entry(role.clone()).or_default();
                trend.push_back((t, score));
                while trend.len() > TREND_MAX
                    || trend.front().is_some_and(|(t0, _)| *t0 < t - TREND_S)
                {
                    trend.pop_front();
                }
                self.points.insert(role, value);
            }
            "summary" => {
                self.summaries.insert(role, value);
            }
            "alert" => {
                if let Some(profile) = profile {
                    // A settled profile: the summary the page shows until the next one.
                    let summary = self
                        .summaries
                        .entry(role.clone())
                        .or_insert_with(|| json!({"type": "summary", "role": role}));
                    summary["profile"] = profile;
                }
                push_bounded(&mut self.alerts, value, ALERTS_KEPT);
            }
            "cue" => push_bounded(&mut self.cues, value, CUES_KEPT),
            _ => {}
        }
    }

    /// The `snapshot` event sent to a browser when it (re)connects.
    pub fn to_json(&self, sent_ms: f64) -> String {
        let trend: Map<String, Value> = self
            .trend
            .iter()
            .map(|(role, points)| {
                let list = points
                    .iter()
                    .map(|(t, s)| json!([t, s]))
                    .collect::<Vec<_>>();
                (role.clone(), Value::Array(list))
            })
            .collect();
        json!({
            "type": "snapshot",
            "sent_ms": sent_ms,
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "points": self.points,
            "summaries": self.summaries,
            "alerts": self.alerts,
            "cues": self.cues,
            "trend": trend,
        })
        .to_string()
    }

    #[cfg(test)]
    pub fn trend_len(&self, role: &str) -> usize {
        self.trend.get(role).map_or(0, VecDeque::len)
    }
}

fn push_bounded(list: &mut VecDeque<Value>, v: Value, max: usize) {
    list.push_back(v);
    while list.len() > max {
        list.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn keeps_the_last_of_each_kind_bounded() {
        let mut s = Snapshot::default();
        s.apply(obj(
            json!({"type": "start", "parties": [{"role": "customer"}]}),
        ));
        for i in 0..4000 {
            let t = f64::from(i) * 0.25;
            s.apply(obj(
                json!({"type": "point", "role": "customer", "time_s": t, "anger_score": 0.1}),
            ));
        }
        for i in 0..30 {
            s.apply(obj(
                json!({"type": "alert", "kind": "anger_rising", "role": "customer", "time_s": i}),
            ));
        }
        // 10 minutes of points at 4 per second, and not one more.
        assert_eq!(s.trend_len("customer"), 2401);
        let v: Value = serde_json::from_str(&s.to_json(1.0)).unwrap();
        assert_eq!(v["type"], "snapshot");
        assert_eq!(v["points"]["customer"]["time_s"], 999.75);
        assert_eq!(v["alerts"].as_array().unwrap().len(), ALERTS_KEPT);
        assert_eq!(v["alerts"][0]["time_s"], 10);
        assert_eq!(v["trend"]["customer"][0][0], 399.75);
        assert_eq!(v["start"]["type"], "start");
    }

    #[test]
    fn a_profile_alert_becomes_the_summary_profile_and_start_resets() {
        let mut s = Snapshot::default();
        s.apply(obj(
            json!({"type": "point", "role": "agent", "time_s": 1.0}),
        ));
        s.apply(obj(
            json!({"type": "alert", "kind": "profile", "role": "customer",
            "profile": {"type": "owl"}}),
        ));
        let v: Value = serde_json::from_str(&s.to_json(0.0)).unwrap();
        assert_eq!(v["summaries"]["customer"]["profile"]["type"], "owl");
        assert!(v["points"]["agent"].is_object());
        s.apply(obj(json!({"type": "start"})));
        let v: Value = serde_json::from_str(&s.to_json(0.0)).unwrap();
        assert!(v["points"].as_object().unwrap().is_empty());
        assert!(v["alerts"].as_array().unwrap().is_empty());
    }
}
