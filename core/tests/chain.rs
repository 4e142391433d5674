//! Chain rules: each way a feed can be wrong is rejected at the right place with the
//! right reason, and a fork is evidence, not an error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

mod support;

use pacta_core::bundle;
use pacta_core::feed::{Problem, verify_feed};
use pacta_core::fork::{ForkError, ForkProof};
use pacta_core::ids::{Seq, Timestamp};
use pacta_core::verify::verify_bundle;
use support::{code, net, note_draft, raw};

#[test]
fn a_valid_feed_verifies() {
    let n = net("chain");
    let feed = n.feed("FR", 5);
    let v = verify_feed(&n.roster, code("FR"), &raw(&feed.entries));
    assert_eq!(v.error, None);
    assert_eq!(v.valid.entries.len(), 5);
}

#[test]
fn reordered_entries_fail_at_the_first_misplaced_position() {
    let n = net("chain");
    let mut e = n.feed("FR", 5).entries;
    e.swap(2, 3);
    let err = verify_feed(&n.roster, code("FR"), &raw(&e)).error.unwrap();
    assert_eq!(err.position, Seq(3));
    assert_eq!(
        err.problem,
        Problem::Seq {
            expected: Seq(3),
            found: Seq(4)
        }
    );
    assert_eq!(
        err.to_string(),
        "FR #3: sequence number is #4, expected #3 (entries missing or out of order)"
    );
}

#[test]
fn a_gap_is_rejected_and_the_prefix_kept() {
    let n = net("chain");
    let mut e = n.feed("FR", 5).entries;
    e.remove(1);
    let v = verify_feed(&n.roster, code("FR"), &raw(&e));
    let err = v.error.unwrap();
    assert_eq!((err.position, err.problem.code()), (Seq(2), "seq"));
    assert_eq!(v.valid.entries.len(), 1);
}

#[test]
fn an_entry_truncated_in_the_middle_of_a_feed_fails_to_decode_there() {
    let n = net("chain");
    let e = n.feed("FR", 4).entries;
    let mut bytes = raw(&e);
    let cut = &e[2].as_bytes()[..e[2].as_bytes().len() - 10];
    bytes[2] = cut;
    let err = verify_feed(&n.roster, code("FR"), &bytes).error.unwrap();
    assert_eq!((err.position, err.problem.code()), (Seq(3), "decode"));
}

#[test]
fn an_entry_spliced_in_from_another_feed_is_named() {
    let n = net("chain");
    let mut fr = n.feed("FR", 4).entries;
    let gb = n.feed("GB", 4).entries;
    fr[2] = gb[2].clone();
    let err = verify_feed(&n.roster, code("FR"), &raw(&fr)).error.unwrap();
    assert_eq!(err.position, Seq(3));
    assert_eq!(
        err.to_string(),
        "FR #3: entry is by GB, not FR (spliced in from another feed)"
    );
}

#[test]
fn a_same_author_entry_with_a_wrong_prev_names_both_ids() {
    let n = net("chain");
    let mut e = n.feed("FR", 3).entries;
    let d = note_draft(
        n.roster.network_id(),
        code("FR"),
        3,
        Some(e[0].id()),
        "skips #2",
    );
    e[2] = d.sign(n.key("FR")).unwrap();
    let err = verify_feed(&n.roster, code("FR"), &raw(&e)).error.unwrap();
    assert_eq!(
        err.problem,
        Problem::Prev {
            expected: e[1].id(),
            found: e[0].id(),
            at: Seq(2)
        }
    );
    assert!(err.to_string().starts_with("FR #3: prev is "), "{err}");
    assert!(err.to_string().ends_with("(id of #2)"), "{err}");
}

#[test]
fn an_entry_from_another_network_is_rejected_even_with_the_same_key() {
    let ours = net("chain");
    let theirs = net("other");
    // The other network uses different keys by construction; sign with OUR FR key for
    // THEIR network id, so only the network differs.
    let d = note_draft(theirs.roster.network_id(), code("FR"), 1, None, "replayed");
    let e = d.sign(ours.key("FR")).unwrap();
    let err = verify_feed(&ours.roster, code("FR"), &[e.as_bytes()])
        .error
        .unwrap();
    assert_eq!((err.position, err.problem.code()), (Seq(1), "network"));
}

#[test]
fn a_signature_by_another_member_fails() {
    let n = net("chain");
    let d = note_draft(n.roster.network_id(), code("FR"), 1, None, "signed by GB");
    let e = d.sign(n.key("GB")).unwrap();
    let err = verify_feed(&n.roster, code("FR"), &[e.as_bytes()])
        .error
        .unwrap();
    assert_eq!(
        err.to_string(),
        "FR #1: signature does not verify under FR's key"
    );
}

