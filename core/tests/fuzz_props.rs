//! The fuzz targets as property tests, so that `cargo test` on stable Rust runs every
//! oracle of `pacta_core::fuzz_check` (the same functions `fuzz/` hands to libFuzzer):
//!
//! - on random bytes and random text, which mostly exercise the error paths;
//! - on valid encodings (real signed entries, payloads of every kind, a bundle with a
//!   fork and a cosigned checkpoint, a proof, a roster, the HTTP bodies) with random
//!   mutations: byte flips, truncation, extension, insertion, removal, splicing from
//!   another valid input, length fields overwritten, lines dropped, doubled or swapped.
//!   Many mutants still decode, so the round-trip checks run, not only the refusals;
//! - on every file of the seed corpora under `fuzz/corpus/`.
//!
//! The seed corpora are written from the same valid encodings:
//! `cargo test -p pacta-core --test fuzz_props -- --ignored write_seed_corpus`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use pacta_core::checkpoint::{Checkpoint, CheckpointHead, verify_checkpoint};
use pacta_core::date::Date;
use pacta_core::entry::{Draft, MAX_ENTRY};
use pacta_core::feed::Feed;
use pacta_core::fork::ForkProof;
use pacta_core::fuzz_check::{self, FEED_MEMBERS, HTTP_BODIES, PAYLOAD_KINDS, TARGETS, fixture};
use pacta_core::ids::{EntryId, Kind, MemberCode, Seq, Timestamp};
use pacta_core::note::{Note, Signature};
use pacta_core::payload::{KeyRotation, Payload};
use pacta_core::proof::{prove, verify_proof};
use pacta_core::verify::verify_bundle;
use pacta_core::wire;
use pacta_core::{Entry, SecretKey, bundle};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus");
/// The demo roster, as a seed for the roster target.
const EXAMPLE_ROSTER: &str = include_str!("../../keys-example/roster.toml");

// ---------------------------------------------------------------------------------
// Valid inputs for every target, built once.

/// Valid inputs, target by target, each in the form its check takes.
struct Seeds {
    by_target: BTreeMap<&'static str, Vec<Vec<u8>>>,
    /// Payloads of every kind as JSON values, for value-level mutations.
    values: Vec<(Kind, Value)>,
}

impl Seeds {
    fn of(&self, target: &str) -> &[Vec<u8>] {
        &self.by_target[target]
    }
}

static SEEDS: LazyLock<Seeds> = LazyLock::new(build_seeds);

