//! The record of what the store has acknowledged, kept outside sled: `<data>/acknowledged`.
//!
//! sled's recovery keeps what its checksums vouch for and drops the rest without a
//! word: after one flipped byte or a cut in its `db` file, a store opened with entries
//! missing and the node served the shorter feeds. So the store keeps, in a file of its
//! own, each feed's head (position and id) and how many fork proofs and revoked entries
//! it holds, written and `fdatasync`ed by every group commit after sled's flush and
//! before anything the flush covers is acknowledged ([`super::Store::flush`]). At start
//! the store must hold at least that: each recorded head, under its own key with its
//! own id (or moved to `revoked` by a revocation), and at least as many fork proofs and
//! revoked entries. A feed's count is its head's position: feeds are contiguous from
//! #1, which the full check (`--check-store`) proves entry by entry, each linked to the
//! one before by its id, down from the recorded head.
//!
//! # Format
//!
//! Two slots of equal size (the file is two slots long, 16 KiB each unless a record
//! needed more). Each generation is written over the older slot, so a write torn by a
//! crash spoils only a record that was never acknowledged, and the other slot holds
//! the one before. A slot: the magic `pacta-acked\0`, the format (1), the generation
//! (u64 BE), the payload's length (u32 BE), the payload, then the CRC-32 of all of
//! those; zeros to the slot's end. The payload: the network id (32 bytes), the number
//! of fork proofs (u64 BE), of revoked entries (u64 BE), of feeds (u32 BE), per feed
//! `len(code) ‖ code ‖ seq (u64 BE) ‖ id (32 bytes)`; then the seal: 0, or 1, the
//! number of files (u32 BE) and per file `len(name) (u16 BE) ‖ name ‖ length (u64 BE)
//! ‖ CRC-32 (u32 BE)`.
//!
//! The seal is written only at a clean stop, once sled has let go of its files: it
//! fingerprints them ([`super::files`]). A start that finds the files exactly so opens
//! them directly; any other start first makes a safety copy (see the module docs of
//! [`super`], "Recovery").

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use pacta_core::ids::{EntryId, MemberCode, NetworkId, Seq};

use super::StoreError;

/// The record's file name in the data folder.
pub(super) const FILE: &str = "acknowledged";

const MAGIC: &[u8; 12] = b"pacta-acked\0";
const VERSION: u8 = 1;
/// Magic, version, generation, length.
const HEADER: usize = 12 + 1 + 8 + 4;
const MIN_SLOT: usize = 16 * 1024;

/// One of sled's files as the seal saw it: its path in the data folder, its length and
/// the CRC-32 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileMark {
    pub name: String,
    pub len: u64,
    pub crc: u32,
}

/// What the store has acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Acked {
    pub heads: BTreeMap<MemberCode, (Seq, EntryId)>,
    pub forks: u64,
    pub revoked: u64,
    /// sled's files at the clean stop that wrote this generation, if one did.
    pub seal: Option<Vec<FileMark>>,
}

