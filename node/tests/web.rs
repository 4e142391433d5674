//! What watchers read, tested in-process: a real node (real sled store, real signed
//! entries from the example keys) driven through its router without a socket. Routes,
//! status codes, 404s that help, garbage in query strings and headers, ETag and 304,
//! and Atom parsed by a real feed parser (feed-rs) rather than compared as text.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use pacta_core::ids::{EntryId, Seq};
use pacta_core::{Entry, Roster};
use pacta_node::node::Node;
use serde_json::json;
use tower::ServiceExt;

mod support;
use support::*;

struct World {
    _dir: tempfile::TempDir,
    node: Arc<Node>,
    authors: Authors,
    treaty: EntryId,
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
    let treaty = a.sign(
        "FR",
        "instrument",
        json!({
            "short": "guarantees",
            "title": "Treaty on binding guarantees (test)",
            "nature": "legal",
            "adopted": "2026-03-02",
            "parties": ["FR", "GB", "UA", "US"],
            "depositary": "FR",
            "consent_means": ["ratification", "acceptance", "approval", "accession"],
            "entry_into_force": {"rule": "after-deposits", "deposits": 2, "days": 30},
            "withdrawal": {"rule": "after-notice", "months": 12},
            "illustrative": true
        }),
    );
    let t = treaty.id();
    let mut batch = vec![treaty];
    for m in ["FR", "GB", "US"] {
        batch.push(a.sign(
            m,
            "signature",
            json!({"instrument": t, "type": "subject-to-ratification", "date": "2026-03-02"}),
        ));
    }
    // The US steps, recorded out of congress.gov's order: the page must put them back.
    let step = |a: &mut Authors, step: &str, body: &str, date: &str, votes: Option<[u32; 3]>| {
        let mut b = json!({"instrument": t, "step": step, "body": body, "action": "acts", "date": date,
                           "result": if votes.is_some() { "passed" } else { "completed" }});
        if let Some([f, ag, ab]) = votes {
            b["votes"] = json!({"for": f, "against": ag, "abstaining": ab});
        }
        a.sign("US", "procedure-step", b)
    };
    let vote = step(
        &mut a,
        "senate-vote",
        "Senate",
        "2026-11-10",
        Some([71, 27, 0]),
    );
    let us_vote = vote.id();
    batch.push(vote);
    batch.push(step(
        &mut a,
        "committee-report",
        "Senate Committee on Foreign Relations",
        "2026-09-30",
        Some([15, 6, 0]),
    ));
    batch.push(step(&mut a, "transmittal", "President", "2026-04-14", None));
    batch.push(step(&mut a, "referral", "Senate", "2026-04-14", None));
    let c = a.sign(
        "GB",
        "consent",
        json!({"instrument": t, "means": "ratification", "date": "2026-04-01"}),
    );
    let cid = c.id();
    batch.push(c);
    batch.push(a.sign(
        "FR",
        "deposit-receipt",
        json!({"instrument": t, "member": "GB", "consent": cid, "date": "2026-04-02"}),
    ));
    batch.push(a.sign(
        "UA",
        "note",
        json!({"text": "a note <with> markup & \"quotes\""}),
    ));
    let refs: Vec<&Entry> = batch.iter().collect();
    submit(&node, &refs).await;
    World {
        _dir: dir,
        node,
        authors: a,
        treaty: t,
        us_vote,
    }
}

