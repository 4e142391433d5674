//! Known-answer vectors: `core/vectors/vectors.json`.
//!
//! The file is checked in, so another implementation can be tested against it, and this
//! test recomputes every value from the fixed inputs and compares. After a deliberate
//! format change, regenerate it with `PACTA_WRITE_VECTORS=1 cargo test -p pacta-core
//! --test vectors` and review the diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_core::bundle;
use pacta_core::entry::{Draft, ENTRY_TAG};
use pacta_core::feed::Feed;
use pacta_core::fork::ForkProof;
use pacta_core::ids::{EntryId, Kind, MemberCode, NetworkId, Seq, Timestamp};
use pacta_core::roster::{Roster, network_preimage};
use pacta_core::verify::verify_bundle;
use pacta_core::{Entry, SecretKey};
use serde_json::{Value, json};

#[path = "support/craft.rs"]
mod craft;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/vectors.json");

fn seed(first: u8) -> [u8; 32] {
    std::array::from_fn(|i| first + i as u8)
}

fn roster_toml(fr: &SecretKey, gb: &SecretKey) -> String {
    format!(
        "network = \"pacta-test-vectors\"\n\n[[member]]\ncode = \"FR\"\nname = \"France\"\nkey = \"{}\"\nnode = \"https://fr.example\"\nprofile = \"fr-art53\"\n\n[[member]]\ncode = \"GB\"\nname = \"United Kingdom\"\nkey = \"{}\"\nnode = \"https://gb.example\"\nprofile = \"gb-crag2010\"\n",
        fr.public(),
        gb.public()
    )
}

fn draft(
    network: NetworkId,
    author: &str,
    seq: u64,
    prev: Option<EntryId>,
    ms: u64,
    payload: &str,
) -> Draft {
    Draft {
        network,
        author: author.parse().unwrap(),
        seq: Seq(seq),
        prev,
        time: Timestamp::from_millis(ms).unwrap(),
        kind: Kind::NOTE,
        payload: payload.as_bytes().to_vec(),
    }
}

fn entry_json(name: &str, d: &Draft, e: &Entry) -> Value {
    json!({
        "name": name,
        "author": d.author.as_str(),
        "seq": d.seq.0,
        "prev": d.prev.map(|p| p.to_string()),
        "time_ms": d.time.millis(),
        "kind": d.kind.as_str(),
        "payload_utf8": String::from_utf8(d.payload.clone()).unwrap(),
        "payload_hex": hex::encode(&d.payload),
        "payload_sha256": hex::encode(pacta_core::codec::sha256(&d.payload)),
        "signed_hex": hex::encode(e.signed_bytes()),
        "signature_hex": hex::encode(e.signature()),
        "entry_hex": hex::encode(e.as_bytes()),
        "id": e.id().to_string(),
    })
}

/// A bundle and the first failure (place, reason) a verifier must report, if any.
fn bundle_json(name: &str, roster: &Roster, bytes: &[u8]) -> Value {
    let report = verify_bundle(roster, bytes).report;
    let first = report
        .errors
        .first()
        .map(|f| json!({ "place": f.place, "reason": f.reason }));
    json!({
        "name": name,
        "bundle_hex": hex::encode(bytes),
        "valid": report.valid,
        "first_failure": first,
        "disputed": report.feeds.iter().filter(|f| f.disputed).map(|f| f.member.as_str()).collect::<Vec<_>>(),
        "heads": report.feeds.iter().filter_map(|f| f.head.map(|h| json!({"member": f.member.as_str(), "seq": h.seq.0, "id": h.id.to_string()}))).collect::<Vec<_>>(),
    })
}

/// Re-signs `d` after replacing `len` bytes at `offset` of its signed header.
fn resign_with(d: &Draft, key: &SecretKey, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut signed = d.signed_bytes().unwrap();
    edit(&mut signed);
    let mut out = signed.clone();
    out.extend_from_slice(&key.sign(&signed));
    out.extend_from_slice(&d.payload);
    out
}

