//! `cargo bench -p pacta-core`: the core's costs, one by one. Encoding and decoding an
//! entry, signing, verifying one entry, verifying a feed (signatures in parallel, then
//! the chain), parsing and verifying a bundle, and the status engine (whole ledger, and
//! one entry more into the incremental index).
//!
//! The end-to-end figures against the machine's own bounds (`bench/run`) are
//! another matter; these isolate each step so a change to one shows up here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark set-up: a failure is a broken benchmark"
)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pacta_core::bundle::{self, BundleView};
use pacta_core::date::Date;
use pacta_core::entry::Draft;
use pacta_core::feed::{Feed, verify_feed};
use pacta_core::ids::{Kind, MemberCode, Seq, Timestamp};
use pacta_core::payload::{Note, Payload};
use pacta_core::status::{Index, compute};
use pacta_core::verify::verify_bundle;
use pacta_core::{Entry, Roster, SecretKey};
use serde_json::json;

/// A roster of `n` members with keys derived from their codes.
fn world(n: usize) -> (Roster, BTreeMap<MemberCode, SecretKey>) {
    let mut toml = "network = \"bench\"\n".to_owned();
    let mut keys = BTreeMap::new();
    for i in 0..n {
        let code = format!("M{}", (b'A' + (i % 26) as u8) as char).to_owned()
            + &((b'A' + (i / 26) as u8) as char).to_string();
        let key = SecretKey::from_seed(&pacta_core::codec::sha256(code.as_bytes()));
        toml.push_str(&format!(
            "[[member]]\ncode = \"{code}\"\nname = \"{code}\"\nkey = \"{}\"\nnode = \"http://127.0.0.1:1\"\nprofile = \"generic\"\n",
            key.public()
        ));
        keys.insert(code.parse().unwrap(), key);
    }
    (Roster::from_toml(&toml).unwrap(), keys)
}

/// A chain of `n` notes by `member`.
fn chain(roster: &Roster, member: MemberCode, key: &SecretKey, n: u64) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::with_capacity(n as usize);
    for seq in 1..=n {
        let payload = Payload::Note(Note::new(format!("entry {seq} of {member}")));
        let draft = Draft {
            network: roster.network_id(),
            author: member,
            seq: Seq(seq),
            prev: out.last().map(Entry::id),
            time: Timestamp::from_millis(1_767_700_800_000 + seq).unwrap(),
            kind: Kind::NOTE,
            payload: payload.encode(),
        };
        out.push(draft.sign(key).unwrap());
    }
    out
}

fn entries(c: &mut Criterion) {
    let (roster, keys) = world(1);
    let (&member, key) = keys.iter().next().unwrap();
    let payload = Payload::Note(Note::new(
        "a note of ordinary length, as delegations write them",
    ));
    let draft = Draft {
        network: roster.network_id(),
        author: member,
        seq: Seq(1),
        prev: None,
        time: Timestamp::from_millis(1_767_700_800_000).unwrap(),
        kind: Kind::NOTE,
        payload: payload.encode(),
    };
    let entry = draft.sign(key).unwrap();
    let bytes = entry.as_bytes().to_vec();
    let public = key.public();
    let mut g = c.benchmark_group("entry");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode signed bytes", |b| {
        b.iter(|| black_box(&draft).signed_bytes().unwrap())
    });
    g.bench_function("sign", |b| b.iter(|| black_box(&draft).sign(key).unwrap()));
    g.bench_function("decode", |b| {
        b.iter(|| Entry::decode(black_box(&bytes)).unwrap())
    });
    g.bench_function("verify one (verify_strict)", |b| {
        b.iter(|| assert!(black_box(&entry).signature_verifies(&public)))
    });
    g.finish();
}

fn feeds(c: &mut Criterion) {
    let (roster, keys) = world(1);
    let (&member, key) = keys.iter().next().unwrap();
    let mut g = c.benchmark_group("feed");
    g.sample_size(10);
    for n in [1_000u64, 10_000] {
        let feed = chain(&roster, member, key, n);
        let raw: Vec<&[u8]> = feed.iter().map(Entry::as_bytes).collect();
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(
            BenchmarkId::new("verify (signatures on all cores, then the chain)", n),
            &raw,
            |b, raw| {
                b.iter(|| {
                    let verdict = verify_feed(&roster, member, black_box(raw));
                    assert!(verdict.error.is_none(), "{:?}", verdict.error);
                })
            },
        );
    }
    g.finish();
}