impl Acked {
    fn encode(&self, network: NetworkId) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.heads.len() * 50);
        out.extend_from_slice(&network.0);
        out.extend_from_slice(&self.forks.to_be_bytes());
        out.extend_from_slice(&self.revoked.to_be_bytes());
        out.extend_from_slice(&(self.heads.len() as u32).to_be_bytes());
        for (code, (seq, id)) in &self.heads {
            let code = code.as_bytes();
            out.push(code.len() as u8);
            out.extend_from_slice(code);
            out.extend_from_slice(&seq.0.to_be_bytes());
            out.extend_from_slice(&id.0);
        }
        match &self.seal {
            None => out.push(0),
            Some(files) => {
                out.push(1);
                out.extend_from_slice(&(files.len() as u32).to_be_bytes());
                for f in files {
                    let name = f.name.as_bytes();
                    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
                    out.extend_from_slice(name);
                    out.extend_from_slice(&f.len.to_be_bytes());
                    out.extend_from_slice(&f.crc.to_be_bytes());
                }
            }
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<(NetworkId, Acked)> {
        let mut r = Reader(bytes);
        let network = NetworkId(r.take(32)?.try_into().ok()?);
        let mut acked = Acked {
            forks: r.u64()?,
            revoked: r.u64()?,
            ..Acked::default()
        };
        for _ in 0..r.u32()? {
            let len = usize::from(r.take(1)?[0]);
            let code = std::str::from_utf8(r.take(len)?).ok()?.parse().ok()?;
            let seq = Seq(r.u64()?);
            let id = EntryId(r.take(32)?.try_into().ok()?);
            acked.heads.insert(code, (seq, id));
        }
        match r.take(1)?[0] {
            0 => {}
            1 => {
                let mut files = Vec::new();
                for _ in 0..r.u32()? {
                    let len = usize::from(u16::from_be_bytes(r.take(2)?.try_into().ok()?));
                    let name = std::str::from_utf8(r.take(len)?).ok()?.to_owned();
                    files.push(FileMark {
                        name,
                        len: r.u64()?,
                        crc: r.u32()?,
                    });
                }
                acked.seal = Some(files);
            }
            _ => return None,
        }
        r.0.is_empty().then_some((network, acked))
    }

    /// One line per feed: `NL #1000 (3f…a1)`.
    pub fn summary(&self) -> String {
        let feeds: Vec<String> = self
            .heads
            .iter()
            .map(|(code, (seq, id))| format!("{code} {seq} ({})", id.short()))
            .collect();
        if feeds.is_empty() {
            "no entries".to_owned()
        } else {
            feeds.join(", ")
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// The record's file, open for writing generations.
#[derive(Debug)]
pub(super) struct RecordFile {
    path: PathBuf,
    file: File,
    slot: usize,
    generation: u64,
    network: NetworkId,
    /// The newest generation written.
    last: Acked,
}

/// What [`RecordFile::read`] found.
#[derive(Debug)]
pub(super) enum Found {
    Missing,
    Record(Acked),
}

impl RecordFile {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    /// Reads the newest whole generation of the record in `dir`. A file that is there
    /// but holds no whole generation, or one of another network, is an error: what
    /// the store acknowledged would be unknown.
    pub fn read(dir: &Path, network: NetworkId) -> Result<(Found, Option<RecordFile>), StoreError> {
        let path = RecordFile::path(dir);
        let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Found::Missing, None));
            }
            Err(e) => return Err(record_error(&path, e)),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| record_error(&path, e))?;
        let slot = bytes.len() / 2;
        let newest = bytes
            .chunks_exact(slot.max(1))
            .filter_map(parse_slot)
            .max_by_key(|(generation, _)| *generation);
        let Some((generation, payload)) = newest.filter(|_| slot >= MIN_SLOT) else {
            return Err(StoreError::Record(format!(
                "{} holds no whole record of what the store acknowledged ({} bytes)",
                path.display(),
                bytes.len()
            )));
        };
        let Some((found, acked)) = Acked::decode(payload) else {
            return Err(StoreError::Record(format!(
                "{}: generation {generation} does not decode",
                path.display()
            )));
        };
        if found != network {
            return Err(StoreError::OtherNetwork {
                dir: dir.display().to_string(),
                expected: network.to_string(),
                found: found.to_string(),
            });
        }
        let record = RecordFile {
            path,
            file,
            slot,
            generation,
            network,
            last: acked.clone(),
        };
        Ok((Found::Record(acked), Some(record)))
    }

    /// Creates the record in `dir` with `acked` as its first generation, durably: it
    /// is written under a temporary name and renamed, so it is either whole or absent.
    pub fn create(dir: &Path, network: NetworkId, acked: &Acked) -> Result<RecordFile, StoreError> {
        let path = RecordFile::path(dir);
        RecordFile::replace(&path, network, 1, MIN_SLOT, acked)
    }

    /// Writes `bytes`' slots to `path` under a temporary name, fsyncs, renames over it.
    fn replace(
        path: &Path,
        network: NetworkId,
        generation: u64,
        min_slot: usize,
        acked: &Acked,
    ) -> Result<RecordFile, StoreError> {
        let payload = acked.encode(network);
        let mut slot = min_slot.max(MIN_SLOT);
        while slot < HEADER + payload.len() + 4 {
            slot *= 2;
        }
        let mut bytes = vec![0u8; 2 * slot];
        let at = (generation % 2) as usize * slot;
        bytes[at..at + slot].copy_from_slice(&slot_bytes(generation, &payload, slot));
        let tmp = path.with_extension("tmp");
        let write = || -> std::io::Result<File> {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            if let Some(parent) = path.parent() {
                File::open(parent)?.sync_all()?;
            }
            OpenOptions::new().read(true).write(true).open(path)
        };
        let file = write().map_err(|e| record_error(path, e))?;
        Ok(RecordFile {
            path: path.to_owned(),
            file,
            slot,
            generation,
            network,
            last: acked.clone(),
        })
    }

    /// The newest generation written.
    pub fn last(&self) -> &Acked {
        &self.last
    }

    /// Writes `acked` as the next generation, durably, over the older slot (unless it
    /// is the newest already).
    pub fn write(&mut self, acked: &Acked) -> Result<(), StoreError> {
        if *acked == self.last {
            return Ok(());
        }
        let generation = self.generation + 1;
        let payload = acked.encode(self.network);
        if HEADER + payload.len() + 4 > self.slot {
            // More feeds than the slots hold: a new file with larger slots.
            *self =
                RecordFile::replace(&self.path, self.network, generation, self.slot * 2, acked)?;
            return Ok(());
        }
        let at = (generation % 2) * self.slot as u64;
        let bytes = slot_bytes(generation, &payload, self.slot);
        self.file
            .write_all_at(&bytes, at)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| StoreError::RecordIo(self.path.display().to_string(), e))?;
        self.generation = generation;
        self.last = acked.clone();
        Ok(())
    }
}

