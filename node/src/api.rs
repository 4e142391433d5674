//! The HTTP API (axum). `app(node)` builds the router, so tests can call it without a
//! socket; `run` serves it on a real listener.
//!
//! Every error is JSON ([`ApiError`]) with a sentence a person can act on and a stable
//! reason code. Bad input gets a 4xx; internal errors get a generic 500 and the detail
//! goes to the log.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::body::{Body, HttpBody};
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pacta_core::entry::DecodeError;
use pacta_core::ids::{MemberCode, Seq};
use pacta_core::wire::{
    ApiError, FeedPage, ForkCursor, ForkEntries, Forks, Heads, HexBytes, Submit, SubmitOk,
};
use serde::Deserialize;
use tower_http::timeout::TimeoutLayer;

use crate::ledger::Rejection;
use crate::limits::{Class, Full, Hold, Refused};
use crate::metrics::Metrics;
use crate::node::Node;

/// Largest request body: a batch of entries as hex JSON.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// Bytes of submission bodies held at once, over all clients: a body reserves its
/// declared length (`MAX_BODY` when it declares none) before it is read, and a body
/// that does not fit gets 503 at once (429 when its address holds its share already),
/// so memory stays bounded however many clients send, and a slow body holds only its
/// own share, never an honest client's turn.
pub const BODY_BUDGET: usize = 256 * 1024 * 1024;
/// Longest a request may take, body included, so a slow client cannot hold the node.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most entries served in one page of a feed.
pub const MAX_PAGE: usize = 10_000;
/// Most bytes of entries served in one page of a feed (at least one entry is): hex
/// doubles them, so an answer stays near 8 MiB however large the entries.
pub const PAGE_BYTES: usize = 4 * 1024 * 1024;
/// The largest feed page as JSON: its entries (up to `PAGE_BYTES` and one more entry)
/// in hex, their quotes and commas, and the page's other fields. A page reserves this
/// much of the response pool before it is read from the store.
pub const PAGE_MOST: usize = page_most(MAX_PAGE);
/// Entries in a feed page that does not name its `limit`.
const DEFAULT_PAGE: usize = 1000;

/// The largest a feed page of at most `limit` entries can be as JSON (see
/// [`PAGE_MOST`]): a page of one entry reserves a few hundred KiB, not 8 MiB, so a
/// client may ask for many small pages at once.
const fn page_most(limit: usize) -> usize {
    let limit = if limit < MAX_PAGE { limit } else { MAX_PAGE };
    let most = PAGE_BYTES + pacta_core::entry::MAX_ENTRY;
    let bytes = limit.saturating_mul(pacta_core::entry::MAX_ENTRY);
    let bytes = if bytes < most { bytes } else { most };
    2 * bytes + 3 * limit + 4096
}

/// What a request for a feed page reserves before it is built: the largest page its
/// `limit` allows, read as the handler reads it (a query it will refuse reserves the
/// most).
fn feed_upfront(uri: &axum::http::Uri) -> usize {
    match Query::<PageQuery>::try_from_uri(uri) {
        Ok(Query(q)) => match q.limit.unwrap_or(DEFAULT_PAGE) {
            n @ 1..=MAX_PAGE => page_most(n),
            _ => PAGE_MOST,
        },
        Err(_) => PAGE_MOST,
    }
}
/// Most fork proofs served in one page of `GET /v1/forks`. With `PAGE_BYTES` of
/// entries (and at least one proof), a page is no larger than a feed page, so a peer
/// reads it whole.
pub const MAX_FORK_PAGE: usize = 1000;
/// Answers smaller than this are not counted in the response pool: the connection
/// cap bounds what they hold.
const SMALL_ANSWER: usize = 64 * 1024;

/// An error answer: status plus JSON body.
#[derive(Debug)]
pub struct Failure(StatusCode, ApiError);

