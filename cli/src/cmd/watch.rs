//! `pacta watch --node URL [--member CODE] [--instrument ID] [--entries] [--replay]`:
//! prints changes of status as they happen, from the node's server-sent events.
//!
//! When the connection drops it reconnects with `Last-Event-ID`, so nothing is missed
//! (the node replays what it logged meanwhile), and says so on stderr. It stops on
//! Ctrl-C, or when the node refuses the request (an unknown member, say: exit 2).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use eventsource_stream::{EventStreamError, Eventsource};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

use crate::Outcome;
use crate::client::{MAX_ANSWER, read_body};

/// The most of one event `watch` holds. The node's events are a few hundred bytes; one
/// that goes on past this comes from a node that is lying or broken, and `watch` stops
/// there with exit 2 rather than buffer it without end (issue 18, finding 14).
const MAX_EVENT: usize = 1024 * 1024;

/// Counts the bytes of the event being received: those since the last blank line,
/// which ends an event (`\n`, `\r\n` and `\r` each end a line).
#[derive(Debug)]
struct EventSize {
    bytes: usize,
    at_line_start: bool,
    after_cr: bool,
}

impl EventSize {
    fn new() -> EventSize {
        EventSize {
            bytes: 0,
            at_line_start: true,
            after_cr: false,
        }
    }

    /// Takes in `chunk`; false once the event being received is over `MAX_EVENT`.
    fn fits(&mut self, chunk: &[u8]) -> bool {
        for &b in chunk {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    if self.at_line_start {
                        self.bytes = 0;
                    }
                    self.at_line_start = true;
                    self.after_cr = b == b'\r';
                }
                _ => {
                    self.at_line_start = false;
                    self.after_cr = false;
                    self.bytes += 1;
                    if self.bytes > MAX_EVENT {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Why the event stream stopped being read.
#[derive(Debug)]
enum Cut {
    TooLarge,
    Http(reqwest::Error),
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cut::TooLarge => write!(f, "an event is larger than {MAX_EVENT} bytes"),
            Cut::Http(e) => write!(f, "{e}"),
        }
    }
}

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
            // The act that caused the change, with its legal date, beside the time
            // the node recorded it: the change of stage alone does not say what
            // happened.
            let act = data
                .get("act")
                .and_then(|a| a.get("text"))
                .and_then(Value::as_str)
                .map(|t| format!("\n    act: {t}"))
                .unwrap_or_default();
            Some(format!(
                "{}  {}{illus}{act}\n    {}",
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
    // every 15 s, so a read that waits much longer means the connection is dead. Error
    // answers are read up to `MAX_ANSWER`, events up to `MAX_EVENT`.
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
            let body = read_body(&url, resp, MAX_ANSWER).await?;
            let body = String::from_utf8_lossy(&body).into_owned();
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
        let mut size = EventSize::new();
        let mut events = resp
            .bytes_stream()
            .map(move |chunk| match chunk {
                Ok(bytes) if size.fits(&bytes) => Ok(bytes),
                Ok(_) => Err(Cut::TooLarge),
                Err(e) => Err(Cut::Http(e)),
            })
            .eventsource();
        while let Some(item) = events.next().await {
            let event = match item {
                Ok(e) => e,
                Err(EventStreamError::Transport(Cut::TooLarge)) => bail!(
                    "{url}: an event is larger than {MAX_EVENT} bytes, the most pacta reads of one event from a node; the rest was not read"
                ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_measured_from_the_last_blank_line() {
        for end in ["\n\n", "\r\n\r\n", "\r\r"] {
            let mut size = EventSize::new();
            let line = format!("data: {}\n", "x".repeat(1000));
            // Many events, each well under the cap, add up to far more than it.
            for _ in 0..3 * MAX_EVENT / 1000 {
                assert!(size.fits(line.as_bytes()), "{end:?}");
                assert!(size.fits(end.as_bytes()), "{end:?}");
            }
        }
        // One event of many short lines is one event.
        let mut size = EventSize::new();
        let over = (0..MAX_EVENT / 7 + 1).all(|_| size.fits(b"data: x\r\n"));
        assert!(!over);
        // And one line that never ends is cut at the cap, in any chunking.
        let mut size = EventSize::new();
        let chunk = vec![b' '; 64 * 1024];
        let chunks = (0..).take_while(|_| size.fits(&chunk)).count();
        assert_eq!(chunks, MAX_EVENT / chunk.len());
    }
}
