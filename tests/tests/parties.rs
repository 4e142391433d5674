//! An instrument's parties must be members of the network (issue 18, "Also"): 400
//! `instrument` entries naming 500 non-member parties each made `/v1/status` 37.5 MiB
//! and added 170 MiB to the node's memory.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::Duration;

use pacta_core::Kind;
use pacta_core::payload::Payload;
use pacta_tests::bench::load::rss;
use pacta_tests::net::*;
use serde_json::json;

fn instrument(short: &str, parties: &[String]) -> Payload {
    Payload::from_json(
        Kind::INSTRUMENT,
        json!({
            "short": short,
            "title": "An instrument open to many",
            "nature": "political",
            "adopted": "2026-01-06",
            "parties": parties,
            "entry_into_force": {"rule": "none"},
            "withdrawal": {"rule": "not-provided"},
        }),
    )
    .unwrap()
}

/// `n` codes of three letters, in ascending order: none is a member of the roster.
fn strangers(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let l = |k: usize| char::from(b'A' + ((i / k) % 26) as u8);
            [l(676), l(26), l(1)].iter().collect()
        })
        .collect()
}

async fn status_bytes(url: &str) -> Vec<u8> {
    let resp = http().get(format!("{url}/v1/status")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn instruments_naming_non_members_are_refused_and_the_status_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 100);
    let url = node.url();
    let pid = node.pid().unwrap();
    let (base, _) = rss(pid).unwrap();
    let mut fr = Author::new("FR");

    // The attack: 400 instruments naming 500 strangers each.
    let strangers = strangers(500);
    let mut accepted = 0;
    for i in 0..400 {
        let payload = instrument(&format!("flood-{i}"), &strangers);
        let (status, body) = post(&url, &[&fr.sign_payload(&payload)]).await;
        if status == 200 {
            fr.next_payload(&payload);
            accepted += 1;
        } else {
            assert_eq!(status, 422, "{body}");
            assert_eq!(body["reason"], "parties", "{body}");
        }
    }
    // Wait until the status covers what was stored.
    let mut size = 0;
    for _ in 0..600 {
        let body = status_bytes(&url).await;
        size = body.len();
        let status: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if status["instruments"].as_array().unwrap().len() == accepted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, peak) = rss(pid).unwrap();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    eprintln!(
        "{accepted} of 400 instruments naming 500 non-members accepted; /v1/status is {size} bytes ({:.1} MiB); RSS {:.0} MiB at start, peak {:.0} MiB",
        mib(size as u64),
        mib(base),
        mib(peak)
    );
    assert_eq!(accepted, 0, "instruments naming non-members were stored");
    assert!(size < 64 * 1024, "/v1/status is {size} bytes");
    assert!(
        peak < base + 32 * 1024 * 1024,
        "the node's memory grew from {:.0} MiB to {:.0} MiB",
        mib(base),
        mib(peak)
    );
    // One non-member among members: refused, naming it.
    let parties: Vec<String> = ["DE", "FR", "UA", "ZZZ"].map(String::from).to_vec();
    let (status, body) = post(&url, &[&fr.sign_payload(&instrument("mixed", &parties))]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["reason"], "parties", "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("FR #1") && error.contains("ZZZ") && error.contains("not a member"),
        "{error}"
    );
    // Members only: stored.
    let parties: Vec<String> = ["DE", "FR", "UA"].map(String::from).to_vec();
    let good = fr.next_payload(&instrument("members", &parties));
    assert_eq!(post(&url, &[&good]).await.0, 200);
}
