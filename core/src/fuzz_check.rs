//! The oracles of the fuzz targets: one function per decoder, shared by the cargo-fuzz
//! targets in `fuzz/` and by the property tests in `core/tests/fuzz_props.rs`, so that
//! `cargo test` on stable Rust exercises exactly what the fuzzers do.
//!
//! Each function takes arbitrary bytes, runs one decoder on them and, when the decoder
//! accepts them, checks that the value re-encodes to exactly those bytes. Decoding is
//! strict throughout the crate (one encoding per value), so an input that decodes but
//! re-encodes differently is a decoder bug: it accepted a non-canonical spelling. Where
//! a format has no encoder of its own (the roster's TOML, the HTTP bodies), the check is
//! that decoding, encoding and decoding again gives the same value.
//!
//! These functions panic on purpose: a panic is how a fuzzer learns of a failure. A
//! decoder that panics by itself on some input fails the same way.
//!
//! Targets that check signatures (bundles, feeds, proofs, checkpoints) use
//! [`fixture`], a small fixed network whose secret keys are derived from public strings,
//! so that tests and seed corpora can sign inputs the verifier accepts.

#![allow(
    clippy::panic,
    reason = "a fuzz oracle reports a failed property by panicking; that is its whole job"
)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bundle::{self, BundleView};
use crate::checkpoint::{Checkpoint, verify_checkpoint};
use crate::codec::{Reader, sha256};
use crate::date::Date;
use crate::entry::Entry;
use crate::feed;
use crate::ids::{
    Digest, EntryId, Kind, MemberCode, NetworkId, PublicKey, Seq, Timestamp, parse_hex32,
};
use crate::keys::SecretKey;
use crate::note::{Note, Signature};
use crate::payload::Payload;
use crate::proof;
use crate::roster::{self, Roster};
use crate::verify::{verify_bundle, verify_part};
use crate::wire;

/// A fuzz target's check: panics if the property fails on `data`.
pub type Check = fn(data: &[u8]);

/// Every fuzz target: its name (the file under `fuzz/fuzz_targets/` and the folder under
/// `fuzz/corpus/`) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("entry", entry),
    ("payload", payload),
    ("bundle", bundle),
    ("feed", feed),
    ("proof", proof),
    ("checkpoint", checkpoint),
    ("note", note),
    ("roster", roster),
    ("http_bodies", http_bodies),
    ("ids", ids),
];