#[tokio::test]
async fn the_status_page_shows_table_headline_chart_and_labels() {
    let w = world().await;
    let page = get(&w.node, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header(header::CONTENT_TYPE).starts_with("text/html"));
    let html = page.text();
    for needle in [
        "<h2>At a glance</h2>",
        "1 of 4 bound, 0 in force",
        "<table class=\"status\">",
        "<th scope=\"col\">Participant</th><th scope=\"col\">Signature</th>",
        "<svg class=\"chart\"",
        "<path class=\"series sig\"",
        "signatures (3)",
        "consents established (1)",
        "<tr data-member=\"GB\" data-stage=\"Bound\">",
        "2 Apr 2026",
        "Illustrative.",
        "Pending: <a href=\"/members/FR\">FR</a> (signed)",
        "id=\"node-view\"",
        "href=\"/feed.atom\"",
        "href=\"/members/US\"",
    ] {
        assert!(
            html.contains(needle),
            "missing {needle:?} in the page:\n{html}"
        );
    }
    assert!(!html.contains("is disputed"), "no fork yet");
    assert!(
        !html.contains("<script"),
        "the page works without JavaScript"
    );
}

#[tokio::test]
async fn a_fork_puts_a_red_notice_linking_to_the_proof() {
    let mut w = world().await;
    let a = w.authors.sign("GB", "note", json!({"text": "side a"}));
    let mut other = w.authors.draft("GB", "note", json!({"text": "side b"}));
    other.seq = a.seq();
    other.prev = a.header().prev;
    let b = other.sign(w.authors.key("GB")).unwrap();
    submit(&w.node, &[&a]).await;
    let _ = w.node.submit(vec![b.as_bytes().to_vec()]).await;
    w.node.watch.catch_up().unwrap();
    let html = get(&w.node, "/").await.text();
    assert!(html.contains("class=\"notice\" id=\"fork-GB-"), "{html}");
    assert!(
        html.contains("<a href=\"/v1/forks\">Fork proof</a>"),
        "{html}"
    );
    assert!(
        html.contains("data-member=\"GB\" data-stage=\"Disputed\""),
        "{html}"
    );
    assert!(
        html.contains("Disputed: <a href=\"/members/GB\">GB</a>"),
        "{html}"
    );
}

#[tokio::test]
async fn the_us_page_lists_congress_steps_in_congress_gov_order_with_votes() {
    let w = world().await;
    let page = get(&w.node, "/members/US").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let at = |s: &str| {
        html.find(&format!("data-step=\"{s}\""))
            .unwrap_or_else(|| panic!("no {s} in {html}"))
    };
    assert!(at("transmittal") < at("referral"));
    assert!(at("referral") < at("committee-report"));
    assert!(at("committee-report") < at("senate-vote"));
    assert!(html.contains("<h3>Congress</h3>"), "{html}");
    assert!(html.contains("71–27–0"), "roll-call counts: {html}");
    assert!(
        html.contains("two thirds of members present"),
        "threshold: {html}"
    );
    assert!(
        html.contains(&format!("href=\"/entries/{}\"", w.us_vote)),
        "links to the entry"
    );
    assert!(
        html.contains(&format!("href=\"/entries/{}/raw\"", w.us_vote)),
        "and to its raw signed form"
    );
    assert!(html.contains("Timeline: every entry of US"), "{html}");
    assert!(
        html.contains("2 Mar 2026 (subject to ratification)"),
        "values in words: {html}"
    );
    assert!(html.contains("data-label=\"Result\">passed</td>"), "{html}");
    assert!(
        html.contains("<dt>Next</dt><dd>the President ratifies"),
        "what comes next: {html}"
    );
}

