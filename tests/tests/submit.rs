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