impl Failure {
    fn new(status: StatusCode, reason: &str, error: impl Into<String>) -> Failure {
        Failure(
            status,
            ApiError {
                error: error.into(),
                reason: reason.to_owned(),
                index: None,
                accepted: vec![],
                head: None,
                fork: None,
            },
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<&Rejection> for Failure {
    fn from(r: &Rejection) -> Failure {
        let status = match r {
            Rejection::Malformed(DecodeError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Malformed(_) => StatusCode::BAD_REQUEST,
            Rejection::Invalid { .. } | Rejection::Future { .. } | Rejection::Parties { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Rejection::Gap { .. } | Rejection::Diverges { .. } | Rejection::Fork { .. } => {
                StatusCode::CONFLICT
            }
            Rejection::Store(e) if e.is_full() => {
                if STORE_LOG.allows() {
                    tracing::error!("store full: {e}");
                }
                return Failure::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "store-full",
                    "the node's disk is full: nothing of this request was stored durably, so nothing is acknowledged; send it again later, or to another node",
                );
            }
            Rejection::Store(crate::store::StoreError::Failed(failed)) => {
                if STORE_LOG.allows() {
                    tracing::error!("store failed: {}", failed.reason);
                }
                return Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store-failed",
                    "the node's store failed: nothing of this request was stored durably, so nothing is acknowledged; the node restarts itself in place, so send it again in a moment, or to another node",
                );
            }
            Rejection::Store(e) => {
                tracing::error!("store: {e}");
                return Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; see the node's log",
                );
            }
        };
        let mut f = Failure::new(status, r.reason(), r.to_string());
        match r {
            Rejection::Gap { head, .. } | Rejection::Diverges { head, .. } => f.1.head = *head,
            Rejection::Fork { fork, head, .. } => {
                f.1.fork = Some(*fork);
                f.1.head = *head;
            }
            _ => {}
        }
        f
    }
}

/// At most one line a second about a full or failed store, however many requests are
/// refused: the log may be on the very disk that is full.
static STORE_LOG: Throttle = Throttle::new(1_000);

/// Lets one event through per period.
struct Throttle {
    period_ms: u64,
    last_ms: std::sync::atomic::AtomicU64,
}

impl Throttle {
    const fn new(period_ms: u64) -> Throttle {
        Throttle {
            period_ms,
            last_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn allows(&self) -> bool {
        use std::sync::atomic::Ordering;
        let now = crate::clock::now_ms();
        let last = self.last_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= self.period_ms
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

pub fn app(node: Arc<Node>) -> Router {
    let limited = axum::middleware::from_fn_with_state(node.clone(), rate_limit);
    Router::new()
        .route(
            "/v1/entries",
            post(submit).layer(axum::middleware::from_fn_with_state(
                node.clone(),
                reserve_body,
            )),
        )
        .route("/v1/heads", get(heads))
        .route("/v1/feeds/{member}", get(feed))
        .route("/v1/forks", get(forks))
        .route("/v1/checkpoint", get(checkpoint))
        .route("/v1/checkpoint/latest", get(checkpoint_latest))
        .route(
            "/v1/checkpoint/cosign",
            post(cosign)
                .layer(DefaultBodyLimit::max(pacta_core::note::MAX_NOTE))
                .layer(axum::middleware::from_fn(refuse_declared_over_note)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::web::routes())
        .fallback(crate::web::negotiate::fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(
            node.clone(),
            hold_answer,
        ))
        .layer(axum::middleware::from_fn(refuse_declared_over_body))
        // Outermost, so a refused request costs no body read and no work.
        .layer(limited)
        .layer(axum::middleware::from_fn_with_state(
            node.clone(),
            time_answer,
        ))
        // Outermost of all: every per-address budget below sees the client's address.
        .layer(axum::middleware::from_fn_with_state(
            node.clone(),
            behind_proxy,
        ))
        .with_state(node)
}

/// Behind a trusted reverse proxy, the request is counted under the client's address
/// (`proxy.rs`); from anyone else, forwarding headers change nothing.
async fn behind_proxy(State(node): State<Arc<Node>>, mut req: Request, next: Next) -> Response {
    if !node.trusted_proxies.is_empty()
        && let Some(peer) = crate::serve::peer_of(req.extensions())
    {
        let client = crate::proxy::client(peer, req.headers(), &node.trusted_proxies);
        if client != peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(client));
        }
    }
    next.run(req).await
}

/// Counts each answer's time in its route's latency histogram (`/metrics`).
async fn time_answer(State(node): State<Arc<Node>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    node.metrics
        .observe(&route, started.elapsed().as_secs_f64());
    response
}

/// Which budget a request spends up front (see `limits`); `POST /v1/entries` is
/// charged per entry by `submit` once its body is parsed.
fn budget_of(method: &Method, path: &str) -> Option<Class> {
    let expensive = path.starts_with("/v1/feeds/")
        || path == "/v1/forks"
        || path == "/v1/events"
        || path.starts_with("/members/")
        || path.starts_with("/entries/")
        // An instrument page renders a table of up to 500 participants.
        || path.starts_with("/instruments/")
        || path.ends_with(".atom");
    match *method {
        Method::POST if path == "/v1/entries" => None,
        Method::POST => Some(Class::Write),
        Method::GET | Method::HEAD if expensive => Some(Class::Read),
        _ => None,
    }
}

async fn rate_limit(State(node): State<Arc<Node>>, req: Request, next: Next) -> Response {
    let addr = crate::serve::peer_of(req.extensions());
    if let (Some(addr), Some(class)) = (addr, budget_of(req.method(), req.uri().path()))
        && let Err(refused) = node.limits.charge(class, addr.ip(), 1)
    {
        return too_many(&node, refused);
    }
    next.run(req).await
}

/// The length a request's body declares, if it declares one.
fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// 413 at once, before a byte of the body is read, when the body declares more than
/// `most` bytes; the connection is closed, since its body is not read.
fn refuse_declared_over(req: &Request, most: usize) -> Option<Response> {
    let declared = declared_length(req)?;
    if declared <= most as u64 {
        return None;
    }
    let mut response = Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        format!(
            "the request body declares {declared} bytes (Content-Length); {} takes at most {most}",
            req.uri().path()
        ),
    )
    .into_response();
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    Some(response)
}

async fn refuse_declared_over_body(req: Request, next: Next) -> Response {
    match refuse_declared_over(&req, MAX_BODY) {
        Some(refused) => refused,
        None => next.run(req).await,
    }
}

async fn refuse_declared_over_note(req: Request, next: Next) -> Response {
    match refuse_declared_over(&req, pacta_core::note::MAX_NOTE) {
        Some(refused) => refused,
        None => next.run(req).await,
    }
}

/// The answer when a shared pool (see `limits`) is full: 429 when this address holds
/// its share (others are still served), 503 when the node holds all it will. `what`
/// names what the pool holds, and `amount` writes a quantity of it.
pub fn pool_full(full: Full, reason: &str, what: &str, amount: fn(usize) -> String) -> Response {
    let (status, error) = match full {
        Full::Address { held, share } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "this address already holds {} of {what}, and its share of the node's is {}; finish those, or try again in a moment",
                amount(held),
                amount(share)
            ),
        ),
        Full::Node { held, total } => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the node holds {} of {what} for all clients, and takes at most {}; try again in a moment",
                amount(held),
                amount(total)
            ),
        ),
    };
    let mut response = Failure::new(status, reason, error).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// Bytes as MiB, for the sentences of `pool_full`.
pub fn mib(bytes: usize) -> String {
    format!("{} MiB", bytes.div_ceil(1024 * 1024))
}

/// Reserves the request body's share of `BODY_BUDGET` while the request runs.
async fn reserve_body(State(node): State<Arc<Node>>, req: Request, next: Next) -> Response {
    // A declared length over `MAX_BODY` was refused by `refuse_declared_over_body`.
    let declared = declared_length(&req).map_or(MAX_BODY, |n| {
        usize::try_from(n).unwrap_or(MAX_BODY).min(MAX_BODY)
    });
    let addr = crate::serve::peer_of(req.extensions()).map(|a| a.ip());
    match node.limits.reserve_body(addr, declared) {
        Ok(_share) => next.run(req).await,
        Err(full) => pool_full(full, "busy", "submission bodies in memory", mib),
    }
}

/// An answer's body with its part of the response pool, given back once the body is
/// written out or its connection dropped (by the client, or by the write timeout).
struct HeldBody {
    body: Body,
    _hold: Hold,
}

impl HttpBody for HeldBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// Counts an answer in the response pool until it is written out, so clients that do
/// not read hold a bounded amount of memory, and one address at most its share. A
/// feed page reserves its largest size before it is read from the store (so a refused
/// page costs nothing) and keeps its actual size; other answers are counted once
/// built.
async fn hold_answer(State(node): State<Arc<Node>>, req: Request, next: Next) -> Response {
    let Some(addr) = crate::serve::peer_of(req.extensions()) else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    let upfront = if path.starts_with("/v1/feeds/") {
        feed_upfront(req.uri())
    } else if path == "/v1/forks" {
        PAGE_MOST
    } else {
        0
    };
    let refused = |full| pool_full(full, "busy", "answers not yet read", mib);
    let mut hold = if upfront > 0 {
        match node.limits.responses.take(Some(addr.ip()), upfront) {
            Ok(hold) => Some(hold),
            Err(full) => return refused(full),
        }
    } else {
        None
    };
    let response = next.run(req).await;
    let size = usize::try_from(response.body().size_hint().lower()).unwrap_or(usize::MAX);
    let hold = match hold.take() {
        Some(mut hold) => match hold.resize(size) {
            Ok(()) => hold,
            Err(full) => return refused(full),
        },
        None if size < SMALL_ANSWER => return response,
        None => match node.limits.responses.take(Some(addr.ip()), size) {
            Ok(hold) => hold,
            Err(full) => return refused(full),
        },
    };
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::new(HeldBody { body, _hold: hold }))
}

