//! Keys and membership over time: which key signs each position of a feed, and which
//! members were admitted after the genesis roster (SPEC.md, "Keys over time").
//!
//! - A `key-rotation` entry, signed by the key in force, moves the feed to its new key
//!   from the next position on.
//! - A revocation takes effect when a quorum of *other* genesis members (the roster's
//!   `quorum.members`) have each signed the same `key-revocation` (member, key, after,
//!   replacement) in their own feeds. Entries of that member after `after` under the
//!   revoked key are then refused, and its entry at `after + 1` must be a
//!   `key-rotation` to the replacement, signed by the replacement.
//! - An admission takes effect when a quorum of genesis members have each signed the
//!   same `admission`. The admitted member's feed is then valid under the admitted key.
//!
//! Only genesis members count toward a quorum, and only entries in the valid part of
//! their feeds, so the rules need nothing but the roster and the ledger. Because a
//! revocation can change which entries are valid, [`crate::verify`] recomputes the
//! tally from the feeds it yields until it no longer changes.

use std::collections::{BTreeMap, BTreeSet};

use crate::entry::Entry;
use crate::feed::Feed;
use crate::ids::{Kind, MemberCode, PublicKey, Seq};
use crate::payload::{Admission, KeyRevocation, Payload};
use crate::roster::{Member, Roster};

/// A revocation that reached its quorum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Revocation {
    pub member: MemberCode,
    #[serde(serialize_with = "as_string")]
    pub key: PublicKey,
    pub after: Seq,
    #[serde(serialize_with = "as_string")]
    pub replacement: PublicKey,
    /// The members whose entries reached the quorum, with the entry's position.
    pub by: Vec<(MemberCode, Seq)>,
}

fn as_string<S: serde::Serializer>(k: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&k.to_string())
}

/// What a ledger's revocations and admissions add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authority {
    /// Per member, its revocations in effect, by position.
    pub revocations: BTreeMap<MemberCode, Vec<Revocation>>,
    /// Members admitted by quorum, in code order.
    pub admitted: Vec<Member>,
    /// Revocations and admissions signed but short of the quorum, as sentences.
    pub pending: Vec<String>,
}

impl Authority {
    /// Tallies the revocation and admission entries of the genesis members' feeds.
    pub fn tally(roster: &Roster, feeds: &[Feed]) -> Authority {
        let entries = feeds
            .iter()
            .filter(|f| roster.is_genesis(f.member))
            .flat_map(|f| f.entries.iter());
        Authority::tally_entries(roster, entries)
    }

    /// Tallies from any set of entries already known to be valid.
    pub fn tally_entries<'a>(
        roster: &Roster,
        entries: impl Iterator<Item = &'a Entry>,
    ) -> Authority {
        let quorum = roster.member_quorum();
        let mut revocations: BTreeMap<Vec<u8>, (KeyRevocation, BTreeMap<MemberCode, Seq>)> =
            BTreeMap::new();
        let mut admissions: BTreeMap<Vec<u8>, (Admission, BTreeMap<MemberCode, Seq>)> =
            BTreeMap::new();
        for e in entries {
            let author = e.author();
            if !roster.is_genesis(author) {
                continue;
            }
            let kind = e.header().kind;
            if kind != Kind::KEY_REVOCATION && kind != Kind::ADMISSION {
                continue;
            }
            match Payload::decode(kind, e.payload()) {
                // A member cannot vote on its own key.
                Ok(Payload::KeyRevocation(r)) if r.member != author => {
                    revocations
                        .entry(e.payload().to_vec())
                        .or_insert_with(|| (r, BTreeMap::new()))
                        .1
                        .entry(author)
                        .or_insert(e.seq());
                }
                Ok(Payload::Admission(a)) if !roster.is_genesis(a.code) => {
                    admissions
                        .entry(e.payload().to_vec())
                        .or_insert_with(|| (a, BTreeMap::new()))
                        .1
                        .entry(author)
                        .or_insert(e.seq());
                }
                _ => {}
            }
        }
        let mut out = Authority::default();
        for (r, by) in revocations.into_values() {
            let (Some(key), Some(replacement)) = (r.key(), r.replacement()) else {
                continue;
            };
            if by.len() < quorum {
                out.pending.push(format!(
                    "revocation of {}'s key {} after #{} is signed by {} of the {quorum} members needed; it has no effect",
                    r.member,
                    short_key(&key),
                    r.after,
                    by.len()
                ));
                continue;
            }
            out.revocations
                .entry(r.member)
                .or_default()
                .push(Revocation {
                    member: r.member,
                    key,
                    after: Seq(r.after),
                    replacement,
                    by: by.into_iter().collect(),
                });
        }
        for list in out.revocations.values_mut() {
            list.sort_by_key(|r| r.after);
        }
        let mut reached: BTreeMap<MemberCode, Vec<Member>> = BTreeMap::new();
        for (a, by) in admissions.into_values() {
            if by.len() < quorum {
                out.pending.push(format!(
                    "admission of {} is signed by {} of the {quorum} members needed; it has no effect",
                    a.code,
                    by.len()
                ));
                continue;
            }
            if let Some(m) = a.member(by.into_keys().collect()) {
                reached.entry(m.code).or_default().push(m);
            }
        }
        for (code, mut list) in reached {
            if list.len() == 1 {
                out.admitted.extend(list.pop());
            } else {
                out.pending.push(format!(
                    "{code} was admitted by a quorum {} times with different details; none takes effect",
                    list.len()
                ));
            }
        }
        out
    }

    /// The key schedule of `member`'s feed: its first key and its revocations.
    pub fn schedule(&self, roster: &Roster, member: MemberCode) -> Option<KeyState> {
        let key = roster
            .member(member)
            .or_else(|| self.admitted.iter().find(|m| m.code == member))?
            .key;
        Some(KeyState::new(
            key,
            self.revocations.get(&member).cloned().unwrap_or_default(),
        ))
    }
}

