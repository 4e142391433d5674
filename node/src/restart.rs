//! Restart in place: once its store has failed and there is room again, the node
//! executes itself afresh, with the same pid, arguments and environment, on the same
//! listening socket.
//!
//! sled 0.34 keeps the first I/O error its log meets until it is opened again, and a
//! call waiting on a write that failed may never return, so the only sure way back is
//! a new process: whatever waited on the old sled ends with it. The start that follows
//! is a start after a crash, with every check that implies (the safety copy, the
//! record of what was acknowledged; `store/mod.rs`, "Recovery"). The listening socket
//! is handed over as the new process's standard input, so connections made meanwhile
//! wait in its backlog and are answered once the store is open: `/healthz` keeps
//! answering, a little late, rather than refusing.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;

use anyhow::{Context, Result, bail};

/// Set, to the socket's address, in the environment of a node restarted in place.
const VAR: &str = "PACTA_NODE_LISTENER";

/// The listening socket handed over by a restart in place, if this process is one.
pub fn inherited() -> Result<Option<std::net::TcpListener>> {
    let Some(addr) = std::env::var_os(VAR) else {
        return Ok(None);
    };
    let fd = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .context("restarting in place: standard input")?;
    let listener = std::net::TcpListener::from(fd);
    let here = listener.local_addr().ok().map(|a| a.to_string());
    if here.as_deref() != addr.to_str() {
        bail!(
            "{VAR} is set to {addr:?}, but standard input is not a socket listening there ({here:?}); {VAR} is set only by the node itself when it restarts in place"
        );
    }
    tracing::warn!(
        addr = here.unwrap_or_default(),
        "restarted in place after the store failed"
    );
    Ok(Some(listener))
}

/// Executes the node afresh on `listener`. Returns only if that failed.
pub fn exec(listener: std::net::TcpListener, reason: &str) -> std::io::Error {
    let addr = match listener.local_addr() {
        Ok(a) => a.to_string(),
        Err(e) => return e,
    };
    tracing::warn!(%addr, "restarting in place to open the store again: {reason}");
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    std::process::Command::new(exe)
        .arg0(argv0)
        .args(args)
        .stdin(OwnedFd::from(listener))
        .env(VAR, addr)
        .exec()
}
