//! Status tables in the style of the UN Treaty Collection's "Status of Treaties", member
//! timelines, and proof verdicts.

use std::fmt::Write;

use pacta_core::MemberCode;
use pacta_core::date::Date;
use pacta_core::payload::{ConsentMeans, SignatureType, StepResult};
use pacta_core::proof::Statement;
use pacta_core::status::{
    ConsentFact, EntryRef, Establishment, InstrumentStatus, MemberStatus, Source, Stage, Status,
};

const ILLUSTRATIVE: &str = "ILLUSTRATIVE: rests on events after 6 January 2026 invented for the demonstration, not real ones";

/// The whole status, or one instrument's, with one member's timeline if asked.
pub fn status(s: &Status, only: Option<&InstrumentStatus>, member: Option<MemberCode>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Status as of {}", s.as_of);
    let instruments: Vec<&InstrumentStatus> = match only {
        Some(i) => vec![i],
        None => s.instruments.iter().collect(),
    };
    if instruments.is_empty() {
        let _ = writeln!(
            out,
            "\nNo instrument is registered in the ledger as of this day."
        );
    }
    for inst in instruments {
        instrument(&mut out, inst, member, s.as_of);
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out, "\nLedger warnings:");
        for w in &s.warnings {
            let _ = writeln!(out, "  ! {}", w.message);
        }
    }
    out
}

fn instrument(out: &mut String, inst: &InstrumentStatus, member: Option<MemberCode>, as_of: Date) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{} [{}]", inst.title, inst.short);
    if inst.illustrative {
        let _ = writeln!(out, "  {ILLUSTRATIVE}");
    }
    let _ = writeln!(
        out,
        "  id {}  (registered by {})",
        inst.id, inst.registered.entry
    );
    let nature = match inst.nature {
        pacta_core::payload::Nature::Legal => "legally binding",
        pacta_core::payload::Nature::Political => "political",
    };
    let _ = writeln!(out, "  {nature}, adopted {}", inst.adopted);
    match inst.text_sha256 {
        Some(h) => {
            let _ = writeln!(out, "  text SHA-256 {h}");
        }
        None => {
            let _ = writeln!(out, "  text SHA-256 not registered");
        }
    }
    if let Some(d) = inst.depositary {
        let _ = writeln!(out, "  depositary {d}; entry into force: {}", eif(inst));
    }
    let _ = writeln!(out, "  {}", inst.headline());
    if let Some(d) = inst.in_force_on {
        let _ = writeln!(
            out,
            "  {} into force on {d}, on the deposits of {}",
            if d <= as_of { "entered" } else { "enters" },
            inst.in_force_by
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<5} {:<22} {:<12} {:<14} {:<12} {:<11} {:<44} proving entry",
        "", "participant", "signature", "consent", "deposit", "in force", "stage"
    );
    let rows: Vec<&MemberStatus> = inst
        .members
        .iter()
        .filter(|m| member.is_none_or(|c| c == m.member))
        .collect();
    for m in &rows {
        let name: String = m.name.chars().take(22).collect();
        let consent = m
            .consent
            .as_ref()
            .map_or(String::new(), |c| format!("{} {}", c.date, c.marker));
        let deposit = m
            .established
            .as_ref()
            .map_or(String::new(), |e| match e.by {
                Establishment::DepositReceipt => e.date.to_string(),
                Establishment::DefinitiveSignature => "(signature)".into(),
            });
        let stage = match (&m.withdrawal, m.stage) {
            (Some(w), s) if s != Stage::Withdrawn => {
                format!("{}; withdrawal effective {}", s.label(), w.effective)
            }
            (_, s) => s.label().to_owned(),
        };
        let mut flags = String::new();
        if !m.warnings.is_empty() {
            flags.push_str(&format!(
                "  ! {} warning{}",
                m.warnings.len(),
                plural(m.warnings.len())
            ));
        }
        if m.illustrative {
            flags.push_str("  (illustrative)");
        }
        let _ = writeln!(
            out,
            "  {:<5} {:<22} {:<12} {:<14} {:<12} {:<11} {:<44} {}{}",
            m.member.as_str(),
            name,
            m.signature
                .as_ref()
                .map_or(String::new(), |s| s.date.to_string()),
            consent,
            deposit,
            m.in_force_on.map_or(String::new(), |d| d.to_string()),
            stage,
            proving(m).map_or(String::new(), |r| format!(
                "{} {} {}",
                r.member,
                r.seq,
                &r.id.to_string()[..16]
            )),
            flags
        );
    }
    let _ = writeln!(
        out,
        "  Markers: A acceptance, AA approval, a accession; no marker: ratification."
    );
    for m in &rows {
        for w in &m.warnings {
            let _ = writeln!(out, "  ! {}: {w}", m.member);
        }
    }
    if member.is_none() && !inst.commitments.is_empty() {
        let _ = writeln!(out, "\n  Commitments:");
        for c in &inst.commitments {
            let quantity = c
                .quantity
                .as_ref()
                .map_or(String::new(), |q| format!(" ({} {})", q.amount, q.unit));
            let conditions = if c.conditions.is_empty() {
                String::new()
            } else {
                format!(" [{}]", c.conditions.join("; "))
            };
            let _ = writeln!(
                out,
                "  {:<5} {:<27} {}{quantity}{conditions}  ({}{})",
                c.member.as_str(),
                c.pillar.label(),
                c.description,
                c.source.entry,
                if c.illustrative { ", illustrative" } else { "" }
            );
        }
    }
    if let Some(m) = member.and_then(|c| inst.member(c)) {
        timeline(out, m);
    }
}

