//! The harness's outputs: the BENCHMARKS.md table and the SVG chart of verification
//! throughput against ledger size.

// The chart is written line by line; a trailing newline per element reads best.
#![allow(clippy::write_with_newline)]

use std::fmt::Write as _;

/// Whether a figure meets the brief's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    NotMet,
    /// A reference figure (a bound), with no target of its own.
    Reference,
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub measure: String,
    pub figure: String,
    pub bound: String,
    pub ratio: String,
    pub target: String,
    pub verdict: Verdict,
}

impl Row {
    pub fn reference(measure: &str, figure: String) -> Row {
        Row {
            measure: measure.to_owned(),
            figure,
            bound: "—".into(),
            ratio: "—".into(),
            target: "—".into(),
            verdict: Verdict::Reference,
        }
    }
}

/// What the table says about the machine and the run.
#[derive(Debug, Clone)]
pub struct Machine {
    pub date: String,
    pub cores: usize,
    pub cpu: String,
    pub scale: f64,
    pub took: String,
}

/// `1234567.8` → `1,234,568`.
pub fn thousands(x: f64) -> String {
    let n = x.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn percent(x: f64) -> String {
    format!("{:.0} %", 100.0 * x)
}

pub fn markdown(machine: &Machine, rows: &[Row], notes: &[String], chart: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `bench/run` on {} — do not edit by hand; run it again. {} cores ({}); \
         the whole run took {}.{}\n",
        machine.date,
        machine.cores,
        machine.cpu,
        machine.took,
        if (machine.scale - 1.0).abs() > f64::EPSILON {
            format!(
                " **Scaled run (`--scale {}`): sizes are not the brief's; do not compare with the targets.**",
                machine.scale
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "Every figure below was measured in this one run, on this machine, against real \
         release-built `pacta` and `pacta-node` processes on 127.0.0.1 (real HTTP, the \
         real sled store, fsync on every acknowledgement). Bounds were measured in the same \
         run. The load generators share the machine's cores with the nodes they measure. \
         All load comes from one address, so the nodes run with their per-address rate \
         limits off (`--write-rate 0 --read-rate 0`).\n"
    );
    let _ = writeln!(
        out,
        "| Measure | Figure | Bound | Ratio | Target (brief §7) | |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for r in rows {
        let mark = match r.verdict {
            Verdict::Met => "met",
            Verdict::NotMet => "**not met**",
            Verdict::Reference => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.measure, r.figure, r.bound, r.ratio, r.target, mark
        );
    }
    let _ = writeln!(
        out,
        "\n![Verification throughput against ledger size]({chart})\n"
    );
    if !notes.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        for n in notes {
            let _ = writeln!(out, "- {n}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "## Reproduce\n\n```sh\nbench/run                 # this table, at the brief's sizes (a few minutes)\nbench/run --scale 0.05    # a quick smoke run at 5 % of the sizes\ncargo bench -p pacta-core # criterion: each step of the core on its own\n```"
    );
    out
}

/// A line chart of verification throughput (entries/s) against ledger size (log scale),
/// with the bounds as horizontal lines.
pub fn chart(points: &[(u64, f64)], bounds: &[(&str, f64)]) -> String {
    let (w, h) = (720.0, 380.0);
    let (left, right, top, bottom) = (80.0, 180.0, 40.0, 50.0);
    let max_y = bounds
        .iter()
        .map(|b| b.1)
        .chain(points.iter().map(|p| p.1))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let (min_x, max_x) = (
        points.first().map_or(1.0, |p| (p.0 as f64).log10()),
        points.last().map_or(2.0, |p| (p.0 as f64).log10()),
    );
    let span = (max_x - min_x).max(1.0);
    let x = |n: u64| left + ((n as f64).log10() - min_x) / span * (w - left - right);
    let y = |v: f64| top + (1.0 - v / max_y) * (h - top - bottom);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    let _ = write!(
        s,
        "<title>pacta verify: entries per second against ledger size</title>\n<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
    );
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"22\" font-size=\"14\" font-weight=\"bold\">pacta verify throughput (entries/s) by ledger size</text>\n"
    );
    // Axes and grid.
    for i in 0..=5 {
        let v = max_y * f64::from(i) / 5.0;
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            w - right,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 4.0,
            thousands(v)
        );
    }
    for (n, _) in points {
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            x(*n),
            x(*n),
            h - bottom,
            x(*n),
            h - bottom + 18.0,
            thousands(*n as f64)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">entries in the ledger (log scale)</text>\n",
        (left + w - right) / 2.0,
        h - 12.0
    );
    // Bounds.
    let colours = ["#b03030", "#d08020", "#808080"];
    for (i, (label, v)) in bounds.iter().enumerate() {
        let colour = colours.get(i).copied().unwrap_or("#808080");
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{}</text>\n",
            w - right,
            y(*v),
            y(*v),
            w - right + 6.0,
            y(*v) + 4.0,
            esc(label)
        );
    }
    // The measured line.
    let path: Vec<String> = points
        .iter()
        .map(|(n, v)| format!("{:.1},{:.1}", x(*n), y(*v)))
        .collect();
    let _ = write!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2.5\"/>\n",
        path.join(" ")
    );
    for (n, v) in points {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#1f5fa8\"><title>{} entries: {} entries/s</title></circle><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1f5fa8\">{}</text>\n",
            x(*n),
            y(*v),
            thousands(*n as f64),
            thousands(*v),
            x(*n),
            y(*v) - 9.0,
            thousands(*v)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
    }

    #[test]
    fn chart_has_a_point_per_size_and_a_line_per_bound() {
        let svg = chart(
            &[(1000, 5.0e3), (1_000_000, 3.0e4)],
            &[("batch bound", 1.0e5), ("70 %", 7.0e4)],
        );
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("stroke-dasharray").count(), 2);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }
}
