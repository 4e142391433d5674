//! One address against everyone else (issue 18, finding 9): each shared budget of a
//! node — connections, event streams, submission bodies, response bytes held for slow
//! readers — gives one address at most its share, so a second address (127.0.0.2:
//! Linux routes all of 127.0.0.0/8 to loopback) is still served while the first one
//! does its worst. And a body declaring more than the node takes gets 413 at once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use pacta_tests::net::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A connection to the node on `port` from the address `from`; `recv_buffer` shrinks
/// the socket's receive buffer (a client that reads nothing then holds little).
async fn connect_from(from: IpAddr, port: u16, recv_buffer: Option<u32>) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    if let Some(bytes) = recv_buffer {
        socket.set_recv_buffer_size(bytes).unwrap();
    }
    socket.bind((from, 0).into()).unwrap();
    socket.connect((ATTACKER, port).into()).await.unwrap()
}

/// Reads what the node sends on `s` for at most `secs` seconds (or until it closes),
/// and splits it into the status (0 without one) and the text after the head.
async fn answer(s: &mut TcpStream, secs: u64) -> (u16, String) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
            // A streamed answer never ends: its head is enough.
            if out.windows(4).any(|w| w == b"\r\n\r\n") && out.starts_with(b"HTTP/1.1 200") {
                break;
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// One request from `from` on a fresh connection, closed after the answer.
async fn ask_from(from: IpAddr, port: u16, request: &[u8]) -> (u16, String) {
    let mut s = connect_from(from, port, None).await;
    let _ = s.write_all(request).await;
    answer(&mut s, 10).await
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

fn reason(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["reason"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("(not JSON: {body:?})"))
}

/// The node's resident memory now (`VmRSS`) or at its peak (`VmHWM`), from /proc.
fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_event_streams_from_one_address_leave_room_for_others() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let dir = tempfile::tempdir().unwrap();
    // No read-rate limit: the caps on connections and streams alone must hold.
    let mut node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    node.terminate();
    node.flags = vec!["--read-rate".into(), "0".into()];
    node.spawn_again();
    let port = node.port;
    // 4,096 event streams (the default connection cap) from one address.
    let mut streams = Vec::new();
    for _ in 0..4096 {
        let mut s = connect_from(ATTACKER, port, None).await;
        let _ = s
            .write_all(b"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await;
        streams.push(s);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Another address is still served: its health, and a stream of its own.
    let (status, body) = ask_from(OTHER, port, &get("/healthz")).await;
    assert_eq!(status, 200, "/healthz from another address: {body:?}");
    let mut other = connect_from(OTHER, port, None).await;
    other
        .write_all(b"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        answer(&mut other, 10).await.0,
        200,
        "a stream from 127.0.0.2"
    );
    // The flooding address holds only its share: most of its streams were refused,
    // with a reason, or their connections closed at once.
    let answers = futures::future::join_all(streams.iter_mut().map(|s| answer(s, 5))).await;
    let open = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<&String> = answers
        .iter()
        .filter(|(s, _)| *s == 429)
        .map(|(_, b)| b)
        .collect();
    assert!(open <= 512, "{open} streams open from one address");
    assert!(!refused.is_empty(), "no stream refused with 429");
    assert_eq!(reason(refused[0]), "too-many-streams", "{}", refused[0]);
    eprintln!(
        "DOS streams: 4,096 asked from 127.0.0.1: {open} open, {} refused with 429, the rest closed; 127.0.0.2 served",
        refused.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_bodies_from_one_address_leave_the_submission_budget_to_others() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    let port = node.port;
    // 16 bodies declaring the largest length, whose bytes never come: 256 MiB.
    let mut slow = Vec::new();
    for _ in 0..16 {
        let mut s = connect_from(ATTACKER, port, None).await;
        s.write_all(
            format!(
                "POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"entries\":[",
                16 * 1024 * 1024
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // An honest submitter at another address is served at once.
    let other = reqwest::Client::builder()
        .local_address(OTHER)
        .build()
        .unwrap();
    let mut fr = Author::new("FR");
    for i in 0..3 {
        let entry = fr.next(&format!("beside the slow bodies {i}"));
        let answer = other
            .post(format!("{}/v1/entries", node.url()))
            .header("content-type", "application/json")
            .body(hex_body(&[entry.as_bytes()]))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        assert_eq!(status, 200, "{}", answer.text().await.unwrap());
    }
    // The slow address was refused past its share, at once and with a reason.
    let answers = futures::future::join_all(slow.iter_mut().map(|s| answer(s, 3))).await;
    let refused: Vec<&String> = answers
        .iter()
        .filter(|(s, _)| *s == 429)
        .map(|(_, b)| b)
        .collect();
    assert!(refused.len() >= 8, "{answers:?}");
    assert_eq!(reason(refused[0]), "busy", "{}", refused[0]);
    eprintln!(
        "DOS bodies: 16 slow 16 MiB bodies from 127.0.0.1, {} refused at once with 429; 127.0.0.2 submitted 3 entries",
        refused.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_length_over_the_limit_gets_413_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    for (path, length) in [
        ("/v1/entries", 20_000_000_000u64),
        ("/v1/entries", 16 * 1024 * 1024 + 1),
        ("/v1/checkpoint/cosign", 256 * 1024 + 1),
    ] {
        let started = std::time::Instant::now();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
        );
        // `ask_from` waits at most 10 s: the request timeout (30 s) would be too late.
        let (status, body) = ask_from(ATTACKER, node.port, request.as_bytes()).await;
        assert_eq!(status, 413, "{path} with Content-Length {length}: {body:?}");
        assert_eq!(reason(&body), "too-large", "{body}");
        assert!(body.contains(&length.to_string()), "{body}");
        eprintln!(
            "DOS declared length: {path} {length} -> 413 in {} ms: {body}",
            started.elapsed().as_millis()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_that_never_read_a_large_page_hold_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    let url = node.url();
    // 300 notes of 16,000 bytes: one page is its 4 MiB cap of entries, about 8 MiB of
    // JSON.
    let mut fr = Author::new("FR");
    let text = "x".repeat(16_000);
    for batch in 0..6 {
        let entries: Vec<_> = (0..50)
            .map(|i| fr.next(&format!("{batch}-{i} {text}")))
            .collect();
        let refs: Vec<_> = entries.iter().collect();
        let (status, body) = post(&url, &refs).await;
        assert_eq!(status, 200, "{body}");
    }
    let full = http()
        .get(format!("{url}/v1/feeds/FR?limit=10000"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    assert!(full > 8_000_000, "a page of {full} bytes");
    let pid = node.pid().unwrap();
    let rss_before = rss_kib(pid, "VmRSS:");
    // 100 connections ask for that page and never read a byte of it.
    let mut readers = Vec::new();
    for _ in 0..100 {
        let mut s = connect_from(ATTACKER, node.port, Some(4096)).await;
        s.write_all(&get("/v1/feeds/FR?limit=10000")).await.unwrap();
        readers.push(s);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Another address still gets the whole page meanwhile.
    let other = reqwest::Client::builder()
        .local_address(OTHER)
        .build()
        .unwrap();
    let page = other
        .get(format!("{url}/v1/feeds/FR?limit=10000"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.bytes().await.unwrap().len(), full);
    // Past the write timeout, an answer nobody reads is dropped: reading now gets
    // less than the page, then the end of the connection. (Those refused their share
    // got a short 429 at once.)
    tokio::time::sleep(Duration::from_secs(35)).await;
    // The node's peak memory while the pages sat unread.
    let rss_held = rss_kib(pid, "VmHWM:");
    assert!(
        rss_held < rss_before + 256 * 1024,
        "100 unread pages: RSS {rss_before} KiB, peak {rss_held} KiB"
    );
    let reads = futures::future::join_all(readers.iter_mut().map(|s| async {
        let mut got = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut got)).await;
        (read.is_ok(), got)
    }))
    .await;
    assert!(
        reads.iter().all(|(ended, _)| *ended),
        "a connection that never read is still open"
    );
    let served: Vec<usize> = reads
        .iter()
        .filter(|(_, got)| got.starts_with(b"HTTP/1.1 200"))
        .map(|(_, got)| got.len())
        .collect();
    let refused = reads
        .iter()
        .filter(|(_, got)| got.starts_with(b"HTTP/1.1 429"))
        .count();
    assert!(
        !served.is_empty() && served.iter().all(|n| *n < full),
        "unread answers were not dropped: {} of 100 answered 200, with {served:?} bytes of {full}",
        served.len()
    );
    eprintln!(
        "DOS slow readers: 100 unread {full}-byte pages from 127.0.0.1: {} begun and dropped after the write timeout, {refused} refused with 429; RSS {rss_before} KiB, peak {rss_held} KiB; 127.0.0.2 read the page",
        served.len()
    );
}
