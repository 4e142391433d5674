//! `GET /v1/events`: server-sent events of new entries (`event: entry`) and changes of
//! status (`event: status`), numbered by the node's event log.
//!
//! A client that reconnects sends the last number it saw as `Last-Event-ID` (browsers'
//! `EventSource` does this by itself; `?after=N` does the same by hand) and first gets
//! everything logged since, from the store, then the live events. It subscribes before
//! reading the backlog, and the watch task logs an event before broadcasting it, so
//! nothing falls between the two; a subscriber that falls too far behind the live
//! broadcast re-reads from the store. Numbers are this node's: another node numbers
//! its own log.
//!
//! Streams are a pool of their own ([`crate::limits::Limits::streams`]): past its
//! share an address gets 429 `too-many-streams`, past the node's cap everyone gets
//! 503, so streams never take every connection, nor one host all the streams.
//!
//! `?member=CODE` and `?instrument=ID` keep only the events about that member or
//! instrument (an entry event is about its author and the instrument it names).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use pacta_core::ids::{EntryId, MemberCode};
use tokio::sync::broadcast;

use super::{json_problem, known_member};
use crate::limits::Hold;
use crate::node::Node;
use crate::watch::Event;

/// Events read from the store per page of backlog.
const BACKLOG_PAGE: usize = 1_000;

struct Filter {
    member: Option<MemberCode>,
    instrument: Option<EntryId>,
}

impl Filter {
    fn keeps(&self, e: &Event) -> bool {
        self.member.is_none_or(|m| e.member == Some(m))
            && self.instrument.is_none_or(|i| e.instrument == Some(i))
    }
}

struct Cursor {
    node: Arc<Node>,
    live: broadcast::Receiver<Arc<Event>>,
    /// The last event number sent (or skipped by the filter).
    last: u64,
    /// Read the store before waiting on the live broadcast.
    catch_up: bool,
    queue: VecDeque<Arc<Event>>,
    filter: Filter,
    /// This stream's place in the stream pool, given back when the stream ends.
    _slot: Hold,
}

impl Cursor {
    async fn next(&mut self) -> Option<Arc<Event>> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                if e.number <= self.last {
                    continue;
                }
                self.last = e.number;
                if self.filter.keeps(&e) {
                    return Some(e);
                }
                continue;
            }
            if self.catch_up {
                let node = self.node.clone();
                let after = self.last;
                let (page, highest) = tokio::task::spawn_blocking(move || {
                    node.watch.events_after(after, BACKLOG_PAGE)
                })
                .await
                .ok()?
                .ok()?;
                // Done when nothing more is published; a record that does not decode
                // is passed over without ending the catch-up.
                match highest {
                    None => self.catch_up = false,
                    Some(h) if page.is_empty() => self.last = self.last.max(h),
                    Some(_) => {}
                }
                self.queue.extend(page.into_iter().map(Arc::new));
                continue;
            }
            match self.live.recv().await {
                Ok(e) => self.queue.push_back(e),
                Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

pub async fn stream(
    State(node): State<Arc<Node>>,
    client: Option<axum::Extension<ConnectInfo<std::net::SocketAddr>>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    for key in query.keys() {
        if !["member", "instrument", "after"].contains(&key.as_str()) {
            return json_problem(
                StatusCode::BAD_REQUEST,
                "bad-query",
                format!(
                    "unknown query parameter {key:?}; /v1/events takes member, instrument and after"
                ),
            );
        }
    }
    let member = match query.get("member") {
        None => None,
        Some(raw) => match known_member(&node, raw) {
            Ok(c) => Some(c),
            Err(e) => {
                return json_problem(StatusCode::BAD_REQUEST, "bad-query", format!("member: {e}"));
            }
        },
    };
    let instrument = match query.get("instrument") {
        None => None,
        Some(raw) => {
            let snap = node.watch.snapshot();
            match raw
                .parse::<EntryId>()
                .ok()
                .or_else(|| snap.status.find(raw).ok().map(|i| i.id))
            {
                Some(id) => Some(id),
                None => {
                    return json_problem(
                        StatusCode::BAD_REQUEST,
                        "bad-query",
                        format!(
                            "instrument: {raw:?} is neither an entry id nor a registered instrument's short name"
                        ),
                    );
                }
            }
        }
    };
    let header_id = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("\u{fffd}").to_owned());
    let (source, raw_after) = match (header_id, query.get("after")) {
        (Some(h), _) => ("Last-Event-ID", Some(h)),
        (None, Some(a)) => ("after", Some(a.clone())),
        (None, None) => ("", None),
    };
    let addr = client.map(|axum::Extension(ConnectInfo(a))| a.ip());
    let slot = match node.limits.streams.take(addr, 1) {
        Ok(slot) => slot,
        Err(full) => {
            return crate::api::pool_full(full, "too-many-streams", "event streams", |n| {
                format!("{n} open")
            });
        }
    };
    let live = node.watch.subscribe();
    let newest = node.watch.snapshot().last_event;
    let (last, catch_up) = match raw_after {
        // A new subscriber starts from now.
        None => (newest, false),
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if n <= newest => (n, true),
            Ok(n) => {
                return json_problem(
                    StatusCode::BAD_REQUEST,
                    "bad-event-id",
                    format!(
                        "{source} {n} is ahead of this node's last event ({newest}): event numbers are per node; reconnect without it, or to the node that gave it"
                    ),
                );
            }
            Err(_) => {
                return json_problem(
                    StatusCode::BAD_REQUEST,
                    "bad-event-id",
                    format!(
                        "{source} {raw:?} is not an event number (a whole number this node sent as `id:`)"
                    ),
                );
            }
        },
    };
    let cursor = Cursor {
        node,
        live,
        last,
        catch_up,
        queue: VecDeque::new(),
        filter: Filter { member, instrument },
        _slot: slot,
    };
    let stream = futures::stream::unfold(cursor, |mut c| async move {
        let e = c.next().await?;
        let sse = SseEvent::default()
            .id(e.number.to_string())
            .event(e.name)
            .data(e.data.clone());
        Some((Ok::<_, Infallible>(sse), c))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
