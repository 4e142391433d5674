//! The README's main command: `pacta demo --exit` starts the network on 127.0.0.1:7001
//! and up, submits the scenario, waits for replication, verifies, and exits 0.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_tests::net::pacta;

#[test]
fn the_demo_runs_replicates_and_verifies() {
    let (code, out, err) = pacta(&["demo", "--exit"]);
    assert_eq!(code, 0, "{out}\n{err}");
    for line in [
        "Pacta demo: 5 nodes of network pacta-demo-paris-2026",
        "FR   France           http://127.0.0.1:7001",
        "US   United States    http://127.0.0.1:7005",
        "SHA-256 of the Élysée's official text: 304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(out.contains("Every node holds all 8 entries"), "{out}");
    assert!(out.contains("8 entries verified"), "{out}");
    assert!(out.contains("VALID: every signature"), "{out}");

    let (code, _, err) = pacta(&["demo", "--exit", "--nodes", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--nodes must be 1 to 38"), "{err}");
}
