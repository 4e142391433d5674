//! The roster's feed limit (`[limits]`, SPEC section 5 rule 9): at most so many entries
//! of one feed per window of claimed time, checked the same way by an auditor's
//! verification and by a node rebuilding its tips.

#![allow(clippy::unwrap_used, reason = "test code")]

mod support;

use pacta_core::entry::Entry;
use pacta_core::feed::{Problem, check_link, tip_from_newest, verify_feed};
use pacta_core::ids::Timestamp;
use pacta_core::roster::{FeedLimit, RosterError};
use pacta_core::{Roster, SecretKey};
use support::{T0, code, key_for, note_draft};

const WINDOW_MS: u64 = 60_000;

/// The support roster's text plus `limits`.
fn roster_with(limits: &str) -> Result<Roster, RosterError> {
    let mut toml = String::from("network = \"limits\"\n");
    for (i, c) in ["DE", "FR"].iter().enumerate() {
        toml.push_str(&format!(
            "[[member]]\ncode = \"{c}\"\nname = \"{c}\"\nkey = \"{}\"\nnode = \"http://127.0.0.1:{}\"\nprofile = \"generic\"\n",
            key_for(c, "limits").public(),
            7001 + i
        ));
    }
    toml.push_str(limits);
    Roster::from_toml(&toml)
}

/// FR's feed with one entry at each of `offsets` (ms after the start of a window).
fn feed(roster: &Roster, offsets: &[u64]) -> Vec<Entry> {
    let key: SecretKey = key_for("FR", "limits");
    let window_start = T0 - T0 % WINDOW_MS + WINDOW_MS;
    let mut prev = None;
    let mut out = Vec::new();
    for (i, offset) in offsets.iter().enumerate() {
        let mut draft = note_draft(roster.network_id(), code("FR"), i as u64 + 1, prev, "n");
        draft.time = Timestamp::from_millis(window_start + offset).unwrap();
        let e = draft.sign(&key).unwrap();
        prev = Some(e.id());
        out.push(e);
    }
    out
}

fn verdict(roster: &Roster, feed: &[Entry]) -> Option<(u64, Problem)> {
    let raw: Vec<&[u8]> = feed.iter().map(Entry::as_bytes).collect();
    verify_feed(roster, code("FR"), &raw)
        .error
        .map(|e| (e.position.0, e.problem))
}

#[test]
fn the_limit_counts_entries_per_window_of_claimed_time() {
    let roster = roster_with("[limits]\nfeed_entries = 3\nwindow_seconds = 60\n").unwrap();
    assert_eq!(
        roster.feed_limit(),
        Some(FeedLimit {
            entries: 3,
            window_ms: WINDOW_MS
        })
    );
    // Three in one window, then the next window starts a new count.
    let ok = feed(&roster, &[0, 10, 59_999, 60_000, 60_001, 60_002]);
    assert_eq!(verdict(&roster, &ok), None);
    // A fourth in the same window is refused at its position, naming the rule.
    let flood = feed(&roster, &[0, 1, 2, 3, 4]);
    let (position, problem) = verdict(&roster, &flood).unwrap();
    assert_eq!(position, 4);
    assert_eq!(problem.code(), "flood");
    assert!(
        problem
            .to_string()
            .contains("is entry 4 of this feed in the 60 s window"),
        "{problem}"
    );
    // Without a limit the same feed is valid.
    let unlimited = roster_with("").unwrap();
    assert_eq!(unlimited.feed_limit(), None);
    assert_eq!(
        verdict(&unlimited, &feed(&unlimited, &[0, 1, 2, 3, 4])),
        None
    );
}

#[test]
fn a_tip_rebuilt_from_the_newest_entries_counts_as_check_link_did() {
    let roster = roster_with("[limits]\nfeed_entries = 4\nwindow_seconds = 60\n").unwrap();
    let limit = roster.feed_limit();
    let entries = feed(&roster, &[0, 60_000, 60_001, 60_002]);
    let mut tip = None;
    for e in &entries {
        tip = Some(check_link(tip, e, limit).unwrap());
    }
    let newest = entries.iter().rev().cloned().map(Ok::<_, ()>);
    let rebuilt = tip_from_newest(newest, limit).unwrap();
    assert_eq!(rebuilt, tip);
    assert_eq!(rebuilt.unwrap().in_window, 3);
}

#[test]
fn a_bad_limits_table_is_refused_naming_the_line() {
    for (limits, expected) in [
        (
            "[limits]\nfeed_entries = 0\n",
            "limits.feed_entries = 0 must be 1 to",
        ),
        (
            "[limits]\nfeed_entries = -5\n",
            "limits.feed_entries = -5 must be 1 to",
        ),
        (
            "[limits]\nfeed_entries = 10\nwindow_seconds = 0\n",
            "limits.window_seconds = 0 must be 1 to 31622400",
        ),
        ("[limits]\nfeed_entries = \"many\"\n", "invalid type"),
        (
            "[limits]\nwindow_seconds = 60\n",
            "missing field `feed_entries`",
        ),
        (
            "[limits]\nfeed_entries = 10\nburst = 3\n",
            "unknown field `burst`",
        ),
    ] {
        let err = roster_with(limits).unwrap_err().to_string();
        assert!(err.contains(expected), "{limits:?}: {err}");
        assert!(err.starts_with("roster"), "{err}");
    }
}

#[test]
fn synthetic_ledgers_keep_within_the_roster_limit() {
    let roster = roster_with("[limits]\nfeed_entries = 3\nwindow_seconds = 60\n").unwrap();
    let keys = ["DE", "FR"]
        .iter()
        .map(|c| (code(c), key_for(c, "limits")))
        .collect();
    let feeds = pacta_core::synth::synth(&roster, &keys, 40).unwrap();
    for feed in &feeds {
        let raw: Vec<&[u8]> = feed.entries.iter().map(Entry::as_bytes).collect();
        let verdict = verify_feed(&roster, feed.member, &raw);
        assert_eq!(verdict.error, None);
        assert_eq!(verdict.valid.entries.len(), 20);
    }
}
