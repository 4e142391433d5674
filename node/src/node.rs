//! A running node: its ledger, its counters, and the queues to its peers.

#![allow(
    clippy::result_large_err,
    reason = "Rejection is large but rare and short-lived; see ledger.rs"
)]

use std::sync::Arc;

use pacta_core::entry::Entry;
use pacta_core::feed::Problem;
use pacta_core::ids::MemberCode;
use pacta_core::wire::{Accepted, Outcome};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::ledger::{Ledger, Rejection};
use crate::metrics::Metrics;

/// Where a batch came from, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Client,
    Peer,
}

/// A batch's failure: the index of the entry that failed, the entries before it (which
/// were accepted and are durable), and the reason.
pub type BatchError = (usize, Vec<Accepted>, Rejection);

#[derive(Debug)]
pub struct Node {
    pub member: MemberCode,
    pub ledger: Arc<Ledger>,
    pub metrics: Metrics,
    /// One queue per peer; newly stored entries are pushed through them.
    pub(crate) push: Vec<PushQueue>,
    /// Checkpoints and cosignatures, when the roster gives this node a node key.
    pub witness: Option<Arc<crate::witness::Witness>>,
    /// The status and event log watchers read.
    pub watch: Arc<crate::watch::Watch>,
    /// Rate limits per client address.
    pub limits: crate::limits::Limits,
    /// Warnings about peers, held back when they repeat.
    pub peer_warnings: crate::replicate::PeerWarnings,
    /// See [`crate::Config::ready_lag`].
    pub ready_lag: u64,
    /// Reverse proxies whose forwarding headers name the client (`proxy.rs`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// A batch waiting to be pushed, holding its share of the peer's byte budget.
pub(crate) type Pushed = (Arc<Vec<Entry>>, OwnedSemaphorePermit);

/// A peer's push queue. The queue itself is unbounded in items, but every batch holds
/// permits for its bytes from `budget`, so a peer that is slow or down costs at most
/// the budget in memory; beyond it, batches are dropped and the pull repairs them.
#[derive(Debug)]
pub(crate) struct PushQueue {
    pub(crate) tx: mpsc::UnboundedSender<Pushed>,
    pub(crate) budget: Arc<Semaphore>,
}

impl Node {
    /// Accepts a batch in order, up to the first rejection, and makes what was written
    /// durable before returning: whatever `Ok` or the `accepted` of an `Err` lists is on
    /// disk.
    pub async fn submit(&self, batch: Vec<Vec<u8>>) -> Result<Vec<Accepted>, BatchError> {
        self.ingest(batch, Source::Client).await
    }

    pub(crate) async fn ingest(
        &self,
        batch: Vec<Vec<u8>>,
        source: Source,
    ) -> Result<Vec<Accepted>, BatchError> {
        // A full disk or a failed store refuses at once, before any signature check.
        if let Err(e) = self.ledger.store().writable() {
            return Err((0, vec![], Rejection::Store(e)));
        }
        let ledger = self.ledger.clone();
        // Signature checks and sled calls block: keep them off the async workers.
        let work = tokio::task::spawn_blocking(move || {
            // Signatures first, in batches over the cores; then each entry's place, in
            // order. The first failure in batch order is the one reported, as if
            // checked one by one.
            let checked = ledger.precheck_batch(&batch);
            let mut accepted = Vec::with_capacity(batch.len());
            let mut stored = Vec::new();
            for (index, entry) in checked.into_iter().enumerate() {
                // A key-rotation earlier in the batch changes the key of what follows
                // it: an entry refused for its key is checked again, now in order.
                let entry = match entry {
                    Err(Rejection::Invalid {
                        problem:
                            Problem::Signature(_) | Problem::Revoked { .. } | Problem::Install { .. },
                        ..
                    }) => ledger.precheck(&batch[index]),
                    other => other,
                };
                match entry.and_then(|e| ledger.place(e)) {
                    Ok((a, entry)) => {
                        accepted.push(a);
                        stored.extend(entry);
                    }
                    Err(rejection) => return (accepted, stored, Some((index, rejection))),
                }
            }
            (accepted, stored, None)
        });
        // A sled write that never returns (sled waiting on a write that failed) must not
        // hold the answer for ever: the store's watchdog marks it failed past the stall
        // bound (`store/room.rs`), and the answer goes out then.
        let store = self.ledger.store().clone();
        let outcome = tokio::select! {
            outcome = work => outcome,
            () = store.until_failed() => {
                let err = store.writable().err().unwrap_or_else(|| {
                    crate::store::StoreError::Corrupt("the store failed".into())
                });
                return Err((0, vec![], Rejection::Store(err)));
            }
        };
        let (accepted, stored, failure) = match outcome {
            Ok(v) => v,
            Err(join) => {
                let err =
                    crate::store::StoreError::Corrupt(format!("the accepting task failed: {join}"));
                return Err((0, vec![], Rejection::Store(err)));
            }
        };
        // Flush even when everything was a duplicate: a duplicate may be of an entry a
        // concurrent request wrote and has not flushed yet, and we must not acknowledge
        // it before it is durable. A flush with nothing dirty is cheap.
        let wrote_fork = matches!(failure, Some((_, Rejection::Fork { .. })));
        if !accepted.is_empty() || wrote_fork {
            if let Err(e) = self.ledger.store().flush().await {
                return Err((0, vec![], Rejection::Store(e)));
            }
            Metrics::bump(&self.metrics.flushes, 1);
        }
        if !stored.is_empty() || wrote_fork {
            self.watch.kick();
        }
        let new = accepted
            .iter()
            .filter(|a| a.outcome == Outcome::Stored)
            .count() as u64;
        Metrics::bump(&self.metrics.stored, new);
        Metrics::bump(&self.metrics.duplicates, accepted.len() as u64 - new);
        if source == Source::Peer {
            Metrics::bump(&self.metrics.pulled, new);
        }
        // Entries pulled from a peer are not pushed on: every node pulls from every
        // peer, and pushing them would send a catch-up's pages around the network.
        if !stored.is_empty() && source == Source::Client {
            let bytes: usize = stored.iter().map(|e| e.as_bytes().len()).sum();
            let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
            let batch = Arc::new(stored);
            for queue in &self.push {
                // Over budget means the peer is slow or down: drop, never wait; the
                // peer's pull repairs it.
                match queue.budget.clone().try_acquire_many_owned(bytes) {
                    Ok(permit) => {
                        let _ = queue.tx.send((batch.clone(), permit));
                    }
                    Err(_) => Metrics::bump(&self.metrics.push_failures, 1),
                }
            }
        }
        match failure {
            None => Ok(accepted),
            Some((index, rejection)) => Err((index, accepted, rejection)),
        }
    }
}
