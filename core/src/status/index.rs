//! The status engine's incremental form: an index of the entries a status rests on,
//! fed one entry at a time, that recomputes only the instruments an entry touched.
//!
//! A node feeds it every entry it stores and asks it for the [`Status`] after each
//! batch; an auditor's [`super::compute`] feeds it a whole verified ledger once. Both
//! get the same answer because it is the same code: the result depends on the set of
//! entries, never on the order they arrived in (everything is put back in ledger order,
//! SPEC.md §15, before it is used).
//!
//! Notes are not kept: they carry no status, and at a million entries they would be
//! nearly all of the memory. A correction naming a note is therefore ignored with a
//! warning, as SPEC.md §15.2 says.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::engine::{Item, Registered, instrument_status};
use super::{EntryRef, InstrumentStatus, Source, Status, Warning};
use crate::date::Date;
use crate::entry::Entry;
use crate::ids::{EntryId, Kind, MemberCode, Timestamp};
use crate::payload::{Correction, Payload};
use crate::roster::Roster;

/// One stored entry that may carry status, with the correction in force for it.
#[derive(Debug)]
struct Slot {
    at: EntryRef,
    recorded: Timestamp,
    original: Payload,
    /// The latest correction that took effect: its replacement (`None`: annulled), the
    /// correction, and whether the correction is illustrative.
    corrected: Option<(Option<Payload>, EntryRef, bool)>,
}

impl Slot {
    /// The payload in force, or `None` if the entry was annulled.
    fn payload(&self) -> Option<&Payload> {
        match &self.corrected {
            None => Some(&self.original),
            Some((replacement, _, _)) => replacement.as_ref(),
        }
    }

    /// The item SPEC.md §15.2 makes of this entry, if any.
    fn item(&self) -> Option<Item> {
        let payload = self.payload()?.clone();
        let (corrected_by, by_illustrative) = match &self.corrected {
            Some((_, by, illustrative)) => (Some(*by), *illustrative),
            None => (None, false),
        };
        Some(Item {
            source: Source {
                entry: self.at,
                corrected_by,
            },
            recorded: self.recorded,
            illustrative: by_illustrative || payload.illustrative(),
            payload,
        })
    }
}

/// What one entry's payload says for the index: the instrument it files under, if any.
fn filed_under(slot: &Slot) -> Option<EntryId> {
    match slot.payload()? {
        Payload::Instrument(_) => Some(slot.at.id),
        other => other.instrument(),
    }
}

/// The incremental status engine. See the module documentation.
#[derive(Debug)]
pub struct Index {
    as_of: Date,
    slots: Vec<Slot>,
    by_id: HashMap<EntryId, usize>,
    /// Slots by the instrument they file under (an instrument files under itself).
    by_instrument: BTreeMap<EntryId, BTreeSet<usize>>,
    /// Corrections that were ignored, by the correction's position.
    ignored: BTreeMap<EntryRef, Correction>,
    forked: BTreeSet<MemberCode>,
    /// Each registered instrument's status and warnings, while still valid.
    cache: HashMap<EntryId, (InstrumentStatus, Vec<Warning>)>,
    /// The roster the cache was computed under.
    roster_seen: Option<Roster>,
}

impl Index {
    /// An empty index that computes status as of `as_of`.
    pub fn new(as_of: Date) -> Index {
        Index {
            as_of,
            slots: Vec::new(),
            by_id: HashMap::new(),
            by_instrument: BTreeMap::new(),
            ignored: BTreeMap::new(),
            forked: BTreeSet::new(),
            cache: HashMap::new(),
            roster_seen: None,
        }
    }

    /// The day the status is computed as of.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// Moves the day: every instrument is computed again at the next [`Index::status`].
    pub fn set_as_of(&mut self, as_of: Date) {
        if as_of != self.as_of {
            self.as_of = as_of;
            self.cache.clear();
        }
    }

