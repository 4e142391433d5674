//! The roster: the network's trust root, a TOML file.
//!
//! ```toml
//! network = "pacta-demo-paris-2026"
//! description = "..."          # optional, not part of the network id
//!
//! [[member]]
//! code = "FR"                  # ISO 3166-1 alpha-2, or an organisation code
//! name = "France"
//! key = "<64 hex digits>"      # Ed25519 public key that signs FR's entries
//! node = "https://pacta.example.fr"
//! profile = "fr-art53"         # domestic procedure profile
//! node_key = "<64 hex digits>" # optional: Ed25519 key FR's node signs checkpoints with
//! remark = "..."               # optional
//!
//! [quorum]                     # optional
//! nodes = 3                    # cosignatures a checkpoint needs (default: a strict
//!                              # majority of the members with a node key)
//! members = 20                 # entries a revocation or an admission needs (default:
//!                              # a strict majority of the members)
//!
//! [limits]                     # optional
//! feed_entries = 1000          # most entries of one feed per window of claimed time
//! window_seconds = 86400       # the window (default: a UTC day)
//! ```
//!
//! The network id is SHA-256 over the roster's *trust content* only: the network name
//! and each member's code and key (SPEC.md, "Network id"). Names, URLs, profiles and
//! remarks can be corrected without orphaning every signature ever made. Node keys and
//! quorums are trust content too, but for checkpoints, not entries: a verifier reads
//! them from this file, and a node key can be replaced without re-signing the ledger.
//!
//! The roster as written is the *genesis* roster and never changes. Members admitted
//! later by a quorum (see [`crate::authority`]) are added to a copy with
//! [`Roster::with_admitted`]; the network id stays the one of the genesis roster.

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use crate::codec::sha256;
use crate::ids::{MemberCode, NetworkId, PublicKey};

/// Domain-separation tag of the network id's preimage.
pub const NETWORK_TAG: &[u8; 14] = b"pacta/network\0";
/// Version byte of the network id's preimage.
pub const NETWORK_VERSION: u8 = 1;

/// Why a roster was refused. Every variant names the line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RosterError {
    #[error("roster: {0}")]
    Toml(String),
    #[error("roster line {line}: {reason}")]
    Invalid { line: usize, reason: String },
    #[error("roster line {line}: member {code} appears twice (first on line {first})")]
    DuplicateCode {
        line: usize,
        code: MemberCode,
        first: usize,
    },
    #[error(
        "roster line {line}: {code}'s key is already {other}'s key (line {first}); every member needs its own key"
    )]
    DuplicateKey {
        line: usize,
        code: MemberCode,
        other: MemberCode,
        first: usize,
    },
    #[error("roster: no members")]
    Empty,
    #[error("roster line {line}: {reason}")]
    Quorum { line: usize, reason: String },
}

/// One member of the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub code: MemberCode,
    pub name: String,
    pub key: PublicKey,
    pub node: url::Url,
    pub profile: String,
    pub remark: Option<String>,
    /// The key this member's node signs checkpoints and cosignatures with; never an
    /// entry key. `None`: the member runs no witnessing node.
    pub node_key: Option<PublicKey>,
    /// Empty for a genesis member; for an admitted one, the members whose admission
    /// entries reached the quorum.
    pub admitted_by: Vec<MemberCode>,
}

/// A validated roster, members in code order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    network_name: String,
    description: Option<String>,
    members: BTreeMap<MemberCode, Member>,
    id: NetworkId,
    node_quorum: usize,
    member_quorum: usize,
    genesis_members: usize,
    feed_limit: Option<FeedLimit>,
}

/// The roster's cap on how fast a feed may grow: at most `entries` entries whose
/// claimed times fall in the same window of `window_ms` milliseconds (windows are
/// counted from the Unix epoch). Claimed times never go backwards in a feed and a node
/// refuses times more than 5 minutes ahead of its clock, so a stolen key can add at
/// most `entries` per window of real time (twice that across a window's edge) before
/// it is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedLimit {
    pub entries: u64,
    pub window_ms: u64,
}

