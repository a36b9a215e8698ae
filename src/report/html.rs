//! HTML reports: one self-contained page per call (inline SVG plots and CSS,
//! nothing fetched, so a page opens from a mail attachment or a file share)
//! and an index over a batch, sortable, worst escalations first.

use std::fmt::Write as _;

use super::batch::{SummaryRow, pace_is_off};
use super::{ChannelReport, FileReport, SECONDS, round};
use crate::analyzer::TimelinePoint;
use crate::classify::AlertKind;
use crate::cues::Starter;
use crate::report::Role;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;color:#1d2330;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.meta{color:#5b6577}.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.card{border:1px solid #dde2ea;border-radius:8px;padding:10px 14px;background:#fafbfd}
.cust{color:#1f6fd1}.agent{color:#d9731a}.warn{color:#b3261e;font-weight:600}.ok{color:#2e7d32}
table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}
th{background:#f0f3f8;font-weight:600}th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:' \\2195';color:#99a}
td.num{text-align:right;font-variant-numeric:tabular-nums}
svg{display:block;width:100%;height:auto;background:#fff;border:1px solid #e6e9ef;border-radius:6px;margin-bottom:10px}
svg text{font:11px system-ui,sans-serif;fill:#5b6577}.legend span{margin-right:14px}
.alert{margin:4px 0}.zh{color:#5b6577}
";

const CUSTOMER_COLOR: &str = "#1f6fd1";
const AGENT_COLOR: &str = "#d9731a";

fn color(role: Role) -> &'static str {
    match role {
        Role::Customer => CUSTOMER_COLOR,
        Role::Agent => AGENT_COLOR,
    }
}

fn fmt_opt(v: Option<f64>, d: usize, unit: &str) -> String {
    v.filter(|v| v.is_finite())
        .map_or("–".to_string(), |v| format!("{v:.d$}{unit}"))
}

fn clock(t: f64) -> String {
    let t = t.max(0.0);
    format!("{}:{:04.1}", (t / 60.0).floor() as u64, t % 60.0)
}

const W: f64 = 1000.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 22.0;

/// One party's values over time (`None`: nothing to show there).
type Series = (Role, Vec<(f64, Option<f64>)>);

/// Something drawn over a time axis.
struct Plot<'a> {
    title: &'a str,
    height: f64,
    duration_s: f64,
    y_range: Option<(f64, f64)>,
    series: Vec<Series>,
    /// Alerts: time, colour, label.
    markers: Vec<(f64, &'static str, String)>,
    /// Shaded intervals: start, end, colour, label.
    bands: Vec<(f64, f64, &'static str, String)>,
}

impl Plot<'_> {
    fn svg(&self) -> String {
        let h = self.height;
        let bottom = h - 20.0;
        let plot_w = W - LEFT - RIGHT;
        let dur = self.duration_s.max(1e-3);
        let x = |t: f64| LEFT + plot_w * (t / dur).clamp(0.0, 1.0);
        let values: Vec<f64> = self
            .series
            .iter()
            .flat_map(|(_, s)| s.iter().filter_map(|p| p.1))
            .filter(|v| v.is_finite())
            .collect();
        let (lo, hi) = self.y_range.unwrap_or_else(|| {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if lo.is_finite() && hi > lo {
                let pad = 0.08 * (hi - lo);
                (lo - pad, hi + pad)
            } else if lo.is_finite() {
                (lo - 1.0, lo + 1.0)
            } else {
                (0.0, 1.0)
            }
        });
        let y = |v: f64| bottom - (bottom - TOP) * ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg class="plot" viewBox="0 0 {W} {h}" role="img" aria-label="{t}"><text x="{LEFT}" y="14" style="font-weight:600;fill:#1d2330">{t}</text>"#,
            t = esc(self.title)
        );
        for (a, b, c, label) in &self.bands {
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="{c}" opacity="0.25"><title>{}</title></rect>"#,
                x(*a),
                (x(*b) - x(*a)).max(1.0),
                bottom - TOP,
                esc(label)
            );
        }
        // Axes and ticks.
        let _ = write!(
            s,
            r##"<path class="axis" d="M{LEFT} {TOP}V{bottom}H{:.1}" stroke="#b8c0cc" fill="none"/>"##,
            W - RIGHT
        );
        for k in 0..=4 {
            let v = lo + (hi - lo) * k as f64 / 4.0;
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><path d="M{LEFT} {:.1}H{:.1}" stroke="#eef1f5"/>"##,
                LEFT - 4.0,
                y(v) + 4.0,
                if (hi - lo) < 5.0 {
                    format!("{v:.2}")
                } else {
                    format!("{v:.0}")
                },
                y(v),
                W - RIGHT
            );
        }
        let step = nice_step(dur / 8.0);
        let mut t = 0.0;
        while t <= dur + 1e-9 {
            // The last label ends at the axis end instead of running off it.
            let anchor = if t + step > dur + 1e-9 && x(t) > W - RIGHT - 30.0 {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                x(t),
                h - 5.0,
                clock(t)
            );
            t += step;
        }
        for (role, series) in &self.series {
            let mut d = String::new();
            let mut pen = false;
            for &(t, v) in series {
                match v.filter(|v| v.is_finite()) {
                    Some(v) => {
                        let _ = write!(d, "{}{:.1} {:.1}", if pen { "L" } else { "M" }, x(t), y(v));
                        pen = true;
                    }
                    None => pen = false,
                }
            }
            if !d.is_empty() {
                let _ = write!(
                    s,
                    r#"<path class="series {role}" d="{d}" stroke="{}" stroke-width="1.6" fill="none"/>"#,
                    color(*role)
                );
            }
        }
        for (t, c, label) in &self.markers {
            let _ = write!(
                s,
                r#"<path class="marker" d="M{:.1} {TOP}V{bottom}" stroke="{c}" stroke-width="2" stroke-dasharray="4 3"><title>{}</title></path>"#,
                x(*t),
                esc(label)
            );
        }
        s.push_str("</svg>");
        s
    }
}