    /// How many entries the index holds (every entry but notes).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Marks `member`'s feed disputed. Every instrument is computed again: a fork may
    /// touch any row that rests on the feed.
    pub fn fork(&mut self, member: MemberCode) {
        if self.forked.insert(member) {
            self.cache.clear();
        }
    }

    /// Adds one verified entry. Entries of one feed must come in feed order (a node
    /// stores them so); feeds may interleave in any way. An entry already held, or one
    /// that does not decode (verified entries always do), is ignored.
    pub fn push(&mut self, entry: &Entry) {
        let header = entry.header();
        if header.kind == Kind::NOTE {
            return;
        }
        let id = entry.id();
        if self.by_id.contains_key(&id) {
            return;
        }
        let Ok(payload) = Payload::decode(header.kind, entry.payload()) else {
            return;
        };
        let at = EntryRef {
            member: header.author,
            seq: header.seq,
            id,
        };
        if let Payload::Correction(c) = &payload {
            self.correct(at, c);
        }
        let index = self.slots.len();
        self.slots.push(Slot {
            at,
            recorded: header.time,
            original: payload,
            corrected: None,
        });
        self.by_id.insert(id, index);
        self.file(index);
    }

    /// Files slot `index` under the instrument its payload in force names.
    fn file(&mut self, index: usize) {
        let Some(slot) = self.slots.get(index) else {
            return;
        };
        if let Some(iid) = filed_under(slot) {
            self.by_instrument.entry(iid).or_default().insert(index);
            self.cache.remove(&iid);
        }
    }

    fn unfile(&mut self, index: usize) {
        let Some(slot) = self.slots.get(index) else {
            return;
        };
        if let Some(iid) = filed_under(slot) {
            if let Some(set) = self.by_instrument.get_mut(&iid) {
                set.remove(&index);
                if set.is_empty() {
                    self.by_instrument.remove(&iid);
                }
            }
            self.cache.remove(&iid);
        }
    }

    /// Applies correction `c`, made at `at`, or keeps it aside as ignored (SPEC.md
    /// §15.2). The decision never changes later: a member corrects only entries of its
    /// own feed, which came before. Only the reason given may (an entry of another feed
    /// named by the correction may arrive later), so it is worded at [`Index::status`].
    fn correct(&mut self, at: EntryRef, c: &Correction) {
        match self.verdict(at, c) {
            Ok(target) => {
                // Entries of one feed come in order: this correction is the latest.
                self.unfile(target);
                if let Some(slot) = self.slots.get_mut(target) {
                    slot.corrected = Some((c.replacement.as_deref().cloned(), at, c.illustrative));
                }
                self.file(target);
            }
            Err(_) => {
                self.ignored.insert(at, c.clone());
            }
        }
    }

    /// The slot correction `c` supersedes, or why it is ignored.
    fn verdict(&self, at: EntryRef, c: &Correction) -> Result<usize, String> {
        let Some(&target) = self.by_id.get(&c.entry) else {
            return Err(format!(
                "it names entry {}, which is not in the ledger, or is a note (a note carries \
                 no status)",
                c.entry.short()
            ));
        };
        let slot = self.slots.get(target).ok_or_else(|| {
            format!(
                "it names entry {}, which is not in the ledger",
                c.entry.short()
            )
        })?;
        let target_at = slot.at;
        if target_at.member != at.member {
            return Err(format!(
                "it names {target_at}; a member corrects only its own feed"
            ));
        }
        if matches!(
            slot.original,
            Payload::Correction(_)
                | Payload::KeyRotation(_)
                | Payload::KeyRevocation(_)
                | Payload::Admission(_)
        ) {
            let kind = slot.original.kind();
            return Err(format!(
                "it names {target_at}, a {kind}; correct the original entry instead"
            ));
        }
        if let Some(replacement) = &c.replacement
            && replacement.kind() != slot.original.kind()
        {
            let (new, old) = (replacement.kind(), slot.original.kind());
            return Err(format!(
                "its replacement is a {new}, but {target_at} is a {old}"
            ));
        }
        Ok(target)
    }

