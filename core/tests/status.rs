//! The status engine, rule by rule: each test builds a small ledger by hand, signs it,
//! runs it through the real verifier, and checks the exact status the Vienna
//! Convention rules in SPEC.md ("Status") give.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use pacta_core::ids::EntryId;
use pacta_core::proof::{ProofError, prove, verify_proof};
use pacta_core::status::{Establishment, Index, Stage, compute};
use pacta_core::{Entry, bundle};
use serde_json::json;
use support::world::{World, code, day};

#[test]
fn a_vote_authorises_ratification_but_is_not_ratification() {
    let mut w = World::new();
    let t = w.treaty();
    w.sign(t, "UA", "2026-03-02", "subject-to-ratification");
    assert_eq!(w.row("2026-11-22", "UA").stage, Stage::Signed);

    w.step(
        t,
        "UA",
        "rada-vote",
        "2026-03-19",
        json!({"votes": {"for": 305, "against": 12, "abstaining": 9}, "result": "passed"}),
    );
    let row = w.row("2026-11-22", "UA");
    assert_eq!(row.stage, Stage::DomesticApprovalInProgress);

    w.step(t, "UA", "presidential-signature", "2026-03-25", json!({}));
    let row = w.row("2026-11-22", "UA");
    assert_eq!(row.stage, Stage::ApprovedDomestically);
    assert_eq!(row.established, None);
    assert_eq!(row.in_force_on, None);
    assert!(!row.is_bound());
    assert_eq!(row.warnings, Vec::<String>::new());
    assert_eq!(row.steps.len(), 2);
    assert!(row.steps.iter().all(|s| s.required));
}

#[test]
fn consent_is_established_only_by_the_depositary_receipt() {
    let mut w = World::new();
    let t = w.treaty();
    w.sign(t, "UA", "2026-03-02", "subject-to-ratification");
    w.step(
        t,
        "UA",
        "rada-vote",
        "2026-03-19",
        json!({"votes": {"for": 305, "against": 12, "abstaining": 9}, "result": "passed"}),
    );
    w.step(t, "UA", "presidential-signature", "2026-03-25", json!({}));
    let consent = w.consent(t, "UA", "ratification", "2026-03-26");
    let row = w.row("2026-11-22", "UA");
    assert_eq!(row.stage, Stage::ConsentExpressed);
    assert_eq!(row.established, None);

    // A receipt in a feed that is not the depositary's does not count, and concerns
    // no row: it is a ledger-level warning (SPEC.md §15.4).
    w.receipt(t, "GB", "UA", consent, "2026-04-02");
    // Nor one that names another entry.
    w.receipt(t, "FR", "UA", t, "2026-04-02");
    let status = w.status("2026-11-22");
    let row = status.instruments[0].member(code("UA")).unwrap().clone();
    assert_eq!(row.stage, Stage::ConsentExpressed);
    assert_eq!(row.warnings.len(), 1, "{:?}", row.warnings);
    assert!(
        row.warnings[0].contains("which is not UA's consent"),
        "{:?}",
        row.warnings
    );
    assert_eq!(status.warnings.len(), 1, "{:?}", status.warnings);
    assert!(
        status.warnings[0]
            .message
            .contains("the depositary of guarantees is FR"),
        "{:?}",
        status.warnings
    );

    let receipt = w.receipt(t, "FR", "UA", consent, "2026-04-02");
    let row = w.status("2026-11-22").instruments[0]
        .member(code("UA"))
        .unwrap()
        .clone();
    assert_eq!(row.stage, Stage::Bound);
    let established = row.established.clone().unwrap();
    assert_eq!(established.date, day("2026-04-02"));
    assert_eq!(established.by, Establishment::DepositReceipt);
    assert_eq!(established.source.entry.id, receipt);
    assert_eq!(row.in_force_on, None, "one deposit of the three needed");
    assert!(row.is_bound());
    // The proof names the registration, the consent and the receipt.
    for id in [t, consent, receipt] {
        assert!(row.proof.iter().any(|p| p.id == id));
    }
    // It rests on the depositary's feed and UA's, never on GB's, whose receipt was
    // ignored.
    assert_eq!(row.depends_on, vec![code("FR"), code("UA")]);
}