/// The entry that decides the stage shown: the Art. 16 act, else the consent, the
/// latest domestic step, the signature.
fn proving(m: &MemberStatus) -> Option<EntryRef> {
    if m.stage == Stage::Withdrawn {
        return m.withdrawal.as_ref().map(|w| w.source.entry);
    }
    if m.stage == Stage::NotBecomingParty {
        return m.intention.map(|i| i.source.entry);
    }
    m.established
        .as_ref()
        .map(|e| e.source.entry)
        .or(m.consent.as_ref().map(|c| c.source.entry))
        .or(m.steps.last().map(|s| s.source.entry))
        .or(m.signature.as_ref().map(|s| s.source.entry))
}

/// A signature's type in words.
fn signature_words(t: SignatureType) -> &'static str {
    match t {
        SignatureType::SubjectToRatification => "signature subject to ratification",
        SignatureType::Definitive => "definitive signature",
        SignatureType::AdReferendum => "signature ad referendum",
    }
}

/// A consent's means in words, with what it is: "instrument of ratification".
fn consent_words(c: &ConsentFact) -> String {
    let means = match c.means {
        ConsentMeans::Ratification => "ratification",
        ConsentMeans::Acceptance => "acceptance",
        ConsentMeans::Approval => "approval",
        ConsentMeans::Accession => "accession",
    };
    let mut text = format!("instrument of {means} dated");
    for d in &c.declarations {
        text.push_str(&format!("; declaration: {d}"));
    }
    for r in &c.reservations {
        text.push_str(&format!("; reservation: {r}"));
    }
    text
}

fn result_words(r: StepResult) -> &'static str {
    match r {
        StepResult::Passed => "passed",
        StepResult::Failed => "failed",
        StepResult::Completed => "completed",
    }
}

