//! A lying peer for the fault harness: it relays a real node's answers, and on most
//! requests lies about them, in turn: forged signatures, reordered, truncated or
//! mislabelled pages, heads far ahead or of another network, fork proofs that do not
//! verify, garbage, answers slower than any timeout, and bodies that never end.
//!
//! Honest nodes list it as a peer like any other. Whatever they store from it must be
//! exactly what the honest node it relays holds; anything else is a defence that
//! failed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: failing loudly is the point"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pacta_core::entry::Entry;
use pacta_core::ids::{EntryId, NetworkId, Seq};
use pacta_core::wire::{FeedPage, ForkEntries, Forks, Heads, HexBytes};

/// The lies, in the order the liar tells them.
const LIES: u64 = 10;

#[derive(Clone)]
struct Liar {
    upstream: String,
    client: reqwest::Client,
    turn: Arc<AtomicU64>,
    told: Arc<AtomicU64>,
}

/// A running liar.
#[derive(Debug)]
pub struct LyingPeer {
    pub url: String,
    told: Arc<AtomicU64>,
}

impl LyingPeer {
    /// Starts a liar relaying the node at `upstream`.
    pub async fn start(upstream: String) -> LyingPeer {
        let told = Arc::new(AtomicU64::new(0));
        let liar = Liar {
            upstream,
            client: crate::fault::client(Duration::from_secs(10)),
            turn: Arc::new(AtomicU64::new(0)),
            told: told.clone(),
        };
        let app = axum::Router::new()
            .route("/v1/heads", get(heads))
            .route("/v1/feeds/{member}", get(feed))
            .route("/v1/forks", get(forks))
            .route("/v1/entries", post(|| async { "{\"accepted\": 7}" }))
            .route(
                "/v1/checkpoint/cosign",
                post(|| async { "not a signature" }),
            )
            .with_state(liar);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        LyingPeer { url, told }
    }

    /// How many lies it has told.
    pub fn lies_told(&self) -> u64 {
        self.told.load(Ordering::Relaxed)
    }
}

impl Liar {
    /// The next lie to tell; 0 is the truth.
    fn next(&self) -> u64 {
        let lie = self.turn.fetch_add(1, Ordering::Relaxed) % LIES;
        if lie != 0 {
            self.told.fetch_add(1, Ordering::Relaxed);
        }
        lie
    }

    async fn relay<T: serde::de::DeserializeOwned>(&self, path: &str) -> Option<T> {
        let r = self
            .client
            .get(format!("{}{path}", self.upstream))
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }
}

/// Lies shared by every route: garbage, an answer slower than any timeout, a body
/// that never ends. `None`: tell the route's own lie.
fn common_lie(lie: u64) -> Option<Response> {
    match lie {
        7 => Some("{\"heads\": [1, 2".into_response()),
        8 => Some(
            Body::from_stream(futures::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_secs(120)).await;
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b" ")), ()))
            }))
            .into_response(),
        ),
        9 => Some(
            Body::from_stream(futures::stream::repeat_with(|| {
                Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 64 * 1024]))
            }))
            .into_response(),
        ),
        _ => None,
    }
}

async fn heads(State(liar): State<Liar>) -> Response {
    let lie = liar.next();
    if let Some(r) = common_lie(lie) {
        return r;
    }
    let Some(mut heads) = liar.relay::<Heads>("/v1/heads").await else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    match lie {
        // Far ahead of the truth, with ids that match nothing.
        1 | 2 => {
            for h in heads.heads.values_mut() {
                h.seq = Seq(h.seq.0 + 1000);
                h.id = EntryId([0xAB; 32]);
            }
        }
        // Another network.
        3 => heads.network = NetworkId([9; 32]),
        // Fork proofs it cannot back.
        4 => {
            if let Some((m, h)) = heads.heads.iter().next() {
                heads.forks.push(pacta_core::wire::ForkSummary {
                    member: *m,
                    seq: h.seq,
                    ids: [h.id, EntryId([0xCD; 32])],
                });
            }
        }
        _ => {}
    }
    Json(heads).into_response()
}

