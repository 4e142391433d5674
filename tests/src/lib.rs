//! Helpers for end-to-end tests: the workspace's binaries and its example data.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Path to a binary of this workspace (`pacta`, `pacta-node`), built on first use.
///
/// Cargo only builds a package's binaries for that package's own integration tests, so
/// this crate asks cargo to build them (a no-op when `cargo test --workspace` already
/// has) with the same profile as the running test.
#[allow(
    clippy::panic,
    reason = "a test helper: a test without its binaries must fail loudly"
)]
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace()).args([
            "build",
            "--quiet",
            "-p",
            "pacta-cli",
            "-p",
            "pacta-node",
        ]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            other => Err(format!("building the binaries failed: {other:?}")),
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    // A test runs from target/<profile>/deps/, a binary of this crate (the benchmark
    // harness) from target/<profile>/; the workspace's binaries are in the latter.
    let exe = std::env::current_exe().unwrap_or_default();
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(name)
}

/// Copies `keys-example/*.key` into `dir` with mode 0600, as a delegation keeps them.
pub fn private_example_keys(dir: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys)?;
    for entry in std::fs::read_dir(workspace().join("keys-example"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "key")
            && let Some(name) = path.file_name()
        {
            let to = keys.join(name);
            std::fs::copy(&path, &to)?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(keys)
}

pub mod bench;
pub mod fault;
pub mod liar;
pub mod net;
pub mod proxy;
