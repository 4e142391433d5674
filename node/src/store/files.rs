//! sled's files in the data folder: their fingerprint, and the safety copy taken before
//! sled opens a store that may be damaged.
//!
//! sled 0.34 has no read-only mode, and its recovery writes: it fills the rest of the
//! segment after the last record it could read with a marker, zeroes every segment it
//! found torn beyond it, writes a new snapshot and removes the old ones and any blob
//! beyond what it recovered (`pagecache/snapshot.rs`, `advance_snapshot`). On a damaged
//! file that destroys whatever lay past the damage: a `db` file cut to half came back
//! as an empty store, and the other half was gone. So the store opens sled on its own
//! files only when they are exactly as sled left them at a clean stop (the seal in the
//! record, [`super::record`]); otherwise it first copies them into
//! `<data>/safety-copy`, and if the check that follows the opening fails, puts the
//! copy back, byte for byte, before refusing to start.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;
use super::record::FileMark;

/// The safety copy, complete. Written as [`COPYING`] and renamed once whole.
const COPY: &str = "safety-copy";
const COPYING: &str = "safety-copy.tmp";
/// In the copy: the names of sled's files it holds, one a line, so that a put-back
/// interrupted half-way knows them still.
const MANIFEST: &str = "MANIFEST";

/// Whether `name`, in the data folder, is one of sled's: `db` (the log), `conf`,
/// `snap.*` (snapshots, and one being written) and `blobs/` (large values).
fn is_sled(name: &str) -> bool {
    matches!(name, "db" | "conf" | "blobs") || name.starts_with("snap.")
}

