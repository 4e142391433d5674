//! Issue 22, tested in-process: what a journalist and a Congress-tracker need from the
//! watchers' pages. A page per instrument in the UN Treaty Collection's order, binding
//! instruments first, counts explained, declarations and reservations, corrections
//! marked, no ratification step under a political declaration, the act named in every
//! alert, content negotiation, case-insensitive member codes, and an OpenAPI document
//! covering README's endpoint table. No socket: the router is driven directly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use pacta_core::ids::EntryId;
use pacta_core::{Entry, Roster};
use pacta_node::node::Node;
use serde_json::{Value, json};
use tower::ServiceExt;

mod support;
use support::*;

/// A ledger shaped like the demo's, small: a political declaration registered first
/// (four listed participants, three signatures, and the United States recording a
/// commitment under it without signing), then a binding treaty: GB ratifies with a
/// declaration and a reservation, France as depositary receives it, France's Senate
/// vote is recorded with wrong counts and corrected, the US Senate gives its advice
/// and consent.
struct World {
    _dir: tempfile::TempDir,
    node: Arc<Node>,
    authors: Authors,
    declaration: EntryId,
    treaty: EntryId,
    gb_consent: EntryId,
    fr_typo: EntryId,
    fr_fix: EntryId,
    us_vote: EntryId,
}

async fn world() -> World {
    let roster_text = std::fs::read_to_string(keys_dir().join("roster.toml")).unwrap();
    let roster = Roster::from_toml(&roster_text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = pacta_node::standalone(Arc::new(roster.clone()), code("FR"), dir.path())
        .await
        .unwrap();
    let mut a = Authors::new(&roster);
    let declaration = a.sign(
        "FR",
        "instrument",
        json!({"short": "declaration", "title": "Declaration on guarantees (test)",
               "nature": "political", "adopted": "2026-01-06",
               "parties": ["FR", "GB", "JP", "UA"],
               "entry_into_force": {"rule": "none"}, "withdrawal": {"rule": "not-provided"}}),
    );
    let d = declaration.id();
    let mut batch = vec![declaration];
    for m in ["FR", "GB", "UA"] {
        batch.push(a.sign(
            m,
            "signature",
            json!({"instrument": d, "type": "definitive", "date": "2026-01-06"}),
        ));
    }
    batch.push(a.sign(
        "US",
        "commitment",
        json!({"instrument": d, "pillar": "ceasefire-monitoring",
               "description": "Lead the ceasefire monitoring", "date": "2026-01-06"}),
    ));
    let treaty = a.sign(
        "FR",
        "instrument",
        json!({"short": "guarantees", "title": "Treaty on binding guarantees (test)",
               "nature": "legal", "adopted": "2026-03-02", "parties": ["FR", "GB", "UA", "US"],
               "depositary": "FR",
               "consent_means": ["ratification", "acceptance", "approval", "accession"],
               "entry_into_force": {"rule": "after-deposits", "deposits": 2, "days": 30},
               "withdrawal": {"rule": "after-notice", "months": 12}, "illustrative": true}),
    );
    let t = treaty.id();
    batch.push(treaty);
    for m in ["FR", "GB", "US"] {
        batch.push(a.sign(
            m,
            "signature",
            json!({"instrument": t, "type": "subject-to-ratification", "date": "2026-03-02",
                   "illustrative": true}),
        ));
    }
    let consent = a.sign(
        "GB",
        "consent",
        json!({"instrument": t, "means": "ratification", "date": "2026-04-01",
               "declarations": ["The United Kingdom declares that Article 4 applies to its overseas territories."],
               "reservations": ["Article 9 shall not apply to the United Kingdom."],
               "illustrative": true}),
    );
    let gb_consent = consent.id();
    batch.push(consent);
    batch.push(a.sign(
        "FR",
        "deposit-receipt",
        json!({"instrument": t, "member": "GB", "consent": gb_consent, "date": "2026-04-02",
               "illustrative": true}),
    ));
    let senat = json!({"instrument": t, "step": "senat-vote", "body": "Sénat",
                       "action": "adopts the bill authorising ratification", "date": "2026-04-22",
                       "votes": {"for": 250, "against": 260, "abstaining": 20}, "result": "passed",
                       "illustrative": true});
    let typo = a.sign("FR", "procedure-step", senat.clone());
    let fr_typo = typo.id();
    batch.push(typo);
    let mut fixed = senat;
    fixed["votes"]["against"] = json!(60);
    let fix = a.sign(
        "FR",
        "correction",
        json!({"entry": fr_typo, "reason": "vote counts transcribed wrongly",
               "kind": "procedure-step", "payload": fixed, "illustrative": true}),
    );
    let fr_fix = fix.id();
    batch.push(fix);
    let vote = a.sign(
        "US",
        "procedure-step",
        json!({"instrument": t, "step": "senate-vote", "body": "Senate",
               "action": "gives its advice and consent to ratification", "date": "2026-11-10",
               "votes": {"for": 71, "against": 27, "abstaining": 0}, "result": "passed",
               "illustrative": true}),
    );
    let us_vote = vote.id();
    batch.push(vote);
    let refs: Vec<&Entry> = batch.iter().collect();
    submit(&node, &refs).await;
    World {
        _dir: dir,
        node,
        authors: a,
        declaration: d,
        treaty: t,
        gb_consent,
        fr_typo,
        fr_fix,
        us_vote,
    }
}

/// Where `needle` is in `html`, or a failure that shows the page.
fn at(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in the page:\n{html}"))
}

/// The part of `html` from `start` to the next `</section>`.
fn section<'a>(html: &'a str, start: &str) -> &'a str {
    let from = at(html, start);
    let len = html[from..].find("</section>").unwrap_or(html.len() - from);
    &html[from..from + len]
}

