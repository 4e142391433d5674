//! A real browser on the demo network's status page.
//!
//! NEEDS CHROMIUM: `apt-get install chromium` (Debian's package; `.ci/run` installs
//! it). It is ignored by a plain `cargo test` for that reason; run it by hand with
//!
//!     cargo test -p pacta-tests --test browser -- --ignored --nocapture
//!
//! It starts `pacta demo` (127.0.0.1:7001 and up, so nothing else may use those
//! ports), loads `/` and `/members/US` in headless Chromium, checks in the DOM the
//! browser built that the status table and the SVG chart are rendered, and saves
//! screenshots to `target/browser/`.

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

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_demo() -> Demo {
    let mut child = Command::new(bin("pacta"))
        .arg("demo")
        .current_dir(workspace())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let demo = Demo(child);
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("the demo ended before serving")
            .unwrap();
        if line.contains("Serving until Ctrl-C") {
            break;
        }
    }
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

fn screenshot(url: &str, name: &str, size: &str) -> PathBuf {
    let dir = workspace().join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    let out = headless(&[
        &format!("--screenshot={}", path.display()),
        &format!("--window-size={size}"),
        url,
    ]);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width >= 300 && height >= 300, "{width}x{height}");
    assert!(
        png.len() > 20_000,
        "a blank page compresses to almost nothing: {} bytes",
        png.len()
    );
    println!(
        "screenshot: {} ({width}x{height}, {} bytes)",
        path.display(),
        png.len()
    );
    path
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium) and the demo's ports 7001-7005; .ci/run runs it"]
fn the_demo_status_page_renders_its_table_and_chart_in_a_real_browser() {
    let chromium = chromium();
    println!("using {}", chromium.display());
    let _demo = start_demo();

    let html = dom("http://127.0.0.1:7001/");
    for needle in [
        "<table class=\"status\">",
        "<svg class=\"chart\"",
        "<path class=\"series bound\"",
        "35 of 37 participants signed (political: binds no one in law)",
        "5 of 36 bound, 5 in force",
        "At a glance",
        "Illustrative.",
        "Latest cosigned checkpoint",
        "data-member=\"US\" data-stage=\"ApprovedDomestically\"",
    ] {
        assert!(html.contains(needle), "the browser's DOM lacks {needle:?}");
    }
    let rows = html.matches("<tr data-member=").count();
    // One row per participant of each instrument: 37 under the Declaration, 3 under
    // the trilateral declaration, 37 under the illustrative agreement.
    assert_eq!(rows, 37 + 3 + 37, "rows of the status tables");
    screenshot("http://127.0.0.1:7001/", "status.png", "1280,2400");
    screenshot("http://127.0.0.1:7001/", "status-phone.png", "412,1600");

    let us = dom("http://127.0.0.1:7005/members/US");
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
    screenshot("http://127.0.0.1:7005/members/US", "us.png", "1280,1800");
}
