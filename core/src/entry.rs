//! The signed entry: its exact bytes, strict decoding, signing, and its id.
//!
//! An entry on the wire is `signed ‖ signature ‖ payload`:
//!
//! * `signed` is a deterministic binary header that starts with a domain-separation tag
//!   and ends with the payload's length and SHA-256 (SPEC.md, "Entry");
//! * `signature` is Ed25519 over `signed`, 64 bytes;
//! * `payload` is carried verbatim; the header's hash covers it, so the signature can be
//!   checked without parsing the payload.
//!
//! The entry id is SHA-256(`signed ‖ signature`). [`Entry`] keeps the bytes exactly as
//! received and verifies over them; nothing is ever re-serialised before verifying.

use thiserror::Error;

use crate::codec::{CodecError, Reader, sha256};
use crate::ids::{EntryId, IdError, Kind, MemberCode, NetworkId, PublicKey, Seq, Timestamp};
use crate::keys::SecretKey;

/// The first 12 bytes of every signed header: `pacta/entry` and a zero byte.
pub const ENTRY_TAG: &[u8; 12] = b"pacta/entry\0";
/// The only entry format version this code reads and writes. Version 2 is version 1
/// with the cofactored signature rule of SPEC 4.2; the bytes are laid out alike.
pub const FORMAT_VERSION: u8 = 2;
/// Largest payload accepted, in bytes. Payloads are structured records (a text's hash,
/// never the text), so 64 KiB is generous and bounds what a node must buffer.
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// Largest signed header: tag, version, network, author, seq, prev, time, kind, payload
/// length and hash, with the longest author and kind.
pub const MAX_HEADER: usize = 12 + 1 + 32 + (1 + 8) + 8 + (1 + 32) + 8 + (1 + 32) + 4 + 32;
/// Largest entry on the wire.
pub const MAX_ENTRY: usize = MAX_HEADER + 64 + MAX_PAYLOAD;

/// The signed fields of an entry, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub network: NetworkId,
    pub author: MemberCode,
    pub seq: Seq,
    /// The id of the entry at `seq - 1` in the same feed; `None` exactly for #1.
    pub prev: Option<EntryId>,
    pub time: Timestamp,
    pub kind: Kind,
    pub payload_len: u32,
    pub payload_hash: [u8; 32],
}

/// Why bytes are not a well-formed entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("entry is {len} bytes, more than the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error(
        "not a Pacta entry: the tag is {found}, expected 70616374612f656e74727900 (\"pacta/entry\\0\")"
    )]
    Tag { found: String },
    #[error("format version {0} is not supported (this verifier reads version {FORMAT_VERSION})")]
    Version(u8),
    #[error("author: {0}")]
    Author(IdError),
    #[error("kind: {0}")]
    Kind(IdError),
    #[error("time: {0}")]
    Time(IdError),
    #[error("sequence number 0: feeds start at #1")]
    SeqZero,
    #[error("prev flag is {0:#04x}, expected 0x00 (no prev) or 0x01 (prev follows)")]
    PrevFlag(u8),
    #[error("#1 names a prev entry; the first entry of a feed has none")]
    FirstWithPrev,
    #[error("#{0} has no prev; every entry after #1 names the one before it")]
    MissingPrev(u64),
    #[error("payload is {len} bytes, more than the limit of {max}")]
    PayloadTooLarge { len: u32, max: usize },
    #[error(
        "payload does not match its hash in the signed header (header {expected}, payload {found})"
    )]
    PayloadHash { expected: String, found: String },
}

/// A well-formed entry: bytes as received, plus the header decoded from them and the id.
///
/// Well-formed is not valid: whether the signature verifies under the right key, and
/// whether the entry extends its feed, is decided by [`crate::feed`].
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    raw: Box<[u8]>,
    header: Header,
    signed_len: usize,
    id: EntryId,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Entry({} {} {} {})",
            self.header.author,
            self.header.seq,
            self.header.kind,
            self.id.short()
        )
    }
}

