//! Reports: what the analysis of one recording says, and its JSON, CSV and
//! text renderings.
//!
//! The model keeps the core's values exactly; rounding happens only when a
//! report is written, with the precision listed in [`MEASURE_COLUMNS`], so a
//! library user can still get the unrounded numbers.
//!
//! The JSON keys are a contract other tools read: `file`, `duration_s`,
//! `sample_rate`, `codec`, `channels` (each `role`, `summary`, `timeline`,
//! `alerts`) and `warnings`. The measure keys are the field names of
//! [`Measures`]; a missing measure (not enough speech) is `null`.

use std::fmt;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::analyzer::TimelinePoint;
use crate::audio::decode::DecodeError;
use crate::classify::Profile;
use crate::cues::{Cues, Starter};
use crate::measures::Measures;

pub mod batch;
pub mod csv;
pub mod events;
pub mod html;
pub mod text;
pub mod timeline;

pub use crate::role::Role;

pub use crate::classify::Alert;

/// Something about the input the reader should know. None of these stops the
/// analysis; [`Warning::Incomplete`] means the report covers only part of the
/// recording.
#[derive(Debug)]
pub enum Warning {
    /// The decoder stopped early or skipped damaged data; the report covers
    /// what could be decoded.
    Incomplete(DecodeError),
    /// A constant offset, removed by the core's high-pass before any measure.
    DcOffset { role: Role, offset: f64 },
    /// Samples at full scale: the level reads low and the pitch may be off.
    Clipping { role: Role, fraction: f64 },
}

impl Warning {
    /// Whether the report is missing part of the recording.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, Warning::Incomplete(_))
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Incomplete(e) => {
                // The report already names the file; the error's own text starts with it.
                let text = e.to_string();
                let prefix = format!("{}: ", e.path().display());
                f.write_str(text.strip_prefix(&prefix).unwrap_or(&text))
            }
            Warning::DcOffset { role, offset } => write!(
                f,
                "{role} channel: DC offset of {offset:+.3} of full scale (removed before analysis)"
            ),
            Warning::Clipping { role, fraction } => write!(
                f,
                "{role} channel: {:.2} % of samples clipped (the level reads low, pitch may be off)",
                fraction * 100.0
            ),
        }
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The analysis of one channel.
#[derive(Debug)]
pub struct ChannelReport {
    pub role: Role,
    /// Measures over the whole channel.
    pub summary: Measures,
    /// The party's communication style (reported inside `summary`).
    pub profile: Profile,
    /// Sliding-window measures at regular moments (the analyser's update interval).
    pub timeline: timeline::Timeline,
    pub alerts: Vec<Alert>,
}

/// The analysis of one recording (or of the synthetic demo call).
#[derive(Debug)]
pub struct FileReport {
    /// The path as given, or the name of an in-memory recording.
    pub file: String,
    /// Length of the audio analysed (for an incomplete file: what was decoded).
    pub duration_s: f64,
    pub sample_rate: u32,
    /// The decoder's description of the encoding ("PCM 16-bit", "MP3", ...).
    pub codec: String,
    pub channels: Vec<ChannelReport>,
    /// Agent cues of a two-party (stereo) call; `None` for mono.
    pub cues: Option<Cues>,
    pub warnings: Vec<Warning>,
}

impl FileReport {
    /// False when decoding stopped early or skipped damage.
    pub fn is_complete(&self) -> bool {
        !self.warnings.iter().any(Warning::is_incomplete)
    }
}

impl Serialize for FileReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("FileReport", 7)?;
        st.serialize_field("file", &self.file)?;
        st.serialize_field("duration_s", &round(self.duration_s, SECONDS))?;
        st.serialize_field("sample_rate", &self.sample_rate)?;
        st.serialize_field("codec", &self.codec)?;
        st.serialize_field("channels", &self.channels)?;
        st.serialize_field("cues", &self.cues.as_ref().map(cues_json))?;
        st.serialize_field("warnings", &self.warnings)?;
        st.end()
    }
}

impl Serialize for ChannelReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Timeline<'a>(&'a timeline::Timeline);
        impl Serialize for Timeline<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::{Error, SerializeSeq};
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for p in self.0.points() {
                    let p = p.map_err(|e| {
                        S::Error::custom(format!("cannot read back the timeline: {e}"))
                    })?;
                    seq.serialize_element(&RoundedMeasures {
                        point: Some(&p),
                        measures: &p.measures,
                        profile: None,
                    })?;
                }
                seq.end()
            }
        }
        let mut st = s.serialize_struct("ChannelReport", 4)?;
        st.serialize_field("role", &self.role)?;
        st.serialize_field(
            "summary",
            &RoundedMeasures {
                point: None,
                measures: &self.summary,
                profile: Some(&self.profile),
            },
        )?;
        st.serialize_field("timeline", &Timeline(&self.timeline))?;
        st.serialize_field("alerts", &self.alerts)?;
        st.end()
    }
}

