//! A harness for real `pacta-node` processes on 127.0.0.1: start, `kill -9`, restart,
//! and talk to them over HTTP. The example roster and keys sign real entries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: failing loudly is the point"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pacta_core::entry::{Draft, Entry};
use pacta_core::ids::{EntryId, MemberCode, Seq, Timestamp};
use pacta_core::payload::{Note, Payload};
use pacta_core::wire::{FeedPage, Forks, Heads, HexBytes, Submit};
use pacta_core::{Roster, SecretKey};

use crate::{bin, workspace};

pub fn roster_path() -> PathBuf {
    workspace().join("keys-example/roster.toml")
}

pub fn roster() -> Roster {
    Roster::from_toml(&std::fs::read_to_string(roster_path()).unwrap()).unwrap()
}

pub fn key(member: &str) -> SecretKey {
    SecretKey::from_file_text(
        &std::fs::read_to_string(workspace().join(format!("keys-example/{member}.key"))).unwrap(),
    )
    .unwrap()
}

pub fn code(s: &str) -> MemberCode {
    s.parse().unwrap()
}

/// A free port on 127.0.0.1 (bound and released, so peers can be told in advance).
/// A free port for a node to listen on, below the kernel's ephemeral range (32768 and
/// up on Linux). A port from that range is also handed out for outgoing connections
/// and `bind(0)`, so it could be taken between this pick and the node's bind; CI saw
/// exactly that ("Address already in use"). Each pick in a process is a different
/// port, so tests running in parallel never pick the same one.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    let start = std::process::id() % SPAN;
    loop {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(n < SPAN, "no free port left below the ephemeral range");
        let port = u16::try_from(LOW + (start + n) % SPAN).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The network nodes run in: its roster, and the folder holding the node keys of the
/// members whose nodes witness (`<CODE>.node.key`).
#[derive(Debug, Clone)]
pub struct Network {
    pub roster: PathBuf,
    pub keys: PathBuf,
}

impl Network {
    /// The demo network of `keys-example/`.
    pub fn example() -> Network {
        Network {
            roster: roster_path(),
            keys: workspace().join("keys-example"),
        }
    }
}

/// One `pacta-node` process.
#[derive(Debug)]
pub struct NodeProc {
    pub member: String,
    pub port: u16,
    pub data: PathBuf,
    network: Network,
    peers: Vec<String>,
    pull_ms: u64,
    child: Option<Child>,
    log: PathBuf,
    /// Extra flags for the next start.
    pub flags: Vec<String>,
    /// Extra environment variables for the next start.
    pub env: Vec<(String, String)>,
    /// A cap on the size of any file the process writes, in KiB (`ulimit -f`): past
    /// it, writes fail with EFBIG, as on a full disk.
    pub file_size_limit_kib: Option<u64>,
}

impl NodeProc {
    /// Starts a node for `member` on `port`, storing in `data`, pulling from `peers`.
    pub fn start(member: &str, port: u16, data: &Path, peers: &[String], pull_ms: u64) -> NodeProc {
        NodeProc::start_in(&Network::example(), member, port, data, peers, pull_ms)
    }

    /// Starts a node of `network`.
    pub fn start_in(
        network: &Network,
        member: &str,
        port: u16,
        data: &Path,
        peers: &[String],
        pull_ms: u64,
    ) -> NodeProc {
        NodeProc::start_with(network, member, port, data, peers, pull_ms, &[])
    }

    /// Starts a node of `network` with extra `flags`.
    pub fn start_with(
        network: &Network,
        member: &str,
        port: u16,
        data: &Path,
        peers: &[String],
        pull_ms: u64,
        flags: &[&str],
    ) -> NodeProc {
        let mut node = NodeProc {
            member: member.to_owned(),
            port,
            data: data.to_owned(),
            network: network.clone(),
            peers: peers.to_vec(),
            pull_ms,
            child: None,
            log: data.with_extension("log"),
            flags: flags.iter().map(|f| (*f).to_owned()).collect(),
            env: Vec::new(),
            file_size_limit_kib: None,
        };
        node.spawn();
        node
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts the process again after [`NodeProc::kill9`] or [`NodeProc::terminate`].
    pub fn spawn_again(&mut self) {
        assert!(self.child.is_none(), "{} is still running", self.member);
        self.spawn();
    }

    /// `http://127.0.0.1:PORT`, or `https://` for a node given `--tls-cert`.
    pub fn url(&self) -> String {
        let tls = self.flags.iter().any(|f| f == "--tls-cert");
        let scheme = if tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        if let Some(parent) = self.log.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut cmd = Command::new(bin("pacta-node"));
        cmd.arg("--roster")
            .arg(&self.network.roster)
            .args([
                "--member",
                &self.member,
                "--listen",
                &format!("127.0.0.1:{}", self.port),
            ])
            .arg("--data")
            .arg(&self.data)
            .args(["--pull-interval-ms", &self.pull_ms.to_string()]);
        for p in &self.peers {
            cmd.args(["--peer", p]);
        }
        // A witnessing member's node gets its node key, private as the node demands.
        let node_key = self.network.keys.join(format!("{}.node.key", self.member));
        if node_key.exists() {
            use std::os::unix::fs::PermissionsExt;
            let copy = self.data.with_extension("node.key");
            std::fs::copy(&node_key, &copy).unwrap();
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).unwrap();
            cmd.arg("--node-key")
                .arg(&copy)
                .args(["--checkpoint-interval-ms", "300"]);
        }
        if self.peers.is_empty() {
            // Without --peer a node pulls from the roster's URLs (the demo's ports);
            // a lone test node gets the discard port instead, where nothing listens.
            cmd.args(["--peer", "http://127.0.0.1:9"]);
        }
        cmd.args(&self.flags);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(kib) = self.file_size_limit_kib {
            // SIGXFSZ would kill the node; ignored (inherited across exec), the write
            // fails with EFBIG instead, which is what the node must handle.
            let mut limited = Command::new("bash");
            limited
                .args(["-c", "trap '' XFSZ; ulimit -f \"$0\"; exec \"$@\""])
                .arg(kib.to_string())
                .arg(cmd.get_program())
                .args(cmd.get_args());
            cmd = limited;
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(log).spawn().unwrap();
        // The node prints one line once it listens...
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.contains(&format!("serving {}", self.url())),
            "{} did not start: {line:?}; log: {}",
            self.member,
            self.log_text()
        );
        // ...and answers once its store is open and checked: wait for that, so a test
        // that stops it at once still finds a store.
        let deadline = Instant::now() + Duration::from_secs(120);
        // Over TLS the serving line (said once the store is open) is the sign.
        let tls = self.url().starts_with("https");
        while !tls && !healthy(self.port) {
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                let _ = child.kill();
                panic!(
                    "{} never answered /healthz; log: {}",
                    self.member,
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        child.wait().unwrap()
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Whether the node on `port` answers `GET /healthz` with 200 (plain blocking HTTP:
/// `NodeProc` runs outside any async runtime).
fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// Starts `members.len()` nodes, each pulling from all the others.
pub fn mesh(dir: &Path, members: &[&str], pull_ms: u64) -> Vec<NodeProc> {
    let ports: Vec<u16> = members.iter().map(|_| free_port()).collect();
    mesh_in(&Network::example(), dir, members, &ports, pull_ms)
}

/// Starts a node of `network` for each of `members` on `ports`, each pulling from all
/// the others.
pub fn mesh_in(
    network: &Network,
    dir: &Path,
    members: &[&str],
    ports: &[u16],
    pull_ms: u64,
) -> Vec<NodeProc> {
    mesh_with(network, dir, members, ports, pull_ms, &[])
}

/// [`mesh_in`] with extra `flags` for every node.
pub fn mesh_with(
    network: &Network,
    dir: &Path,
    members: &[&str],
    ports: &[u16],
    pull_ms: u64,
    flags: &[&str],
) -> Vec<NodeProc> {
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let peers: Vec<String> = urls
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, u)| u.clone())
                .collect();
            NodeProc::start_with(network, m, ports[i], &dir.join(m), &peers, pull_ms, flags)
        })
        .collect()
}

/// A small HTTP client for tests.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn heads(url: &str) -> Heads {
    heads_with(&http(), url).await
}

/// `GET /v1/heads` with `client`: a loop that polls should keep one client, since
/// making one loads the TLS roots.
pub async fn heads_with(client: &reqwest::Client, url: &str) -> Heads {
    client
        .get(format!("{url}/v1/heads"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The node's `/metrics` text.
pub async fn metrics(url: &str) -> String {
    http()
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// One unlabelled counter or gauge from a `/metrics` text (0 when absent).
pub fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Every fork proof the node serves, following the pages of `GET /v1/forks`.
pub async fn forks(url: &str) -> Forks {
    let client = http();
    let mut all = Vec::new();
    let mut query = String::new();
    loop {
        let page: Forks = client
            .get(format!("{url}/v1/forks{query}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.extend(page.forks);
        match page.next {
            Some(next) => query = next.query(),
            None => {
                return Forks {
                    forks: all,
                    next: None,
                };
            }
        }
    }
}

pub async fn page(url: &str, member: &str, from: u64, limit: u64) -> FeedPage {
    http()
        .get(format!("{url}/v1/feeds/{member}?from={from}&limit={limit}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Posts entries; returns the status and the JSON body.
pub async fn post(url: &str, entries: &[&Entry]) -> (u16, serde_json::Value) {
    let body = Submit {
        entries: entries
            .iter()
            .map(|e| HexBytes(e.as_bytes().to_vec()))
            .collect(),
    };
    let resp = http()
        .post(format!("{url}/v1/entries"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// A `POST /v1/entries` body, written by hand (not serialised), carrying `entries`
/// as they are: tests use it to send bytes that are not entries at all.
pub fn hex_body(entries: &[&[u8]]) -> Vec<u8> {
    let list: Vec<String> = entries
        .iter()
        .map(|e| format!("\"{}\"", hex::encode(e)))
        .collect();
    format!("{{\"entries\":[{}]}}", list.join(",")).into_bytes()
}

/// Waits until `check` holds, or fails after `secs` seconds with `what`.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs notes for one member, chaining them: the delegation's side, in a test.
#[derive(Debug)]
pub struct Author {
    pub member: MemberCode,
    key: SecretKey,
    network: pacta_core::NetworkId,
    pub next: u64,
    prev: Option<EntryId>,
}

impl Author {
    pub fn new(member: &str) -> Author {
        Author {
            member: code(member),
            key: key(member),
            network: roster().network_id(),
            next: 1,
            prev: None,
        }
    }

    /// Signs the next note without advancing (for forks).
    pub fn sign(&self, text: &str) -> Entry {
        self.sign_payload(&Payload::Note(Note::new(text.to_owned())))
    }

    /// Signs the next entry of any kind without advancing.
    pub fn sign_payload(&self, payload: &Payload) -> Entry {
        Draft {
            network: self.network,
            author: self.member,
            seq: Seq(self.next),
            prev: self.prev,
            time: Timestamp::from_millis(1_767_700_800_000 + self.next).unwrap(),
            kind: payload.kind(),
            payload: payload.encode(),
        }
        .sign(&self.key)
        .unwrap()
    }

    /// Signs the next entry of any kind and advances.
    pub fn next_payload(&mut self, payload: &Payload) -> Entry {
        let e = self.sign_payload(payload);
        self.prev = Some(e.id());
        self.next += 1;
        e
    }

    /// Signs from now on with `key` (after a rotation, or as a thief would).
    pub fn use_key(&mut self, key: SecretKey) {
        self.key = key;
    }

    /// Signs the next note and advances.
    pub fn next(&mut self, text: &str) -> Entry {
        let e = self.sign(text);
        self.prev = Some(e.id());
        self.next += 1;
        e
    }
}

/// Every node's heads, as a map from node to view.
pub async fn views(nodes: &[&NodeProc]) -> Vec<BTreeMap<MemberCode, pacta_core::wire::Head>> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(heads(&n.url()).await.heads);
    }
    out
}

/// Runs `pacta` with `args`; returns (exit code, stdout, stderr).
pub fn pacta(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin("pacta")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
