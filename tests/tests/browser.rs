//! A real browser on the demo network's status page.
//!
//! NEEDS CHROMIUM: `apt-get install chromium` (Debian's package; `.ci/run` installs
//! it). It is ignored by a plain `cargo test` for that reason; run it by hand with
//!
//!     cargo test -p pacta-tests --test browser -- --ignored --nocapture
//!
//! It starts `pacta demo --port 0` (free ports, so a demo the user runs is left
//! alone), loads `/` and `/members/US` in headless Chromium and checks in the DOM the
//! browser built that the tables, counts and chart are rendered. Then `check.mjs`
//! (`tests/browser/`, npm `puppeteer-core` and `axe-core`, installed by `npm ci` if
//! missing) loads `/`, `/members/US` and `/instruments/binding-commitments` at 1400
//! and 390 px: it saves full-page screenshots to `target/browser/`, measures that
//! every table's last column is on screen, that the chart's legend and labels are
//! legible, and runs axe-core; no serious or critical violation may remain.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use pacta_tests::{bin, workspace};

/// The Chromium binary, or a failure that says how to get one.
fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(name).output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!("this test needs Chromium: apt-get install chromium (Debian), then run it again");
}

/// The demo's process, and France's node's URL.
struct Demo(Child, String);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_demo() -> Demo {
    let mut child = Command::new(bin("pacta"))
        .args(["demo", "--port", "0"])
        .current_dir(workspace())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut demo = Demo(child, String::new());
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("the demo ended before serving")
            .unwrap();
        if line.starts_with("  FR ") && demo.1.is_empty() {
            let url = line.split_whitespace().last().unwrap_or_default();
            demo.1 = url.trim_end_matches('/').to_owned();
        }
        if line.contains("Serving until Ctrl-C") {
            break;
        }
    }
    assert!(
        demo.1.starts_with("http://127.0.0.1:"),
        "no URL for FR's node"
    );
    // Keep draining the demo's output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    demo
}

fn headless(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", home.path().display()))
        .args(args)
        .output()
        .unwrap()
}