#[tokio::test]
async fn unknown_members_and_entries_get_a_helpful_404_and_garbage_a_400() {
    let w = world().await;
    for uri in [
        "/members/XX",
        // Lower case is a redirect now (issue 22); a code in no case is still a 404.
        "/members/fx",
        "/members/%00",
        "/members/TOOLONGCODE1",
    ] {
        let a = get(&w.node, uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            a.text().contains("Try the <a href=\"/\">status page</a>"),
            "{uri}: {}",
            a.text()
        );
    }
    assert!(
        get(&w.node, "/members/XX")
            .await
            .text()
            .contains("XX is not a member of this network")
    );
    for uri in [
        "/members/US?from=abc",
        "/members/US?from=0",
        "/members/US?from=-1",
        "/members/US?from=99999999999999999999999",
    ] {
        let a = get(&w.node, uri).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(a.text().contains("from= must be a feed position"), "{uri}");
    }
    // Past the head: an empty page, not an error.
    assert_eq!(
        get(&w.node, "/members/US?from=500").await.status,
        StatusCode::OK
    );
    for uri in [
        "/entries/zz",
        "/entries/00",
        &format!("/entries/{}", "ab".repeat(32)),
        "/entries/",
    ] {
        let a = get(&w.node, uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
    }
    for uri in [
        "/entries/zz/raw".to_owned(),
        format!("/entries/{}/raw", "ab".repeat(32)),
        format!("/entries/{}/raw", "AB".repeat(32)),
    ] {
        let a = get(&w.node, &uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(a.json()["reason"], "not-found", "{uri}");
    }
    let a = get(&w.node, "/v1/members/XX").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["reason"], "not-found");
    let a = get(&w.node, "/v1/instruments/nope").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.json()["error"].as_str().unwrap().contains("guarantees"),
        "lists the known ones"
    );
    assert_eq!(
        get(&w.node, "/members/XX/feed.atom").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&w.node, "/instruments/nope/feed.atom").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_entry_page_shows_payload_signature_links_and_the_raw_bytes() {
    let w = world().await;
    let us1 = w
        .node
        .ledger
        .store()
        .entry(code("US"), Seq(1))
        .unwrap()
        .unwrap();
    let us2 = w
        .node
        .ledger
        .store()
        .entry(code("US"), Seq(2))
        .unwrap()
        .unwrap();
    let page = get(&w.node, &format!("/entries/{}", us2.id())).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&hex::encode(us2.signature())), "signature");
    assert!(
        html.contains(&format!("href=\"/entries/{}\"", us1.id())),
        "previous"
    );
    assert!(
        html.contains("&quot;step&quot;: &quot;senate-vote&quot;"),
        "decoded payload: {html}"
    );
    assert!(html.contains(&format!("/entries/{}/raw", us2.id())));
    let raw = get(&w.node, &format!("/entries/{}/raw", us2.id())).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body, us2.as_bytes(), "the exact signed bytes");
    // Text from entries is escaped, never interpreted.
    let ua = w
        .node
        .ledger
        .store()
        .entry(code("UA"), Seq(1))
        .unwrap()
        .unwrap();
    let html = get(&w.node, &format!("/entries/{}", ua.id())).await.text();
    assert!(html.contains("a note &lt;with&gt; markup &amp;"), "{html}");
    assert!(!html.contains("<with>"));
}

