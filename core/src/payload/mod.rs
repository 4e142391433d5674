//! Payloads: what each kind of entry says, and the check that it says it in the one
//! canonical form.
//!
//! A payload is UTF-8 JSON in canonical form: compact (no insignificant whitespace),
//! object members in the order the schema lists them, absent optional members omitted
//! (an empty list or a `false` flag is absent, not written), strings escaped minimally
//! (SPEC.md, "Payloads"). The check is "decode into the schema, check every field's
//! rule, encode again, and compare with the bytes received": anything else (extra
//! spaces, reordered or duplicated members, `\u0041` for `A`) is refused, so every
//! payload has exactly one encoding.
//!
//! The kinds, one module each:
//!
//! - [`note`]: free text with no legal effect;
//! - [`instrument`]: registering an instrument and its rules;
//! - [`commitment`]: a commitment under an instrument (a pillar of the Declaration);
//! - [`acts`]: signature and its confirmation, consent to be bound, the depositary's
//!   receipt or return of it, provisional application, the intention not to become a
//!   party, and withdrawal;
//! - [`procedure`]: a domestic procedure step (a vote, a laying, a promulgation);
//! - [`correction`]: superseding an earlier entry of the same feed;
//! - [`key_rotation`]: naming a member's next key;
//! - [`keys`]: revoking another member's key, admitting a new member.
//!
//! A payload is checked on its own. Whether the instrument it names exists, or whether
//! a receipt comes from the depositary, depends on other feeds and is the status
//! engine's business ([`crate::status`]), which reports it as a warning.

pub mod acts;
pub mod commitment;
pub mod correction;
pub mod instrument;
pub mod key_rotation;
pub mod keys;
pub mod note;
pub mod procedure;

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::date::Date;
use crate::ids::{EntryId, Kind};

pub use acts::{
    Consent, ConsentMeans, DepositReceipt, DepositReturn, IntentionNotToBeParty,
    ProvisionalApplication, Signature, SignatureConfirmation, SignatureType, Withdrawal,
};
pub use commitment::{Commitment, Pillar, Quantity};
pub use correction::Correction;
pub use instrument::{EntryIntoForce, Instrument, Means, Nature, WithdrawalRule};
pub use key_rotation::KeyRotation;
pub use keys::{Admission, KeyRevocation};
pub use note::{MAX_NOTE, Note};
pub use procedure::{ProcedureStep, StepResult, Votes};

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
        field: String,
        reason: String,
    },
    #[error("{kind} entries are not accepted by this version: {reason}")]
    NotAccepted { kind: Kind, reason: &'static str },
}

/// The kinds this version understands, for messages.
pub const KNOWN_KINDS: &str = "note, instrument, commitment, signature, procedure-step, consent, deposit-receipt, provisional-application, withdrawal, correction, key-rotation, key-revocation, admission, signature-confirmation, deposit-return, intention-not-to-be-party";

/// A field that breaks its rule: the field's path and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A decoded, validated payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    Note(Note),
    Instrument(Instrument),
    Commitment(Commitment),
    Signature(Signature),
    ProcedureStep(ProcedureStep),
    Consent(Consent),
    DepositReceipt(DepositReceipt),
    ProvisionalApplication(ProvisionalApplication),
    Withdrawal(Withdrawal),
    Correction(Correction),
    KeyRotation(KeyRotation),
    KeyRevocation(KeyRevocation),
    Admission(Admission),
    SignatureConfirmation(SignatureConfirmation),
    DepositReturn(DepositReturn),
    IntentionNotToBeParty(IntentionNotToBeParty),
}

impl Payload {
    pub fn kind(&self) -> Kind {
        match self {
            Payload::Note(_) => Kind::NOTE,
            Payload::Instrument(_) => Kind::INSTRUMENT,
            Payload::Commitment(_) => Kind::COMMITMENT,
            Payload::Signature(_) => Kind::SIGNATURE,
            Payload::ProcedureStep(_) => Kind::PROCEDURE_STEP,
            Payload::Consent(_) => Kind::CONSENT,
            Payload::DepositReceipt(_) => Kind::DEPOSIT_RECEIPT,
            Payload::ProvisionalApplication(_) => Kind::PROVISIONAL_APPLICATION,
            Payload::Withdrawal(_) => Kind::WITHDRAWAL,
            Payload::Correction(_) => Kind::CORRECTION,
            Payload::KeyRotation(_) => Kind::KEY_ROTATION,
            Payload::KeyRevocation(_) => Kind::KEY_REVOCATION,
            Payload::Admission(_) => Kind::ADMISSION,
            Payload::SignatureConfirmation(_) => Kind::SIGNATURE_CONFIRMATION,
            Payload::DepositReturn(_) => Kind::DEPOSIT_RETURN,
            Payload::IntentionNotToBeParty(_) => Kind::INTENTION_NOT_TO_BE_PARTY,
        }
    }