/// 429 with `Retry-After` (whole seconds, rounded up) and the reason.
fn too_many(node: &Node, refused: Refused) -> Response {
    Metrics::bump(&node.metrics.rate_limited, 1);
    let seconds = refused.retry_after.as_millis().div_ceil(1000).max(1);
    let mut response = Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        refused.to_string(),
    )
    .into_response();
    if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A body that could not be read: too large (413) or broken (400).
fn body_failure(e: BytesRejection) -> Failure {
    let reason = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "too-large"
    } else {
        "malformed"
    };
    Failure::new(
        e.status(),
        reason,
        format!("request body: {}", e.body_text()),
    )
}

async fn submit(
    State(node): State<Arc<Node>>,
    client: Option<axum::Extension<ConnectInfo<std::net::SocketAddr>>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SubmitOk>, Response> {
    let body = body.map_err(|e| body_failure(e).into_response())?;
    let submit: Submit = serde_json::from_slice(&body).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("body is not {{\"entries\": [\"<hex>\", ...]}}: {e}"),
        )
        .into_response()
    })?;
    // Charged before any signature is checked: that is the work the budget protects.
    if let Some(axum::Extension(ConnectInfo(addr))) = client {
        let cost = u32::try_from(submit.entries.len()).unwrap_or(u32::MAX);
        node.limits
            .charge(Class::Write, addr.ip(), cost)
            .map_err(|refused| too_many(&node, refused))?;
    }
    accept(&node, submit)
        .await
        .map_err(IntoResponse::into_response)
}

