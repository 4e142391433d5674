//! The HTML every page shares: escaping, the page frame with its inline style sheet,
//! and small formatting helpers. Pages are plain server-rendered HTML: they work
//! without JavaScript, read on a phone, and every link is a permanent URL.

use std::fmt::Write as _;

use pacta_core::date::Date;
use pacta_core::ids::{EntryId, Timestamp};
use pacta_core::status::{EntryRef, Source, Stage};

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date as the UN Treaty Collection writes it: "6 Jan 2026".
pub fn day(d: Date) -> String {
    let month = MONTHS
        .get(usize::from(d.month()).wrapping_sub(1))
        .copied()
        .unwrap_or("?");
    format!("{} {month} {}", d.day(), d.year())
}

/// A time for people: "2026-11-22 06:58:01 UTC".
pub fn time(t: Timestamp) -> String {
    let s = t.to_string();
    let s = s.replacen('T', " ", 1);
    match s.split_once('.') {
        Some((head, _)) => format!("{head} UTC"),
        None => s.trim_end_matches('Z').to_owned() + " UTC",
    }
}

/// The CSS class and short label of a stage.
pub fn stage_badge(stage: Stage) -> String {
    let (class, label) = match stage {
        Stage::None => ("none", "none"),
        Stage::Signed => ("signed", "signed"),
        Stage::DomesticApprovalInProgress => ("domestic", "domestic approval in progress"),
        Stage::ApprovedDomestically => ("approved", "approved domestically"),
        Stage::ConsentExpressed => ("consent", "consent expressed, awaiting deposit"),
        Stage::Bound => ("bound", "bound (contracting)"),
        Stage::ProvisionallyApplying => ("provisional", "provisionally applying"),
        Stage::Party => ("party", "party (in force)"),
        Stage::NotBecomingParty => ("not-party", "not becoming a party"),
        Stage::Withdrawn => ("withdrawn", "withdrawn"),
        Stage::Disputed => ("disputed", "DISPUTED (fork)"),
    };
    format!("<span class=\"stage {class}\">{label}</span>")
}

/// A value's name as the ledger spells it (kebab-case), in words: "subject to
/// ratification", "completed".
pub fn words<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s.replace('-', " "),
        _ => String::new(),
    }
}

/// A link to an entry's page, showing its feed position.
pub fn entry_link(at: &EntryRef) -> String {
    format!(
        "<a href=\"/entries/{}\" title=\"{}\">{} #{}</a>",
        at.id, at.id, at.member, at.seq.0
    )
}

/// A link to the entry a fact comes from and, when a correction gave it its present
/// content, to that correction too: a reader must see that what the entry says was
/// superseded.
pub fn source_link(source: &Source) -> String {
    match &source.corrected_by {
        Some(c) => format!(
            "{} (corrected by {})",
            entry_link(&source.entry),
            entry_link(c)
        ),
        None => entry_link(&source.entry),
    }
}

pub fn id_link(id: &EntryId) -> String {
    format!(
        "<a class=\"id\" href=\"/entries/{id}\">{}</a>",
        esc(&id.short())
    )
}

/// The mark beside anything illustrative, and its explanation.
pub const ILLUSTRATIVE_MARK: &str = "<abbr class=\"illus\" title=\"illustrative: invented for the demonstration\">illustrative</abbr>";

/// A whole page: `title`, the main content, and the node's identity in the footer.
pub fn page(title: &str, network: &str, member: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 4096);
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="alternate" type="application/atom+xml" title="Status changes" href="/feed.atom">
<style>{CSS}</style>
</head>
<body>
<header><a class="home" href="/">Pacta</a> <span class="net">network {network} · node {member}</span></header>
<main>
{body}
</main>
<footer>
<p>Subscribe: <a href="/feed.atom">Atom feed</a> · live stream <a href="/v1/events"><code>/v1/events</code></a> (server-sent events) · <code>pacta watch --node URL</code></p>
<p>Data: <a href="/v1/status">/v1/status</a> · <a href="/openapi.json">OpenAPI</a> · <a href="/v1/checkpoint">checkpoint</a> · <a href="/v1/forks">fork proofs</a> · <a href="/healthz">health</a></p>
<p>Every fact on this page comes from entries signed by the member concerned and verified by this node. Check them yourself: <code>pacta verify --node URL --roster roster.toml</code>.</p>
</footer>
</body>
</html>
"#,
        title = esc(title),
        network = esc(network),
        member = esc(member),
    );
    out
}