/// A round step (1, 2 or 5 × 10^k seconds) near `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(0.1);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * p)
}

fn series(ch: &ChannelReport, f: impl Fn(&TimelinePoint) -> Option<f64>) -> Series {
    (
        ch.role,
        // A long call plots every n-th point (see `Timeline::plot`).
        ch.timeline
            .plot()
            .iter()
            .map(|p| (p.time_s, f(p)))
            .collect(),
    )
}

/// The page of one call.
pub fn call_page(r: &FileReport, name: &str) -> String {
    let mut markers = Vec::new();
    for ch in &r.channels {
        for a in ch
            .alerts
            .iter()
            .filter(|a| a.kind == AlertKind::AngerRising)
        {
            markers.push((
                a.time_s,
                if ch.role == Role::Customer {
                    "#b3261e"
                } else {
                    "#8e24aa"
                },
                format!(
                    "{} {} anger_rising: {}",
                    clock(a.time_s),
                    ch.role,
                    a.message
                ),
            ));
        }
    }
    let mut bands = Vec::new();
    if let Some(c) = &r.cues {
        for o in &c.turns.overlaps {
            bands.push((
                o.start_s,
                o.end_s,
                if o.started_by == Starter::Agent {
                    "#e53935"
                } else {
                    "#fb8c00"
                },
                format!(
                    "overlap {}–{}, started by {}",
                    clock(o.start_s),
                    clock(o.end_s),
                    o.started_by.as_str()
                ),
            ));
        }
        for d in &c.turns.dead_air {
            bands.push((
                d.start_s,
                d.end_s,
                "#9e9e9e",
                format!(
                    "dead air {}–{} ({:.1} s)",
                    clock(d.start_s),
                    clock(d.end_s),
                    d.end_s - d.start_s
                ),
            ));
        }
    }
    let plot = |title, h, range, f: &dyn Fn(&TimelinePoint) -> Option<f64>| {
        Plot {
            title,
            height: h,
            duration_s: r.duration_s,
            y_range: range,
            series: r.channels.iter().map(|c| series(c, f)).collect(),
            markers: markers.clone(),
            bands: bands.clone(),
        }
        .svg()
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>tonewatch: {}</title><style>{STYLE}</style></head><body>",
        esc(name)
    );
    let _ = write!(
        s,
        "<h1>{}</h1><div class=\"meta\">{} · {} Hz · {} · {}</div>",
        esc(name),
        clock(r.duration_s),
        r.sample_rate,
        esc(&r.codec),
        if r.channels.len() == 2 {
            "two parties (stereo)"
        } else {
            "mono (customer)"
        }
    );
    for w in &r.warnings {
        let _ = write!(s, "<p class=\"warn\">{}</p>", esc(&w.to_string()));
    }
    s.push_str("<p class=\"legend\">");
    for ch in &r.channels {
        let _ = write!(
            s,
            "<span style=\"color:{}\">━ {}</span>",
            color(ch.role),
            ch.role
        );
    }
    s.push_str("<span style=\"color:#b3261e\">┆ anger_rising</span>");
    if r.cues.is_some() {
        s.push_str("<span style=\"color:#e53935\">▮ agent talked over</span><span style=\"color:#fb8c00\">▮ customer talked over</span><span style=\"color:#9e9e9e\">▮ dead air</span>");
    }
    s.push_str("</p><h2>Over time</h2>");
    s.push_str(&plot(
        "Anger score (0–1, against the party's own baseline)",
        170.0,
        Some((0.0, 1.0)),
        &|p| p.anger_score,
    ));
    s.push_str(&plot(
        "Volume: active speech level, dBFS (3 s window)",
        150.0,
        None,
        &|p| p.measures.active_level_dbfs,
    ));
    s.push_str(&plot(
        "Speech rate, syllables per second",
        150.0,
        None,
        &|p| p.measures.speech_rate_syl_s,
    ));
    s.push_str(&plot(
        "Pitch variation, semitones (SD)",
        150.0,
        None,
        &|p| p.measures.pitch_sd_st,
    ));
    if let Some(c) = &r.cues {
        s.push_str("<h2>Agent cues</h2><table>");
        let t = &c.turns;
        let row = |s: &mut String, k: &str, v: String, bad: bool| {
            let _ = write!(
                s,
                "<tr><th>{k}</th><td class=\"{}\">{v}</td></tr>",
                if bad { "warn" } else { "" }
            );
        };
        let share = t.customer_share();
        row(
            &mut s,
            "Talk share",
            format!(
                "customer {} · agent {} ({:.0} s / {:.0} s)",
                fmt_opt(share.map(|v| 100.0 * v), 0, " %"),
                fmt_opt(share.map(|v| 100.0 - 100.0 * v), 0, " %"),
                t.customer_talk_s,
                t.agent_talk_s
            ),
            false,
        );
        let (an, asec) = t.overlaps_by(Starter::Agent);
        let (cn, csec) = t.overlaps_by(Starter::Customer);
        row(
            &mut s,
            "Agent talked over the customer",
            format!("{an} times, {asec:.1} s"),
            an > 0,
        );
        row(
            &mut s,
            "Customer talked over the agent",
            format!("{cn} times, {csec:.1} s"),
            false,
        );
        let dead: f64 = t.dead_air.iter().map(|d| d.end_s - d.start_s).sum::<f64>() + 0.0;
        row(
            &mut s,
            &format!("Dead air (over {:.0} s)", t.dead_air_threshold_s),
            format!("{} times, {dead:.1} s", t.dead_air.len()),
            !t.dead_air.is_empty(),
        );
        row(
            &mut s,
            "Customer's longest monologue",
            t.longest_monologue.map_or("–".into(), |m| {
                format!(
                    "{:.1} s from {}{}",
                    m.duration_s,
                    clock(m.start_s),
                    if m.interrupted {
                        ", cut short by the agent"
                    } else {
                        ""
                    }
                )
            }),
            t.longest_monologue.is_some_and(|m| m.interrupted),
        );
        row(
            &mut s,
            "Agent's own anger rising",
            if c.agent_anger_s.is_empty() {
                "no".into()
            } else {
                format!(
                    "{} times, at {}",
                    c.agent_anger_s.len(),
                    c.agent_anger_s
                        .iter()
                        .map(|&t| clock(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            !c.agent_anger_s.is_empty(),
        );
        let p = &c.pace;
        row(
            &mut s,
            "Agent's pace for this customer",
            format!(
                "{} (customer {} is {}, agent {})",
                p.verdict.as_str().replace('_', " "),
                p.customer_profile.as_str(),
                fmt_opt(p.customer_rate_syl_s, 2, " syl/s"),
                fmt_opt(p.agent_rate_syl_s, 2, " syl/s")
            ),
            pace_is_off(p.verdict.as_str()),
        );
        let rc = &c.recovery;
        row(
            &mut s,
            "Customer's anger after its peak",
            if !rc.escalated {
                format!("no escalation (peak {})", fmt_opt(rc.peak_score, 2, ""))
            } else if rc.recovered {
                format!(
                    "came down: peak {} at {}, calm {:.1} s later",
                    fmt_opt(rc.peak_score, 2, ""),
                    clock(rc.peak_s.unwrap_or(0.0)),
                    rc.recovery_s.unwrap_or(0.0)
                )
            } else {
                format!(
                    "did not come down: peak {} at {}, last score {}",
                    fmt_opt(rc.peak_score, 2, ""),
                    clock(rc.peak_s.unwrap_or(0.0)),
                    fmt_opt(rc.final_score, 2, "")
                )
            },
            rc.escalated && !rc.recovered,
        );
        s.push_str("</table>");
    }
    s.push_str("<h2>Parties</h2><div class=\"grid\">");
    for ch in &r.channels {
        let m = &ch.summary;
        let p = &ch.profile;
        let _ = write!(
            s,
            "<div class=\"card\"><h3 style=\"color:{}\">{}</h3><table>\
             <tr><th>speech</th><td>{:.1} s</td></tr><tr><th>speech rate</th><td>{}</td></tr>\
             <tr><th>volume</th><td>{}</td></tr><tr><th>pitch median</th><td>{}</td></tr>\
             <tr><th>pitch variation</th><td>{} (range {})</td></tr>\
             <tr><th>profile</th><td><b>{}</b> {} (confidence {:.2})<br>{}<br><span class=\"zh\">{}</span><br><i>{}</i></td></tr></table>",
            color(ch.role),
            ch.role,
            m.speech_s,
            fmt_opt(m.speech_rate_syl_s, 2, " syl/s"),
            fmt_opt(m.active_level_dbfs, 1, " dBFS"),
            fmt_opt(m.pitch_median_hz, 0, " Hz"),
            fmt_opt(m.pitch_sd_st, 2, " st"),
            fmt_opt(m.pitch_range_st, 1, " st"),
            p.kind.as_str(),
            p.label_zh,
            p.confidence,
            esc(&p.reasons_en),
            esc(&p.reasons_zh),
            esc(p.advice_en)
        );
        let alerts: Vec<_> = ch
            .alerts
            .iter()
            .filter(|a| a.kind == AlertKind::AngerRising)
            .collect();
        if alerts.is_empty() {
            s.push_str("<p class=\"ok\">No anger_rising alert.</p>");
        }
        for a in alerts {
            let _ = write!(
                s,
                "<p class=\"alert\"><b class=\"warn\">{} anger_rising</b> (score {:.2}): {}<br><span class=\"zh\">{}</span><br>{}</p>",
                clock(a.time_s),
                a.score,
                esc(&a.message),
                esc(&a.message_zh),
                esc(&a.advice_en)
            );
        }
        s.push_str("</div>");
    }
    s.push_str("</div><p class=\"meta\">tonewatch · times are the end of each 3 s window, as a live monitor would show them.</p></body></html>\n");
    s
}

/// The index of a batch, worst escalations first, sortable by any column.
pub fn index_page(rows: &[SummaryRow]) -> String {
    let mut order: Vec<&SummaryRow> = rows.iter().collect();
    // Worst first; failed calls at the end; ties by name, for determinism.
    order.sort_by(|a, b| {
        let (ka, kb) = (a.escalation_key(), b.escalation_key());
        (b.status != "failed")
            .cmp(&(a.status != "failed"))
            .then(kb.0.cmp(&ka.0))
            .then(kb.1.total_cmp(&ka.1))
            .then(a.name.cmp(&b.name))
    });
    let failed = rows.iter().filter(|r| r.status == "failed").count();
    let escalated = rows.iter().filter(|r| r.escalation_key().0 > 0).count();
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>tonewatch: {} calls</title><style>{STYLE}</style></head><body>\
         <h1>{} calls</h1><p class=\"meta\">{} with the customer's anger rising · {} failed · click a column to sort</p>\
         <table id=\"calls\"><thead><tr>",
        rows.len(),
        rows.len(),
        escalated,
        failed
    );
    let cols = [
        ("call", "text"),
        ("status", "text"),
        ("duration", "num"),
        ("anger alerts", "num"),
        ("peak anger", "num"),
        ("profile", "text"),
        ("customer talk %", "num"),
        ("agent talked over", "num"),
        ("dead air", "num"),
        ("longest monologue s", "num"),
        ("agent anger", "num"),
        ("agent pace", "text"),
        ("anger came down", "text"),
    ];
    for (i, (c, kind)) in cols.iter().enumerate() {
        let _ = write!(
            s,
            "<th class=\"sortable\" data-col=\"{i}\" data-kind=\"{kind}\">{c}</th>"
        );
    }
    s.push_str("</tr></thead><tbody>");
    for r in order {
        let cust = r.customer.as_ref();
        let cue = r.cues.as_ref();
        let link = match &r.html {
            Some(h) => format!("<a href=\"{}\">{}</a>", esc(h), esc(&r.name)),
            None => esc(&r.name),
        };
        let numcell = |v: Option<f64>, d: usize| match v.filter(|v| v.is_finite()) {
            Some(v) => format!("<td class=\"num\" data-v=\"{v}\">{v:.d$}</td>"),
            None => "<td class=\"num\" data-v=\"\">–</td>".to_string(),
        };
        let _ = write!(
            s,
            "<tr><td>{link}</td><td class=\"{}\" title=\"{}\">{}</td>",
            if r.status == "ok" { "" } else { "warn" },
            esc(&r.reason),
            r.status
        );
        s.push_str(&numcell(r.duration_s.map(|v| round(v, SECONDS)), 1));
        s.push_str(&numcell(cust.map(|c| c.anger_rising_s.len() as f64), 0));
        s.push_str(&numcell(cust.and_then(|c| c.peak_anger), 2));
        let _ = write!(s, "<td>{}</td>", cust.map_or("", |c| c.profile.as_str()));
        s.push_str(&numcell(
            cue.and_then(|c| c.customer_share).map(|v| 100.0 * v),
            0,
        ));
        s.push_str(&numcell(cue.map(|c| c.agent_overlaps as f64), 0));
        s.push_str(&numcell(cue.map(|c| c.dead_air as f64), 0));
        s.push_str(&numcell(cue.and_then(|c| c.longest_monologue_s), 1));
        s.push_str(&numcell(cue.map(|c| c.agent_anger_rising as f64), 0));
        let _ = write!(
            s,
            "<td class=\"{}\">{}</td><td>{}</td></tr>",
            if cue.is_some_and(|c| pace_is_off(&c.pace_verdict)) {
                "warn"
            } else {
                ""
            },
            cue.map_or(String::new(), |c| c.pace_verdict.replace('_', " ")),
            cue.map_or("", |c| match (c.customer_escalated, c.customer_recovered) {
                (false, _) => "no escalation",
                (true, true) => "yes",
                (true, false) => "no",
            })
        );
    }
    s.push_str("</tbody></table>");
    s.push_str(SORT_SCRIPT);
    s.push_str("</body></html>\n");
    s
}

/// Sorting by a click on a header; a second click reverses. Numbers sort by
/// value (missing last), text alphabetically.
const SORT_SCRIPT: &str = r#"<script>
(function () {
  var table = document.getElementById('calls');
  var body = table.tBodies[0];
  var state = {col: -1, dir: 1};
  function key(row, col, kind) {
    var cell = row.cells[col];
    if (kind === 'num') {
      var v = cell.getAttribute('data-v');
      return v === '' ? null : parseFloat(v);
    }
    return cell.textContent.trim().toLowerCase();
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener('click', function () {
      var col = +th.getAttribute('data-col');
      var kind = th.getAttribute('data-kind');
      state.dir = state.col === col ? -state.dir : (kind === 'num' ? -1 : 1);
      state.col = col;
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, col, kind), y = key(b, col, kind);
        if (x === null && y === null) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      table.setAttribute('data-sorted', col + ':' + state.dir);
    });
  });
})();
</script>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(4.0), 5.0);
        assert_eq!(nice_step(12.0), 20.0);
        assert_eq!(nice_step(0.7), 1.0);
    }

    #[test]
    fn index_puts_the_worst_escalation_first_and_failures_last() {
        use super::super::batch::PartyRow;
        let mut calm = SummaryRow::failed("calm.wav", String::new());
        calm.status = "ok";
        calm.customer = Some(PartyRow {
            peak_anger: Some(0.3),
            ..PartyRow::default()
        });
        let mut bad = calm.clone();
        bad.name = "bad.wav".into();
        bad.customer = Some(PartyRow {
            anger_rising_s: vec![10.0, 50.0],
            peak_anger: Some(0.9),
            ..PartyRow::default()
        });
        let broken = SummaryRow::failed("broken.wav", "not audio".into());
        let page = index_page(&[broken, calm, bad]);
        let pos = |n: &str| page.find(n).unwrap();
        assert!(pos(">bad.wav") < pos(">calm.wav"));
        assert!(pos(">calm.wav") < pos(">broken.wav"));
        assert!(!page.contains("http"), "self-contained");
    }
}
