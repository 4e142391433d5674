//! The act behind a member's stage: which body did what, on which legal date, recorded
//! by which entry ("Senate: gives its advice and consent to ratification, 71–27–0,
//! 2026-11-10, US #5"). Watchers are told of a change of stage; congress.gov and the UN
//! Treaty Collection tell them of the act, so every alert names it.

use serde::Serialize;

use super::{EntryRef, MemberStatus};
use crate::date::Date;
use crate::payload::Votes;

/// One act, as an alert names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Act {
    /// Who acted: "Senate", "depositary (FR)", or the member itself.
    pub body: String,
    /// What it did, in words.
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes: Option<Votes>,
    /// The act's legal date (not when any node recorded it).
    pub date: Date,
    /// The entry that records it.
    pub entry: EntryRef,
    /// The correction that gave that entry its present content, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_by: Option<EntryRef>,
    /// One line for people: "Senate: advice and consent, 71–27–0, 2026-11-10 (US #5)".
    pub text: String,
}

impl Act {
    fn new(
        body: impl Into<String>,
        action: impl Into<String>,
        votes: Option<Votes>,
        date: Date,
        source: super::Source,
    ) -> Act {
        let (body, action) = (body.into(), action.into());
        let votes_text = votes
            .map(|v| format!(", {}–{}–{}", v.r#for, v.against, v.abstaining))
            .unwrap_or_default();
        let corrected = source
            .corrected_by
            .map(|c| format!(", corrected by {} #{}", c.member, c.seq.0))
            .unwrap_or_default();
        let text = format!(
            "{body}: {action}{votes_text}, {date} ({} #{}{corrected})",
            source.entry.member, source.entry.seq.0
        );
        Act {
            body,
            action,
            votes,
            date,
            entry: source.entry,
            corrected_by: source.corrected_by,
            text,
        }
    }
}

impl MemberStatus {
    /// The act that brought the member to its present stage: the latest act dated on
    /// or before the day the stage began (`since`). Acts of the same day are taken in
    /// the order a state moves through them, so a deposit received on the day of the
    /// consent counts over the consent. `None` while nothing was ever done.
    pub fn act(&self) -> Option<Act> {
        let me = || format!("{} ({})", self.name, self.member);
        let mut acts: Vec<Act> = Vec::new();
        if let Some(s) = &self.signature {
            acts.push(Act::new(
                me(),
                format!("signs ({})", words(&s.signature_type)),
                None,
                s.date,
                s.source,
            ));
            if let Some(c) = &s.confirmed {
                acts.push(Act::new(
                    me(),
                    "confirms its signature ad referendum",
                    None,
                    c.date,
                    c.source,
                ));
            }
        }
        for s in &self.steps {
            acts.push(Act::new(
                s.body.clone(),
                format!("{} ({})", s.action, words(&s.result)),
                s.votes,
                s.date,
                s.source,
            ));
        }
        if let Some(p) = &self.provisional {
            acts.push(Act::new(
                me(),
                "applies it provisionally",
                None,
                p.date,
                p.source,
            ));
        }
        let periods = self
            .periods
            .iter()
            .map(|p| (&p.consent, Some(&p.established), p.in_force_on))
            .chain([(&self.consent, self.established.as_ref(), self.in_force_on)]);
        for (consent, established, in_force) in periods {
            if let Some(c) = consent {
                acts.push(Act::new(
                    me(),
                    format!("consents to be bound ({})", words(&c.means)),
                    None,
                    c.date,
                    c.source,
                ));
            }
            if let Some(e) = established {
                let action = match e.by {
                    super::Establishment::DepositReceipt => {
                        "receipt of the instrument by the depositary: consent established"
                    }
                    super::Establishment::DefinitiveSignature => {
                        "definitive signature: consent established"
                    }
                };
                acts.push(Act::new(
                    format!("depositary ({})", e.source.entry.member),
                    action,
                    None,
                    e.date,
                    e.source,
                ));
                if let Some(d) = in_force {
                    acts.push(Act::new(
                        "instrument",
                        "enters into force for it",
                        None,
                        d,
                        e.source,
                    ));
                }
            }
        }
        for r in &self.returns {
            acts.push(Act::new(
                format!("depositary ({})", r.source.entry.member),
                format!("returns the instrument of consent: {}", r.reason),
                None,
                r.date,
                r.source,
            ));
        }
        if let Some(i) = &self.intention {
            acts.push(Act::new(
                me(),
                "makes clear its intention not to become a party",
                None,
                i.date,
                i.source,
            ));
        }
        for w in self
            .periods
            .iter()
            .filter_map(|p| p.withdrawal.as_ref())
            .chain(self.withdrawal.as_ref())
        {
            acts.push(Act::new(
                me(),
                format!("notifies its withdrawal, effective {}", w.effective),
                None,
                w.notified,
                w.source,
            ));
            acts.push(Act::new(
                me(),
                format!("withdrawal notified {} takes effect", w.notified),
                None,
                w.effective,
                w.source,
            ));
        }
        // `max_by_key` keeps the last of equal keys: the later act in the order above.
        acts.into_iter()
            .filter(|a| self.since.is_none_or(|until| a.date <= until))
            .max_by_key(|a| a.date)
    }
}

/// A value as the ledger spells it (kebab-case), in words: "subject to ratification".
fn words<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s.replace('-', " "),
        _ => String::new(),
    }
}
