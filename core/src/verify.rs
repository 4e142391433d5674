//! Verifying a whole ledger, as an auditor does: every feed, every fork proof, against
//! the roster alone, into a [`Report`] that says what holds and where it fails.
//!
//! The report is built only from the roster and from signed content, so nothing
//! unsigned that a bundle might carry can change it.

use rayon::prelude::*;
use serde::Serialize;

use crate::authority::{Authority, Revocation};
use crate::bundle::BundleView;
use crate::checkpoint::{Against, Witnessed, against, verify_checkpoint};
use crate::entry::Entry;
use crate::feed::{Feed, FeedError, Problem, verify_feed_with};
use crate::fork::ForkProof;
use crate::ids::{EntryId, MemberCode, NetworkId, Seq, Timestamp};
use crate::roster::Roster;

/// What an auditor gets: the verdict, each feed's state, the forks, the failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub valid: bool,
    pub network: NetworkId,
    pub network_name: String,
    /// Entries that passed every check, over all feeds.
    pub verified_entries: u64,
    /// One per roster member, in code order.
    pub feeds: Vec<FeedReport>,
    pub forks: Vec<ForkReport>,
    /// The cosigned checkpoint the ledger was cut at, when it carries one.
    pub checkpoint: Option<CheckpointReport>,
    /// Key revocations that reached their quorum.
    pub revocations: Vec<Revocation>,
    /// Members admitted by quorum after the genesis roster.
    pub admitted: Vec<AdmittedReport>,
    /// Revocations and admissions short of their quorum, which have no effect.
    pub pending: Vec<String>,
    pub errors: Vec<Failure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdmittedReport {
    pub member: MemberCode,
    pub name: String,
    pub by: Vec<MemberCode>,
}

/// The checkpoint a ledger carries, as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointReport {
    pub node: MemberCode,
    pub time: Timestamp,
    /// Nodes whose signature verified: the origin, then its cosigners.
    pub signers: Vec<MemberCode>,
    pub quorum: usize,
    /// Entries the checkpoint covers (the sum of its heads' positions).
    pub entries: u64,
    /// Verified entries beyond the checkpoint's heads: newer than the checkpoint, so
    /// not yet witnessed by it.
    pub beyond: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedReport {
    pub member: MemberCode,
    pub name: String,
    /// Entries the ledger holds for this feed.
    pub entries: u64,
    /// Entries that verified, from #1: all of them when the feed is valid.
    pub verified: u64,
    /// The newest verified entry.
    pub head: Option<HeadReport>,
    /// A fork proof against this member is in the ledger.
    pub disputed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeadReport {
    pub seq: Seq,
    pub id: EntryId,
    pub time: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForkReport {
    pub member: MemberCode,
    pub seq: Seq,
    pub ids: [EntryId; 2],
}

/// One failure, with its place ("FR #12", "bundle", "fork 1"), a stable reason code
/// (see SPEC.md, "Verification") and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub place: String,
    pub reason: &'static str,
    pub member: Option<MemberCode>,
    pub seq: Option<Seq>,
    pub message: String,
}

impl Failure {
    fn of_feed(err: &FeedError) -> Failure {
        Failure {
            place: format!("{} {}", err.member, err.position),
            reason: err.problem.code(),
            member: Some(err.member),
            seq: Some(err.position),
            message: err.to_string(),
        }
    }

    fn general(place: &str, reason: &'static str, message: String) -> Failure {
        Failure {
            place: place.to_owned(),
            reason,
            member: None,
            seq: None,
            message,
        }
    }
}

/// The verified content of a ledger: each feed's valid prefix, the valid fork proofs,
/// and the checkpoint it was cut at if that reached its quorum and every feed extends
/// it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    pub feeds: Vec<Feed>,
    pub forks: Vec<ForkProof>,
    pub checkpoint: Option<Witnessed>,
    /// Members admitted by quorum, whose feeds are among `feeds`.
    pub admitted: Vec<crate::roster::Member>,
}

/// The report and what it vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub report: Report,
    pub ledger: Ledger,
}

/// Verifies a bundle's bytes against `roster`.
pub fn verify_bundle(roster: &Roster, bytes: &[u8]) -> Verification {
    let empty = |reason: &'static str, message: String| {
        let report = Report {
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
        };
        Verification {
            report,
            ledger: Ledger::default(),
        }
    };
    let view = match BundleView::parse(bytes) {
        Ok(view) => view,
        Err(err) => return empty("bundle", err.to_string()),
    };
    if view.network != roster.network_id() {
        return empty(
            "network",
            format!(
                "the bundle is for network {}, but the roster's network is {} ({})",
                view.network.short(),
                roster.network_id().short(),
                roster.network_name()
            ),
        );
    }
    verify_view(roster, &view)
}

/// Verifies a decoded bundle of a whole ledger: feeds in parallel, then the fork proofs,
/// then the checkpoint, against which every feed must be complete.
pub fn verify_view(roster: &Roster, view: &BundleView<'_>) -> Verification {
    verify_scoped(roster, view, true)
}

/// Like [`verify_view`], for a bundle that carries only some feeds (a proof's): the
/// checkpoint is checked against the feeds it carries.
pub fn verify_part(roster: &Roster, view: &BundleView<'_>) -> Verification {
    verify_scoped(roster, view, false)
}

/// Most passes over the feeds while revocations and admissions settle.
const MAX_ROUNDS: usize = 8;