impl Entry {
    /// Decodes exactly one entry from `bytes`, strictly: no trailing bytes, every field
    /// in its single valid encoding, the payload matching its hash.
    pub fn decode(bytes: &[u8]) -> Result<Entry, DecodeError> {
        if bytes.len() > MAX_ENTRY {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: MAX_ENTRY,
            });
        }
        let mut r = Reader::new(bytes);
        let header = decode_header(&mut r)?;
        let signed_len = r.offset();
        r.take("signature", 64)?;
        let payload = r.take("payload", header.payload_len as usize)?;
        r.finish()?;
        let found = sha256(payload);
        if found != header.payload_hash {
            return Err(DecodeError::PayloadHash {
                expected: hex::encode(header.payload_hash),
                found: hex::encode(found),
            });
        }
        let id = EntryId(sha256(&bytes[..signed_len + 64]));
        Ok(Entry {
            raw: bytes.into(),
            header,
            signed_len,
            id,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn id(&self) -> EntryId {
        self.id
    }

    pub fn author(&self) -> MemberCode {
        self.header.author
    }

    pub fn seq(&self) -> Seq {
        self.header.seq
    }

    /// The exact bytes the signature covers.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.raw[..self.signed_len]
    }

    pub fn signature(&self) -> [u8; 64] {
        let mut sig = [0u8; 64];
        sig.copy_from_slice(&self.raw[self.signed_len..self.signed_len + 64]);
        sig
    }

    pub fn payload(&self) -> &[u8] {
        &self.raw[self.signed_len + 64..]
    }

    /// The whole entry as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The entry's fields as a draft: to show them, or, in tests, to sign an altered copy.
    pub fn to_draft(&self) -> Draft {
        let h = &self.header;
        Draft {
            network: h.network,
            author: h.author,
            seq: h.seq,
            prev: h.prev,
            time: h.time,
            kind: h.kind,
            payload: self.payload().to_vec(),
        }
    }

    /// Whether the signature verifies under `key` (SPEC 4.2, [`crate::sig`]).
    pub fn signature_verifies(&self, key: &PublicKey) -> bool {
        key.verify(self.signed_bytes(), &self.signature())
    }

    /// The signature check of this entry under `key`, for [`crate::sig::verify_many`].
    pub fn sig_item(&self, key: PublicKey) -> crate::sig::Item<'_> {
        crate::sig::Item {
            key,
            message: self.signed_bytes(),
            signature: self.signature(),
        }
    }
}

fn decode_header(r: &mut Reader<'_>) -> Result<Header, DecodeError> {
    let tag: [u8; 12] = r.array("tag")?;
    if &tag != ENTRY_TAG {
        return Err(DecodeError::Tag {
            found: hex::encode(tag),
        });
    }
    let version = r.u8("version")?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::Version(version));
    }
    let network = NetworkId(r.array("network")?);
    let author_len = r.u8("author length")? as usize;
    let author =
        MemberCode::from_bytes(r.take("author", author_len)?).map_err(DecodeError::Author)?;
    let seq = r.u64("seq")?;
    if seq == 0 {
        return Err(DecodeError::SeqZero);
    }
    let prev = match r.u8("prev flag")? {
        0 => None,
        1 => Some(EntryId(r.array("prev")?)),
        other => return Err(DecodeError::PrevFlag(other)),
    };
    match (seq, prev) {
        (1, Some(_)) => return Err(DecodeError::FirstWithPrev),
        (n, None) if n > 1 => return Err(DecodeError::MissingPrev(n)),
        _ => {}
    }
    let time = Timestamp::from_millis(r.u64("time")?).map_err(DecodeError::Time)?;
    let kind_len = r.u8("kind length")? as usize;
    let kind = Kind::from_bytes(r.take("kind", kind_len)?).map_err(DecodeError::Kind)?;
    let payload_len = r.u32("payload length")?;
    if payload_len as usize > MAX_PAYLOAD {
        return Err(DecodeError::PayloadTooLarge {
            len: payload_len,
            max: MAX_PAYLOAD,
        });
    }
    let payload_hash = r.array("payload hash")?;
    Ok(Header {
        network,
        author,
        seq: Seq(seq),
        prev,
        time,
        kind,
        payload_len,
        payload_hash,
    })
}

/// Why a draft cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DraftError {
    #[error("payload is {len} bytes, more than the limit of {max}")]
    PayloadTooLarge { len: usize, max: usize },
    #[error("#1 cannot name a prev entry")]
    FirstWithPrev,
    #[error("{0} must name the entry before it")]
    MissingPrev(Seq),
    #[error("sequence number 0: feeds start at #1")]
    SeqZero,
}

/// The fields of an entry before it is signed. A delegation builds one, signs it with
/// its own key, and gets an [`Entry`] back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub network: NetworkId,
    pub author: MemberCode,
    pub seq: Seq,
    pub prev: Option<EntryId>,
    pub time: Timestamp,
    pub kind: Kind,
    pub payload: Vec<u8>,
}

