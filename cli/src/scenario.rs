//! The demo scenario, from the seed documents (`../shared/seeds`).
//!
//! What happened in Paris on 6 January 2026 is real: the Paris Declaration (registered
//! with the SHA-256 of the Élysée's official text), its signatories, the trilateral
//! France–United Kingdom–Ukraine declaration, and the commitments the seeds report.
//!
//! Everything after that day is ILLUSTRATIVE: the binding instrument the Declaration
//! says the signatories will finalise, and each member's path through it. Those entries
//! carry `"illustrative": true`, and every table that rests on them says so.
//!
//! Entries refer to earlier ones by name (`$paris`, `$consent-UA`); the demo replaces
//! each name with the id the entry got when it was signed.

use serde_json::{Value, json};

/// SHA-256 of the Élysée's official text of the Paris Declaration
/// (`../shared/seeds/001_7ac2b74bc1ea989b.txt`).
pub const DECLARATION_SHA256: &str =
    "304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565";

/// The illustrative text of the illustrative binding instrument; only its hash is
/// registered, as a real text's would be.
pub const ILLUSTRATIVE_TEXT: &str = "ILLUSTRATIVE TEXT, NOT A REAL INSTRUMENT. Agreement on binding commitments to support Ukraine in case of a renewed armed attack by Russia, as foreseen by point 4 of the Paris Declaration of 6 January 2026. Art. 1: The Parties shall support Ukraine and restore peace and security in case of a renewed armed attack, by military capabilities, intelligence and logistical support, diplomatic initiatives and additional sanctions. Art. 2: This Agreement is subject to ratification, acceptance or approval; it is open to accession. Instruments shall be deposited with the Government of the French Republic. Art. 3: It enters into force on the thirtieth day after the deposit of the third instrument; for a later State, on the thirtieth day after its deposit. Art. 4: A Party may withdraw by notification; withdrawal takes effect twelve months after.";

/// One entry: who signs it, its kind, its payload, and optionally a name later entries
/// use to refer to it.
pub struct Step {
    pub member: &'static str,
    pub kind: &'static str,
    pub name: Option<String>,
    pub payload: Value,
}

fn step(member: &'static str, kind: &'static str, payload: Value) -> Step {
    Step {
        member,
        kind,
        name: None,
        payload,
    }
}

fn named(member: &'static str, kind: &'static str, name: &str, payload: Value) -> Step {
    Step {
        member,
        kind,
        name: Some(name.to_owned()),
        payload,
    }
}

/// Participants of 6 January 2026 whose signature is recorded: the 35 states of the
/// roster less the United States (which took part but did not sign) and Montenegro
/// and New Zealand (reported, but the names are cut off in the sources), plus the EU
/// and NATO.
const SIGNED_PARIS: &[&str] = &[
    "AL", "AT", "AU", "BE", "BG", "CA", "CY", "CZ", "DE", "DK", "EE", "ES", "EU", "FI", "FR", "GB",
    "GR", "HR", "IE", "IS", "IT", "JP", "LT", "LU", "LV", "NATO", "NL", "NO", "PL", "PT", "RO",
    "SE", "SI", "TR", "UA",
];

