//! `pacta verify --bundle FILE --roster FILE [--json]`

use std::path::Path;

use anyhow::{Context, Result};
use pacta_core::verify::verify_bundle;

use crate::files::read_roster;
use crate::{Outcome, render};

pub fn run(bundle: &Path, roster_path: &Path, json: bool) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    let bytes = std::fs::read(bundle)
        .with_context(|| format!("cannot read bundle {}", bundle.display()))?;
    let report = verify_bundle(&roster, &bytes).report;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render::report(&report));
    }
    Ok(if report.valid {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
}
