//! The computation behind [`compute`]: collect the facts, apply corrections, then work
//! out each (instrument, member) row in three passes: the member's own acts, the
//! instrument's entry into force, then each member's stage.

use std::collections::{BTreeMap, BTreeSet};

use super::index::Index;
use super::{
    CommitmentFact, ConsentFact, Counts, EntryRef, EstablishedFact, Establishment,
    InstrumentStatus, MemberStatus, ProvisionalFact, SignatureFact, Source, Stage, Status,
    StepFact, Warning, WithdrawalFact,
};
use crate::date::Date;
use crate::ids::{EntryId, MemberCode, Timestamp};
use crate::payload::{
    Consent, EntryIntoForce, Instrument, Means, Nature, Payload, SignatureType, StepResult,
};
use crate::profile::{self, Profile};
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

/// A row under construction: the member's own facts, before entry into force.
struct Row {
    status: MemberStatus,
    /// Consent recorded in a form the instrument accepts.
    consent_ok: bool,
    approved: bool,
    sources: Vec<(EntryRef, bool)>,
    /// Every feed with an entry about this member and instrument, used or ignored: a
    /// proof must carry them all to reproduce the row, warnings included.
    authors: BTreeSet<MemberCode>,
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
    let mut codes: BTreeSet<MemberCode> = inst.parties.iter().copied().collect();
    for (iid, member) in acts.keys() {
        if *iid == reg.id {
            codes.insert(*member);
        }
    }
    let mut commitments = Vec::new();
    let mut rows = Vec::new();
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
        let mine: &[&Item] = acts.get(&(reg.id, code)).map_or(&[], Vec::as_slice);
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
        rows.push(member_facts(
            reg,
            code,
            &member.name,
            &member.profile,
            mine,
            as_of,
        ));
    }

    // Entry into force: from the consents established, in order.
    let mut established: Vec<(Date, MemberCode)> = rows
        .iter()
        .filter_map(|r| {
            r.status
                .established
                .as_ref()
                .map(|e| (e.date, r.status.member))
        })
        .collect();
    established.sort();
    let (in_force_on, in_force_by, trigger) = match inst.entry_into_force {
        EntryIntoForce::None => (None, Vec::new(), None),
        EntryIntoForce::OnConsent => match established.first() {
            Some(&(d, m)) => (Some(d), vec![m], Some(d)),
            None => (None, Vec::new(), None),
        },
        EntryIntoForce::OnDate { date } => match established.first() {
            Some(_) => (Some(date), Vec::new(), Some(date)),
            None => (None, Vec::new(), None),
        },
        EntryIntoForce::AfterDeposits { deposits, days } => {
            // `deposits` is at least 1 (payload rule); checked anyway, not assumed.
            match (deposits as usize)
                .checked_sub(1)
                .and_then(|i| established.get(i))
            {
                Some(&(nth, _)) => (
                    nth.plus_days(days),
                    established[..deposits as usize]
                        .iter()
                        .map(|e| e.1)
                        .collect(),
                    Some(nth),
                ),
                None => (None, Vec::new(), None),
            }
        }
    };
    // The proof of entry into force: the consents that brought it about.
    let trigger_sources: Vec<(EntryRef, bool)> = rows
        .iter()
        .filter(|r| in_force_by.contains(&r.status.member))
        .flat_map(|r| {
            let s = &r.status;
            s.consent
                .iter()
                .map(|c| c.source)
                .chain(s.established.iter().map(|e| e.source))
                .flat_map(source_refs)
                .map(|at| (at, r.sources.iter().any(|(x, i)| *x == at && *i)))
                .collect::<Vec<_>>()
        })
        .collect();

    let mut counts = Counts::default();
    let members = rows
        .into_iter()
        .map(|row| {
            let status = finish_row(
                row,
                reg,
                trigger,
                &in_force_by,
                &trigger_sources,
                forked,
                as_of,
            );
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
        in_force_on,
        in_force_by,
        illustrative: reg.item.illustrative,
        counts,
        members,
        commitments,
    }
}

fn source_refs(s: Source) -> impl Iterator<Item = EntryRef> {
    std::iter::once(s.entry).chain(s.corrected_by)
}

