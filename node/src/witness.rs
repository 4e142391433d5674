//! Witnessing: the node signs checkpoints of the heads it holds, collects its peers'
//! cosignatures, and cosigns theirs when they agree with its own view.
//!
//! Two rules carry the guarantees (SPEC.md, "Checkpoints"):
//!
//! - **Never regress.** Before signing, every head of the last checkpoint this node
//!   signed must still be held: same position, same id, or a later head whose chain
//!   holds it. The last signed checkpoint is kept in two record files, written and
//!   fsynced before the checkpoint is shown to anyone ([`RecordPaths`]): one *in* the
//!   data folder (`<data>/checkpoint`), which goes wherever the store goes, and one
//!   *beside* it (`<data>.checkpoint`, the folder's path resolved through symlinks),
//!   which restoring the folder from an old backup does not roll back. The node starts
//!   from the newer of the two, so an old backup restored in place makes it refuse to
//!   sign until it holds those heads again. The store itself notes when its node last
//!   signed (`meta` → `signed`), and a store that has signed does not start without a
//!   record at least that new. An old backup restored at another path brings only its
//!   own old record: the node may then sign an older view, and the witnesses refuse
//!   to cosign it (below), so it reaches no quorum.
//! - **Cosign only what you hold.** A peer's checkpoint is cosigned only when each of
//!   its heads is this node's head or an ancestor of it. A head beyond ours is first
//!   fetched from the peers and verified like any entry; a different entry at a
//!   position we hold is refused, and the refusal names both ids, so that the origin
//!   fetches ours and records the fork.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pacta_core::checkpoint::{
    Checkpoint, CheckpointError, CheckpointHead, Regression, Witnessed, verify_checkpoint,
};
use pacta_core::ids::{EntryId, MemberCode, Seq, Timestamp};
use pacta_core::note::{Note, Signature};
use pacta_core::{Roster, SecretKey};
use reqwest::{Client, Url};
use thiserror::Error;

use crate::clock::{MAX_AHEAD_MS, now_ms};
use crate::metrics::Metrics;
use crate::node::Node;

/// A checkpoint older than this (by the cosigner's clock) is not cosigned.
pub const STALE_AFTER_MS: u64 = 10 * 60 * 1000;
/// An unchanged view with a quorum is re-signed this often, so its time stays fresh.
const REFRESH: Duration = Duration::from_secs(60);
/// Longest wait for one peer's cosignature.
const COSIGN_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read from a peer asked to cosign: one signature line, or a refusal.
/// A peer that sends more is cut off there.
const MAX_COSIGN_ANSWER: usize = 4096;
/// Checkpoints remembered as judged, so that one sent again does not make this node
/// pull from its peers again.
const JUDGED: usize = 1024;

/// Why this node will not cosign a checkpoint. Each maps to one HTTP status.
#[derive(Debug, Error)]
pub enum CosignError {
    /// Not a well-formed or validly signed checkpoint of this network (400/422).
    #[error("{0}")]
    Invalid(CheckpointError),
    #[error("this node does not witness: the roster lists no node key for it")]
    NotWitness,
    #[error("that is this node's own checkpoint")]
    Own,
    #[error("the checkpoint is dated {time}, more than {} minutes ahead of this node's clock ({now})", MAX_AHEAD_MS / 60_000)]
    Future { time: Timestamp, now: Timestamp },
    #[error("the checkpoint is stale: dated {time}, more than {} minutes before this node's clock ({now})", STALE_AFTER_MS / 60_000)]
    Old { time: Timestamp, now: Timestamp },
    #[error(
        "the checkpoint is stale: this node already cosigned a checkpoint of {node} dated {cosigned}, not older than this one ({time})"
    )]
    Replayed {
        node: MemberCode,
        time: Timestamp,
        cosigned: Timestamp,
    },
    #[error("inconsistent: the checkpoint says {member} {seq} is {}, but this node holds {} there", .theirs.short(), .ours.short())]
    Inconsistent {
        member: MemberCode,
        seq: Seq,
        theirs: EntryId,
        ours: EntryId,
    },
    #[error(
        "the checkpoint goes back on the checkpoint of {node} this node cosigned at {cosigned}: {regression}"
    )]
    Rollback {
        node: MemberCode,
        cosigned: Timestamp,
        regression: Regression,
    },
    #[error(
        "the checkpoint has {member} {seq}, beyond this node's head ({held}), and no peer served the entries to verify it"
    )]
    Behind {
        member: MemberCode,
        seq: Seq,
        held: u64,
    },
    /// The heads agree but this node cannot make them durable (a full disk), so it
    /// vouches for nothing (503).
    #[error("this node's store cannot flush, so it vouches for nothing now: {0}")]
    Unavailable(String),
}

