//! `pacta submit --node URL --key FILE --member CODE (note --text TEXT | --body FILE)`
//!
//! Signs on this machine and posts the entry; the secret key never leaves it. Exit 0
//! when the node stored the entry, 1 when the node refused it, 2 on any other error.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use pacta_core::SecretKey;
use pacta_core::entry::{Draft, Entry};
use pacta_core::ids::{Kind, MemberCode, Seq, Timestamp};
use pacta_core::payload::{Note, Payload};
use pacta_core::wire::{Accepted, ApiError};
use reqwest::StatusCode;

use crate::Outcome;
use crate::client::{Answer, NodeClient};
use crate::files::read_secret_key;
use crate::journal::Journal;

/// The payload to sign: from flags or from a `--body` file.
#[derive(Debug)]
pub enum Body<'a> {
    Note { text: String },
    File(&'a Path),
}

pub async fn run(
    node: &str,
    key_path: &Path,
    member: MemberCode,
    body: Body<'_>,
    force: bool,
) -> Result<Outcome> {
    let payload = match body {
        Body::Note { text } => Payload::Note(Note::new(text)),
        Body::File(path) => payload_from_file(path)?,
    };
    // Validate before signing anything, so a mistake never reaches the journal.
    let bytes = payload.encode();
    Payload::decode(payload.kind(), &bytes)?;
    // The key file itself, whatever path reaches it: its one journal is beside it, and
    // the key is read from the very file the journal belongs to.
    let key_file = Journal::resolve_key(key_path)?;
    let key = read_secret_key(&key_file)?;
    let client = NodeClient::new(node)?;
    let mut journal = Journal::open(Journal::path_for(&key_file))?;
    let mut signer = Signer {
        client: &client,
        key: &key,
        member,
        journal: &mut journal,
        force,
    };
    match signer.sign_and_submit(payload.kind(), bytes).await? {
        Ok(a) => {
            println!("{} {} stored: {}", a.member, a.seq, a.id);
            Ok(Outcome::Valid)
        }
        Err((status, err)) => {
            eprintln!(
                "pacta: the node refused the entry (HTTP {status}, {}): {}",
                err.reason, err.error
            );
            Ok(Outcome::Invalid)
        }
    }
}

fn payload_from_file(path: &Path) -> Result<Payload> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct BodyFile {
        kind: String,
        payload: serde_json::Value,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let body: BodyFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not {{\"kind\": \"...\", \"payload\": {{...}}}}",
            path.display()
        )
    })?;
    let kind: Kind = body
        .kind
        .parse()
        .with_context(|| format!("{}: kind", path.display()))?;
    Payload::from_json(kind, body.payload).with_context(|| format!("{}", path.display()))
}

/// Signs entries for one member against one node, keeping the journal.
#[derive(Debug)]
pub struct Signer<'a> {
    pub client: &'a NodeClient,
    pub key: &'a SecretKey,
    pub member: MemberCode,
    pub journal: &'a mut Journal,
    /// Sign on top of the node's head even when the journal disagrees with the node.
    pub force: bool,
}

fn now() -> Result<Timestamp> {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_millis();
    Ok(Timestamp::from_millis(
        u64::try_from(ms).unwrap_or(u64::MAX),
    )?)
}

