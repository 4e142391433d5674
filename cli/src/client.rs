//! Talking to a node over HTTP: heads, feed pages, fork proofs, submissions, and the
//! download of a whole ledger for export and verification.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pacta_core::bundle;
use pacta_core::entry::Entry;
use pacta_core::ids::{MemberCode, Seq};
use pacta_core::wire::{ApiError, FeedPage, ForkCursor, Forks, Heads, HexBytes, Submit, SubmitOk};
use reqwest::{Client, StatusCode, Url};
use serde::de::DeserializeOwned;

/// Entries asked for per page when downloading a ledger.
const PAGE: u64 = 1000;

#[derive(Debug, Clone)]
pub struct NodeClient {
    base: Url,
    http: Client,
}

/// What a node said to a submission.
#[derive(Debug)]
pub enum Answer {
    Accepted(SubmitOk),
    Refused(StatusCode, Box<ApiError>),
}

impl NodeClient {
    pub fn new(url: &str) -> Result<NodeClient> {
        let mut base = Url::parse(url).with_context(|| format!("--node {url:?} is not a URL"))?;
        if !matches!(base.scheme(), "http" | "https") {
            bail!("--node {url:?} is not an http:// or https:// URL");
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .context("building the HTTP client")?;
        Ok(NodeClient { base, http })
    }

    pub fn url(&self) -> &Url {
        &self.base
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = self.base.join(path)?;
        let resp = self
            .http
            .get(url.clone())
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .with_context(|| format!("reading {url}"))?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<ApiError>(&body)
                .map(|e| e.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            bail!("{url}: HTTP {status}: {detail}");
        }
        serde_json::from_slice(&body).with_context(|| format!("{url}: not the expected JSON"))
    }

    pub async fn heads(&self) -> Result<Heads> {
        self.get("v1/heads").await
    }

    pub async fn page(&self, member: MemberCode, from: Seq, limit: u64) -> Result<FeedPage> {
        self.get(&format!("v1/feeds/{member}?from={}&limit={limit}", from.0))
            .await
    }

    /// Every fork proof the node serves, following its pages (`next`). Each page must
    /// move on past the one before, so a node cannot keep this loop going in place.
    pub async fn forks(&self) -> Result<Forks> {
        let mut forks = Vec::new();
        let mut at: Option<ForkCursor> = None;
        loop {
            let path = at.map_or_else(
                || "v1/forks".to_owned(),
                |c| format!("v1/forks{}", c.query()),
            );
            let page: Forks = self.get(&path).await?;
            forks.extend(page.forks);
            match (page.next, at) {
                (None, _) => return Ok(Forks { forks, next: None }),
                (Some(next), Some(here)) if next <= here => bail!(
                    "{}: the page of fork proofs from {} {} names {} {} as the next one, which is not further on",
                    self.base,
                    here.member,
                    here.from,
                    next.member,
                    next.from
                ),
                (Some(next), _) => at = Some(next),
            }
        }
    }

    /// The entry at `seq` of `member`'s feed, decoded strictly.
    pub async fn entry(&self, member: MemberCode, seq: Seq) -> Result<Option<Entry>> {
        let page = self.page(member, seq, 1).await?;
        match page.entries.first() {
            None => Ok(None),
            Some(bytes) => {
                Ok(Some(Entry::decode(&bytes.0).with_context(|| {
                    format!("{member} {seq} from the node")
                })?))
            }
        }
    }

    pub async fn submit(&self, entries: &[&Entry]) -> Result<Answer> {
        let url = self.base.join("v1/entries")?;
        let body = Submit {
            entries: entries
                .iter()
                .map(|e| HexBytes(e.as_bytes().to_vec()))
                .collect(),
        };
        let resp = self
            .http
            .post(url.clone())
            .json(&body)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if status.is_success() {
            return Ok(Answer::Accepted(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("{url}: not the expected JSON"))?,
            ));
        }
        match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(err) => Ok(Answer::Refused(status, Box::new(err))),
            Err(_) => bail!("{url}: HTTP {status}: {}", String::from_utf8_lossy(&bytes)),
        }
    }

    /// Downloads the whole ledger and frames it as a bundle, the entries exactly as the
    /// node served them. Shows a progress bar on a terminal.
    pub async fn download(&self) -> Result<Vec<u8>> {
        // The checkpoint first: the feeds fetched after it must extend it, and the
        // verifier checks that they do.
        let checkpoint = self.checkpoint().await?;
        let heads = self.heads().await?;
        // Heads come from the node, which an auditor does not trust: no overflow, and no
        // allocation sized by a number it sent.
        let total = heads
            .heads
            .values()
            .fold(0u64, |sum, h| sum.saturating_add(h.seq.0));
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>12} [{bar:40}] {pos}/{len} entries ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message("downloading");
        let mut feeds: Vec<(MemberCode, Vec<Vec<u8>>)> = Vec::new();
        for (member, head) in &heads.heads {
            let mut entries = Vec::new();
            let mut next = 1;
            while next <= head.seq.0 {
                let page = self
                    .page(*member, Seq(next), PAGE.min(head.seq.0 - next + 1))
                    .await?;
                if page.entries.is_empty() {
                    bail!(
                        "the node lists {member} up to {} but serves nothing from #{next}",
                        head.seq
                    );
                }
                next = next
                    .checked_add(page.entries.len() as u64)
                    .with_context(|| {
                        format!("the node serves more than 2^64 entries of {member}")
                    })?;
                bar.inc(page.entries.len() as u64);
                entries.extend(page.entries.into_iter().map(|h| h.0));
            }
            feeds.push((*member, entries));
        }
        let forks = self.forks().await?;
        bar.finish_and_clear();
        let feeds: Vec<(MemberCode, Vec<&[u8]>)> = feeds
            .iter()
            .map(|(m, e)| (*m, e.iter().map(Vec::as_slice).collect()))
            .collect();
        let forks: Vec<[&[u8]; 2]> = forks
            .forks
            .iter()
            .map(|f| [f.entries[0].0.as_slice(), f.entries[1].0.as_slice()])
            .collect();
        Ok(bundle::encode_raw(
            heads.network,
            &feeds,
            &forks,
            checkpoint.as_deref(),
        ))
    }

    /// The node's newest checkpoint with a quorum of signatures, if it has one. Only
    /// its framing is checked here; `pacta verify` checks its signatures.
    pub async fn checkpoint(&self) -> Result<Option<Vec<u8>>> {
        let url = self.base.join("v1/checkpoint")?;
        let resp = self
            .http
            .get(url.clone())
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            bail!("{url}: HTTP {status}: {}", String::from_utf8_lossy(&bytes));
        }
        if bytes.len() > pacta_core::note::MAX_NOTE {
            bail!(
                "{url}: the checkpoint is larger than {} bytes",
                pacta_core::note::MAX_NOTE
            );
        }
        Ok(Some(bytes.to_vec()))
    }
}
