//! Checkpoints: a node's signed statement of the heads it holds, cosigned by its peers.
//!
//! The body is a C2SP checkpoint (<https://c2sp.org/tlog-checkpoint>): origin, size
//! and root hash, then extension lines (SPEC.md, "Checkpoints"):
//!
//! ```text
//! pacta-demo-paris-2026                              origin: the network name
//! 84                                                 size: entries, over all heads
//! 3q2+7w...=                                         root: base64(SHA-256(preimage))
//! network 5f3a...                                    network id, 64 hex digits
//! node FR                                            the node that signed it
//! time 1779870000123                                 Unix milliseconds
//! head DE 4 9c1f...                                  one line per non-empty feed,
//! head FR 23 04ab...                                 in ascending code order
//! ```
//!
//! The root is SHA-256 over `"pacta/checkpoint\0"`, version 1, the network id, the node
//! code (u8 length, ASCII), the time (u64 BE), the head count (u32 BE) and each head
//! (u8 length, code, seq u64 BE, id 32 bytes). The note carries the node's own Ed25519
//! signature (algorithm 0x01) and its peers' `cosignature/v1` lines (0x04), all under
//! the key name `<network name>/<node code>` and the node keys of the roster.
//!
//! A cosignature says: "as of this time, every head in this checkpoint is my head or an
//! ancestor of it". A checkpoint signed by a quorum of nodes therefore shows that no
//! honest majority holds another history for any of these heads.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;

use crate::codec::sha256;
use crate::ids::{EntryId, MemberCode, NetworkId, Seq, Timestamp};
use crate::keys::SecretKey;
use crate::note::{Note, NoteError, Signature};
use crate::roster::Roster;

pub const CHECKPOINT_TAG: &[u8; 17] = b"pacta/checkpoint\0";
pub const CHECKPOINT_VERSION: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointError {
    #[error("checkpoint: {0}")]
    Note(#[from] NoteError),
    #[error("checkpoint line {line}: {reason}")]
    Body { line: usize, reason: String },
    #[error("checkpoint is for network {}, but the roster's network is {}", .found.short(), .expected.short())]
    Network {
        expected: NetworkId,
        found: NetworkId,
    },
    #[error("checkpoint is signed by node {0}, which has no node key in the roster")]
    UnknownNode(MemberCode),
    #[error("checkpoint of node {0} does not carry a valid signature by {0}'s node key")]
    Unsigned(MemberCode),
    #[error(
        "checkpoint of node {node}: the signature line of {name} does not verify under that node's key"
    )]
    BadSignature { node: MemberCode, name: String },
    #[error("checkpoint of node {node}: {signer} signed it more than once")]
    Duplicate {
        node: MemberCode,
        signer: MemberCode,
    },
    #[error(
        "checkpoint of node {node}: {signer}'s cosignature is dated {time}, before the checkpoint itself ({checkpoint} s)"
    )]
    CosignedBefore {
        node: MemberCode,
        signer: MemberCode,
        time: u64,
        checkpoint: u64,
    },
}

/// One feed's head in a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointHead {
    pub seq: Seq,
    pub id: EntryId,
}

/// A checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub network: NetworkId,
    pub node: MemberCode,
    pub time: Timestamp,
    pub heads: BTreeMap<MemberCode, CheckpointHead>,
}

impl Checkpoint {
    pub fn new(
        roster: &Roster,
        node: MemberCode,
        time: Timestamp,
        heads: BTreeMap<MemberCode, CheckpointHead>,
    ) -> Checkpoint {
        Checkpoint {
            origin: roster.network_name().to_owned(),
            network: roster.network_id(),
            node,
            time,
            heads,
        }
    }

    /// Entries covered: the sum of the heads' positions.
    pub fn size(&self) -> u64 {
        self.heads
            .values()
            .fold(0u64, |n, h| n.saturating_add(h.seq.0))
    }

