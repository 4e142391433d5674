//! `pacta verify (--bundle FILE | --node URL) --roster FILE [--pin FILE] [--json]`
//!
//! The ledger is audited as a stream (`pacta_core::audit`): a bundle file is scanned,
//! then read a slice at a time; a live node's feeds are paged, with the bytes as
//! served, and judged by the same function. Memory is bounded by the members and the
//! status, not by the ledger's size.
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
use pacta_core::audit::{Audited, Held, audit, foreign, rejected};
use pacta_core::checkpoint::{Against, Witnessed, verify_checkpoint};
use pacta_core::date::Date;
use pacta_core::ids::{MemberCode, Seq};
use pacta_core::proof::verify_proof_witnessed;
use pacta_core::scan::{BundleFile, ScanError, scan};
use pacta_core::status::Index;

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

/// Reads a bundle file, or downloads a node's whole ledger framed as one (for `pacta
/// prove`, which cuts a bundle; audits stream instead: [`stream`]).
pub async fn load(source: &Source<'_>) -> Result<Vec<u8>> {
    Ok(match source {
        Source::Bundle(path) => {
            std::fs::read(path).with_context(|| format!("cannot read bundle {}", path.display()))?
        }
        Source::Node(url) => NodeClient::new(url)?.download().await?,
    })
}

/// A ledger audited as a stream, and the status engine fed as it went.
#[derive(Debug)]
pub struct Streamed {
    pub audited: Audited,
    pub index: Index,
}

/// Audits a bundle file or a node's feeds without holding the ledger: the file is
/// scanned, then read a slice at a time; the node is paged. Memory stays bounded by
/// the members, the status and one slice (SPEC 9). `watch` lists positions whose ids
/// the caller needs (the heads of checkpoints it holds).
pub async fn stream(
    source: &Source<'_>,
    roster: &Roster,
    watch: &[(MemberCode, Seq)],
    as_of: Date,
    json: bool,
) -> Result<Streamed> {
    let bar = progress_bar(json);
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.inc(done);
    };
    let mut index = Index::new(as_of);
    let audited = match source {
        Source::Bundle(path) => {
            let open = || {
                std::fs::File::open(path)
                    .with_context(|| format!("cannot read bundle {}", path.display()))
            };
            let file = open()?;
            let len = file
                .metadata()
                .with_context(|| format!("cannot read bundle {}", path.display()))?
                .len();
            match scan(file, len) {
                Err(ScanError::Bundle(e)) => rejected(roster, "bundle", e.to_string()),
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot read bundle {}", path.display()));
                }
                Ok(scanned) => match foreign(roster, scanned.outline.network) {
                    Some(message) => rejected(roster, "network", message),
                    None => {
                        let mut feeds = BundleFile::new(open()?, &scanned);
                        audit(
                            roster,
                            &scanned.outline,
                            &mut feeds,
                            &mut index,
                            true,
                            watch,
                            &progress,
                        )
                        .with_context(|| format!("cannot read bundle {}", path.display()))?
                    }
                },
            }
        }
        Source::Node(url) => {
            let (outline, mut feeds) = NodeClient::new(url)?.outline().await?;
            match foreign(roster, outline.network) {
                Some(message) => rejected(roster, "network", message),
                // The audit is synchronous and pages the node as it goes: off the
                // async workers, blocking on each page.
                None => tokio::task::block_in_place(|| {
                    audit(
                        roster, &outline, &mut feeds, &mut index, true, watch, &progress,
                    )
                })?,
            }
        }
    };
    bar.finish_and_clear();
    for fork in &audited.forks {
        index.fork(fork.member());
    }
    Ok(Streamed { audited, index })
}

/// The positions of a checkpoint's heads, to watch while auditing.
fn heads_of(w: &Witnessed) -> impl Iterator<Item = (MemberCode, Seq)> + '_ {
    w.checkpoint.heads.iter().map(|(c, h)| (*c, h.seq))
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
    // The pin too, so that its heads are watched as the feeds stream by.
    let pinned_before = match pin {
        Some(path) => read_pin(&roster, path)?,
        None => None,
    };
    let mut watch: Vec<(MemberCode, Seq)> = held.iter().flat_map(|(_, w)| heads_of(w)).collect();
    watch.extend(pinned_before.iter().flat_map(heads_of));
    let mut streamed = stream(&source, &roster, &watch, today(), json).await?;
    let audited = &streamed.audited;
    let report = &audited.report;
    // Who is bound, computed only from a ledger that verified.
    let status = report.valid.then(|| streamed.index.status(&audited.roster));
    // The first held checkpoint the ledger does not extend, if any.
    let behind = report
        .valid
        .then(|| {
            held.iter().find_map(|(path, w)| {
                extends(&audited.held, w, "held").err().map(|problem| {
                    format!(
                        "{problem}. The ledger does not extend the cosigned checkpoint held in {}.\n\nheld checkpoint (signed by {}):\n{}\nthis ledger's checkpoint{}",
                        path.display(),
                        w.signer_list(),
                        w.note.to_text(),
                        audited.checkpoint.as_ref().map_or_else(
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
            Some(check_pin(path, pinned_before.as_ref(), audited)?)
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
        outln!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        out!("{}", render::report(report));
        if let Some(status) = &status {
            out!("{}", render::bound_summary(status));
        }
        if let Some(behind) = &behind {
            outln!("\n{behind}");
        }
        if let Some(pinned) = &pinned {
            outln!("\n{}", pinned.message);
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

/// A progress bar on stderr with entries per second, only when a person watches: both
/// stdout and stderr are terminals and the output is not `--json`. Otherwise hidden, so
/// that pipes and scripts get nothing extra.
pub fn progress_bar(json: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if json || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template(
        "verifying [{bar:30}] {human_pos}/{human_len} entries, {per_sec}, {eta} left",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bar = indicatif::ProgressBar::new(0).with_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
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
                outln!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                out!("{}", render::proof_verdict(&statement));
                match checkpoint {
                    Some(c) => outln!(
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
                    None => outln!(
                        "The proof carries no cosigned checkpoint: nothing witnesses that its feeds were not cut short."
                    ),
                }
            }
            Ok(Outcome::Valid)
        }
        Err(err) => {
            if json {
                let value = serde_json::json!({"valid": false, "error": err.to_string()});
                outln!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                outln!("INVALID proof {}: {err}", path.display());
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
fn extends(held: &Held, w: &Witnessed, which: &str) -> Result<(), String> {
    for (code, head) in &w.checkpoint.heads {
        match held.against(*code, *head) {
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
/// The checkpoint pinned in `path`, or none on a first run (no file).
fn read_pin(roster: &Roster, path: &Path) -> Result<Option<Witnessed>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(verify_checkpoint(roster, &bytes).with_context(
            || {
                format!(
                    "the pin file {} is not a checkpoint of this network",
                    path.display()
                )
            },
        )?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read pin file {}", path.display())),
    }
}

fn check_pin(path: &Path, old: Option<&Witnessed>, audited: &Audited) -> Result<Pinned> {
    let Some(new) = &audited.checkpoint else {
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
    if let Some(old) = old {
        if let Err(problem) = extends(&audited.held, old, "pinned") {
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
