//! Pass three: the member's stage on any day, from its history and the instrument's
//! entry into force (SPEC.md §15.7), and the history of stages up to the status's day.

use super::history::History;
use super::{Stage, StageFrom};
use crate::date::Date;

/// The stage on `day`, leaving forks aside. `in_force` holds, for each of the history's
/// periods, the day the instrument enters into force for the member in it.
pub(super) fn stage_on(h: &History<'_>, in_force: &[Option<Date>], day: Date) -> Stage {
    let signed = h.signature.as_ref().is_some_and(|s| s.date <= day);
    if !h.legal {
        return match h.last_period(day) {
            Some(p) if !p.contains(day) => Stage::Withdrawn,
            Some(_) => Stage::Signed,
            None if signed => Stage::Signed,
            None => Stage::None,
        };
    }
    if let Some((i, _)) = h.period_on(day) {
        let party = in_force.get(i).copied().flatten().is_some_and(|d| d <= day);
        return if party {
            Stage::Party
        } else if provisional_on(h, day) {
            Stage::ProvisionallyApplying
        } else {
            Stage::Bound
        };
    }
    if provisional_on(h, day) {
        Stage::ProvisionallyApplying
    } else if h.pending_on(day).is_some() {
        Stage::ConsentExpressed
    } else if h.last_period(day).is_some() {
        Stage::Withdrawn
    } else if h.intention.is_some_and(|i| i.date <= day) {
        Stage::NotBecomingParty
    } else if h.approved(day) {
        Stage::ApprovedDomestically
    } else if h.steps.iter().any(|s| s.date <= day) {
        Stage::DomesticApprovalInProgress
    } else if signed {
        Stage::Signed
    } else {
        Stage::None
    }
}

/// Whether the member applies the instrument provisionally on `day`.
fn provisional_on(h: &History<'_>, day: Date) -> bool {
    h.provisional
        .as_ref()
        .is_some_and(|p| p.date <= day && p.ended.is_none_or(|e| day < e))
}

/// The stages from the first act to `as_of`: each day a stage began. The stage can
/// change only on a day in `days` (an act's date, an establishment, a withdrawal's
/// effect, an entry into force), so only those are tried.
pub(super) fn history(
    h: &History<'_>,
    in_force: &[Option<Date>],
    days: &[Date],
    as_of: Date,
) -> Vec<StageFrom> {
    let mut days: Vec<Date> = days.iter().copied().filter(|d| *d <= as_of).collect();
    days.sort_unstable();
    days.dedup();
    let mut out: Vec<StageFrom> = Vec::new();
    for day in days {
        let stage = stage_on(h, in_force, day);
        let last = out.last().map_or(Stage::None, |s| s.stage);
        if stage != last {
            out.push(StageFrom { from: day, stage });
        }
    }
    out
}
