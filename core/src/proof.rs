//! Proofs: a small, self-contained file that proves one member's status for one
//! instrument, checked offline against the roster alone.
//!
//! ```text
//! "pacta/proof\0"   12 bytes
//! version           u8 = 2
//! statement         u32 length, then canonical JSON: what the proof claims
//! bundle            u32 length, then a bundle (SPEC.md, "Bundles") holding exactly
//!                   the feeds the status rests on, whole from #1, their fork proofs,
//!                   and the cosigned checkpoint of the ledger it was cut from
//! ```
//!
//! The verifier recomputes the status from the bundle with the same engine and
//! requires the statement to be, byte for byte, what that computation gives; and the
//! bundle to hold exactly the feeds the status rests on.
//!
//! The one date in a statement, `since`, is not free either: it is the day the status
//! became what it is (the status the day before differs), so that a statement has one
//! valid date, not one per day the status lasts. `pacta prove --as-of D` finds the
//! day for D. Every byte of a proof is thus signed, recomputed or pinned, and a proof
//! edited anywhere fails. What a proof cannot show on its own is that the feeds it
//! carries are complete up to today: entries signed after it was cut are not in it
//! (its `heads` say where each feed stops).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bundle::{self, BundleView};
use crate::codec::{CodecError, Reader};
use crate::date::Date;
use crate::ids::{EntryId, MemberCode, Seq};
use crate::payload::Nature;
use crate::roster::Roster;
use crate::status::{self, MemberStatus};
use crate::verify::{CheckpointReport, Ledger, verify_part};

pub const PROOF_MAGIC: &[u8; 12] = b"pacta/proof\0";
pub const PROOF_VERSION: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error("not a Pacta proof (it does not start with \"pacta/proof\\0\")")]
    Magic,
    #[error("proof format version {0} is not supported (this verifier reads version 2)")]
    Version(u8),
    #[error("proof: {0}")]
    Codec(#[from] CodecError),
    #[error("proof statement: {0}")]
    Statement(String),
    #[error("proof bundle: {0}")]
    Bundle(String),
    #[error("proof bundle: {0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(
        "the proof carries the feeds {carried}, but this status rests on {needed}: a proof carries exactly those"
    )]
    Feeds { carried: String, needed: String },
    #[error(
        "the statement says the status began on {0}, but it was already the same the day before: a proof names the first day of its status"
    )]
    Since(Date),
    #[error(
        "the statement does not match what the entries prove: it says\n  {claimed}\nbut the entries give\n  {computed}"
    )]
    Mismatch { claimed: String, computed: String },
}

/// What a proof claims: the member, the instrument, the status, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub member: MemberCode,
    pub instrument: EntryId,
    /// The first day of this status: on the day before, the status was different.
    pub since: Date,
    pub title: String,
    pub short: String,
    pub nature: Nature,
    pub in_force_on: Option<Date>,
    /// Where each carried feed stops.
    pub heads: Vec<Head>,
    pub status: MemberStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Head {
    pub member: MemberCode,
    pub seq: Seq,
    pub id: EntryId,
}

/// The part of a statement the verifier reads; the rest it recomputes.
#[derive(Deserialize)]
struct Claim {
    member: MemberCode,
    instrument: EntryId,
    since: Date,
}

/// Cuts the proof of `member`'s status for `instrument` (its short name or id) as of
/// `as_of`, from a verified ledger.
pub fn prove(
    roster: &Roster,
    ledger: &Ledger,
    member: MemberCode,
    instrument: &str,
    as_of: Date,
) -> Result<(Statement, Vec<u8>), ProofError> {
    let all = status::compute(roster, ledger, as_of);
    let inst = all.find(instrument).map_err(ProofError::NotFound)?;
    let row = inst.member(member).ok_or_else(|| {
        ProofError::NotFound(format!(
            "{member} is not a party to {} and has no entry about it",
            inst.short
        ))
    })?;
    let feeds: Vec<_> = ledger
        .feeds
        .iter()
        .filter(|f| row.depends_on.contains(&f.member))
        .cloned()
        .collect();
    let forks: Vec<_> = ledger
        .forks
        .iter()
        .filter(|f| row.depends_on.contains(&f.member()))
        .cloned()
        .collect();
    let checkpoint = ledger.checkpoint.as_ref().map(|w| w.note.to_text());
    let bundle = bundle::encode(
        roster.network_id(),
        &feeds,
        &forks,
        checkpoint.as_deref().map(str::as_bytes),
    );
    // Compute the statement from exactly what the proof carries, as the verifier will.
    let view = BundleView::parse(&bundle).map_err(|e| ProofError::Bundle(e.to_string()))?;
    let carried = verify_part(roster, &view).ledger;
    let target = statement(roster, &carried, member, inst.id, as_of)?;
    let statement = first_day(roster, &carried, target)?;
    let json = serde_json::to_vec(&statement).unwrap_or_default();
    let mut out = Vec::with_capacity(json.len() + bundle.len() + 21);
    out.extend_from_slice(PROOF_MAGIC);
    out.push(PROOF_VERSION);
    out.extend_from_slice(&len32(json.len())?.to_be_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&len32(bundle.len())?.to_be_bytes());
    out.extend_from_slice(&bundle);
    Ok((statement, out))
}

fn len32(n: usize) -> Result<u32, ProofError> {
    u32::try_from(n).map_err(|_| ProofError::Bundle("larger than 4 GiB".into()))
}

/// Checks a proof against `roster`, offline, and returns what it proves.
pub fn verify_proof(roster: &Roster, bytes: &[u8]) -> Result<Statement, ProofError> {
    verify_proof_witnessed(roster, bytes).map(|(s, _)| s)
}

