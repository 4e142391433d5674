//! The bundle: one file carrying a whole ledger for offline audit.
//!
//! ```text
//! "pacta/bundle\0"  13 bytes
//! version           u8 = 2
//! network id        32 bytes
//! feed count        u32
//!   member code     u8 length, ASCII
//!   entry count     u32, at least 1
//!     entry         u32 length, then the entry's bytes   (#1, #2, ... in order)
//! fork count        u32
//!   entry a         u32 length, bytes
//!   entry b         u32 length, bytes                    (id(a) < id(b))
//! checkpoint        u32 length (0: none), then a signed checkpoint note
//!                   (SPEC.md, "Checkpoints"), the one the ledger was cut at
//! ```
//!
//! Feeds appear in strictly ascending member-code order and forks in ascending order of
//! (member, seq, id of a), so a ledger has exactly one bundle. Nothing in a bundle is
//! unsigned except this framing, and the verifier checks the framing against the
//! signed content (a feed's code against its entries' author, and so on).

use thiserror::Error;

use crate::codec::{CodecError, Reader};
use crate::entry::MAX_ENTRY;
use crate::feed::Feed;
use crate::fork::ForkProof;
use crate::ids::{MemberCode, NetworkId};

/// The first 13 bytes of every bundle.
pub const BUNDLE_MAGIC: &[u8; 13] = b"pacta/bundle\0";
pub const BUNDLE_VERSION: u8 = 2;

/// Why bytes are not a well-framed bundle.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BundleError {
    #[error("bundle: {0}")]
    Codec(#[from] CodecError),
    #[error("not a Pacta bundle (it does not start with \"pacta/bundle\\0\")")]
    Magic,
    #[error(
        "bundle format version {0} is not supported (this verifier reads version {BUNDLE_VERSION})"
    )]
    Version(u8),
    #[error("bundle byte {offset}: feed code: {reason}")]
    Code { offset: usize, reason: String },
    #[error(
        "bundle byte {offset}: feed {code} comes after {previous}; feeds must be in ascending code order, once each"
    )]
    FeedOrder {
        offset: usize,
        code: MemberCode,
        previous: MemberCode,
    },
    #[error("bundle byte {offset}: feed {code} is listed with no entries")]
    EmptyFeed { offset: usize, code: MemberCode },
    #[error("bundle byte {offset}: entry length {len} is more than the limit of {max}")]
    EntryLength { offset: usize, len: u32, max: usize },
    #[error("bundle byte {offset}: checkpoint length {len} is more than the limit of {max}")]
    CheckpointLength { offset: usize, len: u32, max: usize },
}

