//! `pacta`: the command a delegation, an auditor or a developer runs.
//!
//! Exit codes: 0 success (a valid ledger), 1 an invalid ledger, 2 a usage or I/O error.

#![forbid(unsafe_code)]

mod cmd;
mod files;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Pacta: a signed, replicated ledger of which states are bound by which instrument.
#[derive(Debug, Parser)]
#[command(name = "pacta", version, about, long_about = None)]
struct Cli {
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
    /// Verify a whole ledger against the roster: exit 0 valid, 1 invalid, 2 error.
    Verify {
        /// The ledger, as a bundle file.
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
        /// The roster: the network's trust root.
        #[arg(long, value_name = "FILE")]
        roster: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Tools for developers.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
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
}

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Valid,
    Invalid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen { out } => cmd::keygen::run(&out),
        Command::Verify {
            bundle,
            roster,
            json,
        } => cmd::verify::run(&bundle, &roster, json),
        Command::Dev {
            command:
                DevCommand::Synth {
                    roster,
                    keys,
                    entries,
                    out,
                },
        } => cmd::synth::run(&roster, &keys, entries, &out),
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
