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
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "it said it served"
    );
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

async fn readyz(url: &str) -> (u16, serde_json::Value) {
    let r = http().get(format!("{url}/readyz")).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A peer that advertises 5,000 entries of FR and serves none of them.
async fn advertiser() -> String {
    use axum::routing::get;
    let heads = pacta_core::wire::Heads {
        network: roster().network_id(),
        heads: [(
            code("FR"),
            pacta_core::wire::Head {
                seq: pacta_core::Seq(5000),
                id: pacta_core::EntryId([7; 32]),
            },
        )]
        .into_iter()
        .collect(),
        forks: Vec::new(),
    };
    let app = axum::Router::new()
        .route(
            "/v1/heads",
            get(move || {
                let heads = heads.clone();
                async move { axum::Json(heads) }
            }),
        )
        .fallback(|| async { axum::http::StatusCode::SERVICE_UNAVAILABLE });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_says_why_a_node_is_not_ready_and_metrics_parse_as_prometheus_text() {
    let dir = tempfile::tempdir().unwrap();
    // A lone node with nothing to catch up on is ready.
    let it = NodeProc::start("IT", free_port(), &dir.path().join("IT"), &[], 200);
    assert_eq!(readyz(&it.url()).await.0, 200);

    // A node whose peers advertise far more than it can get is alive, not ready.
    let peer = advertiser().await;
    let es = NodeProc::start_with(
        &Network::example(),
        "ES",
        free_port(),
        &dir.path().join("ES"),
        std::slice::from_ref(&peer),
        200,
        &["--ready-lag", "100"],
    );
    let url = es.url();
    eventually(20, "/readyz says the node is behind", || async {
        let (status, body) = readyz(&url).await;
        status == 503 && body["reason"] == "behind"
    })
    .await;
    let (_, body) = readyz(&url).await;
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("5000 behind") && error.contains(&peer),
        "{error}"
    );
    assert_eq!(
        http()
            .get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "liveness is not readiness"
    );

    // Metrics: parsed by a Prometheus text parser, with the series an operator alerts on.
    let mut es_author = Author::new("ES");
    assert_eq!(post(&url, &[&es_author.next("hello")]).await.0, 200);
    let text = metrics(&url).await;
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    let sample = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .unwrap_or_else(|| panic!("no {name} {label:?} in:\n{text}"))
            .value
            .clone()
    };
    let gauge = |v: prometheus_parse::Value| match v {
        prometheus_parse::Value::Gauge(g) | prometheus_parse::Value::Untyped(g) => g,
        prometheus_parse::Value::Counter(c) => c,
        other => panic!("not a number: {other:?}"),
    };
    let peer_label = format!("{peer}/");
    assert_eq!(
        gauge(sample(
            "pacta_build_info",
            Some(("version", env!("CARGO_PKG_VERSION")))
        )),
        1.0
    );
    assert!(gauge(sample("pacta_store_bytes", None)) > 0.0);
    assert_eq!(
        gauge(sample(
            "pacta_peer_behind_entries",
            Some(("peer", &peer_label))
        )),
        5000.0
    );
    assert!(
        gauge(sample(
            "pacta_peer_last_pull_age_seconds",
            Some(("peer", &peer_label))
        )) < 60.0
    );
    match sample(
        "pacta_http_request_duration_seconds",
        Some(("route", "/v1/entries")),
    ) {
        prometheus_parse::Value::Histogram(buckets) => {
            assert_eq!(buckets.last().map(|b| b.count), Some(1.0), "{buckets:?}");
        }
        other => panic!("not a histogram: {other:?}"),
    }
    // A witnessing node reports its checkpoints' age and cosignatures.
    let fr = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    let fr_url = fr.url();
    eventually(20, "FR signs a checkpoint", || async {
        metrics(&fr_url)
            .await
            .contains("pacta_checkpoint_age_seconds ")
    })
    .await;
    let text = metrics(&fr_url).await;
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "pacta_checkpoint_quorum")
    );
    drop((it, es, fr));
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_the_client_is_counted_and_a_forged_header_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    // One entry a second, bursts of ten; 127.0.0.2 plays the reverse proxy.
    let node = NodeProc::start_with(
        &Network::example(),
        "IT",
        free_port(),
        &dir.path().join("IT"),
        &[],
        60_000,
        &["--write-rate", "1", "--trusted-proxy", "127.0.0.2/32"],
    );
    let url = node.url();
    let from = |ip: [u8; 4]| {
        let _ = http();
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let send = |c: reqwest::Client, e: pacta_core::entry::Entry, forwarded: String| {
        let url = url.clone();
        async move {
            let body = pacta_core::wire::Submit {
                entries: vec![pacta_core::wire::HexBytes(e.as_bytes().to_vec())],
            };
            c.post(format!("{url}/v1/entries"))
                .header("x-forwarded-for", forwarded)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Anyone else: a new forged address on every request changes nothing; the
    // eleventh entry from 127.0.0.1 is refused.
    let (stranger, mut it) = (from([127, 0, 0, 1]), Author::new("IT"));
    let mut statuses = Vec::new();
    for i in 0..11 {
        statuses.push(
            send(
                stranger.clone(),
                it.next(&format!("{i}")),
                format!("198.51.100.{i}"),
            )
            .await,
        );
    }
    assert_eq!(statuses[..10], [200; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "{statuses:?}");
    // Through the proxy: each client has its own budget.
    let (proxy, mut es) = (from([127, 0, 0, 2]), Author::new("ES"));
    let mut statuses = Vec::new();
    for i in 0..11 {
        statuses.push(
            send(
                proxy.clone(),
                es.next(&format!("{i}")),
                "203.0.113.1".into(),
            )
            .await,
        );
    }
    assert_eq!(statuses[..10], [200; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "{statuses:?}");
    let mut es = Author::new("ES");
    let sent: Vec<_> = (0..11).map(|i| es.next(&format!("{i}"))).collect();
    let last = sent[10].clone();
    assert_eq!(send(proxy.clone(), last, "203.0.113.2".into()).await, 200);

    // Garbage for the flag: exit 2 naming it.
    let out = node_command("IT", &dir.path().join("other"), free_port())
        .args(["--trusted-proxy", "10.0.0.0/33"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("10.0.0.0/33"));
}

fn node_tool(args: &[&str], data: &std::path::Path) -> (Option<i32>, String, String) {
    let out = Command::new(pacta_tests::bin("pacta-node"))
        .args(args)
        .arg("--roster")
        .arg(roster_path())
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn signed_nl(url: &str) -> u64 {
    let Ok(r) = http()
        .get(format!("{url}/v1/checkpoint/latest"))
        .send()
        .await
    else {
        return 0;
    };
    let text = r.text().await.unwrap_or_default();
    pacta_core::checkpoint::verify_checkpoint(&roster(), text.as_bytes()).map_or(0, |w| {
        w.checkpoint.heads.get(&code("NL")).map_or(0, |h| h.seq.0)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_while_running_restore_and_import_keep_entries_and_protections() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("FR");
    let mut fr = NodeProc::start("FR", free_port(), &data, &[], 60_000);
    let url = fr.url();
    let mut nl = Author::new("NL");
    let entries: Vec<_> = (0..8).map(|i| nl.next(&format!("NL {i}"))).collect();
    for e in &entries[..5] {
        assert_eq!(post(&url, &[e]).await.0, 200);
    }
    eventually(20, "FR signs NL #5", || async {
        signed_nl(&url).await == 5
    })
    .await;

    // A backup while the node runs: through its API, never through sled's files.
    let backup = dir.path().join("FR.backup");
    let (code_, out, err) = node_tool(&["backup", "--out", backup.to_str().unwrap()], &data);
    assert_eq!(code_, Some(0), "{out}{err}");
    assert!(
        out.contains("5 entries in 1 feeds, 0 fork proofs, and the node's last signed checkpoint"),
        "{out}"
    );
    // It is a bundle the auditor's verifier reads.
    let (code_, out, err) = pacta(&[
        "verify",
        "--roster",
        roster_path().to_str().unwrap(),
        "--bundle",
        backup.to_str().unwrap(),
    ]);
    assert!(out.contains("5 entries verified"), "{code_} {out}{err}");

    // The node goes on to NL #8 and signs it; then its folder is lost.
    for e in &entries[5..] {
        assert_eq!(post(&url, &[e]).await.0, 200);
    }
    eventually(20, "FR signs NL #8", || async {
        signed_nl(&url).await == 8
    })
    .await;
    fr.terminate();
    std::fs::rename(&data, dir.path().join("lost")).unwrap();

    // Restore in place: the store holds NL #5 and its record; the record beside the
    // folder remembers NL #8, so the node refuses to sign until it holds #8 again.
    let (code_, out, err) = node_tool(&["restore", "--from", backup.to_str().unwrap()], &data);
    assert_eq!(code_, Some(0), "{out}{err}");
    assert!(out.contains("restored"), "{out}");
    fr.spawn_again();
    assert_eq!(heads(&url).await.heads[&code("NL")].seq.0, 5);
    eventually(20, "FR refuses to sign the older view", || async {
        let r = http().get(format!("{url}/readyz")).send().await.unwrap();
        r.status() == 503
            && r.text()
                .await
                .unwrap()
                .contains("NL's head here is #5, but this node signed NL #8")
    })
    .await;
    for e in &entries[5..] {
        assert_eq!(post(&url, &[e]).await.0, 200);
    }
    eventually(20, "FR signs again at NL #8", || async {
        http()
            .get(format!("{url}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    fr.terminate();

    // Import: a fresh store from a bundle, every entry checked; no record.
    let fresh = dir.path().join("IT");
    let (code_, out, err) = node_tool(&["import", "--bundle", backup.to_str().unwrap()], &fresh);
    assert_eq!(code_, Some(0), "{out}{err}");
    assert!(
        out.contains("5 entries in 1 feeds, 0 fork proofs, no signed checkpoint"),
        "{out}"
    );
    let it = NodeProc::start("IT", free_port(), &fresh, &[], 60_000);
    assert_eq!(heads(&it.url()).await.heads[&code("NL")].seq.0, 5);
    drop(it);

    // Garbage: a folder in use, a flipped byte, a missing file, not a bundle.
    let (code_, _, err) = node_tool(&["import", "--bundle", backup.to_str().unwrap()], &fresh);
    assert_eq!(code_, Some(2));
    assert!(err.contains("is not empty"), "{err}");
    let mut bytes = std::fs::read(&backup).unwrap();
    let third = bytes
        .windows(4)
        .rposition(|w| w == b"NL 2")
        .expect("the third note's text");
    bytes[third] ^= 1;
    let flipped = dir.path().join("flipped");
    std::fs::write(&flipped, &bytes).unwrap();
    let (code_, _, err) = node_tool(
        &["import", "--bundle", flipped.to_str().unwrap()],
        &dir.path().join("x"),
    );
    assert_eq!(code_, Some(2));
    assert!(
        err.contains("flipped: NL #3: payload does not match"),
        "{err}"
    );
    for (file, says) in [
        ("missing", "cannot read"),
        ("Cargo.toml", "not a Pacta bundle"),
    ] {
        let path = pacta_tests::workspace().join(file);
        let (code_, _, err) = node_tool(
            &["import", "--bundle", path.to_str().unwrap()],
            &dir.path().join("y"),
        );
        assert_eq!(code_, Some(2), "{file}");
        assert!(err.contains(says), "{file}: {err}");
    }
}

#[test]
fn garbage_in_the_operator_flags_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (flags, says) in [
        (&["--store-reserve-mib", "lots"][..], "--store-reserve-mib"),
        (
            &["--store-reserve-mib", "18446744073709551615"][..],
            "is too large",
        ),
        (&["--ready-lag=-1"][..], "--ready-lag"),
        (&["--tls-cert", "x.pem"][..], "--tls-key"),
    ] {
        let out = node_command("IT", &dir.path().join("IT"), free_port())
            .args(flags)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(says), "{flags:?}: {err}");
    }
}
