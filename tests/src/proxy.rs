//! A TCP proxy the test controls, to cut and heal the link between two real nodes.
//!
//! Each proxy forwards one direction of one link (node A's requests to node B). Cutting
//! it refuses new connections and tears down the open ones, so pooled HTTP
//! connections die too: a real partition, not a flag the node can see.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: failing loudly is the point"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy: `url()` is where to send requests meant for the target.
#[derive(Debug)]
pub struct Proxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    /// Bumped on every cut, so open connections notice and close.
    epoch: watch::Sender<u64>,
}

impl Proxy {
    /// Starts a proxy on a free port of 127.0.0.1 that forwards to `target_port`.
    pub async fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let (epoch, _) = watch::channel(0u64);
        let (flag, mut cuts) = (cut.clone(), epoch.subscribe());
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
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target_port)).await
                    else {
                        return;
                    };
                    let mut inbound = inbound;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cuts.changed() => {} // cut: drop both sides
                    }
                });
            }
        });
        Proxy { port, cut, epoch }
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
