//! Payloads of every kind: one canonical example each that round-trips, and garbage
//! that each kind refuses with the field and the reason.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::useless_format,
    reason = "test code; every payload is written with format! so they read alike"
)]

use pacta_core::ids::Kind;
use pacta_core::payload::{Payload, PayloadError};

const ID: &str = "304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565";

/// One canonical payload per kind.
fn examples() -> Vec<(&'static str, String)> {
    vec![
        (
            "note",
            r#"{"text":"Déclaration de Paris","illustrative":true}"#.into(),
        ),
        (
            "instrument",
            format!(
                r#"{{"short":"paris-declaration","title":"Paris Declaration","nature":"political","adopted":"2026-01-06","text_sha256":"{ID}","parties":["DE","FR","GB","UA"],"entry_into_force":{{"rule":"none"}},"withdrawal":{{"rule":"not-provided"}}}}"#
            ),
        ),
        (
            "instrument",
            format!(
                r#"{{"short":"guarantees","title":"Binding commitments","nature":"legal","adopted":"2026-03-02","parties":["FR","UA"],"depositary":"FR","consent_means":["ratification","acceptance"],"entry_into_force":{{"rule":"after-deposits","deposits":3,"days":30}},"withdrawal":{{"rule":"after-notice","months":12}},"illustrative":true}}"#
            ),
        ),
        (
            "commitment",
            format!(
                r#"{{"instrument":"{ID}","pillar":"multinational-force","description":"Troops to secure the border","quantity":{{"amount":"several thousand","unit":"troops"}},"conditions":["once peace returns"],"date":"2026-01-06"}}"#
            ),
        ),
        (
            "signature",
            format!(
                r#"{{"instrument":"{ID}","type":"subject-to-ratification","date":"2026-03-02","signatory":"A minister"}}"#
            ),
        ),
        (
            "procedure-step",
            format!(
                r#"{{"instrument":"{ID}","step":"senate-vote","body":"Senate","action":"advice and consent","date":"2026-11-10","votes":{{"for":71,"against":27,"abstaining":0}},"threshold":"two thirds","result":"passed","reference":"Treaty Doc. 119-1","illustrative":true}}"#
            ),
        ),
        (
            "consent",
            format!(
                r#"{{"instrument":"{ID}","means":"acceptance","date":"2026-06-05","declarations":["A declaration"],"procedure":"us-congressional-executive"}}"#
            ),
        ),
        (
            "deposit-receipt",
            format!(
                r#"{{"instrument":"{ID}","member":"UA","consent":"{ID}","date":"2026-04-02"}}"#
            ),
        ),
        (
            "provisional-application",
            format!(r#"{{"instrument":"{ID}","date":"2026-03-05","scope":"Articles 1 to 4"}}"#),
        ),
        (
            "withdrawal",
            format!(r#"{{"instrument":"{ID}","notified":"2026-10-01","effective":"2027-10-01"}}"#),
        ),
        (
            "signature-confirmation",
            format!(r#"{{"instrument":"{ID}","signature":"{ID}","date":"2026-02-01"}}"#),
        ),
        (
            "deposit-return",
            format!(
                r#"{{"instrument":"{ID}","member":"UA","consent":"{ID}","date":"2026-04-02","reason":"not signed by the Head of State"}}"#
            ),
        ),
        (
            "intention-not-to-be-party",
            format!(r#"{{"instrument":"{ID}","date":"2026-05-01"}}"#),
        ),
        (
            "correction",
            format!(
                r#"{{"entry":"{ID}","reason":"typo","kind":"withdrawal","payload":{{"instrument":"{ID}","notified":"2026-10-01","effective":"2027-10-02"}}}}"#
            ),
        ),
        (
            "correction",
            format!(r#"{{"entry":"{ID}","reason":"entered in error"}}"#),
        ),
    ]
}

fn decode(kind: &str, bytes: &str) -> Result<Payload, PayloadError> {
    Payload::decode(kind.parse::<Kind>().unwrap(), bytes.as_bytes())
}

#[test]
fn every_kind_round_trips_in_canonical_form() {
    for (kind, bytes) in examples() {
        let p = decode(kind, &bytes).unwrap_or_else(|e| panic!("{kind}: {e}\n{bytes}"));
        assert_eq!(p.kind().as_str(), kind);
        assert_eq!(String::from_utf8(p.encode()).unwrap(), bytes);
        // The same content in any spelling is accepted from a person, and encodes to
        // the canonical bytes.
        let value: serde_json::Value = serde_json::from_str(&bytes).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        assert!(matches!(
            decode(kind, &pretty),
            Err(PayloadError::NotCanonical { .. })
        ));
        let from_person =
            Payload::from_json(p.kind(), serde_json::from_str(&pretty).unwrap()).unwrap();
        assert_eq!(from_person, p);
    }
}

/// `(kind, payload, the field or words the error must name)`.
fn garbage() -> Vec<(&'static str, String, &'static str)> {
    let i = ID;
    vec![
        ("note", "".into(), "EOF"),
        ("note", "null".into(), "invalid type"),
        ("note", r#"{"text":"a","illustrative":false}"#.into(), "canonical"),
        ("note", r#"{"text":" "}"#.into(), "`text`: is empty"),
        ("note", "{\"text\":\"a\u{7}\"}".into(), "control character"),
        ("instrument", r#"{"short":"x"}"#.into(), "missing field `title`"),
        ("instrument", format!(r#"{{"short":"Paris","title":"t","nature":"political","adopted":"2026-01-06","parties":["FR"],"entry_into_force":{{"rule":"none"}},"withdrawal":{{"rule":"not-provided"}}}}"#), "`short`"),
        ("instrument", format!(r#"{{"short":"p","title":"t","nature":"friendly","adopted":"2026-01-06","parties":["FR"],"entry_into_force":{{"rule":"none"}},"withdrawal":{{"rule":"not-provided"}}}}"#), "`nature`"),
        ("instrument", format!(r#"{{"short":"p","title":"t","nature":"political","adopted":"2026-02-30","parties":["FR"],"entry_into_force":{{"rule":"none"}},"withdrawal":{{"rule":"not-provided"}}}}"#), "`adopted`"),
        ("instrument", format!(r#"{{"short":"p","title":"t","nature":"political","adopted":"2026-01-06","text_sha256":"{}","parties":["FR"],"entry_into_force":{{"rule":"none"}},"withdrawal":{{"rule":"not-provided"}}}}"#, &i[..63]), "`text_sha256`"),
        ("instrument", r#"{"short":"p","title":"t","nature":"political","adopted":"2026-01-06","parties":["GB","FR"],"entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"}}"#.into(), "`parties[1]`"),
        ("instrument", r#"{"short":"p","title":"t","nature":"political","adopted":"2026-01-06","parties":["FR","FR"],"entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"}}"#.into(), "`parties[1]`"),
        ("instrument", r#"{"short":"p","title":"t","nature":"political","adopted":"2026-01-06","parties":["fr"],"entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"}}"#.into(), "`parties[0]`"),
        ("instrument", r#"{"short":"p","title":"t","nature":"political","adopted":"2026-01-06","parties":[],"entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"}}"#.into(), "`parties`"),
        ("instrument", r#"{"short":"p","title":"t","nature":"legal","adopted":"2026-01-06","parties":["FR"],"consent_means":["ratification"],"entry_into_force":{"rule":"on-consent"},"withdrawal":{"rule":"not-provided"}}"#.into(), "`depositary`"),
        ("instrument", r#"{"short":"p","title":"t","nature":"legal","adopted":"2026-01-06","parties":["FR"],"depositary":"FR","consent_means":["ratification"],"entry_into_force":{"rule":"after-deposits","deposits":0,"days":30},"withdrawal":{"rule":"not-provided"}}"#.into(), "entry_into_force.deposits"),
        ("instrument", r#"{"short":"p","title":"t","nature":"legal","adopted":"2026-01-06","parties":["FR"],"depositary":"FR","consent_means":["ratification"],"entry_into_force":{"rule":"after-deposits","deposits":99999999999,"days":30},"withdrawal":{"rule":"not-provided"}}"#.into(), "entry_into_force"),
        ("instrument", r#"{"short":"p","title":"t","nature":"legal","adopted":"2026-01-06","parties":["FR"],"depositary":"FR","consent_means":["ratification"],"entry_into_force":{"rule":"soon"},"withdrawal":{"rule":"not-provided"}}"#.into(), "entry_into_force"),
        ("instrument", r#"{"short":"p","title":"t","nature":"legal","adopted":"2026-01-06","parties":["FR"],"depositary":"FR","consent_means":["acceptance","ratification"],"entry_into_force":{"rule":"on-consent"},"withdrawal":{"rule":"not-provided"}}"#.into(), "consent_means[1]"),
        ("instrument", r#"{"short":"p","title":"t","nature":"political","adopted":"2026-01-06","parties":["FR"],"depositary":"FR","entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"}}"#.into(), "`depositary`: a political instrument"),
        ("commitment", format!(r#"{{"instrument":"{i}","pillar":"troops","description":"d","date":"2026-01-06"}}"#), "`pillar`"),
        ("commitment", format!(r#"{{"instrument":"{i}","pillar":"other","description":"d","quantity":{{"amount":"","unit":"troops"}},"date":"2026-01-06"}}"#), "quantity.amount"),
        ("commitment", format!(r#"{{"instrument":"{i}","pillar":"other","description":"d","conditions":[],"date":"2026-01-06"}}"#), "canonical"),
        ("signature", format!(r#"{{"instrument":"{}","type":"definitive","date":"2026-03-02"}}"#, i.to_uppercase()), "`instrument`"),
        ("signature", format!(r#"{{"instrument":"{i}","type":"binding","date":"2026-03-02"}}"#), "`type`"),
        ("signature", format!(r#"{{"instrument":"{i}","type":"definitive","date":"2026-3-2"}}"#), "`date`"),
        ("signature", format!(r#"{{"instrument":"{i}","type":"definitive","date":20260302}}"#), "`date`"),
        ("signature", format!(r#"{{"instrument":"{i}","date":"2026-03-02","type":"definitive"}}"#), "canonical"),
        ("signature", format!(r#"{{"instrument":"{i}","type":"definitive","date":"2026-03-02","extra":1}}"#), "unknown field `extra`"),
        ("procedure-step", format!(r#"{{"instrument":"{i}","step":"Senate Vote","body":"b","action":"a","date":"2026-03-02","result":"passed"}}"#), "`step`"),
        ("procedure-step", format!(r#"{{"instrument":"{i}","step":"s","body":"b","action":"a","date":"2026-03-02","votes":{{"for":-1,"against":0,"abstaining":0}},"result":"passed"}}"#), "votes.for"),
        ("procedure-step", format!(r#"{{"instrument":"{i}","step":"s","body":"b","action":"a","date":"2026-03-02","votes":{{"for":1e3,"against":0,"abstaining":0}},"result":"passed"}}"#), "votes.for"),
        ("procedure-step", format!(r#"{{"instrument":"{i}","step":"s","body":"b","action":"a","date":"2026-03-02","votes":{{"for":99999999999,"against":0,"abstaining":0}},"result":"passed"}}"#), "votes.for"),
        ("procedure-step", format!(r#"{{"instrument":"{i}","step":"s","body":"b","action":"a","date":"2026-03-02","votes":{{"for":1,"against":0,"abstaining":0}},"result":"completed"}}"#), "`result`"),
        ("procedure-step", format!(r#"{{"instrument":"{i}","step":"s","body":"b","action":"a","date":"2026-03-02","result":"maybe"}}"#), "`result`"),
        ("consent", format!(r#"{{"instrument":"{i}","means":"signature","date":"2026-03-02"}}"#), "`means`"),
        ("consent", format!(r#"{{"instrument":"{i}","means":"ratification","date":"2026-03-02","procedure":"martian"}}"#), "`procedure`"),
        ("consent", format!(r#"{{"instrument":"{i}","means":"ratification","date":"2026-03-02","reservations":[""]}}"#), "reservations[0]"),
        ("deposit-receipt", format!(r#"{{"instrument":"{i}","member":"Ukraine","consent":"{i}","date":"2026-04-02"}}"#), "`member`"),
        ("deposit-receipt", format!(r#"{{"instrument":"{i}","member":"UA","date":"2026-04-02"}}"#), "missing field `consent`"),
        ("provisional-application", format!(r#"{{"instrument":"{i}","date":"2026-03-05","scope":null}}"#), "canonical"),
        ("instrument", r#"{"short":"p","title":"t","nature":"political","adopted":"2026-01-06","parties":["FR"],"entry_into_force":{"rule":"none"},"withdrawal":{"rule":"not-provided"},"ratification_without_signature":true}"#.into(), "`ratification_without_signature`"),
        ("instrument", r#"{"short":"p","title":"t","nature":"legal","adopted":"2026-01-06","parties":["FR"],"depositary":"FR","consent_means":["ratification"],"entry_into_force":{"rule":"on-consent"},"withdrawal":{"rule":"not-provided"},"ratification_without_signature":false}"#.into(), "canonical"),
        ("instrument", r#"{"short":"p","title":"t","nature":"legal","adopted":"2026-01-06","parties":["FR"],"depositary":"FR","consent_means":["ratification"],"entry_into_force":{"rule":"on-consent"},"withdrawal":{"rule":"not-provided"},"ratification_without_signature":"yes"}"#.into(), "ratification_without_signature"),
        ("signature-confirmation", format!(r#"{{"instrument":"{i}","date":"2026-04-15"}}"#), "missing field `signature`"),
        ("signature-confirmation", format!(r#"{{"instrument":"{i}","signature":"{i}","date":"2026-04-31"}}"#), "`date`"),
        ("signature-confirmation", format!(r#"{{"instrument":"{i}","date":"2026-04-15","signature":"{i}"}}"#), "canonical"),
        ("deposit-return", format!(r#"{{"instrument":"{i}","member":"UA","consent":"{i}","date":"2026-04-02","reason":"  "}}"#), "`reason`"),
        ("deposit-return", format!(r#"{{"instrument":"{i}","member":"UA","consent":"{i}","date":"2026-04-02"}}"#), "missing field `reason`"),
        ("deposit-return", format!(r#"{{"instrument":"{i}","member":"ua","consent":"{i}","date":"2026-04-02","reason":"r"}}"#), "`member`"),
        ("intention-not-to-be-party", format!(r#"{{"instrument":"{i}","date":"2026-05-01","effective":"2026-06-01"}}"#), "unknown field `effective`"),
        ("intention-not-to-be-party", format!(r#"{{"instrument":"{i}"}}"#), "missing field `date`"),
        ("withdrawal", format!(r#"{{"instrument":"{i}","notified":"2026-10-01","effective":"2026-09-30"}}"#), "`effective`"),
        ("correction", format!(r#"{{"entry":"{i}","reason":"r","kind":"withdrawal"}}"#), "`payload`"),
        ("correction", format!(r#"{{"entry":"{i}","reason":"r","kind":"correction","payload":{{"entry":"{i}","reason":"r"}}}}"#), "`kind`"),
        ("correction", format!(r#"{{"entry":"{i}","reason":"r","kind":"withdrawal","payload":{{"instrument":"{i}"}}}}"#), "missing field `notified`"),
        ("correction", format!(r#"{{"entry":"{i}","reason":"r","kind":"note","payload":{{"text":"a","illustrative":false}}}}"#), "canonical"),
        ("key-rotation", r#"{"new_key":"00","proof":"00"}"#.into(), "`new_key`"),
        ("key-rotation", format!(r#"{{"new_key":"{}","proof":"{}"}}"#, "a2233eb428171f6d1db2b3ab5459e75e159396b185d2217f1c5478eaf52de6fd", "AB".repeat(64)), "`proof`"),
        ("key-revocation", r#"{"member":"fr","key":"00","after":1,"replacement":"00","reason":"x"}"#.into(), "`member`"),
        ("admission", r#"{"code":"MD","name":"Moldova","key":"00","node":"https://x","profile":"generic"}"#.into(), "`key`"),
        ("vote", "{}".into(), "unknown kind"),
    ]
}

#[test]
fn garbage_of_every_kind_is_refused_naming_the_field() {
    let mut kinds = std::collections::BTreeSet::new();
    for (kind, bytes, expect) in garbage() {
        kinds.insert(kind);
        match decode(kind, &bytes) {
            Ok(p) => panic!("{kind} accepted {bytes}: {p:?}"),
            Err(e) => assert!(
                e.to_string().contains(expect),
                "{kind} {bytes}\n  error: {e}\n  expected it to mention {expect:?}"
            ),
        }
    }
    assert_eq!(kinds.len(), 17, "every kind and an unknown one");
}

#[test]
fn invalid_utf8_and_deep_nesting_are_refused() {
    assert!(decode("note", "{\"text\":\"\u{fffd}\"}").is_ok());
    assert!(Payload::decode(Kind::NOTE, b"{\"text\":\"\xff\"}").is_err());
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(decode("instrument", &deep).is_err());
}
