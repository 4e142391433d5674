//! An instrument as the UN Treaty Collection presents a treaty: its page
//! (`/instruments/{id}`: title, place and date of adoption, depositary, entry into
//! force, registration, status counts, the participants' table, then declarations and
//! reservations), and its shorter section on the status page.

#![allow(
    clippy::write_with_newline,
    reason = "markup is written line by line; a trailing newline per write keeps it readable"
)]

use std::fmt::Write as _;

use pacta_core::date::Date;
use pacta_core::payload::{EntryIntoForce, Nature, WithdrawalRule};
use pacta_core::status::{ConsentFact, InstrumentStatus, MemberStatus};

use super::chart;
use super::html::{ILLUSTRATIVE_MARK, day, esc, page, source_link, words};
use super::table;
use crate::node::Node;
use crate::watch::Snapshot;

fn nature(inst: &InstrumentStatus) -> &'static str {
    match inst.nature {
        Nature::Legal => "legally binding instrument",
        Nature::Political => "political declaration: binds no one in law",
    }
}

/// The banner that labels invented events: every event after 6 January 2026 in the
/// demo ledger is illustrative, and a reader must never take it for fact.
fn illustrative_banner(inst: &InstrumentStatus) -> &'static str {
    if inst.illustrative {
        "<div class=\"illus-banner\"><strong>Illustrative.</strong> This instrument and everything recorded under it are invented for the demonstration (in the demo ledger, every event after 6 January 2026): they show how Pacta records such steps, not what any state has done.</div>\n"
    } else if inst.members.iter().any(|m| m.illustrative) {
        "<div class=\"illus-banner\"><strong>Illustrative.</strong> Rows marked <em>illustrative</em> rest on entries invented for the demonstration (in the demo ledger, every event after 6 January 2026): they show how Pacta records such steps, not what any state has done.</div>\n"
    } else {
        ""
    }
}

/// "1st", "2nd", "3rd", "11th", "30th".
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

/// The entry-into-force sentence: the rule, and the date when the rule has given one.
fn entry_into_force(inst: &InstrumentStatus, as_of: Date) -> String {
    let rule = match inst.entry_into_force {
        EntryIntoForce::None => {
            return "none: a political instrument does not enter into force".to_owned();
        }
        EntryIntoForce::OnConsent => "for each state, when its consent is established".to_owned(),
        EntryIntoForce::AfterDeposits { deposits, days } => format!(
            "on the {} day after the {} consent is established; for a later state, on the {} day after its own",
            ordinal(days),
            ordinal(deposits),
            ordinal(days)
        ),
        EntryIntoForce::OnDate { date } => format!("on {}", day(date)),
    };
    match inst.in_force_on {
        Some(d) => {
            let by: Vec<String> = inst.in_force_by.iter().map(ToString::to_string).collect();
            format!(
                "{} into force on <strong>{}</strong>{} (rule: {rule})",
                if d <= as_of { "Entered" } else { "Enters" },
                day(d),
                if by.is_empty() {
                    String::new()
                } else {
                    format!(", on the consents of {}", esc(&by.join(", ")))
                }
            )
        }
        None => format!("not in force (rule: {rule})"),
    }
}

/// Every declaration and reservation made with a consent under `inst`, with its date
/// and the entry that made it; `heading` is the markup above the list.
pub fn declarations(inst: &InstrumentStatus, heading: &str) -> String {
    let items: String = inst.members.iter().map(member_declarations).collect();
    if items.is_empty() {
        format!("{heading}<p class=\"muted\">None recorded.</p>\n")
    } else {
        format!("{heading}<ul class=\"declarations\">\n{items}</ul>\n")
    }
}

/// The list items for every declaration and reservation of one member, over all its
/// consents (a state that withdrew and consented again may have made new ones).
pub fn member_declarations(m: &MemberStatus) -> String {
    let mut seen = Vec::new();
    let mut out = String::new();
    for c in m
        .periods
        .iter()
        .filter_map(|p| p.consent.as_ref())
        .chain(m.consent.as_ref())
    {
        if seen.contains(&c.source.entry.id) {
            continue;
        }
        seen.push(c.source.entry.id);
        out.push_str(&consent_texts(
            &m.name,
            m.member.as_str(),
            c,
            m.illustrative,
        ));
    }
    out
}

/// One list item per declaration and reservation of one consent.
pub fn consent_texts(name: &str, code: &str, c: &ConsentFact, illustrative: bool) -> String {
    let mut out = String::new();
    let mark = if illustrative {
        format!(" {ILLUSTRATIVE_MARK}")
    } else {
        String::new()
    };
    for (what, texts) in [
        ("Declaration", &c.declarations),
        ("Reservation", &c.reservations),
    ] {
        for t in texts {
            let _ = write!(
                out,
                "<li><strong>{name}</strong> <span class=\"muted\">{code}</span>, with its {means} of {date} ({source}){mark}: {what}: {text}</li>\n",
                name = esc(name),
                means = words(&c.means),
                date = day(c.date),
                source = source_link(&c.source),
                text = esc(t),
            );
        }
    }
    out
}