/// A member's acts in date order, each with the entry recording it, then the history of
/// its stages.
fn timeline(out: &mut String, m: &MemberStatus) {
    let _ = writeln!(
        out,
        "\n  Timeline of {} ({}), procedure {}:",
        m.name, m.member, m.procedure
    );
    let mut events: Vec<(Date, String, Option<Source>)> = Vec::new();
    if let Some(s) = &m.signature {
        events.push((
            s.date,
            signature_words(s.signature_type).into(),
            Some(s.source),
        ));
        if let Some(c) = &s.confirmed {
            events.push((
                c.date,
                "signature ad referendum confirmed: a full signature from its own date (VCLT Art. 12(2)(b))".into(),
                Some(c.source),
            ));
        }
    }
    for s in &m.steps {
        let votes = s.votes.map_or(String::new(), |v| {
            format!(
                ", {} for, {} against, {} abstaining",
                v.r#for, v.against, v.abstaining
            )
        });
        let threshold = s
            .threshold
            .as_ref()
            .map_or(String::new(), |t| format!(" (threshold: {t})"));
        let reference = s
            .reference
            .as_ref()
            .map_or(String::new(), |r| format!(" [{r}]"));
        let recorded = s.recorded_result.map_or(String::new(), |r| {
            format!(" (recorded as {}; the counts decide)", result_words(r))
        });
        let over = s
            .prevails_over
            .as_ref()
            .map_or(String::new(), |o| format!(" (prevails over `{o}`)"));
        events.push((
            s.date,
            format!(
                "{}: {} — {}{recorded}{votes}{threshold}{}{over}{reference}",
                s.body,
                s.action,
                result_words(s.result),
                if s.required || s.prevails_over.is_some() {
                    ""
                } else {
                    " (optional step)"
                }
            ),
            Some(s.source),
        ));
    }
    if let Some(p) = &m.provisional {
        events.push((
            p.date,
            "provisional application begins".into(),
            Some(p.source),
        ));
        if let Some(e) = p.ended {
            events.push((e, "provisional application ends".into(), None));
        }
    }
    for r in &m.returns {
        events.push((
            r.date,
            format!(
                "instrument {} returned by the depositary: {}",
                r.consent, r.reason
            ),
            Some(r.source),
        ));
    }
    let mut consents: Vec<&ConsentFact> = m
        .periods
        .iter()
        .filter_map(|p| p.consent.as_ref())
        .collect();
    if let Some(c) = &m.consent
        && !consents.iter().any(|x| x.source == c.source)
    {
        consents.push(c);
    }
    for c in consents {
        events.push((c.date, consent_words(c), Some(c.source)));
    }
    for p in &m.periods {
        let e = &p.established;
        let what = match e.by {
            Establishment::DepositReceipt => {
                "deposit received by the depositary: consent established (VCLT Art. 16)"
            }
            Establishment::DefinitiveSignature => {
                "definitive signature: consent established (VCLT Art. 12)"
            }
        };
        events.push((e.date, what.into(), Some(e.source)));
        if let Some(d) = p.in_force_on {
            events.push((d, format!("in force for {}", m.member), None));
        }
        if let Some(w) = &p.withdrawal {
            events.push((
                w.notified,
                format!("withdrawal notified, effective {}", w.effective),
                Some(w.source),
            ));
        }
    }
    if m.periods.is_empty()
        && let Some(w) = &m.withdrawal
    {
        events.push((
            w.notified,
            format!("withdrawal notified, effective {}", w.effective),
            Some(w.source),
        ));
    }
    if let Some(i) = &m.intention {
        events.push((
            i.date,
            "makes clear its intention not to become a party (VCLT Art. 18(a))".into(),
            Some(i.source),
        ));
    }
    events.sort_by_key(|(d, _, s)| (*d, s.map(|s| s.entry.seq)));
    for (date, text, source) in events {
        let _ = writeln!(out, "    {date}  {text}");
        if let Some(source) = source {
            let corrected = source
                .corrected_by
                .map_or(String::new(), |c| format!(", corrected by {c}"));
            let _ = writeln!(
                out,
                "                {} {}{corrected}",
                source.entry, source.entry.id
            );
        }
    }
    if !m.history.is_empty() {
        let _ = writeln!(out, "  Stages:");
        for s in &m.history {
            let _ = writeln!(out, "    from {}  {}", s.from, s.stage.label());
        }
    }
    let _ = writeln!(
        out,
        "  Rests on the feeds of {}; {} entries prove it.",
        codes(&m.depends_on),
        m.proof.len()
    );
}

