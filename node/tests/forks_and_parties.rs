//! The ledger's rules for fork proofs and instrument parties (issue 18, findings 6 and
//! 7 and "Also"), below HTTP: a proof is kept only at a position the node holds, one
//! per position, at most `FORKS_PER_MEMBER` per member (the lowest), and from the
//! store, not memory; an instrument's parties must be members, admitted ones included.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pacta_core::entry::{Draft, Entry};
use pacta_core::fork::ForkProof;
use pacta_core::ids::{MemberCode, Seq, Timestamp};
use pacta_core::payload::{Admission, Note, Payload};
use pacta_core::{Kind, Roster, SecretKey};
use pacta_node::ledger::{FORKS_PER_MEMBER, ForkRefusal, Ledger, Rejection};
use pacta_node::store::{Check, Store};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn roster() -> Arc<Roster> {
    let text = std::fs::read_to_string(workspace().join("keys-example/roster.toml")).unwrap();
    Arc::new(Roster::from_toml(&text).unwrap())
}

fn key(member: &str) -> SecretKey {
    let path = workspace().join(format!("keys-example/{member}.key"));
    SecretKey::from_file_text(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn code(s: &str) -> MemberCode {
    s.parse().unwrap()
}

fn ledger(dir: &Path, roster: &Arc<Roster>) -> Ledger {
    let (store, recovered) =
        Store::open(dir, roster.network_id(), roster.feed_limit(), Check::Fast).unwrap();
    Ledger::new(roster.clone(), store, recovered)
}

fn sign(member: &str, seq: u64, prev: Option<&Entry>, payload: &Payload) -> Entry {
    Draft {
        network: roster().network_id(),
        author: code(member),
        seq: Seq(seq),
        prev: prev.map(Entry::id),
        time: Timestamp::from_millis(1_767_700_800_000 + seq).unwrap(),
        kind: payload.kind(),
        payload: payload.encode(),
    }
    .sign(&key(member))
    .unwrap()
}

fn note(text: &str) -> Payload {
    Payload::Note(Note::new(text.to_owned()))
}

/// `member`'s feed of `n` notes, and for each position another entry there.
fn feed_and_forks(member: &str, n: u64) -> (Vec<Entry>, Vec<Entry>) {
    let mut feed: Vec<Entry> = Vec::new();
    let mut other = Vec::new();
    for seq in 1..=n {
        other.push(sign(
            member,
            seq,
            feed.last(),
            &note(&format!("other {seq}")),
        ));
        let e = sign(member, seq, feed.last(), &note(&format!("entry {seq}")));
        feed.push(e);
    }
    (feed, other)
}

fn kept(ledger: &Ledger, member: &str) -> Vec<u64> {
    ledger
        .forks()
        .iter()
        .filter(|f| f.member == code(member))
        .map(|f| f.seq.0)
        .collect()
}

#[test]
fn a_member_keeps_its_lowest_proofs_and_no_more_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster();
    let l = ledger(dir.path(), &roster);
    let (feed, other) = feed_and_forks("PL", 12);
    for e in &feed {
        l.accept(e.as_bytes()).unwrap();
    }
    // Forks submitted from the highest position down: each lower one replaces the
    // highest kept once the member has its most.
    for e in other.iter().rev() {
        let Err(Rejection::Fork { fork, kept, .. }) = l.accept(e.as_bytes()) else {
            panic!("PL {} is not a fork", e.seq());
        };
        assert_eq!(fork.seq, e.seq());
        assert!(kept, "PL {} was not kept", e.seq());
    }
    let lowest: Vec<u64> = (1..=FORKS_PER_MEMBER as u64).collect();
    assert_eq!(kept(&l, "PL"), lowest);
    // A higher one now is refused with a sentence that says why, and not kept.
    let third = sign("PL", 12, feed.get(10), &note("a third #12"));
    let Err(refused) = l.accept(third.as_bytes()) else {
        panic!("not a fork");
    };
    assert!(
        refused
            .to_string()
            .contains("keeps 8 proofs of it at lower positions"),
        "{refused}"
    );
    assert_eq!(kept(&l, "PL"), lowest);
    // The proofs come from the store, and the replaced ones are gone from it.
    let store = l.store().clone();
    assert!(store.fork(code("PL"), Seq(1)).unwrap().is_some());
    assert!(store.fork(code("PL"), Seq(9)).unwrap().is_none());
    drop(l);
    drop(store);
    let l = ledger(dir.path(), &roster);
    assert_eq!(kept(&l, "PL"), lowest);
}

#[test]
fn a_proof_from_a_peer_must_be_at_a_held_position_and_check_out() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster();
    let l = ledger(dir.path(), &roster);
    let (feed, other) = feed_and_forks("FR", 3);
    for e in &feed {
        l.accept(e.as_bytes()).unwrap();
    }
    // Far beyond the feed: refused before any signature is checked.
    let far = |text: &str| sign("FR", 1_000_000_000, feed.last(), &note(text));
    let beyond = ForkProof::new(far("one"), far("another")).unwrap();
    assert!(!l.wants_fork(code("FR"), Seq(1_000_000_000)));
    let refused = l.add_fork(&beyond).unwrap_err();
    assert!(
        matches!(refused, ForkRefusal::NotHeld { .. }),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .contains("beyond FR's feed here (head #3"),
        "{refused}"
    );
    // A member with no feed here: nothing is held.
    let de = |text: &str| sign("DE", 1, None, &note(text));
    let unheld = ForkProof::new(de("one"), de("another")).unwrap();
    assert!(matches!(
        l.add_fork(&unheld).unwrap_err(),
        ForkRefusal::NotHeld { head: None, .. }
    ));
    // Signed by someone else: invalid.
    let forged = Draft {
        author: code("FR"),
        ..sign("GB", 2, Some(&feed[0]), &note("forged")).to_draft()
    }
    .sign(&key("GB"))
    .unwrap();
    let bad = ForkProof::new(feed[1].clone(), forged).unwrap();
    assert!(matches!(
        l.add_fork(&bad).unwrap_err(),
        ForkRefusal::Invalid(_)
    ));
    assert_eq!(l.fork_count(), 0);
    // At a held position and signed by FR: kept once.
    let good = ForkProof::new(feed[1].clone(), other[1].clone()).unwrap();
    assert!(l.add_fork(&good).unwrap());
    assert!(!l.add_fork(&good).unwrap());
    assert_eq!(kept(&l, "FR"), vec![2]);
}