impl FeedLimit {
    /// The window a claimed time (milliseconds since the epoch) falls in.
    pub fn window(&self, time_ms: u64) -> u64 {
        time_ms / self.window_ms
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoster {
    network: Spanned<String>,
    description: Option<String>,
    #[serde(default)]
    member: Vec<Spanned<RawMember>>,
    quorum: Option<RawQuorum>,
    limits: Option<RawLimits>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    feed_entries: Spanned<i64>,
    window_seconds: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuorum {
    nodes: Option<Spanned<i64>>,
    members: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    code: Spanned<String>,
    name: Spanned<String>,
    key: Spanned<String>,
    node: Spanned<String>,
    profile: Spanned<String>,
    node_key: Option<Spanned<String>>,
    remark: Option<String>,
}

impl Roster {
    /// Parses and validates a roster from its TOML text.
    pub fn from_toml(text: &str) -> Result<Roster, RosterError> {
        let raw: RawRoster =
            toml::from_str(text).map_err(|e| RosterError::Toml(toml_message(text, &e)))?;
        let line_of = |span: std::ops::Range<usize>| line_at(text, span.start);
        let invalid = |span, reason: String| RosterError::Invalid {
            line: line_of(span),
            reason,
        };

        let network_name = raw.network.get_ref().clone();
        if !valid_network_name(&network_name) {
            return Err(invalid(
                raw.network.span(),
                format!(
                    "network name {network_name:?} must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'"
                ),
            ));
        }

        let mut members = BTreeMap::new();
        let mut lines_by_code: BTreeMap<MemberCode, usize> = BTreeMap::new();
        let mut codes_by_key: BTreeMap<[u8; 32], (MemberCode, usize)> = BTreeMap::new();
        for spanned in raw.member {
            let m = spanned.into_inner();
            let code: MemberCode = m
                .code
                .get_ref()
                .parse()
                .map_err(|e: crate::ids::IdError| invalid(m.code.span(), e.to_string()))?;
            let line = line_of(m.code.span());
            if let Some(&first) = lines_by_code.get(&code) {
                return Err(RosterError::DuplicateCode { line, code, first });
            }
            let key: PublicKey =
                m.key.get_ref().parse().map_err(|e: crate::ids::IdError| {
                    invalid(m.key.span(), format!("{code}: {e}"))
                })?;
            if let Some(&(other, first)) = codes_by_key.get(&key.to_bytes()) {
                return Err(RosterError::DuplicateKey {
                    line: line_of(m.key.span()),
                    code,
                    other,
                    first,
                });
            }
            let name = m.name.get_ref().clone();
            if name.trim().is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
                return Err(invalid(
                    m.name.span(),
                    format!("{code}: name must be 1 to 200 printable characters"),
                ));
            }
            let node = node_url(m.node.get_ref()).ok_or_else(|| {
                invalid(
                    m.node.span(),
                    format!(
                        "{code}: node {:?} is not an http:// or https:// URL",
                        m.node.get_ref()
                    ),
                )
            })?;
            let profile = m.profile.get_ref().clone();
            let profile_ok = (1..=40).contains(&profile.len())
                && profile
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if profile_ok && crate::profile::profile(&profile).is_none() {
                return Err(invalid(
                    m.profile.span(),
                    format!(
                        "{code}: profile {profile:?} is not a known procedure profile ({})",
                        crate::profile::profile_ids()
                    ),
                ));
            }
            if !profile_ok {
                return Err(invalid(
                    m.profile.span(),
                    format!(
                        "{code}: profile {profile:?} must be 1 to 40 characters of a-z, 0-9 and '-'"
                    ),
                ));
            }
            let node_key = match &m.node_key {
                None => None,
                Some(k) => {
                    let nk: PublicKey = k.get_ref().parse().map_err(|e: crate::ids::IdError| {
                        invalid(k.span(), format!("{code}: node_key: {e}"))
                    })?;
                    // A node key must never be able to sign entries, nor one node's
                    // cosignature pass for another's.
                    let clash = codes_by_key.get(&nk.to_bytes()).copied().or(if nk == key {
                        Some((code, line_of(m.key.span())))
                    } else {
                        None
                    });
                    if let Some((other, first)) = clash {
                        return Err(RosterError::DuplicateKey {
                            line: line_of(k.span()),
                            code,
                            other,
                            first,
                        });
                    }
                    codes_by_key.insert(nk.to_bytes(), (code, line_of(k.span())));
                    Some(nk)
                }
            };
            lines_by_code.insert(code, line);
            codes_by_key.insert(key.to_bytes(), (code, line_of(m.key.span())));
            members.insert(
                code,
                Member {
                    code,
                    name,
                    key,
                    node,
                    profile,
                    remark: m.remark,
                    node_key,
                    admitted_by: Vec::new(),
                },
            );
        }
        if members.is_empty() {
            return Err(RosterError::Empty);
        }
        let nodes = members.values().filter(|m| m.node_key.is_some()).count();
        // A revocation counts the other members only, so the member quorum never
        // exceeds them (a roster of two needs the other one).
        let most_members = members.len().saturating_sub(1).max(1);
        let (mut node_quorum, mut member_quorum) =
            (nodes / 2 + 1, (members.len() / 2 + 1).min(most_members));
        if let Some(q) = raw.quorum {
            let check = |v: &Spanned<i64>, what: &str, most: usize| {
                let n = *v.get_ref();
                if n < 1 || n as u64 > most as u64 {
                    return Err(RosterError::Quorum {
                        line: line_at(text, v.span().start),
                        reason: format!("quorum.{what} = {n} must be 1 to {most}"),
                    });
                }
                Ok(n as usize)
            };
            if let Some(v) = &q.nodes {
                node_quorum = check(v, "nodes", nodes.max(1))?;
            }
            if let Some(v) = &q.members {
                member_quorum = check(v, "members", most_members)?;
            }
        }
        let feed_limit = raw.limits.map(|l| feed_limit(text, &l)).transpose()?;
        let id = network_id(&network_name, members.values().map(|m| (m.code, m.key)));
        Ok(Roster {
            feed_limit,
            network_name,
            description: raw.description,
            genesis_members: members.len(),
            members,
            id,
            node_quorum,
            member_quorum,
        })
    }

    /// This roster plus members admitted by quorum. The network id, the quorums and
    /// the genesis members stay as they are.
    pub fn with_admitted(&self, admitted: impl IntoIterator<Item = Member>) -> Roster {
        let mut out = self.clone();
        for m in admitted {
            out.members.entry(m.code).or_insert(m);
        }
        out
    }

    /// The cap on how fast a feed may grow, when the roster sets one (`[limits]`).
    pub fn feed_limit(&self) -> Option<FeedLimit> {
        self.feed_limit
    }

    /// Distinct node signatures (the origin's and its cosigners') a checkpoint needs.
    pub fn node_quorum(&self) -> usize {
        self.node_quorum
    }

    /// Distinct members whose entries a revocation or an admission needs.
    pub fn member_quorum(&self) -> usize {
        self.member_quorum
    }

    /// Members of the genesis roster, with a node key, in code order.
    pub fn nodes(&self) -> impl Iterator<Item = (&Member, PublicKey)> {
        self.members
            .values()
            .filter(|m| m.admitted_by.is_empty())
            .filter_map(|m| m.node_key.map(|k| (m, k)))
    }

    /// Whether `code` is a member of the genesis roster (not admitted later).
    pub fn is_genesis(&self, code: MemberCode) -> bool {
        self.members
            .get(&code)
            .is_some_and(|m| m.admitted_by.is_empty())
    }

    /// How many members the genesis roster has.
    pub fn genesis_len(&self) -> usize {
        self.genesis_members
    }

    /// The network id every entry of this network carries.
    pub fn network_id(&self) -> NetworkId {
        self.id
    }

    pub fn network_name(&self) -> &str {
        &self.network_name
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub fn member(&self, code: MemberCode) -> Option<&Member> {
        self.members.get(&code)
    }

    /// Members in ascending code order.
    pub fn members(&self) -> impl ExactSizeIterator<Item = &Member> {
        self.members.values()
    }
}

/// The network id: SHA-256 over the tag, the version, the network name and each
/// member's code and key, members in ascending code order (SPEC.md, "Network id").
pub fn network_id(name: &str, members: impl Iterator<Item = (MemberCode, PublicKey)>) -> NetworkId {
    NetworkId(sha256(&network_preimage(name, members)))
}

/// The exact bytes hashed into the network id.
pub fn network_preimage(
    name: &str,
    members: impl Iterator<Item = (MemberCode, PublicKey)>,
) -> Vec<u8> {
    let mut sorted: Vec<_> = members.collect();
    sorted.sort_by_key(|(code, _)| *code);
    let mut out = Vec::new();
    out.extend_from_slice(NETWORK_TAG);
    out.push(NETWORK_VERSION);
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_be_bytes());
    for (code, key) in sorted {
        out.push(code.as_bytes().len() as u8);
        out.extend_from_slice(code.as_bytes());
        out.extend_from_slice(&key.to_bytes());
    }
    out
}

fn valid_network_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// 1-based line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// toml's own message, which already names line and column, on one line.
fn toml_message(text: &str, err: &toml::de::Error) -> String {
    let reason = err.message().trim().to_owned();
    match err.span() {
        Some(span) => format!("line {}: {reason}", line_at(text, span.start)),
        None => reason,
    }
}

/// Validates the `[limits]` table.
fn feed_limit(text: &str, raw: &RawLimits) -> Result<FeedLimit, RosterError> {
    let range = |v: &Spanned<i64>, what: &str, most: i64| {
        let n = *v.get_ref();
        if !(1..=most).contains(&n) {
            return Err(RosterError::Invalid {
                line: line_at(text, v.span().start),
                reason: format!("limits.{what} = {n} must be 1 to {most}"),
            });
        }
        Ok(n as u64)
    };
    let entries = range(&raw.feed_entries, "feed_entries", 1 << 32)?;
    let seconds = match &raw.window_seconds {
        Some(v) => range(v, "window_seconds", 366 * 86_400)?,
        None => 86_400,
    };
    Ok(FeedLimit {
        entries,
        window_ms: seconds * 1000,
    })
}

/// A member's node URL (SPEC 3.1): `http://` or `https://`, then a non-empty host,
/// an optional `:port` and an optional path; no whitespace or control characters, no
/// user info (`@`), query (`?`), fragment (`#`) or backslash. The URL parser alone would
/// take `http:/host` or `HTTP:\\host` and mend them; a roster says what it means.
pub fn node_url(text: &str) -> Option<url::Url> {
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    let clean = !text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '?' | '#' | '\\'));
    if host.is_empty() || !clean || text.len() > 2000 {
        return None;
    }
    url::Url::parse(text).ok().filter(|u| u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    fn key(n: u8) -> String {
        SecretKey::from_seed(&[n; 32]).public().to_string()
    }

    fn member(code: &str, key: &str) -> String {
        format!(
            "[[member]]\ncode = \"{code}\"\nname = \"{code} land\"\nkey = \"{key}\"\nnode = \"http://127.0.0.1:7001\"\nprofile = \"generic\"\n"
        )
    }

    #[test]
    fn parses_and_orders_members() {
        let text = format!(
            "network = \"t\"\n{}{}",
            member("GB", &key(2)),
            member("FR", &key(1))
        );
        let roster = Roster::from_toml(&text).unwrap();
        let codes: Vec<_> = roster.members().map(|m| m.code.to_string()).collect();
        assert_eq!(codes, ["FR", "GB"]);
    }

    #[test]
    fn network_id_covers_trust_content_only() {
        let a = Roster::from_toml(&format!("network = \"t\"\n{}", member("FR", &key(1)))).unwrap();
        let renamed = format!(
            "network = \"t\"\n{}",
            member("FR", &key(1)).replace("FR land", "France")
        );
        assert_eq!(
            Roster::from_toml(&renamed).unwrap().network_id(),
            a.network_id()
        );
        let rekeyed =
            Roster::from_toml(&format!("network = \"t\"\n{}", member("FR", &key(9)))).unwrap();
        assert_ne!(rekeyed.network_id(), a.network_id());
        let other_net =
            Roster::from_toml(&format!("network = \"u\"\n{}", member("FR", &key(1)))).unwrap();
        assert_ne!(other_net.network_id(), a.network_id());
    }

    #[test]
    fn duplicate_code_names_both_lines() {
        let text = format!(
            "network = \"t\"\n{}{}",
            member("FR", &key(1)),
            member("FR", &key(2))
        );
        let err = Roster::from_toml(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "roster line 9: member FR appears twice (first on line 3)"
        );
    }

    #[test]
    fn duplicate_key_is_refused() {
        let text = format!(
            "network = \"t\"\n{}{}",
            member("FR", &key(1)),
            member("GB", &key(1))
        );
        let err = Roster::from_toml(&text).unwrap_err();
        assert!(
            matches!(
                err,
                RosterError::DuplicateKey {
                    line: 11,
                    first: 5,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn malformed_key_and_unknown_field_name_the_line() {
        let text = format!("network = \"t\"\n{}", member("FR", "abcd"));
        let err = Roster::from_toml(&text).unwrap_err().to_string();
        assert!(err.starts_with("roster line 5: FR: public key"), "{err}");
        let text = format!(
            "network = \"t\"\n{}colour = \"blue\"\n",
            member("FR", &key(1))
        );
        let err = Roster::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("line 8") && err.contains("colour"), "{err}");
    }

    #[test]
    fn bad_values_are_refused() {
        let good = member("FR", &key(1));
        for (from, to) in [
            ("code = \"FR\"", "code = \"fr\""),
            ("http://127.0.0.1:7001", "ftp://x"),
            ("profile = \"generic\"", "profile = \"Generic!\""),
            ("name = \"FR land\"", "name = \"\""),
        ] {
            let text = format!("network = \"t\"\n{}", good.replace(from, to));
            assert!(Roster::from_toml(&text).is_err(), "{to} accepted");
        }
        assert_eq!(
            Roster::from_toml("network = \"t\"\n"),
            Err(RosterError::Empty)
        );
        assert!(Roster::from_toml(&format!("network = \"a b\"\n{good}")).is_err());
    }

    #[test]
    fn node_urls_follow_the_grammar() {
        for good in [
            "http://127.0.0.1:7001",
            "https://fr.example",
            "https://fr.example/pacta/",
            "http://[::1]:7001",
        ] {
            assert!(node_url(good).is_some(), "{good}");
        }
        for bad in [
            "http:/host",
            "http:host",
            "HTTP://host",
            "http://",
            "http://:80",
            "http://user@host",
            "http://host?x=1",
            "http://host#f",
            "http:\\\\host",
            "http://ho st",
            "ftp://host",
        ] {
            assert!(node_url(bad).is_none(), "{bad}");
        }
    }
}
