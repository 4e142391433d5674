//! The participants' table of an instrument, as the UN Treaty Collection prints it:
//! participant, signature, consent (with its marker), entry into force, stage, notes.
//! Every row says why it is there and, where a cell is empty, why it is empty: a
//! reader must not have to guess why a state that took part reads "none".

#![allow(
    clippy::write_with_newline,
    reason = "markup is written line by line; a trailing newline per write keeps it readable"
)]

use std::fmt::Write as _;

use pacta_core::payload::Nature;
use pacta_core::status::{InstrumentStatus, MemberStatus, Stage};

use super::html::{ILLUSTRATIVE_MARK, day, entry_link, esc, stage_badge};

fn consent_cell(m: &MemberStatus) -> String {
    match (&m.established, &m.consent) {
        (Some(e), Some(c)) => format!(
            "{} {}",
            day(e.date),
            if c.marker.is_empty() {
                String::new()
            } else {
                format!("<strong>{}</strong>", c.marker)
            }
        ),
        (Some(e), None) => format!("{} (definitive signature)", day(e.date)),
        (None, Some(c)) => format!(
            "<span class=\"muted\">expressed {}{}, awaiting deposit</span>",
            day(c.date),
            if c.marker.is_empty() {
                String::new()
            } else {
                format!(" {}", c.marker)
            }
        ),
        (None, None) => String::new(),
    }
}

/// Why a row without a signature is in the table: a listed participant that has not
/// signed, or a member that is not listed but recorded acts under the instrument (the
/// United States under the Paris Declaration: it took part, made a commitment, and did
/// not sign).
pub fn why_unsigned(inst: &InstrumentStatus, m: &MemberStatus) -> Option<String> {
    if m.signature.is_some() || m.stage != Stage::None {
        return None;
    }
    if inst.parties.contains(&m.member) {
        return Some("listed as a participant; no signature recorded".to_owned());
    }
    let commitment = inst
        .commitments
        .iter()
        .find(|c| c.member == m.member)
        .map(|c| format!("a commitment, {}", entry_link(&c.source.entry)));
    Some(match commitment {
        Some(what) => format!("not a listed participant: took part ({what}) but did not sign"),
        None => "not a listed participant: recorded acts under it but did not sign".to_owned(),
    })
}

fn notes(inst: &InstrumentStatus, m: &MemberStatus) -> String {
    let mut out = String::new();
    if let Some(why) = why_unsigned(inst, m) {
        let _ = write!(out, "<div>{why}</div>");
    }
    for w in &m.warnings {
        let _ = write!(out, "<div class=\"warn\">{}</div>", esc(w));
    }
    if let Some(w) = &m.withdrawal {
        let _ = write!(
            out,
            "<div>withdrawal notified {}, effective {}</div>",
            day(w.notified),
            day(w.effective)
        );
    }
    let declared = m
        .consent
        .as_ref()
        .map_or(0, |c| c.declarations.len() + c.reservations.len());
    if declared > 0 {
        let _ = write!(
            out,
            "<div><a href=\"/instruments/{}#declarations\">{declared} declaration{} or reservation{}</a></div>",
            inst.id,
            if declared == 1 { "" } else { "s" },
            if declared == 1 { "" } else { "s" },
        );
    }
    out
}

fn row(inst: &InstrumentStatus, m: &MemberStatus) -> String {
    let signature = m
        .signature
        .as_ref()
        .map(|s| day(s.date))
        .unwrap_or_default();
    let in_force = m.in_force_on.map(day).unwrap_or_default();
    // Each cell carries its column's name, so that on a phone, where each row is a
    // card, every value is still labelled.
    format!(
        "<tr data-member=\"{code}\" data-stage=\"{stage:?}\"><th scope=\"row\" data-label=\"Participant\"><a href=\"/members/{code}\">{name}</a> <span class=\"muted\">{code}</span>{illus}</th><td class=\"n\" data-label=\"Signature\">{signature}</td><td class=\"n\" data-label=\"Consent\">{consent}</td><td class=\"n\" data-label=\"Entry into force\">{in_force}</td><td data-label=\"Stage\">{badge}</td><td data-label=\"Notes\">{notes}</td></tr>\n",
        code = m.member,
        name = esc(&m.name),
        stage = m.stage,
        // Under an illustrative instrument every row is, and the banner says so once.
        illus = if m.illustrative && !inst.illustrative {
            format!(" {ILLUSTRATIVE_MARK}")
        } else {
            String::new()
        },
        consent = consent_cell(m),
        badge = stage_badge(m.stage),
        notes = notes(inst, m),
    )
}

/// The table itself.
pub fn participants(inst: &InstrumentStatus) -> String {
    let mut out = format!(
        "<div class=\"table-wrap\"><table class=\"status\">\n<caption class=\"sr\">Participants in {}</caption>\n<thead><tr><th scope=\"col\">Participant</th><th scope=\"col\">Signature</th><th scope=\"col\">Ratification, Acceptance (A), Approval (AA), Accession (a)</th><th scope=\"col\">Entry into force</th><th scope=\"col\">Stage</th><th scope=\"col\">Notes</th></tr></thead>\n<tbody>\n",
        esc(&inst.short)
    );
    for m in &inst.members {
        out.push_str(&row(inst, m));
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// The sentence under the headline that makes its numbers add up with the table's
/// rows: who is counted out of what, and who else has a row and why.
pub fn explain_counts(inst: &InstrumentStatus) -> String {
    let listed = inst.parties.len();
    let rows = inst.members.len();
    let mut out = match inst.nature {
        Nature::Political => format!("{} of {listed} participants signed.", inst.counts.signed),
        Nature::Legal => format!(
            "{} of {listed} listed participants are bound (contracting states), {} of them with the instrument in force; {} signed.",
            inst.counts.bound, inst.counts.parties, inst.counts.signed
        ),
    };
    let extra: Vec<String> = inst
        .members
        .iter()
        .filter(|m| !inst.parties.contains(&m.member))
        .map(|m| m.member.to_string())
        .collect();
    if extra.is_empty() {
        let _ = write!(
            out,
            " The table has {rows} rows, one per listed participant."
        );
    } else {
        let _ = write!(
            out,
            " The table has {rows} rows: the {listed} listed participants, and {}, which {} not listed but recorded acts under it.",
            esc(&extra.join(", ")),
            if extra.len() == 1 { "is" } else { "are" }
        );
    }
    let unsigned: Vec<String> = inst
        .members
        .iter()
        .filter(|m| {
            inst.parties.contains(&m.member) && m.signature.is_none() && m.stage == Stage::None
        })
        .map(|m| format!("{}: listed, no signature recorded", m.member))
        .collect();
    if !unsigned.is_empty() && unsigned.len() <= 12 {
        let _ = write!(out, " Not signed: {}.", unsigned.join("; "));
    } else if !unsigned.is_empty() {
        let _ = write!(
            out,
            " {} listed participants have not signed.",
            unsigned.len()
        );
    }
    out
}

/// Links to the members still on their way to being bound, with their stage.
pub fn pending_links(inst: &InstrumentStatus) -> String {
    inst.members
        .iter()
        .filter(|m| m.stage.is_pending())
        .map(|m| {
            format!(
                "<a href=\"/members/{c}\">{c}</a> ({})",
                m.stage.label(),
                c = m.member
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
