//! What watchers read, all served from the last published status ([`crate::watch`]);
//! no request computes a status.
//!
//! - `GET /`, `/members/{code}`, `/instruments/{id}`, `/entries/{id}` (and
//!   `/entries/{id}/raw`): HTML rendered on the server ([`page`], [`member`],
//!   [`instrument`], [`table`]), with the timeline chart as SVG ([`chart`]);
//! - `GET /feed.atom`, `/members/{code}/feed.atom`, `/instruments/{id}/feed.atom`:
//!   Atom feeds of status changes ([`atom`]);
//! - `GET /v1/events`: server-sent events, resumable with `Last-Event-ID` ([`events`]);
//! - `GET /v1/status`, `/v1/members/{code}`, `/v1/instruments/{id}`, `/openapi.json`:
//!   the JSON API.
//!
//! Every answer that can be cached carries a strong ETag, and a conditional request
//! whose `If-None-Match` matches gets `304 Not Modified` without a body.

pub mod atom;
pub mod chart;
pub mod corrections;
pub mod events;
pub mod html;
pub mod instrument;
pub mod member;
pub mod negotiate;
pub mod page;
pub mod table;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pacta_core::codec::sha256;
use pacta_core::ids::{EntryId, MemberCode, Seq};
use pacta_core::status::{Lookup, MemberStatus};
use serde::Serialize;

use crate::node::Node;

/// Entries of a feed shown on one member page.
pub const PAGE_ENTRIES: usize = 200;

pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/", get(index))
        .route("/members/{code}", get(member_page))
        .route("/members/{code}/feed.atom", get(member_feed))
        .route("/entries/{id}", get(entry_page))
        .route("/entries/{id}/raw", get(entry_raw))
        .route("/instruments/{id}", get(instrument_page))
        .route("/instruments/{id}/feed.atom", get(instrument_feed))
        .route("/feed.atom", get(network_feed))
        .route("/v1/status", get(status_json))
        .route("/v1/members/{code}", get(member_json))
        .route("/v1/instruments/{id}", get(instrument_json))
        .route("/v1/events", get(events::stream))
        .route("/openapi.json", get(openapi))
}

/// A strong ETag over `parts`.
fn etag(parts: &[&[u8]]) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&(p.len() as u64).to_be_bytes());
        all.extend_from_slice(p);
    }
    format!("\"{}\"", hex::encode(&sha256(&all)[..12]))
}

/// Whether the request's `If-None-Match` names `tag` (or `*`).
fn fresh(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*")
}

/// A cacheable answer: 304 if the client has it, else 200 with the body.
fn cached(
    headers: &HeaderMap,
    tag: &str,
    content_type: &'static str,
    body: impl FnOnce() -> Body,
) -> Response {
    let tag_value = HeaderValue::from_str(tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let mut response = if fresh(headers, tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(body());
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, tag_value);
    // Revalidate every time: the status can change at any moment, and a 304 is cheap.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const ATOM: &str = "application/atom+xml; charset=utf-8";

fn html_problem(node: &Node, status: StatusCode, heading: &str, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HTML)],
        page::problem(node, heading, detail),
    )
        .into_response()
}

fn json_problem(status: StatusCode, reason: &str, error: String) -> Response {
    (
        status,
        axum::Json(pacta_core::wire::ApiError {
            error,
            reason: reason.to_owned(),
            index: None,
            accepted: vec![],
            head: None,
            fork: None,
        }),
    )
        .into_response()
}

/// Something not there, in the form the client prefers (`default` when it does not
/// say: HTML on the pages, JSON on the API).
fn not_found(
    node: &Node,
    headers: &HeaderMap,
    default: negotiate::Form,
    heading: &str,
    detail: String,
) -> Response {
    match negotiate::preferred(headers, default) {
        negotiate::Form::Html => html_problem(node, StatusCode::NOT_FOUND, heading, &detail),
        negotiate::Form::Json => json_problem(StatusCode::NOT_FOUND, "not-found", detail),
    }
}

/// A member code from a path: the member, or the answer to give instead (a redirect
/// to the canonical spelling built by `to`, or a 404 in the form the client prefers).
fn member_or_answer(
    node: &Node,
    raw: &str,
    headers: &HeaderMap,
    uri: &Uri,
    default: negotiate::Form,
    to: impl FnOnce(MemberCode) -> String,
) -> Result<MemberCode, Box<Response>> {
    if let Some(code) = negotiate::canonical(node, raw) {
        return Err(Box::new(negotiate::redirect(to(code), uri)));
    }
    known_member(node, raw)
        .map_err(|e| Box::new(not_found(node, headers, default, "No such member", e)))
}

