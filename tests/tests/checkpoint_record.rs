//! The never-regress record of the checkpoints a node signed, with real `pacta-node`
//! processes (issue 18, finding 10): it is found through whatever path the store is
//! started by, it travels with the store, and a store that has signed does not start
//! without it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pacta_core::checkpoint::{Witnessed, verify_checkpoint};
use pacta_tests::bin;
use pacta_tests::net::*;

async fn latest_checkpoint(node: &str) -> Option<Witnessed> {
    let resp = http()
        .get(format!("{node}/v1/checkpoint/latest"))
        .send()
        .await
        .unwrap();
    if resp.status() != 200 {
        return None;
    }
    let body = resp.text().await.unwrap();
    Some(verify_checkpoint(&roster(), body.as_bytes()).unwrap())
}

fn head_seq(w: &Witnessed, member: &str) -> u64 {
    w.checkpoint.heads.get(&code(member)).map_or(0, |h| h.seq.0)
}

async fn refused(url: &str) -> Option<String> {
    let h: serde_json::Value = http()
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    h["checkpoint"]["refused"].as_str().map(str::to_owned)
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

/// Runs FR's node on `data` expecting it to refuse to start: its exit code and what it
/// said. (`NodeProc` gives up on a node that never serves.)
fn start_expecting_refusal(data: &Path) -> (i32, String) {
    use std::os::unix::fs::PermissionsExt;
    let key = data.with_extension("refused.node.key");
    std::fs::copy(
        pacta_tests::workspace().join("keys-example/FR.node.key"),
        &key,
    )
    .unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut child = Command::new(bin("pacta-node"))
        .arg("--roster")
        .arg(roster_path())
        .args([
            "--member",
            "FR",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .arg("--data")
        .arg(data)
        .arg("--node-key")
        .arg(&key)
        .args(["--peer", "http://127.0.0.1:9"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the node started on {}", data.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Regression (issue 18, finding 10): the record of the last checkpoint a node signed
/// was looked for beside the data folder's path as given. A store restored from an old
/// backup and started through a symlink looked for `<symlink>.checkpoint`, found
/// nothing, and the node signed an older view than one it had signed. Now the path is
/// resolved, the record also lives in the data folder (so a moved store keeps it),
/// and a store that has signed refuses to start without any record.
#[tokio::test(flavor = "multi_thread")]
async fn a_store_started_through_a_symlink_or_moved_keeps_its_never_regress_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("FR");
    let port = free_port();
    let mut fr = NodeProc::start("FR", port, &data, &[], 300);
    let mut nl = Author::new("NL");
    let entries: Vec<_> = (0..5).map(|i| nl.next(&format!("NL {i}"))).collect();
    for e in &entries[..2] {
        assert_eq!(post(&fr.url(), &[e]).await.0, 200);
    }
    assert!(fr.terminate().success());
    let backup = dir.path().join("FR-backup");
    copy_dir(&data, &backup);
    fr.spawn_again();
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
    fr.kill9();
    drop(fr);

    // The old backup comes back in place, and the node is started through a symlink.
    std::fs::remove_dir_all(&data).unwrap();
    copy_dir(&backup, &data);
    let link = dir.path().join("current");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    let fr = NodeProc::start("FR", port, &link, &[], 300);
    let url = fr.url();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut reason = None;
    while Instant::now() < deadline && reason.is_none() {
        reason = refused(&url).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let latest = latest_checkpoint(&url).await.map(|w| w.checkpoint);
    assert_eq!(
        latest.as_ref(),
        Some(&signed.checkpoint),
        "through {}, the node signed an older view (NL #{}) after it had signed NL #5; refusal: {reason:?}",
        link.display(),
        latest.as_ref().map_or(0, |c| c.heads[&code("NL")].seq.0)
    );
    let reason = reason.unwrap();
    assert!(
        reason.contains("NL's head here is #2, but this node signed NL #5"),
        "{reason}"
    );
    // Once it holds the entries again, it signs again.
    for e in &entries[2..] {
        assert_eq!(post(&url, &[e]).await.0, 200);
    }
    eventually(20, "FR signs again once it holds NL #5", || async {
        latest_checkpoint(&url)
            .await
            .is_some_and(|w| w.checkpoint.time > signed.checkpoint.time)
    })
    .await;
    let mut fr = fr;
    assert!(fr.terminate().success());
    drop(fr);

    // The store moved, without anything beside it: its record goes with it.
    let moved = dir.path().join("elsewhere/FR");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&data, &moved).unwrap();
    let fr = NodeProc::start("FR", port, &moved, &[], 300);
    let url = fr.url();
    let newest = latest_checkpoint(&url).await;
    assert!(
        newest.as_ref().is_some_and(|w| head_seq(w, "NL") == 5),
        "the moved store lost its record: {newest:?}"
    );
    let mut fr = fr;
    assert!(fr.terminate().success());
    drop(fr);

    // A store that has signed, without its record anywhere: refused.
    std::fs::remove_file(moved.join("checkpoint")).unwrap();
    std::fs::remove_file(moved.with_extension("checkpoint")).unwrap();
    let (code, said) = start_expecting_refusal(&moved);
    eprintln!("without its record: exit {code}, {said}");
    assert_eq!(code, 2, "{said}");
    assert!(
        said.contains("this store has signed checkpoints") && said.contains("checkpoint"),
        "{said}"
    );
}