    /// The instrument this payload is about, if it is about one.
    pub fn instrument(&self) -> Option<EntryId> {
        match self {
            Payload::Commitment(p) => Some(p.instrument),
            Payload::Signature(p) => Some(p.instrument),
            Payload::ProcedureStep(p) => Some(p.instrument),
            Payload::Consent(p) => Some(p.instrument),
            Payload::DepositReceipt(p) => Some(p.instrument),
            Payload::ProvisionalApplication(p) => Some(p.instrument),
            Payload::Withdrawal(p) => Some(p.instrument),
            Payload::SignatureConfirmation(p) => Some(p.instrument),
            Payload::DepositReturn(p) => Some(p.instrument),
            Payload::IntentionNotToBeParty(p) => Some(p.instrument),
            Payload::Note(_)
            | Payload::Instrument(_)
            | Payload::Correction(_)
            | Payload::KeyRotation(_)
            | Payload::KeyRevocation(_)
            | Payload::Admission(_) => None,
        }
    }

    /// The day the act took place (for a withdrawal, the day it was notified).
    pub fn date(&self) -> Option<Date> {
        match self {
            Payload::Instrument(p) => Some(p.adopted),
            Payload::Commitment(p) => Some(p.date),
            Payload::Signature(p) => Some(p.date),
            Payload::ProcedureStep(p) => Some(p.date),
            Payload::Consent(p) => Some(p.date),
            Payload::DepositReceipt(p) => Some(p.date),
            Payload::ProvisionalApplication(p) => Some(p.date),
            Payload::Withdrawal(p) => Some(p.notified),
            Payload::SignatureConfirmation(p) => Some(p.date),
            Payload::DepositReturn(p) => Some(p.date),
            Payload::IntentionNotToBeParty(p) => Some(p.date),
            Payload::Note(_)
            | Payload::Correction(_)
            | Payload::KeyRotation(_)
            | Payload::KeyRevocation(_)
            | Payload::Admission(_) => None,
        }
    }

    /// Whether the entry describes an illustrative event rather than a real one.
    pub fn illustrative(&self) -> bool {
        match self {
            Payload::Note(p) => p.illustrative,
            Payload::Instrument(p) => p.illustrative,
            Payload::Commitment(p) => p.illustrative,
            Payload::Signature(p) => p.illustrative,
            Payload::ProcedureStep(p) => p.illustrative,
            Payload::Consent(p) => p.illustrative,
            Payload::DepositReceipt(p) => p.illustrative,
            Payload::ProvisionalApplication(p) => p.illustrative,
            Payload::Withdrawal(p) => p.illustrative,
            Payload::Correction(p) => p.illustrative,
            Payload::SignatureConfirmation(p) => p.illustrative,
            Payload::DepositReturn(p) => p.illustrative,
            Payload::IntentionNotToBeParty(p) => p.illustrative,
            Payload::KeyRotation(_) | Payload::KeyRevocation(_) | Payload::Admission(_) => false,
        }
    }

