//! The summary of a batch: one row per call (analysed or failed), written as
//! `summary.csv` and shown in the HTML index. A row keeps only what the
//! summary shows, so a batch of thousands of calls does not keep their
//! timelines in memory.

use std::io::{self, Write};

use super::{FileReport, SCORE, SECONDS, csv::quote, round};
use crate::classify::AlertKind;
use crate::cues::{PaceVerdict, Starter};
use crate::report::Role;

/// Measures of one party in the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartyRow {
    pub speech_s: Option<f64>,
    pub speech_rate_syl_s: Option<f64>,
    pub active_level_dbfs: Option<f64>,
    pub pitch_median_hz: Option<f64>,
    pub pitch_sd_st: Option<f64>,
    pub pitch_range_st: Option<f64>,
    pub profile: String,
    pub anger_rising_s: Vec<f64>,
    pub peak_anger: Option<f64>,
}

/// The cues of a two-party call in the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CueRow {
    pub customer_share: Option<f64>,
    pub overlaps: usize,
    pub overlap_s: f64,
    pub agent_overlaps: usize,
    pub agent_overlap_s: f64,
    pub customer_overlaps: usize,
    pub customer_overlap_s: f64,
    pub dead_air: usize,
    pub dead_air_s: f64,
    pub longest_dead_air_s: Option<f64>,
    pub longest_monologue_s: Option<f64>,
    pub monologue_interrupted: Option<bool>,
    pub agent_anger_rising: usize,
    pub pace_verdict: String,
    pub pace_ratio: Option<f64>,
    pub customer_escalated: bool,
    pub customer_recovered: bool,
    pub customer_recovery_s: Option<f64>,
    pub customer_final_anger: Option<f64>,
}

/// One call of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// The input's name relative to what was given (the JSON and HTML are
    /// named after it).
    pub name: String,
    /// `ok`, `partial` (decoded only in part) or `failed`.
    pub status: &'static str,
    /// Why it failed or is partial; empty otherwise.
    pub reason: String,
    pub duration_s: Option<f64>,
    pub sample_rate: Option<u32>,
    pub codec: String,
    pub channels: usize,
    pub customer: Option<PartyRow>,
    pub agent: Option<PartyRow>,
    pub cues: Option<CueRow>,
    /// Relative link to the call's HTML report.
    pub html: Option<String>,
}

impl SummaryRow {
    pub fn failed(name: &str, reason: String) -> Self {
        Self {
            name: name.to_string(),
            status: "failed",
            reason,
            duration_s: None,
            sample_rate: None,
            codec: String::new(),
            channels: 0,
            customer: None,
            agent: None,
            cues: None,
            html: None,
        }
    }

    pub fn from_report(name: &str, r: &FileReport) -> Self {
        let party = |role| {
            let c = r.channels.iter().find(|c| c.role == role)?;
            Some(PartyRow {
                speech_s: Some(c.summary.speech_s),
                speech_rate_syl_s: c.summary.speech_rate_syl_s,
                active_level_dbfs: c.summary.active_level_dbfs,
                pitch_median_hz: c.summary.pitch_median_hz,
                pitch_sd_st: c.summary.pitch_sd_st,
                pitch_range_st: c.summary.pitch_range_st,
                profile: c.profile.kind.as_str().to_string(),
                anger_rising_s: c
                    .alerts
                    .iter()
                    .filter(|a| a.kind == AlertKind::AngerRising)
                    .map(|a| a.time_s)
                    .collect(),
                peak_anger: c.timeline.peak_anger(),
            })
        };
        let cues = r.cues.as_ref().map(|c| {
            let t = &c.turns;
            let (agent_overlaps, agent_overlap_s) = t.overlaps_by(Starter::Agent);
            let (customer_overlaps, customer_overlap_s) = t.overlaps_by(Starter::Customer);
            let dead: Vec<f64> = t.dead_air.iter().map(|d| d.end_s - d.start_s).collect();
            CueRow {
                customer_share: t.customer_share(),
                overlaps: t.overlaps.len(),
                overlap_s: t.overlaps.iter().map(|o| o.end_s - o.start_s).sum(),
                agent_overlaps,
                agent_overlap_s,
                customer_overlaps,
                customer_overlap_s,
                dead_air: dead.len(),
                dead_air_s: dead.iter().sum(),
                longest_dead_air_s: dead.iter().copied().reduce(f64::max),
                longest_monologue_s: t.longest_monologue.map(|m| m.duration_s),
                monologue_interrupted: t.longest_monologue.map(|m| m.interrupted),
                agent_anger_rising: c.agent_anger_s.len(),
                pace_verdict: c.pace.verdict.as_str().to_string(),
                pace_ratio: c.pace.ratio,
                customer_escalated: c.recovery.escalated,
                customer_recovered: c.recovery.recovered,
                customer_recovery_s: c.recovery.recovery_s,
                customer_final_anger: c.recovery.final_score,
            }
        });
        let incomplete = r.warnings.iter().find(|w| w.is_incomplete());
        Self {
            name: name.to_string(),
            status: if incomplete.is_some() {
                "partial"
            } else {
                "ok"
            },
            reason: incomplete.map(|w| w.to_string()).unwrap_or_default(),
            duration_s: Some(r.duration_s),
            sample_rate: Some(r.sample_rate),
            codec: r.codec.clone(),
            channels: r.channels.len(),
            customer: party(Role::Customer),
            agent: party(Role::Agent),
            cues,
            html: None,
        }
    }

