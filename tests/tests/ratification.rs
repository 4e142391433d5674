//! Ratification end to end, through the real binaries: a delegation submits legal
//! entries with `pacta submit --body`, a real node checks their payloads, and an auditor
//! runs `pacta status`, `pacta prove` and `pacta verify --proof` offline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;

use pacta_core::entry::Draft;
use pacta_core::ids::{Kind, Seq, Timestamp};
use pacta_tests::net::*;
use pacta_tests::private_example_keys;
use serde_json::{Value, json};

/// Submits `{"kind", "payload"}` as `member`; returns the new entry's id.
fn submit(url: &str, keys: &Path, dir: &Path, member: &str, kind: &str, payload: Value) -> String {
    let body = dir.join(format!("body-{member}-{kind}.json"));
    std::fs::write(&body, json!({"kind": kind, "payload": payload}).to_string()).unwrap();
    let key = keys.join(format!("{member}.key"));
    let (code, out, err) = pacta(&[
        "submit",
        "--node",
        url,
        "--key",
        key.to_str().unwrap(),
        "--member",
        member,
        "--body",
        body.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{member} {kind}: {out}{err}");
    out.trim().rsplit(' ').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn status_prove_and_verify_a_proof_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let roster = roster_path();
    let roster = roster.to_str().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("data"), &[], 60_000);
    let url = node.url();
    let d = dir.path();

    let treaty = submit(
        &url,
        &keys,
        d,
        "FR",
        "instrument",
        json!({
            "short": "test-treaty", "title": "A test treaty", "nature": "legal",
            "adopted": "2026-03-02", "parties": ["FR", "GB", "UA"], "depositary": "FR",
            "consent_means": ["ratification"],
            "entry_into_force": {"rule": "after-deposits", "deposits": 2, "days": 30},
            "withdrawal": {"rule": "after-notice", "months": 12}, "illustrative": true
        }),
    );
    // Only signatories ratify (VCLT Art. 14(1)): UA and GB sign first.
    for member in ["UA", "GB"] {
        submit(
            &url,
            &keys,
            d,
            member,
            "signature",
            json!({"instrument": treaty, "type": "subject-to-ratification", "date": "2026-03-02"}),
        );
    }
    let ua = submit(
        &url,
        &keys,
        d,
        "UA",
        "consent",
        json!({"instrument": treaty, "means": "ratification", "date": "2026-03-26"}),
    );

    let (code, out, err) = pacta(&[
        "status",
        "--node",
        &url,
        "--roster",
        roster,
        "--instrument",
        "test-treaty",
        "--as-of",
        "2026-11-22",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("consent expressed, awaiting deposit receipt"),
        "{out}"
    );
    assert!(out.contains("ILLUSTRATIVE"), "{out}");

    // Garbage in the query: exit 2 and the reason, never a table.
    for (args, expected) in [
        (vec!["--as-of", "2026-02-30"], "2026-02-30"),
        (vec!["--as-of", "yesterday"], "YYYY-MM-DD"),
        (
            vec!["--instrument", "no-such-treaty"],
            "no instrument \"no-such-treaty\"",
        ),
        (vec!["--member", "XX"], "XX is not a member"),
    ] {
        let mut all = vec!["status", "--node", &url, "--roster", roster];
        all.extend(args);
        let (code, out, err) = pacta(&all);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(expected), "{err}");
    }

    submit(
        &url,
        &keys,
        d,
        "FR",
        "deposit-receipt",
        json!({"instrument": treaty, "member": "UA", "consent": ua, "date": "2026-04-02"}),
    );
    let gb = submit(
        &url,
        &keys,
        d,
        "GB",
        "consent",
        json!({"instrument": treaty, "means": "ratification", "date": "2026-04-20"}),
    );
    let receipt = submit(
        &url,
        &keys,
        d,
        "FR",
        "deposit-receipt",
        json!({"instrument": treaty, "member": "GB", "consent": gb, "date": "2026-05-01"}),
    );

    let (code, out, err) = pacta(&[
        "status",
        "--node",
        &url,
        "--roster",
        roster,
        "--member",
        "UA",
        "--as-of",
        "2026-11-22",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let status: Value = serde_json::from_str(&out).unwrap();
    // `--member` selects that member's row in JSON as in text.
    let rows = status["instruments"][0]["members"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{out}");
    let row = rows[0].clone();
    assert_eq!(row["member"], "UA");
    assert_eq!(row["since"], "2026-05-31");
    assert_eq!(row["contracting"], true);
    assert_eq!(row["stage"], "party");
    assert_eq!(row["in_force_on"], "2026-05-31");
    let warnings = row["warnings"].to_string();
    assert!(
        warnings.contains("without the required step `rada-vote`"),
        "{warnings}"
    );
    // As of a past day, the same ledger gives the status of that day.
    let (_, out, _) = pacta(&[
        "status",
        "--node",
        &url,
        "--roster",
        roster,
        "--member",
        "UA",
        "--as-of",
        "2026-04-15",
    ]);
    assert!(
        out.contains("bound (contracting, not yet in force)"),
        "{out}"
    );
    assert!(
        out.contains("Timeline of Ukraine (UA), procedure ua-rada-law"),
        "{out}"
    );
    assert!(
        out.contains("2026-03-02  signature subject to ratification"),
        "{out}"
    );
    assert!(out.contains("from 2026-04-02  bound"), "{out}");

    // The auditor's verdict ends with who is bound.
    let (code, out, _) = pacta(&["verify", "--node", &url, "--roster", roster]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Bound by A test treaty [test-treaty]"),
        "{out}"
    );
    assert!(out.contains(&format!("GB    United Kingdom         consent established 2026-05-01, in force 2026-05-31 by FR #3 ({}", &receipt[..8])), "{out}");

    // A proof, cut from the node, checked offline; then tampered with.
    let proof = d.join("gb.proof");
    let (code, out, err) = pacta(&[
        "prove",
        "--node",
        &url,
        "--roster",
        roster,
        "--member",
        "GB",
        "--instrument",
        &treaty[..12],
        "--as-of",
        "2026-11-22",
        "--out",
        proof.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("party (in force), since 2026-05-31"), "{out}");
    drop(node);
    let (code, out, err) = pacta(&[
        "verify",
        "--proof",
        proof.to_str().unwrap(),
        "--roster",
        roster,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("VALID proof: United Kingdom (GB) for A test treaty"),
        "{out}"
    );
    assert!(
        out.contains("stage: party (in force), since 2026-05-31"),
        "{out}"
    );

    let mut bytes = std::fs::read(&proof).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    let tampered = d.join("tampered.proof");
    std::fs::write(&tampered, &bytes).unwrap();
    let (code, out, _) = pacta(&[
        "verify",
        "--proof",
        tampered.to_str().unwrap(),
        "--roster",
        roster,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("INVALID proof"), "{out}");
    let (code, _, err) = pacta(&[
        "verify",
        "--proof",
        d.join("missing").to_str().unwrap(),
        "--roster",
        roster,
    ]);
    assert_eq!(code, 2, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn payloads_that_do_not_fit_their_kind_are_refused_by_the_cli_and_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let keys = private_example_keys(dir.path()).unwrap();
    let node = NodeProc::start("UA", free_port(), &dir.path().join("data"), &[], 60_000);
    let url = node.url();

    // The CLI checks before it signs anything: exit 2, the field named.
    for (payload, expected) in [
        (
            json!({"kind": "consent", "payload": {"instrument": "zz", "means": "ratification", "date": "2026-03-26"}}),
            "field `instrument`",
        ),
        (
            json!({"kind": "consent", "payload": {"instrument": "304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565", "means": "signature", "date": "2026-03-26"}}),
            "field `means`",
        ),
        (
            json!({"kind": "withdrawal", "payload": {"instrument": "304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565", "notified": "2026-10-01", "effective": "2026-02-30"}}),
            "field `effective`",
        ),
        (json!({"kind": "treaty", "payload": {}}), "unknown kind"),
    ] {
        let body = dir.path().join("body.json");
        std::fs::write(&body, payload.to_string()).unwrap();
        let (code, out, err) = pacta(&[
            "submit",
            "--node",
            &url,
            "--key",
            keys.join("UA.key").to_str().unwrap(),
            "--member",
            "UA",
            "--body",
            body.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(expected), "{err}");
    }

    // The node checks what it receives, signature or not: 422, the field named, and
    // nothing stored.
    let draft = Draft {
        network: roster().network_id(),
        author: code("UA"),
        seq: Seq(1),
        prev: None,
        time: Timestamp::from_millis(1_767_700_800_000).unwrap(),
        kind: Kind::CONSENT,
        payload: br#"{"instrument":"304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565","means":"ratification","date":"2026-13-01"}"#.to_vec(),
    };
    let entry = draft.sign(&key("UA")).unwrap();
    let (status, body) = post(&url, &[&entry]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("field `date`"), "{body}");
    assert!(heads(&url).await.heads.is_empty());
}
