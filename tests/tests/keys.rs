//! Keys over time on a real node: rotation, revocation by a quorum of the other
//! members, and admission of a new member by a quorum. The example roster has 38
//! members, so a quorum is 20.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_core::SecretKey;
use pacta_core::entry::Entry;
use pacta_core::ids::Seq;
use pacta_core::payload::{Admission, KeyRevocation, KeyRotation, Payload};
use pacta_tests::net::*;

async fn send(url: &str, e: &Entry) -> (u16, String) {
    let (status, body) = post(url, &[e]).await;
    (
        status,
        body["reason"].as_str().unwrap_or("").to_owned()
            + " "
            + body["error"].as_str().unwrap_or(""),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_revocation_and_admission_follow_their_rules() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 300);
    let url = node.url();
    let r = roster();
    let net = r.network_id();
    assert_eq!(r.member_quorum(), 20);

    // Rotation: DE moves to a new key; later entries need it, earlier ones stay valid.
    let mut de = Author::new("DE");
    assert_eq!(send(&url, &de.next("DE before rotating")).await.0, 200);
    let k2 = SecretKey::from_seed(&[42; 32]);
    let rot = KeyRotation::new(net, code("DE"), Seq(2), &k2);
    assert_eq!(
        send(&url, &de.next_payload(&Payload::KeyRotation(rot)))
            .await
            .0,
        200
    );
    let old_key_entry = de.sign("signed with the old key after the rotation");
    let (status, why) = send(&url, &old_key_entry).await;
    assert_eq!((status, why.starts_with("signature")), (422, true), "{why}");
    de.use_key(SecretKey::from_seed(&[42; 32]));
    assert_eq!(send(&url, &de.next("DE under its new key")).await.0, 200);
    // A rotation whose proof is for another position is refused.
    let gb = Author::new("GB");
    let bad = KeyRotation::new(net, code("GB"), Seq(7), &SecretKey::from_seed(&[43; 32]));
    let (status, why) = send(&url, &gb.sign_payload(&Payload::KeyRotation(bad))).await;
    assert_eq!(
        (status, why.starts_with("rotation-proof")),
        (422, true),
        "{why}"
    );

    // Revocation: PL's key is stolen after #1; the thief publishes #2.
    let mut pl = Author::new("PL");
    assert_eq!(send(&url, &pl.next("PL's own entry")).await.0, 200);
    let mut thief = Author::new("PL");
    thief.next("PL's own entry");
    assert_eq!(send(&url, &thief.next("the thief's entry")).await.0, 200);
    let replacement = SecretKey::from_seed(&[44; 32]);
    let revocation = Payload::KeyRevocation(KeyRevocation {
        member: code("PL"),
        key: key("PL").public().to_string(),
        after: 1,
        replacement: replacement.public().to_string(),
        reason: "PL's delegation reports its signing key stolen".into(),
    });
    let others: Vec<String> = r
        .members()
        .map(|m| m.code.to_string())
        .filter(|c| !["PL", "DE", "GB"].contains(&c.as_str()))
        .take(20)
        .collect();
    let mut authors: Vec<Author> = others.iter().map(|c| Author::new(c)).collect();
    for a in authors.iter_mut().take(19) {
        assert_eq!(send(&url, &a.next_payload(&revocation)).await.0, 200);
    }
    // 19 of 20: no effect. The thief still writes; the replacement cannot.
    assert_eq!(send(&url, &thief.next("the thief again")).await.0, 200);
    let mut owner = Author::new("PL");
    owner.next("PL's own entry");
    owner.use_key(SecretKey::from_seed(&[44; 32]));
    let install = Payload::KeyRotation(KeyRotation::new(net, code("PL"), Seq(2), &replacement));
    let (status, _) = send(&url, &owner.sign_payload(&install)).await;
    assert_ne!(status, 200, "an install below quorum is refused");
    assert_eq!(heads(&url).await.heads[&code("PL")].seq, Seq(3));

    // The 20th revocation: the thief's entries leave the feed, the owner installs.
    assert_eq!(
        send(&url, &authors[19].next_payload(&revocation)).await.0,
        200
    );
    assert_eq!(heads(&url).await.heads[&code("PL")].seq, Seq(1));
    let (status, why) = send(&url, &thief.sign("the thief after the revocation")).await;
    assert_ne!(status, 200, "{why}");
    let mut thief2 = Author::new("PL");
    thief2.next("PL's own entry");
    let (status, why) = send(&url, &thief2.sign("the thief at #2 again")).await;
    assert_eq!((status, why.starts_with("revoked")), (422, true), "{why}");
    let wrong_kind = owner.sign("a note, not the install");
    let (status, why) = send(&url, &wrong_kind).await;
    assert_eq!((status, why.starts_with("install")), (422, true), "{why}");
    assert_eq!(send(&url, &owner.next_payload(&install)).await.0, 200);
    assert_eq!(
        send(&url, &owner.next("PL under its replacement key"))
            .await
            .0,
        200
    );

    // Admission: Moldova joins once 20 members admit it, not before.
    let md_key = SecretKey::from_seed(&[45; 32]);
    let admission = Payload::Admission(Admission {
        code: code("MD"),
        name: "Moldova".into(),
        key: md_key.public().to_string(),
        node: "https://pacta.example.md".into(),
        profile: "generic".into(),
        node_key: None,
    });
    let md_first = {
        let mut md = Author::new("PL");
        md.member = code("MD");
        md.use_key(SecretKey::from_seed(&[45; 32]));
        md.sign("Moldova's first entry")
    };
    for a in authors.iter_mut().take(19) {
        assert_eq!(send(&url, &a.next_payload(&admission)).await.0, 200);
    }
    let (status, why) = send(&url, &md_first).await;
    assert_eq!(
        (status, why.starts_with("unknown-member")),
        (422, true),
        "{why}"
    );
    assert_eq!(
        send(&url, &authors[19].next_payload(&admission)).await.0,
        200
    );
    assert_eq!(send(&url, &md_first).await.0, 200);

    // An auditor reaches the same verdict from the roster alone.
    let roster_file = roster_path();
    let (status, out, err) = pacta(&[
        "verify",
        "--node",
        &url,
        "--roster",
        roster_file.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(
        out.contains("PL's key") && out.contains("revoked after #1"),
        "{out}"
    );
    assert!(out.contains("admitted: MD (Moldova)"), "{out}");
}
