//! Feeds and chain verification.
//!
//! A feed is one member's log. It is valid when, at every position `n` (from #1):
//!
//! 1. the bytes decode strictly as an entry;
//! 2. the entry's author is the feed's member;
//! 3. its signature verifies (SPEC 4.2, [`crate::sig`]) under the key in force at that position
//!    ([`crate::authority`]: the roster's key, then each rotation's, and after a
//!    revocation the replacement, which the entry must install);
//! 4. it is signed for this roster's network;
//! 5. its payload fits its kind, in canonical form (and a key-rotation's proof verifies
//!    under its new key);
//! 6. its sequence number is `n`;
//! 7. its prev is the id of the entry at `n - 1` (none at #1);
//! 8. its claimed time is not before the time of the entry at `n - 1`;
//! 9. when the roster sets a feed limit ([`FeedLimit`]), it is at most the limit's
//!    `entries`-th entry of the feed whose claimed time falls in its window.
//!
//! Which key is in force at each position is planned first from the decoded entries (a
//! cheap pass that only looks at key-rotations); then the signatures are checked in
//! batches ([`crate::sig::verify_many`]), checks 1–5 run in parallel, and
//! 6–9 are a cheap sequential pass. The first failure, in position order and in the order above
//! within a position, is the one reported.

use rayon::prelude::*;
use thiserror::Error;

use crate::authority::{Expect, KeyState};
use crate::entry::{DecodeError, Entry};
use crate::ids::{EntryId, MemberCode, NetworkId, Seq, Timestamp};
use crate::payload::{Payload, PayloadError};
use crate::roster::{FeedLimit, Roster};

/// What is wrong with the entry at one position of a feed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("cannot be decoded: {0}")]
    Decode(DecodeError),
    #[error("is not a member of this roster")]
    UnknownMember,
    #[error("entry is by {found}, not {expected} (spliced in from another feed)")]
    Author {
        expected: MemberCode,
        found: MemberCode,
    },
    #[error("signature does not verify under {0}'s key")]
    Signature(MemberCode),
    #[error(
        "{member}'s key {key} was revoked after #{after} by {by}; this entry must be a key-rotation to the replacement key, signed by it"
    )]
    Revoked {
        member: MemberCode,
        key: String,
        after: Seq,
        by: String,
    },
    #[error(
        "after the revocation of {member}'s key, this entry must be a key-rotation installing the replacement key {replacement}"
    )]
    Install {
        member: MemberCode,
        replacement: String,
    },
    #[error("the key-rotation's proof does not verify under the new key for this position")]
    RotationProof,
    #[error("signed for network {}, but this roster's network is {} (an entry from another network)", .found.short(), .expected.short())]
    Network {
        expected: NetworkId,
        found: NetworkId,
    },
    #[error("{0}")]
    Payload(PayloadError),
    #[error("sequence number is {found}, expected {expected} (entries missing or out of order)")]
    Seq { expected: Seq, found: Seq },
    #[error("prev is {}, expected {} (id of {})", .found.short(), .expected.short(), .at)]
    Prev {
        expected: EntryId,
        found: EntryId,
        at: Seq,
    },
    #[error("claimed time {found} is before {previous}, the time of {at}")]
    TimeBackwards {
        previous: Timestamp,
        found: Timestamp,
        at: Seq,
    },
    #[error(
        "is entry {count} of this feed in the {window_s} s window from {from}; the roster allows {limit} per window"
    )]
    Flood {
        count: u64,
        limit: u64,
        window_s: u64,
        from: Timestamp,
    },
}

impl Problem {
    /// A stable, machine-readable name for the kind of problem (used in JSON reports
    /// and in the test vectors).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Decode(_) => "decode",
            Problem::UnknownMember => "unknown-member",
            Problem::Author { .. } => "author",
            Problem::Signature(_) => "signature",
            Problem::Revoked { .. } => "revoked",
            Problem::Install { .. } => "install",
            Problem::RotationProof => "rotation-proof",
            Problem::Network { .. } => "network",
            Problem::Payload(_) => "payload",
            Problem::Seq { .. } => "seq",
            Problem::Prev { .. } => "prev",
            Problem::TimeBackwards { .. } => "time",
            Problem::Flood { .. } => "flood",
        }
    }
}

