//! The auditor's verification of a whole ledger, as a stream: feeds arrive a slice
//! of entries at a time, and what is kept is bounded by the members and by what the
//! caller asks to keep, never by the ledger's size.
//!
//! [`audit`] is the one implementation behind [`crate::verify::verify_bundle`] (which
//! keeps every entry, for proofs and tests) and `pacta verify` (which keeps only the
//! status engine's entries, and reads its bundle from disk or pages a node's feeds).
//!
//! Revocations and admissions change which keys and members count, and they are
//! themselves entries: the feeds are verified under the genesis roster, the authority
//! is tallied from what verified, and if it changed the feeds are read again under
//! the new one (SPEC 9). A ledger without them is read once.

use std::collections::{BTreeMap, BTreeSet};

use crate::authority::Authority;
use crate::checkpoint::{Against, Checkpoint, CheckpointHead, Witnessed, verify_checkpoint};
use crate::entry::Entry;
use crate::feed::{FeedCursor, FeedError, Problem, Tip};
use crate::fork::ForkProof;
use crate::ids::{EntryId, Kind, MemberCode, NetworkId, Seq};
use crate::roster::Roster;
use crate::verify::{
    AdmittedReport, CheckpointReport, Failure, FeedReport, ForkReport, HeadReport, Report,
};

/// Where the feeds come from: a bundle in memory, a file, a node's pages.
pub trait FeedSource {
    type Error;
    /// Hands `member`'s entries to `sink`, from #1 in order, in slices of any size.
    fn feed(
        &mut self,
        member: MemberCode,
        sink: &mut dyn FnMut(&[&[u8]]),
    ) -> Result<(), Self::Error>;
}

/// What is known of a ledger before its feeds are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub network: NetworkId,
    /// The feeds the ledger carries, in code order, with their entry counts.
    pub feeds: Vec<(MemberCode, u64)>,
    pub forks: Vec<[Vec<u8>; 2]>,
    /// The signed checkpoint the ledger was cut at, if it carries one.
    pub checkpoint: Option<Vec<u8>>,
}

/// What the caller keeps of the verified entries.
pub trait Keep {
    /// A new pass over the feeds begins: forget what the last one kept.
    fn restart(&mut self);
    /// Entries of `member`'s feed that verified, in feed order.
    fn keep(&mut self, member: MemberCode, entries: Vec<Entry>);
}

/// Keeps nothing.
impl Keep for () {
    fn restart(&mut self) {}
    fn keep(&mut self, _: MemberCode, _: Vec<Entry>) {}
}

/// The status engine keeps what the status needs (every entry but notes).
impl Keep for crate::status::Index {
    fn restart(&mut self) {
        *self = crate::status::Index::new(self.as_of());
    }
    fn keep(&mut self, _: MemberCode, entries: Vec<Entry>) {
        for e in &entries {
            self.push(e);
        }
    }
}

/// What an audit remembers of each feed: its length and the ids at the positions it
/// was asked to watch (the heads of checkpoints), which is all a checkpoint's check
/// needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub verified: BTreeMap<MemberCode, u64>,
    pub heads: BTreeMap<MemberCode, Tip>,
    pub ids: BTreeMap<(MemberCode, Seq), EntryId>,
}

impl Held {
    /// How the verified feeds stand against a checkpoint's head for `code`. The
    /// position must have been watched; one that was not reads as short.
    pub fn against(&self, code: MemberCode, head: CheckpointHead) -> Against {
        let held = self.verified.get(&code).copied().unwrap_or(0);
        if head.seq.0 == 0 || head.seq.0 > held {
            return Against::Short { held };
        }
        match self.ids.get(&(code, head.seq)) {
            Some(id) if *id == head.id => Against::Extends,
            Some(id) => Against::Differs { held: *id },
            None => Against::Short { held },
        }
    }
}

