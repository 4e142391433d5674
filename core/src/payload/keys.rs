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
        let url_ok = url::Url::parse(&self.node)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !url_ok {
            return Err(FieldError::new("node", "is not an http:// or https:// URL"));
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
