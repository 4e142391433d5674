//! Faults injected into real nodes (see `pacta_tests::fault`): `kill -9` at random
//! moments, partitions, flapping and slow links, a node down for long, a lying peer,
//! and a full disk, each while delegations submit. Every scenario ends with the
//! invariants: every acknowledged entry is on every node, every ledger verifies, every
//! head is identical, forks are exactly where they were made, and the nodes served
//! throughout (or restarted cleanly).
//!
//! Short by default; `PACTA_FAULT_SCALE=10` makes them ten times longer, and
//! `PACTA_FAULT_SEED` replays a run's random choices (each test prints its seed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use pacta_tests::fault::{Cluster, Writers, check_invariants, scale};
use pacta_tests::liar::LyingPeer;
use pacta_tests::net::*;

/// A small deterministic generator (xorshift), seeded from `PACTA_FAULT_SEED` or the
/// clock, so a failing run can be replayed.
struct Dice(u64);

impl Dice {
    fn new(test: &str) -> Dice {
        let seed = std::env::var("PACTA_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            })
            | 1;
        eprintln!("{test}: PACTA_FAULT_SEED={seed}");
        Dice(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn report(test: &str, what: &str) {
    eprintln!("FAULTS {test}: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_loop_of_kill_9_while_delegations_submit() {
    let dir = tempfile::tempdir().unwrap();
    let mut dice = Dice::new("crash_loop");
    let mut cluster = Cluster::start(dir.path(), &["FR", "GB", "UA"], 100, &[]).await;
    let urls = cluster.urls();
    let rotate = |k: usize| -> Vec<String> { (0..3).map(|i| urls[(i + k) % 3].clone()).collect() };
    let writers = Writers::start(
        &[
            ("FR", rotate(0)),
            ("GB", rotate(0)),
            ("DE", rotate(1)),
            ("NL", rotate(2)),
            ("PL", rotate(0)),
        ],
        Duration::from_millis(5),
    );
    let monitor = cluster.monitor();
    let rounds = 20 * scale();
    for _ in 0..rounds {
        tokio::time::sleep(Duration::from_millis(100 + dice.below(300))).await;
        let victim = dice.below(3) as usize;
        cluster.kill(victim);
        tokio::time::sleep(Duration::from_millis(dice.below(200))).await;
        cluster.restart(victim);
    }
    let tally = writers.finish().await;
    let probes = monitor.finish().await;
    let verdict = check_invariants(&cluster.urls(), &tally.acked, &BTreeSet::new(), 60).await;
    assert!(
        verdict.acked > 20,
        "too few entries acknowledged to mean anything"
    );
    report(
        "crash_loop",
        &format!(
            "{rounds} rounds of kill -9 survived; {} entries acknowledged, {} lost; {} retries; {} health probes, 0 failed",
            verdict.acked, verdict.lost, tally.retries, probes
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partition_of_two_against_three_heals_into_one_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let members = ["FR", "GB", "UA", "DE", "US"];
    let cluster = Cluster::start(dir.path(), &members, 100, &[]).await;
    let urls = cluster.urls();
    let monitor = cluster.monitor();
    cluster.partition(&[0, 1]);
    // Writes on both sides, each delegation to the nodes of its side.
    let (left, right) = (urls[..2].to_vec(), urls[2..].to_vec());
    let writers = Writers::start(
        &[
            ("FR", left.clone()),
            ("GB", left.iter().rev().cloned().collect()),
            ("UA", right.clone()),
            ("DE", right.iter().rev().cloned().collect()),
            ("US", right.clone()),
        ],
        Duration::from_millis(10),
    );
    // A delegation that signs two different entries at #1, one per side: a fork that
    // neither side can see until the partition heals.
    let nl = Author::new("NL");
    let on_left = nl.sign("NL on the left");
    let on_right = nl.sign("NL on the right");
    assert_eq!(post(&urls[0], &[&on_left]).await.0, 200);
    assert_eq!(post(&urls[2], &[&on_right]).await.0, 200);
    tokio::time::sleep(Duration::from_secs(2 * scale())).await;
    // Each side converges on its own, and neither knows the other's writes.
    let fr_on_right = heads(&urls[2])
        .await
        .heads
        .get(&code("FR"))
        .map(|h| h.seq.0);
    let ua_on_left = heads(&urls[0])
        .await
        .heads
        .get(&code("UA"))
        .map(|h| h.seq.0);
    assert_eq!(
        (fr_on_right, ua_on_left),
        (None, None),
        "the partition leaked"
    );
    assert!(forks(&urls[0]).await.forks.is_empty());
    cluster.heal_all();
    tokio::time::sleep(Duration::from_secs(scale())).await;
    let tally = writers.finish().await;
    let probes = monitor.finish().await;
    let expected = BTreeSet::from([("NL".to_owned(), 1)]);
    let verdict = check_invariants(&urls, &tally.acked, &expected, 60).await;
    // Both acknowledged sides of the fork are kept, in the proof every node holds.
    for url in &urls {
        let proof = &forks(url).await.forks[0];
        let mut sides: Vec<&[u8]> = proof.entries.iter().map(|h| h.0.as_slice()).collect();
        sides.sort();
        let mut made = vec![on_left.as_bytes(), on_right.as_bytes()];
        made.sort();
        assert_eq!(sides, made, "{url}: the fork proof");
    }
    report(
        "partition",
        &format!(
            "2 | 3 for {} s, healed; {} entries acknowledged, {} lost; the one fork made (NL #1) is on all 5 nodes and no other; {} health probes, 0 failed",
            2 * scale(),
            verdict.acked,
            verdict.lost,
            probes
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flapping_and_slow_links_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut dice = Dice::new("flapping");
    let cluster = Cluster::start(dir.path(), &["FR", "GB", "UA", "DE"], 100, &[]).await;
    let urls = cluster.urls();
    let monitor = cluster.monitor();
    let writers = Writers::start(
        &[
            ("FR", urls.clone()),
            ("GB", urls.iter().rev().cloned().collect()),
            ("UA", urls[2..].to_vec()),
        ],
        Duration::from_millis(10),
    );
    let until = Instant::now() + Duration::from_secs(4 * scale());
    let mut flips = 0;
    while Instant::now() < until {
        let a = dice.below(4) as usize;
        let b = (a + 1 + dice.below(3) as usize) % 4;
        match dice.below(3) {
            0 => cluster.cut(a, b),
            1 => cluster.heal(a, b),
            _ => cluster.slow(a, b, Duration::from_millis(dice.below(200))),
        }
        flips += 1;
        tokio::time::sleep(Duration::from_millis(50 + dice.below(150))).await;
    }
    cluster.heal_all();
    let tally = writers.finish().await;
    let probes = monitor.finish().await;
    let verdict = check_invariants(&urls, &tally.acked, &BTreeSet::new(), 60).await;
    report(
        "flapping",
        &format!(
            "{flips} link changes over {} links; {} entries acknowledged, {} lost; {} health probes, 0 failed",
            cluster.link_count(),
            verdict.acked,
            verdict.lost,
            probes
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_down_for_long_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), &["FR", "GB", "UA"], 100, &[]).await;
    let urls = cluster.urls();
    cluster.kill(2);
    let monitor = cluster.monitor();
    let writers = Writers::start(
        &[("FR", urls[..2].to_vec()), ("GB", urls[..2].to_vec())],
        Duration::from_millis(2),
    );
    // Meanwhile an import: a large batch history of another member.
    let mut de = Author::new("DE");
    let history: Vec<pacta_core::Entry> = (0..2000 * scale())
        .map(|i| de.next(&format!("DE history {i}")))
        .collect();
    for chunk in history.chunks(500) {
        let (status, body) = pacta_tests::fault::post_all(&urls[0], chunk).await;
        assert_eq!(status, 200, "{body}");
    }
    tokio::time::sleep(Duration::from_secs(2 * scale())).await;
    let mut tally = writers.finish().await;
    tally.acked.extend(history);
    let missed = tally.acked.len();
    let started = Instant::now();
    cluster.restart(2);
    let verdict = check_invariants(&urls, &tally.acked, &BTreeSet::new(), 120).await;
    let probes = monitor.finish().await;
    report(
        "long_down",
        &format!(
            "down while {missed} entries were acknowledged elsewhere; caught up and verified in {:.1} s; {} lost; {} health probes, 0 failed",
            started.elapsed().as_secs_f64(),
            verdict.lost,
            probes
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lying_peer_in_the_mesh_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The liar relays a node that is not in the cluster, so everything true it says
    // is something the cluster also hears from honest peers... and it has a fork to
    // sell only if it can forge one, which it cannot.
    let upstream_dir = dir.path().join("upstream");
    let upstream = NodeProc::start("DE", free_port(), &upstream_dir, &[], 100);
    let liar = LyingPeer::start(upstream.url()).await;
    let cluster = Cluster::start(
        dir.path(),
        &["FR", "GB", "UA"],
        100,
        std::slice::from_ref(&liar.url),
    )
    .await;
    let urls = cluster.urls();
    let monitor = cluster.monitor();
    // The upstream node holds real entries the cluster must learn only through the
    // liar: its own delegation's, submitted there and nowhere else.
    let mut de = Author::new("DE");
    let de_entries: Vec<pacta_core::Entry> = (0..30).map(|i| de.next(&format!("DE {i}"))).collect();
    assert_eq!(
        pacta_tests::fault::post_all(&upstream.url(), &de_entries)
            .await
            .0,
        200
    );
    let writers = Writers::start(
        &[
            ("FR", urls.clone()),
            ("GB", urls.iter().rev().cloned().collect()),
        ],
        Duration::from_millis(10),
    );
    tokio::time::sleep(Duration::from_secs(4 * scale())).await;
    let mut tally = writers.finish().await;
    // What the liar told truthfully (one request in ten) may reach the cluster; it
    // must be the real entries, byte for byte, or nothing.
    let invariants = check_invariants(&urls, &tally.acked, &BTreeSet::new(), 60).await;
    for url in &urls {
        let held = pacta_tests::fault::feed_bytes(url, "DE").await;
        for (i, bytes) in held.iter().enumerate() {
            assert_eq!(
                bytes.as_slice(),
                de_entries[i].as_bytes(),
                "{url}: DE #{}",
                i + 1
            );
        }
    }
    tally.acked.clear();
    let probes = monitor.finish().await;
    let mut rejected = 0;
    for url in &urls {
        rejected += metric(&metrics(url).await, "pacta_peer_invalid_total");
    }
    assert!(
        liar.lies_told() > 10,
        "the liar was hardly asked: {}",
        liar.lies_told()
    );
    report(
        "lying_peer",
        &format!(
            "{} lies told to 3 nodes, 0 believed ({rejected} entries refused by verification); {} entries acknowledged, {} lost; {} health probes, 0 failed",
            liar.lies_told(),
            invariants.acked,
            invariants.lost,
            probes
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_refuses_writes_keeps_serving_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("FR");
    // First start with room, so the store exists; then again with no room to grow.
    let mut node = NodeProc::start("FR", port, &data, &[], 60_000);
    node.terminate();
    let largest = largest_file_kib(&data);
    assert!(largest > 0, "no store in {}", data.display());
    // Room for 2 MiB of entries above the 16 MiB the node keeps in reserve.
    node.file_size_limit_kib = Some(largest + 16 * 1024 + 2048);
    node.spawn_again();
    let url = node.url();
    let mut fr = Author::new("FR");
    let mut acked = Vec::new();
    let mut refused = None;
    let started = Instant::now();
    for i in 0.. {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the disk never filled"
        );
        // One at a time, so the first refusal is exactly placed.
        let text = format!("{} {i}", "x".repeat(2000));
        let e = fr.sign(&text);
        let (status, body) = post(&url, &[&e]).await;
        if status != 200 {
            refused = Some((e, text, status, body));
            break;
        }
        fr.next(&text);
        acked.push(e);
    }
    let (unstored, text, status, body) = refused.unwrap();
    assert_eq!(
        status,
        507,
        "a full disk is 507 Insufficient Storage: {body}; log:\n{}",
        node.log_text()
    );
    assert_eq!(body["reason"], "store-full", "{body}");
    // Still serving reads. The refused entry may be held in memory, never flushed and
    // never acknowledged; sending it again, as a delegation must, gets the same answer.
    let h = heads(&url).await;
    let held = h.heads[&code("FR")].seq.0;
    assert!(
        held == acked.len() as u64 || held == acked.len() as u64 + 1,
        "head {held} with {} acknowledged",
        acked.len()
    );
    let again = post(&url, &[&unstored]).await;
    assert_eq!(again.0, 507, "{}", again.1);
    // Room again: a restart without the cap, and everything acknowledged is there.
    node.kill9();
    node.file_size_limit_kib = None;
    node.spawn_again();
    let verdict = check_invariants(&[node.url()], &acked, &BTreeSet::new(), 30).await;
    // The delegation sends the refused entry again, then goes on.
    assert_eq!(post(&node.url(), &[&unstored]).await.0, 200);
    fr.next(&text);
    let next = fr.next("after the disk was freed");
    assert_eq!(post(&node.url(), &[&next]).await.0, 200);
    assert!(forks(&node.url()).await.forks.is_empty());
    report(
        "disk_full",
        &format!(
            "filled after {} entries; refused with 507 store-full, reads served; after a restart with room: {} acknowledged, {} lost, the refused entry accepted when sent again",
            acked.len(),
            verdict.acked,
            verdict.lost
        ),
    );
}

/// The largest file under `dir`, in KiB: `ulimit -f` caps each file, and sled's log is
/// the one that grows.
fn largest_file_kib(dir: &std::path::Path) -> u64 {
    // A file or folder may vanish while we look (sled's temporary files): skip it.
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
