//! `pacta watch --node URL [--member CODE] [--instrument ID] [--entries] [--replay]`:
//! prints changes of status as they happen, from the node's server-sent events.
//!
//! When the connection drops it reconnects with `Last-Event-ID`, so nothing is missed
//! (the node replays what it logged meanwhile), and says so on stderr. It stops on
//! Ctrl-C, or when the node refuses the request (an unknown member, say: exit 2).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

use crate::Outcome;

#[derive(Debug)]
pub struct Query {
    pub member: Option<String>,
    pub instrument: Option<String>,
    /// Print new entries too, not only changes of status.
    pub entries: bool,
    /// Start from the node's first event rather than from now.
    pub replay: bool,
    /// Stop after this many printed events (for scripts and tests).
    pub count: Option<u64>,
}

/// One printed line for an event, or `None` if it is not to be printed.
fn line(event: &str, data: &Value, entries: bool) -> Option<String> {
    let s = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("");
    match event {
        "status" => {
            let illus = if data.get("illustrative").and_then(Value::as_bool) == Some(true) {
                " [illustrative]"
            } else {
                ""
            };
            Some(format!(
                "{}  {}{illus}\n    {}",
                s("seen"),
                s("summary"),
                s("headline")
            ))
        }
        "entry" if entries => Some(format!(
            "{}  new entry {} #{} ({}) {}",
            s("time"),
            s("member"),
            data.get("seq").and_then(Value::as_u64).unwrap_or(0),
            s("kind"),
            s("id")
        )),
        _ => None,
    }
}

pub async fn run(node: &str, query: Query) -> Result<Outcome> {
    let mut url = url::Url::parse(node).with_context(|| format!("--node {node:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("--node {node:?} is not an http:// or https:// URL");
    }
    url.set_path("/v1/events");
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        if let Some(m) = &query.member {
            q.append_pair("member", m);
        }
        if let Some(i) = &query.instrument {
            q.append_pair("instrument", i);
        }
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    // No overall timeout: the stream is meant to stay open. The node sends a comment
    // every 15 s, so a read that waits much longer means the connection is dead.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(45))
        .build()
        .context("building the HTTP client")?;

    let mut last: Option<String> = query.replay.then(|| "0".to_owned());
    let mut printed = 0u64;
    let mut backoff = Duration::from_millis(250);
    let mut announced = false;
    loop {
        let mut req = http.get(url.clone()).header("accept", "text/event-stream");
        if let Some(id) = &last {
            req = req.header("last-event-id", id);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if !announced => bail!("cannot reach {url}: {e}"),
            Err(e) => {
                eprintln!(
                    "pacta watch: {e}; retrying in {:.1} s",
                    backoff.as_secs_f64()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        let status = resp.status();
        if status != StatusCode::OK {
            let body = resp.text().await.unwrap_or_default();
            let detail = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or(body);
            bail!("{url}: HTTP {status}: {detail}");
        }
        if announced {
            eprintln!(
                "pacta watch: reconnected; resuming after event {}",
                last.as_deref().unwrap_or("(none)")
            );
        } else {
            eprintln!("pacta watch: following {url} (Ctrl-C to stop)");
            announced = true;
        }
        backoff = Duration::from_millis(250);
        let mut events = resp.bytes_stream().eventsource();
        while let Some(item) = events.next().await {
            let event = match item {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("pacta watch: the stream broke: {e}");
                    break;
                }
            };
            if !event.id.is_empty() {
                last = Some(event.id.clone());
            }
            let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
                eprintln!("pacta watch: event {} is not JSON; skipped", event.id);
                continue;
            };
            if let Some(text) = line(&event.event, &data, query.entries) {
                println!("{text}");
                printed += 1;
                if query.count.is_some_and(|n| printed >= n) {
                    return Ok(Outcome::Valid);
                }
            }
        }
        eprintln!("pacta watch: disconnected from {url}; reconnecting");
        tokio::time::sleep(backoff).await;
    }
}