#[tokio::test]
async fn an_instrument_page_follows_untc_order_by_id_prefix_or_short_name() {
    let w = world().await;
    let id = w.treaty.to_string();
    for uri in [
        "/instruments/guarantees".to_owned(),
        format!("/instruments/{id}"),
        format!("/instruments/{}", &id[..10]),
    ] {
        let a = get(&w.node, &uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
        assert!(a.header(header::CONTENT_TYPE).starts_with("text/html"));
        let html = a.text();
        let order = [
            "<h1>Treaty on binding guarantees (test)</h1>",
            "<dt>Place and date of adoption</dt>",
            "<dt>Depositary</dt>",
            "<dt>Entry into force</dt>",
            "<dt>Registration</dt>",
            "<dt>Status</dt>",
            "<table class=\"status\">",
            "<h2 id=\"declarations\">Declarations and reservations</h2>",
        ];
        let places: Vec<usize> = order.iter().map(|n| at(&html, n)).collect();
        assert!(
            places.windows(2).all(|p| p[0] < p[1]),
            "{uri}: UNTC's order {order:?}, found at {places:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_or_ambiguous_instrument_gets_a_clear_answer() {
    let mut w = world().await;
    for uri in [
        "/instruments/nope",
        "/instruments/abc",
        "/instruments/%00",
        "/instruments/%FF%FE",
        "/instruments/0000000000",
        &format!("/instruments/{}", "x".repeat(3000)),
    ] {
        let a = get_with(&w.node, uri, &[("accept", "text/html")]).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        let html = a.text();
        assert!(
            html.contains("<h1>No such instrument</h1>"),
            "{uri}: {html}"
        );
        assert!(
            html.contains("href=\"/instruments/guarantees\""),
            "{uri}: links to what exists: {html}"
        );
        let j = get_with(&w.node, uri, &[("accept", "application/json")]).await;
        assert_eq!(j.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(j.json()["reason"], "not-found", "{uri}");
    }
    // A second instrument with the same short name, registered by another member:
    // the name is ambiguous, and the answer lists both ids.
    let twin = w.authors.sign(
        "GB",
        "instrument",
        json!({"short": "guarantees", "title": "Another treaty (test)", "nature": "political",
               "adopted": "2026-02-01", "parties": ["GB"], "entry_into_force": {"rule": "none"},
               "withdrawal": {"rule": "not-provided"}}),
    );
    submit(&w.node, &[&twin]).await;
    let amb = get_with(
        &w.node,
        "/instruments/guarantees",
        &[("accept", "text/html")],
    )
    .await;
    assert_eq!(amb.status, StatusCode::MULTIPLE_CHOICES, "{}", amb.text());
    let html = amb.text();
    assert!(
        html.contains(&format!("href=\"/instruments/{}\"", w.treaty)),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/instruments/{}\"", twin.id())),
        "{html}"
    );
    let j = get(&w.node, "/v1/instruments/guarantees").await;
    assert_eq!(j.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(j.json()["reason"], "ambiguous");
    // The full id still finds each.
    assert_eq!(
        get(&w.node, &format!("/instruments/{}", twin.id()))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_status_page_is_an_index_with_binding_instruments_first() {
    let w = world().await;
    let html = get(&w.node, "/").await.text();
    let legal = at(&html, &format!("id=\"i-{}\"", w.treaty));
    let political = at(&html, &format!("id=\"i-{}\"", w.declaration));
    assert!(legal < political, "the binding treaty comes first");
    assert!(html.contains("href=\"/instruments/guarantees\""), "{html}");
    assert!(html.contains("href=\"/instruments/declaration\""), "{html}");
}

#[tokio::test]
async fn counts_are_explained_and_a_non_signing_participant_says_why() {
    let w = world().await;
    for uri in ["/", "/instruments/declaration"] {
        let html = get(&w.node, uri).await.text();
        let s = section(&html, &format!("id=\"i-{}\"", w.declaration));
        assert!(s.contains("3 of 4 participants signed"), "{uri}: {s}");
        assert!(
            s.contains("The table has 5 rows: the 4 listed participants, and US, which is not listed but recorded acts under it."),
            "{uri}: {s}"
        );
        assert!(
            s.contains("JP: listed, no signature recorded"),
            "{uri}: {s}"
        );
        let us = &s[at(s, "data-member=\"US\"")..];
        let us = &us[..at(us, "</tr>")];
        assert!(
            us.contains("took part (a commitment,") && us.contains("but did not sign"),
            "{uri}: {us}"
        );
    }
}

#[tokio::test]
async fn declarations_and_reservations_are_shown_with_date_and_entry() {
    let w = world().await;
    let link = format!("href=\"/entries/{}\"", w.gb_consent);
    for uri in ["/instruments/guarantees", "/members/GB", "/"] {
        let html = get(&w.node, uri).await.text();
        for needle in [
            "Declaration: The United Kingdom declares that Article 4 applies to its overseas territories.",
            "Reservation: Article 9 shall not apply to the United Kingdom.",
            "1 Apr 2026",
            &link,
        ] {
            assert!(html.contains(needle), "{uri} lacks {needle:?}:\n{html}");
        }
    }
}

#[tokio::test]
async fn no_next_step_is_shown_under_a_political_declaration() {
    let w = world().await;
    let html = get(&w.node, "/members/FR").await.text();
    let political = section(&html, &format!("data-instrument=\"{}\"", w.declaration));
    assert!(
        !political.contains("<dt>Next</dt>"),
        "a political declaration needs no ratification: {political}"
    );
    assert!(
        political.contains("political declaration: binds no one in law"),
        "{political}"
    );
    let legal = section(&html, &format!("data-instrument=\"{}\"", w.treaty));
    assert!(legal.contains("<dt>Next</dt>"), "{legal}");
}

#[tokio::test]
async fn a_corrected_entry_is_marked_where_it_is_shown() {
    let w = world().await;
    let mark = format!("corrected by <a href=\"/entries/{}\"", w.fr_fix);
    let fr = get(&w.node, "/members/FR").await.text();
    let steps = section(&fr, &format!("data-instrument=\"{}\"", w.treaty));
    assert!(steps.contains(&mark), "the steps table: {steps}");
    assert!(steps.contains("250–60–20"), "the corrected counts: {steps}");
    let timeline = &fr[at(&fr, "<ol class=\"timeline\">")..];
    let typo = &timeline[at(timeline, &format!("href=\"/entries/{}\"", w.fr_typo))..];
    let typo = &typo[..at(typo, "</li>")];
    assert!(typo.contains(&mark), "the timeline item: {typo}");
    let entry = get(&w.node, &format!("/entries/{}", w.fr_typo))
        .await
        .text();
    assert!(entry.contains(&mark), "the entry page: {entry}");
}

#[tokio::test]
async fn every_alert_names_the_act_with_its_legal_date() {
    let w = world().await;
    // Atom: the US change names the Senate vote, its counts, its legal date and entry.
    let atom = get(&w.node, "/members/US/feed.atom").await;
    let feed = feed_rs::parser::parse(atom.body.as_slice()).expect("a valid feed");
    let approved = feed
        .entries
        .iter()
        .find(|e| {
            e.title
                .as_ref()
                .is_some_and(|t| t.content.contains("→ approved domestically"))
        })
        .unwrap_or_else(|| panic!("{}", atom.text()));
    let title = approved.title.clone().unwrap().content;
    assert!(
        title.contains(
            "Senate: gives its advice and consent to ratification (passed), 71–27–0, 2026-11-10"
        ),
        "{title}"
    );
    let content = approved
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap_or_default();
    assert!(content.contains("Act dated 10 Nov 2026"), "{content}");
    assert!(content.contains("recorded by this node"), "{content}");
    assert!(
        content.contains(&format!("/entries/{}", w.us_vote)),
        "{content}"
    );
    // SSE: the status event carries the act as data.
    let resp = pacta_node::api::app(w.node.clone())
        .oneshot(
            Request::get("/v1/events?after=0&member=US")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let last = w.node.watch.snapshot().last_event;
    let mut body = resp.into_body().into_data_stream();
    use futures::StreamExt;
    let mut text = String::new();
    while !text.contains("\"body\":\"Senate\"") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .unwrap_or_else(|_| panic!("no act in {text} (last event {last})"))
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["act"]["body"] == "Senate")
        .unwrap();
    assert_eq!(data["act"]["date"], "2026-11-10");
    assert_eq!(data["act"]["votes"]["for"], 71);
    assert_eq!(data["act"]["entry"]["id"], w.us_vote.to_string());
    assert!(data["seen"].is_string(), "the recording time beside it");
}

#[tokio::test]
async fn browsers_get_an_html_404_and_api_clients_json() {
    let w = world().await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for uri in ["/nope", "/v2/status", "/members/XX", "/entries/zz"] {
        let html = get_with(&w.node, uri, &[("accept", browser)]).await;
        assert_eq!(html.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            html.header(header::CONTENT_TYPE).starts_with("text/html"),
            "{uri}"
        );
        assert!(
            html.text()
                .contains("Try the <a href=\"/\">status page</a>"),
            "{uri}"
        );
        let json = get_with(&w.node, uri, &[("accept", "application/json")]).await;
        assert_eq!(json.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            json.header(header::CONTENT_TYPE)
                .starts_with("application/json"),
            "{uri}"
        );
        assert_eq!(json.json()["reason"], "not-found", "{uri}");
    }
    // No Accept (curl, scripts) on an API path: JSON, as before.
    let plain = get(&w.node, "/nope").await;
    assert_eq!(plain.json()["reason"], "not-found");
}

#[tokio::test]
async fn member_codes_are_case_insensitive_with_a_redirect() {
    let w = world().await;
    for (uri, to) in [
        ("/members/us", "/members/US"),
        ("/members/Us?from=2", "/members/US?from=2"),
        ("/members/gb/feed.atom", "/members/GB/feed.atom"),
        ("/v1/members/fr", "/v1/members/FR"),
        ("/members/nato", "/members/NATO"),
    ] {
        let a = get(&w.node, uri).await;
        assert_eq!(a.status, StatusCode::PERMANENT_REDIRECT, "{uri}");
        assert_eq!(a.header(header::LOCATION), to, "{uri}");
    }
    for uri in ["/members/zz", "/members/u%C3%9F", "/members/us%00"] {
        let a = get_with(&w.node, uri, &[("accept", "text/html")]).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
    }
}

/// Every endpoint in README's table, as `(method, OpenAPI path)`.
fn readme_endpoints() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let mut out = Vec::new();
    for line in readme.lines().filter(|l| l.starts_with("| `")) {
        let Some(cell) = line.split('|').nth(1) else {
            continue;
        };
        let mut method = "GET".to_owned();
        for item in cell.split('`').skip(1).step_by(2) {
            let item = item.trim().trim_end_matches(',');
            let path = match item.split_once(' ') {
                Some((m, p)) if m.chars().all(|c| c.is_ascii_uppercase()) => {
                    method = m.to_owned();
                    p
                }
                _ => item,
            };
            if !path.starts_with('/') {
                continue;
            }
            let path = path.split('?').next().unwrap_or(path);
            out.push((method.clone(), path.to_owned()));
        }
    }
    out
}

#[tokio::test]
async fn the_openapi_document_covers_every_endpoint_in_readmes_table() {
    let w = world().await;
    let doc = get(&w.node, "/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let endpoints = readme_endpoints();
    assert!(
        endpoints.len() >= 20,
        "README's table was read: {endpoints:?}"
    );
    for (method, path) in endpoints {
        let op = &doc["paths"][&path][method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in /openapi.json");
        assert!(
            op["responses"].is_object(),
            "{method} {path} has no responses"
        );
    }
    assert!(doc["paths"]["/instruments/{id}"]["get"].is_object());
}

#[tokio::test]
async fn a_member_page_says_why_a_participant_that_took_part_did_not_sign() {
    let w = world().await;
    let html = get(&w.node, "/members/US").await.text();
    let s = section(&html, &format!("data-instrument=\"{}\"", w.declaration));
    assert!(
        s.contains(
            "<dt>Signature</dt><dd>none: not a listed participant: took part (a commitment,"
        ),
        "{s}"
    );
}
