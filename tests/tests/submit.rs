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

/// Issue 18, finding 4: a node answered heads with PT #2 and a false id while serving
/// the real #2. The CLI signed PT #3 on the false id (it used the advertised id as prev
/// and fetched the entry only for its time); later submits to an honest node exited 2,
/// and after `--force` the liar sent the #3 it had been given to the honest node, which
/// then held a fork proof against PT. Here the CLI meets that liar and three others
/// (a head at the wrong position, a head not signed by the key, a head that does not
/// chain to the journal): each time it must refuse with exit 2 and a sentence naming the
/// node, the feed, the position and the reason, sign nothing, and give the liar nothing.
/// The attack is then played to its end, so that a failure shows what it led to.
#[tokio::test(flavor = "multi_thread")]
async fn a_lying_node_never_gets_the_cli_to_sign_on_a_false_head() {
    use std::collections::BTreeMap;

    use pacta_core::entry::{Draft, Entry};
    use pacta_core::ids::{EntryId, Kind};
    use pacta_core::wire::Head;
    use pacta_tests::liar::HeadLiar;

    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let key = keys.join("PT.key");
    let key = key.to_str().unwrap();
    let journal = format!("{key}.journal");
    let honest = NodeProc::start("PT", free_port(), &dir.path().join("data"), &[], 60_000);
    let url = honest.url();
    for text in ["PT #1", "PT #2"] {
        let (code, out, err) = pacta(&[
            "submit", "--node", &url, "--key", key, "--member", "PT", "note", "--text", text,
        ]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let real: Vec<Entry> = page(&url, "PT", 1, 2)
        .await
        .entries
        .iter()
        .map(|b| Entry::decode(&b.0).unwrap())
        .collect();
    let third = |prev: EntryId, signer: &str| {
        Draft {
            network: roster().network_id(),
            author: code_of("PT"),
            seq: Seq(3),
            prev: Some(prev),
            time: real[1].header().time,
            kind: Kind::NOTE,
            payload: pacta_core::payload::Payload::Note(pacta_core::payload::Note::new(
                "served by the liar".to_owned(),
            ))
            .encode(),
        }
        .sign(&pacta_tests::net::key(signer))
        .unwrap()
    };
    // Signed by GB's key, chained on the real #2.
    let forged = third(real[1].id(), "GB");
    // Signed by PT's key (a stolen copy, say), chained on nothing PT signed.
    let unlinked = third(EntryId([7; 32]), "PT");
    /// What the liar does, the head it advertises, the entries it serves in place of
    /// the honest node's, and the reason the CLI must give.
    type Lie<'a> = (&'a str, Head, BTreeMap<u64, Vec<u8>>, &'a str);
    let lies: Vec<Lie> = vec![
        (
            "the real PT #2 under a false id",
            Head {
                seq: Seq(2),
                id: EntryId([0xAB; 32]),
            },
            BTreeMap::new(),
            "the node advertises id abababab",
        ),
        (
            "the real PT #2 advertised as PT #3",
            Head {
                seq: Seq(3),
                id: real[1].id(),
            },
            BTreeMap::from([(3, real[1].as_bytes().to_vec())]),
            "it serves PT #2 there",
        ),
        (
            "a PT #3 signed by another key",
            Head {
                seq: Seq(3),
                id: forged.id(),
            },
            BTreeMap::from([(3, forged.as_bytes().to_vec())]),
            "not signed by the key in",
        ),
        (
            "a PT #3 by PT's key that does not chain to the journal's PT #2",
            Head {
                seq: Seq(3),
                id: unlinked.id(),
            },
            BTreeMap::from([(3, unlinked.as_bytes().to_vec())]),
            "PT #3's prev is 07070707",
        ),
    ];

    let mut failures = Vec::new();
    let mut given = Vec::new();
    for (what, head, serve, reason) in lies {
        let liar = HeadLiar::start(url.clone(), code_of("PT"), head, serve).await;
        let before = std::fs::read_to_string(&journal).unwrap();
        let (code, out, err) = pacta(&[
            "submit",
            "--node",
            &liar.url,
            "--key",
            key,
            "--member",
            "PT",
            "note",
            "--text",
            "signed for the liar",
        ]);
        eprintln!("{what}: exit {code}: {}", err.trim());
        let named = err.contains(&liar.url)
            && err.contains(&format!("PT #{}", head.seq.0))
            && err.contains(reason);
        if code != 2 || !named {
            failures.push(format!(
                "{what}: expected exit 2 naming {}, PT #{} and {reason:?}; got exit {code}: {}{}",
                liar.url,
                head.seq.0,
                out.trim(),
                err.trim()
            ));
        }
        if std::fs::read_to_string(&journal).unwrap() != before {
            failures.push(format!("{what}: the CLI signed (its journal grew)"));
            // Put it back, so that each lie is tried on its own.
            std::fs::write(&journal, before).unwrap();
        }
        for e in liar.received() {
            failures.push(format!(
                "{what}: the liar was given PT {} with prev {}",
                e.seq(),
                e.header().prev.map_or("none".to_owned(), |p| p.to_string())
            ));
            given.push(e);
        }
    }

    // The honest node: the member goes on as before.
    let (code, out, err) = pacta(&[
        "submit", "--node", &url, "--key", key, "--member", "PT", "note", "--text", "PT #3",
    ]);
    if code != 0 {
        failures.push(format!(
            "the next submit to the honest node exited {code}: {}",
            err.trim()
        ));
        let (code, out, err) = pacta(&[
            "submit", "--node", &url, "--key", key, "--member", "PT", "--force", "note", "--text",
            "PT #3",
        ]);
        assert_eq!(code, 0, "{out}{err}");
    } else {
        assert!(out.starts_with("PT #3 stored"), "{out}");
    }
    // The liar sends on what it was given: no fork proof may come of it.
    for e in &given {
        let _ = post(&url, &[e]).await;
    }
    let proofs = forks(&url).await.forks;
    if !proofs.is_empty() {
        failures.push(format!(
            "the honest node now holds {} fork proof(s) against PT, at {:?}",
            proofs.len(),
            proofs.iter().map(|f| f.seq).collect::<Vec<_>>()
        ));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(heads(&url).await.heads[&code_of("PT")].seq, Seq(3));
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

/// The head check of finding 4 keeps a rotated key working: right after a
/// `key-rotation`, the head is signed by the previous key, which the new key's holder
/// does not have; the rotation's proof, signed by the new key for that very position,
/// is what lets the new key sign on it. The old key, once rotated out, is refused
/// before it signs, with the sentence naming the key.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_took_over_by_rotation_signs_on_the_rotation() {
    use pacta_core::SecretKey;
    use pacta_core::payload::KeyRotation;

    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let old = keys.join("NL.key");
    let old = old.to_str().unwrap();
    let node = NodeProc::start("NL", free_port(), &dir.path().join("data"), &[], 60_000);
    let url = node.url();
    let (code, out, err) = pacta(&[
        "submit", "--node", &url, "--key", old, "--member", "NL", "note", "--text", "NL #1",
    ]);
    assert_eq!(code, 0, "{out}{err}");

    let new = SecretKey::from_seed(&[42; 32]);
    let new_file = keys.join("NL-next.key");
    std::fs::write(&new_file, new.to_file_text("NL, after rotation").as_str()).unwrap();
    std::fs::set_permissions(&new_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let rotation = KeyRotation::new(roster().network_id(), code_of("NL"), Seq(2), &new);
    let body = dir.path().join("rotation.json");
    std::fs::write(
        &body,
        serde_json::json!({"kind": "key-rotation", "payload": rotation}).to_string(),
    )
    .unwrap();
    let (code, out, err) = pacta(&[
        "submit",
        "--node",
        &url,
        "--key",
        old,
        "--member",
        "NL",
        "--body",
        body.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("NL #2 stored"), "{out}");

    // The new key signs on the rotation, then on its own entry.
    for n in [3, 4] {
        let (code, out, err) = pacta(&[
            "submit",
            "--node",
            &url,
            "--key",
            new_file.to_str().unwrap(),
            "--member",
            "NL",
            "note",
            "--text",
            "under the new key",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with(&format!("NL #{n} stored")), "{out}");
    }
    // The old key no longer signs for NL, and says why before signing anything.
    let before = std::fs::read_to_string(format!("{old}.journal")).unwrap();
    let (code, out, err) = pacta(&[
        "submit", "--node", &url, "--key", old, "--member", "NL", "note", "--text", "stale",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("NL #4: it is not signed by the key in") && err.contains("NL.key"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(format!("{old}.journal")).unwrap(),
        before
    );
    assert_eq!(heads(&url).await.heads[&code_of("NL")].seq, Seq(4));
}