/// The steps, in the order they are signed.
pub fn steps(sha_of_illustrative_text: &str) -> Vec<Step> {
    let mut paris_parties: Vec<&str> = SIGNED_PARIS.iter().copied().chain(["ME", "NZ"]).collect();
    paris_parties.sort_unstable();
    let mut states: Vec<&str> = paris_parties
        .iter()
        .copied()
        .filter(|c| *c != "EU" && *c != "NATO")
        .chain(["US"])
        .collect();
    states.sort_unstable();
    let paris = "$paris";
    let deal = "$guarantees";

    let mut s = vec![
        named(
            "FR",
            "instrument",
            "paris",
            json!({
                "short": "paris-declaration",
                "title": "Paris Declaration: robust security guarantees for a solid and lasting peace in Ukraine",
                "nature": "political",
                "adopted": "2026-01-06",
                "text_sha256": DECLARATION_SHA256,
                "parties": paris_parties,
                "entry_into_force": {"rule": "none"},
                "withdrawal": {"rule": "not-provided"}
            }),
        ),
        named(
            "FR",
            "instrument",
            "trilateral",
            json!({
                "short": "trilateral-fr-gb-ua",
                "title": "Trilateral declaration of France, the United Kingdom and Ukraine",
                "nature": "political",
                "adopted": "2026-01-06",
                "parties": ["FR", "GB", "UA"],
                "entry_into_force": {"rule": "none"},
                "withdrawal": {"rule": "not-provided"}
            }),
        ),
        step(
            "FR",
            "note",
            json!({"text": "The reports of 6 January 2026 name 35 participating states; the names of two ambassadors are cut off (most likely Montenegro and New Zealand). Their endorsement of the Paris Declaration is not recorded until confirmed. The United States took part (envoy Steve Witkoff) but did not sign."}),
        ),
    ];
    for code in SIGNED_PARIS {
        s.push(step(
            code,
            "signature",
            json!({"instrument": paris, "type": "definitive", "date": "2026-01-06"}),
        ));
    }
    for code in ["FR", "GB", "UA"] {
        s.push(step(
            code,
            "signature",
            json!({"instrument": "$trilateral", "type": "definitive", "date": "2026-01-06"}),
        ));
    }
    s.extend([
        step("US", "commitment", json!({
            "instrument": paris, "pillar": "ceasefire-monitoring",
            "description": "Lead the ceasefire monitoring and verification mechanism, with contributions from the members of the Coalition of the Willing",
            "conditions": ["activated once a ceasefire enters into force"], "date": "2026-01-06"
        })),
        step("FR", "commitment", json!({
            "instrument": paris, "pillar": "multinational-force",
            "description": "French troops to help secure the Russia-Ukraine border once peace returns: \"not forces engaged in combat\" (President Macron, France 2)",
            "quantity": {"amount": "several thousand", "unit": "troops"},
            "conditions": ["once peace returns", "not engaged in combat"], "date": "2026-01-06"
        })),
        step("FR", "commitment", json!({
            "instrument": paris, "pillar": "coordination-cell",
            "description": "Host the US/Ukraine/Coalition coordination cell at the Coalition's operational headquarters in Paris",
            "date": "2026-01-06"
        })),
        step("FR", "commitment", json!({
            "instrument": paris, "pillar": "armed-forces-support",
            "description": "Contribute to the regeneration of the Ukrainian army: its reconstruction, training and long-term reorganisation",
            "date": "2026-01-06"
        })),
        step("UA", "note", json!({"text": "President Zelensky, 6 January 2026: the commitments must be validated by national parliaments, the US Congress included, to avoid any political reversal later."})),
        // From here on, ILLUSTRATIVE.
        named("FR", "instrument", "guarantees", json!({
            "short": "binding-commitments",
            "title": "Agreement on binding commitments to support Ukraine in case of a renewed armed attack (ILLUSTRATIVE)",
            "nature": "legal",
            "adopted": "2026-03-02",
            "text_sha256": sha_of_illustrative_text,
            "parties": states,
            "depositary": "FR",
            "consent_means": ["ratification", "acceptance", "approval", "accession"],
            "entry_into_force": {"rule": "after-deposits", "deposits": 3, "days": 30},
            "withdrawal": {"rule": "after-notice", "months": 12},
            "illustrative": true
        })),
    ]);
    for code in ["FR", "GB", "UA", "DE", "US", "NL", "JP"] {
        s.push(step(code, "signature", json!({"instrument": deal, "type": "subject-to-ratification", "date": "2026-03-02", "illustrative": true})));
    }
    let vote = |member: &'static str,
                id: &str,
                body: &str,
                action: &str,
                date: &str,
                votes: Option<[u32; 3]>,
                threshold: Option<&str>,
                result: &str,
                reference: Option<&str>| {
        let mut p = json!({"instrument": deal, "step": id, "body": body, "action": action, "date": date, "result": result, "illustrative": true});
        if let Some([f, a, ab]) = votes {
            p["votes"] = json!({"for": f, "against": a, "abstaining": ab});
        }
        if let Some(t) = threshold {
            p["threshold"] = json!(t);
        }
        if let Some(r) = reference {
            p["reference"] = json!(r);
        }
        step(member, "procedure-step", p)
    };
    let consent = |member: &'static str, means: &str, date: &str| {
        named(
            member,
            "consent",
            &format!("consent-{member}"),
            json!({"instrument": deal, "means": means, "date": date, "illustrative": true}),
        )
    };
    let receipt = |member: &str, date: &str| {
        step(
            "FR",
            "deposit-receipt",
            json!({"instrument": deal, "member": member, "consent": format!("$consent-{member}"), "date": date, "illustrative": true}),
        )
    };
    s.extend([
        // Ukraine: provisional application, then the Rada's law and the deposit.
        step("UA", "provisional-application", json!({"instrument": deal, "date": "2026-03-05", "scope": "Articles 1 and 2, pending ratification", "illustrative": true})),
        vote("UA", "rada-vote", "Verkhovna Rada", "adopts the law on ratification", "2026-03-19", Some([312, 0, 4]), Some("226 of 450"), "passed", Some("draft law (illustrative)")),
        vote("UA", "presidential-signature", "President of Ukraine", "signs the law on ratification", "2026-03-25", None, None, "completed", None),
        consent("UA", "ratification", "2026-03-26"),
        receipt("UA", "2026-04-02"),
        // The United Kingdom: CRaG 2010.
        vote("GB", "laid", "Parliament", "laid before both Houses with an explanatory memorandum", "2026-03-10", None, None, "completed", Some("Command paper (illustrative)")),
        vote("GB", "crag-period", "House of Commons", "21 sitting days passed without a resolution against ratification", "2026-04-21", None, Some("no resolution within 21 sitting days"), "passed", None),
        // France: Art. 53, then its own deposit with itself as depositary.
        vote("FR", "assemblee-vote", "Assemblée nationale", "adopts the bill authorising ratification", "2026-04-08", Some([401, 112, 30]), Some("majority of votes cast"), "passed", None),
        named("FR", "procedure-step", "senat-typo", json!({"instrument": deal, "step": "senat-vote", "body": "Sénat", "action": "adopts the bill authorising ratification", "date": "2026-04-22", "votes": {"for": 250, "against": 260, "abstaining": 20}, "result": "passed", "illustrative": true})),
        step("FR", "correction", json!({"entry": "$senat-typo", "reason": "vote counts transcribed wrongly", "kind": "procedure-step", "payload": {"instrument": deal, "step": "senat-vote", "body": "Sénat", "action": "adopts the bill authorising ratification", "date": "2026-04-22", "votes": {"for": 250, "against": 60, "abstaining": 20}, "threshold": "majority of votes cast", "result": "passed", "illustrative": true}, "illustrative": true})),
        vote("FR", "promulgation", "President of the Republic", "promulgates the law authorising ratification", "2026-04-28", None, None, "completed", Some("Journal officiel (illustrative)")),
        consent("FR", "ratification", "2026-05-04"),
        receipt("FR", "2026-05-06"),
        consent("GB", "ratification", "2026-05-12"),
        receipt("GB", "2026-05-19"),
        // The Netherlands: tacit approval, acceptance, later a withdrawal.
        vote("NL", "submitted", "States General", "submitted to both chambers", "2026-03-20", None, None, "completed", None),
        vote("NL", "approval", "States General", "approved tacitly: 30 days without a request for express approval", "2026-04-30", None, None, "passed", None),
        // With an illustrative declaration, so that the pages show one as UNTC does.
        named(
            "NL",
            "consent",
            "consent-NL",
            json!({"instrument": deal, "means": "acceptance", "date": "2026-06-05",
                   "declarations": ["ILLUSTRATIVE: the Kingdom of the Netherlands accepts the Agreement for the European part of the Netherlands only."],
                   "illustrative": true}),
        ),
        receipt("NL", "2026-06-10"),
        step("NL", "withdrawal", json!({"instrument": deal, "notified": "2026-10-01", "effective": "2027-10-01", "illustrative": true})),
        // Germany: the Vertragsgesetz; consent expressed, no receipt yet.
        vote("DE", "bundestag-vote", "Bundestag", "adopts the Vertragsgesetz", "2026-06-25", Some([512, 85, 3]), Some("majority of votes cast"), "passed", None),
        vote("DE", "bundesrat", "Bundesrat", "does not object", "2026-07-10", None, None, "passed", None),
        vote("DE", "promulgation", "Federal President", "signs and promulgates the Vertragsgesetz", "2026-07-28", None, None, "completed", Some("BGBl. (illustrative)")),
        consent("DE", "ratification", "2026-11-16"),
        // The United States: Article II, in congress.gov's order.
        vote("US", "transmittal", "President", "transmits the agreement to the Senate", "2026-04-14", None, None, "completed", Some("Treaty Doc. (illustrative)")),
        vote("US", "referral", "Senate", "referred to the Committee on Foreign Relations", "2026-04-14", None, None, "completed", None),
        vote("US", "committee-report", "Senate Committee on Foreign Relations", "reports the resolution of advice and consent favourably", "2026-09-30", Some([15, 6, 0]), None, "passed", Some("Exec. Rept. (illustrative)")),
        vote("US", "senate-vote", "Senate", "gives its advice and consent to ratification", "2026-11-10", Some([71, 27, 0]), Some("two thirds of the Senators present"), "passed", Some("Roll call vote (illustrative)")),
        // Poland: its first instrument is returned by the depositary; the second counts.
        step("PL", "signature", json!({"instrument": deal, "type": "subject-to-ratification", "date": "2026-03-02", "illustrative": true})),
        vote("PL", "approval", "Sejm and Senate", "pass the act consenting to ratification", "2026-06-25", None, None, "completed", None),
        named("PL", "consent", "consent-PL-returned", json!({"instrument": deal, "means": "ratification", "date": "2026-07-01", "illustrative": true})),
        step("FR", "deposit-return", json!({"instrument": deal, "member": "PL", "consent": "$consent-PL-returned", "date": "2026-07-08", "reason": "The instrument is not signed by the Head of State (illustrative).", "illustrative": true})),
        consent("PL", "ratification", "2026-07-20"),
        receipt("PL", "2026-07-27"),
        // Türkiye: signs, then makes clear it will not become a party (VCLT Art. 18(a)).
        step("TR", "signature", json!({"instrument": deal, "type": "subject-to-ratification", "date": "2026-03-02", "illustrative": true})),
        step("TR", "intention-not-to-be-party", json!({"instrument": deal, "date": "2026-09-01", "illustrative": true})),
        // Japan: the Diet, half-way.
        vote("JP", "cabinet-decision", "Cabinet", "decides to submit the agreement to the Diet", "2026-09-15", None, None, "completed", None),
        vote("JP", "representatives-vote", "House of Representatives", "approves the agreement", "2026-11-05", Some([320, 140, 0]), None, "passed", None),
    ]);
    s
}
