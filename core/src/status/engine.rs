//! The computation behind [`compute`]: collect the facts, apply corrections, then work
//! out each (instrument, member) row in three passes: the member's history
//! ([`super::history`]), the instrument's entry into force ([`super::force`]), then
//! each member's stage on each day ([`super::stage`]).

use std::collections::{BTreeMap, BTreeSet};

use super::force::{self, Force};
use super::history::{self, History};
use super::index::Index;
use super::stage;
use super::{
    CommitmentFact, Counts, EntryRef, Establishment, InstrumentStatus, MemberStatus, PeriodFact,
    Source, Stage, Status, Warning,
};
use crate::date::Date;
use crate::ids::{EntryId, MemberCode, Timestamp};
use crate::payload::{Instrument, Nature, Payload};
use crate::roster::Roster;
use crate::verify::Ledger;

/// One entry's present content: its payload after corrections, and where it comes from.
pub(super) struct Item {
    pub(super) source: Source,
    pub(super) recorded: Timestamp,
    pub(super) payload: Payload,
    pub(super) illustrative: bool,
}

/// An instrument as registered, with its id.
pub(super) struct Registered<'a> {
    pub(super) id: EntryId,
    pub(super) item: &'a Item,
    pub(super) inst: &'a Instrument,
}

/// Computes the status of every instrument registered in `ledger`, as of `as_of`.
///
/// `ledger` must come from verification ([`crate::verify`]): every entry in it has a
/// valid signature, chain position and payload. This is [`Index`] fed the whole ledger
/// at once.
pub fn compute(roster: &Roster, ledger: &Ledger, as_of: Date) -> Status {
    // Members admitted by quorum count like the genesis ones.
    let admitted;
    let roster = if ledger.admitted.is_empty() {
        roster
    } else {
        admitted = roster.with_admitted(ledger.admitted.iter().cloned());
        &admitted
    };
    let mut index = Index::new(as_of);
    for feed in &ledger.feeds {
        for entry in &feed.entries {
            index.push(entry);
        }
    }
    for fork in &ledger.forks {
        index.fork(fork.member());
    }
    index.status(roster)
}

/// One row after pass one.
struct Row<'a> {
    code: MemberCode,
    name: String,
    history: History<'a>,
}

