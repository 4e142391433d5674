//! What watchers see: the status kept up to date as entries arrive, and the numbered
//! event log behind `GET /v1/events` and the Atom feeds.
//!
//! One task owns it. Whenever the ledger stores entries it is kicked; it then reads
//! each feed past the last position it announced (from the store, so concurrent
//! batches can never reach it out of order), feeds the new entries to the incremental
//! status [`Index`] (which recomputes only the instruments they touch), compares the
//! new status with the last one, and writes one event per new entry and one per change
//! of status to the store's event log, in one transaction with its own state, and
//! flushes it. Only then does it publish the new status and broadcast the events, so
//! no number a watcher has seen can be handed out again after a crash. A request never
//! computes a status: it reads the last published [`Snapshot`].
//!
//! Nothing is lost across a crash: the state written with the events says up to where
//! each feed was announced and what the status was. At start-up the task announces
//! whatever the store holds past that, and the changes between the recorded status and
//! the one the store gives now.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Bytes;
use pacta_core::date::Date;
use pacta_core::entry::Entry;
use pacta_core::ids::{EntryId, Kind, MemberCode, Seq, Timestamp};
use pacta_core::payload::Payload;
use pacta_core::status::{Change, Index, Status, Summary, changes};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast, watch};

use crate::ledger::Ledger;
use crate::store::StoreError;

/// Most entries of one feed read in one round; a longer backlog takes several rounds.
const ROUND_ENTRIES: usize = 5_000;
/// Events a slow live subscriber may fall behind before it re-reads from the store.
const LIVE_BUFFER: usize = 4_096;

/// The status as last published, ready to serve.
#[derive(Debug)]
pub struct Snapshot {
    pub status: Status,
    /// `GET /v1/status`'s body.
    pub json: Bytes,
    /// A strong ETag over `json`.
    pub etag: String,
    /// When the status last changed (node clock).
    pub updated: Timestamp,
    /// The number of the last event written.
    pub last_event: u64,
    /// How many entries the node held when it was taken.
    pub entries: u64,
}

/// One event of the log.
#[derive(Debug, Clone)]
pub struct Event {
    pub number: u64,
    /// The SSE event name: `entry` or `status`.
    pub name: &'static str,
    /// The SSE data: one line of JSON.
    pub data: String,
    pub member: Option<MemberCode>,
    pub instrument: Option<EntryId>,
}

/// An entry event's fields: what was stored, where.
#[derive(Debug, Clone, Serialize)]
pub struct Arrival {
    pub member: MemberCode,
    pub seq: Seq,
    pub id: EntryId,
    pub kind: Kind,
    pub time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instrument: Option<EntryId>,
}

impl Arrival {
    fn of(entry: &Entry) -> Arrival {
        let h = entry.header();
        let instrument = if h.kind == Kind::NOTE {
            None
        } else {
            // A registration is about the instrument it registers.
            Payload::decode(h.kind, entry.payload())
                .ok()
                .and_then(|p| match p {
                    Payload::Instrument(_) => Some(entry.id()),
                    p => p.instrument(),
                })
        };
        Arrival {
            member: h.author,
            seq: h.seq,
            id: entry.id(),
            kind: h.kind,
            time: h.time,
            instrument,
        }
    }

    /// The log's record: `code len ‖ code ‖ seq u64 ‖ id ‖ time u64 ‖ kind len ‖ kind
    /// ‖ 0 | 1 ‖ instrument id?`. Compact, since every entry gets one.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        out.push(self.member.as_bytes().len() as u8);
        out.extend_from_slice(self.member.as_bytes());
        out.extend_from_slice(&self.seq.0.to_be_bytes());
        out.extend_from_slice(&self.id.0);
        out.extend_from_slice(&self.time.millis().to_be_bytes());
        let kind = self.kind.as_str().as_bytes();
        out.push(kind.len() as u8);
        out.extend_from_slice(kind);
        match self.instrument {
            Some(i) => {
                out.push(1);
                out.extend_from_slice(&i.0);
            }
            None => out.push(0),
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Arrival> {
        let mut r = pacta_core::codec::Reader::new(bytes);
        let len = r.u8("code length").ok()? as usize;
        let member = MemberCode::from_bytes(r.take("code", len).ok()?).ok()?;
        let seq = Seq(r.u64("seq").ok()?);
        let id = EntryId(r.array::<32>("id").ok()?);
        let time = Timestamp::from_millis(r.u64("time").ok()?).ok()?;
        let len = r.u8("kind length").ok()? as usize;
        let kind: Kind = std::str::from_utf8(r.take("kind", len).ok()?)
            .ok()?
            .parse()
            .ok()?;
        let instrument = match r.u8("instrument flag").ok()? {
            0 => None,
            1 => Some(EntryId(r.array::<32>("instrument").ok()?)),
            _ => return None,
        };
        r.finish().ok()?;
        Some(Arrival {
            member,
            seq,
            id,
            kind,
            time,
            instrument,
        })
    }
}

/// A change event's fields: the change (as [`Change`] serialises it), when this node
/// saw it, and its stable id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    /// A UUID the same on every node for the same change of the same ledger.
    pub uuid: String,
    /// When this node saw the change.
    pub seen: String,
    #[serde(flatten)]
    pub change: serde_json::Value,
}

