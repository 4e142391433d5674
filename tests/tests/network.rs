//! Real `pacta-node` processes on 127.0.0.1, over real HTTP: replication, restarts,
//! catch-up, crash safety, forks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use pacta_core::entry::Entry;
use pacta_core::synth::synth;
use pacta_core::wire::HexBytes;
use pacta_tests::net::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_entry_submitted_to_one_node_reaches_all_three() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = mesh(dir.path(), &["FR", "GB", "UA"], 500);
    let mut fr = Author::new("FR");
    let e = fr.next("Paris Declaration adopted");
    let (status, body) = post(&nodes[0].url(), &[&e]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"][0]["outcome"], "stored");
    for n in &nodes {
        let url = n.url();
        eventually(10, &format!("{} holds FR #1", n.member), || async {
            heads(&url)
                .await
                .heads
                .get(&code("FR"))
                .is_some_and(|h| h.id == e.id())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_catches_up_after_restart_and_heads_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = mesh(dir.path(), &["FR", "GB", "UA"], 200);
    let (mut fr, mut gb) = (Author::new("FR"), Author::new("GB"));
    nodes[2].kill9();
    for i in 0..40 {
        let e = fr.next(&format!("FR while UA is down {i}"));
        assert_eq!(post(&nodes[0].url(), &[&e]).await.0, 200);
        let e = gb.next(&format!("GB while UA is down {i}"));
        assert_eq!(post(&nodes[1].url(), &[&e]).await.0, 200);
    }
    nodes[2].restart();
    let refs: Vec<&NodeProc> = nodes.iter().collect();
    eventually(20, "every head is identical", || async {
        let v = views(&refs).await;
        v.iter().all(|h| h == &v[0]) && v[0].values().map(|h| h.seq.0).sum::<u64>() == 80
    })
    .await;
    let (code, out, err) = pacta(&[
        "verify",
        "--node",
        &nodes[2].url(),
        "--roster",
        roster_path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verified_entries"], 80);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_node_catches_up_a_large_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster();
    let keys = roster
        .members()
        .map(|m| (m.code, key(m.code.as_str())))
        .collect();
    let feeds = synth(&roster, &keys, 20_000).unwrap();
    let fr = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    // Load FR in batches, as a catching-up delegation or an import would.
    let t = std::time::Instant::now();
    for feed in &feeds {
        for chunk in feed.entries.chunks(1000) {
            let refs: Vec<&Entry> = chunk.iter().collect();
            let (status, body) = post(&fr.url(), &refs).await;
            assert_eq!(status, 200, "{body}");
        }
    }
    eprintln!("loaded 20,000 entries in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let fresh = NodeProc::start("GB", free_port(), &dir.path().join("GB"), &[fr.url()], 200);
    let (a, b) = (fr.url(), fresh.url());
    eventually(120, "the fresh node holds all 20,000 entries", || async {
        heads(&b).await.heads.values().map(|h| h.seq.0).sum::<u64>() == 20_000
    })
    .await;
    eprintln!("caught up in {:?}", t.elapsed());
    assert_eq!(heads(&a).await.heads, heads(&b).await.heads);
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_submissions_loses_no_acknowledged_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = NodeProc::start("FR", free_port(), &dir.path().join("FR"), &[], 60_000);
    let mut acked = Vec::new();
    for round in 0..3 {
        // Submit concurrently from three members until the node dies under us.
        let url = node.url();
        let writers: Vec<_> = ["FR", "GB", "DE"]
            .into_iter()
            .map(|m| {
                let url = url.clone();
                let already = acked
                    .iter()
                    .filter(|(mm, _): &&(String, Entry)| mm == m)
                    .count() as u64;
                tokio::spawn(async move {
                    let mut a = Author::new(m);
                    let mut mine = Vec::new();
                    // Re-derive the chain up to what was acknowledged before.
                    for i in 0..already {
                        a.next(&format!("{m} {i}"));
                    }
                    for i in already..already + 10_000 {
                        let e = a.sign(&format!("{m} {i}"));
                        match http()
                            .post(format!("{url}/v1/entries"))
                            .json(&pacta_core::wire::Submit {
                                entries: vec![HexBytes(e.as_bytes().to_vec())],
                            })
                            .send()
                            .await
                        {
                            Ok(r) if r.status() == 200 => {
                                a.next(&format!("{m} {i}"));
                                mine.push((m.to_owned(), e));
                            }
                            _ => break,
                        }
                    }
                    mine
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(300 + 200 * round)).await;
        node.kill9();
        for w in writers {
            acked.extend(w.await.unwrap());
        }
        node.restart();
        // Every acknowledged entry is there, byte for byte.
        for (m, e) in &acked {
            let p = page(&node.url(), m, e.seq().0, 1).await;
            let found = p
                .entries
                .first()
                .map(|h| pacta_core::Entry::decode(&h.0).unwrap());
            assert_eq!(
                found.as_ref().map(|f| f.as_bytes()),
                Some(e.as_bytes()),
                "{m} {} acknowledged in round {round} but after kill -9 the node has {:?} there (head {:?}); log:\n{}",
                e.seq(),
                found,
                p.head,
                node.log_text()
            );
        }
    }
    assert!(
        acked.len() > 10,
        "the test should have acknowledged entries before each kill"
    );
    let (code, out, err) = pacta(&[
        "verify",
        "--node",
        &node.url(),
        "--roster",
        roster_path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicting_entries_on_two_nodes_become_a_fork_proof_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = mesh(dir.path(), &["FR", "GB", "UA"], 200);
    let mut fr = Author::new("FR");
    let first = fr.next("FR #1");
    assert_eq!(post(&nodes[0].url(), &[&first]).await.0, 200);
    // FR equivocates: two different #2, one to each of two nodes.
    let x = fr.sign("one history");
    let y = fr.sign("another history");
    let (url0, url1) = (nodes[0].url(), nodes[1].url());
    let (xs, ys) = ([&x], [&y]);
    let ((sx, bx), (sy, by)) = tokio::join!(post(&url0, &xs), post(&url1, &ys));
    // Each is either stored, or refused at once as a fork if the other got there first.
    assert!(
        [200, 409].contains(&sx) && [200, 409].contains(&sy),
        "{bx} {by}"
    );
    for n in &nodes {
        let url = n.url();
        eventually(
            15,
            &format!("{} holds the fork proof", n.member),
            || async {
                let f = forks(&url).await.forks;
                f.len() == 1 && f[0].member == code("FR") && f[0].seq.0 == 2
            },
        )
        .await;
    }
    for n in &nodes {
        let (code, out, err) = pacta(&[
            "verify",
            "--node",
            &n.url(),
            "--roster",
            roster_path().to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["forks"].as_array().unwrap().len(), 1);
        let fr_feed = report["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["member"] == "FR")
            .unwrap();
        assert_eq!(fr_feed["disputed"], true);
    }
    // An exported bundle carries the fork proof, and verifies offline the same way.
    let bundle = tempfile::NamedTempFile::new().unwrap();
    let path = bundle.path().to_str().unwrap();
    let (code, _, err) = pacta(&["export", "--node", &nodes[2].url(), "--out", path]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = pacta(&[
        "verify",
        "--bundle",
        path,
        "--roster",
        roster_path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DISPUTED (fork)"), "{out}");
    assert!(
        out.contains("forks (two validly signed entries at one position):\n  FR #2: "),
        "{out}"
    );
    // The node keeps serving FR's feed (the branch it holds) and still accepts other feeds.
    let mut gb = Author::new("GB");
    assert_eq!(
        post(&nodes[2].url(), &[&gb.next("GB carries on")]).await.0,
        200
    );
}