    /// The exact bytes hashed into the root line.
    pub fn root_preimage(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.heads.len() * 45);
        out.extend_from_slice(CHECKPOINT_TAG);
        out.push(CHECKPOINT_VERSION);
        out.extend_from_slice(&self.network.0);
        push_code(&mut out, self.node);
        out.extend_from_slice(&self.time.millis().to_be_bytes());
        out.extend_from_slice(&(self.heads.len() as u32).to_be_bytes());
        for (code, head) in &self.heads {
            push_code(&mut out, *code);
            out.extend_from_slice(&head.seq.0.to_be_bytes());
            out.extend_from_slice(&head.id.0);
        }
        out
    }

    pub fn root(&self) -> [u8; 32] {
        sha256(&self.root_preimage())
    }

    /// The body text (the note's text).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\nnetwork {}\nnode {}\ntime {}\n",
            self.origin,
            self.size(),
            STANDARD.encode(self.root()),
            self.network,
            self.node,
            self.time.millis()
        );
        for (code, h) in &self.heads {
            s.push_str(&format!("head {code} {} {}\n", h.seq.0, h.id));
        }
        s
    }

    /// Parses a body strictly: it must be exactly what [`Checkpoint::to_text`] writes.
    pub fn parse_text(text: &str) -> Result<Checkpoint, CheckpointError> {
        let err = |line: usize, reason: String| CheckpointError::Body { line, reason };
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        if lines.len() < 6 || !text.ends_with('\n') {
            return Err(err(
                lines.len() + 1,
                "a checkpoint has at least six lines: origin, size, root, network, node, time"
                    .into(),
            ));
        }
        let field = |n: usize, name: &str| -> Result<&str, CheckpointError> {
            lines[n - 1]
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix(' '))
                .ok_or_else(|| err(n, format!("expected \"{name} ...\"")))
        };
        let network: NetworkId = field(4, "network")?
            .parse()
            .map_err(|e: crate::ids::IdError| err(4, e.to_string()))?;
        let node: MemberCode = field(5, "node")?
            .parse()
            .map_err(|e: crate::ids::IdError| err(5, e.to_string()))?;
        let time = canonical_u64(field(6, "time")?)
            .and_then(|ms| Timestamp::from_millis(ms).ok())
            .ok_or_else(|| {
                err(
                    6,
                    "time is not a decimal of milliseconds up to year 9999".into(),
                )
            })?;
        let mut heads = BTreeMap::new();
        for (i, line) in lines.iter().enumerate().skip(6) {
            let n = i + 1;
            let parts: Vec<&str> = line.split(' ').collect();
            let [tag, code, seq, id] = parts.as_slice() else {
                return Err(err(n, "expected \"head <code> <seq> <id>\"".into()));
            };
            if *tag != "head" {
                return Err(err(n, "expected \"head <code> <seq> <id>\"".into()));
            }
            let code: MemberCode = code
                .parse()
                .map_err(|e: crate::ids::IdError| err(n, e.to_string()))?;
            let seq = canonical_u64(seq)
                .filter(|s| *s >= 1)
                .ok_or_else(|| err(n, "seq is not a decimal of at least 1".into()))?;
            let id: EntryId = id
                .parse()
                .map_err(|e: crate::ids::IdError| err(n, e.to_string()))?;
            if heads.keys().next_back().is_some_and(|last| *last >= code) {
                return Err(err(
                    n,
                    format!(
                        "head {code} is out of order; heads are in ascending code order, once each"
                    ),
                ));
            }
            heads.insert(code, CheckpointHead { seq: Seq(seq), id });
        }
        let cp = Checkpoint {
            origin: lines[0].to_owned(),
            network,
            node,
            time,
            heads,
        };
        // Origin, size and root are derived: compare the whole text rather than check
        // each, so there is exactly one spelling of every checkpoint.
        let canonical = cp.to_text();
        if canonical != text {
            let line = canonical
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .map_or(1, |i| i + 1);
            let reason = match line {
                1 => "origin is not the network name".to_owned(),
                2 => format!("size is not the sum of the heads ({})", cp.size()),
                3 => "root is not the hash of this checkpoint's heads".to_owned(),
                _ => "not in canonical form".to_owned(),
            };
            return Err(err(line, reason));
        }
        Ok(cp)
    }

    /// The key name node `code` signs and cosigns under.
    pub fn key_name(roster: &Roster, code: MemberCode) -> String {
        format!("{}/{code}", roster.network_name())
    }

    /// The signed note of this checkpoint, with its node's signature only.
    pub fn sign(&self, roster: &Roster, key: &SecretKey) -> Note {
        let text = self.to_text();
        let sig = Signature::sign(&Checkpoint::key_name(roster, self.node), key, &text);
        Note {
            text,
            signatures: vec![sig],
        }
    }
}

