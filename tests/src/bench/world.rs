//! The benchmark's own network: 64 members, keys derived from public strings (like
//! `keys-example/`, measurement only), the first seven with node keys so that a mesh
//! of them witnesses as a real network does.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pacta_core::codec::sha256;
use pacta_core::entry::{Draft, Entry};
use pacta_core::feed::Feed;
use pacta_core::ids::{EntryId, Kind, MemberCode, Seq, Timestamp};
use pacta_core::payload::{Note, Payload};
use pacta_core::synth::{SYNTH_START_MS, synth};
use pacta_core::{Roster, SecretKey};

use crate::net::Network;

/// Members in the benchmark roster: one per concurrent client of the single-entry test.
pub const MEMBERS: usize = 64;
/// Members whose feeds hold the synthetic notes: the others carry the legal activity.
pub const NOTE_FEEDS: usize = 40;
/// Members whose nodes witness: the propagation mesh.
pub const WITNESSES: usize = 7;

/// The member code of member number `i`: `AA`, `AB`, … `CL`.
pub fn code_of(i: usize) -> MemberCode {
    let bytes = [b'A' + (i / 26) as u8, b'A' + (i % 26) as u8];
    MemberCode::from_bytes(&bytes).unwrap_or_else(|e| panic!("member {i}: {e}"))
}

/// Member `code`'s signing key, derived from a public string.
pub fn member_key(code: MemberCode) -> SecretKey {
    SecretKey::from_seed(&sha256(format!("pacta-bench member {code}").as_bytes()))
}

#[derive(Debug)]
pub struct World {
    pub roster: Roster,
    pub network: Network,
    /// The ports the witnesses' roster entries name, in member order.
    pub witness_ports: Vec<u16>,
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

impl World {
    /// Writes the roster and keys into `dir`.
    pub fn create(dir: &Path, witness_ports: &[u16]) -> World {
        let keys_dir = dir.join("keys");
        std::fs::create_dir_all(&keys_dir).unwrap_or_else(|e| panic!("{e}"));
        let mut toml = String::from(
            "network = \"pacta-bench\"\ndescription = \"Benchmark network. Keys derived from public strings: measurement only.\"\n",
        );
        for i in 0..MEMBERS {
            let code = code_of(i);
            let key = member_key(code);
            write_private(
                &keys_dir.join(format!("{code}.key")),
                &key.to_file_text(&format!("pacta-bench member {code}")),
            );
            let node = match witness_ports.get(i) {
                Some(port) => format!("http://127.0.0.1:{port}"),
                None => "http://127.0.0.1:9".to_owned(),
            };
            toml.push_str(&format!(
                "\n[[member]]\ncode = \"{code}\"\nname = \"Bench member {code}\"\nkey = \"{}\"\nnode = \"{node}\"\nprofile = \"generic\"\n",
                key.public()
            ));
            if i < witness_ports.len() {
                let node_key =
                    SecretKey::from_seed(&sha256(format!("pacta-bench node {code}").as_bytes()));
                write_private(
                    &keys_dir.join(format!("{code}.node.key")),
                    &node_key.to_file_text(&format!("pacta-bench node {code}")),
                );
                toml.push_str(&format!("node_key = \"{}\"\n", node_key.public()));
            }
        }
        let roster_path = dir.join("roster.toml");
        std::fs::write(&roster_path, &toml).unwrap_or_else(|e| panic!("{e}"));
        let roster = Roster::from_toml(&toml).unwrap_or_else(|e| panic!("bench roster: {e}"));
        World {
            roster,
            network: Network {
                roster: roster_path,
                keys: keys_dir,
            },
            witness_ports: witness_ports.to_vec(),
        }
    }

    /// `count` notes spread round-robin over the first `members` members.
    pub fn synth(&self, members: usize, count: u64) -> Vec<Feed> {
        let keys: BTreeMap<MemberCode, SecretKey> = (0..members.min(MEMBERS))
            .map(|i| (code_of(i), member_key(code_of(i))))
            .collect();
        synth(&self.roster, &keys, count).unwrap_or_else(|e| panic!("synth: {e}"))
    }

    /// A signer of fresh notes for `member`, from #1.
    pub fn author(&self, member: MemberCode) -> Signer {
        Signer {
            network: self.roster.network_id(),
            member,
            key: member_key(member),
            next: 1,
            prev: None,
        }
    }

