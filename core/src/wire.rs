//! The JSON bodies of the node's HTTP API, shared by the node and its clients.
//!
//! Entries travel as lowercase hex of their exact bytes, so that JSON never carries a
//! re-serialised entry: the receiver decodes the hex and verifies those bytes. Every
//! body is decoded strictly (unknown fields are errors).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fork::ForkProof;
use crate::ids::{EntryId, MemberCode, NetworkId, Seq};

/// Bytes as lowercase hex in JSON.
#[derive(Clone, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexBytes({} bytes)", self.0.len())
    }
}

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("hex must be lowercase"));
        }
        hex::decode(s.as_bytes())
            .map(HexBytes)
            .map_err(|e| serde::de::Error::custom(format!("invalid hex: {e}")))
    }
}

/// A feed's newest entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub seq: Seq,
    pub id: EntryId,
}

/// A fork, summarised: the member, the position, and the two entry ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkSummary {
    pub member: MemberCode,
    pub seq: Seq,
    pub ids: [EntryId; 2],
}

impl From<&ForkProof> for ForkSummary {
    fn from(p: &ForkProof) -> Self {
        ForkSummary {
            member: p.member(),
            seq: p.seq(),
            ids: p.entries().map(|e| e.id()),
        }
    }
}

/// `GET /v1/heads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heads {
    pub network: NetworkId,
    #[serde(deserialize_with = "unique_keys")]
    pub heads: BTreeMap<MemberCode, Head>,
    pub forks: Vec<ForkSummary>,
}

/// `POST /v1/entries`: one entry or a batch, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    pub entries: Vec<HexBytes>,
}

/// What became of one submitted entry that the node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Newly stored, durably.
    Stored,
    /// The node already held this exact entry.
    Duplicate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    pub member: MemberCode,
    pub seq: Seq,
    pub id: EntryId,
    pub outcome: Outcome,
}

/// The answer to a submission where every entry was accepted (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitOk {
    pub accepted: Vec<Accepted>,
}

/// Every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// A sentence a person can act on.
    pub error: String,
    /// A stable code: `malformed`, `too-large`, `signature`, `network`, `gap`, `fork`…
    pub reason: String,
    /// For a batch: the index of the entry that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// For a batch: the entries before it, which were accepted and are durable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<Accepted>,
    /// For a gap or a conflict: the head the node holds for that feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    /// For a fork: the proof the node now keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fork: Option<ForkSummary>,
}

/// `GET /v1/feeds/{member}?from=SEQ&limit=N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedPage {
    pub member: MemberCode,
    pub from: Seq,
    pub entries: Vec<HexBytes>,
    pub head: Option<Head>,
}

/// One fork proof in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkEntries {
    pub member: MemberCode,
    pub seq: Seq,
    pub entries: [HexBytes; 2],
}

/// `GET /v1/forks?member=CODE&from=SEQ&limit=N`: one page of the fork proofs, in
/// (member, seq) order from that position on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forks {
    pub forks: Vec<ForkEntries>,
    /// Where the next page starts; absent or `null` on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<ForkCursor>,
}

/// A position in the list of fork proofs: the query of the page that starts there is
/// `?member={member}&from={from}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkCursor {
    pub member: MemberCode,
    pub from: Seq,
}

impl ForkCursor {
    /// The query string of the page that starts here, with its `?`.
    pub fn query(&self) -> String {
        format!("?member={}&from={}", self.member, self.from.0)
    }
}

impl From<&ForkProof> for ForkEntries {
    fn from(p: &ForkProof) -> Self {
        ForkEntries {
            member: p.member(),
            seq: p.seq(),
            entries: p.entries().map(|e| HexBytes(e.as_bytes().to_vec())),
        }
    }
}

/// A JSON object as a map, refusing a key given twice: serde would keep the last one
/// silently, so `{"FR": a, "FR": b}` would mean whatever the decoder chose.
fn unique_keys<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord + fmt::Display,
    V: Deserialize<'de>,
{
    struct Unique<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K, V> serde::de::Visitor<'de> for Unique<K, V>
    where
        K: Deserialize<'de> + Ord + fmt::Display,
        V: Deserialize<'de>,
    {
        type Value = BTreeMap<K, V>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object with each key once")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<K, V>()? {
                if out.contains_key(&k) {
                    return Err(serde::de::Error::custom(format!("key {k} appears twice")));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Unique(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_bytes_are_strict() {
        assert_eq!(
            serde_json::from_str::<HexBytes>("\"00ff\"").unwrap().0,
            vec![0, 255]
        );
        assert!(serde_json::from_str::<HexBytes>("\"00FF\"").is_err());
        assert!(serde_json::from_str::<HexBytes>("\"0\"").is_err());
        assert!(serde_json::from_str::<HexBytes>("\"zz\"").is_err());
        assert!(serde_json::from_str::<Submit>("{\"entries\":[],\"x\":1}").is_err());
    }

    #[test]
    fn heads_naming_a_member_twice_are_refused() {
        let head = format!("{{\"seq\": 1, \"id\": \"{}\"}}", "ab".repeat(32));
        let network = "00".repeat(32);
        let once =
            format!("{{\"network\": \"{network}\", \"heads\": {{\"FR\": {head}}}, \"forks\": []}}");
        let twice = format!(
            "{{\"network\": \"{network}\", \"heads\": {{\"FR\": {head}, \"FR\": {head}}}, \"forks\": []}}"
        );
        assert!(serde_json::from_str::<Heads>(&once).is_ok());
        let err = serde_json::from_str::<Heads>(&twice)
            .unwrap_err()
            .to_string();
        assert!(err.contains("key FR appears twice"), "{err}");
    }
}
