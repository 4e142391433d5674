//! The id index: an entry's id → its key in `entries` (or `revoked`), for
//! `GET /entries/{id}`.
//!
//! # Why runs, not one tree keyed by id
//!
//! Ids are hashes, so a tree keyed by id takes every insert on a random leaf. In sled
//! 0.34 that is the most expensive pattern there is: leaves split every few inserts all
//! over the tree, and every split rewrites an index node of up to 256 children. With
//! one such tree beside `entries`, a million entries measured 1,489 MiB on disk and
//! 141 MiB of RSS, and took 47 s to insert; without it, 738 MiB, 63 MiB and 20 s (a
//! bare sled program, cache 16 MiB, 1M entries of 269 bytes). The index was most of
//! what the node wrote, held and replayed at start-up.
//!
//! So the index is built as sorted runs, the way a log-structured merge tree is:
//!
//! - the ids of the newest entries are held in memory (`pending`);
//! - once [`RUN`] of them are there, they are frozen and written to the tree `id_runs`
//!   in id order, under a new run number, in blocks of [`BLOCK`] ids: key `run (u32 BE)
//!   ‖ the block's first id (32 bytes)`, value each id followed by its entry's key
//!   (`id ‖ len(code) ‖ code ‖ seq (u64 BE)`). A run's keys are all above the previous
//!   run's and come in order, so writing one appends at the tree's right edge, which is
//!   sled's cheapest pattern, and a block costs one insert, not one per id;
//! - then `meta` → `ids` records how many runs there are and, per feed, the highest
//!   position they cover (the watermark): `runs (u32 BE)`, then per feed
//!   `len(code) ‖ code ‖ seq (u64 BE)`;
//! - a lookup asks `pending`, then the frozen run being written, then each run, newest
//!   first: in each, one sled seek for the last block starting at or below the id (31
//!   seeks at a million entries);
//! - at start-up, `pending` is refilled from the entries above each feed's watermark,
//!   which is at most about two runs' worth, since a run is written as soon as it is
//!   full, and from the entries moved to `revoked` that no run holds yet.
//!
//! Nothing here needs a flush of its own: whatever a crash loses is refilled from the
//! entries at the next start, and sled's single log keeps write order, so a durable
//! watermark means the run it covers is durable too. A run cut short by a crash is
//! written again under the same number, once what was left of it is removed.
//! Every lookup is checked by the caller against the entry's own id, so a stale key
//! (an entry since moved to `revoked`) can only miss, never answer wrongly.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use pacta_core::ids::{EntryId, MemberCode, Seq};

use super::{StoreError, entry_key};

/// Ids per run: at most this many (and as many again while one is being written) are
/// held in memory and read again at start-up.
pub(super) const RUN: usize = 32_768;

/// Ids per block of a run: 64 make a value of about 3.2 KiB.
const BLOCK: usize = 64;

/// Where an entry is: its feed and position.
type Place = (MemberCode, Seq);

#[derive(Debug, Clone)]
pub(super) struct IdIndex {
    runs: sled::Tree,
    meta: sled::Tree,
    state: Arc<Mutex<State>>,
    run_len: usize,
}

#[derive(Debug, Default)]
struct State {
    /// Runs written and recorded in `meta`.
    runs: u32,
    /// Per feed, the highest position whose id is in a recorded run.
    covered: BTreeMap<MemberCode, u64>,
    /// Per feed, the highest position added to `pending` in feed order.
    added: BTreeMap<MemberCode, u64>,
    pending: HashMap<EntryId, Place>,
    frozen: Option<Frozen>,
}

/// A full run on its way to the tree.
#[derive(Debug)]
struct Frozen {
    ids: Arc<HashMap<EntryId, Place>>,
    /// The watermarks once it is written.
    covers: BTreeMap<MemberCode, u64>,
}