fn slot_bytes(generation: u64, payload: &[u8], slot: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(slot);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out.resize(slot, 0);
    out
}

/// A slot's generation and payload, if it is whole.
fn parse_slot(slot: &[u8]) -> Option<(u64, &[u8])> {
    if slot.get(..12)? != MAGIC || *slot.get(12)? != VERSION {
        return None;
    }
    let generation = u64::from_be_bytes(slot.get(13..21)?.try_into().ok()?);
    let len = u32::from_be_bytes(slot.get(21..25)?.try_into().ok()?) as usize;
    let end = HEADER.checked_add(len)?;
    let crc = u32::from_be_bytes(slot.get(end..end + 4)?.try_into().ok()?);
    (crc32fast::hash(slot.get(..end)?) == crc).then(|| (generation, &slot[HEADER..end]))
}

fn record_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::RecordIo(path.display().to_string(), e)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn sample(n: usize) -> Acked {
        let mut acked = Acked {
            forks: 2,
            revoked: 3,
            ..Acked::default()
        };
        for i in 0..n {
            let code =
                MemberCode::from_bytes(&[b'X', b'A' + (i / 26) as u8, b'A' + (i % 26) as u8])
                    .unwrap();
            acked
                .heads
                .insert(code, (Seq(i as u64 + 1), EntryId([i as u8; 32])));
        }
        acked
    }

    #[test]
    fn generations_alternate_slots_and_the_newest_whole_one_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let net = NetworkId([7; 32]);
        let (found, _) = RecordFile::read(dir.path(), net).unwrap();
        assert!(matches!(found, Found::Missing));
        let mut file = RecordFile::create(dir.path(), net, &sample(1)).unwrap();
        for n in 2..5 {
            file.write(&sample(n)).unwrap();
        }
        let mut sealed = sample(4);
        sealed.seal = Some(vec![FileMark {
            name: "db".into(),
            len: 9,
            crc: 1,
        }]);
        file.write(&sealed).unwrap();
        let (Found::Record(read), _) = RecordFile::read(dir.path(), net).unwrap() else {
            panic!("no record")
        };
        assert_eq!(read, sealed);
        // The newest slot torn: the one before is read.
        let path = RecordFile::path(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let newest = (file.generation % 2) as usize * file.slot;
        bytes[newest + 40] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let (Found::Record(read), _) = RecordFile::read(dir.path(), net).unwrap() else {
            panic!("no record")
        };
        assert_eq!(read, sample(4));
        // Both torn: an error, not an empty record.
        let other = (1 - file.generation % 2) as usize * file.slot;
        bytes[other + 40] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let err = RecordFile::read(dir.path(), net).unwrap_err().to_string();
        assert!(err.contains("holds no whole record"), "{err}");
        // Another network's record is refused.
        RecordFile::create(dir.path(), net, &sample(1)).unwrap();
        let err = RecordFile::read(dir.path(), NetworkId([8; 32]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("belongs to network"), "{err}");
    }

    #[test]
    fn a_record_larger_than_its_slots_moves_to_larger_ones() {
        let dir = tempfile::tempdir().unwrap();
        let net = NetworkId([7; 32]);
        let mut file = RecordFile::create(dir.path(), net, &sample(1)).unwrap();
        file.write(&sample(600)).unwrap();
        assert!(file.slot > MIN_SLOT);
        file.write(&sample(601)).unwrap();
        let (Found::Record(read), _) = RecordFile::read(dir.path(), net).unwrap() else {
            panic!("no record")
        };
        assert_eq!(read, sample(601));
    }
}
