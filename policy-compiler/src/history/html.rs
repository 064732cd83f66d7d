//! The ledger as one self-contained HTML page: a timeline (a row per
//! subject, a bar per interval in which one of its bindings was active,
//! coloured by role) drawn as inline SVG, and the commits that changed
//! each binding. Nothing is fetched: styles, chart and the small script
//! that reports how many bars were drawn are all in the file.

use super::{short, History};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::fmt::Write;

const PALETTE: &[&str] =
    &["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

const LABEL: f64 = 200.0;
const WIDTH: f64 = 1000.0;
const LANE: f64 = 14.0;
const GAP: f64 = 10.0;
const TOP: f64 = 30.0;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Round tick instants (whole days, a step from 1 day to 1 year) across
/// the period, about eight of them.
fn ticks(since: Timestamp, until: Timestamp) -> Vec<Timestamp> {
    const DAY: i64 = 86_400;
    let span = (until.as_second() - since.as_second()).max(1);
    let step =
        [1, 2, 7, 14, 30, 61, 91, 182, 365].iter().map(|d| d * DAY).find(|s| span / s <= 10).unwrap_or(365 * DAY);
    let first = since.as_second().div_euclid(DAY) * DAY;
    let mut out = Vec::new();
    let mut t = first;
    // Bounded: at most 12 ticks by the choice of step.
    while t <= until.as_second() && out.len() < 12 {
        if t >= since.as_second() {
            if let Ok(ts) = Timestamp::from_second(t) {
                out.push(ts);
            }
        }
        t += step;
    }
    out
}

/// The page.
pub fn html(h: &History) -> String {
    let (s0, s1) = (h.since.as_second() as f64, h.until.as_second() as f64);
    let x = |t: Timestamp| LABEL + (t.as_second() as f64 - s0) / (s1 - s0).max(1.0) * WIDTH;
    let mut roles: Vec<&str> = h.bindings.iter().flat_map(|e| e.active.iter().map(|i| i.role.as_str())).collect();
    roles.sort_unstable();
    roles.dedup();
    let colour = |role: &str| PALETTE[roles.iter().position(|r| *r == role).unwrap_or(0) % PALETTE.len()];
    // Rows: subjects in order, a lane per binding.
    let mut subjects: BTreeMap<&str, Vec<&super::Entry>> = BTreeMap::new();
    for e in &h.bindings {
        subjects.entry(&e.subject).or_default().push(e);
    }
    let mut svg = String::new();
    let mut y = TOP;
    let mut bars = 0usize;
    for (subject, entries) in &subjects {
        let height = LANE * entries.len() as f64;
        let _ = write!(
            svg,
            r#"<g class="row" data-subject="{}"><rect class="band" x="0" y="{:.1}" width="{:.1}" height="{:.1}"/><text class="label" x="4" y="{:.1}">{}</text>"#,
            esc(subject),
            y - 3.0,
            LABEL + WIDTH,
            height + 6.0,
            y + LANE - 3.0,
            esc(subject)
        );
        for (lane, e) in entries.iter().enumerate() {
            let ly = y + lane as f64 * LANE;
            for i in &e.active {
                let (a, z) = (x(i.from), x(i.to));
                bars += 1;
                let _ = write!(
                    svg,
                    r#"<rect class="bar" x="{a:.2}" y="{:.1}" width="{:.2}" height="{:.1}" fill="{}" data-binding="{}"><title>{} · {} · role {} · {} → {}</title></rect>"#,
                    ly + 1.0,
                    (z - a).max(1.0),
                    LANE - 2.0,
                    colour(&i.role),
                    esc(&e.binding),
                    esc(subject),
                    esc(&e.binding),
                    esc(&i.role),
                    i.from,
                    i.to
                );
            }
        }
        svg.push_str("</g>");
        y += height + GAP;
    }
    let mut axis = String::new();
    for t in ticks(h.since, h.until) {
        let tx = x(t);
        let _ = write!(
            axis,
            r#"<line class="tick" x1="{tx:.1}" x2="{tx:.1}" y1="{:.1}" y2="{y:.1}"/><text class="tick" x="{tx:.1}" y="{:.1}">{}</text>"#,
            TOP - 12.0,
            TOP - 16.0,
            t.strftime("%Y-%m-%d")
        );
    }
    let legend: String = roles
        .iter()
        .map(|r| format!(r#"<span class="key"><i style="background:{}"></i>{}</span>"#, colour(r), esc(r)))
        .collect();
    let mut rows: Vec<(&super::Entry, &super::Step)> =
        h.bindings.iter().flat_map(|e| e.steps.iter().map(move |s| (e, s))).collect();
    rows.sort_by(|a, b| (a.1.commit.time, &a.0.binding).cmp(&(b.1.commit.time, &b.0.binding)));
    let mut steps = String::new();
    for (e, s) in rows {
        let kinds: Vec<&str> = s.changes.iter().map(|c| c.kind.as_str()).collect();
        let _ = write!(
            steps,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(short(&s.commit.hash)),
            s.commit.time,
            esc(&s.commit.author),
            esc(&e.binding),
            esc(&e.subject),
            esc(&kinds.join(", ")),
            esc(&s.commit.approved_by.join(", "))
        );
    }
    let title = format!("Access history {} → {}", h.since, h.until);
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #222; }}
svg {{ display: block; }}
.band {{ fill: #f4f4f4; }}
.label {{ font-size: 12px; fill: #222; }}
.tick {{ stroke: #ccc; fill: #555; font-size: 11px; text-anchor: middle; }}
.bar:hover {{ opacity: .7; }}
.key {{ margin-right: 16px; white-space: nowrap; }}
.key i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }}
table {{ border-collapse: collapse; margin-top: 16px; }}
td, th {{ border: 1px solid #ddd; padding: 3px 8px; text-align: left; font-size: 13px; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{commits} commit(s) changed the documents; {nb} binding(s), {bars} active interval(s). Times are UTC; a revision is in force from its merge.</p>
<p class="legend">{legend}</p>
<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" data-bars="{bars}">{axis}{svg}</svg>
<p>Bars drawn: <output id="rendered-bars">?</output></p>
<h2>Changes</h2>
<table><thead><tr><th>Commit</th><th>Time (UTC)</th><th>Author</th><th>Binding</th><th>Subject</th><th>Changes</th><th>Approved by</th></tr></thead><tbody>{steps}</tbody></table>
<script>
window.addEventListener("load", function () {{
  var drawn = 0;
  document.querySelectorAll("#timeline rect.bar").forEach(function (r) {{
    var b = r.getBoundingClientRect();
    if (b.width > 0 && b.height > 0) drawn += 1;
  }});
  document.getElementById("rendered-bars").textContent = String(drawn);
}});
</script>
</body>
</html>
"##,
        commits = h.commits,
        nb = h.bindings.len(),
        w = LABEL + WIDTH + 10.0,
        h = y + 10.0,
    )
}
