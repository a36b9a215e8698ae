//! CSV reports: a header, then one row per timeline point per channel, or
//! with the summary layout one row per channel. Missing measures are empty
//! fields; numbers are rounded as in JSON.

use std::io::{self, Write};

use super::{FileReport, MEASURE_COLUMNS, SCORE, SECONDS, round};
use crate::analyzer::TimelinePoint;
use crate::measures::Measures;

/// Which rows a CSV report holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One row per timeline point per channel:
    /// `file,role,time_s,<measures>,anger_score,state`.
    Timeline,
    /// One row per channel, the whole-channel measures: `file,role,duration_s,<measures>`.
    Summary,
}

/// Writes the header line; once, before the rows of any file.
pub fn write_header(w: &mut impl Write, layout: Layout) -> io::Result<()> {
    let time = match layout {
        Layout::Timeline => "time_s",
        Layout::Summary => "duration_s",
    };
    write!(w, "file,role,{time}")?;
    for c in &MEASURE_COLUMNS {
        write!(w, ",{}", c.name)?;
    }
    if layout == Layout::Timeline {
        write!(w, ",anger_score,state")?;
    }
    writeln!(w)
}

/// Writes the rows of one file.
pub fn write_rows(w: &mut impl Write, report: &FileReport, layout: Layout) -> io::Result<()> {
    let file = quote(&report.file);
    for ch in &report.channels {
        let mut row =
            |time_s: f64, m: &Measures, point: Option<&TimelinePoint>| -> io::Result<()> {
                write!(w, "{file},{},{}", ch.role, round(time_s, SECONDS))?;
                for c in &MEASURE_COLUMNS {
                    write!(w, ",{}", c.cell(m))?;
                }
                if let Some(p) = point {
                    let score = p
                        .anger_score
                        .map_or(String::new(), |v| round(v, SCORE).to_string());
                    write!(w, ",{score},{}", p.state.as_str())?;
                }
                writeln!(w)
            };
        match layout {
            Layout::Timeline => {
                for p in ch.timeline.points() {
                    let p = p?;
                    row(p.time_s, &p.measures, Some(&p))?;
                }
            }
            Layout::Summary => row(report.duration_s, &ch.summary, None)?,
        }
    }
    Ok(())
}

/// A field quoted as RFC 4180 asks when it holds a separator, quote or line
/// break (file names can).
pub(crate) fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn file_names_with_separators_are_quoted() {
        assert_eq!(quote("call.wav"), "call.wav");
        assert_eq!(quote("a,b.wav"), "\"a,b.wav\"");
        assert_eq!(quote("say \"hi\".wav"), "\"say \"\"hi\"\".wav\"");
    }
}