/// A store failure: logged in full, answered without detail (HTML and JSON forms).
fn html_internal(node: &Node, e: &dyn std::fmt::Display) -> Response {
    tracing::error!("store: {e}");
    html_problem(
        node,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "see the node's log",
    )
}

fn json_internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!("store: {e}");
    json_problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; see the node's log".into(),
    )
}

/// A member code from a path, checked against the roster.
fn known_member(node: &Node, raw: &str) -> Result<MemberCode, String> {
    let roster = node.ledger.roster();
    let known = || {
        roster
            .members()
            .map(|m| m.code.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match raw.parse::<MemberCode>() {
        Ok(code) if roster.member(code).is_some() => Ok(code),
        Ok(code) => Err(format!(
            "{code} is not a member of this network (members: {})",
            known()
        )),
        Err(e) => Err(format!(
            "{raw:?} is not a member code: {e} (members: {})",
            known()
        )),
    }
}

/// The base URL for absolute links in feeds, from the request's `Host`.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

async fn index(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let snap = node.watch.snapshot();
    let checkpoint = node
        .witness
        .as_ref()
        .map(|w| format!("{:?}", w.summary()))
        .unwrap_or_default();
    let forks = node.ledger.fork_changes().to_string();
    let tag = etag(&[
        snap.etag.as_bytes(),
        checkpoint.as_bytes(),
        &snap.last_event.to_be_bytes(),
        forks.as_bytes(),
    ]);
    cached(&headers, &tag, HTML, || {
        Body::from(node.watch.page(&tag, || page::index(&node, &snap)))
    })
}

async fn member_page(
    State(node): State<Arc<Node>>,
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let code = match member_or_answer(&node, &raw, &headers, &uri, negotiate::Form::Html, |c| {
        format!("/members/{c}")
    }) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    let from = match query.get("from").map(|v| v.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            return html_problem(
                &node,
                StatusCode::BAD_REQUEST,
                "Bad query",
                "from= must be a feed position, a whole number from 1",
            );
        }
    };
    let snap = node.watch.snapshot();
    let head = node.ledger.head(code).map_or(0, |h| h.seq.0);
    let tag = etag(&[
        snap.etag.as_bytes(),
        code.as_bytes(),
        &head.to_be_bytes(),
        &from.to_be_bytes(),
        node.ledger.fork_changes().to_string().as_bytes(),
    ]);
    if fresh(&headers, &tag) {
        return cached(&headers, &tag, HTML, Body::empty);
    }
    let rows = match node
        .ledger
        .store()
        .range(code, Seq(from), PAGE_ENTRIES, usize::MAX)
    {
        Ok(r) => r,
        Err(e) => {
            return html_internal(&node, &e);
        }
    };
    let feed: Vec<pacta_core::Entry> = rows
        .iter()
        .filter_map(|b| pacta_core::Entry::decode(b).ok())
        .collect();
    let html = member::member(&node, &snap, code, &feed, from, head, PAGE_ENTRIES);
    cached(&headers, &tag, HTML, || Body::from(html))
}

fn parse_id(raw: &str) -> Result<EntryId, String> {
    raw.parse::<EntryId>()
        .map_err(|e| format!("{raw:?} is not an entry id (64 lowercase hex digits): {e}"))
}

async fn entry_page(
    State(node): State<Arc<Node>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(e) => return not_found(&node, &headers, negotiate::Form::Html, "No such entry", e),
    };
    let store = node.ledger.store();
    let found = match store.entry_by_id(&id) {
        Ok(f) => f,
        Err(e) => {
            return html_internal(&node, &e);
        }
    };
    let Some((entry, revoked)) = found else {
        return not_found(
            &node,
            &headers,
            negotiate::Form::Html,
            "No such entry",
            format!("this node holds no entry with id {id}"),
        );
    };
    let next = store
        .entry(entry.author(), Seq(entry.seq().0.saturating_add(1)))
        .ok()
        .flatten()
        .filter(|n| n.header().prev == Some(id));
    let snap = node.watch.snapshot();
    let tag = etag(&[
        &id.0,
        snap.etag.as_bytes(),
        &next.as_ref().map(|n| n.id().0).unwrap_or([0; 32]),
        &[u8::from(revoked)],
    ]);
    cached(&headers, &tag, HTML, || {
        Body::from(page::entry(&node, &snap, &entry, revoked, next.as_ref()))
    })
}