/// The outcome of an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    pub report: Report,
    pub held: Held,
    /// The valid fork proofs.
    pub forks: Vec<ForkProof>,
    /// The checkpoint, when it reached its quorum and every feed extends it.
    pub checkpoint: Option<Witnessed>,
    /// Members admitted by quorum.
    pub admitted: Vec<crate::roster::Member>,
    /// The roster with the admitted members: the one the status is computed under.
    pub roster: Roster,
}

/// The outcome for a ledger rejected as a whole (place `bundle`, SPEC 8): a report
/// with no feeds and the one failure.
pub fn rejected(roster: &Roster, reason: &'static str, message: String) -> Audited {
    Audited {
        report: Report {
            valid: false,
            network: roster.network_id(),
            network_name: roster.network_name().to_owned(),
            verified_entries: 0,
            feeds: Vec::new(),
            forks: Vec::new(),
            checkpoint: None,
            revocations: Vec::new(),
            admitted: Vec::new(),
            pending: Vec::new(),
            errors: vec![Failure::general("bundle", reason, message)],
        },
        held: Held::default(),
        forks: Vec::new(),
        checkpoint: None,
        admitted: Vec::new(),
        roster: roster.clone(),
    }
}

/// Why a ledger for `network` is not one of `roster`'s (SPEC 8, reason `network`).
pub fn foreign(roster: &Roster, network: NetworkId) -> Option<String> {
    (network != roster.network_id()).then(|| {
        format!(
            "the bundle is for network {}, but the roster's network is {} ({})",
            network.short(),
            roster.network_id().short(),
            roster.network_name()
        )
    })
}

/// Most passes over the feeds while revocations and admissions settle.
const MAX_ROUNDS: usize = 8;

