//! Pass one: a member's acts about one instrument, and the depositary's about it, read
//! as a history in time (SPEC.md §15.5). The acts are taken in the order of their legal
//! dates (ties: ledger order), and the result is what the history holds up to the
//! status's day: the signature, the domestic steps, every instrument of consent with
//! what became of it, and the periods as a contracting state.

use super::engine::{Item, Registered, source_refs};
use super::{
    ConsentFact, DatedFact, EntryRef, EstablishedFact, Establishment, ProvisionalFact, ReturnFact,
    SignatureFact, Source, StepFact, WithdrawalFact,
};
use crate::date::Date;
use crate::ids::MemberCode;
use crate::payload::{
    Consent, ConsentMeans, DepositReceipt, DepositReturn, Means, Nature, Payload, SignatureType,
    StepResult, Withdrawal,
};
use crate::profile::{self, Profile};

/// One period as a contracting state (for a political instrument: as a signatory),
/// from `established` until the withdrawal's effective date, if any.
pub(super) struct Period {
    pub(super) consent: Option<Source>,
    pub(super) established: EstablishedFact,
    pub(super) withdrawal: Option<WithdrawalFact>,
}

impl Period {
    pub(super) fn start(&self) -> Date {
        self.established.date
    }

    /// The first day the member is no longer in the period.
    pub(super) fn end(&self) -> Option<Date> {
        self.withdrawal.as_ref().map(|w| w.effective)
    }

    pub(super) fn contains(&self, day: Date) -> bool {
        self.start() <= day && self.end().is_none_or(|e| day < e)
    }
}

/// One instrument of consent and what became of it.
pub(super) struct ConsentRecord<'a> {
    pub(super) item: &'a Item,
    pub(super) consent: &'a Consent,
    /// Why it can establish nothing, if it cannot (SPEC.md §15.5, consent validity).
    pub(super) invalid: Option<String>,
    /// The day a receipt established it.
    pub(super) established_on: Option<Date>,
    /// The day the depositary returned it.
    pub(super) returned_on: Option<Date>,
}

/// Everything pass one finds for one row.
pub(super) struct History<'a> {
    pub(super) legal: bool,
    pub(super) signature: Option<SignatureFact>,
    pub(super) steps: Vec<StepFact>,
    /// The profiles in force, each from a day: the roster's from the start, then the
    /// one the first consent naming a procedure names, from that consent's date.
    pub(super) profiles: Vec<(Option<Date>, &'static Profile)>,
    pub(super) consents: Vec<ConsentRecord<'a>>,
    pub(super) periods: Vec<Period>,
    pub(super) returns: Vec<ReturnFact>,
    pub(super) provisional: Option<ProvisionalFact>,
    pub(super) intention: Option<DatedFact>,
    pub(super) warnings: Vec<String>,
    /// The entries the row rests on, with whether each is illustrative.
    pub(super) sources: Vec<(EntryRef, bool)>,
    /// Every day the row's stage may change on (before entry into force is known).
    pub(super) days: Vec<Date>,
}

