//! What the in-process web tests share: the example keys, a signer for several
//! members, submitting to a standalone node, and requests through its router.

#![allow(dead_code, reason = "each test file uses part of it")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use pacta_core::entry::Draft;
use pacta_core::ids::{EntryId, Kind, MemberCode, Seq, Timestamp};
use pacta_core::payload::Payload;
use pacta_core::{Entry, Roster, SecretKey};
use pacta_node::node::Node;
use serde_json::Value;
use tower::ServiceExt;

pub fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../keys-example")
}

pub fn code(s: &str) -> MemberCode {
    s.parse().unwrap()
}

/// Signs entries for several members with the example keys.
pub struct Authors {
    roster: Roster,
    keys: BTreeMap<MemberCode, SecretKey>,
    heads: BTreeMap<MemberCode, (u64, Option<EntryId>)>,
    clock: u64,
}

impl Authors {
    pub fn new(roster: &Roster) -> Authors {
        Authors {
            roster: roster.clone(),
            keys: BTreeMap::new(),
            heads: BTreeMap::new(),
            // 2026-11-20: after every act dated below.
            clock: 1_795_132_800_000,
        }
    }

    pub fn draft(&mut self, member: &str, kind: &str, body: Value) -> Draft {
        let m = code(member);
        let kind: Kind = kind.parse().unwrap();
        let payload = Payload::from_json(kind, body).unwrap();
        let (seq, prev) = self.heads.get(&m).copied().unwrap_or((0, None));
        self.clock += 1000;
        Draft {
            network: self.roster.network_id(),
            author: m,
            seq: Seq(seq + 1),
            prev,
            time: Timestamp::from_millis(self.clock).unwrap(),
            kind,
            payload: payload.encode(),
        }
    }

    pub fn key(&mut self, member: &str) -> &SecretKey {
        let m = code(member);
        self.keys.entry(m).or_insert_with(|| {
            let text = std::fs::read_to_string(keys_dir().join(format!("{member}.key"))).unwrap();
            SecretKey::from_file_text(&text).unwrap()
        })
    }

    pub fn sign(&mut self, member: &str, kind: &str, body: Value) -> Entry {
        let draft = self.draft(member, kind, body);
        let entry = draft.sign(self.key(member)).unwrap();
        self.heads
            .insert(code(member), (entry.seq().0, Some(entry.id())));
        entry
    }
}

pub async fn submit(node: &Node, entries: &[&Entry]) {
    let batch = entries.iter().map(|e| e.as_bytes().to_vec()).collect();
    node.submit(batch).await.unwrap();
    node.watch.catch_up().unwrap();
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: header::HeaderName) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

pub async fn get_with(node: &Arc<Node>, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = Request::get(uri).header("host", "watch.example:8080");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = pacta_node::api::app(node.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(node: &Arc<Node>, uri: &str) -> Answer {
    get_with(node, uri, &[]).await
}
