//! Shared helpers for the core's integration tests: a small roster with known keys and
//! a builder of valid feeds.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared by several test binaries; test code"
)]

pub mod world;

use std::collections::BTreeMap;

use pacta_core::entry::Draft;
use pacta_core::feed::Feed;
use pacta_core::ids::{EntryId, Kind, MemberCode, NetworkId, Seq, Timestamp};
use pacta_core::payload::{Note, Payload};
use pacta_core::{Entry, Roster, SecretKey};

pub const CODES: [&str; 3] = ["DE", "FR", "GB"];
pub const T0: u64 = 1_767_700_800_000;

pub struct Net {
    pub roster: Roster,
    pub keys: BTreeMap<MemberCode, SecretKey>,
}

pub fn key_for(code: &str, network: &str) -> SecretKey {
    let mut seed = [0u8; 32];
    for (i, b) in format!("{network}/{code}").bytes().enumerate().take(32) {
        seed[i] = b;
    }
    SecretKey::from_seed(&seed)
}

pub fn net(name: &str) -> Net {
    let mut toml = format!("network = \"{name}\"\n");
    let mut keys = BTreeMap::new();
    for (i, code) in CODES.iter().enumerate() {
        let key = key_for(code, name);
        toml.push_str(&format!(
            "[[member]]\ncode = \"{code}\"\nname = \"{code}\"\nkey = \"{}\"\nnode = \"http://127.0.0.1:{}\"\nprofile = \"generic\"\n",
            key.public(),
            7001 + i
        ));
        keys.insert(code.parse().unwrap(), key);
    }
    Net {
        roster: Roster::from_toml(&toml).unwrap(),
        keys,
    }
}

pub fn code(s: &str) -> MemberCode {
    s.parse().unwrap()
}

pub fn note_draft(
    network: NetworkId,
    author: MemberCode,
    seq: u64,
    prev: Option<EntryId>,
    text: &str,
) -> Draft {
    Draft {
        network,
        author,
        seq: Seq(seq),
        prev,
        time: Timestamp::from_millis(T0 + seq * 1000).unwrap(),
        kind: Kind::NOTE,
        payload: Payload::Note(Note::new(text.to_owned())).encode(),
    }
}

impl Net {
    pub fn key(&self, member: &str) -> &SecretKey {
        &self.keys[&code(member)]
    }

    /// A valid feed of `n` notes by `member`.
    pub fn feed(&self, member: &str, n: u64) -> Feed {
        let author = code(member);
        let mut entries: Vec<Entry> = Vec::new();
        for seq in 1..=n {
            let prev = entries.last().map(Entry::id);
            let d = note_draft(
                self.roster.network_id(),
                author,
                seq,
                prev,
                &format!("{member} note {seq}"),
            );
            entries.push(d.sign(self.key(member)).unwrap());
        }
        Feed {
            member: author,
            entries,
        }
    }
}

pub fn raw(entries: &[Entry]) -> Vec<&[u8]> {
    entries.iter().map(Entry::as_bytes).collect()
}