impl History<'_> {
    /// The profile that applies on `day`.
    pub(super) fn profile_on(&self, day: Date) -> &'static Profile {
        self.profiles
            .iter()
            .rev()
            .find(|(from, _)| from.is_none_or(|f| f <= day))
            .map_or(&profile::PROFILES[0], |(_, p)| p)
    }

    /// The profile of the status's day: the last one.
    pub(super) fn profile(&self) -> &'static Profile {
        self.profiles
            .last()
            .map_or(&profile::PROFILES[0], |(_, p)| p)
    }

    /// The result that counts for listed step `s` under `profile`: the vote counts'
    /// verdict where the profile's threshold for that step decides, else the result
    /// recorded. `None` when the step is not in the profile: it never satisfies.
    fn counted(s: &StepFact, profile: &Profile) -> Option<StepResult> {
        let def = profile.step(&s.step)?;
        let recorded = s.recorded_result.unwrap_or(s.result);
        Some(match s.votes.and_then(|v| def.threshold.passes(&v)) {
            Some(true) => StepResult::Passed,
            Some(false) => StepResult::Failed,
            None => recorded,
        })
    }

    /// Whether step `id` is satisfied on `day`, judged under the profile on `day`: the
    /// latest record of it on or before `day` passed or was completed, or a step
    /// prevailing over it did. Judging each day under its own profile means a later
    /// consent naming another procedure never rewrites an earlier day.
    pub(super) fn satisfied(&self, id: &str, day: Date) -> bool {
        let profile = self.profile_on(day);
        let latest = |step: &str| {
            self.steps
                .iter()
                .rfind(|s| s.step == step && s.date <= day)
                .and_then(|s| Self::counted(s, profile))
                .is_some_and(StepResult::satisfies)
        };
        latest(id) || profile.overriding(id).any(|o| latest(o.id))
    }

    /// Whether the member is approved domestically on `day` (SPEC.md §15.5), under the
    /// profile on `day`.
    pub(super) fn approved(&self, day: Date) -> bool {
        let profile = self.profile_on(day);
        let mut required = profile.required().peekable();
        if required.peek().is_none() {
            return self.steps.iter().any(|s| {
                s.date <= day && Self::counted(s, profile).is_some_and(StepResult::satisfies)
            });
        }
        required.all(|d| self.satisfied(d.id, day))
    }

    /// The period that contains `day`, if the member is contracting then.
    pub(super) fn period_on(&self, day: Date) -> Option<(usize, &Period)> {
        self.periods
            .iter()
            .enumerate()
            .rfind(|(_, p)| p.start() <= day)
            .filter(|(_, p)| p.contains(day))
    }

    /// The latest period begun on or before `day`.
    pub(super) fn last_period(&self, day: Date) -> Option<&Period> {
        self.periods.iter().rfind(|p| p.start() <= day)
    }

    /// The valid instrument of consent awaiting its receipt on `day`: dated on or before
    /// it, neither received nor returned by then, later than the start of the last
    /// period and than a notified intention not to become a party. The latest such.
    pub(super) fn pending_on(&self, day: Date) -> Option<&ConsentRecord<'_>> {
        let after = self
            .last_period(day)
            .map(Period::start)
            .into_iter()
            .chain(self.intention.map(|i| i.date).filter(|d| *d <= day))
            .max();
        self.consents.iter().rfind(|c| {
            c.invalid.is_none()
                && c.consent.date <= day
                && after.is_none_or(|a| c.consent.date > a)
                && c.established_on.is_none_or(|d| d > day)
                && c.returned_on.is_none_or(|d| d > day)
        })
    }
}

/// The acts of one row, each with the order it is taken in.
struct Dated<'a> {
    item: &'a Item,
    date: Date,
}

/// Reads the acts `mine` of member `code` about instrument `reg` (acts dated after the
/// status's day are already gone; receipts and returns are the depositary's only).
pub(super) fn read<'a>(
    reg: &Registered<'_>,
    code: MemberCode,
    roster_profile: &str,
    mine: &[&'a Item],
) -> History<'a> {
    let inst = reg.inst;
    let legal = inst.nature == Nature::Legal;
    let mut h = History {
        legal,
        signature: None,
        steps: Vec::new(),
        profiles: vec![(None, find_profile(roster_profile))],
        consents: Vec::new(),
        periods: Vec::new(),
        returns: Vec::new(),
        provisional: None,
        intention: None,
        warnings: Vec::new(),
        sources: source_refs(reg.item.source)
            .map(|at| (at, reg.item.illustrative))
            .collect(),
        days: Vec::new(),
    };

    // Dated after recording; dated before adoption (not counted: nothing takes legal
    // effect before the text exists).
    let mut acts: Vec<Dated<'a>> = Vec::new();
    for &item in mine {
        let Some(date) = item.payload.date() else {
            continue;
        };
        if Date::from_unix_millis(item.recorded.millis()).is_some_and(|day| date > day) {
            h.warnings.push(format!(
                "{} is dated {date}, after the day it was recorded ({})",
                item.source.entry, item.recorded
            ));
        }
        if matches!(item.payload, Payload::Commitment(_)) {
            continue;
        }
        if date < inst.adopted {
            h.warnings.push(format!(
                "{} is dated {date}, before {} was adopted ({}): it is not counted",
                item.source.entry, inst.short, inst.adopted
            ));
            continue;
        }
        acts.push(Dated { item, date });
    }
    // Legal order: by date, then ledger order.
    acts.sort_by_key(|a| (a.date, a.item.source.entry.member, a.item.source.entry.seq));

    read_signature(&mut h, reg, &acts, code);
    read_steps(&mut h, &acts, code);
    read_consents(&mut h, reg, &acts, code);
    read_provisional(&mut h, &acts, code);
    if h.legal {
        read_periods(&mut h, reg, &acts, code);
    } else {
        read_participation(&mut h, reg, &acts, code);
    }

    // It ends with the intention not to become a party, or when a period ends.
    if let Some(p) = &mut h.provisional {
        let by_intention = h.intention.map(|i| i.date).filter(|d| *d >= p.date);
        let by_withdrawal = h
            .periods
            .iter()
            .filter_map(Period::end)
            .find(|e| *e > p.date);
        p.ended = by_intention.into_iter().chain(by_withdrawal).min();
    }
    h
}

