//! Replication: push on accept, and pull (anti-entropy) on start-up and on a timer.
//!
//! Every entry from a peer goes through `Node::ingest`, the same path as a
//! delegation's submission, so it is verified before it is stored. A node only ever
//! appends: a peer's shorter or different history never replaces what it holds. A
//! peer that holds a different entry at a position this node holds gives a fork proof.
//!
//! Each peer has its own push task and pull task, so a peer that is down, slow or lying
//! only delays itself. Responses are read with a size cap and every request has a
//! timeout.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pacta_core::entry::Entry;
use pacta_core::fork::ForkProof;
use pacta_core::ids::{MemberCode, Seq};
use pacta_core::wire::{FeedPage, Forks, Heads, HexBytes, Outcome, Submit};
use reqwest::{Client, Url};
use serde::de::DeserializeOwned;
use thiserror::Error;
use tokio::sync::{mpsc, watch};

use crate::ledger::Rejection;
use crate::metrics::Metrics;
use crate::node::{Node, Pushed, Source};

/// Entries asked for per page when catching up.
const PAGE: usize = 1000;
/// Feeds caught up at once from one peer. With one page of each being fetched while
/// the one before it is verified and stored, the network, the signature checks on
/// every core, and the store's fsyncs overlap instead of taking turns.
const FEEDS_AT_ONCE: usize = 4;
/// Largest response read from a peer: a full page (at most `PAGE_BYTES` of entries,
/// or one entry of any size), in hex, with its JSON around it. A peer that sends more
/// is cut off there, so a lying peer costs at most this much memory per request.
pub const MAX_RESPONSE: usize =
    2 * (crate::api::PAGE_BYTES + pacta_core::entry::MAX_ENTRY) + PAGE * 8 + 64 * 1024;
/// Longest wait between pulls from a peer that keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Most bytes of entries sent to a peer in one push: hex doubles them, which keeps a
/// push well under a node's request body limit.
const PUSH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum PullError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("{url}: HTTP {status}")]
    Status {
        url: Url,
        status: reqwest::StatusCode,
    },
    #[error("{0}: response larger than {MAX_RESPONSE} bytes")]
    TooLarge(Url),
    #[error("{url}: not the expected JSON: {reason}")]
    Json { url: Url, reason: String },
    #[error("peer is on network {0}, not ours")]
    OtherNetwork(String),
    #[error("bad peer URL: {0}")]
    Url(#[from] url::ParseError),
}

pub fn client() -> Result<Client, reqwest::Error> {
    // reqwest is built without a default TLS provider; choose ring, once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(30))
        .build()
}

async fn get_json<T: DeserializeOwned>(client: &Client, url: Url) -> Result<T, PullError> {
    let resp = client.get(url.clone()).send().await?;
    if !resp.status().is_success() {
        return Err(PullError::Status {
            url,
            status: resp.status(),
        });
    }
    let body = match read_capped(resp, MAX_RESPONSE).await {
        Ok(body) => body,
        Err(Capped::TooLarge(_)) => return Err(PullError::TooLarge(url)),
        Err(Capped::Http(e)) => return Err(PullError::Http(e)),
    };
    serde_json::from_slice(&body).map_err(|e| PullError::Json {
        url,
        reason: e.to_string(),
    })
}