#[test]
fn a_store_from_before_the_rules_keeps_only_what_they_allow() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster();
    let (feed, other) = feed_and_forks("FR", 12);
    {
        let l = ledger(dir.path(), &roster);
        for e in &feed {
            l.accept(e.as_bytes()).unwrap();
        }
        // Written straight to the store, as an older node did: every position, and
        // positions no feed holds.
        let store = l.store();
        for (a, b) in feed.iter().zip(&other) {
            store
                .insert_fork(&ForkProof::new(a.clone(), b.clone()).unwrap())
                .unwrap();
        }
        for seq in [1_000_000_000, 1_000_000_001] {
            let far = |text: &str| sign("FR", seq, feed.last(), &note(text));
            store
                .insert_fork(&ForkProof::new(far("one"), far("another")).unwrap())
                .unwrap();
        }
        store.flush_blocking().unwrap();
    }
    let l = ledger(dir.path(), &roster);
    assert_eq!(
        kept(&l, "FR"),
        (1..=FORKS_PER_MEMBER as u64).collect::<Vec<_>>()
    );
    assert!(l.store().fork(code("FR"), Seq(9)).unwrap().is_none());
    assert!(
        l.store()
            .fork(code("FR"), Seq(1_000_000_000))
            .unwrap()
            .is_none()
    );
}

fn instrument(parties: &[&str]) -> Payload {
    Payload::from_json(
        Kind::INSTRUMENT,
        serde_json::json!({
            "short": "open-to-some",
            "title": "An instrument",
            "nature": "political",
            "adopted": "2026-01-06",
            "parties": parties,
            "entry_into_force": {"rule": "none"},
            "withdrawal": {"rule": "not-provided"},
        }),
    )
    .unwrap()
}