fn bundles(c: &mut Criterion) {
    let (roster, keys) = world(40);
    let n_per = 250u64;
    let feeds: Vec<Feed> = keys
        .iter()
        .map(|(m, k)| Feed {
            member: *m,
            entries: chain(&roster, *m, k, n_per),
        })
        .collect();
    let bytes = bundle::encode(roster.network_id(), &feeds, &[], None);
    let total = n_per * 40;
    let mut g = c.benchmark_group("bundle");
    g.sample_size(10);
    g.throughput(Throughput::Elements(total));
    g.bench_function(BenchmarkId::new("parse framing", total), |b| {
        b.iter(|| BundleView::parse(black_box(&bytes)).unwrap())
    });
    g.bench_function(BenchmarkId::new("verify, 40 feeds", total), |b| {
        b.iter(|| assert!(verify_bundle(&roster, black_box(&bytes)).report.valid))
    });
    g.finish();
}

/// A legal instrument and, for each of 40 members, a signature, a consent and the
/// depositary's receipt: 121 entries, every row reaching its stage.
fn status(c: &mut Criterion) {
    let (roster, keys) = world(40);
    let codes: Vec<MemberCode> = keys.keys().copied().collect();
    let depositary = codes[0];
    let mut heads: BTreeMap<MemberCode, (u64, Option<pacta_core::EntryId>)> = BTreeMap::new();
    let mut all: BTreeMap<MemberCode, Vec<Entry>> = BTreeMap::new();
    let mut sign = |m: MemberCode, kind: &str, body: serde_json::Value| {
        let kind: Kind = kind.parse().unwrap();
        let payload = Payload::from_json(kind, body).unwrap();
        let (seq, prev) = heads.get(&m).copied().unwrap_or((0, None));
        let e = Draft {
            network: roster.network_id(),
            author: m,
            seq: Seq(seq + 1),
            prev,
            time: Timestamp::from_millis(1_795_132_800_000 + seq).unwrap(),
            kind,
            payload: payload.encode(),
        }
        .sign(&keys[&m])
        .unwrap();
        heads.insert(m, (seq + 1, Some(e.id())));
        all.entry(m).or_default().push(e.clone());
        e
    };
    let parties: Vec<String> = codes.iter().map(ToString::to_string).collect();
    let inst = sign(
        depositary,
        "instrument",
        json!({
            "short": "bench", "title": "Benchmark treaty", "nature": "legal", "adopted": "2026-03-02",
            "parties": parties, "depositary": depositary.to_string(),
            "consent_means": ["ratification"],
            "entry_into_force": {"rule": "after-deposits", "deposits": 10, "days": 30},
            "withdrawal": {"rule": "after-notice", "months": 12}
        }),
    );
    let t = inst.id();
    for &m in &codes {
        sign(
            m,
            "signature",
            json!({"instrument": t, "type": "subject-to-ratification", "date": "2026-03-02"}),
        );
        let consent = sign(
            m,
            "consent",
            json!({"instrument": t, "means": "ratification", "date": "2026-04-01"}),
        );
        sign(
            depositary,
            "deposit-receipt",
            json!({"instrument": t, "member": m.to_string(), "consent": consent.id(), "date": "2026-04-02"}),
        );
    }
    let feeds: Vec<Feed> = all
        .into_iter()
        .map(|(member, entries)| Feed { member, entries })
        .collect();
    let bytes = bundle::encode(roster.network_id(), &feeds, &[], None);
    let verified = verify_bundle(&roster, &bytes);
    assert!(verified.report.valid);
    let ledger = verified.ledger;
    let day: Date = "2026-11-22".parse().unwrap();
    let count: u64 = feeds.iter().map(|f| f.entries.len() as u64).sum();

    let mut g = c.benchmark_group("status");
    g.throughput(Throughput::Elements(count));
    g.bench_function(BenchmarkId::new("compute, whole ledger", count), |b| {
        b.iter(|| compute(&roster, black_box(&ledger), day))
    });
    // What a node pays when one more entry arrives: push it, recompute its instrument.
    let mut index = Index::new(day);
    for f in &feeds {
        for e in &f.entries {
            index.push(e);
        }
    }
    let _ = index.status(&roster);
    let last = feeds[1].entries.last().unwrap().clone();
    g.throughput(Throughput::Elements(1));
    g.bench_function(
        "one entry more, incremental (recompute its instrument)",
        |b| {
            b.iter(|| {
                // Forgetting the cached instrument is what a new act under it does.
                index.set_as_of(day.previous_day().unwrap());
                index.set_as_of(day);
                index.push(black_box(&last));
                index.status(&roster)
            })
        },
    );
    g.bench_function("status asked again, nothing new (cached)", |b| {
        b.iter(|| index.status(black_box(&roster)))
    });
    g.finish();
}

criterion_group!(benches, entries, feeds, bundles, status);
criterion_main!(benches);
