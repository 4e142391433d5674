//! The node's view of the ledger: each feed's tip and where the fork proofs it keeps
//! are (the proofs stay in the [`Store`]), kept in memory over the store, and the one
//! function that decides what becomes of an entry.
//!
//! Submissions from delegations and entries pulled or pushed from peers all go through
//! [`Ledger::accept`], so a node applies exactly one rule set whatever the source.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use pacta_core::Kind;
use pacta_core::Roster;
use pacta_core::authority::{Authority, Expect, KeyState};
use pacta_core::entry::{DecodeError, Entry};
use pacta_core::feed::{Problem, Tip, check_entry_given, check_entry_under, check_link};
use pacta_core::fork::ForkProof;
use pacta_core::ids::{MemberCode, Seq};
use pacta_core::wire::{Accepted, ForkSummary, Head, Outcome};
use thiserror::Error;

use crate::store::{Recovered, Store, StoreError};

/// Why an entry was not accepted. Each maps to one HTTP status (see `api.rs`).
///
/// Large for an error (it carries what the answer reports), but rejections are the
/// rare path and are never stored, so it is not boxed.
#[derive(Debug, Error)]
pub enum Rejection {
    /// The bytes are not an entry (400), or too large (413).
    #[error("{0}")]
    Malformed(DecodeError),
    /// Well-formed, but not valid here: unknown member, bad signature, another
    /// network, a payload that does not fit its kind, time going backwards (422).
    #[error("{member} {seq}: {problem}")]
    Invalid {
        member: MemberCode,
        seq: Seq,
        problem: Problem,
    },
    /// The entry is beyond the head: entries are missing before it (409).
    #[error("{member} {seq} does not extend the head the node holds ({}); send the missing entries first", head_text(*.head))]
    Gap {
        member: MemberCode,
        seq: Seq,
        head: Option<Head>,
    },
    /// The entry is at the next position but names another prev (409): its author has
    /// another history, which the node cannot prove yet.
    #[error("{member} {seq}: {problem}; the node holds another history for {member}")]
    Diverges {
        member: MemberCode,
        seq: Seq,
        problem: Problem,
        head: Option<Head>,
    },
    /// The node holds a different, validly signed entry at this position: a fork (409).
    /// The proof is kept and served, unless the node keeps its most proofs of this
    /// member at lower positions already (see [`FORKS_PER_MEMBER`]).
    #[error("{} {}: the node holds a different entry at this position ({}); both are signed by {}, so this is a fork, {}", .fork.member, .fork.seq, .held.short(), .fork.member, if *.kept { "and the proof is kept".to_owned() } else { format!("and {}'s feed is disputed (the node keeps {FORKS_PER_MEMBER} proofs of it at lower positions already)", .fork.member) })]
    Fork {
        fork: ForkSummary,
        held: pacta_core::EntryId,
        head: Option<Head>,
        kept: bool,
    },
    /// An `instrument` names parties that are not members of the network (422): a rule
    /// of the node, not of validity (SPEC 6.4). The status would have no row for them,
    /// only a warning each, so a feed could otherwise make every status answer large.
    #[error("{member} {seq}: the instrument names {}, but {} of this network (the roster's members and those admitted by quorum); an instrument is open to members only", list_codes(.strangers), if .strangers.len() == 1 { "it is not a member" } else { "they are not members" })]
    Parties {
        member: MemberCode,
        seq: Seq,
        strangers: Vec<MemberCode>,
    },
    /// The entry claims a time too far ahead of this node's clock (422). Refused so
    /// that a feed's claimed times, which never go backwards, stay close to real time:
    /// the roster's feed limit counts entries per window of claimed time.
    #[error(
        "{member} {seq}: claimed time {time} is more than 5 minutes ahead of this node's clock ({now}); send it when that time has come"
    )]
    Future {
        member: MemberCode,
        seq: Seq,
        time: pacta_core::Timestamp,
        now: pacta_core::Timestamp,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// "X as a party", or up to five codes, then how many more, "as parties".
fn list_codes(codes: &[MemberCode]) -> String {
    let mut text = codes
        .iter()
        .take(5)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > 5 {
        text.push_str(&format!(" and {} more", codes.len() - 5));
    }
    if codes.len() == 1 {
        text.push_str(" as a party");
    } else {
        text.push_str(" as parties");
    }
    text
}

fn head_text(head: Option<Head>) -> String {
    match head {
        Some(h) => format!("head {} {}", h.seq, h.id.short()),
        None => "an empty feed".to_owned(),
    }
}

impl Rejection {
    /// A stable code for the API and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::Malformed(DecodeError::TooLarge { .. }) => "too-large",
            Rejection::Malformed(_) => "malformed",
            Rejection::Invalid { problem, .. } => problem.code(),
            Rejection::Gap { .. } => "gap",
            Rejection::Diverges { .. } => "diverges",
            Rejection::Fork { .. } => "fork",
            Rejection::Future { .. } => "future",
            Rejection::Parties { .. } => "parties",
            Rejection::Store(_) => "store",
        }
    }
}

