//! A bundle read as a stream (`pacta verify --bundle`), in memory bounded by its
//! members rather than its size.
//!
//! [`scan`] checks the framing exactly as [`BundleView::parse`] does, with the same
//! errors at the same offsets, but skips over the entries instead of holding them: it
//! keeps where each feed starts, the fork proofs and the checkpoint. [`BundleFile`]
//! then hands each feed's entries to an audit ([`crate::audit`]) a slice at a time,
//! as many times as the audit asks. The caller supplies the reader (a file); this
//! module only reads what it is given.
//!
//! [`BundleView::parse`]: crate::bundle::BundleView::parse

use std::io::{Read, Seek, SeekFrom};

use thiserror::Error;

use crate::audit::{FeedSource, Outline};
use crate::bundle::{BUNDLE_MAGIC, BUNDLE_VERSION, BundleError};
use crate::codec::CodecError;
use crate::entry::MAX_ENTRY;
use crate::ids::{MemberCode, NetworkId};

/// Entries handed to the audit at a time: enough for the signature batches to fill
/// every core, few enough that a slice of the largest entries stays near 4 MiB on
/// average-sized ones (a slice of 65 772-byte entries is bounded by the bytes read,
/// [`SLICE_BYTES`]).
pub const SLICE_ENTRIES: usize = 8192;
/// Bytes of entries held at a time.
pub const SLICE_BYTES: usize = 8 << 20;

/// Why a bundle could not be read.
#[derive(Debug, Error)]
pub enum ScanError {
    /// The framing is wrong: the bundle is rejected as a whole (SPEC 8).
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("reading the bundle: {0}")]
    Io(#[from] std::io::Error),
    #[error("the bundle changed while it was read (feed {0})")]
    Changed(MemberCode),
}

/// Where a feed's entries are in the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub member: MemberCode,
    pub count: u32,
    /// The offset of the first entry's length.
    pub offset: u64,
}

/// A reader that knows its offset and what remains, so that its errors are those of
/// [`crate::codec::Reader`] on the same bytes.
struct Framed<R> {
    inner: std::io::BufReader<R>,
    offset: u64,
    len: u64,
}

