//! Fork proofs under attack (issue 18, findings 6 and 7): many large proofs must still
//! replicate, in pages no peer refuses to read; one member's forks cost a bounded
//! amount; and proofs at positions no feed holds are refused, so a member's own node
//! cannot grow an honest node's memory and store without end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use pacta_tests::bench::load::rss;
use pacta_tests::liar::ForkFlooder;
use pacta_tests::net::*;

/// The most a node keeps of one member's fork proofs (`ledger::FORKS_PER_MEMBER`):
/// one proves the dispute; the lowest positions are kept.
const PER_MEMBER: u64 = 8;
/// The largest answer a node reads from a peer (`replicate::MAX_RESPONSE`): a page of
/// 4 MiB of entries and one more entry, in hex, and room for the JSON around them.
const PEER_READS: usize = 2 * (4 * 1024 * 1024 + 65_772) + 8_000 + 64 * 1024;

/// Every fork proof a node serves, following the pages of `GET /v1/forks`, as
/// (member, seq, both entries' hex); and the size of each page in bytes. Read as
/// plain JSON so that it reads a node that does not page too.
async fn all_forks(url: &str) -> (Vec<(String, u64, String)>, Vec<usize>) {
    let client = http();
    let mut proofs = Vec::new();
    let mut pages = Vec::new();
    let mut query = String::new();
    for _ in 0..10_000 {
        let resp = client
            .get(format!("{url}/v1/forks{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "GET /v1/forks{query}");
        let body = resp.bytes().await.unwrap();
        pages.push(body.len());
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        for f in page["forks"].as_array().unwrap() {
            proofs.push((
                f["member"].as_str().unwrap().to_owned(),
                f["seq"].as_u64().unwrap(),
                format!("{}{}", f["entries"][0], f["entries"][1]),
            ));
        }
        match &page["next"] {
            serde_json::Value::Object(next) => {
                query = format!(
                    "?member={}&from={}",
                    next["member"].as_str().unwrap(),
                    next["from"].as_u64().unwrap()
                );
            }
            _ => return (proofs, pages),
        }
    }
    panic!("{url}/v1/forks never ends");
}

fn positions(proofs: &[(String, u64, String)]) -> BTreeSet<(String, u64)> {
    proofs.iter().map(|(m, s, _)| (m.clone(), *s)).collect()
}

/// A note of exactly `len` bytes of text.
fn text(tag: &str, len: usize) -> String {
    let mut t = format!("{tag} ");
    t.push_str(&"x".repeat(len - t.len()));
    t
}

/// Issue 18, finding 6: 300 equivocations of 16,000-byte notes made `GET /v1/forks`
/// one 18.6 MiB answer; peers read at most about 8.5 MiB, so the other node got none
/// of the proofs, missed a later ordinary fork, and backed its pulls off.
#[tokio::test(flavor = "multi_thread")]
async fn hundreds_of_large_forks_replicate_in_pages_and_a_later_fork_still_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = mesh(dir.path(), &["NL", "PL"], 100);
    let (a, b) = (nodes[0].url(), nodes[1].url());
    let roster = roster();
    // 20 members fork 15 positions each: 300 equivocations, as in the finding.
    let forkers: Vec<String> = roster
        .members()
        .map(|m| m.code.to_string())
        .filter(|c| c != "IE")
        .take(20)
        .collect();
    let mut forks = Vec::new();
    for m in &forkers {
        let mut author = Author::new(m);
        let mut originals = Vec::new();
        for p in 1..=15 {
            forks.push(author.sign(&text(&format!("{m} fork {p}"), 16_000)));
            originals.push(author.next(&text(&format!("{m} original {p}"), 16_000)));
        }
        let (status, body) = post(&a, &originals.iter().collect::<Vec<_>>()).await;
        assert_eq!(status, 200, "{body}");
    }
    eventually(60, "B holds every feed A holds", || async {
        heads(&b).await.heads == heads(&a).await.heads
    })
    .await;
    let failures_before = metric(&metrics(&b).await, "pacta_pull_failures_total");
    for f in &forks {
        let (status, body) = post(&a, &[f]).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["reason"], "fork", "{body}");
    }
    // A later, ordinary fork by another member.
    let mut ie = Author::new("IE");
    let ie_fork = ie.sign("IE's other first entry");
    assert_eq!(post(&a, &[&ie.next("IE's first entry")]).await.0, 200);
    eventually(30, "B holds IE #1", || async {
        heads(&b).await.heads.contains_key(&code("IE"))
    })
    .await;
    assert_eq!(post(&a, &[&ie_fork]).await.0, 409);

    let (held_by_a, pages) = all_forks(&a).await;
    let a_bytes: usize = pages.iter().sum();
    eprintln!(
        "A holds {} fork proofs, served in {} pages of {:?} bytes ({a_bytes} in all)",
        held_by_a.len(),
        pages.len(),
        pages
    );
    let wanted = positions(&held_by_a);
    assert!(wanted.contains(&("IE".to_owned(), 1)));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    loop {
        let (held_by_b, _) = all_forks(&b).await;
        if positions(&held_by_b) == wanted {
            break;
        }
        if Instant::now() > deadline {
            let m = metrics(&b).await;
            panic!(
                "after 60 s B holds {} of A's {} fork proofs ({a_bytes} bytes at A); B's pulls failed {} times since the forks; IE #1's fork at B: {}",
                positions(&held_by_b).intersection(&wanted).count(),
                wanted.len(),
                metric(&m, "pacta_pull_failures_total") - failures_before,
                positions(&held_by_b).contains(&("IE".to_owned(), 1)),
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "B holds the same {} proofs {} ms later",
        wanted.len(),
        started.elapsed().as_millis()
    );
    // Every page is one a peer reads whole, and there are several of them.
    for (i, size) in pages.iter().enumerate() {
        assert!(
            *size <= PEER_READS,
            "page {i} of /v1/forks is {size} bytes; a peer reads at most {PEER_READS}"
        );
    }
    assert!(pages.len() >= 2, "the proofs fit in one page: {pages:?}");
    // One member's forks cost at most PER_MEMBER proofs, at the lowest positions, the
    // same on both nodes.
    for m in &forkers {
        let seqs: Vec<u64> = wanted
            .iter()
            .filter(|(c, _)| c == m)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(
            seqs,
            (1..=PER_MEMBER).collect::<Vec<_>>(),
            "{m}'s proofs kept"
        );
    }
    assert_eq!(
        metric(&metrics(&b).await, "pacta_pull_failures_total"),
        failures_before,
        "B's pulls from A failed"
    );
    // Both nodes still export a ledger that verifies, disputed where the forks are.
    let (code, out, err) = pacta(&[
        "verify",
        "--node",
        &b,
        "--roster",
        roster_path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["forks"].as_array().unwrap().len(),
        wanted.len(),
        "{out}"
    );
}

/// Issue 18, finding 7: a member's own node served 8,000 new fork proofs per pull at
/// positions from 10^9 on. The honest node stored tens of thousands, held them all in
/// memory and cloned them on every `/v1/heads`; its memory grew past 200 MiB and
/// replication of real entries stalled.
#[tokio::test(flavor = "multi_thread")]
async fn fork_proofs_beyond_the_feed_are_refused_and_memory_stays_flat() {
    let dir = tempfile::tempdir().unwrap();
    let flooder = ForkFlooder::start(8_000, 6).await;
    let honest = NodeProc::start("NL", free_port(), &dir.path().join("NL"), &[], 100);
    let node = NodeProc::start(
        "PL",
        free_port(),
        &dir.path().join("PL"),
        &[flooder.url.clone(), honest.url()],
        100,
    );
    let url = node.url();
    // PL holds FR #1..#3, the entries FR's node serves as its feed.
    assert_eq!(
        post(&url, &flooder.feed.iter().collect::<Vec<_>>()).await.0,
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = node.pid().unwrap();
    let (base, _) = rss(pid).unwrap();
    let started = Instant::now();
    let mut peak = 0;
    // The flood goes on for 20 s; halfway, entries arrive at the honest peer, and PL
    // must get them as usual.
    let mut de = Author::new("DE");
    let mut sent_de = false;
    let mut de_at = None;
    while started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        peak = peak.max(rss(pid).unwrap().1);
        if !sent_de && started.elapsed() > Duration::from_secs(8) {
            let batch: Vec<_> = (0..20).map(|i| de.next(&format!("DE {i}"))).collect();
            assert_eq!(
                post(&honest.url(), &batch.iter().collect::<Vec<_>>())
                    .await
                    .0,
                200
            );
            sent_de = true;
        }
        if sent_de && de_at.is_none() {
            let h = heads(&url).await;
            if h.heads.get(&code("DE")).is_some_and(|h| h.seq.0 == 20) {
                de_at = Some(started.elapsed());
            }
        }
    }
    let m = metrics(&url).await;
    let held = metric(&m, "pacta_forks");
    let heads_bytes = http()
        .get(format!("{url}/v1/heads"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    let (now, hwm) = rss(pid).unwrap();
    let mib = |b: u64| b / (1024 * 1024);
    eprintln!(
        "after 20 s: FR's node served {} proofs; PL holds {held}; PL's RSS {} MiB at start, {} MiB now, peak {} MiB; /v1/heads {heads_bytes} bytes; DE's 20 entries {}",
        flooder.served(),
        mib(base),
        mib(now),
        mib(hwm.max(peak)),
        de_at.map_or("never arrived".to_owned(), |t| format!(
            "arrived {} ms after the start",
            t.as_millis()
        )),
    );
    assert!(flooder.served() >= 8_000, "the flood did not run");
    assert_eq!(held, 0, "PL stored proofs at positions it does not hold");
    assert!(
        heads_bytes < 4096,
        "/v1/heads is {heads_bytes} bytes after the flood"
    );
    assert!(
        hwm.max(peak) < base + 40 * 1024 * 1024,
        "PL's memory grew from {} MiB to a peak of {} MiB",
        mib(base),
        mib(hwm.max(peak))
    );
    assert!(de_at.is_some(), "replication of real entries stalled");
    // FR's feed is not disputed: nothing proved a fork at a position PL holds.
    assert!(heads(&url).await.forks.is_empty());
}
