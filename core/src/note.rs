//! The C2SP signed-note envelope (<https://c2sp.org/signed-note>), which checkpoints
//! travel in, so that any note verifier can check their signatures.
//!
//! ```text
//! <text: one or more lines, each ending in "\n">
//! "\n"
//! "— " <key name> " " base64(key id (4 bytes) ‖ signature) "\n"   (one or more)
//! ```
//!
//! A key id is the first four bytes of SHA-256(key name ‖ "\n" ‖ algorithm byte ‖ public
//! key). Pacta uses two algorithms: 0x01, a plain Ed25519 signature over the text
//! (the signing node's own signature), and 0x04, a C2SP `cosignature/v1`: an 8-byte
//! big-endian time in seconds then an Ed25519 signature over
//! `"cosignature/v1\ntime <seconds>\n"` ‖ text.
//!
//! Parsing is strict: one spelling per note. Base64 must be canonical (padding, no
//! stray bits), names must be non-empty without spaces or '+', and nothing may follow
//! the last signature line.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;

use crate::codec::sha256;
use crate::ids::PublicKey;
use crate::keys::SecretKey;

/// Algorithm byte of a plain Ed25519 note signature.
pub const ALG_ED25519: u8 = 0x01;
/// Algorithm byte of a C2SP `cosignature/v1` (timestamped Ed25519).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Most signature lines a note may carry.
pub const MAX_SIGNATURES: usize = 64;
/// Longest note accepted, in bytes.
pub const MAX_NOTE: usize = 256 * 1024;

const DASH: &str = "\u{2014} ";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    #[error("note is longer than {MAX_NOTE} bytes")]
    TooLong,
    #[error("note is not UTF-8")]
    NotUtf8,
    #[error("note has no blank line between its text and its signatures")]
    NoSignatures,
    #[error("note text must be non-empty lines of printable characters, each ending in a newline")]
    Text,
    #[error("signature line {0}: {1}")]
    Line(usize, String),
    #[error("more than {MAX_SIGNATURES} signature lines")]
    TooMany,
}

/// One signature line, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub key_id: [u8; 4],
    /// What follows the key id: 64 bytes for 0x01, 72 for 0x04.
    pub body: Vec<u8>,
}

impl Signature {
    /// The signature line as it appears in a note, newline included.
    pub fn line(&self) -> String {
        let mut raw = self.key_id.to_vec();
        raw.extend_from_slice(&self.body);
        format!("{DASH}{} {}\n", self.name, STANDARD.encode(raw))
    }

    /// Parses one line, without its newline.
    pub fn parse_line(line: &str) -> Result<Signature, String> {
        let rest = line
            .strip_prefix(DASH)
            .ok_or("does not start with an em dash and a space")?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or("has no space between the key name and the signature")?;
        if !valid_name(name) {
            return Err(format!(
                "key name {name:?} must be non-empty, without spaces or '+'"
            ));
        }
        let raw = STANDARD
            .decode(b64)
            .map_err(|e| format!("signature is not base64: {e}"))?;
        if STANDARD.encode(&raw) != b64 {
            return Err("signature is not in canonical base64".into());
        }
        if raw.len() < 5 {
            return Err("signature is shorter than a key id".into());
        }
        let mut key_id = [0; 4];
        key_id.copy_from_slice(&raw[..4]);
        Ok(Signature {
            name: name.to_owned(),
            key_id,
            body: raw[4..].to_vec(),
        })
    }

    /// A plain Ed25519 signature (0x01) over `text`.
    pub fn sign(name: &str, key: &SecretKey, text: &str) -> Signature {
        Signature {
            name: name.to_owned(),
            key_id: key_id(name, ALG_ED25519, &key.public()),
            body: key.sign(text.as_bytes()).to_vec(),
        }
    }

    /// A `cosignature/v1` (0x04) over `text`, at `time` (seconds since the epoch).
    pub fn cosign(name: &str, key: &SecretKey, text: &str, time: u64) -> Signature {
        let mut body = time.to_be_bytes().to_vec();
        body.extend_from_slice(&key.sign(&cosigned_message(text, time)));
        Signature {
            name: name.to_owned(),
            key_id: key_id(name, ALG_COSIGNATURE_V1, &key.public()),
            body,
        }
    }

