//! The one signature rule (SPEC.md section 4.2), alone and in batches.
//!
//! A signature `R ‖ s` by key `A` over a message is valid when
//!
//! 1. s is canonical (s < ℓ);
//! 2. R is the canonical encoding of a curve point (A's is checked once, when the key
//!    is read: [`PublicKey::from_bytes`]);
//! 3. R is not of small order (nor is A, checked with the key);
//! 4. the cofactored equation `[8][s]B = [8]R + [8][k]A` holds, k = SHA-512(R ‖ A ‖ M).
//!
//! Why cofactored: it is the only Ed25519 equation whose batch form agrees with
//! single verification on every input (Chalkias, Garillot and Nikolaenko, "Taming the
//! many EdDSAs", 2020; ZIP 215). Checks 1–3 are cheap byte comparisons made here; the
//! equation is ed25519-consensus's, alone or as a random linear combination over a
//! batch. A batch that fails is split in halves until each failing signature is found,
//! so every verdict is the single verdict, and errors still name the entry.
//!
//! The batch coefficients come from the operating system's random source. That is the
//! one thing here that is not a pure function of the input, and it cannot change a
//! verdict: a batch of signatures that are not all valid passes with probability
//! about 2^-128, and a batch that fails is settled one signature at a time.

use ed25519_consensus::{Signature, VerificationKey, VerificationKeyBytes, batch};
use rayon::prelude::*;
use thiserror::Error;

use crate::ids::PublicKey;

/// Why a signature is refused, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SigError {
    #[error("s is not below the group order ℓ (a non-canonical scalar)")]
    NonCanonicalS,
    #[error("R is not a canonical point encoding")]
    NonCanonicalR,
    #[error("R is not a point on the curve")]
    NotAPoint,
    #[error("R has small order")]
    SmallOrderR,
    #[error("the cofactored equation [8][s]B = [8]R + [8][k]A does not hold")]
    Equation,
}

/// One signature to check: the key, the exact bytes signed, the 64 signature bytes.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub key: PublicKey,
    pub message: &'a [u8],
    pub signature: [u8; 64],
}

/// Signatures per batch. The batch equation costs a multi-scalar multiplication over
/// its R points plus one point per distinct key; at a few hundred points Straus and
/// Pippenger have amortised most of the doublings, while a failing batch is still
/// cheap to split. Rayon spreads the batches over the cores.
pub const BATCH: usize = 256;

/// Below this many signatures, a failing batch is settled one signature at a time:
/// two single checks cost less than a batch and two halves.
const SPLIT_FLOOR: usize = 4;

/// The encodings (sign bit cleared) of the y coordinates of the eight points of small
/// order: y = 1 (the identity), y = p − 1 (order 2), y = 0 (order 4) and the two
/// values of the points of order 8. With y canonical, R has small order exactly when
/// its y is one of these; `small_order_table_is_the_eight_torsion` checks it against
/// curve25519-dalek's `EIGHT_TORSION`.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    hex_literal(b"0100000000000000000000000000000000000000000000000000000000000000"),
    hex_literal(b"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex_literal(b"0000000000000000000000000000000000000000000000000000000000000000"),
    hex_literal(b"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex_literal(b"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
];

/// ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
const ELL: [u8; 32] =
    hex_literal(b"edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");

/// p = 2^255 − 19, little-endian.
const P: [u8; 32] =
    hex_literal(b"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

#[allow(
    clippy::panic,
    reason = "const evaluation: a bad literal fails the build"
)]
const fn hex_literal(hex: &[u8; 64]) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            // Only literals above reach this, and a bad one fails the build.
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]);
        i += 1;
    }
    out
}

/// `a < b` for 256-bit little-endian numbers.
fn less_than(a: &[u8; 32], b: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

fn halves(signature: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&signature[..32]);
    s.copy_from_slice(&signature[32..]);
    (r, s)
}

/// Checks 1 and 3, and the canonical part of 2, by byte comparisons alone: no point
/// is decoded, so they cost nothing next to the equation. Whether R is on the curve
/// at all is left to the equation (a batch with such an R fails and is split, and the
/// single check names the reason).
fn cheap_checks(signature: &[u8; 64]) -> Result<(), SigError> {
    let (r, s) = halves(signature);
    if !less_than(&s, &ELL) {
        return Err(SigError::NonCanonicalS);
    }
    let sign = r[31] & 0x80 != 0;
    let mut y = r;
    y[31] &= 0x7f;
    if !less_than(&y, &P) {
        return Err(SigError::NonCanonicalR);
    }
    // x = 0 only at y = ±1, where the only canonical sign bit is 0 ("−0" is not).
    if sign && (y == SMALL_ORDER_Y[0] || y == SMALL_ORDER_Y[1]) {
        return Err(SigError::NonCanonicalR);
    }
    if SMALL_ORDER_Y.contains(&y) {
        return Err(SigError::SmallOrderR);
    }
    Ok(())
}