/// Where a checkpoint goes back on an earlier one of the same signing node: a feed
/// that vanished, a head at an earlier position, or another entry at the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regression {
    pub member: MemberCode,
    /// The earlier checkpoint's head for `member`.
    pub earlier: CheckpointHead,
    /// This checkpoint's head for `member`; `None`: the feed is not in it at all.
    pub now: Option<CheckpointHead>,
}

impl std::fmt::Display for Regression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (m, e) = (self.member, self.earlier);
        match self.now {
            None => write!(
                f,
                "{m} is missing, but it was at {} ({})",
                e.seq,
                e.id.short()
            ),
            Some(n) if n.seq == e.seq => write!(
                f,
                "{m} {} is {}, but it was {} there",
                n.seq,
                n.id.short(),
                e.id.short()
            ),
            Some(n) => write!(
                f,
                "{m} is at {} ({}), back from {} ({})",
                n.seq,
                n.id.short(),
                e.seq,
                e.id.short()
            ),
        }
    }
}

impl Checkpoint {
    /// Every head of `earlier` this checkpoint does not keep or move forward, in code
    /// order (C2SP tlog-witness: a witness cosigns only a checkpoint consistent with
    /// the last one it cosigned of that origin). A head later than `earlier`'s is not
    /// judged here: only a holder of the feed can tell that it extends the earlier one.
    pub fn regressions(&self, earlier: &Checkpoint) -> Vec<Regression> {
        earlier
            .heads
            .iter()
            .filter_map(|(code, old)| {
                let now = self.heads.get(code).copied();
                let kept = now.is_some_and(|n| n.seq > old.seq || n == *old);
                (!kept).then_some(Regression {
                    member: *code,
                    earlier: *old,
                    now,
                })
            })
            .collect()
    }
}

fn push_code(out: &mut Vec<u8>, code: MemberCode) {
    out.push(code.as_bytes().len() as u8);
    out.extend_from_slice(code.as_bytes());
}

/// A decimal with no sign and no leading zero.
fn canonical_u64(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

/// A checkpoint whose signatures were checked against the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    pub checkpoint: Checkpoint,
    pub note: Note,
    /// Nodes with a valid signature on it: the origin first, then cosigners, in code
    /// order, each with the time it signed (seconds).
    pub signers: Vec<(MemberCode, u64)>,
    /// Signature lines by names the roster does not know (ignored, as C2SP says).
    pub ignored: usize,
    pub quorum: usize,
}

impl Witnessed {
    pub fn has_quorum(&self) -> bool {
        self.signers.len() >= self.quorum
    }

    /// "FR, GB, UA (3 signatures, quorum 3)".
    pub fn signer_list(&self) -> String {
        let names: Vec<String> = self.signers.iter().map(|(c, _)| c.to_string()).collect();
        format!(
            "{} ({} signatures, quorum {})",
            names.join(", "),
            self.signers.len(),
            self.quorum
        )
    }
}