/// Verifies a ledger read from `source` against `genesis`. `whole` is false for a
/// proof's bundle, which carries only some feeds. `watch` lists more positions whose
/// ids to remember (the heads of checkpoints the auditor holds). `progress` is told
/// (entries just verified, entries in the ledger), on every slice.
pub fn audit<S: FeedSource, K: Keep>(
    genesis: &Roster,
    outline: &Outline,
    source: &mut S,
    keep: &mut K,
    whole: bool,
    watch: &[(MemberCode, Seq)],
    progress: &dyn Fn(u64, u64),
) -> Result<Audited, S::Error> {
    let total: u64 = outline.feeds.iter().map(|(_, n)| *n).sum();
    // The checkpoint's heads first, so that they are watched as the feeds go by. Its
    // signatures are checked at the end, under the roster the feeds settle on.
    let mut watched: BTreeSet<(MemberCode, Seq)> = watch.iter().copied().collect();
    if let Some(cp) = outline
        .checkpoint
        .as_deref()
        .and_then(|bytes| crate::note::Note::parse(bytes).ok())
        .and_then(|note| Checkpoint::parse_text(&note.text).ok())
    {
        watched.extend(cp.heads.iter().map(|(c, h)| (*c, h.seq)));
    }

    let mut errors = Vec::new();
    let mut authority = Authority::default();
    let mut rounds = 0;
    let (roster, cursors, held) = loop {
        let roster = genesis.with_admitted(authority.admitted.iter().cloned());
        keep.restart();
        let mut cursors: Vec<(u64, FeedCursor)> = Vec::new();
        let mut held = Held::default();
        // Only genesis members' revocations and admissions count (SPEC 6.13).
        let mut votes: Vec<Entry> = Vec::new();
        for (code, _) in &outline.feeds {
            let Some(keys) = authority.schedule(&roster, *code) else {
                continue;
            };
            let mut cursor = FeedCursor::new(roster.network_id(), roster.feed_limit(), *code, keys);
            source.feed(*code, &mut |slice| {
                let valid = cursor.push(slice);
                progress(slice.len() as u64, total);
                for e in &valid {
                    if watched.contains(&(*code, e.seq())) {
                        held.ids.insert((*code, e.seq()), e.id());
                    }
                    let kind = e.header().kind;
                    if genesis.is_genesis(*code)
                        && (kind == Kind::KEY_REVOCATION || kind == Kind::ADMISSION)
                    {
                        votes.push(e.clone());
                    }
                }
                keep.keep(*code, valid);
            })?;
            held.verified.insert(*code, cursor.verified());
            if let Some(tip) = cursor.tip() {
                held.heads.insert(*code, tip);
            }
            // What the source handed over: all of a bundle's entries; a node's pages
            // up to the first entry that does not chain.
            cursors.push((cursor.pushed(), cursor));
        }
        let next = Authority::tally_entries(genesis, votes.iter());
        rounds += 1;
        if next == authority {
            break (roster, cursors, held);
        }
        if rounds == MAX_ROUNDS {
            errors.push(Failure::general(
                "keys",
                "keys",
                format!("revocations and admissions do not settle after {MAX_ROUNDS} passes: members revoke each other's keys in a cycle"),
            ));
            break (roster, cursors, held);
        }
        authority = next;
    };
    let roster = &roster;
    for (code, _) in &outline.feeds {
        if roster.member(*code).is_none() {
            errors.push(Failure::of_feed(&FeedError {
                member: *code,
                position: Seq::FIRST,
                problem: Problem::UnknownMember,
            }));
        }
    }

    let forks = check_forks(roster, &outline.forks, &cursors, &mut errors);

    let disputed = |code: MemberCode| forks.iter().any(|f: &ForkProof| f.member() == code);
    let mut feed_reports = Vec::new();
    let mut verified_entries = 0;
    let mut cursors = cursors.into_iter().peekable();
    for member in roster.members() {
        let (entries, cursor) = match cursors.next_if(|(_, c)| c.member() == member.code) {
            Some((entries, cursor)) => (entries, Some(cursor)),
            None => (0, None),
        };
        let verified = cursor.as_ref().map_or(0, FeedCursor::verified);
        let head = cursor
            .as_ref()
            .and_then(FeedCursor::tip)
            .map(|t| HeadReport {
                seq: t.seq,
                id: t.id,
                time: t.time,
            });
        verified_entries += verified;
        feed_reports.push(FeedReport {
            member: member.code,
            name: member.name.clone(),
            entries,
            verified,
            head,
            disputed: disputed(member.code),
        });
        if let Some(err) = cursor.as_ref().and_then(FeedCursor::error) {
            errors.push(Failure::of_feed(err));
        }
    }
    // Bundle order: feed failures by member code, then fork failures in their order.
    errors.sort_by_key(|e| (e.member.is_none(), e.member, e.seq));

    let checkpoint = outline
        .checkpoint
        .as_deref()
        .map(|bytes| verify_checkpoint(roster, bytes));
    let (checkpoint, witnessed) = match checkpoint {
        None => (None, None),
        Some(Err(e)) => {
            errors.push(Failure::general("checkpoint", "checkpoint", e.to_string()));
            (None, None)
        }
        Some(Ok(w)) => {
            let (report, failures) = check_checkpoint(&w, &held, whole);
            // The ledger vouches for its checkpoint only when it holds: quorum
            // reached and every feed extending it.
            let holds = failures.is_empty();
            errors.extend(failures);
            (Some(report), holds.then_some(w))
        }
    };

    let report = Report {
        valid: errors.is_empty(),
        network: roster.network_id(),
        network_name: roster.network_name().to_owned(),
        verified_entries,
        feeds: feed_reports,
        forks: forks
            .iter()
            .map(|f| ForkReport {
                member: f.member(),
                seq: f.seq(),
                ids: f.entries().map(Entry::id),
            })
            .collect(),
        checkpoint,
        revocations: authority.revocations.values().flatten().cloned().collect(),
        admitted: authority
            .admitted
            .iter()
            .map(|m| AdmittedReport {
                member: m.code,
                name: m.name.clone(),
                by: m.admitted_by.clone(),
            })
            .collect(),
        pending: authority.pending.clone(),
        errors,
    };
    Ok(Audited {
        report,
        held,
        forks,
        checkpoint: witnessed,
        admitted: authority.admitted,
        roster: roster.clone(),
    })
}