/// Why a peer's answer was not read whole.
#[derive(Debug, Error)]
pub enum Capped {
    #[error("is larger than {0} bytes; the rest was not read")]
    TooLarge(usize),
    #[error("could not be read: {0}")]
    Http(#[from] reqwest::Error),
}

/// Reads a peer's answer up to `cap` bytes and no further: a declared length over the
/// cap is refused before any of the body is read, and a body that goes on past it is
/// dropped (closing the connection) at the chunk that crosses it. So a peer costs at
/// most `cap` bytes, plus one chunk, of memory per answer, whatever it sends.
pub async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, Capped> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(Capped::TooLarge(cap));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Err(Capped::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Starts the push and pull tasks for every peer.
pub fn spawn(
    node: Arc<Node>,
    peers: Vec<(Url, mpsc::UnboundedReceiver<Pushed>)>,
    interval: Duration,
    client: Client,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for (peer, queue) in peers {
        tasks.push(tokio::spawn(push_loop(
            node.clone(),
            client.clone(),
            peer.clone(),
            queue,
            shutdown.clone(),
        )));
        tasks.push(tokio::spawn(pull_loop(
            node.clone(),
            client.clone(),
            peer,
            interval,
            shutdown.clone(),
        )));
    }
    tasks
}

async fn push_loop(
    node: Arc<Node>,
    client: Client,
    peer: Url,
    mut queue: mpsc::UnboundedReceiver<Pushed>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(url) = peer.join("v1/entries") else {
        return;
    };
    // Entries taken from the queue but not yet sent, with the permits they hold.
    let mut pending: std::collections::VecDeque<Entry> = std::collections::VecDeque::new();
    let mut permits = Vec::new();
    loop {
        if pending.is_empty() {
            permits.clear(); // everything they covered has been sent: release the budget
            let (batch, permit) = tokio::select! {
                _ = shutdown.changed() => return,
                item = queue.recv() => match item { Some(i) => i, None => return },
            };
            pending.extend(batch.iter().cloned());
            permits.push(permit);
            while let Ok((batch, permit)) = queue.try_recv() {
                pending.extend(batch.iter().cloned());
                permits.push(permit);
            }
        }
        let mut entries = Vec::new();
        let mut bytes = 0;
        while let Some(e) = pending.front() {
            if !entries.is_empty() && bytes + e.as_bytes().len() > PUSH_BYTES {
                break;
            }
            bytes += e.as_bytes().len();
            entries.extend(pending.pop_front().map(|e| HexBytes(e.as_bytes().to_vec())));
        }
        let result = client
            .post(url.clone())
            .json(&Submit { entries })
            .send()
            .await;
        Metrics::bump(&node.metrics.pushes, 1);
        match result {
            // 409 (a gap on a peer that is behind, or a fork) is not a failure of the
            // push: the peer's own pull fills the gap, and a fork is now known to it.
            Ok(r) if r.status().is_success() || r.status() == reqwest::StatusCode::CONFLICT => {}
            Ok(r) => {
                Metrics::bump(&node.metrics.push_failures, 1);
                tracing::debug!(%peer, status = %r.status(), "push refused");
            }
            Err(e) => {
                Metrics::bump(&node.metrics.push_failures, 1);
                tracing::debug!(%peer, "push failed: {e}");
            }
        }
    }
}

async fn pull_loop(
    node: Arc<Node>,
    client: Client,
    peer: Url,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut wait = Duration::ZERO; // pull at once on start-up
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        Metrics::bump(&node.metrics.pull_rounds, 1);
        let round = tokio::select! {
            _ = shutdown.changed() => return,
            round = pull_once(&node, &client, &peer) => round,
        };
        match round {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(%peer, entries = n, "pulled");
                }
                failures = 0;
                wait = interval;
            }
            Err(e) => {
                Metrics::bump(&node.metrics.pull_failures, 1);
                failures = failures.saturating_add(1);
                wait = interval
                    .saturating_mul(1 << failures.min(6))
                    .min(MAX_BACKOFF);
                if failures == 1 || failures.is_multiple_of(10) {
                    tracing::warn!(%peer, failures, "pull failed: {e}");
                }
            }
        }
    }
}

/// One anti-entropy round against `peer`: fetch what it has that we lack, check what
/// differs, and fetch fork proofs we do not have. Returns the entries stored.
pub async fn pull_once(node: &Node, client: &Client, peer: &Url) -> Result<u64, PullError> {
    let heads: Heads = get_json(client, peer.join("v1/heads")?).await?;
    let roster = node.ledger.roster();
    if heads.network != roster.network_id() {
        return Err(PullError::OtherNetwork(heads.network.to_string()));
    }
    let mut stored = 0;
    let mut behind = Vec::new();
    for (member, theirs) in &heads.heads {
        if roster.member(*member).is_none() {
            tracing::warn!(%peer, %member, "peer lists a feed for a non-member; ignored");
            continue;
        }
        let ours = node.ledger.head(*member).map_or(0, |h| h.seq.0);
        if theirs.seq.0 > ours {
            behind.push((*member, theirs.seq.0));
        } else {
            let held = node
                .ledger
                .store()
                .entry(*member, theirs.seq)
                .ok()
                .flatten();
            if held.is_some_and(|e| e.id() != theirs.id) {
                // Same position, different entry: fetch theirs so the fork is proven.
                if let Err(e) = fetch_and_ingest(node, client, peer, *member, theirs.seq).await {
                    tracing::warn!(%peer, %member, "fetching a conflicting entry failed: {e}");
                }
            }
        }
    }
    // A failure on one feed is logged and the round goes on with the others, so a peer
    // that fails one feed still delivers the rest and its fork proofs.
    let mut caught_up = futures::stream::iter(behind)
        .map(|(member, to)| async move { (member, catch_up(node, client, peer, member, to).await) })
        .buffer_unordered(FEEDS_AT_ONCE);
    while let Some((member, result)) = caught_up.next().await {
        match result {
            Ok(n) => stored += n,
            Err(e) => tracing::warn!(%peer, %member, "catching up failed: {e}"),
        }
    }
    drop(caught_up);
    let known = node.ledger.forks();
    // One proof per position is enough; a peer's different proof there adds nothing.
    let unknown = heads.forks.iter().any(|f| {
        !known
            .iter()
            .any(|k| k.member() == f.member && k.seq() == f.seq)
    });
    if unknown {
        let forks: Forks = get_json(client, peer.join("v1/forks")?).await?;
        for f in forks.forks {
            let proof = Entry::decode(&f.entries[0].0)
                .and_then(|a| Entry::decode(&f.entries[1].0).map(|b| (a, b)))
                .ok()
                .and_then(|(a, b)| ForkProof::from_ordered(a, b).ok());
            let Some(proof) = proof else {
                Metrics::bump(&node.metrics.peer_rejected, 1);
                tracing::warn!(%peer, member = %f.member, "peer served a malformed fork proof");
                continue;
            };
            match node.ledger.add_fork(proof) {
                Ok(true) => {
                    let _ = node.ledger.store().flush().await;
                    node.watch.kick();
                    tracing::warn!(%peer, member = %f.member, seq = %f.seq, "fork proof received: the feed is disputed");
                }
                Ok(false) => {}
                Err(e) => {
                    Metrics::bump(&node.metrics.peer_rejected, 1);
                    tracing::warn!(%peer, "peer served an invalid fork proof: {e}");
                }
            }
        }
    }
    Ok(stored)
}