#[tokio::test]
async fn json_answers_carry_an_etag_and_conditional_requests_get_304() {
    let mut w = world().await;
    let first = get(&w.node, "/v1/status").await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first.header(header::ETAG);
    assert!(tag.starts_with('"') && tag.len() > 10, "{tag}");
    let status = first.json();
    assert_eq!(status["instruments"][0]["counts"]["bound"], 1);
    let again = get_with(&w.node, "/v1/status", &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    for uri in [
        "/",
        "/members/US",
        "/v1/members/US",
        "/feed.atom",
        "/openapi.json",
    ] {
        let a = get(&w.node, uri).await;
        let t = a.header(header::ETAG);
        assert!(!t.is_empty(), "{uri} has an ETag");
        let b = get_with(
            &w.node,
            uri,
            &[("if-none-match", &format!("\"other\", {t}"))],
        )
        .await;
        assert_eq!(b.status, StatusCode::NOT_MODIFIED, "{uri}");
    }
    // A new consent changes the status, and so the ETag.
    let c = w.authors.sign(
        "FR",
        "consent",
        json!({"instrument": w.treaty, "means": "ratification", "date": "2026-05-01"}),
    );
    let cid = c.id();
    let r = w.authors.sign(
        "FR",
        "deposit-receipt",
        json!({"instrument": w.treaty, "member": "FR", "consent": cid, "date": "2026-05-02"}),
    );
    submit(&w.node, &[&c, &r]).await;
    let after = get_with(&w.node, "/v1/status", &[("if-none-match", &tag)]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.header(header::ETAG), tag);
    assert_eq!(after.json()["instruments"][0]["in_force_on"], "2026-06-01");
    let us = get(&w.node, "/v1/members/US").await.json();
    assert_eq!(
        us["instruments"][0]["status"]["stage"],
        "approved-domestically"
    );
    assert_eq!(us["head"]["seq"], 5);
    let inst = get(&w.node, "/v1/instruments/guarantees").await.json();
    assert_eq!(inst["id"], w.treaty.to_string());
    let by_prefix = get(
        &w.node,
        &format!("/v1/instruments/{}", &w.treaty.to_string()[..10]),
    )
    .await;
    assert_eq!(by_prefix.status, StatusCode::OK);
}

#[tokio::test]
async fn atom_feeds_parse_and_carry_the_changes() {
    let w = world().await;
    let check = |a: &Answer| {
        assert_eq!(a.status, StatusCode::OK);
        assert!(
            a.header(header::CONTENT_TYPE)
                .starts_with("application/atom+xml")
        );
        let feed = feed_rs::parser::parse(a.body.as_slice()).expect("a valid feed");
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        assert!(feed.id.starts_with("urn:uuid:"), "{}", feed.id);
        assert!(feed.title.is_some() && feed.updated.is_some());
        assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
            && l.href.starts_with("http://watch.example:8080/")));
        for e in &feed.entries {
            assert!(e.id.starts_with("urn:uuid:"), "{}", e.id);
            assert!(e.title.is_some(), "every entry has a title");
            assert!(e.updated.is_some(), "every entry has an updated time");
            assert!(
                e.links
                    .iter()
                    .any(|l| l.href.starts_with("http://watch.example:8080/"))
            );
        }
        feed
    };
    // Text XML cannot carry (U+FFFE, U+FFFF) and markup, in a title: the feed stays
    // well-formed and the markup stays text.
    let mut w = w;
    let odd = w.authors.sign(
        "GB",
        "instrument",
        json!({"short": "odd", "title": "Odd \u{FFFE}\u{FFFF} <b>title</b> & co", "nature": "political",
               "adopted": "2026-01-06", "parties": ["GB"], "consent_means": [],
               "entry_into_force": {"rule": "none"}, "withdrawal": {"rule": "not-provided"}}),
    );
    submit(&w.node, &[&odd]).await;
    let all = check(&get(&w.node, "/feed.atom").await);
    assert!(
        all.entries
            .iter()
            .any(|e| e.title.clone().unwrap().content == "odd: registered (Odd  <b>title</b> & co)"),
        "{:?}",
        all.entries.iter().map(|e| e.title.clone()).collect::<Vec<_>>()
    );
    let titles: Vec<String> = all
        .entries
        .iter()
        .map(|e| e.title.clone().unwrap().content)
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t
                == "guarantees: registered (Treaty on binding guarantees (test)) (illustrative)"),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("GB (United Kingdom) under guarantees: none → bound")),
        "{titles:?}"
    );
    let ids: std::collections::BTreeSet<_> = all.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), all.entries.len(), "entry ids are unique");

    let us = check(&get(&w.node, "/members/US/feed.atom").await);
    assert!(!us.entries.is_empty());
    for e in &us.entries {
        assert!(
            e.title
                .clone()
                .unwrap()
                .content
                .starts_with("US (United States)"),
            "{:?}",
            e.title
        );
    }
    let inst = check(&get(&w.node, &format!("/instruments/{}/feed.atom", w.treaty)).await);
    assert_eq!(
        inst.entries.len(),
        all.entries.len() - 1,
        "every change but odd's registration is under the treaty"
    );
    check(&get(&w.node, "/instruments/guarantees/feed.atom").await);
    // An empty feed is still a valid one.
    let fresh = check(&get(&w.node, "/members/NL/feed.atom").await);
    assert!(fresh.entries.is_empty());
}

