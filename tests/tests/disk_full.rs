//! A disk that fills while a real `pacta-node` works, and room that returns while it
//! still runs (issue 18, finding 2).
//!
//! The fault is real: the node runs under a soft `ulimit -f`, so its writes past the
//! cap fail with EFBIG as on a full disk, and the test lifts the cap with `prlimit`
//! while the node runs, as when an operator frees room.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pacta_core::checkpoint::verify_checkpoint;
use pacta_core::entry::Entry;
use pacta_core::wire::{HexBytes, Submit};
use pacta_tests::fault::check_invariants;
use pacta_tests::net::*;

/// Longest an answer may take while the disk is full.
const BOUND: Duration = Duration::from_secs(10);

fn client(timeout: Duration) -> reqwest::Client {
    let _ = http();
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

/// The largest file under `dir`, in KiB.
fn largest_file_kib(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some(if meta.is_dir() {
                largest_file_kib(&e.path())
            } else {
                meta.len().div_ceil(1024)
            })
        })
        .max()
        .unwrap_or(0)
}

/// One submission: its status (0 if it got no answer within `BOUND`) and how long it
/// took.
async fn submit(c: &reqwest::Client, url: &str, batch: &[Entry]) -> (u16, Duration) {
    let body = Submit {
        entries: batch
            .iter()
            .map(|e| HexBytes(e.as_bytes().to_vec()))
            .collect(),
    };
    let started = Instant::now();
    let status = match c.post(format!("{url}/v1/entries")).json(&body).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    };
    (status, started.elapsed())
}

async fn latest_checkpoint_time_and_head(url: &str, member: &str) -> Option<(u64, u64)> {
    let r = http()
        .get(format!("{url}/v1/checkpoint/latest"))
        .send()
        .await
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    let w = verify_checkpoint(&roster(), r.text().await.ok()?.as_bytes()).ok()?;
    let head = w.checkpoint.heads.get(&code(member)).map_or(0, |h| h.seq.0);
    Some((w.checkpoint.time.millis(), head))
}

/// What one delegation did while the disk filled.
struct Filled {
    author: Author,
    acked: Vec<Entry>,
    answers: Vec<(u16, Duration)>,
    /// The batch refused for want of room, to be sent again as it is.
    refused: Vec<Entry>,
}