impl CosignError {
    pub fn reason(&self) -> &'static str {
        match self {
            CosignError::Invalid(CheckpointError::Note(_) | CheckpointError::Body { .. }) => {
                "malformed"
            }
            CosignError::Invalid(CheckpointError::Network { .. }) => "network",
            CosignError::Invalid(_) => "signature",
            CosignError::NotWitness => "not-witness",
            CosignError::Own => "own",
            CosignError::Future { .. } => "future",
            CosignError::Old { .. } | CosignError::Replayed { .. } => "stale",
            CosignError::Rollback { .. } => "rollback",
            CosignError::Inconsistent { .. } => "inconsistent",
            CosignError::Behind { .. } => "behind",
            CosignError::Unavailable(_) => "unavailable",
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// The last checkpoint this node signed (from the record file after a restart).
    signed: Option<Checkpoint>,
    /// Its note, with the cosignatures collected so far.
    latest: Option<Note>,
    /// The newest checkpoint that reached the quorum, as verified.
    quorum: Option<Witnessed>,
    /// Why the last attempt to sign was refused, if it was.
    refused: Option<String>,
    /// Per origin node, the newest checkpoint this node cosigned (from the cosigned
    /// file after a restart).
    cosigned: BTreeMap<MemberCode, Witnessed>,
    /// Hashes of checkpoints already judged, oldest first: one sent again is checked
    /// against this node's store only, without pulling from the peers again.
    judged: VecDeque<[u8; 32]>,
    judged_set: HashSet<[u8; 32]>,
}

impl State {
    /// Remembers `hash` as judged; false if it already was.
    fn judge(&mut self, hash: [u8; 32]) -> bool {
        if !self.judged_set.insert(hash) {
            return false;
        }
        self.judged.push_back(hash);
        if self.judged.len() > JUDGED
            && let Some(old) = self.judged.pop_front()
        {
            self.judged_set.remove(&old);
        }
        true
    }
}

/// Pulls from one peer that cosigning requests asked for. `started` counts them; a
/// request that finds one started (and, holding `running`, finished) since it arrived
/// does not start another, so a burst of requests costs at most the pull in flight
/// and one more.
#[derive(Debug, Default)]
struct TriggeredPulls {
    started: AtomicU64,
    running: tokio::sync::Mutex<()>,
}

/// What `/healthz` shows about witnessing.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub signed: Option<Timestamp>,
    pub quorum: Option<Timestamp>,
    pub signers: Vec<MemberCode>,
    pub needed: usize,
    pub refused: Option<String>,
}

pub struct Witness {
    roster: Arc<Roster>,
    member: MemberCode,
    key: Arc<SecretKey>,
    /// Where the last signed checkpoint and the newest cosigned ones are kept.
    records: RecordPaths,
    peers: Vec<Url>,
    pulls: Vec<TriggeredPulls>,
    client: Client,
    state: Mutex<State>,
    /// Held from the last check of a cosigning request to its record on disk, so two
    /// requests never both pass the check against the same last checkpoint.
    cosigning: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("member", &self.member)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

/// Where a node keeps the last checkpoint it signed (`checkpoint`) and, per origin, the
/// newest one it cosigned (`cosigned`): in the data folder and beside it. Each is
/// written to both places; at start the newest found anywhere counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPaths {
    /// `<data>/checkpoint`, `<data>/cosigned`: they go wherever the store goes.
    pub inside: [PathBuf; 2],
    /// `<canonical data>.checkpoint`, `<canonical data>.cosigned`: restoring the
    /// folder from a backup does not roll them back.
    pub beside: [PathBuf; 2],
    /// Where earlier versions kept them, beside the folder's path as given (not
    /// resolved through symlinks), when that is elsewhere: read, never written.
    pub legacy: Option<[PathBuf; 2]>,
}

