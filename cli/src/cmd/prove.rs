//! `pacta prove --member CODE --instrument ID (--node URL | --bundle FILE) --roster FILE
//! --out FILE [--as-of DATE]`
//!
//! Cuts a proof from a ledger that verifies; the proof carries only the feeds the
//! status rests on, so it stays small and can be checked offline by anyone.

use std::path::Path;

use anyhow::{Result, anyhow};
use pacta_core::MemberCode;
use pacta_core::date::Date;
use pacta_core::proof::prove;
use pacta_core::verify::verify_bundle;

use crate::cmd::status::today;
use crate::cmd::verify::{Source, load};
use crate::files::{read_roster, write_atomic};
use crate::{Outcome, render};

pub async fn run(
    source: Source<'_>,
    roster_path: &Path,
    member: MemberCode,
    instrument: &str,
    as_of: Option<Date>,
    out: &Path,
) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    let bytes = load(&source).await?;
    let verification = verify_bundle(&roster, &bytes);
    if !verification.report.valid {
        eprint!("{}", render::report(&verification.report));
        eprintln!("pacta: the ledger is invalid; no proof is cut from it");
        return Ok(Outcome::Invalid);
    }
    let as_of = as_of.unwrap_or_else(today);
    let (statement, proof) =
        prove(&roster, &verification.ledger, member, instrument, as_of).map_err(|e| anyhow!(e))?;
    write_atomic(out, &proof)?;
    println!(
        "{}: proof of {}'s status for {} as of {as_of} ({} bytes, feeds {}): {}, since {}",
        out.display(),
        member,
        statement.short,
        proof.len(),
        statement
            .heads
            .iter()
            .map(|h| h.member.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        statement.status.stage.label(),
        statement.since
    );
    Ok(Outcome::Valid)
}
