//! Atom feeds (RFC 4287) of status changes: the whole network, one member, or one
//! instrument, as the UN Treaty Collection's subscriptions are per treaty and per
//! participant. Entries are the logged changes, newest first; their ids are the
//! changes' UUIDs, the same on every node.

#![allow(
    clippy::write_with_newline,
    reason = "markup is written line by line; a trailing newline per write keeps it readable"
)]

use std::fmt::Write as _;

use pacta_core::codec::sha256;
use pacta_core::ids::Timestamp;

/// Escapes text for XML, dropping what XML 1.0 cannot carry at all (control
/// characters but tab and newlines, U+FFFE, U+FFFF): a feed must stay well-formed
/// whatever a payload says.
fn esc(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(&c)
                || ('\u{E000}'..='\u{FFFD}').contains(&c)
                || c >= '\u{10000}'
        })
        .collect();
    super::html::esc(&kept)
}
use crate::watch::Recorded;

/// Most entries in one feed document.
pub const FEED_ENTRIES: usize = 100;

/// A feed's identity and where it lives.
#[derive(Debug)]
pub struct Scope<'a> {
    /// `all`, `member:FR` or `instrument:<id>`: part of the feed id.
    pub key: String,
    pub title: String,
    /// Absolute URL of the feed itself.
    pub self_url: String,
    /// Absolute URL of the page it follows.
    pub page_url: String,
    pub network: &'a str,
    pub node: &'a str,
}

/// A UUID URN from a label (the same for the same network and scope on every node).
fn urn(label: &str) -> String {
    let mut b = sha256(label.as_bytes());
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(&b[..16]);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Renders the feed. `base` is the node's absolute URL, for the entries' links;
/// `fallback` is the feed's `updated` when it has no entries.
pub fn render(
    scope: &Scope<'_>,
    base: &str,
    changes: &[(u64, Recorded)],
    fallback: Timestamp,
) -> String {
    let updated = changes
        .first()
        .map(|(_, r)| r.seen.clone())
        .unwrap_or_else(|| fallback.to_string());
    let mut out = String::with_capacity(1024 + changes.len() * 800);
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>{id}</id>
<title>{title}</title>
<subtitle>Changes of treaty status recorded in the Pacta ledger {network}, as seen by node {node}. Illustrative events are labelled.</subtitle>
<updated>{updated}</updated>
<link rel="self" type="application/atom+xml" href="{self_url}"/>
<link rel="alternate" type="text/html" href="{page_url}"/>
<author><name>Pacta node {node}</name></author>
<generator>Pacta</generator>
"#,
        id = urn(&format!("pacta feed {} {}", scope.network, scope.key)),
        title = esc(&scope.title),
        network = esc(scope.network),
        node = esc(scope.node),
        updated = esc(&updated),
        self_url = esc(&scope.self_url),
        page_url = esc(&scope.page_url),
    );
    for (number, r) in changes {
        let get = |k: &str| {
            r.change
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let summary = get("summary");
        let headline = get("headline");
        let illustrative = r
            .change
            .get("illustrative")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let link = match (r.member(), r.instrument()) {
            (Some(m), _) => format!("{base}/members/{m}"),
            (None, Some(i)) => format!("{base}/instruments/{i}"),
            (None, None) => format!("{base}/"),
        };
        let act = r.change.get("act");
        let act_text = act
            .and_then(|a| a.get("text"))
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let mut content = format!("<p>{}</p>", esc(&summary));
        // The act and its legal date first, then when this node recorded the change:
        // an alert is about what a state did, and on which day in law.
        if let Some(a) = act {
            let date = a
                .get("date")
                .and_then(|v| v.as_str())
                .and_then(|d| d.parse::<pacta_core::date::Date>().ok());
            let _ = write!(
                content,
                "<p>Act: {}.</p><p>Act dated {} · recorded by this node {}.</p>",
                esc(act_text),
                date.map(super::html::day).unwrap_or_default(),
                esc(&r.seen)
            );
            if let Some(id) = a.pointer("/entry/id").and_then(|v| v.as_str()) {
                let _ = write!(
                    content,
                    "<p>Recorded by entry <a href=\"{base}/entries/{id}\">{m} #{seq}</a>.</p>",
                    id = esc(id),
                    m = esc(a
                        .pointer("/entry/member")
                        .and_then(|v| v.as_str())
                        .unwrap_or("")),
                    seq = a
                        .pointer("/entry/seq")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0),
                );
            }
        } else {
            let _ = write!(content, "<p>Recorded by this node {}.</p>", esc(&r.seen));
        }
        let _ = write!(content, "<p>{}</p>", esc(&headline));
        if illustrative {
            content.push_str("<p><strong>Illustrative:</strong> this rests on entries invented for the demonstration.</p>");
        }
        if let Some(proof) = r.change.get("proof").and_then(|p| p.as_array()) {
            content.push_str("<p>Entries it rests on:</p><ul>");
            for p in proof {
                let (Some(m), Some(seq), Some(id)) = (
                    p.get("member").and_then(|v| v.as_str()),
                    p.get("seq").and_then(serde_json::Value::as_u64),
                    p.get("id").and_then(|v| v.as_str()),
                ) else {
                    continue;
                };
                let _ = write!(
                    content,
                    "<li><a href=\"{base}/entries/{id}\">{m} #{seq}</a></li>",
                    id = esc(id),
                    m = esc(m)
                );
            }
            content.push_str("</ul>");
        }
        let _ = write!(
            out,
            r#"<entry>
<id>urn:uuid:{uuid}</id>
<title>{title}</title>
<updated>{seen}</updated>
<link rel="alternate" type="text/html" href="{link}"/>
<category term="{category}"/>
<summary>{headline}</summary>
<content type="html">{content}</content>
<pacta:event xmlns:pacta="urn:x-pacta:atom">{number}</pacta:event>
</entry>
"#,
            uuid = esc(&r.uuid),
            title = esc(&{
                let mut t = summary.clone();
                if !act_text.is_empty() {
                    t.push_str(" — ");
                    t.push_str(act_text);
                }
                if illustrative {
                    t.push_str(" (illustrative)");
                }
                t
            }),
            seen = esc(&r.seen),
            link = esc(&link),
            category = esc(&get("change")),
            headline = esc(&headline),
            content = esc(&content),
        );
    }
    out.push_str("</feed>\n");
    out
}
