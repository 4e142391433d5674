//! `pacta submit --node URL --key FILE --member CODE (note --text TEXT | --body FILE)`
//!
//! Signs on this machine and posts the entry; the secret key never leaves it. Exit 0
//! when the node stored the entry, 1 when the node refused it, 2 on any other error.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use pacta_core::SecretKey;
use pacta_core::entry::{Draft, Entry};
use pacta_core::ids::{Kind, MemberCode, NetworkId, PublicKey, Seq, Timestamp};
use pacta_core::payload::{Note, Payload};
use pacta_core::wire::{Accepted, ApiError, Head};
use reqwest::StatusCode;

use crate::Outcome;
use crate::client::{Answer, NodeClient};
use crate::files::read_secret_key;
use crate::journal::Journal;

/// The payload to sign: from flags or from a `--body` file.
#[derive(Debug)]
pub enum Body<'a> {
    Note { text: String },
    File(&'a Path),
}

pub async fn run(
    node: &str,
    key_path: &Path,
    member: MemberCode,
    body: Body<'_>,
    force: bool,
) -> Result<Outcome> {
    let payload = match body {
        Body::Note { text } => Payload::Note(Note::new(text)),
        Body::File(path) => payload_from_file(path)?,
    };
    // Validate before signing anything, so a mistake never reaches the journal.
    let bytes = payload.encode();
    Payload::decode(payload.kind(), &bytes)?;
    // The key file itself, whatever path reaches it: its one journal is beside it, and
    // the key is read from the very file the journal belongs to.
    let key_file = Journal::resolve_key(key_path)?;
    let key = read_secret_key(&key_file)?;
    let client = NodeClient::new(node)?;
    let mut journal = Journal::open(Journal::path_for(&key_file))?;
    let mut signer = Signer {
        client: &client,
        key: &key,
        key_label: format!("the key in {}", key_file.display()),
        member,
        journal: &mut journal,
        force,
    };
    match signer.sign_and_submit(payload.kind(), bytes).await? {
        Ok(a) => {
            println!("{} {} stored: {}", a.member, a.seq, a.id);
            Ok(Outcome::Valid)
        }
        Err((status, err)) => {
            eprintln!(
                "pacta: the node refused the entry (HTTP {status}, {}): {}",
                err.reason, err.error
            );
            Ok(Outcome::Invalid)
        }
    }
}

fn payload_from_file(path: &Path) -> Result<Payload> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct BodyFile {
        kind: String,
        payload: serde_json::Value,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let body: BodyFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not {{\"kind\": \"...\", \"payload\": {{...}}}}",
            path.display()
        )
    })?;
    let kind: Kind = body
        .kind
        .parse()
        .with_context(|| format!("{}: kind", path.display()))?;
    Payload::from_json(kind, body.payload).with_context(|| format!("{}", path.display()))
}

/// Signs entries for one member against one node, keeping the journal.
#[derive(Debug)]
pub struct Signer<'a> {
    pub client: &'a NodeClient,
    pub key: &'a SecretKey,
    /// Where the key comes from, for sentences: "the key in FR.key".
    pub key_label: String,
    pub member: MemberCode,
    pub journal: &'a mut Journal,
    /// Sign on top of the node's head even when the journal disagrees with the node.
    pub force: bool,
}

fn now() -> Result<Timestamp> {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_millis();
    Ok(Timestamp::from_millis(
        u64::try_from(ms).unwrap_or(u64::MAX),
    )?)
}

