//! `cargo bench -p pacta-tests --bench network`: real release-built `pacta-node`
//! processes on 127.0.0.1, measured against this machine's own Ed25519 rate.
//!
//! Measures, in one run:
//! - the bound: Ed25519 `verify_strict` per second, one core and all cores;
//! - durable ingest into one node, in batches of 1000, entries/s;
//! - durable ingest of single entries from one concurrent client per member, with
//!   p50 and p99 latency;
//! - propagation: submission to one node of a 5-node mesh until every node holds the
//!   entry, p50 and p99.
//!
//! No figure here is asserted; the point is to report what this machine does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness"
)]

use std::time::{Duration, Instant};

use pacta_core::entry::Entry;
use pacta_core::synth::synth;
use pacta_core::wire::{HexBytes, Submit};
use pacta_tests::net::*;
use rayon::prelude::*;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn bound() -> (f64, f64) {
    let key = key("FR");
    let public = key.public();
    let msgs: Vec<Vec<u8>> = (0..20_000u32).map(|i| i.to_be_bytes().repeat(40)).collect();
    let sigs: Vec<[u8; 64]> = msgs.iter().map(|m| key.sign(m)).collect();
    let t = Instant::now();
    for (m, s) in msgs.iter().zip(&sigs).take(5000) {
        assert!(public.verify(m, s));
    }
    let one = 5000.0 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    msgs.par_iter()
        .zip(&sigs)
        .for_each(|(m, s)| assert!(public.verify(m, s)));
    let all = 20_000.0 / t.elapsed().as_secs_f64();
    (one, all)
}

#[tokio::main]
async fn main() {
    let (one, all) = bound();
    println!(
        "bound: Ed25519 verify_strict {one:.0}/s on one core, {all:.0}/s on {} cores",
        rayon::current_num_threads()
    );

    let roster = roster();
    let keys = roster
        .members()
        .map(|m| (m.code, key(m.code.as_str())))
        .collect();
    let n = 50_000;
    let feeds = synth(&roster, &keys, n).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Batched ingest.
    let node = NodeProc::start(
        "FR",
        free_port(),
        &dir.path().join("batched"),
        &[],
        3_600_000,
    );
    let url = node.url();
    let batches: Vec<Vec<&Entry>> = feeds
        .iter()
        .flat_map(|f| f.entries.chunks(1000).map(|c| c.iter().collect()))
        .collect();
    let t = Instant::now();
    for b in &batches {
        let (status, body) = post(&url, b).await;
        assert_eq!(status, 200, "{body}");
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "durable ingest, batches of 1000: {rate:.0} entries/s ({:.0} % of the all-core verify rate; signatures are checked on all cores)",
        100.0 * rate / all
    );
    drop(node);

    // Single entries, one client per member, concurrently.
    let node = NodeProc::start(
        "FR",
        free_port(),
        &dir.path().join("single"),
        &[],
        3_600_000,
    );
    let url = node.url();
    let per = 100;
    let t = Instant::now();
    let tasks: Vec<_> = feeds
        .iter()
        .map(|f| {
            let entries: Vec<Entry> = f.entries.iter().take(per).cloned().collect();
            let url = url.clone();
            tokio::spawn(async move {
                let client = http();
                let mut lat = Vec::new();
                for e in entries {
                    let body = Submit {
                        entries: vec![HexBytes(e.as_bytes().to_vec())],
                    };
                    let s = Instant::now();
                    let r = client
                        .post(format!("{url}/v1/entries"))
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    lat.push(s.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat = Vec::new();
    for task in tasks {
        lat.extend(task.await.unwrap());
    }
    let elapsed = t.elapsed();
    lat.sort();
    println!(
        "durable ingest, single entries, {} concurrent clients: {:.0} entries/s, p50 {}, p99 {}",
        feeds.len(),
        lat.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
    drop(node);

    // Propagation across a 5-node mesh.
    let nodes = mesh(
        &dir.path().join("mesh"),
        &["FR", "GB", "UA", "DE", "US"],
        1000,
    );
    let urls: Vec<String> = nodes.iter().map(NodeProc::url).collect();
    let mut author = Author::new("UA");
    let client = http();
    let mut times = Vec::new();
    for i in 0..200 {
        let e = author.next(&format!("propagation {i}"));
        let t = Instant::now();
        assert_eq!(post(&urls[i % urls.len()], &[&e]).await.0, 200);
        for u in &urls {
            loop {
                let h: pacta_core::wire::Heads = client
                    .get(format!("{u}/v1/heads"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if h.heads.get(&code("UA")).is_some_and(|x| x.seq == e.seq()) {
                    break;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "propagation to all of 5 nodes (push, 200 entries): p50 {}, p99 {}, max {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
}