/// Each author submits batches of 20 notes of 2 kB, one after the other, until one is
/// refused.
async fn fill(url: &str, authors: Vec<Author>) -> Vec<Filled> {
    let tasks: Vec<_> = authors
        .into_iter()
        .map(|mut author| {
            let url = url.to_owned();
            tokio::spawn(async move {
                let c = client(BOUND + Duration::from_secs(20));
                let (mut acked, mut answers) = (Vec::new(), Vec::new());
                let started = Instant::now();
                loop {
                    assert!(
                        started.elapsed() < Duration::from_secs(180),
                        "{}: the disk never filled",
                        author.member
                    );
                    let member = author.member;
                    let batch: Vec<Entry> = (0..20)
                        .map(|i| author.next(&format!("{member} {i} {}", "x".repeat(2000))))
                        .collect();
                    let (status, took) = submit(&c, &url, &batch).await;
                    answers.push((status, took));
                    if status == 200 {
                        acked.extend(batch);
                    } else {
                        return Filled {
                            author,
                            acked,
                            answers,
                            refused: batch,
                        };
                    }
                }
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Every answer of `filled` was a 200 or a 507 within [`BOUND`]; the refused batches
/// are refused again at once while there is no room.
async fn refused_in_time(url: &str, filled: &[Filled], log: &str) {
    let slow: Vec<_> = filled
        .iter()
        .flat_map(|f| f.answers.iter().map(move |a| (f.author.member, a)))
        .filter(|(_, (s, t))| *s != 200 && (*s != 507 || *t > BOUND))
        .collect();
    assert!(
        slow.is_empty(),
        "while the disk filled, submissions got no 507 within {BOUND:?}: {slow:?}; log:\n{}",
        tail(log)
    );
    let c = client(BOUND + Duration::from_secs(20));
    for f in filled {
        let (status, took) = submit(&c, url, &f.refused).await;
        assert!(
            status == 507 && took <= BOUND,
            "{} again while full: {status} after {took:?}",
            f.author.member
        );
    }
}

/// Sends each refused batch again until it is accepted; returns how long it took.
async fn accepted_again(url: &str, filled: &[Filled], node: &NodeProc) -> Duration {
    let room = Instant::now();
    let c = client(BOUND + Duration::from_secs(20));
    for f in filled {
        loop {
            let (status, took) = submit(&c, url, &f.refused).await;
            if status == 200 {
                break;
            }
            assert!(
                room.elapsed() < Duration::from_secs(60),
                "{}: still {status} (after {took:?}) {:?} after room returned; log:\n{}",
                f.author.member,
                room.elapsed(),
                tail(&node.log_text())
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    room.elapsed()
}

/// Waits until the node has signed a checkpoint with `member` at `head`.
async fn signs(url: &str, member: &str, head: u64, node: &NodeProc) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while latest_checkpoint_time_and_head(url, member)
        .await
        .is_none_or(|(_, h)| h != head)
    {
        assert!(
            Instant::now() < deadline,
            "no checkpoint of {member} #{head} signed after room returned; healthz: {:?}; log:\n{}",
            http()
                .get(format!("{url}/healthz"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
            tail(&node.log_text())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sets the node's soft file-size limit to `kib`, or lifts it.
fn set_cap(pid: i32, kib: Option<u64>) {
    let soft = kib.map_or(rlimit::INFINITY, |k| k * 1024);
    rlimit::prlimit(
        pid,
        rlimit::Resource::FSIZE,
        Some((soft, rlimit::INFINITY)),
        None,
    )
    .unwrap();
}

/// Regression (issue 18, finding 2): when the disk filled while the node worked,
/// submissions got no answer, then 408, never 507, and `/healthz` stopped answering;
/// once room was freed, the node kept answering 507, never signed a checkpoint again
/// and refused cosigns until restarted (sled keeps its error until it is reopened).
/// Now, while full, every submission is answered (200 or 507) within a bound and
/// `/healthz` answers throughout; once room returns, without a restart, the same
/// entries are accepted and the node signs checkpoints again; nothing acknowledged is
/// lost. Twice: the disk fills as the node writes; then room vanishes under writes
/// already in sled's memory, so that sled itself fails and must be reopened.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_disk_that_fills_while_the_node_works_answers_507_and_recovers_when_room_returns() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("FR");
    let mut node = NodeProc::start("FR", port, &data, &[], 60_000);
    assert!(node.terminate().success());
    node.file_size_limit_kib = Some(largest_file_kib(&data) + 24 * 1024);
    node.spawn_again();
    let pid = i32::try_from(node.pid().unwrap()).unwrap();
    let url = node.url();

    // `/healthz`, ten times a second, throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let slowest_health = Arc::new(AtomicU64::new(0));
    let health = {
        let (stop, slowest, url) = (stop.clone(), slowest_health.clone(), url.clone());
        tokio::spawn(async move {
            let c = client(Duration::from_secs(30));
            let mut failures = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let ok = c
                    .get(format!("{url}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                let took = started.elapsed();
                slowest.fetch_max(took.as_millis() as u64, Ordering::SeqCst);
                if !ok || took > Duration::from_secs(2) {
                    failures.push(took);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            failures
        })
    };

    let mut acked: Vec<Entry> = Vec::new();
    let mut authors: Vec<Author> = ["NL", "DE", "PL", "ES"].map(Author::new).into();
    let mut report = Vec::new();
    for phase in [
        "the node's writes fill the disk",
        "room vanishes under sled's writes",
    ] {
        let filled = if phase.starts_with("room vanishes") {
            // Writes go on; meanwhile the cap drops far below the log's size, so that
            // what sled holds in memory cannot be written.
            let filling = {
                let url = url.clone();
                tokio::spawn(async move { fill(&url, authors).await })
            };
            tokio::time::sleep(Duration::from_millis(1500)).await;
            set_cap(pid, Some(64));
            filling.await.unwrap()
        } else {
            fill(&url, authors).await
        };
        refused_in_time(&url, &filled, &node.log_text()).await;
        let answers: usize = filled.iter().map(|f| f.answers.len()).sum();
        set_cap(pid, None);
        let took = accepted_again(&url, &filled, &node).await;
        let nl = filled
            .iter()
            .find(|f| f.author.member == code("NL"))
            .unwrap();
        signs(&url, "NL", nl.author.next - 1, &node).await;
        report.push(format!(
            "{phase}: {answers} answers, all 200 or 507 within {BOUND:?}; accepted again {took:?} after room returned, and signed again"
        ));
        authors = Vec::new();
        for f in filled {
            acked.extend(f.acked);
            acked.extend(f.refused);
            authors.push(f.author);
        }
    }
    let reopened = node.log_text().contains("the store is reopened");
    stop.store(true, Ordering::SeqCst);
    let failures = health.await.unwrap();
    assert!(
        failures.is_empty(),
        "/healthz failed or took over 2 s {} times (slowest {} ms)",
        failures.len(),
        slowest_health.load(Ordering::SeqCst)
    );
    assert!(
        reopened,
        "sled never failed, so it was never reopened; log:\n{}",
        tail(&node.log_text())
    );
    // Nothing acknowledged is lost, across a restart too.
    node.kill9();
    node.file_size_limit_kib = None;
    node.spawn_again();
    let verdict = check_invariants(&[node.url()], &acked, &BTreeSet::new(), 30).await;
    assert_eq!(verdict.lost, 0);
    eprintln!(
        "{}; /healthz slowest {} ms; {} acknowledged, 0 lost",
        report.join("; "),
        slowest_health.load(Ordering::SeqCst),
        verdict.acked,
    );
}

/// The last lines of a log.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