async fn accept(node: &Node, submit: Submit) -> Result<Json<SubmitOk>, Failure> {
    if submit.entries.is_empty() {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "no entries",
        ));
    }
    let result = node
        .submit(submit.entries.into_iter().map(|h| h.0).collect())
        .await;
    match result {
        Ok(accepted) => Ok(Json(SubmitOk { accepted })),
        Err((index, accepted, rejection)) => {
            node.metrics.reject(rejection.reason());
            let mut f = Failure::from(&rejection);
            if f.0.is_client_error() {
                f.1.index = Some(index);
                f.1.accepted = accepted;
            }
            Err(f)
        }
    }
}

async fn heads(State(node): State<Arc<Node>>) -> Json<Heads> {
    Json(Heads {
        network: node.ledger.roster().network_id(),
        heads: node.ledger.heads(),
        forks: node.ledger.forks(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

/// Feed pages being built at once (see [`feed`]).
static PAGE_BUILDS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn feed(
    State(node): State<Arc<Node>>,
    member: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<FeedPage>, Failure> {
    let Path(member) = member.map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("path: {}", e.body_text()),
        )
    })?;
    let Query(q) = query.map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("query: {}", e.body_text()),
        )
    })?;
    let member: MemberCode = member.parse().map_err(|e: pacta_core::ids::IdError| {
        Failure::new(StatusCode::BAD_REQUEST, "malformed", e.to_string())
    })?;
    if node.ledger.roster().member(member).is_none() {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "unknown-member",
            format!("{member} is not a member of this network"),
        ));
    }
    let from = q.from.unwrap_or(1);
    if from == 0 {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "from=0: feeds start at 1",
        ));
    }
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    // A page is built in a few copies (the stored bytes, their hex, the JSON) before the
    // pool counts the one that is sent: building two at a time bounds that transient
    // memory, whatever many clients ask at once (a hundred unread pages took 470 MiB).
    let _building = PAGE_BUILDS.acquire().await.map_err(|e| internal(&e))?;
    // Read the head first: the page never runs past it, so it is consistent with it.
    let head = node.ledger.head(member);
    let store = node.ledger.store().clone();
    let rows =
        tokio::task::spawn_blocking(move || store.range(member, Seq(from), limit, PAGE_BYTES))
            .await
            .map_err(|e| internal(&e))?
            .map_err(|e| internal(&e))?;
    let until = head.map_or(0, |h| h.seq.0);
    let entries = rows
        .into_iter()
        .take(until.saturating_sub(from - 1) as usize)
        .map(|v| HexBytes(v.to_vec()))
        .collect();
    Ok(Json(FeedPage {
        member,
        from: Seq(from),
        entries,
        head,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForksQuery {
    member: Option<String>,
    from: Option<u64>,
    limit: Option<usize>,
}

/// One page of the fork proofs, in (member, seq) order from `?member=&from=` on: at
/// most `limit` proofs and `PAGE_BYTES` of entries (but always at least one proof),
/// with the cursor of the next page. The positions come from the ledger's summary,
/// the proofs from the store: nothing is held in memory beyond the page.
async fn forks(
    State(node): State<Arc<Node>>,
    query: Result<Query<ForksQuery>, QueryRejection>,
) -> Result<Json<Forks>, Failure> {
    let bad = |text: String| Failure::new(StatusCode::BAD_REQUEST, "malformed", text);
    let Query(q) = query.map_err(|e| bad(format!("query: {}", e.body_text())))?;
    let start = match (q.member, q.from) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(bad(
                "from= needs member=: pages start at a member's position".into(),
            ));
        }
        (Some(member), from) => {
            let member: MemberCode = member
                .parse()
                .map_err(|e: pacta_core::ids::IdError| bad(e.to_string()))?;
            if node.ledger.roster().member(member).is_none() {
                return Err(Failure::new(
                    StatusCode::NOT_FOUND,
                    "unknown-member",
                    format!("{member} is not a member of this network"),
                ));
            }
            let from = from.unwrap_or(1);
            if from == 0 {
                return Err(bad("from=0: feeds start at 1".into()));
            }
            Some((member, Seq(from)))
        }
    };
    let limit = q.limit.unwrap_or(MAX_FORK_PAGE);
    if !(1..=MAX_FORK_PAGE).contains(&limit) {
        return Err(bad(format!("limit must be 1 to {MAX_FORK_PAGE}")));
    }
    // One more position than the page holds: it is where the next page starts.
    let positions = node.ledger.fork_positions(start, limit + 1);
    let store = node.ledger.store().clone();
    let (forks, next) = tokio::task::spawn_blocking(move || fork_page(&store, &positions, limit))
        .await
        .map_err(|e| internal(&e))?
        .map_err(|e| internal(&e))?;
    Ok(Json(Forks { forks, next }))
}

/// Reads the proofs at `positions` until `limit` of them or `PAGE_BYTES` of entries
/// (at least one); the next page starts at the first position not served. A position
/// whose proof a concurrent replacement removed is skipped.
fn fork_page(
    store: &crate::store::Store,
    positions: &[(MemberCode, Seq)],
    limit: usize,
) -> Result<(Vec<ForkEntries>, Option<ForkCursor>), crate::store::StoreError> {
    let mut out = Vec::new();
    let mut bytes = 0;
    for (i, &(member, seq)) in positions.iter().enumerate() {
        let cursor = Some(ForkCursor { member, from: seq });
        if i == limit {
            return Ok((out, cursor));
        }
        let Some(proof) = store.fork(member, seq)? else {
            continue;
        };
        let size: usize = proof.entries().iter().map(|e| e.as_bytes().len()).sum();
        if !out.is_empty() && bytes + size > PAGE_BYTES {
            return Ok((out, cursor));
        }
        bytes += size;
        out.push(ForkEntries::from(&proof));
    }
    Ok((out, None))
}

async fn healthz(State(node): State<Arc<Node>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "member": node.member,
        "network": node.ledger.roster().network_id(),
        "entries": node.ledger.entry_count(),
        "checkpoint": node.witness.as_ref().map(|w| w.summary()),
        "store": store_state(node.ledger.store()),
    }))
}

