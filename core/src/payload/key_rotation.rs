//! `key-rotation`: a member names its next entry key, with a signature by that key
//! proving it holds it (as Keybase sigchains do). Later entries of the feed must be
//! signed by the new key; earlier ones stay valid under the old one.
//!
//! The same kind installs a replacement key after a revocation ([`super::keys`]): then
//! the entry itself is signed by the replacement (SPEC.md, "Keys over time").

use serde::{Deserialize, Serialize};

use super::FieldError;
use crate::ids::{MemberCode, NetworkId, PublicKey, Seq};

/// Domain-separation tag of the message the new key signs.
pub const ROTATION_TAG: &[u8; 19] = b"pacta/key-rotation\0";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// The new Ed25519 public key, 64 hex digits.
    pub new_key: String,
    /// The new key's signature over [`rotation_message`], 128 hex digits.
    pub proof: String,
}

/// What the new key signs: the tag, version 1, the network id, the member's code
/// (u8 length, ASCII), the position of the rotation entry (u64 BE) and the new key.
/// Binding the position and the network means a proof cannot be replayed elsewhere.
pub fn rotation_message(
    network: NetworkId,
    member: MemberCode,
    seq: Seq,
    new_key: &PublicKey,
) -> Vec<u8> {
    let mut m = ROTATION_TAG.to_vec();
    m.push(1);
    m.extend_from_slice(&network.0);
    m.push(member.as_bytes().len() as u8);
    m.extend_from_slice(member.as_bytes());
    m.extend_from_slice(&seq.0.to_be_bytes());
    m.extend_from_slice(&new_key.to_bytes());
    m
}

impl KeyRotation {
    /// A rotation to `new`'s key, for the entry at `seq` of `member`'s feed.
    pub fn new(
        network: NetworkId,
        member: MemberCode,
        seq: Seq,
        new: &crate::keys::SecretKey,
    ) -> KeyRotation {
        let key = new.public();
        KeyRotation {
            new_key: key.to_string(),
            proof: hex::encode(new.sign(&rotation_message(network, member, seq, &key))),
        }
    }

    /// The new key (checked by `KeyRotation::check`, private to this module).
    pub fn key(&self) -> Option<PublicKey> {
        self.new_key.parse().ok()
    }

    /// Whether the proof verifies under the new key for this position.
    pub fn proof_verifies(&self, network: NetworkId, member: MemberCode, seq: Seq) -> bool {
        let (Some(key), Ok(sig)) = (self.key(), hex::decode(&self.proof)) else {
            return false;
        };
        let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else {
            return false;
        };
        key.verify(&rotation_message(network, member, seq, &key), &sig)
    }

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
