//! `procedure-step`: one step of a member's domestic procedure. A vote authorises
//! consent; it never is consent (VCLT Art. 14, 16).

use serde::{Deserialize, Serialize};

use super::{FieldError, is_false, slug, text};
use crate::date::Date;
use crate::ids::EntryId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Votes {
    #[serde(rename = "for")]
    pub r#for: u32,
    pub against: u32,
    pub abstaining: u32,
}

/// How the step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepResult {
    /// A vote carried, or a period ran out without objection.
    Passed,
    /// A vote failed, or the body objected.
    Failed,
    /// An act that is not a vote took place (a transmittal, a laying, a promulgation).
    Completed,
}

impl StepResult {
    /// Whether the step counts towards domestic approval.
    pub fn satisfies(self) -> bool {
        matches!(self, StepResult::Passed | StepResult::Completed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureStep {
    pub instrument: EntryId,
    /// The step's id in the member's procedure profile, e.g. `senate-vote`.
    pub step: String,
    pub body: String,
    pub action: String,
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<Votes>,
    /// The threshold as the body states it, e.g. "two thirds of the Senators present".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    pub result: StepResult,
    /// An official reference: a bill, a roll call, a journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl ProcedureStep {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        slug("step", &self.step, 40)?;
        text("body", &self.body, 200, false)?;
        text("action", &self.action, 500, false)?;
        if let Some(t) = &self.threshold {
            text("threshold", t, 200, false)?;
        }
        if let Some(r) = &self.reference {
            text("reference", r, 500, false)?;
        }
        if self.votes.is_some() && self.result == StepResult::Completed {
            return Err(FieldError::new(
                "result",
                "a step with votes is `passed` or `failed`, not `completed`",
            ));
        }
        Ok(())
    }
}
