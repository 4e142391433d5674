//! `pacta dev scenario --out FILE`: the demo's ledger, signed offline with the example
//! keys, as a bundle. The same entries `pacta demo` submits to its nodes, recorded at
//! fixed times (from 2026-12-01T00:00:00Z, one second apart), so the file is the same
//! on every machine: the independent verifier checks its status against ours.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use pacta_core::entry::Draft;
use pacta_core::feed::Feed;
use pacta_core::ids::{Kind, Seq, Timestamp};
use pacta_core::payload::Payload;
use pacta_core::{Entry, MemberCode, Roster, SecretKey, bundle};

use crate::cmd::demo::resolve;
use crate::files::write_atomic;
use crate::{Outcome, example, scenario};

/// 2026-12-01T00:00:00Z: after every act of the scenario.
const RECORDED_FROM_MS: u64 = 1_796_083_200_000;

pub fn run(out: &Path) -> Result<Outcome> {
    let roster = Roster::from_toml(example::ROSTER).context("the embedded demo roster")?;
    let keys: BTreeMap<MemberCode, SecretKey> = example::KEYS
        .iter()
        .map(|(code, text)| Ok((code.parse()?, SecretKey::from_file_text(text)?)))
        .collect::<Result<_>>()?;
    let illustrative_sha = hex::encode(pacta_core::codec::sha256(
        scenario::ILLUSTRATIVE_TEXT.as_bytes(),
    ));
    let mut feeds: BTreeMap<MemberCode, Vec<Entry>> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (i, step) in scenario::steps(&illustrative_sha).iter().enumerate() {
        let member: MemberCode = step.member.parse()?;
        let key = keys.get(&member).context("no demo key")?;
        let kind: Kind = step.kind.parse()?;
        let payload = Payload::from_json(kind, resolve(&step.payload, &names)?)?;
        let feed = feeds.entry(member).or_default();
        let draft = Draft {
            network: roster.network_id(),
            author: member,
            seq: Seq(feed.len() as u64 + 1),
            prev: feed.last().map(Entry::id),
            time: Timestamp::from_millis(RECORDED_FROM_MS + 1000 * i as u64)?,
            kind,
            payload: payload.encode(),
        };
        let entry = draft.sign(key)?;
        if let Some(name) = &step.name {
            names.insert(format!("${name}"), entry.id().to_string());
        }
        feed.push(entry);
    }
    let feeds: Vec<Feed> = feeds
        .into_iter()
        .map(|(member, entries)| Feed { member, entries })
        .collect();
    let bytes = bundle::encode(roster.network_id(), &feeds, &[], None);
    write_atomic(out, &bytes)?;
    eprintln!(
        "wrote the demo scenario, {} entries, to {} ({} bytes)",
        feeds.iter().map(|f| f.entries.len()).sum::<usize>(),
        out.display(),
        bytes.len()
    );
    Ok(Outcome::Valid)
}
