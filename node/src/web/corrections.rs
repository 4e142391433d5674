//! Which entries were corrected, and by which entry: entries are never edited, so a
//! page that shows a corrected entry must say so beside it ("corrected by FR #14").

use std::collections::BTreeMap;

use pacta_core::entry::Entry;
use pacta_core::ids::{EntryId, Kind};
use pacta_core::payload::Payload;
use pacta_core::status::{EntryRef, MemberStatus, Source, Status};

/// Corrected entry → the correction that superseded it.
#[derive(Debug, Default)]
pub struct Corrections(BTreeMap<EntryId, EntryRef>);

impl Corrections {
    /// Every correction the status rests on, plus those among `feed` (a page of one
    /// member's entries): between them, every correction of an entry the page shows
    /// that the status uses, and every one recorded on the page itself.
    pub fn of(status: &Status, feed: &[Entry]) -> Corrections {
        let mut map = BTreeMap::new();
        let mut add = |s: &Source| {
            if let Some(c) = s.corrected_by {
                map.insert(s.entry.id, c);
            }
        };
        for inst in &status.instruments {
            add(&inst.registered);
            for c in &inst.commitments {
                add(&c.source);
            }
            for m in &inst.members {
                for s in sources(m) {
                    add(&s);
                }
            }
        }
        for e in feed.iter().filter(|e| e.header().kind == Kind::CORRECTION) {
            if let Ok(Payload::Correction(c)) = Payload::decode(e.header().kind, e.payload()) {
                map.insert(
                    c.entry,
                    EntryRef {
                        member: e.author(),
                        seq: e.seq(),
                        id: e.id(),
                    },
                );
            }
        }
        Corrections(map)
    }

    pub fn of_entry(&self, id: &EntryId) -> Option<&EntryRef> {
        self.0.get(id)
    }
}

/// Every source a member's row cites.
fn sources(m: &MemberStatus) -> Vec<Source> {
    let mut out = Vec::new();
    if let Some(s) = &m.signature {
        out.push(s.source);
        out.extend(s.confirmed.map(|c| c.source));
    }
    out.extend(m.steps.iter().map(|s| s.source));
    for p in &m.periods {
        out.extend(p.consent.as_ref().map(|c| c.source));
        out.push(p.established.source);
        out.extend(p.withdrawal.as_ref().map(|w| w.source));
    }
    out.extend(m.consent.as_ref().map(|c| c.source));
    out.extend(m.established.as_ref().map(|e| e.source));
    out.extend(m.provisional.as_ref().map(|p| p.source));
    out.extend(m.withdrawal.as_ref().map(|w| w.source));
    out.extend(m.returns.iter().map(|r| r.source));
    out.extend(m.intention.map(|i| i.source));
    out
}