/// The style sheet. Tables keep every column readable: on a wide screen they fit the
/// page (headers wrap, notes get room); on a phone (under 48rem) each row becomes a
/// card whose cells carry their column's name (`data-label`), so nothing is ever past
/// a horizontal scroll. Colours meet WCAG AA contrast (axe-core checks it in CI).
const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#515a64;--line:#d8dde3;--bg:#fff;--accent:#0b4f8a}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:.6rem 1rem;border-bottom:1px solid var(--line);display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}
header .home{font-weight:700;color:var(--accent);text-decoration:none;font-size:1.2rem}
header .net{color:var(--muted);font-size:.85rem;word-break:break-all}
main{max-width:80rem;margin:0 auto;padding:1rem}
footer{max-width:80rem;margin:2rem auto;padding:1rem;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}
h2{font-size:1.25rem;margin:2rem 0 .3rem}
h3{font-size:1.05rem;margin:1.4rem 0 .3rem}
a{color:var(--accent)}
.headline{font-size:2rem;font-weight:700;margin:.3rem 0}
.counts{margin:.1rem 0 .5rem}
.sub{color:var(--muted);margin:.1rem 0 .8rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.notice{border-left:4px solid #c62828;background:#fdecea;padding:.6rem .8rem;margin:.8rem 0}
.illus-banner{border-left:4px solid #b58900;background:#fff8e1;padding:.6rem .8rem;margin:.8rem 0}
.view{border-left:4px solid var(--accent);background:#eef4fa;padding:.6rem .8rem;margin:.8rem 0;font-size:.92rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:#f4f6f8;font-weight:600}
tbody th{font-weight:400}
td.n{white-space:nowrap}
table.status td:last-child{min-width:14rem}
.stage{display:inline-block;padding:.05rem .4rem;border-radius:.25rem;font-size:.8rem;white-space:nowrap;background:#eceff1}
.stage.party{background:#c8e6c9}.stage.bound{background:#dcedc8}.stage.consent{background:#fff9c4}
.stage.approved{background:#e1f5fe}.stage.domestic{background:#f3e5f5}.stage.signed{background:#eceff1}
.stage.withdrawn{background:#ffe0b2}.stage.not-party{background:#eceff1}.stage.disputed{background:#b71c1c;color:#fff}.stage.provisional{background:#d1c4e9}
.warn{color:#7a4200;font-size:.85rem}
.corrected{color:#7a4200;font-weight:600}
.illus{font-size:.75rem;color:#5c4500;background:#fff3c4;border-radius:.2rem;padding:0 .25rem;text-decoration:none;white-space:nowrap}
.muted{color:var(--muted)}
code,.id{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;word-break:break-all}
pre{background:#f4f6f8;padding:.6rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap;word-break:break-all}
figure.chart{margin:.6rem 0;max-width:40rem}
svg.chart{width:100%;height:auto;display:block}
ul.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;padding:0;margin:.2rem 0 0;font-size:.9rem}
ul.legend li::before{content:"";display:inline-block;width:1.2rem;height:.3rem;margin-right:.4rem;vertical-align:middle;background:var(--c)}
ul.declarations li{margin:.3rem 0}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;word-break:break-word;min-width:0}
ol.timeline{list-style:none;padding:0;margin:0}
ol.timeline li{border-left:3px solid var(--line);padding:.3rem .8rem;margin:0 0 .3rem;overflow-wrap:anywhere}
ol.timeline li.legal{border-left-color:var(--accent)}
@media (max-width:48rem){
body{font-size:15px}main{padding:.6rem}
.headline{font-size:1.6rem}
dl.kv{grid-template-columns:1fr}dl.kv dd{margin:0 0 .4rem}
table.status,table.steps,table.status tbody,table.steps tbody,table.status tr,table.steps tr,table.status td,table.steps td,table.status tbody th,table.steps tbody th{display:block;width:100%}
table.status thead,table.steps thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.status tr,table.steps tr{border:1px solid var(--line);border-radius:.4rem;margin:0 0 .6rem;padding:.3rem .5rem}
table.status tbody th,table.steps tbody th{font-weight:600;border-bottom:1px solid var(--line);padding:.2rem 0}
table.status td,table.steps td{border:0;padding:.15rem 0 .15rem 8.5rem;position:relative;white-space:normal;min-width:0;overflow-wrap:anywhere}
table.status td:last-child{min-width:0}
.stage{white-space:normal}
table.status td::before,table.steps td::before{content:attr(data-label);position:absolute;left:0;width:8rem;color:var(--muted);font-size:.85rem}
table.status td:empty::after,table.steps td:empty::after{content:"—";color:var(--muted)}
}
"#;
