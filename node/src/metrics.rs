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
}

impl Metrics {
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    pub fn reject(&self, reason: &'static str) {
        let mut map = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(reason).or_default() += 1;
    }

    /// The text exposition, with the gauges the caller reads from the ledger.
    pub fn render(&self, entries: u64, feeds: usize, forks: usize) -> String {
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
        out
    }
}