#[test]
fn entry_into_force_on_the_30th_day_after_the_third_deposit() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.ratify_fully(t, "FR", "2026-05-06");
    let two = w.status("2026-11-22");
    assert_eq!(two.instruments[0].in_force_on, None);
    assert_eq!(
        two.instruments[0].member(code("UA")).unwrap().stage,
        Stage::Bound
    );

    w.ratify_fully(t, "GB", "2026-05-19");
    let status = w.status("2026-11-22");
    let inst = &status.instruments[0];
    assert_eq!(inst.in_force_on, Some(day("2026-06-18")));
    assert_eq!(inst.in_force_by, vec![code("UA"), code("FR"), code("GB")]);
    for m in ["UA", "FR", "GB"] {
        let row = inst.member(code(m)).unwrap();
        assert_eq!(row.in_force_on, Some(day("2026-06-18")), "{m}");
        assert_eq!(row.stage, Stage::Party, "{m}");
        assert_eq!(row.warnings, Vec::<String>::new(), "{m}");
    }
    assert_eq!(inst.counts.bound, 3);
    assert_eq!(inst.counts.parties, 3);
    assert_eq!(inst.headline(), "3 of 6 bound, 3 in force");

    // The day before, they are bound but not yet parties.
    assert_eq!(w.row("2026-06-17", "GB").stage, Stage::Bound);
    assert_eq!(w.row("2026-06-18", "GB").stage, Stage::Party);
    // GB's status rests on the feeds whose deposits brought the treaty into force.
    assert_eq!(
        w.row("2026-11-22", "GB").depends_on,
        vec![code("FR"), code("GB"), code("UA")]
    );
}

#[test]
fn a_late_consent_enters_into_force_30_days_after_its_own_deposit() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.ratify_fully(t, "FR", "2026-05-06");
    w.ratify_fully(t, "GB", "2026-05-19");
    w.sign(t, "NL", "2026-03-02", "subject-to-ratification");
    w.step(t, "NL", "submitted", "2026-04-01", json!({}));
    w.step(
        t,
        "NL",
        "approval",
        "2026-05-01",
        json!({"result": "passed"}),
    );
    let consent = w.consent(t, "NL", "acceptance", "2026-06-05");
    w.receipt(t, "FR", "NL", consent, "2026-06-10");

    let row = w.row("2026-11-22", "NL");
    assert_eq!(row.in_force_on, Some(day("2026-07-10")));
    assert_eq!(row.consent.as_ref().unwrap().marker, "A");
    assert_eq!(row.stage, Stage::Party);
    assert_eq!(w.row("2026-07-09", "NL").stage, Stage::Bound);
    // The instrument itself entered into force earlier, without NL.
    assert_eq!(
        w.status("2026-11-22").instruments[0].in_force_on,
        Some(day("2026-06-18"))
    );
}

#[test]
fn a_withdrawal_takes_effect_on_its_effective_date_not_when_notified() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.ratify_fully(t, "FR", "2026-05-06");
    w.ratify_fully(t, "GB", "2026-05-19");
    w.add(
        "GB",
        "withdrawal",
        json!({"instrument": t, "notified": "2026-10-01", "effective": "2027-10-01"}),
    );
    let before = w.row("2026-11-22", "GB");
    assert_eq!(before.stage, Stage::Party);
    let withdrawal = before.withdrawal.clone().unwrap();
    assert_eq!(withdrawal.notified, day("2026-10-01"));
    assert_eq!(withdrawal.effective, day("2027-10-01"));
    assert!(before.is_bound());

    assert_eq!(w.row("2027-09-30", "GB").stage, Stage::Party);
    let after = w.row("2027-10-01", "GB");
    assert_eq!(after.stage, Stage::Withdrawn);
    assert!(!after.is_bound());
    let counts = w.status("2027-10-01").instruments[0].counts;
    assert_eq!((counts.bound, counts.withdrawn), (2, 1));
    // Before it was notified, nothing of it shows.
    assert_eq!(w.row("2026-09-30", "GB").withdrawal, None);
}