/// Readiness: 200 when the node takes writes, signs, and holds what its peers hold;
/// otherwise 503 with the first reason, for a load balancer or an orchestrator.
async fn readyz(State(node): State<Arc<Node>>) -> Response {
    let not_ready = |reason: &str, error: String| {
        Failure::new(StatusCode::SERVICE_UNAVAILABLE, reason, error).into_response()
    };
    match node.ledger.store().writable() {
        Err(crate::store::StoreError::Failed(f)) => {
            return not_ready(
                "store-failed",
                format!(
                    "the store failed ({}); the node restarts in place once there is room",
                    f.reason
                ),
            );
        }
        Err(e) => return not_ready("store-full", e.to_string()),
        Ok(()) => {}
    }
    if let Some(reason) = node.witness.as_ref().and_then(|w| w.summary().refused) {
        return not_ready(
            "refusing-to-sign",
            format!("the node refuses to sign checkpoints: {reason}"),
        );
    }
    if let Some(peers) = node.metrics.behind(node.ready_lag) {
        let list = peers
            .iter()
            .map(|(p, n)| format!("{n} behind {p}"))
            .collect::<Vec<_>>()
            .join(", ");
        return not_ready(
            "behind",
            format!(
                "the node lags more than {} entries behind half of its peers or more: {list}",
                node.ready_lag
            ),
        );
    }
    Json(serde_json::json!({"status": "ready", "member": node.member})).into_response()
}

