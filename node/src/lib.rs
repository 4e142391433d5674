//! # pacta-node
//!
//! A member's node: it stores every member's feed, verifies every entry it receives,
//! serves the ledger over HTTP, and replicates with its peers. It never signs entries.
//!
//! # Layout
//!
//! - [`backup`]: backup, restore and import of a store.
//! - [`clock`]: the node's clock and the tolerance for signed times ahead of it.
//! - [`config`]: flags and the config file.
//! - [`datadir`]: the data folder's permissions and lock.
//! - [`store`]: the only module that touches sled; what is durable, and when.
//! - [`ledger`]: tips and fork positions in memory, and the one rule that accepts an
//!   entry.
//! - [`node`]: a running node: submission with flush-before-acknowledge, push queues.
//! - [`api`]: the HTTP API (axum), `app(node)`.
//! - [`serve`]: the server loop: a cap on connections, a header timeout.
//! - [`proxy`]: the client's address behind a trusted reverse proxy.
//! - [`starting`]: what the socket answers while the store is being checked.
//! - [`tls`]: HTTPS, with the certificate reloaded on SIGHUP.
//! - [`limits`]: rate limits per client address.
//! - [`replicate`]: push on accept, pull on start-up and on a timer.
//! - [`watch`]: the status kept up to date as entries arrive, and the event log.
//! - [`web`]: what watchers read: the status page, timelines, Atom, SSE, JSON.
//! - [`witness`]: checkpoints: signing, collecting cosignatures, cosigning peers'.
//! - [`metrics`]: the Prometheus counters.

#![forbid(unsafe_code)]

pub mod api;
pub mod backup;
pub mod clock;
pub mod config;
pub mod datadir;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod node;
pub mod proxy;
pub mod replicate;
pub mod serve;
pub mod starting;
pub mod store;
pub mod tls;
pub mod watch;
pub mod web;
pub mod witness;

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub use config::Config;
use ledger::Ledger;
use metrics::Metrics;
use node::Node;
use store::{Check, Store};

/// Bytes of entries each peer's push queue may hold before batches are dropped.
const PUSH_BUDGET: usize = 64 * 1024 * 1024;

/// A node with no peers and no node key, its store in `data`, for in-process use:
/// tests drive its router (`api::app`) directly. Call
/// [`watch::Watch::catch_up`] after submitting, as the watch task would.
pub async fn standalone(
    roster: Arc<pacta_core::Roster>,
    member: pacta_core::MemberCode,
    data: &std::path::Path,
) -> Result<Arc<Node>> {
    let (network, limit) = (roster.network_id(), roster.feed_limit());
    let dir = data.to_owned();
    let (store, mut recovered) =
        tokio::task::spawn_blocking(move || Store::open(&dir, network, limit, Check::Fast))
            .await
            .context("opening the store")??;
    let legal = std::mem::take(&mut recovered.legal);
    let ledger = Arc::new(Ledger::new(roster, store, recovered));
    let watcher = {
        let ledger = ledger.clone();
        tokio::task::spawn_blocking(move || watch::Watch::open(ledger, &legal))
            .await
            .context("opening the watch")??
    };
    Ok(Arc::new(Node {
        member,
        ledger,
        metrics: Metrics::default(),
        push: Vec::new(),
        witness: None,
        watch: watcher,
        limits: limits::Limits::off(),
        peer_warnings: replicate::PeerWarnings::default(),
        ready_lag: config::DEFAULT_READY_LAG,
        trusted_proxies: Vec::new(),
    }))
}

/// How [`run`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// `shutdown` completed; the store was flushed and sealed.
    Shutdown,
    /// The store failed, and there is room again to open it: the caller starts the
    /// node afresh (`main.rs`, `restart.rs`). Says why it failed.
    Restart(String),
}

