//! Pass two: when the instrument enters into force, from the states contracting on
//! each day (SPEC.md §15.6, VCLT Art. 24), and when it does for each period of each
//! member.

use super::history::Period;
use crate::date::Date;
use crate::ids::MemberCode;
use crate::payload::EntryIntoForce;

/// The instrument's entry into force.
#[derive(Debug, Default)]
pub(super) struct Force {
    /// The day it enters (or entered) into force.
    pub(super) on: Option<Date>,
    /// The members whose consents brought it into force.
    pub(super) by: Vec<MemberCode>,
    /// The day the condition was met: the day the rule's count of contracting states
    /// was reached.
    pub(super) trigger: Option<Date>,
}

/// The members contracting on `day`, each with the start of its period, sorted by
/// (start, code).
fn contracting_on(rows: &[(MemberCode, &[Period])], day: Date) -> Vec<(Date, MemberCode)> {
    let mut on: Vec<(Date, MemberCode)> = rows
        .iter()
        .filter_map(|(code, periods)| {
            periods
                .iter()
                .find(|p| p.contains(day))
                .map(|p| (p.start(), *code))
        })
        .collect();
    on.sort();
    on
}

/// Entry into force under `rule`, from every row's contracting periods.
pub(super) fn entry_into_force(rule: EntryIntoForce, rows: &[(MemberCode, &[Period])]) -> Force {
    // The count of contracting states rises only on a day a period starts.
    let mut starts: Vec<Date> = rows
        .iter()
        .flat_map(|(_, periods)| periods.iter().map(Period::start))
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let first_with = |n: usize, from: Option<Date>| {
        from.into_iter()
            .chain(
                starts
                    .iter()
                    .copied()
                    .filter(|s| from.is_none_or(|f| *s > f)),
            )
            .find_map(|day| {
                let on = contracting_on(rows, day);
                (on.len() >= n).then(|| (day, on.into_iter().take(n).map(|(_, m)| m).collect()))
            })
    };
    match rule {
        EntryIntoForce::None => Force::default(),
        EntryIntoForce::OnConsent => match first_with(1, None) {
            Some((day, by)) => Force {
                on: Some(day),
                by,
                trigger: Some(day),
            },
            None => Force::default(),
        },
        EntryIntoForce::OnDate { date } => match first_with(1, Some(date)) {
            Some((day, by)) => Force {
                on: Some(day),
                by,
                trigger: Some(day),
            },
            None => Force::default(),
        },
        EntryIntoForce::AfterDeposits { deposits, days } => {
            match first_with(deposits.max(1) as usize, None) {
                Some((day, by)) => match day.plus_days(days) {
                    Some(on) => Force {
                        on: Some(on),
                        by,
                        trigger: Some(day),
                    },
                    None => Force::default(),
                },
                None => Force::default(),
            }
        }
    }
}

/// The day the instrument enters into force for the member in `period`, if it does
/// before the period ends. Never before the period's start: a state is a party only
/// once it is a contracting state.
pub(super) fn for_period(rule: EntryIntoForce, force: &Force, period: &Period) -> Option<Date> {
    let (on, trigger) = (force.on?, force.trigger?);
    let start = period.start();
    let day = match rule {
        EntryIntoForce::None => return None,
        EntryIntoForce::AfterDeposits { days, .. } => start.max(trigger).plus_days(days)?,
        EntryIntoForce::OnConsent | EntryIntoForce::OnDate { .. } => start.max(on),
    };
    period.end().is_none_or(|end| day < end).then_some(day)
}
