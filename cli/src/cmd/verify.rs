//! `pacta verify (--bundle FILE | --node URL) --roster FILE [--json]`
//!
//! A live node is verified exactly as a bundle: its ledger is downloaded, framed as a
//! bundle with the bytes as served, and judged by the same function.

use std::path::Path;

use anyhow::{Context, Result};
use pacta_core::verify::verify_bundle;

use crate::client::NodeClient;
use crate::files::read_roster;
use crate::{Outcome, render};

/// Where the ledger comes from.
#[derive(Debug)]
pub enum Source<'a> {
    Bundle(&'a Path),
    Node(&'a str),
}

pub async fn run(source: Source<'_>, roster_path: &Path, json: bool) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    let bytes = match source {
        Source::Bundle(path) => {
            std::fs::read(path).with_context(|| format!("cannot read bundle {}", path.display()))?
        }
        Source::Node(url) => NodeClient::new(url)?.download().await?,
    };
    // A spinner on a terminal (indicatif hides it in pipes): a million entries take a while.
    let spinner = indicatif::ProgressBar::new_spinner()
        .with_message(format!("verifying {} bytes of ledger", bytes.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = verify_bundle(&roster, &bytes).report;
    spinner.finish_and_clear();
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
