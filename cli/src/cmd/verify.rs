//! `pacta verify (--bundle FILE | --node URL) --roster FILE [--pin FILE] [--json]`
//!
//! A live node is verified exactly as a bundle: its ledger is downloaded, framed as a
//! bundle with the bytes as served, and judged by the same function.
//!
//! With `--pin`, the cosigned checkpoint accepted is kept in a file, and the next run
//! refuses a ledger that does not hold every head of the pinned checkpoint: a node
//! restored from an old backup, or one hiding entries, is caught the way Go's
//! checksum database client catches it, by showing both signed notes.
//!
//! With `--checkpoint`, each cosigned checkpoint the auditor holds is a head the ledger
//! must extend: a node serving an old, genuinely cosigned checkpoint with the ledger
//! cut at it is caught by any newer one the auditor got elsewhere.

use std::path::Path;

use anyhow::{Context, Result};
use pacta_core::Roster;
use pacta_core::checkpoint::{Against, Witnessed, against, verify_checkpoint};
use pacta_core::proof::verify_proof_witnessed;
use pacta_core::status::compute;
use pacta_core::verify::Ledger;
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

pub async fn run(
    source: Source<'_>,
    roster_path: &Path,
    pin: Option<&Path>,
    held: &[std::path::PathBuf],
    json: bool,
) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    // Read before the ledger: a held checkpoint that is not one is an error (exit 2).
    let held = held
        .iter()
        .map(|path| read_held(&roster, path).map(|w| (path.as_path(), w)))
        .collect::<Result<Vec<_>>>()?;
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
    // The first held checkpoint the ledger does not extend, if any.
    let behind = report
        .valid
        .then(|| {
            held.iter().find_map(|(path, w)| {
                extends(&verification.ledger, w, "held").err().map(|problem| {
                    format!(
                        "{problem}. The ledger does not extend the cosigned checkpoint held in {}.\n\nheld checkpoint (signed by {}):\n{}\nthis ledger's checkpoint{}",
                        path.display(),
                        w.signer_list(),
                        w.note.to_text(),
                        verification.ledger.checkpoint.as_ref().map_or_else(
                            || ": none".to_owned(),
                            |c| format!(" (signed by {}):\n{}", c.signer_list(), c.note.to_text())
                        )
                    )
                })
            })
        })
        .flatten();
    let pinned = match pin {
        Some(path) if report.valid && behind.is_none() => {
            Some(check_pin(&roster, path, &verification.ledger)?)
        }
        _ => None,
    };
    if json {
        // The report's fields stay at the top level; the status joins them.
        let mut value = serde_json::to_value(report)?;
        if let (Some(object), Some(status)) = (value.as_object_mut(), &status) {
            object.insert("status".into(), serde_json::to_value(status)?);
        }
        if let (Some(object), Some(pinned)) = (value.as_object_mut(), &pinned) {
            object.insert(
                "pin".into(),
                serde_json::json!({"ok": pinned.ok, "message": pinned.message}),
            );
        }
        if let (Some(object), Some(behind)) = (value.as_object_mut(), &behind) {
            object.insert(
                "held_checkpoint".into(),
                serde_json::json!({"ok": false, "message": behind}),
            );
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", render::report(report));
        if let Some(status) = &status {
            print!("{}", render::bound_summary(status));
        }
        if let Some(behind) = &behind {
            println!("\n{behind}");
        }
        if let Some(pinned) = &pinned {
            println!("\n{}", pinned.message);
        }
    }
    Ok(
        if report.valid && behind.is_none() && pinned.as_ref().is_none_or(|p| p.ok) {
            Outcome::Valid
        } else {
            Outcome::Invalid
        },
    )
}