impl Signer<'_> {
    /// Brings the node up to date with the journal, then signs and posts one new entry.
    ///
    /// Nothing is signed on a head that has not been checked: the node's head entry must
    /// be the one it advertises, signed by this key (or a rotation to it), and the chain
    /// below it must reach the newest entry of the journal. A node can lie about its
    /// heads; signing on a false one would put this key's signature on an entry no honest
    /// node accepts, which the liar could later pair with the real one as a fork proof
    /// (issue 18, finding 4).
    pub async fn sign_and_submit(
        &mut self,
        kind: Kind,
        payload: Vec<u8>,
    ) -> Result<Result<Accepted, (StatusCode, Box<ApiError>)>> {
        let member = self.member;
        let heads = self.client.heads().await?;
        let network = heads.network;
        // The head entry, checked, or `None` for a feed the node does not hold.
        let mut head: Option<Entry> = match heads.heads.get(&member) {
            None => None,
            Some(advertised) => Some(self.verified_head(network, *advertised).await?),
        };
        let node_seq = head.as_ref().map_or(0, |h| h.seq().0);
        let signed: Vec<Entry> = self
            .journal
            .feed(network, member)
            .into_iter()
            .cloned()
            .collect();

        // The newest entry this key signed at or below the node's head must be on the
        // node's chain to that head; otherwise signing on top could fork the feed.
        if let (Some(common), Some(top)) = (
            signed.iter().rev().find(|e| e.seq().0 <= node_seq),
            head.as_ref(),
        ) {
            self.check_chain(common, top).await?;
        }

        // Entries this key signed that the node lacks are sent again, unchanged.
        let missing: Vec<&Entry> = signed.iter().filter(|e| e.seq().0 > node_seq).collect();
        if let (Some(first), Some(last)) = (missing.first(), missing.last()) {
            let contiguous = node_seq.checked_add(1) == Some(first.seq().0)
                && first.header().prev == head.as_ref().map(Entry::id)
                && missing.windows(2).all(|w| {
                    w[0].seq().next() == Some(w[1].seq()) && w[1].header().prev == Some(w[0].id())
                });
            if contiguous {
                eprintln!(
                    "pacta: the node lacks {member} {}..{}, which this key already signed; sending the same signed {} again instead of signing anything new at {}",
                    first.seq(),
                    last.seq(),
                    if missing.len() == 1 {
                        "entry"
                    } else {
                        "entries"
                    },
                    if missing.len() == 1 {
                        "that position"
                    } else {
                        "those positions"
                    }
                );
                match self.client.submit(&missing).await? {
                    Answer::Accepted(_) => head = Some((*last).clone()),
                    Answer::Refused(status, err) => bail!(
                        "re-sending {member}'s signed entries failed (HTTP {status}): {}",
                        err.error
                    ),
                }
            } else if !self.force {
                bail!(
                    "the journal {} holds {member} {}..{} but they do not extend the node's head ({}); refusing to sign at a position this key already used (--force signs on the node's head anyway)",
                    self.journal_path(),
                    first.seq(),
                    last.seq(),
                    head.as_ref().map_or("empty".to_owned(), |h| format!(
                        "{} {}",
                        h.seq(),
                        h.id().short()
                    ))
                );
            }
        }

        let (seq, prev, time) = match &head {
            None => (Seq::FIRST, None, now()?),
            Some(h) => {
                // Claimed times never go backwards within a feed, even with a skewed clock.
                let time = now()?.max(h.header().time);
                let seq = h
                    .seq()
                    .next()
                    .with_context(|| format!("{member}'s feed is full"))?;
                (seq, Some(h.id()), time)
            }
        };
        if !self.force && signed.iter().any(|e| e.seq() == seq) {
            bail!(
                "this key already signed {member} {seq} (journal {}); refusing to sign a second entry there",
                self.journal_path()
            );
        }
        let entry = Draft {
            network,
            author: member,
            seq,
            prev,
            time,
            kind,
            payload,
        }
        .sign(self.key)?;
        self.journal.append(&entry)?;
        Ok(match self.client.submit(&[&entry]).await? {
            Answer::Accepted(ok) => Ok(ok
                .accepted
                .first()
                .copied()
                .context("the node answered with no result")?),
            Answer::Refused(status, err) => Err((status, err)),
        })
    }

    /// The sentence that refuses a node's head of this member.
    fn false_head(&self, seq: Seq, reason: impl std::fmt::Display) -> anyhow::Error {
        let member = self.member;
        anyhow!(
            "{} serves a head of {member} that does not verify: {member} {seq}: {reason}. Refusing to sign on it; nothing was signed",
            self.client.url()
        )
    }

    /// Fetches the entry the node advertises as this member's head and checks it: the
    /// position and the id advertised, the network, and a signature by this key, or, for
    /// the entry that hands the feed over to this key, a `key-rotation` whose proof this
    /// key signed for that very position (the rotation itself is signed by the previous
    /// key, which this machine does not hold).
    async fn verified_head(&self, network: NetworkId, advertised: Head) -> Result<Entry> {
        let member = self.member;
        let seq = advertised.seq;
        let page = self.client.page(member, seq, 1).await?;
        let Some(bytes) = page.entries.first() else {
            return Err(self.false_head(
                seq,
                "the node lists it as the head but serves nothing there",
            ));
        };
        let entry = Entry::decode(&bytes.0).map_err(|e| {
            self.false_head(
                seq,
                format_args!("what the node serves there is not an entry: {e}"),
            )
        })?;
        if entry.author() != member || entry.seq() != seq {
            return Err(self.false_head(
                seq,
                format_args!("it serves {} {} there", entry.author(), entry.seq()),
            ));
        }
        if entry.header().network != network {
            return Err(self.false_head(
                seq,
                format_args!(
                    "the entry there is of network {}, not of the network the node advertises ({})",
                    entry.header().network.short(),
                    network.short()
                ),
            ));
        }
        if entry.id() != advertised.id {
            return Err(self.false_head(
                seq,
                format_args!(
                    "the node advertises id {}, but the entry it serves there has id {}",
                    advertised.id.short(),
                    entry.id().short()
                ),
            ));
        }
        let public = self.key.public();
        if !entry.signature_verifies(&public) && !hands_over_to(&entry, &public) {
            return Err(self.false_head(
                seq,
                format_args!(
                    "it is not signed by {} ({}); either that is not {member}'s key, or the node serves an entry {member} never signed",
                    self.key_label,
                    short_key(&public)
                ),
            ));
        }
        Ok(entry)
    }

    /// Checks that `common`, the newest entry of the journal at or below the head `top`,
    /// is on the node's chain to `top`: the node holds it, and each entry above it names
    /// the one below as its prev, up to `top`, whose signature was checked. A node that
    /// holds another entry where this key signed is refused unless `--force`; a chain
    /// that does not hold together is a false head, always refused.
    async fn check_chain(&self, common: &Entry, top: &Entry) -> Result<()> {
        let member = self.member;
        if common.seq() == top.seq() {
            return self.disagrees(common, Some(top));
        }
        // The node's entries from `common`'s position up to the one below `top`.
        let mut below: Option<Entry> = None;
        let mut next = common.seq().0;
        while next < top.seq().0 {
            let limit = (top.seq().0 - next).min(crate::client::PAGE);
            let page = self.client.page(member, Seq(next), limit).await?;
            if page.entries.is_empty() {
                return Err(self.false_head(
                    top.seq(),
                    format_args!("the node serves nothing at {member} #{next}, below its head"),
                ));
            }
            for bytes in &page.entries {
                let at = Seq(next);
                let entry = Entry::decode(&bytes.0).map_err(|e| {
                    self.false_head(
                        top.seq(),
                        format_args!("what it serves at {member} {at} is not an entry: {e}"),
                    )
                })?;
                if entry.author() != member || entry.seq() != at {
                    return Err(self.false_head(
                        top.seq(),
                        format_args!(
                            "it serves {} {} at {member} {at}",
                            entry.author(),
                            entry.seq()
                        ),
                    ));
                }
                match &below {
                    None => {
                        if entry.id() != common.id() {
                            return self.disagrees(common, Some(&entry));
                        }
                    }
                    Some(b) => self.links(b, &entry, top.seq())?,
                }
                below = Some(entry);
                next += 1;
            }
        }
        match &below {
            Some(b) => self.links(b, top, top.seq()),
            None => self.disagrees(common, None),
        }
    }

    /// `upper` must name `lower` as its prev.
    fn links(&self, lower: &Entry, upper: &Entry, head: Seq) -> Result<()> {
        if upper.header().prev == Some(lower.id()) {
            return Ok(());
        }
        let member = self.member;
        Err(self.false_head(
            head,
            format_args!(
                "{member} {}'s prev is {}, but the node's {member} {} is {}: the head does not chain to the entry this key signed",
                upper.seq(),
                upper
                    .header()
                    .prev
                    .map_or("none".to_owned(), |p| p.short()),
                lower.seq(),
                lower.id().short()
            ),
        ))
    }

    /// The node holds `held` where this key signed `common`: refused unless `--force`.
    fn disagrees(&self, common: &Entry, held: Option<&Entry>) -> Result<()> {
        if held.map(Entry::id) == Some(common.id()) {
            return Ok(());
        }
        let member = self.member;
        let found = held.map_or("nothing".to_owned(), |e| e.id().to_string());
        let msg = format!(
            "{member} {}: the node holds {found}, but this key signed {} there (journal {}). Another copy of this key is signing, or the node serves another history; signing now could fork {member}'s feed",
            common.seq(),
            common.id(),
            self.journal_path()
        );
        if !self.force {
            bail!("{msg}. Refusing; --force signs anyway");
        }
        eprintln!("pacta: warning: {msg}. Signing anyway (--force).");
        Ok(())
    }

    fn journal_path(&self) -> String {
        self.journal.path().display().to_string()
    }
}

