//! Every answer a submission can get, from a real node process over real HTTP, and the
//! node keeps serving and stores nothing it should not.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_core::entry::Draft;
use pacta_core::ids::{NetworkId, Seq};
use pacta_tests::net::*;

async fn raw_post(url: &str, content_type: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let resp = http()
        .post(format!("{url}/v1/entries"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn each_rejection_has_its_status_and_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    let url = node.url();
    let mut fr = Author::new("FR");
    let first = fr.next("first");
    let (status, body) = post(&url, &[&first]).await;
    assert_eq!(
        (status, body["accepted"][0]["outcome"].as_str()),
        (200, Some("stored"))
    );

    // Idempotent: the same entry again is a duplicate, not an error.
    let (status, body) = post(&url, &[&first]).await;
    assert_eq!(
        (status, body["accepted"][0]["outcome"].as_str()),
        (200, Some("duplicate"))
    );

    let json = "application/json";
    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        (
            "not JSON",
            b"{entries".to_vec(),
            400,
            "malformed",
            "body is not",
        ),
        (
            "wrong type",
            b"{\"entries\":\"abc\"}".to_vec(),
            400,
            "malformed",
            "body is not",
        ),
        (
            "unknown field",
            b"{\"entries\":[],\"x\":1}".to_vec(),
            400,
            "malformed",
            "unknown field",
        ),
        (
            "no entries",
            b"{\"entries\":[]}".to_vec(),
            400,
            "malformed",
            "no entries",
        ),
        (
            "odd hex",
            b"{\"entries\":[\"abc\"]}".to_vec(),
            400,
            "malformed",
            "invalid hex",
        ),
        (
            "uppercase hex",
            b"{\"entries\":[\"AB\"]}".to_vec(),
            400,
            "malformed",
            "lowercase",
        ),
        (
            "invalid UTF-8",
            b"{\"entries\":[\"\xff\"]}".to_vec(),
            400,
            "malformed",
            "body is not",
        ),
        (
            "not an entry",
            hex_body(&[b"hello"]),
            400,
            "malformed",
            "truncated",
        ),
    ];
    for (name, body, status, reason, words) in cases {
        let (s, b) = raw_post(&url, json, body).await;
        assert_eq!(
            (s, b["reason"].as_str()),
            (status, Some(reason)),
            "{name}: {b}"
        );
        assert!(b["error"].as_str().unwrap().contains(words), "{name}: {b}");
    }

    // Another network's entry, even signed by FR's own key: 422.
    let mut d = Draft {
        network: NetworkId([7; 32]),
        ..fr.sign("x").to_draft()
    };
    d.seq = Seq(2);
    let other_net = d.sign(&key("FR")).unwrap();
    let (s, b) = post(&url, &[&other_net]).await;
    assert_eq!((s, b["reason"].as_str()), (422, Some("network")), "{b}");
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .starts_with("FR #2: signed for network"),
        "{b}"
    );

    // Signed by another member's key: 422, naming whose key.
    let forged = Draft {
        ..fr.sign("forged").to_draft()
    }
    .sign(&key("GB"))
    .unwrap();
    let (s, b) = post(&url, &[&forged]).await;
    assert_eq!((s, b["reason"].as_str()), (422, Some("signature")), "{b}");
    assert_eq!(
        b["error"],
        "FR #2: signature does not verify under FR's key"
    );

    // A well-formed entry by a code that is not a member: 422.
    let mut stranger = fr.sign("x").to_draft();
    stranger.author = code("XX");
    stranger.seq = Seq(1);
    stranger.prev = None;
    let (s, b) = post(&url, &[&stranger.sign(&key("FR")).unwrap()]).await;
    assert_eq!(
        (s, b["reason"].as_str()),
        (422, Some("unknown-member")),
        "{b}"
    );

    // A gap: 409 with the head the node holds.
    let mut ahead = Author::new("FR");
    ahead.next("first");
    ahead.next("second, never sent");
    let third = ahead.next("third");
    let (s, b) = post(&url, &[&third]).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("gap")), "{b}");
    assert_eq!(b["head"]["seq"], 1);
    assert_eq!(b["head"]["id"], first.id().to_string());
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("send the missing entries first"),
        "{b}"
    );

    // A conflicting entry at a held position: 409, and the fork proof is kept.
    let mut other = Author::new("FR");
    let conflicting = other.next("another first");
    let (s, b) = post(&url, &[&conflicting]).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("fork")), "{b}");
    assert_eq!(b["fork"]["seq"], 1);
    assert_eq!(forks(&url).await.forks.len(), 1);
    // A third entry at the same position is refused as a fork too, but the node keeps
    // one proof per position, so its ledger still exports as a valid (disputed) bundle.
    let third_history = Author::new("FR").next("yet another first");
    let (s, b) = post(&url, &[&third_history]).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("fork")), "{b}");
    assert_eq!(forks(&url).await.forks.len(), 1);
    let (exit, out, err) = pacta(&[
        "verify",
        "--node",
        &url,
        "--roster",
        roster_path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(exit, 0, "{out}{err}");

    // Oversized: 413 on the declared length, before the node reads any of the body.
    // Sent by hand: the node answers and closes at once, so a client still writing
    // the 17 MiB body may see a broken pipe before it reads the answer.
    let answer = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = url.trim_start_matches("http://");
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /v1/entries HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {json}\r\ncontent-length: {}\r\n\r\n",
            17 * 1024 * 1024
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            conn.read_to_end(&mut answer),
        )
        .await;
        String::from_utf8_lossy(&answer).into_owned()
    };
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("too-large"), "{answer}");

    // A batch stops at its first bad entry; what came before is durable and reported.
    let second = fr.next("second");
    let bad_third = fr.sign("third").as_bytes().to_vec();
    let mut broken = bad_third.clone();
    let last = broken.len() - 1;
    broken[last] ^= 1;
    let (s, b) = raw_post(&url, json, hex_body(&[second.as_bytes(), &broken])).await;
    assert_eq!(
        (s, b["reason"].as_str(), b["index"].as_u64()),
        (400, Some("malformed"), Some(1)),
        "{b}"
    );
    assert_eq!(b["accepted"][0]["seq"], 2);
    assert_eq!(heads(&url).await.heads[&code("FR")].seq.0, 2);

    // Unknown routes and methods, and path tricks.
    for (method, path, status) in [
        ("GET", "/nope", 404),
        ("DELETE", "/v1/entries", 405),
        ("GET", "/v1/feeds/fr", 400),
        ("GET", "/v1/feeds/ZZ", 404),
        ("GET", "/v1/feeds/FR?from=0", 400),
        ("GET", "/v1/feeds/FR?limit=100000", 400),
        ("GET", "/v1/feeds/FR?from=abc", 400),
        ("GET", "/v1/feeds/..%2F..%2Fetc%2Fpasswd", 400),
        ("GET", "/../../etc/passwd", 404),
    ] {
        let req = http().request(method.parse().unwrap(), format!("{url}{path}"));
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{method} {path}");
        let b: serde_json::Value = resp.json().await.unwrap();
        assert!(b["error"].is_string(), "{method} {path}: {b}");
    }

    // Through all of it, the node kept serving and stored exactly FR #1 and #2.
    let health: serde_json::Value = http()
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["entries"], 2);
    let metrics = metrics(&url).await;
    assert!(metrics.contains("pacta_entries 2\n"), "{metrics}");
    assert!(
        metrics.contains("pacta_rejected_total{reason=\"gap\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_shuts_down_cleanly_and_a_config_file_works() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        format!(
            "roster = \"{}\"\nmember = \"NL\"\ndata = \"{}\"\nlisten = \"127.0.0.1:{port}\"\npeer = []\npull_interval_ms = 1000\n",
            roster_path().display(),
            dir.path().join("GB").display()
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(pacta_tests::bin("pacta-node"))
        .arg("--config")
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(
        line.starts_with(&format!("pacta-node NL serving http://127.0.0.1:{port}")),
        "{line}"
    );
    let mut gb = Author::new("GB");
    assert_eq!(
        post(&format!("http://127.0.0.1:{port}"), &[&gb.next("hello")])
            .await
            .0,
        200
    );
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());

    // A config file with an unknown setting is refused, naming it.
    std::fs::write(&config, "colour = \"blue\"\n").unwrap();
    let out = std::process::Command::new(pacta_tests::bin("pacta-node"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("colour"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_of_another_network_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("FR");
    let mut node = NodeProc::start("FR", free_port(), &data, &[], 60_000);
    let mut fr = Author::new("FR");
    for i in 0..3 {
        assert_eq!(
            post(&node.url(), &[&fr.next(&format!("n{i}"))]).await.0,
            200
        );
    }
    let status = node.terminate();
    assert!(status.success());
    // A store of another network: refused.
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        std::fs::read_to_string(roster_path())
            .unwrap()
            .replace("pacta-demo-paris-2026", "elsewhere"),
    )
    .unwrap();
    let out = std::process::Command::new(pacta_tests::bin("pacta-node"))
        .arg("--roster")
        .arg(&other)
        .args([
            "--member",
            "NL",
            "--listen",
            "127.0.0.1:0",
            "--peer",
            "http://127.0.0.1:9",
        ])
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to network"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_clients_cannot_hold_the_node() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    let addr = format!("127.0.0.1:{}", node.port);
    // A hundred clients that send half a request, then trickle one byte a second.
    let mut slow = Vec::new();
    for _ in 0..100 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            b"POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"entries\":[",
        )
        .await
        .unwrap();
        slow.push(s);
    }
    let trickle = tokio::spawn(async move {
        for _ in 0..5 {
            for s in &mut slow {
                let _ = s.write_all(b" ").await;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        slow
    });
    // Meanwhile an honest delegation is served at once.
    let mut fr = Author::new("FR");
    for i in 0..5 {
        let started = std::time::Instant::now();
        let (status, body) =
            post(&node.url(), &[&fr.next(&format!("while others crawl {i}"))]).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "a slow client held the node"
        );
    }
    drop(trickle.await.unwrap());
    let health = http()
        .get(format!("{}/healthz", node.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[test]
fn bad_node_flags_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let roster = roster_path();
    let roster = roster.to_str().unwrap();
    let data = data.to_str().unwrap();
    // Node keys: FR's and GB's, private, and FR's again, readable by all; and a record
    // of the last signed checkpoint that is not one, beside the data folder `r`.
    let keyfile = |name: &str, from: &str, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join(name);
        std::fs::copy(
            pacta_tests::workspace().join("keys-example").join(from),
            &path,
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let fr_key = keyfile("fr.node.key", "FR.node.key", 0o600);
    let gb_key = keyfile("gb.node.key", "GB.node.key", 0o600);
    let open_key = keyfile("open.node.key", "FR.node.key", 0o644);
    std::fs::write(dir.path().join("r.checkpoint"), "garbage").unwrap();
    let record_data = dir.path().join("r");
    let record_data = record_data.to_str().unwrap();
    // A data folder anyone may write to.
    let open_data = dir.path().join("open");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir(&open_data).unwrap();
        std::fs::set_permissions(&open_data, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let open_data = open_data.to_str().unwrap();
    // NL's node (no node key) with `extra` flags.
    let nl = |extra: &[&'static str]| -> Vec<&str> {
        let mut v = vec!["--roster", roster, "--member", "NL", "--data", data];
        v.extend(["--listen", "127.0.0.1:0"]);
        v.extend_from_slice(extra);
        v
    };
    let fr = [
        "--roster",
        roster,
        "--member",
        "FR",
        "--listen",
        "127.0.0.1:0",
    ];
    let with = |data: &str, key: Option<&str>| -> Vec<String> {
        let mut v: Vec<String> = fr.iter().map(|s| s.to_string()).collect();
        v.extend(["--data".to_owned(), data.to_owned()]);
        v.extend(
            key.map(|k| ["--node-key".to_owned(), k.to_owned()])
                .into_iter()
                .flatten(),
        );
        v
    };
    let key_cases = [
        (
            with(record_data, Some(&fr_key)),
            "not a checkpoint this node can trust",
        ),
        (
            with(data, None),
            "give the node its secret key with --node-key",
        ),
        (with(data, Some(&gb_key)), "but the roster lists"),
        (with(data, Some(&open_key)), "are too open"),
    ];
    for (args, words) in [
        (
            vec![
                "--roster",
                roster,
                "--member",
                "ZZ",
                "--data",
                data,
                "--listen",
                "127.0.0.1:0",
            ],
            "ZZ is not a member",
        ),
        (
            vec![
                "--roster",
                roster,
                "--member",
                "fr",
                "--data",
                data,
                "--listen",
                "127.0.0.1:0",
            ],
            "--member \"fr\"",
        ),
        (
            vec![
                "--roster",
                roster,
                "--member",
                "NL",
                "--listen",
                "127.0.0.1:0",
            ],
            "--data is required",
        ),
        (
            vec![
                "--roster", roster, "--member", "NL", "--data", data, "--listen", &busy_addr,
            ],
            "cannot listen on",
        ),
        (
            vec![
                "--roster",
                "/nonexistent.toml",
                "--member",
                "NL",
                "--data",
                data,
                "--listen",
                "127.0.0.1:0",
            ],
            "cannot read roster",
        ),
        (
            vec![
                "--roster",
                roster,
                "--member",
                "NL",
                "--data",
                data,
                "--listen",
                "127.0.0.1:0",
                "--peer",
                "ftp://x",
            ],
            "not an http://",
        ),
        (
            nl(&["--max-connections", "0"]),
            "--max-connections must be at least 1",
        ),
        (
            nl(&["--write-rate=-1"]),
            "invalid value '-1' for '--write-rate",
        ),
        (
            nl(&["--read-rate", "lots"]),
            "invalid value 'lots' for '--read-rate",
        ),
        (
            vec![
                "--roster",
                roster,
                "--member",
                "NL",
                "--data",
                open_data,
                "--listen",
                "127.0.0.1:0",
            ],
            "has permissions 0777: others could alter the store",
        ),
    ]
    .into_iter()
    .map(|(args, words)| {
        (
            args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            words,
        )
    })
    .chain(key_cases)
    {
        let out = std::process::Command::new(pacta_tests::bin("pacta-node"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
}
