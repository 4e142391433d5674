//! The HTTP server loop: hyper's HTTP/1 on a TCP listener, with what `axum::serve` lacks
//! against hostile clients.
//!
//! - **A cap on open connections**, and a share of it per address
//!   ([`crate::limits::Limits::connections`]). Past either a new connection is closed
//!   at once, so thousands of idle or half-open sockets cannot exhaust the node's file
//!   descriptors, and one host cannot take every slot from the others.
//! - **A header timeout.** A client must send a request's headers within
//!   [`HEADER_TIMEOUT`] of connecting or of its previous answer, including an idle
//!   keep-alive connection; a slowloris client is cut off. Once the headers are in, the
//!   router's own timeout bounds the rest of the request.
//! - **A cap on a request's head**, [`MAX_HEAD`]: a larger one gets 431.
//! - **A write timeout.** An answer the client does not read for [`WRITE_TIMEOUT`]
//!   (no byte of it accepted by the socket) is dropped with its connection, so what a
//!   slow reader holds is held for a bounded time (nginx's `send_timeout`).
//! - **The peer's address** on every request ([`ConnectInfo`]), for the rate limits.
//!
//! Shutdown is graceful: the listener stops, open requests finish.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tower::ServiceExt;

use crate::metrics::Metrics;
use crate::node::Node;

/// Longest wait for a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a write to a client may wait without progress before the connection is
/// dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(20);
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

/// A client's socket whose writes fail once they have made no progress for
/// [`WRITE_TIMEOUT`].
struct WriteTimeout {
    stream: TcpStream,
    /// Armed when a write first waits; disarmed by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteTimeout {
    fn progress<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let timer = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(WRITE_TIMEOUT)));
                ready!(timer.as_mut().poll(cx));
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the client read nothing of the answer for {WRITE_TIMEOUT:?}"),
                )))
            }
        }
    }
}

impl AsyncRead for WriteTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.progress(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.progress(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.progress(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener`, with at most as many open connections as the node's
/// connection pool allows (in all and per address), until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    node: Arc<Node>,
    tls: Option<Arc<crate::tls::Tls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
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
        let Ok(slot) = node.limits.connections.take(Some(addr.ip()), 1) else {
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
        let stream = WriteTimeout {
            stream,
            stalled: None,
        };
        let service = TowerToHyperService::new(service);
        let Some(tls) = &tls else {
            let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(%addr, "connection ended: {e}");
                }
                drop(slot);
            });
            continue;
        };
        // The handshake is bounded like a request's head, so a client that never
        // finishes it holds its slot no longer than a slowloris would.
        let (acceptor, builder, watcher) = (tls.acceptor(), builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            match tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(%addr, "connection ended: {e}");
                    }
                }
                Ok(Err(e)) => tracing::debug!(%addr, "TLS handshake failed: {e}"),
                Err(_) => {
                    tracing::debug!(%addr, "TLS handshake took longer than {HEADER_TIMEOUT:?}")
                }
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
