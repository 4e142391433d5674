//! A small world for the status tests: six members with real profiles and known
//! keys, and a builder of signed feeds that goes through the real bundle encoding and
//! verifier.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "shared by several test binaries; test code"
)]

use std::collections::BTreeMap;

use pacta_core::date::Date;
use pacta_core::entry::Draft;
use pacta_core::fork::ForkProof;
use pacta_core::ids::{EntryId, Kind, MemberCode, Seq, Timestamp};
use pacta_core::payload::Payload;
use pacta_core::status::{MemberStatus, Status, compute};
use pacta_core::verify::{Ledger, verify_bundle};
use pacta_core::{Entry, Roster, SecretKey, bundle};
use serde_json::{Value, json};

pub const MEMBERS: [(&str, &str); 6] = [
    ("DE", "de-art59"),
    ("FR", "fr-art53"),
    ("GB", "gb-crag2010"),
    ("NL", "nl-states-general"),
    ("UA", "ua-rada-law"),
    ("US", "us-article-ii"),
];

/// 2026-11-20T00:00:00Z: every entry is recorded after the acts it describes.
pub const RECORDED_FROM_MS: u64 = 1_795_132_800_000;

pub struct World {
    pub roster: Roster,
    pub keys: BTreeMap<MemberCode, SecretKey>,
    pub feeds: BTreeMap<MemberCode, Vec<Entry>>,
    pub forks: Vec<ForkProof>,
    pub clock: u64,
    toml: String,
}

pub fn code(s: &str) -> MemberCode {
    s.parse().unwrap()
}

pub fn day(s: &str) -> Date {
    s.parse().unwrap()
}

impl World {
    pub fn new() -> World {
        let mut toml = "network = \"status-tests\"\n".to_owned();
        let mut keys = BTreeMap::new();
        for (c, profile) in MEMBERS {
            let key = SecretKey::from_seed(&pacta_core::codec::sha256(c.as_bytes()));
            toml.push_str(&format!(
                "[[member]]\ncode = \"{c}\"\nname = \"{c}\"\nkey = \"{}\"\nnode = \"http://127.0.0.1:1\"\nprofile = \"{profile}\"\n",
                key.public()
            ));
            keys.insert(code(c), key);
        }
        World {
            roster: Roster::from_toml(&toml).unwrap(),
            keys,
            feeds: BTreeMap::new(),
            forks: Vec::new(),
            clock: RECORDED_FROM_MS,
            toml,
        }
    }

    pub fn draft(&mut self, member: &str, kind: &str, body: Value) -> Draft {
        let kind: Kind = kind.parse().unwrap();
        let payload = Payload::from_json(kind, body).unwrap();
        let feed = self.feeds.entry(code(member)).or_default();
        self.clock += 1000;
        Draft {
            network: self.roster.network_id(),
            author: code(member),
            seq: Seq(feed.len() as u64 + 1),
            prev: feed.last().map(Entry::id),
            time: Timestamp::from_millis(self.clock).unwrap(),
            kind,
            payload: payload.encode(),
        }
    }

    /// Signs and appends an entry to `member`'s feed; returns its id.
    pub fn add(&mut self, member: &str, kind: &str, body: Value) -> EntryId {
        let draft = self.draft(member, kind, body);
        let entry = draft.sign(&self.keys[&code(member)]).unwrap();
        let id = entry.id();
        self.feeds.entry(code(member)).or_default().push(entry);
        id
    }

    /// Signs a second, different entry at `member`'s next position and keeps both as a
    /// fork proof (the feed keeps the first).
    pub fn fork(&mut self, member: &str) {
        let a = self.draft(member, "note", json!({"text": "side a"}));
        let b = Draft {
            payload: Payload::from_json(Kind::NOTE, json!({"text": "side b"}))
                .unwrap()
                .encode(),
            ..a.clone()
        };
        let key = &self.keys[&code(member)];
        let (a, b) = (a.sign(key).unwrap(), b.sign(key).unwrap());
        self.forks.push(ForkProof::new(a.clone(), b).unwrap());
        self.feeds.entry(code(member)).or_default().push(a);
    }

    /// The roster file.
    pub fn roster_toml(&self) -> &str {
        &self.toml
    }

    /// The ledger as a bundle file.
    pub fn bundle(&self) -> Vec<u8> {
        let feeds: Vec<_> = self
            .feeds
            .iter()
            .map(|(m, e)| pacta_core::feed::Feed {
                member: *m,
                entries: e.clone(),
            })
            .collect();
        let mut forks = self.forks.clone();
        forks.sort_by_key(|f| (f.member(), f.seq(), f.entries()[0].id()));
        bundle::encode(self.roster.network_id(), &feeds, &forks, None)
    }

    /// The ledger, through the real bundle encoding and verifier.
    pub fn ledger(&self) -> Ledger {
        let bytes = self.bundle();
        let v = verify_bundle(&self.roster, &bytes);
        assert!(v.report.valid, "{:?}", v.report.errors);
        v.ledger
    }

    pub fn status(&self, as_of: &str) -> Status {
        compute(&self.roster, &self.ledger(), day(as_of))
    }