impl IdIndex {
    /// Opens the index; with `reset`, forgets every run (a store from before runs,
    /// whose `ids` tree is dropped: the start-up refill rebuilds the index).
    pub(super) fn open(
        db: &sled::Db,
        meta: &sled::Tree,
        reset: bool,
        run_len: usize,
    ) -> Result<IdIndex, StoreError> {
        let runs = db.open_tree("id_runs")?;
        let mut state = State::default();
        if reset {
            db.drop_tree("ids")?;
            runs.clear()?;
            meta.remove("ids")?;
        } else if let Some(raw) = meta.get("ids")? {
            (state.runs, state.covered) = decode_meta(&raw).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the id index's record (meta → ids) does not decode: {}",
                    hex::encode(&raw)
                ))
            })?;
        }
        state.added = state.covered.clone();
        Ok(IdIndex {
            runs,
            meta: meta.clone(),
            state: Arc::new(Mutex::new(state)),
            run_len: run_len.max(1),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The position below which `member`'s ids are all in runs: the start-up refill
    /// reads the feed from the one after it.
    pub(super) fn covered(&self, member: MemberCode) -> Seq {
        Seq(self.lock().covered.get(&member).copied().unwrap_or(0))
    }

    /// Adds the id of the entry at `member`'s `seq`, the next position of its feed.
    pub(super) fn add(&self, id: EntryId, member: MemberCode, seq: Seq) {
        let mut st = self.lock();
        st.pending.insert(id, (member, seq));
        st.added.insert(member, seq.0);
    }

    /// Adds the id of an entry out of feed order (one moved to `revoked`): it is found,
    /// but moves no watermark.
    pub(super) fn add_aside(&self, id: EntryId, member: MemberCode, seq: Seq) {
        self.lock().pending.insert(id, (member, seq));
    }

    /// Writes a full `pending` as a run on a thread of its own, unless one is being
    /// written already (then `pending` grows until it is done).
    pub(super) fn spill(&self) {
        let Some((run, ids)) = self.freeze() else {
            return;
        };
        let index = self.clone();
        let spawned = std::thread::Builder::new()
            .name("pacta-id-run".into())
            .spawn({
                let ids = ids.clone();
                move || index.finish(run, ids)
            });
        if spawned.is_err() {
            self.finish(run, ids);
        }
    }

    /// Writes `pending` as a run now if it is full (start-up).
    pub(super) fn spill_now(&self) -> Result<(), StoreError> {
        match self.freeze() {
            Some((run, ids)) => self.write_run(run, &ids),
            None => Ok(()),
        }
    }

    fn freeze(&self) -> Option<(u32, Arc<HashMap<EntryId, Place>>)> {
        let mut st = self.lock();
        if st.pending.len() < self.run_len || st.frozen.is_some() {
            return None;
        }
        let ids = Arc::new(std::mem::take(&mut st.pending));
        let covers = st.added.clone();
        st.frozen = Some(Frozen {
            ids: ids.clone(),
            covers,
        });
        Some((st.runs, ids))
    }

    /// Writes `ids` as run `run`, then whatever filled up meanwhile.
    fn finish(&self, run: u32, ids: Arc<HashMap<EntryId, Place>>) {
        let mut next = Some((run, ids));
        while let Some((run, ids)) = next {
            if let Err(e) = self.write_run(run, &ids) {
                // The ids stay findable in memory; the next full run tries again.
                tracing::warn!("writing id run {run}: {e}");
                return;
            }
            next = self.freeze();
        }
    }

    /// Not through the store's group commit: a run is never needed for an
    /// acknowledgement, and whatever a crash loses of it the refill rebuilds.
    fn write_run(&self, run: u32, ids: &HashMap<EntryId, Place>) -> Result<(), StoreError> {
        let mut sorted: Vec<(&EntryId, &Place)> = ids.iter().collect();
        sorted.sort_unstable_by_key(|(id, _)| id.0);
        // What a crash left of this run before: its blocks start at other ids, and a
        // lookup must find each id in the block that starts at or below it.
        let old = self
            .runs
            .range(run_key(run, &EntryId([0; 32]))..=run_key(run, &EntryId([0xff; 32])))
            .keys()
            .collect::<Result<Vec<_>, _>>();
        let written = old
            .and_then(|old| {
                old.into_iter()
                    .try_for_each(|k| self.runs.remove(k).map(drop))
            })
            .and_then(|()| {
                sorted.chunks(BLOCK).try_for_each(|block| {
                    let mut value = Vec::with_capacity(block.len() * (32 + 17));
                    for (id, (member, seq)) in block {
                        value.extend_from_slice(&id.0);
                        value.extend_from_slice(&entry_key(*member, *seq));
                    }
                    let first = block.first().map_or([0; 32], |(id, _)| id.0);
                    self.runs
                        .insert(run_key(run, &EntryId(first)), value)
                        .map(drop)
                })
            });
        let mut st = self.lock();
        let Some(frozen) = st.frozen.take() else {
            return Ok(());
        };
        let recorded = written.map_err(StoreError::from).and_then(|()| {
            self.meta
                .insert("ids", encode_meta(run + 1, &frozen.covers))
                .map(drop)
                .map_err(StoreError::from)
        });
        match recorded {
            Ok(_) => {
                st.runs = run + 1;
                st.covered = frozen.covers;
            }
            Err(_) => {
                // Back into `pending`, to be found there and written with the next run.
                let mut ids = Arc::unwrap_or_clone(frozen.ids);
                ids.extend(st.pending.drain());
                st.pending = ids;
            }
        }
        recorded
    }

    /// Where the entry with id `id` was stored, as its key; the caller checks the
    /// entry found there is the one.
    pub(super) fn get(&self, id: &EntryId) -> Result<Option<Vec<u8>>, StoreError> {
        let runs = {
            let st = self.lock();
            let found = st
                .pending
                .get(id)
                .or_else(|| st.frozen.as_ref().and_then(|f| f.ids.get(id)));
            if let Some((member, seq)) = found {
                return Ok(Some(entry_key(*member, *seq)));
            }
            st.runs
        };
        for run in (0..runs).rev() {
            let block = self
                .runs
                .range(run_key(run, &EntryId([0; 32]))..=run_key(run, id))
                .next_back();
            if let Some((key, value)) = block.transpose()? {
                let found = find_in_block(&value, id).map_err(|()| {
                    StoreError::Corrupt(format!(
                        "id block {} does not decode: {}",
                        hex::encode(&key),
                        hex::encode(&value)
                    ))
                })?;
                if found.is_some() {
                    return Ok(found);
                }
            }
        }
        Ok(None)
    }

    /// `member`'s entries after `after` left its feed: later positions will be new
    /// entries, which the watermarks must not claim to cover.
    pub(super) fn truncate(&self, member: MemberCode, after: Seq) -> Result<(), StoreError> {
        let mut st = self.lock();
        let lower = |map: &mut BTreeMap<MemberCode, u64>| {
            if let Some(seq) = map.get_mut(&member) {
                *seq = (*seq).min(after.0);
            }
        };
        lower(&mut st.added);
        if let Some(frozen) = st.frozen.as_mut() {
            lower(&mut frozen.covers);
        }
        if st.covered.get(&member).is_some_and(|&seq| seq > after.0) {
            lower(&mut st.covered);
            self.meta.insert("ids", encode_meta(st.runs, &st.covered))?;
        }
        Ok(())
    }

    /// Waits until no run is being written (tests reopen the store after it).
    #[cfg(test)]
    pub(super) fn settle(&self) {
        while self.lock().frozen.is_some() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[cfg(test)]
    pub(super) fn runs(&self) -> u32 {
        self.lock().runs
    }
}

fn run_key(run: u32, id: &EntryId) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..4].copy_from_slice(&run.to_be_bytes());
    key[4..].copy_from_slice(&id.0);
    key
}

