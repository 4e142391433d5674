//! Secret keys and the text of a key file (reading and writing the file itself, with
//! its permission checks, is the CLI's job: this crate does no I/O).
//!
//! A key file is UTF-8 text: any number of lines starting with `#` (comments, e.g. the
//! public key, for people), blank lines, and exactly one line
//! `secret-key: <64 lowercase hex digits>` holding the 32-byte Ed25519 seed.

use std::fmt;

use thiserror::Error;
use zeroize::Zeroizing;

use crate::ids::PublicKey;

/// An Ed25519 signing key. `Debug` shows only the public half, and the seed is wiped
/// from memory when the key is dropped.
pub struct SecretKey(ed25519_dalek::SigningKey);

/// Why a key file's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyFileError {
    #[error("line {line}: expected `secret-key: <64 lowercase hex digits>` or a # comment")]
    BadLine { line: usize },
    #[error("no `secret-key:` line")]
    Missing,
    #[error("line {line}: a second `secret-key:` line (line {first} has one already)")]
    Duplicate { line: usize, first: usize },
}

impl SecretKey {
    /// Builds the key from its 32-byte seed (RFC 8032's "private key").
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    pub fn public(&self) -> PublicKey {
        // A key derived from a clamped seed is s·B with s a multiple of the cofactor
        // times a large scalar, so never of small order: no need to re-check it.
        PublicKey::from_derived(self.0.verifying_key())
    }

    /// An Ed25519 signature (RFC 8032, deterministic) over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.0.sign(message).to_bytes()
    }

    /// The text of a key file for this key, with a comment naming its public key.
    pub fn to_file_text(&self, comment: &str) -> Zeroizing<String> {
        let seed = Zeroizing::new(self.0.to_bytes());
        let mut text = Zeroizing::new(String::new());
        for line in comment.lines() {
            text.push_str("# ");
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&format!("# public key: {}\n", self.public()));
        text.push_str("secret-key: ");
        text.push_str(&hex::encode(*seed));
        text.push('\n');
        text
    }

    /// Parses a key file's text strictly.
    pub fn from_file_text(text: &str) -> Result<Self, KeyFileError> {
        let mut found: Option<(usize, Zeroizing<[u8; 32]>)> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim_end();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some(hex_seed) = trimmed.strip_prefix("secret-key: ") else {
                return Err(KeyFileError::BadLine { line });
            };
            let seed = crate::ids::parse_hex32(hex_seed, "secret key")
                .map_err(|_| KeyFileError::BadLine { line })?;
            if let Some((first, _)) = found {
                return Err(KeyFileError::Duplicate { line, first });
            }
            found = Some((line, Zeroizing::new(seed)));
        }
        let (_, seed) = found.ok_or(KeyFileError::Missing)?;
        Ok(SecretKey::from_seed(&seed))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey {{ public: {} }}", self.public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SecretKey::from_seed(&[7u8; 32]);
        let shown = format!("{key:?}");
        assert!(!shown.contains(&hex::encode([7u8; 32])));
        assert!(shown.contains(&key.public().to_string()));
    }

    #[test]
    fn file_text_round_trips() {
        let key = SecretKey::from_seed(&[9u8; 32]);
        let text = key.to_file_text("for FR\ndemo only");
        assert!(text.starts_with("# for FR\n# demo only\n# public key: "));
        let back = SecretKey::from_file_text(&text).unwrap();
        assert_eq!(back.public(), key.public());
    }

    #[test]
    fn file_text_is_strict() {
        let good = format!("secret-key: {}\n", "ab".repeat(32));
        assert!(SecretKey::from_file_text(&good).is_ok());
        assert_eq!(
            SecretKey::from_file_text("# only a comment\n").unwrap_err(),
            KeyFileError::Missing
        );
        let upper = format!("secret-key: {}\n", "AB".repeat(32));
        assert_eq!(
            SecretKey::from_file_text(&upper).unwrap_err(),
            KeyFileError::BadLine { line: 1 }
        );
        let short = format!("secret-key: {}\n", "ab".repeat(31));
        assert_eq!(
            SecretKey::from_file_text(&short).unwrap_err(),
            KeyFileError::BadLine { line: 1 }
        );
        let twice = format!("{good}\n{good}");
        assert_eq!(
            SecretKey::from_file_text(&twice).unwrap_err(),
            KeyFileError::Duplicate { line: 3, first: 1 }
        );
        assert_eq!(
            SecretKey::from_file_text("hello\n").unwrap_err(),
            KeyFileError::BadLine { line: 1 }
        );
    }
}
