//! A node whose peers lie: forged, reordered, truncated and mislabelled data, a peer
//! claiming another network, and one that never answers. Nothing of it is stored,
//! and the node keeps serving.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query};
use axum::routing::get;
use pacta_core::entry::Entry;
use pacta_core::ids::{NetworkId, Seq};
use pacta_core::wire::{FeedPage, Forks, Head, Heads, HexBytes};
use pacta_tests::net::*;

#[derive(Clone, Copy, Debug)]
enum Lie {
    /// Entries "by FR" signed with GB's key.
    Forged,
    /// FR's real entries, served out of order.
    Reordered,
    /// FR's real entries with their last bytes cut off.
    Truncated,
    /// A page for another member than the one asked for.
    WrongPage,
    /// Heads of another network.
    OtherNetwork,
    /// Accepts the connection and never answers.
    Silent,
    /// Claims a feed of 2^64 - 1 entries and serves #1, which we hold, for every page.
    Endless,
}

/// Starts a lying peer on a free port; returns its URL.
async fn liar(lie: Lie) -> String {
    let mut fr = Author::new("FR");
    let real: Vec<Entry> = (0..3).map(|i| fr.next(&format!("real {i}"))).collect();
    let forged: Vec<Entry> = {
        let mut a = Author::new("FR");
        (0..3)
            .map(|i| a.next(&format!("forged {i}")))
            .map(|e| resign_as_gb(&e))
            .collect()
    };
    let served: Vec<Vec<u8>> = match lie {
        Lie::Forged => forged.iter().map(|e| e.as_bytes().to_vec()).collect(),
        Lie::Reordered => [1, 0, 2]
            .iter()
            .map(|&i| real[i].as_bytes().to_vec())
            .collect(),
        Lie::Truncated => real
            .iter()
            .map(|e| e.as_bytes()[..e.as_bytes().len() - 7].to_vec())
            .collect(),
        _ => real.iter().map(|e| e.as_bytes().to_vec()).collect(),
    };
    let network = if matches!(lie, Lie::OtherNetwork) {
        NetworkId([9; 32])
    } else {
        roster().network_id()
    };
    let seq = if matches!(lie, Lie::Endless) {
        Seq(u64::MAX)
    } else {
        Seq(3)
    };
    let head = Head {
        seq,
        id: real[2].id(),
    };
    let heads = Heads {
        network,
        heads: BTreeMap::from([(code("FR"), head)]),
        forks: vec![],
    };
    let app = axum::Router::new()
        .route(
            "/v1/heads",
            get(move || {
                let heads = heads.clone();
                async move {
                    if matches!(lie, Lie::Silent) {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Json(heads)
                }
            }),
        )
        .route(
            "/v1/feeds/{member}",
            get(
                move |Path(member): Path<String>, Query(q): Query<BTreeMap<String, u64>>| {
                    let served = served.clone();
                    async move {
                        let from = q.get("from").copied().unwrap_or(1);
                        if matches!(lie, Lie::Endless) {
                            let entries = vec![HexBytes(served[0].clone())];
                            return Json(FeedPage {
                                member: member.parse().unwrap(),
                                from: Seq(from),
                                entries,
                                head: Some(head),
                            });
                        }
                        let member = if matches!(lie, Lie::WrongPage) {
                            "GB".to_owned()
                        } else {
                            member
                        };
                        let entries = served
                            .iter()
                            .skip(from as usize - 1)
                            .map(|b| HexBytes(b.clone()))
                            .collect();
                        Json(FeedPage {
                            member: member.parse().unwrap(),
                            from: Seq(from),
                            entries,
                            head: Some(head),
                        })
                    }
                },
            ),
        )
        .route(
            "/v1/forks",
            get(|| async {
                Json(Forks {
                    forks: vec![],
                    next: None,
                })
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn resign_as_gb(e: &Entry) -> Entry {
    e.to_draft().sign(&key("GB")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_a_lying_peer_serves_is_stored() {
    let mut peers = Vec::new();
    for lie in [
        Lie::Forged,
        Lie::Reordered,
        Lie::Truncated,
        Lie::WrongPage,
        Lie::OtherNetwork,
        Lie::Silent,
        Lie::Endless,
    ] {
        peers.push(liar(lie).await);
    }
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start("UA", free_port(), &dir.path().join("UA"), &peers, 100);
    let url = node.url();
    // Wait for several pull rounds against every liar.
    eventually(
        20,
        "the node has pulled from its peers several times",
        || async {
            let m = metrics(&url).await;
            // At least the forged, truncated and mislabelled pages are refused in the
            // first round, whatever order the liars answer in.
            metric(&m, "pacta_pull_rounds_total") >= 15
                && metric(&m, "pacta_peer_invalid_total") >= 3
        },
    )
    .await;
    // Liars also serve genuine entries (the Endless and Reordered ones do), and when
    // their answers interleave the node may rightly assemble FR #1..#3 from them. What
    // it must never hold is anything else: every entry it holds is one of the genuine
    // ones, byte for byte, and its ledger verifies.
    let mut fr = Author::new("FR");
    let genuine: Vec<Vec<u8>> = (0..3)
        .map(|i| fr.next(&format!("real {i}")).as_bytes().to_vec())
        .collect();
    let held = heads(&url).await.heads;
    assert!(
        held.keys().all(|m| *m == code("FR")),
        "the node stored a feed no liar could prove: {held:?}"
    );
    if let Some(head) = held.get(&code("FR")) {
        let page = page(&url, "FR", 1, head.seq.0).await;
        for (i, e) in page.entries.iter().enumerate() {
            assert_eq!(e.0, genuine[i], "FR #{} is not the genuine entry", i + 1);
        }
    }
    let (code, out, err) = pacta_tests::net::pacta(&[
        "verify",
        "--node",
        &url,
        "--roster",
        roster_path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // It still serves and accepts honest entries.
    let mut ua = Author::new("UA");
    assert_eq!(post(&url, &[&ua.next("still here")]).await.0, 200);
    let log = node.log_text();
    assert!(log.contains("peer is on network"), "{log}");
    assert!(log.contains("not the one asked for"), "{log}");
    // No pull is stuck on a liar: SIGTERM stops the node cleanly.
    let mut node = node;
    assert!(node.terminate().success());
}

/// A liar whose heads name `fakes` feeds of non-members beside FR's genuine head #3.
async fn non_member_liar(fakes: usize) -> String {
    let mut fr = Author::new("FR");
    let real: Vec<Entry> = (0..3).map(|i| fr.next(&format!("real {i}"))).collect();
    let mut heads = BTreeMap::from([(
        code("FR"),
        Head {
            seq: Seq(3),
            id: real[2].id(),
        },
    )]);
    // Codes of three to five letters: none is in the roster.
    for i in 0..fakes {
        let mut c = String::from("X");
        let mut n = i;
        for _ in 0..4 {
            c.push(char::from(b'A' + (n % 26) as u8));
            n /= 26;
        }
        heads.insert(
            code(&c),
            Head {
                seq: Seq(1),
                id: real[0].id(),
            },
        );
    }
    let heads = Heads {
        network: roster().network_id(),
        heads,
        forks: vec![],
    };
    let app = axum::Router::new()
        .route(
            "/v1/heads",
            get(move || {
                let heads = heads.clone();
                async move { Json(heads) }
            }),
        )
        .route(
            "/v1/forks",
            get(|| async {
                Json(Forks {
                    forks: vec![],
                    next: None,
                })
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A liar that claims every member's feed runs to #5 and answers every page with one
/// labelled as another member's.
async fn mislabelling_liar() -> String {
    let mut fr = Author::new("FR");
    let real: Vec<Entry> = (0..3).map(|i| fr.next(&format!("real {i}"))).collect();
    let heads = Heads {
        network: roster().network_id(),
        heads: roster()
            .members()
            .map(|m| {
                (
                    m.code,
                    Head {
                        seq: Seq(5),
                        id: real[0].id(),
                    },
                )
            })
            .collect(),
        forks: vec![],
    };
    let first = HexBytes(real[0].as_bytes().to_vec());
    let app = axum::Router::new()
        .route(
            "/v1/heads",
            get(move || {
                let heads = heads.clone();
                async move { Json(heads) }
            }),
        )
        .route(
            "/v1/feeds/{member}",
            get(move |Path(member): Path<String>| {
                let first = first.clone();
                async move {
                    let other = if member == "GB" { "DE" } else { "GB" };
                    Json(FeedPage {
                        member: code(other),
                        from: Seq(1),
                        entries: vec![first],
                        head: None,
                    })
                }
            }),
        )
        .route(
            "/v1/forks",
            get(|| async {
                Json(Forks {
                    forks: vec![],
                    next: None,
                })
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Issue 18, finding 12: a lying peer flooded the log at about 200 MiB a minute, one
/// warning line per fake feed on every pull. Heads naming non-members are refused as
/// a whole, with one warning; repeated warnings about a peer are summarised.
#[tokio::test(flavor = "multi_thread")]
async fn a_lying_peer_cannot_flood_the_log() {
    let naming = non_member_liar(3_000).await;
    let mislabelling = mislabelling_liar().await;
    let dir = tempfile::tempdir().unwrap();
    let node = NodeProc::start(
        "UA",
        free_port(),
        &dir.path().join("UA"),
        &[naming, mislabelling],
        100,
    );
    let url = node.url();
    let mut fr = Author::new("FR");
    let real: Vec<Entry> = (0..3).map(|i| fr.next(&format!("real {i}"))).collect();
    assert_eq!(post(&url, &real.iter().collect::<Vec<_>>()).await.0, 200);
    let log_at_start = node.log_text().len();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let m = metrics(&url).await;
    let log = node.log_text();
    let grown = log.len() - log_at_start;
    let lines = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    eprintln!(
        "in 10 s: {} pull rounds, {} failed; the log grew by {grown} bytes: {} lines naming a non-member, {} about pages not asked for",
        metric(&m, "pacta_pull_rounds_total"),
        metric(&m, "pacta_pull_failures_total"),
        lines("non-member"),
        lines("not the one asked for"),
    );
    assert!(
        grown < 16 * 1024,
        "the log grew by {grown} bytes in 10 s:\n{}",
        &log[log.len().saturating_sub(2000)..]
    );
    assert!(
        (1..=3).contains(&lines("non-member")),
        "{}",
        &log[log.len().saturating_sub(2000)..]
    );
    assert!((1..=3).contains(&lines("not the one asked for")), "{log}");
    // Nothing of the lies was stored, and the node still serves.
    let held = heads(&url).await.heads;
    assert_eq!(held.keys().copied().collect::<Vec<_>>(), vec![code("FR")]);
    let mut ua = Author::new("UA");
    assert_eq!(post(&url, &[&ua.next("still here")]).await.0, 200);
}
