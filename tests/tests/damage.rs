//! A damaged store, with real `pacta-node` processes and real files (issue 18, finding
//! 3): a node whose store holds less than it acknowledged refuses to start, says what
//! is missing, and leaves the damaged files exactly as they were.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pacta_core::entry::Entry;
use pacta_tests::bin;
use pacta_tests::net::*;
use sha2::{Digest, Sha256};

/// The feeds the test writes, and how many entries each.
const FEEDS: [&str; 3] = ["NL", "DE", "PL"];
const PER_FEED: usize = 1000;

/// What became of one start on a damaged store.
#[derive(Debug)]
enum Outcome {
    /// The node refused to start: its exit code and what it said.
    Refused { code: i32, said: String },
    /// The node started and served, per feed, this many entries (and whether each one
    /// was byte for byte the one acknowledged).
    Served {
        held: Vec<(String, usize)>,
        intact: bool,
    },
}

/// Starts `pacta-node` on `data` and returns what happened: it exits, or it answers
/// `/healthz` and is asked for every feed, then killed.
async fn start_on(data: &Path, flags: &[&str], acked: &[Vec<Entry>]) -> Outcome {
    let port = free_port();
    let log = data.with_extension(format!("{port}.log"));
    let mut child = Command::new(bin("pacta-node"))
        .arg("--roster")
        .arg(roster_path())
        .args(["--member", "NL", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .args(["--peer", "http://127.0.0.1:9"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = format!("http://127.0.0.1:{port}");
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Outcome::Refused {
                code: status.code().unwrap_or(-1),
                said: std::fs::read_to_string(&log).unwrap(),
            };
        }
        if let Ok(r) = http().get(format!("{url}/healthz")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "neither served nor exited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut held = Vec::new();
    let mut intact = true;
    for (feed, entries) in FEEDS.iter().zip(acked) {
        let mut got = Vec::new();
        loop {
            let p = page(&url, feed, got.len() as u64 + 1, 1000).await;
            if p.entries.is_empty() {
                break;
            }
            got.extend(p.entries.into_iter().map(|e| e.0));
        }
        intact &=
            got.len() == entries.len() && got.iter().zip(entries).all(|(g, e)| g == e.as_bytes());
        held.push(((*feed).to_owned(), got.len()));
    }
    let _ = child.kill();
    let _ = child.wait();
    Outcome::Served { held, intact }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` (but the lock and the node's logs) with the SHA-256 of its
/// bytes, sorted by path.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, [u8; 32])> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.file_name().is_some_and(|n| n != "LOCK") {
                let hash = Sha256::digest(std::fs::read(&path).unwrap()).into();
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), hash));
            }
        }
    }
    out.sort();
    out
}

/// One way to damage sled's `db` file.
#[derive(Debug, Clone, Copy)]
enum Damage {
    /// Flip every bit of the byte at this fraction of the file.
    Flip(f64),
    /// Cut the file to this fraction of its length.
    Truncate(f64),
}

fn damage(db: &Path, how: Damage) {
    let mut bytes = std::fs::read(db).unwrap();
    match how {
        Damage::Flip(at) => {
            let i = (bytes.len() as f64 * at) as usize;
            bytes[i] ^= 0xff;
        }
        Damage::Truncate(keep) => bytes.truncate((bytes.len() as f64 * keep) as usize),
    }
    std::fs::write(db, bytes).unwrap();
}

/// Regression (issue 18, finding 3): after one flipped byte or a cut in sled's `db`
/// file, a node started and served 2,840 or 2,777 of 3,000 acknowledged entries,
/// logging only `store checked entries=2840`, even with `--check-store`; a file cut to
/// half left 0 entries and sled rewrote it. Now every start either serves every
/// acknowledged entry, byte for byte, or refuses with exit 2, naming the feed, the
/// head it acknowledged and the head it found, and leaves the files as they were.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_store_refuses_to_start_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("NL");
    let mut node = NodeProc::start("NL", free_port(), &data, &[], 60_000);
    let mut acked: Vec<Vec<Entry>> = Vec::new();
    for feed in FEEDS {
        let mut author = Author::new(feed);
        let entries: Vec<Entry> = (0..PER_FEED)
            .map(|i| author.next(&format!("{feed} entry {i}: {}", "x".repeat(200))))
            .collect();
        for chunk in entries.chunks(100) {
            let refs: Vec<&Entry> = chunk.iter().collect();
            let (status, body) = post(&node.url(), &refs).await;
            assert_eq!(status, 200, "{body}");
        }
        acked.push(entries);
    }
    assert!(node.terminate().success(), "a clean stop");
    let pristine = dir.path().join("pristine");
    copy_dir(&data, &pristine);
    let size = std::fs::metadata(pristine.join("db")).unwrap().len();

    let cases = [
        Damage::Flip(0.30),
        Damage::Flip(0.60),
        Damage::Flip(0.90),
        Damage::Flip(0.97),
        Damage::Truncate(0.999),
        Damage::Truncate(0.95),
        Damage::Truncate(0.5),
    ];
    let mut report = Vec::new();
    let mut wrong = 0;
    for (i, how) in cases.iter().enumerate() {
        for flags in [&[][..], &["--check-store"][..]] {
            let case = dir.path().join(format!("case-{i}-{}", flags.len()));
            copy_dir(&pristine, &case);
            damage(&case.join("db"), *how);
            let before = fingerprint(&case);
            let outcome = start_on(&case, flags, &acked).await;
            let after = fingerprint(&case);
            let unchanged = before == after;
            let ok = match &outcome {
                Outcome::Served { held, intact } => {
                    *intact && held.iter().all(|(_, n)| *n == PER_FEED)
                }
                Outcome::Refused { code, said } => {
                    *code == 2
                        && unchanged
                        && said.contains("acknowledged")
                        && FEEDS.iter().any(|f| said.contains(f))
                }
            };
            wrong += usize::from(!ok);
            report.push(format!(
                "{how:?} {flags:?}: {} {outcome:?}; files unchanged: {unchanged}",
                if ok { "ok" } else { "WRONG" }
            ));
        }
    }
    let report = report.join("\n");
    eprintln!(
        "db file of {size} bytes, {} entries:\n{report}",
        FEEDS.len() * PER_FEED
    );
    assert_eq!(wrong, 0, "\n{report}");
    // A cut to half loses entries whatever the layout: it must be refused.
    assert!(
        report
            .lines()
            .filter(|l| l.starts_with("Truncate(0.5)"))
            .all(|l| l.contains("Refused")),
        "\n{report}"
    );
}
