//! Backup, restore and import: `pacta-node backup | restore | import`.
//!
//! A backup is a bundle (`pacta_core::bundle`, the format `pacta verify` reads) whose
//! checkpoint is the node's own last signed checkpoint, its never-regress record.
//! - **backup** of a stopped node reads its store directly, under the data folder's
//!   lock. Of a running node (the lock is held) it never touches sled's files: it
//!   catches a scratch store up from the node's own API (`<data>/serving` names it),
//!   verifying every entry as a peer would, and reads the record file, which the node
//!   replaces atomically.
//! - **restore** and **import** build a fresh store in an empty folder from a bundle,
//!   placing every entry through the same rules as a submission (signature, chain,
//!   keys in force), so a damaged or forged file is refused, naming the entry. Restore
//!   also puts the record back, and notes in the store that its node signed, so the
//!   start-up protections against an old backup apply: the record beside the folder
//!   (`<data>.checkpoint`), if newer, still stops the node from signing an older view.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use pacta_core::Roster;
use pacta_core::bundle::{BundleView, encode_raw};
use pacta_core::entry::Entry;
use pacta_core::fork::ForkProof;
use pacta_core::ids::{MemberCode, Seq};

use crate::ledger::Ledger;
use crate::store::{Check, Store};

/// `<data>/serving`: the URL a running node serves on, for a backup made meanwhile.
pub const SERVING: &str = "serving";

/// What a backup or an import holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub entries: u64,
    pub feeds: usize,
    pub forks: usize,
    pub record: bool,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} entries in {} feeds, {} fork proofs, {}",
            self.entries,
            self.feeds,
            self.forks,
            if self.record {
                "and the node's last signed checkpoint"
            } else {
                "no signed checkpoint"
            }
        )
    }
}

/// Writes a backup of the node whose data folder is `data` to `out`.
pub async fn backup(roster: Arc<Roster>, data: &Path, out: &Path) -> Result<Counts> {
    let record = read_record(data)?;
    let (bytes, counts) = match crate::datadir::lock(data) {
        Ok(lock) => {
            let (network, limit) = (roster.network_id(), roster.feed_limit());
            let dir = data.to_owned();
            let (store, recovered) =
                tokio::task::spawn_blocking(move || Store::open(&dir, network, limit, Check::Fast))
                    .await??;
            let ledger = Ledger::new(roster.clone(), store, recovered);
            let exported = export(&roster, &ledger, record.as_deref());
            drop(lock);
            exported?
        }
        Err(_) => {
            // Running: catch a scratch store up from the node itself.
            let url = std::fs::read_to_string(data.join(SERVING)).with_context(|| {
                format!(
                    "{} is held by a running node, but {} is missing: start the node with this version so that it says where it serves",
                    data.display(),
                    data.join(SERVING).display()
                )
            })?;
            let url = reqwest::Url::parse(url.trim())
                .with_context(|| format!("{}: not a URL", data.join(SERVING).display()))?;
            let scratch = tempfile::tempdir().context("a scratch folder")?;
            let member = roster
                .members()
                .next()
                .map(|m| m.code)
                .context("the roster has no member")?;
            let node =
                crate::standalone(roster.clone(), member, &scratch.path().join("store")).await?;
            let client = crate::replicate::client()?;
            while crate::replicate::pull_once(&node, &client, &url)
                .await
                .with_context(|| format!("copying the ledger from the running node at {url}"))?
                > 0
            {}
            export(&roster, &node.ledger, record.as_deref())?
        }
    };
    crate::witness::write_durably(out, &bytes)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(counts)
}

/// The node's own record of its last signed checkpoint, checked, if it has one.
fn read_record(data: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(data.join("checkpoint")) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", data.join("checkpoint").display())),
    }
}