    /// Whether this is a valid 0x01 signature by (`name`, `key`) over `text`. A
    /// different name or key id is not an error: it is someone else's line.
    pub fn verifies(&self, name: &str, key: &PublicKey, text: &str) -> bool {
        self.name == name
            && self.key_id == key_id(name, ALG_ED25519, key)
            && <[u8; 64]>::try_from(self.body.as_slice())
                .is_ok_and(|sig| key.verify(text.as_bytes(), &sig))
    }

    /// The time of a valid 0x04 cosignature by (`name`, `key`) over `text`.
    pub fn cosignature_time(&self, name: &str, key: &PublicKey, text: &str) -> Option<u64> {
        if self.name != name
            || self.key_id != key_id(name, ALG_COSIGNATURE_V1, key)
            || self.body.len() != 72
        {
            return None;
        }
        let mut time = [0; 8];
        time.copy_from_slice(&self.body[..8]);
        let time = u64::from_be_bytes(time);
        let sig: [u8; 64] = self.body[8..].try_into().ok()?;
        (time <= i64::MAX as u64 && key.verify(&cosigned_message(text, time), &sig)).then_some(time)
    }
}

/// The message a `cosignature/v1` signs.
pub fn cosigned_message(text: &str, time: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{text}").into_bytes()
}

/// SHA-256(name ‖ "\n" ‖ alg ‖ key)[..4].
pub fn key_id(name: &str, alg: u8, key: &PublicKey) -> [u8; 4] {
    let mut pre = name.as_bytes().to_vec();
    pre.push(b'\n');
    pre.push(alg);
    pre.extend_from_slice(&key.to_bytes());
    let h = sha256(&pre);
    [h[0], h[1], h[2], h[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '+')
}

/// A signed note: its text and its signature lines, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<Signature>,
}

impl Note {
    /// Parses a note strictly (see the module docs).
    pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
        if bytes.len() > MAX_NOTE {
            return Err(NoteError::TooLong);
        }
        let s = std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?;
        // The text ends at the last blank line: signature lines are never blank.
        let split = s.rfind("\n\n").ok_or(NoteError::NoSignatures)?;
        let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
        let text_ok = text
            .split_terminator('\n')
            .all(|l| !l.is_empty() && !l.chars().any(char::is_control));
        if !text_ok {
            return Err(NoteError::Text);
        }
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(NoteError::NoSignatures);
        }
        let mut signatures = Vec::new();
        for (i, line) in sigs.split_terminator('\n').enumerate() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooMany);
            }
            signatures.push(Signature::parse_line(line).map_err(|e| NoteError::Line(i + 1, e))?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note's exact text form.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn round_trip_and_verify() {
        let key = SecretKey::from_seed(&[7; 32]);
        let text = "example.com/log\n5\nAAAA\n";
        let note = Note {
            text: text.into(),
            signatures: vec![
                Signature::sign("example.com/log", &key, text),
                Signature::cosign("w1", &key, text, 1_700_000_000),
            ],
        };
        let bytes = note.to_text();
        let back = Note::parse(bytes.as_bytes()).unwrap();
        assert_eq!(back, note);
        assert!(back.signatures[0].verifies("example.com/log", &key.public(), text));
        assert!(!back.signatures[0].verifies("other", &key.public(), text));
        assert_eq!(
            back.signatures[1].cosignature_time("w1", &key.public(), text),
            Some(1_700_000_000)
        );
        assert_eq!(
            back.signatures[1].cosignature_time("w1", &key.public(), "x\n"),
            None
        );
    }

    #[test]
    fn strict_parsing() {
        let key = SecretKey::from_seed(&[7; 32]);
        let good = Note {
            text: "a\n".into(),
            signatures: vec![Signature::sign("n", &key, "a\n")],
        }
        .to_text();
        assert!(Note::parse(good.as_bytes()).is_ok());
        for bad in [
            good.trim_end().to_owned(),                   // no final newline
            good.replace("\u{2014} ", "- "),              // not an em dash
            good.replace("\u{2014} n ", "\u{2014} n x "), // space in name
            good.replace("a\n\n", "a\n"),                 // no blank line
            format!("{good}\n"),                          // trailing blank
            good.replace("=\n", "\n"),                    // padding stripped
            good.replace("a\n\n", "\n\n"),                // empty text line
            good.replace("a\n\n", "a\x07\n\n"),           // control character
        ] {
            assert!(Note::parse(bad.as_bytes()).is_err(), "accepted {bad:?}");
        }
    }
}
