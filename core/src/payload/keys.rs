//! `key-revocation` and `admission`: acts of the other members about one member's keys
//! or membership. Each takes effect only when a quorum of genesis members has signed
//! the same one, each in its own feed ([`crate::authority`]).

use serde::{Deserialize, Serialize};

use super::{FieldError, text};
use crate::ids::{MemberCode, PublicKey};

/// Revokes `member`'s `key` after position `after` of its feed: entries after it under
/// that key are no longer accepted, and the member's next entry must be a
/// `key-rotation` to `replacement`, signed by `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRevocation {
    pub member: MemberCode,
    pub key: String,
    pub after: u64,
    pub replacement: String,
    pub reason: String,
}

impl KeyRevocation {
    pub fn key(&self) -> Option<PublicKey> {
        self.key.parse().ok()
    }

    pub fn replacement(&self) -> Option<PublicKey> {
        self.replacement.parse().ok()
    }

    pub(crate) fn check(&self) -> Result<(), FieldError> {
        let key: PublicKey = self
            .key
            .parse()
            .map_err(|e: crate::ids::IdError| FieldError::new("key", e.to_string()))?;
        let replacement: PublicKey = self
            .replacement
            .parse()
            .map_err(|e: crate::ids::IdError| FieldError::new("replacement", e.to_string()))?;
        if key == replacement {
            return Err(FieldError::new("replacement", "is the revoked key itself"));
        }
        // Every integer of a payload is a u32 (SPEC 6.1); serde reads `after` as a u64
        // so that a larger one gets this message rather than a parse error.
        if self.after > u64::from(u32::MAX) {
            return Err(FieldError::new(
                "after",
                format!(
                    "{} is more than 4294967295: integers are u32 (SPEC 6.1)",
                    self.after
                ),
            ));
        }
        text("reason", &self.reason, 2000, true)?;
        Ok(())
    }
}

/// Admits a member that joined after the genesis roster: its code, name, entry key,
/// node URL, procedure profile and, if it runs a witnessing node, its node key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admission {
    pub code: MemberCode,
    pub name: String,
    pub key: String,
    pub node: String,
    pub profile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_key: Option<String>,
}

impl Admission {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        text("name", &self.name, 200, false)?;
        self.key
            .parse::<PublicKey>()
            .map_err(|e| FieldError::new("key", e.to_string()))?;
        if crate::roster::node_url(&self.node).is_none() {
            return Err(FieldError::new(
                "node",
                "is not an http:// or https:// URL (SPEC 3.1)",
            ));
        }
        if crate::profile::profile(&self.profile).is_none() {
            return Err(FieldError::new(
                "profile",
                format!(
                    "{:?} is not a known procedure profile ({})",
                    self.profile,
                    crate::profile::profile_ids()
                ),
            ));
        }
        if let Some(k) = &self.node_key {
            let nk: PublicKey = k
                .parse()
                .map_err(|e: crate::ids::IdError| FieldError::new("node_key", e.to_string()))?;
            if self.key.parse::<PublicKey>().ok() == Some(nk) {
                return Err(FieldError::new(
                    "node_key",
                    "is the entry key; a node key must be its own",
                ));
            }
        }
        Ok(())
    }

    /// The member this admits, once a quorum has signed it.
    pub fn member(&self, by: Vec<MemberCode>) -> Option<crate::roster::Member> {
        Some(crate::roster::Member {
            code: self.code,
            name: self.name.clone(),
            key: self.key.parse().ok()?,
            node: url::Url::parse(&self.node).ok()?,
            profile: self.profile.clone(),
            remark: None,
            node_key: self.node_key.as_ref().and_then(|k| k.parse().ok()),
            admitted_by: by,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use crate::ids::Kind;
    use crate::payload::Payload;

    fn revocation(after: &str, extra: &str) -> String {
        let a = crate::SecretKey::from_seed(&[1; 32]).public();
        let b = crate::SecretKey::from_seed(&[2; 32]).public();
        format!(
            r#"{{"member":"FR","key":"{a}","after":{after},"replacement":"{b}","reason":"stolen"{extra}}}"#
        )
    }

    /// SPEC 6.13: `after` is a u32 like every integer (the node used to take any u64).
    #[test]
    fn a_revocation_after_beyond_u32_is_refused() {
        let ok = revocation("4294967295", "");
        assert!(Payload::decode(Kind::KEY_REVOCATION, ok.as_bytes()).is_ok());
        let over = revocation("4294967296", "");
        let err = Payload::decode(Kind::KEY_REVOCATION, over.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("after"), "{err}");
    }

    /// SPEC 6.13: `key-revocation` and `admission` take no `illustrative` member.
    #[test]
    fn key_acts_take_no_illustrative_flag() {
        let flagged = revocation("3", r#","illustrative":true"#);
        assert!(Payload::decode(Kind::KEY_REVOCATION, flagged.as_bytes()).is_err());
        let admission = format!(
            r#"{{"code":"NZ","name":"New Zealand","key":"{}","node":"https://nz.example","profile":"generic","illustrative":true}}"#,
            crate::SecretKey::from_seed(&[3; 32]).public()
        );
        assert!(Payload::decode(Kind::ADMISSION, admission.as_bytes()).is_err());
    }
}
