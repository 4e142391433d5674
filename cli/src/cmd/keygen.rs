//! `pacta keygen --out FILE`

use std::path::Path;

use anyhow::{Context, Result};
use pacta_core::SecretKey;
use zeroize::Zeroizing;

use crate::Outcome;
use crate::files::write_secret_key;

pub fn run(out: &Path) -> Result<Outcome> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice())
        .context("the operating system's random number generator failed")?;
    let key = SecretKey::from_seed(&seed);
    write_secret_key(
        out,
        &key,
        "Pacta secret key. Keep it private: whoever holds it signs as you.",
    )?;
    println!("{}", key.public());
    Ok(Outcome::Valid)
}
