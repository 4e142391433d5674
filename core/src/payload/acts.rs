//! The acts by which a state becomes bound, or stops being bound: signature, consent,
//! the depositary's receipt, provisional application and withdrawal (VCLT Art. 11–25
//! and 54–56).

use serde::{Deserialize, Serialize};

use super::{FieldError, is_false, slug, text, texts};
use crate::date::Date;
use crate::ids::{EntryId, MemberCode};

/// What a signature does (VCLT Art. 10, 12, 14, 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureType {
    /// Binds nothing yet; creates the duty not to defeat the object (Art. 18).
    SubjectToRatification,
    /// Expresses consent to be bound, where the instrument allows it (Art. 12).
    Definitive,
    /// Subject to confirmation by the state; once confirmed, a full signature (Art. 12(2)(b)).
    AdReferendum,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub instrument: EntryId,
    #[serde(rename = "type")]
    pub signature_type: SignatureType,
    pub date: Date,
    /// Who signed, e.g. "Emmanuel Macron, President of the Republic".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl Signature {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        if let Some(s) = &self.signatory {
            text("signatory", s, 300, false)?;
        }
        Ok(())
    }
}

/// The Art. 16 instrument a state uses to consent (the UNTC's markers: none, A, AA, a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentMeans {
    Ratification,
    Acceptance,
    Approval,
    Accession,
}

impl ConsentMeans {
    /// The UN Treaty Collection's marker after the date.
    pub fn marker(self) -> &'static str {
        match self {
            ConsentMeans::Ratification => "",
            ConsentMeans::Acceptance => "A",
            ConsentMeans::Approval => "AA",
            ConsentMeans::Accession => "a",
        }
    }

    pub fn means(self) -> super::Means {
        match self {
            ConsentMeans::Ratification => super::Means::Ratification,
            ConsentMeans::Acceptance => super::Means::Acceptance,
            ConsentMeans::Approval => super::Means::Approval,
            ConsentMeans::Accession => super::Means::Accession,
        }
    }
}

/// Consent to be bound, as the state records it; established only by the Art. 16 act
/// (for a deposit, the depositary's receipt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub instrument: EntryId,
    pub means: ConsentMeans,
    /// The date of the instrument of consent.
    pub date: Date,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declarations: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<String>,
    /// The procedure profile followed for this instrument, when it is not the roster's
    /// (e.g. `us-congressional-executive` rather than `us-article-ii`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl Consent {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        texts("declarations", &self.declarations, 50, 4000)?;
        texts("reservations", &self.reservations, 50, 4000)?;
        if let Some(p) = &self.procedure {
            slug("procedure", p, 40)?;
            if crate::profile::profile(p).is_none() {
                return Err(FieldError::new(
                    "procedure",
                    format!(
                        "{p:?} is not a known profile ({})",
                        crate::profile::profile_ids()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The depositary's acknowledgement that `member` deposited the instrument recorded by
/// entry `consent`, on `date`. Written in the depositary's own feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositReceipt {
    pub instrument: EntryId,
    pub member: MemberCode,
    pub consent: EntryId,
    /// The date of deposit: the day consent is established (Art. 16(b)).
    pub date: Date,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl DepositReceipt {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        Ok(())
    }
}

/// The state applies the instrument before it is bound by it (Art. 25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionalApplication {
    pub instrument: EntryId,
    /// From this day.
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl ProvisionalApplication {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        if let Some(s) = &self.scope {
            text("scope", s, 4000, true)?;
        }
        Ok(())
    }
}

/// Withdrawal or denunciation: notified on one day, effective on a later one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    pub instrument: EntryId,
    pub notified: Date,
    pub effective: Date,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl Withdrawal {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        if self.effective < self.notified {
            return Err(FieldError::new(
                "effective",
                format!(
                    "{} is before the notification on {}",
                    self.effective, self.notified
                ),
            ));
        }
        Ok(())
    }
}

/// The state confirms a signature it gave *ad referendum*: from then on it is a full
/// signature, counted from its original date (VCLT Art. 12(2)(b)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureConfirmation {
    pub instrument: EntryId,
    /// The entry recording the signature *ad referendum*.
    pub signature: EntryId,
    /// The day of the confirmation.
    pub date: Date,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl SignatureConfirmation {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        Ok(())
    }
}

/// The depositary returns an instrument of consent it does not accept as deposited (a
/// defect of form, a reservation the instrument prohibits). Written in the
/// depositary's own feed; the returned instrument establishes nothing, and the
/// state's next, proper instrument counts (VCLT Art. 77(1)(d), 77(2)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositReturn {
    pub instrument: EntryId,
    pub member: MemberCode,
    /// The entry recording the instrument of consent returned.
    pub consent: EntryId,
    /// The day the depositary returned it.
    pub date: Date,
    /// Why, in the depositary's words.
    pub reason: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl DepositReturn {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        text("reason", &self.reason, 2000, true)
    }
}

/// A state that has signed, or applies the instrument provisionally, makes clear its
/// intention not to become a party: its Art. 18 obligation ends, and so does its
/// provisional application (Art. 25(2)), on the day of notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentionNotToBeParty {
    pub instrument: EntryId,
    /// The day the other states (or the depositary) were notified.
    pub date: Date,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl IntentionNotToBeParty {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        Ok(())
    }
}
