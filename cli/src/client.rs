//! Talking to a node over HTTP: heads, feed pages, fork proofs, submissions, and the
//! download of a whole ledger for export and verification.
//!
//! A node is not trusted, and neither is the size of what it sends: every answer is
//! read up to [`MAX_ANSWER`] bytes (a checkpoint up to its own limit) and no further,
//! the cap the node's replication reads a peer's answer with. A node that sends more
//! gets an error naming the URL and the cap, so it costs at most that much memory per
//! answer, whatever it sends (issue 18, finding 14).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pacta_core::bundle;
use pacta_core::entry::Entry;
use pacta_core::ids::{MemberCode, Seq};
use pacta_core::wire::{ApiError, FeedPage, ForkCursor, Forks, Heads, HexBytes, Submit, SubmitOk};
use pacta_node::replicate::{Capped, read_capped};
use reqwest::{Client, Response, StatusCode, Url};
use serde::de::DeserializeOwned;

/// Entries asked for per page when downloading a ledger: the same as the node's
/// replication, whose answer cap [`MAX_ANSWER`] is sized for a page of this many.
pub const PAGE: u64 = 1000;

/// The most the CLI reads of one answer from a node: a full page of entries in hex with
/// its JSON, the same cap as the node's replication (`replicate::MAX_RESPONSE`). Heads,
/// fork proofs and error bodies are read under it too.
pub const MAX_ANSWER: usize = pacta_node::replicate::MAX_RESPONSE;

/// Reads the body of `resp` (from `url`) up to `cap` bytes and no further.
pub async fn read_body(url: &Url, resp: Response, cap: usize) -> Result<Vec<u8>> {
    match read_capped(resp, cap).await {
        Ok(body) => Ok(body),
        Err(Capped::TooLarge(cap)) => bail!(
            "{url}: the answer is larger than {cap} bytes, the most pacta reads of one answer from a node; the rest was not read"
        ),
        Err(Capped::Http(e)) => Err(e).with_context(|| format!("reading {url}")),
    }
}

/// What an error answer says: its `error` sentence, or the start of its text.
fn detail(body: &[u8]) -> String {
    /// Enough of a garbled answer to recognise it, not a screenful.
    const SHOWN: usize = 300;
    match serde_json::from_slice::<ApiError>(body) {
        Ok(e) => e.error,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let mut shown: String = text.chars().take(SHOWN).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            shown
        }
    }
}

/// The most fork proofs the CLI reads from one node: a node keeps at most 8 per member
/// (SPEC section 7), so this is room for 8,192 members.
const MAX_FORKS: usize = 65_536;

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

/// Roots trusted besides the system's, from `--ca` (set once, before any client).
static TRUSTED: std::sync::OnceLock<Vec<reqwest::Certificate>> = std::sync::OnceLock::new();