    /// The canonical bytes of this payload.
    pub fn encode(&self) -> Vec<u8> {
        // Serialising plain structs of strings and integers to a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes `bytes` as a payload of `kind`: schema, field rules, canonical form.
    pub fn decode(kind: Kind, bytes: &[u8]) -> Result<Payload, PayloadError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| PayloadError::Schema {
                kind,
                reason: e.to_string(),
            })?;
        let payload = Payload::from_json(kind, value)?;
        let canonical = payload.encode();
        if canonical != bytes {
            return Err(PayloadError::NotCanonical {
                kind,
                expected: String::from_utf8_lossy(&canonical).into_owned(),
            });
        }
        Ok(payload)
    }

    /// Builds a payload of `kind` from a JSON value (e.g. a `--body` file written by a
    /// person, in any member order and spacing), validated. [`Payload::encode`] then
    /// gives its canonical bytes.
    pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Payload, PayloadError> {
        let payload = match kind.as_str() {
            "note" => Payload::Note(typed(kind, value)?),
            "instrument" => Payload::Instrument(typed(kind, value)?),
            "commitment" => Payload::Commitment(typed(kind, value)?),
            "signature" => Payload::Signature(typed(kind, value)?),
            "procedure-step" => Payload::ProcedureStep(typed(kind, value)?),
            "consent" => Payload::Consent(typed(kind, value)?),
            "deposit-receipt" => Payload::DepositReceipt(typed(kind, value)?),
            "provisional-application" => Payload::ProvisionalApplication(typed(kind, value)?),
            "withdrawal" => Payload::Withdrawal(typed(kind, value)?),
            "correction" => Payload::Correction(correction::Correction::from_json(value)?),
            "key-rotation" => Payload::KeyRotation(typed(kind, value)?),
            "key-revocation" => Payload::KeyRevocation(typed(kind, value)?),
            "admission" => Payload::Admission(typed(kind, value)?),
            "signature-confirmation" => Payload::SignatureConfirmation(typed(kind, value)?),
            "deposit-return" => Payload::DepositReturn(typed(kind, value)?),
            "intention-not-to-be-party" => Payload::IntentionNotToBeParty(typed(kind, value)?),
            other => return Err(PayloadError::UnknownKind(other.to_owned())),
        };
        payload.check().map_err(|e| field(kind, e))?;
        Ok(payload)
    }

    /// Every field rule of the payload's kind.
    fn check(&self) -> Result<(), FieldError> {
        match self {
            Payload::Note(p) => p.check(),
            Payload::Instrument(p) => p.check(),
            Payload::Commitment(p) => p.check(),
            Payload::Signature(p) => p.check(),
            Payload::ProcedureStep(p) => p.check(),
            Payload::Consent(p) => p.check(),
            Payload::DepositReceipt(p) => p.check(),
            Payload::ProvisionalApplication(p) => p.check(),
            Payload::Withdrawal(p) => p.check(),
            Payload::Correction(p) => p.check(),
            Payload::KeyRotation(p) => p.check(),
            Payload::KeyRevocation(p) => p.check(),
            Payload::Admission(p) => p.check(),
            Payload::SignatureConfirmation(p) => p.check(),
            Payload::DepositReturn(p) => p.check(),
            Payload::IntentionNotToBeParty(p) => p.check(),
        }
    }
}

fn field(kind: Kind, e: FieldError) -> PayloadError {
    PayloadError::Field {
        kind,
        field: e.field,
        reason: e.reason,
    }
}

/// Deserialises into a kind's schema, naming the field's path on failure.
fn typed<T: DeserializeOwned>(kind: Kind, value: serde_json::Value) -> Result<T, PayloadError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        if path == "." {
            PayloadError::Schema { kind, reason }
        } else {
            PayloadError::Field {
                kind,
                field: path,
                reason,
            }
        }
    })
}

// Rules shared by the kinds' checks.

/// `serde(skip_serializing_if)` for flags that are absent when false.
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// Text that people read: not blank, at most `max` bytes, no control characters
/// (line breaks only where `multiline`).
pub(crate) fn text(
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "is empty"));
    }
    if value.len() > max {
        return Err(FieldError::new(
            field,
            format!("is {} bytes, more than {max}", value.len()),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        return Err(FieldError::new(field, "contains a control character"));
    }
    Ok(())
}

/// A short machine name: 1 to `max` of `a-z`, `0-9` and `-`, starting with a letter.
pub(crate) fn slug(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    let ok = (1..=max).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!(
                "{value:?} must be 1 to {max} characters of a-z, 0-9 and '-', starting with a letter"
            ),
        ))
    }
}

/// A list of texts: at most `max_items`, each a [`text`] of at most `max` bytes.
pub(crate) fn texts(
    field: &str,
    values: &[String],
    max_items: usize,
    max: usize,
) -> Result<(), FieldError> {
    if values.len() > max_items {
        return Err(FieldError::new(
            field,
            format!("has {} items, more than {max_items}", values.len()),
        ));
    }
    for (i, v) in values.iter().enumerate() {
        text(&format!("{field}[{i}]"), v, max, true)?;
    }
    Ok(())
}
