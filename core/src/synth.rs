//! Synthetic ledgers for tests and benchmarks: valid, deterministic, any size.
//!
//! Entries are spread round-robin over the members with a key, as notes, one claimed
//! second apart from a fixed start time (further apart when the roster's feed limit
//! asks for it). Ed25519 signing is deterministic, so the same
//! roster, keys and count always give the same bytes.

use std::collections::BTreeMap;

use rayon::prelude::*;
use thiserror::Error;

use crate::entry::{Draft, DraftError};
use crate::feed::Feed;
use crate::ids::{EntryId, IdError, Kind, MemberCode, Seq, Timestamp};
use crate::keys::SecretKey;
use crate::payload::{Note, Payload};
use crate::roster::Roster;

/// 2026-01-06T12:00:00Z, the day of the Paris Declaration, in ms since the epoch.
pub const SYNTH_START_MS: u64 = 1_767_700_800_000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SynthError {
    #[error("{member}'s key does not match its public key in the roster")]
    WrongKey { member: MemberCode },
    #[error("no key is given for any member of the roster")]
    NoKeys,
    #[error("{0}")]
    Draft(#[from] DraftError),
    #[error("{0}")]
    Time(#[from] IdError),
}

/// Builds `count` entries over the members in `keys`, each feed chained from #1.
pub fn synth(
    roster: &Roster,
    keys: &BTreeMap<MemberCode, SecretKey>,
    count: u64,
) -> Result<Vec<Feed>, SynthError> {
    for (member, key) in keys {
        if roster.member(*member).map(|m| m.key) != Some(key.public()) {
            return Err(SynthError::WrongKey { member: *member });
        }
    }
    let authors: Vec<(&MemberCode, &SecretKey)> = keys.iter().collect();
    if authors.is_empty() {
        return Err(SynthError::NoKeys);
    }
    let per = count / authors.len() as u64;
    let extra = count % authors.len() as u64;
    authors
        .par_iter()
        .enumerate()
        .map(|(i, (member, key))| {
            let n = per + u64::from((i as u64) < extra);
            synth_feed(roster, **member, key, n)
        })
        .collect()
}

fn synth_feed(
    roster: &Roster,
    member: MemberCode,
    key: &SecretKey,
    n: u64,
) -> Result<Feed, SynthError> {
    let mut entries = Vec::with_capacity(n as usize);
    let mut prev: Option<EntryId> = None;
    // One second apart, or further when the roster's feed limit needs it: a step of
    // at least window / limit puts at most `limit` entries in any window.
    let step = roster
        .feed_limit()
        .map_or(1000, |l| l.window_ms.div_ceil(l.entries).max(1000));
    for seq in 1..=n {
        let text =
            format!("Synthetic entry {member} #{seq}, generated for testing; it records nothing.");
        let draft = Draft {
            network: roster.network_id(),
            author: member,
            seq: Seq(seq),
            prev,
            time: Timestamp::from_millis(SYNTH_START_MS + seq * step)?,
            kind: Kind::NOTE,
            payload: Payload::Note(Note::new(text)).encode(),
        };
        let entry = draft.sign(key)?;
        prev = Some(entry.id());
        entries.push(entry);
    }
    Ok(Feed { member, entries })
}
