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
//! one entry per line in lowercase hex, oldest first.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pacta_core::entry::Entry;
use pacta_core::ids::{MemberCode, NetworkId};

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl Journal {
    pub fn path_for(key: &Path) -> PathBuf {
        let mut name = key.as_os_str().to_owned();
        name.push(".journal");
        PathBuf::from(name)
    }

    pub fn open(path: PathBuf) -> Result<Journal> {
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read journal {}", path.display()));
            }
        };
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
        Ok(Journal { path, entries })
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
        let fresh = !self.path.exists();
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&self.path)
            .with_context(|| format!("cannot open journal {}", self.path.display()))?;
        let mut text = String::new();
        if fresh {
            text.push_str("# pacta journal: every entry signed with this key, oldest first. Keep it with the key.\n");
        }
        text.push_str(&hex::encode(entry.as_bytes()));
        text.push('\n');
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write journal {}", self.path.display()))?;
        self.entries.push(entry.clone());
        Ok(())
    }
}