    pub fn row(&self, as_of: &str, member: &str) -> MemberStatus {
        let status = self.status(as_of);
        assert_eq!(status.warnings, vec![], "ledger-level warnings");
        status.instruments[0].member(code(member)).unwrap().clone()
    }

    /// Registers the test treaty: legal, France depositary, in force on the 30th day
    /// after the third deposit, twelve months' notice of withdrawal.
    pub fn treaty(&mut self) -> EntryId {
        self.add(
            "FR",
            "instrument",
            json!({
                "short": "guarantees",
                "title": "Treaty on binding security guarantees (test)",
                "nature": "legal",
                "adopted": "2026-03-02",
                "parties": ["DE", "FR", "GB", "NL", "UA", "US"],
                "depositary": "FR",
                "consent_means": ["signature", "ratification", "acceptance", "approval", "accession"],
                "entry_into_force": {"rule": "after-deposits", "deposits": 3, "days": 30},
                "withdrawal": {"rule": "after-notice", "months": 12}
            }),
        )
    }

    /// Registers a legal instrument like [`World::treaty`], with `changes` applied to
    /// its payload (e.g. another entry-into-force rule).
    pub fn treaty_with(&mut self, short: &str, changes: Value) -> EntryId {
        let mut body = json!({
            "short": short,
            "title": "Treaty on binding security guarantees (test)",
            "nature": "legal",
            "adopted": "2026-03-02",
            "parties": ["DE", "FR", "GB", "NL", "UA", "US"],
            "depositary": "FR",
            "consent_means": ["ratification", "acceptance", "approval", "accession"],
            "entry_into_force": {"rule": "after-deposits", "deposits": 3, "days": 30},
            "withdrawal": {"rule": "after-notice", "months": 12}
        });
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.add("FR", "instrument", body)
    }

    pub fn withdraw(
        &mut self,
        t: EntryId,
        member: &str,
        notified: &str,
        effective: &str,
    ) -> EntryId {
        self.add(
            member,
            "withdrawal",
            json!({"instrument": t, "notified": notified, "effective": effective}),
        )
    }

    pub fn intend_not_to_be_party(&mut self, t: EntryId, member: &str, date: &str) -> EntryId {
        self.add(
            member,
            "intention-not-to-be-party",
            json!({"instrument": t, "date": date}),
        )
    }

    pub fn give_back(&mut self, t: EntryId, member: &str, consent: EntryId, date: &str) -> EntryId {
        self.add(
            "FR",
            "deposit-return",
            json!({"instrument": t, "member": member, "consent": consent, "date": date,
                   "reason": "the instrument is not signed by the Head of State"}),
        )
    }

    pub fn confirm(&mut self, t: EntryId, member: &str, signature: EntryId, date: &str) -> EntryId {
        self.add(
            member,
            "signature-confirmation",
            json!({"instrument": t, "signature": signature, "date": date}),
        )
    }

    /// The row of `member` under the instrument registered by `t`, as of `as_of`,
    /// whatever the ledger-level warnings.
    pub fn row_of(&self, t: EntryId, as_of: &str, member: &str) -> MemberStatus {
        let status = self.status(as_of);
        status
            .instruments
            .iter()
            .find(|i| i.id == t)
            .and_then(|i| i.member(code(member)))
            .unwrap_or_else(|| panic!("no row of {member} under {t} as of {as_of}"))
            .clone()
    }

    pub fn sign(&mut self, t: EntryId, member: &str, date: &str, kind: &str) -> EntryId {
        self.add(
            member,
            "signature",
            json!({"instrument": t, "type": kind, "date": date}),
        )
    }

    pub fn step(
        &mut self,
        t: EntryId,
        member: &str,
        step: &str,
        date: &str,
        extra: Value,
    ) -> EntryId {
        let mut body = json!({
            "instrument": t, "step": step, "body": "a body", "action": "an action",
            "date": date, "result": "completed"
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.add(member, "procedure-step", body)
    }

    pub fn consent(&mut self, t: EntryId, member: &str, means: &str, date: &str) -> EntryId {
        self.add(
            member,
            "consent",
            json!({"instrument": t, "means": means, "date": date}),
        )
    }

    pub fn receipt(
        &mut self,
        t: EntryId,
        by: &str,
        member: &str,
        consent: EntryId,
        date: &str,
    ) -> EntryId {
        self.add(
            by,
            "deposit-receipt",
            json!({"instrument": t, "member": member, "consent": consent, "date": date}),
        )
    }

    /// A member that ratifies with its whole procedure and deposits on `deposit`.
    /// Signs (subject to ratification), passes every required step, ratifies, and has
    /// the depositary receive the instrument on `deposit`.
    pub fn ratify_fully(&mut self, t: EntryId, member: &str, deposit: &str) -> EntryId {
        self.sign(t, member, "2026-03-05", "subject-to-ratification");
        let profile =
            pacta_core::profile::profile(MEMBERS.iter().find(|(c, _)| *c == member).unwrap().1)
                .unwrap();
        for def in profile.required() {
            let result = if def.threshold == pacta_core::profile::Threshold::None {
                "completed"
            } else {
                "passed"
            };
            self.step(t, member, def.id, "2026-03-10", json!({"result": result}));
        }
        let consent = self.consent(t, member, "ratification", "2026-03-20");
        self.receipt(t, "FR", member, consent, deposit)
    }
}