    /// The status as of [`Index::as_of`], computing again only the instruments that
    /// changed since the last call. `roster` is the effective roster (admitted members
    /// included); a different roster from last time computes everything again.
    pub fn status(&mut self, roster: &Roster) -> Status {
        if self.roster_seen.as_ref() != Some(roster) {
            self.cache.clear();
            self.roster_seen = Some(roster.clone());
        }
        let as_of = self.as_of;

        // Registered instruments, in ledger order; only those adopted by the day count.
        let mut registered: Vec<(EntryRef, EntryId)> = Vec::new();
        let mut known: BTreeSet<EntryId> = BTreeSet::new();
        for (iid, set) in &self.by_instrument {
            let Some(&own) = self.by_id.get(iid) else {
                continue;
            };
            if set.contains(&own)
                && let Some(slot) = self.slots.get(own)
                && matches!(slot.payload(), Some(Payload::Instrument(_)))
            {
                known.insert(*iid);
                registered.push((slot.at, *iid));
            }
        }
        registered.sort();

        // Acts naming an instrument that is not registered, in ledger order.
        let mut unknown: Vec<Warning> = Vec::new();
        for (iid, set) in &self.by_instrument {
            if known.contains(iid) {
                continue;
            }
            for slot in set.iter().filter_map(|&i| self.slots.get(i)) {
                unknown.push(Warning {
                    source: Some(slot.at),
                    message: format!(
                        "{}: names instrument {}, which is not registered in the ledger",
                        slot.at,
                        iid.short()
                    ),
                });
            }
        }
        unknown.sort_by_key(|w| w.source);

        let mut instruments = Vec::new();
        let mut instrument_warnings = Vec::new();
        for (_, iid) in registered {
            if !self.cache.contains_key(&iid) {
                let Some(computed) = self.compute_instrument(roster, iid) else {
                    continue;
                };
                self.cache.insert(iid, computed);
            }
            if let Some((status, warnings)) = self.cache.get(&iid)
                && status.adopted <= as_of
            {
                instruments.push(status.clone());
                instrument_warnings.extend(warnings.iter().cloned());
            }
        }

        let mut warnings: Vec<Warning> = self
            .ignored
            .iter()
            .map(|(at, c)| Warning {
                source: Some(*at),
                message: format!(
                    "{at}: correction ignored: {}",
                    self.verdict(*at, c).err().unwrap_or_default()
                ),
            })
            .collect();
        warnings.extend(unknown);
        warnings.extend(instrument_warnings);
        Status {
            as_of,
            instruments,
            warnings,
        }
    }

    /// One instrument's status and the warnings it raises, from its filed entries.
    fn compute_instrument(
        &self,
        roster: &Roster,
        iid: EntryId,
    ) -> Option<(InstrumentStatus, Vec<Warning>)> {
        let set = self.by_instrument.get(&iid)?;
        let own = self.slots.get(*self.by_id.get(&iid)?)?.item()?;
        let Payload::Instrument(inst) = &own.payload else {
            return None;
        };
        // The acts, in ledger order, undated or dated on or before the day.
        let mut items: Vec<Item> = set
            .iter()
            .filter_map(|&i| self.slots.get(i))
            .filter(|s| s.at.id != iid)
            .filter_map(Slot::item)
            .filter(|item| item.payload.date().is_none_or(|d| d <= self.as_of))
            .collect();
        items.sort_by_key(|item| (item.source.entry.member, item.source.entry.seq));
        let mut acts: BTreeMap<(EntryId, MemberCode), Vec<&Item>> = BTreeMap::new();
        for item in &items {
            let concerns = match &item.payload {
                Payload::DepositReceipt(r) => r.member,
                Payload::DepositReturn(r) => r.member,
                _ => item.source.entry.member,
            };
            acts.entry((iid, concerns)).or_default().push(item);
        }
        let reg = Registered {
            id: iid,
            item: &own,
            inst,
        };
        let mut warnings = Vec::new();
        let status =
            instrument_status(roster, &reg, &acts, &self.forked, self.as_of, &mut warnings);
        Some((status, warnings))
    }
}
