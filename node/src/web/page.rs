//! The HTML pages: the status page (`/`), an entry (`/entries/{id}`), and the pages
//! for what is not there. A member's page is in [`super::member`], an instrument's in
//! [`super::instrument`].

#![allow(
    clippy::write_with_newline,
    reason = "markup is written line by line; a trailing newline per write keeps it readable"
)]

use std::fmt::Write as _;

use pacta_core::entry::Entry;
use pacta_core::ids::EntryId;
use pacta_core::payload::{Nature, Payload};
use pacta_core::status::{InstrumentStatus, MemberStatus, Stage, Status};

use super::corrections::Corrections;
use super::html::{ILLUSTRATIVE_MARK, day, entry_link, esc, id_link, page, time, words};
use super::{instrument, table};
use crate::node::Node;
use crate::watch::Snapshot;

/// The node's view: its latest cosigned checkpoint and how fresh the status is.
fn node_view(node: &Node, snap: &Snapshot) -> String {
    let mut out = String::from(
        "<section class=\"view\" id=\"node-view\"><strong>This node's view.</strong> ",
    );
    match &node.witness {
        Some(w) => {
            let s = w.summary();
            match s.quorum {
                Some(t) => {
                    let signers: Vec<String> = s.signers.iter().map(ToString::to_string).collect();
                    let _ = write!(
                        out,
                        "Latest cosigned checkpoint: <a href=\"/v1/checkpoint\">{}</a>, signed by {} ({} of the nodes needed). ",
                        time(t),
                        esc(&signers.join(", ")),
                        s.needed
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        "No checkpoint has reached the quorum of {} node signatures yet. ",
                        s.needed
                    );
                }
            }
            if let Some(why) = &s.refused {
                let _ = write!(out, "<span class=\"warn\">Not signing: {}</span> ", esc(why));
            }
        }
        None => out.push_str("This node does not witness (no node key); see <a href=\"/v1/checkpoint\">/v1/checkpoint</a>. "),
    }
    let _ = write!(
        out,
        "Status as of {}, last changed {}; {} entries held, last event #{}.</section>\n",
        day(snap.status.as_of),
        time(snap.updated),
        snap.entries,
        snap.last_event
    );
    out
}

/// The red notices for disputed feeds.
pub(super) fn disputes(node: &Node) -> String {
    let mut out = String::new();
    for f in node.ledger.forks() {
        let [a, b] = f.ids;
        let _ = write!(
            out,
            "<div class=\"notice\" id=\"fork-{m}-{s}\"><strong>{m}'s feed is disputed.</strong> Two different entries, both validly signed by {m}, claim position #{s}: {} and <code>{}</code>. Every status that rests on {m}'s feed is marked DISPUTED until this is resolved. <a href=\"/v1/forks\">Fork proof</a> (both signed entries, verifiable offline).</div>\n",
            id_link(&a),
            esc(&b.short()),
            m = f.member,
            s = f.seq.0,
        );
    }
    out
}

