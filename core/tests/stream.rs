//! The streamed audit (`pacta verify` on a file) against the in-memory one: the same
//! framing errors at the same offsets, and the same report, on bundles that are
//! valid, truncated, extended or damaged at any byte.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

mod support;

use std::io::Cursor;

use pacta_core::audit::{audit, foreign, rejected};
use pacta_core::bundle::{self, BundleView};
use pacta_core::feed::Feed;
use pacta_core::fork::ForkProof;
use pacta_core::scan::{BundleFile, ScanError, scan};
use pacta_core::verify::{Report, verify_bundle};
use proptest::prelude::*;
use support::{CODES, Net, net};

fn ledger(n: &Net, lens: &[u64]) -> Vec<Feed> {
    CODES
        .iter()
        .zip(lens)
        .map(|(c, &len)| n.feed(c, len))
        .collect()
}

/// The report of a streamed audit of `bytes`, read through a reader as a file is.
fn streamed(n: &Net, bytes: &[u8]) -> Report {
    match scan(Cursor::new(bytes), bytes.len() as u64) {
        Err(ScanError::Bundle(e)) => rejected(&n.roster, "bundle", e.to_string()).report,
        Err(e) => panic!("reading from memory failed: {e}"),
        Ok(scanned) => match foreign(&n.roster, scanned.outline.network) {
            Some(m) => rejected(&n.roster, "network", m).report,
            None => {
                let mut feeds = BundleFile::new(Cursor::new(bytes), &scanned);
                audit(
                    &n.roster,
                    &scanned.outline,
                    &mut feeds,
                    &mut (),
                    true,
                    &[],
                    &|_, _| {},
                )
                .unwrap()
                .report
            }
        },
    }
}

/// A second entry at the head of `feed`: a fork proof against its member.
fn fork_at_head(n: &Net, feed: &Feed) -> ForkProof {
    let head = feed.entries.last().unwrap();
    let len = feed.entries.len();
    let prev = (len >= 2).then(|| feed.entries[len - 2].id());
    let other = support::note_draft(
        n.roster.network_id(),
        feed.member,
        len as u64,
        prev,
        "other",
    )
    .sign(n.key(feed.member.as_str()))
    .unwrap();
    ForkProof::new(head.clone(), other).unwrap()
}

#[derive(Debug, Clone)]
enum Damage {
    None,
    Truncate(prop::sample::Index),
    Append(Vec<u8>),
    Flip(prop::sample::Index, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        Just(Damage::None),
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        prop::collection::vec(any::<u8>(), 1..8).prop_map(Damage::Append),
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, m)| Damage::Flip(i, m)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_streamed_audit_reports_what_the_in_memory_one_does(
        lens in proptest::collection::vec(0u64..5, 3),
        forked in any::<bool>(),
        how in damage(),
    ) {
        let n = net("stream");
        let feeds = ledger(&n, &lens);
        let forks: Vec<_> = if forked && lens[1] > 0 {
            vec![fork_at_head(&n, &feeds[1])]
        } else {
            Vec::new()
        };
        let mut bytes = bundle::encode(n.roster.network_id(), &feeds, &forks, None);
        match how {
            Damage::None => {}
            Damage::Truncate(i) => bytes.truncate(i.index(bytes.len())),
            Damage::Append(extra) => bytes.extend(extra),
            Damage::Flip(i, m) => {
                let at = i.index(bytes.len());
                bytes[at] ^= m;
            }
        }
        let framing = BundleView::parse(&bytes).map(|_| ()).map_err(|e| e.to_string());
        let scanned = match scan(Cursor::new(&bytes), bytes.len() as u64) {
            Ok(_) => Ok(()),
            Err(ScanError::Bundle(e)) => Err(e.to_string()),
            Err(e) => panic!("{e}"),
        };
        prop_assert_eq!(framing, scanned);
        prop_assert_eq!(streamed(&n, &bytes), verify_bundle(&n.roster, &bytes).report);
    }
}