fn short_key(k: &PublicKey) -> String {
    let s = k.to_string();
    format!("{}…", &s[..8])
}

/// What the entry at one position must be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    pub key: PublicKey,
    /// After a revocation: the entry must be a key-rotation installing this key.
    pub install: Option<PublicKey>,
}

/// Walks a feed's keys position by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    key: PublicKey,
    revocations: Vec<Revocation>,
    /// Where each key took over, for fork proofs at earlier positions.
    history: Vec<(Seq, PublicKey)>,
}

impl KeyState {
    pub fn new(key: PublicKey, revocations: Vec<Revocation>) -> KeyState {
        KeyState {
            key,
            revocations,
            history: vec![(Seq::FIRST, key)],
        }
    }

    /// The revocation that applies at `seq`, given the key in force.
    pub fn revocation_at(&self, seq: Seq) -> Option<&Revocation> {
        self.revocations
            .iter()
            .find(|r| r.after.0.checked_add(1) == Some(seq.0) && r.key == self.key)
    }

    /// A revocation whose position is just before `seq`, whatever key it names (for
    /// explaining a refusal).
    pub fn revocation_after(&self, seq: Seq) -> Option<&Revocation> {
        self.revocations
            .iter()
            .find(|r| r.after.0.checked_add(1) == Some(seq.0))
    }

    /// What the entry at `seq`, the next position, must be signed with.
    pub fn required(&self, seq: Seq) -> Expect {
        match self.revocation_at(seq) {
            Some(r) => Expect {
                key: r.replacement,
                install: Some(r.replacement),
            },
            None => Expect {
                key: self.key,
                install: None,
            },
        }
    }

    /// Moves past an accepted entry: a key-rotation changes the key.
    pub fn advance(&mut self, entry: &Entry) {
        if entry.header().kind != Kind::KEY_ROTATION {
            return;
        }
        if let Ok(Payload::KeyRotation(r)) = Payload::decode(Kind::KEY_ROTATION, entry.payload())
            && let Some(key) = r.key()
        {
            // An install is signed by the new key already; a rotation hands over at the
            // next position.
            let from = if self.revocation_at(entry.seq()).is_some() {
                entry.seq()
            } else {
                Seq(entry.seq().0.saturating_add(1))
            };
            self.key = key;
            self.history.push((from, key));
        }
    }

    /// The key in force now.
    pub fn key(&self) -> PublicKey {
        self.key
    }

    /// The key that signed position `seq` of the feed walked so far (or that would sign
    /// it next).
    pub fn key_at(&self, seq: Seq) -> PublicKey {
        self.history
            .iter()
            .rev()
            .find(|(from, _)| *from <= seq)
            .map_or(self.key, |(_, k)| *k)
    }

    /// Members who revoked keys of this feed, for messages.
    pub fn revokers(&self, seq: Seq) -> BTreeSet<MemberCode> {
        self.revocations
            .iter()
            .filter(|r| r.after.0 < seq.0)
            .flat_map(|r| r.by.iter().map(|(m, _)| *m))
            .collect()
    }
}