impl<R: Read + Seek> Framed<R> {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.offset)
    }

    fn truncated(&self, field: &'static str, needed: usize) -> ScanError {
        ScanError::Bundle(BundleError::Codec(CodecError::Truncated {
            field,
            offset: self.offset as usize,
            needed,
            remaining: self.remaining() as usize,
        }))
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<Vec<u8>, ScanError> {
        if self.remaining() < n as u64 {
            return Err(self.truncated(field, n));
        }
        let mut out = vec![0u8; n];
        self.inner.read_exact(&mut out)?;
        self.offset += n as u64;
        Ok(out)
    }

    fn skip(&mut self, field: &'static str, n: usize) -> Result<(), ScanError> {
        if self.remaining() < n as u64 {
            return Err(self.truncated(field, n));
        }
        // Within the buffer when it can: one system call per buffer, not per entry.
        self.inner.seek_relative(n as i64)?;
        self.offset += n as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ScanError> {
        let mut out = [0u8; N];
        if self.remaining() < N as u64 {
            return Err(self.truncated(field, N));
        }
        self.inner.read_exact(&mut out)?;
        self.offset += N as u64;
        Ok(out)
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, ScanError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// An entry's length, checked against the limit.
    fn entry_len(&mut self) -> Result<usize, ScanError> {
        let offset = self.offset as usize;
        let len = self.u32("entry length")?;
        if len as usize > MAX_ENTRY {
            return Err(BundleError::EntryLength {
                offset,
                len,
                max: MAX_ENTRY,
            }
            .into());
        }
        Ok(len as usize)
    }
}

/// A bundle's framing, checked, with its feeds left on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub outline: Outline,
    pub spans: Vec<Span>,
}

/// Checks the framing of the `len`-byte bundle that `reader` reads from its start.
pub fn scan<R: Read + Seek>(reader: R, len: u64) -> Result<Scanned, ScanError> {
    let mut r = Framed {
        inner: std::io::BufReader::with_capacity(64 << 10, reader),
        offset: 0,
        len,
    };
    if len < BUNDLE_MAGIC.len() as u64 || r.array::<13>("magic")? != *BUNDLE_MAGIC {
        return Err(BundleError::Magic.into());
    }
    let version = r.array::<1>("version")?[0];
    if version != BUNDLE_VERSION {
        return Err(BundleError::Version(version).into());
    }
    let network = NetworkId(r.array("network id")?);
    let feed_count = r.u32("feed count")?;
    let mut spans: Vec<Span> = Vec::new();
    for _ in 0..feed_count {
        let offset = r.offset as usize;
        let code_len = r.array::<1>("feed code length")?[0] as usize;
        let code = MemberCode::from_bytes(&r.take("feed code", code_len)?).map_err(|e| {
            BundleError::Code {
                offset,
                reason: e.to_string(),
            }
        })?;
        if let Some(previous) = spans.last().map(|s| s.member)
            && code <= previous
        {
            return Err(BundleError::FeedOrder {
                offset,
                code,
                previous,
            }
            .into());
        }
        let count = r.u32("entry count")?;
        if count == 0 {
            return Err(BundleError::EmptyFeed { offset, code }.into());
        }
        let first = r.offset;
        for _ in 0..count {
            let n = r.entry_len()?;
            r.skip("entry", n)?;
        }
        spans.push(Span {
            member: code,
            count,
            offset: first,
        });
    }
    let fork_count = r.u32("fork count")?;
    let mut forks = Vec::new();
    for _ in 0..fork_count {
        let n = r.entry_len()?;
        let a = r.take("entry", n)?;
        let n = r.entry_len()?;
        let b = r.take("entry", n)?;
        forks.push([a, b]);
    }
    let offset = r.offset as usize;
    let cp_len = r.u32("checkpoint length")?;
    if cp_len as usize > crate::note::MAX_NOTE {
        return Err(BundleError::CheckpointLength {
            offset,
            len: cp_len,
            max: crate::note::MAX_NOTE,
        }
        .into());
    }
    let checkpoint = (cp_len > 0)
        .then(|| r.take("checkpoint", cp_len as usize))
        .transpose()?;
    if r.remaining() > 0 {
        return Err(BundleError::Codec(CodecError::Trailing {
            offset: r.offset as usize,
            count: r.remaining() as usize,
        })
        .into());
    }
    Ok(Scanned {
        outline: Outline {
            network,
            feeds: spans
                .iter()
                .map(|s| (s.member, u64::from(s.count)))
                .collect(),
            forks,
            checkpoint,
        },
        spans,
    })
}

/// A scanned bundle's feeds, read again from `reader` a slice at a time.
#[derive(Debug)]
pub struct BundleFile<R> {
    reader: std::io::BufReader<R>,
    spans: Vec<Span>,
}

impl<R: Read + Seek> BundleFile<R> {
    pub fn new(reader: R, scanned: &Scanned) -> Self {
        BundleFile {
            reader: std::io::BufReader::with_capacity(1 << 20, reader),
            spans: scanned.spans.clone(),
        }
    }
}

impl<R: Read + Seek> FeedSource for BundleFile<R> {
    type Error = ScanError;

    fn feed(
        &mut self,
        member: MemberCode,
        sink: &mut dyn FnMut(&[&[u8]]),
    ) -> Result<(), ScanError> {
        let Some(span) = self.spans.iter().find(|s| s.member == member).copied() else {
            return Ok(());
        };
        self.reader.seek(SeekFrom::Start(span.offset))?;
        let mut left = span.count as usize;
        // One buffer for a slice's bytes, reused; entries are borrowed from it.
        let mut bytes: Vec<u8> = Vec::new();
        let mut bounds: Vec<(usize, usize)> = Vec::new();
        while left > 0 {
            bytes.clear();
            bounds.clear();
            while left > 0 && bounds.len() < SLICE_ENTRIES && bytes.len() < SLICE_BYTES {
                let mut len = [0u8; 4];
                self.reader.read_exact(&mut len)?;
                let len = u32::from_be_bytes(len) as usize;
                // The scan checked every length; a different one means the file
                // changed under us.
                if len > MAX_ENTRY {
                    return Err(ScanError::Changed(member));
                }
                let start = bytes.len();
                bytes.resize(start + len, 0);
                self.reader.read_exact(&mut bytes[start..])?;
                bounds.push((start, start + len));
                left -= 1;
            }
            let slice: Vec<&[u8]> = bounds.iter().map(|&(a, b)| &bytes[a..b]).collect();
            sink(&slice);
        }
        Ok(())
    }
}