impl Recorded {
    /// The member the change is about, if it is about one.
    pub fn member(&self) -> Option<MemberCode> {
        self.change.get("member")?.as_str()?.parse().ok()
    }

    pub fn instrument(&self) -> Option<EntryId> {
        self.change.get("instrument")?.as_str()?.parse().ok()
    }
}

impl Event {
    fn arrival(number: u64, a: &Arrival) -> Event {
        Event {
            number,
            name: "entry",
            data: serde_json::to_string(a).unwrap_or_default(),
            member: Some(a.member),
            instrument: a.instrument,
        }
    }

    fn change(number: u64, r: &Recorded) -> Event {
        Event {
            number,
            name: "status",
            data: serde_json::to_string(r).unwrap_or_default(),
            member: r.member(),
            instrument: r.instrument(),
        }
    }

    /// An event read back from the store's log.
    pub fn from_log(number: u64, is_change: bool, value: &[u8]) -> Option<Event> {
        if is_change {
            let r: Recorded = serde_json::from_slice(value).ok()?;
            Some(Event::change(number, &r))
        } else {
            Arrival::decode(value).map(|a| Event::arrival(number, &a))
        }
    }
}

/// What the task records beside the events (the store's `meta` → `watch`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Persisted {
    /// The number of the last event written.
    last: u64,
    /// Per feed, the last position announced.
    announced: BTreeMap<MemberCode, u64>,
    /// The status, as last announced.
    summary: Summary,
}

struct Inner {
    index: Index,
    persisted: Persisted,
    disputed: BTreeSet<MemberCode>,
    /// How many of the ledger's cuts (`Ledger::cuts_since`) were applied.
    cuts_seen: usize,
}

/// See the module documentation.
pub struct Watch {
    ledger: Arc<Ledger>,
    inner: Mutex<Inner>,
    snapshot: RwLock<Arc<Snapshot>>,
    live: broadcast::Sender<Arc<Event>>,
    kick: Notify,
    /// The last status page rendered, by its ETag: rendering is done once per change,
    /// not once per request.
    page: Mutex<Option<(String, Bytes)>>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").finish_non_exhaustive()
    }
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Timestamp::saturating(ms)
}

fn today() -> Date {
    Date::from_unix_millis(now().millis()).unwrap_or(Date::MIN)
}