pub(super) fn instrument_status(
    roster: &Roster,
    reg: &Registered<'_>,
    acts: &BTreeMap<(EntryId, MemberCode), Vec<&Item>>,
    forked: &BTreeSet<MemberCode>,
    as_of: Date,
    warnings: &mut Vec<Warning>,
) -> InstrumentStatus {
    let inst = reg.inst;
    // The depositary's acts about a member are filed under that member; anyone else's
    // are not the depositary's and concern no row (a row never rests on the feed of a
    // member whose act was ignored).
    let mut filed: BTreeMap<MemberCode, Vec<&Item>> = BTreeMap::new();
    for ((iid, member), items) in acts {
        if *iid != reg.id {
            continue;
        }
        for item in items {
            let author = item.source.entry.member;
            let depositarys = matches!(
                item.payload,
                Payload::DepositReceipt(_) | Payload::DepositReturn(_)
            );
            // A receipt or a return is the depositary's act, whoever it concerns: a
            // member's own receipt of its own consent establishes nothing.
            if depositarys && Some(author) != inst.depositary {
                let what = item.payload.kind();
                warnings.push(Warning {
                    source: Some(item.source.entry),
                    message: format!(
                        "{}: {what} about {member} ignored: it is in {author}'s feed, but the depositary of {} is {}",
                        item.source.entry,
                        inst.short,
                        inst.depositary.map_or_else(
                            || "nobody (political instrument)".to_owned(),
                            |d| d.to_string()
                        )
                    ),
                });
                continue;
            }
            filed.entry(*member).or_default().push(item);
        }
    }
    let mut codes: BTreeSet<MemberCode> = inst.parties.iter().copied().collect();
    codes.extend(filed.keys().copied());

    let mut commitments = Vec::new();
    let mut rows: Vec<Row<'_>> = Vec::new();
    for code in codes {
        let Some(member) = roster.member(code) else {
            warnings.push(Warning {
                source: Some(reg.item.source.entry),
                message: format!(
                    "instrument {}: {code} is named, but is not a member of this roster",
                    inst.short
                ),
            });
            continue;
        };
        let mine: &[&Item] = filed.get(&code).map_or(&[], Vec::as_slice);
        for item in mine {
            if let Payload::Commitment(c) = &item.payload
                && item.source.entry.member == code
            {
                commitments.push(CommitmentFact {
                    member: code,
                    pillar: c.pillar,
                    description: c.description.clone(),
                    quantity: c.quantity.clone(),
                    conditions: c.conditions.clone(),
                    date: c.date,
                    illustrative: item.illustrative,
                    source: item.source,
                });
            }
        }
        rows.push(Row {
            code,
            name: member.name.clone(),
            history: history::read(reg, code, &member.profile, mine),
        });
    }

    // Entry into force: from the states contracting on each day.
    let force = if inst.nature == Nature::Legal {
        let periods: Vec<(MemberCode, &[history::Period])> = rows
            .iter()
            .map(|r| (r.code, r.history.periods.as_slice()))
            .collect();
        force::entry_into_force(inst.entry_into_force, &periods)
    } else {
        Force::default()
    };
    // Its proof: for each member that brought it into force, the consent and the act
    // that made it a contracting state on the day the condition was met.
    let trigger_sources: Vec<(EntryRef, bool)> = match force.trigger {
        None => Vec::new(),
        Some(day) => rows
            .iter()
            .filter(|r| force.by.contains(&r.code))
            .filter_map(|r| r.history.period_on(day).map(|(_, p)| (r, p)))
            .flat_map(|(r, p)| {
                p.consent
                    .into_iter()
                    .chain(Some(p.established.source))
                    .flat_map(source_refs)
                    .map(|at| (at, r.history.sources.iter().any(|(x, i)| *x == at && *i)))
                    .collect::<Vec<_>>()
            })
            .collect(),
    };

    let mut counts = Counts::default();
    let members = rows
        .into_iter()
        .map(|row| {
            let status = finish_row(row, reg, &force, &trigger_sources, forked, as_of);
            counts.signed += u32::from(status.signature.is_some());
            counts.bound += u32::from(status.is_bound());
            counts.parties += u32::from(status.stage == Stage::Party);
            counts.withdrawn += u32::from(status.stage == Stage::Withdrawn);
            counts.disputed += u32::from(status.stage == Stage::Disputed);
            status
        })
        .collect();
    commitments.sort_by_key(|c: &CommitmentFact| (c.member, c.date, c.source.entry.seq));

    InstrumentStatus {
        id: reg.id,
        registered: reg.item.source,
        short: inst.short.clone(),
        title: inst.title.clone(),
        nature: inst.nature,
        adopted: inst.adopted,
        text_sha256: inst.text_sha256,
        parties: inst.parties.clone(),
        depositary: inst.depositary,
        consent_means: inst.consent_means.clone(),
        entry_into_force: inst.entry_into_force,
        withdrawal: inst.withdrawal,
        ratification_without_signature: inst.ratification_without_signature,
        in_force_on: force.on,
        in_force_by: force.by.clone(),
        illustrative: reg.item.illustrative,
        counts,
        members,
        commitments,
    }
}

pub(super) fn source_refs(s: Source) -> impl Iterator<Item = EntryRef> {
    std::iter::once(s.entry).chain(s.corrected_by)
}