/// The section for `inst` on the status page: headline, counts explained, chart,
/// table, what is pending, declarations.
pub fn section(inst: &InstrumentStatus, as_of: Date) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"instrument\" id=\"i-{id}\" data-nature=\"{nat}\">\n<h2><a href=\"/instruments/{short}\">{title}</a></h2>\n<p class=\"headline\">{headline}</p>\n<p class=\"counts\">{counts}</p>\n<p class=\"sub\">{nature} · adopted {adopted}{dep} · <a href=\"/instruments/{short}\">instrument page</a> · <a href=\"/instruments/{id}/feed.atom\">Atom feed</a> · <a href=\"/v1/instruments/{id}\">JSON</a> · registered by {reg}</p>\n",
        id = inst.id,
        nat = words(&inst.nature),
        short = esc(&inst.short),
        title = esc(&inst.title),
        headline = esc(&inst.headline()),
        counts = table::explain_counts(inst),
        nature = nature(inst),
        adopted = day(inst.adopted),
        dep = inst
            .depositary
            .map(|d| format!(" · depositary {d}"))
            .unwrap_or_default(),
        reg = source_link(&inst.registered),
    );
    out.push_str(illustrative_banner(inst));
    if inst.nature == Nature::Legal {
        let _ = write!(out, "<p>{}.</p>\n", entry_into_force(inst, as_of));
    }
    out.push_str(&chart::timeline(inst, as_of));
    out.push_str(&table::participants(inst));
    let pending = table::pending_links(inst);
    if inst.nature == Nature::Legal && !pending.is_empty() {
        let _ = write!(out, "<p><strong>Still pending:</strong> {pending}.</p>\n");
    }
    if inst.nature == Nature::Legal {
        out.push_str(&declarations(
            inst,
            "<h3>Declarations and reservations</h3>\n",
        ));
    }
    out.push_str("</section>\n");
    out
}

/// `GET /instruments/{id}`: the treaty page, in the UN Treaty Collection's order.
pub fn page_of(node: &Node, snap: &Snapshot, inst: &InstrumentStatus) -> String {
    let roster = node.ledger.roster();
    let as_of = snap.status.as_of;
    let mut body = String::new();
    let depositary = match inst.depositary {
        Some(d) => format!(
            "<a href=\"/members/{d}\">{}</a> ({d})",
            esc(&roster.member(d).map(|m| m.name.clone()).unwrap_or_default())
        ),
        None => "none (a political instrument has no depositary)".to_owned(),
    };
    let withdrawal = match inst.withdrawal {
        WithdrawalRule::NotProvided if inst.nature == Nature::Political => {
            "not provided".to_owned()
        }
        WithdrawalRule::NotProvided => {
            "not provided: twelve months' notice (VCLT Art. 56(2))".to_owned()
        }
        WithdrawalRule::AfterNotice { months } => {
            format!("effective {months} months after notification")
        }
    };
    let _ = write!(
        body,
        "<section class=\"instrument\" id=\"i-{id}\" data-nature=\"{nat}\">\n<h1>{title}</h1>\n<p class=\"sub\">{nature}{illus} · short name <code>{short}</code></p>\n{banner}<dl class=\"kv\"><dt>Place and date of adoption</dt><dd>{adopted} <span class=\"muted\">(the registration does not record the place)</span></dd><dt>Depositary</dt><dd>{depositary}</dd><dt>Entry into force</dt><dd>{eif}</dd><dt>Registration</dt><dd>registered by {reg} · id <code>{id}</code>{sha}</dd><dt>Means of consent</dt><dd>{means}</dd><dt>Withdrawal</dt><dd>{withdrawal}</dd><dt>Status</dt><dd><strong>{headline}</strong>. {counts}</dd><dt>Follow</dt><dd><a href=\"/instruments/{id}/feed.atom\">Atom feed</a> · <a href=\"/v1/instruments/{id}\">JSON</a></dd></dl>\n",
        id = inst.id,
        nat = words(&inst.nature),
        title = esc(&inst.title),
        nature = nature(inst),
        illus = if inst.illustrative {
            format!(" {ILLUSTRATIVE_MARK}")
        } else {
            String::new()
        },
        short = esc(&inst.short),
        banner = illustrative_banner(inst),
        adopted = day(inst.adopted),
        eif = entry_into_force(inst, as_of),
        reg = source_link(&inst.registered),
        sha = inst
            .text_sha256
            .map(|h| format!("<br>SHA-256 of the text: <code>{h}</code>"))
            .unwrap_or_default(),
        means = if inst.consent_means.is_empty() {
            "none (no one consents to be bound by it)".to_owned()
        } else {
            inst.consent_means
                .iter()
                .map(words)
                .collect::<Vec<_>>()
                .join(", ")
        },
        headline = esc(&inst.headline()),
        counts = table::explain_counts(inst),
    );
    let _ = write!(body, "<h2 id=\"participants\">Participants</h2>\n");
    body.push_str(&chart::timeline(inst, as_of));
    body.push_str(&table::participants(inst));
    body.push_str(&declarations(
        inst,
        "<h2 id=\"declarations\">Declarations and reservations</h2>\n",
    ));
    body.push_str("</section>\n");
    page(
        &format!("{}: Pacta", inst.short),
        roster.network_name(),
        &node.member.to_string(),
        &body,
    )
}

/// The page for a name several instruments share: one link per candidate.
pub fn choices(node: &Node, query: &str, many: &[&InstrumentStatus]) -> String {
    let roster = node.ledger.roster();
    let mut body = format!(
        "<h1>Several instruments</h1>\n<p>{} names {} instruments. Choose one by its id:</p>\n<ul>\n",
        esc(&format!("{:?}", query.chars().take(80).collect::<String>())),
        many.len()
    );
    for i in many {
        let _ = write!(
            body,
            "<li><a href=\"/instruments/{id}\">{title}</a> <span class=\"muted\">{short} · registered by {reg} · <code>{id}</code></span></li>\n",
            id = i.id,
            title = esc(&i.title),
            short = esc(&i.short),
            reg = i.registered.entry.member,
        );
    }
    body.push_str("</ul>\n");
    page(
        "Several instruments: Pacta",
        roster.network_name(),
        &node.member.to_string(),
        &body,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn ordinals_read_as_english() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 30, 101, 111]
            .into_iter()
            .map(super::ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "30th",
                "101st", "111th"
            ]
        );
    }
}
