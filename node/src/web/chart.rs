//! The timeline chart: signatures, consents established and entries into force over
//! time, as cumulative step lines, drawn on the server as SVG (no script, no library
//! in the browser, readable when printed).

#![allow(
    clippy::write_with_newline,
    reason = "markup is written line by line; a trailing newline per write keeps it readable"
)]

use std::fmt::Write as _;

use pacta_core::date::Date;
use pacta_core::status::InstrumentStatus;

use super::html::{day, esc};

// A narrow drawing with large type: the SVG scales to the page's width, so on a
// 390 px phone (about 360 px of chart) its 15-unit labels still render at about
// 10 px. The legend is HTML below it, at the page's own size.
const W: f64 = 520.0;
const H: f64 = 240.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 36.0;
const FONT: f64 = 15.0;

struct Series {
    label: &'static str,
    class: &'static str,
    colour: &'static str,
    dates: Vec<Date>,
}

/// Days since the epoch, for positions on the time axis.
fn days(d: Date) -> i64 {
    d.days_since_epoch()
}

/// The chart for one instrument as of `as_of`.
pub fn timeline(inst: &InstrumentStatus, as_of: Date) -> String {
    let mut series = vec![
        Series {
            label: "signatures",
            class: "sig",
            colour: "#607d8b",
            dates: inst
                .members
                .iter()
                .filter_map(|m| m.signature.as_ref().map(|s| s.date))
                .collect(),
        },
        Series {
            label: "consents established",
            class: "bound",
            colour: "#0b4f8a",
            dates: inst
                .members
                .iter()
                .filter_map(|m| m.established.as_ref().map(|e| e.date))
                .collect(),
        },
        Series {
            label: "in force for",
            class: "force",
            colour: "#2e7d32",
            dates: inst
                .members
                .iter()
                .filter_map(|m| m.in_force_on)
                .filter(|d| *d <= as_of)
                .collect(),
        },
    ];
    for s in &mut series {
        s.dates.sort();
    }
    let start = inst.adopted;
    let end = series
        .iter()
        .flat_map(|s| s.dates.iter().copied())
        .chain([as_of])
        .max()
        .unwrap_or(as_of);
    let (x0, x1) = (days(start), days(end).max(days(start) + 1));
    let max = series
        .iter()
        .map(|s| s.dates.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let ymax = max.max(inst.parties.len().min(max * 2)).max(1);
    let x = |d: Date| {
        LEFT + (days(d).clamp(x0, x1) - x0) as f64 / (x1 - x0) as f64 * (W - LEFT - RIGHT)
    };
    let y = |n: usize| H - BOTTOM - n as f64 / ymax as f64 * (H - TOP - BOTTOM);

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<figure class="chart"><svg class="chart" role="img" aria-labelledby="chart-{id}-t" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg">
<title id="chart-{id}-t">{title}: signatures, consents established and entries into force from {from} to {to}</title>
"#,
        id = inst.id,
        title = esc(&inst.short),
        from = day(start),
        to = day(end),
    );
    // Axes and grid: a line per step of the count, labelled.
    let step = (ymax / 5).max(1);
    let mut n = 0;
    while n <= ymax {
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e7eb"/><text x="{}" y="{:.1}" font-size="{FONT}" text-anchor="end" fill="#515a64">{n}</text>
"##,
            W - RIGHT,
            LEFT - 6.0,
            y(n) + 5.0,
            y = y(n),
        );
        n += step;
    }
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" x2="{}" y1="{b}" y2="{b}" stroke="#5b6570"/>
<text x="{LEFT}" y="{}" font-size="{FONT}" fill="#515a64">{}</text><text x="{}" y="{}" font-size="{FONT}" text-anchor="end" fill="#515a64">{}</text>
"##,
        W - RIGHT,
        H - BOTTOM + 20.0,
        day(start),
        W - RIGHT,
        H - BOTTOM + 20.0,
        day(end),
        b = H - BOTTOM,
    );
    // One step line per series, with a dot per event.
    let mut legend = String::new();
    for s in &series {
        let mut path = format!("M{:.1},{:.1}", x(start), y(0));
        for (i, d) in s.dates.iter().enumerate() {
            let _ = write!(path, " H{:.1} V{:.1}", x(*d), y(i + 1));
        }
        let _ = write!(path, " H{:.1}", x(end));
        let _ = write!(
            out,
            r#"<path class="series {class}" d="{path}" fill="none" stroke="{colour}" stroke-width="2.2"><title>{label}: {n}</title></path>
"#,
            class = s.class,
            colour = s.colour,
            label = s.label,
            n = s.dates.len(),
        );
        for (i, d) in s.dates.iter().enumerate() {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2.6" fill="{}"><title>{} {}: {}</title></circle>
"#,
                x(*d),
                y(i + 1),
                s.colour,
                day(*d),
                s.label,
                i + 1
            );
        }
        let _ = write!(
            legend,
            "<li style=\"--c:{}\">{} ({})</li>",
            s.colour,
            s.label,
            s.dates.len()
        );
    }
    let _ = write!(
        out,
        "</svg><figcaption><ul class=\"legend\">{legend}</ul></figcaption></figure>\n"
    );
    out
}