/// Parses a signed checkpoint and checks every signature line the roster's node keys
/// can check. Lines under unknown names are ignored; a line under a known name that
/// does not verify is an error, so a checkpoint never carries a forged line unnoticed.
pub fn verify_checkpoint(roster: &Roster, bytes: &[u8]) -> Result<Witnessed, CheckpointError> {
    let note = Note::parse(bytes)?;
    let cp = Checkpoint::parse_text(&note.text)?;
    if cp.network != roster.network_id() {
        return Err(CheckpointError::Network {
            expected: roster.network_id(),
            found: cp.network,
        });
    }
    if cp.origin != roster.network_name() {
        return Err(CheckpointError::Body {
            line: 1,
            reason: "origin is not the network name".into(),
        });
    }
    let origin_key = roster
        .nodes()
        .find(|(m, _)| m.code == cp.node)
        .map(|(_, k)| k)
        .ok_or(CheckpointError::UnknownNode(cp.node))?;
    let names: BTreeMap<String, (MemberCode, crate::ids::PublicKey)> = roster
        .nodes()
        .map(|(m, k)| (Checkpoint::key_name(roster, m.code), (m.code, k)))
        .collect();
    let checkpoint_secs = cp.time.millis() / 1000;
    let mut origin = None;
    let mut cosigners: BTreeMap<MemberCode, u64> = BTreeMap::new();
    let mut ignored = 0;
    for sig in &note.signatures {
        let Some(&(code, key)) = names.get(&sig.name) else {
            ignored += 1;
            continue;
        };
        let bad = || CheckpointError::BadSignature {
            node: cp.node,
            name: sig.name.clone(),
        };
        if code == cp.node && sig.body.len() == 64 {
            if !sig.verifies(&sig.name, &origin_key, &note.text) {
                return Err(bad());
            }
            if origin.replace(checkpoint_secs).is_some() {
                return Err(CheckpointError::Duplicate {
                    node: cp.node,
                    signer: code,
                });
            }
            continue;
        }
        if code == cp.node {
            // A node does not cosign its own checkpoint.
            return Err(bad());
        }
        let time = sig
            .cosignature_time(&sig.name, &key, &note.text)
            .ok_or_else(bad)?;
        if time < checkpoint_secs {
            return Err(CheckpointError::CosignedBefore {
                node: cp.node,
                signer: code,
                time,
                checkpoint: checkpoint_secs,
            });
        }
        if cosigners.insert(code, time).is_some() {
            return Err(CheckpointError::Duplicate {
                node: cp.node,
                signer: code,
            });
        }
    }
    let origin = origin.ok_or(CheckpointError::Unsigned(cp.node))?;
    let mut signers = vec![(cp.node, origin)];
    signers.extend(cosigners);
    Ok(Witnessed {
        checkpoint: cp,
        note,
        signers,
        ignored,
        quorum: roster.node_quorum(),
    })
}

/// How a ledger's feed stands against a checkpoint's head for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Against {
    /// The feed holds the head: it is the checkpoint's head or extends it.
    Extends,
    /// The feed stops before the head's position (cut short, or rolled back).
    Short { held: u64 },
    /// The feed holds another entry at the head's position.
    Differs { held: EntryId },
}

/// Compares a feed (its entries' ids in order from #1) with a checkpoint head.
pub fn against(ids: &[EntryId], head: CheckpointHead) -> Against {
    match ids.get((head.seq.0 as usize).wrapping_sub(1)) {
        None => Against::Short {
            held: ids.len() as u64,
        },
        Some(id) if *id == head.id => Against::Extends,
        Some(id) => Against::Differs { held: *id },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(heads: &[(&str, u64, u8)]) -> Checkpoint {
        Checkpoint {
            origin: "net".into(),
            network: NetworkId([1; 32]),
            node: "GB".parse().unwrap_or_else(|_| unreachable!()),
            time: Timestamp::saturating(1),
            heads: heads
                .iter()
                .map(|(c, s, id)| {
                    (
                        c.parse().unwrap_or_else(|_| unreachable!()),
                        CheckpointHead {
                            seq: Seq(*s),
                            id: EntryId([*id; 32]),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn regressions_name_each_feed_that_went_back_vanished_or_changed() {
        let earlier = cp(&[("FR", 5, 1), ("NL", 40, 2), ("PL", 3, 3), ("UA", 2, 4)]);
        let later = cp(&[("DE", 1, 9), ("FR", 6, 7), ("NL", 1, 5), ("UA", 2, 8)]);
        let found: Vec<String> = later
            .regressions(&earlier)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("NL is at #1 ("), "{found:?}");
        assert!(found[0].contains("back from #40"), "{found:?}");
        assert!(found[1].starts_with("PL is missing"), "{found:?}");
        assert!(found[2].starts_with("UA #2 is 0808"), "{found:?}");
        // The same heads, or heads moved forward, and new feeds, are no regression.
        assert!(earlier.regressions(&earlier).is_empty());
        let forward = cp(&[("FR", 9, 9), ("NL", 41, 9), ("PL", 3, 3), ("UA", 2, 4)]);
        assert!(forward.regressions(&earlier).is_empty());
    }
}