/// A bundle's framing, decoded; the entries are still raw bytes, borrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleView<'a> {
    pub network: NetworkId,
    pub feeds: Vec<(MemberCode, Vec<&'a [u8]>)>,
    pub forks: Vec<[&'a [u8]; 2]>,
    /// The signed checkpoint the ledger was cut at, if it carries one.
    pub checkpoint: Option<&'a [u8]>,
}

impl<'a> BundleView<'a> {
    /// Decodes the framing strictly. Entries are decoded and verified later, feed by
    /// feed, so that an error there can name the feed and position.
    pub fn parse(bytes: &'a [u8]) -> Result<BundleView<'a>, BundleError> {
        let mut r = Reader::new(bytes);
        if r.take("magic", BUNDLE_MAGIC.len()).ok() != Some(&BUNDLE_MAGIC[..]) {
            return Err(BundleError::Magic);
        }
        let version = r.u8("version")?;
        if version != BUNDLE_VERSION {
            return Err(BundleError::Version(version));
        }
        let network = NetworkId(r.array("network id")?);
        let feed_count = r.u32("feed count")?;
        let mut feeds: Vec<(MemberCode, Vec<&[u8]>)> = Vec::new();
        for _ in 0..feed_count {
            let offset = r.offset();
            let len = r.u8("feed code length")? as usize;
            let code = MemberCode::from_bytes(r.take("feed code", len)?).map_err(|e| {
                BundleError::Code {
                    offset,
                    reason: e.to_string(),
                }
            })?;
            if let Some(&(previous, _)) = feeds.last()
                && code <= previous
            {
                return Err(BundleError::FeedOrder {
                    offset,
                    code,
                    previous,
                });
            }
            let count = r.u32("entry count")?;
            if count == 0 {
                return Err(BundleError::EmptyFeed { offset, code });
            }
            // The count is untrusted: let the vector grow with what is really there.
            let mut entries = Vec::with_capacity((count as usize).min(r.remaining() / 4));
            for _ in 0..count {
                entries.push(entry_bytes(&mut r)?);
            }
            feeds.push((code, entries));
        }
        let fork_count = r.u32("fork count")?;
        let mut forks = Vec::with_capacity((fork_count as usize).min(r.remaining() / 8));
        for _ in 0..fork_count {
            forks.push([entry_bytes(&mut r)?, entry_bytes(&mut r)?]);
        }
        let offset = r.offset();
        let len = r.u32("checkpoint length")?;
        if len as usize > crate::note::MAX_NOTE {
            return Err(BundleError::CheckpointLength {
                offset,
                len,
                max: crate::note::MAX_NOTE,
            });
        }
        let checkpoint = (len > 0)
            .then(|| r.take("checkpoint", len as usize))
            .transpose()?;
        r.finish()?;
        Ok(BundleView {
            network,
            feeds,
            forks,
            checkpoint,
        })
    }
}

fn entry_bytes<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], BundleError> {
    let offset = r.offset();
    let len = r.u32("entry length")?;
    if len as usize > MAX_ENTRY {
        return Err(BundleError::EntryLength {
            offset,
            len,
            max: MAX_ENTRY,
        });
    }
    Ok(r.take("entry", len as usize)?)
}

/// Encodes a ledger as a bundle. Empty feeds are left out; feeds and forks are put in
/// canonical order whatever order they are given in.
pub fn encode(
    network: NetworkId,
    feeds: &[Feed],
    forks: &[ForkProof],
    checkpoint: Option<&[u8]>,
) -> Vec<u8> {
    let mut forks: Vec<&ForkProof> = forks.iter().collect();
    forks.sort_by_key(|f| (f.member(), f.seq(), f.entries()[0].id()));
    let feeds: Vec<(MemberCode, Vec<&[u8]>)> = feeds
        .iter()
        .map(|f| (f.member, f.entries.iter().map(|e| e.as_bytes()).collect()))
        .collect();
    let forks: Vec<[&[u8]; 2]> = forks
        .iter()
        .map(|f| f.entries().map(|e| e.as_bytes()))
        .collect();
    encode_raw(network, &feeds, &forks, checkpoint)
}

/// Frames entries exactly as they were received, without decoding them, so that what
/// a node served is what the verifier judges. Empty feeds are left out and feeds are
/// put in code order; forks are written in the order given (a node serves them in
/// canonical order, and the verifier checks it).
pub fn encode_raw(
    network: NetworkId,
    feeds: &[(MemberCode, Vec<&[u8]>)],
    forks: &[[&[u8]; 2]],
    checkpoint: Option<&[u8]>,
) -> Vec<u8> {
    let mut feeds: Vec<&(MemberCode, Vec<&[u8]>)> =
        feeds.iter().filter(|(_, e)| !e.is_empty()).collect();
    feeds.sort_by_key(|(code, _)| *code);
    let size: usize = feeds.iter().flat_map(|(_, e)| e).map(|e| e.len() + 4).sum();
    let mut out = Vec::with_capacity(64 + size);
    out.extend_from_slice(BUNDLE_MAGIC);
    out.push(BUNDLE_VERSION);
    out.extend_from_slice(&network.0);
    out.extend_from_slice(&(feeds.len() as u32).to_be_bytes());
    for (code, entries) in feeds {
        out.push(code.as_bytes().len() as u8);
        out.extend_from_slice(code.as_bytes());
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for entry in entries {
            push_entry(&mut out, entry);
        }
    }
    out.extend_from_slice(&(forks.len() as u32).to_be_bytes());
    for pair in forks {
        for entry in pair {
            push_entry(&mut out, entry);
        }
    }
    // A note is at most MAX_NOTE bytes; the parser refuses more.
    let checkpoint = checkpoint.unwrap_or_default();
    out.extend_from_slice(&(checkpoint.len() as u32).to_be_bytes());
    out.extend_from_slice(checkpoint);
    out
}

fn push_entry(out: &mut Vec<u8>, bytes: &[u8]) {
    // Entries are at most MAX_ENTRY bytes, far below u32::MAX.
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}
