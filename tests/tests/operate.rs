//! What an operator relies on (issue 21): when the node says it serves, what its logs
//! look like, and how a config file's paths are read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::process::{Command, Stdio};
use std::time::Duration;

use pacta_tests::net::*;

fn node_command(member: &str, data: &std::path::Path, port: u16) -> Command {
    let mut cmd = Command::new(pacta_tests::bin("pacta-node"));
    cmd.arg("--roster")
        .arg(roster_path())
        .args(["--member", member, "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .args(["--peer", "http://127.0.0.1:9"]);
    cmd
}

#[test]
fn the_serving_line_comes_only_once_the_store_is_open_and_locked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("IT");
    let first = NodeProc::start("IT", free_port(), &data, &[], 60_000);
    // A second node on the same store: the lock refuses it, and it never said it
    // served.
    let out = node_command("IT", &data, free_port())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "it said it served");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another process"), "{err}");
    drop(first);
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_are_plain_off_a_terminal_json_when_asked_and_sled_stays_quiet() {
    let dir = tempfile::tempdir().unwrap();
    // Text, to a file: no colour codes; at debug, no line from sled.
    let mut node = NodeProc::start("IT", free_port(), &dir.path().join("IT"), &[], 60_000);
    node.terminate();
    node.env = vec![("PACTA_LOG".into(), "debug".into())];
    node.spawn_again();
    let mut it = Author::new("IT");
    assert_eq!(post(&node.url(), &[&it.next("a line")]).await.0, 200);
    node.terminate();
    let text = node.log_text();
    assert!(text.contains("DEBUG"), "no debug line: {text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a file: {text}");
    assert!(!text.contains("sled::"), "sled's chatter at debug: {text}");

    // JSON: every line is an object with a level and a message.
    node.flags = vec!["--log-format".into(), "json".into()];
    node.env.clear();
    node.spawn_again();
    assert_eq!(post(&node.url(), &[&it.next("another")]).await.0, 200);
    node.terminate();
    let json = node.log_text();
    let lines: Vec<&str> = json.lines().skip(text.lines().count()).collect();
    assert!(lines.len() >= 2, "{json}");
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string(), "{line}");
        assert!(v["fields"]["message"].is_string(), "{line}");
    }
    assert!(lines.iter().any(|l| l.contains("\"serving\"")), "{json}");

    // Garbage: an unknown format and a filter that is not one.
    let out = node_command("IT", &dir.path().join("IT"), free_port())
        .args(["--log-format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("yaml"));
    let mut bad = node_command("IT", &dir.path().join("IT"), free_port())
        .env("PACTA_LOG", "debug=[[[")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(bad.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("serving"), "{line}");
    std::thread::sleep(Duration::from_millis(200));
    bad.kill().unwrap();
    let out = bad.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a valid filter"), "{err}");
}