/// A feed verification failure: the feed, the position, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{member} {position}: {problem}")]
pub struct FeedError {
    pub member: MemberCode,
    pub position: Seq,
    pub problem: Problem,
}

/// The newest entry of a verified feed (prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    pub seq: Seq,
    pub id: EntryId,
    pub time: Timestamp,
    /// How many entries of the feed, this one included, fall in the feed limit's
    /// window of `time` (1 when the roster sets no limit).
    pub in_window: u64,
}

/// Checks 1–5 of the module docs for one entry of `member`'s feed, under the
/// roster's key for that member (a feed that never rotated).
pub fn check_entry(roster: &Roster, member: MemberCode, entry: &Entry) -> Result<(), Problem> {
    let key = roster.member(member).ok_or(Problem::UnknownMember)?.key;
    let expect = Expect { key, install: None };
    check_entry_under(roster.network_id(), member, expect, None, entry)
}

/// Checks 1–5 for one entry, under the key `expect` says is in force there.
/// `state` explains a refusal after a revocation.
pub fn check_entry_under(
    network: NetworkId,
    member: MemberCode,
    expect: Expect,
    state: Option<&KeyState>,
    entry: &Entry,
) -> Result<(), Problem> {
    let signature = entry.signature_verifies(&expect.key);
    check_entry_given(network, member, expect, state, entry, signature)
}

/// [`check_entry_under`] with the signature's verdict already known (from a batch:
/// [`crate::sig::verify_many`]); `signature` must be the verdict under `expect.key`.
pub fn check_entry_given(
    network: NetworkId,
    member: MemberCode,
    expect: Expect,
    state: Option<&KeyState>,
    entry: &Entry,
    signature: bool,
) -> Result<(), Problem> {
    let header = entry.header();
    if header.author != member {
        return Err(Problem::Author {
            expected: member,
            found: header.author,
        });
    }
    // The signature comes before the other field checks: if it fails, the entry was
    // altered or forged, and what its fields claim is not worth reporting.
    if !signature {
        if let (Some(_), Some(r)) = (
            expect.install,
            state.and_then(|s| s.revocation_after(header.seq)),
        ) {
            let by: Vec<String> = r.by.iter().map(|(m, _)| m.to_string()).collect();
            return Err(Problem::Revoked {
                member,
                key: r.key.to_string(),
                after: r.after,
                by: by.join(", "),
            });
        }
        return Err(Problem::Signature(member));
    }
    if header.network != network {
        return Err(Problem::Network {
            expected: network,
            found: header.network,
        });
    }
    let payload = Payload::decode(header.kind, entry.payload()).map_err(Problem::Payload)?;
    match (&payload, expect.install) {
        (Payload::KeyRotation(r), install) => {
            if install.is_some_and(|k| r.key() != Some(k)) {
                return Err(Problem::Install {
                    member,
                    replacement: install.map(|k| k.to_string()).unwrap_or_default(),
                });
            }
            if !r.proof_verifies(network, member, header.seq) {
                return Err(Problem::RotationProof);
            }
        }
        (_, Some(k)) => {
            return Err(Problem::Install {
                member,
                replacement: k.to_string(),
            });
        }
        _ => {}
    }
    Ok(())
}

