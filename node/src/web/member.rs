//! A member's page (`/members/{code}`): its row under every instrument (binding ones
//! first) with the facts and the entries behind them, its domestic steps in its
//! procedure's order (congress.gov's for the United States), its declarations and
//! reservations, and its feed, each corrected entry marked.

#![allow(
    clippy::write_with_newline,
    reason = "markup is written line by line; a trailing newline per write keeps it readable"
)]

use std::fmt::Write as _;

use pacta_core::entry::Entry;
use pacta_core::ids::MemberCode;
use pacta_core::payload::Nature;
use pacta_core::profile;
use pacta_core::status::{Stage, StepFact};

use super::corrections::Corrections;
use super::html::{ILLUSTRATIVE_MARK, day, esc, page, source_link, stage_badge, time, words};
use super::page::{binding_first, corrected_mark, describe, disputes};
use super::{instrument, table};
use crate::node::Node;
use crate::watch::Snapshot;

/// Sorts steps in the order of the member's procedure profile (for the US, the order
/// congress.gov uses: transmittal, referral, report, floor vote), then by date.
fn in_procedure_order<'a>(profile_id: &str, steps: &'a [StepFact]) -> Vec<&'a StepFact> {
    let order = profile::profile(profile_id)
        .map(|p| p.steps.iter().map(|s| s.id).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut out: Vec<&StepFact> = steps.iter().collect();
    out.sort_by_key(|s| {
        (
            order
                .iter()
                .position(|id| *id == s.step)
                .unwrap_or(usize::MAX),
            s.date,
        )
    });
    out
}