/// Like [`verify_proof`], also returning the cosigned checkpoint the proof carries
/// (checked: its signatures, its quorum, and that the carried feeds extend it).
pub fn verify_proof_witnessed(
    roster: &Roster,
    bytes: &[u8],
) -> Result<(Statement, Option<CheckpointReport>), ProofError> {
    let mut r = Reader::new(bytes);
    if r.take("magic", PROOF_MAGIC.len()).ok() != Some(&PROOF_MAGIC[..]) {
        return Err(ProofError::Magic);
    }
    let version = r.u8("version")?;
    if version != PROOF_VERSION {
        return Err(ProofError::Version(version));
    }
    let n = r.u32("statement length")? as usize;
    let claimed = r.take("statement", n)?;
    let n = r.u32("bundle length")? as usize;
    let bundle = r.take("bundle", n)?;
    r.finish()?;

    let claim: Claim = serde_json::from_slice::<serde_json::Value>(claimed)
        .and_then(serde_json::from_value)
        .map_err(|e| ProofError::Statement(e.to_string()))?;
    let view = BundleView::parse(bundle).map_err(|e| ProofError::Bundle(e.to_string()))?;
    if view.network != roster.network_id() {
        return Err(ProofError::Invalid(format!(
            "it is for network {}, but the roster's network is {}",
            view.network.short(),
            roster.network_id().short()
        )));
    }
    let verification = verify_part(roster, &view);
    if let Some(first) = verification.report.errors.first() {
        return Err(ProofError::Invalid(format!(
            "{} ({} problems in all)",
            first.message,
            verification.report.errors.len()
        )));
    }
    let computed = statement(
        roster,
        &verification.ledger,
        claim.member,
        claim.instrument,
        claim.since,
    )?;
    let carried: Vec<MemberCode> = view.feeds.iter().map(|(m, _)| *m).collect();
    if carried != computed.status.depends_on {
        return Err(ProofError::Feeds {
            carried: codes(&carried),
            needed: codes(&computed.status.depends_on),
        });
    }
    let json = serde_json::to_vec(&computed).unwrap_or_default();
    if json != claimed {
        return Err(ProofError::Mismatch {
            claimed: String::from_utf8_lossy(claimed).into_owned(),
            computed: String::from_utf8_lossy(&json).into_owned(),
        });
    }
    let before = claim.since.previous_day().and_then(|d| {
        statement(
            roster,
            &verification.ledger,
            claim.member,
            claim.instrument,
            d,
        )
        .ok()
    });
    if before.is_some_and(|b| same_status(&b, &computed)) {
        return Err(ProofError::Since(claim.since));
    }
    Ok((computed, verification.report.checkpoint))
}

/// The same status, whatever the day it is computed for.
fn same_status(a: &Statement, b: &Statement) -> bool {
    a.status == b.status && a.in_force_on == b.in_force_on && a.title == b.title
}

/// Moves a statement's date back to the first day of its status: the latest day, on or
/// before it, on which the status differed from the day before. The status can only
/// change on a day some carried entry names (an act's date, a withdrawal's effect, an
/// entry into force), so those are the days tried.
fn first_day(roster: &Roster, ledger: &Ledger, target: Statement) -> Result<Statement, ProofError> {
    let mut days: Vec<Date> = ledger
        .feeds
        .iter()
        .flat_map(|f| &f.entries)
        .filter_map(|e| crate::payload::Payload::decode(e.header().kind, e.payload()).ok())
        .flat_map(|p| {
            let extra = match &p {
                crate::payload::Payload::Withdrawal(w) => Some(w.effective),
                _ => None,
            };
            p.date().into_iter().chain(extra)
        })
        .chain(target.status.in_force_on)
        .chain(target.in_force_on)
        .chain(target.status.withdrawal.as_ref().map(|w| w.effective))
        .filter(|d| *d <= target.since)
        .collect();
    days.sort_unstable();
    days.dedup();
    for day in days.into_iter().rev() {
        let at = statement(roster, ledger, target.member, target.instrument, day)?;
        if !same_status(&at, &target) {
            break;
        }
        let before = day
            .previous_day()
            .and_then(|d| statement(roster, ledger, target.member, target.instrument, d).ok());
        if !before.is_some_and(|b| same_status(&b, &target)) {
            return Ok(at);
        }
    }
    Err(ProofError::NotFound(format!(
        "cannot find the first day of {}'s status for {} (a bug: please report it)",
        target.member, target.short
    )))
}

fn codes(c: &[MemberCode]) -> String {
    c.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
}

fn statement(
    roster: &Roster,
    ledger: &Ledger,
    member: MemberCode,
    instrument: EntryId,
    as_of: Date,
) -> Result<Statement, ProofError> {
    let all = status::compute(roster, ledger, as_of);
    let inst = all
        .instruments
        .iter()
        .find(|i| i.id == instrument)
        .ok_or_else(|| {
            ProofError::NotFound(format!(
                "instrument {} is not registered in the proof's entries as of {as_of}",
                instrument.short()
            ))
        })?;
    let row = inst.member(member).ok_or_else(|| {
        ProofError::NotFound(format!(
            "the proof's entries say nothing about {member} and {}",
            inst.short
        ))
    })?;
    Ok(Statement {
        member,
        instrument,
        since: as_of,
        title: inst.title.clone(),
        short: inst.short.clone(),
        nature: inst.nature,
        in_force_on: inst.in_force_on,
        heads: ledger
            .feeds
            .iter()
            .filter_map(|f| {
                f.tip().map(|t| Head {
                    member: f.member,
                    seq: t.seq,
                    id: t.id,
                })
            })
            .collect(),
        status: row.clone(),
    })
}