#[tokio::test]
async fn the_event_stream_refuses_garbage_with_a_reason() {
    let w = world().await;
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 6] = [
        ("/v1/events?bogus=1", &[], "unknown query parameter"),
        ("/v1/events?member=XX", &[], "XX is not a member"),
        ("/v1/events?instrument=nope", &[], "neither an entry id"),
        (
            "/v1/events",
            &[("last-event-id", "abc")],
            "is not an event number",
        ),
        (
            "/v1/events",
            &[("last-event-id", "99999999")],
            "ahead of this node's last event",
        ),
        ("/v1/events?after=-3", &[], "is not an event number"),
    ];
    for (uri, headers, reason) in cases {
        let a = get_with(&w.node, uri, headers).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri} {headers:?}");
        assert!(
            a.json()["error"].as_str().unwrap().contains(reason),
            "{uri}: {}",
            a.text()
        );
    }
}

#[tokio::test]
async fn the_event_stream_replays_the_log_in_order() {
    let w = world().await;
    let resp = pacta_node::api::app(w.node.clone())
        .oneshot(
            Request::get("/v1/events?after=0")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let last = w.node.watch.snapshot().last_event;
    let mut body = resp.into_body().into_data_stream();
    use futures::StreamExt;
    let mut text = String::new();
    while !text.contains(&format!("id: {last}\n")) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("the backlog arrives")
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let ids: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(
        ids,
        (1..=last).collect::<Vec<_>>(),
        "every event, once, in order"
    );
    assert_eq!(text.matches("event: entry").count(), 11, "one per entry");
    assert!(text.contains("event: status"));
    assert!(text.contains("\"summary\":\"GB (United Kingdom) under guarantees: none → bound (contracting, not yet in force)\""), "{text}");
}

#[tokio::test]
async fn the_openapi_document_names_every_watcher_route() {
    let w = world().await;
    let doc = get(&w.node, "/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/status",
        "/v1/members/{code}",
        "/v1/instruments/{id}",
        "/v1/events",
        "/feed.atom",
        "/members/{code}/feed.atom",
        "/instruments/{id}/feed.atom",
        "/",
        "/members/{code}",
        "/entries/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
}

#[tokio::test]
async fn a_restarted_node_keeps_its_event_log_and_announces_what_it_missed() {
    let w = world().await;
    let before = w.node.watch.snapshot().last_event;
    let dir = w._dir.path().to_owned();
    let roster = w.node.ledger.roster();
    // Entries written while the watch is not told (as after a crash between the
    // entries' flush and the event log): the next start announces them.
    let mut authors = w.authors;
    let extra = authors.sign("UA", "note", json!({"text": "written before the crash"}));
    let batch = vec![extra.as_bytes().to_vec()];
    w.node.submit(batch).await.unwrap();
    w.node.ledger.store().flush().await.unwrap();
    drop(w.node);
    let genesis =
        Roster::from_toml(&std::fs::read_to_string(keys_dir().join("roster.toml")).unwrap())
            .unwrap();
    assert_eq!(*roster, genesis);
    // sled holds a lock on the folder for as long as any handle lives: wait for it.
    let node = loop {
        match pacta_node::standalone(Arc::new(genesis.clone()), code("FR"), &dir).await {
            Ok(n) => break n,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    let snap = node.watch.snapshot();
    assert_eq!(
        snap.last_event,
        before + 1,
        "exactly the missed entry, and no change of status"
    );
    let (events, _) = node.watch.events_after(before, 10).unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].data.contains(&extra.id().to_string()));
    assert_eq!(
        snap.status.instruments[0].counts.bound, 1,
        "the status is rebuilt from the store"
    );
}