/// The entry key stored for `id` in a block (`id ‖ entry key`, repeated), if any.
fn find_in_block(mut block: &[u8], id: &EntryId) -> Result<Option<Vec<u8>>, ()> {
    while !block.is_empty() {
        let this = block.get(..32).ok_or(())?;
        let len = usize::from(*block.get(32).ok_or(())?);
        let key = block.get(32..33 + len + 8).ok_or(())?;
        if this == id.0 {
            return Ok(Some(key.to_vec()));
        }
        block = &block[33 + len + 8..];
    }
    Ok(None)
}

fn encode_meta(runs: u32, covered: &BTreeMap<MemberCode, u64>) -> Vec<u8> {
    let mut out = runs.to_be_bytes().to_vec();
    for (member, seq) in covered {
        out.push(member.as_bytes().len() as u8);
        out.extend_from_slice(member.as_bytes());
        out.extend_from_slice(&seq.to_be_bytes());
    }
    out
}

fn decode_meta(raw: &[u8]) -> Option<(u32, BTreeMap<MemberCode, u64>)> {
    let runs = u32::from_be_bytes(raw.get(..4)?.try_into().ok()?);
    let mut rest = raw.get(4..)?;
    let mut covered = BTreeMap::new();
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        let member = MemberCode::from_bytes(tail.get(..len)?).ok()?;
        let seq = u64::from_be_bytes(tail.get(len..len + 8)?.try_into().ok()?);
        if covered.insert(member, seq).is_some() {
            return None;
        }
        rest = tail.get(len + 8..)?;
    }
    Some((runs, covered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_finds_its_ids_and_refuses_garbage() {
        let (a, b) = (EntryId([1; 32]), EntryId([2; 32]));
        let fr = entry_key("FR".parse().unwrap(), Seq(3));
        let nato = entry_key("NATO".parse().unwrap(), Seq(u64::MAX));
        let block = [&a.0[..], &fr, &b.0, &nato].concat();
        assert_eq!(find_in_block(&block, &a), Ok(Some(fr)));
        assert_eq!(find_in_block(&block, &b), Ok(Some(nato)));
        assert_eq!(find_in_block(&block, &EntryId([3; 32])), Ok(None));
        assert_eq!(find_in_block(&block[..block.len() - 1], &b), Err(()));
        assert_eq!(find_in_block(&block[..20], &b), Err(()));
        assert_eq!(find_in_block(&[], &b), Ok(None));
    }

    #[test]
    fn the_record_of_runs_round_trips_and_refuses_garbage() {
        let covered: BTreeMap<MemberCode, u64> = [
            ("FR".parse().unwrap(), 7),
            ("NATO".parse().unwrap(), u64::MAX),
        ]
        .into();
        let raw = encode_meta(3, &covered);
        assert_eq!(decode_meta(&raw), Some((3, covered)));
        assert_eq!(decode_meta(&raw[..raw.len() - 1]), None);
        assert_eq!(decode_meta(&[0, 0, 1]), None);
        let mut twice = raw.clone();
        twice.extend_from_slice(&raw[4..]);
        assert_eq!(decode_meta(&twice), None, "a feed named twice");
        let mut lower = raw;
        lower[5] = b'f';
        assert_eq!(decode_meta(&lower), None);
    }
}