impl RecordPaths {
    /// The records of the data folder `data`, which must exist: its path is resolved
    /// (symlinks, `.` and `..`), so that however the folder is named, the same records
    /// are found.
    pub fn of(data: &Path) -> anyhow::Result<RecordPaths> {
        let real = std::fs::canonicalize(data).map_err(|e| {
            anyhow::anyhow!("cannot resolve the data folder {}: {e}", data.display())
        })?;
        let beside = beside(&real);
        let given = std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf());
        let given = given.components().collect::<PathBuf>(); // drops `.` components
        let legacy = Some(self::beside(&given)).filter(|l| *l != beside);
        Ok(RecordPaths {
            inside: [real.join("checkpoint"), real.join("cosigned")],
            beside,
            legacy,
        })
    }

    fn checkpoint_files(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.inside[0], &self.beside[0]]
            .into_iter()
            .chain(self.legacy.as_ref().map(|l| &l[0]))
    }

    fn cosigned_files(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.inside[1], &self.beside[1]]
            .into_iter()
            .chain(self.legacy.as_ref().map(|l| &l[1]))
    }
}

/// `<dir>.checkpoint` and `<dir>.cosigned`, beside `dir`.
fn beside(dir: &Path) -> [PathBuf; 2] {
    let name = dir.file_name().unwrap_or_default();
    ["checkpoint", "cosigned"].map(|ext| {
        let mut name = name.to_os_string();
        name.push(".");
        name.push(ext);
        dir.with_file_name(name)
    })
}