async fn feed(
    State(liar): State<Liar>,
    Path(member): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let lie = liar.next();
    if let Some(r) = common_lie(lie) {
        return r;
    }
    let path = format!("/v1/feeds/{member}?{}", query.unwrap_or_default());
    let Some(mut page) = liar.relay::<FeedPage>(&path).await else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    match lie {
        // A signature byte flipped in every entry.
        1 => {
            for e in &mut page.entries {
                if let Some(b) = e.0.last_mut() {
                    *b ^= 1;
                }
            }
        }
        // Out of order.
        2 => page.entries.reverse(),
        // Cut short.
        3 => {
            for e in &mut page.entries {
                e.0.truncate(e.0.len().saturating_sub(9));
            }
        }
        // Labelled as another member's page, or another position.
        4 => page.member = if member == "FR" { "GB" } else { "FR" }.parse().unwrap(),
        5 => page.from = Seq(page.from.0 + 1),
        // The previous entry's bytes in place of each: the right shape, the wrong chain.
        6 => {
            let first = page.entries.first().cloned();
            if let Some(first) = first {
                page.entries = vec![first; page.entries.len()];
            }
        }
        _ => {}
    }
    Json(page).into_response()
}

async fn forks(State(liar): State<Liar>) -> Response {
    let lie = liar.next();
    if let Some(r) = common_lie(lie) {
        return r;
    }
    let Some(mut forks) = liar.relay::<Forks>("/v1/forks").await else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    // A "proof" made of one real entry and a copy with a flipped signature byte.
    let page = liar.relay::<FeedPage>("/v1/feeds/FR?from=1&limit=1").await;
    if let Some(real) = page.and_then(|p| p.entries.into_iter().next()) {
        let mut forged = real.0.clone();
        if let Some(b) = forged.last_mut() {
            *b ^= 0x80;
        }
        if let Ok(e) = Entry::decode(&real.0) {
            forks.forks.push(ForkEntries {
                member: e.author(),
                seq: e.seq(),
                entries: [real, HexBytes(forged)],
            });
        }
    }
    Json(forks).into_response()
}

/// A peer that holds nothing and counts what it is asked: `/v1/heads` answers 503, and
/// a cosigning request is refused as `behind`, or, with `endless_cosign`, answered 200
/// with a body that never ends. Every other route is a 404.
#[derive(Debug)]
pub struct CountingPeer {
    pub url: String,
    heads_asked: Arc<AtomicU64>,
    cosigns_asked: Arc<AtomicU64>,
    bytes_sent: Arc<AtomicU64>,
}

#[derive(Clone)]
struct Counts {
    heads: Arc<AtomicU64>,
    cosigns: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
    endless: bool,
}

impl CountingPeer {
    pub async fn start(endless_cosign: bool) -> CountingPeer {
        let counts = Counts {
            heads: Arc::new(AtomicU64::new(0)),
            cosigns: Arc::new(AtomicU64::new(0)),
            bytes: Arc::new(AtomicU64::new(0)),
            endless: endless_cosign,
        };
        let app = axum::Router::new()
            .route(
                "/v1/heads",
                get(|State(c): State<Counts>| async move {
                    c.heads.fetch_add(1, Ordering::Relaxed);
                    (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "{\"error\": \"busy\", \"reason\": \"busy\"}",
                    )
                }),
            )
            .route(
                "/v1/checkpoint/cosign",
                post(|State(c): State<Counts>| async move {
                    c.cosigns.fetch_add(1, Ordering::Relaxed);
                    if !c.endless {
                        return (
                            axum::http::StatusCode::CONFLICT,
                            "{\"error\": \"behind\", \"reason\": \"behind\"}",
                        )
                            .into_response();
                    }
                    let bytes = c.bytes.clone();
                    Body::from_stream(futures::stream::repeat_with(move || {
                        bytes.fetch_add(64 * 1024, Ordering::Relaxed);
                        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'A'; 64 * 1024]))
                    }))
                    .into_response()
                }),
            )
            .with_state(counts.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        CountingPeer {
            url,
            heads_asked: counts.heads,
            cosigns_asked: counts.cosigns,
            bytes_sent: counts.bytes,
        }
    }

    /// `GET /v1/heads` requests received: one per pull.
    pub fn heads_asked(&self) -> u64 {
        self.heads_asked.load(Ordering::Relaxed)
    }

    /// Cosigning requests received.
    pub fn cosigns_asked(&self) -> u64 {
        self.cosigns_asked.load(Ordering::Relaxed)
    }

    /// Bytes of endless answers handed to the connection so far.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent.load(Ordering::Relaxed)
    }
}