/// The check of the target called `name`.
pub fn target(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

// ---------------------------------------------------------------------------------
// The fixed network.

/// Name of the fixture's network.
pub const FIXTURE_NETWORK: &str = "pacta-fuzz";
/// The fixture's members and their procedure profiles. Every one runs a witnessing
/// node, so checkpoints need two of three signatures.
pub const FIXTURE_MEMBERS: [(&str, &str); 3] = [
    ("FR", "fr-art53"),
    ("GB", "gb-crag2010"),
    ("UA", "ua-rada-law"),
];

/// A small network whose secret keys everyone knows: for fuzzing, never for use.
#[derive(Debug)]
pub struct Fixture {
    pub roster: Roster,
    /// The roster's TOML text.
    pub toml: String,
    /// Entry keys.
    pub keys: BTreeMap<MemberCode, SecretKey>,
    /// Node keys, which sign and cosign checkpoints.
    pub node_keys: BTreeMap<MemberCode, SecretKey>,
}

/// The fixture, built once. Its keys are SHA-256 of `pacta-fuzz/<code>` (entry key) and
/// `pacta-fuzz/<code>/node` (node key).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

fn build_fixture() -> Fixture {
    let key = |label: String| SecretKey::from_seed(&sha256(label.as_bytes()));
    let mut toml = format!("network = \"{FIXTURE_NETWORK}\"\n");
    let mut keys = BTreeMap::new();
    let mut node_keys = BTreeMap::new();
    for (i, (code, profile)) in FIXTURE_MEMBERS.iter().enumerate() {
        let entry_key = key(format!("{FIXTURE_NETWORK}/{code}"));
        let node_key = key(format!("{FIXTURE_NETWORK}/{code}/node"));
        toml.push_str(&format!(
            "\n[[member]]\ncode = \"{code}\"\nname = \"{code} (fuzz)\"\nkey = \"{}\"\nnode = \"http://127.0.0.1:{}\"\nprofile = \"{profile}\"\nnode_key = \"{}\"\n",
            entry_key.public(),
            7101 + i,
            node_key.public()
        ));
        let Ok(code) = code.parse::<MemberCode>() else {
            panic!("fixture member code {code:?} does not parse");
        };
        keys.insert(code, entry_key);
        node_keys.insert(code, node_key);
    }
    let roster = match Roster::from_toml(&toml) {
        Ok(roster) => roster,
        Err(e) => panic!("the fixture roster is refused: {e}"),
    };
    Fixture {
        roster,
        toml,
        keys,
        node_keys,
    }
}

// ---------------------------------------------------------------------------------
// Entries and payloads.

/// `Entry::decode`: an accepted entry is the input, byte for byte; its decoded header
/// re-encodes to exactly its signed bytes; its id is the hash of signed bytes and
/// signature; and its payload goes through [`payload`]'s check for its kind.
pub fn entry(data: &[u8]) {
    let Ok(entry) = Entry::decode(data) else {
        return;
    };
    assert_eq!(entry.as_bytes(), data, "a decoded entry is not its input");
    match entry.to_draft().signed_bytes() {
        Ok(signed) => assert_eq!(
            signed,
            entry.signed_bytes(),
            "a decoded header re-encodes differently: the decoder accepted a non-canonical header"
        ),
        Err(e) => panic!("a decoded entry's fields do not make a valid draft: {e}"),
    }
    let mut covered = entry.signed_bytes().to_vec();
    covered.extend_from_slice(&entry.signature());
    assert_eq!(entry.id(), EntryId(sha256(&covered)), "wrong entry id");
    assert_eq!(
        entry.payload().len(),
        entry.header().payload_len as usize,
        "payload length differs from the header's"
    );
    payload_of(entry.header().kind, entry.payload());
}

/// The kinds the payload target chooses from with its first byte: every kind this
/// version knows, and one it does not.
pub const PAYLOAD_KINDS: [&str; 17] = [
    "note",
    "instrument",
    "commitment",
    "signature",
    "procedure-step",
    "consent",
    "deposit-receipt",
    "provisional-application",
    "withdrawal",
    "correction",
    "key-rotation",
    "key-revocation",
    "admission",
    "signature-confirmation",
    "deposit-return",
    "intention-not-to-be-party",
    "x-unknown",
];

/// `Payload::decode` and `Payload::from_json`. The first byte picks the kind (an index
/// into [`PAYLOAD_KINDS`], modulo its length); the rest is the payload.
pub fn payload(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = PAYLOAD_KINDS[usize::from(pick) % PAYLOAD_KINDS.len()];
    if let Ok(kind) = name.parse::<Kind>() {
        payload_of(kind, bytes);
    }
}

/// A decoded payload re-encodes to its input; and whatever `from_json` accepts, in any
/// spelling, encodes to bytes that `decode` accepts as the same payload.
fn payload_of(kind: Kind, bytes: &[u8]) {
    if let Ok(decoded) = Payload::decode(kind, bytes) {
        assert_eq!(decoded.kind(), kind, "a payload decoded as another kind");
        assert_eq!(
            decoded.encode(),
            bytes,
            "a decoded payload is not its input"
        );
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    let Ok(built) = Payload::from_json(kind, value) else {
        return;
    };
    let canonical = built.encode();
    match Payload::decode(kind, &canonical) {
        Ok(again) => assert_eq!(again, built, "a canonical payload decodes to another value"),
        Err(e) => panic!(
            "from_json accepted a payload whose canonical form decode refuses: {e}\n{}",
            String::from_utf8_lossy(&canonical)
        ),
    }
}

// ---------------------------------------------------------------------------------
// Bundles and feeds.

/// `BundleView::parse` and `verify_bundle` (under [`fixture`]'s roster): a parsed
/// bundle re-frames to its input; and a bundle that verifies is exactly the encoding of
/// the ledger the verifier vouches for.
pub fn bundle(data: &[u8]) {
    let Ok(view) = BundleView::parse(data) else {
        return;
    };
    let again = bundle::encode_raw(view.network, &view.feeds, &view.forks, view.checkpoint);
    assert_eq!(again, data, "a parsed bundle re-frames differently");
    let verification = verify_bundle(&fixture().roster, data);
    let report = &verification.report;
    assert_eq!(
        report.valid,
        report.errors.is_empty(),
        "verdict and errors disagree"
    );
    if !report.valid {
        return;
    }
    let carried: usize = view.feeds.iter().map(|(_, e)| e.len()).sum();
    assert_eq!(
        report.verified_entries, carried as u64,
        "a valid bundle with unverified entries"
    );
    let ledger = &verification.ledger;
    let checkpoint = ledger.checkpoint.as_ref().map(|w| w.note.to_text());
    let encoded = bundle::encode(
        view.network,
        &ledger.feeds,
        &ledger.forks,
        checkpoint.as_deref().map(str::as_bytes),
    );
    assert_eq!(
        encoded, data,
        "a valid bundle is not the encoding of its verified ledger"
    );
}

/// Members the feed target chooses from with its first byte: the fixture's, and one
/// the roster does not know.
pub const FEED_MEMBERS: [&str; 4] = ["FR", "GB", "UA", "ZZ"];

/// `feed::verify_feed` (under [`fixture`]'s roster). The first byte picks the member
/// (an index into [`FEED_MEMBERS`]); the rest is the feed's entries, each a u32
/// big-endian length then the bytes (see [`feed_frames`]). The valid prefix is the
/// input's first entries, byte for byte, and the error, if any, is at the position
/// right after it.
pub fn feed(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(member) = FEED_MEMBERS[usize::from(pick) % FEED_MEMBERS.len()].parse::<MemberCode>()
    else {
        return;
    };
    let raw = split_frames(rest);
    let verdict = feed::verify_feed(&fixture().roster, member, &raw);
    let valid = &verdict.valid.entries;
    assert_eq!(verdict.valid.member, member, "verdict for another member");
    assert!(valid.len() <= raw.len(), "more valid entries than given");
    for (i, e) in valid.iter().enumerate() {
        assert_eq!(e.as_bytes(), raw[i], "valid entry {i} is not the input's");
        assert_eq!(
            e.seq(),
            Seq(i as u64 + 1),
            "valid entry {i} at the wrong seq"
        );
    }
    match &verdict.error {
        None => assert_eq!(valid.len(), raw.len(), "entries dropped without an error"),
        Some(err) => {
            assert_eq!(err.member, member, "error names another member");
            assert_eq!(
                err.position,
                Seq(valid.len() as u64 + 1),
                "error is not right after the valid prefix"
            );
        }
    }
}

/// The feed target's framing of a list of entries (after the member byte).
pub fn feed_frames(entries: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&(e.len() as u32).to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

/// Splits u32-length-prefixed frames; a length past the end takes what remains, and a
/// stub of fewer than four bytes is dropped, so every input is some list of frames.
fn split_frames(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = (u32::from_be_bytes(*len) as usize).min(tail.len());
        let (frame, next) = tail.split_at(len);
        frames.push(frame);
        rest = next;
    }
    frames
}

// ---------------------------------------------------------------------------------
// Proofs.

/// `proof::verify_proof` (under [`fixture`]'s roster). A proof has no decoder apart
/// from its verifier, so the round trip is through `prove`: a proof that verifies is
/// exactly the proof `prove` cuts, from the ledger it carries, for the member,
/// instrument and day it names.
pub fn proof(data: &[u8]) {
    let roster = &fixture().roster;
    let Ok((statement, _)) = proof::verify_proof_witnessed(roster, data) else {
        return;
    };
    let Some(carried) = proof_bundle(data) else {
        panic!("a verified proof whose framing cannot be read again");
    };
    let view = match BundleView::parse(carried) {
        Ok(view) => view,
        Err(e) => panic!("a verified proof whose bundle does not parse: {e}"),
    };
    let ledger = verify_part(roster, &view).ledger;
    let instrument = statement.instrument.to_string();
    match proof::prove(
        roster,
        &ledger,
        statement.member,
        &instrument,
        statement.since,
    ) {
        Ok((again, bytes)) => {
            assert_eq!(again, statement, "prove states something else");
            assert_eq!(bytes, data, "prove cuts another proof from the same ledger");
        }
        Err(e) => panic!("a verified proof that prove cannot cut again: {e}"),
    }
}

/// The bundle inside a proof's framing (SPEC.md, "Proofs").
fn proof_bundle(data: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(data);
    r.take("magic", proof::PROOF_MAGIC.len()).ok()?;
    r.u8("version").ok()?;
    let n = r.u32("statement length").ok()? as usize;
    r.take("statement", n).ok()?;
    let n = r.u32("bundle length").ok()? as usize;
    let carried = r.take("bundle", n).ok()?;
    r.finish().ok()?;
    Some(carried)
}

// ---------------------------------------------------------------------------------
// Signed notes and checkpoints.

/// `Checkpoint::parse_text` and `verify_checkpoint` (under [`fixture`]'s roster): a
/// parsed body re-encodes to its text, the body inside a parsed note too, and a
/// verified checkpoint's note re-encodes to the input.
pub fn checkpoint(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        checkpoint_text(text);
    }
    if let Ok(note) = Note::parse(data) {
        checkpoint_text(&note.text);
    }
    let Ok(witnessed) = verify_checkpoint(&fixture().roster, data) else {
        return;
    };
    assert_eq!(
        witnessed.note.to_text().as_bytes(),
        data,
        "a verified checkpoint's note is not its input"
    );
    assert_eq!(
        witnessed.checkpoint.to_text(),
        witnessed.note.text,
        "a verified checkpoint's body is not its note's text"
    );
    let signers: Vec<MemberCode> = witnessed.signers.iter().map(|(c, _)| *c).collect();
    assert_eq!(
        signers.first(),
        Some(&witnessed.checkpoint.node),
        "the origin is not the first signer"
    );
    let mut distinct = signers.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), signers.len(), "a signer counted twice");
}