impl Witness {
    /// Loads the records of the last signed checkpoint (the newest found), refusing one
    /// that is not this node's: a node must not start from someone else's promise. A
    /// store that notes it signed a checkpoint at `signed_at` (ms) is refused unless a
    /// record at least that new is found: without it, the node could sign a view older
    /// than one it vouched for. A record found in only some of its places is written to
    /// all of them.
    pub fn open(
        roster: Arc<Roster>,
        member: MemberCode,
        key: Arc<SecretKey>,
        records: RecordPaths,
        signed_at: Option<u64>,
        peers: Vec<Url>,
        client: Client,
    ) -> anyhow::Result<Witness> {
        let mut state = State::default();
        let mut newest: Option<(Witnessed, &PathBuf)> = None;
        let mut found = Vec::new();
        for path in records.checkpoint_files() {
            let bytes = match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
            };
            let w = verify_checkpoint(&roster, &bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{}: not a checkpoint this node can trust: {e}",
                    path.display()
                )
            })?;
            if w.checkpoint.node != member {
                anyhow::bail!(
                    "{}: the checkpoint there is {}'s, not {member}'s",
                    path.display(),
                    w.checkpoint.node
                );
            }
            found.push((path, w.checkpoint.time));
            let newer = newest.as_ref().is_none_or(|(n, _)| {
                (w.checkpoint.time, w.signers.len()) > (n.checkpoint.time, n.signers.len())
            });
            if newer {
                newest = Some((w, path));
            }
        }
        if let Some(at) = signed_at
            && newest
                .as_ref()
                .is_none_or(|(w, _)| w.checkpoint.time.millis() < at)
        {
            let found = match &newest {
                None => "none is there".to_owned(),
                Some((w, path)) => format!(
                    "the newest there, {}, is of {}",
                    path.display(),
                    w.checkpoint.time
                ),
            };
            anyhow::bail!(
                "this store has signed checkpoints, the last at {}, but no record of it is found ({found}; looked for {}): without it this node could sign a view older than one it vouched for. Put the data folder's file `checkpoint` back (a copy of the folder must keep it), or the file {} from where the folder was",
                Timestamp::saturating(at),
                records
                    .checkpoint_files()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                records.beside[0]
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
            );
        }
        if let Some((w, from)) = newest {
            let text = w.note.to_text();
            for path in [&records.inside[0], &records.beside[0]] {
                if found
                    .iter()
                    .any(|(p, t)| *p == path && *t == w.checkpoint.time)
                {
                    continue;
                }
                write_durably(path, text.as_bytes())
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                tracing::info!(from = %from.display(), to = %path.display(), "the record of the last signed checkpoint is copied");
            }
            if w.has_quorum() {
                state.quorum = Some(w.clone());
            }
            state.signed = Some(w.checkpoint);
            state.latest = Some(w.note);
        }
        for path in records.cosigned_files() {
            for (origin, w) in load_cosigned(&roster, member, path)? {
                let newer = state
                    .cosigned
                    .get(&origin)
                    .is_none_or(|old| w.checkpoint.time > old.checkpoint.time);
                if newer {
                    state.cosigned.insert(origin, w);
                }
            }
        }
        Ok(Witness {
            roster,
            member,
            key,
            records,
            pulls: peers.iter().map(|_| TriggeredPulls::default()).collect(),
            peers,
            client,
            state: Mutex::new(state),
            cosigning: tokio::sync::Mutex::new(()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest checkpoint with a quorum of signatures, as a signed note.
    pub fn quorum_note(&self) -> Option<String> {
        self.state().quorum.as_ref().map(|w| w.note.to_text())
    }

    /// The newest checkpoint this node signed, with the cosignatures collected so far.
    pub fn latest_note(&self) -> Option<String> {
        self.state().latest.as_ref().map(Note::to_text)
    }

    pub fn summary(&self) -> Summary {
        let state = self.state();
        Summary {
            signed: state.signed.as_ref().map(|c| c.time),
            quorum: state.quorum.as_ref().map(|w| w.checkpoint.time),
            signers: state
                .quorum
                .as_ref()
                .map(|w| w.signers.iter().map(|(c, _)| *c).collect())
                .unwrap_or_default(),
            needed: self.roster.node_quorum(),
            refused: state.refused.clone(),
        }
    }

    /// Whether the heads the node holds now extend every head of the last checkpoint
    /// it signed; if not, the sentence that says where.
    fn regression(
        &self,
        node: &Node,
        signed: &Checkpoint,
        heads: &BTreeMap<MemberCode, CheckpointHead>,
    ) -> Option<String> {
        for (code, old) in &signed.heads {
            let held = heads.get(code).map_or(0, |h| h.seq.0);
            // A quorum revoked a key of this feed before the signed head: entries
            // under it were removed, and the feed legitimately restarts from there.
            if node
                .ledger
                .revoked_after(*code)
                .is_some_and(|after| after.0 < old.seq.0 && held >= after.0)
            {
                continue;
            }
            if held < old.seq.0 {
                return Some(format!(
                    "{code}'s head here is #{held}, but this node signed {code} {} ({}) at {}; it will not sign an older view until it holds that entry again",
                    old.seq,
                    old.id.short(),
                    signed.time
                ));
            }
            match node.ledger.store().entry(*code, old.seq) {
                Ok(Some(e)) if e.id() == old.id => {}
                Ok(Some(e)) => {
                    return Some(format!(
                        "{code} {} here is {}, but this node signed {} there at {}",
                        old.seq,
                        e.id().short(),
                        old.id.short(),
                        signed.time
                    ));
                }
                Ok(None) | Err(_) => {
                    return Some(format!("{code} {} cannot be read from the store", old.seq));
                }
            }
        }
        None
    }

    /// Writes the record atomically and durably, in the data folder and beside it.
    fn persist(&self, note: &Note) -> std::io::Result<()> {
        let text = note.to_text();
        write_durably(&self.records.inside[0], text.as_bytes())?;
        write_durably(&self.records.beside[0], text.as_bytes())
    }

    /// One round: sign the current heads if they changed (or the last quorum is
    /// getting old, or was never reached), then ask every peer to cosign.
    pub async fn round(self: &Arc<Self>, node: &Arc<Node>) {
        let heads: BTreeMap<MemberCode, CheckpointHead> = node
            .ledger
            .heads()
            .into_iter()
            .map(|(c, h)| {
                (
                    c,
                    CheckpointHead {
                        seq: h.seq,
                        id: h.id,
                    },
                )
            })
            .collect();
        // Sign only what is durable: a crash must never take back a head this node has
        // vouched for. The flush covers every write made before it, so every head read
        // above; a store that cannot flush (a full disk) signs nothing.
        if let Err(e) = node.ledger.store().flush().await {
            tracing::warn!("not signing a checkpoint: the store cannot flush: {e}");
            return;
        }
        let now = now_ms();
        let (signed, fresh) = {
            let state = self.state();
            let fresh = state.quorum.as_ref().is_some_and(|q| {
                q.checkpoint.heads == heads
                    && now.saturating_sub(q.checkpoint.time.millis()) < REFRESH.as_millis() as u64
            });
            (state.signed.clone(), fresh)
        };
        // Judged before `fresh`: once a catch-up brings back the heads it signed, the
        // refusal clears at once, even when nothing new arrives to sign.
        if let Some(signed) = &signed
            && let Some(reason) = self.regression(node, signed, &heads)
        {
            Metrics::bump(&node.metrics.checkpoint_refusals, 1);
            let mut state = self.state();
            if state.refused.as_deref() != Some(&reason) {
                tracing::error!("refusing to sign a checkpoint: {reason}");
            }
            state.refused = Some(reason);
            return;
        }
        if fresh {
            let mut state = self.state();
            if state.refused.take().is_some() {
                tracing::info!("signing again: the node holds the heads it signed");
            }
            return;
        }
        let time = signed
            .as_ref()
            .map_or(now, |s| now.max(s.time.millis() + 1));
        let cp = Checkpoint::new(
            &self.roster,
            self.member,
            Timestamp::saturating(time),
            heads,
        );
        let note = cp.sign(&self.roster, &self.key);
        let me = self.clone();
        let written = {
            let note = note.clone();
            tokio::task::spawn_blocking(move || me.persist(&note)).await
        };
        if !matches!(written, Ok(Ok(()))) {
            tracing::error!(record = %self.records.inside[0].display(), "cannot write the checkpoint record; not publishing the checkpoint");
            return;
        }
        // The store notes that it has signed, so that it never starts without a record.
        let store = node.ledger.store();
        if let Err(e) = store.note_signed(cp.time.millis()) {
            tracing::error!(
                "cannot note the signed checkpoint in the store: {e}; not publishing it"
            );
            return;
        }
        if let Err(e) = store.flush().await {
            tracing::error!(
                "cannot note the signed checkpoint in the store: {e}; not publishing it"
            );
            return;
        }
        {
            let mut state = self.state();
            state.signed = Some(cp.clone());
            state.latest = Some(note.clone());
            state.refused = None;
        }
        Metrics::bump(&node.metrics.checkpoints_signed, 1);

        let text = note.to_text();
        let asks = self
            .peers
            .iter()
            .map(|peer| self.ask(node, peer.clone(), text.clone()));
        let lines: Vec<Signature> = futures::future::join_all(asks)
            .await
            .into_iter()
            .flatten()
            .collect();
        let mut full = note.clone();
        for line in lines {
            // Keep only lines that verify, once per peer: one bad peer must not spoil
            // the note for everyone.
            let peer_key = self
                .roster
                .nodes()
                .filter(|(m, _)| m.code != self.member)
                .find(|(m, _)| Checkpoint::key_name(&self.roster, m.code) == line.name)
                .map(|(_, k)| k);
            let ok = peer_key.is_some_and(|k| {
                line.cosignature_time(&line.name, &k, &note.text)
                    .is_some_and(|t| t >= cp.time.millis() / 1000)
            });
            let dup = full.signatures.iter().any(|s| s.name == line.name);
            if ok && !dup {
                full.signatures.push(line);
            }
        }
        let Ok(w) = verify_checkpoint(&self.roster, full.to_text().as_bytes()) else {
            return;
        };
        let reached = w.has_quorum();
        {
            let mut state = self.state();
            if state.signed.as_ref() != Some(&cp) {
                return; // a newer round overtook this one
            }
            state.latest = Some(full.clone());
            if reached {
                state.quorum = Some(w);
            }
        }
        if reached {
            Metrics::bump(&node.metrics.checkpoints_witnessed, 1);
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.persist(&full)).await;
        }
    }

    /// Asks one peer to cosign; on an inconsistency, fetches the peer's entry so the
    /// fork is proven here too.
    async fn ask(&self, node: &Arc<Node>, peer: Url, text: String) -> Option<Signature> {
        let url = peer.join("v1/checkpoint/cosign").ok()?;
        let resp = self
            .client
            .post(url)
            .timeout(COSIGN_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(text)
            .send()
            .await
            .ok()?;
        let status = resp.status();
        let body = match crate::replicate::read_capped(resp, MAX_COSIGN_ANSWER).await {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(%peer, "refused: the answer to a cosigning request {e}");
                return None;
            }
        };
        if status.is_success() {
            let line = std::str::from_utf8(&body).ok()?.strip_suffix('\n')?;
            return Signature::parse_line(line).ok();
        }
        if let Ok(err) = serde_json::from_slice::<pacta_core::wire::ApiError>(&body) {
            if let Some(fork) = err.fork.filter(|_| err.reason == "inconsistent") {
                let _ = crate::replicate::fetch_and_ingest(
                    node,
                    &self.client,
                    &peer,
                    fork.member,
                    fork.seq,
                )
                .await;
            }
            tracing::debug!(%peer, reason = %err.reason, "cosignature refused: {}", err.error);
        }
        None
    }

    /// Cosigns `body`, a peer's signed checkpoint, if it agrees with this node's view.
    pub async fn cosign(&self, node: &Arc<Node>, body: &[u8]) -> Result<String, CosignError> {
        let w = verify_checkpoint(&self.roster, body).map_err(CosignError::Invalid)?;
        let cp = &w.checkpoint;
        if cp.node == self.member {
            return Err(CosignError::Own);
        }
        let now = now_ms();
        if cp.time.millis() > now.saturating_add(MAX_AHEAD_MS) {
            return Err(CosignError::Future {
                time: cp.time,
                now: Timestamp::saturating(now),
            });
        }
        if cp.time.millis().saturating_add(STALE_AFTER_MS) < now {
            return Err(CosignError::Old {
                time: cp.time,
                now: Timestamp::saturating(now),
            });
        }
        self.goes_back(node, &self.state(), cp)?;
        if let Err(behind) = self.consistent(node, cp) {
            let CosignError::Behind { .. } = behind else {
                return Err(behind);
            };
            // Heads beyond ours: fetch them from the peers, verified like any entry,
            // then look again; but only the first time this checkpoint is seen, so one
            // checkpoint sent again and again does not pull again and again.
            let hash = pacta_core::codec::sha256(w.note.text.as_bytes());
            if !self.state().judge(hash) {
                return Err(behind);
            }
            let pulls = self
                .peers
                .iter()
                .zip(&self.pulls)
                .map(|(p, pulls)| self.triggered_pull(node, p, pulls));
            futures::future::join_all(pulls).await;
            self.consistent(node, cp)?;
        }
        // Vouch only for what is durable here: the flush covers every entry the check
        // above read (see `round`).
        node.ledger
            .store()
            .flush()
            .await
            .map_err(|e| CosignError::Unavailable(e.to_string()))?;
        // Checked again and recorded under one lock: two concurrent requests with the
        // same checkpoint may both reach here, and only one may be cosigned. What is
        // cosigned is on disk before the cosignature is given, so a restart does not
        // forget it.
        {
            let _cosigning = self.cosigning.lock().await;
            let all = {
                let state = self.state();
                self.goes_back(node, &state, cp)?;
                let mut all: BTreeMap<MemberCode, String> = state
                    .cosigned
                    .iter()
                    .map(|(c, w)| (*c, w.note.to_text()))
                    .collect();
                all.insert(cp.node, w.note.to_text());
                all
            };
            let paths = [
                self.records.inside[1].clone(),
                self.records.beside[1].clone(),
            ];
            let written = tokio::task::spawn_blocking(move || {
                let json = serde_json::to_vec_pretty(&all).map_err(std::io::Error::other)?;
                for path in &paths {
                    write_durably(path, &json).map_err(|e| {
                        std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                    })?;
                }
                Ok::<(), std::io::Error>(())
            })
            .await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    return Err(CosignError::Unavailable(format!("cannot write {e}")));
                }
                Err(e) => return Err(CosignError::Unavailable(e.to_string())),
            }
            self.state().cosigned.insert(cp.node, w.clone());
        }
        let time = (now / 1000).max(cp.time.millis() / 1000);
        let line = Signature::cosign(
            &Checkpoint::key_name(&self.roster, self.member),
            &self.key,
            &w.note.text,
            time,
        );
        Metrics::bump(&node.metrics.cosignatures, 1);
        Ok(line.line())
    }

    /// Refuses a checkpoint not newer than the last one cosigned of its node, or one
    /// that goes back on it: a feed left out, at an earlier position, or another entry
    /// at the same one. A feed whose key a quorum revoked before the earlier head may
    /// restart from the revocation, as the signing node's own rule allows.
    fn goes_back(&self, node: &Node, state: &State, cp: &Checkpoint) -> Result<(), CosignError> {
        let Some(last) = state.cosigned.get(&cp.node) else {
            return Ok(());
        };
        let last = &last.checkpoint;
        if last.time >= cp.time {
            return Err(CosignError::Replayed {
                node: cp.node,
                time: cp.time,
                cosigned: last.time,
            });
        }
        let excused = |r: &Regression| {
            let now = r.now.map_or(0, |h| h.seq.0);
            node.ledger
                .revoked_after(r.member)
                .is_some_and(|after| after.0 < r.earlier.seq.0 && now >= after.0)
        };
        match cp.regressions(last).into_iter().find(|r| !excused(r)) {
            Some(regression) => Err(CosignError::Rollback {
                node: cp.node,
                cosigned: last.time,
                regression,
            }),
            None => Ok(()),
        }
    }

    /// A pull from `peer` asked for by a cosigning request, coalesced with the others
    /// (see [`TriggeredPulls`]).
    async fn triggered_pull(&self, node: &Node, peer: &Url, pulls: &TriggeredPulls) {
        let seen = pulls.started.load(Ordering::Acquire);
        let _running = pulls.running.lock().await;
        if pulls.started.load(Ordering::Acquire) > seen {
            return; // one started after this request arrived, and has finished
        }
        pulls.started.fetch_add(1, Ordering::AcqRel);
        if let Err(e) = crate::replicate::pull_once(node, &self.client, peer).await {
            tracing::debug!(%peer, "pull for a cosigning request failed: {e}");
        }
    }

    /// Each head is ours or an ancestor of ours; otherwise the first reason it is not.
    fn consistent(&self, node: &Node, cp: &Checkpoint) -> Result<(), CosignError> {
        for (code, head) in &cp.heads {
            let held = node.ledger.head(*code).map_or(0, |h| h.seq.0);
            if held < head.seq.0 {
                return Err(CosignError::Behind {
                    member: *code,
                    seq: head.seq,
                    held,
                });
            }
            let ours = node
                .ledger
                .store()
                .entry(*code, head.seq)
                .ok()
                .flatten()
                .map(|e| e.id());
            if ours != Some(head.id) {
                return Err(CosignError::Inconsistent {
                    member: *code,
                    seq: head.seq,
                    theirs: head.id,
                    ours: ours.unwrap_or(EntryId([0; 32])),
                });
            }
        }
        Ok(())
    }
}

