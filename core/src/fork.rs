//! Fork proofs: two validly signed entries at the same position of one feed.
//!
//! A fork is evidence against the member, not a parse error. Anyone holding a fork
//! proof can check it with the roster alone: both entries are signed by the member's
//! key, for this network, at the same sequence number, and they differ. The two entries
//! are kept in ascending id order so a proof has exactly one encoding.

use thiserror::Error;

use crate::entry::Entry;
use crate::feed::Problem;
use crate::ids::{EntryId, MemberCode, Seq};
use crate::roster::Roster;

/// Why two entries are not a fork proof.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ForkError {
    #[error("the two entries are the same entry ({})", .0.short())]
    Same(EntryId),
    #[error("the entries are by different members ({0} and {1})")]
    Authors(MemberCode, MemberCode),
    #[error("the entries are at different positions ({0} and {1})")]
    Positions(Seq, Seq),
    #[error("entries are not in ascending id order")]
    Order,
    #[error("entry {} is not valid: {problem}", .id.short())]
    Entry { id: EntryId, problem: Problem },
}

/// Two conflicting entries of one feed at one position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkProof {
    a: Entry,
    b: Entry,
}

impl ForkProof {
    /// Pairs two entries as a fork proof, in canonical order. Checks their shape only;
    /// [`ForkProof::verify`] checks their signatures against a roster.
    pub fn new(x: Entry, y: Entry) -> Result<ForkProof, ForkError> {
        let (a, b) = if x.id() <= y.id() { (x, y) } else { (y, x) };
        ForkProof::from_ordered(a, b)
    }

    /// Like [`ForkProof::new`] but refuses a pair that is not already in id order, for
    /// decoding received proofs (one encoding per proof).
    pub fn from_ordered(a: Entry, b: Entry) -> Result<ForkProof, ForkError> {
        if a.id() == b.id() {
            return Err(ForkError::Same(a.id()));
        }
        if a.id() > b.id() {
            return Err(ForkError::Order);
        }
        if a.author() != b.author() {
            return Err(ForkError::Authors(a.author(), b.author()));
        }
        if a.seq() != b.seq() {
            return Err(ForkError::Positions(a.seq(), b.seq()));
        }
        Ok(ForkProof { a, b })
    }

    /// Checks that both entries are signed by the member, for this network.
    ///
    /// Payloads are not judged: the member signed both headers, and that alone is the
    /// equivocation.
    pub fn verify(&self, roster: &Roster) -> Result<(), ForkError> {
        let key = roster
            .member(self.a.author())
            .ok_or(ForkError::Entry {
                id: self.a.id(),
                problem: Problem::UnknownMember,
            })?
            .key;
        self.verify_under(roster.network_id(), &key)
    }

    /// Checks that both entries are signed with `key`, the member's key in force at
    /// this position (after a rotation, not the roster's), for `network`.
    pub fn verify_under(
        &self,
        network: crate::ids::NetworkId,
        key: &crate::ids::PublicKey,
    ) -> Result<(), ForkError> {
        for entry in [&self.a, &self.b] {
            let problem = |problem| ForkError::Entry {
                id: entry.id(),
                problem,
            };
            if !entry.signature_verifies(key) {
                return Err(problem(Problem::Signature(entry.author())));
            }
            if entry.header().network != network {
                return Err(problem(Problem::Network {
                    expected: network,
                    found: entry.header().network,
                }));
            }
        }
        Ok(())
    }

    pub fn member(&self) -> MemberCode {
        self.a.author()
    }

    pub fn seq(&self) -> Seq {
        self.a.seq()
    }

    pub fn entries(&self) -> [&Entry; 2] {
        [&self.a, &self.b]
    }
}