fn steps_table(profile_id: &str, steps: &[StepFact]) -> String {
    let mut out = String::from(
        "<div class=\"table-wrap\"><table class=\"steps\"><thead><tr><th scope=\"col\">Step</th><th scope=\"col\">Body and action</th><th scope=\"col\">Date</th><th scope=\"col\">Vote (for–against–abstaining)</th><th scope=\"col\">Threshold</th><th scope=\"col\">Result</th><th scope=\"col\">Reference</th><th scope=\"col\">Entry</th></tr></thead><tbody>\n",
    );
    for s in in_procedure_order(profile_id, steps) {
        let votes = s
            .votes
            .map(|v| format!("{}–{}–{}", v.r#for, v.against, v.abstaining))
            .unwrap_or_else(|| "—".to_owned());
        let _ = write!(
            out,
            "<tr data-step=\"{step}\"><th scope=\"row\" data-label=\"Step\">{step}{req}</th><td data-label=\"Body and action\">{body}: {action}</td><td class=\"n\" data-label=\"Date\">{date}</td><td class=\"n\" data-label=\"Vote\">{votes}</td><td data-label=\"Threshold\">{threshold}</td><td data-label=\"Result\">{result}</td><td data-label=\"Reference\">{reference}</td><td data-label=\"Entry\">{entry}</td></tr>\n",
            step = esc(&s.step),
            req = if s.required {
                ""
            } else {
                " <span class=\"muted\">(optional)</span>"
            },
            body = esc(&s.body),
            action = esc(&s.action),
            date = day(s.date),
            threshold = esc(s.threshold.as_deref().unwrap_or("—")),
            result = words(&s.result),
            reference = esc(s.reference.as_deref().unwrap_or("")),
            entry = source_link(&s.source),
        );
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// `GET /members/{code}`: the member's rows, its domestic steps, and its feed.
pub fn member(
    node: &Node,
    snap: &Snapshot,
    code: MemberCode,
    feed: &[Entry],
    from: u64,
    head: u64,
    page_size: usize,
) -> String {
    let roster = node.ledger.roster();
    let Some(m) = roster.member(code) else {
        return String::new();
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{name} <span class=\"muted\">{code}</span></h1>\n<dl class=\"kv\"><dt>Procedure</dt><dd>{profile}</dd><dt>Node</dt><dd><code>{node_url}</code></dd><dt>Entry key</dt><dd><code>{key}</code></dd><dt>Feed</dt><dd>{head} entries · <a href=\"/members/{code}/feed.atom\">Atom feed</a> · <a href=\"/v1/members/{code}\">JSON</a></dd></dl>\n",
        name = esc(&m.name),
        profile = esc(&profile::profile(&m.profile)
            .map(|p| format!("{} — {}", p.name, p.binding_act))
            .unwrap_or_else(|| m.profile.clone())),
        node_url = esc(m.node.as_str()),
        key = m.key,
    );
    if node.ledger.is_disputed(code) {
        body.push_str(&disputes(node));
    }
    for inst in binding_first(&snap.status) {
        let Some(row) = inst.member(code) else {
            continue;
        };
        let _ = write!(
            body,
            "<section class=\"instrument\" data-instrument=\"{id}\"><h2><a href=\"/instruments/{short}\">{title}</a></h2><p>{badge}{illus} <span class=\"muted\">{nature}</span></p>\n",
            id = inst.id,
            short = esc(&inst.short),
            title = esc(&inst.title),
            nature = match inst.nature {
                Nature::Legal => "legally binding instrument",
                Nature::Political => "political declaration: binds no one in law",
            },
            badge = stage_badge(row.stage),
            illus = if row.illustrative {
                format!(" {ILLUSTRATIVE_MARK}")
            } else {
                String::new()
            },
        );
        let mut facts = String::from("<dl class=\"kv\">");
        if let Some(why) = table::why_unsigned(inst, row) {
            let _ = write!(facts, "<dt>Signature</dt><dd>none: {why}</dd>");
        }
        if let Some(s) = &row.signature {
            let _ = write!(
                facts,
                "<dt>Signature</dt><dd>{} ({}){} · {}</dd>",
                day(s.date),
                words(&s.signature_type),
                s.signatory
                    .as_deref()
                    .map(|x| format!(", {}", esc(x)))
                    .unwrap_or_default(),
                source_link(&s.source)
            );
        }
        if let Some(c) = &row.consent {
            let _ = write!(
                facts,
                "<dt>Consent</dt><dd>{} {} {} · {}</dd>",
                words(&c.means),
                day(c.date),
                c.marker,
                source_link(&c.source)
            );
        }
        if let Some(e) = &row.established {
            let _ = write!(
                facts,
                "<dt>Established</dt><dd>{} · {}</dd>",
                day(e.date),
                source_link(&e.source)
            );
        }
        if let Some(d) = row.in_force_on {
            let _ = write!(facts, "<dt>In force for it</dt><dd>{}</dd>", day(d));
        }
        if let Some(w) = &row.withdrawal {
            let _ = write!(
                facts,
                "<dt>Withdrawal</dt><dd>notified {}, effective {} · {}</dd>",
                day(w.notified),
                day(w.effective),
                source_link(&w.source)
            );
        }
        // A political declaration is not ratified: there is no next step to show.
        if row.stage.is_pending()
            && inst.nature == Nature::Legal
            && let Some(p) = profile::profile(&m.profile)
        {
            let next = match row.stage {
                Stage::ConsentExpressed => "the depositary's receipt of the instrument".to_owned(),
                Stage::ApprovedDomestically => p.binding_act.to_owned(),
                _ => {
                    let done: Vec<&str> = row
                        .steps
                        .iter()
                        .filter(|s| s.result != pacta_core::payload::StepResult::Failed)
                        .map(|s| s.step.as_str())
                        .collect();
                    p.required()
                        .find(|d| !done.contains(&d.id))
                        .map(|d| format!("{}: {}", d.body, d.action))
                        .unwrap_or_else(|| p.binding_act.to_owned())
                }
            };
            let _ = write!(facts, "<dt>Next</dt><dd>{}</dd>", esc(&next));
        }
        for w in &row.warnings {
            let _ = write!(facts, "<dt>Warning</dt><dd class=\"warn\">{}</dd>", esc(w));
        }
        facts.push_str("</dl>\n");
        body.push_str(&facts);
        let declared = instrument::member_declarations(row);
        if !declared.is_empty() {
            let _ = write!(
                body,
                "<h3>Declarations and reservations</h3>\n<ul class=\"declarations\">\n{declared}</ul>\n"
            );
        }
        if !row.steps.is_empty() {
            let heading = if m.profile.starts_with("us-") {
                "Congress"
            } else {
                "Domestic procedure"
            };
            let _ = write!(body, "<h3>{heading}</h3>\n");
            body.push_str(&steps_table(&m.profile, &row.steps));
        }
        body.push_str("</section>\n");
    }
    let _ = write!(
        body,
        "<h2>Timeline: every entry of {code}'s feed</h2>\n<ol class=\"timeline\">\n"
    );
    let corrections = Corrections::of(&snap.status, feed);
    for e in feed {
        let h = e.header();
        let _ = write!(
            body,
            "<li class=\"{class}\" id=\"seq-{seq}\"><a href=\"/entries/{id}\">#{seq}</a> <span class=\"muted\">{kind} · recorded {time} · id <a class=\"id\" href=\"/entries/{id}\">{short}</a> · <a href=\"/entries/{id}/raw\">raw signed bytes</a></span><br>{what}{corrected}</li>\n",
            corrected = corrected_mark(corrections.of_entry(&e.id())),
            class = if h.kind == pacta_core::Kind::NOTE {
                "note"
            } else {
                "legal"
            },
            seq = h.seq.0,
            id = e.id(),
            short = esc(&e.id().short()),
            kind = esc(h.kind.as_str()),
            time = time(h.time),
            what = describe(e, &snap.status),
        );
    }
    body.push_str("</ol>\n");
    // The position after this page; a later page exists if the feed reaches it.
    let next = from.saturating_add(feed.len() as u64);
    if !feed.is_empty() && next <= head {
        let _ = write!(
            body,
            "<p><a href=\"/members/{code}?from={next}\">Later entries →</a></p>\n"
        );
    }
    if from > 1 {
        let _ = write!(
            body,
            "<p><a href=\"/members/{code}?from={}\">← Earlier entries</a></p>\n",
            from.saturating_sub(page_size as u64).max(1)
        );
    }
    page(
        &format!("{} ({code}): Pacta", m.name),
        roster.network_name(),
        &node.member.to_string(),
        &body,
    )
}