/// A node that relays an honest node but lies about one feed's head, as a node that
/// wants a delegation to sign on a false head would: it advertises `advertise` as
/// `member`'s head, serves `serve` (position → entry bytes) instead of the honest
/// entries at those positions, and keeps every entry submitted to it, answering that it
/// stored them, so that it can later send them elsewhere.
#[derive(Debug)]
pub struct HeadLiar {
    pub url: String,
    received: Arc<std::sync::Mutex<Vec<Entry>>>,
}

#[derive(Clone)]
struct HeadLie {
    upstream: String,
    client: reqwest::Client,
    member: pacta_core::MemberCode,
    advertise: pacta_core::wire::Head,
    serve: Arc<std::collections::BTreeMap<u64, Vec<u8>>>,
    received: Arc<std::sync::Mutex<Vec<Entry>>>,
}

impl HeadLiar {
    pub async fn start(
        upstream: String,
        member: pacta_core::MemberCode,
        advertise: pacta_core::wire::Head,
        serve: std::collections::BTreeMap<u64, Vec<u8>>,
    ) -> HeadLiar {
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let lie = HeadLie {
            upstream,
            client: crate::fault::client(Duration::from_secs(10)),
            member,
            advertise,
            serve: Arc::new(serve),
            received: received.clone(),
        };
        let app = axum::Router::new()
            .route("/v1/heads", get(lying_heads))
            .route("/v1/feeds/{member}", get(lying_feed))
            .route("/v1/entries", post(keep_entries))
            .with_state(lie);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        HeadLiar { url, received }
    }

    /// Every entry submitted to it, in order.
    pub fn received(&self) -> Vec<Entry> {
        self.received.lock().unwrap().clone()
    }
}

async fn lying_heads(State(lie): State<HeadLie>) -> Response {
    let Ok(resp) = lie
        .client
        .get(format!("{}/v1/heads", lie.upstream))
        .send()
        .await
    else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    let Ok(mut heads) = resp.json::<Heads>().await else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    heads.heads.insert(lie.member, lie.advertise);
    Json(heads).into_response()
}

async fn lying_feed(
    State(lie): State<HeadLie>,
    Path(member): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let from = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("from="))
        .and_then(|v| v.parse::<u64>().ok());
    if member == lie.member.to_string()
        && let Some(bytes) = from.and_then(|f| lie.serve.get(&f))
    {
        return Json(FeedPage {
            member: lie.member,
            from: Seq(from.unwrap_or(1)),
            entries: vec![HexBytes(bytes.clone())],
            head: Some(lie.advertise),
        })
        .into_response();
    }
    let Ok(resp) = lie
        .client
        .get(format!("{}/v1/feeds/{member}?{query}", lie.upstream))
        .send()
        .await
    else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    (status, body).into_response()
}

async fn keep_entries(
    State(lie): State<HeadLie>,
    Json(submit): Json<pacta_core::wire::Submit>,
) -> Response {
    let mut accepted = Vec::new();
    for bytes in submit.entries {
        let Ok(entry) = Entry::decode(&bytes.0) else {
            return axum::http::StatusCode::UNPROCESSABLE_ENTITY.into_response();
        };
        accepted.push(pacta_core::wire::Accepted {
            member: entry.author(),
            seq: entry.seq(),
            id: entry.id(),
            outcome: pacta_core::wire::Outcome::Stored,
        });
        lie.received.lock().unwrap().push(entry);
    }
    Json(pacta_core::wire::SubmitOk { accepted }).into_response()
}

/// FR's own node gone rogue (issue 18, finding 7): it holds FR's key, serves FR's
/// feed of three entries truthfully, and floods with fork proofs at positions from
/// 10^9 on, every one validly signed: each `GET /v1/forks` answers `per_answer` new
/// proofs (from a pool of `answers` such answers, signed in advance), and its heads
/// list them, with made-up proofs at #1 to #3 to make the peer ask.
#[derive(Debug)]
pub struct ForkFlooder {
    pub url: String,
    /// FR #1..#3, as its feed serves them.
    pub feed: Vec<Entry>,
    served: Arc<AtomicU64>,
}

#[derive(Clone)]
struct Flood {
    heads: bytes::Bytes,
    answers: Arc<Vec<bytes::Bytes>>,
    feed: Arc<Vec<Entry>>,
    turn: Arc<AtomicU64>,
    per_answer: u64,
    served: Arc<AtomicU64>,
}