#[test]
fn a_withdrawal_cannot_take_effect_before_the_notice_period_ends() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.add(
        "UA",
        "withdrawal",
        json!({"instrument": t, "notified": "2026-10-01", "effective": "2026-11-01"}),
    );
    let row = w.row("2026-11-22", "UA");
    assert_eq!(row.withdrawal.unwrap().effective, day("2027-10-01"));
    assert_eq!(row.stage, Stage::Bound);
    assert!(
        row.warnings[0].contains("12 months' notice"),
        "{:?}",
        row.warnings
    );
}

#[test]
fn a_correction_supersedes_the_entry_it_names() {
    let mut w = World::new();
    let t = w.treaty();
    let wrong = w.step(
        t,
        "US",
        "senate-vote",
        "2026-11-10",
        json!({"votes": {"for": 60, "against": 40, "abstaining": 0}, "result": "passed"}),
    );
    let row = w.row("2026-11-22", "US");
    assert!(
        row.warnings[0].contains("does not meet the threshold (two thirds of members present)"),
        "{:?}",
        row.warnings
    );

    let fix = w.add(
        "US",
        "correction",
        json!({
            "entry": wrong,
            "reason": "roll call transcribed wrongly",
            "kind": "procedure-step",
            "payload": {"instrument": t, "step": "senate-vote", "body": "Senate", "action": "advice and consent",
                        "date": "2026-11-10", "votes": {"for": 71, "against": 27, "abstaining": 0}, "result": "passed"}
        }),
    );
    let row = w.row("2026-11-22", "US");
    assert_eq!(row.warnings, Vec::<String>::new());
    assert_eq!(row.stage, Stage::ApprovedDomestically);
    assert_eq!(row.steps.len(), 1);
    assert_eq!(row.steps[0].votes.unwrap().r#for, 71);
    assert_eq!(row.steps[0].source.entry.id, wrong);
    assert_eq!(row.steps[0].source.corrected_by.unwrap().id, fix);
    assert!(row.proof.iter().any(|p| p.id == fix));

    // A correction without a payload annuls the entry.
    w.add(
        "US",
        "correction",
        json!({"entry": wrong, "reason": "entered in error"}),
    );
    let row = w.row("2026-11-22", "US");
    assert_eq!(row.steps, vec![]);
    assert_eq!(row.stage, Stage::None);

    // Nobody corrects another member's feed.
    w.add("GB", "correction", json!({"entry": t, "reason": "hostile"}));
    let status = w.status("2026-11-22");
    assert_eq!(status.instruments.len(), 1, "FR's instrument still stands");
    assert_eq!(status.warnings.len(), 1);
    assert!(
        status.warnings[0]
            .message
            .contains("corrects only its own feed")
    );
}

#[test]
fn a_fork_makes_every_status_resting_on_the_feed_disputed() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.sign(t, "GB", "2026-03-02", "subject-to-ratification");
    w.fork("UA");
    let status = w.status("2026-11-22");
    let inst = &status.instruments[0];
    let ua = inst.member(code("UA")).unwrap();
    assert_eq!(ua.stage, Stage::Disputed);
    assert!(!ua.is_bound());
    assert!(
        ua.warnings
            .iter()
            .any(|w| w.contains("UA's feed has forked"))
    );
    assert_eq!(inst.member(code("GB")).unwrap().stage, Stage::Signed);
    assert_eq!(inst.counts.disputed, 1);

    // The depositary's and registrant's feed: every row rests on it.
    w.fork("FR");
    let status = w.status("2026-11-22");
    assert!(
        status.instruments[0]
            .members
            .iter()
            .all(|m| m.stage == Stage::Disputed)
    );
}

