//! The `pacta` CLI against a node whose answers never end. Issue 18, finding 14: a
//! 1 GiB endless `/v1/heads` put `pacta verify --node` at over 1 GiB of memory, and
//! endless feed pages put it at 630 MiB. Every answer the CLI reads from a node must be
//! read up to the cap the node's own replication uses, and no further.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use pacta_core::entry::Entry;
use pacta_core::ids::Seq;
use pacta_core::wire::{FeedPage, Forks, Head, Heads, HexBytes};
use pacta_tests::net::*;

/// The bound the issue sets: far above what a capped read needs (a few times the
/// 8.5 MiB cap), far below what an endless answer costs when read whole.
const BOUND_KIB: u64 = 200 * 1024;
/// Past this, the CLI is stopped: an unfixed CLI would otherwise eat the machine.
const KILL_KIB: u64 = 300 * 1024;

/// Not a path: the case where the feed, not an answer, never ends.
const ENDLESS_FEED: &str = "(a feed of 2^64 - 1 entries)";

#[derive(Clone)]
struct Fake {
    /// The path (and method) whose answer never ends.
    endless: (Method, &'static str),
    /// The status it is sent with.
    status: StatusCode,
    /// FR #1, the one entry the fake holds.
    entry: Arc<Entry>,
    /// Claim an FR feed of 2^64 - 1 entries, and serve FR #1 again at every position,
    /// as many times as asked.
    endless_feed: bool,
    sent: Arc<AtomicU64>,
}

/// A node that answers like a real one, except at one path, whose answer goes on for
/// ever (64 KiB of spaces at a time).
async fn fake(fake: State<Fake>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if method == fake.endless.0 && path.starts_with(fake.endless.1) {
        let sent = fake.sent.clone();
        let body = Body::from_stream(futures::stream::repeat_with(move || {
            sent.fetch_add(64 * 1024, Ordering::Relaxed);
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 64 * 1024]))
        }));
        return (fake.status, body).into_response();
    }
    let head = Head {
        seq: Seq(if fake.endless_feed { u64::MAX } else { 1 }),
        id: fake.entry.id(),
    };
    let query: BTreeMap<String, u64> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect();
    let from = query.get("from").copied().unwrap_or(1);
    let copies = if fake.endless_feed {
        query.get("limit").copied().unwrap_or(1).min(1000)
    } else {
        1
    };
    match (method, path) {
        (Method::GET, "/v1/checkpoint") => StatusCode::NOT_FOUND.into_response(),
        (Method::GET, "/v1/heads") => Json(Heads {
            network: roster().network_id(),
            heads: BTreeMap::from([(code("FR"), head)]),
            forks: vec![],
        })
        .into_response(),
        (Method::GET, "/v1/feeds/FR") => Json(FeedPage {
            member: code("FR"),
            from: Seq(from),
            entries: vec![HexBytes(fake.entry.as_bytes().to_vec()); copies as usize],
            head: Some(head),
        })
        .into_response(),
        (Method::GET, "/v1/forks") => Json(Forks {
            forks: vec![],
            next: None,
        })
        .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Runs `pacta args` (with `{node}` replaced by the fake's URL) while sampling its
/// peak resident memory; returns (exit code, stderr, peak KiB, bytes the fake sent).
async fn run_against(endless: (Method, &'static str), status: StatusCode, args: &[&str]) -> Run {
    let sent = Arc::new(AtomicU64::new(0));
    let state = Fake {
        endless_feed: endless.1 == ENDLESS_FEED,
        endless,
        status,
        entry: Arc::new(Author::new("FR").next("FR #1")),
        sent: sent.clone(),
    };
    let app = axum::Router::new().fallback(fake).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let args: Vec<String> = args.iter().map(|a| a.replace("{node}", &url)).collect();
    let exe = pacta_tests::bin("pacta");
    let run = tokio::task::spawn_blocking(move || watch_memory(&exe, &args))
        .await
        .unwrap();
    Run {
        url,
        sent: sent.load(Ordering::Relaxed),
        ..run
    }
}

#[derive(Debug, Default)]
struct Run {
    url: String,
    code: Option<i32>,
    out: String,
    err: String,
    peak_kib: u64,
    sent: u64,
    seconds: f64,
}

/// Peak RSS from `/proc/<pid>/status` (VmHWM), sampled every 10 ms until the process
/// exits; a process past `KILL_KIB` or 60 s is killed.
fn watch_memory(exe: &std::path::Path, args: &[String]) -> Run {
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(kib) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(kib);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if peak > KILL_KIB || start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        peak_kib: peak,
        seconds: start.elapsed().as_secs_f64(),
        ..Run::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_reads_an_endless_answer_only_up_to_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let keys = pacta_tests::private_example_keys(dir.path()).unwrap();
    let key = keys.join("FR.key");
    let key = key.to_str().unwrap();
    let roster = roster_path();
    let roster = roster.to_str().unwrap();
    let verify = ["verify", "--node", "{node}", "--roster", roster];
    let submit = [
        "submit", "--node", "{node}", "--key", key, "--member", "FR", "note", "--text", "x",
    ];
    let export = dir.path().join("out.bundle");
    let export = [
        "export",
        "--node",
        "{node}",
        "--out",
        export.to_str().unwrap(),
    ];
    let watch = ["watch", "--node", "{node}", "--count", "1"];
    /// What is tried, the answer that never ends (method and path), its status, and
    /// the command line.
    type Case<'a> = (&'a str, (Method, &'static str), StatusCode, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            "verify, endless heads",
            (Method::GET, "/v1/heads"),
            StatusCode::OK,
            &verify,
        ),
        (
            "verify, endless feed page",
            (Method::GET, "/v1/feeds/FR"),
            StatusCode::OK,
            &verify,
        ),
        (
            "verify, endless forks",
            (Method::GET, "/v1/forks"),
            StatusCode::OK,
            &verify,
        ),
        (
            "verify, endless checkpoint",
            (Method::GET, "/v1/checkpoint"),
            StatusCode::OK,
            &verify,
        ),
        (
            "verify, endless error",
            (Method::GET, "/v1/heads"),
            StatusCode::INTERNAL_SERVER_ERROR,
            &verify,
        ),
        (
            "export, endless feed page",
            (Method::GET, "/v1/feeds/FR"),
            StatusCode::OK,
            &export,
        ),
        (
            "submit, endless heads",
            (Method::GET, "/v1/heads"),
            StatusCode::OK,
            &submit,
        ),
        (
            "submit, endless head entry",
            (Method::GET, "/v1/feeds/FR"),
            StatusCode::OK,
            &submit,
        ),
        (
            "submit, endless answer",
            (Method::POST, "/v1/entries"),
            StatusCode::OK,
            &submit,
        ),
        (
            "watch, endless event",
            (Method::GET, "/v1/events"),
            StatusCode::OK,
            &watch,
        ),
        (
            "verify, a feed that never ends",
            (Method::GET, ENDLESS_FEED),
            StatusCode::OK,
            &verify,
        ),
        (
            "export, a feed that never ends",
            (Method::GET, ENDLESS_FEED),
            StatusCode::OK,
            &export,
        ),
    ];
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for (what, endless, status, args) in cases {
        let run = run_against(endless.clone(), status, args).await;
        let path = format!("{}{}", run.url, endless.1);
        report.push(format!(
            "{what}: exit {:?}, peak RSS {} MiB, {} MiB sent, {:.1} s: {}",
            run.code,
            run.peak_kib / 1024,
            run.sent / (1024 * 1024),
            run.seconds,
            run.err
                .lines()
                .last()
                .or_else(|| run.out.lines().find(|l| l.contains("FR #2")))
                .unwrap_or("")
        ));
        if run.peak_kib > BOUND_KIB {
            failures.push(format!(
                "{what}: peak RSS {} MiB, over the bound of {} MiB{}",
                run.peak_kib / 1024,
                BOUND_KIB / 1024,
                if run.peak_kib > KILL_KIB {
                    " (killed)"
                } else {
                    ""
                }
            ));
        }
        if endless.1 == ENDLESS_FEED {
            // The download stops at FR #2, which is FR #1 again; `verify` judges what
            // it got (invalid, exit 1, naming FR #2), `export` writes it for whoever
            // verifies it.
            let expected = if args[0] == "verify" { 1 } else { 0 };
            if run.code != Some(expected) || (expected == 1 && !run.out.contains("FR #2")) {
                failures.push(format!(
                    "{what}: expected exit {expected} naming FR #2; got exit {:?}: {}{}",
                    run.code,
                    run.out.trim().chars().take(400).collect::<String>(),
                    run.err.trim().chars().take(400).collect::<String>()
                ));
            }
            continue;
        }
        let named = run.err.contains(&path) && run.err.contains("larger than");
        if run.code != Some(2) || !named {
            failures.push(format!(
                "{what}: expected exit 2 and a sentence naming {path} and its cap; got exit {:?}: {}",
                run.code,
                run.err.trim().chars().take(400).collect::<String>()
            ));
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