impl Draft {
    /// The bytes a signature covers, exactly as SPEC.md lays them out.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, DraftError> {
        if self.payload.len() > MAX_PAYLOAD {
            return Err(DraftError::PayloadTooLarge {
                len: self.payload.len(),
                max: MAX_PAYLOAD,
            });
        }
        match (self.seq.0, self.prev) {
            (0, _) => return Err(DraftError::SeqZero),
            (1, Some(_)) => return Err(DraftError::FirstWithPrev),
            (n, None) if n > 1 => return Err(DraftError::MissingPrev(self.seq)),
            _ => {}
        }
        let mut out = Vec::with_capacity(MAX_HEADER);
        out.extend_from_slice(ENTRY_TAG);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&self.network.0);
        push_short(&mut out, self.author.as_bytes());
        out.extend_from_slice(&self.seq.0.to_be_bytes());
        match self.prev {
            None => out.push(0),
            Some(prev) => {
                out.push(1);
                out.extend_from_slice(&prev.0);
            }
        }
        out.extend_from_slice(&self.time.millis().to_be_bytes());
        push_short(&mut out, self.kind.as_bytes());
        // Fits: checked against MAX_PAYLOAD above.
        out.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&sha256(&self.payload));
        Ok(out)
    }

    /// Signs the draft and returns the entry, in wire form, with its id.
    pub fn sign(&self, key: &SecretKey) -> Result<Entry, DraftError> {
        let signed = self.signed_bytes()?;
        let signature = key.sign(&signed);
        let mut raw = Vec::with_capacity(signed.len() + 64 + self.payload.len());
        raw.extend_from_slice(&signed);
        raw.extend_from_slice(&signature);
        let id = EntryId(sha256(&raw));
        raw.extend_from_slice(&self.payload);
        let header = Header {
            network: self.network,
            author: self.author,
            seq: self.seq,
            prev: self.prev,
            time: self.time,
            kind: self.kind,
            payload_len: self.payload.len() as u32,
            payload_hash: sha256(&self.payload),
        };
        Ok(Entry {
            raw: raw.into(),
            header,
            signed_len: signed.len(),
            id,
        })
    }
}

/// A length byte and the bytes; only for the short ASCII fields (author, kind).
fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(seq: u64, prev: Option<EntryId>) -> Draft {
        Draft {
            network: NetworkId([3; 32]),
            author: "FR".parse().unwrap(),
            seq: Seq(seq),
            prev,
            time: Timestamp::from_millis(1_767_700_800_000).unwrap(),
            kind: Kind::NOTE,
            payload: br#"{"text":"hello"}"#.to_vec(),
        }
    }

    #[test]
    fn signed_entry_decodes_to_itself() {
        let key = SecretKey::from_seed(&[1; 32]);
        let entry = draft(1, None).sign(&key).unwrap();
        let back = Entry::decode(entry.as_bytes()).unwrap();
        assert_eq!(back, entry);
        assert!(back.signature_verifies(&key.public()));
        assert_eq!(back.payload(), br#"{"text":"hello"}"#);
        assert_eq!(
            back.id(),
            EntryId(sha256(&entry.as_bytes()[..back.signed_bytes().len() + 64]))
        );
    }

    #[test]
    fn trailing_and_missing_bytes_are_refused() {
        let entry = draft(1, None)
            .sign(&SecretKey::from_seed(&[1; 32]))
            .unwrap();
        let mut long = entry.as_bytes().to_vec();
        long.push(0);
        assert!(matches!(
            Entry::decode(&long),
            Err(DecodeError::Codec(CodecError::Trailing { count: 1, .. }))
        ));
        let short = &entry.as_bytes()[..entry.as_bytes().len() - 1];
        assert!(matches!(
            Entry::decode(short),
            Err(DecodeError::Codec(CodecError::Truncated {
                field: "payload",
                ..
            }))
        ));
    }

    #[test]
    fn prev_must_match_position() {
        assert_eq!(
            draft(1, Some(EntryId([0; 32]))).signed_bytes(),
            Err(DraftError::FirstWithPrev)
        );
        assert_eq!(
            draft(2, None).signed_bytes(),
            Err(DraftError::MissingPrev(Seq(2)))
        );
        assert_eq!(draft(0, None).signed_bytes(), Err(DraftError::SeqZero));
    }

    #[test]
    fn oversized_payloads_are_refused_both_ways() {
        let mut d = draft(1, None);
        d.payload = vec![b'x'; MAX_PAYLOAD + 1];
        assert!(matches!(
            d.signed_bytes(),
            Err(DraftError::PayloadTooLarge { .. })
        ));
        assert!(matches!(
            Entry::decode(&vec![0u8; MAX_ENTRY + 1]),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}