#[test]
fn status_as_of_a_past_date() {
    let mut w = World::new();
    let t = w.treaty();
    w.sign(t, "UA", "2026-03-02", "subject-to-ratification");
    w.add(
        "UA",
        "provisional-application",
        json!({"instrument": t, "date": "2026-03-05"}),
    );
    w.ratify_fully(t, "UA", "2026-04-02");
    w.ratify_fully(t, "FR", "2026-05-06");
    w.ratify_fully(t, "GB", "2026-05-19");

    assert!(
        w.status("2026-03-01").instruments.is_empty(),
        "not yet adopted"
    );
    assert_eq!(w.row("2026-03-02", "UA").stage, Stage::Signed);
    assert_eq!(
        w.row("2026-03-05", "UA").stage,
        Stage::ProvisionallyApplying
    );
    let april = w.row("2026-04-02", "UA");
    assert_eq!(april.stage, Stage::ProvisionallyApplying);
    assert!(april.is_bound(), "bound and applying provisionally");
    assert_eq!(
        april.in_force_on, None,
        "as of April only one deposit is made"
    );
    assert_eq!(w.row("2026-06-18", "UA").stage, Stage::Party);
    assert_eq!(w.row("2026-05-18", "GB").stage, Stage::ConsentExpressed);
}

#[test]
fn consent_without_a_required_domestic_step_binds_with_a_warning() {
    let mut w = World::new();
    let t = w.treaty();
    w.step(
        t,
        "DE",
        "bundestag-vote",
        "2026-06-25",
        json!({"votes": {"for": 512, "against": 85, "abstaining": 3}, "result": "passed"}),
    );
    w.sign(t, "DE", "2026-03-02", "subject-to-ratification");
    let consent = w.consent(t, "DE", "ratification", "2026-07-01");
    w.receipt(t, "FR", "DE", consent, "2026-07-03");
    let row = w.row("2026-11-22", "DE");
    assert_eq!(row.stage, Stage::Bound);
    assert!(row.is_bound());
    // Neither the Bundesrat's passage (Art. 77 GG) nor the promulgation is recorded.
    assert_eq!(row.warnings.len(), 2, "{:?}", row.warnings);
    assert!(row.warnings[0].contains("without the required step `bundesrat`"));
    assert!(row.warnings[1].contains("without the required step `promulgation`"));
    assert!(row.warnings[1].contains("VCLT Art. 46"));
}

#[test]
fn a_definitive_signature_binds_only_where_the_instrument_allows_it() {
    let mut w = World::new();
    let t = w.treaty();
    for m in ["DE", "FR", "GB"] {
        w.step(t, m, "approval-not-in-profile", "2026-03-01", json!({}));
    }
    let sig = w.sign(t, "NL", "2026-03-02", "definitive");
    let row = w.row("2026-11-22", "NL");
    assert_eq!(row.stage, Stage::Bound);
    let e = row.established.unwrap();
    assert_eq!(
        (e.by, e.date, e.source.entry.id),
        (Establishment::DefinitiveSignature, day("2026-03-02"), sig)
    );

    // A treaty that allows only ratification: the same signature binds no one.
    let t2 = w.add(
        "FR",
        "instrument",
        json!({
            "short": "ratification-only", "title": "Ratification only", "nature": "legal",
            "adopted": "2026-03-02", "parties": ["FR", "NL"], "depositary": "FR",
            "consent_means": ["ratification"],
            "entry_into_force": {"rule": "on-consent"}, "withdrawal": {"rule": "not-provided"}
        }),
    );
    w.sign(t2, "NL", "2026-03-02", "definitive");
    let status = w.status("2026-11-22");
    let row = status.instruments[1].member(code("NL")).unwrap();
    assert_eq!(row.stage, Stage::Signed);
    assert!(row.warnings[0].contains("does not allow consent by definitive signature"));
}

#[test]
fn a_political_declaration_binds_no_one() {
    let mut w = World::new();
    let d = w.add(
        "FR",
        "instrument",
        json!({
            "short": "declaration", "title": "A declaration", "nature": "political",
            "adopted": "2026-01-06", "parties": ["DE", "FR", "GB"],
            "entry_into_force": {"rule": "none"}, "withdrawal": {"rule": "not-provided"}
        }),
    );
    for m in ["DE", "FR"] {
        w.sign(d, m, "2026-01-06", "definitive");
    }
    w.consent(d, "GB", "ratification", "2026-02-01");
    let status = w.status("2026-11-22");
    let inst = &status.instruments[0];
    assert_eq!(inst.member(code("FR")).unwrap().stage, Stage::Signed);
    assert_eq!(inst.member(code("GB")).unwrap().stage, Stage::None);
    assert!(inst.member(code("GB")).unwrap().warnings[0].contains("political instrument"));
    assert_eq!(inst.counts.bound, 0);
    assert_eq!(
        inst.headline(),
        "2 of 3 participants signed (political: binds no one in law)"
    );
}

