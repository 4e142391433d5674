//! `correction`: entries are never edited or deleted; a correction names an earlier
//! entry of the same feed and supersedes it, either with a replacement payload of the
//! same kind or, without one, by annulling it ("entered in error").

use serde::{Deserialize, Serialize, Serializer};

use super::{FieldError, Payload, PayloadError, is_false, text};
use crate::ids::{EntryId, Kind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The entry superseded, in the same feed.
    pub entry: EntryId,
    pub reason: String,
    /// What the entry should have said, or `None` to annul it.
    pub replacement: Option<Box<Payload>>,
    pub illustrative: bool,
}

/// The wire form: `{"entry", "reason", "kind"?, "payload"?, "illustrative"?}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<P> {
    entry: EntryId,
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload: Option<P>,
    #[serde(default, skip_serializing_if = "is_false")]
    illustrative: bool,
}

impl Serialize for Correction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            entry: self.entry,
            reason: self.reason.clone(),
            kind: self
                .replacement
                .as_ref()
                .map(|p| p.kind().as_str().to_owned()),
            payload: self.replacement.as_deref(),
            illustrative: self.illustrative,
        }
        .serialize(s)
    }
}

impl Correction {
    pub(crate) fn from_json(value: serde_json::Value) -> Result<Correction, PayloadError> {
        let wire: Wire<serde_json::Value> = super::typed(Kind::CORRECTION, value)?;
        let err = |field: &str, reason: String| PayloadError::Field {
            kind: Kind::CORRECTION,
            field: field.to_owned(),
            reason,
        };
        let replacement = match (wire.kind, wire.payload) {
            (None, None) => None,
            (Some(kind), Some(payload)) => {
                let kind: Kind = kind
                    .parse()
                    .map_err(|e: crate::ids::IdError| err("kind", e.to_string()))?;
                if kind == Kind::CORRECTION || kind == Kind::KEY_ROTATION {
                    return Err(err(
                        "kind",
                        format!(
                            "a {kind} entry cannot be corrected: correct the original entry again, or rotate the key again"
                        ),
                    ));
                }
                let inner =
                    Payload::from_json(kind, payload).map_err(|e| err("payload", e.to_string()))?;
                Some(Box::new(inner))
            }
            _ => {
                return Err(err(
                    "payload",
                    "`kind` and `payload` come together: both for a replacement, neither to annul"
                        .into(),
                ));
            }
        };
        Ok(Correction {
            entry: wire.entry,
            reason: wire.reason,
            replacement,
            illustrative: wire.illustrative,
        })
    }

    pub(crate) fn check(&self) -> Result<(), FieldError> {
        text("reason", &self.reason, 4000, true)
    }
}
