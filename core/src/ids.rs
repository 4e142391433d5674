//! Newtypes for every identifier, so that a sequence number is never mistaken for a
//! length and an entry id never for a network id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Why an identifier could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error(
        "member code {0:?} is not 2 to 8 capital letters A-Z (an ISO 3166-1 alpha-2 code such as FR, or an organisation code such as EU or NATO)"
    )]
    MemberCode(String),
    #[error("{what} {found:?} is not {expected} lowercase hex digits")]
    Hex {
        what: &'static str,
        expected: usize,
        found: String,
    },
    #[error("public key {0} is not a valid Ed25519 point")]
    InvalidKey(String),
    #[error("public key {0} has small order; it would accept forged signatures")]
    WeakKey(String),
    #[error("public key {0} is a non-canonical encoding of its point (y is not reduced mod p)")]
    NonCanonicalKey(String),
    #[error("time {0} ms is after 9999-12-31T23:59:59.999Z")]
    TimeOutOfRange(u64),
    #[error("kind {0:?} is not 1 to 32 characters of a-z, 0-9 and '-', starting with a letter")]
    Kind(String),
}

/// A member of the network: an ISO 3166-1 alpha-2 code, or an organisation code.
///
/// Stored inline (2 to 8 ASCII capitals) so that a million entries do not mean a
/// million small allocations. Ordered by bytes ("EU" < "FR" < "NATO" < "UA"), which is
/// the order the network id and bundles use.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemberCode {
    len: u8,
    bytes: [u8; MemberCode::MAX_LEN],
}

impl MemberCode {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 8;

    /// Accepts exactly the encoded form: 2 to 8 bytes, each `A`-`Z`.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, IdError> {
        let ok = (Self::MIN_LEN..=Self::MAX_LEN).contains(&raw.len())
            && raw.iter().all(u8::is_ascii_uppercase);
        if !ok {
            return Err(IdError::MemberCode(
                String::from_utf8_lossy(raw).into_owned(),
            ));
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(MemberCode {
            len: raw.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored, so this cannot fail.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("??")
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl FromStr for MemberCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::from_bytes(s.as_bytes())
    }
}

/// A position in a feed. The first entry of every feed is #1.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl Seq {
    pub const FIRST: Seq = Seq(1);

    /// The position after this one, or `None` at `u64::MAX`.
    pub fn next(self) -> Option<Seq> {
        self.0.checked_add(1).map(Seq)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("#{}", self.0))
    }
}

impl fmt::Debug for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seq({})", self.0)
    }
}

/// Declares a 32-byte identifier shown and parsed as 64 lowercase hex digits.
macro_rules! hash_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The first and last four bytes, for messages meant for people.
            pub fn short(&self) -> String {
                let h = hex::encode(self.0);
                format!("{}…{}", &h[..8], &h[56..])
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                parse_hex32(s, $what).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&hex::encode(self.0))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hash_id!(
    /// SHA-256 over an entry's signed bytes and its signature.
    EntryId,
    "entry id"
);
hash_id!(
    /// A SHA-256 digest of a document, such as an instrument's official text.
    Digest,
    "SHA-256 digest"
);
hash_id!(
    /// SHA-256 over the roster's canonical trust content (see SPEC.md, "Network id").
    NetworkId,
    "network id"
);

/// Parses exactly 64 lowercase hex digits: one spelling per value.
pub fn parse_hex32(s: &str, what: &'static str) -> Result<[u8; 32], IdError> {
    let bad = || IdError::Hex {
        what,
        expected: 64,
        found: s.to_owned(),
    };
    if s.len() != 64
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| bad())?;
    Ok(out)
}

/// An Ed25519 public key, checked to be a valid point of full order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    bytes: [u8; 32],
    key: ed25519_dalek::VerifyingKey,
}

