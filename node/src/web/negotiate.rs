//! Content negotiation for answers that are not found: a browser asking for an unknown
//! page gets an HTML page that says what exists; a script asking for JSON gets the
//! JSON error every API answer uses. And the canonical form of a member code in a
//! path: `/members/us` is `/members/US`, by a permanent redirect.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use pacta_core::ids::MemberCode;
use std::sync::Arc;

use crate::node::Node;

/// Which form an error answer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Html,
    Json,
}

/// The quality the `Accept` header gives a media type (`text/html`), counting
/// `text/*` and `*/*`; `None` when nothing in it matches.
fn quality(accept: &str, wanted: &str) -> Option<f32> {
    let (kind, _) = wanted.split_once('/')?;
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .filter(|q| q.is_finite())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        // The most specific range decides (RFC 9110 §12.5.1).
        let specificity = if media == wanted {
            3
        } else if media.strip_suffix("/*") == Some(kind) {
            2
        } else if media == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map(|(_, q)| q)
}

/// The form the client prefers; `default` when it does not say (no `Accept`, or
/// `*/*` alone, as curl sends).
pub fn preferred(headers: &HeaderMap, default: Form) -> Form {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return default;
    }
    let html = quality(&accept, "text/html").unwrap_or(0.0);
    let json = quality(&accept, "application/json").unwrap_or(0.0);
    if html > json {
        Form::Html
    } else if json > html {
        Form::Json
    } else {
        default
    }
}

/// The router's fallback: no such endpoint, in the form the client prefers (JSON
/// unless it asks for HTML, as a browser does).
pub async fn fallback(State(node): State<Arc<Node>>, headers: HeaderMap, uri: Uri) -> Response {
    let path: String = uri.path().chars().take(200).collect();
    match preferred(&headers, Form::Json) {
        Form::Html => super::html_problem(
            &node,
            StatusCode::NOT_FOUND,
            "No such page",
            &format!("this node serves nothing at {path}"),
        ),
        Form::Json => super::json_problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "no such endpoint; see the API list in README.md and /openapi.json".into(),
        ),
    }
}

/// A member code in a path that is a member's once upper-cased (`us`, `Nato`): the
/// code to redirect to. Member codes are upper-case ASCII letters and digits, so only
/// such input is ever changed.
pub fn canonical(node: &Node, raw: &str) -> Option<MemberCode> {
    if !raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let upper = raw.to_ascii_uppercase();
    if upper == raw {
        return None;
    }
    let code: MemberCode = upper.parse().ok()?;
    node.ledger.roster().member(code).map(|_| code)
}

/// A permanent redirect to `path`, keeping the request's query string.
pub fn redirect(path: String, uri: &Uri) -> Response {
    let to = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    match HeaderValue::from_str(&to) {
        Ok(v) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, v)]).into_response(),
        // Unreachable for a code and a query the URI parser accepted; answered
        // rather than assumed.
        Err(_) => super::json_problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "the request's query cannot be carried into a redirect".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(accept) {
            h.insert(header::ACCEPT, v);
        }
        h
    }

    #[test]
    fn browsers_prefer_html_and_scripts_json() {
        let chrome =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert_eq!(preferred(&with(chrome), Form::Json), Form::Html);
        assert_eq!(preferred(&with("application/json"), Form::Html), Form::Json);
        assert_eq!(preferred(&with("*/*"), Form::Json), Form::Json);
        assert_eq!(preferred(&with("*/*"), Form::Html), Form::Html);
        assert_eq!(preferred(&with(""), Form::Html), Form::Html);
        assert_eq!(
            preferred(&with("text/html;q=0.2, application/json"), Form::Html),
            Form::Json
        );
        // Garbage is no preference.
        for junk in [
            "q=q=q",
            ";;;,,,",
            "text/html;q=NaN, application/json;q=nan",
            "\u{7f}",
        ] {
            let _ = preferred(&with(junk), Form::Json);
        }
        assert_eq!(preferred(&with("text/html;q=abc"), Form::Json), Form::Html);
    }
}
