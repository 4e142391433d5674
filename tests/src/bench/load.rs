//! Load generation and latency statistics.
//!
//! The read load is generated with hyper's bare HTTP/1.1 connections (keep-alive, one
//! request in flight per connection), as wrk does: a full client such as reqwest costs
//! more CPU per request than the node's answer, and on a 2-core machine the client's
//! cost is taken from the server being measured.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// The p-th quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// What a load run saw.
#[derive(Debug, Clone)]
pub struct Load {
    pub requests: u64,
    /// Answers other than 200, and failed connections.
    pub errors: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub bytes: u64,
}

impl Load {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// `connections` keep-alive connections each sending `GET path` back to back for
/// `duration`.
pub async fn hammer(addr: SocketAddr, path: &str, connections: usize, duration: Duration) -> Load {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let path = path.to_owned();
            tokio::spawn(async move { one_connection(addr, &path, deadline).await })
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut errors, mut bytes) = (0, 0);
    for task in tasks {
        match task.await {
            Ok((lat, e, b)) => {
                latencies.extend(lat);
                errors += e;
                bytes += b;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Load {
        requests: latencies.len() as u64,
        errors,
        elapsed,
        p50: quantile(&latencies, 0.5),
        p99: quantile(&latencies, 0.99),
        bytes,
    }
}

async fn one_connection(
    addr: SocketAddr,
    path: &str,
    deadline: Instant,
) -> (Vec<Duration>, u64, u64) {
    let mut latencies = Vec::new();
    let (mut errors, mut bytes) = (0, 0);
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return (latencies, 1, 0);
    };
    let _ = stream.set_nodelay(true);
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return (latencies, 1, 0);
    };
    tokio::spawn(conn);
    while Instant::now() < deadline {
        let Ok(request) = Request::get(path)
            .header(hyper::header::HOST, addr.to_string())
            .body(Empty::<Bytes>::new())
        else {
            return (latencies, errors + 1, bytes);
        };
        let sent = Instant::now();
        let Ok(response) = sender.send_request(request).await else {
            return (latencies, errors + 1, bytes);
        };
        let ok = response.status() == hyper::StatusCode::OK;
        match response.into_body().collect().await {
            Ok(body) if ok => {
                bytes += body.to_bytes().len() as u64;
                latencies.push(sent.elapsed());
            }
            _ => errors += 1,
        }
    }
    (latencies, errors, bytes)
}

/// This process's view of another's memory: (resident now, peak resident), in bytes,
/// from `/proc/PID/status`.
pub fn rss(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Bytes of disk allocated to the files under `dir` (what `du` counts).
pub fn disk_use(dir: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in read.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(entry.path()),
                Ok(m) => total += m.blocks() * 512,
                Err(_) => {}
            }
        }
    }
    total
}
