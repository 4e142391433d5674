//! `commitment`: what a member undertakes under an instrument, pillar by pillar.

use serde::{Deserialize, Serialize};

use super::{FieldError, is_false, text, texts};
use crate::date::Date;
use crate::ids::EntryId;

/// The pillars of the Paris Declaration of 6 January 2026, and `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pillar {
    /// (1) The US-led ceasefire monitoring and verification mechanism.
    CeasefireMonitoring,
    /// (2) Support to Ukraine's armed forces.
    ArmedForcesSupport,
    /// (3) The multinational force for Ukraine.
    MultinationalForce,
    /// (4) Binding commitments in case of a renewed armed attack.
    BindingCommitments,
    /// (5) Long-term defence cooperation.
    DefenceCooperation,
    /// The US/Ukraine/Coalition coordination cell in Paris.
    CoordinationCell,
    Other,
}

impl Pillar {
    pub fn label(self) -> &'static str {
        match self {
            Pillar::CeasefireMonitoring => "ceasefire monitoring",
            Pillar::ArmedForcesSupport => "support to the armed forces",
            Pillar::MultinationalForce => "multinational force",
            Pillar::BindingCommitments => "binding commitments",
            Pillar::DefenceCooperation => "defence cooperation",
            Pillar::CoordinationCell => "coordination cell",
            Pillar::Other => "other",
        }
    }
}

/// How much: `amount` is text, because real commitments are often stated that way
/// ("several thousand", "up to 2,000").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    pub amount: String,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub instrument: EntryId,
    pub pillar: Pillar,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// Conditions it depends on, e.g. "after a credible ceasefire".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// The day the commitment was made.
    pub date: Date,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl Commitment {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        text("description", &self.description, 4000, true)?;
        if let Some(q) = &self.quantity {
            text("quantity.amount", &q.amount, 100, false)?;
            text("quantity.unit", &q.unit, 100, false)?;
        }
        texts("conditions", &self.conditions, 20, 1000)
    }
}
