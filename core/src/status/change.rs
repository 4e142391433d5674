//! Status changes: what differs between two statuses, as watchers want to be told
//! ("France: consent expressed → bound"), and a compact [`Summary`] of a status that a
//! node keeps on disk so that it can tell what changed while it was down.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Act, EntryRef, Stage, Status};
use crate::codec::sha256;
use crate::date::Date;
use crate::ids::{EntryId, MemberCode};

/// One change of status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub instrument: EntryId,
    /// The instrument's short name.
    pub short: String,
    #[serde(flatten)]
    pub what: What,
    /// One sentence for people: "FR (France): signed → bound (contracting)".
    pub summary: String,
    /// The instrument's headline after the change: "4 of 36 bound, 4 in force".
    pub headline: String,
    /// The entries the new status rests on.
    pub proof: Vec<EntryRef>,
    /// For a change of a member's stage, the act that caused it, with its legal date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<Act>,
    /// True when anything the new status rests on is illustrative.
    pub illustrative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum What {
    /// The instrument appeared in the status (registered, and adopted by the day).
    Registered,
    /// The instrument's date of entry into force was set or changed.
    InForce { on: Option<Date> },
    /// A member's stage changed.
    Stage {
        member: MemberCode,
        name: String,
        from: Stage,
        to: Stage,
    },
}

impl Change {
    /// A stable identifier: the same change of the same ledger gets the same id on
    /// every node (for Atom ids and de-duplication). It is a version-5-shaped UUID over
    /// SHA-256, as RFC 4122 §4.3 does with SHA-1.
    pub fn uuid(&self) -> String {
        let mut preimage = b"pacta/change\0".to_vec();
        preimage.extend_from_slice(&self.instrument.0);
        match &self.what {
            What::Registered => preimage.push(0),
            What::InForce { on } => {
                preimage.push(1);
                preimage
                    .extend_from_slice(on.map(|d| d.to_string()).unwrap_or_default().as_bytes());
            }
            What::Stage { member, to, .. } => {
                preimage.push(2);
                preimage.extend_from_slice(member.as_bytes());
                preimage.push(0);
                preimage.extend_from_slice(to.label().as_bytes());
            }
        }
        for p in &self.proof {
            preimage.extend_from_slice(&p.id.0);
        }
        let mut b = sha256(&preimage);
        b[6] = (b[6] & 0x0f) | 0x50;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(&b[..16]);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// The member a change is about, if any.
    pub fn member(&self) -> Option<MemberCode> {
        match &self.what {
            What::Stage { member, .. } => Some(*member),
            _ => None,
        }
    }
}

/// What a watcher needs to remember of a status to tell what changed: each
/// instrument's date of entry into force and each member's stage. A node keeps it on
/// disk as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub in_force: Vec<(EntryId, Option<Date>)>,
    pub stages: Vec<(EntryId, MemberCode, Stage)>,
}

impl Summary {
    pub fn of(status: &Status) -> Summary {
        let mut s = Summary::default();
        for inst in &status.instruments {
            s.in_force.push((inst.id, inst.in_force_on));
            for m in &inst.members {
                s.stages.push((inst.id, m.member, m.stage));
            }
        }
        s
    }
}

/// The changes that lead from `before` to `now`, in the order of `now`'s instruments
/// and rows. A row that is new counts as a change from [`Stage::None`], unless it is
/// still at `None`.
pub fn changes(before: &Summary, now: &Status) -> Vec<Change> {
    let in_force: BTreeMap<EntryId, Option<Date>> = before.in_force.iter().copied().collect();
    let stages: BTreeMap<(EntryId, MemberCode), Stage> =
        before.stages.iter().map(|&(i, m, s)| ((i, m), s)).collect();
    let mut out = Vec::new();
    for inst in &now.instruments {
        let base = |what: What, summary: String, proof: Vec<EntryRef>, illustrative: bool| Change {
            instrument: inst.id,
            short: inst.short.clone(),
            what,
            summary,
            headline: inst.headline(),
            proof,
            act: None,
            illustrative,
        };
        let was = in_force.get(&inst.id);
        if was.is_none() {
            out.push(base(
                What::Registered,
                format!("{}: registered ({})", inst.short, inst.title),
                vec![inst.registered.entry],
                inst.illustrative,
            ));
        }
        if was.copied().flatten() != inst.in_force_on && inst.in_force_on.is_some() {
            let by = inst
                .in_force_by
                .iter()
                .map(MemberCode::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let on = inst.in_force_on;
            out.push(base(
                What::InForce { on },
                format!(
                    "{}: enters into force on {}{}",
                    inst.short,
                    on.map(|d| d.to_string()).unwrap_or_default(),
                    if by.is_empty() {
                        String::new()
                    } else {
                        format!(", on the consents of {by}")
                    }
                ),
                vec![inst.registered.entry],
                inst.illustrative,
            ));
        }
        for m in &inst.members {
            let from = stages
                .get(&(inst.id, m.member))
                .copied()
                .unwrap_or(Stage::None);
            if from == m.stage {
                continue;
            }
            let act = m.act();
            let mut change = base(
                What::Stage {
                    member: m.member,
                    name: m.name.clone(),
                    from,
                    to: m.stage,
                },
                format!(
                    "{} ({}) under {}: {} → {}",
                    m.member,
                    m.name,
                    inst.short,
                    from.label(),
                    m.stage.label()
                ),
                m.proof.clone(),
                m.illustrative,
            );
            change.act = act;
            out.push(change);
        }
    }
    out
}
