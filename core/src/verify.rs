//! Verifying a whole ledger, as an auditor does: every feed, every fork proof, against
//! the roster alone, into a [`Report`] that says what holds and where it fails.
//!
//! The report is built only from the roster and from signed content, so nothing
//! unsigned that a bundle might carry can change it.

use rayon::prelude::*;
use serde::Serialize;

use crate::bundle::BundleView;
use crate::entry::Entry;
use crate::feed::{Feed, FeedError, Problem, verify_feed};
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
    pub errors: Vec<Failure>,
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

/// The verified content of a ledger: each feed's valid prefix and the valid fork proofs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    pub feeds: Vec<Feed>,
    pub forks: Vec<ForkProof>,
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

/// Verifies a decoded bundle: feeds in parallel, then the fork proofs.
pub fn verify_view(roster: &Roster, view: &BundleView<'_>) -> Verification {
    let mut errors = Vec::new();
    for (code, _) in &view.feeds {
        if roster.member(*code).is_none() {
            errors.push(Failure::of_feed(&FeedError {
                member: *code,
                position: Seq::FIRST,
                problem: Problem::UnknownMember,
            }));
        }
    }
    let verdicts: Vec<_> = view
        .feeds
        .par_iter()
        .filter(|(code, _)| roster.member(*code).is_some())
        .map(|(code, raw)| (raw.len() as u64, verify_feed(roster, *code, raw)))
        .collect();

    let mut forks = Vec::new();
    let mut previous: Option<(MemberCode, Seq, EntryId)> = None;
    for (index, [a, b]) in view.forks.iter().enumerate() {
        let place = format!("fork {}", index + 1);
        let proof = Entry::decode(a)
            .and_then(|a| Entry::decode(b).map(|b| (a, b)))
            .map_err(|e| e.to_string())
            .and_then(|(a, b)| ForkProof::from_ordered(a, b).map_err(|e| e.to_string()))
            .and_then(|p| p.verify(roster).map(|()| p).map_err(|e| e.to_string()));
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
        errors,
    };
    Verification {
        report,
        ledger: Ledger { feeds, forks },
    }
}