/// Provisional application: the first notified (Art. 25).
fn read_provisional(h: &mut History<'_>, acts: &[Dated<'_>], code: MemberCode) {
    for (i, a) in acts
        .iter()
        .filter(|a| a.item.source.entry.member == code)
        .filter(|a| matches!(a.item.payload, Payload::ProvisionalApplication(_)))
        .enumerate()
    {
        let Payload::ProvisionalApplication(p) = &a.item.payload else {
            continue;
        };
        if !h.legal {
            h.warnings.push(format!(
                "{}: a political instrument is not applied provisionally",
                a.item.source.entry
            ));
        } else if i > 0 {
            h.warnings.push(format!(
                "{}: provisional application already notified on {}; this one is not used",
                a.item.source.entry,
                h.provisional.as_ref().map_or(a.date, |p| p.date)
            ));
        } else {
            note(h, a.item);
            h.days.push(a.date);
            h.provisional = Some(ProvisionalFact {
                date: p.date,
                scope: p.scope.clone(),
                source: a.item.source,
                ended: None,
            });
        }
    }
}

fn find_profile(id: &str) -> &'static Profile {
    profile::profile(id)
        .or_else(|| profile::profile("generic"))
        .unwrap_or(&profile::PROFILES[0])
}

fn note(h: &mut History<'_>, item: &Item) {
    for at in source_refs(item.source) {
        h.sources.push((at, item.illustrative));
    }
}

