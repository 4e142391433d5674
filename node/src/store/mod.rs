//! The store: the only module that touches sled.
//!
//! # Layout
//!
//! - tree `entries`: key `len(code) ‖ code ‖ seq (u64 BE)`, value the entry's bytes
//!   exactly as received and verified. Keys sort by feed, then by position, so a
//!   feed's head is the last key of its prefix: the head is never stored apart from
//!   the entry, and an entry and its new head are written in one atomic insert.
//! - tree `forks`: key `len(code) ‖ code ‖ seq`, value `u32 len(a) ‖ a ‖ b`: one fork
//!   proof per position ([`pacta_core::fork`]); the first one found is kept. The
//!   ledger keeps a few per member and removes the others (`ledger.rs` says which).
//! - tree `revoked`: same keys as `entries`: entries removed from a feed because a
//!   quorum revoked the key that signed them ([`pacta_core::authority`]), kept as
//!   evidence, never served as part of the feed.
//! - tree `id_runs`: entry id → its key in `entries` (or in `revoked`, once moved
//!   there), for `GET /entries/{id}`, written in sorted runs (`store/ids.rs` says why
//!   and how);
//!   `meta` → `ids` records the runs.
//! - tree `legal`: same keys as `entries`, empty values: one marker per entry that is
//!   not a note, so that start-up finds what the status rests on without reading the
//!   notes. Written before its entry; a marker whose entry is absent is dropped.
//! - tree `meta`: `network` → the network id the store belongs to; `format` → 4 (1:
//!   before the `legal` tree, which the first start of this version builds; 2: before
//!   the id runs, which replace a tree `ids` keyed by id; 3: before the arrival
//!   blocks, which replace a tree `arrivals` of one event per record);
//!   `watch` → what the watch module ([`crate::watch`]) last told watchers: the
//!   events it numbered, each feed's last position it announced, and a status summary;
//!   `record` → present once the store keeps its record of what it acknowledged;
//!   `signed` → the time (ms, u64 BE) of the last checkpoint the node signed over
//!   this store, so that the store itself knows it has signed ([`crate::witness`]).
//! - trees `arrival_blocks` and `changes`: the event log watchers read (`GET
//!   /v1/events`, the Atom feeds), keyed by event number (u64 BE). One numbering covers
//!   both: an arrival is a stored entry, a change is a change of status. Arrivals are
//!   written in blocks of consecutive numbers, keyed by the first
//!   (`store/arrivals.rs`). Written with `meta`'s `watch` in one transaction, so the
//!   log and what it covers never disagree.
//!
//! Beside sled's files (`db`, `conf`, `snap.*`, `blobs/`), in the same data folder:
//! `acknowledged`, the record of what the store acknowledged (`store/record.rs`), and,
//! while a start checks a store that may be damaged, `safety-copy/` (`store/files.rs`).
//!
//! # Durability
//!
//! [`Store::insert_entry`] and [`Store::insert_fork`] write to sled's in-memory log.
//! Nothing is durable until [`Store::flush`] returns: it waits for a sled `flush()`
//! (which writes sled's log and fsyncs it) that *began after* every write made before
//! the call, and then for the record of what the store holds (each feed's head, the
//! number of fork proofs and of revoked entries) to be written and `fdatasync`ed
//! outside sled. The node acknowledges a submission only after that, so every
//! acknowledged entry is on disk, and the record names it. A crash (even `kill -9`)
//! loses at most entries that were never acknowledged; sled's recovery replays its log
//! up to the last complete, checksummed write.
//!
//! Flushes are a group commit: one runs at a time, on the blocking pool, and everyone
//! waiting behind it is served by the next one, so a hundred concurrent submissions
//! cost a few fsyncs, not a hundred. (This also avoids sled 0.34's `flush_async`, which
//! deadlocks when called concurrently: spacejam/sled#1308.)
//!
//! # Recovery
//!
//! sled's recovery stops at the first torn or corrupt record of its log and keeps what
//! came before, silently: after one flipped byte or a cut in its `db` file a store
//! opened with hundreds of acknowledged entries missing. And it writes as it recovers,
//! so that it destroyed the rest of a file cut to half. So [`Store::open`]:
//!
//! 1. puts back a safety copy an interrupted start left behind;
//! 2. reads the record of what was acknowledged (`store/record.rs`); a record that is
//!    there but unreadable is refused;
//! 3. opens sled's files directly only if a clean stop sealed them and they are still
//!    byte for byte what it sealed (their CRC-32s); otherwise (after a crash, or if
//!    anything touched them) copies them into `safety-copy/` first (`store/files.rs`);
//! 4. opens sled, refuses a store of another network, and checks the store in one of
//!    two depths ([`Check`], below);
//! 5. compares it with the record: each recorded head must be held under its key with
//!    its id (or moved to `revoked` by a revocation the record had not caught up
//!    with), and there must be at least as many fork proofs and revoked entries. A
//!    store that once kept a record and has none is refused too;
//! 6. if sled panicked, failed, or any check failed, waits for sled to let go of the
//!    files and puts the copy back, so the damaged files are left exactly as they were,
//!    and refuses to start, naming what is missing: the feed, the head acknowledged and
//!    the head found. Otherwise the copy is removed and the record rewritten without
//!    its seal.
//!
//! The two depths:
//!
//! - **Fast** (the default, so that a node with a million entries serves again in well
//!   under a second): sled verifies the CRC-32 of every log record it replays. The
//!   node checks, per feed, the newest entry and the one before it (each decodes
//!   strictly, sits under its own author and seq, and is linked to the other: seq,
//!   prev, time) and that the feed starts at #1; every `legal` marker's entry (decoded,
//!   under its key); every fork proof; and the record, as above. Since sled recovers a
//!   prefix of its log, a store that lost acknowledged entries lost its newest ones,
//!   and the record's heads show it. Reading every key to prove that no position inside
//!   a feed is missing would cost as much as the full check; that is left to it.
//! - **Full** (`pacta-node --check-store`, and the first start after an upgrade from
//!   format 1): every entry of every feed is decoded and linked to the one before it,
//!   from #1 to the head. With the record, that proves every acknowledged entry is
//!   held, byte for byte: each is linked by its id to the one after it, up to the
//!   recorded head's id.
//!
//! Both then refill the id index from the entries its runs do not cover
//! (`store/ids.rs`).
//! Neither re-verifies signatures: they were verified before the entries were written,
//! and these checks are against corruption, not against an attacker who can write the
//! node's disk (who could rewrite everything anyway).
//!
//! At a clean stop, once sled has let go of its files, [`Closer::seal`] writes their
//! fingerprint into the record. The seal costs reading the files once at the stop and
//! once at the next start (about 0.1 s per 600 MiB here); a start without it costs a
//! copy of them (about 1 s per 600 MiB on this machine's ext4; a reflink on XFS or
//! btrfs) and as much free room, or the node refuses to start, saying how much.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pacta_core::entry::Entry;
use pacta_core::feed::{Tip, check_link, tip_from_newest};
use pacta_core::fork::ForkProof;
use pacta_core::ids::{MemberCode, NetworkId, Seq};
use pacta_core::roster::FeedLimit;
use thiserror::Error;

mod arrivals;
mod files;
mod ids;
mod record;
pub mod room;
use files::SafetyCopy;
use ids::IdIndex;
use record::{Acked, Found, RecordFile};
use room::{Failed, Low, Room};

/// The longest one sled write may take before the store is marked failed: sled waiting
/// on a write that failed would otherwise hold every acknowledgement for ever. Checked
/// every second by [`Store::check_stall`].
pub const STALL: Duration = Duration::from_secs(10);

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the store: {0}")]
    Sled(#[from] sled::Error),
    #[error(
        "the store in {dir} belongs to network {found}, not {expected}; use another --data folder"
    )]
    OtherNetwork {
        dir: String,
        expected: String,
        found: String,
    },
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// The record of what was acknowledged, or the safety copy, cannot be kept.
    #[error("{0}")]
    Record(String),
    #[error("{0}: {1}")]
    RecordIo(String, std::io::Error),
    /// Too little room to write: refused before sled is asked (`room.rs`).
    #[error("{0}; writes are refused until room is freed, and reads go on")]
    NoRoom(Low),
    /// sled failed, or a write stalled: writes are refused until the node has
    /// restarted in place (`room.rs`).
    #[error("the store failed ({}); writes are refused until the node restarts in place, which it does once there is room, and reads go on", .0.reason)]
    Failed(Failed),
    /// The store holds less than the node acknowledged (see `record.rs`).
    #[error(
        "the store in {dir} holds less than this node acknowledged: {}. {LEFT}",
        missing.join("; ")
    )]
    Lost { dir: String, missing: Vec<String> },
    /// sled could not recover the store, or the check found it damaged; its files were
    /// put back as they were before sled opened them.
    #[error(
        "the store in {dir} cannot be read whole: {cause}; this node acknowledged {acknowledged}. {LEFT}"
    )]
    Damaged {
        dir: String,
        cause: String,
        acknowledged: String,
    },
}