/// Passes two and three for one row: entry into force for each of its periods, the
/// stage on each day, and what the row rests on.
fn finish_row(
    row: Row<'_>,
    reg: &Registered<'_>,
    force: &Force,
    trigger_sources: &[(EntryRef, bool)],
    forked: &BTreeSet<MemberCode>,
    as_of: Date,
) -> MemberStatus {
    let inst = reg.inst;
    let Row {
        code,
        name,
        history: h,
    } = row;
    let legal = h.legal;
    let mut warnings = h.warnings.clone();
    let mut sources = h.sources.clone();

    let in_force: Vec<Option<Date>> = h
        .periods
        .iter()
        .map(|p| {
            if legal {
                force::for_period(inst.entry_into_force, force, p)
            } else {
                None
            }
        })
        .collect();
    let mut days = h.days.clone();
    days.extend(in_force.iter().flatten());
    days.extend(h.provisional.as_ref().and_then(|p| p.ended));
    let history = stage::history(&h, &in_force, &days, as_of);
    let acts_stage = stage::stage_on(&h, &in_force, as_of);

    // The consent shown, and the consent that chose the profile, are part of the proof.
    let consent = history::consent_shown(&h, as_of);
    if let Some(c) = &consent {
        sources.extend(source_refs(c.source).map(|at| {
            (
                at,
                h.consents
                    .iter()
                    .any(|r| r.item.source.entry == at && r.item.illustrative),
            )
        }));
    }
    if let Some(r) = h.consents.iter().find(|r| r.consent.procedure.is_some()) {
        sources.extend(source_refs(r.item.source).map(|at| (at, r.item.illustrative)));
    }

    // Art. 46: consent given without a step the constitution requires still binds.
    let mut given: Vec<Date> = h
        .periods
        .iter()
        .filter(|_| legal)
        .map(|p| match p.established.by {
            Establishment::DefinitiveSignature => p.start(),
            Establishment::DepositReceipt => p
                .consent
                .and_then(|s| h.consents.iter().find(|c| c.item.source == s))
                .map_or(p.start(), |c| c.consent.date),
        })
        .chain(h.pending_on(as_of).map(|c| c.consent.date))
        .collect();
    given.sort_unstable();
    given.dedup();
    for day in given {
        let profile = h.profile_on(day);
        for def in profile.required() {
            if !h.satisfied(def.id, day) {
                warnings.push(format!(
                    "consent given on {day} without the required step `{}` ({}: {}; procedure {}): it binds all the same (VCLT Art. 46)",
                    def.id, def.body, def.action, profile.id
                ));
            }
        }
    }

    let mut depends: BTreeSet<MemberCode> = BTreeSet::new();
    depends.insert(code);
    depends.insert(reg.item.source.entry.member);
    if let Some(d) = inst.depositary {
        depends.insert(d);
    }
    if in_force.iter().any(Option::is_some) {
        depends.extend(force.by.iter().copied());
        sources.extend_from_slice(trigger_sources);
    }
    let disputed: Vec<MemberCode> = depends.intersection(forked).copied().collect();
    for fork in &disputed {
        warnings.push(format!(
            "{fork}'s feed has forked (a fork proof is in the ledger) and this status rests on it: it cannot be decided until the fork is resolved"
        ));
    }
    let stage = if disputed.is_empty() {
        acts_stage
    } else {
        Stage::Disputed
    };

    // The latest period begun by the day: the one the row's dates describe.
    let last = h
        .periods
        .iter()
        .enumerate()
        .rfind(|(_, p)| p.start() <= as_of);
    let (established, row_in_force, withdrawal) = match last {
        Some((i, p)) if legal => (
            Some(p.established.clone()),
            in_force.get(i).copied().flatten(),
            p.withdrawal.clone(),
        ),
        Some((_, p)) => (None, None, p.withdrawal.clone()),
        None => (None, None, None),
    };
    let periods = if legal {
        h.periods
            .iter()
            .zip(&in_force)
            .map(|(p, f)| PeriodFact {
                consent: p
                    .consent
                    .and_then(|s| h.consents.iter().find(|c| c.item.source == s))
                    .map(history::ConsentRecord::fact),
                established: p.established.clone(),
                in_force_on: *f,
                withdrawal: p.withdrawal.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };

    sources.sort();
    sources.dedup_by_key(|(at, _)| *at);
    MemberStatus {
        member: code,
        name,
        stage,
        since: history.last().map(|s| s.from),
        contracting: legal && h.period_on(as_of).is_some(),
        history,
        procedure: h.profile().id.to_owned(),
        signature: h.signature.clone(),
        steps: h.steps.clone(),
        consent,
        established,
        in_force_on: row_in_force,
        provisional: h.provisional.clone(),
        withdrawal,
        periods,
        returns: h.returns.clone(),
        intention: h.intention,
        warnings,
        depends_on: depends.into_iter().collect(),
        illustrative: sources.iter().any(|(_, i)| *i),
        proof: sources.into_iter().map(|(at, _)| at).collect(),
    }
}
