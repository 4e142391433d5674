//! `pacta dev synth --roster FILE --keys DIR --entries N --out FILE`

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use pacta_core::{bundle, synth};

use crate::Outcome;
use crate::files::{read_roster, read_secret_key, write_atomic};

pub fn run(roster_path: &Path, keys: &Path, entries: u64, out: &Path) -> Result<Outcome> {
    let roster = read_roster(roster_path)?;
    let mut secret_keys = BTreeMap::new();
    for member in roster.members() {
        let key = read_secret_key(&keys.join(format!("{}.key", member.code)))?;
        secret_keys.insert(member.code, key);
    }
    let started = Instant::now();
    let feeds = synth::synth(&roster, &secret_keys, entries)?;
    let bytes = bundle::encode(roster.network_id(), &feeds, &[], None);
    write_atomic(out, &bytes)?;
    eprintln!(
        "wrote {entries} entries over {} feeds to {} ({} bytes) in {:.1} s",
        feeds.iter().filter(|f| !f.entries.is_empty()).count(),
        out.display(),
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Valid)
}
