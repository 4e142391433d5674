//! Everything the CLI reads from or writes to disk: key files with their permission
//! rules, the roster, bundles.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use pacta_core::{Roster, SecretKey};

/// Reads a secret key file, refusing one that others can read, as ssh does.
pub fn read_secret_key(path: &Path) -> Result<SecretKey> {
    let meta =
        fs::metadata(path).with_context(|| format!("cannot read key file {}", path.display()))?;
    check_private(path, &meta)?;
    let text = zeroize::Zeroizing::new(
        fs::read_to_string(path)
            .with_context(|| format!("cannot read key file {}", path.display()))?,
    );
    SecretKey::from_file_text(&text)
        .with_context(|| format!("{} is not a Pacta secret key file", path.display()))
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "{path}: permissions {mode:04o} are too open; a secret key must be readable only by its owner \
             (run: chmod 600 {path})",
            path = path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    Ok(())
}

/// Writes a new secret key file with mode 0600. Never overwrites: losing a key to a
/// typo in `--out` would be unrecoverable.
pub fn write_secret_key(path: &Path, key: &SecretKey, comment: &str) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!(
                "{} already exists; refusing to overwrite a key file",
                path.display()
            )
        }
        _ => anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
    })?;
    file.write_all(key.to_file_text(comment).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn read_roster(path: &Path) -> Result<Roster> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read roster {}", path.display()))?;
    Roster::from_toml(&text).with_context(|| format!("{} is not a valid roster", path.display()))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, flushed, renamed.
/// A reader never sees half a bundle, and a crash leaves the old file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}