/// Runs a node on an already-bound listener until `shutdown` completes, then stops its
/// replication and flushes its store; or until its store has failed and there is room
/// to open it again.
/// `announce` is called with the address once the store is open and checked, just
/// before the node serves (`pacta-node` prints its "serving" line then).
pub async fn run(
    listener: TcpListener,
    config: Config,
    announce: impl FnOnce(std::net::SocketAddr) + Send,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Stopped> {
    let (network, limit) = (config.roster.network_id(), config.roster.feed_limit());
    // Before anything else, so that a bad certificate stops the node at once.
    let tls = match &config.tls {
        Some(files) => Some(Arc::new(tls::Tls::load(files.clone())?)),
        None => None,
    };
    // Held until the node stops: no second process may open this store.
    let _lock = datadir::lock(&config.data)?;
    // While the store is checked (seconds for a large one, or after a crash), the
    // socket answers: alive, not ready. Over plain HTTP only: with TLS, connections
    // wait in the socket's backlog meanwhile.
    let (listener, starting) = match tls {
        None => {
            let (listener, starting) = starting::serve(listener)?;
            (listener, Some(starting))
        }
        Some(_) => (listener, None),
    };
    let data = config.data.clone();
    let check = config.check_store;
    let opened = tokio::task::spawn_blocking(move || Store::open(&data, network, limit, check))
        .await
        .context("opening the store");
    if let Some(starting) = starting {
        starting.stop().await;
    }
    let (store, mut recovered) = opened??;
    let store = store.with_reserve(config.store_reserve);
    tracing::info!(
        member = %config.member,
        entries = recovered.entries,
        feeds = recovered.tips.len(),
        forks = recovered.forks.len(),
        "store checked"
    );
    let legal = std::mem::take(&mut recovered.legal);
    let ledger = Arc::new(Ledger::new(config.roster.clone(), store.clone(), recovered));
    let watcher = {
        let ledger = ledger.clone();
        tokio::task::spawn_blocking(move || watch::Watch::open(ledger, &legal))
            .await
            .context("opening the watch")??
    };

    let mut queues = Vec::new();
    let mut push = Vec::new();
    for peer in &config.peers {
        let (tx, rx) = mpsc::unbounded_channel();
        push.push(node::PushQueue {
            tx,
            budget: Arc::new(tokio::sync::Semaphore::new(PUSH_BUDGET)),
        });
        queues.push((peer.clone(), rx));
    }
    let client = replicate::client_trusting(&config.ca).context("building the HTTP client")?;
    let witness = match &config.node_key {
        Some(key) => Some(Arc::new(witness::Witness::open(
            config.roster.clone(),
            config.member,
            key.clone(),
            witness::RecordPaths::of(&config.data)?,
            store.signed_at()?,
            config.peers.clone(),
            client.clone(),
        )?)),
        None => None,
    };
    let node = Arc::new(Node {
        member: config.member,
        ledger,
        metrics: Metrics::default(),
        push,
        witness: witness.clone(),
        watch: watcher.clone(),
        limits: limits::Limits::sized(
            config.write_rate,
            config.read_rate,
            limits::Capacity {
                connections: serve::connection_cap(config.max_connections),
                streams: config.max_streams,
                share: config.address_share,
            },
        ),
        peer_warnings: replicate::PeerWarnings::default(),
        ready_lag: config.ready_lag,
        trusted_proxies: config.trusted_proxies.clone(),
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stopped_for_hup = stopped.clone();
    let (restart, restart_wanted) = tokio::sync::oneshot::channel();
    let mut tasks = vec![
        tokio::spawn(forget_idle_clients(node.clone(), stopped.clone())),
        tokio::spawn(watch_store(store.clone(), restart, stopped.clone())),
    ];
    tasks.extend(replicate::spawn(
        node.clone(),
        queues,
        config.pull_interval,
        client,
        stopped.clone(),
    ));
    tasks.push(tokio::spawn(watch::run(watcher, stopped.clone())));
    if let Some(witness) = witness {
        tasks.push(tokio::spawn(witness::run(
            witness,
            node.clone(),
            config.checkpoint_interval,
            stopped,
        )));
    }

    let addr = listener.local_addr()?;
    let (connections, streams) = (&node.limits.connections, &node.limits.streams);
    tracing::info!(
        %addr,
        member = %config.member,
        network = %config.roster.network_name(),
        max_connections = connections.total(),
        per_address = connections.share(),
        max_streams = streams.total(),
        streams_per_address = streams.share(),
        "serving"
    );
    // Where a backup taken while the node runs finds it (`backup.rs`).
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    if let Err(e) = witness::write_durably(
        &config.data.join(backup::SERVING),
        format!("{scheme}://{addr}\n").as_bytes(),
    ) {
        tracing::warn!(
            "cannot write {}: {e}",
            config.data.join(backup::SERVING).display()
        );
    }
    announce(addr);
    let (stop_serving, serving_stopped) = tokio::sync::oneshot::channel::<()>();
    let ended = tokio::spawn(async move {
        let reason = tokio::select! {
            () = shutdown => None,
            reason = restart_wanted => reason.ok(),
        };
        let _ = stop_serving.send(());
        reason
    });
    let until = async move {
        let _ = serving_stopped.await;
    };
    tasks.push(tokio::spawn(reload_until(tls.clone(), stopped_for_hup)));
    serve::serve(listener, api::app(node.clone()), node, tls, until).await;
    let restart_for = ended.await.ok().flatten();

    let _ = stop.send(true);
    if let Some(reason) = restart_for {
        // The store cannot be flushed or sealed: a task may wait on it for ever. What
        // was acknowledged is durable already; the next start checks it.
        for task in tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), task).await;
        }
        return Ok(Stopped::Restart(reason));
    }
    for task in tasks {
        let _ = task.await;
    }
    store.flush().await?;
    // Once every handle on the store is gone and sled has let go of its files, their
    // fingerprint goes into the store's record, so the next start need not copy them.
    let closer = store.closer();
    drop(store);
    match tokio::task::spawn_blocking(move || closer.seal(std::time::Duration::from_secs(10))).await
    {
        Ok(Ok(true)) => tracing::info!("stopped cleanly"),
        Ok(Ok(false)) => tracing::warn!(
            "stopped; the store is still held open, so it is left unsealed and the next start copies it before opening it"
        ),
        Ok(Err(e)) => tracing::warn!("stopped; the store could not be sealed: {e}"),
        Err(e) => tracing::warn!("stopped; the store could not be sealed: {e}"),
    }
    Ok(Stopped::Shutdown)
}

