//! `pacta status (--node URL | --bundle FILE) --roster FILE [--member CODE]
//! [--instrument ID] [--as-of DATE] [--json]`
//!
//! Verifies the ledger first: a status is only as good as the entries it rests on, so
//! an invalid ledger gets its errors and exit 1, not a table.

use std::path::Path;

use anyhow::{Result, anyhow};
use pacta_core::MemberCode;
use pacta_core::date::Date;

use crate::cmd::verify::Source;
use crate::files::read_roster;
use crate::{Outcome, render};

pub struct Query<'a> {
    pub member: Option<MemberCode>,
    pub instrument: Option<&'a str>,
    pub as_of: Option<Date>,
    pub json: bool,
}

pub async fn run(source: Source<'_>, roster_path: &Path, q: Query<'_>) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    if let Some(m) = q.member
        && roster.member(m).is_none()
    {
        return Err(anyhow!(
            "{m} is not a member of the roster {}",
            roster_path.display()
        ));
    }
    let as_of = q.as_of.unwrap_or_else(today);
    // Streamed: the status engine is fed as the feeds verify (bounded memory).
    let mut streamed = crate::cmd::verify::stream(&source, &roster, &[], as_of, q.json).await?;
    let audited = &streamed.audited;
    if !audited.report.valid {
        eprint!("{}", render::report(&audited.report));
        eprintln!("pacta: the ledger is invalid, so no status is computed from it");
        return Ok(Outcome::Invalid);
    }
    let status = streamed.index.status(&audited.roster);
    let only = match q.instrument {
        Some(query) => Some(status.find(query).map_err(|e| anyhow!(e))?),
        None => None,
    };
    if q.json {
        // The same selection as the text: one instrument if asked, one member's rows if
        // asked.
        let mut instruments: Vec<_> = match only {
            Some(inst) => vec![inst.clone()],
            None => status.instruments.clone(),
        };
        if let Some(m) = q.member {
            for inst in &mut instruments {
                inst.members.retain(|row| row.member == m);
            }
        }
        let value = serde_json::json!({
            "as_of": as_of,
            "instruments": instruments,
            "warnings": status.warnings,
        });
        outln!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        out!("{}", render::status(&status, only, q.member));
    }
    Ok(Outcome::Valid)
}

/// Today in UTC: the default "as of".
pub fn today() -> Date {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Date::from_unix_millis(ms).unwrap_or(Date::MIN)
}
