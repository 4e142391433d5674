//! The README's main command: `pacta demo --exit` starts the network (here on free
//! ports, `--port 0`, so that a demo the user runs on 7001 and up is left alone),
//! submits the scenario, waits for replication, verifies, and exits 0.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_tests::net::pacta;

#[test]
fn the_demo_runs_replicates_and_verifies() {
    let (code, out, err) = pacta(&["demo", "--exit", "--port", "0"]);
    assert_eq!(code, 0, "{out}\n{err}");
    for line in [
        "Pacta demo: 5 nodes of network pacta-demo-paris-2026",
        "FR   France           http://127.0.0.1:",
        "US   United States    http://127.0.0.1:",
        "SHA-256 of the Élysée's official text: 304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(out.contains("Every node holds all 92 entries"), "{out}");
    assert!(out.contains("92 entries verified"), "{out}");
    assert!(out.contains("VALID: every signature"), "{out}");
    // Every outcome of the scenario lands in the stage its entries imply.
    assert!(
        out.contains("35 of 37 participants signed (political: binds no one in law)"),
        "{out}"
    );
    assert!(out.contains("5 of 36 bound, 5 in force"), "{out}");
    assert!(
        out.contains("entered into force on 2026-06-18, on the deposits of UA, FR, GB"),
        "{out}"
    );
    let row = |code: &str| {
        out.lines()
            .rfind(|l| l.starts_with(&format!("  {code:<5} ")) && l.contains("2026-03-02"))
            .unwrap_or_else(|| panic!("no {code} row in:\n{out}"))
            .to_owned()
    };
    assert!(
        row("UA").contains("2026-04-02   2026-06-18  party (in force)"),
        "{}",
        row("UA")
    );
    assert!(row("NL").contains("2026-06-05 A   2026-06-10   2026-07-10  party (in force); withdrawal effective 2027-10-01"), "{}", row("NL"));
    assert!(
        row("DE").contains("consent expressed, awaiting deposit receipt"),
        "{}",
        row("DE")
    );
    assert!(row("US").contains("approved domestically"), "{}", row("US"));
    assert!(
        row("JP").contains("domestic approval in progress"),
        "{}",
        row("JP")
    );
    // Poland's returned instrument did not block its second one; Türkiye signed, then
    // made clear it would not become a party.
    assert!(
        row("PL").contains("2026-07-20     2026-07-27   2026-08-26  party (in force)"),
        "{}",
        row("PL")
    );
    assert!(
        row("TR").contains("not becoming a party (Art. 18)"),
        "{}",
        row("TR")
    );
    assert!(
        out.contains("ILLUSTRATIVE: rests on events after 6 January 2026"),
        "{out}"
    );
    assert!(
        !out.contains(" ! "),
        "the scenario raises no warning:\n{out}"
    );

    let (code, _, err) = pacta(&["demo", "--exit", "--nodes", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--nodes must be 1 to 38"), "{err}");
    // Garbage ports: not a number, past 65535, and a base the nodes do not fit above.
    for (port, says) in [
        ("x", "invalid value 'x'"),
        ("70000", "70000"),
        ("65533", "do not fit"),
    ] {
        let (code, _, err) = pacta(&["demo", "--exit", "--port", port]);
        assert_eq!(code, 2, "--port {port}: {err}");
        assert!(err.contains(says), "--port {port}: {err}");
    }
}