#[test]
fn claimed_time_must_not_go_backwards() {
    let n = net("chain");
    let mut e = n.feed("FR", 2).entries;
    let mut d = note_draft(
        n.roster.network_id(),
        code("FR"),
        3,
        Some(e[1].id()),
        "from the past",
    );
    d.time = Timestamp::from_millis(support::T0).unwrap();
    e.push(d.sign(n.key("FR")).unwrap());
    let err = verify_feed(&n.roster, code("FR"), &raw(&e)).error.unwrap();
    assert_eq!((err.position, err.problem.code()), (Seq(3), "time"));
    // Equal times are fine: several acts can share a claimed instant.
    let mut e = n.feed("FR", 1).entries;
    let mut d = note_draft(
        n.roster.network_id(),
        code("FR"),
        2,
        Some(e[0].id()),
        "same instant",
    );
    d.time = e[0].header().time;
    e.push(d.sign(n.key("FR")).unwrap());
    assert_eq!(verify_feed(&n.roster, code("FR"), &raw(&e)).error, None);
}

#[test]
fn a_fork_is_detected_and_reported_as_a_proof() {
    let n = net("chain");
    let feed = n.feed("FR", 3);
    let other = note_draft(
        n.roster.network_id(),
        code("FR"),
        2,
        Some(feed.entries[0].id()),
        "the other #2",
    )
    .sign(n.key("FR"))
    .unwrap();
    let proof = ForkProof::new(other.clone(), feed.entries[1].clone()).unwrap();
    assert_eq!(proof.verify(&n.roster), Ok(()));
    assert_eq!((proof.member(), proof.seq()), (code("FR"), Seq(2)));

    let bytes = bundle::encode(
        n.roster.network_id(),
        std::slice::from_ref(&feed),
        &[proof],
        None,
    );
    let report = verify_bundle(&n.roster, &bytes).report;
    assert!(report.valid, "{:?}", report.errors);
    assert_eq!(report.forks.len(), 1);
    assert_eq!(report.forks[0].seq, Seq(2));
    let fr = report
        .feeds
        .iter()
        .find(|f| f.member == code("FR"))
        .unwrap();
    assert!(fr.disputed);
    assert!(
        !report
            .feeds
            .iter()
            .find(|f| f.member == code("GB"))
            .unwrap()
            .disputed
    );
}

#[test]
fn things_that_are_not_forks_are_refused_as_proofs() {
    let n = net("chain");
    let fr = n.feed("FR", 3).entries;
    let gb = n.feed("GB", 3).entries;
    assert!(matches!(
        ForkProof::new(fr[1].clone(), fr[1].clone()),
        Err(ForkError::Same(_))
    ));
    assert!(matches!(
        ForkProof::new(fr[1].clone(), fr[2].clone()),
        Err(ForkError::Positions(..))
    ));
    assert!(matches!(
        ForkProof::new(fr[1].clone(), gb[1].clone()),
        Err(ForkError::Authors(..))
    ));
    // Two "entries" where one is not signed by the member: no proof against FR.
    let forged = note_draft(
        n.roster.network_id(),
        code("FR"),
        2,
        Some(fr[0].id()),
        "forged by GB",
    )
    .sign(n.key("GB"))
    .unwrap();
    let proof = ForkProof::new(forged, fr[1].clone()).unwrap();
    assert!(matches!(
        proof.verify(&n.roster),
        Err(ForkError::Entry { .. })
    ));
    // In a bundle, the forged proof makes the ledger invalid and disputes nobody.
    let bytes = bundle::encode(n.roster.network_id(), &[n.feed("FR", 3)], &[proof], None);
    let report = verify_bundle(&n.roster, &bytes).report;
    assert!(!report.valid);
    assert_eq!(report.errors[0].reason, "fork");
    assert!(report.feeds.iter().all(|f| !f.disputed));
}

#[test]
fn bundle_framing_errors_are_reported() {
    let n = net("chain");
    let good = bundle::encode(n.roster.network_id(), &[n.feed("FR", 2)], &[], None);
    let mut trailing = good.clone();
    trailing.push(0);
    for (name, bytes) in [
        ("empty", vec![]),
        ("trailing", trailing),
        ("truncated", good[..good.len() - 1].to_vec()),
    ] {
        let report = verify_bundle(&n.roster, &bytes).report;
        assert!(!report.valid, "{name}");
        assert_eq!(report.errors[0].place, "bundle", "{name}");
    }
    let other = net("other");
    let report = verify_bundle(&other.roster, &good).report;
    assert_eq!(report.errors[0].reason, "network");
}