#[test]
fn references_to_unknown_instruments_are_warnings_not_facts() {
    let mut w = World::new();
    w.treaty();
    let ghost = EntryId([7; 32]);
    w.consent(ghost, "UA", "ratification", "2026-03-20");
    let status = w.status("2026-11-22");
    assert_eq!(status.warnings.len(), 1);
    assert!(
        status.warnings[0]
            .message
            .contains("not registered in the ledger")
    );
    assert_eq!(
        status.instruments[0].member(code("UA")).unwrap().stage,
        Stage::None
    );
}

#[test]
fn a_proof_round_trips_offline_and_any_edit_fails() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.ratify_fully(t, "FR", "2026-05-06");
    w.ratify_fully(t, "GB", "2026-05-19");
    w.sign(t, "DE", "2026-03-02", "subject-to-ratification");
    let ledger = w.ledger();
    let (statement, bytes) = prove(
        &w.roster,
        &ledger,
        code("GB"),
        "guarantees",
        day("2026-11-22"),
    )
    .unwrap();
    assert_eq!(statement.status.stage, Stage::Party);
    // GB's status rests on the three deposits; DE's and the others' feeds stay out.
    let carried: Vec<_> = statement.heads.iter().map(|h| h.member).collect();
    assert_eq!(carried, vec![code("FR"), code("GB"), code("UA")]);

    let checked = verify_proof(&w.roster, &bytes).unwrap();
    assert_eq!(checked, statement);
    // Asked for 2026-11-22, the proof names the day the status began.
    assert_eq!(checked.since, day("2026-06-18"));
    assert_eq!(checked.status.in_force_on, Some(day("2026-06-18")));
    // The same proof says the same thing by instrument id.
    let by_id = prove(
        &w.roster,
        &ledger,
        code("GB"),
        &t.to_string(),
        day("2026-11-22"),
    )
    .unwrap();
    assert_eq!(by_id.1, bytes);

    // Every single-bit flip anywhere in the file is refused.
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        assert!(
            verify_proof(&w.roster, &bad).is_err(),
            "a flip at byte {i} of {} was accepted: {}",
            bytes.len(),
            String::from_utf8_lossy(&bad[..300.min(bad.len())])
        );
    }
    // So are truncation and trailing bytes.
    assert!(verify_proof(&w.roster, &bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(verify_proof(&w.roster, &longer).is_err());
}

#[test]
fn a_proof_with_a_feed_missing_or_added_is_refused() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.sign(t, "DE", "2026-03-02", "subject-to-ratification");
    let ledger = w.ledger();
    let (statement, _) = prove(
        &w.roster,
        &ledger,
        code("UA"),
        "guarantees",
        day("2026-11-22"),
    )
    .unwrap();

    // Re-frame the proof by hand with DE's feed added: the statement is unchanged, but
    // the proof no longer carries exactly what the status rests on.
    let json = serde_json::to_vec(&statement).unwrap();
    let frame = |feeds: &[&str]| {
        let feeds: Vec<_> = ledger
            .feeds
            .iter()
            .filter(|f| feeds.contains(&f.member.as_str()))
            .cloned()
            .collect();
        let bundle = bundle::encode(w.roster.network_id(), &feeds, &[], None);
        let mut out = b"pacta/proof\0".to_vec();
        out.push(pacta_core::proof::PROOF_VERSION);
        out.extend_from_slice(&(json.len() as u32).to_be_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&(bundle.len() as u32).to_be_bytes());
        out.extend_from_slice(&bundle);
        out
    };
    assert!(verify_proof(&w.roster, &frame(&["FR", "UA"])).is_ok());
    assert!(matches!(
        verify_proof(&w.roster, &frame(&["DE", "FR", "UA"])),
        Err(ProofError::Feeds { .. })
    ));
    // Without the depositary's feed, the receipt is gone and so is the status.
    assert!(verify_proof(&w.roster, &frame(&["UA"])).is_err());
    // Garbage is refused, not trusted.
    assert!(matches!(
        verify_proof(&w.roster, b"pacta/bundle"),
        Err(ProofError::Magic)
    ));
    assert!(verify_proof(&w.roster, b"").is_err());
}

