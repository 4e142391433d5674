//! `key-rotation`: a member names its next entry key, with a signature by that key
//! proving it holds it (as Keybase sigchains do).
//!
//! The schema is fixed here so that SPEC.md can describe it, but a verifier that
//! accepted such an entry would also have to check every later entry against the new
//! key, and this version does not yet; so [`super::Payload::from_json`] refuses the kind
//! with that reason rather than accept a rotation it would not enforce.

use serde::{Deserialize, Serialize};

use super::FieldError;
use crate::ids::PublicKey;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// The new Ed25519 public key, 64 hex digits.
    pub new_key: String,
    /// The new key's signature, 128 hex digits (SPEC.md, "Key rotation").
    pub proof: String,
}

impl KeyRotation {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        self.new_key
            .parse::<PublicKey>()
            .map_err(|e| FieldError::new("new_key", e.to_string()))?;
        let ok = self.proof.len() == 128
            && self
                .proof
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            return Err(FieldError::new("proof", "is not 128 lowercase hex digits"));
        }
        Ok(())
    }
}