/// What `pacta verify` adds after a valid ledger: who is bound to each legal instrument.
pub fn bound_summary(s: &Status) -> String {
    let mut out = String::new();
    for inst in s
        .instruments
        .iter()
        .filter(|i| i.nature == pacta_core::payload::Nature::Legal)
    {
        let _ = writeln!(
            out,
            "\nBound by {} [{}] as of {}: {}",
            inst.title,
            inst.short,
            s.as_of,
            inst.headline()
        );
        if inst.illustrative {
            let _ = writeln!(out, "  {ILLUSTRATIVE}");
        }
        let bound: Vec<&MemberStatus> = inst.members.iter().filter(|m| m.is_bound()).collect();
        if bound.is_empty() {
            let _ = writeln!(out, "  nobody yet");
        }
        for m in bound {
            let Some(e) = &m.established else { continue };
            let _ = writeln!(
                out,
                "  {:<5} {:<22} consent established {}{} by {}",
                m.member.as_str(),
                m.name.chars().take(22).collect::<String>(),
                e.date,
                m.in_force_on
                    .map_or(String::new(), |d| format!(", in force {d}")),
                e.source.entry
            );
        }
    }
    out
}

/// A verified proof, for people.
pub fn proof_verdict(p: &Statement) -> String {
    let mut out = String::new();
    let m = &p.status;
    let _ = writeln!(
        out,
        "VALID proof: {} ({}) for {} [{}]",
        m.name, m.member, p.title, p.short
    );
    let _ = writeln!(out, "  instrument {}", p.instrument);
    let _ = writeln!(out, "  stage: {}, since {}", m.stage.label(), p.since);
    if let Some(s) = &m.signature {
        let _ = writeln!(out, "  signature {} ({})", s.date, s.source.entry);
    }
    if let Some(c) = &m.consent {
        let _ = writeln!(
            out,
            "  consent {} {} ({})",
            c.date, c.marker, c.source.entry
        );
    }
    if let Some(e) = &m.established {
        let _ = writeln!(out, "  consent established {} ({})", e.date, e.source.entry);
    }
    if let Some(d) = m.in_force_on {
        let _ = writeln!(out, "  in force for {} on {d}", m.member);
    }
    if let Some(w) = &m.withdrawal {
        let _ = writeln!(
            out,
            "  withdrawal notified {}, effective {}",
            w.notified, w.effective
        );
    }
    for w in &m.warnings {
        let _ = writeln!(out, "  ! {w}");
    }
    if m.illustrative {
        let _ = writeln!(out, "  {ILLUSTRATIVE}");
    }
    let _ = writeln!(
        out,
        "  rests on {} signed entries; the feeds it carries stop at:",
        m.proof.len()
    );
    for h in &p.heads {
        let _ = writeln!(out, "    {} {} {}", h.member, h.seq, h.id);
    }
    let _ = writeln!(
        out,
        "  Entries signed after these heads are not in the proof: check a node for anything newer."
    );
    out
}

fn eif(inst: &InstrumentStatus) -> String {
    use pacta_core::payload::EntryIntoForce;
    match inst.entry_into_force {
        EntryIntoForce::None => "none".into(),
        EntryIntoForce::OnConsent => "on each consent".into(),
        EntryIntoForce::AfterDeposits { deposits, days } => format!(
            "on the {} day after the {} deposit; for later consents, on the {} day after their deposit",
            ordinal(days),
            ordinal(deposits),
            ordinal(days)
        ),
        EntryIntoForce::OnDate { date } => format!("on {date}, or on later consents"),
    }
}

fn codes(c: &[MemberCode]) -> String {
    c.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