fn dom(url: &str) -> String {
    let out = headless(&["--dump-dom", url]);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The npm tools the layout and accessibility checks need (puppeteer-core, to drive
/// the system's Chromium, and axe-core), installed into `tests/browser/node_modules`
/// from the lock file if they are not there yet. `Err` says why they cannot be: only
/// then is the check skipped, with that sentence. `.ci/run` installs them first.
fn npm_tools() -> Result<PathBuf, String> {
    let dir = workspace().join("tests/browser");
    let ready = |d: &PathBuf| {
        d.join("node_modules/puppeteer-core/package.json").exists()
            && d.join("node_modules/axe-core/axe.min.js").exists()
    };
    if ready(&dir) {
        return Ok(dir);
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PUPPETEER_SKIP_DOWNLOAD", "1")
        .current_dir(&dir)
        .status()
        .map_err(|e| format!("npm is not installed ({e}); install Node.js and npm"))?;
    if !status.success() || !ready(&dir) {
        return Err(format!(
            "`npm ci` in {} failed ({status}): no network or registry?",
            dir.display()
        ));
    }
    Ok(dir)
}

/// Runs `check.mjs` on `pages` (name, URL) at 1400 and 390 px: screenshots, layout
/// measurements and axe-core results, as JSON.
fn check_pages(tools: &std::path::Path, pages: &[(&str, &str)]) -> serde_json::Value {
    let out_dir = workspace().join("target/browser");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = Command::new("node")
        .arg(tools.join("check.mjs"))
        .arg(chromium())
        .arg(&out_dir)
        .args(pages.iter().map(|(n, u)| format!("{n}={u}")))
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "check.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The PNG at `path` is a real, non-blank screenshot `width` pixels wide.
fn assert_screenshot(path: &str, width: u64) {
    let png = std::fs::read(path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{path} is a PNG");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(u64::from(w), width, "{path}");
    assert!(h >= 600, "{path}: {w}x{h}");
    assert!(
        png.len() > 20_000,
        "{path}: a blank page compresses to almost nothing: {} bytes",
        png.len()
    );
    println!("screenshot: {path} ({w}x{h}, {} bytes)", png.len());
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium) and npm; .ci/run runs it"]
fn the_demo_pages_read_on_desktop_and_phone_and_pass_axe() {
    let chromium = chromium();
    println!("using {}", chromium.display());
    let demo = start_demo();
    let base = demo.1.clone();

    let html = dom(&format!("{base}/"));
    for needle in [
        "<table class=\"status\">",
        "<svg class=\"chart\"",
        "<path class=\"series bound\"",
        "<ul class=\"legend\">",
        "35 of 37 participants signed (political: binds no one in law)",
        "The table has 38 rows: the 37 listed participants, and US, which is not listed but recorded acts under it.",
        "took part (a commitment,",
        "5 of 36 bound, 5 in force",
        "At a glance",
        "Illustrative.",
        "Latest cosigned checkpoint",
        "data-member=\"US\" data-stage=\"ApprovedDomestically\"",
        "href=\"/instruments/binding-commitments\"",
        "Declaration: ILLUSTRATIVE: the Kingdom of the Netherlands accepts",
    ] {
        assert!(html.contains(needle), "the browser's DOM lacks {needle:?}");
    }
    // The binding instrument comes before the political declarations.
    let binding = html.find("data-nature=\"legal\"").unwrap();
    let political = html.find("data-nature=\"political\"").unwrap();
    assert!(binding < political, "binding instruments first");
    let rows = html.matches("<tr data-member=").count();
    // One row per participant of each instrument: 38 under the Declaration (its 37
    // listed participants and the United States, which made a commitment under it),
    // 3 under the trilateral declaration, 36 under the illustrative agreement (the
    // states among them and the United States).
    assert_eq!(rows, 38 + 3 + 36, "rows of the status tables");

    let us = dom(&format!("{base}/members/US"));
    let at = |s: &str| {
        us.find(&format!("data-step=\"{s}\""))
            .unwrap_or_else(|| panic!("no {s}"))
    };
    assert!(
        at("transmittal") < at("referral")
            && at("referral") < at("committee-report")
            && at("committee-report") < at("senate-vote")
    );
    assert!(us.contains("71–27–0"));

    let tools = match npm_tools() {
        Ok(t) => t,
        Err(why) => {
            println!("SKIPPED the layout and axe-core checks: {why}");
            return;
        }
    };
    let report = check_pages(
        &tools,
        &[
            ("status", &format!("{base}/")),
            ("us", &format!("{base}/members/US")),
            (
                "instrument",
                &format!("{base}/instruments/binding-commitments"),
            ),
        ],
    );
    let mut failures = Vec::new();
    for r in report["results"].as_array().unwrap() {
        let (name, width) = (r["name"].as_str().unwrap(), r["width"].as_u64().unwrap());
        // The same page at the second width may come from the browser's cache.
        assert!(r["status"] == 200 || r["status"] == 304, "{name}: {r}");
        assert_screenshot(r["screenshot"].as_str().unwrap(), width);
        let l = &r["layout"];
        println!("{name} at {width}px: {l}");
        // Nothing makes the page itself scroll sideways.
        if l["page_scroll_width"].as_u64() > l["viewport"].as_u64() {
            failures.push(format!("{name}@{width}: the page scrolls sideways: {l}"));
        }
        // Every table's last column is on screen, in every row: at 1400 px the table
        // fits its box; at 390 px each row is a card with the column inside it.
        for t in l["tables"].as_array().unwrap() {
            if t["last_cells_outside_viewport"] != 0 || t["wrap_scrolls"] == true {
                failures.push(format!(
                    "{name}@{width}: table's last column out of view: {t}"
                ));
            }
        }
        if let Some(px) = l["legend_font_px"].as_f64()
            && px < 12.0
        {
            failures.push(format!("{name}@{width}: chart legend at {px}px"));
        }
        if let Some(px) = l["chart_label_px"].as_f64()
            && px < 8.0
        {
            failures.push(format!("{name}@{width}: chart labels {px}px tall"));
        }
        for v in r["axe"].as_array().unwrap() {
            println!("axe {name}@{width}: {v}");
            if matches!(v["impact"].as_str(), Some("serious" | "critical")) {
                failures.push(format!("{name}@{width}: axe {v}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
