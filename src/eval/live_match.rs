//! Live against offline: does a recording heard through a real sound server
//! by `tonewatch live` give the alerts `analyze` gives for the file?
//!
//! The live session's clock starts when capture starts, before the file is
//! played, so the two timelines are aligned first: the live recording
//! (`--record`, exactly what the analysis heard) is matched against the file
//! by cross-correlating their 10 ms level envelopes.

use std::path::Path;

use serde_json::Value;

use crate::audio::decode::read_all;
use crate::audio::resample::resample_all;
use crate::classify::{AlertKind, Models};
use crate::offline::{self, Options};

/// Envelope frames per second.
const ENV_RATE: f64 = 100.0;

/// How a live session compared with the offline analysis.
#[derive(Debug, Clone)]
pub struct LiveMatch {
    /// Where the file starts in the live session's time, s.
    pub offset_s: f64,
    /// Correlation of the aligned envelopes (1 = identical).
    pub correlation: f64,
    /// `anger_rising` times of the customer, file time, offline.
    pub offline_alerts: Vec<f64>,
    /// The same, live, converted to file time.
    pub live_alerts: Vec<f64>,
    pub offline_profile: String,
    pub live_profile: String,
    /// Latency p99 the live session reported at its end, ms.
    pub latency_p99_ms: Option<f64>,
    /// Overflows the live session reported.
    pub overflows: u64,
}

impl LiveMatch {
    /// Every offline alert has a live one within `tol` s and vice versa.
    pub fn alerts_match(&self, tol: f64) -> bool {
        let covered =
            |a: &[f64], b: &[f64]| a.iter().all(|x| b.iter().any(|y| (x - y).abs() <= tol));
        covered(&self.offline_alerts, &self.live_alerts)
            && covered(&self.live_alerts, &self.offline_alerts)
    }
}

fn envelope(samples: &[f32], rate: u32) -> Vec<f64> {
    let n = (f64::from(rate) / ENV_RATE).round() as usize;
    samples
        .chunks(n.max(1))
        .map(|c| {
            (c.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / c.len() as f64 + 1e-10)
                .log10()
        })
        .collect()
}

/// The lag (in envelope frames) of `needle` inside `hay` with the highest
/// normalised correlation, and that correlation.
fn best_lag(hay: &[f64], needle: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::NEG_INFINITY);
    let n = needle.len();
    if hay.len() < n || n == 0 {
        return (0, 0.0);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mn = mean(needle);
    let dn: Vec<f64> = needle.iter().map(|x| x - mn).collect();
    let sn = dn.iter().map(|x| x * x).sum::<f64>().sqrt();
    for lag in 0..=hay.len() - n {
        let w = &hay[lag..lag + n];
        let mw = mean(w);
        let (mut num, mut sw) = (0.0, 0.0);
        for (a, b) in w.iter().zip(&dn) {
            num += (a - mw) * b;
            sw += (a - mw) * (a - mw);
        }
        let c = num / (sw.sqrt() * sn + 1e-12);
        if c > best.1 {
            best = (lag, c);
        }
    }
    best
}

/// Compares the live session's events and recording with `analyze` on `file`.
/// `models` must be what the live session classified with.
pub fn compare(
    file: &Path,
    events: &Path,
    recording: &Path,
    models: Models,
) -> Result<LiveMatch, String> {
    let (info, channels) = read_all(file).map_err(|e| e.to_string())?;
    let (rinfo, rch) = read_all(recording).map_err(|e| e.to_string())?;
    let target = rinfo.sample_rate;
    let original =
        resample_all(&channels[0], info.sample_rate, target).map_err(|e| e.to_string())?;
    let (lag, correlation) = best_lag(&envelope(&rch[0], target), &envelope(&original, target));
    let offset_s = lag as f64 / ENV_RATE;

    let options = Options {
        models,
        ..Options::default()
    };
    let report = offline::analyze_file(file, &options).map_err(|e| e.to_string())?;
    let customer = report
        .channels
        .iter()
        .find(|c| c.role == crate::Role::Customer)
        .ok_or("the file has no customer channel")?;
    let offline_alerts = customer
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::AngerRising)
        .map(|a| a.time_s)
        .collect();
    let offline_profile = customer.profile.kind.as_str().to_string();

    let text = std::fs::read_to_string(events).map_err(|e| format!("{}: {e}", events.display()))?;
    let mut live = LiveMatch {
        offset_s,
        correlation,
        offline_alerts,
        live_alerts: Vec::new(),
        offline_profile,
        live_profile: "none".into(),
        latency_p99_ms: None,
        overflows: 0,
    };
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("{}: line {}: not JSON: {e}", events.display(), i + 1))?;
        let customer = v["role"] == "customer";
        match v["type"].as_str() {
            Some("alert") if customer && v["kind"] == "anger_rising" => {
                if let Some(t) = v["time_s"].as_f64() {
                    live.live_alerts.push(t - offset_s);
                }
            }
            Some("summary") if customer => {
                if let Some(p) = v["profile"]["type"].as_str() {
                    live.live_profile = p.to_string();
                }
            }
            Some("status") => {
                live.latency_p99_ms = v["latency"]["p99_ms"].as_f64();
                live.overflows = v["parties"].as_array().map_or(0, |a| {
                    a.iter().filter_map(|p| p["overflows"].as_u64()).sum()
                });
            }
            _ => {}
        }
    }
    Ok(live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_a_signal_starts_inside_a_longer_one() {
        let rate = 8000;
        let sig: Vec<f32> = (0..rate * 3)
            .map(|i| {
                if (i / 1700) % 3 == 0 {
                    0.5 * ((i as f32) * 0.3).sin()
                } else {
                    0.01
                }
            })
            .collect();
        let mut longer = vec![0.0f32; rate as usize * 5 / 4];
        longer.extend(&sig);
        longer.extend(vec![0.0; 4000]);
        let (lag, c) = best_lag(&envelope(&longer, rate), &envelope(&sig, rate));
        assert_eq!(lag, 125);
        assert!(c > 0.99, "{c}");
    }
}