fn code(s: &str) -> MemberCode {
    s.parse().unwrap()
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

/// 2026-11-20T00:00:00Z: entries are recorded after the acts they describe.
const RECORDED_FROM_MS: u64 = 1_795_132_800_000;

/// Appends signed entries to the fixture network's feeds.
#[derive(Default)]
struct Ledger {
    feeds: BTreeMap<MemberCode, Vec<Entry>>,
    forks: Vec<ForkProof>,
    clock: u64,
}

impl Ledger {
    fn draft(&mut self, member: &str, kind: Kind, payload: Vec<u8>) -> Draft {
        let feed = self.feeds.entry(code(member)).or_default();
        self.clock += 1000;
        Draft {
            network: fixture().roster.network_id(),
            author: code(member),
            seq: Seq(feed.len() as u64 + 1),
            prev: feed.last().map(Entry::id),
            time: Timestamp::from_millis(RECORDED_FROM_MS + self.clock).unwrap(),
            kind,
            payload,
        }
    }

    fn add_payload(&mut self, member: &str, payload: &Payload) -> EntryId {
        let draft = self.draft(member, payload.kind(), payload.encode());
        let entry = draft.sign(&fixture().keys[&code(member)]).unwrap();
        let id = entry.id();
        self.feeds.entry(code(member)).or_default().push(entry);
        id
    }

    fn add(&mut self, member: &str, kind: &str, body: Value) -> EntryId {
        let payload = Payload::from_json(kind.parse().unwrap(), body).unwrap();
        self.add_payload(member, &payload)
    }

    /// Two different notes at `member`'s next position: the feed keeps the first.
    fn fork(&mut self, member: &str) {
        let note = |t: &str| Payload::from_json(Kind::NOTE, json!({ "text": t })).unwrap();
        let a = self.draft(member, Kind::NOTE, note("side a").encode());
        let b = Draft {
            payload: note("side b").encode(),
            ..a.clone()
        };
        let key = &fixture().keys[&code(member)];
        let (a, b) = (a.sign(key).unwrap(), b.sign(key).unwrap());
        self.forks.push(ForkProof::new(a.clone(), b).unwrap());
        self.feeds.entry(code(member)).or_default().push(a);
    }

    fn feeds(&self) -> Vec<Feed> {
        self.feeds
            .iter()
            .map(|(m, e)| Feed {
                member: *m,
                entries: e.clone(),
            })
            .collect()
    }
}

/// A valid payload of every kind, as JSON (the references need not exist).
fn payload_values() -> Vec<(Kind, Value)> {
    let id = EntryId([0x11; 32]).to_string();
    let other = EntryId([0x22; 32]).to_string();
    let key = |n: u8| SecretKey::from_seed(&[n; 32]).public().to_string();
    let network = fixture().roster.network_id();
    let rotation = KeyRotation::new(network, code("UA"), Seq(9), &SecretKey::from_seed(&[9; 32]));
    let values = [
        (
            "note",
            json!({"text": "A note (fuzz)\nwith a second line", "illustrative": true}),
        ),
        ("instrument", treaty_value()),
        (
            "commitment",
            json!({
                "instrument": id, "pillar": "armed-forces-support", "description": "Training",
                "quantity": {"amount": "up to 2,000", "unit": "instructors"},
                "conditions": ["after a ceasefire"], "date": "2026-01-06"
            }),
        ),
        (
            "signature",
            json!({
                "instrument": id, "type": "ad-referendum", "date": "2026-01-06",
                "signatory": "A minister"
            }),
        ),
        (
            "procedure-step",
            json!({
                "instrument": id, "step": "rada-vote", "body": "Verkhovna Rada",
                "action": "adopts the law of ratification", "date": "2026-03-10",
                "votes": {"for": 305, "against": 12, "abstaining": 9},
                "threshold": "a majority of the constitutional composition",
                "result": "passed", "reference": "Bill 1234"
            }),
        ),
        (
            "consent",
            json!({
                "instrument": id, "means": "ratification", "date": "2026-03-20",
                "declarations": ["a declaration"], "reservations": ["a reservation"],
                "procedure": "generic"
            }),
        ),
        (
            "deposit-receipt",
            json!({
                "instrument": id, "member": "GB", "consent": other, "date": "2026-03-21"
            }),
        ),
        (
            "provisional-application",
            json!({
                "instrument": id, "date": "2026-03-22", "scope": "Articles 1 to 3"
            }),
        ),
        (
            "withdrawal",
            json!({
                "instrument": id, "notified": "2026-04-01", "effective": "2027-04-01"
            }),
        ),
        (
            "correction",
            json!({
                "entry": id, "reason": "a typo", "kind": "signature",
                "payload": {"instrument": other, "type": "definitive", "date": "2026-01-07"}
            }),
        ),
        ("key-rotation", serde_json::to_value(&rotation).unwrap()),
        (
            "key-revocation",
            json!({
                "member": "GB", "key": key(1), "after": 3, "replacement": key(2),
                "reason": "the key was lost"
            }),
        ),
        (
            "admission",
            json!({
                "code": "PL", "name": "Poland", "key": key(3), "node": "https://pl.example:7200/",
                "profile": "generic", "node_key": key(4)
            }),
        ),
        (
            "signature-confirmation",
            json!({"instrument": id, "signature": other, "date": "2026-02-01"}),
        ),
        (
            "deposit-return",
            json!({
                "instrument": id, "member": "GB", "consent": other, "date": "2026-03-22",
                "reason": "the instrument is not signed by the Head of State"
            }),
        ),
        (
            "intention-not-to-be-party",
            json!({"instrument": id, "date": "2026-05-01"}),
        ),
    ];
    values
        .into_iter()
        .map(|(k, v)| (k.parse().unwrap(), v))
        .collect()
}

/// The legal instrument the seed ledger registers.
fn treaty_value() -> Value {
    json!({
        "short": "guarantees", "title": "Treaty on guarantees (fuzz)", "nature": "legal",
        "adopted": "2026-03-02", "text_sha256": EntryId([0x33; 32]).to_string(),
        "parties": ["FR", "GB", "UA"], "depositary": "FR",
        "consent_means": ["signature", "ratification"],
        "entry_into_force": {"rule": "after-deposits", "deposits": 1, "days": 30},
        "withdrawal": {"rule": "after-notice", "months": 12}
    })
}

/// A ledger with every kind of entry, a fork and (returned) a cosigned checkpoint.
fn seed_ledger() -> (Ledger, String) {
    let mut l = Ledger::default();
    let t = l.add("FR", "instrument", treaty_value());
    l.add(
        "FR",
        "signature",
        json!({"instrument": t, "type": "definitive", "date": "2026-03-02"}),
    );
    l.add(
        "GB",
        "signature",
        json!({"instrument": t, "type": "subject-to-ratification", "date": "2026-03-02"}),
    );
    let gb = pacta_core::profile::profile("gb-crag2010").unwrap();
    for step in gb.required() {
        let result = if step.threshold == pacta_core::profile::Threshold::None {
            "completed"
        } else {
            "passed"
        };
        l.add(
            "GB",
            "procedure-step",
            json!({
                "instrument": t, "step": step.id, "body": "Parliament", "action": "an action",
                "date": "2026-03-10", "result": result
            }),
        );
    }
    let consent = l.add(
        "GB",
        "consent",
        json!({"instrument": t, "means": "ratification", "date": "2026-03-20"}),
    );
    l.add(
        "FR",
        "deposit-receipt",
        json!({"instrument": t, "member": "GB", "consent": consent, "date": "2026-03-21"}),
    );
    let note = l.add("FR", "note", json!({"text": "Deposit ceremony held"}));
    l.add(
        "FR",
        "correction",
        json!({
            "entry": note, "reason": "wrong word", "kind": "note",
            "payload": {"text": "Deposit ceremony held in Paris"}
        }),
    );
    l.add(
        "UA",
        "commitment",
        json!({
            "instrument": t, "pillar": "multinational-force", "description": "Host the force",
            "date": "2026-01-06"
        }),
    );
    l.add(
        "UA",
        "provisional-application",
        json!({"instrument": t, "date": "2026-04-01"}),
    );
    l.add("FR", "key-revocation", json!({
        "member": "UA", "key": fixture().keys[&code("UA")].public().to_string(), "after": 5,
        "replacement": SecretKey::from_seed(&[5; 32]).public().to_string(), "reason": "pending only"
    }));
    l.add("FR", "admission", json!({
        "code": "PL", "name": "Poland", "key": SecretKey::from_seed(&[6; 32]).public().to_string(),
        "node": "http://127.0.0.1:7200", "profile": "generic"
    }));
    let seq = Seq(l.feeds[&code("UA")].len() as u64 + 1);
    let rotation = KeyRotation::new(
        fixture().roster.network_id(),
        code("UA"),
        seq,
        &SecretKey::from_seed(&[7; 32]),
    );
    l.add_payload("UA", &Payload::KeyRotation(rotation));
    l.add("GB", "note", json!({"text": "GB's last word"}));
    l.fork("GB");
    let checkpoint = cosigned_checkpoint(&l, "FR", &["GB", "UA"]);
    (l, checkpoint)
}

/// A checkpoint of the ledger's heads by `node`, cosigned by `cosigners`.
fn cosigned_checkpoint(l: &Ledger, node: &str, cosigners: &[&str]) -> String {
    let f = fixture();
    let heads = l
        .feeds
        .iter()
        .map(|(m, e)| {
            let last = e.last().unwrap();
            (
                *m,
                CheckpointHead {
                    seq: last.seq(),
                    id: last.id(),
                },
            )
        })
        .collect();
    let time = Timestamp::from_millis(RECORDED_FROM_MS + l.clock + 5_000).unwrap();
    let cp = Checkpoint::new(&f.roster, code(node), time, heads);
    let mut note = cp.sign(&f.roster, &f.node_keys[&code(node)]);
    for c in cosigners {
        let name = Checkpoint::key_name(&f.roster, code(c));
        let secs = time.millis() / 1000 + 1;
        note.signatures.push(Signature::cosign(
            &name,
            &f.node_keys[&code(c)],
            &note.text,
            secs,
        ));
    }
    note.to_text()
}

fn build_seeds() -> Seeds {
    let f = fixture();
    let values = payload_values();
    let (ledger, checkpoint) = seed_ledger();
    let feeds = ledger.feeds();
    let all_entries: Vec<&Entry> = feeds.iter().flat_map(|f| &f.entries).collect();
    let bundle = bundle::encode(
        f.roster.network_id(),
        &feeds,
        &ledger.forks,
        Some(checkpoint.as_bytes()),
    );
    let verified = verify_bundle(&f.roster, &bundle);
    assert!(verified.report.valid, "{:?}", verified.report.errors);
    let plain_bundle = bundle::encode(f.roster.network_id(), &feeds[..1], &[], None);

    let mut by_target: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    by_target.insert(
        "entry",
        all_entries.iter().map(|e| e.as_bytes().to_vec()).collect(),
    );
    by_target.insert("payload", payload_inputs(&values, &all_entries));
    by_target.insert("bundle", vec![bundle.clone(), plain_bundle]);
    by_target.insert("feed", feed_inputs(&feeds));
    by_target.insert("proof", proofs(&verified.ledger));
    let body = Note::parse(checkpoint.as_bytes()).unwrap().text;
    by_target.insert(
        "checkpoint",
        vec![checkpoint.clone().into_bytes(), body.into_bytes()],
    );
    by_target.insert("note", notes(&checkpoint));
    by_target.insert("roster", rosters());
    by_target.insert("http_bodies", http_bodies(&ledger));
    by_target.insert("ids", ids());
    Seeds { by_target, values }
}

/// The payload target's input: the kind's selector byte, then the payload.
fn payload_input(kind: Kind, bytes: &[u8]) -> Vec<u8> {
    let pick = PAYLOAD_KINDS
        .iter()
        .position(|k| *k == kind.as_str())
        .unwrap();
    let mut out = vec![pick as u8];
    out.extend_from_slice(bytes);
    out
}

fn payload_inputs(values: &[(Kind, Value)], entries: &[&Entry]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = values
        .iter()
        .map(|(k, v)| payload_input(*k, &Payload::from_json(*k, v.clone()).unwrap().encode()))
        .collect();
    out.extend(
        entries
            .iter()
            .map(|e| payload_input(e.header().kind, e.payload())),
    );
    out.sort();
    out.dedup();
    out
}

fn feed_inputs(feeds: &[Feed]) -> Vec<Vec<u8>> {
    feeds
        .iter()
        .map(|feed| {
            let pick = FEED_MEMBERS
                .iter()
                .position(|m| *m == feed.member.as_str())
                .unwrap();
            let raw: Vec<&[u8]> = feed.entries.iter().map(Entry::as_bytes).collect();
            let mut out = vec![pick as u8];
            out.extend(fuzz_check::feed_frames(&raw));
            out
        })
        .collect()
}

/// Proofs of GB's and FR's status, which rest on different feeds.
fn proofs(ledger: &pacta_core::verify::Ledger) -> Vec<Vec<u8>> {
    let roster = &fixture().roster;
    ["GB", "FR"]
        .iter()
        .map(|m| {
            let (_, bytes) =
                prove(roster, ledger, code(m), "guarantees", day("2026-11-22")).unwrap();
            verify_proof(roster, &bytes).unwrap();
            bytes
        })
        .collect()
}

fn notes(checkpoint: &str) -> Vec<Vec<u8>> {
    let key = SecretKey::from_seed(&[8; 32]);
    let text = "example.com/log\n5\nAAAA\n";
    let note = Note {
        text: text.into(),
        signatures: vec![
            Signature::sign("example.com/log", &key, text),
            Signature::cosign("witness", &key, text, 1_700_000_000),
        ],
    };
    vec![checkpoint.as_bytes().to_vec(), note.to_text().into_bytes()]
}

fn rosters() -> Vec<Vec<u8>> {
    let mut with_options = fixture().toml.clone();
    with_options.insert_str(
        with_options.find('\n').unwrap() + 1,
        "description = \"with \\\"quotes\\\" and \\u00e9\"\n",
    );
    with_options.push_str("remark = 'literal'\n\n[quorum]\nnodes = 2\nmembers = 1\n");
    vec![
        fixture().toml.clone().into_bytes(),
        with_options.into_bytes(),
        EXAMPLE_ROSTER.as_bytes().to_vec(),
    ]
}

/// The http_bodies target's input: the body's selector byte, then its JSON.
fn body_input<T: serde::Serialize>(name: &str, value: &T) -> Vec<u8> {
    let pick = HTTP_BODIES.iter().position(|b| *b == name).unwrap();
    let mut out = vec![pick as u8];
    out.extend(serde_json::to_vec(value).unwrap());
    out
}

fn http_bodies(ledger: &Ledger) -> Vec<Vec<u8>> {
    let fr = &ledger.feeds[&code("FR")];
    let hex = |e: &Entry| wire::HexBytes(e.as_bytes().to_vec());
    let head = wire::Head {
        seq: fr[1].seq(),
        id: fr[1].id(),
    };
    let fork = &ledger.forks[0];
    let summary = wire::ForkSummary::from(fork);
    let accepted = |outcome| wire::Accepted {
        member: code("FR"),
        seq: Seq(1),
        id: fr[0].id(),
        outcome,
    };
    let heads: BTreeMap<MemberCode, wire::Head> = ledger
        .feeds
        .iter()
        .map(|(m, e)| {
            (
                *m,
                wire::Head {
                    seq: e.last().unwrap().seq(),
                    id: e.last().unwrap().id(),
                },
            )
        })
        .collect();
    vec![
        body_input(
            "Submit",
            &wire::Submit {
                entries: fr[..2].iter().map(hex).collect(),
            },
        ),
        body_input(
            "SubmitOk",
            &wire::SubmitOk {
                accepted: vec![
                    accepted(wire::Outcome::Stored),
                    accepted(wire::Outcome::Duplicate),
                ],
            },
        ),
        body_input(
            "ApiError",
            &wire::ApiError {
                error: "a gap".into(),
                reason: "gap".into(),
                index: Some(1),
                accepted: vec![accepted(wire::Outcome::Stored)],
                head: Some(head),
                fork: Some(summary),
            },
        ),
        body_input(
            "Heads",
            &wire::Heads {
                network: fixture().roster.network_id(),
                heads,
                forks: vec![summary],
            },
        ),
        body_input(
            "FeedPage",
            &wire::FeedPage {
                member: code("FR"),
                from: Seq(1),
                entries: fr[..2].iter().map(hex).collect(),
                head: Some(head),
            },
        ),
        body_input(
            "Forks",
            &wire::Forks {
                forks: vec![wire::ForkEntries::from(fork)],
                next: Some(wire::ForkCursor {
                    member: fork.member(),
                    from: Seq(fork.seq().0 + 1),
                }),
            },
        ),
        body_input("ForkEntries", &wire::ForkEntries::from(fork)),
        body_input("ForkSummary", &summary),
        body_input("Head", &head),
        body_input("Accepted", &accepted(wire::Outcome::Stored)),
        body_input("Outcome", &wire::Outcome::Duplicate),
    ]
}

fn ids() -> Vec<Vec<u8>> {
    let key = fixture().keys[&code("FR")].public();
    let texts = [
        "FR".to_owned(),
        "NATO".to_owned(),
        "deposit-receipt".to_owned(),
        EntryId([0xab; 32]).to_string(),
        key.to_string(),
        "2026-01-06".to_owned(),
        "2028-02-29".to_owned(),
        "\"FR\"".to_owned(),
        "\"2026-01-06\"".to_owned(),
        "42".to_owned(),
        format!("# fuzz\n\nsecret-key: {}\n", "cd".repeat(32)),
    ];
    let mut out: Vec<Vec<u8>> = texts.into_iter().map(String::into_bytes).collect();
    out.push(key.to_bytes().to_vec());
    out.push(1_767_700_800_000u64.to_be_bytes().to_vec());
    // 2024-02-29, plus 365 days, plus 12 months.
    out.push([0x07, 0xe8, 2, 29, 0, 0, 1, 109, 0, 0, 0, 12].to_vec());
    out
}

// ---------------------------------------------------------------------------------
// Mutations.

/// One change to a valid input.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Cut the input short.
    Truncate(Index),
    /// Append bytes.
    Extend(Vec<u8>),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// Overwrite four bytes (a length field, a count) with a value.
    Word(Index, u32),
    /// Copy up to n bytes from another valid input of the same target.
    Splice(Index, Index, usize),
    DropLine(Index),
    DupLine(Index),
    SwapLines(Index, Index),
}

