//! Property tests in the style of sled's `prop_tree_matches_btreemap`: build random
//! ledgers, tamper with one byte or one field at a random place, and check that
//! verification fails *at that place*.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

mod support;

use pacta_core::bundle;
use pacta_core::feed::Feed;
use pacta_core::ids::{EntryId, NetworkId, Seq, Timestamp};
use pacta_core::verify::verify_bundle;
use proptest::prelude::*;
use support::{CODES, Net, net};

/// A ledger of up to three feeds of 1 to 6 entries.
fn ledger(n: &Net, lens: &[u64]) -> Vec<Feed> {
    CODES
        .iter()
        .zip(lens)
        .map(|(c, &len)| n.feed(c, len))
        .collect()
}

#[derive(Debug, Clone)]
enum Field {
    Seq,
    Prev,
    TimeBackwards,
    Network,
    NonCanonicalPayload,
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Seq),
        Just(Field::Prev),
        Just(Field::TimeBackwards),
        Just(Field::Network),
        Just(Field::NonCanonicalPayload),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn one_flipped_byte_fails_at_its_entry(
        lens in proptest::collection::vec(1u64..6, 3),
        feed_pick in 0usize..3,
        entry_pick in any::<prop::sample::Index>(),
        byte_pick in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let n = net("tamper");
        let mut feeds = ledger(&n, &lens);
        let feed = &mut feeds[feed_pick];
        let k = entry_pick.index(feed.entries.len());
        let mut bytes = feed.entries[k].as_bytes().to_vec();
        let at = byte_pick.index(bytes.len());
        bytes[at] ^= mask;
        let place = format!("{} #{}", feed.member, k + 1);

        // Re-frame with the tampered bytes in place of entry k.
        let good = bundle::encode(n.roster.network_id(), &feeds, &[], None);
        let original = feeds[feed_pick].entries[k].as_bytes();
        let pos = good.windows(original.len()).position(|w| w == original).unwrap();
        let mut tampered = good.clone();
        tampered[pos..pos + original.len()].copy_from_slice(&bytes);

        let report = verify_bundle(&n.roster, &tampered).report;
        prop_assert!(!report.valid);
        prop_assert_eq!(&report.errors[0].place, &place, "{}", report.errors[0].message);
        prop_assert_eq!(report.errors.len(), 1);
    }

    #[test]
    fn one_resigned_field_fails_at_its_entry_for_its_reason(
        lens in proptest::collection::vec(2u64..6, 3),
        feed_pick in 0usize..3,
        entry_pick in any::<prop::sample::Index>(),
        field in field(),
        noise in any::<[u8; 32]>(),
    ) {
        let n = net("tamper");
        let mut feeds = ledger(&n, &lens);
        let member = feeds[feed_pick].member;
        // Position 2 or later, so that prev and time have something to contradict.
        let k = 1 + entry_pick.index(feeds[feed_pick].entries.len() - 1);
        let mut d = feeds[feed_pick].entries[k].to_draft();
        let expected = match field {
            Field::Seq => { d.seq = Seq(d.seq.0 + 1 + u64::from(noise[0])); "seq" }
            Field::Prev => { d.prev = Some(EntryId(noise)); "prev" }
            Field::TimeBackwards => {
                let before = feeds[feed_pick].entries[k - 1].header().time.millis();
                d.time = Timestamp::from_millis(before - 1 - u64::from(noise[0])).unwrap();
                "time"
            }
            Field::Network => { d.network = NetworkId(noise); "network" }
            Field::NonCanonicalPayload => {
                d.payload = format!("{{\"text\": \"{}\"}}", hex::encode(&noise[..4])).into_bytes();
                "payload"
            }
        };
        feeds[feed_pick].entries[k] = d.sign(&n.keys[&member]).unwrap();
        let report = verify_bundle(&n.roster, &bundle::encode(n.roster.network_id(), &feeds, &[], None)).report;
        prop_assert!(!report.valid);
        prop_assert_eq!(report.errors.len(), 1);
        prop_assert_eq!(&report.errors[0].place, &format!("{member} #{}", k + 1));
        prop_assert_eq!(report.errors[0].reason, expected, "{}", report.errors[0].message);
    }

    #[test]
    fn any_flipped_byte_fails_or_changes_nothing(
        lens in proptest::collection::vec(0u64..4, 3),
        byte_pick in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let n = net("tamper");
        let feeds = ledger(&n, &lens);
        let good = bundle::encode(n.roster.network_id(), &feeds, &[], None);
        let baseline = verify_bundle(&n.roster, &good).report;
        prop_assert!(baseline.valid);
        let mut bad = good.clone();
        let at = byte_pick.index(bad.len());
        bad[at] ^= mask;
        let report = verify_bundle(&n.roster, &bad).report;
        prop_assert!(!report.valid || report == baseline);
    }
}