/// `pacta verify --proof FILE --roster FILE`: offline, exit 0 valid, 1 invalid.
pub fn run_proof(path: &Path, roster_path: &Path, json: bool) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read proof {}", path.display()))?;
    match verify_proof_witnessed(&roster, &bytes) {
        Ok((statement, checkpoint)) => {
            if json {
                let value = serde_json::json!({"valid": true, "statement": statement, "checkpoint": checkpoint});
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print!("{}", render::proof_verdict(&statement));
                match checkpoint {
                    Some(c) => println!(
                        "Cut at the checkpoint of node {} at {}, signed by {} ({} signatures, quorum {}); the carried feeds extend it.",
                        c.node,
                        c.time,
                        c.signers
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                        c.signers.len(),
                        c.quorum
                    ),
                    None => println!(
                        "The proof carries no cosigned checkpoint: nothing witnesses that its feeds were not cut short."
                    ),
                }
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

/// Reads a checkpoint the auditor holds: it must verify and have its quorum, or it
/// vouches for nothing.
fn read_held(roster: &Roster, path: &Path) -> Result<Witnessed> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read checkpoint {}", path.display()))?;
    let w = verify_checkpoint(roster, &bytes)
        .with_context(|| format!("{}: not a checkpoint of this network", path.display()))?;
    if !w.has_quorum() {
        anyhow::bail!(
            "{}: the checkpoint of {} at {} is signed by {}, short of the quorum, so it vouches for nothing",
            path.display(),
            w.checkpoint.node,
            w.checkpoint.time,
            w.signer_list()
        );
    }
    Ok(w)
}

/// Whether the verified ledger holds every head of `w`; if not, the first that it
/// does not, as a sentence starting ROLLBACK or SPLIT VIEW.
/// `which` names the checkpoint in the sentence ("pinned", "held").
fn extends(ledger: &Ledger, w: &Witnessed, which: &str) -> Result<(), String> {
    for (code, head) in &w.checkpoint.heads {
        let ids: Vec<_> = ledger
            .feeds
            .iter()
            .find(|f| f.member == *code)
            .map(|f| f.entries.iter().map(|e| e.id()).collect())
            .unwrap_or_default();
        match against(&ids, *head) {
            Against::Extends => {}
            Against::Short { held } => {
                return Err(format!(
                    "ROLLBACK: the {which} checkpoint has {code} {} = {}, but this ledger holds {code} only up to #{held}",
                    head.seq,
                    head.id.short()
                ));
            }
            Against::Differs { held } => {
                return Err(format!(
                    "SPLIT VIEW: the {which} checkpoint has {code} {} = {}, but this ledger holds {} there",
                    head.seq,
                    head.id.short(),
                    held.short()
                ));
            }
        }
    }
    Ok(())
}

/// What `--pin` found.
#[derive(Debug)]
struct Pinned {
    ok: bool,
    message: String,
}

/// Checks the ledger against the pinned checkpoint, then pins the ledger's own
/// checkpoint if it is newer. A missing pin file is a first run.
fn check_pin(roster: &Roster, path: &Path, ledger: &Ledger) -> Result<Pinned> {
    let Some(new) = &ledger.checkpoint else {
        return Ok(Pinned {
            ok: false,
            message: "PIN REFUSED: the ledger carries no checkpoint with a quorum of cosignatures, so nothing shows it is not rolled back; nothing was pinned".into(),
        });
    };
    if !new.has_quorum() {
        return Ok(Pinned {
            ok: false,
            message: format!(
                "PIN REFUSED: the ledger's checkpoint is signed by {} only; nothing was pinned",
                new.signer_list()
            ),
        });
    }
    let old = match std::fs::read(path) {
        Ok(bytes) => Some(verify_checkpoint(roster, &bytes).with_context(|| {
            format!(
                "the pin file {} is not a checkpoint of this network",
                path.display()
            )
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read pin file {}", path.display()));
        }
    };
    if let Some(old) = &old {
        if let Err(problem) = extends(ledger, old, "pinned") {
            return Ok(Pinned {
                ok: false,
                message: format!(
                    "{problem}. The ledger does not extend the checkpoint pinned in {}; the pin is kept.\n\npinned checkpoint (signed by {}):\n{}\nthis ledger's checkpoint (signed by {}):\n{}",
                    path.display(),
                    old.signer_list(),
                    old.note.to_text(),
                    new.signer_list(),
                    new.note.to_text()
                ),
            });
        }
        if new.checkpoint.time <= old.checkpoint.time {
            return Ok(Pinned {
                ok: true,
                message: format!(
                    "The ledger extends the pinned checkpoint of {} at {}; the pin is kept (the ledger's own checkpoint is not newer).",
                    old.checkpoint.node, old.checkpoint.time
                ),
            });
        }
    }
    let tmp = path.with_extension("pin.tmp");
    std::fs::write(&tmp, new.note.to_text())
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("cannot write pin file {}", path.display()))?;
    Ok(Pinned {
        ok: true,
        message: format!(
            "{} the checkpoint of {} at {}, signed by {}, in {}.",
            if old.is_some() {
                "The ledger extends the pinned checkpoint. Pinned"
            } else {
                "Pinned"
            },
            new.checkpoint.node,
            new.checkpoint.time,
            new.signer_list(),
            path.display()
        ),
    })
}
