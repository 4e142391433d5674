//! Watchers over real HTTP, with real node processes: the live stream delivers new
//! entries and changes of status, a client that reconnects with `Last-Event-ID` misses
//! nothing (even across a `kill -9` of the node), and `pacta watch` prints changes as
//! they happen.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;
use pacta_core::Entry;
use pacta_core::ids::Kind;
use pacta_core::payload::Payload;
use pacta_tests::bin;
use pacta_tests::net::{Author, NodeProc, free_port, http, post};
use serde_json::{Value, json};

fn instrument(author: &mut Author) -> Entry {
    let body = json!({
        "short": "test-treaty",
        "title": "A treaty for the watcher tests",
        "nature": "legal",
        "adopted": "2026-03-02",
        "parties": ["FR", "GB", "NL"],
        "depositary": "FR",
        "consent_means": ["ratification"],
        "entry_into_force": {"rule": "after-deposits", "deposits": 2, "days": 30},
        "withdrawal": {"rule": "after-notice", "months": 12}
    });
    author.next_payload(&Payload::from_json(Kind::INSTRUMENT, body).unwrap())
}

fn signature(author: &mut Author, instrument: &Entry) -> Entry {
    let body = json!({"instrument": instrument.id(), "type": "subject-to-ratification", "date": "2026-03-02"});
    author.next_payload(&Payload::from_json("signature".parse().unwrap(), body).unwrap())
}

/// One server-sent event, as received.
#[derive(Debug, Clone)]
struct Received {
    id: u64,
    event: String,
    data: Value,
}

/// Connects to `/v1/events` (resuming after `last`, if given) and returns a receiver of
/// events, read by a background task until the returned handle is aborted.
async fn connect(
    url: &str,
    last: Option<u64>,
) -> (
    tokio::sync::mpsc::UnboundedReceiver<Received>,
    tokio::task::JoinHandle<()>,
) {
    let mut req = http().get(format!("{url}/v1/events"));
    if let Some(n) = last {
        req = req.header("last-event-id", n.to_string());
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut events = resp.bytes_stream().eventsource();
        while let Some(Ok(e)) = events.next().await {
            let received = Received {
                id: e.id.parse().unwrap(),
                event: e.event,
                data: serde_json::from_str(&e.data).unwrap(),
            };
            if tx.send(received).is_err() {
                return;
            }
        }
    });
    (rx, task)
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("the stream is open")
}