/// The signature used (the earliest) and its confirmation, if it was *ad referendum*.
fn read_signature(h: &mut History<'_>, reg: &Registered<'_>, acts: &[Dated<'_>], code: MemberCode) {
    let signatures: Vec<&Dated<'_>> = acts
        .iter()
        .filter(|a| {
            a.item.source.entry.member == code && matches!(a.item.payload, Payload::Signature(_))
        })
        .collect();
    let Some(first) = signatures.first() else {
        for a in acts.iter().filter(|a| {
            a.item.source.entry.member == code
                && matches!(a.item.payload, Payload::SignatureConfirmation(_))
        }) {
            h.warnings.push(format!(
                "{}: confirms a signature, but {code} has not signed {}: ignored",
                a.item.source.entry, reg.inst.short
            ));
        }
        return;
    };
    if signatures.len() > 1 {
        h.warnings.push(format!(
            "{} signatures recorded; the earliest ({}) is used: correct or annul the others",
            signatures.len(),
            first.item.source.entry
        ));
    }
    let Payload::Signature(s) = &first.item.payload else {
        return;
    };
    note(h, first.item);
    h.days.push(first.date);
    let mut fact = SignatureFact {
        date: s.date,
        signature_type: s.signature_type,
        signatory: s.signatory.clone(),
        source: first.item.source,
        confirmed: None,
    };
    for a in acts.iter().filter(|a| a.item.source.entry.member == code) {
        let Payload::SignatureConfirmation(c) = &a.item.payload else {
            continue;
        };
        let why_not = if c.signature != first.item.source.entry.id {
            Some(format!(
                "it names entry {}, which is not {code}'s signature of {} ({})",
                c.signature.short(),
                reg.inst.short,
                first.item.source.entry
            ))
        } else if c.date < s.date {
            Some(format!(
                "it is dated before the signature it confirms ({})",
                s.date
            ))
        } else if s.signature_type != SignatureType::AdReferendum {
            Some("only a signature ad referendum is confirmed (Art. 12(2)(b))".to_owned())
        } else if fact.confirmed.is_some() {
            Some("the signature is already confirmed".to_owned())
        } else {
            None
        };
        match why_not {
            Some(reason) => h.warnings.push(format!(
                "{}: confirmation ignored: {reason}",
                a.item.source.entry
            )),
            None => {
                note(h, a.item);
                h.days.push(a.date);
                fact.confirmed = Some(DatedFact {
                    date: c.date,
                    source: a.item.source,
                });
            }
        }
    }
    h.signature = Some(fact);
}

/// Domestic steps, by date, with the result that counts.
fn read_steps(h: &mut History<'_>, acts: &[Dated<'_>], code: MemberCode) {
    // The profile: the roster's, until the first consent naming another one.
    if let Some((date, p)) = acts.iter().find_map(|a| match &a.item.payload {
        Payload::Consent(c) if a.item.source.entry.member == code => {
            c.procedure.as_deref().map(|p| (a.date, find_profile(p)))
        }
        _ => None,
    }) {
        h.profiles.push((Some(date), p));
        h.days.push(date);
    }
    for a in acts.iter().filter(|a| a.item.source.entry.member == code) {
        let Payload::ProcedureStep(s) = &a.item.payload else {
            continue;
        };
        note(h, a.item);
        h.days.push(a.date);
        let profile = h.profile();
        let def = profile.step(&s.step);
        let mut result = s.result;
        let mut recorded_result = None;
        match def {
            None => h.warnings.push(format!(
                "{}: step `{}` is not in procedure {} (its steps: {})",
                a.item.source.entry,
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
                if let Some(votes) = s.votes
                    && let Some(passes) = def.threshold.passes(&votes)
                    && passes != (s.result == StepResult::Passed)
                {
                    result = if passes {
                        StepResult::Passed
                    } else {
                        StepResult::Failed
                    };
                    recorded_result = Some(s.result);
                    h.warnings.push(format!(
                        "{}: `{}` on {} is recorded as {}, but {} for, {} against, {} abstaining {} the threshold ({}): it counts as {}",
                        a.item.source.entry,
                        s.step,
                        s.date,
                        if s.result == StepResult::Passed { "passed" } else { "failed" },
                        votes.r#for,
                        votes.against,
                        votes.abstaining,
                        if passes { "meets" } else { "does not meet" },
                        def.threshold.describe(),
                        if passes { "passed" } else { "failed" },
                    ));
                }
            }
        }
        h.steps.push(StepFact {
            step: s.step.clone(),
            body: s.body.clone(),
            action: s.action.clone(),
            date: s.date,
            votes: s.votes,
            threshold: def.map(|d| d.threshold.describe()),
            result,
            recorded_result,
            reference: s.reference.clone(),
            required: def.is_some_and(|d| d.required),
            prevails_over: def.and_then(|d| d.overrides).map(str::to_owned),
            source: a.item.source,
        });
    }
    // Steps are listed by (date, seq); `acts` is by (date, member, seq), the same here.
}

/// Every instrument of consent, and whether the instrument provides for it.
fn read_consents<'a>(
    h: &mut History<'a>,
    reg: &Registered<'_>,
    acts: &[Dated<'a>],
    code: MemberCode,
) {
    let inst = reg.inst;
    for a in acts.iter().filter(|a| a.item.source.entry.member == code) {
        let Payload::Consent(c) = &a.item.payload else {
            continue;
        };
        h.days.push(a.date);
        let signed_by_then = h.signature.as_ref().is_some_and(|s| s.date <= c.date);
        let invalid = if !h.legal {
            Some(format!(
                "{} is a political instrument: consent to be bound has no legal effect",
                inst.short
            ))
        } else if !inst.consent_means.contains(&c.means.means()) {
            Some(format!(
                "{} does not provide for consent by {} (its `consent_means`)",
                inst.short,
                means_name(c.means)
            ))
        } else if !inst.parties.contains(&code) {
            Some(format!(
                "{code} is not among the parties {} is open to (its `parties`)",
                inst.short
            ))
        } else if c.means != ConsentMeans::Accession
            && !inst.ratification_without_signature
            && !signed_by_then
        {
            Some(format!(
                "{code} had not signed {} by {}, and {} is open to {} by signatories only (VCLT Art. 14(1); no `ratification_without_signature`){}",
                inst.short,
                c.date,
                inst.short,
                means_name(c.means),
                if inst.consent_means.contains(&Means::Accession) {
                    ": a state that did not sign accedes"
                } else {
                    ""
                }
            ))
        } else {
            None
        };
        if let Some(why) = &invalid {
            h.warnings.push(format!(
                "{}: {why}; this consent establishes nothing",
                a.item.source.entry
            ));
        }
        h.consents.push(ConsentRecord {
            item: a.item,
            consent: c,
            invalid,
            established_on: None,
            returned_on: None,
        });
    }
}

fn means_name(m: ConsentMeans) -> &'static str {
    match m {
        ConsentMeans::Ratification => "ratification",
        ConsentMeans::Acceptance => "acceptance",
        ConsentMeans::Approval => "approval",
        ConsentMeans::Accession => "accession",
    }
}

