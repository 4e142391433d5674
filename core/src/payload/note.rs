//! `note`: free text from a member, with no legal effect.

use serde::{Deserialize, Serialize};

use super::{FieldError, is_false, text};

/// Largest note, in bytes of UTF-8.
pub const MAX_NOTE: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub text: String,
    /// The note describes an illustrative event, not a real one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
}

impl Note {
    pub fn new(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            illustrative: false,
        }
    }

    pub(crate) fn check(&self) -> Result<(), FieldError> {
        text("text", &self.text, MAX_NOTE, true)
    }
}