fn verify_scoped(genesis: &Roster, view: &BundleView<'_>, whole: bool) -> Verification {
    let mut errors = Vec::new();
    // Verify every feed under the keys and members the last tally gave, tally again
    // from what verified, and repeat until the tally holds (one pass when the ledger
    // has no revocation or admission).
    let mut authority = Authority::default();
    let mut rounds = 0;
    let (roster, verdicts) = loop {
        let roster = genesis.with_admitted(authority.admitted.iter().cloned());
        let verdicts: Vec<_> = view
            .feeds
            .par_iter()
            .filter_map(|(code, raw)| {
                let keys = authority.schedule(&roster, *code)?;
                Some((
                    raw.len() as u64,
                    verify_feed_with(roster.network_id(), roster.feed_limit(), *code, keys, raw),
                ))
            })
            .collect();
        let next = Authority::tally_entries(
            genesis,
            verdicts
                .iter()
                .filter(|(_, v)| genesis.is_genesis(v.valid.member))
                .flat_map(|(_, v)| v.valid.entries.iter()),
        );
        rounds += 1;
        if next == authority {
            break (roster, verdicts);
        }
        if rounds == MAX_ROUNDS {
            errors.push(Failure::general(
                "keys",
                "keys",
                format!("revocations and admissions do not settle after {MAX_ROUNDS} passes: members revoke each other's keys in a cycle"),
            ));
            break (roster, verdicts);
        }
        authority = next;
    };
    let roster = &roster;
    for (code, _) in &view.feeds {
        if roster.member(*code).is_none() {
            errors.push(Failure::of_feed(&FeedError {
                member: *code,
                position: Seq::FIRST,
                problem: Problem::UnknownMember,
            }));
        }
    }

    let mut forks = Vec::new();
    let mut previous: Option<(MemberCode, Seq, EntryId)> = None;
    for (index, [a, b]) in view.forks.iter().enumerate() {
        let place = format!("fork {}", index + 1);
        let proof = Entry::decode(a)
            .and_then(|a| Entry::decode(b).map(|b| (a, b)))
            .map_err(|e| e.to_string())
            .and_then(|(a, b)| ForkProof::from_ordered(a, b).map_err(|e| e.to_string()))
            .and_then(|p| {
                // The member's key in force at the fork's position.
                let key = verdicts
                    .iter()
                    .find(|(_, v)| v.valid.member == p.member())
                    .and_then(|(_, v)| v.keys.as_ref())
                    .map(|k| k.key_at(p.seq()))
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
                    forks.push(proof);
                }
            }
            Err(message) => errors.push(Failure::general(
                &place,
                "fork",
                format!("{place}: {message}"),
            )),
        }
    }

    let disputed = |code: MemberCode| forks.iter().any(|f: &ForkProof| f.member() == code);
    let mut feeds = Vec::new();
    let mut feed_reports = Vec::new();
    let mut verified_entries = 0;
    let mut verdicts = verdicts.into_iter().peekable();
    for member in roster.members() {
        let (entries, verdict) = match verdicts.next_if(|(_, v)| v.valid.member == member.code) {
            Some((entries, verdict)) => (entries, Some(verdict)),
            None => (0, None),
        };
        let (verified, head) = match &verdict {
            Some(v) => (
                v.valid.entries.len() as u64,
                v.valid.tip().map(|t| HeadReport {
                    seq: t.seq,
                    id: t.id,
                    time: t.time,
                }),
            ),
            None => (0, None),
        };
        verified_entries += verified;
        feed_reports.push(FeedReport {
            member: member.code,
            name: member.name.clone(),
            entries,
            verified,
            head,
            disputed: disputed(member.code),
        });
        if let Some(verdict) = verdict {
            if let Some(err) = &verdict.error {
                errors.push(Failure::of_feed(err));
            }
            feeds.push(verdict.valid);
        }
    }
    // Bundle order: feed failures by member code, then fork failures in their order.
    errors.sort_by_key(|e| (e.member.is_none(), e.member, e.seq));

    let (checkpoint, witnessed) = match view.checkpoint {
        None => (None, None),
        Some(bytes) => match check_checkpoint(roster, bytes, &feeds, whole) {
            Ok((report, w, failures)) => {
                // The ledger vouches for its checkpoint only when it holds: quorum
                // reached and every feed extending it.
                let holds = failures.is_empty();
                errors.extend(failures);
                (Some(report), holds.then_some(w))
            }
            Err(failure) => {
                errors.push(failure);
                (None, None)
            }
        },
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
    Verification {
        report,
        ledger: Ledger {
            feeds,
            forks,
            checkpoint: witnessed,
            admitted: authority.admitted,
        },
    }
}

/// Checks a ledger's checkpoint: its signatures and quorum against the roster, then
/// each of its heads against the verified feeds. A feed that stops before its head was
/// cut short or rolled back; one that holds another entry there shows a split view.
fn check_checkpoint(
    roster: &Roster,
    bytes: &[u8],
    feeds: &[Feed],
    whole: bool,
) -> Result<(CheckpointReport, Witnessed, Vec<Failure>), Failure> {
    let w = verify_checkpoint(roster, bytes)
        .map_err(|e| Failure::general("checkpoint", "checkpoint", e.to_string()))?;
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
    for feed in feeds {
        let held = feed.entries.len() as u64;
        match cp.heads.get(&feed.member) {
            Some(h) => beyond += held.saturating_sub(h.seq.0),
            None => beyond += held,
        }
    }
    for (code, head) in &cp.heads {
        let feed = feeds.iter().find(|f| f.member == *code);
        if feed.is_none() && !whole {
            continue;
        }
        let ids: Vec<EntryId> = feed
            .map(|f| f.entries.iter().map(Entry::id).collect())
            .unwrap_or_default();
        let failure = |reason: &'static str, message: String| Failure {
            place: format!("{code} {}", head.seq),
            reason,
            member: Some(*code),
            seq: Some(head.seq),
            message,
        };
        match against(&ids, *head) {
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
    Ok((report, w, failures))
}