/// Checks one signature under the rule, with the precise reason for a refusal.
pub fn verify_one(key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> Result<(), SigError> {
    cheap_checks(signature)?;
    let (r, _) = halves(signature);
    if curve25519_dalek::edwards::CompressedEdwardsY(r)
        .decompress()
        .is_none()
    {
        return Err(SigError::NotAPoint);
    }
    // A valid PublicKey always decodes; treat the impossible failure as a refusal.
    let vk = VerificationKey::try_from(key.to_bytes()).map_err(|_| SigError::Equation)?;
    vk.verify(&Signature::from(*signature), message)
        .map_err(|_| SigError::Equation)
}

/// Checks many signatures: one verdict per item, in order, each exactly what
/// [`verify_one`] would say.
pub fn verify_many(items: &[Item<'_>]) -> Vec<Result<(), SigError>> {
    items
        .par_chunks(BATCH)
        .flat_map_iter(verify_chunk)
        .collect()
}

fn verify_chunk(items: &[Item<'_>]) -> Vec<Result<(), SigError>> {
    let mut verdicts: Vec<Result<(), SigError>> =
        items.iter().map(|i| cheap_checks(&i.signature)).collect();
    let passed: Vec<usize> = (0..items.len()).filter(|&i| verdicts[i].is_ok()).collect();
    settle(items, &passed, &mut verdicts);
    verdicts
}

/// Decides the equation for `items[which]`, writing each refusal into `verdicts`.
fn settle(items: &[Item<'_>], which: &[usize], verdicts: &mut [Result<(), SigError>]) {
    if which.len() <= SPLIT_FLOOR {
        for &i in which {
            if let Some(item) = items.get(i) {
                verdicts[i] = verify_one(&item.key, item.message, &item.signature);
            }
        }
        return;
    }
    if batch_holds(which.iter().filter_map(|&i| items.get(i))) {
        return;
    }
    let (left, right) = which.split_at(which.len() / 2);
    settle(items, left, verdicts);
    settle(items, right, verdicts);
}

/// The cofactored batch equation over `items`, with fresh coefficients from the OS.
/// `false` also when no randomness could be had: the caller then splits the batch
/// down to single checks, which need none.
fn batch_holds<'a>(items: impl Iterator<Item = &'a Item<'a>>) -> bool {
    let mut verifier = batch::Verifier::new();
    let mut count = 0;
    for item in items {
        verifier.queue((
            VerificationKeyBytes::from(item.key.to_bytes()),
            Signature::from(item.signature),
            item.message,
        ));
        count += 1;
    }
    match OsCoefficients::new(count) {
        Some(rng) => verifier.verify(rng).is_ok(),
        None => false,
    }
}

/// 128-bit batch coefficients, drawn from the OS in one call per batch rather than
/// one system call per signature. Each byte is handed out once.
struct OsCoefficients {
    bytes: Vec<u8>,
    next: usize,
}

impl OsCoefficients {
    fn new(signatures: usize) -> Option<Self> {
        let mut bytes = vec![0u8; signatures.saturating_mul(16)];
        getrandom::fill(&mut bytes).ok()?;
        Some(OsCoefficients { bytes, next: 0 })
    }
}

impl rand_core_06::RngCore for OsCoefficients {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let end = self.next + dest.len();
        match self.bytes.get(self.next..end) {
            Some(src) => dest.copy_from_slice(src),
            // More asked than drawn (the crate takes 16 bytes per signature, so this
            // does not happen): draw the rest from the OS directly. A failure leaves
            // zeros, which can only make a batch of valid signatures fail; it is then
            // split and settled by single checks.
            None => {
                let _ = getrandom::fill(dest);
            }
        }
        self.next = end;
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// The bytes are the OS's cryptographic random source's, each used once.
impl rand_core_06::CryptoRng for OsCoefficients {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn small_order_table_is_the_eight_torsion() {
        for point in curve25519_dalek::constants::EIGHT_TORSION {
            let mut y = point.compress().to_bytes();
            y[31] &= 0x7f;
            assert!(SMALL_ORDER_Y.contains(&y), "{}", hex::encode(y));
        }
        // And every y listed is one of them (both signs where x ≠ 0).
        for y in SMALL_ORDER_Y {
            let point = curve25519_dalek::edwards::CompressedEdwardsY(y)
                .decompress()
                .unwrap();
            assert!(point.is_small_order());
        }
    }

    #[test]
    fn the_constants_are_ell_and_p() {
        // ℓ − 1 is canonical, ℓ is not.
        let mut ell_minus_one = ELL;
        ell_minus_one[0] -= 1;
        assert!(bool::from(
            curve25519_dalek::scalar::Scalar::from_canonical_bytes(ell_minus_one).is_some()
        ));
        assert!(bool::from(
            curve25519_dalek::scalar::Scalar::from_canonical_bytes(ELL).is_none()
        ));
        let mut p_minus_one = P;
        p_minus_one[0] -= 1;
        assert!(less_than(&p_minus_one, &P) && !less_than(&P, &P));
    }
}