/// The ledger as a bundle with `record` as its checkpoint.
fn export(roster: &Roster, ledger: &Ledger, record: Option<&[u8]>) -> Result<(Vec<u8>, Counts)> {
    let store = ledger.store();
    let mut feeds: Vec<(MemberCode, Vec<sled::IVec>)> = Vec::new();
    for (member, head) in ledger.heads() {
        let mut rows = Vec::new();
        while (rows.len() as u64) < head.seq.0 {
            let from = Seq(rows.len() as u64 + 1);
            let page = store.range(member, from, 10_000, usize::MAX)?;
            if page.is_empty() {
                bail!(
                    "{member}: the store holds {} entries below its head #{}",
                    rows.len(),
                    head.seq.0
                );
            }
            rows.extend(page);
        }
        rows.truncate(head.seq.0 as usize);
        feeds.push((member, rows));
    }
    let mut forks = Vec::new();
    for f in ledger.forks() {
        if let Some(proof) = store.fork(f.member, f.seq)? {
            forks.push(proof);
        }
    }
    let entries = feeds.iter().map(|(_, r)| r.len() as u64).sum();
    let framed: Vec<(MemberCode, Vec<&[u8]>)> = feeds
        .iter()
        .map(|(m, rows)| (*m, rows.iter().map(|r| r.as_ref()).collect()))
        .collect();
    let pairs: Vec<[&[u8]; 2]> = forks
        .iter()
        .map(|p| p.entries().map(Entry::as_bytes))
        .collect();
    let counts = Counts {
        entries,
        feeds: framed.len(),
        forks: pairs.len(),
        record: record.is_some(),
    };
    Ok((
        encode_raw(roster.network_id(), &framed, &pairs, record),
        counts,
    ))
}

/// Builds a fresh store in `data` (missing or empty) from the bundle `file`, checking
/// every entry; with `restore`, puts back the node's checkpoint record it carries.
pub fn import(roster: Arc<Roster>, file: &Path, data: &Path, restore: bool) -> Result<Counts> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let view = BundleView::parse(&bytes).with_context(|| format!("{}", file.display()))?;
    if view.network != roster.network_id() {
        bail!(
            "{} is a ledger of network {}, not of this roster's ({})",
            file.display(),
            view.network,
            roster.network_id()
        );
    }
    if std::fs::read_dir(data).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty: restore and import build a new store, and never write over one",
            data.display()
        );
    }
    let record = match (restore, view.checkpoint) {
        (true, Some(note)) => Some(
            pacta_core::checkpoint::verify_checkpoint(&roster, note)
                .map(|w| (note.to_vec(), w.checkpoint.time.millis()))
                .with_context(|| format!("{}: the checkpoint record it carries", file.display()))?,
        ),
        _ => None,
    };
    let _lock = crate::datadir::lock(data)?;
    let (store, recovered) =
        Store::open(data, roster.network_id(), roster.feed_limit(), Check::Fast)?;
    let ledger = Ledger::new(roster.clone(), store, recovered);
    let mut entries = 0;
    for (member, feed) in &view.feeds {
        for (i, bytes) in feed.iter().enumerate() {
            ledger
                .accept(bytes)
                .with_context(|| format!("{}: {member} #{}", file.display(), i + 1))?;
            entries += 1;
        }
    }
    for (i, [a, b]) in view.forks.iter().enumerate() {
        let decode = |bytes: &[u8]| Entry::decode(bytes).map_err(|e| anyhow::anyhow!("{e}"));
        let proof = ForkProof::new(decode(a)?, decode(b)?)
            .map_err(|e| anyhow::anyhow!("{}: fork proof {}: {e}", file.display(), i + 1))?;
        ledger
            .add_fork(&proof)
            .with_context(|| format!("{}: fork proof {}", file.display(), i + 1))?;
    }
    let store = ledger.store();
    if let Some((note, millis)) = &record {
        crate::witness::write_durably(&data.join("checkpoint"), note)?;
        store.note_signed(*millis)?;
    }
    store.flush_blocking()?;
    Ok(Counts {
        entries,
        feeds: view.feeds.len(),
        forks: view.forks.len(),
        record: record.is_some(),
    })
}
