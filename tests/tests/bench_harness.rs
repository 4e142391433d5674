//! The benchmark harness (`bench/run`) itself, at 1 % of the brief's sizes: it runs end
//! to end against real nodes and writes every row of the table and the chart. Its
//! figures are not asserted: performance is for benchmarks, not timed tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test: failing loudly is the point"
)]

use std::process::Command;

#[test]
fn the_harness_writes_every_row_and_the_chart() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_pacta-bench"))
        .args(["--scale", "0.01", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "pacta-bench failed: {stderr}");
    let table = std::fs::read_to_string(out.path().join("BENCHMARKS.md")).unwrap();
    for row in [
        "**Bound**: Ed25519 batch verification",
        "Reference: Ed25519 `verify_strict`",
        "`pacta verify` of a 10,000-entry bundle over 40 members",
        "Peak memory (VmHWM) of `pacta verify`, by ledger size",
        "Catch-up of a fresh node from one peer",
        "Durable ingest over HTTP, batches of 1,000",
        "`GET /v1/status`, 64 keep-alive connections",
        "Node memory (RSS) holding 10,000 entries",
        "Disk use holding 10,000 entries",
        "Restart to serving",
        "Durable ingest, single entries from 64 concurrent clients",
        "Propagation to every node of a 7-node loopback mesh",
    ] {
        assert!(table.contains(row), "no row {row:?} in:\n{table}");
    }
    assert!(table.contains("Scaled run (`--scale 0.01`)"), "{table}");
    assert!(table.contains("## Reproduce"));
    let svg = std::fs::read_to_string(out.path().join("docs/verify-throughput.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    // One point per ledger size: 40, 80, 1,000 and 10,000 entries at this scale.
    assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
    for size in [
        "10,000 entries:",
        "1,000 entries:",
        "80 entries:",
        "40 entries:",
    ] {
        assert!(svg.contains(size), "no point for {size} in {svg}");
    }
}