fn word() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(0xff),
        Just(0x100),
        Just(0xffff),
        Just(0x1_0000),
        Just(MAX_ENTRY as u32),
        Just(MAX_ENTRY as u32 + 1),
        Just(u32::MAX),
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => proptest::collection::vec(any::<u8>(), 1..16).prop_map(Mutation::Extend),
        1 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1usize..32).prop_map(|(i, n)| Mutation::Remove(i, n)),
        2 => (any::<Index>(), word()).prop_map(|(i, w)| Mutation::Word(i, w)),
        1 => (any::<Index>(), any::<Index>(), 1usize..256)
            .prop_map(|(i, j, n)| Mutation::Splice(i, j, n)),
        1 => any::<Index>().prop_map(Mutation::DropLine),
        1 => any::<Index>().prop_map(Mutation::DupLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Mutation::SwapLines(i, j)),
    ]
}

/// Up to three mutations; none at all one time in five, so valid inputs are checked too.
fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop_oneof![
        1 => Just(Vec::new()),
        4 => proptest::collection::vec(mutation(), 1..4),
    ]
}

/// `i` as a position in `0..n` (0 when `n` is 0).
fn at(i: &Index, n: usize) -> usize {
    if n == 0 { 0 } else { i.index(n) }
}

fn apply(data: &mut Vec<u8>, donor: &[u8], m: &Mutation) {
    match m {
        Mutation::Flip(i, mask) if !data.is_empty() => {
            let p = at(i, data.len());
            data[p] ^= mask;
        }
        Mutation::Flip(..) => {}
        Mutation::Truncate(i) => data.truncate(at(i, data.len())),
        Mutation::Extend(bytes) => data.extend_from_slice(bytes),
        Mutation::Insert(i, bytes) => {
            let p = at(i, data.len() + 1);
            data.splice(p..p, bytes.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let p = at(i, data.len());
            let end = (p + n).min(data.len());
            data.drain(p..end);
        }
        Mutation::Word(i, w) => {
            let p = at(i, data.len().saturating_sub(3));
            let end = (p + 4).min(data.len());
            data.splice(p..end, w.to_be_bytes());
        }
        Mutation::Splice(i, j, n) => {
            let from = at(j, donor.len());
            let piece = &donor[from..(from + n).min(donor.len())];
            let p = at(i, data.len());
            let end = (p + piece.len()).min(data.len());
            data.splice(p..end, piece.iter().copied());
        }
        Mutation::DropLine(i) => edit_lines(data, |lines| {
            let p = at(i, lines.len());
            lines.remove(p);
        }),
        Mutation::DupLine(i) => edit_lines(data, |lines| {
            let p = at(i, lines.len());
            lines.insert(p, lines[p].clone());
        }),
        Mutation::SwapLines(i, j) => edit_lines(data, |lines| {
            let (p, q) = (at(i, lines.len()), at(j, lines.len()));
            lines.swap(p, q);
        }),
    }
}

/// Edits the input as lines ending in '\n' (the last may not).
fn edit_lines(data: &mut Vec<u8>, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let mut lines: Vec<Vec<u8>> = data
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        return;
    }
    edit(&mut lines);
    *data = lines.concat();
}

