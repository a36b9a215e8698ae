//! A report for a person at a terminal: per file, the whole-channel measures
//! side by side for each channel, then the warnings. The timeline is left to
//! JSON and CSV.

use std::io::{self, Write};

use super::FileReport;
use crate::measures::Measures;

/// A row of the text table: label, unit, decimals, value.
type Row = (
    &'static str,
    &'static str,
    usize,
    fn(&Measures) -> Option<f64>,
);

/// Coarser than JSON: these are for reading, not for computing.
const ROWS: [Row; 7] = [
    ("speech time", "s", 1, |m| Some(m.speech_s)),
    ("speech rate", "syl/s", 2, |m| m.speech_rate_syl_s),
    ("level", "dBFS", 1, |m| m.active_level_dbfs),
    ("pitch median", "Hz", 0, |m| m.pitch_median_hz),
    ("pitch SD", "st", 2, |m| m.pitch_sd_st),
    ("pitch range", "st", 2, |m| m.pitch_range_st),
    ("spectral balance", "dB", 1, |m| m.spectral_balance_db),
];

const LABEL_WIDTH: usize = 18;
const VALUE_WIDTH: usize = 16;

/// Writes one file's report, ending with a blank line.
pub fn write_report(w: &mut impl Write, report: &FileReport) -> io::Result<()> {
    let layout = match report.channels.len() {
        1 => "mono",
        _ => "stereo",
    };
    writeln!(
        w,
        "{}: {:.2} s, {} Hz, {}, {layout}",
        report.file, report.duration_s, report.sample_rate, report.codec
    )?;
    // Columns are padded, so lines are built whole and trimmed at the end.
    let mut line = format!("  {:LABEL_WIDTH$}", "");
    for ch in &report.channels {
        line += &format!("{:VALUE_WIDTH$}", ch.role.as_str());
    }
    writeln!(w, "{}", line.trim_end())?;
    for (label, unit, decimals, value) in ROWS {
        let mut line = format!("  {label:LABEL_WIDTH$}");
        for ch in &report.channels {
            let cell = match value(&ch.summary) {
                Some(v) if v.is_finite() => format!("{v:.decimals$} {unit}"),
                _ => "–".to_string(),
            };
            line += &format!("{cell:VALUE_WIDTH$}");
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    if report.channels.iter().any(|ch| {
        ROWS.iter()
            .any(|(_, _, _, value)| value(&ch.summary).is_none())
    }) {
        writeln!(w, "  (– : not enough speech to measure)")?;
    }
    for ch in &report.channels {
        let p = &ch.profile;
        writeln!(
            w,
            "  {} profile: {} {} (confidence {:.2}) — {}",
            ch.role,
            p.kind.as_str(),
            p.label_zh,
            p.confidence,
            p.reasons_en
        )?;
    }
    for ch in &report.channels {
        for a in &ch.alerts {
            let at = a.time_s;
            writeln!(
                w,
                "  {at:>7.2} s  {} {}: {} (score {:.2})",
                a.role,
                a.kind.as_str(),
                a.message,
                a.score
            )?;
            writeln!(w, "             {}", a.message_zh)?;
            writeln!(w, "             advice: {}", a.advice_en)?;
            writeln!(w, "             建议：{}", a.advice_zh)?;
        }
    }
    for warning in &report.warnings {
        writeln!(w, "  warning: {warning}")?;
    }
    writeln!(w)
}
