//! A TCP proxy the test controls, to cut, slow and heal the link between two real
//! nodes.
//!
//! Each proxy forwards one direction of one link (node A's requests to node B). Cutting
//! it refuses new connections and tears down the open ones, so pooled HTTP
//! connections die too: a real partition, not a flag the node can see. Slowing it
//! delays every chunk of bytes, both ways, by a set time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: failing loudly is the point"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy: `url()` is where to send requests meant for the target.
#[derive(Debug)]
pub struct Proxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    /// Milliseconds each chunk waits before it is forwarded.
    delay_ms: Arc<AtomicU64>,
    /// Bumped on every cut, so open connections notice and close.
    epoch: watch::Sender<u64>,
}

impl Proxy {
    /// Starts a proxy on a free port of 127.0.0.1 that forwards to `target_port`.
    pub async fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let (epoch, _) = watch::channel(0u64);
        let (flag, mut cuts) = (cut.clone(), epoch.subscribe());
        let delay = delay_ms.clone();
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                if flag.load(Ordering::SeqCst) {
                    drop(inbound); // refused: the link is down
                    continue;
                }
                cuts.mark_unchanged();
                let mut cuts = cuts.clone();
                let delay = delay.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(("127.0.0.1", target_port)).await else {
                        return;
                    };
                    let (in_read, in_write) = inbound.into_split();
                    let (out_read, out_write) = outbound.into_split();
                    tokio::select! {
                        _ = pump(in_read, out_write, delay.clone()) => {}
                        _ = pump(out_read, in_write, delay) => {}
                        _ = cuts.changed() => {} // cut: drop both sides
                    }
                });
            }
        });
        Proxy {
            port,
            cut,
            delay_ms,
            epoch,
        }
    }

    /// Delays every chunk by `delay` from now on (zero: full speed again).
    pub fn slow(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Cuts the link: open connections close, new ones are dropped.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.epoch.send_modify(|e| *e += 1);
    }

    pub fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Copies one direction of a connection, each chunk after the current delay.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    delay_ms: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let ms = delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