/// A ledger with every kind of act, a correction, an ignored correction, an unknown
/// instrument and a fork: the incremental index must agree with [`compute`] on it.
fn busy_world() -> World {
    let mut w = World::new();
    let t = w.treaty();
    w.sign(t, "FR", "2026-03-02", "subject-to-ratification");
    w.sign(t, "GB", "2026-03-02", "subject-to-ratification");
    w.sign(t, "US", "2026-03-03", "subject-to-ratification");
    w.ratify_fully(t, "FR", "2026-04-01");
    w.ratify_fully(t, "GB", "2026-04-02");
    w.ratify_fully(t, "UA", "2026-04-03");
    let wrong = w.step(
        t,
        "US",
        "senate-vote",
        "2026-11-10",
        json!({"votes": {"for": 60, "against": 40, "abstaining": 0}, "result": "passed"}),
    );
    w.add(
        "US",
        "correction",
        json!({
            "entry": wrong,
            "reason": "roll call transcribed wrongly",
            "kind": "procedure-step",
            "payload": {"instrument": t, "step": "senate-vote", "body": "Senate", "action": "advice and consent",
                        "date": "2026-11-10", "votes": {"for": 71, "against": 27, "abstaining": 0}, "result": "passed"}
        }),
    );
    w.add("GB", "correction", json!({"entry": t, "reason": "hostile"}));
    let note = w.add("NL", "note", json!({"text": "a note"}));
    w.add("NL", "correction", json!({"entry": note, "reason": "typo"}));
    let ghost = EntryId([7; 32]);
    w.sign(ghost, "DE", "2026-03-02", "subject-to-ratification");
    w.consent(t, "NL", "accession", "2027-01-01");
    // A history in time: GB withdraws and accedes again; a returned instrument; an
    // intention not to become a party; a confirmed signature ad referendum.
    w.withdraw(t, "GB", "2026-06-01", "2027-06-01");
    let again = w.consent(t, "GB", "accession", "2027-08-01");
    w.receipt(t, "FR", "GB", again, "2027-08-03");
    w.give_back(t, "NL", again, "2027-01-02");
    w.intend_not_to_be_party(t, "US", "2026-12-01");
    let sig = w.sign(t, "UA", "2026-03-01", "ad-referendum");
    w.confirm(t, "UA", sig, "2026-03-04");
    w.fork("DE");
    w
}

/// Every entry of `w`, with the feeds interleaved as `order` says, each feed in order.
fn interleaved(w: &World, order: &[usize]) -> Vec<Entry> {
    let mut queues: Vec<std::collections::VecDeque<Entry>> = w
        .feeds
        .values()
        .map(|f| f.iter().cloned().collect())
        .collect();
    let mut out = Vec::new();
    let mut pick = order.iter().cycle();
    while queues.iter().any(|q| !q.is_empty()) {
        let live: Vec<usize> = (0..queues.len())
            .filter(|&i| !queues[i].is_empty())
            .collect();
        let i = live[pick.next().copied().unwrap_or(0) % live.len()];
        out.extend(queues[i].pop_front());
    }
    out
}

