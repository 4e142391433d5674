//! Issue 18, finding 1: an entry signed with a key that a rotation took out of force
//! must never be placed, whatever the interleaving of the rotation's placement and the
//! entry's signature check. The signature is checked before the lock (in parallel, for
//! batches); placement checks again, under its lock, that the key it was checked under
//! is still the key in force.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pacta_core::entry::{Draft, Entry};
use pacta_core::ids::{Seq, Timestamp};
use pacta_core::payload::{KeyRotation, Note, Payload};
use pacta_core::{Roster, SecretKey};
use pacta_node::ledger::{Ledger, Rejection};
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

fn ledger(dir: &Path, roster: &Arc<Roster>) -> Ledger {
    let (store, recovered) =
        Store::open(dir, roster.network_id(), roster.feed_limit(), Check::Fast).unwrap();
    Ledger::new(roster.clone(), store, recovered)
}

fn sign(roster: &Roster, prev: Option<&Entry>, payload: &Payload, key: &SecretKey) -> Entry {
    let seq = prev.map_or(1, |p| p.seq().0 + 1);
    Draft {
        network: roster.network_id(),
        author: "PL".parse().unwrap(),
        seq: Seq(seq),
        prev: prev.map(Entry::id),
        time: Timestamp::from_millis(1_767_700_800_000 + seq).unwrap(),
        kind: payload.kind(),
        payload: payload.encode(),
    }
    .sign(key)
    .unwrap()
}

fn note(text: &str) -> Payload {
    Payload::Note(Note::new(text.to_owned()))
}

/// PL #1–#3, then R (PL #4, a rotation to a new key) and T (PL #5 on R, signed with
/// the old key).
fn pl_history(roster: &Roster) -> (Vec<Entry>, Entry, Entry) {
    let old = key("PL");
    let mut feed: Vec<Entry> = Vec::new();
    for i in 1..=3 {
        let e = sign(roster, feed.last(), &note(&format!("PL {i}")), &old);
        feed.push(e);
    }
    let new = SecretKey::from_seed(&[77; 32]);
    let rotation = KeyRotation::new(roster.network_id(), "PL".parse().unwrap(), Seq(4), &new);
    let r = sign(roster, feed.last(), &Payload::KeyRotation(rotation), &old);
    let t = sign(
        roster,
        Some(&r),
        &note("signed with the rotated-out key"),
        &old,
    );
    (feed, r, t)
}

#[test]
fn an_entry_checked_before_a_rotation_is_placed_is_refused_at_placement() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster();
    let ledger = ledger(dir.path(), &roster);
    let (feed, r, t) = pl_history(&roster);
    for e in &feed {
        ledger.accept(e.as_bytes()).unwrap();
    }
    // The interleaving of the attack: T's signature is checked while PL's key is still
    // the old one (it is, at #5, until R is placed), then R is placed, then T.
    let t_checked = ledger.precheck(t.as_bytes()).unwrap();
    ledger.accept(r.as_bytes()).unwrap();
    match ledger.place(t_checked) {
        Err(Rejection::Invalid { problem, .. }) => {
            assert_eq!(problem.code(), "signature", "{problem}")
        }
        other => panic!("T was not refused at placement: {other:?}"),
    }
    assert_eq!(ledger.head(roster_code("PL")).unwrap().seq, Seq(4));
}

fn roster_code(s: &str) -> pacta_core::ids::MemberCode {
    s.parse().unwrap()
}

#[test]
fn racing_a_rotation_against_a_batch_never_places_the_old_key() {
    let roster = roster();
    let (feed, r, t) = pl_history(&roster);
    // Many rounds, with the rotation placed from another thread at a moment that moves
    // around T's check. T is #5 and R is #4, so T can only ever be placed after R, when
    // the key in force is R's new key: T must be refused in every round.
    for round in 0..200 {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Arc::new(ledger(dir.path(), &roster));
        for e in &feed {
            ledger.accept(e.as_bytes()).unwrap();
        }
        let racer = {
            let (ledger, r) = (ledger.clone(), r.clone());
            std::thread::spawn(move || {
                for _ in 0..(round % 17) {
                    std::hint::spin_loop();
                }
                ledger.accept(r.as_bytes()).unwrap();
            })
        };
        // T, retried until R has landed (before that it is a gap at #5).
        let verdict = loop {
            match ledger.accept(t.as_bytes()) {
                Err(Rejection::Gap { .. }) => std::thread::yield_now(),
                other => break other,
            }
        };
        racer.join().unwrap();
        assert!(
            matches!(verdict, Err(Rejection::Invalid { .. })),
            "round {round}: T was {verdict:?}"
        );
        assert_eq!(ledger.head(roster_code("PL")).unwrap().seq, Seq(4));
    }
}