/// What a refused store's operator is told.
const LEFT: &str = "Its files are left as they were. Restore the folder from a backup, or move it aside and start with an empty --data folder: the node fetches the ledger from its peers";

impl StoreError {
    /// Whether the store failed for want of room: the disk or the quota is full, or a
    /// file may not grow (EFBIG). Nothing written since the last flush is durable, so
    /// nothing is acknowledged; the node goes on serving reads.
    pub fn is_full(&self) -> bool {
        use std::io::ErrorKind;
        let e = match self {
            StoreError::NoRoom(_) => return true,
            StoreError::Failed(f) => return f.full,
            StoreError::Sled(sled::Error::Io(e)) | StoreError::RecordIo(_, e) => e,
            _ => return false,
        };
        matches!(
            e.kind(),
            ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded
        )
    }
}

/// How deeply [`Store::open`] checks the store (see "Recovery").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Check {
    #[default]
    Fast,
    Full,
}

/// The store's format: 2 added the `legal` tree, 3 the id runs, 4 the arrival blocks.
const FORMAT: u8 = 4;

/// `meta` → this key once the store keeps a record of what it acknowledged
/// (`record.rs`): from then on a store without its record is refused.
const RECORD_KEPT: &str = "record";

/// `meta` → the time of the last checkpoint this store's node signed ([`Store::signed_at`]).
const SIGNED: &str = "signed";

/// Whether sled holds the store in `dir` open (its `flock` on `db`).
fn held_by_sled(dir: &Path) -> bool {
    std::fs::File::open(dir.join("db"))
        .is_ok_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
}

/// sled's page cache. Its default (1 GiB) would let a node with a million entries grow
/// far past the brief's 200 MiB, and sled's own count of it is low: at 300,000 entries
/// a node measured 169 MiB of RSS with 48 MiB here and 119 MiB with 16 MiB, and took
/// no longer to ingest them. Entries are read far less often than written, and the hot
/// ones (heads, the event log's tail) fit easily.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// The node's durable state.
#[derive(Debug, Clone)]
pub struct Store {
    db: sled::Db,
    entries: sled::Tree,
    legal: sled::Tree,
    forks: sled::Tree,
    revoked: sled::Tree,
    meta: sled::Tree,
    ids: IdIndex,
    arrivals: sled::Tree,
    changes: sled::Tree,
    commit: Arc<GroupCommit>,
    /// What the store holds that must never be lost: each write updates it, and each
    /// group commit writes it to `record` (see `record.rs`).
    acked: Arc<Mutex<Acked>>,
    record: Arc<Mutex<Option<RecordFile>>>,
    /// Whether a write may go ahead, and whether sled failed.
    room: Arc<Room>,
    dir: PathBuf,
}

/// Write generations and the flush that covers them (see "Durability").
#[derive(Debug, Default)]
struct GroupCommit {
    /// Bumped after every write.
    written: AtomicU64,
    /// The highest generation a completed flush is known to cover.
    flushed: AtomicU64,
    /// Held by the one flush in progress.
    lock: tokio::sync::Mutex<()>,
}

/// What a startup check found.
#[derive(Debug, Default)]
pub struct Recovered {
    pub tips: Vec<(MemberCode, Tip)>,
    pub forks: Vec<ForkProof>,
    pub entries: u64,
    /// Key-rotation, key-revocation and admission entries, in store order: the node
    /// rebuilds its key schedules and tallies from them.
    pub authority: Vec<Entry>,
    /// Every entry but notes, in store order: what the status rests on.
    pub legal: Vec<Entry>,
}

/// Decodes an entry read from the `entries` tree and checks it is under its own key.
fn decode_stored(key: &[u8], value: &[u8]) -> Result<Entry, StoreError> {
    let entry = Entry::decode(value)
        .map_err(|e| StoreError::Corrupt(format!("entry under key {}: {e}", hex::encode(key))))?;
    if key != entry_key(entry.author(), entry.seq()).as_slice() {
        return Err(StoreError::Corrupt(format!(
            "{} {} is stored under the key {}",
            entry.author(),
            entry.seq(),
            hex::encode(key)
        )));
    }
    Ok(entry)
}

fn feed_prefix(member: MemberCode) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(member.as_bytes().len() as u8);
    key.extend_from_slice(member.as_bytes());
    key
}

fn entry_key(member: MemberCode, seq: Seq) -> Vec<u8> {
    let mut key = feed_prefix(member);
    key.extend_from_slice(&seq.0.to_be_bytes());
    key
}

impl Store {
    /// Opens (or creates) the store in `dir` for `network`, and checks it; the tips it
    /// recovers count their windows under the roster's feed `limit`.
    pub fn open(
        dir: &Path,
        network: NetworkId,
        limit: Option<FeedLimit>,
        check: Check,
    ) -> Result<(Store, Recovered), StoreError> {
        Store::open_with_runs_of(dir, network, limit, check, ids::RUN)
    }

