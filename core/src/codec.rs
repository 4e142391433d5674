//! A strict reader over received bytes.
//!
//! Every decoder in the crate reads through [`Reader`], so "truncated" and "trailing
//! bytes" are reported the same way everywhere, with the byte offset and the field that
//! was being read.

use thiserror::Error;

/// Why a byte string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The input ended inside a field.
    #[error("truncated at byte {offset}: {field} needs {needed} bytes, {remaining} remain")]
    Truncated {
        field: &'static str,
        offset: usize,
        needed: usize,
        remaining: usize,
    },
    /// Bytes remain after the value ended; a value has exactly one encoding.
    #[error("{count} trailing bytes after the end at byte {offset}")]
    Trailing { offset: usize, count: usize },
}

/// Reads fixed-width big-endian fields from a byte slice, never past its end.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, offset: 0 }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    pub fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], CodecError> {
        if self.remaining() < n {
            return Err(CodecError::Truncated {
                field,
                offset: self.offset,
                needed: n,
                remaining: self.remaining(),
            });
        }
        let out = &self.bytes[self.offset..self.offset + n];
        self.offset += n;
        Ok(out)
    }

    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub fn u16(&mut self, field: &'static str) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub fn u64(&mut self, field: &'static str) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Ends the read: anything left over is an error, not something to ignore.
    pub fn finish(self) -> Result<(), CodecError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(CodecError::Trailing {
                offset: self.offset,
                count,
            }),
        }
    }
}

/// SHA-256 of `bytes`, as a plain array.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_rejects_trailing_bytes() {
        let mut r = Reader::new(&[0, 1, 0, 0, 0, 2, 9]);
        assert_eq!(r.u16("a").unwrap(), 1);
        assert_eq!(r.u32("b").unwrap(), 2);
        assert_eq!(r.offset(), 6);
        assert_eq!(
            r.finish(),
            Err(CodecError::Trailing {
                offset: 6,
                count: 1
            })
        );
    }

    #[test]
    fn truncation_names_the_field() {
        let mut r = Reader::new(&[1, 2]);
        let err = r.u64("seq").unwrap_err();
        assert_eq!(
            err,
            CodecError::Truncated {
                field: "seq",
                offset: 0,
                needed: 8,
                remaining: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "truncated at byte 0: seq needs 8 bytes, 2 remain"
        );
    }
}