#[test]
fn an_instrument_is_open_to_members_admitted_ones_included() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster();
    let l = ledger(dir.path(), &roster);
    let naming_md = sign("FR", 1, None, &instrument(&["FR", "MD", "UA"]));
    let Err(refused) = l.accept(naming_md.as_bytes()) else {
        panic!("an instrument naming a non-member was stored");
    };
    assert_eq!(refused.reason(), "parties");
    assert_eq!(
        refused.to_string(),
        "FR #1: the instrument names MD as a party, but it is not a member of this network (the roster's members and those admitted by quorum); an instrument is open to members only"
    );
    // Moldova admitted by a quorum of the genesis members: now it is a member.
    let admission = Payload::Admission(Admission {
        code: code("MD"),
        name: "Moldova".into(),
        key: SecretKey::from_seed(&[45; 32]).public().to_string(),
        node: "https://pacta.example.md".into(),
        profile: "generic".into(),
        node_key: None,
    });
    let voters: Vec<String> = roster
        .members()
        .map(|m| m.code.to_string())
        .filter(|c| c != "FR")
        .take(roster.member_quorum())
        .collect();
    for v in &voters {
        l.accept(sign(v, 1, None, &admission).as_bytes()).unwrap();
    }
    assert!(l.roster().member(code("MD")).is_some());
    l.accept(naming_md.as_bytes()).unwrap();
}

/// `GET path` on the node's router: status and JSON body.
async fn get(node: &Arc<pacta_node::node::Node>, path: &str) -> (u16, serde_json::Value) {
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = pacta_node::api::app(node.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn fork_proofs_are_served_in_pages_with_a_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let node = pacta_node::standalone(roster(), code("UA"), dir.path())
        .await
        .unwrap();
    for (member, n) in [("FR", 5), ("DE", 3)] {
        let (feed, other) = feed_and_forks(member, n);
        let bytes = |v: &[Entry]| v.iter().map(|e| e.as_bytes().to_vec()).collect();
        node.submit(bytes(&feed)).await.unwrap();
        for e in &other {
            assert!(node.submit(vec![e.as_bytes().to_vec()]).await.is_err());
        }
    }
    // DE before FR, each by position: 8 proofs in pages of 3.
    let mut seen = Vec::new();
    let mut path = "/v1/forks?limit=3".to_owned();
    loop {
        let (status, page) = get(&node, &path).await;
        assert_eq!(status, 200, "{page}");
        let forks = page["forks"].as_array().unwrap();
        assert!(!forks.is_empty() && forks.len() <= 3, "{page}");
        for f in forks {
            seen.push(format!("{} {}", f["member"].as_str().unwrap(), f["seq"]));
        }
        match page.get("next") {
            Some(next) => {
                path = format!(
                    "/v1/forks?member={}&from={}&limit=3",
                    next["member"].as_str().unwrap(),
                    next["from"]
                );
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "DE 1", "DE 2", "DE 3", "FR 1", "FR 2", "FR 3", "FR 4", "FR 5"
        ]
    );
    // From a position: that member's proofs from there, then the next members'.
    let (_, page) = get(&node, "/v1/forks?member=DE&from=3").await;
    assert_eq!(page["forks"].as_array().unwrap().len(), 6, "{page}");
    assert!(page.get("next").is_none(), "{page}");
    // /v1/heads lists the positions, not the proofs.
    let (_, heads) = get(&node, "/v1/heads").await;
    assert_eq!(heads["forks"].as_array().unwrap().len(), 8);
    assert!(heads["forks"][0].get("entries").is_none());
    // Bad queries get 400 or 404 and a sentence.
    for (path, status, says) in [
        ("/v1/forks?from=2", 400, "from= needs member="),
        ("/v1/forks?member=DE&from=0", 400, "feeds start at 1"),
        ("/v1/forks?limit=0", 400, "limit must be 1 to 1000"),
        ("/v1/forks?limit=1001", 400, "limit must be 1 to 1000"),
        ("/v1/forks?member=de", 400, "member code"),
        ("/v1/forks?member=ZZ", 404, "ZZ is not a member"),
        ("/v1/forks?after=DE", 400, "unknown field"),
    ] {
        let (got, body) = get(&node, path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{path}: {body}"
        );
    }
}