    /// How bad the customer's escalation was, for "worst first": the number
    /// of `anger_rising` alerts, then the peak anger score.
    pub fn escalation_key(&self) -> (usize, f64) {
        self.customer.as_ref().map_or((0, -1.0), |c| {
            (c.anger_rising_s.len(), c.peak_anger.unwrap_or(-1.0))
        })
    }
}

const PARTY_COLUMNS: [&str; 10] = [
    "speech_s",
    "speech_rate_syl_s",
    "active_level_dbfs",
    "pitch_median_hz",
    "pitch_sd_st",
    "pitch_range_st",
    "profile",
    "anger_rising",
    "anger_rising_times_s",
    "peak_anger",
];

const CUE_COLUMNS: [&str; 19] = [
    "customer_talk_share",
    "agent_talk_share",
    "overlaps",
    "overlap_s",
    "agent_started_overlaps",
    "agent_started_overlap_s",
    "customer_started_overlaps",
    "customer_started_overlap_s",
    "dead_air",
    "dead_air_s",
    "longest_dead_air_s",
    "customer_longest_monologue_s",
    "customer_monologue_interrupted",
    "agent_anger_rising",
    "agent_pace",
    "agent_pace_ratio",
    "customer_escalated",
    "customer_recovered",
    "customer_recovery_s",
];

/// The header of `summary.csv`.
pub fn write_summary_header(w: &mut impl Write) -> io::Result<()> {
    write!(
        w,
        "file,status,reason,duration_s,sample_rate,codec,channels"
    )?;
    for role in ["customer", "agent"] {
        for c in PARTY_COLUMNS {
            write!(w, ",{role}_{c}")?;
        }
    }
    for c in CUE_COLUMNS {
        write!(w, ",{c}")?;
    }
    writeln!(w, ",customer_final_anger")
}

fn num(v: Option<f64>, d: u32) -> String {
    v.filter(|v| v.is_finite())
        .map_or(String::new(), |v| round(v, d).to_string())
}

fn flag(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    }
}

/// One row of `summary.csv`. Empty fields: not applicable (mono: no agent,
/// no cues; failed: nothing but the reason) or not enough speech to say.
pub fn write_summary_row(w: &mut impl Write, r: &SummaryRow) -> io::Result<()> {
    write!(
        w,
        "{},{},{},{},{},{},{}",
        quote(&r.name),
        r.status,
        quote(&r.reason),
        num(r.duration_s, SECONDS),
        r.sample_rate.map_or(String::new(), |v| v.to_string()),
        quote(&r.codec),
        if r.status == "failed" {
            String::new()
        } else {
            r.channels.to_string()
        },
    )?;
    for p in [&r.customer, &r.agent] {
        match p {
            Some(p) => {
                let times: Vec<String> = p
                    .anger_rising_s
                    .iter()
                    .map(|t| round(*t, SECONDS).to_string())
                    .collect();
                write!(
                    w,
                    ",{},{},{},{},{},{},{},{},{},{}",
                    num(p.speech_s, SECONDS),
                    num(p.speech_rate_syl_s, 2),
                    num(p.active_level_dbfs, 2),
                    num(p.pitch_median_hz, 1),
                    num(p.pitch_sd_st, 2),
                    num(p.pitch_range_st, 2),
                    p.profile,
                    p.anger_rising_s.len(),
                    times.join(";"),
                    num(p.peak_anger, SCORE),
                )?;
            }
            None => write!(w, "{}", ",".repeat(PARTY_COLUMNS.len()))?,
        }
    }
    match &r.cues {
        Some(c) => writeln!(
            w,
            ",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            num(c.customer_share, SCORE),
            num(c.customer_share.map(|s| 1.0 - s), SCORE),
            c.overlaps,
            num(Some(c.overlap_s), SECONDS),
            c.agent_overlaps,
            num(Some(c.agent_overlap_s), SECONDS),
            c.customer_overlaps,
            num(Some(c.customer_overlap_s), SECONDS),
            c.dead_air,
            num(Some(c.dead_air_s), SECONDS),
            num(c.longest_dead_air_s, SECONDS),
            num(c.longest_monologue_s, SECONDS),
            flag(c.monologue_interrupted),
            c.agent_anger_rising,
            c.pace_verdict,
            num(c.pace_ratio, 2),
            c.customer_escalated,
            c.customer_recovered,
            num(c.customer_recovery_s, SECONDS),
            num(c.customer_final_anger, SCORE),
        ),
        None => writeln!(w, "{}", ",".repeat(CUE_COLUMNS.len() + 1)),
    }
}

/// Whether a verdict is a cue worth showing (for the reports' highlights).
pub fn pace_is_off(verdict: &str) -> bool {
    verdict == PaceVerdict::TooSlow.as_str() || verdict == PaceVerdict::TooFast.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> usize {
        // No quoted commas in these rows.
        line.split(',').count()
    }

    #[test]
    fn every_row_has_the_header_width() {
        let mut h = Vec::new();
        write_summary_header(&mut h).unwrap();
        let header = String::from_utf8(h).unwrap();
        let width = fields(header.trim_end());
        let mut ok = SummaryRow::failed("a.wav", "x".into());
        let mut b = Vec::new();
        write_summary_row(&mut b, &ok).unwrap();
        ok.status = "ok";
        ok.customer = Some(PartyRow {
            anger_rising_s: vec![1.0, 2.5],
            ..PartyRow::default()
        });
        ok.agent = Some(PartyRow::default());
        ok.cues = Some(CueRow::default());
        write_summary_row(&mut b, &ok).unwrap();
        let text = String::from_utf8(b).unwrap();
        for line in text.lines() {
            assert_eq!(fields(line), width, "{line}");
        }
        assert!(text.lines().nth(1).unwrap().contains(",2,1;2.5,"));
    }
}
