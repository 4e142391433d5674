//! A disk that fills while a real `pacta-node` works, and room that returns while it
//! still runs (issue 18, finding 2).
//!
//! The disk is real: a tmpfs of a few MiB mounted for the test, holding the node's
//! store and its log, filled by another file or by the node's own writes, and freed by
//! deleting that file. Mounting needs root (CI runs as root); elsewhere these tests
//! fail and say so rather than pass without having run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pacta_core::checkpoint::verify_checkpoint;
use pacta_core::entry::Entry;
use pacta_core::wire::{HexBytes, Submit};
use pacta_tests::net::*;

/// Longest an answer may take while the disk is full: the store's stall bound (10 s)
/// and a margin for a loaded machine.
const BOUND: Duration = Duration::from_secs(15);

/// A tmpfs of `mib` MiB, unmounted when dropped.
struct Disk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Disk {
    fn mount(mib: u64) -> Disk {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&path)
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "these tests need a real small disk: mounting a tmpfs failed ({}); run them as root",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Disk { path, _dir: dir }
    }

    fn free(&self) -> u64 {
        let vfs = rustix::fs::statvfs(&self.path).unwrap();
        vfs.f_bavail * vfs.f_frsize
    }

    /// Writes `filler` until the disk holds at most `leave` bytes free (0: until the
    /// write fails for want of room).
    fn fill(&self, leave: u64) -> PathBuf {
        let path = self.path.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0x55u8; 64 * 1024];
        while self.free() > leave {
            let want = (self.free() - leave).min(chunk.len() as u64) as usize;
            match f.write(&chunk[..want]) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

fn client(timeout: Duration) -> reqwest::Client {
    let _ = http();
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

/// One submission: its status (0 if no answer within `BOUND`) and how long it took.
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

/// `/healthz`, polled every 100 ms until dropped: the slowest answer, and how many
/// got none within 5 s.
struct Health {
    stop: Arc<AtomicBool>,
    slowest_ms: Arc<AtomicU64>,
    missed: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Health {
    fn watch(url: &str) -> Health {
        let (stop, slowest_ms, missed) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let task = tokio::spawn({
            let (stop, slowest_ms, missed) = (stop.clone(), slowest_ms.clone(), missed.clone());
            let url = url.to_owned();
            async move {
                let c = client(Duration::from_secs(5));
                while !stop.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let ok = c
                        .get(format!("{url}/healthz"))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200);
                    if !ok {
                        missed.fetch_add(1, Ordering::SeqCst);
                    }
                    slowest_ms.fetch_max(started.elapsed().as_millis() as u64, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        Health {
            stop,
            slowest_ms,
            missed,
            task,
        }
    }

    async fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        (
            self.slowest_ms.load(Ordering::SeqCst),
            self.missed.load(Ordering::SeqCst),
        )
    }
}

async fn store_state(url: &str) -> String {
    let v: serde_json::Value = http()
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["store"].as_str().unwrap_or_default().to_owned()
}

/// The time of the node's latest checkpoint and the head it gives `member`.
async fn checkpoint(url: &str, member: &str) -> Option<(u64, u64)> {
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

/// Waits for a checkpoint signed after `after_ms` that covers `member` up to `seq`.
async fn checkpoint_covering(url: &str, member: &str, seq: u64, after_ms: u64, secs: u64) {
    eventually(
        secs,
        "a new checkpoint covering the new entries",
        || async {
            checkpoint(url, member)
                .await
                .is_some_and(|(t, head)| t > after_ms && head >= seq)
        },
    )
    .await;
}

fn batch(author: &mut Author, n: usize, size: usize) -> Vec<Entry> {
    let member = author.member;
    (0..n)
        .map(|i| author.next(&format!("{member} {i} {}", "x".repeat(size))))
        .collect()
}

fn log_of(data: &Path) -> String {
    std::fs::read_to_string(data.with_extension("log")).unwrap_or_default()
}

/// Another file fills the disk to `leave` bytes free: every submission gets 507 within
/// the bound, `/healthz` and reads answer throughout; once the file is deleted the
/// refused batch is taken and checkpoints are signed again. Returns the slowest 507
/// and how long writes took to resume.
async fn fill_and_free(
    disk: &Disk,
    url: &str,
    data: &Path,
    fr: &mut Author,
    leave: u64,
    states: &[&str],
) -> (Duration, Duration) {
    let c = client(BOUND);
    let held = heads(url).await.heads[&code("FR")].seq.0;
    let health = Health::watch(url);
    let filler = disk.fill(leave);
    // The node trusts a measure of the free room for 250 ms.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = batch(fr, 20, 100);
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(submit(&c, url, &refused).await);
    }
    for (status, took) in &answers {
        assert_eq!(*status, 507, "{answers:?}; log: {}", log_of(data));
        assert!(*took < BOUND, "{answers:?}");
    }
    let state = store_state(url).await;
    assert!(
        states.contains(&state.as_str()),
        "store {state}; log: {}",
        log_of(data)
    );
    let ready = http().get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert!(
        body["reason"] == "store-full" || body["reason"] == "store-failed",
        "{body}"
    );
    // Heads and pages still answer.
    assert_eq!(heads(url).await.heads[&code("FR")].seq.0, held);
    assert_eq!(page(url, "FR", 1, 1).await.entries.len(), 1);

    let signed = checkpoint(url, "FR").await.map_or(0, |c| c.0);
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    let mut status = 0;
    while freed.elapsed() < Duration::from_secs(30) {
        status = submit(&c, url, &refused).await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        200,
        "still refused 30 s after room returned; log: {}",
        log_of(data)
    );
    let resumed = freed.elapsed();
    checkpoint_covering(url, "FR", held + 20, signed, 30).await;
    assert_eq!(store_state(url).await, "ok");
    let (slowest, missed) = health.finish().await;
    assert_eq!(missed, 0, "/healthz went unanswered; log: {}", log_of(data));
    eprintln!("DISK /healthz slowest {slowest} ms while the disk was full");
    (answers.iter().map(|a| a.1).max().unwrap(), resumed)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_filled_by_another_file_gets_507_at_once_and_writes_resume_when_room_returns() {
    let disk = Disk::mount(64);
    let data = disk.path.join("FR");
    let node = NodeProc::start("FR", free_port(), &data, &[], 60_000);
    let url = node.url();
    let pid = node.pid();
    let mut fr = Author::new("FR");
    let first = batch(&mut fr, 20, 100);
    assert_eq!(submit(&client(BOUND), &url, &first).await.0, 200);
    checkpoint_covering(&url, "FR", 20, 0, 30).await;

    // Below the reserve (16 MiB) but not full: the node refuses before sled is asked,
    // so sled never meets the wall and nothing needs restarting.
    let (slowest, resumed) =
        fill_and_free(&disk, &url, &data, &mut fr, 8 * 1024 * 1024, &["full"]).await;
    assert!(
        !log_of(&data).contains("restarting in place"),
        "the reserve should have kept sled off the full disk: {}",
        log_of(&data)
    );
    eprintln!(
        "DISK below the reserve: 507 in at most {slowest:?}; writes again {resumed:?} after room returned, no restart"
    );

    // Every byte taken at once: a write sled had begun may meet the wall itself; the
    // node then restarts in place once room returns. Either way: 507, then writes.
    let (slowest, resumed) =
        fill_and_free(&disk, &url, &data, &mut fr, 0, &["full", "failed"]).await;
    let restarted = log_of(&data).contains("restarted in place");
    assert_eq!(node.pid(), pid, "the node was restarted from outside");
    eprintln!(
        "DISK full to the last byte: 507 in at most {slowest:?}; writes again {resumed:?} after room returned; restarted in place: {restarted}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn when_sled_itself_meets_a_full_disk_the_node_answers_and_restarts_in_place() {
    let disk = Disk::mount(48);
    let data = disk.path.join("FR");
    // No reserve: nothing keeps sled from meeting the full disk itself.
    let mut node = NodeProc::start_with(
        &Network::example(),
        "FR",
        free_port(),
        &data,
        &[],
        60_000,
        &["--store-reserve-mib", "0"],
    );
    let url = node.url();
    let pid = node.pid();
    // Leave 3 MiB free; four delegations write until the node refuses them.
    let filler = disk.fill(3 * 1024 * 1024);
    let health = Health::watch(&url);
    let writers: Vec<_> = ["FR", "DE", "PL", "IT"]
        .into_iter()
        .map(|m| {
            let url = url.clone();
            tokio::spawn(async move {
                let c = client(BOUND + Duration::from_secs(15));
                let mut author = Author::new(m);
                let (mut acked, mut answers) = (Vec::new(), Vec::new());
                let started = Instant::now();
                loop {
                    assert!(
                        started.elapsed() < Duration::from_secs(120),
                        "{m}: the disk never filled"
                    );
                    let b = batch(&mut author, 20, 2000);
                    let (status, took) = submit(&c, &url, &b).await;
                    answers.push((status, took));
                    if status == 200 {
                        acked.extend(b);
                    } else {
                        return (author, acked, answers, b);
                    }
                }
            })
        })
        .collect();
    let mut filled = Vec::new();
    for w in writers {
        filled.push(w.await.unwrap());
    }
    let mut acked_total = 0;
    for (author, acked, answers, _) in &filled {
        acked_total += acked.len();
        let (last, took) = *answers.last().unwrap();
        assert!(
            last == 507 || last == 503,
            "{}: refused with {last} after {took:?}: {answers:?}",
            author.member
        );
        assert!(
            answers.iter().all(|(_, t)| *t < BOUND),
            "{}: an answer took longer than {BOUND:?}: {answers:?}",
            author.member
        );
    }
    assert_ne!(store_state(&url).await, "ok");

    // Room returns.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    let c = client(BOUND);
    for (author, _, _, refused) in &filled {
        let mut status = 0;
        while freed.elapsed() < Duration::from_secs(60) {
            status = submit(&c, &url, refused).await.0;
            if status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(
            status,
            200,
            "{} still refused 60 s after room returned; log: {}",
            author.member,
            log_of(&data)
        );
    }
    let resumed = freed.elapsed();
    let (slowest, missed) = health.finish().await;
    assert_eq!(
        missed,
        0,
        "/healthz went unanswered; log: {}",
        log_of(&data)
    );
    assert_eq!(node.pid(), pid, "the node was restarted from outside");
    let log = log_of(&data);
    let restarted = log.contains("restarted in place");
    assert_eq!(store_state(&url).await, "ok");

    // Nothing acknowledged was lost, across the failure and a clean restart.
    node.terminate();
    node.spawn_again();
    let held = heads(&url).await;
    for (author, acked, _, refused) in &filled {
        let expect = (acked.len() + refused.len()) as u64;
        let head = held.heads[&author.member];
        assert_eq!(head.seq.0, expect, "{}", author.member);
        assert_eq!(head.id, refused.last().unwrap().id(), "{}", author.member);
        for e in acked.iter().step_by(7) {
            let got = page(&url, author.member.as_str(), e.seq().0, 1).await;
            assert_eq!(got.entries[0].0, e.as_bytes(), "{} {}", e.author(), e.seq());
        }
    }
    eprintln!(
        "DISK filled by sled itself: {acked_total} entries acknowledged; every answer within {BOUND:?}; restarted in place: {restarted}; writes again {resumed:?} after room returned; /healthz slowest {slowest} ms, none missed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_starts_on_a_full_disk_serves_reads_and_takes_writes_once_room_returns() {
    let disk = Disk::mount(48);
    let data = disk.path.join("IT");
    let mut node = NodeProc::start("IT", free_port(), &data, &[], 60_000);
    let url = node.url();
    let mut it = Author::new("IT");
    let first = batch(&mut it, 10, 100);
    assert_eq!(submit(&client(BOUND), &url, &first).await.0, 200);
    node.terminate();
    let filler = disk.fill(4 * 1024 * 1024);
    node.spawn_again();
    assert_eq!(store_state(&url).await, "full", "log: {}", log_of(&data));
    assert_eq!(heads(&url).await.heads[&code("IT")].seq.0, 10);
    let next = batch(&mut it, 1, 100);
    assert_eq!(submit(&client(BOUND), &url, &next).await.0, 507);
    std::fs::remove_file(&filler).unwrap();
    eventually(10, "writes taken again", || async {
        submit(&client(BOUND), &url, &next).await.0 == 200
    })
    .await;
}
