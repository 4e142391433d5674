//! `pacta`: the command a delegation, an auditor or a developer runs.
//!
//! Exit codes: 0 success (a valid ledger, a stored entry), 1 an invalid ledger or an
//! entry the node refused, 2 a usage, network or I/O error. A reader that closes
//! stdout early (`pacta verify … | head`) changes none of these: the command stops
//! writing and exits with the code it would have had (`out`).

#![forbid(unsafe_code)]

#[macro_use]
mod out;
mod client;
mod cmd;
mod example;
mod files;
mod journal;
mod render;
mod scenario;

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{ArgGroup, Parser, Subcommand};
use pacta_core::MemberCode;

/// Pacta: a signed, replicated ledger of which states are bound by which instrument.
#[derive(Debug, Parser)]
#[command(name = "pacta", version, about, long_about = None)]
struct Cli {
    /// Trust the certificates in this PEM file for nodes served over HTTPS, besides
    /// the system's roots (a private CA).
    #[arg(long, global = true, value_name = "FILE")]
    ca: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a secret key (file mode 0600) and print its public key.
    Keygen {
        /// Where to write the secret key; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign an entry on this machine and submit it to a node.
    Submit {
        /// The node to submit to, e.g. http://127.0.0.1:7001.
        #[arg(long, value_name = "URL")]
        node: String,
        /// The member's secret key file. Its journal is kept beside it (FILE.journal),
        /// beside the file itself when FILE is a symlink.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The member signing.
        #[arg(long, value_name = "CODE")]
        member: MemberCode,
        /// The entry as JSON: {"kind": "note", "payload": {"text": "..."}}.
        #[arg(long, value_name = "FILE")]
        body: Option<PathBuf>,
        /// Sign on top of the node's head even if the journal disagrees with the node.
        #[arg(long)]
        force: bool,
        #[command(subcommand)]
        kind: Option<KindCommand>,
    },
    /// Write a node's whole ledger to one bundle file.
    Export {
        #[arg(long, value_name = "URL")]
        node: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verify a whole ledger, or a proof, against the roster: exit 0 valid, 1 invalid,
    /// 2 error. A valid ledger's report ends with who is bound by each legal instrument.
    #[command(group(ArgGroup::new("source").required(true).args(["bundle", "node", "proof"])))]
    Verify {
        /// The ledger, as a bundle file.
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        /// The ledger, as a live node serves it.
        #[arg(long, value_name = "URL")]
        node: Option<String>,
        /// A proof written by `pacta prove`, checked offline.
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
        /// The roster: the network's trust root.
        #[arg(long, value_name = "FILE")]
        roster: PathBuf,
        /// Rollback protection: remember the cosigned checkpoint accepted in FILE, and
        /// refuse, on the next run, a ledger that does not extend it.
        #[arg(long, value_name = "FILE", conflicts_with = "proof")]
        pin: Option<PathBuf>,
        /// A cosigned checkpoint the auditor holds (fetched from another node, or kept
        /// from an earlier run): refuse a ledger that does not extend it. May be given
        /// more than once.
        #[arg(long = "checkpoint", value_name = "FILE", conflicts_with = "proof")]
        checkpoints: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Follow changes of status on a node as they happen (server-sent events).
    Watch {
        #[arg(long, value_name = "URL")]
        node: String,
        /// Only changes about this member.
        #[arg(long, value_name = "CODE")]
        member: Option<String>,
        /// Only changes under this instrument: its short name or id.
        #[arg(long, value_name = "ID")]
        instrument: Option<String>,
        /// Print every new entry too, not only changes of status.
        #[arg(long)]
        entries: bool,
        /// Start from the node's first event instead of from now.
        #[arg(long)]
        replay: bool,
        /// Stop after printing this many events.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Who is bound by which instrument, as a "Status of Treaties" table.
    #[command(group(ArgGroup::new("source").required(true).args(["bundle", "node"])))]
    Status {
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        #[arg(long, value_name = "URL")]
        node: Option<String>,
        #[arg(long, value_name = "FILE")]
        roster: PathBuf,
        /// Only this member's row, followed by its timeline.
        #[arg(long, value_name = "CODE")]
        member: Option<MemberCode>,
        /// Only this instrument: its short name, its id, or an id prefix of 8+ digits.
        #[arg(long, value_name = "ID")]
        instrument: Option<String>,
        /// The status on this day (YYYY-MM-DD); today (UTC) by default.
        #[arg(long, value_name = "DATE")]
        as_of: Option<pacta_core::date::Date>,
        #[arg(long)]
        json: bool,
    },
    /// Write a self-contained proof of one member's status for one instrument.
    #[command(group(ArgGroup::new("source").required(true).args(["bundle", "node"])))]
    Prove {
        #[arg(long, value_name = "CODE")]
        member: MemberCode,
        /// The instrument: its short name, its id, or an id prefix of 8+ digits.
        #[arg(long, value_name = "ID")]
        instrument: String,
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        #[arg(long, value_name = "URL")]
        node: Option<String>,
        #[arg(long, value_name = "FILE")]
        roster: PathBuf,
        /// The status on this day (YYYY-MM-DD); today (UTC) by default.
        #[arg(long, value_name = "DATE")]
        as_of: Option<pacta_core::date::Date>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Run a local network with the Paris Declaration scenario.
    Demo {
        /// How many nodes (FR, GB, UA, DE, US, then the other members).
        #[arg(long, default_value_t = 5, value_name = "N")]
        nodes: usize,
        /// Exit once the scenario is replicated and verified, instead of serving.
        #[arg(long)]
        exit: bool,
        /// The first node's port; the others follow it. 0 lets each node take a free
        /// port, so a demo never fights with another program (or another demo).
        #[arg(long, default_value_t = 7001, value_name = "BASE")]
        port: u16,
    },
    /// Tools for developers.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KindCommand {
    /// A note: free text with no legal effect.
    Note {
        #[arg(long, value_name = "TEXT")]
        text: String,
    },
}

#[derive(Debug, Subcommand)]
enum DevCommand {
    /// Write a valid synthetic bundle of N notes spread over the roster's members.
    Synth {
        #[arg(long, value_name = "FILE")]
        roster: PathBuf,
        /// A folder holding `<CODE>.key` for every member of the roster.
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        #[arg(long, value_name = "N")]
        entries: u64,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write the demo's ledger, signed offline with the example keys, as a bundle.
    Scenario {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// The ledger's source from `--bundle` or `--node`. clap's ArgGroup already requires
/// one; say so rather than assume.
fn source<'a>(
    bundle: &'a Option<PathBuf>,
    node: &'a Option<String>,
) -> Result<cmd::verify::Source<'a>> {
    match (bundle, node) {
        (Some(path), _) => Ok(cmd::verify::Source::Bundle(path)),
        (None, Some(url)) => Ok(cmd::verify::Source::Node(url)),
        (None, None) => Err(anyhow::anyhow!(
            "give the ledger with --bundle FILE or --node URL"
        )),
    }
}

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Valid,
    Invalid,
}

fn block_on(f: impl Future<Output = Result<Outcome>>) -> Result<Outcome> {
    tokio::runtime::Runtime::new()?.block_on(f)
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PACTA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(path) = &cli.ca
        && let Err(err) = client::trust(path)
    {
        eprintln!("pacta: {err:#}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Keygen { out } => cmd::keygen::run(&out),
        Command::Submit {
            node,
            key,
            member,
            body,
            force,
            kind,
        } => {
            let body = match (body.as_deref(), kind) {
                (Some(path), None) => Ok(cmd::submit::Body::File(path)),
                (None, Some(KindCommand::Note { text })) => Ok(cmd::submit::Body::Note { text }),
                _ => Err(anyhow::anyhow!(
                    "give the entry as a kind (e.g. `note --text TEXT`) or with --body FILE"
                )),
            };
            body.and_then(|body| block_on(cmd::submit::run(&node, &key, member, body, force)))
        }
        Command::Export { node, out } => block_on(cmd::export::run(&node, &out)),
        Command::Verify {
            bundle,
            node,
            proof,
            roster,
            pin,
            checkpoints,
            json,
        } => match (&proof, source(&bundle, &node)) {
            (Some(path), _) => cmd::verify::run_proof(path, &roster, json),
            (None, Ok(source)) => block_on(cmd::verify::run(
                source,
                &roster,
                pin.as_deref(),
                &checkpoints,
                json,
            )),
            (None, Err(e)) => Err(e),
        },
        Command::Watch {
            node,
            member,
            instrument,
            entries,
            replay,
            count,
        } => block_on(cmd::watch::run(
            &node,
            cmd::watch::Query {
                member,
                instrument,
                entries,
                replay,
                count,
            },
        )),
        Command::Status {
            bundle,
            node,
            roster,
            member,
            instrument,
            as_of,
            json,
        } => source(&bundle, &node).and_then(|source| {
            let query = cmd::status::Query {
                member,
                instrument: instrument.as_deref(),
                as_of,
                json,
            };
            block_on(cmd::status::run(source, &roster, query))
        }),
        Command::Prove {
            member,
            instrument,
            bundle,
            node,
            roster,
            as_of,
            out,
        } => source(&bundle, &node).and_then(|source| {
            block_on(cmd::prove::run(
                source,
                &roster,
                member,
                &instrument,
                as_of,
                &out,
            ))
        }),
        Command::Demo { nodes, exit, port } => block_on(cmd::demo::run(nodes, exit, port)),
        Command::Dev {
            command:
                DevCommand::Synth {
                    roster,
                    keys,
                    entries,
                    out,
                },
        } => cmd::synth::run(&roster, &keys, entries, &out),
        Command::Dev {
            command: DevCommand::Scenario { out },
        } => cmd::scenario_bundle::run(&out),
    };
    match result {
        Ok(Outcome::Valid) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(1),
        Err(err) => {
            eprintln!("pacta: {err:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