/// Whether the store takes writes: `ok`, `full` (below its reserve; writes get 507),
/// or `failed` (the node restarts in place once there is room). Read from memory,
/// never from sled, so `/healthz` answers whatever the disk does.
fn store_state(store: &crate::store::Store) -> &'static str {
    match store.writable() {
        Ok(()) => "ok",
        Err(crate::store::StoreError::Failed(_)) => "failed",
        Err(_) => "full",
    }
}

fn note_response(note: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response()
}

#[allow(
    clippy::result_large_err,
    reason = "an HTTP answer, built once per request"
)]
fn witness(node: &Node) -> Result<&Arc<crate::witness::Witness>, Failure> {
    node.witness.as_ref().ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            "not-witness",
            format!(
                "{}'s node does not witness: the roster lists no node key for it",
                node.member
            ),
        )
    })
}

/// The newest checkpoint that reached the quorum, as a C2SP signed note.
async fn checkpoint(State(node): State<Arc<Node>>) -> Result<Response, Failure> {
    let w = witness(&node)?;
    w.quorum_note().map(note_response).ok_or_else(|| {
        let s = w.summary();
        Failure::new(
            StatusCode::NOT_FOUND,
            "no-checkpoint",
            format!(
                "no checkpoint of this node has reached the quorum of {} node signatures yet{}",
                s.needed,
                s.refused
                    .map(|r| format!("; signing is refused: {r}"))
                    .unwrap_or_default()
            ),
        )
    })
}