/// sled's files and folders directly in `dir`, sorted.
fn sled_entries(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str()
            && is_sled(name)
        {
            out.push(name.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Every file under `dir/rel`, by its path relative to `dir`.
fn files_under(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let path = dir.join(rel);
    if std::fs::symlink_metadata(&path)?.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(&path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        names.sort();
        for name in names {
            files_under(dir, &rel.join(name), out)?;
        }
    } else {
        out.push(rel.to_owned());
    }
    Ok(())
}

/// The bytes of sled's files in `dir` (0 for what cannot be read): what a safety copy
/// of them needs.
pub(super) fn sled_bytes(dir: &Path) -> u64 {
    let mut files = Vec::new();
    for name in sled_entries(dir).unwrap_or_default() {
        let _ = files_under(dir, Path::new(&name), &mut files);
    }
    files
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::RecordIo(what, e)
}

/// The length and CRC-32 of each of sled's files in `dir`, in path order.
pub(super) fn fingerprint(dir: &Path) -> Result<Vec<FileMark>, StoreError> {
    let shown = dir.display().to_string();
    let mut paths = Vec::new();
    for name in sled_entries(dir).map_err(io(shown.clone()))? {
        files_under(dir, Path::new(&name), &mut paths).map_err(io(shown.clone()))?;
    }
    let mut out = Vec::with_capacity(paths.len());
    let mut buf = vec![0u8; 1 << 20];
    for rel in paths {
        let path = dir.join(&rel);
        let mut file = File::open(&path).map_err(io(path.display().to_string()))?;
        let (mut hasher, mut len) = (crc32fast::Hasher::new(), 0u64);
        loop {
            let n = file
                .read(&mut buf)
                .map_err(io(path.display().to_string()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        out.push(FileMark {
            name: rel.to_string_lossy().into_owned(),
            len,
            crc: hasher.finalize(),
        });
    }
    Ok(out)
}

/// Waits until sled has let go of the store in `dir`: it holds an exclusive `flock` on
/// `db` while open, and its threads release it a moment after the last handle drops.
/// Returns whether it did within `patience`.
pub(super) fn wait_until_closed(dir: &Path, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    loop {
        match File::open(dir.join("db")) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
            Err(_) => {}
            Ok(file) => {
                if file.try_lock().is_ok() {
                    return true;
                }
            }
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<u64> {
    if std::fs::symlink_metadata(from)?.is_dir() {
        std::fs::create_dir(to)?;
        let mut bytes = 0;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            bytes += copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        sync_dir(to)?;
        Ok(bytes)
    } else {
        // `std::fs::copy` uses copy_file_range: a reflink on filesystems that have
        // them (XFS, btrfs), a copy in the kernel elsewhere.
        let bytes = std::fs::copy(from, to)?;
        File::open(to)?.sync_all()?;
        Ok(bytes)
    }
}

fn remove_tree(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    }
}

/// A copy of sled's files as they were before sled opened them.
#[derive(Debug)]
pub(super) struct SafetyCopy {
    dir: PathBuf,
}

impl SafetyCopy {
    /// Copies sled's files in `dir` into `dir/safety-copy`, durably. A copy left by an
    /// earlier start must have been put back first ([`SafetyCopy::put_back_left`]).
    pub fn make(dir: &Path) -> Result<SafetyCopy, StoreError> {
        let copying = dir.join(COPYING);
        let made = (|| -> std::io::Result<u64> {
            remove_tree(&copying)?;
            std::fs::create_dir(&copying)?;
            let mut bytes = 0;
            let names = sled_entries(dir)?;
            for name in &names {
                bytes += copy_tree(&dir.join(name), &copying.join(name))?;
            }
            let manifest = copying.join(MANIFEST);
            std::fs::write(&manifest, names.join("\n"))?;
            File::open(&manifest)?.sync_all()?;
            sync_dir(&copying)?;
            std::fs::rename(&copying, dir.join(COPY))?;
            sync_dir(dir)?;
            Ok(bytes)
        })();
        match made {
            Ok(bytes) => {
                tracing::debug!(bytes, "safety copy of the store made");
                Ok(SafetyCopy {
                    dir: dir.to_owned(),
                })
            }
            Err(e) => {
                let _ = remove_tree(&copying);
                let size = sled_entries(dir)
                    .unwrap_or_default()
                    .iter()
                    .map(|n| {
                        let mut files = Vec::new();
                        let _ = files_under(dir, Path::new(n), &mut files);
                        files
                            .iter()
                            .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
                            .map(|m| m.len())
                            .sum::<u64>()
                    })
                    .sum::<u64>();
                Err(StoreError::Record(format!(
                    "cannot copy the store before opening it ({e}): sled rewrites a store it finds damaged, so the node opens one only after a copy, unless it stopped cleanly and its files are as it left them; the copy needs {} MiB free in {}",
                    size.div_ceil(1024 * 1024),
                    dir.display()
                )))
            }
        }
    }

    /// The check passed: the copy is not needed.
    pub fn discard(self) -> Result<(), StoreError> {
        let copy = self.dir.join(COPY);
        remove_tree(&copy).map_err(io(copy.display().to_string()))
    }

    /// The check failed: sled's files go back to what they were before it opened them.
    pub fn put_back(self) -> Result<(), StoreError> {
        put_back(&self.dir)
    }

    /// Puts back a copy an interrupted start left in `dir`: the node stopped between
    /// making it and finishing the check, so nothing but sled's recovery has written
    /// the store since. Returns whether there was one.
    pub fn put_back_left(dir: &Path) -> Result<bool, StoreError> {
        remove_tree(&dir.join(COPYING)).map_err(io(dir.display().to_string()))?;
        if !dir.join(COPY).exists() {
            return Ok(false);
        }
        put_back(dir)?;
        Ok(true)
    }
}

/// Replaces sled's files in `dir` with those in `dir/safety-copy`, which is removed.
/// Each step can be repeated, so a put-back interrupted by a crash is finished by the
/// next start: files sled created that the copy lacks are removed, then each file of
/// the copy is renamed into place.
fn put_back(dir: &Path) -> Result<(), StoreError> {
    let copy = dir.join(COPY);
    let done = (|| -> std::io::Result<()> {
        let manifest = std::fs::read_to_string(copy.join(MANIFEST))?;
        let kept: Vec<&str> = manifest.lines().filter(|n| is_sled(n)).collect();
        for name in sled_entries(dir)? {
            if !kept.contains(&name.as_str()) {
                remove_tree(&dir.join(&name))?;
            }
        }
        for name in kept {
            let from = copy.join(name);
            // Gone from the copy: put back already, by a start this one finishes.
            let Ok(meta) = std::fs::symlink_metadata(&from) else {
                continue;
            };
            let target = dir.join(name);
            if meta.is_dir() {
                remove_tree(&target)?;
            }
            std::fs::rename(from, target)?;
        }
        sync_dir(dir)?;
        std::fs::remove_dir_all(&copy)?;
        sync_dir(dir)
    })();
    done.map_err(io(format!("putting back {}", copy.display())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn a_copy_put_back_restores_every_file_and_removes_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("db"), b"the log").unwrap();
        std::fs::write(d.join("conf"), b"conf").unwrap();
        std::fs::write(d.join("snap.0001"), b"old snapshot").unwrap();
        std::fs::create_dir(d.join("blobs")).unwrap();
        std::fs::write(d.join("blobs/7"), b"blob").unwrap();
        std::fs::write(d.join("LOCK"), b"1").unwrap();
        let before = fingerprint(d).unwrap();
        assert_eq!(before.len(), 4, "{before:?}");
        let copy = SafetyCopy::make(d).unwrap();
        // What sled's recovery does to a damaged store.
        std::fs::write(d.join("db"), b"the lo\0\0").unwrap();
        std::fs::remove_file(d.join("snap.0001")).unwrap();
        std::fs::write(d.join("snap.0009"), b"new snapshot").unwrap();
        std::fs::remove_file(d.join("blobs/7")).unwrap();
        assert_ne!(fingerprint(d).unwrap(), before);
        copy.put_back().unwrap();
        assert_eq!(fingerprint(d).unwrap(), before);
        assert!(!d.join(COPY).exists());
        assert_eq!(std::fs::read(d.join("LOCK")).unwrap(), b"1");

        // A copy left by an interrupted start, half put back: finished next time.
        let _copy = SafetyCopy::make(d).unwrap();
        std::fs::write(d.join("db"), b"rewritten").unwrap();
        std::fs::rename(d.join(COPY).join("conf"), d.join("conf")).unwrap();
        assert!(SafetyCopy::put_back_left(d).unwrap());
        assert_eq!(fingerprint(d).unwrap(), before);
        assert!(!SafetyCopy::put_back_left(d).unwrap());
    }
}
