//! `keys-example/` is what its README says: the Paris participants, with keys derived
//! from public strings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_core::{Roster, SecretKey};
use pacta_tests::workspace;
use sha2::Digest;

fn roster() -> Roster {
    Roster::from_toml(
        &std::fs::read_to_string(workspace().join("keys-example/roster.toml")).unwrap(),
    )
    .unwrap()
}

#[test]
fn every_member_has_its_documented_key() {
    let roster = roster();
    for member in roster.members() {
        let text =
            std::fs::read_to_string(workspace().join(format!("keys-example/{}.key", member.code)))
                .unwrap();
        let key = SecretKey::from_file_text(&text).unwrap();
        assert_eq!(key.public(), member.key, "{}", member.code);
        let seed: [u8; 32] =
            sha2::Sha256::digest(format!("pacta keys-example v1 {}", member.code)).into();
        assert_eq!(
            SecretKey::from_seed(&seed).public(),
            member.key,
            "{} is not derived as documented",
            member.code
        );
        assert!(text.contains("PUBLIC DEMONSTRATION KEY"), "{}", member.code);
        // A witnessing member's node key, derived the same way from its own string.
        let node_file = workspace().join(format!("keys-example/{}.node.key", member.code));
        match member.node_key {
            Some(listed) => {
                let node = SecretKey::from_file_text(&std::fs::read_to_string(&node_file).unwrap())
                    .unwrap();
                let seed: [u8; 32] =
                    sha2::Sha256::digest(format!("pacta keys-example v1 node {}", member.code))
                        .into();
                assert_eq!(node.public(), listed, "{}'s node key file", member.code);
                assert_eq!(
                    SecretKey::from_seed(&seed).public(),
                    listed,
                    "{} node key derivation",
                    member.code
                );
            }
            None => assert!(
                !node_file.exists(),
                "{} has a node key file but no node_key",
                member.code
            ),
        }
    }
    let names: Vec<String> = std::fs::read_dir(workspace().join("keys-example"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".key"))
        .collect();
    let member_keys = names.iter().filter(|n| !n.ends_with(".node.key")).count();
    let node_keys = names.iter().filter(|n| n.ends_with(".node.key")).count();
    assert_eq!(
        member_keys,
        roster.members().len(),
        "a key file without a member, or the reverse"
    );
    assert_eq!(
        node_keys,
        roster.nodes().count(),
        "the five witnessing demo nodes"
    );
}

#[test]
fn the_participants_of_6_january_2026() {
    let roster = roster();
    let codes: Vec<String> = roster.members().map(|m| m.code.to_string()).collect();
    // 35 states (27 heads of state or government, 4 ministers, 4 ambassadors), the EU,
    // NATO, and the United States, which took part without signing.
    let states = [
        "FR", "GB", "DE", "AL", "BE", "BG", "CA", "HR", "DK", "ES", "EE", "FI", "GR", "IS", "IT",
        "LV", "LT", "LU", "NO", "NL", "PT", "RO", "SI", "SE", "CZ", "PL", "UA", "AT", "TR", "CY",
        "IE", "JP", "AU", "ME", "NZ",
    ];
    assert_eq!(states.len(), 35);
    for code in states.iter().chain(&["EU", "NATO", "US"]) {
        assert!(codes.contains(&code.to_string()), "{code} missing");
    }
    assert_eq!(codes.len(), 38);
    let remark = |c: &str| {
        roster
            .member(c.parse().unwrap())
            .unwrap()
            .remark
            .clone()
            .unwrap_or_default()
    };
    assert!(remark("ME").starts_with("UNCERTAIN"));
    assert!(remark("NZ").starts_with("UNCERTAIN"));
    assert!(remark("US").contains("did not sign"));
    // The demo's nodes: FR, GB, UA, DE, US on 7001 and up.
    for (i, c) in ["FR", "GB", "UA", "DE", "US"].iter().enumerate() {
        assert_eq!(
            roster.member(c.parse().unwrap()).unwrap().node.port(),
            Some(7001 + i as u16),
            "{c}"
        );
    }
}

#[test]
fn the_demo_records_the_hash_of_the_official_text() {
    let text =
        std::fs::read(workspace().join("docs/declaration-de-paris-2026-01-06.fr.txt")).unwrap();
    let hash = hex::encode(sha2::Sha256::digest(&text));
    assert_eq!(
        hash,
        "304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565"
    );
    let scenario = std::fs::read_to_string(workspace().join("cli/src/scenario.rs")).unwrap();
    assert!(
        scenario.contains(&hash),
        "the demo scenario records another hash"
    );
}