/// A valid input of `target`, mutated.
fn mutant(target: &str, pick: &Index, donor: &Index, ms: &[Mutation]) -> Vec<u8> {
    let seeds = SEEDS.of(target);
    let mut data = seeds[pick.index(seeds.len())].clone();
    let donor = &seeds[donor.index(seeds.len())];
    for m in ms {
        apply(&mut data, donor, m);
    }
    data
}

// ---------------------------------------------------------------------------------
// The properties.

/// Runs `target`'s check on a mutant of one of its valid inputs.
fn check_mutant(target: &str, pick: &Index, donor: &Index, ms: &[Mutation]) {
    let check = fuzz_check::target(target).unwrap();
    check(&mutant(target, pick, donor, ms));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_break_a_check(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        for (_, check) in TARGETS {
            check(&data);
        }
    }

    #[test]
    fn random_text_never_breaks_a_check(text in "[ -~\n\u{2014}\u{e9}]{0,300}") {
        for (_, check) in TARGETS {
            check(text.as_bytes());
        }
    }

    #[test]
    fn mutated_entries(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("entry", &pick, &donor, &ms);
    }

    #[test]
    fn mutated_payloads(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("payload", &pick, &donor, &ms);
    }

    #[test]
    fn mutated_notes(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("note", &pick, &donor, &ms);
    }

    #[test]
    fn mutated_http_bodies(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("http_bodies", &pick, &donor, &ms);
    }

    #[test]
    fn mutated_ids(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("ids", &pick, &donor, &ms);
    }

    #[test]
    fn generated_ids(
        s in prop_oneof![
            "[A-Z]{0,9}",
            "[a-z][a-z0-9-]{0,33}",
            "[0-9a-fA-F]{62,66}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}",
            "(# [a-z ]{0,8}\n)?secret-key: [0-9a-f]{64}\n?",
        ],
    ) {
        fuzz_check::ids(s.as_bytes());
    }

    #[test]
    fn payload_values_with_a_field_changed(
        pick: Index,
        field: Index,
        change in prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            Just(Value::from(u64::MAX)),
            Just(Value::from(0.5)),
            "[ -~\u{e9}\n\t]{0,12}".prop_map(Value::from),
            Just(json!([])),
            Just(json!({})),
        ],
        remove: bool,
        pretty: bool,
    ) {
        let (kind, value) = &SEEDS.values[pick.index(SEEDS.values.len())];
        let mut value = value.clone();
        let object = value.as_object_mut().unwrap();
        let key = object.keys().nth(field.index(object.len())).unwrap().clone();
        if remove {
            object.remove(&key);
        } else {
            object.insert(key, change);
        }
        let bytes = if pretty {
            serde_json::to_vec_pretty(&value).unwrap()
        } else {
            serde_json::to_vec(&value).unwrap()
        };
        fuzz_check::payload(&payload_input(*kind, &bytes));
    }
}