impl Watch {
    /// Builds the view from what the store holds (`legal`: every entry but notes, in
    /// store order) and announces what happened while the node was down.
    pub fn open(ledger: Arc<Ledger>, legal: &[Entry]) -> Result<Arc<Watch>> {
        let mut persisted: Persisted = match ledger.store().watch_state()? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .context("the store's watch state (meta → watch) does not decode")?,
            None => Persisted::default(),
        };
        // Never number an event twice, whatever the recorded state says.
        if let Some(n) = ledger.store().last_event_number()? {
            persisted.last = persisted.last.max(n);
        }
        let mut index = Index::new(today());
        for e in legal {
            index.push(e);
        }
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let last = persisted.last;
        let watch = Watch {
            inner: Mutex::new(Inner {
                index,
                persisted,
                disputed: BTreeSet::new(),
                // Cuts made at start-up (revocations tallied again) are applied by the
                // first round, which rebuilds the index from the store.
                cuts_seen: 0,
            }),
            snapshot: RwLock::new(Arc::new(Snapshot {
                status: Status {
                    as_of: today(),
                    instruments: Vec::new(),
                    warnings: Vec::new(),
                },
                json: Bytes::new(),
                etag: String::new(),
                updated: now(),
                last_event: last,
                entries: 0,
            })),
            ledger,
            live,
            kick: Notify::new(),
            page: Mutex::new(None),
        };
        let watch = Arc::new(watch);
        // Everything the index holds counts as new: the round announces what the store
        // has past the recorded positions, and the changes since the recorded status.
        // A store that takes no writes now (a full disk) must not keep the node from
        // serving reads: the round is done again once it does (`run`).
        if let Err(e) = watch.round(true) {
            match e.downcast_ref::<crate::store::StoreError>() {
                Some(store)
                    if store.is_full() || matches!(store, crate::store::StoreError::Failed(_)) =>
                {
                    tracing::warn!(
                        "the status and event log are brought up to date once the store takes writes again: {e:#}"
                    );
                }
                _ => return Err(e),
            }
        }
        Ok(watch)
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The status as last published.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The page with ETag `tag`, rendered by `render` unless it was the last one.
    pub fn page(&self, tag: &str, render: impl FnOnce() -> String) -> Bytes {
        let mut cache = self.page.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, bytes)) = cache.as_ref()
            && t == tag
        {
            return bytes.clone();
        }
        let bytes = Bytes::from(render());
        *cache = Some((tag.to_owned(), bytes.clone()));
        bytes
    }

    /// Live events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.live.subscribe()
    }

    /// Tells the task that entries or forks were stored.
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// Runs rounds until everything stored is announced (what the task does when
    /// kicked), for callers without the task.
    pub fn catch_up(&self) -> Result<()> {
        while self.round(false)? {}
        Ok(())
    }

    /// Up to `limit` logged events after `after`, no later than the last published
    /// one; and the highest number read (undecodable records are skipped, not
    /// mistaken for the end of the log).
    pub fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<Event>, Option<u64>), StoreError> {
        let upto = self.snapshot().last_event;
        let rows = self.ledger.store().events_after(after, upto, limit)?;
        let highest = rows.last().map(|r| r.0);
        let events = rows
            .into_iter()
            .filter_map(|(n, is_change, value)| Event::from_log(n, is_change, &value))
            .collect();
        Ok((events, highest))
    }

    /// The newest logged changes of status that `keep` selects, newest first.
    pub fn latest_changes(
        &self,
        limit: usize,
        mut keep: impl FnMut(&Recorded) -> bool,
    ) -> Result<Vec<(u64, Recorded)>, StoreError> {
        let rows = self.ledger.store().latest_changes(limit, |bytes| {
            serde_json::from_slice::<Recorded>(bytes).is_ok_and(|r| keep(&r))
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(n, bytes)| serde_json::from_slice(&bytes).ok().map(|r| (n, r)))
            .collect())
    }

    /// One round (see the module documentation). `force` recomputes the status even
    /// if nothing seems to have changed (at start-up). Returns whether a feed still has
    /// more to read.
    fn round(&self, force: bool) -> Result<bool> {
        let ledger = &self.ledger;
        let store = ledger.store();
        let mut inner = self.inner();
        let inner = &mut *inner;
        let mut recompute = force;
        // Work on a copy: it replaces the recorded state only once the events it
        // numbers are written. (The index may run ahead: it ignores entries it holds.)
        let mut next = inner.persisted.clone();

        // Entries left a feed: start again from the store, and announce anew whatever
        // later took their positions.
        let cuts = ledger.cuts_since(inner.cuts_seen);
        if !cuts.is_empty() {
            let mut index = Index::new(inner.index.as_of());
            for e in store.legal_entries()? {
                index.push(&e);
            }
            inner.index = index;
            inner.disputed.clear();
            for (member, after) in &cuts {
                if let Some(seq) = next.announced.get_mut(member) {
                    *seq = (*seq).min(after.0);
                }
            }
            recompute = true;
        }
        let heads = ledger.heads();
        for member in ledger.disputed() {
            if inner.disputed.insert(member) {
                inner.index.fork(member);
                recompute = true;
            }
        }
        let day = today();
        if day != inner.index.as_of() {
            inner.index.set_as_of(day);
            recompute = true;
        }

        let mut arrivals = Vec::new();
        let mut more = false;
        for (member, head) in &heads {
            let from = next.announced.get(member).copied().unwrap_or(0);
            if head.seq.0 <= from {
                continue;
            }
            let rows = store.range(*member, Seq(from + 1), ROUND_ENTRIES, usize::MAX)?;
            more |= head.seq.0 - from > rows.len() as u64;
            for bytes in rows {
                let entry = Entry::decode(&bytes).map_err(|e| {
                    anyhow::anyhow!("{member} after #{from}: stored entry does not decode: {e}")
                })?;
                if entry.header().kind != Kind::NOTE {
                    inner.index.push(&entry);
                    recompute = true;
                }
                next.last += 1;
                next.announced.insert(*member, entry.seq().0);
                arrivals.push((next.last, Arrival::of(&entry)));
            }
        }

        let mut changed = Vec::new();
        let mut status = None;
        if recompute {
            let roster = ledger.roster();
            let now_status = inner.index.status(&roster);
            let seen = now().to_string();
            for change in changes(&next.summary, &now_status) {
                next.last += 1;
                changed.push((next.last, recorded(&change, &seen)));
            }
            next.summary = Summary::of(&now_status);
            status = Some(now_status);
        }
        if arrivals.is_empty() && changed.is_empty() && status.is_none() {
            inner.cuts_seen += cuts.len();
            return Ok(more);
        }

        let state = serde_json::to_vec(&next)?;
        let arrival_rows: Vec<(u64, Vec<u8>)> =
            arrivals.iter().map(|(n, a)| (*n, a.encode())).collect();
        let change_rows: Vec<(u64, Vec<u8>)> = changed
            .iter()
            .map(|(n, r)| Ok((*n, serde_json::to_vec(r)?)))
            .collect::<Result<_, serde_json::Error>>()?;
        store.append_events(&arrival_rows, &change_rows, &state)?;
        // Durable before anyone sees a number: a crash must not hand out again a
        // number a watcher already holds for another event.
        store.flush_blocking()?;
        inner.persisted = next;
        inner.cuts_seen += cuts.len();

        // Publish: first the status, then the events, so that a watcher told of a change
        // finds it in `GET /v1/status`.
        let last_event = inner.persisted.last;
        let entries = ledger.entry_count();
        {
            let mut snap = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
            let fresh = match status {
                Some(status) => {
                    let json = Bytes::from(serde_json::to_vec(&status)?);
                    let etag = format!(
                        "\"{}\"",
                        hex::encode(&pacta_core::codec::sha256(&json)[..12])
                    );
                    let updated = if etag == snap.etag {
                        snap.updated
                    } else {
                        now()
                    };
                    Snapshot {
                        status,
                        json,
                        etag,
                        updated,
                        last_event,
                        entries,
                    }
                }
                None => Snapshot {
                    status: snap.status.clone(),
                    json: snap.json.clone(),
                    etag: snap.etag.clone(),
                    updated: snap.updated,
                    last_event,
                    entries,
                },
            };
            *snap = Arc::new(fresh);
        }
        for (n, a) in &arrivals {
            let _ = self.live.send(Arc::new(Event::arrival(*n, a)));
        }
        for (n, r) in &changed {
            let _ = self.live.send(Arc::new(Event::change(*n, r)));
        }
        Ok(more)
    }
}

fn recorded(change: &Change, seen: &str) -> Recorded {
    Recorded {
        uuid: change.uuid(),
        seen: seen.to_owned(),
        change: serde_json::to_value(change).unwrap_or_default(),
    }
}

/// The task: a round whenever entries are stored, and at least once a minute (for
/// the change of day, and for forks and revocations learnt without a kick).
pub async fn run(watch: Arc<Watch>, mut stopped: watch::Receiver<bool>) {
    // Start-up announced at most one round per feed: finish the backlog first.
    let mut first = true;
    loop {
        if !first {
            tokio::select! {
                _ = watch.kick.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                _ = stopped.changed() => return,
            }
        }
        first = false;
        loop {
            let w = watch.clone();
            match tokio::task::spawn_blocking(move || w.round(false)).await {
                Ok(Ok(true)) => continue,
                Ok(Ok(false)) => break,
                Ok(Err(e)) => {
                    tracing::error!("watch: {e:#}");
                    break;
                }
                Err(e) => {
                    tracing::error!("watch: the round failed: {e}");
                    break;
                }
            }
        }
    }
}