/// Trusts the certificates of the PEM file `path` for every node, besides the system's
/// roots (`pacta --ca FILE`).
pub fn trust(path: &std::path::Path) -> Result<()> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("--ca {}: cannot read it", path.display()))?
        .map(|der| {
            let der = der
                .with_context(|| format!("--ca {}: not a PEM certificate file", path.display()))?;
            reqwest::Certificate::from_der(&der).with_context(|| {
                format!("--ca {}: a certificate in it is not usable", path.display())
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if certs.is_empty() {
        bail!("--ca {}: holds no PEM certificate", path.display());
    }
    let _ = TRUSTED.set(certs);
    Ok(())
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
            .tls_certs_merge(TRUSTED.get().into_iter().flatten().cloned())
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
        let body = read_body(&url, resp, MAX_ANSWER).await?;
        if !status.is_success() {
            bail!("{url}: HTTP {status}: {}", detail(&body));
        }
        serde_json::from_slice(&body).with_context(|| format!("{url}: not the expected JSON"))
    }

    pub async fn heads(&self) -> Result<Heads> {
        self.get("v1/heads").await
    }

    /// A page of `member`'s feed from `from`: at most `limit` entries, labelled as the
    /// page asked for (the entries themselves are not checked here).
    pub async fn page(&self, member: MemberCode, from: Seq, limit: u64) -> Result<FeedPage> {
        let path = format!("v1/feeds/{member}?from={}&limit={limit}", from.0);
        let page: FeedPage = self.get(&path).await?;
        let url = self.base.join(&path)?;
        if page.member != member || page.from != from {
            bail!(
                "{url}: the node answered a page of {} from {} instead",
                page.member,
                page.from
            );
        }
        if page.entries.len() as u64 > limit {
            bail!(
                "{url}: the node answered {} entries where at most {limit} were asked for",
                page.entries.len()
            );
        }
        Ok(page)
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
            if forks.len() > MAX_FORKS {
                bail!(
                    "{}: the node serves more than {MAX_FORKS} fork proofs (a node keeps at most 8 per member); the rest was not read",
                    self.base
                );
            }
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
        let bytes = read_body(&url, resp, MAX_ANSWER).await?;
        if status.is_success() {
            return Ok(Answer::Accepted(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("{url}: not the expected JSON"))?,
            ));
        }
        match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(err) => Ok(Answer::Refused(status, Box::new(err))),
            Err(_) => bail!("{url}: HTTP {status}: {}", detail(&bytes)),
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
            // The id of the last entry taken, for the next one's prev.
            let mut prev = None;
            let mut next = 1;
            'feed: while next <= head.seq.0 {
                let page = self
                    .page(*member, Seq(next), PAGE.min(head.seq.0 - next + 1))
                    .await?;
                if page.entries.is_empty() {
                    bail!(
                        "the node lists {member} up to {} but serves nothing from #{next}",
                        head.seq
                    );
                }
                bar.inc(page.entries.len() as u64);
                for bytes in page.entries {
                    // Each entry must be the next one of the chain: the right member and
                    // position, naming the last one as its prev. The first that is not
                    // ends the feed here: it is kept, and the verifier says what is
                    // wrong with it. So a node cannot make the download go on for ever
                    // by serving the same entries again, or any that do not chain, as
                    // the heads it claims run on (issue 18, finding 14).
                    let chained = Entry::decode(&bytes.0).ok().filter(|e| {
                        e.author() == *member && e.seq() == Seq(next) && e.header().prev == prev
                    });
                    entries.push(bytes.0);
                    let Some(entry) = chained else {
                        break 'feed;
                    };
                    prev = Some(entry.id());
                    next = next.checked_add(1).with_context(|| {
                        format!("the node serves more than 2^64 entries of {member}")
                    })?;
                }
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
        // A checkpoint is a signed note, at most `MAX_NOTE` bytes; an error body is read
        // under the same cap.
        let bytes = read_body(&url, resp, pacta_core::note::MAX_NOTE).await?;
        if !status.is_success() {
            bail!("{url}: HTTP {status}: {}", detail(&bytes));
        }
        Ok(Some(bytes))
    }
}

/// A node's ledger as a stream of pages (`pacta verify --node`, `pacta status
/// --node`): the checkpoint, heads and fork proofs first, then each feed page by page
/// as the audit reads it, never the whole ledger at once.
#[derive(Debug)]
pub struct NodeFeeds {
    client: NodeClient,
    heads: std::collections::BTreeMap<MemberCode, Seq>,
    runtime: tokio::runtime::Handle,
}

impl NodeClient {
    /// What an audit needs before the feeds, and the feeds as a source of pages. Must
    /// be called within the runtime; the audit then runs in `block_in_place`.
    pub async fn outline(self) -> Result<(pacta_core::audit::Outline, NodeFeeds)> {
        // The checkpoint first: the feeds fetched after it must extend it, and the
        // verifier checks that they do.
        let checkpoint = self.checkpoint().await?;
        let heads = self.heads().await?;
        let forks = self.forks().await?;
        let outline = pacta_core::audit::Outline {
            network: heads.network,
            feeds: heads
                .heads
                .iter()
                .filter(|(_, h)| h.seq.0 > 0)
                .map(|(m, h)| (*m, h.seq.0))
                .collect(),
            forks: forks
                .forks
                .into_iter()
                .map(|f| {
                    let [a, b] = f.entries;
                    [a.0, b.0]
                })
                .collect(),
            checkpoint,
        };
        let heads = heads.heads.iter().map(|(m, h)| (*m, h.seq)).collect();
        Ok((
            outline,
            NodeFeeds {
                client: self,
                heads,
                runtime: tokio::runtime::Handle::current(),
            },
        ))
    }
}

impl pacta_core::audit::FeedSource for NodeFeeds {
    type Error = anyhow::Error;

    fn feed(&mut self, member: MemberCode, sink: &mut dyn FnMut(&[&[u8]])) -> Result<()> {
        let Some(head) = self.heads.get(&member).copied() else {
            return Ok(());
        };
        // The id of the last entry taken, for the next one's prev.
        let mut prev = None;
        let mut next = 1;
        while next <= head.0 {
            let page = self.runtime.block_on(self.client.page(
                member,
                Seq(next),
                PAGE.min(head.0 - next + 1),
            ))?;
            if page.entries.is_empty() {
                bail!("the node lists {member} up to {head} but serves nothing from #{next}");
            }
            // Each entry must be the next one of the chain: the right member and
            // position, naming the last one as its prev. The first that is not ends the
            // feed here: it is passed on, and the verifier says what is wrong with it.
            // So a node cannot make the audit go on for ever by serving the same
            // entries again, or any that do not chain (issue 18, finding 14).
            let mut taken = 0;
            let mut broken = false;
            for bytes in &page.entries {
                taken += 1;
                let chained = Entry::decode(&bytes.0).ok().filter(|e| {
                    e.author() == member && e.seq() == Seq(next) && e.header().prev == prev
                });
                let Some(entry) = chained else {
                    broken = true;
                    break;
                };
                prev = Some(entry.id());
                next = next.checked_add(1).with_context(|| {
                    format!("the node serves more than 2^64 entries of {member}")
                })?;
            }
            let slice: Vec<&[u8]> = page.entries[..taken]
                .iter()
                .map(|b| b.0.as_slice())
                .collect();
            sink(&slice);
            if broken {
                break;
            }
        }
        Ok(())
    }
}