/// Writes `path` atomically and durably: temporary file, fsync, rename, fsync of the
/// folder.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Reads the cosigned file: per origin node, the newest checkpoint this node cosigned.
/// A file that is there but not such a record is refused: starting without it would
/// let this node cosign a view older than one it already vouched for.
fn load_cosigned(
    roster: &Roster,
    member: MemberCode,
    path: &Path,
) -> anyhow::Result<BTreeMap<MemberCode, Witnessed>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    let notes: BTreeMap<MemberCode, String> = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a record of cosigned checkpoints: {e}",
            path.display()
        )
    })?;
    let mut cosigned = BTreeMap::new();
    for (origin, note) in notes {
        let w = verify_checkpoint(roster, note.as_bytes()).map_err(|e| {
            anyhow::anyhow!(
                "{}: the checkpoint of {origin} there does not verify: {e}",
                path.display()
            )
        })?;
        if w.checkpoint.node != origin || origin == member {
            anyhow::bail!(
                "{}: the checkpoint listed under {origin} is {}'s",
                path.display(),
                w.checkpoint.node
            );
        }
        cosigned.insert(origin, w);
    }
    Ok(cosigned)
}

/// Runs witnessing rounds until `shutdown`.
pub async fn run(
    witness: Arc<Witness>,
    node: Arc<Node>,
    interval: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            () = witness.round(&node) => {}
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