/// The one-minute summary: each instrument's headline, who is bound, what is pending.
fn at_a_glance(status: &Status) -> String {
    if status.instruments.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("<section class=\"glance\" id=\"glance\"><h2>At a glance</h2><ul>\n");
    for inst in binding_first(status) {
        let illus = if inst.illustrative {
            format!(" {ILLUSTRATIVE_MARK}")
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<li><a href=\"/instruments/{short}\"><strong>{short}</strong></a>{illus}: {headline}.",
            short = esc(&inst.short),
            headline = esc(&inst.headline()),
        );
        if inst.nature == Nature::Legal {
            let list = |pick: &dyn Fn(&MemberStatus) -> bool| -> String {
                let v: Vec<String> = inst
                    .members
                    .iter()
                    .filter(|m| pick(m))
                    .map(|m| format!("<a href=\"/members/{c}\">{c}</a>", c = m.member))
                    .collect();
                v.join(", ")
            };
            let bound = list(&|m| m.is_bound());
            if !bound.is_empty() {
                let _ = write!(out, " Bound: {bound}.");
            }
            let pending = table::pending_links(inst);
            if !pending.is_empty() {
                let _ = write!(out, " Pending: {pending}.");
            }
            let withdrawn = list(&|m| m.stage == Stage::Withdrawn || m.withdrawal.is_some());
            if !withdrawn.is_empty() {
                let _ = write!(out, " Withdrawing or withdrawn: {withdrawn}.");
            }
            let disputed = list(&|m| m.stage == Stage::Disputed);
            if !disputed.is_empty() {
                let _ = write!(
                    out,
                    " <strong class=\"warn\">Disputed: {disputed}.</strong>"
                );
            }
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul></section>\n");
    out
}

/// The instruments with the legally binding ones first, each group in registration
/// order: what a watcher looks for is who is bound, and political declarations bind
/// no one.
pub(super) fn binding_first(status: &Status) -> impl Iterator<Item = &InstrumentStatus> {
    let legal = status
        .instruments
        .iter()
        .filter(|i| i.nature == Nature::Legal);
    let political = status
        .instruments
        .iter()
        .filter(|i| i.nature != Nature::Legal);
    legal.chain(political)
}

/// `GET /`.
pub fn index(node: &Node, snap: &Snapshot) -> String {
    let roster = node.ledger.roster();
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Status of instruments</h1>\n<p class=\"sub\">As of {} · {} members · in the style of the UN Treaty Collection's <em>Status of Treaties</em></p>\n",
        day(snap.status.as_of),
        roster.members().len()
    );
    body.push_str(&disputes(node));
    body.push_str(&at_a_glance(&snap.status));
    body.push_str(&node_view(node, snap));
    if snap.status.instruments.is_empty() {
        body.push_str("<p>No instrument is registered in this ledger yet.</p>\n");
    }
    for inst in binding_first(&snap.status) {
        body.push_str(&instrument::section(inst, snap.status.as_of));
    }
    if !snap.status.warnings.is_empty() {
        body.push_str("<h2>Ledger warnings</h2><ul>\n");
        for w in &snap.status.warnings {
            let _ = write!(body, "<li class=\"warn\">{}</li>\n", esc(&w.message));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("<h2>Members</h2><p>");
    let links: Vec<String> = roster
        .members()
        .map(|m| format!("<a href=\"/members/{c}\">{}</a>", esc(&m.name), c = m.code))
        .collect();
    body.push_str(&links.join(" · "));
    body.push_str("</p>\n");
    page(
        "Pacta: status of instruments",
        roster.network_name(),
        &node.member.to_string(),
        &body,
    )
}

/// One line about an entry, for timelines.
pub fn describe(entry: &Entry, status: &Status) -> String {
    let h = entry.header();
    let name = |id: &EntryId| {
        status
            .instruments
            .iter()
            .find(|i| i.id == *id)
            .map(|i| esc(&i.short))
            .unwrap_or_else(|| esc(&id.short()))
    };
    let Ok(p) = Payload::decode(h.kind, entry.payload()) else {
        return format!("{} entry", esc(h.kind.as_str()));
    };
    let text = match &p {
        Payload::Note(n) => format!("note: {}", esc(&n.text)),
        Payload::Instrument(i) => format!(
            "registers <strong>{}</strong> ({}), adopted {}",
            esc(&i.short),
            esc(&i.title),
            day(i.adopted)
        ),
        Payload::Commitment(c) => format!(
            "commitment under {}: {}",
            name(&c.instrument),
            esc(&c.description)
        ),
        Payload::Signature(s) => format!(
            "signs {} on {} ({})",
            name(&s.instrument),
            day(s.date),
            words(&s.signature_type)
        ),
        Payload::ProcedureStep(s) => format!(
            "{} under {}: {}: {} on {}{} — {}",
            esc(&s.step),
            name(&s.instrument),
            esc(&s.body),
            esc(&s.action),
            day(s.date),
            s.votes
                .map(|v| format!(", {}–{}–{}", v.r#for, v.against, v.abstaining))
                .unwrap_or_default(),
            words(&s.result)
        ),
        Payload::Consent(c) => format!(
            "consents to be bound by {} ({}) on {}",
            name(&c.instrument),
            words(&c.means),
            day(c.date)
        ),
        Payload::DepositReceipt(r) => format!(
            "as depositary, receives {}'s instrument for {} on {}",
            r.member,
            name(&r.instrument),
            day(r.date)
        ),
        Payload::ProvisionalApplication(a) => format!(
            "applies {} provisionally from {}",
            name(&a.instrument),
            day(a.date)
        ),
        Payload::Withdrawal(w) => format!(
            "notifies withdrawal from {} on {}, effective {}",
            name(&w.instrument),
            day(w.notified),
            day(w.effective)
        ),
        Payload::SignatureConfirmation(c) => format!(
            "confirms its signature ad referendum of {} on {}",
            name(&c.instrument),
            day(c.date)
        ),
        Payload::DepositReturn(r) => format!(
            "as depositary, returns {}'s instrument for {} on {}: {}",
            r.member,
            name(&r.instrument),
            day(r.date),
            esc(&r.reason)
        ),
        Payload::IntentionNotToBeParty(i) => format!(
            "makes clear its intention not to become a party to {} on {}",
            name(&i.instrument),
            day(i.date)
        ),
        Payload::Correction(c) => format!("corrects {}: {}", id_link(&c.entry), esc(&c.reason)),
        Payload::KeyRotation(_) => "rotates its signing key".to_owned(),
        Payload::KeyRevocation(r) => {
            format!("votes to revoke a key of {} after #{}", r.member, r.after)
        }
        Payload::Admission(a) => format!("votes to admit {} ({})", a.code, esc(&a.name)),
    };
    if p.illustrative() {
        format!("{text} {ILLUSTRATIVE_MARK}")
    } else {
        text
    }
}

/// The mark beside an entry a later entry corrected.
pub(super) fn corrected_mark(by: Option<&pacta_core::status::EntryRef>) -> String {
    by.map(|c| {
        format!(
            " <strong class=\"corrected\">corrected by {}</strong>",
            entry_link(c)
        )
    })
    .unwrap_or_default()
}

/// `GET /entries/{id}`: the decoded entry, its signature and its chain links.
pub fn entry(
    node: &Node,
    snap: &Snapshot,
    entry: &Entry,
    revoked: bool,
    next: Option<&Entry>,
) -> String {
    let roster = node.ledger.roster();
    let h = entry.header();
    let payload = serde_json::from_slice::<serde_json::Value>(entry.payload())
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| String::from_utf8_lossy(entry.payload()).into_owned());
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{m} #{seq}: {kind}</h1>\n<p>{what}</p>\n",
        m = h.author,
        seq = h.seq.0,
        kind = esc(h.kind.as_str()),
        what = describe(entry, &snap.status),
    );
    let corrections = Corrections::of(&snap.status, &[]);
    if let Some(c) = corrections.of_entry(&entry.id()) {
        let _ = write!(
            body,
            "<div class=\"notice\"><strong>Superseded.</strong> This entry was{}; what it says here is not what counts.</div>\n",
            corrected_mark(Some(c))
        );
    }
    if revoked {
        body.push_str("<div class=\"notice\"><strong>Removed from the feed.</strong> A quorum of members revoked the key that signed this entry; it is kept as evidence and counts for nothing.</div>\n");
    }
    let _ = write!(
        body,
        "<dl class=\"kv\"><dt>Id</dt><dd><code>{id}</code></dd><dt>Feed</dt><dd><a href=\"/members/{m}#seq-{seq}\">{m}</a>, position #{seq}</dd><dt>Previous</dt><dd>{prev}</dd><dt>Next</dt><dd>{next}</dd><dt>Recorded</dt><dd>{time}</dd><dt>Network</dt><dd><code>{net}</code></dd><dt>Payload SHA-256</dt><dd><code>{ph}</code> ({len} bytes)</dd><dt>Signature (Ed25519)</dt><dd><code>{sig}</code></dd><dt>Signed by</dt><dd>{m}'s key in force at #{seq}: <code>{key}</code></dd><dt>Raw</dt><dd><a href=\"/entries/{id}/raw\">the exact signed bytes</a> ({total} bytes; <code>pacta verify</code> checks these)</dd></dl>\n<h2>Payload</h2>\n<pre>{payload}</pre>\n",
        id = entry.id(),
        m = h.author,
        seq = h.seq.0,
        prev = h.prev.map(|p| format!("<a href=\"/entries/{p}\"><code>{p}</code></a>")).unwrap_or_else(|| "none: the first entry of the feed".to_owned()),
        next = next.map(|n| format!("<a href=\"/entries/{i}\"><code>{i}</code></a> (its <code>prev</code> is this entry's id)", i = n.id())).unwrap_or_else(|| "none yet: the head of the feed".to_owned()),
        time = time(h.time),
        net = h.network,
        ph = hex::encode(h.payload_hash),
        len = h.payload_len,
        sig = hex::encode(entry.signature()),
        key = node
            .ledger
            .key_at(h.author, h.seq)
            .or_else(|| roster.member(h.author).map(|m| m.key))
            .map(|k| k.to_string())
            .unwrap_or_default(),
        total = entry.as_bytes().len(),
        payload = esc(&payload),
    );
    page(
        &format!("{} #{}: Pacta", h.author, h.seq.0),
        roster.network_name(),
        &node.member.to_string(),
        &body,
    )
}

/// A page for what is not there (404) or a bad request (400), saying what would work.
pub fn problem(node: &Node, heading: &str, detail: &str) -> String {
    let roster = node.ledger.roster();
    let members: Vec<String> = roster
        .members()
        .map(|m| format!("<a href=\"/members/{c}\">{c}</a>", c = m.code))
        .collect();
    let instruments: Vec<String> = node
        .watch
        .snapshot()
        .status
        .instruments
        .iter()
        .map(|i| format!("<a href=\"/instruments/{s}\">{s}</a>", s = esc(&i.short)))
        .collect();
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p>Try the <a href=\"/\">status page</a>, an instrument: {}, or a member: {}.</p>\n",
        esc(heading),
        esc(detail),
        if instruments.is_empty() {
            "none registered yet".to_owned()
        } else {
            instruments.join(" ")
        },
        members.join(" ")
    );
    page(
        heading,
        roster.network_name(),
        &node.member.to_string(),
        &body,
    )
}