impl PublicKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, IdError> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| IdError::InvalidKey(hex::encode(bytes)))?;
        // A small-order key lets anyone make signatures that pass the equation; refuse
        // it at the trust root rather than discover it at a signature (SPEC 3.3, 4.2).
        if key.is_weak() {
            return Err(IdError::WeakKey(hex::encode(bytes)));
        }
        // One spelling per key: the key's bytes enter every signature's hash, so two
        // encodings of one point would be two different keys to some verifiers.
        if key.to_edwards().compress().to_bytes() != bytes {
            return Err(IdError::NonCanonicalKey(hex::encode(bytes)));
        }
        Ok(PublicKey { bytes, key })
    }

    /// For keys derived from a seed we hold, which are valid by construction.
    pub(crate) fn from_derived(key: ed25519_dalek::VerifyingKey) -> Self {
        PublicKey {
            bytes: key.to_bytes(),
            key,
        }
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// Checks `signature` over `message` under the one rule of SPEC 4.2 (see
    /// [`crate::sig`]): strict encodings, no small order, the cofactored equation.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        crate::sig::verify_one(self, message, signature).is_ok()
    }
}

impl FromStr for PublicKey {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        PublicKey::from_bytes(parse_hex32(s, "public key")?)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.bytes))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.bytes))
    }
}

/// A claimed time: milliseconds since 1970-01-01T00:00:00Z, UTC, no leap seconds.
///
/// Claimed by the author and signed, but not proven: the chain only guarantees that a
/// feed's times never go backwards.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(u64);

impl Timestamp {
    /// 9999-12-31T23:59:59.999Z, so that every valid time has an RFC 3339 spelling.
    pub const MAX_MS: u64 = 253_402_300_799_999;

    pub fn from_millis(ms: u64) -> Result<Self, IdError> {
        if ms > Self::MAX_MS {
            return Err(IdError::TimeOutOfRange(ms));
        }
        Ok(Timestamp(ms))
    }

    /// `ms`, or the largest valid time if `ms` is beyond it (for clocks).
    pub fn saturating(ms: u64) -> Self {
        Timestamp(ms.min(Self::MAX_MS))
    }

