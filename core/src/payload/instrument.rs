//! `instrument`: registering an instrument, with the rules the status engine applies to
//! it. The instrument's id is the id of the entry that registers it.

use serde::{Deserialize, Serialize};

use super::{FieldError, is_false, slug, text};
use crate::date::Date;
use crate::ids::{Digest, MemberCode};

/// Whether the instrument binds in law or only politically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nature {
    /// A treaty: states consent to be bound (VCLT Art. 11).
    Legal,
    /// A political declaration: participants endorse it; no one is bound in law.
    Political,
}

/// A means of expressing consent to be bound that the instrument allows (VCLT Art. 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Means {
    /// A definitive signature binds (Art. 12).
    Signature,
    Ratification,
    Acceptance,
    Approval,
    Accession,
}

/// When the instrument enters into force (VCLT Art. 24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EntryIntoForce {
    /// Never: a political instrument.
    None,
    /// For each state, on the day its consent is established.
    OnConsent,
    /// On the `days`-th day after the `deposits`-th consent is established; for a state
    /// whose consent is established later, on the `days`-th day after its own.
    AfterDeposits { deposits: u32, days: u32 },
    /// On `date` for states whose consent is established by then; for a later one, on
    /// the day its consent is established.
    OnDate { date: Date },
}

/// How a party leaves (VCLT Art. 54–56).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum WithdrawalRule {
    /// The instrument is silent: twelve months' notice (Art. 56(2)).
    NotProvided,
    /// Effective `months` after the notification is received.
    AfterNotice { months: u32 },
}

impl WithdrawalRule {
    /// Months between notification and effect.
    pub fn notice_months(self) -> u32 {
        match self {
            WithdrawalRule::NotProvided => 12,
            WithdrawalRule::AfterNotice { months } => months,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// A short name for URLs and the command line, e.g. `paris-declaration`.
    pub short: String,
    pub title: String,
    pub nature: Nature,
    /// The day the text was adopted or opened for signature.
    pub adopted: Date,
    /// SHA-256 of the official text, when the text is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_sha256: Option<Digest>,
    /// The states and organisations it is open to, in ascending code order.
    pub parties: Vec<MemberCode>,
    /// Who receives the instruments of consent (legal instruments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depositary: Option<MemberCode>,
    /// The means of consent it allows, in the order of [`Means`] (legal only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_means: Vec<Means>,
    pub entry_into_force: EntryIntoForce,
    pub withdrawal: WithdrawalRule,
    /// A state may ratify, accept or approve without having signed (legal only). Absent,
    /// as in most multilateral treaties, only signatories ratify (VCLT Art. 14(1)); a
    /// state that did not sign accedes, where `consent_means` lists accession (Art. 15).
    #[serde(default, skip_serializing_if = "is_false")]
    pub ratification_without_signature: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

/// Most parties an instrument can list.
pub const MAX_PARTIES: usize = 500;

impl Instrument {
    pub fn is_legal(&self) -> bool {
        self.nature == Nature::Legal
    }

    pub(crate) fn check(&self) -> Result<(), FieldError> {
        slug("short", &self.short, 40)?;
        text("title", &self.title, 500, false)?;
        if self.parties.is_empty() || self.parties.len() > MAX_PARTIES {
            return Err(FieldError::new(
                "parties",
                format!("must list 1 to {MAX_PARTIES} members"),
            ));
        }
        if let Some(i) = self.parties.windows(2).position(|w| w[0] >= w[1]) {
            return Err(FieldError::new(
                format!("parties[{}]", i + 1),
                format!(
                    "{} must come after {}: parties are listed once each, in ascending code order",
                    self.parties[i + 1],
                    self.parties[i]
                ),
            ));
        }
        if let Some(i) = self.consent_means.windows(2).position(|w| w[0] >= w[1]) {
            return Err(FieldError::new(
                format!("consent_means[{}]", i + 1),
                "means are listed once each, in the order signature, ratification, acceptance, approval, accession",
            ));
        }
        match self.nature {
            Nature::Political => {
                if self.depositary.is_some() {
                    return Err(FieldError::new(
                        "depositary",
                        "a political instrument has no depositary",
                    ));
                }
                if !self.consent_means.is_empty() {
                    return Err(FieldError::new(
                        "consent_means",
                        "no one consents to be bound by a political instrument",
                    ));
                }
                if self.entry_into_force != EntryIntoForce::None {
                    return Err(FieldError::new(
                        "entry_into_force",
                        "a political instrument never enters into force: use {\"rule\":\"none\"}",
                    ));
                }
                if self.ratification_without_signature {
                    return Err(FieldError::new(
                        "ratification_without_signature",
                        "no one ratifies a political instrument",
                    ));
                }
            }
            Nature::Legal => {
                if self.depositary.is_none() {
                    return Err(FieldError::new(
                        "depositary",
                        "a legal instrument needs a depositary",
                    ));
                }
                if self.consent_means.is_empty() {
                    return Err(FieldError::new(
                        "consent_means",
                        "a legal instrument must allow at least one means of consent",
                    ));
                }
                match self.entry_into_force {
                    EntryIntoForce::None => {
                        return Err(FieldError::new(
                            "entry_into_force",
                            "a legal instrument needs an entry-into-force rule",
                        ));
                    }
                    EntryIntoForce::AfterDeposits { deposits, days } => {
                        if !(1..=MAX_PARTIES as u32).contains(&deposits) {
                            return Err(FieldError::new(
                                "entry_into_force.deposits",
                                format!("must be 1 to {MAX_PARTIES}"),
                            ));
                        }
                        if days > 3650 {
                            return Err(FieldError::new(
                                "entry_into_force.days",
                                "must be at most 3650",
                            ));
                        }
                    }
                    EntryIntoForce::OnConsent | EntryIntoForce::OnDate { .. } => {}
                }
            }
        }
        if let WithdrawalRule::AfterNotice { months } = self.withdrawal
            && months > 120
        {
            return Err(FieldError::new("withdrawal.months", "must be at most 120"));
        }
        Ok(())
    }
}