/// SPEC 9 step 4: each fork proof, under the key in force at its position, in order.
fn check_forks(
    roster: &Roster,
    forks: &[[Vec<u8>; 2]],
    cursors: &[(u64, FeedCursor)],
    errors: &mut Vec<Failure>,
) -> Vec<ForkProof> {
    let mut valid = Vec::new();
    let mut previous: Option<(MemberCode, Seq, EntryId)> = None;
    for (index, [a, b]) in forks.iter().enumerate() {
        let place = format!("fork {}", index + 1);
        let proof = Entry::decode(a)
            .and_then(|a| Entry::decode(b).map(|b| (a, b)))
            .map_err(|e| e.to_string())
            .and_then(|(a, b)| ForkProof::from_ordered(a, b).map_err(|e| e.to_string()))
            .and_then(|p| {
                // The member's key in force at the fork's position.
                let key = cursors
                    .iter()
                    .find(|(_, c)| c.member() == p.member())
                    .map(|(_, c)| c.keys().key_at(p.seq()))
                    .or_else(|| roster.member(p.member()).map(|m| m.key))
                    .ok_or_else(|| format!("{} is not a member of this roster", p.member()))?;
                p.verify_under(roster.network_id(), &key)
                    .map(|()| p)
                    .map_err(|e| e.to_string())
            });
        match proof {
            Ok(proof) => {
                let key = (proof.member(), proof.seq(), proof.entries()[0].id());
                if previous.is_some_and(|p| p >= key) {
                    errors.push(Failure::general(&place, "fork", format!("{place}: fork proofs must be in ascending (member, seq, id) order, once each")));
                } else {
                    previous = Some(key);
                    valid.push(proof);
                }
            }
            Err(message) => errors.push(Failure::general(
                &place,
                "fork",
                format!("{place}: {message}"),
            )),
        }
    }
    valid
}

/// Checks a ledger's verified checkpoint: its quorum, then each of its heads against
/// the verified feeds. A feed that stops before its head was cut short or rolled
/// back; one that holds another entry there shows a split view.
fn check_checkpoint(w: &Witnessed, held: &Held, whole: bool) -> (CheckpointReport, Vec<Failure>) {
    let cp = &w.checkpoint;
    let mut failures = Vec::new();
    if !w.has_quorum() {
        failures.push(Failure::general(
            "checkpoint",
            "checkpoint-quorum",
            format!(
                "checkpoint of node {} at {}: signed by {}, short of the roster's quorum",
                cp.node,
                cp.time,
                w.signer_list()
            ),
        ));
    }
    let mut beyond = 0;
    for (code, verified) in &held.verified {
        match cp.heads.get(code) {
            Some(h) => beyond += verified.saturating_sub(h.seq.0),
            None => beyond += verified,
        }
    }
    for (code, head) in &cp.heads {
        if !held.verified.contains_key(code) && !whole {
            continue;
        }
        let failure = |reason: &'static str, message: String| Failure {
            place: format!("{code} {}", head.seq),
            reason,
            member: Some(*code),
            seq: Some(head.seq),
            message,
        };
        match held.against(*code, *head) {
            Against::Extends => {}
            Against::Short { held } => failures.push(failure(
                "truncated",
                format!(
                    "{code} {}: the ledger holds {code} only up to #{held}, but the checkpoint of {} at {} (signed by {}) has {code} {} = {}: the feed was cut short or rolled back",
                    head.seq, cp.node, cp.time, w.signer_list(), head.seq, head.id.short()
                ),
            )),
            Against::Differs { held } => failures.push(failure(
                "split-view",
                format!(
                    "{code} {}: the ledger holds {} there, but the checkpoint of {} at {} (signed by {}) has {}: two histories of {code} were shown",
                    head.seq, held.short(), cp.node, cp.time, w.signer_list(), head.id.short()
                ),
            )),
        }
    }
    let report = CheckpointReport {
        node: cp.node,
        time: cp.time,
        signers: w.signers.iter().map(|(c, _)| *c).collect(),
        quorum: w.quorum,
        entries: cp.size(),
        beyond,
    };
    (report, failures)
}
