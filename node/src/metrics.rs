//! Counters the node exposes at `GET /metrics`, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counters; cheap to bump from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub flushes: AtomicU64,
    pub pull_rounds: AtomicU64,
    pub pull_failures: AtomicU64,
    pub pulled: AtomicU64,
    pub pushes: AtomicU64,
    pub push_failures: AtomicU64,
    pub peer_rejected: AtomicU64,
    pub checkpoints_signed: AtomicU64,
    pub checkpoints_witnessed: AtomicU64,
    pub checkpoint_refusals: AtomicU64,
    pub cosignatures: AtomicU64,
    pub connections_refused: AtomicU64,
    pub rate_limited: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// Replication with each peer, by its URL.
    peers: Mutex<BTreeMap<String, PeerStats>>,
    /// Request latencies per route (the route's pattern, not the path asked for, so
    /// the label set stays as small as the router).
    latency: Mutex<BTreeMap<String, Histogram>>,
}

/// What the node knows of its replication with one peer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PeerStats {
    /// When a pull last succeeded (ms since the epoch).
    pub last_pull_ms: Option<u64>,
    /// When a push was last taken (ms since the epoch).
    pub last_push_ms: Option<u64>,
    /// Entries the peer advertised at the last pull that this node did not hold once
    /// the pull was done: the replication lag.
    pub behind: Option<u64>,
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Gauges read when `/metrics` is asked for, from the ledger, the store and the
/// witness.
#[derive(Debug, Default, Clone)]
pub struct Gauges {
    pub entries: u64,
    pub feeds: usize,
    pub forks: usize,
    /// Bytes of the store's files.
    pub store_bytes: u64,
    /// Seconds since this node last signed a checkpoint, if it signs.
    pub checkpoint_age: Option<f64>,
    /// Cosignatures on the newest checkpoint that reached the quorum, and the quorum.
    pub cosignatures: Option<(usize, usize)>,
}