async fn entry_raw(
    State(node): State<Arc<Node>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(e) => return json_problem(StatusCode::NOT_FOUND, "not-found", e),
    };
    match node.ledger.store().entry_by_id(&id) {
        Ok(Some((entry, _))) => {
            let tag = format!("\"{id}\"");
            let bytes = entry.as_bytes().to_vec();
            let mut r = cached(&headers, &tag, "application/octet-stream", || {
                Body::from(bytes)
            });
            if let Ok(v) = HeaderValue::from_str(&format!(
                "attachment; filename=\"{}-{}.entry\"",
                entry.author(),
                entry.seq().0
            )) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Ok(None) => json_problem(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("this node holds no entry with id {id}"),
        ),
        Err(e) => json_internal(&e),
    }
}

async fn status_json(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let snap = node.watch.snapshot();
    let body = snap.json.clone();
    cached(&headers, &snap.etag, JSON, || Body::from(body))
}

#[derive(Serialize)]
struct MemberView<'a> {
    member: MemberCode,
    name: &'a str,
    profile: &'a str,
    node: &'a str,
    key: String,
    head: Option<pacta_core::wire::Head>,
    disputed: bool,
    as_of: pacta_core::date::Date,
    instruments: Vec<MemberRow<'a>>,
}

#[derive(Serialize)]
struct MemberRow<'a> {
    id: EntryId,
    short: &'a str,
    title: &'a str,
    status: &'a MemberStatus,
}

async fn member_json(
    State(node): State<Arc<Node>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let code = match member_or_answer(&node, &raw, &headers, &uri, negotiate::Form::Json, |c| {
        format!("/v1/members/{c}")
    }) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    let roster = node.ledger.roster();
    let Some(m) = roster.member(code) else {
        return json_problem(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("{code} is not a member"),
        );
    };
    let snap = node.watch.snapshot();
    let head = node.ledger.head(code);
    let disputed = node.ledger.is_disputed(code);
    let view = MemberView {
        member: code,
        name: &m.name,
        profile: &m.profile,
        node: m.node.as_str(),
        key: m.key.to_string(),
        head,
        disputed,
        as_of: snap.status.as_of,
        instruments: snap
            .status
            .instruments
            .iter()
            .filter_map(|i| {
                i.member(code).map(|row| MemberRow {
                    id: i.id,
                    short: &i.short,
                    title: &i.title,
                    status: row,
                })
            })
            .collect(),
    };
    let body = serde_json::to_vec(&view).unwrap_or_default();
    let tag = etag(&[&body]);
    cached(&headers, &tag, JSON, || Body::from(body))
}

