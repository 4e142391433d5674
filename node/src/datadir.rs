//! The data folder: created private, refused when others may write to it, and locked
//! for as long as the node runs, so two nodes never share a store.
//!
//! The lock is an advisory `flock` on `<data>/LOCK`, which holds the pid of its owner.
//! The kernel releases it when the process dies, even by `kill -9`, so a crash never
//! leaves a stale lock behind.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The data folder, locked until this value is dropped.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

/// Creates `dir` (mode 0700) if it is missing, checks its permissions, and takes its
/// lock.
pub fn lock(dir: &Path) -> Result<DataLock> {
    let shown = dir.display();
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data folder {shown}"))?;
    let mode = std::fs::metadata(dir)
        .with_context(|| format!("cannot read the data folder {shown}"))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o022 != 0 {
        bail!(
            "the data folder {shown} has permissions {mode:04o}: others could alter the store; run: chmod 700 {shown}"
        );
    }
    let path = dir.join("LOCK");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                String::new()
            } else {
                format!(" (pid {holder})")
            };
            bail!(
                "another process{holder} is using the data folder {shown}; stop it, or give this node its own --data folder"
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    file.sync_all()?;
    Ok(DataLock { _file: file })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn a_folder_is_created_private_locked_once_and_refused_when_open_to_others() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        let held = lock(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let second = lock(&dir).unwrap_err().to_string();
        assert!(
            second.contains(&format!("another process (pid {})", std::process::id()))
                && second.contains("is using the data folder"),
            "{second}"
        );
        drop(held);
        let again = lock(&dir).unwrap();
        drop(again);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let loose = lock(&dir).unwrap_err().to_string();
        assert!(loose.contains("permissions 0777"), "{loose}");
        assert!(loose.contains("chmod 700"), "{loose}");
    }
}
