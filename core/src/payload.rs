//! Payloads: what each kind of entry says, and the check that it says it in the one
//! canonical form.
//!
//! A payload is UTF-8 JSON in canonical form: compact (no insignificant whitespace),
//! object members in the order the schema lists them, absent optional members omitted,
//! strings escaped minimally (SPEC.md, "Payloads"). The check is "decode into the
//! schema, encode again, and compare with the bytes received": anything else (extra
//! spaces, reordered or duplicated members, `\u0041` for `A`) is refused, so every
//! payload has exactly one encoding.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::Kind;

/// Why a payload does not fit its kind.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PayloadError {
    #[error("unknown kind {0:?} (this verifier knows: {KNOWN_KINDS})")]
    UnknownKind(String),
    #[error("{kind} payload: {reason}")]
    Schema { kind: Kind, reason: String },
    #[error("{kind} payload is not in canonical form: expected {expected}")]
    NotCanonical { kind: Kind, expected: String },
    #[error("{kind} payload: field `{field}`: {reason}")]
    Field {
        kind: Kind,
        field: &'static str,
        reason: String,
    },
}

/// The kinds this version understands, for messages.
pub const KNOWN_KINDS: &str = "note";

/// `note`: free text from a member, with no legal effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub text: String,
}

/// Largest note, in bytes of UTF-8.
pub const MAX_NOTE: usize = 16 * 1024;

impl Note {
    fn check(&self) -> Result<(), PayloadError> {
        let field = |reason: &str| PayloadError::Field {
            kind: Kind::NOTE,
            field: "text",
            reason: reason.to_owned(),
        };
        if self.text.trim().is_empty() {
            return Err(field("is empty"));
        }
        if self.text.len() > MAX_NOTE {
            return Err(field(&format!(
                "is {} bytes, more than {MAX_NOTE}",
                self.text.len()
            )));
        }
        Ok(())
    }
}

/// A decoded, validated payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Note(Note),
}

impl Payload {
    pub fn kind(&self) -> Kind {
        match self {
            Payload::Note(_) => Kind::NOTE,
        }
    }

    /// The canonical bytes of this payload.
    pub fn encode(&self) -> Vec<u8> {
        let encoded = match self {
            Payload::Note(note) => serde_json::to_vec(note),
        };
        // Serialising plain structs of strings to a Vec cannot fail.
        encoded.unwrap_or_default()
    }

    /// Decodes `bytes` as a payload of `kind`: schema, field rules, canonical form.
    pub fn decode(kind: Kind, bytes: &[u8]) -> Result<Payload, PayloadError> {
        let payload = match kind.as_str() {
            "note" => {
                let note: Note = schema(kind, bytes)?;
                note.check()?;
                Payload::Note(note)
            }
            other => return Err(PayloadError::UnknownKind(other.to_owned())),
        };
        let canonical = payload.encode();
        if canonical != bytes {
            return Err(PayloadError::NotCanonical {
                kind,
                expected: String::from_utf8_lossy(&canonical).into_owned(),
            });
        }
        Ok(payload)
    }
}

impl Payload {
    /// Builds a payload of `kind` from a JSON value (e.g. a `--body` file written by a
    /// person, in any member order and spacing), validated. [`Payload::encode`] then
    /// gives its canonical bytes.
    pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Payload, PayloadError> {
        let schema_err = |e: serde_json::Error| PayloadError::Schema {
            kind,
            reason: e.to_string(),
        };
        match kind.as_str() {
            "note" => {
                let note: Note = serde_json::from_value(value).map_err(schema_err)?;
                note.check()?;
                Ok(Payload::Note(note))
            }
            other => Err(PayloadError::UnknownKind(other.to_owned())),
        }
    }
}

fn schema<'a, T: Deserialize<'a>>(kind: Kind, bytes: &'a [u8]) -> Result<T, PayloadError> {
    serde_json::from_slice(bytes).map_err(|e| PayloadError::Schema {
        kind,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Payload, PayloadError> {
        Payload::decode(Kind::NOTE, bytes)
    }

    #[test]
    fn canonical_note_round_trips() {
        let bytes = "{\"text\":\"Déclaration de Paris\\n\\\"6 janvier\\\"\"}".as_bytes();
        let p = decode(bytes).unwrap();
        assert_eq!(p.encode(), bytes);
    }

    #[test]
    fn non_canonical_spellings_are_refused() {
        for bad in [
            &br#"{ "text":"a"}"#[..],
            br#"{"text":"\u0041"}"#,
            br#"{"text":"a"} "#,
            br#"{"text":"\/"}"#,
        ] {
            assert!(
                matches!(decode(bad), Err(PayloadError::NotCanonical { .. })),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        for bad in [
            &b""[..],
            b"null",
            b"[]",
            br#"{"text":1}"#,
            br#"{"text":"a","x":1}"#,
            br#"{"text":"a","text":"b"}"#,
            br#"{"text":"   "}"#,
            b"{\"text\":\"\xff\"}",
            br#"{"text":"\ud800"}"#,
        ] {
            assert!(
                decode(bad).is_err(),
                "{:?} accepted",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            Payload::decode("vote".parse().unwrap(), b"{}"),
            Err(PayloadError::UnknownKind(_))
        ));
    }
}