    pub fn millis(self) -> u64 {
        self.0
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-01-06T12:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_else(|| format!("{} ms", self.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

/// The name of an entry's kind, e.g. `note`: 1 to 32 of `a-z`, `0-9`, `-`, starting
/// with a letter. Inline, like [`MemberCode`], and ordered by bytes likewise.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind {
    len: u8,
    bytes: [u8; Kind::MAX_LEN],
}

impl Kind {
    pub const MAX_LEN: usize = 32;
    pub const NOTE: Kind = Kind::known(b"note");
    pub const INSTRUMENT: Kind = Kind::known(b"instrument");
    pub const COMMITMENT: Kind = Kind::known(b"commitment");
    pub const SIGNATURE: Kind = Kind::known(b"signature");
    pub const PROCEDURE_STEP: Kind = Kind::known(b"procedure-step");
    pub const CONSENT: Kind = Kind::known(b"consent");
    pub const DEPOSIT_RECEIPT: Kind = Kind::known(b"deposit-receipt");
    pub const PROVISIONAL_APPLICATION: Kind = Kind::known(b"provisional-application");
    pub const WITHDRAWAL: Kind = Kind::known(b"withdrawal");
    pub const CORRECTION: Kind = Kind::known(b"correction");
    pub const KEY_ROTATION: Kind = Kind::known(b"key-rotation");
    pub const KEY_REVOCATION: Kind = Kind::known(b"key-revocation");
    pub const ADMISSION: Kind = Kind::known(b"admission");
    pub const SIGNATURE_CONFIRMATION: Kind = Kind::known(b"signature-confirmation");
    pub const DEPOSIT_RETURN: Kind = Kind::known(b"deposit-return");
    pub const INTENTION_NOT_TO_BE_PARTY: Kind = Kind::known(b"intention-not-to-be-party");

    const fn known(name: &[u8]) -> Kind {
        let mut bytes = [0u8; Kind::MAX_LEN];
        let mut i = 0;
        while i < name.len() {
            bytes[i] = name[i];
            i += 1;
        }
        Kind {
            len: name.len() as u8,
            bytes,
        }
    }

    pub fn from_bytes(raw: &[u8]) -> Result<Self, IdError> {
        let ok = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw[0].is_ascii_lowercase()
            && raw
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if !ok {
            return Err(IdError::Kind(String::from_utf8_lossy(raw).into_owned()));
        }
        Ok(Kind::known(raw))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("?")
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl FromStr for Kind {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::from_bytes(s.as_bytes())
    }
}

/// Byte order, Display, Debug and serde as the plain string, for inline ASCII
/// identifiers. (A derived order would compare the length first.)
macro_rules! inline_str {
    ($name:ident) => {
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_bytes().cmp(other.as_bytes())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

inline_str!(MemberCode);
inline_str!(Kind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_codes_are_two_to_eight_capitals() {
        for ok in ["FR", "EU", "NATO", "ABCDEFGH"] {
            assert_eq!(ok.parse::<MemberCode>().unwrap().as_str(), ok);
        }
        for bad in ["", "F", "fr", "F1", "ABCDEFGHI", "É", "F R"] {
            assert!(bad.parse::<MemberCode>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn member_codes_sort_by_bytes_not_length() {
        let mut codes: Vec<MemberCode> = ["US", "NATO", "EU", "UA", "NZ"]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        codes.sort();
        let sorted: Vec<&str> = codes.iter().map(MemberCode::as_str).collect();
        assert_eq!(sorted, ["EU", "NATO", "NZ", "UA", "US"]);
    }

    #[test]
    fn hex_ids_have_one_spelling() {
        let lower = "00".repeat(31) + "ab";
        assert!(lower.parse::<EntryId>().is_ok());
        assert!(lower.to_uppercase().parse::<EntryId>().is_err());
        assert!(lower[2..].parse::<EntryId>().is_err());
        assert!(format!("{lower}00").parse::<EntryId>().is_err());
    }

    #[test]
    fn weak_and_invalid_keys_are_refused() {
        // The identity point (small order) encodes as 01 00 .. 00.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            PublicKey::from_bytes(identity),
            Err(IdError::WeakKey(_))
        ));
        // y = 2 is not on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert!(matches!(
            PublicKey::from_bytes(off_curve),
            Err(IdError::InvalidKey(_))
        ));
    }

    #[test]
    fn non_canonical_key_encodings_are_refused() {
        // y + p for small y still fits in 255 bits; some such y are points of full order.
        let mut refused = 0;
        for y in 0u8..19 {
            // p + y little-endian: p = 2^255 - 19 is ed ff .. ff 7f, and y < 19 never carries.
            let mut bytes = [0xff; 32];
            bytes[31] = 0x7f;
            bytes[0] = 0xed + y;
            let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&bytes) else {
                continue;
            };
            if key.is_weak() {
                continue;
            }
            assert!(
                matches!(
                    PublicKey::from_bytes(bytes),
                    Err(IdError::NonCanonicalKey(_))
                ),
                "y={y}"
            );
            refused += 1;
        }
        assert!(
            refused > 0,
            "no non-canonical full-order encoding found to test with"
        );
    }

    #[test]
    fn timestamps_format_as_rfc3339_and_are_bounded() {
        let t = Timestamp::from_millis(1_767_700_800_000).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-01-06T12:00:00.000Z");
        assert_eq!(
            Timestamp::from_millis(Timestamp::MAX_MS)
                .unwrap()
                .to_rfc3339(),
            "9999-12-31T23:59:59.999Z"
        );
        assert!(Timestamp::from_millis(Timestamp::MAX_MS + 1).is_err());
    }

    #[test]
    fn kinds() {
        assert_eq!(Kind::NOTE.as_str(), "note");
        assert_eq!("note".parse::<Kind>().unwrap(), Kind::NOTE);
        for bad in ["", "Note", "1note", "no te", &"a".repeat(33)] {
            assert!(bad.parse::<Kind>().is_err(), "{bad:?} accepted");
        }
    }
}
