//! Witnessing with real `pacta-node` processes over real HTTP: checkpoints reach a
//! quorum, a split view cannot, a node never signs a view older than its last, bundles
//! cut short and rolled-back ledgers are caught, and every bad cosigning request gets
//! a precise refusal.
//!
//! The example roster gives node keys to FR, GB, UA, DE and US: a checkpoint needs 3
//! of their 5 signatures. NL runs no node here; its delegation submits directly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;

use pacta_core::bundle::{BundleView, encode_raw};
use pacta_core::checkpoint::{Checkpoint, CheckpointHead, Witnessed, verify_checkpoint};
use pacta_core::ids::{EntryId, MemberCode, Seq, Timestamp};
use pacta_core::note::Signature;
use pacta_core::{Roster, SecretKey};
use pacta_tests::net::*;
use pacta_tests::proxy::Proxy;
use pacta_tests::workspace;

fn node_key(member: &str) -> SecretKey {
    SecretKey::from_file_text(
        &std::fs::read_to_string(workspace().join(format!("keys-example/{member}.node.key")))
            .unwrap(),
    )
    .unwrap()
}

/// GET a checkpoint route: (status, body).
async fn get_text(url: &str) -> (u16, String) {
    let resp = http().get(url).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn quorum_checkpoint(node: &str) -> Option<Witnessed> {
    let (status, body) = get_text(&format!("{node}/v1/checkpoint")).await;
    (status == 200).then(|| verify_checkpoint(&roster(), body.as_bytes()).unwrap())
}

async fn latest_checkpoint(node: &str) -> Option<Witnessed> {
    let (status, body) = get_text(&format!("{node}/v1/checkpoint/latest")).await;
    (status == 200).then(|| verify_checkpoint(&roster(), body.as_bytes()).unwrap())
}

fn head_seq(w: &Witnessed, member: &str) -> u64 {
    w.checkpoint.heads.get(&code(member)).map_or(0, |h| h.seq.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_reach_quorum_and_verify_catches_truncation_and_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = mesh(dir.path(), &["FR", "GB", "UA"], 300);
    let fr = nodes[0].url();
    let mut nl = Author::new("NL");
    for i in 0..3 {
        assert_eq!(post(&fr, &[&nl.next(&format!("NL {i}"))]).await.0, 200);
    }
    for n in &nodes {
        let url = n.url();
        eventually(
            20,
            &format!("{}'s checkpoint of NL #3 reaches the quorum", n.member),
            || async {
                quorum_checkpoint(&url)
                    .await
                    .is_some_and(|w| w.has_quorum() && head_seq(&w, "NL") == 3)
            },
        )
        .await;
    }
    let w = quorum_checkpoint(&fr).await.unwrap();
    assert_eq!(w.signers.len(), 3, "FR, GB and UA all signed: {w:?}");
    assert_eq!(w.signers[0].0, code("FR"), "the origin signs first");

    // An auditor pins what it accepted.
    let pin = dir.path().join("pin.txt");
    let pin_s = pin.to_str().unwrap();
    let roster_s = roster_path();
    let roster_s = roster_s.to_str().unwrap();
    let (status, out, err) = pacta(&[
        "verify", "--node", &fr, "--roster", roster_s, "--pin", pin_s,
    ]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(out.contains("checkpoint: node FR"), "{out}");
    assert!(out.contains("Pinned the checkpoint of FR"), "{out}");

    // An old copy of the ledger, with the checkpoint it was cut at.
    let old = dir.path().join("old.bundle");
    let (status, out, err) = pacta(&["export", "--node", &fr, "--out", old.to_str().unwrap()]);
    assert_eq!(status, 0, "{out}{err}");

    // A bundle with its tail cut off fails against its own checkpoint.
    let bytes = std::fs::read(&old).unwrap();
    let view = BundleView::parse(&bytes).unwrap();
    assert!(view.checkpoint.is_some(), "export carries the checkpoint");
    let feeds: Vec<(MemberCode, Vec<&[u8]>)> = view
        .feeds
        .iter()
        .map(|(m, e)| {
            (
                *m,
                if *m == code("NL") {
                    e[..2].to_vec()
                } else {
                    e.clone()
                },
            )
        })
        .collect();
    let cut = encode_raw(view.network, &feeds, &view.forks, view.checkpoint);
    let cut_path = dir.path().join("cut.bundle");
    std::fs::write(&cut_path, cut).unwrap();
    let (status, out, _) = pacta(&[
        "verify",
        "--bundle",
        cut_path.to_str().unwrap(),
        "--roster",
        roster_s,
    ]);
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains("NL #3: the ledger holds NL only up to #2")
            && out.contains("cut short or rolled back"),
        "{out}"
    );

    // A checkpoint slot holding garbage, or a checkpoint of too few signers, fails.
    let unsigned = w.note.signatures[..1].to_vec();
    let short = pacta_core::note::Note {
        text: w.note.text.clone(),
        signatures: unsigned,
    }
    .to_text();
    for (slot, words) in [
        (
            b"not a checkpoint".to_vec(),
            "checkpoint: note has no blank line",
        ),
        (short.into_bytes(), "short of the roster's quorum"),
    ] {
        let framed = encode_raw(view.network, &view.feeds, &view.forks, Some(&slot));
        std::fs::write(&cut_path, framed).unwrap();
        let (status, out, _) = pacta(&[
            "verify",
            "--bundle",
            cut_path.to_str().unwrap(),
            "--roster",
            roster_s,
        ]);
        assert_eq!(status, 1, "{out}");
        assert!(out.contains(words), "{out}");
    }
    // A pin file that is not a checkpoint is a usage error, and it is left alone.
    let bad_pin = dir.path().join("bad.pin");
    std::fs::write(&bad_pin, "garbage").unwrap();
    let (status, out, err) = pacta(&[
        "verify",
        "--node",
        &fr,
        "--roster",
        roster_s,
        "--pin",
        bad_pin.to_str().unwrap(),
    ]);
    assert_eq!(status, 2, "{out}{err}");
    assert!(err.contains("is not a checkpoint of this network"), "{err}");
    assert_eq!(std::fs::read_to_string(&bad_pin).unwrap(), "garbage");

    // The ledger grows; the pin moves forward with it.
    for i in 3..5 {
        assert_eq!(post(&fr, &[&nl.next(&format!("NL {i}"))]).await.0, 200);
    }
    eventually(
        20,
        "FR's checkpoint of NL #5 reaches the quorum",
        || async {
            quorum_checkpoint(&fr)
                .await
                .is_some_and(|w| head_seq(&w, "NL") == 5)
        },
    )
    .await;
    let (status, out, err) = pacta(&[
        "verify", "--node", &fr, "--roster", roster_s, "--pin", pin_s,
    ]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(
        out.contains("The ledger extends the pinned checkpoint"),
        "{out}"
    );

    // Served the old copy now, the auditor sees the rollback and both signed notes.
    let (status, out, _) = pacta(&[
        "verify",
        "--bundle",
        old.to_str().unwrap(),
        "--roster",
        roster_s,
        "--pin",
        pin_s,
    ]);
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains("ROLLBACK: the pinned checkpoint has NL #5")
            && out.contains("this ledger holds NL only up to #3"),
        "{out}"
    );
    assert!(
        out.contains("pinned checkpoint (signed by")
            && out.contains("this ledger's checkpoint (signed by"),
        "{out}"
    );
    assert_eq!(
        out.matches("\u{2014} pacta-demo-paris-2026/FR ").count(),
        2,
        "{out}"
    );
    // The pin was kept, not replaced by the older checkpoint.
    let pinned = verify_checkpoint(&roster(), &std::fs::read(&pin).unwrap()).unwrap();
    assert_eq!(head_seq(&pinned, "NL"), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_restored_from_backup_refuses_to_sign_an_older_view() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("FR");
    let mut fr = NodeProc::start("FR", free_port(), &data, &[], 300);
    let mut nl = Author::new("NL");
    let mut entries = Vec::new();
    for i in 0..5 {
        entries.push(nl.next(&format!("NL {i}")));
    }
    for e in &entries[..2] {
        assert_eq!(post(&fr.url(), &[e]).await.0, 200);
    }
    assert!(fr.terminate().success());
    let backup = dir.path().join("FR-backup");
    copy_dir(&data, &backup);
    fr.restart();
    for e in &entries[2..] {
        assert_eq!(post(&fr.url(), &[e]).await.0, 200);
    }
    let url = fr.url();
    eventually(20, "FR signs a checkpoint of NL #5", || async {
        latest_checkpoint(&url)
            .await
            .is_some_and(|w| head_seq(&w, "NL") == 5)
    })
    .await;
    let signed = latest_checkpoint(&url).await.unwrap();

    // The store comes back from the backup; the record beside it does not.
    fr.kill9();
    std::fs::remove_dir_all(&data).unwrap();
    copy_dir(&backup, &data);
    fr.restart();
    let url = fr.url();
    eventually(20, "FR reports that it refuses to sign", || async {
        let h: serde_json::Value = http()
            .get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        h["checkpoint"]["refused"]
            .as_str()
            .is_some_and(|r| r.contains("NL's head here is #2, but this node signed NL #5"))
    })
    .await;
    assert_eq!(
        latest_checkpoint(&url).await.unwrap().checkpoint,
        signed.checkpoint,
        "no newer checkpoint was signed over the older view"
    );
    assert!(metric(&metrics(&url).await, "pacta_checkpoint_refusals_total") >= 1);
    let ready = http().get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "refusing-to-sign", "{body}");

    // Once it holds the entries again, it signs again.
    for e in &entries[2..] {
        assert_eq!(post(&url, &[e]).await.0, 200);
    }
    eventually(20, "FR signs again once it holds NL #5", || async {
        latest_checkpoint(&url)
            .await
            .is_some_and(|w| w.checkpoint.time > signed.checkpoint.time && head_seq(&w, "NL") == 5)
    })
    .await;
    let ready = http().get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
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

#[tokio::test(flavor = "multi_thread")]
async fn a_split_view_reaches_no_quorum_and_the_fork_proof_reaches_every_node() {
    let dir = tempfile::tempdir().unwrap();
    let members = ["FR", "GB", "UA", "DE"];
    let ports: Vec<u16> = members.iter().map(|_| free_port()).collect();
    // One proxy per directed link, so the test can cut exactly the links it wants.
    let mut links: BTreeMap<(usize, usize), Proxy> = BTreeMap::new();
    for from in 0..4 {
        for (to, port) in ports.iter().enumerate() {
            if from != to {
                links.insert((from, to), Proxy::start(*port).await);
            }
        }
    }
    let nodes: Vec<NodeProc> = (0..4)
        .map(|i| {
            let peers: Vec<String> = (0..4)
                .filter(|j| *j != i)
                .map(|j| links[&(i, j)].url())
                .collect();
            NodeProc::start(
                members[i],
                ports[i],
                &dir.path().join(members[i]),
                &peers,
                200,
            )
        })
        .collect();
    // Partition: FR and GB on one side, UA and DE on the other; 2 of 5 each.
    let side = |i: usize| i < 2;
    for ((a, b), proxy) in &links {
        if side(*a) != side(*b) {
            proxy.cut();
        }
    }
    // NL signs two histories and shows one to each side.
    let nl = Author::new("NL");
    let one = nl.sign("NL history shown to FR and GB");
    let two = nl.sign("NL history shown to UA and DE");
    assert_eq!(post(&nodes[0].url(), &[&one]).await.0, 200);
    assert_eq!(post(&nodes[2].url(), &[&two]).await.0, 200);
    for (i, n) in nodes.iter().enumerate() {
        let url = n.url();
        let want = if side(i) { one.id() } else { two.id() };
        eventually(
            20,
            &format!("{} holds its side's NL #1", n.member),
            || async {
                heads(&url)
                    .await
                    .heads
                    .get(&code("NL"))
                    .is_some_and(|h| h.id == want)
            },
        )
        .await;
        eventually(
            20,
            &format!("{} signs a checkpoint with its side's NL #1", n.member),
            || async {
                latest_checkpoint(&url).await.is_some_and(|w| {
                    w.checkpoint
                        .heads
                        .get(&code("NL"))
                        .is_some_and(|h| h.id == want)
                })
            },
        )
        .await;
    }
    // Several rounds later, no node has a quorum for either head.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    for n in &nodes {
        let latest = latest_checkpoint(&n.url()).await.unwrap();
        assert!(
            latest.signers.len() <= 2,
            "{}: {:?}",
            n.member,
            latest.signers
        );
        assert!(!latest.has_quorum());
        if let Some(q) = quorum_checkpoint(&n.url()).await {
            assert_eq!(
                head_seq(&q, "NL"),
                0,
                "{} has a quorum over a split head",
                n.member
            );
        }
    }
    // Heal: every node ends up holding the fork proof.
    for proxy in links.values() {
        proxy.heal();
    }
    for n in &nodes {
        let url = n.url();
        eventually(
            30,
            &format!("{} holds NL's fork proof", n.member),
            || async {
                forks(&url)
                    .await
                    .forks
                    .iter()
                    .any(|f| f.member == code("NL") && f.seq == Seq(1))
            },
        )
        .await;
    }
}

/// A checkpoint of `node` over `heads`, at `time`, signed with `key`.
fn signed(
    roster: &Roster,
    node: &str,
    heads: &[(&str, u64, EntryId)],
    time: u64,
    key: &SecretKey,
) -> String {
    let heads = heads
        .iter()
        .map(|(m, s, id)| {
            (
                code(m),
                CheckpointHead {
                    seq: Seq(*s),
                    id: *id,
                },
            )
        })
        .collect();
    Checkpoint::new(
        roster,
        code(node),
        Timestamp::from_millis(time).unwrap(),
        heads,
    )
    .sign(roster, key)
    .to_text()
}

async fn cosign(url: &str, body: impl Into<reqwest::Body>) -> (u16, serde_json::Value, String) {
    let resp = http()
        .post(format!("{url}/v1/checkpoint/cosign"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_default(),
        text,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_checkpoint_or_cosignature_request_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let gb = NodeProc::start("GB", free_port(), &dir.path().join("GB"), &[], 300);
    let url = gb.url();
    let mut nl = Author::new("NL");
    let (e1, e2) = (nl.next("NL 1"), nl.next("NL 2"));
    assert_eq!(post(&url, &[&e1, &e2]).await.0, 200);
    let r = roster();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let fr = node_key("FR");
    let held = [("NL", 2, e2.id())];

    // A good one is cosigned, and the line verifies under GB's node key.
    let good = signed(&r, "FR", &held, now, &fr);
    let (status, _, line) = cosign(&url, good.clone()).await;
    assert_eq!(status, 200, "{line}");
    let sig = Signature::parse_line(line.strip_suffix('\n').unwrap()).unwrap();
    let text = good.split("\n\n").next().unwrap().to_owned() + "\n";
    assert!(
        sig.cosignature_time("pacta-demo-paris-2026/GB", &node_key("GB").public(), &text)
            .is_some()
    );
    // An ancestor of GB's head is fine too, from a node GB has not cosigned yet.
    let (status, _, body) = cosign(
        &url,
        signed(&r, "US", &[("NL", 1, e1.id())], now + 1, &node_key("US")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // From FR, after FR's NL #2, it goes back (issue 18, finding 5).
    let (status, json, body) =
        cosign(&url, signed(&r, "FR", &[("NL", 1, e1.id())], now + 2, &fr)).await;
    assert_eq!(
        (status, &json["reason"]),
        (409, &"rollback".into()),
        "{body}"
    );

    let mut wrong_network = Checkpoint::new(
        &r,
        code("FR"),
        Timestamp::from_millis(now + 5).unwrap(),
        BTreeMap::new(),
    );
    wrong_network.network = pacta_core::NetworkId([7; 32]);
    let wrong_network = wrong_network.sign(&r, &fr).to_text();
    let edited = signed(&r, "FR", &held, now + 6, &fr).replacen("\n2\n", "\n3\n", 1);
    let cases: Vec<(&str, String, u16, &str, &str)> = vec![
        (
            "garbage",
            "not a checkpoint".into(),
            400,
            "malformed",
            "no blank line",
        ),
        (
            "replayed",
            good.clone(),
            409,
            "stale",
            "already cosigned a checkpoint of FR",
        ),
        (
            "edited size line",
            edited,
            400,
            "malformed",
            "size is not the sum of the heads",
        ),
        (
            "signed with FR's entry key, not its node key",
            signed(&r, "FR", &held, now + 7, &key("FR")),
            422,
            "signature",
            "does not verify under that node's key",
        ),
        (
            "a member without a node",
            signed(&r, "NL", &held, now + 8, &key("NL")),
            422,
            "signature",
            "NL, which has no node key",
        ),
        (
            "GB's own checkpoint",
            signed(&r, "GB", &held, now + 9, &node_key("GB")),
            422,
            "own",
            "own checkpoint",
        ),
        (
            "stale",
            signed(&r, "UA", &held, now - 20 * 60 * 1000, &node_key("UA")),
            422,
            "stale",
            "more than 10 minutes before",
        ),
        (
            "from the future",
            signed(&r, "UA", &held, now + 20 * 60 * 1000, &node_key("UA")),
            422,
            "future",
            "ahead of this node's clock",
        ),
        (
            "inconsistent with GB's view",
            signed(&r, "DE", &[("NL", 2, e1.id())], now + 10, &node_key("DE")),
            409,
            "inconsistent",
            "inconsistent: the checkpoint says NL #2",
        ),
        (
            "beyond GB's head, and no peer has it",
            signed(&r, "DE", &[("NL", 5, e1.id())], now + 11, &node_key("DE")),
            409,
            "behind",
            "beyond this node's head (2)",
        ),
        (
            "another network",
            wrong_network,
            422,
            "network",
            "for network",
        ),
        (
            "oversized",
            "x".repeat(300 * 1024),
            413,
            "too-large",
            "takes at most",
        ),
    ];
    for (what, body, want_status, want_reason, want_text) in cases {
        let (status, json, text) = cosign(&url, body).await;
        assert_eq!(status, want_status, "{what}: {text}");
        assert_eq!(json["reason"], want_reason, "{what}: {text}");
        assert!(
            json["error"]
                .as_str()
                .unwrap_or_default()
                .contains(want_text),
            "{what}: {text}"
        );
    }
    // The inconsistency names both ids, so the origin can fetch GB's entry.
    let (_, json, _) = cosign(
        &url,
        signed(&r, "DE", &[("NL", 2, e1.id())], now + 12, &node_key("DE")),
    )
    .await;
    assert_eq!(json["fork"]["ids"][1], e2.id().to_string());
    // Nothing changed, and GB still serves.
    let h = heads(&url).await;
    assert_eq!(h.heads[&code("NL")].id, e2.id());
    assert!(h.forks.is_empty());
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Issue 18, finding 5: a node got an honest checkpoint cosigned, then signed one with
/// a feed rolled back and one with the feed left out, and honest witnesses cosigned
/// both (an ancestor of their heads), so a truncated ledger passed as witnessed.
#[tokio::test(flavor = "multi_thread")]
async fn witnesses_refuse_a_rolled_back_checkpoint_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = mesh(dir.path(), &["FR", "UA", "DE"], 300);
    let fr = nodes[0].url();
    let mut nl = Author::new("NL");
    let entries: Vec<_> = (0..3).map(|i| nl.next(&format!("NL {i}"))).collect();
    assert_eq!(post(&fr, &[&entries[0]]).await.0, 200);
    // A genuine checkpoint of NL #1, cosigned by a quorum: an auditor may hold it.
    eventually(
        20,
        "FR's checkpoint of NL #1 reaches the quorum",
        || async {
            quorum_checkpoint(&fr)
                .await
                .is_some_and(|w| head_seq(&w, "NL") == 1)
        },
    )
    .await;
    let old = quorum_checkpoint(&fr).await.unwrap();
    assert_eq!(
        post(&fr, &entries[1..].iter().collect::<Vec<_>>()).await.0,
        200
    );
    for n in &nodes {
        let url = n.url();
        eventually(20, &format!("{} holds NL #3", n.member), || async {
            heads(&url)
                .await
                .heads
                .get(&code("NL"))
                .is_some_and(|h| h.seq.0 == 3)
        })
        .await;
    }
    eventually(
        20,
        "FR's checkpoint of NL #3 reaches the quorum",
        || async {
            quorum_checkpoint(&fr)
                .await
                .is_some_and(|w| head_seq(&w, "NL") == 3)
        },
    )
    .await;
    let new = quorum_checkpoint(&fr).await.unwrap();

    // GB, a witnessing node that lies, first has an honest checkpoint cosigned.
    let r = roster();
    let gb = node_key("GB");
    let t = now_ms();
    let honest = signed(&r, "GB", &[("NL", 3, entries[2].id())], t, &gb);
    let rolled_back = signed(&r, "GB", &[("NL", 1, entries[0].id())], t + 1, &gb);
    let left_out = signed(&r, "GB", &[], t + 2, &gb);
    for n in &nodes {
        let (status, _, body) = cosign(&n.url(), honest.clone()).await;
        assert_eq!(status, 200, "{}: {body}", n.member);
    }
    for n in &nodes {
        for (what, note, words) in [
            ("NL rolled back to #1", &rolled_back, "NL is at #1"),
            ("NL left out", &left_out, "NL is missing"),
        ] {
            let (status, json, body) = cosign(&n.url(), note.clone()).await;
            assert_eq!(status, 409, "{}, {what}: {body}", n.member);
            assert_eq!(json["reason"], "rollback", "{}, {what}: {body}", n.member);
            assert!(
                body.contains(words) && body.contains("back on the checkpoint of GB"),
                "{}, {what}: {body}",
                n.member
            );
        }
    }
    // The last cosigned checkpoint of GB is durable: a restart does not forget it.
    assert!(nodes[0].terminate().success());
    nodes[0].spawn_again();
    let rolled_back_later = signed(&r, "GB", &[("NL", 1, entries[0].id())], t + 3, &gb);
    let (status, json, body) = cosign(&fr, rolled_back_later).await;
    assert_eq!(
        (status, &json["reason"]),
        (409, &"rollback".into()),
        "{body}"
    );
    let (status, json, body) = cosign(&fr, honest.clone()).await;
    assert_eq!((status, &json["reason"]), (409, &"stale".into()), "{body}");
    // GB going forward is still cosigned.
    let forward = signed(&r, "GB", &[("NL", 3, entries[2].id())], t + 4, &gb);
    let (status, _, body) = cosign(&fr, forward).await;
    assert_eq!(status, 200, "{body}");

    // A lying node serves the ledger cut at NL #1 with the genuine old checkpoint: it
    // verifies on its own, but not against a newer cosigned checkpoint the auditor holds.
    let bundle = dir.path().join("all.bundle");
    let (status, out, err) = pacta(&["export", "--node", &fr, "--out", bundle.to_str().unwrap()]);
    assert_eq!(status, 0, "{out}{err}");
    let bytes = std::fs::read(&bundle).unwrap();
    let view = BundleView::parse(&bytes).unwrap();
    let feeds: Vec<(MemberCode, Vec<&[u8]>)> = view
        .feeds
        .iter()
        .map(|(m, e)| {
            (
                *m,
                if *m == code("NL") {
                    e[..1].to_vec()
                } else {
                    e.clone()
                },
            )
        })
        .collect();
    let old_text = old.note.to_text();
    let cut = encode_raw(view.network, &feeds, &view.forks, Some(old_text.as_bytes()));
    let cut_path = dir.path().join("cut.bundle");
    std::fs::write(&cut_path, cut).unwrap();
    let held = dir.path().join("held.note");
    std::fs::write(&held, new.note.to_text()).unwrap();
    let roster_s = roster_path();
    let roster_s = roster_s.to_str().unwrap();
    let cut_s = cut_path.to_str().unwrap();
    let (status, out, err) = pacta(&["verify", "--bundle", cut_s, "--roster", roster_s]);
    assert_eq!(status, 0, "on its own the cut ledger verifies: {out}{err}");
    let (status, out, err) = pacta(&[
        "verify",
        "--bundle",
        cut_s,
        "--roster",
        roster_s,
        "--checkpoint",
        held.to_str().unwrap(),
    ]);
    assert_eq!(status, 1, "{out}{err}");
    assert!(
        out.contains("ROLLBACK") && out.contains("holds NL only up to #1"),
        "{out}"
    );
    // The whole ledger extends the held checkpoint.
    let (status, out, err) = pacta(&[
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--roster",
        roster_s,
        "--checkpoint",
        held.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{out}{err}");
}

/// Issue 18, finding 13: one signed checkpoint beyond the node's heads, sent 200 times
/// in 0.3 s, made the node pull from all its peers 200 times.
#[tokio::test(flavor = "multi_thread")]
async fn one_behind_checkpoint_sent_200_times_pulls_from_a_peer_at_most_twice() {
    let dir = tempfile::tempdir().unwrap();
    let peer = pacta_tests::liar::CountingPeer::start(false).await;
    // Pulls on its timer once a minute: the start-up pull is the only one of its own.
    let gb = NodeProc::start(
        "GB",
        free_port(),
        &dir.path().join("GB"),
        std::slice::from_ref(&peer.url),
        60_000,
    );
    let url = gb.url();
    let mut nl = Author::new("NL");
    let e1 = nl.next("NL 1");
    assert_eq!(post(&url, &[&e1]).await.0, 200);
    eventually(20, "GB's start-up pull reaches the peer", || async {
        peer.heads_asked() >= 1
    })
    .await;
    let before = peer.heads_asked();
    let behind = signed(
        &roster(),
        "FR",
        &[("NL", 5, e1.id())],
        now_ms(),
        &node_key("FR"),
    );
    let burst = (0..200).map(|_| cosign(&url, behind.clone()));
    for (status, json, body) in futures::future::join_all(burst).await {
        assert_eq!((status, &json["reason"]), (409, &"behind".into()), "{body}");
    }
    let burst_pulls = peer.heads_asked() - before;
    assert!(
        (1..=2).contains(&burst_pulls),
        "200 copies of one checkpoint made {burst_pulls} pulls from the peer"
    );
    // Judged once, it is not pulled for again.
    for _ in 0..50 {
        let (status, json, body) = cosign(&url, behind.clone()).await;
        assert_eq!((status, &json["reason"]), (409, &"behind".into()), "{body}");
    }
    assert_eq!(
        peer.heads_asked() - before,
        burst_pulls,
        "a judged checkpoint pulled again"
    );
    // A checkpoint not seen before still gets its pull.
    let other = signed(
        &roster(),
        "FR",
        &[("NL", 6, e1.id())],
        now_ms(),
        &node_key("FR"),
    );
    let (status, _, body) = cosign(&url, other).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(peer.heads_asked() - before, burst_pulls + 1);
}

/// The resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Issue 18, finding 8: a peer's answer to a cosigning request was read whole before
/// its 4,096-byte limit was checked; two 1.5 GiB answers took the node past 3 GiB.
#[tokio::test(flavor = "multi_thread")]
async fn an_endless_answer_to_a_cosigning_request_is_cut_at_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let peer = pacta_tests::liar::CountingPeer::start(true).await;
    let gb = NodeProc::start(
        "GB",
        free_port(),
        &dir.path().join("GB"),
        std::slice::from_ref(&peer.url),
        60_000,
    );
    let url = gb.url();
    let pid = gb.pid().unwrap();
    let mut nl = Author::new("NL");
    assert_eq!(post(&url, &[&nl.next("NL 1")]).await.0, 200);
    let limit = 200 * 1024 * 1024;
    let mut most = 0;
    // GB signs every 300 ms while it has no quorum, and asks the peer each time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while peer.cosigns_asked() < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "GB asked the peer to cosign only {} times in 60 s",
            peer.cosigns_asked()
        );
        most = most.max(rss(pid));
        assert!(
            most < limit,
            "GB's memory reached {most} bytes reading endless cosignatures"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(gb.pid().is_some());
    let (status, _) = get_text(&format!("{url}/healthz")).await;
    assert_eq!(status, 200, "GB still answers");
    let log = gb.log_text();
    assert!(
        log.contains("answer to a cosigning request is larger than 4096 bytes"),
        "{log}"
    );
    assert!(most > 0, "the memory of GB was read");
}