/// Checks 6–9: does `entry` extend a feed whose newest entry is `tip`, within the
/// roster's feed `limit`?
pub fn check_link(
    tip: Option<Tip>,
    entry: &Entry,
    limit: Option<FeedLimit>,
) -> Result<Tip, Problem> {
    let header = entry.header();
    let expected = tip.map_or(Some(Seq::FIRST), |t| t.seq.next());
    if Some(header.seq) != expected {
        // u64::MAX entries cannot exist in practice; report it as a wrong seq anyway.
        return Err(Problem::Seq {
            expected: expected.unwrap_or(Seq(u64::MAX)),
            found: header.seq,
        });
    }
    if let Some(tip) = tip {
        // Decoding guarantees every entry after #1 has a prev.
        let found = header.prev.unwrap_or(EntryId([0; 32]));
        if found != tip.id {
            return Err(Problem::Prev {
                expected: tip.id,
                found,
                at: tip.seq,
            });
        }
        if header.time < tip.time {
            return Err(Problem::TimeBackwards {
                previous: tip.time,
                found: header.time,
                at: tip.seq,
            });
        }
    }
    let in_window = match (limit, tip) {
        (Some(l), Some(t)) if l.window(t.time.millis()) == l.window(header.time.millis()) => {
            t.in_window.saturating_add(1)
        }
        _ => 1,
    };
    if let Some(l) = limit
        && in_window > l.entries
    {
        let window = l.window(header.time.millis());
        return Err(Problem::Flood {
            count: in_window,
            limit: l.entries,
            window_s: l.window_ms / 1000,
            from: Timestamp::saturating(window.saturating_mul(l.window_ms)),
        });
    }
    Ok(Tip {
        seq: header.seq,
        id: entry.id(),
        time: header.time,
        in_window,
    })
}

/// The tip of a feed whose entries, newest first, are `newest`: what [`check_link`]
/// returned for the first of them, given that the feed up to it is valid. Takes only
/// as many entries as share the first one's window (at most the limit's `entries`), so
/// a node can rebuild its tips from a store without walking whole feeds; the first
/// error the iterator yields among them is returned.
pub fn tip_from_newest<E>(
    mut newest: impl Iterator<Item = Result<Entry, E>>,
    limit: Option<FeedLimit>,
) -> Result<Option<Tip>, E> {
    let Some(head) = newest.next().transpose()? else {
        return Ok(None);
    };
    let time = head.header().time;
    let mut in_window = 1;
    if let Some(l) = limit {
        let window = l.window(time.millis());
        while in_window < l.entries {
            match newest.next().transpose()? {
                Some(e) if l.window(e.header().time.millis()) == window => in_window += 1,
                _ => break,
            }
        }
    }
    Ok(Some(Tip {
        seq: head.seq(),
        id: head.id(),
        time,
        in_window,
    }))
}

/// A feed whose every entry passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub member: MemberCode,
    pub entries: Vec<Entry>,
}

impl Feed {
    /// The feed's newest entry, for reporting heads. Its window count is not computed
    /// (it is 1); to extend the feed, use [`tip_from_newest`] with the roster's limit.
    pub fn tip(&self) -> Option<Tip> {
        let newest = self
            .entries
            .last()
            .cloned()
            .map(Ok::<_, std::convert::Infallible>);
        tip_from_newest(newest.into_iter(), None).unwrap_or_else(|never| match never {})
    }
}

/// The outcome of verifying one feed: the longest valid prefix, and the first error
/// after it if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedVerdict {
    pub valid: Feed,
    pub error: Option<FeedError>,
    /// The feed's keys, walked over the valid prefix.
    pub keys: Option<KeyState>,
}

/// Verifies `member`'s feed given as the raw bytes of its entries, in order from #1,
/// under the roster's key for it (no rotations planned from other feeds).
pub fn verify_feed(roster: &Roster, member: MemberCode, raw: &[&[u8]]) -> FeedVerdict {
    match roster.member(member) {
        Some(m) => verify_feed_with(
            roster.network_id(),
            roster.feed_limit(),
            member,
            KeyState::new(m.key, Vec::new()),
            raw,
        ),
        None => FeedVerdict {
            valid: Feed {
                member,
                entries: Vec::new(),
            },
            error: (!raw.is_empty()).then_some(FeedError {
                member,
                position: Seq::FIRST,
                problem: Problem::UnknownMember,
            }),
            keys: None,
        },
    }
}

/// Verifies a feed under the key schedule `keys` (see [`crate::authority`]).
pub fn verify_feed_with(
    network: NetworkId,
    limit: Option<FeedLimit>,
    member: MemberCode,
    keys: KeyState,
    raw: &[&[u8]],
) -> FeedVerdict {
    let mut cursor = FeedCursor::new(network, limit, member, keys);
    let entries = cursor.push(raw);
    FeedVerdict {
        valid: Feed { member, entries },
        error: cursor.error,
        keys: Some(cursor.walked),
    }
}

