//! Nodes over HTTPS with a private CA made here (issue 21, part 1): three witnessing
//! nodes replicate and cosign over TLS, `pacta --ca` verifies a node, a certificate
//! from another CA is refused with a sentence that says so, and SIGHUP reloads the
//! certificate without stopping the node.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};

use pacta_core::checkpoint::verify_checkpoint;
use pacta_tests::net::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

/// A certificate authority, and leaf certificates for 127.0.0.1 signed by it.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    /// Writes the CA's certificate to `dir/<name>.pem`.
    fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(format!("{name}.pem"));
        std::fs::write(&path, self.cert.pem()).unwrap();
        path
    }

    /// Writes a leaf certificate for 127.0.0.1 and its key to `dir/<name>.{crt,key}`.
    fn leaf(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        let (c, k) = (
            dir.join(format!("{name}.crt")),
            dir.join(format!("{name}.key")),
        );
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }
}

fn trusting(ca: &Path) -> reqwest::Client {
    let _ = http();
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap()
}

fn tls_flags(cert: &Path, key: &Path, ca: &Path) -> Vec<String> {
    [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--ca",
        ca.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_nodes_over_https_replicate_cosign_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Pacta test CA");
    let ca_pem = ca.write(dir.path(), "ca");
    let members = ["FR", "GB", "DE"];
    let ports: Vec<u16> = members.iter().map(|_| free_port()).collect();
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("https://127.0.0.1:{p}"))
        .collect();
    let mut nodes = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let (cert, key) = ca.leaf(dir.path(), m);
        let peers: Vec<String> = urls
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, u)| u.clone())
            .collect();
        let flags = tls_flags(&cert, &key, &ca_pem);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        nodes.push(NodeProc::start_with(
            &Network::example(),
            m,
            ports[i],
            &dir.path().join(m),
            &peers,
            300,
            &flags,
        ));
    }
    assert!(nodes[0].url().starts_with("https://"));
    let client = trusting(&ca_pem);

    // Entries submitted over HTTPS reach every node.
    let mut nl = Author::new("NL");
    let body = pacta_core::wire::Submit {
        entries: (0..5)
            .map(|i| pacta_core::wire::HexBytes(nl.next(&format!("NL {i}")).as_bytes().to_vec()))
            .collect(),
    };
    let answer = client
        .post(format!("{}/v1/entries", urls[0]))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    for url in &urls {
        eventually(30, "every node holds NL #5", || async {
            let heads: pacta_core::wire::Heads =
                match client.get(format!("{url}/v1/heads")).send().await {
                    Ok(r) => r.json().await.unwrap(),
                    Err(_) => return false,
                };
            heads.heads.get(&code("NL")).is_some_and(|h| h.seq.0 == 5)
        })
        .await;
    }
    // Checkpoints are cosigned over HTTPS up to the quorum.
    let quorum = roster().node_quorum();
    eventually(30, "a checkpoint of NL #5 cosigned by a quorum", || async {
        let Ok(r) = client
            .get(format!("{}/v1/checkpoint", urls[0]))
            .send()
            .await
        else {
            return false;
        };
        if r.status() != 200 {
            return false;
        }
        let text = r.text().await.unwrap();
        verify_checkpoint(&roster(), text.as_bytes()).is_ok_and(|w| {
            w.signers.len() >= quorum
                && w.checkpoint
                    .heads
                    .get(&code("NL"))
                    .is_some_and(|h| h.seq.0 == 5)
        })
    })
    .await;

    let roster = roster_path().to_str().unwrap().to_owned();
    // The auditor's CLI: trusted with --ca; without it, a sentence about the certificate.
    let ca_arg = ca_pem.to_str().unwrap();
    let (code_, out, err) = pacta(&[
        "--ca", ca_arg, "verify", "--roster", &roster, "--node", &urls[1],
    ]);
    assert_eq!(code_, 0, "{out}\n{err}");
    assert!(out.contains("VALID"), "{out}");
    let (code_, _, err) = pacta(&["verify", "--roster", &roster, "--node", &urls[1]]);
    assert_eq!(code_, 2, "{err}");
    assert!(err.contains("certificate"), "{err}");

    // A node whose certificate another CA signed is refused, naming the problem.
    let other = Ca::new("Someone else's CA");
    let (cert, key) = other.leaf(dir.path(), "IT");
    let flags = tls_flags(&cert, &key, &ca_pem);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let it = NodeProc::start_with(
        &Network::example(),
        "IT",
        free_port(),
        &dir.path().join("IT"),
        &[],
        60_000,
        &flags,
    );
    let (code_, _, err) = pacta(&[
        "--ca",
        ca_arg,
        "verify",
        "--roster",
        &roster,
        "--node",
        &it.url(),
    ]);
    assert_eq!(code_, 2, "{err}");
    assert!(
        err.contains("certificate") && err.contains("UnknownIssuer"),
        "{err}"
    );
    drop(it);

    // SIGHUP: FR's certificate files now hold one from the other CA; after the signal
    // new connections get it, and the node never stopped.
    let fr = &nodes[0];
    let pid = fr.pid().unwrap();
    let other_pem = other.write(dir.path(), "other");
    let (new_cert, new_key) = other.leaf(dir.path(), "FR-next");
    std::fs::copy(&new_cert, dir.path().join("FR.crt")).unwrap();
    std::fs::copy(&new_key, dir.path().join("FR.key")).unwrap();
    let by_other = trusting(&other_pem);
    assert!(
        by_other
            .get(format!("{}/healthz", urls[0]))
            .send()
            .await
            .is_err()
    );
    let hup = |pid: u32| {
        assert!(
            std::process::Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
    };
    hup(pid);
    eventually(10, "FR serves the new certificate", || async {
        by_other
            .get(format!("{}/healthz", urls[0]))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert_eq!(fr.pid(), Some(pid));
    // A bad file on SIGHUP keeps the certificate in use, and says so.
    std::fs::write(dir.path().join("FR.crt"), "not a certificate").unwrap();
    hup(pid);
    eventually(10, "the refusal is logged", || async {
        fr.log_text().contains("keeping the certificate in use")
    })
    .await;
    let still = by_other
        .get(format!("{}/healthz", urls[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200);
    drop(nodes);
}

#[test]
fn bad_tls_flags_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let ca = Ca::new("CA");
    let (cert, key) = ca.leaf(dir.path(), "IT");
    let (_, other_key) = ca.leaf(dir.path(), "other");
    let node = |extra: &[&Path], flags: &[&str]| {
        let mut cmd = std::process::Command::new(pacta_tests::bin("pacta-node"));
        cmd.arg("--roster")
            .arg(roster_path())
            .args(["--member", "IT", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path().join("IT"));
        for (flag, path) in flags.iter().zip(extra) {
            cmd.arg(flag).arg(path);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (paths, flags, says) in [
        (
            vec![garbage.as_path(), key.as_path()],
            vec!["--tls-cert", "--tls-key"],
            "garbage.pem",
        ),
        (
            vec![empty.as_path(), key.as_path()],
            vec!["--tls-cert", "--tls-key"],
            "holds no PEM certificate",
        ),
        (
            vec![cert.as_path(), garbage.as_path()],
            vec!["--tls-cert", "--tls-key"],
            "no PEM private key",
        ),
        (
            vec![cert.as_path(), other_key.as_path()],
            vec!["--tls-cert", "--tls-key"],
            "is the key the certificate's?",
        ),
        (vec![cert.as_path()], vec!["--tls-cert"], "--tls-key"),
        (vec![garbage.as_path()], vec!["--ca"], "garbage.pem"),
    ] {
        let (code, err) = node(&paths, &flags);
        assert_eq!(code, Some(2), "{flags:?}: {err}");
        assert!(err.contains(says), "{flags:?}: {err}");
    }
    let roster = roster_path().to_str().unwrap().to_owned();
    let (code, _, err) = pacta(&[
        "--ca",
        empty.to_str().unwrap(),
        "verify",
        "--roster",
        &roster,
        "--node",
        "https://127.0.0.1:9",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("holds no PEM certificate"), "{err}");
}