struct State {
    /// The genesis roster plus the members admitted by quorum.
    roster: Arc<Roster>,
    /// Each feed's key schedule, walked up to its tip.
    keys: BTreeMap<MemberCode, KeyState>,
    /// Stored key-rotation entries, per feed, in order.
    rotations: BTreeMap<MemberCode, Vec<Entry>>,
    /// Stored key-revocation and admission entries of genesis members.
    votes: Vec<Entry>,
    authority: Authority,
    tips: BTreeMap<MemberCode, Tip>,
    /// The fork proofs kept, summarised; the proofs themselves are in the store. One
    /// per position (it is enough to dispute the feed, and a bundle carries at most one
    /// per (member, seq, first id), so more could not all be exported), and at most
    /// [`FORKS_PER_MEMBER`] per member.
    forks: BTreeMap<(MemberCode, Seq), ForkSummary>,
    /// Bumped whenever `forks` changes, for the pages' ETags.
    fork_changes: u64,
}

/// The most fork proofs kept of one member's feed. One proof is enough to dispute the
/// feed, and a status asks only whether a feed it rests on is disputed; a few more
/// show where. The lowest positions are kept (a proof at a lower one replaces the
/// highest), so every node converges on the same positions whatever order the proofs
/// reach it in, and one member's forks cost at most this many proofs, each two entries
/// of at most 65,772 bytes, in the store, in `/v1/heads` and in a bundle.
pub const FORKS_PER_MEMBER: usize = 8;

/// Why a fork proof from a peer is not kept.
#[derive(Debug, Error)]
pub enum ForkRefusal {
    #[error("{0} is not a member of this network")]
    NotMember(MemberCode),
    /// Beyond the feed this node holds: the key in force there is not known yet, and
    /// positions nobody holds would be an unbounded supply of proofs.
    #[error("{member} {seq} is beyond {member}'s feed here ({}); a fork proof is kept only at a position the node holds", head_text(*.head))]
    NotHeld {
        member: MemberCode,
        seq: Seq,
        head: Option<Head>,
    },
    #[error("not a valid fork proof: {0}")]
    Invalid(pacta_core::fork::ForkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether a proof at a position would be kept.
enum Room {
    /// A proof at this position is kept already.
    Known,
    /// The member has its most proofs, all at lower positions.
    Full,
    Free,
    /// Kept in place of the member's proof at this higher position.
    Replaces((MemberCode, Seq)),
}

fn fork_room(state: &State, (member, seq): (MemberCode, Seq)) -> Room {
    if state.forks.contains_key(&(member, seq)) {
        return Room::Known;
    }
    let mine = state
        .forks
        .range((member, Seq(0))..=(member, Seq(u64::MAX)));
    if mine.clone().count() < FORKS_PER_MEMBER {
        return Room::Free;
    }
    match mine.last() {
        Some((highest, _)) if highest.1 > seq => Room::Replaces(*highest),
        _ => Room::Full,
    }
}

/// The node's ledger: store plus in-memory tips and forks.
pub struct Ledger {
    /// The genesis roster: the trust root, never changed.
    roster: Arc<Roster>,
    store: Store,
    /// Readers take it for as long as it takes to copy what they need, and no store
    /// write is ever made under it, so a write that blocks (a full disk) never holds
    /// `/v1/heads`, `/healthz` or a status.
    state: Mutex<State>,
    /// Held by the one placement in progress (entries, fork proofs, revocations):
    /// what it decides from the state stays true while it writes.
    writer: Mutex<()>,
    /// Every cut since start: entries of `member` after the position left the feed (a
    /// revoked key's tail). Whoever keeps a view of the feeds (the watch module)
    /// rebuilds it from there.
    cuts: std::sync::Mutex<Vec<(MemberCode, Seq)>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("network", &self.roster.network_name())
            .finish_non_exhaustive()
    }
}

fn fork_key(p: &ForkProof) -> (MemberCode, Seq) {
    (p.member(), p.seq())
}

impl Ledger {
    pub fn new(roster: Arc<Roster>, store: Store, recovered: Recovered) -> Ledger {
        let tips: BTreeMap<MemberCode, Tip> = recovered.tips.into_iter().collect();
        let forks = kept_forks(&store, &tips, recovered.forks);
        let mut rotations: BTreeMap<MemberCode, Vec<Entry>> = BTreeMap::new();
        let mut votes = Vec::new();
        for e in recovered.authority {
            if e.header().kind == Kind::KEY_ROTATION {
                rotations.entry(e.author()).or_default().push(e);
            } else if roster.is_genesis(e.author()) {
                votes.push(e);
            }
        }
        let mut state = State {
            roster: roster.clone(),
            keys: BTreeMap::new(),
            rotations,
            votes,
            authority: Authority::default(),
            tips,
            forks,
            fork_changes: 0,
        };
        rebuild_keys(&mut state);
        let ledger = Ledger {
            roster,
            store,
            state: Mutex::new(state),
            writer: Mutex::new(()),
            cuts: std::sync::Mutex::new(Vec::new()),
        };
        {
            let _writing = ledger.writing();
            if let Err(e) = ledger.retally() {
                tracing::error!("applying revocations at start-up: {e}");
            }
        }
        ledger
    }