/// One event of the contracting history, in the order they are taken on one day: a
/// definitive signature, the depositary's returns, then its receipts, then
/// withdrawals, then intentions not to become a party.
enum Event<'a> {
    Definitive { on: Date, source: Source },
    Return(&'a Item, &'a DepositReturn),
    Receipt(&'a Item, &'a DepositReceipt),
    Withdrawal(&'a Item, &'a Withdrawal),
    Intention(&'a Item),
}

impl Event<'_> {
    fn class(&self) -> u8 {
        match self {
            Event::Definitive { .. } => 0,
            Event::Return(..) => 1,
            Event::Receipt(..) => 2,
            Event::Withdrawal(..) => 3,
            Event::Intention(..) => 4,
        }
    }
}

/// The periods as a contracting state of a legal instrument (SPEC.md §15.5,
/// "Contracting periods").
fn read_periods<'a>(
    h: &mut History<'a>,
    reg: &Registered<'_>,
    acts: &[Dated<'a>],
    code: MemberCode,
) {
    let inst = reg.inst;
    let mut events: Vec<(Date, Event<'a>, EntryRef)> = Vec::new();

    // A definitive signature, or one ad referendum once confirmed, where allowed.
    if let Some(s) = &h.signature {
        let definitive_on = match (s.signature_type, s.confirmed) {
            (SignatureType::Definitive, _) => Some(s.date),
            (SignatureType::AdReferendum, Some(c)) => Some(c.date),
            _ => None,
        };
        if let Some(on) = definitive_on {
            if inst.consent_means.contains(&Means::Signature) && inst.parties.contains(&code) {
                let source = s.confirmed.map_or(s.source, |c| c.source);
                events.push((on, Event::Definitive { on, source }, source.entry));
            } else if s.signature_type == SignatureType::Definitive {
                h.warnings.push(format!(
                    "{}: {} does not allow consent by definitive signature; it counts as a signature subject to ratification",
                    s.source.entry, inst.short
                ));
            }
        }
    }
    for a in acts {
        let at = a.item.source.entry;
        let own = at.member == code;
        match &a.item.payload {
            Payload::DepositReceipt(r) => {
                // The day of deposit, but never before the instrument deposited is dated.
                match h.consents.iter().find(|c| c.item.source.entry.id == r.consent) {
                    Some(c) => {
                        if r.date < c.consent.date {
                            h.warnings.push(format!(
                                "{at}: deposited on {}, before the instrument of consent is dated ({}): it counts from {}",
                                r.date, c.consent.date, c.consent.date
                            ));
                        }
                        events.push((r.date.max(c.consent.date), Event::Receipt(a.item, r), at));
                    }
                    None => h.warnings.push(format!(
                        "{at}: deposit receipt ignored: it names entry {}, which is not {code}'s consent to {}",
                        r.consent.short(),
                        inst.short
                    )),
                }
            }
            Payload::DepositReturn(r) => {
                match h.consents.iter().find(|c| c.item.source.entry.id == r.consent) {
                    Some(c) => {
                        events.push((r.date.max(c.consent.date), Event::Return(a.item, r), at))
                    }
                    None => h.warnings.push(format!(
                        "{at}: return ignored: it names entry {}, which is not {code}'s consent to {}",
                        r.consent.short(),
                        inst.short
                    )),
                }
            }
            Payload::Withdrawal(w) if own => {
                events.push((a.date, Event::Withdrawal(a.item, w), at));
            }
            Payload::IntentionNotToBeParty(_) if own => {
                events.push((a.date, Event::Intention(a.item), at));
            }
            _ => {}
        }
    }
    events.sort_by_key(|(date, e, at)| (*date, e.class(), at.member, at.seq));

    for (date, event, at) in events {
        let contracting = h.period_on(date).map(|(_, p)| p.start());
        match event {
            Event::Definitive { on, source } => {
                if contracting.is_none() {
                    h.days.push(on);
                    h.periods.push(Period {
                        consent: None,
                        established: EstablishedFact {
                            date: on,
                            by: Establishment::DefinitiveSignature,
                            source,
                        },
                        withdrawal: None,
                    });
                }
            }
            Event::Return(item, r) => {
                let Some(i) = h
                    .consents
                    .iter()
                    .position(|c| c.item.source.entry.id == r.consent)
                else {
                    continue;
                };
                let why_not = match (h.consents[i].established_on, h.consents[i].returned_on) {
                    (Some(d), _) => Some(format!(
                        "the depositary received that instrument on {d}; consent established is not returned"
                    )),
                    (_, Some(d)) => Some(format!("it was already returned on {d}")),
                    _ => None,
                };
                match why_not {
                    Some(reason) => h.warnings.push(format!("{at}: return ignored: {reason}")),
                    None => {
                        h.consents[i].returned_on = Some(date);
                        note(h, item);
                        h.days.push(date);
                        h.returns.push(ReturnFact {
                            consent: h.consents[i].item.source.entry,
                            date,
                            reason: r.reason.clone(),
                            source: item.source,
                        });
                    }
                }
            }
            Event::Receipt(item, r) => {
                let Some(i) = h
                    .consents
                    .iter()
                    .position(|c| c.item.source.entry.id == r.consent)
                else {
                    continue;
                };
                let c = &h.consents[i];
                let intention = h.intention.map(|i| i.date);
                let why_not = (|| {
                    if let Some(why) = &c.invalid {
                        return Some(format!(
                            "the consent it acknowledges establishes nothing: {why}"
                        ));
                    }
                    if let Some(d) = c.returned_on {
                        return Some(format!("the depositary returned that instrument on {d}"));
                    }
                    if let Some(d) = c.established_on {
                        return Some(format!("that instrument was already received on {d}"));
                    }
                    if let Some(since) = contracting {
                        return Some(format!(
                            "{code} is already a contracting state (since {since})"
                        ));
                    }
                    intention.filter(|d| c.consent.date <= *d).map(|d| {
                        format!(
                            "{code} made clear on {d} that it would not become a party, after this instrument was dated"
                        )
                    })
                })();
                match why_not {
                    Some(reason) => h
                        .warnings
                        .push(format!("{at}: deposit receipt ignored: {reason}")),
                    None => {
                        let consent_item = c.item;
                        h.consents[i].established_on = Some(date);
                        note(h, consent_item);
                        note(h, item);
                        h.days.push(date);
                        h.periods.push(Period {
                            consent: Some(consent_item.source),
                            established: EstablishedFact {
                                date,
                                by: Establishment::DepositReceipt,
                                source: item.source,
                            },
                            withdrawal: None,
                        });
                    }
                }
            }
            Event::Withdrawal(item, w) => {
                let months = inst.withdrawal.notice_months();
                let earliest = w.notified.plus_months(months).unwrap_or(w.effective);
                let already = h
                    .period_on(date)
                    .and_then(|(_, p)| p.withdrawal.as_ref().map(|w| w.notified));
                match (contracting, already) {
                    (None, _) => h.warnings.push(format!(
                        "{at}: withdrawal has no effect: {code} is not a contracting state of {} on {} (a signatory that will not ratify makes clear its intention not to become a party)",
                        inst.short, w.notified
                    )),
                    (Some(_), Some(n)) => h.warnings.push(format!(
                        "{at}: withdrawal ignored: a withdrawal was already notified on {n}"
                    )),
                    (Some(_), None) => {
                        if w.effective < earliest {
                            h.warnings.push(format!(
                                "{at}: gives effect on {}, but {} requires {months} months' notice: effective on {earliest}",
                                w.effective, inst.short
                            ));
                        }
                        let fact = WithdrawalFact {
                            notified: w.notified,
                            effective: w.effective.max(earliest),
                            source: item.source,
                        };
                        note(h, item);
                        h.days.push(fact.effective);
                        if let Some(p) = h.periods.last_mut() {
                            p.withdrawal = Some(fact);
                        }
                    }
                }
            }
            Event::Intention(item) => {
                let has_something = h.signature.as_ref().is_some_and(|s| s.date <= date)
                    || h.provisional.as_ref().is_some_and(|p| p.date <= date)
                    || h.pending_on(date).is_some();
                let why_not = if let Some(since) = contracting {
                    Some(format!(
                        "{code} is a contracting state (since {since}): it leaves by withdrawal"
                    ))
                } else if let Some(i) = h.intention {
                    Some(format!("already notified on {}", i.date))
                } else if !has_something {
                    Some(format!(
                        "{code} has neither signed {}, nor applies it provisionally, nor consented to it",
                        inst.short
                    ))
                } else {
                    None
                };
                match why_not {
                    Some(reason) => h.warnings.push(format!(
                        "{at}: intention not to become a party ignored: {reason}"
                    )),
                    None => {
                        note(h, item);
                        h.days.push(date);
                        h.intention = Some(DatedFact {
                            date,
                            source: item.source,
                        });
                    }
                }
            }
        }
    }
}

/// A political instrument: a signature makes a participant, and a withdrawal needs one.
fn read_participation(
    h: &mut History<'_>,
    reg: &Registered<'_>,
    acts: &[Dated<'_>],
    code: MemberCode,
) {
    let inst = reg.inst;
    if let Some(s) = &h.signature {
        h.periods.push(Period {
            consent: None,
            established: EstablishedFact {
                date: s.date,
                by: Establishment::DefinitiveSignature,
                source: s.source,
            },
            withdrawal: None,
        });
    }
    for a in acts.iter().filter(|a| a.item.source.entry.member == code) {
        let at = a.item.source.entry;
        match &a.item.payload {
            Payload::Withdrawal(w) => {
                let participating = h.period_on(w.notified).is_some();
                let already = h.periods.first().and_then(|p| p.withdrawal.as_ref());
                if !participating {
                    h.warnings.push(format!(
                        "{at}: withdrawal has no effect: {code} has not signed {} by {}",
                        inst.short, w.notified
                    ));
                } else if let Some(n) = already {
                    let n = n.notified;
                    h.warnings.push(format!(
                        "{at}: withdrawal ignored: a withdrawal was already notified on {n}"
                    ));
                } else {
                    note(h, a.item);
                    h.days.push(w.effective);
                    if let Some(p) = h.periods.first_mut() {
                        p.withdrawal = Some(WithdrawalFact {
                            notified: w.notified,
                            effective: w.effective,
                            source: a.item.source,
                        });
                    }
                }
            }
            Payload::IntentionNotToBeParty(_) => h.warnings.push(format!(
                "{at}: {} is a political instrument: no one becomes a party to it; ignored",
                inst.short
            )),
            _ => {}
        }
    }
}

/// The consent to show in the row: the one awaiting receipt, else the latest period's,
/// else the latest recorded (which may establish nothing).
pub(super) fn consent_shown(h: &History<'_>, as_of: Date) -> Option<ConsentFact> {
    // A political instrument's participation is no period of consent.
    let last = if h.legal { h.last_period(as_of) } else { None };
    let record = h
        .pending_on(as_of)
        .or_else(|| match last.map(|p| p.consent) {
            Some(Some(source)) => h.consents.iter().find(|c| c.item.source == source),
            Some(None) => None,
            None => h.consents.last(),
        })?;
    Some(record.fact())
}

impl ConsentRecord<'_> {
    /// The consent as a row shows it.
    pub(super) fn fact(&self) -> ConsentFact {
        let c = self.consent;
        ConsentFact {
            means: c.means,
            marker: c.means.marker(),
            date: c.date,
            declarations: c.declarations.clone(),
            reservations: c.reservations.clone(),
            source: self.item.source,
        }
    }
}
