//! The fault-injection harness: a cluster of real `pacta-node` processes whose every
//! link runs through a [`Proxy`] the test controls, delegations that submit
//! concurrently and remember exactly what was acknowledged, a monitor that checks the
//! nodes keep serving, and the invariants every scenario ends with.
//!
//! The scenarios themselves are in `tests/tests/faults.rs`. Their sizes scale with
//! `PACTA_FAULT_SCALE` (default 1), so the long variants run by hand:
//!
//! ```text
//! PACTA_FAULT_SCALE=10 cargo test --release -p pacta-tests --test faults -- --nocapture
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: failing loudly is the point"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pacta_core::entry::Entry;
use pacta_core::wire::{HexBytes, Submit};

use crate::net::{Author, Network, NodeProc, free_port, heads, http, pacta, roster_path};
use crate::proxy::Proxy;

/// The scale of the scenarios: `PACTA_FAULT_SCALE`, at least 1.
pub fn scale() -> u64 {
    std::env::var("PACTA_FAULT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Real nodes, each reaching each other node through its own proxy.
#[derive(Debug)]
pub struct Cluster {
    pub nodes: Vec<NodeProc>,
    /// `(from, to)`: the proxy node `from` uses to reach node `to`.
    links: BTreeMap<(usize, usize), Proxy>,
    /// Whether each node is meant to be up; the monitor only counts those.
    up: Vec<Arc<AtomicBool>>,
}

impl Cluster {
    /// Starts a node for each of `members` in `dir`, pulling every `pull_ms`, each also
    /// pulling from `extra_peers` (a lying peer, say).
    pub async fn start(
        dir: &Path,
        members: &[&str],
        pull_ms: u64,
        extra_peers: &[String],
    ) -> Cluster {
        // Below the ephemeral range, where the proxies' ports (and every outgoing
        // connection's) come from, so none of them can take a node's port first.
        let ports: Vec<u16> = members.iter().map(|_| free_port()).collect();
        let mut links = BTreeMap::new();
        for from in 0..members.len() {
            for (to, port) in ports.iter().enumerate() {
                if from != to {
                    links.insert((from, to), Proxy::start(*port).await);
                }
            }
        }
        let network = Network::example();
        let nodes = members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut peers: Vec<String> = (0..members.len())
                    .filter(|j| *j != i)
                    .map(|j| links[&(i, j)].url())
                    .collect();
                peers.extend(extra_peers.iter().cloned());
                NodeProc::start_in(&network, m, ports[i], &dir.join(m), &peers, pull_ms)
            })
            .collect::<Vec<_>>();
        let up = nodes
            .iter()
            .map(|_| Arc::new(AtomicBool::new(true)))
            .collect();
        Cluster { nodes, links, up }
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(NodeProc::url).collect()
    }

    /// `kill -9` of node `i`.
    pub fn kill(&mut self, i: usize) {
        self.up[i].store(false, Ordering::SeqCst);
        self.nodes[i].kill9();
    }

    /// Starts node `i` again; it must come back serving.
    pub fn restart(&mut self, i: usize) {
        self.nodes[i].spawn_again();
        self.up[i].store(true, Ordering::SeqCst);
    }

    /// Cuts both directions between `a` and `b`.
    pub fn cut(&self, a: usize, b: usize) {
        self.links[&(a, b)].cut();
        self.links[&(b, a)].cut();
    }

    pub fn heal(&self, a: usize, b: usize) {
        self.links[&(a, b)].heal();
        self.links[&(b, a)].heal();
    }

    /// Cuts every link between `side` and the rest.
    pub fn partition(&self, side: &[usize]) {
        for &(a, b) in self.links.keys() {
            if side.contains(&a) != side.contains(&b) {
                self.links[&(a, b)].cut();
            }
        }
    }

    pub fn heal_all(&self) {
        for link in self.links.values() {
            link.heal();
            link.slow(Duration::ZERO);
        }
    }

    /// Delays both directions between `a` and `b`.
    pub fn slow(&self, a: usize, b: usize, delay: Duration) {
        self.links[&(a, b)].slow(delay);
        self.links[&(b, a)].slow(delay);
    }

    pub fn link_count(&self) -> usize {
        self.links.len() / 2
    }

    /// Starts the monitor: every 100 ms it asks each node meant to be up for
    /// `/healthz`, and records each failure.
    pub fn monitor(&self) -> Monitor {
        let stop = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let probes = Arc::new(AtomicU64::new(0));
        let targets: Vec<(String, String, Arc<AtomicBool>)> = self
            .nodes
            .iter()
            .zip(&self.up)
            .map(|(n, up)| (n.member.clone(), n.url(), up.clone()))
            .collect();
        let task = {
            let (stop, failures, probes) = (stop.clone(), failures.clone(), probes.clone());
            tokio::spawn(async move {
                let client = client(Duration::from_secs(5));
                while !stop.load(Ordering::SeqCst) {
                    for (member, url, up) in &targets {
                        if !up.load(Ordering::SeqCst) {
                            continue;
                        }
                        let answer = client.get(format!("{url}/healthz")).send().await;
                        // Only a node still meant to be up when the answer came counts.
                        if !up.load(Ordering::SeqCst) {
                            continue;
                        }
                        probes.fetch_add(1, Ordering::Relaxed);
                        match answer {
                            Ok(r) if r.status().is_success() => {}
                            Ok(r) => failures
                                .lock()
                                .unwrap()
                                .push(format!("{member}: HTTP {}", r.status())),
                            Err(e) => failures.lock().unwrap().push(format!("{member}: {e}")),
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        Monitor {
            stop,
            failures,
            probes,
            task,
        }
    }
}

/// Checks that the nodes keep answering; see [`Cluster::monitor`].
#[derive(Debug)]
pub struct Monitor {
    stop: Arc<AtomicBool>,
    failures: Arc<Mutex<Vec<String>>>,
    probes: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Monitor {
    /// Stops the monitor; returns how many probes it made, after asserting none failed.
    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        let failures = self.failures.lock().unwrap();
        assert!(
            failures.is_empty(),
            "a node meant to be up did not answer /healthz: {failures:?}"
        );
        self.probes.load(Ordering::Relaxed)
    }
}

/// What a delegation's writer did.
#[derive(Debug, Default)]
pub struct Tally {
    /// Every entry a node acknowledged (200), in order per member.
    pub acked: Vec<Entry>,
    /// Submissions that failed (a node down, a link cut, a 5xx) and were sent again.
    pub retries: u64,
}

/// Delegations submitting concurrently until stopped. Each signs its next note only
/// once the one before is acknowledged, and sends an unacknowledged entry again,
/// byte for byte, rather than sign another at its position (the brief's rule for
/// `pacta submit`), so a writer never forks its own feed.
#[derive(Debug)]
pub struct Writers {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Tally>>,
}

impl Writers {
    /// One writer per `(member, urls)`: it submits to the first URL and moves to the
    /// next when a node fails it. `pause` is the wait between two entries.
    pub fn start(plan: &[(&str, Vec<String>)], pause: Duration) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = plan
            .iter()
            .map(|(member, urls)| {
                let (member, urls, stop) = (member.to_string(), urls.clone(), stop.clone());
                tokio::spawn(write(member, urls, stop, pause))
            })
            .collect();
        Writers { stop, tasks }
    }

    /// Stops every writer after its current submission; returns the tallies merged.
    pub async fn finish(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        let mut out = Tally::default();
        for task in self.tasks {
            let t = task.await.unwrap();
            out.acked.extend(t.acked);
            out.retries += t.retries;
        }
        out
    }
}

async fn write(member: String, urls: Vec<String>, stop: Arc<AtomicBool>, pause: Duration) -> Tally {
    let client = client(Duration::from_secs(10));
    let mut author = Author::new(&member);
    let mut tally = Tally::default();
    let mut target = 0;
    // The entry being submitted and its text: signing is deterministic, so the same
    // text signs the same bytes again once it is acknowledged.
    let mut next: Option<(Entry, String)> = None;
    // From which position the node in use must be sent our entries (after a 409 gap).
    let mut resend_from: Option<u64> = None;
    while !stop.load(Ordering::SeqCst) {
        let (entry, _) = next.get_or_insert_with(|| {
            let text = format!("{member} {}", author.next);
            (author.sign(&text), text)
        });
        let mut batch: Vec<&Entry> = Vec::new();
        if let Some(from) = resend_from {
            batch.extend(tally.acked.iter().filter(|e| e.seq().0 >= from));
        }
        batch.push(entry);
        let body = Submit {
            entries: batch
                .iter()
                .map(|e| HexBytes(e.as_bytes().to_vec()))
                .collect(),
        };
        let url = &urls[target % urls.len()];
        let answer = client
            .post(format!("{url}/v1/entries"))
            .json(&body)
            .send()
            .await;
        match answer {
            Ok(r) if r.status() == 200 => {
                let (signed, text) = next.take().unwrap();
                assert_eq!(author.next(&text).as_bytes(), signed.as_bytes());
                tally.acked.push(signed);
                resend_from = None;
                tokio::time::sleep(pause).await;
            }
            Ok(r) if r.status() == 409 => {
                // This node lacks entries another node acknowledged: send them along.
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                assert_eq!(body["reason"], "gap", "{member}: unexpected 409: {body}");
                let head = body["head"]["seq"].as_u64().unwrap_or(0);
                resend_from = Some(head + 1);
            }
            Ok(r) if r.status() == 429 => {
                tally.retries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(r) if r.status().is_client_error() => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                panic!("{member}: a valid entry was refused with {status}: {body}");
            }
            _ => {
                // Down, cut off or failing: try the next node.
                tally.retries += 1;
                target += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    tally
}

/// Every node's copy of `member`'s feed, as raw entries from #1.
pub async fn feed_bytes(url: &str, member: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let p = crate::net::page(url, member, out.len() as u64 + 1, 10_000).await;
        if p.entries.is_empty() {
            return out;
        }
        out.extend(p.entries.into_iter().map(|h| h.0));
    }
}

/// What [`check_invariants`] measured.
#[derive(Debug)]
pub struct Verdict {
    pub acked: usize,
    pub lost: usize,
}

/// The invariants every scenario ends with, once the faults are healed:
///
/// - every head is identical on every node (waited for, up to `secs`), but those of
///   the feeds in `forks`: there each node keeps the side it saw first;
/// - every acknowledged entry is on every node, byte for byte;
/// - every node's ledger verifies (`pacta verify --node`, exit 0);
/// - the forks are exactly `forks`, on every node.
pub async fn check_invariants(
    urls: &[String],
    acked: &[Entry],
    forks: &BTreeSet<(String, u64)>,
    secs: u64,
) -> Verdict {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let mut views = Vec::new();
        for url in urls {
            let mut view = heads(url).await.heads;
            view.retain(|m, _| !forks.iter().any(|(f, _)| f == m.as_str()));
            views.push(view);
        }
        let same = views.windows(2).all(|w| w[0] == w[1]);
        if same {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "heads still differ after {secs} s: {views:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut by_member: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    for e in acked {
        by_member.entry(e.author().to_string()).or_default().push(e);
    }
    let mut lost = 0;
    let by_id = client(Duration::from_secs(10));
    for url in urls {
        for (member, mine) in &by_member {
            let held = feed_bytes(url, member).await;
            // Every eighth entry and the newest are also looked up by id: the node's id
            // index is refilled at start-up from what its runs do not cover.
            let stride = 8;
            for (i, e) in mine.iter().enumerate() {
                let at = usize::try_from(e.seq().0 - 1).unwrap();
                if held.get(at).map(Vec::as_slice) != Some(e.as_bytes()) {
                    lost += 1;
                    eprintln!(
                        "{url}: {member} {} was acknowledged but is not held",
                        e.seq()
                    );
                } else if i % stride == 0 || i + 1 == mine.len() {
                    let r = by_id
                        .get(format!("{url}/entries/{}/raw", e.id()))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200, "{url}: {member} {} by id", e.seq());
                    let body = r.bytes().await.unwrap();
                    assert_eq!(
                        body.as_ref(),
                        e.as_bytes(),
                        "{url}: {member} {} by id",
                        e.seq()
                    );
                }
            }
        }
        let (code, out, err) = pacta(&[
            "verify",
            "--node",
            url,
            "--roster",
            roster_path().to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{url}: pacta verify: {out}{err}");
        let found: BTreeSet<(String, u64)> = crate::net::forks(url)
            .await
            .forks
            .iter()
            .map(|f| (f.member.to_string(), f.seq.0))
            .collect();
        assert_eq!(&found, forks, "{url}: the forks held");
    }
    assert_eq!(lost, 0, "acknowledged entries were lost");
    Verdict {
        acked: acked.len(),
        lost,
    }
}

/// Posts `entries` to `url` in one request; the status and the JSON answer.
pub async fn post_all(url: &str, entries: &[Entry]) -> (u16, serde_json::Value) {
    let refs: Vec<&Entry> = entries.iter().collect();
    crate::net::post(url, &refs).await
}

/// An HTTP client with a `timeout` per request.
pub fn client(timeout: Duration) -> reqwest::Client {
    let _ = http(); // installs the TLS provider reqwest needs, once per process
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}
