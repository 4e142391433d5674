//! `pacta submit` as a delegation uses it: signing locally, the journal, and never
//! forking its own feed, even against a node restored from an old backup.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::os::unix::fs::PermissionsExt;

use pacta_core::ids::Seq;
use pacta_tests::net::*;
use pacta_tests::private_example_keys;

#[tokio::test(flavor = "multi_thread")]
async fn a_node_that_lost_entries_gets_the_same_signed_entries_again() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let key = keys.join("FR.key");
    let key = key.to_str().unwrap();
    let port = free_port();
    let mut node = NodeProc::start("FR", port, &dir.path().join("data1"), &[], 60_000);
    let url = node.url();
    for text in ["first", "second"] {
        let (code, out, err) = pacta(&[
            "submit", "--node", &url, "--key", key, "--member", "FR", "note", "--text", text,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("FR #"), "{out}");
    }
    let journal = format!("{key}.journal");
    assert_eq!(
        std::fs::metadata(&journal).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let original = page(&url, "FR", 1, 2).await.entries;

    // The node is restored from an old, empty backup.
    node.kill9();
    let node = NodeProc::start("FR", port, &dir.path().join("data2"), &[], 60_000);
    let (code, out, err) = pacta(&[
        "submit", "--node", &url, "--key", key, "--member", "FR", "note", "--text", "third",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("the node lacks FR #1..#2, which this key already signed; sending the same signed entries again"), "{err}");
    assert_eq!(
        out.trim_end().split(' ').take(2).collect::<Vec<_>>(),
        ["FR", "#3"]
    );
    let now = page(&node.url(), "FR", 1, 3).await.entries;
    assert_eq!(
        now[..2],
        original[..],
        "the re-sent entries must be the very same bytes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_that_disagrees_with_the_node_stops_signing_until_forced() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let key = keys.join("GB.key");
    let key = key.to_str().unwrap();
    let node = NodeProc::start("GB", free_port(), &dir.path().join("data"), &[], 60_000);
    let url = node.url();
    // Another copy of GB's key (elsewhere, no shared journal) signs GB #1 first.
    let mut elsewhere = Author::new("GB");
    assert_eq!(
        post(&url, &[&elsewhere.next("signed on another machine")])
            .await
            .0,
        200
    );
    // This machine's journal claims a different GB #1.
    let journal_entry = Author::new("GB").next("this machine's #1");
    std::fs::write(
        format!("{key}.journal"),
        format!("{}\n", hex::encode(journal_entry.as_bytes())),
    )
    .unwrap();

    let (code, out, err) = pacta(&[
        "submit", "--node", &url, "--key", key, "--member", "GB", "note", "--text", "next",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("GB #1: the node holds"), "{err}");
    assert!(err.contains("could fork GB's feed"), "{err}");
    assert_eq!(
        heads(&url).await.heads[&code_of("GB")].seq,
        Seq(1),
        "nothing was signed"
    );

    let (code, out, err) = pacta(&[
        "submit", "--node", &url, "--key", key, "--member", "GB", "--force", "note", "--text",
        "next",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("warning"), "{err}");
    assert_eq!(heads(&url).await.heads[&code_of("GB")].seq, Seq(2));
}

fn code_of(s: &str) -> pacta_core::MemberCode {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_submissions_are_refused_before_anything_is_signed() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let key = keys.join("DE.key");
    let key = key.to_str().unwrap();
    let node = NodeProc::start("DE", free_port(), &dir.path().join("data"), &[], 60_000);
    let url = node.url();
    let body = dir.path().join("body.json");
    for (content, words) in [
        ("{not json", "is not {\"kind\""),
        (
            "{\"kind\":\"note\",\"payload\":{\"text\":\"\"}}",
            "field `text`: is empty",
        ),
        ("{\"kind\":\"vote\",\"payload\":{}}", "unknown kind"),
        (
            "{\"kind\":\"note\",\"payload\":{\"text\":\"x\",\"extra\":1}}",
            "unknown field",
        ),
        (
            "{\"kind\":\"note\",\"payload\":{\"text\":\"x\"},\"x\":1}",
            "unknown field",
        ),
    ] {
        std::fs::write(&body, content).unwrap();
        let (code, out, err) = pacta(&[
            "submit",
            "--node",
            &url,
            "--key",
            key,
            "--member",
            "DE",
            "--body",
            body.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{content}: {out}{err}");
        assert!(err.contains(words), "{content}: {err}");
    }
    assert!(
        !std::path::Path::new(&format!("{key}.journal")).exists(),
        "nothing may be signed"
    );

    // A well-formed body works, in any member order and spacing.
    std::fs::write(
        &body,
        "{ \"payload\": { \"text\": \"Bundestag\" }, \"kind\": \"note\" }",
    )
    .unwrap();
    let (code, out, err) = pacta(&[
        "submit",
        "--node",
        &url,
        "--key",
        key,
        "--member",
        "DE",
        "--body",
        body.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");

    // The wrong member for the key: the node refuses with exit 1, naming the key.
    let (code, _, err) = pacta(&[
        "submit", "--node", &url, "--key", key, "--member", "FR", "note", "--text", "x",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("signature does not verify under FR's key"),
        "{err}"
    );

    // No node there: exit 2.
    let (code, _, err) = pacta(&[
        "submit",
        "--node",
        "http://127.0.0.1:9",
        "--key",
        key,
        "--member",
        "DE",
        "note",
        "--text",
        "x",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot reach"), "{err}");
}

/// Issue 18, finding 11: the journal was found by the key's path, so a key reached
/// through a symlink got a journal of its own, and its own lock. Two concurrent submits,
/// one through the key file and one through a symlink to it, forked ES within three
/// tries. One key must have one journal, whatever path reaches it, and submits with it
/// must take turns on that journal.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_through_a_symlink_shares_its_journal() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let key = keys.join("ES.key");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let link = elsewhere.join("es-link.key");
    std::os::unix::fs::symlink(&key, &link).unwrap();
    let journal = format!("{}.journal", key.display());
    let node = NodeProc::start("ES", free_port(), &dir.path().join("data"), &[], 60_000);
    let url = node.url();
    let submit = |path: &std::path::Path, text: &str| {
        Command::new(pacta_tests::bin("pacta"))
            .args(["submit", "--node", &url, "--key"])
            .arg(path)
            .args(["--member", "ES", "note", "--text", text])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut failures = Vec::new();

    // A submit through the key file is running: it holds the key's journal locked.
    // A submit through the symlink must wait for it, not sign beside it.
    let held = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&journal)
        .unwrap();
    held.lock().unwrap();
    let mut waiting = submit(&link, "through the symlink, while the key is in use");
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && waiting.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some(status) = waiting.try_wait().unwrap() {
        failures.push(format!(
            "a submit through the symlink did not wait for the key's journal: it exited {status} while the journal was locked"
        ));
    }
    held.unlock().unwrap();
    let out = waiting.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    if !err.contains("waiting for another pacta submit that uses this key") {
        failures.push(format!(
            "the waiting submit did not say why it waited: {err}"
        ));
    }

    // Two submits at once, one through each path, five times: each round must store
    // two entries and fork nothing.
    for round in 0..5 {
        let a = submit(&key, &format!("round {round} through the key file"));
        let b = submit(&link, &format!("round {round} through the symlink"));
        for (path, child) in [("the key file", a), ("the symlink", b)] {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() {
                failures.push(format!(
                    "round {round}, through {path}: exit {}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
    }
    let proofs = forks(&url).await.forks;
    if !proofs.is_empty() {
        failures.push(format!(
            "the node holds {} fork proof(s) against ES, at {:?}",
            proofs.len(),
            proofs.iter().map(|f| f.seq).collect::<Vec<_>>()
        ));
    }
    let stray = format!("{}.journal", link.display());
    if std::path::Path::new(&stray).exists() {
        failures.push(format!("the symlink got a journal of its own: {stray}"));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(heads(&url).await.heads[&code_of("ES")].seq, Seq(11));
    let lines = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count();
    assert_eq!(lines, 11, "every entry signed is in the key's one journal");

    // A second name for the key file (a hard link) cannot be told apart by its path:
    // it is refused before anything is signed, with a sentence saying why.
    let hard = elsewhere.join("es-hard.key");
    std::fs::hard_link(&key, &hard).unwrap();
    let (code, out, err) = pacta(&[
        "submit",
        "--node",
        &url,
        "--key",
        hard.to_str().unwrap(),
        "--member",
        "ES",
        "note",
        "--text",
        "through a hard link",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("hard link"), "{err}");
    assert_eq!(heads(&url).await.heads[&code_of("ES")].seq, Seq(11));
}
