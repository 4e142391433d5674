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
use pacta_core::wire::{FeedPage, ForkCursor, Forks, Heads, HexBytes, Outcome, Submit};
use reqwest::{Client, Url};
use serde::de::DeserializeOwned;
use thiserror::Error;
use tokio::sync::{mpsc, watch};

use crate::ledger::{FORKS_PER_MEMBER, ForkRefusal, Rejection};
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
    #[error(
        "the peer's heads name {count} feeds of non-members ({first} first), even after catching up with the genesis members' feeds it lists; its heads are refused as a whole"
    )]
    NonMembers { count: usize, first: MemberCode },
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

pub fn client() -> Result<Client, reqwest::Error> {
    client_trusting(&[])
}

/// The client to peers, trusting the system's roots and `extra` (`--ca`).
pub fn client_trusting(extra: &[reqwest::Certificate]) -> Result<Client, reqwest::Error> {
    // reqwest is built without a default TLS provider; choose ring, once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(30))
        .tls_certs_merge(extra.iter().cloned())
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
            Ok(r) if r.status().is_success() || r.status() == reqwest::StatusCode::CONFLICT => {
                node.metrics.peer(peer.as_str(), |s| {
                    s.last_push_ms = Some(crate::clock::now_ms())
                });
            }
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
                node.metrics.peer(peer.as_str(), |s| {
                    s.last_pull_ms = Some(crate::clock::now_ms())
                });
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
/// differs, and fetch fork proofs we would keep. Returns the entries stored.
pub async fn pull_once(node: &Node, client: &Client, peer: &Url) -> Result<u64, PullError> {
    let heads: Heads = get_json(client, peer.join("v1/heads")?).await?;
    let roster = node.ledger.roster();
    if heads.network != roster.network_id() {
        return Err(PullError::OtherNetwork(heads.network.to_string()));
    }
    let mut stored = 0;
    if heads.heads.keys().any(|m| roster.member(*m).is_none()) {
        // An honest peer may list a member admitted by votes this node has not pulled
        // yet, and those votes are in genesis members' feeds: catch those up first.
        // A feed still not a member's after that is a lie, and the whole answer is
        // refused, with one warning (the pull fails, and backs off), rather than one
        // line per feed on every pull.
        let genesis = node.ledger.genesis();
        let theirs = heads
            .heads
            .iter()
            .filter(|(m, _)| genesis.is_genesis(**m))
            .map(|(m, h)| (*m, *h));
        stored += catch_up_feeds(node, client, peer, behind(node, theirs)).await;
        let roster = node.ledger.roster();
        let strangers: Vec<MemberCode> = heads
            .heads
            .keys()
            .filter(|m| roster.member(**m).is_none())
            .copied()
            .collect();
        if !strangers.is_empty() {
            Metrics::bump(&node.metrics.peer_rejected, 1);
            return Err(PullError::NonMembers {
                count: strangers.len(),
                first: strangers[0],
            });
        }
    }
    for (member, theirs) in &heads.heads {
        let ours = node.ledger.head(*member).map_or(0, |h| h.seq.0);
        if theirs.seq.0 > ours {
            continue;
        }
        let held = node
            .ledger
            .store()
            .entry(*member, theirs.seq)
            .ok()
            .flatten();
        if held.is_some_and(|e| e.id() != theirs.id) {
            // Same position, different entry: fetch theirs so the fork is proven.
            if let Err(e) = fetch_and_ingest(node, client, peer, *member, theirs.seq).await {
                node.peer_warnings.warn(
                    peer,
                    "fetching a conflicting entry failed",
                    format_args!("{member} {}: {e}", theirs.seq),
                );
            }
        }
    }
    let theirs = heads.heads.iter().map(|(m, h)| (*m, *h));
    stored += catch_up_feeds(node, client, peer, behind(node, theirs)).await;
    // What the peer advertised that this node still lacks: the lag `/readyz` and
    // `/metrics` report.
    let lag: u64 = behind(node, heads.heads.iter().map(|(m, h)| (*m, *h)))
        .into_iter()
        .map(|(member, seq)| seq.saturating_sub(node.ledger.head(member).map_or(0, |h| h.seq.0)))
        .fold(0u64, u64::saturating_add);
    node.metrics.peer(peer.as_str(), |s| s.behind = Some(lag));
    pull_forks(node, client, peer, &heads.forks).await?;
    Ok(stored)
}

/// The feeds of `heads` that are ahead of ours, with the position to catch up to.
fn behind(
    node: &Node,
    heads: impl Iterator<Item = (MemberCode, pacta_core::wire::Head)>,
) -> Vec<(MemberCode, u64)> {
    heads
        .filter(|(member, theirs)| theirs.seq.0 > node.ledger.head(*member).map_or(0, |h| h.seq.0))
        .map(|(member, theirs)| (member, theirs.seq.0))
        .collect()
}

/// Catches up `feeds` from `peer`, `FEEDS_AT_ONCE` at a time. A failure on one feed is
/// logged and the others go on, so a peer that fails one feed still delivers the rest
/// and its fork proofs. Returns the entries stored.
async fn catch_up_feeds(
    node: &Node,
    client: &Client,
    peer: &Url,
    feeds: Vec<(MemberCode, u64)>,
) -> u64 {
    let mut stored = 0;
    let mut caught_up = futures::stream::iter(feeds)
        .map(|(member, to)| async move { (member, catch_up(node, client, peer, member, to).await) })
        .buffer_unordered(FEEDS_AT_ONCE);
    while let Some((member, result)) = caught_up.next().await {
        match result {
            Ok(n) => stored += n,
            Err(e) => {
                node.peer_warnings
                    .warn(peer, "catching up failed", format_args!("{member}: {e}"))
            }
        }
    }
    stored
}

/// Fetches, in pages, the fork proofs `listed` (the peer's heads) that this node
/// would keep (`Ledger::wants_fork`: at a position it holds, and within the member's
/// bound), and keeps those that check out. Each page is asked for from the first
/// position still wanted, and everything before the page's `next` cursor counts as
/// answered, so a round costs at most one page per wanted proof, and at most
/// `FORKS_PER_MEMBER` are wanted per member however many the peer lists.
async fn pull_forks(
    node: &Node,
    client: &Client,
    peer: &Url,
    listed: &[pacta_core::wire::ForkSummary],
) -> Result<(), PullError> {
    let mut listed: Vec<(MemberCode, Seq)> = listed.iter().map(|f| (f.member, f.seq)).collect();
    listed.sort_unstable();
    listed.dedup();
    let mut wanted = std::collections::BTreeSet::new();
    let mut per_member: std::collections::BTreeMap<MemberCode, usize> = Default::default();
    for (member, seq) in listed {
        let count = per_member.entry(member).or_default();
        if *count < FORKS_PER_MEMBER && node.ledger.wants_fork(member, seq) {
            wanted.insert((member, seq));
            *count += 1;
        }
    }
    let mut kept = 0;
    while let Some(&(member, seq)) = wanted.first() {
        let cursor = ForkCursor { member, from: seq };
        let page: Forks =
            get_json(client, peer.join(&format!("v1/forks{}", cursor.query()))?).await?;
        if !page
            .forks
            .iter()
            .any(|f| (f.member, f.seq) == (member, seq))
        {
            Metrics::bump(&node.metrics.peer_rejected, 1);
            node.peer_warnings.warn(
                peer,
                "peer lists a fork proof it does not serve",
                format_args!("{member} {seq}"),
            );
        }
        for f in page.forks {
            // Only proofs this node would keep are decoded and checked.
            if !node.ledger.wants_fork(f.member, f.seq) {
                continue;
            }
            let [a, b] = f.entries;
            let proof = Entry::decode(&a.0)
                .and_then(|a| Entry::decode(&b.0).map(|b| (a, b)))
                .ok()
                .and_then(|(a, b)| ForkProof::from_ordered(a, b).ok())
                .filter(|p| p.member() == f.member && p.seq() == f.seq);
            let Some(proof) = proof else {
                Metrics::bump(&node.metrics.peer_rejected, 1);
                node.peer_warnings.warn(
                    peer,
                    "peer served a malformed fork proof",
                    format_args!("labelled {} {}", f.member, f.seq),
                );
                continue;
            };
            match node.ledger.add_fork(&proof) {
                Ok(true) => {
                    kept += 1;
                    node.peer_warnings.warn(
                        peer,
                        "fork proof received: the feed is disputed",
                        format_args!("{} {}", f.member, f.seq),
                    );
                }
                Ok(false) => {}
                Err(ForkRefusal::Store(e)) => return Err(PullError::Store(e)),
                Err(e) => {
                    Metrics::bump(&node.metrics.peer_rejected, 1);
                    node.peer_warnings
                        .warn(peer, "peer served a fork proof that is refused", e);
                }
            }
        }
        // Whatever the page covered, or should have, is answered for this round: a
        // cursor that does not move past the position asked for ends the round.
        match page.next {
            Some(next) if next > cursor => wanted.retain(|k| *k >= (next.member, next.from)),
            _ => wanted.clear(),
        }
    }
    if kept > 0 {
        node.ledger
            .store()
            .flush()
            .await
            .map_err(PullError::Store)?;
        node.watch.kick();
    }
    Ok(())
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
                node.peer_warnings.warn(
                    peer,
                    "peer served a page that is not the one asked for; stopping",
                    member,
                );
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
                    node.peer_warnings.warn(
                        peer,
                        "peer served a page with nothing new; stopping",
                        member,
                    );
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
                        node.peer_warnings.warn(
                            peer,
                            "peer served an entry that failed",
                            format_args!("{member}, entry {index} of the page: {other}"),
                        );
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
                node.peer_warnings.warn(
                    peer,
                    "fork detected: the feed is disputed",
                    format_args!("{} {}", fork.member, fork.seq),
                );
            }
            Err((_, _, other)) => {
                Metrics::bump(&node.metrics.peer_rejected, 1);
                node.peer_warnings.warn(
                    peer,
                    "peer served an entry that failed",
                    format_args!("{member}: {other}"),
                );
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// How long repeated warnings of one kind about one peer are held back: the first is
/// logged at once, the next one after this long, with the count of those held back.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Warnings about peers, at most one line per peer and kind of warning every
/// `WARN_EVERY`. A lying peer can cause a warning per feed or per proof on every pull:
/// logged one by one, they filled a disk at 200 MiB a minute (issue 18, finding 12).
/// The table holds one slot per configured peer and kind, so it stays small.
#[derive(Debug, Default)]
pub struct PeerWarnings {
    slots: std::sync::Mutex<std::collections::HashMap<(String, &'static str), Slot>>,
}

#[derive(Debug)]
struct Slot {
    logged: std::time::Instant,
    held_back: u64,
}

impl PeerWarnings {
    /// Logs `what` about `peer`, with `detail`, unless one like it was logged less than
    /// `WARN_EVERY` ago; then it is only counted, and the count goes with the next line.
    pub fn warn(&self, peer: &Url, what: &'static str, detail: impl std::fmt::Display) {
        if let Some(held_back) = self.admit(peer, what, std::time::Instant::now()) {
            if held_back == 0 {
                tracing::warn!(%peer, "{what}: {detail}");
            } else {
                tracing::warn!(
                    %peer,
                    held_back,
                    "{what}: {detail} (and {held_back} more like it since the last such line)"
                );
            }
        }
    }

    /// Whether to log now, and how many were held back since the last line logged.
    fn admit(&self, peer: &Url, what: &'static str, now: std::time::Instant) -> Option<u64> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        match slots.entry((peer.to_string(), what)) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(Slot {
                    logged: now,
                    held_back: 0,
                });
                Some(0)
            }
            std::collections::hash_map::Entry::Occupied(mut slot) => {
                let slot = slot.get_mut();
                if now.saturating_duration_since(slot.logged) >= WARN_EVERY {
                    slot.logged = now;
                    Some(std::mem::take(&mut slot.held_back))
                } else {
                    slot.held_back = slot.held_back.saturating_add(1);
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_warnings_about_a_peer_are_counted_not_logged() {
        let w = PeerWarnings::default();
        let (a, b) = (
            Url::parse("http://a.example/").unwrap(),
            Url::parse("http://b.example/").unwrap(),
        );
        let t = std::time::Instant::now();
        assert_eq!(w.admit(&a, "lie", t), Some(0));
        for _ in 0..1000 {
            assert_eq!(w.admit(&a, "lie", t + Duration::from_secs(1)), None);
        }
        // Another kind, or another peer, has its own slot.
        assert_eq!(w.admit(&a, "other lie", t), Some(0));
        assert_eq!(w.admit(&b, "lie", t), Some(0));
        assert_eq!(w.admit(&a, "lie", t + WARN_EVERY), Some(1000));
        assert_eq!(w.admit(&a, "lie", t + WARN_EVERY), None);
    }
}