#[test]
fn the_index_fed_one_entry_at_a_time_agrees_with_compute() {
    let w = busy_world();
    let ledger = w.ledger();
    for as_of in [
        "2026-03-02",
        "2026-05-01",
        "2026-11-22",
        "2027-06-01",
        "2027-09-01",
    ] {
        let expected = compute(&w.roster, &ledger, day(as_of));
        let mut index = Index::new(day(as_of));
        for entry in interleaved(&w, &[0]) {
            index.push(&entry);
            // Asking in between must not change the final answer.
            let _ = index.status(&w.roster);
        }
        for fork in &ledger.forks {
            index.fork(fork.member());
        }
        assert_eq!(index.status(&w.roster), expected, "as of {as_of}");
    }
    let status = compute(&w.roster, &ledger, day("2026-11-22"));
    let messages: Vec<&str> = status.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("corrects only its own feed")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("or is a note")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("not registered")),
        "{messages:?}"
    );
}

#[test]
fn the_index_moves_its_day_and_recomputes() {
    let w = busy_world();
    let ledger = w.ledger();
    let mut index = Index::new(day("2026-03-02"));
    for entry in interleaved(&w, &[1, 2]) {
        index.push(&entry);
    }
    for fork in &ledger.forks {
        index.fork(fork.member());
    }
    let early = index.status(&w.roster);
    assert_eq!(early, compute(&w.roster, &ledger, day("2026-03-02")));
    index.set_as_of(day("2026-11-22"));
    assert_eq!(
        index.status(&w.roster),
        compute(&w.roster, &ledger, day("2026-11-22"))
    );
    // An entry already held changes nothing.
    let again = w.feeds.values().next().unwrap()[0].clone();
    index.push(&again);
    assert_eq!(
        index.status(&w.roster),
        compute(&w.roster, &ledger, day("2026-11-22"))
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    /// Arrival order never changes the status: nodes receive feeds interleaved in any
    /// way, and must all serve the same answer.
    #[test]
    fn arrival_order_never_changes_the_status(order in proptest::collection::vec(0usize..16, 1..40)) {
        let w = busy_world();
        let ledger = w.ledger();
        let expected = compute(&w.roster, &ledger, day("2026-11-22"));
        let mut index = Index::new(day("2026-11-22"));
        for (n, entry) in interleaved(&w, &order).into_iter().enumerate() {
            index.push(&entry);
            if n % 5 == 0 {
                let _ = index.status(&w.roster);
            }
        }
        for fork in &ledger.forks {
            index.fork(fork.member());
        }
        proptest::prop_assert_eq!(index.status(&w.roster), expected);
    }
}

#[test]
fn changes_name_each_stage_move_and_the_entry_into_force() {
    use pacta_core::status::{Summary, What, changes};
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "FR", "2026-04-01");
    w.ratify_fully(t, "GB", "2026-04-02");
    let before = w.status("2026-11-22");
    let first = changes(&Summary::default(), &before);
    assert!(matches!(first[0].what, What::Registered), "{first:?}");
    assert!(
        first.iter().any(|c| c.summary
            == "FR (FR) under guarantees: none → bound (contracting, not yet in force)"),
        "{first:?}"
    );
    assert_eq!(
        changes(&Summary::of(&before), &before),
        vec![],
        "no change, nothing to say"
    );

    w.ratify_fully(t, "UA", "2026-04-03");
    let after = w.status("2026-11-22");
    let moved = changes(&Summary::of(&before), &after);
    let summaries: Vec<&str> = moved.iter().map(|c| c.summary.as_str()).collect();
    assert!(
        summaries.contains(
            &"guarantees: enters into force on 2026-05-03, on the consents of FR, GB, UA"
        ),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"UA (UA) under guarantees: none → party (in force)"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(
            &"FR (FR) under guarantees: bound (contracting, not yet in force) → party (in force)"
        ),
        "{summaries:?}"
    );
    // Ids are stable and distinct.
    let ids: std::collections::BTreeSet<String> = moved.iter().map(|c| c.uuid()).collect();
    assert_eq!(ids.len(), moved.len());
    assert_eq!(
        moved[0].uuid(),
        changes(&Summary::of(&before), &after)[0].uuid()
    );
    // The summary survives JSON, as a node keeps it.
    let json = serde_json::to_vec(&Summary::of(&after)).unwrap();
    assert_eq!(
        serde_json::from_slice::<Summary>(&json).unwrap(),
        Summary::of(&after)
    );
}