async fn instrument_json(
    State(node): State<Arc<Node>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let snap = node.watch.snapshot();
    match snap.status.lookup(&raw) {
        Lookup::One(inst) => {
            let body = serde_json::to_vec(inst).unwrap_or_default();
            let tag = etag(&[&body]);
            cached(&headers, &tag, JSON, || Body::from(body))
        }
        Lookup::None(e) => json_problem(StatusCode::NOT_FOUND, "not-found", e),
        Lookup::Many(many) => json_problem(
            StatusCode::MULTIPLE_CHOICES,
            "ambiguous",
            format!(
                "{:?} names {} instruments; give one of these ids: {}",
                raw.chars().take(80).collect::<String>(),
                many.len(),
                many.iter()
                    .map(|i| i.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
}

/// `GET /instruments/{id}`: the treaty page, by id, unique id prefix or short name.
async fn instrument_page(
    State(node): State<Arc<Node>>,
    raw: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> Response {
    // A path that is not UTF-8 text names no instrument; say so in the client's form
    // rather than with axum's plain-text rejection.
    let Ok(Path(raw)) = raw else {
        return not_found(
            &node,
            &headers,
            negotiate::Form::Html,
            "No such instrument",
            "the instrument id in the path is not UTF-8 text; give an id, a prefix of at least 8 hex digits, or a short name".into(),
        );
    };
    let snap = node.watch.snapshot();
    match snap.status.lookup(&raw) {
        Lookup::One(inst) => {
            let tag = etag(&[snap.etag.as_bytes(), &inst.id.0, b"instrument-page"]);
            cached(&headers, &tag, HTML, || {
                Body::from(instrument::page_of(&node, &snap, inst))
            })
        }
        Lookup::None(e) => not_found(
            &node,
            &headers,
            negotiate::Form::Html,
            "No such instrument",
            e,
        ),
        Lookup::Many(many) => match negotiate::preferred(&headers, negotiate::Form::Html) {
            negotiate::Form::Html => (
                StatusCode::MULTIPLE_CHOICES,
                [(header::CONTENT_TYPE, HTML)],
                instrument::choices(&node, &raw, &many),
            )
                .into_response(),
            negotiate::Form::Json => json_problem(
                StatusCode::MULTIPLE_CHOICES,
                "ambiguous",
                format!(
                    "{} instruments have this name; give an id: {}",
                    many.len(),
                    many.iter()
                        .map(|i| i.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        },
    }
}

/// An Atom feed of the changes `keep` selects. The log is read on the blocking pool.
async fn feed(
    node: &Node,
    headers: &HeaderMap,
    scope: atom::Scope<'_>,
    keep: impl FnMut(&crate::watch::Recorded) -> bool + Send + 'static,
) -> Response {
    let snap = node.watch.snapshot();
    let tag = etag(&[
        scope.key.as_bytes(),
        &snap.last_event.to_be_bytes(),
        &snap.updated.millis().to_be_bytes(),
        base_url(headers).as_bytes(),
    ]);
    if fresh(headers, &tag) {
        return cached(headers, &tag, ATOM, Body::empty);
    }
    let watch = node.watch.clone();
    let read = tokio::task::spawn_blocking(move || watch.latest_changes(atom::FEED_ENTRIES, keep))
        .await
        .unwrap_or_else(|e| {
            Err(crate::store::StoreError::Corrupt(format!(
                "reading the change log failed: {e}"
            )))
        });
    match read {
        Ok(changes) => {
            let xml = atom::render(&scope, &base_url(headers), &changes, snap.updated);
            cached(headers, &tag, ATOM, || Body::from(xml))
        }
        Err(e) => json_internal(&e),
    }
}

async fn network_feed(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let roster = node.ledger.roster();
    let base = base_url(&headers);
    let me = node.member.to_string();
    let scope = atom::Scope {
        key: "all".into(),
        title: format!("Pacta: every change of status ({})", roster.network_name()),
        self_url: format!("{base}/feed.atom"),
        page_url: format!("{base}/"),
        network: roster.network_name(),
        node: &me,
    };
    feed(&node, &headers, scope, |_| true).await
}

async fn member_feed(
    State(node): State<Arc<Node>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let code = match member_or_answer(&node, &raw, &headers, &uri, negotiate::Form::Html, |c| {
        format!("/members/{c}/feed.atom")
    }) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    let roster = node.ledger.roster();
    let name = roster
        .member(code)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    let base = base_url(&headers);
    let me = node.member.to_string();
    let scope = atom::Scope {
        key: format!("member:{code}"),
        title: format!("Pacta: changes of status of {name} ({code})"),
        self_url: format!("{base}/members/{code}/feed.atom"),
        page_url: format!("{base}/members/{code}"),
        network: roster.network_name(),
        node: &me,
    };
    feed(&node, &headers, scope, move |r| r.member() == Some(code)).await
}

async fn instrument_feed(
    State(node): State<Arc<Node>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let snap = node.watch.snapshot();
    let (id, short) = match snap.status.find(&raw) {
        Ok(i) => (i.id, i.short.clone()),
        Err(e) => {
            return not_found(
                &node,
                &headers,
                negotiate::Form::Html,
                "No such instrument",
                e,
            );
        }
    };
    let roster = node.ledger.roster();
    let base = base_url(&headers);
    let me = node.member.to_string();
    let scope = atom::Scope {
        key: format!("instrument:{id}"),
        title: format!("Pacta: changes of status under {short}"),
        self_url: format!("{base}/instruments/{id}/feed.atom"),
        page_url: format!("{base}/instruments/{id}"),
        network: roster.network_name(),
        node: &me,
    };
    feed(&node, &headers, scope, move |r| r.instrument() == Some(id)).await
}

async fn openapi(headers: HeaderMap) -> Response {
    const DOC: &str = include_str!("openapi.json");
    let tag = etag(&[DOC.as_bytes()]);
    cached(&headers, &tag, JSON, || Body::from(DOC))
}