// Verifying signatures and computing statuses makes these slower: fewer cases.
proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_bundles(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("bundle", &pick, &donor, &ms);
    }

    #[test]
    fn mutated_feeds(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("feed", &pick, &donor, &ms);
    }

    #[test]
    fn mutated_checkpoints(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("checkpoint", &pick, &donor, &ms);
    }

    #[test]
    fn mutated_rosters(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("roster", &pick, &donor, &ms);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_proofs(pick: Index, donor: Index, ms in mutations()) {
        check_mutant("proof", &pick, &donor, &ms);
    }
}

/// The seeds are valid, so the mutants above start from the success paths.
#[test]
fn every_seed_passes_its_check_and_the_decoders_accept_it() {
    for (name, check) in TARGETS {
        let seeds = SEEDS.of(name);
        assert!(!seeds.is_empty(), "no seeds for {name}");
        for seed in seeds {
            check(seed);
        }
    }
    for e in SEEDS.of("entry") {
        Entry::decode(e).unwrap();
    }
    for p in SEEDS.of("payload") {
        let kind: Kind = PAYLOAD_KINDS[usize::from(p[0])].parse().unwrap();
        Payload::decode(kind, &p[1..]).unwrap();
    }
    let roster = &fixture().roster;
    for b in SEEDS.of("bundle") {
        assert!(verify_bundle(roster, b).report.valid);
    }
    let witnessed = verify_checkpoint(roster, &SEEDS.of("checkpoint")[0]).unwrap();
    assert!(witnessed.has_quorum());
    assert_eq!(witnessed.signers.len(), 3);
    for r in SEEDS.of("roster") {
        pacta_core::Roster::from_toml(std::str::from_utf8(r).unwrap()).unwrap();
    }
}

