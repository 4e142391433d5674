//! The HTTP server loop: hyper's HTTP/1 on a TCP listener, with what `axum::serve` lacks
//! against hostile clients.
//!
//! - **A cap on open connections.** Past it a new connection is closed at once, so
//!   thousands of idle or half-open sockets cannot exhaust the node's file
//!   descriptors and lock out honest clients for good: they get through as soon as
//!   others close.
//! - **A header timeout.** A client must send a request's headers within
//!   [`HEADER_TIMEOUT`] of connecting or of its previous answer, including an idle
//!   keep-alive connection; a slowloris client is cut off. Once the headers are in, the
//!   router's own timeout bounds the rest of the request.
//! - **A cap on a request's head**, [`MAX_HEAD`]: a larger one gets 431.
//! - **The peer's address** on every request ([`ConnectInfo`]), for the rate limits.
//!
//! Shutdown is graceful: the listener stops, open requests finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::metrics::Metrics;
use crate::node::Node;

/// Longest wait for a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head (request line and headers) read, in bytes.
pub const MAX_HEAD: usize = 64 * 1024;
/// Default cap on open connections (lowered to fit the file-descriptor limit).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// File descriptors kept for the store, peers and the process itself.
const RESERVED_FDS: u64 = 256;
/// Longest graceful shutdown before open connections are dropped.
const DRAIN: Duration = Duration::from_secs(10);

/// Raises the soft limit on open files to the hard limit, and returns how many
/// connections fit under it (at most `wanted`).
pub fn connection_cap(wanted: usize) -> usize {
    let fds = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let fit = fds.saturating_sub(RESERVED_FDS).max(16);
    wanted.min(usize::try_from(fit).unwrap_or(usize::MAX))
}

/// Serves `app` on `listener` with at most `max_connections` open connections, until
/// `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    max_connections: usize,
    node: Arc<Node>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        // Request heads larger than this get 431; bodies stream through it.
        .max_header_size(MAX_HEAD);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before accept:
                    // wait a little rather than spin, and keep serving.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            Metrics::bump(&node.metrics.connections_refused, 1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(addr));
                req.map(axum::body::Body::new)
            });
        let conn =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%addr, "connection ended: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish within {DRAIN:?}; dropping them");
    }
}

/// The address a request came from, when it came over a socket.
pub fn peer_of(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}