/// Reads events until one satisfies `pick`, returning every event read.
async fn until(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Received>,
    pick: impl Fn(&Received) -> bool,
) -> Vec<Received> {
    let mut seen = Vec::new();
    loop {
        let e = next(rx).await;
        let done = pick(&e);
        seen.push(e);
        if done {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_stream_delivers_and_a_reconnect_misses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = NodeProc::start("NL", free_port(), &dir.path().join("nl"), &[], 60_000);
    let url = node.url();
    let mut fr = Author::new("FR");
    let mut gb = Author::new("GB");

    // Connected, then an entry is submitted: its event and the change it makes arrive.
    let (mut rx, task) = connect(&url, None).await;
    let treaty = instrument(&mut fr);
    assert_eq!(post(&url, &[&treaty]).await.0, 200);
    let seen = until(&mut rx, |e| e.event == "status").await;
    assert_eq!(seen[0].event, "entry");
    assert_eq!(seen[0].data["id"], treaty.id().to_string());
    assert_eq!(seen[0].data["kind"], "instrument");
    let registered = seen.last().unwrap();
    assert_eq!(registered.data["change"], "registered");
    assert_eq!(registered.data["instrument"], treaty.id().to_string());
    let last = registered.id;

    // Disconnected: two more entries are stored meanwhile.
    task.abort();
    drop(rx);
    let sig = signature(&mut fr, &treaty);
    let note = gb.next("GB's note, written while nobody listened");
    assert_eq!(post(&url, &[&sig]).await.0, 200);
    assert_eq!(post(&url, &[&note]).await.0, 200);

    // Reconnected with Last-Event-ID: both entries and the change, nothing twice.
    let (mut rx, task) = connect(&url, Some(last)).await;
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(next(&mut rx).await);
    }
    let ids: Vec<u64> = got.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![last + 1, last + 2, last + 3], "{got:?}");
    let entry_ids: Vec<&str> = got
        .iter()
        .filter(|e| e.event == "entry")
        .map(|e| e.data["id"].as_str().unwrap())
        .collect();
    assert!(
        entry_ids.contains(&sig.id().to_string().as_str()),
        "{got:?}"
    );
    assert!(
        entry_ids.contains(&note.id().to_string().as_str()),
        "{got:?}"
    );
    let change = got
        .iter()
        .find(|e| e.event == "status")
        .expect("FR's signature changes its stage");
    assert_eq!(
        change.data["summary"],
        "FR (France) under test-treaty: none → signed"
    );
    let last = got.iter().map(|e| e.id).max().unwrap();
    task.abort();

    // The node dies hard and comes back: the log survived; the numbering goes on.
    node.kill9();
    node.restart();
    let (mut rx, task) = connect(&url, Some(last - 2)).await;
    let replay: Vec<u64> = vec![next(&mut rx).await.id, next(&mut rx).await.id];
    assert_eq!(replay, vec![last - 1, last], "the log is on disk");
    let sig_gb = signature(&mut gb, &treaty);
    assert_eq!(post(&url, &[&sig_gb]).await.0, 200);
    let more = until(&mut rx, |e| e.event == "status").await;
    assert_eq!(more[0].id, last + 1);
    assert_eq!(more[0].data["id"], sig_gb.id().to_string());
    task.abort();

    // A stream filtered to one member sees only that member's events.
    let filtered = http()
        .get(format!("{url}/v1/events?member=GB&after=0"))
        .send()
        .await
        .unwrap();
    let mut events = filtered.bytes_stream().eventsource();
    let mut gb_events = Vec::new();
    while gb_events.len() < 3 {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        gb_events.push(serde_json::from_str::<Value>(&e.data).unwrap());
    }
    for e in &gb_events {
        assert_eq!(e["member"], "GB", "{gb_events:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacta_watch_prints_changes_as_they_happen() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("NL", free_port(), &dir.path().join("nl"), &[], 60_000);
    let url = node.url();
    let mut watch = Command::new(bin("pacta"))
        .args([
            "watch",
            "--node",
            &url,
            "--instrument",
            "test-treaty",
            "--count",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The instrument is not registered yet: the filter by name is refused, exit 2.
    let status = watch.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut watch.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        err.contains("neither an entry id nor a registered instrument"),
        "{err}"
    );

    let mut watch = Command::new(bin("pacta"))
        .args(["watch", "--node", &url, "--count", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(watch.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("following"), "{line}");
    let mut fr = Author::new("FR");
    let treaty = instrument(&mut fr);
    let sig = signature(&mut fr, &treaty);
    assert_eq!(post(&url, &[&treaty, &sig]).await.0, 200);
    let status = watch.wait().unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut watch.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(status.code(), Some(0), "{out}");
    assert!(
        out.contains("test-treaty: registered (A treaty for the watcher tests)"),
        "{out}"
    );
    assert!(
        out.contains("FR (France) under test-treaty: none → signed"),
        "{out}"
    );
    assert!(out.contains("0 of 3 bound, 0 in force"), "{out}");
    // Issue 22: the line names the act, with its legal date and its entry.
    assert!(
        out.contains("act: France (FR): signs (subject to ratification), 2026-03-02 (FR #2)"),
        "{out}"
    );
}

#[test]
fn pacta_watch_refuses_a_bad_or_unreachable_node_with_exit_2() {
    let port = free_port();
    let unreachable = format!("http://127.0.0.1:{port}");
    let cases = [
        ("not a url", "is not a URL"),
        ("ftp://127.0.0.1:9", "is not an http:// or https:// URL"),
        (unreachable.as_str(), "cannot reach"),
    ];
    for (node, says) in cases {
        let out = Command::new(bin("pacta"))
            .args(["watch", "--node", node])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{node}: {err}");
        assert!(err.contains(says), "{node}: {err}");
    }
}