    /// The members now: the genesis roster plus those admitted by quorum.
    pub fn roster(&self) -> Arc<Roster> {
        self.state().roster.clone()
    }

    /// The genesis roster, the trust root.
    pub fn genesis(&self) -> &Roster {
        &self.roster
    }

    /// The latest position after which a quorum revoked a key of `member`'s feed.
    pub fn revoked_after(&self, member: MemberCode) -> Option<Seq> {
        self.state()
            .authority
            .revocations
            .get(&member)
            .and_then(|r| r.iter().map(|r| r.after).max())
    }

    /// Re-tallies revocations and admissions after a vote was stored, and applies what
    /// changed: members admitted, keys replaced, and entries under a revoked key moved
    /// out of their feed (to the store's `revoked` tree, as evidence). The caller holds
    /// the writer lock; the state lock is taken only between store writes.
    fn retally(&self) -> Result<(), StoreError> {
        for _ in 0..8 {
            let (next, cut) = {
                let state = self.state();
                let next = Authority::tally_entries(&self.roster, state.votes.iter());
                if next == state.authority {
                    return Ok(());
                }
                let mut cut = Vec::new();
                for revs in next.revocations.values() {
                    for r in revs {
                        let tip = state.tips.get(&r.member).map_or(0, |t| t.seq.0);
                        let after = Seq(r.after.0.saturating_add(1));
                        let signer = state.keys.get(&r.member).map(|k| k.key_at(after));
                        if tip > r.after.0 && signer == Some(r.key) {
                            cut.push((r.member, r.after));
                        }
                    }
                }
                (next, cut)
            };
            for (member, after) in cut {
                let moved = self.store.truncate(member, after)?;
                self.cuts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((member, after));
                let tip = match self.store.entry(member, after)? {
                    Some(e) => Some(self.store.tip_at(&e, self.roster.feed_limit())?),
                    None => None,
                };
                let mut state = self.state();
                match tip {
                    Some(tip) => state.tips.insert(member, tip),
                    None => state.tips.remove(&member),
                };
                if let Some(list) = state.rotations.get_mut(&member) {
                    list.retain(|e| e.seq() <= after);
                }
                state
                    .votes
                    .retain(|e| e.author() != member || e.seq() <= after);
                tracing::warn!(%member, %after, moved, "key revoked by quorum: entries after it under that key were removed from the feed");
            }
            let mut state = self.state();
            state.roster = Arc::new(self.roster.with_admitted(next.admitted.iter().cloned()));
            state.authority = next;
            rebuild_keys(&mut state);
        }
        tracing::error!("revocations do not settle; keeping the last tally");
        Ok(())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn writing(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock would be a bug; the state it guards is a cache
        // of the store, so carrying on with it is safe.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn head(&self, member: MemberCode) -> Option<Head> {
        self.state().tips.get(&member).map(|t| Head {
            seq: t.seq,
            id: t.id,
        })
    }

    pub fn heads(&self) -> BTreeMap<MemberCode, Head> {
        self.state()
            .tips
            .iter()
            .map(|(m, t)| {
                (
                    *m,
                    Head {
                        seq: t.seq,
                        id: t.id,
                    },
                )
            })
            .collect()
    }

    /// The fork proofs kept, summarised, in (member, seq) order: at most
    /// [`FORKS_PER_MEMBER`] per member. The proofs are read from the store.
    pub fn forks(&self) -> Vec<ForkSummary> {
        self.state().forks.values().copied().collect()
    }

    pub fn fork_count(&self) -> usize {
        self.state().forks.len()
    }

    /// Changes whenever the kept proofs do.
    pub fn fork_changes(&self) -> u64 {
        self.state().fork_changes
    }

    /// The positions of up to `limit` kept proofs from `from` on (from the first,
    /// without it), in order.
    pub fn fork_positions(
        &self,
        from: Option<(MemberCode, Seq)>,
        limit: usize,
    ) -> Vec<(MemberCode, Seq)> {
        let state = self.state();
        let keys = state.forks.keys();
        match from {
            Some(from) => state
                .forks
                .range(from..)
                .take(limit)
                .map(|(k, _)| *k)
                .collect(),
            None => keys.take(limit).copied().collect(),
        }
    }

    /// Whether a proof at `seq` of `member`'s feed would be kept: the node holds that
    /// position, keeps none there yet, and keeps fewer than [`FORKS_PER_MEMBER`] of the
    /// member's, or one at a higher position.
    pub fn wants_fork(&self, member: MemberCode, seq: Seq) -> bool {
        let state = self.state();
        state.tips.get(&member).is_some_and(|t| seq <= t.seq)
            && matches!(
                fork_room(&state, (member, seq)),
                Room::Free | Room::Replaces(_)
            )
    }

    /// Keeps `proof` if there is room for it (see [`FORKS_PER_MEMBER`]), writing it
    /// (not durably) and removing the one it replaces. Whether it was kept.
    /// Keeps `proof` if there is room for it (see [`FORKS_PER_MEMBER`]). The caller
    /// holds the writer lock.
    fn keep_fork(&self, proof: &ForkProof) -> Result<bool, StoreError> {
        let key = fork_key(proof);
        let replaced = match fork_room(&self.state(), key) {
            Room::Known | Room::Full => return Ok(false),
            Room::Free => None,
            Room::Replaces(highest) => Some(highest),
        };
        // Written before the one it replaces is removed: a crash between the two
        // leaves one proof too many, which the next start removes.
        self.store.insert_fork(proof)?;
        self.state().forks.insert(key, ForkSummary::from(proof));
        if let Some(highest) = replaced {
            self.store.remove_fork(highest.0, highest.1)?;
            self.state().forks.remove(&highest);
        }
        let mut state = self.state();
        state.fork_changes = state.fork_changes.wrapping_add(1);
        Ok(true)
    }

    pub fn entry_count(&self) -> u64 {
        self.state().tips.values().map(|t| t.seq.0).sum()
    }

    #[allow(clippy::result_large_err, reason = "see Rejection")]
    /// Decides what becomes of one entry and writes it (not yet durably: the caller
    /// flushes before acknowledging). `Ok` is stored or already held.
    pub fn accept(&self, bytes: &[u8]) -> Result<(Accepted, Option<Entry>), Rejection> {
        self.place(self.precheck(bytes)?)
    }

    #[allow(clippy::result_large_err, reason = "see Rejection")]
    /// The checks that need only the entry and the roster: decoding, author, signature,
    /// network, payload. The expensive part of `accept`; holds the lock only to read the
    /// key in force, so a batch's entries can be prechecked in parallel. What it returns
    /// remembers that key, and [`Ledger::place`] checks it is still the one in force.
    pub fn precheck(&self, bytes: &[u8]) -> Result<Checked, Rejection> {
        let entry = Entry::decode(bytes).map_err(Rejection::Malformed)?;
        let (expect, explain) = {
            let state = self.state();
            expected_key(&state, &entry)?
        };
        check_entry_under(
            self.roster.network_id(),
            entry.author(),
            expect,
            explain.as_ref(),
            &entry,
        )
        .map_err(|problem| invalid(&entry, problem))?;
        Ok(Checked { entry, expect })
    }

    #[allow(clippy::result_large_err, reason = "see Rejection")]
    /// [`Ledger::precheck`] for a whole batch, with the signatures checked in batches
    /// ([`pacta_core::sig::verify_many`]): one verdict per entry, in order, each the
    /// one `precheck` would give.
    pub fn precheck_batch(&self, batch: &[Vec<u8>]) -> Vec<Result<Checked, Rejection>> {
        use rayon::prelude::*;
        let decoded: Vec<Result<Entry, Rejection>> = batch
            .par_iter()
            .map(|bytes| Entry::decode(bytes).map_err(Rejection::Malformed))
            .collect();
        // Each entry with the key it must be signed with, and what explains a refusal.
        type Planned = Result<(Entry, Expect, Option<KeyState>), Rejection>;
        let planned: Vec<Planned> = {
            let state = self.state();
            decoded
                .into_iter()
                .map(|d| {
                    let entry = d?;
                    let (expect, explain) = expected_key(&state, &entry)?;
                    Ok((entry, expect, explain))
                })
                .collect()
        };
        let items: Vec<_> = planned
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(|(entry, expect, _)| entry.sig_item(expect.key))
            .collect();
        let mut signatures = pacta_core::sig::verify_many(&items).into_iter();
        let planned: Vec<_> = planned
            .into_iter()
            .map(|p| p.map(|p| (p, signatures.next().is_some_and(|v| v.is_ok()))))
            .collect();
        planned
            .into_par_iter()
            .map(|p| {
                let ((entry, expect, explain), signature) = p?;
                check_entry_given(
                    self.roster.network_id(),
                    entry.author(),
                    expect,
                    explain.as_ref(),
                    &entry,
                    signature,
                )
                .map_err(|problem| invalid(&entry, problem))?;
                Ok(Checked { entry, expect })
            })
            .collect()
    }

    #[allow(clippy::result_large_err, reason = "see Rejection")]
    /// The rest of `accept`, for an entry that passed [`Ledger::precheck`]: its place in
    /// its feed (duplicate, fork, gap, or the next entry) and the write.
    pub fn place(&self, checked: Checked) -> Result<(Accepted, Option<Entry>), Rejection> {
        let Checked { entry, expect } = checked;
        let (member, seq) = (entry.author(), entry.seq());
        let invalid = |problem| Rejection::Invalid {
            member,
            seq,
            problem,
        };
        let accepted = |outcome| Accepted {
            member,
            seq,
            id: entry.id(),
            outcome,
        };

        // One placement at a time: what is decided below from the state stays true
        // until the write is done. The state lock itself is held only to copy from it
        // and to update it, never across a store write (a full disk blocks those).
        let _writing = self.writing();
        let (tip, roster) = {
            let state = self.state();
            // The key may have changed since the precheck: a key-rotation or a revocation
            // placed meanwhile, by this batch or a concurrent one. Checked again under the
            // writer lock, so no entry is placed under a key out of force.
            let (now, explain) = expected_key(&state, &entry)?;
            if now != expect {
                check_entry_under(
                    self.roster.network_id(),
                    member,
                    now,
                    explain.as_ref(),
                    &entry,
                )
                .map_err(invalid)?;
            }
            (state.tips.get(&member).copied(), state.roster.clone())
        };
        let head = tip.map(|t| Head {
            seq: t.seq,
            id: t.id,
        });
        if tip.is_some_and(|t| seq <= t.seq) {
            let held = self.store.entry(member, seq)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "{member} {seq} is below the head but missing from the store"
                ))
            })?;
            if held.id() == entry.id() {
                return Ok((accepted(Outcome::Duplicate), None));
            }
            let held_id = held.id();
            let proof =
                ForkProof::new(held, entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let fork = ForkSummary::from(&proof);
            let kept = self.keep_fork(&proof)?
                || matches!(fork_room(&self.state(), fork_key(&proof)), Room::Known);
            return Err(Rejection::Fork {
                fork,
                held: held_id,
                head,
                kept,
            });
        }
        let next = tip.map_or(Some(Seq::FIRST), |t| t.seq.next());
        if Some(seq) != next {
            return Err(Rejection::Gap { member, seq, head });
        }
        let (time, now) = (entry.header().time, crate::clock::now_ms());
        if time.millis() > now.saturating_add(crate::clock::MAX_AHEAD_MS) {
            return Err(Rejection::Future {
                member,
                seq,
                time,
                now: pacta_core::Timestamp::saturating(now),
            });
        }
        let new_tip =
            check_link(tip, &entry, self.roster.feed_limit()).map_err(|problem| match problem {
                Problem::Prev { .. } => Rejection::Diverges {
                    member,
                    seq,
                    problem,
                    head,
                },
                other => invalid(other),
            })?;
        if kind_is_instrument(&entry) {
            let strangers = strangers(&roster, &entry);
            if !strangers.is_empty() {
                return Err(Rejection::Parties {
                    member,
                    seq,
                    strangers,
                });
            }
        }
        self.store.insert_entry(&entry)?;
        let kind = entry.header().kind;
        let vote = (kind == Kind::KEY_REVOCATION || kind == Kind::ADMISSION)
            && self.roster.is_genesis(member);
        {
            let mut state = self.state();
            state.tips.insert(member, new_tip);
            if kind == Kind::KEY_ROTATION {
                if let Some(keys) = state.keys.get_mut(&member) {
                    keys.advance(&entry);
                }
                state
                    .rotations
                    .entry(member)
                    .or_default()
                    .push(entry.clone());
            } else if vote {
                state.votes.push(entry.clone());
            }
        }
        if vote {
            self.retally()?;
        }
        Ok((accepted(Outcome::Stored), Some(entry)))
    }

    /// Adds a fork proof received from a peer. It must be at a position this node
    /// holds, where the key in force is known (SPEC 7); it is checked under that key
    /// only if it would be kept (see [`FORKS_PER_MEMBER`]), so proofs that would not
    /// cost no signature checks. Returns whether it was kept.
    pub fn add_fork(&self, proof: &ForkProof) -> Result<bool, ForkRefusal> {
        let (member, seq) = fork_key(proof);
        let key = {
            let state = self.state();
            let keys = state
                .keys
                .get(&member)
                .ok_or(ForkRefusal::NotMember(member))?;
            let tip = state.tips.get(&member);
            if tip.is_none_or(|t| seq > t.seq) {
                return Err(ForkRefusal::NotHeld {
                    member,
                    seq,
                    head: tip.map(|t| Head {
                        seq: t.seq,
                        id: t.id,
                    }),
                });
            }
            if let Room::Known | Room::Full = fork_room(&state, (member, seq)) {
                return Ok(false);
            }
            keys.key_at(seq)
        };
        proof
            .verify_under(self.roster.network_id(), &key)
            .map_err(ForkRefusal::Invalid)?;
        let _writing = self.writing();
        // A revocation placed meanwhile may have cut the feed below this position.
        let tip = self.state().tips.get(&member).copied();
        if tip.is_none_or(|t| seq > t.seq) {
            let head = tip.map(|t| Head {
                seq: t.seq,
                id: t.id,
            });
            return Err(ForkRefusal::NotHeld { member, seq, head });
        }
        Ok(self.keep_fork(proof)?)
    }

    /// The key that signs `member`'s entry at `seq`, after rotations and revocations.
    pub fn key_at(&self, member: MemberCode, seq: Seq) -> Option<pacta_core::PublicKey> {
        self.state().keys.get(&member).map(|k| k.key_at(seq))
    }

    /// The cuts made since start, from the `from`-th on (see `cuts`).
    pub fn cuts_since(&self, from: usize) -> Vec<(MemberCode, Seq)> {
        let cuts = self.cuts.lock().unwrap_or_else(|p| p.into_inner());
        cuts.get(from..).map(<[_]>::to_vec).unwrap_or_default()
    }

    /// The members whose feeds have a fork proof.
    pub fn disputed(&self) -> std::collections::BTreeSet<MemberCode> {
        self.state().forks.keys().map(|(m, _)| *m).collect()
    }

    pub fn is_disputed(&self, member: MemberCode) -> bool {
        self.state().forks.keys().any(|(m, ..)| *m == member)
    }
}