fn checkpoint_text(text: &str) {
    if let Ok(cp) = Checkpoint::parse_text(text) {
        assert_eq!(
            cp.to_text(),
            text,
            "a parsed checkpoint body is not its input"
        );
    }
}

/// `Note::parse` and `note::Signature::parse_line`: a parsed note, and each parsed
/// signature line, re-encode to their input.
pub fn note(data: &[u8]) {
    if let Ok(note) = Note::parse(data) {
        assert_eq!(
            note.to_text().as_bytes(),
            data,
            "a parsed note is not its input"
        );
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.split('\n') {
        if let Ok(sig) = Signature::parse_line(line) {
            assert_eq!(
                sig.line(),
                format!("{line}\n"),
                "a parsed signature line is not its input"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// The roster.

/// `Roster::from_toml`: an accepted roster keeps its invariants (quorums in range, the
/// network id over its trust content), and written back as TOML it parses to the same
/// roster.
pub fn roster(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = Roster::from_toml(text) else {
        return;
    };
    roster_invariants(&parsed);
    let written = roster_toml(&parsed);
    match Roster::from_toml(&written) {
        // Not assert_eq!: a whole roster's Debug would bury the TOML that matters.
        Ok(again) => assert!(
            again == parsed,
            "a roster written back parses differently:\n{written}"
        ),
        Err(e) => panic!("a roster written back is refused: {e}\n{written}"),
    }
}

fn roster_invariants(r: &Roster) {
    let members: Vec<&roster::Member> = r.members().collect();
    assert!(!members.is_empty(), "a roster without members");
    assert!(
        members.windows(2).all(|w| w[0].code < w[1].code),
        "members not in strictly ascending code order"
    );
    assert_eq!(r.genesis_len(), members.len(), "genesis count");
    let nodes = r.nodes().count();
    assert!(
        (1..=nodes.max(1)).contains(&r.node_quorum()),
        "node quorum {} out of 1..={nodes}",
        r.node_quorum()
    );
    let most = members.len().saturating_sub(1).max(1);
    assert!(
        (1..=most).contains(&r.member_quorum()),
        "member quorum {} out of 1..={most}",
        r.member_quorum()
    );
    let id = roster::network_id(r.network_name(), members.iter().map(|m| (m.code, m.key)));
    assert_eq!(
        r.network_id(),
        id,
        "network id is not over the trust content"
    );
}

/// A roster as TOML, every optional field, both quorums and the limits written out.
fn roster_toml(r: &Roster) -> String {
    let s = |v: &str| toml::Value::String(v.to_owned()).to_string();
    let mut out = format!("network = {}\n", s(r.network_name()));
    if let Some(d) = r.description() {
        out.push_str(&format!("description = {}\n", s(d)));
    }
    for m in r.members() {
        out.push_str(&format!(
            "\n[[member]]\ncode = {}\nname = {}\nkey = {}\nnode = {}\nprofile = {}\n",
            s(m.code.as_str()),
            s(&m.name),
            s(&m.key.to_string()),
            s(m.node.as_str()),
            s(&m.profile)
        ));
        if let Some(k) = m.node_key {
            out.push_str(&format!("node_key = {}\n", s(&k.to_string())));
        }
        if let Some(remark) = &m.remark {
            out.push_str(&format!("remark = {}\n", s(remark)));
        }
    }
    out.push_str(&format!(
        "\n[quorum]\nnodes = {}\nmembers = {}\n",
        r.node_quorum(),
        r.member_quorum()
    ));
    if let Some(limit) = r.feed_limit() {
        out.push_str(&format!(
            "\n[limits]\nfeed_entries = {}\nwindow_seconds = {}\n",
            limit.entries,
            limit.window_ms / 1000
        ));
    }
    out
}

// ---------------------------------------------------------------------------------
// HTTP bodies.

/// The JSON bodies of the node's API, in the order the http_bodies target's first
/// byte picks them (modulo the length).
pub const HTTP_BODIES: [&str; 11] = [
    "Submit",
    "SubmitOk",
    "ApiError",
    "Heads",
    "FeedPage",
    "Forks",
    "ForkEntries",
    "ForkSummary",
    "Head",
    "Accepted",
    "Outcome",
];

/// `serde_json::from_slice` into each body of [`crate::wire`]: a body that decodes
/// encodes to JSON that decodes to the same value; entries carried as hex go through
/// [`entry`]'s check, as a node decodes them.
pub fn http_bodies(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let hex_entries: Vec<Vec<u8>> = match usize::from(pick) % HTTP_BODIES.len() {
        0 => json_round_trip::<wire::Submit>(body).map_or_else(Vec::new, |s| unhex(s.entries)),
        1 => none(json_round_trip::<wire::SubmitOk>(body)),
        2 => none(json_round_trip::<wire::ApiError>(body)),
        3 => none(json_round_trip::<wire::Heads>(body)),
        4 => json_round_trip::<wire::FeedPage>(body).map_or_else(Vec::new, |p| unhex(p.entries)),
        5 => json_round_trip::<wire::Forks>(body).map_or_else(Vec::new, |f| {
            unhex(f.forks.into_iter().flat_map(|f| f.entries).collect())
        }),
        6 => json_round_trip::<wire::ForkEntries>(body)
            .map_or_else(Vec::new, |f| unhex(f.entries.into())),
        7 => none(json_round_trip::<wire::ForkSummary>(body)),
        8 => none(json_round_trip::<wire::Head>(body)),
        9 => none(json_round_trip::<wire::Accepted>(body)),
        _ => none(json_round_trip::<wire::Outcome>(body)),
    };
    for bytes in hex_entries {
        entry(&bytes);
    }
}

fn none<T>(_: Option<T>) -> Vec<Vec<u8>> {
    Vec::new()
}

fn unhex(entries: Vec<wire::HexBytes>) -> Vec<Vec<u8>> {
    entries.into_iter().map(|h| h.0).collect()
}

/// Decodes `body` as a `T`; if it decodes, checks that its JSON decodes to the same.
fn json_round_trip<T>(body: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value: T = serde_json::from_slice(body).ok()?;
    let json = match serde_json::to_vec(&value) {
        Ok(json) => json,
        Err(e) => panic!("a decoded body does not encode: {e}"),
    };
    match serde_json::from_slice::<T>(&json) {
        Ok(again) => assert_eq!(again, value, "a body's JSON decodes to another value"),
        Err(e) => panic!(
            "a body's own JSON is refused: {e}\n{}",
            String::from_utf8_lossy(&json)
        ),
    }
    Some(value)
}

// ---------------------------------------------------------------------------------
// Identifiers.

/// The parsers of [`crate::ids`], [`crate::date`] and key files, each on the input as
/// bytes, as text and (where it fits) as a number: everything accepted is shown or
/// encoded again exactly as it was given.
pub fn ids(data: &[u8]) {
    if let Ok(code) = MemberCode::from_bytes(data) {
        assert_eq!(code.as_bytes(), data, "member code");
    }
    if let Ok(kind) = Kind::from_bytes(data) {
        assert_eq!(kind.as_bytes(), data, "kind");
    }
    if let Ok(bytes) = <[u8; 32]>::try_from(data)
        && let Ok(key) = PublicKey::from_bytes(bytes)
    {
        assert_eq!(key.to_bytes(), bytes, "public key");
    }
    if let Ok(bytes) = <[u8; 8]>::try_from(data) {
        ids_number(u64::from_be_bytes(bytes));
    }
    if let Ok(bytes) = <[u8; 12]>::try_from(data) {
        date_arithmetic(bytes);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        ids_text(text);
    }
}

fn ids_number(n: u64) {
    if let Ok(t) = Timestamp::from_millis(n) {
        assert_eq!(t.millis(), n, "timestamp");
        assert!(
            t.to_rfc3339().ends_with('Z'),
            "a valid time without RFC 3339"
        );
    }
    let _ = Date::from_unix_millis(n);
    let _ = Timestamp::saturating(n).to_rfc3339();
    let _ = Seq(n).next();
}

/// A date from the first four bytes, moved by the next eight: arithmetic stays in
/// range, and a date that exists shows as the parts it was built from.
fn date_arithmetic(b: [u8; 12]) {
    let year = i32::from(u16::from_be_bytes([b[0], b[1]]));
    let Some(date) = Date::from_ymd(year, b[2], b[3]) else {
        return;
    };
    assert_eq!(
        (date.year(), date.month(), date.day()),
        (year, b[2], b[3]),
        "date parts"
    );
    let shown = date.to_string();
    assert_eq!(shown.parse::<Date>().ok(), Some(date), "date spelling");
    let n = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
    let m = u32::from_be_bytes([b[8], b[9], b[10], b[11]]);
    if let Some(later) = date.plus_days(n) {
        assert!(later >= date, "plus_days went back");
    }
    if let Some(later) = date.plus_months(m) {
        assert!(later >= date, "plus_months went back");
    }
    if let Some(before) = date.previous_day() {
        assert_eq!(before.plus_days(1), Some(date), "previous_day");
    }
}

fn ids_text(s: &str) {
    shown_as_parsed::<MemberCode>(s);
    shown_as_parsed::<Kind>(s);
    shown_as_parsed::<EntryId>(s);
    shown_as_parsed::<NetworkId>(s);
    shown_as_parsed::<Digest>(s);
    shown_as_parsed::<PublicKey>(s);
    shown_as_parsed::<Date>(s);
    if let Ok(bytes) = parse_hex32(s, "fuzz") {
        assert_eq!(hex::encode(bytes), s, "hex");
    }
    if let Ok(key) = SecretKey::from_file_text(s) {
        match SecretKey::from_file_text(&key.to_file_text("fuzz")) {
            Ok(again) => assert_eq!(again.public(), key.public(), "key file"),
            Err(e) => panic!("a key file written back is refused: {e}"),
        }
    }
    let json = s.as_bytes();
    let _ = json_round_trip::<MemberCode>(json);
    let _ = json_round_trip::<Kind>(json);
    let _ = json_round_trip::<EntryId>(json);
    let _ = json_round_trip::<Date>(json);
    let _ = json_round_trip::<Seq>(json);
}

/// An identifier that parses from `s` is shown as `s`: one spelling per value.
fn shown_as_parsed<T>(s: &str)
where
    T: std::str::FromStr + std::fmt::Display,
{
    if let Ok(v) = s.parse::<T>() {
        assert_eq!(
            v.to_string(),
            s,
            "{} parsed from another spelling",
            std::any::type_name::<T>()
        );
    }
}