/// A feed verified a slice at a time, for audits that stream a ledger: it holds the
/// tip and the key schedule, never the entries. Fed a whole feed at once it is
/// [`verify_feed_with`].
#[derive(Debug, Clone)]
pub struct FeedCursor {
    network: NetworkId,
    limit: Option<FeedLimit>,
    member: MemberCode,
    /// The schedule as given: it explains a refusal after a revocation.
    schedule: KeyState,
    /// The schedule walked over the valid prefix.
    walked: KeyState,
    tip: Option<Tip>,
    /// Positions pushed so far, valid or not.
    pushed: u64,
    error: Option<FeedError>,
}

impl FeedCursor {
    pub fn new(
        network: NetworkId,
        limit: Option<FeedLimit>,
        member: MemberCode,
        keys: KeyState,
    ) -> FeedCursor {
        FeedCursor {
            network,
            limit,
            member,
            walked: keys.clone(),
            schedule: keys,
            tip: None,
            pushed: 0,
            error: None,
        }
    }

    /// Verifies the next entries of the feed and returns those that verified, in
    /// order. After the first failure nothing more verifies (later pushes return
    /// nothing): the feed's valid prefix ends there.
    pub fn push(&mut self, raw: &[&[u8]]) -> Vec<Entry> {
        let first = self.pushed;
        self.pushed += raw.len() as u64;
        if self.error.is_some() {
            return Vec::new();
        }
        let decoded: Vec<Result<Entry, Problem>> = raw
            .par_iter()
            .map(|bytes| Entry::decode(bytes).map_err(Problem::Decode))
            .collect();
        // Plan the key of each position from the entries as decoded; a rotation that
        // turns out invalid fails at its own position, before anything planned from it
        // counts. The prefix before this slice is valid, so planning starts from the
        // walked schedule.
        let mut plan = Vec::with_capacity(decoded.len());
        let mut planner = self.walked.clone();
        for (index, d) in decoded.iter().enumerate() {
            let Ok(entry) = d else { break };
            plan.push(planner.required(Seq(first + index as u64 + 1)));
            planner.advance(entry);
        }
        // Every planned signature in batches; an entry is planned only if it decoded.
        let items: Vec<_> = decoded
            .iter()
            .zip(&plan)
            .filter_map(|(d, expect)| d.as_ref().ok().map(|e| e.sig_item(expect.key)))
            .collect();
        let signatures = crate::sig::verify_many(&items);
        let (network, member, schedule) = (self.network, self.member, &self.schedule);
        let checked: Vec<Result<Entry, Problem>> = decoded
            .into_par_iter()
            .enumerate()
            .map(|(index, d)| {
                let entry = d?;
                let expect = plan.get(index).copied().ok_or(Problem::UnknownMember)?;
                let signature = signatures.get(index).is_some_and(Result::is_ok);
                check_entry_given(network, member, expect, Some(schedule), &entry, signature)?;
                Ok(entry)
            })
            .collect();
        let mut entries = Vec::with_capacity(checked.len());
        for (index, result) in checked.into_iter().enumerate() {
            let position = Seq(first + index as u64 + 1);
            match result
                .and_then(|entry| check_link(self.tip, &entry, self.limit).map(|t| (entry, t)))
            {
                Ok((entry, next)) => {
                    self.tip = Some(next);
                    self.walked.advance(&entry);
                    entries.push(entry);
                }
                Err(problem) => {
                    self.error = Some(FeedError {
                        member,
                        position,
                        problem,
                    });
                    break;
                }
            }
        }
        entries
    }

    /// The first failure, if any.
    pub fn error(&self) -> Option<&FeedError> {
        self.error.as_ref()
    }

    /// The newest verified entry.
    pub fn tip(&self) -> Option<Tip> {
        self.tip
    }

    /// The length of the valid prefix.
    pub fn verified(&self) -> u64 {
        self.tip.map_or(0, |t| t.seq.0)
    }

    /// The feed's keys, walked over the valid prefix.
    pub fn keys(&self) -> &KeyState {
        &self.walked
    }

    /// Positions pushed so far.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    pub fn member(&self) -> MemberCode {
        self.member
    }
}