/// The fork proofs recovered from the store that the node keeps: at positions it
/// holds, at most [`FORKS_PER_MEMBER`] per member, the lowest. The others (left by a
/// version without these rules, or by a crash between writing a proof and removing
/// the one it replaced) are removed from the store.
fn kept_forks(
    store: &Store,
    tips: &BTreeMap<MemberCode, Tip>,
    recovered: Vec<ForkProof>,
) -> BTreeMap<(MemberCode, Seq), ForkSummary> {
    let mut kept: BTreeMap<(MemberCode, Seq), ForkSummary> = BTreeMap::new();
    let (mut beyond, mut over) = (0u64, 0u64);
    let mut sorted: Vec<ForkSummary> = recovered.iter().map(ForkSummary::from).collect();
    sorted.sort_by_key(|f| (f.member, f.seq));
    for f in sorted {
        let held = tips.get(&f.member).is_some_and(|t| f.seq <= t.seq);
        let room = kept
            .range((f.member, Seq(0))..=(f.member, Seq(u64::MAX)))
            .count()
            < FORKS_PER_MEMBER;
        if held && room {
            kept.insert((f.member, f.seq), f);
            continue;
        }
        if held {
            over += 1
        } else {
            beyond += 1
        }
        if let Err(e) = store.remove_fork(f.member, f.seq) {
            tracing::error!("removing the fork proof at {} {}: {e}", f.member, f.seq);
        }
    }
    if beyond + over > 0 {
        tracing::warn!(
            beyond,
            over,
            "fork proofs removed at start-up: {beyond} at positions beyond their feed's head, {over} beyond {FORKS_PER_MEMBER} per member"
        );
    }
    kept
}