/// The newest checkpoint this node signed, with the cosignatures it has so far.
async fn checkpoint_latest(State(node): State<Arc<Node>>) -> Result<Response, Failure> {
    let w = witness(&node)?;
    w.latest_note().map(note_response).ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            "no-checkpoint",
            "this node has not signed a checkpoint yet",
        )
    })
}

/// Cosigns a peer's checkpoint (the body: its signed note) if it agrees with this
/// node's view; answers the cosignature line.
async fn cosign(
    State(node): State<Arc<Node>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let body = body.map_err(body_failure)?;
    let w = witness(&node)?.clone();
    match w.cosign(&node, &body).await {
        Ok(line) => Ok(note_response(line)),
        Err(e) => {
            use crate::witness::CosignError as E;
            let status = match &e {
                E::Invalid(pacta_core::checkpoint::CheckpointError::Note(_))
                | E::Invalid(pacta_core::checkpoint::CheckpointError::Body { .. }) => {
                    StatusCode::BAD_REQUEST
                }
                E::NotWitness => StatusCode::NOT_FOUND,
                E::Replayed { .. }
                | E::Rollback { .. }
                | E::Inconsistent { .. }
                | E::Behind { .. } => StatusCode::CONFLICT,
                E::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            node.metrics.reject(e.reason());
            let mut f = Failure::new(status, e.reason(), format!("cannot cosign: {e}"));
            if let E::Inconsistent {
                member,
                seq,
                theirs,
                ours,
            } = e
            {
                f.1.fork = Some(pacta_core::wire::ForkSummary {
                    member,
                    seq,
                    ids: [theirs, ours],
                });
            }
            Err(f)
        }
    }
}

async fn metrics(State(node): State<Arc<Node>>) -> impl IntoResponse {
    let heads = node.ledger.heads();
    let summary = node.witness.as_ref().map(|w| w.summary());
    let now = crate::clock::now_ms();
    let store = node.ledger.store().clone();
    let store_bytes = tokio::task::spawn_blocking(move || store.size_bytes())
        .await
        .unwrap_or(0);
    let gauges = crate::metrics::Gauges {
        entries: node.ledger.entry_count(),
        feeds: heads.len(),
        forks: node.ledger.fork_count(),
        store_bytes,
        checkpoint_age: summary
            .as_ref()
            .and_then(|s| s.signed)
            .map(|t| now.saturating_sub(t.millis()) as f64 / 1000.0),
        cosignatures: summary.as_ref().map(|s| (s.signers.len(), s.needed)),
    };
    let body = node.metrics.render(&gauges);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

async fn method_not_allowed() -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method",
        "method not allowed on this endpoint",
    )
}

fn internal(e: &dyn std::fmt::Display) -> Failure {
    tracing::error!("{e}");
    Failure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; see the node's log",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upfront(uri: &str) -> usize {
        feed_upfront(&uri.parse().expect("a test URI"))
    }

    #[test]
    fn a_page_reserves_what_its_limit_allows_as_the_handler_reads_it() {
        let one = upfront("/v1/feeds/FR?limit=1");
        assert!(one < 300 * 1024, "{one}");
        assert_eq!(one, page_most(1));
        // Percent-encoded names and values are read as the handler reads them.
        assert_eq!(upfront("/v1/feeds/FR?lim%69t=%31"), one);
        assert_eq!(upfront("/v1/feeds/FR"), page_most(DEFAULT_PAGE));
        assert_eq!(upfront("/v1/feeds/FR?limit=10000"), PAGE_MOST);
        // Whatever the handler will refuse reserves the most.
        for bad in [
            "limit=0",
            "limit=10001",
            "limit=x",
            "limit=1&limit=2",
            "other=1",
        ] {
            assert_eq!(upfront(&format!("/v1/feeds/FR?{bad}")), PAGE_MOST, "{bad}");
        }
        assert!(page_most(MAX_PAGE) >= 2 * PAGE_BYTES);
    }
}
