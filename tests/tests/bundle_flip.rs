//! "Flipping any byte of a bundle makes verification fail, or leaves the verdict and
//! report exactly as they were", checked exhaustively on a small bundle that has every
//! part: several feeds, a feed with a long member code, and a fork proof.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_core::bundle;
use pacta_core::entry::Draft;
use pacta_core::feed::Feed;
use pacta_core::fork::ForkProof;
use pacta_core::ids::{Kind, MemberCode, Seq, Timestamp};
use pacta_core::payload::{Note, Payload};
use pacta_core::verify::verify_bundle;
use pacta_core::{Entry, Roster, SecretKey};

fn key(code: &str) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..code.len()].copy_from_slice(code.as_bytes());
    SecretKey::from_seed(&seed)
}

fn feed(roster: &Roster, code: &str, n: u64, first_text: &str) -> Feed {
    let member: MemberCode = code.parse().unwrap();
    let mut entries: Vec<Entry> = Vec::new();
    for seq in 1..=n {
        let text = if seq == 1 {
            first_text.to_owned()
        } else {
            format!("{code} {seq}")
        };
        let d = Draft {
            network: roster.network_id(),
            author: member,
            seq: Seq(seq),
            prev: entries.last().map(Entry::id),
            time: Timestamp::from_millis(1_767_700_800_000 + seq).unwrap(),
            kind: Kind::NOTE,
            payload: Payload::Note(Note::new(text)).encode(),
        };
        entries.push(d.sign(&key(code)).unwrap());
    }
    Feed { member, entries }
}

#[test]
fn every_single_byte_flip_fails_or_changes_nothing() {
    let mut toml = String::from("network = \"flip\"\n");
    for code in ["FR", "NATO", "UA"] {
        toml.push_str(&format!(
            "[[member]]\ncode = \"{code}\"\nname = \"{code}\"\nkey = \"{}\"\nnode = \"http://127.0.0.1:1\"\nprofile = \"generic\"\n",
            key(code).public()
        ));
    }
    let roster = Roster::from_toml(&toml).unwrap();
    let fr = feed(&roster, "FR", 3, "FR 1");
    let fr_other = feed(&roster, "FR", 1, "FR's other #1");
    let fork = ForkProof::new(fr.entries[0].clone(), fr_other.entries[0].clone()).unwrap();
    let feeds = [
        fr,
        feed(&roster, "NATO", 2, "NATO 1"),
        feed(&roster, "UA", 1, "UA 1"),
    ];
    let good = bundle::encode(roster.network_id(), &feeds, &[fork], None);
    let baseline = verify_bundle(&roster, &good).report;
    assert!(baseline.valid);
    assert_eq!(baseline.forks.len(), 1);

    let mut failed = 0;
    for at in 0..good.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[at] ^= mask;
            let report = verify_bundle(&roster, &bad).report;
            if report.valid {
                assert_eq!(
                    report, baseline,
                    "flipping byte {at} with {mask:#04x} changed a valid report"
                );
            } else {
                failed += 1;
            }
        }
    }
    // Nothing in this bundle is unsigned slack: every flip must have failed.
    assert_eq!(failed, good.len() * 3);
}
