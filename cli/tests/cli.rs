//! The `pacta` binary, run as a user runs it: exit codes, output, key-file permissions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROSTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys-example/roster.toml");
const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys-example");

fn pacta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacta"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The example keys, copied with mode 0600 (a git checkout leaves them 0644).
fn private_keys(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    fs::create_dir(&keys).unwrap();
    for entry in fs::read_dir(KEYS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "key") {
            let to = keys.join(path.file_name().unwrap());
            fs::copy(&path, &to).unwrap();
            fs::set_permissions(&to, fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    keys
}

/// `pacta dev synth` with the demo roster, `keys` and `entries`, into `out`.
fn synth_into(keys: &Path, entries: &str, out: &Path) -> Output {
    pacta(&[
        "dev",
        "synth",
        "--roster",
        ROSTER,
        "--keys",
        keys.to_str().unwrap(),
        "--entries",
        entries,
        "--out",
        out.to_str().unwrap(),
    ])
}

fn synth(dir: &Path, n: u64) -> PathBuf {
    let keys = private_keys(dir);
    let out = dir.join("ledger.bundle");
    let o = synth_into(&keys, &n.to_string(), &out);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn keygen_writes_a_private_key_and_prints_its_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("me.key");
    let o = pacta(&["keygen", "--out", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = stdout(&o).trim().to_owned();
    assert_eq!(public.len(), 64);
    assert!(
        public
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("# public key: {public}")));
    assert_eq!(
        pacta_core::SecretKey::from_file_text(&text)
            .unwrap()
            .public()
            .to_string(),
        public
    );

    // Never overwrites.
    let again = pacta(&["keygen", "--out", path.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), text);

    // Two keys differ.
    let other = dir.path().join("other.key");
    let o2 = pacta(&["keygen", "--out", other.to_str().unwrap()]);
    assert_ne!(stdout(&o2).trim(), public);
}

#[test]
fn keygen_into_a_missing_folder_is_an_io_error() {
    let o = pacta(&["keygen", "--out", "/nonexistent-folder/x.key"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot create /nonexistent-folder/x.key"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_key_file_others_can_read_is_refused_like_ssh_does() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_keys(dir.path());
    let fr = keys.join("FR.key");
    fs::set_permissions(&fr, fs::Permissions::from_mode(0o644)).unwrap();
    let out = dir.path().join("x.bundle");
    let o = synth_into(&keys, "5", &out);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("FR.key: permissions 0644 are too open"),
        "{err}"
    );
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!out.exists());
    for mode in [0o640, 0o604, 0o660] {
        fs::set_permissions(&fr, fs::Permissions::from_mode(mode)).unwrap();
        let o = synth_into(&keys, "5", &out);
        assert_eq!(o.status.code(), Some(2), "mode {mode:o}");
    }
    fs::set_permissions(&fr, fs::Permissions::from_mode(0o400)).unwrap();
    let o = synth_into(&keys, "5", &out);
    assert!(
        o.status.success(),
        "read-only for the owner is fine: {}",
        stderr(&o)
    );
}

#[test]
fn a_garbage_key_file_is_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_keys(dir.path());
    fs::write(keys.join("GB.key"), "secret-key: not-hex\n").unwrap();
    let out = dir.path().join("x.bundle");
    let o = synth_into(&keys, "5", &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("GB.key is not a Pacta secret key file: line 1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn synth_with_a_missing_key_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_keys(dir.path());
    fs::remove_file(keys.join("NZ.key")).unwrap();
    let out = dir.path().join("x.bundle");
    let o = synth_into(&keys, "5", &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NZ.key"), "{}", stderr(&o));
}

#[test]
fn verify_a_valid_bundle_exits_0_with_a_readable_report() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = synth(dir.path(), 200);
    let o = pacta(&[
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--roster",
        ROSTER,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("38 members, 38 with entries, 200 entries verified"),
        "{text}"
    );
    assert!(text.contains("VALID"), "{text}");
    assert!(text.contains("NATO"), "{text}");
}

#[test]
fn verify_json_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = synth(dir.path(), 76);
    let o = pacta(&[
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--roster",
        ROSTER,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["verified_entries"], 76);
    assert_eq!(v["network_name"], "pacta-demo-paris-2026");
    let feeds = v["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 38);
    let fr = feeds.iter().find(|f| f["member"] == "FR").unwrap();
    assert_eq!(fr["head"]["seq"], 2);
    assert_eq!(fr["head"]["id"].as_str().unwrap().len(), 64);
    assert_eq!(v["errors"], serde_json::json!([]));
    // A valid ledger's report carries the status too (no instrument in a synthetic one).
    assert_eq!(v["status"]["instruments"], serde_json::json!([]));
}

#[test]
fn verify_a_tampered_bundle_exits_1_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = synth(dir.path(), 38 * 3);
    let mut bytes = fs::read(&bundle).unwrap();
    // The bundle ends with the fork count and the checkpoint length (both 0): flip a
    // byte of the last feed's last entry's payload, just before those eight bytes.
    let at = bytes.len() - 9;
    bytes[at] ^= 0x20;
    fs::write(&bundle, &bytes).unwrap();
    let o = pacta(&[
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--roster",
        ROSTER,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let text = stdout(&o);
    // The last feed in code order is US's; its #3 is the last entry.
    assert!(text.contains("INVALID: 1 problem:"), "{text}");
    assert!(
        text.contains("US #3: cannot be decoded: payload does not match its hash"),
        "{text}"
    );

    let o = pacta(&[
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--roster",
        ROSTER,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["place"], "US #3");
    assert_eq!(v["errors"][0]["reason"], "decode");
    let us = v["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["member"] == "US")
        .unwrap();
    assert_eq!(
        (us["entries"].as_u64(), us["verified"].as_u64()),
        (Some(3), Some(2))
    );
}

#[test]
fn verify_garbage_and_the_wrong_roster() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bundle");
    fs::write(&junk, b"this is not a bundle").unwrap();
    let o = pacta(&[
        "verify",
        "--bundle",
        junk.to_str().unwrap(),
        "--roster",
        ROSTER,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not a Pacta bundle"), "{}", stdout(&o));

    // A bundle of another network: same members, other network name.
    let bundle = synth(dir.path(), 10);
    let other = dir.path().join("other.toml");
    fs::write(
        &other,
        fs::read_to_string(ROSTER)
            .unwrap()
            .replace("pacta-demo-paris-2026", "another-network"),
    )
    .unwrap();
    let o = pacta(&[
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--roster",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("the bundle is for network"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = pacta(&[
        "verify",
        "--bundle",
        "/nonexistent.bundle",
        "--roster",
        ROSTER,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read bundle /nonexistent.bundle"),
        "{}",
        stderr(&o)
    );

    let o = pacta(&["verify", "--bundle", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--roster"), "{}", stderr(&o));

    let o = pacta(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "network = \"x\"\n[[member]]\ncode = \"FR\"\n").unwrap();
    let o = pacta(&["verify", "--bundle", "x", "--roster", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a valid roster"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));

    let o = pacta(&[
        "dev",
        "synth",
        "--roster",
        ROSTER,
        "--keys",
        "/tmp",
        "--entries",
        "many",
        "--out",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// `pacta verify … | head`: a reader that closes the pipe early. Before issue 19 the
/// first write panicked (exit 101, a panic message on stderr); now the command ends
/// quietly with the verdict's exit code.
#[test]
fn verify_into_a_closed_stdout_exits_quietly_with_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = synth(dir.path(), 50);
    for (json, status) in [(false, "verify"), (true, "verify"), (false, "status")] {
        let mut args = vec![
            status,
            "--bundle",
            bundle.to_str().unwrap(),
            "--roster",
            ROSTER,
        ];
        if json {
            args.push("--json");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_pacta"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the command writes anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}