/// Every second, marks the store failed if a write of it has stalled
/// ([`Store::check_stall`]); once it has failed, asks for a restart in place as soon
/// as there is room to open it again, and says meanwhile, once a minute, why not yet.
async fn watch_store(
    store: Store,
    restart: tokio::sync::oneshot::Sender<String>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut said: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
        if !store.check_stall() {
            continue;
        }
        let reason = store.failed().map(|f| f.reason).unwrap_or_default();
        match store.room_to_reopen() {
            Ok(()) => {
                let _ = restart.send(reason);
                return;
            }
            Err(low) => {
                if said.is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(60)) {
                    said = Some(std::time::Instant::now());
                    tracing::warn!(
                        "the store failed ({reason}); the node restarts in place once there is room to open it again, and not yet: {low}"
                    );
                }
            }
        }
    }
}

/// Reloads the certificate on SIGHUP until the node stops.
async fn reload_until(tls: Option<Arc<tls::Tls>>, mut stopped: tokio::sync::watch::Receiver<bool>) {
    tokio::select! {
        _ = stopped.changed() => {}
        () = tls::reload_on_sighup(tls) => {}
    }
}

/// Every minute, drops the rate-limit state of clients whose budget has refilled, so
/// the tables hold only recently active addresses.
async fn forget_idle_clients(node: Arc<Node>, mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => node.limits.forget_idle(),
        }
    }
}
