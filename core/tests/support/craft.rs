//! Signatures made by hand from a key's secret scalar, for the edges of SPEC 4.2 that
//! an honest signer never produces: R with a torsion component, small-order R, s ≥ ℓ,
//! and keys with a torsion component. Shared by `vectors.rs` and `signatures.rs`.

#![allow(dead_code, reason = "each test file uses its own part")]

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// ℓ, little-endian.
pub const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn wide(parts: &[&[u8]]) -> Scalar {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(&h.finalize());
    Scalar::from_bytes_mod_order_wide(&out)
}

/// The point of order 8 used for torsion (index 1 of curve25519-dalek's table).
pub fn t8() -> EdwardsPoint {
    EIGHT_TORSION[1]
}

/// A signer that knows its secret scalar, and may carry a torsion component in its
/// public key (A = aB + T).
#[derive(Clone, Copy)]
pub struct Signer {
    pub a: Scalar,
    pub public: [u8; 32],
}

impl Signer {
    /// RFC 8032's key from a seed: the clamped first half of SHA-512(seed).
    pub fn from_seed(seed: &[u8; 32]) -> Signer {
        let mut h = [0u8; 64];
        h.copy_from_slice(&Sha512::digest(seed));
        let mut a = [0u8; 32];
        a.copy_from_slice(&h[..32]);
        a[0] &= 248;
        a[31] &= 127;
        a[31] |= 64;
        let a = Scalar::from_bytes_mod_order(a);
        let public = EdwardsPoint::mul_base(&a).compress().to_bytes();
        Signer { a, public }
    }

    /// The same secret scalar with a public key of aB + T: a valid key (canonical, not
    /// of small order) whose signatures fail the cofactorless equation unless k ≡ 0
    /// mod 8, and always pass the cofactored one.
    pub fn with_torsion(self, t: EdwardsPoint) -> Signer {
        let public = (EdwardsPoint::mul_base(&self.a) + t).compress().to_bytes();
        Signer { public, ..self }
    }

    fn k(&self, r: &[u8; 32], msg: &[u8]) -> Scalar {
        wide(&[r, &self.public, msg])
    }

    /// A signature whose R is rB + T (T = identity: an honest signature). With T of
    /// small order, not the identity, it is valid under the cofactored rule and not
    /// under the cofactorless one.
    pub fn sign_with_r_torsion(&self, msg: &[u8], t: EdwardsPoint) -> [u8; 64] {
        let r = wide(&[b"pacta test nonce", self.a.as_bytes(), msg]);
        let big_r = (EdwardsPoint::mul_base(&r) + t).compress().to_bytes();
        let s = r + self.k(&big_r, msg) * self.a;
        join(&big_r, &s.to_bytes())
    }

    /// A signature whose R is the small-order point T and s = k·a: the cofactored
    /// equation holds ([8]R = 0), so only the small-order rule refuses it.
    pub fn sign_small_order_r(&self, msg: &[u8], t: EdwardsPoint) -> [u8; 64] {
        let big_r = t.compress().to_bytes();
        let s = self.k(&big_r, msg) * self.a;
        join(&big_r, &s.to_bytes())
    }
}

impl Signer {
    /// R = rB and s = r: under a key A of small order, [8][s]B = [8]R + [8][k]A holds
    /// for every message, since [8]A = 0. Only the rule on A refuses it.
    pub fn sign_for_small_order_key(&self, msg: &[u8]) -> [u8; 64] {
        let r = wide(&[b"pacta test nonce", self.a.as_bytes(), msg]);
        join(
            &EdwardsPoint::mul_base(&r).compress().to_bytes(),
            &r.to_bytes(),
        )
    }
}

pub fn join(r: &[u8; 32], s: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(r);
    out[32..].copy_from_slice(s);
    out
}

/// The signature with s replaced by s + ℓ: the same value mod ℓ, so the equation
/// still holds, in a non-canonical encoding.
pub fn s_plus_ell(sig: &[u8; 64]) -> [u8; 64] {
    let mut out = *sig;
    let mut carry = 0u16;
    for (i, l) in ELL.iter().enumerate() {
        let sum = u16::from(out[32 + i]) + u16::from(*l) + carry;
        out[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    out
}

/// A y below 19 that is a point of large order: its encoding y + p is non-canonical.
pub fn non_canonical_point() -> [u8; 32] {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    for y in 2u8..19 {
        let mut enc = [0u8; 32];
        enc[0] = y;
        if let Some(p) = CompressedEdwardsY(enc).decompress()
            && !p.is_small_order()
        {
            // y + p = y + 2^255 − 19: little-endian, y − 19 + 256 in byte 0 with a borrow.
            let mut nc = [0xffu8; 32];
            nc[0] = y.wrapping_sub(19);
            nc[31] = 0x7f;
            return nc;
        }
    }
    [0xff; 32]
}

/// 32 bytes that are not the encoding of any curve point.
pub fn not_a_point() -> [u8; 32] {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    (2u8..=255)
        .map(|b| {
            let mut enc = [0u8; 32];
            enc[0] = b;
            enc[1] = 1;
            enc
        })
        .find(|enc| CompressedEdwardsY(*enc).decompress().is_none())
        .unwrap_or([0; 32])
}