/// Pass one: what the member itself, and the depositary about it, recorded.
fn member_facts(
    reg: &Registered<'_>,
    code: MemberCode,
    name: &str,
    roster_profile: &str,
    mine: &[&Item],
    as_of: Date,
) -> Row {
    let inst = reg.inst;
    let legal = inst.nature == Nature::Legal;
    let mut warnings = Vec::new();
    let mut sources: Vec<(EntryRef, bool)> = source_refs(reg.item.source)
        .map(|at| (at, reg.item.illustrative))
        .collect();
    let note = |item: &Item, sources: &mut Vec<(EntryRef, bool)>| {
        for at in source_refs(item.source) {
            sources.push((at, item.illustrative));
        }
    };
    let own = |kind: fn(&Payload) -> bool| {
        mine.iter()
            .copied()
            .filter(move |i| i.source.entry.member == code && kind(&i.payload))
    };

    for item in mine {
        if let Some(date) = item.payload.date()
            && Date::from_unix_millis(item.recorded.millis()).is_some_and(|day| date > day)
        {
            warnings.push(format!(
                "{} is dated {date}, after the day it was recorded ({})",
                item.source.entry, item.recorded
            ));
        }
    }

    // Signature: the first one recorded.
    let signatures: Vec<&Item> = own(|p| matches!(p, Payload::Signature(_))).collect();
    if signatures.len() > 1 {
        warnings.push(format!(
            "{} signatures recorded; the first ({}) is used: correct or annul the others",
            signatures.len(),
            signatures[0].source.entry
        ));
    }
    let signature = signatures.first().and_then(|item| match &item.payload {
        Payload::Signature(s) => Some((item, s)),
        _ => None,
    });
    let signature_fact = signature.map(|(item, s)| {
        note(item, &mut sources);
        SignatureFact {
            date: s.date,
            signature_type: s.signature_type,
            signatory: s.signatory.clone(),
            source: item.source,
        }
    });

    // The consent recorded, and the profile it followed.
    let consents: Vec<(&Item, &Consent)> = own(|p| matches!(p, Payload::Consent(_)))
        .filter_map(|i| match &i.payload {
            Payload::Consent(c) => Some((i, c)),
            _ => None,
        })
        .collect();
    if consents.len() > 1 {
        warnings.push(format!(
            "{} consents recorded; the first ({}) is used: correct or annul the others",
            consents.len(),
            consents[0].0.source.entry
        ));
    }
    let consent = consents.first().copied();
    let procedure = consent
        .and_then(|(_, c)| c.procedure.clone())
        .unwrap_or_else(|| roster_profile.to_owned());
    let profile: &Profile = profile::profile(&procedure)
        .or_else(|| profile::profile("generic"))
        .unwrap_or(&profile::PROFILES[0]);

    // Domestic steps, by date.
    let mut steps: Vec<StepFact> = Vec::new();
    for item in own(|p| matches!(p, Payload::ProcedureStep(_))) {
        let Payload::ProcedureStep(s) = &item.payload else {
            continue;
        };
        note(item, &mut sources);
        let def = profile.step(&s.step);
        match def {
            None => warnings.push(format!(
                "{}: step `{}` is not in procedure {} (its steps: {})",
                item.source.entry,
                s.step,
                profile.id,
                profile
                    .steps
                    .iter()
                    .map(|d| d.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(def) => {
                if let (Some(votes), Some(passes)) =
                    (s.votes, s.votes.and_then(|v| def.threshold.passes(&v)))
                    && passes != (s.result == StepResult::Passed)
                {
                    warnings.push(format!(
                        "{}: `{}` on {} is recorded as {}, but {} for, {} against, {} abstaining {} the threshold ({})",
                        item.source.entry,
                        s.step,
                        s.date,
                        if s.result == StepResult::Passed { "passed" } else { "failed" },
                        votes.r#for,
                        votes.against,
                        votes.abstaining,
                        if passes { "meets" } else { "does not meet" },
                        def.threshold.describe()
                    ));
                }
            }
        }
        steps.push(StepFact {
            step: s.step.clone(),
            body: s.body.clone(),
            action: s.action.clone(),
            date: s.date,
            votes: s.votes,
            threshold: def.map(|d| d.threshold.describe()),
            result: s.result,
            reference: s.reference.clone(),
            required: def.is_some_and(|d| d.required),
            source: item.source,
        });
    }
    steps.sort_by_key(|s| (s.date, s.source.entry.seq));
    // A step is satisfied on a day if its latest record on or before that day passed.
    let satisfied = |id: &str, day: Date| {
        steps
            .iter()
            .rfind(|s| s.step == id && s.date <= day)
            .is_some_and(|s| s.result.satisfies())
    };
    let required: Vec<_> = profile.required().collect();
    let approved = if required.is_empty() {
        steps.iter().any(|s| s.result.satisfies())
    } else {
        required.iter().all(|d| satisfied(d.id, as_of))
    };

    // Consent, and whether the instrument accepts it.
    let mut consent_ok = false;
    let consent_fact = consent.map(|(item, c)| {
        note(item, &mut sources);
        if !legal {
            warnings.push(format!(
                "{}: {} is a political instrument: consent to be bound has no legal effect",
                item.source.entry, inst.short
            ));
        } else if !inst.consent_means.contains(&c.means.means()) {
            warnings.push(format!(
                "{}: {} does not allow consent by {:?}; consent is not established",
                item.source.entry,
                inst.short,
                c.means.means()
            ));
        } else if !inst.parties.contains(&code) {
            warnings.push(format!(
                "{}: {code} is not among the parties {} is open to; consent is not established",
                item.source.entry, inst.short
            ));
        } else {
            consent_ok = true;
        }
        ConsentFact {
            means: c.means,
            marker: c.means.marker(),
            date: c.date,
            declarations: c.declarations.clone(),
            reservations: c.reservations.clone(),
            source: item.source,
        }
    });

    // The Art. 16 act: the depositary's receipt, or a definitive signature.
    let mut established = None;
    if let (Some((s_item, s)), true) = (signature, legal)
        && s.signature_type == SignatureType::Definitive
    {
        if inst.consent_means.contains(&Means::Signature) && inst.parties.contains(&code) {
            established = Some(EstablishedFact {
                date: s.date,
                by: Establishment::DefinitiveSignature,
                source: s_item.source,
            });
        } else {
            warnings.push(format!(
                "{}: {} does not allow consent by definitive signature; it counts as a signature subject to ratification",
                s_item.source.entry, inst.short
            ));
        }
    }
    for item in mine {
        let Payload::DepositReceipt(r) = &item.payload else {
            continue;
        };
        let why_not = if Some(item.source.entry.member) != inst.depositary {
            Some(format!(
                "it is in {}'s feed, but the depositary of {} is {}",
                item.source.entry.member,
                inst.short,
                inst.depositary.map_or_else(
                    || "nobody (political instrument)".to_owned(),
                    |d| d.to_string()
                )
            ))
        } else if consent.is_none_or(|(c, _)| c.source.entry.id != r.consent) {
            Some(format!(
                "it names entry {}, which is not {code}'s consent to {}",
                r.consent.short(),
                inst.short
            ))
        } else if !consent_ok {
            Some("the consent it acknowledges is not valid for this instrument".to_owned())
        } else if established.is_some() {
            Some("consent is already established".to_owned())
        } else {
            None
        };
        match why_not {
            Some(reason) => warnings.push(format!(
                "{}: deposit receipt ignored: {reason}",
                item.source.entry
            )),
            None => {
                note(item, &mut sources);
                if let Some((_, c)) = consent
                    && r.date < c.date
                {
                    warnings.push(format!(
                        "{}: deposited on {}, before the instrument of consent is dated ({})",
                        item.source.entry, r.date, c.date
                    ));
                }
                established = Some(EstablishedFact {
                    date: r.date,
                    by: Establishment::DepositReceipt,
                    source: item.source,
                });
            }
        }
    }

    // Art. 46: consent without the approvals the constitution requires binds, but
    // deserves a warning naming what is missing.
    let consented_on = match (&established, &consent_fact) {
        (Some(e), _) if e.by == Establishment::DefinitiveSignature => Some(e.date),
        (_, Some(c)) if consent_ok => Some(c.date),
        _ => None,
    };
    if let Some(day) = consented_on {
        for def in &required {
            if !satisfied(def.id, day) {
                warnings.push(format!(
                    "consent given without the required step `{}` ({}: {}; procedure {}): it binds all the same (VCLT Art. 46)",
                    def.id, def.body, def.action, profile.id
                ));
            }
        }
    }

    let provisional = own(|p| matches!(p, Payload::ProvisionalApplication(_)))
        .next()
        .and_then(|item| match &item.payload {
            Payload::ProvisionalApplication(p) => {
                if !legal {
                    warnings.push(format!(
                        "{}: a political instrument is not applied provisionally",
                        item.source.entry
                    ));
                    return None;
                }
                note(item, &mut sources);
                Some(ProvisionalFact {
                    date: p.date,
                    scope: p.scope.clone(),
                    source: item.source,
                })
            }
            _ => None,
        });

    let withdrawal = own(|p| matches!(p, Payload::Withdrawal(_)))
        .next()
        .and_then(|item| match &item.payload {
            Payload::Withdrawal(w) => {
                note(item, &mut sources);
                let months = inst.withdrawal.notice_months();
                let earliest = if legal {
                    w.notified.plus_months(months).unwrap_or(w.effective)
                } else {
                    w.notified
                };
                if w.effective < earliest {
                    warnings.push(format!(
                        "{}: gives effect on {}, but {} requires {months} months' notice: effective on {earliest}",
                        item.source.entry, w.effective, inst.short
                    ));
                }
                Some(WithdrawalFact {
                    notified: w.notified,
                    effective: w.effective.max(earliest),
                    source: item.source,
                })
            }
            _ => None,
        });

    Row {
        status: MemberStatus {
            member: code,
            name: name.to_owned(),
            stage: Stage::None,
            procedure: profile.id.to_owned(),
            signature: signature_fact,
            steps,
            consent: consent_fact,
            established,
            in_force_on: None,
            provisional,
            withdrawal,
            warnings,
            depends_on: Vec::new(),
            proof: Vec::new(),
            illustrative: false,
        },
        consent_ok,
        approved,
        sources,
        authors: mine.iter().map(|i| i.source.entry.member).collect(),
    }
}

/// Pass three: entry into force for the member, the stage, and what it rests on.
fn finish_row(
    row: Row,
    reg: &Registered<'_>,
    trigger: Option<Date>,
    in_force_by: &[MemberCode],
    trigger_sources: &[(EntryRef, bool)],
    forked: &BTreeSet<MemberCode>,
    as_of: Date,
) -> MemberStatus {
    let inst = reg.inst;
    let Row {
        mut status,
        consent_ok,
        approved,
        mut sources,
        authors,
    } = row;

    status.in_force_on = match (&status.established, trigger, inst.entry_into_force) {
        (Some(e), Some(nth), EntryIntoForce::AfterDeposits { days, .. }) => {
            e.date.max(nth).plus_days(days)
        }
        (Some(e), Some(_), EntryIntoForce::OnConsent) => Some(e.date),
        (Some(e), Some(date), EntryIntoForce::OnDate { .. }) => Some(e.date.max(date)),
        _ => None,
    };

    let mut depends: BTreeSet<MemberCode> = authors;
    depends.insert(status.member);
    depends.insert(reg.item.source.entry.member);
    if let Some(d) = inst.depositary {
        depends.insert(d);
    }
    if status.in_force_on.is_some() {
        depends.extend(in_force_by.iter().copied());
        sources.extend_from_slice(trigger_sources);
    }

    let withdrawn = status
        .withdrawal
        .as_ref()
        .is_some_and(|w| w.effective <= as_of);
    let in_force = status.in_force_on.is_some_and(|d| d <= as_of);
    let provisional = status.provisional.is_some();
    let legal = inst.nature == Nature::Legal;
    let disputed: Vec<MemberCode> = depends.intersection(forked).copied().collect();
    status.stage = if !disputed.is_empty() {
        Stage::Disputed
    } else if withdrawn {
        Stage::Withdrawn
    } else if !legal {
        if status.signature.is_some() {
            Stage::Signed
        } else {
            Stage::None
        }
    } else if status.established.is_some() && in_force {
        Stage::Party
    } else if provisional {
        Stage::ProvisionallyApplying
    } else if status.established.is_some() {
        Stage::Bound
    } else if status.consent.is_some() && consent_ok {
        Stage::ConsentExpressed
    } else if approved {
        Stage::ApprovedDomestically
    } else if !status.steps.is_empty() {
        Stage::DomesticApprovalInProgress
    } else if status.signature.is_some() {
        Stage::Signed
    } else {
        Stage::None
    };
    for code in &disputed {
        status.warnings.push(format!(
            "{code}'s feed has forked (a fork proof is in the ledger) and this status rests on it: it cannot be decided until the fork is resolved"
        ));
    }

    sources.sort();
    sources.dedup_by_key(|(at, _)| *at);
    status.illustrative = sources.iter().any(|(_, i)| *i);
    status.proof = sources.into_iter().map(|(at, _)| at).collect();
    status.depends_on = depends.into_iter().collect();
    status
}