/// A label value, escaped as the text format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    /// Updates what is known of the replication with `peer`.
    pub fn peer(&self, peer: &str, update: impl FnOnce(&mut PeerStats)) {
        let mut map = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        update(map.entry(peer.to_owned()).or_default());
    }

    /// Whether this node lags more than `bound` entries behind at least half of the
    /// peers it has pulled from (one lying peer that advertises heads it does not have
    /// cannot make a node unready), with the peers it lags behind.
    pub fn behind(&self, bound: u64) -> Option<Vec<(String, u64)>> {
        let map = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        let known: Vec<(String, u64)> = map
            .iter()
            .filter_map(|(p, s)| s.behind.map(|b| (p.clone(), b)))
            .collect();
        let over: Vec<(String, u64)> = known.iter().filter(|(_, b)| *b > bound).cloned().collect();
        (!over.is_empty() && 2 * over.len() >= known.len()).then_some(over)
    }

    /// Counts one request to `route` that took `seconds`.
    pub fn observe(&self, route: &str, seconds: f64) {
        let mut map = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = match map.get_mut(route) {
            Some(h) => h,
            None => map.entry(route.to_owned()).or_default(),
        };
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    pub fn reject(&self, reason: &'static str) {
        let mut map = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(reason).or_default() += 1;
    }

    /// The text exposition, with the gauges the caller reads from the ledger.
    pub fn render(&self, g: &Gauges) -> String {
        let Gauges {
            entries,
            feeds,
            forks,
            ..
        } = *g;
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        let gauge = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        gauge(
            &mut out,
            "pacta_entries",
            "Entries held, over all feeds.",
            entries,
        );
        gauge(
            &mut out,
            "pacta_feeds",
            "Feeds with at least one entry.",
            feeds as u64,
        );
        gauge(&mut out, "pacta_forks", "Fork proofs held.", forks as u64);
        counter(
            &mut out,
            "pacta_entries_stored_total",
            "Entries newly stored, from any source.",
            &self.stored,
        );
        counter(
            &mut out,
            "pacta_entries_duplicate_total",
            "Entries received that the node already held.",
            &self.duplicates,
        );
        counter(
            &mut out,
            "pacta_store_flushes_total",
            "Flushes (fsync) of the store.",
            &self.flushes,
        );
        counter(
            &mut out,
            "pacta_pull_rounds_total",
            "Anti-entropy rounds against a peer.",
            &self.pull_rounds,
        );
        counter(
            &mut out,
            "pacta_pull_failures_total",
            "Anti-entropy rounds that failed.",
            &self.pull_failures,
        );
        counter(
            &mut out,
            "pacta_entries_pulled_total",
            "Entries stored from pulls.",
            &self.pulled,
        );
        counter(
            &mut out,
            "pacta_pushes_total",
            "Batches pushed to peers.",
            &self.pushes,
        );
        counter(
            &mut out,
            "pacta_push_failures_total",
            "Pushes that failed (the pull repairs them).",
            &self.push_failures,
        );
        counter(
            &mut out,
            "pacta_peer_invalid_total",
            "Entries from peers that failed verification.",
            &self.peer_rejected,
        );
        for (name, help, value) in [
            (
                "pacta_checkpoints_signed_total",
                "Checkpoints this node signed.",
                &self.checkpoints_signed,
            ),
            (
                "pacta_checkpoints_witnessed_total",
                "Checkpoints of this node that reached the quorum.",
                &self.checkpoints_witnessed,
            ),
            (
                "pacta_checkpoint_refusals_total",
                "Times this node refused to sign a checkpoint that does not extend its last one.",
                &self.checkpoint_refusals,
            ),
            (
                "pacta_cosignatures_total",
                "Peers' checkpoints this node cosigned.",
                &self.cosignatures,
            ),
            (
                "pacta_connections_refused_total",
                "Connections closed at once because the node had its maximum open.",
                &self.connections_refused,
            ),
            (
                "pacta_rate_limited_total",
                "Requests refused with 429 because their address spent its budget.",
                &self.rate_limited,
            ),
        ] {
            counter(&mut out, name, help, value);
        }
        let _ = writeln!(
            out,
            "# HELP pacta_rejected_total Submissions rejected, by reason.\n# TYPE pacta_rejected_total counter"
        );
        let map = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        for (reason, n) in map.iter() {
            let _ = writeln!(out, "pacta_rejected_total{{reason=\"{reason}\"}} {n}");
        }
        drop(map);
        self.render_more(g, &mut out);
        out
    }

    /// Build info, the store's size, checkpoints, peers and latencies.
    fn render_more(&self, g: &Gauges, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP pacta_build_info The node's version.\n# TYPE pacta_build_info gauge\npacta_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP pacta_store_bytes Bytes of the store's files.\n# TYPE pacta_store_bytes gauge\npacta_store_bytes {}",
            g.store_bytes
        );
        if let Some(age) = g.checkpoint_age {
            let _ = writeln!(
                out,
                "# HELP pacta_checkpoint_age_seconds Seconds since this node last signed a checkpoint.\n# TYPE pacta_checkpoint_age_seconds gauge\npacta_checkpoint_age_seconds {age:.3}"
            );
        }
        if let Some((have, need)) = g.cosignatures {
            let _ = writeln!(
                out,
                "# HELP pacta_checkpoint_cosignatures Signatures on this node's newest checkpoint that reached the quorum.\n# TYPE pacta_checkpoint_cosignatures gauge\npacta_checkpoint_cosignatures {have}\n# HELP pacta_checkpoint_quorum Signatures a checkpoint needs.\n# TYPE pacta_checkpoint_quorum gauge\npacta_checkpoint_quorum {need}"
            );
        }
        let peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        let now = crate::clock::now_ms();
        let series = [
            (
                "pacta_peer_behind_entries",
                "Entries a peer advertised at the last pull that this node still lacks.",
                &(|s: &PeerStats| s.behind.map(|b| b as f64)) as &dyn Fn(&PeerStats) -> Option<f64>,
            ),
            (
                "pacta_peer_last_pull_age_seconds",
                "Seconds since a pull from the peer last succeeded.",
                &|s: &PeerStats| {
                    s.last_pull_ms
                        .map(|t| now.saturating_sub(t) as f64 / 1000.0)
                },
            ),
            (
                "pacta_peer_last_push_age_seconds",
                "Seconds since the peer last took a push.",
                &|s: &PeerStats| {
                    s.last_push_ms
                        .map(|t| now.saturating_sub(t) as f64 / 1000.0)
                },
            ),
        ];
        for (name, help, value) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (peer, stats) in peers.iter() {
                if let Some(v) = value(stats) {
                    let _ = writeln!(out, "{name}{{peer=\"{}\"}} {v}", label(peer));
                }
            }
        }
        drop(peers);
        let latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let name = "pacta_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to answer a request, by route.\n# TYPE {name} histogram"
        );
        for (route, h) in latency.iter() {
            let route = label(route);
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n{name}_sum{{route=\"{route}\"}} {}\n{name}_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
    }
}
