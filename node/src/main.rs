//! `pacta-node`: the node a member runs.
//!
//! A skeleton until the nodes issue lands: it parses the contract's flags and checks
//! the roster and the member, then says plainly that it does not serve yet.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use pacta_core::{MemberCode, Roster};

/// The Pacta node: stores, verifies and replicates every member's feed.
#[derive(Debug, Parser)]
#[command(name = "pacta-node", version, about)]
struct Args {
    /// The roster: the network's trust root.
    #[arg(long, value_name = "FILE")]
    roster: PathBuf,
    /// The member whose node this is.
    #[arg(long, value_name = "CODE")]
    member: MemberCode,
    /// Where the node keeps its store.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Address to listen on, e.g. 127.0.0.1:7001.
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// A peer's URL; defaults to the other members' nodes in the roster.
    #[arg(long, value_name = "URL")]
    peer: Vec<String>,
    /// A TOML file with any of the flags above.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

fn run(args: Args) -> Result<()> {
    let text = std::fs::read_to_string(&args.roster)
        .with_context(|| format!("cannot read roster {}", args.roster.display()))?;
    let roster = Roster::from_toml(&text)
        .with_context(|| format!("{} is not a valid roster", args.roster.display()))?;
    if roster.member(args.member).is_none() {
        bail!(
            "{} is not a member of network {}",
            args.member,
            roster.network_name()
        );
    }
    bail!("the node does not serve yet: storage, HTTP and replication arrive with the nodes issue")
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pacta-node: {err:#}");
            ExitCode::from(2)
        }
    }
}