/// The cues of a call as JSON (the `cues` key), rounded like the measures.
pub fn cues_json(c: &Cues) -> serde_json::Value {
    use serde_json::json;
    let t = |v: f64| round(v, SECONDS);
    let o = |v: Option<f64>, d| v.map(|v| round(v, d));
    let turns = &c.turns;
    let share = turns.customer_share();
    let by = |who| {
        let (n, s) = turns.overlaps_by(who);
        json!({"count": n, "seconds": t(s)})
    };
    let dead: Vec<f64> = turns.dead_air.iter().map(|d| d.end_s - d.start_s).collect();
    let r = &c.recovery;
    let p = &c.pace;
    json!({
        "talk": {
            "customer_s": t(turns.customer_talk_s),
            "agent_s": t(turns.agent_talk_s),
            "customer_share": o(share, SCORE),
            "agent_share": o(share.map(|s| 1.0 - s), SCORE),
        },
        "overlaps": {
            "count": turns.overlaps.len(),
            "seconds": t(turns.overlaps.iter().map(|o| o.end_s - o.start_s).sum()),
            "agent_started": by(Starter::Agent),
            "customer_started": by(Starter::Customer),
            "both_started": by(Starter::Both),
            "events": turns.overlaps.iter().map(|o| json!({
                "start_s": t(o.start_s), "end_s": t(o.end_s), "started_by": o.started_by,
            })).collect::<Vec<_>>(),
        },
        "dead_air": {
            "threshold_s": t(turns.dead_air_threshold_s),
            "count": dead.len(),
            "seconds": t(dead.iter().sum()),
            "longest_s": o(dead.iter().copied().reduce(f64::max), SECONDS),
            "events": turns.dead_air.iter().map(|d| json!({
                "start_s": t(d.start_s), "end_s": t(d.end_s),
            })).collect::<Vec<_>>(),
        },
        "customer_longest_monologue": turns.longest_monologue.map(|m| json!({
            "start_s": t(m.start_s), "end_s": t(m.end_s), "duration_s": t(m.duration_s),
            "interrupted": m.interrupted,
        })),
        "agent_anger_rising": {
            "count": c.agent_anger_s.len(),
            "times_s": c.agent_anger_s.iter().map(|&v| t(v)).collect::<Vec<_>>(),
        },
        "agent_pace": {
            "customer_profile": p.customer_profile,
            "customer_rate_syl_s": o(p.customer_rate_syl_s, 2),
            "agent_rate_syl_s": o(p.agent_rate_syl_s, 2),
            "ratio": o(p.ratio, 2),
            "verdict": p.verdict.as_str(),
        },
        "customer_anger_recovery": {
            "peak_score": o(r.peak_score, SCORE),
            "peak_s": o(r.peak_s, SECONDS),
            "escalated": r.escalated,
            "recovered": r.recovered,
            "recovery_s": o(r.recovery_s, SECONDS),
            "final_score": o(r.final_score, SCORE),
        },
    })
}

/// Measures as a flat map in [`MEASURE_COLUMNS`] order; for a timeline point
/// preceded by its time and followed by the party's assessment.
struct RoundedMeasures<'a> {
    point: Option<&'a TimelinePoint>,
    measures: &'a Measures,
    profile: Option<&'a Profile>,
}

impl Serialize for RoundedMeasures<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(MEASURE_COLUMNS.len() + 3))?;
        if let Some(p) = self.point {
            map.serialize_entry("time_s", &round(p.time_s, SECONDS))?;
        }
        for c in MEASURE_COLUMNS {
            map.serialize_entry(c.name, &c.cell(self.measures))?;
        }
        if let Some(p) = self.point {
            map.serialize_entry("anger_score", &p.anger_score.map(|v| round(v, SCORE)))?;
            map.serialize_entry("state", &p.state)?;
        }
        if let Some(p) = self.profile {
            map.serialize_entry("profile", &RoundedProfile(p))?;
        }
        map.end()
    }
}

/// A profile with its numbers rounded like the measures.
struct RoundedProfile<'a>(&'a Profile);

impl Serialize for RoundedProfile<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let r = |v: Option<f64>, d| v.map(|v| round(v, d));
        let mut st = s.serialize_struct("Profile", 11)?;
        st.serialize_field("type", &p.kind)?;
        st.serialize_field("label_zh", p.label_zh)?;
        st.serialize_field("confidence", &round(p.confidence, SCORE))?;
        st.serialize_field("speech_rate_syl_s", &r(p.speech_rate_syl_s, 2))?;
        st.serialize_field("active_level_dbfs", &r(p.active_level_dbfs, 2))?;
        st.serialize_field("pitch_sd_st", &r(p.pitch_sd_st, 2))?;
        st.serialize_field("assertiveness", &round(p.assertiveness, 2))?;
        st.serialize_field("expressiveness", &round(p.expressiveness, 2))?;
        st.serialize_field("reasons_en", &p.reasons_en)?;
        st.serialize_field("reasons_zh", &p.reasons_zh)?;
        st.serialize_field("advice_en", p.advice_en)?;
        st.serialize_field("advice_zh", p.advice_zh)?;
        st.end()
    }
}

