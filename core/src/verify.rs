//! Verifying a whole ledger, as an auditor does: every feed, every fork proof, against
//! the roster alone, into a [`Report`] that says what holds and where it fails.
//!
//! The report is built only from the roster and from signed content, so nothing
//! unsigned that a bundle might carry can change it.

use serde::Serialize;

use crate::audit::{FeedSource, Keep, Outline, audit};
use crate::authority::Revocation;
use crate::bundle::BundleView;
use crate::checkpoint::Witnessed;
use crate::entry::Entry;
use crate::feed::{Feed, FeedError};
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
    pub(crate) fn of_feed(err: &FeedError) -> Failure {
        Failure {
            place: format!("{} {}", err.member, err.position),
            reason: err.problem.code(),
            member: Some(err.member),
            seq: Some(err.position),
            message: err.to_string(),
        }
    }

    pub(crate) fn general(place: &str, reason: &'static str, message: String) -> Failure {
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
    verify_bundle_with(roster, bytes, &|_, _| {})
}

/// Reports progress: `progress(done, total)` is called as entries are verified, with
/// the entries just verified and the bundle's entry count.
pub type Progress<'a> = &'a dyn Fn(u64, u64);

/// [`verify_bundle`], telling `progress` how far it is (for a progress bar).
pub fn verify_bundle_with(roster: &Roster, bytes: &[u8], progress: Progress<'_>) -> Verification {
    let empty = |reason: &'static str, message: String| Verification {
        report: crate::audit::rejected(roster, reason, message).report,
        ledger: Ledger::default(),
    };
    let view = match BundleView::parse(bytes) {
        Ok(view) => view,
        Err(err) => return empty("bundle", err.to_string()),
    };
    if let Some(message) = crate::audit::foreign(roster, view.network) {
        return empty("network", message);
    }
    verify_scoped(roster, &view, true, progress)
}

/// Verifies a decoded bundle of a whole ledger: the feeds, then the fork proofs,
/// then the checkpoint, against which every feed must be complete.
pub fn verify_view(roster: &Roster, view: &BundleView<'_>) -> Verification {
    verify_scoped(roster, view, true, &|_, _| {})
}

/// Like [`verify_view`], for a bundle that carries only some feeds (a proof's): the
/// checkpoint is checked against the feeds it carries.
pub fn verify_part(roster: &Roster, view: &BundleView<'_>) -> Verification {
    verify_scoped(roster, view, false, &|_, _| {})
}

/// A bundle in memory as a source of feeds.
struct InMemory<'v, 'a>(&'v BundleView<'a>);

impl FeedSource for InMemory<'_, '_> {
    type Error = std::convert::Infallible;
    fn feed(
        &mut self,
        member: MemberCode,
        sink: &mut dyn FnMut(&[&[u8]]),
    ) -> Result<(), Self::Error> {
        if let Some((_, raw)) = self.0.feeds.iter().find(|(code, _)| *code == member) {
            sink(raw);
        }
        Ok(())
    }
}

/// Keeps every verified entry, feed by feed, in code order.
#[derive(Default)]
struct Collect(Vec<Feed>);

impl Keep for Collect {
    fn restart(&mut self) {
        self.0.clear();
    }
    fn keep(&mut self, member: MemberCode, entries: Vec<Entry>) {
        match self.0.last_mut() {
            Some(feed) if feed.member == member => feed.entries.extend(entries),
            _ => self.0.push(Feed { member, entries }),
        }
    }
}

fn verify_scoped(
    genesis: &Roster,
    view: &BundleView<'_>,
    whole: bool,
    progress: Progress<'_>,
) -> Verification {
    let outline = Outline {
        network: view.network,
        feeds: view
            .feeds
            .iter()
            .map(|(code, raw)| (*code, raw.len() as u64))
            .collect(),
        forks: view
            .forks
            .iter()
            .map(|[a, b]| [a.to_vec(), b.to_vec()])
            .collect(),
        checkpoint: view.checkpoint.map(<[u8]>::to_vec),
    };
    let mut kept = Collect::default();
    let audited = match audit(
        genesis,
        &outline,
        &mut InMemory(view),
        &mut kept,
        whole,
        &[],
        progress,
    ) {
        Ok(a) => a,
        Err(never) => match never {},
    };
    Verification {
        report: audited.report,
        ledger: Ledger {
            feeds: kept.0,
            forks: audited.forks,
            checkpoint: audited.checkpoint,
            admitted: audited.admitted,
        },
    }
}