/// The top-level member names of a JSON object, in the order written.
fn keys_in_order(json: &str) -> Vec<String> {
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    let mut keys = Vec::new();
    let mut current = String::new();
    let bytes: Vec<char> = json.chars().collect();
    for (i, &c) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                if depth == 1 && bytes.get(i + 1) == Some(&':') {
                    keys.push(std::mem::take(&mut current));
                }
                current.clear();
            } else {
                current.push(c);
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ => {}
        }
    }
    keys
}

/// SPEC 16 states the member order of a proof's statement; this pins the row's part
/// against the serialisation proofs compare byte for byte.
#[test]
fn a_rows_json_members_come_in_the_order_spec_16_gives() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "FR", "2026-04-01");
    let row = w.row_of(t, "2026-05-01", "FR");
    let text = serde_json::to_string(&row).unwrap();
    assert_eq!(
        keys_in_order(&text),
        [
            "member",
            "name",
            "stage",
            "since",
            "contracting",
            "history",
            "procedure",
            "signature",
            "steps",
            "consent",
            "established",
            "in_force_on",
            "provisional",
            "withdrawal",
            "periods",
            "warnings",
            "depends_on",
            "proof",
            "illustrative",
        ],
        "{text}"
    );
    let signature = serde_json::to_string(&row.signature.unwrap()).unwrap();
    assert_eq!(
        keys_in_order(&signature),
        ["date", "type", "signatory", "source"]
    );
    let step = serde_json::to_string(&row.steps[0]).unwrap();
    assert_eq!(
        keys_in_order(&step),
        [
            "step",
            "body",
            "action",
            "date",
            "votes",
            "threshold",
            "result",
            "reference",
            "required",
            "source"
        ]
    );
    let consent = serde_json::to_string(&row.consent.unwrap()).unwrap();
    assert_eq!(
        keys_in_order(&consent),
        [
            "means",
            "marker",
            "date",
            "declarations",
            "reservations",
            "source"
        ]
    );
    let period = serde_json::to_string(&row.periods[0]).unwrap();
    assert_eq!(
        keys_in_order(&period),
        ["consent", "established", "in_force_on", "withdrawal"]
    );
}

/// Issue 22: an alert names the act behind a change of stage, with its legal date.
#[test]
fn the_act_behind_a_stage_is_the_latest_act_up_to_its_first_day() {
    let mut w = World::new();
    let t = w.treaty();
    w.ratify_fully(t, "UA", "2026-04-02");
    w.ratify_fully(t, "FR", "2026-05-06");
    w.ratify_fully(t, "GB", "2026-05-19");
    // Bound: the depositary's receipt, in France's feed, on the deposit's day.
    let bound = w.row("2026-05-20", "GB");
    assert_eq!(bound.stage, Stage::Bound);
    let act = bound.act().unwrap();
    assert_eq!(act.date, day("2026-05-19"));
    assert_eq!(act.body, "depositary (FR)");
    assert_eq!(act.entry.member, code("FR"));
    assert!(
        act.text
            .ends_with(&format!("2026-05-19 (FR #{})", act.entry.seq.0)),
        "{}",
        act.text
    );
    // Party: the entry into force (the 30th day after the third deposit), not the
    // deposit, and not the withdrawal notified later.
    w.add(
        "GB",
        "withdrawal",
        json!({"instrument": t, "notified": "2026-10-01", "effective": "2027-10-01"}),
    );
    let party = w.row("2026-11-22", "GB");
    assert_eq!(party.stage, Stage::Party);
    let act = party.act().unwrap();
    assert_eq!(
        (act.date, act.action.as_str()),
        (day("2026-06-18"), "enters into force for it")
    );
    // Withdrawn: the withdrawal taking effect, on its effective date.
    let gone = w.row("2027-10-02", "GB").act().unwrap();
    assert_eq!(gone.date, day("2027-10-01"));
    assert_eq!(gone.entry.member, code("GB"));
    assert!(gone.action.contains("takes effect"), "{}", gone.action);
    // Nothing done: no act.
    assert_eq!(w.row("2026-11-22", "US").act(), None);
}
