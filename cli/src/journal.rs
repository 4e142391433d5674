//! The local journal of every entry signed with a key.
//!
//! Secure Scuttlebutt feeds forked when people restored an old backup and signed a new
//! message at a position they had already used. `pacta submit` prevents that: before
//! posting, it appends the signed entry to this journal and fsyncs it; before signing,
//! it compares the journal with the node. If the node lacks entries the key signed (a
//! crash before the acknowledgement, a node restored from a backup), the same signed
//! entries are sent again; a different entry is never signed at a used position.
//!
//! The journal is a text file next to the key, `<key file>.journal`: `#` comments, then
//! one entry per line in lowercase hex, oldest first. An open journal holds an
//! exclusive lock on the file, so two `pacta submit` runs with one key take turns
//! instead of both signing at the same position.
//!
//! One key file has one journal, whatever path reaches it: the journal is found from
//! the key file's canonical path (symlinks, `..` and relative paths resolved), and a key
//! file with a second name (a hard link), which no path can tell apart, is refused. A
//! key reached through a symlink once got a journal and a lock of its own, and two
//! concurrent submits forked the feed (issue 18, finding 11).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pacta_core::entry::Entry;
use pacta_core::ids::{MemberCode, NetworkId};

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    entries: Vec<Entry>,
}

impl Journal {
    /// The key file that `path` reaches: its canonical path. A key file with more than
    /// one name is refused, since each name would find a journal of its own.
    pub fn resolve_key(path: &Path) -> Result<PathBuf> {
        let real = fs::canonicalize(path)
            .with_context(|| format!("cannot read key file {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let links = fs::metadata(&real)
                .with_context(|| format!("cannot read key file {}", path.display()))?
                .nlink();
            if links > 1 {
                bail!(
                    "{} has {links} names (hard links); its journal is kept beside it by name, so each name would keep a journal of its own and could sign twice at one position. Keep one name (a symlink to it is fine)",
                    real.display()
                );
            }
        }
        Ok(real)
    }

    /// The journal of the key file at `key`, a canonical path from
    /// [`Journal::resolve_key`]: `<key file>.journal`, beside it.
    pub fn path_for(key: &Path) -> PathBuf {
        let mut name = key.as_os_str().to_owned();
        name.push(".journal");
        PathBuf::from(name)
    }

    /// Opens (or creates) the journal and locks it until it is dropped.
    pub fn open(path: PathBuf) -> Result<Journal> {
        let ctx = || format!("cannot open journal {}", path.display());
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).with_context(ctx)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                eprintln!(
                    "pacta: waiting for another pacta submit that uses this key ({} is locked)",
                    path.display()
                );
                file.lock().with_context(ctx)?;
            }
            Err(TryLockError::Error(e)) => return Err(e).with_context(ctx),
        }
        let mut text = String::new();
        file.read_to_string(&mut text)
            .with_context(|| format!("cannot read journal {}", path.display()))?;
        if text.is_empty() {
            file.write_all(b"# pacta journal: every entry signed with this key, oldest first. Keep it with the key.\n")
                .and_then(|()| file.sync_all())
                .with_context(ctx)?;
            sync_dir(&path)?;
        } else if !text.ends_with('\n') {
            // A crash in the middle of an append leaves a torn last line. That entry was
            // never sent (the journal is written first), so it is safe to drop.
            let keep = text.rfind('\n').map_or(0, |i| i + 1);
            eprintln!(
                "pacta: the last line of {} was cut short by a crash; dropping it (it was never sent)",
                path.display()
            );
            file.set_len(keep as u64)
                .and_then(|()| file.sync_all())
                .with_context(ctx)?;
            text.truncate(keep);
        }
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = hex::decode(line)
                .map_err(anyhow::Error::from)
                .and_then(|b| Entry::decode(&b).map_err(anyhow::Error::from))
                .with_context(|| {
                    format!("journal {} line {}: not an entry", path.display(), i + 1)
                })?;
            entries.push(entry);
        }
        Ok(Journal {
            path,
            file,
            entries,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries this key signed for `member` on `network`, oldest first.
    pub fn feed(&self, network: NetworkId, member: MemberCode) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.header().network == network && e.author() == member)
            .collect();
        out.sort_by_key(|e| e.seq());
        out
    }

    /// Records `entry` durably, before it is sent anywhere.
    pub fn append(&mut self, entry: &Entry) -> Result<()> {
        let line = format!("{}\n", hex::encode(entry.as_bytes()));
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_all())
            .with_context(|| format!("cannot write journal {}", self.path.display()))?;
        self.entries.push(entry.clone());
        Ok(())
    }
}

/// Makes a new file's directory entry durable, so the file survives a power loss.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync folder {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_dropped_and_the_journal_stays_usable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.journal");
        fs::write(&path, "# header\nabcdef").unwrap();
        let journal = Journal::open(path.clone()).unwrap();
        assert!(journal.entries.is_empty());
        drop(journal);
        assert_eq!(fs::read_to_string(&path).unwrap(), "# header\n");
    }

    #[test]
    fn a_second_opener_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.journal");
        let first = Journal::open(path.clone()).unwrap();
        let other = File::open(&path).unwrap();
        assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        drop(first);
        assert!(other.try_lock().is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn every_path_to_one_key_file_finds_one_journal() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.key");
        fs::write(&key, "x").unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let link = sub.join("link.key");
        std::os::unix::fs::symlink(&key, &link).unwrap();
        let dotted = sub.join("..").join("k.key");
        let journal = Journal::path_for(&Journal::resolve_key(&key).unwrap());
        for path in [&link, &dotted] {
            assert_eq!(
                Journal::path_for(&Journal::resolve_key(path).unwrap()),
                journal
            );
        }
        fs::hard_link(&key, sub.join("second-name.key")).unwrap();
        let err = Journal::resolve_key(&key).unwrap_err();
        assert!(
            format!("{err:#}").contains("2 names (hard links)"),
            "{err:#}"
        );
        assert!(Journal::resolve_key(&dir.path().join("missing.key")).is_err());
    }

    #[test]
    fn garbage_lines_are_refused_with_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.journal");
        fs::write(&path, "# header\nnot hex\n").unwrap();
        let err = Journal::open(path).unwrap_err();
        assert!(
            format!("{err:#}").contains("line 2: not an entry"),
            "{err:#}"
        );
    }
}
