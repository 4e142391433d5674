//! The binaries together, as a new network's members would use them: each delegation
//! makes its key, the roster lists the public keys, a ledger is made and audited.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::fs;
use std::process::Command;

use pacta_tests::bin;

#[test]
fn fresh_keys_a_fresh_roster_a_ledger_and_an_audit() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    fs::create_dir(&keys).unwrap();
    let mut roster = String::from("network = \"e2e\"\n");
    for (i, code) in ["FR", "UA", "NATO"].iter().enumerate() {
        let out = Command::new(bin("pacta"))
            .args(["keygen", "--out"])
            .arg(keys.join(format!("{code}.key")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let public = String::from_utf8(out.stdout).unwrap();
        roster.push_str(&format!(
            "[[member]]\ncode = \"{code}\"\nname = \"{code}\"\nkey = \"{}\"\nnode = \"http://127.0.0.1:{}\"\nprofile = \"generic\"\n",
            public.trim(),
            8001 + i
        ));
    }
    let roster_path = dir.path().join("roster.toml");
    fs::write(&roster_path, roster).unwrap();
    let bundle = dir.path().join("ledger.bundle");
    let synth = Command::new(bin("pacta"))
        .args(["dev", "synth", "--entries", "31", "--roster"])
        .arg(&roster_path)
        .arg("--keys")
        .arg(&keys)
        .arg("--out")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        synth.status.success(),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );

    let verify = Command::new(bin("pacta"))
        .args(["verify", "--json", "--bundle"])
        .arg(&bundle)
        .arg("--roster")
        .arg(&roster_path)
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(report["verified_entries"], 31);
    let heads: Vec<(String, u64)> = report["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["member"].as_str().unwrap().to_owned(),
                f["head"]["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    // 31 over three members, in byte order of code: FR 11, NATO 10, UA 10.
    assert_eq!(
        heads,
        [("FR".into(), 11), ("NATO".into(), 10), ("UA".into(), 10)]
    );
}
