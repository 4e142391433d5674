//! `pacta-node`: parses flags and the config file, binds, and runs the node library.
//!
//! Prints one line to stdout once it serves, `pacta-node <CODE> serving http://ADDR`,
//! so scripts and tests that pass `--listen 127.0.0.1:0` learn the port. Logs go to
//! stderr. Exit code 0 after a clean shutdown (SIGINT or SIGTERM), 2 on any error, 3
//! when the store failed and the node could not restart itself in place (see
//! `restart.rs`).

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

mod restart;
use clap::Parser;
use pacta_node::config::{Config, DEFAULT_PULL_INTERVAL, FileConfig, load_roster, read_node_key};

/// The Pacta node: stores, verifies and replicates every member's feed.
#[derive(Debug, Parser)]
#[command(name = "pacta-node", version, about)]
struct Args {
    /// The roster: the network's trust root.
    #[arg(long, value_name = "FILE", global = true)]
    roster: Option<PathBuf>,
    /// The member whose node this is.
    #[arg(long, value_name = "CODE")]
    member: Option<String>,
    /// The folder of the node's store (created if missing).
    #[arg(long, value_name = "DIR", global = true)]
    data: Option<PathBuf>,
    /// The address to listen on, e.g. 127.0.0.1:7001 (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// A peer's URL, repeatable; defaults to every other member's node in the roster.
    #[arg(long, value_name = "URL")]
    peer: Vec<String>,
    /// Milliseconds between pulls from each peer.
    #[arg(long, value_name = "MS")]
    pull_interval_ms: Option<u64>,
    /// The node's own secret key, which signs checkpoints and cosignatures (never
    /// entries). Required when the roster lists a node_key for this member.
    #[arg(long, value_name = "FILE")]
    node_key: Option<PathBuf>,
    /// Milliseconds between checkpoints.
    #[arg(long, value_name = "MS")]
    checkpoint_interval_ms: Option<u64>,
    /// Check every entry of the store at start-up (decoded and chained), instead of
    /// each feed's head and the entries the status rests on, on top of sled's own
    /// checksums. Slower: about 1 s per 300,000 entries.
    #[arg(long)]
    check_store: bool,
    /// Entries per second each client address may submit (bursts of 10 s); 0 turns the
    /// limit off. Peers count too: give it room for the network's traffic.
    #[arg(long, value_name = "N")]
    write_rate: Option<u32>,
    /// Feed pages, fork proofs, event streams and pages per second each client address
    /// may ask for (bursts of 10 s); 0 turns the limit off.
    #[arg(long, value_name = "N")]
    read_rate: Option<u32>,
    /// Most connections open at once; more are closed at once (lowered to fit the
    /// open-file limit).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Most event streams (`/v1/events`) open at once, at most half the connections
    /// (default 1,024); more get 429 or 503 `too-many-streams`.
    #[arg(long, value_name = "N")]
    max_streams: Option<usize>,
    /// One client address may hold at most 1/N of the connections, of the event
    /// streams, of the submission bodies in memory and of the answers waiting for slow
    /// readers (default 8; 1 lets one address hold all, as behind a reverse proxy).
    #[arg(long, value_name = "N")]
    address_share: Option<usize>,
    /// MiB kept free on the store's filesystem (default 16): below it, writes get 507
    /// at once, before the store meets a full disk; 0 keeps no reserve.
    #[arg(long, value_name = "MIB")]
    store_reserve_mib: Option<u64>,
    /// Serve HTTPS with this certificate chain (PEM); reloaded on SIGHUP.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A reverse proxy (address or CIDR block), repeatable: on requests from it, the
    /// per-address limits count the client named by `Forwarded` or `X-Forwarded-For`.
    #[arg(long, value_name = "CIDR")]
    trusted_proxy: Vec<String>,
    /// Trust these certificates (PEM) for peers, besides the system's roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// `/readyz` answers 503 while the node lags more than N entries behind half of
    /// its peers or more (default 1,000).
    #[arg(long, value_name = "N")]
    ready_lag: Option<u64>,
    /// How log lines are written to stderr: `text` (colours only on a terminal) or
    /// `json`, one object a line, for log shippers.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    tool: Option<Tool>,
    /// A TOML file with any of the settings above, by the same names (`peer` is a list).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

async fn run(args: Args) -> Result<Outcome> {
    if let Some(t) = args.tool {
        return tool(t, args.roster, args.data).await;
    }
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let missing =
        |flag: &str| anyhow::anyhow!("--{flag} is required (as a flag or in the --config file)");
    let roster_path = args
        .roster
        .or(file.roster)
        .ok_or_else(|| missing("roster"))?;
    let member = args
        .member
        .or(file.member)
        .ok_or_else(|| missing("member"))?;
    let member = member
        .parse()
        .with_context(|| format!("--member {member:?}"))?;
    let data = args.data.or(file.data).ok_or_else(|| missing("data"))?;
    let listen = args
        .listen
        .or(file.listen)
        .ok_or_else(|| missing("listen"))?;
    let peers = if args.peer.is_empty() {
        file.peer.unwrap_or_default()
    } else {
        args.peer
    };
    let interval = args
        .pull_interval_ms
        .or(file.pull_interval_ms)
        .map_or(DEFAULT_PULL_INTERVAL, Duration::from_millis);
    let mut config = Config::new(load_roster(&roster_path)?, member, data, &peers, interval)?;
    if let Some(path) = args.node_key.or(file.node_key) {
        config = config.with_node_key(read_node_key(&path)?)?;
    }
    if let Some(ms) = args.checkpoint_interval_ms.or(file.checkpoint_interval_ms) {
        if ms == 0 {
            anyhow::bail!("the checkpoint interval must be more than 0 ms");
        }
        config.checkpoint_interval = Duration::from_millis(ms);
    }
    if args.check_store || file.check_store.unwrap_or(false) {
        config.check_store = pacta_node::store::Check::Full;
    }
    if let Some(n) = args.write_rate.or(file.write_rate) {
        config.write_rate = n;
    }
    if let Some(n) = args.read_rate.or(file.read_rate) {
        config.read_rate = n;
    }
    if let Some(n) = args.max_connections.or(file.max_connections) {
        if n == 0 {
            anyhow::bail!("--max-connections must be at least 1");
        }
        config.max_connections = n;
    }
    if let Some(n) = args.max_streams.or(file.max_streams) {
        if n == 0 {
            anyhow::bail!("--max-streams must be at least 1");
        }
        config.max_streams = n;
    }
    if let Some(n) = args.address_share.or(file.address_share) {
        if n == 0 {
            anyhow::bail!("--address-share must be at least 1 (1: one address may hold all)");
        }
        config.address_share = n;
    }
    if let Some(mib) = args.store_reserve_mib.or(file.store_reserve_mib) {
        config.store_reserve = mib
            .checked_mul(1024 * 1024)
            .ok_or_else(|| anyhow::anyhow!("--store-reserve-mib {mib} is too large"))?;
    }
    match (
        args.tls_cert.or(file.tls_cert),
        args.tls_key.or(file.tls_key),
    ) {
        (Some(cert), Some(key)) => config.tls = Some(pacta_node::tls::TlsFiles { cert, key }),
        (None, None) => {}
        _ => {
            anyhow::bail!("--tls-cert and --tls-key go together (as flags or in the --config file)")
        }
    }
    let proxies = if args.trusted_proxy.is_empty() {
        file.trusted_proxy.unwrap_or_default()
    } else {
        args.trusted_proxy
    };
    config.trusted_proxies = proxies
        .iter()
        .map(|p| pacta_node::proxy::parse_net(p).map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    if let Some(path) = args.ca.or(file.ca) {
        config.ca = pacta_node::config::load_ca(&path)?;
    }
    if let Some(n) = args.ready_lag.or(file.ready_lag) {
        config.ready_lag = n;
    }
    config.check_node_key()?;

    let listener = match restart::inherited()? {
        Some(listener) => listener,
        None => std::net::TcpListener::bind(listen)
            .with_context(|| format!("cannot listen on {listen}"))?,
    };
    listener.set_nonblocking(true)?;
    // Kept for a restart in place: the socket stays open, so connections wait in its
    // backlog meanwhile instead of being refused.
    let spare = listener.try_clone()?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let member = config.member;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    // Said once the store is open and checked and the node serves. Not `println!`:
    // after a restart in place, whoever read the first start's line may be gone, and a
    // closed stdout must not stop the node.
    let announce = move |addr: std::net::SocketAddr| {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "pacta-node {member} serving {scheme}://{addr}");
        let _ = out.flush();
    };
    match pacta_node::run(listener, config, announce, shutdown_signal()).await? {
        pacta_node::Stopped::Shutdown => Ok(Outcome::Stopped),
        pacta_node::Stopped::Restart(reason) => Ok(Outcome::Restart(spare, reason)),
    }
}

/// What `pacta-node` does instead of running a node.
#[derive(Debug, clap::Subcommand)]
enum Tool {
    /// Writes a backup of the store in --data (and its never-regress record) to a
    /// file, whether the node runs or not.
    Backup {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Builds the store in --data (empty or missing) from a backup, record included.
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Builds the store in --data (empty or missing) from an exported bundle
    /// (`pacta export`), checking every entry.
    Import {
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
    },
}

/// Runs a tool; every entry is checked against the roster.
async fn tool(tool: Tool, roster: Option<PathBuf>, data: Option<PathBuf>) -> Result<Outcome> {
    let roster = roster.context("--roster is required")?;
    let data = data.context("--data is required")?;
    let roster = std::sync::Arc::new(load_roster(&roster)?);
    let (what, counts) = match tool {
        Tool::Backup { out } => (
            format!("backed up {} to {}", data.display(), out.display()),
            pacta_node::backup::backup(roster, &data, &out).await?,
        ),
        Tool::Restore { from } => (
            format!("restored {} from {}", data.display(), from.display()),
            tokio::task::spawn_blocking(move || {
                pacta_node::backup::import(roster, &from, &data, true)
            })
            .await??,
        ),
        Tool::Import { bundle } => (
            format!("imported {} into {}", bundle.display(), data.display()),
            tokio::task::spawn_blocking(move || {
                pacta_node::backup::import(roster, &bundle, &data, false)
            })
            .await??,
        ),
    };
    println!("{what}: {counts}");
    Ok(Outcome::Stopped)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr at `PACTA_LOG`'s levels (default `info`). sled's own lines stay at
/// `warn` unless `PACTA_LOG` names sled: at `debug` it writes one per page it touches.
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal;
    let asked = std::env::var("PACTA_LOG").unwrap_or_else(|_| "info".into());
    let directives = if asked.contains("sled") {
        asked
    } else {
        format!("{asked},sled=warn")
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!(
            "pacta-node: PACTA_LOG={directives:?} is not a valid filter ({e}); logging at info"
        );
        tracing_subscriber::EnvFilter::new("info,sled=warn")
    });
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

/// How `run` ended.
enum Outcome {
    Stopped,
    /// The store failed and there is room again: start afresh on the same socket.
    Restart(std::net::TcpListener, String),
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}

/// glibc's malloc gives each thread that allocates an arena of its own, up to eight
/// per core, and an arena keeps what it has freed for later. A node runs about twenty
/// threads (tokio's and sled's), so its memory grew with the arenas rather than with
/// what it holds: at 300,000 entries a node measured 353 MiB of RSS with glibc's
/// default and 119 MiB with two arenas, and ingested as fast. glibc reads
/// `MALLOC_ARENA_MAX` once, as the process starts, so the node sets it by executing
/// itself again (the same pid, arguments and environment) unless its caller chose a
/// value. Nothing else changes: if the exec fails, the node goes on with the default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    const VAR: &str = "MALLOC_ARENA_MAX";
    if std::env::var_os(VAR).is_some() {
        return;
    }
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let err = std::process::Command::new(
        std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into()),
    )
    .arg0(argv0)
    .args(args)
    .env(VAR, "2")
    .exec();
    eprintln!("pacta-node: could not set {VAR} ({err}); going on with glibc's default");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let args = Args::parse();
    init_logs(args.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pacta-node: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(run(args));
    // Whatever still waits on a store that failed is dropped with the runtime, which
    // the exec below ends anyway.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Ok(Outcome::Stopped) => ExitCode::SUCCESS,
        Ok(Outcome::Restart(listener, reason)) => {
            let err = restart::exec(listener, &reason);
            eprintln!(
                "pacta-node: the store failed ({reason}) and the node could not restart itself in place: {err}; start it again"
            );
            ExitCode::from(3)
        }
        Err(err) => {
            eprintln!("pacta-node: {err:#}");
            ExitCode::from(2)
        }
    }
}