/// Decimals of scores in [0, 1].
pub const SCORE: u32 = 3;

/// Decimals of times and durations (1 ms, finer than the 10 ms hop).
pub(crate) const SECONDS: u32 = 3;

/// One measure as reports show it.
pub struct MeasureColumn {
    /// The [`Measures`] field name: the JSON key and CSV column.
    pub name: &'static str,
    /// Decimals written; 0 writes an integer.
    pub decimals: u32,
    value: fn(&Measures) -> Option<f64>,
}

/// Every field of [`Measures`], in report order, with the precision worth
/// showing: well below what a listener notices (0.01 dB, 0.01 semitone,
/// 0.1 Hz) without printing noise digits.
pub const MEASURE_COLUMNS: [MeasureColumn; 11] = [
    MeasureColumn {
        name: "speech_s",
        decimals: SECONDS,
        value: |m| Some(m.speech_s),
    },
    MeasureColumn {
        name: "voiced_s",
        decimals: SECONDS,
        value: |m| Some(m.voiced_s),
    },
    MeasureColumn {
        name: "syllables",
        // The committee's weighted mean count, rounded: the key stays an
        // integer for readers of the JSON; the rate uses it unrounded.
        decimals: 0,
        value: |m| Some(m.syllables),
    },
    MeasureColumn {
        name: "speech_rate_syl_s",
        decimals: 2,
        value: |m| m.speech_rate_syl_s,
    },
    MeasureColumn {
        name: "active_level_dbfs",
        decimals: 2,
        value: |m| m.active_level_dbfs,
    },
    MeasureColumn {
        name: "pitch_median_hz",
        decimals: 1,
        value: |m| m.pitch_median_hz,
    },
    MeasureColumn {
        name: "pitch_sd_st",
        decimals: 2,
        value: |m| m.pitch_sd_st,
    },
    MeasureColumn {
        name: "pitch_range_st",
        decimals: 2,
        value: |m| m.pitch_range_st,
    },
    MeasureColumn {
        name: "spectral_balance_db",
        decimals: 2,
        value: |m| m.spectral_balance_db,
    },
    MeasureColumn {
        name: "periodicity",
        decimals: 3,
        value: |m| m.periodicity,
    },
    MeasureColumn {
        name: "spectral_flux_db",
        decimals: 2,
        value: |m| m.spectral_flux_db,
    },
];

impl MeasureColumn {
    /// The rounded value of this measure in `m`.
    pub fn cell(&self, m: &Measures) -> Cell {
        match (self.value)(m) {
            Some(v) if v.is_finite() && self.decimals == 0 => Cell::Integer(v.round() as i64),
            Some(v) if v.is_finite() => Cell::Number(round(v, self.decimals)),
            _ => Cell::Missing,
        }
    }
}

/// A rounded measure value: JSON number or `null`, CSV field or empty field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Missing,
    Integer(i64),
    Number(f64),
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Cell::Missing => s.serialize_none(),
            Cell::Integer(v) => s.serialize_i64(v),
            Cell::Number(v) => s.serialize_f64(v),
        }
    }
}

/// Writes the number as JSON would (shortest form that reads back the same),
/// and nothing for a missing value.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Missing => Ok(()),
            Cell::Integer(v) => write!(f, "{v}"),
            Cell::Number(v) => write!(f, "{v}"),
        }
    }
}

/// `x` rounded to `decimals` places. Dividing the rounded integer gives the
/// double nearest the decimal, which prints without trailing noise digits.
pub(crate) fn round(x: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    let r = (x * scale).round() / scale;
    // Keep -0.0 out of reports.
    if r == 0.0 { 0.0 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_exactly_the_measures_fields() {
        // Catches a field added to Measures but not to the reports.
        let value = serde_json::to_value(Measures::default()).unwrap();
        let mut fields: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut names: Vec<&str> = MEASURE_COLUMNS.iter().map(|c| c.name).collect();
        fields.sort_unstable();
        names.sort_unstable();
        assert_eq!(fields, names);
    }

    #[test]
    fn rounding_prints_short_numbers() {
        assert_eq!(round(0.1 + 0.2, 2).to_string(), "0.3");
        assert_eq!(round(-26.004999, 2).to_string(), "-26");
        assert_eq!(round(-0.0004, 3).to_string(), "0");
        assert_eq!(round(4.56789, 1), 4.6);
    }
}