    /// [`Store::open`] with id runs of `run` ids (tests make them small).
    ///
    /// sled opens the store's files directly only if they are exactly as a clean stop
    /// sealed them; otherwise they are copied first, and put back if sled cannot
    /// recover them or the store holds less than was acknowledged (`files.rs`).
    fn open_with_runs_of(
        dir: &Path,
        network: NetworkId,
        limit: Option<FeedLimit>,
        check: Check,
        run: usize,
    ) -> Result<(Store, Recovered), StoreError> {
        if held_by_sled(dir) {
            // Another handle in this process still has it (a node opens its store once;
            // its data folder's lock keeps other processes out).
            return Err(sled::Error::Io(std::io::ErrorKind::WouldBlock.into()).into());
        }
        if SafetyCopy::put_back_left(dir)? {
            tracing::warn!(
                dir = %dir.display(),
                "a start was interrupted while it checked the store; its files are put back as they were before it"
            );
        }
        let (found, file) = RecordFile::read(dir, network)?;
        let acked = match found {
            Found::Record(acked) => Some(acked),
            Found::Missing => None,
        };
        let sealed = match acked.as_ref().and_then(|a| a.seal.as_ref()) {
            Some(seal) => files::fingerprint(dir)? == *seal,
            None => false,
        };
        let copy = if sealed || !dir.join("db").exists() {
            None
        } else {
            Some(SafetyCopy::make(dir)?)
        };
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Store::open_checked(dir, network, limit, check, run, acked.as_ref())
        }))
        .unwrap_or_else(|panic| {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "it panicked".to_owned());
            Err(StoreError::Corrupt(format!(
                "sled's recovery failed ({cause})"
            )))
        });
        let (store, recovered) = match opened {
            Ok(v) => v,
            Err(e) => {
                let Some(copy) = copy else {
                    return Err(e);
                };
                if let StoreError::Sled(sled::Error::Io(io)) = &e
                    && io.kind() == std::io::ErrorKind::WouldBlock
                {
                    // sled never opened the files: someone else has them.
                    copy.discard()?;
                    return Err(e);
                }
                if !files::wait_until_closed(dir, Duration::from_secs(10)) {
                    tracing::error!("sled still holds the store; putting its files back anyway");
                }
                copy.put_back()?;
                let cause = match e {
                    StoreError::Corrupt(cause) => cause,
                    StoreError::Sled(e) => format!("sled: {e}"),
                    other => return Err(other),
                };
                return Err(StoreError::Damaged {
                    dir: dir.display().to_string(),
                    cause,
                    acknowledged: acked
                        .as_ref()
                        .map_or_else(|| "nothing it has a record of".to_owned(), Acked::summary),
                });
            }
        };
        if let Some(copy) = copy {
            copy.discard()?;
        }
        // A new generation without the seal: sled has written the files since.
        let current = store.acked().clone();
        let file = match file {
            Some(mut file) => {
                file.write(&current)?;
                file
            }
            None => {
                let file = RecordFile::create(dir, network, &current)?;
                if store.meta.get(RECORD_KEPT)?.is_none() {
                    store.meta.insert(RECORD_KEPT, &[1u8])?;
                    store.db.flush()?;
                }
                file
            }
        };
        *store.record_file() = Some(file);
        Ok((store, recovered))
    }

    /// Opens sled on `dir` and checks the store, against `acked` if there is a record.
    fn open_checked(
        dir: &Path,
        network: NetworkId,
        limit: Option<FeedLimit>,
        check: Check,
        run: usize,
        acked: Option<&Acked>,
    ) -> Result<(Store, Recovered), StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(CACHE_BYTES)
            .open()?;
        let meta = db.open_tree("meta")?;
        match meta.get("network")? {
            Some(found) if found.as_ref() != network.0 => {
                return Err(StoreError::OtherNetwork {
                    dir: dir.display().to_string(),
                    expected: network.to_string(),
                    found: hex::encode(&found),
                });
            }
            Some(_) => {}
            None => {
                meta.insert("network", &network.0)?;
                meta.insert("format", &[FORMAT])?;
                db.flush()?;
            }
        }
        let format = match meta.get("format")?.as_deref() {
            Some([f]) if (1..=FORMAT).contains(f) => *f,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "the store's format is {other:?}; this node reads formats 1 to {FORMAT}"
                )));
            }
        };
        let ids = IdIndex::open(&db, &meta, format < 3, run)?;
        let store = Store {
            entries: db.open_tree("entries")?,
            legal: db.open_tree("legal")?,
            forks: db.open_tree("forks")?,
            revoked: db.open_tree("revoked")?,
            ids,
            arrivals: open_arrivals(&db, format)?,
            changes: db.open_tree("changes")?,
            meta: meta.clone(),
            db,
            commit: Arc::new(GroupCommit::default()),
            acked: Arc::new(Mutex::new(Acked::default())),
            record: Arc::new(Mutex::new(None)),
            room: Arc::new(Room::new(dir, room::DEFAULT_RESERVE)),
            dir: dir.to_owned(),
        };
        let recovered = if format < 2 {
            // Format 1 has no `legal` markers: build them in the full walk.
            store.check_full(true, limit)?
        } else if check == Check::Full {
            store.check_full(false, limit)?
        } else {
            store.check_fast(limit)?
        };
        match acked {
            Some(acked) => {
                let missing = store.missing(&recovered, acked)?;
                if !missing.is_empty() {
                    return Err(StoreError::Lost {
                        dir: dir.display().to_string(),
                        missing,
                    });
                }
            }
            None if store.meta.get(RECORD_KEPT)?.is_some() => {
                return Err(StoreError::Record(format!(
                    "the store in {} has kept a record of what it acknowledged, and {} is missing: without it nothing tells whether the store lost entries. {LEFT}",
                    dir.display(),
                    RecordFile::path(dir).display()
                )));
            }
            None => {}
        }
        {
            let mut now = store.acked();
            now.heads = recovered
                .tips
                .iter()
                .map(|(code, tip)| (*code, (tip.seq, tip.id)))
                .collect();
            now.forks = recovered.forks.len() as u64;
            now.revoked = store.revoked.len() as u64;
        }
        store.refill_ids(&recovered.tips)?;
        if format < FORMAT {
            store.meta.insert("format", &[FORMAT])?;
            store.db.flush()?;
        }
        Ok((store, recovered))
    }

    /// The fast check (see the module docs, "Recovery").
    fn check_fast(&self, limit: Option<FeedLimit>) -> Result<Recovered, StoreError> {
        let mut out = Recovered::default();
        let decode = decode_stored;
        // Feed by feed: the first key of the tree, then the first key past each feed.
        let mut next = self.entries.first()?;
        while let Some((key, _)) = next {
            let len = usize::from(key.first().copied().unwrap_or(0));
            let prefix = key.get(..1 + len).ok_or_else(|| {
                StoreError::Corrupt(format!("entry key {} is too short", hex::encode(&key)))
            })?;
            let mut feed = self.entries.scan_prefix(prefix);
            let (first_key, first) = feed.next().transpose()?.ok_or_else(|| {
                StoreError::Corrupt(format!("feed {} vanished", hex::encode(prefix)))
            })?;
            let first = decode(&first_key, &first)?;
            let mut last = feed.rev().take(2);
            let (tip_key, tip_bytes) = match last.next().transpose()? {
                Some(kv) => kv,
                None => (first_key.clone(), first.as_bytes().into()),
            };
            let tip = decode(&tip_key, &tip_bytes)?;
            let member = tip.author();
            if first.seq() != Seq::FIRST || first.author() != member {
                return Err(StoreError::Corrupt(format!(
                    "{member}'s feed starts at {}, not #1",
                    first.seq()
                )));
            }
            // The entry below the head: the next key down, which is #1 itself in a
            // feed of two (the reverse walk starts after #1).
            let before = match last.next().transpose()? {
                Some((k, v)) => Some(decode(&k, &v)?),
                None if tip_key != first_key => Some(first),
                None => None,
            };
            let below = match &before {
                Some(b) => Some(self.tip_at(b, limit)?),
                None => None,
            };
            let tip_link = check_link(below, &tip, limit)
                .map_err(|p| StoreError::Corrupt(format!("{member} {}: {p}", tip.seq())))?;
            // Keys run from #1 to the head; that none is missing between them is sled's
            // to keep (the full check walks them).
            out.entries += tip.seq().0;
            out.tips.push((member, tip_link));
            let mut after = prefix.to_vec();
            after.push(0xff);
            next = self.entries.range(after..).next().transpose()?;
        }
        let mut stale = Vec::new();
        for item in self.legal.iter() {
            let (key, _) = item?;
            match self.entries.get(&key)? {
                Some(value) => {
                    let entry = decode(&key, &value)?;
                    if is_authority(&entry) {
                        out.authority.push(entry.clone());
                    }
                    out.legal.push(entry);
                }
                // Written before its entry, which the crash lost, or left by a revocation.
                None => stale.push(key),
            }
        }
        for key in stale {
            self.legal.remove(key)?;
        }
        out.forks = self.fork_proofs()?;
        Ok(out)
    }

    /// Walks every feed and fork proof (see the module docs, "Recovery"); with
    /// `mark`, writes the `legal` markers as it goes.
    fn check_full(&self, mark: bool, limit: Option<FeedLimit>) -> Result<Recovered, StoreError> {
        let mut out = Recovered::default();
        let mut current: Option<(MemberCode, Tip)> = None;
        for item in self.entries.iter() {
            let (key, value) = item?;
            let entry = Entry::decode(&value).map_err(|e| {
                StoreError::Corrupt(format!("entry under key {}: {e}", hex::encode(&key)))
            })?;
            let (member, seq) = (entry.author(), entry.seq());
            if key.as_ref() != entry_key(member, seq).as_slice() {
                return Err(StoreError::Corrupt(format!(
                    "{member} {seq} is stored under the key {}",
                    hex::encode(&key)
                )));
            }
            let tip = match current {
                Some((m, tip)) if m == member => Some(tip),
                Some((m, tip)) => {
                    out.tips.push((m, tip));
                    None
                }
                None => None,
            };
            let next = check_link(tip, &entry, limit)
                .map_err(|p| StoreError::Corrupt(format!("{member} {seq}: {p}")))?;
            current = Some((member, next));
            out.entries += 1;
            if is_authority(&entry) {
                out.authority.push(entry.clone());
            }
            if entry.header().kind != pacta_core::Kind::NOTE {
                if mark {
                    self.legal.insert(key, &[])?;
                }
                out.legal.push(entry);
            }
        }
        out.tips.extend(current);
        out.forks = self.fork_proofs()?;
        Ok(out)
    }

    /// The tip of `newest`'s feed when `newest` is its newest entry: its window count
    /// under the feed `limit` is read from the entries below it (at most the limit's
    /// number of them), which are taken to be valid.
    pub fn tip_at(&self, newest: &Entry, limit: Option<FeedLimit>) -> Result<Tip, StoreError> {
        let member = newest.author();
        let below = self
            .entries
            .range(entry_key(member, Seq::FIRST)..entry_key(member, newest.seq()))
            .rev()
            .map(|kv| {
                let (key, value) = kv?;
                decode_stored(&key, &value)
            });
        let tip = tip_from_newest(std::iter::once(Ok(newest.clone())).chain(below), limit)?;
        tip.ok_or_else(|| StoreError::Corrupt(format!("{member}: no tip")))
    }

    /// Refills the id index with the entries its runs do not cover (see [`ids`]):
    /// each feed above its watermark, and every entry moved to `revoked`.
    fn refill_ids(&self, tips: &[(MemberCode, Tip)]) -> Result<(), StoreError> {
        for (member, tip) in tips {
            let from = Seq(self.ids.covered(*member).0.saturating_add(1));
            if from > tip.seq {
                continue;
            }
            for item in self
                .entries
                .range(entry_key(*member, from)..=entry_key(*member, tip.seq))
            {
                let (key, value) = item?;
                let entry = decode_stored(&key, &value)?;
                self.ids.add(entry.id(), *member, entry.seq());
                self.ids.spill_now()?;
            }
        }
        // Revoked entries sit outside every watermark: add those no run holds yet, or
        // each start would write them into another run.
        for item in self.revoked.iter() {
            let (key, value) = item?;
            let entry = decode_stored(&key, &value)?;
            if self.ids.get(&entry.id())?.is_none() {
                self.ids.add_aside(entry.id(), entry.author(), entry.seq());
            }
        }
        self.ids.spill_now()
    }

    fn fork_proofs(&self) -> Result<Vec<ForkProof>, StoreError> {
        let mut out = Vec::new();
        for item in self.forks.iter() {
            let (key, value) = item?;
            let proof = decode_fork(&value).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "fork proof under key {} does not decode",
                    hex::encode(&key)
                ))
            })?;
            out.push(proof);
        }
        Ok(out)
    }

    /// The entry at `seq` of `member`'s feed.
    pub fn entry(&self, member: MemberCode, seq: Seq) -> Result<Option<Entry>, StoreError> {
        match self.entries.get(entry_key(member, seq))? {
            None => Ok(None),
            Some(bytes) => Entry::decode(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("{member} {seq}: {e}"))),
        }
    }

    /// Up to `limit` entries of `member`'s feed from `from`, as stored bytes.
    pub fn range(
        &self,
        member: MemberCode,
        from: Seq,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<sled::IVec>, StoreError> {
        let start = entry_key(member, from);
        let mut end = feed_prefix(member);
        end.extend_from_slice(&u64::MAX.to_be_bytes());
        let mut out = Vec::new();
        let mut bytes = 0;
        for item in self.entries.range(start..=end).take(limit) {
            let value = item?.1;
            // Always at least one entry, so a page of the largest entries still moves.
            bytes += value.len();
            if bytes > max_bytes && !out.is_empty() {
                break;
            }
            out.push(value);
        }
        Ok(out)
    }

    /// Writes an entry; the caller has checked that it extends its feed. Not durable
    /// until [`Store::flush`].
    pub fn insert_entry(&self, entry: &Entry) -> Result<(), StoreError> {
        self.writable()?;
        let key = entry_key(entry.author(), entry.seq());
        if entry.header().kind != pacta_core::Kind::NOTE {
            // Before the entry: sled's one log keeps write order, so a crash leaves
            // at worst a marker without its entry, which `check_fast` drops.
            self.write(&self.legal, key.clone(), &[] as &[u8])?;
        }
        let inserted = self.room.track("writing an entry", || {
            self.entries.insert(key, entry.as_bytes())
        });
        self.sled_result(inserted, "writing an entry")?;
        // After the insert and before the generation moves on: a flush that sees the
        // generation records the head, and a head it records was written before it.
        self.acked()
            .heads
            .insert(entry.author(), (entry.seq(), entry.id()));
        self.commit.written.fetch_add(1, Ordering::SeqCst);
        self.ids.add(entry.id(), entry.author(), entry.seq());
        self.ids.spill();
        Ok(())
    }

    /// The entry with id `id`: `Ok(Some((entry, false)))` from its feed, `(entry,
    /// true)` if it was removed from its feed because its key was revoked.
    pub fn entry_by_id(
        &self,
        id: &pacta_core::EntryId,
    ) -> Result<Option<(Entry, bool)>, StoreError> {
        let Some(key) = self.ids.get(id)? else {
            return Ok(None);
        };
        for (tree, revoked) in [(&self.entries, false), (&self.revoked, true)] {
            if let Some(bytes) = tree.get(&key)? {
                let entry = Entry::decode(&bytes).map_err(|e| {
                    StoreError::Corrupt(format!("entry under key {}: {e}", hex::encode(&key)))
                })?;
                if entry.id() == *id {
                    return Ok(Some((entry, revoked)));
                }
            }
        }
        Ok(None)
    }

    /// Moves `member`'s entries after `after` to the `revoked` tree (their key was
    /// revoked). Returns how many moved. Not durable until [`Store::flush`].
    pub fn truncate(&self, member: MemberCode, after: Seq) -> Result<u64, StoreError> {
        self.writable()?;
        self.ids.truncate(member, after)?;
        let start = entry_key(member, Seq(after.0.saturating_add(1)));
        let mut end = feed_prefix(member);
        end.extend_from_slice(&u64::MAX.to_be_bytes());
        let mut moved = 0;
        let mut new_in_revoked = 0;
        let rows: Vec<_> = self.entries.range(start..=end).collect::<Result<_, _>>()?;
        for (key, value) in rows {
            if self.revoked.insert(&key, value)?.is_none() {
                new_in_revoked += 1;
            }
            self.entries.remove(&key)?;
            self.legal.remove(key)?;
            moved += 1;
        }
        let head = self.entry(member, after)?.map(|e| (after, e.id()));
        {
            let mut acked = self.acked();
            match head {
                Some(head) => acked.heads.insert(member, head),
                None => acked.heads.remove(&member),
            };
            acked.revoked += new_in_revoked;
        }
        self.commit.written.fetch_add(1, Ordering::SeqCst);
        Ok(moved)
    }

    /// Every entry but notes, in store order (feeds by code, then seq).
    pub fn legal_entries(&self) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for item in self.legal.iter() {
            let (key, _) = item?;
            let Some(value) = self.entries.get(&key)? else {
                continue;
            };
            let entry = Entry::decode(&value).map_err(|e| {
                StoreError::Corrupt(format!("entry under key {}: {e}", hex::encode(&key)))
            })?;
            out.push(entry);
        }
        Ok(out)
    }

    /// When this store's node last signed a checkpoint (`meta` → `signed`, the
    /// checkpoint's time in ms), if it ever did: the witness refuses to start without
    /// a record of a checkpoint at least that new ([`crate::witness`]).
    pub fn signed_at(&self) -> Result<Option<u64>, StoreError> {
        match self.meta.get(SIGNED)? {
            None => Ok(None),
            Some(v) => v
                .as_ref()
                .try_into()
                .map(|b| Some(u64::from_be_bytes(b)))
                .map_err(|_| StoreError::Corrupt(format!("meta {SIGNED} is {} bytes", v.len()))),
        }
    }

    /// Notes that this store's node signed a checkpoint at `millis`. Not durable until
    /// [`Store::flush`].
    pub fn note_signed(&self, millis: u64) -> Result<(), StoreError> {
        self.write(
            &self.meta,
            SIGNED.as_bytes().to_vec(),
            &millis.to_be_bytes(),
        )
    }

    /// What the watch module last recorded (`meta` → `watch`).
    pub fn watch_state(&self) -> Result<Option<sled::IVec>, StoreError> {
        Ok(self.meta.get("watch")?)
    }

    /// Appends numbered events to the log and records the watch state, atomically.
    /// Not durable until [`Store::flush`] (a crash loses at most events the watch module
    /// derives again at start-up from the entries and its state).
    pub fn append_events(
        &self,
        arrivals: &[(u64, Vec<u8>)],
        changes: &[(u64, Vec<u8>)],
        state: &[u8],
    ) -> Result<(), StoreError> {
        use sled::Transactional;
        self.writable()?;
        let blocks = arrivals::blocks(arrivals)?;
        (&self.arrivals, &self.changes, &self.meta)
            .transaction(|(a, c, m)| {
                for (first, value) in &blocks {
                    a.insert(&first.to_be_bytes(), value.as_slice())?;
                }
                for (n, value) in changes {
                    c.insert(&n.to_be_bytes(), value.as_slice())?;
                }
                m.insert("watch", state)?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| StoreError::Corrupt(format!("writing the event log: {e:?}")))?;
        self.commit.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Up to `limit` events numbered above `after` and at most `upto`, arrivals and
    /// changes merged in number order: `(number, is_change, value)`. Bounding by
    /// `upto` (a number known to be committed) keeps a concurrent write between the two
    /// trees' scans from showing a later event without an earlier one.
    pub fn events_after(
        &self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<(u64, bool, sled::IVec)>, StoreError> {
        if after >= upto {
            return Ok(Vec::new());
        }
        let start = after.saturating_add(1).to_be_bytes();
        let end = upto.to_be_bytes();
        let mut out = Vec::new();
        for item in self.changes.range(start..=end).take(limit) {
            let (key, value) = item?;
            out.push((event_number(&key)?, true, value));
        }
        // From the block holding `after + 1`, which starts at or below it.
        let from = match self.arrivals.range(..=start).next_back() {
            Some(found) => found?.0,
            None => sled::IVec::from(&start),
        };
        let mut arrived = 0;
        'blocks: for item in self.arrivals.range(from..=sled::IVec::from(&end)) {
            let (key, value) = item?;
            // A block that does not decode is skipped, as a damaged record always was:
            // watchers miss its events rather than the rest of the log.
            let Some(block) = arrivals::events(event_number(&key)?, &value) else {
                tracing::warn!(
                    "the arrivals under event {} do not decode",
                    hex::encode(&key)
                );
                continue;
            };
            for (n, event) in block {
                if n > upto || arrived == limit {
                    break 'blocks;
                }
                if n > after {
                    out.push((n, false, event));
                    arrived += 1;
                }
            }
        }
        out.sort_by_key(|e| e.0);
        out.truncate(limit);
        Ok(out)
    }

    /// The highest event number in the log, if any.
    pub fn last_event_number(&self) -> Result<Option<u64>, StoreError> {
        let mut last = None;
        if let Some((key, _)) = self.changes.last()? {
            last = Some(event_number(&key)?);
        }
        if let Some((key, value)) = self.arrivals.last()? {
            let first = event_number(&key)?;
            // A damaged last block still holds at most a full block's numbers, and
            // a number must never be handed out twice.
            let end = match arrivals::events(first, &value) {
                Some(block) => block.last().map_or(first, |e| e.0),
                None => first.saturating_add(arrivals::PER_BLOCK as u64 - 1),
            };
            last = last.max(Some(end));
        }
        Ok(last)
    }

    /// Makes every write so far durable, from a blocking thread (the watch task's
    /// rounds run on one). [`Store::flush`] is the async, group-committed form.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        if let Some(failed) = self.room.failed() {
            return Err(StoreError::Failed(failed.clone()));
        }
        let flushed = self.room.track("flushing", || self.db.flush());
        self.sled_result(flushed, "a flush failed")?;
        Ok(())
    }

    /// The newest changes first, as long as `keep` says so, at most `limit` kept.
    pub fn latest_changes(
        &self,
        limit: usize,
        mut keep: impl FnMut(&[u8]) -> bool,
    ) -> Result<Vec<(u64, sled::IVec)>, StoreError> {
        let mut out = Vec::new();
        for item in self.changes.iter().rev() {
            let (key, value) = item?;
            if keep(&value) {
                out.push((event_number(&key)?, value));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Writes a fork proof. Not durable until [`Store::flush`].
    pub fn insert_fork(&self, proof: &ForkProof) -> Result<(), StoreError> {
        self.writable()?;
        let [a, b] = proof.entries();
        let key = entry_key(proof.member(), proof.seq());
        let mut value = Vec::with_capacity(4 + a.as_bytes().len() + b.as_bytes().len());
        value.extend_from_slice(&(a.as_bytes().len() as u32).to_be_bytes());
        value.extend_from_slice(a.as_bytes());
        value.extend_from_slice(b.as_bytes());
        if self.forks.insert(key, value)?.is_none() {
            self.acked().forks += 1;
        }
        self.commit.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// The fork proof kept at `seq` of `member`'s feed, if any.
    pub fn fork(&self, member: MemberCode, seq: Seq) -> Result<Option<ForkProof>, StoreError> {
        match self.forks.get(entry_key(member, seq))? {
            None => Ok(None),
            Some(value) => decode_fork(&value).map(Some).ok_or_else(|| {
                StoreError::Corrupt(format!("the fork proof at {member} {seq} does not decode"))
            }),
        }
    }

    /// Removes the fork proof at `seq` of `member`'s feed: the ledger keeps a bounded
    /// number per member (see `ledger.rs`). Not durable until [`Store::flush`]. The
    /// acknowledged count goes down with it, so the next group commit records one fewer.
    /// (A crash after sled's flush and before the record's write leaves the record one
    /// proof ahead, and the next start refuses the store, naming the count: removals are
    /// rare, as the ledger removes a proof only for a lower one, and nothing is lost.)
    pub fn remove_fork(&self, member: MemberCode, seq: Seq) -> Result<(), StoreError> {
        if self.forks.remove(entry_key(member, seq))?.is_some() {
            let mut acked = self.acked();
            acked.forks = acked.forks.saturating_sub(1);
        }
        self.commit.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Every write goes through here, so that [`Store::flush`] knows about it.
    fn write(
        &self,
        tree: &sled::Tree,
        key: Vec<u8>,
        value: impl Into<sled::IVec>,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let inserted = self.room.track("writing", || tree.insert(key, value));
        self.sled_result(inserted, "writing")?;
        // After the insert: a flush that reads this generation began after the write.
        self.commit.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Makes every write made before this call durable (see "Durability").
    pub async fn flush(&self) -> Result<(), StoreError> {
        let target = self.commit.written.load(Ordering::SeqCst);
        loop {
            if self.commit.flushed.load(Ordering::SeqCst) >= target {
                return Ok(());
            }
            if let Some(failed) = self.room.failed() {
                return Err(StoreError::Failed(failed.clone()));
            }
            let _turn = self.commit.lock.lock().await;
            // Whoever held the lock may have flushed our writes already.
            if self.commit.flushed.load(Ordering::SeqCst) >= target {
                return Ok(());
            }
            // Read before flushing: the flush covers at least everything written so far.
            let covers = self.commit.written.load(Ordering::SeqCst);
            // Read after `covers` and before sled's flush begins: each head in it was
            // written before, so the flush makes it durable.
            let acked = self.acked().clone();
            let (db, record) = (self.db.clone(), self.record.clone());
            let room = self.room.clone();
            let flushing = tokio::task::spawn_blocking(move || {
                room.track("flushing", || db.flush())?;
                // Then the record, before anyone is told the flush is done.
                match record.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                    Some(file) => room.track("writing the record", || file.write(&acked)),
                    None => Ok(()),
                }
            });
            let flushed = tokio::select! {
                flushed = flushing => flushed,
                () = self.room.until_failed() => return Err(self.failed_error()),
            };
            match flushed {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    // sled keeps an I/O error until it is opened again; a record that
                    // could not be written holds every acknowledgement the same way.
                    if matches!(
                        e,
                        StoreError::Sled(sled::Error::Io(_)) | StoreError::RecordIo(..)
                    ) {
                        self.room.fail(format!("a flush failed: {e}"), e.is_full());
                    }
                    return Err(e);
                }
                Err(e) => {
                    return Err(StoreError::Corrupt(format!("the flush task failed: {e}")));
                }
            }
            self.commit.flushed.fetch_max(covers, Ordering::SeqCst);
        }
    }

    /// Refuses a write at once when sled failed or room is short ("When the disk
    /// fills"), so that sled never meets a full disk if the node can help it.
    pub fn writable(&self) -> Result<(), StoreError> {
        if let Some(failed) = self.room.failed() {
            return Err(StoreError::Failed(failed.clone()));
        }
        self.room.check().map_err(StoreError::NoRoom)
    }

    /// `result` of a sled write; an I/O error marks the store failed, since sled keeps
    /// it until it is opened again.
    fn sled_result<T>(&self, result: sled::Result<T>, what: &str) -> Result<T, StoreError> {
        result.map_err(|e| {
            let e = StoreError::Sled(e);
            if matches!(e, StoreError::Sled(sled::Error::Io(_))) {
                self.room.fail(format!("{what}: {e}"), e.is_full());
            }
            e
        })
    }

    /// Marks the store failed if a sled write has not returned for [`STALL`]; called
    /// every second by the node. Returns whether the store has failed.
    pub fn check_stall(&self) -> bool {
        if let Some((what, took)) = self.room.stalled(STALL) {
            let full = self.room.check().is_err();
            self.room.fail(
                format!("{what} has not returned for {} s", took.as_secs()),
                full,
            );
        }
        self.room.failed().is_some()
    }

    /// Completes once the store has failed.
    pub async fn until_failed(&self) {
        self.room.until_failed().await
    }

    fn failed_error(&self) -> StoreError {
        match self.room.failed() {
            Some(f) => StoreError::Failed(f.clone()),
            None => StoreError::Corrupt("the store failed".into()),
        }
    }

    /// Why the store failed, if it did.
    pub fn failed(&self) -> Option<Failed> {
        self.room.failed().cloned()
    }

    /// Whether there is room to open the store again after it failed: the reserve, and
    /// as much again as sled's files, which the start copies aside before sled opens
    /// files it did not seal (`files.rs`).
    pub fn room_to_reopen(&self) -> Result<(), Low> {
        self.room.has(files::sled_bytes(&self.dir))
    }

    /// Bytes of sled's files (for `/metrics`): reads the folder, so call it off the
    /// async workers.
    pub fn size_bytes(&self) -> u64 {
        files::sled_bytes(&self.dir)
    }

    /// The same store with `reserve` bytes kept free on its filesystem (see `room.rs`).
    /// Called before the store is shared.
    pub fn with_reserve(mut self, reserve: u64) -> Store {
        self.room = Arc::new(Room::new(&self.dir, reserve));
        self
    }

    fn acked(&self) -> MutexGuard<'_, Acked> {
        // Plain data, updated in single statements: a panic elsewhere leaves it whole.
        self.acked.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record_file(&self) -> MutexGuard<'_, Option<RecordFile>> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What of `acked` the store does not hold, one sentence per feed or count (see
    /// `record.rs`). A recorded head counts as held where it is, with its id, or in
    /// `revoked` (a revocation moved it there after the record was written).
    fn missing(&self, recovered: &Recovered, acked: &Acked) -> Result<Vec<String>, StoreError> {
        let tips: BTreeMap<MemberCode, Tip> = recovered.tips.iter().copied().collect();
        let mut out = Vec::new();
        for (&code, &(seq, id)) in &acked.heads {
            let key = entry_key(code, seq);
            let here = match self.entries.get(&key)? {
                Some(v) => Some(decode_stored(&key, &v)?.id()),
                None => None,
            };
            if here == Some(id) {
                continue;
            }
            if let Some(v) = self.revoked.get(&key)?
                && decode_stored(&key, &v)?.id() == id
            {
                continue;
            }
            let found = match tips.get(&code) {
                Some(tip) => format!("{code} {} ({})", tip.seq, tip.id.short()),
                None => "no entry of it".to_owned(),
            };
            out.push(match here {
                Some(other) => format!(
                    "{code}: the node acknowledged {code} {seq} ({}), but the store holds another entry there ({}); its head is {found}",
                    id.short(),
                    other.short()
                ),
                None => format!(
                    "{code}: the node acknowledged up to {code} {seq} ({}), but the store holds {found}",
                    id.short()
                ),
            });
        }
        let forks = recovered.forks.len() as u64;
        if forks < acked.forks {
            out.push(format!(
                "fork proofs: the node acknowledged {}, but the store holds {forks}",
                acked.forks
            ));
        }
        let revoked = self.revoked.len() as u64;
        if revoked < acked.revoked {
            out.push(format!(
                "revoked entries: the node held {} as evidence, but the store holds {revoked}",
                acked.revoked
            ));
        }
        Ok(out)
    }

    /// What seals the store once every handle on it is gone ([`Closer::seal`]).
    pub fn closer(&self) -> Closer {
        Closer {
            dir: self.dir.clone(),
            record: self.record.clone(),
        }
    }
}

/// Seals a store at a clean stop: once sled has let go of its files, their fingerprint
/// goes into the record, so that the next start may open them without a safety copy
/// (`files.rs`). Holds no sled handle.
#[derive(Debug)]
pub struct Closer {
    dir: PathBuf,
    record: Arc<Mutex<Option<RecordFile>>>,
}

impl Closer {
    /// Waits (at most `patience`) for sled to let go of the store, then seals it.
    /// Returns whether it did: a store left unsealed is copied at the next start.
    pub fn seal(self, patience: Duration) -> Result<bool, StoreError> {
        if !files::wait_until_closed(&self.dir, patience) {
            return Ok(false);
        }
        let marks = files::fingerprint(&self.dir)?;
        let mut record = self.record.lock().unwrap_or_else(|p| p.into_inner());
        let Some(file) = record.as_mut() else {
            return Ok(false);
        };
        let mut sealed = file.last().clone();
        sealed.seal = Some(marks);
        file.write(&sealed)?;
        Ok(true)
    }
}

/// The tree of arrival blocks. A store of format 3 or before kept one arrival per
/// record in a tree `arrivals`, which is rewritten as blocks and then dropped. The
/// format is recorded only after the start-up check, so a first start that fails
/// comes here again: while `arrivals` exists the rewrite starts over; once it is
/// dropped, the blocks are complete and are left alone.
fn open_arrivals(db: &sled::Db, format: u8) -> Result<sled::Tree, StoreError> {
    let tree = db.open_tree("arrival_blocks")?;
    let legacy_exists = db.tree_names().iter().any(|n| n.as_ref() == b"arrivals");
    if format < 4 && legacy_exists {
        let legacy = db.open_tree("arrivals")?;
        tree.clear()?;
        // A chunk at a time: the old log may be long.
        let mut chunk = Vec::with_capacity(4096);
        let mut rows = legacy.iter();
        loop {
            let row = rows.next().transpose()?;
            if let Some((key, value)) = &row {
                chunk.push((event_number(key)?, value.to_vec()));
            }
            if chunk.len() == chunk.capacity() || (row.is_none() && !chunk.is_empty()) {
                for (first, value) in arrivals::blocks(&chunk)? {
                    tree.insert(first.to_be_bytes(), value)?;
                }
                chunk.clear();
            }
            if row.is_none() {
                break;
            }
        }
        drop(legacy);
        db.flush()?;
        db.drop_tree("arrivals")?;
    }
    Ok(tree)
}

/// Entries that change whose key is in force, or who is a member.
fn is_authority(entry: &Entry) -> bool {
    let kind = entry.header().kind;
    kind == pacta_core::Kind::KEY_ROTATION
        || kind == pacta_core::Kind::KEY_REVOCATION
        || kind == pacta_core::Kind::ADMISSION
}

fn event_number(key: &[u8]) -> Result<u64, StoreError> {
    key.try_into().map(u64::from_be_bytes).map_err(|_| {
        StoreError::Corrupt(format!("event log key {} is not 8 bytes", hex::encode(key)))
    })
}

fn decode_fork(value: &[u8]) -> Option<ForkProof> {
    let len = u32::from_be_bytes(value.get(..4)?.try_into().ok()?) as usize;
    let a = Entry::decode(value.get(4..4 + len)?).ok()?;
    let b = Entry::decode(value.get(4 + len..)?).ok()?;
    ForkProof::from_ordered(a, b).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacta_core::SecretKey;
    use pacta_core::entry::Draft;
    use pacta_core::ids::{Kind, Timestamp};
    use pacta_core::payload::{Note, Payload};

    fn chain(n: u64) -> Vec<Entry> {
        chain_of(n, |_| Kind::NOTE)
    }

    /// `n` entries of FR, of the kinds `kind` gives by seq (the store does not judge
    /// payloads, so a note's payload serves for any kind).
    fn chain_of(n: u64, kind: impl Fn(u64) -> Kind) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for seq in 1..=n {
            out.push(next_of(out.last(), kind(seq), ""));
        }
        out
    }

    /// FR's entry after `prev` (or its #1), of `kind`, its note ending in `tag`.
    fn next_of(prev: Option<&Entry>, kind: Kind, tag: &str) -> Entry {
        let seq = prev.map_or(1, |p| p.seq().0 + 1);
        Draft {
            network: NetworkId([1; 32]),
            author: "FR".parse().unwrap(),
            seq: Seq(seq),
            prev: prev.map(Entry::id),
            time: Timestamp::from_millis(seq).unwrap(),
            kind,
            payload: Payload::Note(Note::new(format!("{seq}{tag}"))).encode(),
        }
        .sign(&SecretKey::from_seed(&[5; 32]))
        .unwrap()
    }

    fn open_runs_of(dir: &Path, run: usize) -> (Store, Recovered) {
        when_unlocked(|| Store::open_with_runs_of(dir, NetworkId([1; 32]), None, Check::Fast, run))
            .unwrap()
    }

    /// Whether every entry is found by its id, and where.
    fn find_all(store: &Store, entries: &[Entry], revoked: bool) {
        for e in entries {
            let found = store.entry_by_id(&e.id()).unwrap();
            assert_eq!(
                found.map(|(f, r)| (f.id(), r)),
                Some((e.id(), revoked)),
                "{} {}",
                e.author(),
                e.seq()
            );
        }
    }

    fn open(dir: &Path) -> Result<(Store, Recovered), StoreError> {
        Store::open(dir, NetworkId([1; 32]), None, Check::Fast)
    }

    /// Reopens in the same process. sled's background flusher may hold the file lock for
    /// a moment after the last handle is dropped, so retry while it does (a node opens
    /// its store once per process and never meets this).
    /// `open_it()`, again while sled's lock is still held by a store just dropped (its
    /// threads let go of the folder a moment later).
    fn when_unlocked<T>(
        mut open_it: impl FnMut() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        for _ in 0..500 {
            match open_it() {
                Err(StoreError::Sled(sled::Error::Io(e)))
                    if e.kind() == std::io::ErrorKind::WouldBlock =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
        open_it()
    }

    fn reopen(dir: &Path) -> Result<(Store, Recovered), StoreError> {
        when_unlocked(|| open(dir))
    }

    #[tokio::test]
    async fn entries_survive_reopening_and_give_the_tips() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        for e in chain(3) {
            store.insert_entry(&e).unwrap();
        }
        store.flush().await.unwrap();
        drop(store);
        let (store, recovered) = reopen(dir.path()).unwrap();
        assert_eq!(recovered.entries, 3);
        assert_eq!(recovered.tips[0].1.seq, Seq(3));
        assert_eq!(
            store
                .range("FR".parse().unwrap(), Seq(2), 10, usize::MAX)
                .unwrap()
                .len(),
            2
        );
    }

    /// Regression: an insert that did not register with the group commit made
    /// `flush` return at once, so acknowledged entries were lost to `kill -9`.
    #[tokio::test]
    async fn every_write_makes_the_next_flush_reach_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        let entries = chain(2);
        let covered = || store.commit.flushed.load(Ordering::SeqCst);
        let written = || store.commit.written.load(Ordering::SeqCst);
        store.insert_entry(&entries[0]).unwrap();
        let first = written();
        assert!(first > 0, "the insert registered");
        store.flush().await.unwrap();
        assert_eq!(covered(), first);
        store.insert_entry(&entries[1]).unwrap();
        assert!(written() > first);
        store.flush().await.unwrap();
        assert_eq!(covered(), written());
    }

    /// Writes straight into sled, as disk corruption would, then runs the full start-up
    /// check; the fast one must find the same when the damage is at a feed's head.
    fn corrupt_with(edit: impl FnOnce(&sled::Tree, &[Entry])) -> String {
        let (full, _) = corrupt_both(edit);
        full
    }

    fn corrupt_both(edit: impl FnOnce(&sled::Tree, &[Entry])) -> (String, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        let entries = chain(3);
        let (store, _) = open(dir.path()).unwrap();
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        edit(&store.entries, &entries);
        (
            store.check_full(false, None).unwrap_err().to_string(),
            store.check_fast(None).err().map(|e| e.to_string()),
        )
    }

    #[test]
    fn the_fast_check_finds_damage_at_the_head() {
        // The head garbled.
        let (_, fast) = corrupt_both(|t, e| {
            let mut bytes = e[2].as_bytes().to_vec();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            t.insert(entry_key(e[2].author(), e[2].seq()), bytes)
                .unwrap();
        });
        let fast = fast.unwrap();
        assert!(fast.contains("payload does not match its hash"), "{fast}");
        // The entry below the head missing.
        let (_, fast) = corrupt_both(|t, e| {
            t.remove(entry_key(e[1].author(), e[1].seq())).unwrap();
        });
        let fast = fast.unwrap();
        assert!(
            fast.contains("FR #3: sequence number is #3, expected #2"),
            "{fast}"
        );
        // #1 missing: the feed does not start at #1.
        let (_, fast) = corrupt_both(|t, e| {
            t.remove(entry_key(e[0].author(), e[0].seq())).unwrap();
        });
        let fast = fast.unwrap();
        assert!(fast.contains("FR's feed starts at #2, not #1"), "{fast}");
    }

    #[tokio::test]
    async fn the_fast_check_recovers_tips_and_legal_entries_without_reading_notes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        // #2 and #4 are not notes.
        let entries = chain_of(5, |seq| {
            if seq % 2 == 0 {
                Kind::SIGNATURE
            } else {
                Kind::NOTE
            }
        });
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        // A marker whose entry a crash lost (markers are written first).
        store
            .legal
            .insert(entry_key("FR".parse().unwrap(), Seq(6)), &[])
            .unwrap();
        store.flush().await.unwrap();
        drop(store);
        let (store, recovered) = reopen(dir.path()).unwrap();
        assert_eq!(recovered.entries, 5);
        assert_eq!(recovered.tips[0].1.id, entries[4].id());
        let legal: Vec<Seq> = recovered.legal.iter().map(Entry::seq).collect();
        assert_eq!(legal, [Seq(2), Seq(4)]);
        assert_eq!(store.legal.len(), 2, "the stale marker is dropped");
        assert_eq!(store.legal_entries().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_format_1_store_gets_its_legal_markers_at_first_start() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        let entries = chain_of(4, |seq| if seq == 3 { Kind::CONSENT } else { Kind::NOTE });
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        // As format 1 wrote it: no `legal` tree.
        store.legal.clear().unwrap();
        store.meta.insert("format", &[1u8]).unwrap();
        store.flush().await.unwrap();
        drop(store);
        let (store, recovered) = reopen(dir.path()).unwrap();
        assert_eq!(recovered.legal.len(), 1);
        assert_eq!(store.legal.len(), 1);
        assert_eq!(
            store.meta.get("format").unwrap().unwrap().as_ref(),
            [FORMAT]
        );
        drop(store);
        let (_, recovered) = reopen(dir.path()).unwrap();
        assert_eq!(recovered.legal[0].seq(), Seq(3));
    }

    #[tokio::test]
    async fn ids_are_found_in_memory_in_runs_and_after_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_runs_of(dir.path(), 4);
        let entries = chain(11);
        for e in &entries {
            store.insert_entry(e).unwrap();
            find_all(&store, std::slice::from_ref(e), false);
        }
        store.ids.settle();
        assert!(store.ids.runs() >= 2, "{} runs", store.ids.runs());
        find_all(&store, &entries, false);
        let stranger = chain_of(1, |_| Kind::SIGNATURE)[0].id();
        assert!(store.entry_by_id(&stranger).unwrap().is_none());
        store.flush().await.unwrap();
        let runs = store.ids.runs();
        drop(store);
        let (store, _) = open_runs_of(dir.path(), 4);
        assert!(store.ids.runs() >= runs);
        find_all(&store, &entries, false);
        assert!(store.entry_by_id(&stranger).unwrap().is_none());
        // Runs of another length read the same index.
        store.ids.settle();
        drop(store);
        let (store, _) = open_runs_of(dir.path(), 1000);
        find_all(&store, &entries, false);
    }

    #[tokio::test]
    async fn a_run_whose_record_a_crash_lost_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_runs_of(dir.path(), 3);
        let entries = chain(7);
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        store.ids.settle();
        // As if the crash came after the runs' keys but before `meta` recorded them.
        store.meta.remove("ids").unwrap();
        store.flush().await.unwrap();
        drop(store);
        let (store, _) = open_runs_of(dir.path(), 3);
        assert_eq!(store.ids.covered("FR".parse().unwrap()), Seq(6));
        find_all(&store, &entries, false);
    }

    #[tokio::test]
    async fn entries_moved_by_a_revocation_and_their_replacements_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_runs_of(dir.path(), 2);
        let old = chain(6);
        for e in &old {
            store.insert_entry(e).unwrap();
        }
        store.ids.settle();
        assert_eq!(store.truncate("FR".parse().unwrap(), Seq(2)).unwrap(), 4);
        // New entries at #3 and #4, above a watermark that had covered #6.
        let mut new = vec![next_of(Some(&old[1]), Kind::NOTE, " again")];
        new.push(next_of(new.last(), Kind::NOTE, " again"));
        for e in &new {
            store.insert_entry(e).unwrap();
        }
        find_all(&store, &new, false);
        find_all(&store, &old[2..], true);
        store.ids.settle();
        store.flush().await.unwrap();
        drop(store);
        for run in [2, 1000] {
            let (store, _) = open_runs_of(dir.path(), run);
            find_all(&store, &old[..2], false);
            find_all(&store, &new, false);
            find_all(&store, &old[2..], true);
            store.ids.settle();
        }
    }

    #[tokio::test]
    async fn a_format_2_store_gets_its_id_runs_at_first_start() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_runs_of(dir.path(), 1000);
        let entries = chain(9);
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        // As format 2 wrote it: one tree keyed by id, no runs.
        let legacy = store.db.open_tree("ids").unwrap();
        for e in &entries {
            legacy
                .insert(e.id().0, entry_key(e.author(), e.seq()))
                .unwrap();
        }
        store.meta.remove("ids").unwrap();
        store.meta.insert("format", &[2u8]).unwrap();
        store.flush().await.unwrap();
        drop((store, legacy));
        let (store, _) = open_runs_of(dir.path(), 4);
        assert_eq!(store.ids.runs(), 2, "two full runs written at start-up");
        find_all(&store, &entries, false);
        assert!(
            !store.db.tree_names().iter().any(|n| n.as_ref() == b"ids"),
            "the tree keyed by id is gone"
        );
        assert_eq!(
            store.meta.get("format").unwrap().unwrap().as_ref(),
            [FORMAT]
        );
    }

    /// The numbers and bytes `events_after` gives.
    fn log(store: &Store, after: u64, upto: u64, limit: usize) -> Vec<(u64, bool, Vec<u8>)> {
        store
            .events_after(after, upto, limit)
            .unwrap()
            .into_iter()
            .map(|(n, change, v)| (n, change, v.to_vec()))
            .collect()
    }

    #[tokio::test]
    async fn the_event_log_reads_back_from_inside_a_block() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        assert_eq!(store.last_event_number().unwrap(), None);
        // Two rounds: arrivals 1-300 and change 301, then arrivals 302-303.
        let arrivals: Vec<(u64, Vec<u8>)> = (1..=300u64)
            .map(|n| (n, n.to_be_bytes().to_vec()))
            .collect();
        store
            .append_events(&arrivals, &[(301, b"change".to_vec())], b"{}")
            .unwrap();
        store
            .append_events(&[(302, vec![1]), (303, vec![2])], &[], b"{}")
            .unwrap();
        assert_eq!(store.last_event_number().unwrap(), Some(303));
        let got = log(&store, 250, 303, 1000);
        let numbers: Vec<u64> = got.iter().map(|e| e.0).collect();
        assert_eq!(numbers, (251..=303).collect::<Vec<_>>());
        assert_eq!(got[0], (251, false, 251u64.to_be_bytes().to_vec()));
        assert_eq!(got[50], (301, true, b"change".to_vec()));
        assert_eq!(log(&store, 10, 20, 1000).len(), 10, "up to `upto`");
        assert_eq!(log(&store, 10, 303, 5).len(), 5, "at most `limit`");
        assert!(log(&store, 303, 303, 5).is_empty());
        store.flush().await.unwrap();
        drop(store);
        let (store, _) = reopen(dir.path()).unwrap();
        assert_eq!(store.last_event_number().unwrap(), Some(303));
        assert_eq!(log(&store, 299, 303, 10).len(), 4);
    }

    #[tokio::test]
    async fn a_format_3_store_gets_its_arrival_blocks_at_first_start() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        // As format 3 wrote it: one arrival per record in `arrivals`.
        let legacy = store.db.open_tree("arrivals").unwrap();
        for n in [1u64, 2, 3, 5] {
            legacy.insert(n.to_be_bytes(), vec![n as u8]).unwrap();
        }
        store
            .changes
            .insert(4u64.to_be_bytes(), b"change".to_vec())
            .unwrap();
        store.meta.insert("format", &[3u8]).unwrap();
        store.flush().await.unwrap();
        drop((store, legacy));
        let (store, _) = reopen(dir.path()).unwrap();
        assert_eq!(
            log(&store, 0, 5, 10),
            [
                (1, false, vec![1]),
                (2, false, vec![2]),
                (3, false, vec![3]),
                (4, true, b"change".to_vec()),
                (5, false, vec![5])
            ]
        );
        assert_eq!(store.last_event_number().unwrap(), Some(5));
        assert!(
            !store
                .db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == b"arrivals")
        );
        assert_eq!(
            store.meta.get("format").unwrap().unwrap().as_ref(),
            [FORMAT]
        );
    }

    /// sled opened directly, once the store has let go of it.
    fn raw_sled(dir: &Path) -> sled::Db {
        when_unlocked(|| Ok(sled::Config::new().path(dir).open()?)).unwrap()
    }

    #[tokio::test]
    async fn a_first_start_that_fails_loses_no_arrival_when_it_is_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        let legacy = store.db.open_tree("arrivals").unwrap();
        for n in [1u64, 2, 3] {
            legacy.insert(n.to_be_bytes(), vec![n as u8]).unwrap();
        }
        store.meta.insert("format", &[3u8]).unwrap();
        // The start-up check will refuse this: the first start fails after the rewrite.
        store.forks.insert(b"garbage", b"x".to_vec()).unwrap();
        store.flush().await.unwrap();
        drop((store, legacy));
        let err = reopen(dir.path()).unwrap_err().to_string();
        assert!(err.contains("fork proof"), "{err}");
        {
            let db = raw_sled(dir.path());
            assert_eq!(
                db.open_tree("meta")
                    .unwrap()
                    .get("format")
                    .unwrap()
                    .unwrap()
                    .as_ref(),
                [3]
            );
            db.open_tree("forks").unwrap().remove(b"garbage").unwrap();
            db.flush().unwrap();
        }
        let (store, _) = reopen(dir.path()).unwrap();
        assert_eq!(log(&store, 0, 3, 10).len(), 3, "arrivals 1 to 3 survive");
        assert_eq!(store.last_event_number().unwrap(), Some(3));
    }

    #[tokio::test]
    async fn a_damaged_arrival_block_is_skipped_and_its_numbers_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        store
            .append_events(&[(1, vec![1]), (2, vec![2])], &[], b"{}")
            .unwrap();
        store.append_events(&[(10, vec![10])], &[], b"{}").unwrap();
        assert_eq!(store.last_event_number().unwrap(), Some(10));
        store
            .arrivals
            .insert(10u64.to_be_bytes(), vec![0, 9])
            .unwrap();
        assert_eq!(
            log(&store, 0, 20, 10),
            [(1, false, vec![1]), (2, false, vec![2])]
        );
        assert_eq!(
            store.last_event_number().unwrap(),
            Some(10 + arrivals::PER_BLOCK as u64 - 1)
        );
    }

    #[test]
    fn a_store_of_a_newer_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        store.meta.insert("format", &[FORMAT + 1]).unwrap();
        store.db.flush().unwrap();
        drop(store);
        let err = reopen(dir.path()).unwrap_err().to_string();
        assert!(err.contains("this node reads formats 1 to 4"), "{err}");
    }

    /// The record's newest generation in `dir`.
    fn acked_in(dir: &Path) -> Acked {
        match RecordFile::read(dir, NetworkId([1; 32])).unwrap().0 {
            Found::Record(acked) => acked,
            Found::Missing => panic!("no record in {}", dir.display()),
        }
    }

    #[tokio::test]
    async fn a_clean_close_seals_the_files_and_the_next_open_unseals_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        let entries = chain(3);
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        store.flush().await.unwrap();
        let acked = acked_in(dir.path());
        assert_eq!(
            acked.heads[&"FR".parse().unwrap()],
            (Seq(3), entries[2].id()),
            "the flush recorded the head"
        );
        assert!(acked.seal.is_none());
        let closer = store.closer();
        drop(store);
        assert!(closer.seal(Duration::from_secs(10)).unwrap());
        let sealed = acked_in(dir.path());
        assert_eq!(sealed.seal, Some(files::fingerprint(dir.path()).unwrap()));
        assert_eq!(sealed.heads, acked.heads);
        let (_store, recovered) = reopen(dir.path()).unwrap();
        assert_eq!(recovered.entries, 3);
        assert!(
            acked_in(dir.path()).seal.is_none(),
            "sled writes from now on"
        );
        assert!(!dir.path().join("safety-copy").exists());
    }

    #[tokio::test]
    async fn a_store_holding_less_than_it_acknowledged_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        let entries = chain(5);
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        store.flush().await.unwrap();
        drop(store);
        // The last two entries lost, as sled's recovery drops what follows damage.
        {
            let db = raw_sled(dir.path());
            let tree = db.open_tree("entries").unwrap();
            for e in &entries[3..] {
                tree.remove(entry_key(e.author(), e.seq())).unwrap();
            }
            db.flush().unwrap();
        }
        let before = when_unlocked(|| files::fingerprint(dir.path())).unwrap();
        let err = reopen(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "holds less than this node acknowledged: FR: the node acknowledged up to FR #5 ({}), but the store holds FR #3 ({})",
                entries[4].id().short(),
                entries[2].id().short()
            )),
            "{err}"
        );
        assert!(err.contains("Its files are left as they were"), "{err}");
        assert_eq!(files::fingerprint(dir.path()).unwrap(), before);
        // Another entry where the acknowledged head was is no better.
        {
            let db = raw_sled(dir.path());
            let tree = db.open_tree("entries").unwrap();
            for e in &entries[3..] {
                tree.insert(entry_key(e.author(), e.seq()), e.as_bytes())
                    .unwrap();
            }
            let other = next_of(Some(&entries[3]), Kind::NOTE, " other");
            tree.insert(entry_key(other.author(), other.seq()), other.as_bytes())
                .unwrap();
            db.flush().unwrap();
        }
        let err = reopen(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("but the store holds another entry there"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_store_whose_record_is_gone_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        store.insert_entry(&chain(1)[0]).unwrap();
        store.flush().await.unwrap();
        drop(store);
        std::fs::remove_file(RecordFile::path(dir.path())).unwrap();
        let err = reopen(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("has kept a record of what it acknowledged") && err.contains("is missing"),
            "{err}"
        );
        // Both slots torn: refused too, never taken for an empty record.
        std::fs::write(RecordFile::path(dir.path()), vec![7u8; 32 * 1024]).unwrap();
        let err = reopen(dir.path()).unwrap_err().to_string();
        assert!(err.contains("holds no whole record"), "{err}");
    }

    #[tokio::test]
    async fn a_head_a_revocation_moved_before_the_record_caught_up_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open(dir.path()).unwrap();
        let entries = chain(6);
        for e in &entries {
            store.insert_entry(e).unwrap();
        }
        store.flush().await.unwrap();
        assert_eq!(store.truncate("FR".parse().unwrap(), Seq(2)).unwrap(), 4);
        // sled's flush, and a crash before the record's.
        store.flush_blocking().unwrap();
        drop(store);
        let (store, recovered) = reopen(dir.path()).unwrap();
        assert_eq!(recovered.tips[0].1.seq, Seq(2));
        let acked = store.acked().clone();
        assert_eq!(
            acked.heads[&"FR".parse().unwrap()],
            (Seq(2), entries[1].id())
        );
        assert_eq!(acked.revoked, 4);
    }

    #[test]
    fn a_garbled_entry_is_found() {
        let err = corrupt_with(|t, e| {
            let mut bytes = e[1].as_bytes().to_vec();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            t.insert(entry_key(e[1].author(), e[1].seq()), bytes)
                .unwrap();
        });
        assert!(
            err.starts_with("the store is corrupt: entry under key"),
            "{err}"
        );
        assert!(err.contains("payload does not match its hash"), "{err}");
    }

    #[test]
    fn a_missing_entry_is_found() {
        let err = corrupt_with(|t, e| {
            t.remove(entry_key(e[1].author(), e[1].seq())).unwrap();
        });
        assert!(
            err.contains("FR #3: sequence number is #3, expected #2"),
            "{err}"
        );
    }

    #[test]
    fn an_entry_under_the_wrong_key_is_found() {
        let err = corrupt_with(|t, e| {
            t.insert(entry_key(e[0].author(), Seq(9)), e[0].as_bytes())
                .unwrap();
        });
        assert!(err.contains("FR #1 is stored under the key"), "{err}");
    }
}
