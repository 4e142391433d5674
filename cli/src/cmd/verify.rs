//! `pacta verify (--bundle FILE | --node URL) --roster FILE [--json]`
//!
//! A live node is verified exactly as a bundle: its ledger is downloaded, framed as a
//! bundle with the bytes as served, and judged by the same function.

use std::path::Path;

use anyhow::{Context, Result};
use pacta_core::proof::verify_proof;
use pacta_core::status::compute;
use pacta_core::verify::verify_bundle;

use crate::client::NodeClient;
use crate::cmd::status::today;
use crate::files::read_roster;
use crate::{Outcome, render};

/// Where the ledger comes from.
#[derive(Debug)]
pub enum Source<'a> {
    Bundle(&'a Path),
    Node(&'a str),
}

/// Reads a bundle file, or downloads a node's whole ledger framed as one.
pub async fn load(source: &Source<'_>) -> Result<Vec<u8>> {
    Ok(match source {
        Source::Bundle(path) => {
            std::fs::read(path).with_context(|| format!("cannot read bundle {}", path.display()))?
        }
        Source::Node(url) => NodeClient::new(url)?.download().await?,
    })
}

pub async fn run(source: Source<'_>, roster_path: &Path, json: bool) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    let bytes = load(&source).await?;
    // A spinner on a terminal (indicatif hides it in pipes): a million entries take a while.
    let spinner = indicatif::ProgressBar::new_spinner()
        .with_message(format!("verifying {} bytes of ledger", bytes.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let verification = verify_bundle(&roster, &bytes);
    spinner.finish_and_clear();
    let report = &verification.report;
    // Who is bound, computed only from a ledger that verified.
    let status = report
        .valid
        .then(|| compute(&roster, &verification.ledger, today()));
    if json {
        // The report's fields stay at the top level; the status joins them.
        let mut value = serde_json::to_value(report)?;
        if let (Some(object), Some(status)) = (value.as_object_mut(), &status) {
            object.insert("status".into(), serde_json::to_value(status)?);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", render::report(report));
        if let Some(status) = &status {
            print!("{}", render::bound_summary(status));
        }
    }
    Ok(if report.valid {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
}

/// `pacta verify --proof FILE --roster FILE`: offline, exit 0 valid, 1 invalid.
pub fn run_proof(path: &Path, roster_path: &Path, json: bool) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read proof {}", path.display()))?;
    match verify_proof(&roster, &bytes) {
        Ok(statement) => {
            if json {
                let value = serde_json::json!({"valid": true, "statement": statement});
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print!("{}", render::proof_verdict(&statement));
            }
            Ok(Outcome::Valid)
        }
        Err(err) => {
            if json {
                let value = serde_json::json!({"valid": false, "error": err.to_string()});
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!("INVALID proof {}: {err}", path.display());
            }
            Ok(Outcome::Invalid)
        }
    }
}