/// Fetches one page of `member`'s feed from `from` (at most `PAGE` entries, none past
/// `to`), and checks that it is the page asked for. `Ok(None)`: past `to`.
async fn fetch_page(
    client: &Client,
    peer: &Url,
    member: MemberCode,
    from: u64,
    to: u64,
) -> Result<Option<Result<FeedPage, ()>>, PullError> {
    if from > to {
        return Ok(None);
    }
    let limit = PAGE.min((to - from + 1) as usize);
    let url = peer.join(&format!("v1/feeds/{member}?from={from}&limit={limit}"))?;
    let page: FeedPage = get_json(client, url).await?;
    let asked_for = page.member == member
        && page.from == Seq(from)
        && !page.entries.is_empty()
        && page.entries.len() <= limit;
    Ok(Some(if asked_for { Ok(page) } else { Err(()) }))
}

/// Fetches `member`'s entries after our head, up to `to`, from `peer` in pages, and
/// ingests them; the next page is fetched while this one is verified and stored.
/// Progress is measured by our own head: a page that does not advance it (a peer
/// serving what we hold, or lying about its head) ends the catch-up, so a peer cannot
/// keep this loop going.
async fn catch_up(
    node: &Node,
    client: &Client,
    peer: &Url,
    member: MemberCode,
    to: u64,
) -> Result<u64, PullError> {
    let mut stored = 0;
    let head = |node: &Node| {
        node.ledger
            .head(member)
            .map_or(1, |h| h.seq.0.saturating_add(1))
    };
    let mut fetched = fetch_page(client, peer, member, head(node), to).await;
    loop {
        let page = match fetched? {
            None => return Ok(stored),
            Some(Ok(page)) => page,
            Some(Err(())) => {
                Metrics::bump(&node.metrics.peer_rejected, 1);
                tracing::warn!(%peer, %member, "peer served a page that is not the one asked for; stopping");
                return Ok(stored);
            }
        };
        // Where the next page starts if this one is stored whole.
        let after = page.from.0.saturating_add(page.entries.len() as u64);
        let ingest = node.ingest(
            page.entries.into_iter().map(|h| h.0).collect(),
            Source::Peer,
        );
        let (ingested, prefetched) =
            tokio::join!(ingest, fetch_page(client, peer, member, after, to));
        fetched = prefetched;
        match ingested {
            Ok(accepted) => {
                let new = accepted
                    .iter()
                    .filter(|a| a.outcome == Outcome::Stored)
                    .count() as u64;
                if new == 0 {
                    tracing::warn!(%peer, %member, "peer served a page with nothing new; stopping");
                    return Ok(stored);
                }
                stored += new;
                if head(node) != after {
                    // Our head moved otherwise (a push arrived meanwhile): ask again from
                    // where it is now rather than trust the page fetched ahead.
                    fetched = fetch_page(client, peer, member, head(node), to).await;
                }
            }
            Err((index, accepted, rejection)) => {
                stored += accepted
                    .iter()
                    .filter(|a| a.outcome == Outcome::Stored)
                    .count() as u64;
                match rejection {
                    Rejection::Diverges { .. } => {
                        // The peer's history differs below our head: prove it at our head.
                        if let Some(head) = node.ledger.head(member) {
                            fetch_and_ingest(node, client, peer, member, head.seq).await?;
                        }
                    }
                    Rejection::Fork { .. } => {}
                    other => {
                        Metrics::bump(&node.metrics.peer_rejected, 1);
                        tracing::warn!(%peer, %member, index, "peer served an entry that failed: {other}");
                    }
                }
                return Ok(stored);
            }
        }
    }
}

pub(crate) async fn fetch_and_ingest(
    node: &Node,
    client: &Client,
    peer: &Url,
    member: MemberCode,
    seq: Seq,
) -> Result<(), PullError> {
    let url = peer.join(&format!("v1/feeds/{member}?from={}&limit=1", seq.0))?;
    let page: FeedPage = get_json(client, url).await?;
    if let Some(bytes) = page.entries.into_iter().next() {
        match node.ingest(vec![bytes.0], Source::Peer).await {
            Err((_, _, Rejection::Fork { fork, .. })) => {
                tracing::warn!(%peer, member = %fork.member, seq = %fork.seq, "fork detected: the feed is disputed");
            }
            Err((_, _, other)) => {
                Metrics::bump(&node.metrics.peer_rejected, 1);
                tracing::warn!(%peer, %member, "peer served an entry that failed: {other}");
            }
            Ok(_) => {}
        }
    }
    Ok(())
}