/// Whether `entry` is a `key-rotation` to `key` whose proof `key` signed for the
/// entry's own network, member and position. Only the holder of `key` can make that
/// proof, so the position where the feed passed to this key is genuine.
fn hands_over_to(entry: &Entry, key: &PublicKey) -> bool {
    let h = entry.header();
    if h.kind != Kind::KEY_ROTATION {
        return false;
    }
    match Payload::decode(h.kind, entry.payload()) {
        Ok(Payload::KeyRotation(r)) => {
            r.key().as_ref() == Some(key) && r.proof_verifies(h.network, h.author, h.seq)
        }
        _ => false,
    }
}

fn short_key(key: &PublicKey) -> String {
    let hex = key.to_string();
    format!("{}…", &hex[..hex.len().min(16)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacta_core::ids::NetworkId;
    use pacta_core::payload::KeyRotation;

    fn rotation(proof_seq: Seq, to: &SecretKey, by: &SecretKey) -> Entry {
        let network = NetworkId([1; 32]);
        let member: MemberCode = "NL".parse().unwrap();
        let payload = Payload::KeyRotation(KeyRotation::new(network, member, proof_seq, to));
        Draft {
            network,
            author: member,
            seq: Seq(2),
            prev: Some(pacta_core::ids::EntryId([3; 32])),
            time: Timestamp::from_millis(1_767_700_800_000).unwrap(),
            kind: payload.kind(),
            payload: payload.encode(),
        }
        .sign(by)
        .unwrap()
    }

    #[test]
    fn only_a_rotation_proved_by_this_key_at_its_position_hands_the_feed_over() {
        let old = SecretKey::from_seed(&[1; 32]);
        let new = SecretKey::from_seed(&[2; 32]);
        let other = SecretKey::from_seed(&[3; 32]);
        assert!(hands_over_to(&rotation(Seq(2), &new, &old), &new.public()));
        // To another key.
        assert!(!hands_over_to(
            &rotation(Seq(2), &other, &old),
            &new.public()
        ));
        // A proof made for another position, copied here.
        assert!(!hands_over_to(&rotation(Seq(7), &new, &old), &new.public()));
        // Not a rotation at all.
        let note = Draft {
            kind: Kind::NOTE,
            payload: Payload::Note(Note::new("x".to_owned())).encode(),
            ..rotation(Seq(2), &new, &old).to_draft()
        }
        .sign(&old)
        .unwrap();
        assert!(!hands_over_to(&note, &new.public()));
    }
}