impl ForkFlooder {
    pub async fn start(per_answer: usize, answers: usize) -> ForkFlooder {
        use pacta_core::wire::ForkSummary;
        use rayon::prelude::*;
        let mut fr = crate::net::Author::new("FR");
        let feed: Vec<Entry> = (0..3).map(|i| fr.next(&format!("real {i}"))).collect();
        let network = crate::net::roster().network_id();
        let key = crate::net::key("FR");
        let answers: Vec<bytes::Bytes> = tokio::task::spawn_blocking(move || {
            (0..answers)
                .map(|n| {
                    let proofs: Vec<ForkEntries> = (0..per_answer)
                        .into_par_iter()
                        .map(|i| {
                            let seq = 1_000_000_000 + (n * per_answer + i) as u64;
                            let sign = |text: &str| {
                                let payload = pacta_core::payload::Payload::Note(
                                    pacta_core::payload::Note::new(text.to_owned()),
                                );
                                pacta_core::entry::Draft {
                                    network,
                                    author: crate::net::code("FR"),
                                    seq: Seq(seq),
                                    prev: Some(EntryId([7; 32])),
                                    time: pacta_core::ids::Timestamp::from_millis(
                                        1_767_700_800_000,
                                    )
                                    .unwrap(),
                                    kind: payload.kind(),
                                    payload: payload.encode(),
                                }
                                .sign(&key)
                                .unwrap()
                            };
                            let proof = pacta_core::fork::ForkProof::new(
                                sign(&format!("one {seq}")),
                                sign(&format!("another {seq}")),
                            )
                            .unwrap();
                            ForkEntries::from(&proof)
                        })
                        .collect();
                    // No `next`: a node that does not page reads this too.
                    serde_json::to_vec(&serde_json::json!({ "forks": proofs }))
                        .unwrap()
                        .into()
                })
                .collect()
        })
        .await
        .unwrap();
        let head = pacta_core::wire::Head {
            seq: Seq(3),
            id: feed[2].id(),
        };
        let mut summaries: Vec<ForkSummary> = (1..=3)
            .map(|s| ForkSummary {
                member: crate::net::code("FR"),
                seq: Seq(s),
                ids: [EntryId([1; 32]), EntryId([2; 32])],
            })
            .collect();
        summaries.extend((0..per_answer as u64).map(|i| ForkSummary {
            member: crate::net::code("FR"),
            seq: Seq(1_000_000_000 + i),
            ids: [EntryId([1; 32]), EntryId([2; 32])],
        }));
        let heads = Heads {
            network,
            heads: std::collections::BTreeMap::from([(crate::net::code("FR"), head)]),
            forks: summaries,
        };
        let served = Arc::new(AtomicU64::new(0));
        let flood = Flood {
            heads: serde_json::to_vec(&heads).unwrap().into(),
            answers: Arc::new(answers),
            feed: Arc::new(feed.clone()),
            turn: Arc::new(AtomicU64::new(0)),
            per_answer: per_answer as u64,
            served: served.clone(),
        };
        let json = |body: bytes::Bytes| {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        };
        let app = axum::Router::new()
            .route(
                "/v1/heads",
                get(move |State(f): State<Flood>| async move { json(f.heads.clone()) }),
            )
            .route(
                "/v1/forks",
                get(move |State(f): State<Flood>| async move {
                    let n = f.turn.fetch_add(1, Ordering::Relaxed) as usize;
                    f.served.fetch_add(f.per_answer, Ordering::Relaxed);
                    json(f.answers[n % f.answers.len()].clone())
                }),
            )
            .route(
                "/v1/feeds/{member}",
                get(
                    |State(f): State<Flood>,
                     Path(member): Path<String>,
                     RawQuery(query): RawQuery| async move {
                        let from: usize = query
                            .as_deref()
                            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("from=")))
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(1);
                        let entries = if member == "FR" {
                            f.feed
                                .iter()
                                .skip(from.saturating_sub(1))
                                .map(|e| HexBytes(e.as_bytes().to_vec()))
                                .collect()
                        } else {
                            vec![]
                        };
                        Json(FeedPage {
                            member: member.parse().unwrap(),
                            from: Seq(from as u64),
                            entries,
                            head: None,
                        })
                        .into_response()
                    },
                ),
            )
            .with_state(flood);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        ForkFlooder { url, feed, served }
    }

    /// Fork proofs handed out so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}