impl Signer<'_> {
    /// Brings the node up to date with the journal, then signs and posts one new entry.
    pub async fn sign_and_submit(
        &mut self,
        kind: Kind,
        payload: Vec<u8>,
    ) -> Result<Result<Accepted, (StatusCode, Box<ApiError>)>> {
        let member = self.member;
        let heads = self.client.heads().await?;
        let network = heads.network;
        let mut head = heads.heads.get(&member).copied();
        let node_seq = head.map_or(0, |h| h.seq.0);
        let signed: Vec<Entry> = self
            .journal
            .feed(network, member)
            .into_iter()
            .cloned()
            .collect();

        // The newest entry this key signed at or below the node's head must be the one
        // the node holds; otherwise signing on top could fork the feed.
        if let Some(common) = signed.iter().rev().find(|e| e.seq().0 <= node_seq) {
            let held = self.client.entry(member, common.seq()).await?;
            if held.as_ref().map(Entry::id) != Some(common.id()) {
                let found = held.map_or("nothing".to_owned(), |e| e.id().to_string());
                let msg = format!(
                    "{member} {}: the node holds {found}, but this key signed {} there (journal {}). Another copy of this key is signing, or the node serves another history; signing now could fork {member}'s feed",
                    common.seq(),
                    common.id(),
                    self.journal_path()
                );
                if !self.force {
                    bail!("{msg}. Refusing; --force signs anyway");
                }
                eprintln!("pacta: warning: {msg}. Signing anyway (--force).");
            }
        }

        // Entries this key signed that the node lacks are sent again, unchanged.
        let missing: Vec<&Entry> = signed.iter().filter(|e| e.seq().0 > node_seq).collect();
        if let (Some(first), Some(last)) = (missing.first(), missing.last()) {
            let contiguous = node_seq.checked_add(1) == Some(first.seq().0)
                && first.header().prev == head.map(|h| h.id)
                && missing
                    .windows(2)
                    .all(|w| w[0].seq().next() == Some(w[1].seq()));
            if contiguous {
                eprintln!(
                    "pacta: the node lacks {member} {}..{}, which this key already signed; sending the same signed {} again instead of signing anything new at {}",
                    first.seq(),
                    last.seq(),
                    if missing.len() == 1 {
                        "entry"
                    } else {
                        "entries"
                    },
                    if missing.len() == 1 {
                        "that position"
                    } else {
                        "those positions"
                    }
                );
                match self.client.submit(&missing).await? {
                    Answer::Accepted(_) => {
                        head = Some(pacta_core::wire::Head {
                            seq: last.seq(),
                            id: last.id(),
                        });
                    }
                    Answer::Refused(status, err) => bail!(
                        "re-sending {member}'s signed entries failed (HTTP {status}): {}",
                        err.error
                    ),
                }
            } else if !self.force {
                bail!(
                    "the journal {} holds {member} {}..{} but they do not extend the node's head ({}); refusing to sign at a position this key already used (--force signs on the node's head anyway)",
                    self.journal_path(),
                    first.seq(),
                    last.seq(),
                    head.map_or("empty".to_owned(), |h| format!(
                        "{} {}",
                        h.seq,
                        h.id.short()
                    ))
                );
            }
        }

        let (seq, prev, time) = match head {
            None => (Seq::FIRST, None, now()?),
            Some(h) => {
                let prev_entry = self
                    .client
                    .entry(member, h.seq)
                    .await?
                    .context("the node lists a head it does not serve")?;
                // Claimed times never go backwards within a feed, even with a skewed clock.
                let time = now()?.max(prev_entry.header().time);
                let seq = h
                    .seq
                    .next()
                    .with_context(|| format!("{member}'s feed is full"))?;
                (seq, Some(h.id), time)
            }
        };
        if !self.force && signed.iter().any(|e| e.seq() == seq) {
            bail!(
                "this key already signed {member} {seq} (journal {}); refusing to sign a second entry there",
                self.journal_path()
            );
        }
        let entry = Draft {
            network,
            author: member,
            seq,
            prev,
            time,
            kind,
            payload,
        }
        .sign(self.key)?;
        self.journal.append(&entry)?;
        Ok(match self.client.submit(&[&entry]).await? {
            Answer::Accepted(ok) => Ok(ok
                .accepted
                .first()
                .copied()
                .context("the node answered with no result")?),
            Answer::Refused(status, err) => Err((status, err)),
        })
    }

    fn journal_path(&self) -> String {
        self.journal.path().display().to_string()
    }
}