fn build() -> Value {
    let fr = SecretKey::from_seed(&seed(0x01));
    let gb = SecretKey::from_seed(&seed(0x41));
    let toml = roster_toml(&fr, &gb);
    let roster = Roster::from_toml(&toml).unwrap();
    let net = roster.network_id();
    let preimage = network_preimage(
        roster.network_name(),
        roster.members().map(|m| (m.code, m.key)),
    );

    let t0 = 1_767_700_800_000; // 2026-01-06T12:00:00Z
    let d1 = draft(
        net,
        "FR",
        1,
        None,
        t0,
        r#"{"text":"Déclaration de Paris, 6 janvier 2026"}"#,
    );
    let e1 = d1.sign(&fr).unwrap();
    let d2 = draft(
        net,
        "FR",
        2,
        Some(e1.id()),
        t0 + 60_000,
        r#"{"text":"Line one\nline \"two\""}"#,
    );
    let e2 = d2.sign(&fr).unwrap();
    let d3 = draft(net, "GB", 1, None, t0 + 1, r#"{"text":"CRaG 2010"}"#);
    let e3 = d3.sign(&gb).unwrap();
    // FR equivocates: a different #2 with the same prev.
    let d2x = draft(
        net,
        "FR",
        2,
        Some(e1.id()),
        t0 + 60_000,
        r#"{"text":"A different second entry"}"#,
    );
    let e2x = d2x.sign(&fr).unwrap();

    let feeds = |fr_entries: Vec<Entry>| {
        vec![
            Feed {
                member: "FR".parse::<MemberCode>().unwrap(),
                entries: fr_entries,
            },
            Feed {
                member: "GB".parse().unwrap(),
                entries: vec![e3.clone()],
            },
        ]
    };
    let valid = bundle::encode(net, &feeds(vec![e1.clone(), e2.clone()]), &[], None);
    let fork = ForkProof::new(e2.clone(), e2x.clone()).unwrap();
    let forked = bundle::encode(net, &feeds(vec![e1.clone(), e2.clone()]), &[fork], None);
    let reordered = bundle::encode(net, &feeds(vec![e2.clone(), e1.clone()]), &[], None);
    let other_net = draft(
        NetworkId([0xee; 32]),
        "FR",
        1,
        None,
        t0,
        r#"{"text":"Déclaration de Paris, 6 janvier 2026"}"#,
    )
    .sign(&fr)
    .unwrap();
    let foreign = bundle::encode(net, &feeds(vec![other_net]), &[], None);
    // FR #1 signed with a torsion component of order 8 in R: valid under the
    // cofactored rule of format version 2, refused by version 1's `verify_strict`.
    let torsion_r = {
        let sig = craft::Signer::from_seed(&seed(0x01))
            .sign_with_r_torsion(e1.signed_bytes(), craft::t8());
        let mut bytes = e1.signed_bytes().to_vec();
        bytes.extend_from_slice(&sig);
        bytes.extend_from_slice(e1.payload());
        Entry::decode(&bytes).unwrap()
    };
    let torsioned = bundle::encode(net, &feeds(vec![torsion_r]), &[], None);

    // Invalid single entries, each with the reason a verifier must give.
    let mut bad_sig = e1.as_bytes().to_vec();
    let sig_at = e1.signed_bytes().len();
    bad_sig[sig_at] ^= 0x01;
    let mut bad_payload = e1.as_bytes().to_vec();
    *bad_payload.last_mut().unwrap() ^= 0x01;
    let mut trailing = e1.as_bytes().to_vec();
    trailing.push(0);
    let spaced = draft(net, "FR", 1, None, t0, r#"{ "text": "spaced" }"#)
        .sign(&fr)
        .unwrap();
    let unknown_kind = {
        let mut d = d1.clone();
        d.kind = "vote".parse().unwrap();
        d.sign(&fr).unwrap()
    };
    // Header edits, re-signed so that only the edited rule fails.
    let bad_tag = resign_with(&d1, &fr, |s| s[0] = b'P');
    let bad_version = resign_with(&d1, &fr, |s| s[12] = 1);
    let seq_zero = resign_with(&d1, &fr, |s| s[45 + 3..45 + 3 + 8].copy_from_slice(&[0; 8]));
    let lower_author = resign_with(&d1, &fr, |s| s[46..48].copy_from_slice(b"fr"));
    // A non-canonical S (S + L) must fail (SPEC 4.2 rule 1).
    let s_plus_l = {
        let mut bytes = e1.as_bytes().to_vec();
        let l: [u8; 32] =
            hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
                .unwrap()
                .try_into()
                .unwrap();
        let s = &mut bytes[sig_at + 32..sig_at + 64];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(s[i]) + u16::from(l[i]) + carry;
            s[i] = sum as u8;
            carry = sum >> 8;
        }
        bytes
    };
    let invalid = [
        ("signature bit flipped", bad_sig, "signature"),
        ("payload altered after signing", bad_payload, "decode"),
        ("trailing byte", trailing, "decode"),
        (
            "non-canonical JSON payload (validly signed)",
            spaced.as_bytes().to_vec(),
            "payload",
        ),
        (
            "unknown kind (validly signed)",
            unknown_kind.as_bytes().to_vec(),
            "payload",
        ),
        ("wrong domain tag (validly signed)", bad_tag, "decode"),
        ("format version 1 (validly signed)", bad_version, "decode"),
        ("sequence number 0 (validly signed)", seq_zero, "decode"),
        ("lowercase author (validly signed)", lower_author, "decode"),
        ("signature with S + L, not reduced", s_plus_l, "signature"),
    ];
    let invalid: Vec<Value> = invalid
        .iter()
        .map(|(name, bytes, reason)| {
            let one = bundle::encode(net, &[], &[], None);
            // Frame the raw bytes by hand: the encoder only takes well-formed entries.
            // Drop the empty bundle's feed count, fork count and checkpoint length.
            let mut framed = one[..one.len() - 12].to_vec();
            framed.extend_from_slice(&1u32.to_be_bytes());
            framed.extend_from_slice(&[2, b'F', b'R']);
            framed.extend_from_slice(&1u32.to_be_bytes());
            framed.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            framed.extend_from_slice(bytes);
            framed.extend_from_slice(&0u32.to_be_bytes()); // no forks
            framed.extend_from_slice(&0u32.to_be_bytes()); // no checkpoint
            let report = verify_bundle(&roster, &framed).report;
            assert_eq!(report.errors.len(), 1, "{name}: {:?}", report.errors);
            assert_eq!(report.errors[0].reason, *reason, "{name}: {}", report.errors[0].message);
            assert_eq!(report.errors[0].place, "FR #1", "{name}");
            json!({ "name": name, "entry_hex": hex::encode(bytes), "place": "FR #1", "reason": reason, "message": report.errors[0].message })
        })
        .collect();

    // The feed limit (SPEC 3.1 [limits], section 5 rule 9): the same network (limits
    // are not in the network id), at most 2 entries of a feed per 60-second window.
    let limited_toml = format!("{toml}\n[limits]\nfeed_entries = 2\nwindow_seconds = 60\n");
    let limited = Roster::from_toml(&limited_toml).unwrap();
    assert_eq!(limited.network_id(), net);
    let chain = |times: &[u64]| {
        let mut prev = None;
        let mut out = Vec::new();
        for (i, ms) in times.iter().enumerate() {
            let text = format!(r#"{{"text":"limited {}"}}"#, i + 1);
            let e = draft(net, "FR", i as u64 + 1, prev, *ms, &text)
                .sign(&fr)
                .unwrap();
            prev = Some(e.id());
            out.push(e);
        }
        out
    };
    // t0 is a multiple of 60,000 ms: it starts a window.
    let within = chain(&[t0, t0 + 59_999, t0 + 60_000, t0 + 60_001]);
    let flood = chain(&[t0, t0 + 1_000, t0 + 59_999]);
    let limited_bundles = vec![
        bundle_json(
            "2 per window, then the next window: valid",
            &limited,
            &bundle::encode(net, &feeds(within), &[], None),
        ),
        bundle_json(
            "a third entry in one window: flood at FR #3",
            &limited,
            &bundle::encode(net, &feeds(flood), &[], None),
        ),
    ];

    json!({
        "about": "Pacta known-answer vectors, entry format version 2. See SPEC.md. Generated by core/tests/vectors.rs; keys are public test keys.",
        "entry_tag_hex": hex::encode(ENTRY_TAG),
        "keys": [
            { "member": "FR", "seed_hex": hex::encode(seed(0x01)), "public_hex": fr.public().to_string() },
            { "member": "GB", "seed_hex": hex::encode(seed(0x41)), "public_hex": gb.public().to_string() },
        ],
        "roster": { "toml": toml, "network_preimage_hex": hex::encode(preimage), "network_id": net.to_string() },
        "entries": [
            entry_json("FR #1, first entry of a feed, non-ASCII text", &d1, &e1),
            entry_json("FR #2, names #1 as prev, escaped characters", &d2, &e2),
            entry_json("GB #1", &d3, &e3),
            entry_json("FR #2 again, conflicting: a fork with the FR #2 above", &d2x, &e2x),
        ],
        "bundles": [
            bundle_json("valid: FR #1-#2, GB #1", &roster, &valid),
            bundle_json("valid with a fork proof against FR at #2", &roster, &forked),
            bundle_json("reordered: FR #2 before FR #1", &roster, &reordered),
            bundle_json("an FR entry signed for another network", &roster, &foreign),
            bundle_json("valid: FR #1 whose signature's R has a torsion component of order 8 (refused by format version 1), GB #1", &roster, &torsioned),
        ],
        "invalid_entries": invalid,
        "limited_roster": { "toml": limited_toml },
        "limited_bundles": limited_bundles,
    })
}

#[test]
fn known_answer_vectors() {
    let computed = build();
    if std::env::var_os("PACTA_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&computed).unwrap() + "\n";
        std::fs::write(PATH, text).unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(
        stored, computed,
        "vectors changed; if the format change is deliberate, regenerate (see module docs)"
    );
}

#[test]
fn stored_vectors_verify_on_their_own() {
    // Independently of how they were built: every stored entry decodes to the stored id
    // and fields, and every stored bundle gives the stored verdict.
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let roster = Roster::from_toml(stored["roster"]["toml"].as_str().unwrap()).unwrap();
    assert_eq!(
        roster.network_id().to_string(),
        stored["roster"]["network_id"]
    );
    for v in stored["entries"].as_array().unwrap() {
        let e = Entry::decode(&hex::decode(v["entry_hex"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(e.id().to_string(), v["id"]);
        assert_eq!(hex::encode(e.signed_bytes()), v["signed_hex"]);
        assert_eq!(e.seq().0, v["seq"]);
        let key = roster.member(e.author()).unwrap().key;
        assert!(e.signature_verifies(&key));
    }
    let expect = [
        (true, None),
        (true, None),
        (false, Some(("FR #1", "seq"))),
        (false, Some(("FR #1", "network"))),
        (true, None),
    ];
    for (v, (valid, failure)) in stored["bundles"].as_array().unwrap().iter().zip(expect) {
        let report = verify_bundle(
            &roster,
            &hex::decode(v["bundle_hex"].as_str().unwrap()).unwrap(),
        )
        .report;
        assert_eq!(report.valid, valid, "{}", v["name"]);
        assert_eq!(v["valid"], valid);
        let first = report.errors.first().map(|f| (f.place.as_str(), f.reason));
        assert_eq!(first, failure, "{}", v["name"]);
    }
    assert_eq!(stored["bundles"][1]["disputed"], json!(["FR"]));
}