    /// A legal life for the members with no synthetic notes, so that the status a node
    /// serves is the size of a real one: a political declaration every one of them
    /// signs, and a treaty open to them all, signed subject to ratification, with two
    /// thirds of them ratifying and the depositary receiving each instrument.
    pub fn legal_activity(&self) -> Vec<Entry> {
        let codes: Vec<MemberCode> = (NOTE_FEEDS..MEMBERS).map(code_of).collect();
        let parties: Vec<String> = codes.iter().map(ToString::to_string).collect();
        let mut signers: BTreeMap<MemberCode, Signer> =
            codes.iter().map(|c| (*c, self.author(*c))).collect();
        let depositary = codes[0];
        let mut out = Vec::new();
        let mut sign = |signers: &mut BTreeMap<MemberCode, Signer>,
                        who: MemberCode,
                        kind: Kind,
                        value: serde_json::Value| {
            let e = signers
                .get_mut(&who)
                .unwrap_or_else(|| panic!("{who}"))
                .next_json(kind, value);
            out.push(e.clone());
            e
        };
        let declaration = sign(
            &mut signers,
            depositary,
            Kind::INSTRUMENT,
            serde_json::json!({
                "short": "bench-declaration",
                "title": "Benchmark declaration (synthetic)",
                "nature": "political",
                "adopted": "2026-01-06",
                "text_sha256": hex::encode(sha256(b"benchmark declaration")),
                "parties": parties,
                "entry_into_force": {"rule": "none"},
                "withdrawal": {"rule": "not-provided"}
            }),
        )
        .id()
        .to_string();
        let treaty = sign(
            &mut signers,
            depositary,
            Kind::INSTRUMENT,
            serde_json::json!({
                "short": "bench-treaty",
                "title": "Benchmark treaty (synthetic)",
                "nature": "legal",
                "adopted": "2026-03-02",
                "text_sha256": hex::encode(sha256(b"benchmark treaty")),
                "parties": parties,
                "depositary": depositary.to_string(),
                "consent_means": ["ratification", "acceptance", "approval", "accession"],
                "entry_into_force": {"rule": "after-deposits", "deposits": 3, "days": 30},
                "withdrawal": {"rule": "after-notice", "months": 12}
            }),
        )
        .id()
        .to_string();
        for (i, code) in codes.iter().enumerate() {
            sign(
                &mut signers,
                *code,
                Kind::SIGNATURE,
                serde_json::json!(
                {"instrument": declaration, "type": "definitive", "date": "2026-01-06"}),
            );
            sign(
                &mut signers,
                *code,
                Kind::SIGNATURE,
                serde_json::json!(
                {"instrument": treaty, "type": "subject-to-ratification", "date": "2026-03-02"}),
            );
            if i % 3 == 2 {
                continue;
            }
            let consent = sign(
                &mut signers,
                *code,
                Kind::CONSENT,
                serde_json::json!(
                {"instrument": treaty, "means": "ratification", "date": format!("2026-06-{:02}", 1 + i)}),
            );
            sign(
                &mut signers,
                depositary,
                Kind::DEPOSIT_RECEIPT,
                serde_json::json!({
                "instrument": treaty, "member": code.to_string(),
                "consent": consent.id().to_string(), "date": format!("2026-07-{:02}", 1 + i)}),
            );
        }
        out
    }

    pub fn roster_path(&self) -> &PathBuf {
        &self.network.roster
    }
}

/// Signs one member's chain of notes.
#[derive(Debug)]
pub struct Signer {
    network: pacta_core::NetworkId,
    member: MemberCode,
    key: SecretKey,
    next: u64,
    prev: Option<EntryId>,
}

impl Signer {
    pub fn next(&mut self, text: &str) -> Entry {
        self.sign(&Payload::Note(Note::new(text.to_owned())))
    }

    /// The next entry, of `kind`, from its JSON form.
    pub fn next_json(&mut self, kind: Kind, value: serde_json::Value) -> Entry {
        let payload =
            Payload::from_json(kind, value).unwrap_or_else(|e| panic!("{}: {e}", kind.as_str()));
        self.sign(&payload)
    }

    fn sign(&mut self, payload: &Payload) -> Entry {
        let entry = Draft {
            network: self.network,
            author: self.member,
            seq: Seq(self.next),
            prev: self.prev,
            time: Timestamp::from_millis(SYNTH_START_MS + self.next * 1000)
                .unwrap_or_else(|e| panic!("{e}")),
            kind: payload.kind(),
            payload: payload.encode(),
        }
        .sign(&self.key)
        .unwrap_or_else(|e| panic!("{e}"));
        self.prev = Some(entry.id());
        self.next += 1;
        entry
    }
}

/// The first `per_feed` entries of each feed: a valid, smaller ledger.
pub fn prefix(feeds: &[Feed], per_feed: usize) -> Vec<Feed> {
    feeds
        .iter()
        .map(|f| Feed {
            member: f.member,
            entries: f.entries.iter().take(per_feed).cloned().collect(),
        })
        .collect()
}
