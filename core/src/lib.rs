//! # pacta-core
//!
//! Everything that decides whether a Pacta ledger is valid, with no I/O: no files, no
//! network, no database ([`scan`] reads a bundle from a reader its caller opened, and
//! signature batches draw their coefficients from the OS's random source, [`sig`]). The CLI, the node and every test use this one implementation.
//! SPEC.md describes the same bytes for people writing their own verifier.
//!
//! # Layout
//!
//! - [`codec`]: the strict byte reader every decoder uses.
//! - [`ids`]: newtypes for member codes, entry and network ids, keys, seqs, times, kinds.
//! - [`keys`]: secret keys and the text of key files.
//! - [`roster`]: the trust root (TOML) and the network id.
//! - [`sig`]: the signature rule (cofactored, strict encodings), alone and in batches.
//! - [`entry`]: the signed entry: exact bytes, strict decoding, signing, ids.
//! - [`date`]: calendar dates of legal acts.
//! - [`payload`]: what each kind of entry says, in canonical JSON.
//! - [`profile`]: domestic procedure profiles (who approves, by what vote).
//! - [`proof`]: portable proofs of one member's status for one instrument.
//! - [`authority`]: keys over time (rotation, revocation) and admitted members.
//! - [`feed`]: chain verification of one member's feed.
//! - [`fork`]: fork proofs, the evidence of equivocation.
//! - [`bundle`]: a whole ledger in one file.
//! - [`scan`]: a bundle read as a stream from a reader the caller opens.
//! - [`note`]: the C2SP signed-note envelope.
//! - [`checkpoint`]: signed and cosigned statements of the heads a node holds.
//! - [`audit`]: verifying a whole ledger as a stream, in memory bounded by its members.
//! - [`verify`]: an auditor's verification of a bundle in memory, and its report.
//! - [`status`]: the status engine: who is bound by what, since when, by which entries.
//! - [`synth`]: deterministic synthetic ledgers for tests and benchmarks.
//! - [`wire`]: the JSON bodies of the node's HTTP API.
//! - [`fuzz_check`]: the oracles of the fuzz targets in `fuzz/` (they panic on purpose).

#![forbid(unsafe_code)]

pub mod audit;
pub mod authority;
pub mod bundle;
pub mod checkpoint;
pub mod codec;
pub mod date;
pub mod entry;
pub mod feed;
pub mod fork;
pub mod fuzz_check;
pub mod ids;
pub mod keys;
pub mod note;
pub mod payload;
pub mod profile;
pub mod proof;
pub mod roster;
pub mod scan;
pub mod sig;
pub mod status;
pub mod synth;
pub mod verify;
pub mod wire;

pub use entry::{Draft, Entry};
pub use ids::{EntryId, Kind, MemberCode, NetworkId, PublicKey, Seq, Timestamp};
pub use keys::SecretKey;
pub use roster::Roster;