/// Whether `entry` registers an instrument.
fn kind_is_instrument(entry: &Entry) -> bool {
    entry.header().kind == Kind::INSTRUMENT
}

/// The parties an `instrument` entry names that are not members of `roster`. The
/// payload was checked by the precheck; one that does not decode names nobody here.
fn strangers(roster: &Roster, entry: &Entry) -> Vec<MemberCode> {
    match pacta_core::payload::Payload::decode(entry.header().kind, entry.payload()) {
        Ok(pacta_core::payload::Payload::Instrument(inst)) => inst
            .parties
            .into_iter()
            .filter(|p| roster.member(*p).is_none())
            .collect(),
        _ => Vec::new(),
    }
}

/// An entry whose signature was checked under `expect`, the key then in force at its
/// position. Only [`Ledger::precheck`] makes one.
#[derive(Debug)]
pub struct Checked {
    entry: Entry,
    expect: Expect,
}

#[allow(clippy::result_large_err, reason = "see Rejection")]
/// The key `entry` must be signed with where it claims to be, from the schedule walked
/// to the tip; with the schedule itself when a revocation is what explains a refusal
/// (copying it for every entry would cost an allocation on the hot path).
fn expected_key(state: &State, entry: &Entry) -> Result<(Expect, Option<KeyState>), Rejection> {
    let (member, seq) = (entry.author(), entry.seq());
    let keys = state
        .keys
        .get(&member)
        .ok_or_else(|| invalid(entry, Problem::UnknownMember))?;
    let tip = state.tips.get(&member).map_or(0, |t| t.seq.0);
    let expect = if seq.0 <= tip {
        Expect {
            key: keys.key_at(seq),
            install: None,
        }
    } else {
        keys.required(seq)
    };
    Ok((expect, expect.install.map(|_| keys.clone())))
}

fn invalid(entry: &Entry, problem: Problem) -> Rejection {
    Rejection::Invalid {
        member: entry.author(),
        seq: entry.seq(),
        problem,
    }
}

/// Rebuilds every feed's key schedule from the tally and the stored rotations.
fn rebuild_keys(state: &mut State) {
    let mut keys = BTreeMap::new();
    for m in state.roster.members() {
        if let Some(mut k) = state.authority.schedule(&state.roster, m.code) {
            for e in state.rotations.get(&m.code).into_iter().flatten() {
                k.advance(e);
            }
            keys.insert(m.code, k);
        }
    }
    state.keys = keys;
}