/// A change to any one byte of a valid proof is refused, so the proof oracle's
/// round trip is only reached by the seeds: check it on them directly.
#[test]
fn seed_proofs_verify() {
    for p in SEEDS.of("proof") {
        verify_proof(&fixture().roster, p).unwrap();
    }
}

// ---------------------------------------------------------------------------------
// The seed corpora.

fn corpus_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Every file under `fuzz/corpus/<target>/` passes `<target>`'s check, and every
/// target has seeds.
#[test]
fn corpus_replays_cleanly() {
    let mut seen = Vec::new();
    for dir in corpus_dirs() {
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let check = fuzz_check::target(&name).unwrap_or_else(|| panic!("no target {name}"));
        let mut files = 0;
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            check(&std::fs::read(&path).unwrap());
            files += 1;
        }
        assert!(files > 0, "{name}'s corpus is empty");
        seen.push(name);
    }
    let mut targets: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    targets.sort_unstable();
    assert_eq!(seen, targets, "a corpus folder per target");
}

/// Writes the seeds as `fuzz/corpus/<target>/seed-<n>`, replacing the old seeds.
#[test]
#[ignore = "writes fuzz/corpus; run by hand after a format change"]
fn write_seed_corpus() {
    for (name, _) in TARGETS {
        let dir = Path::new(CORPUS).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for old in std::fs::read_dir(&dir).unwrap() {
            let path = old.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("seed-")
            {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (i, seed) in SEEDS.of(name).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), seed).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------
// Regressions: an input a fuzzer finds goes here as a test that calls its check, next
// to the decoder's fix. None so far (fuzz/README.md has the runs).
