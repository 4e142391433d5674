//! The demo scenario, from the seed documents (`../shared/seeds`): what happened in
//! Paris on 6 January 2026, as each participant would record it.
//!
//! Until the legal entry kinds exist, every entry is a `note`. Nothing here is after 6
//! January 2026; events after that day would be illustrative and labelled so.

/// SHA-256 of the Élysée's official text of the Paris Declaration
/// (`../shared/seeds/001_7ac2b74bc1ea989b.txt`).
pub const DECLARATION_SHA256: &str =
    "304ef2b0c17ada63b178e73b1087c79c106db005144159e486753438afe56565";

/// `(member, note text)`, in the order they are submitted.
pub fn entries() -> Vec<(&'static str, String)> {
    vec![
        (
            "FR",
            format!(
                "6 January 2026, Palais de l'Élysée: the members of the Coalition of the Willing, Ukraine and the United States adopt the Paris Declaration, \"Robust security guarantees for a solid and lasting peace in Ukraine\". Official text (Élysée press service, in French): SHA-256 {DECLARATION_SHA256}."
            ),
        ),
        (
            "FR",
            "The Declaration's guarantees, to be politically and legally binding and activated once a ceasefire enters into force: (1) participation in a US-led ceasefire monitoring and verification mechanism; (2) support to Ukraine's armed forces; (3) a multinational force for Ukraine; (4) binding commitments to support Ukraine in case of a renewed armed attack by Russia; (5) long-term defence cooperation with Ukraine; and a US/Ukraine/Coalition coordination cell at the Coalition's operational headquarters in Paris.".into(),
        ),
        (
            "FR",
            "President Macron (France 2, 6 January 2026): once peace returns, France would send \"several thousand\" troops to help secure the Russia-Ukraine border, \"not forces engaged in combat\".".into(),
        ),
        (
            "GB",
            "6 January 2026: the United Kingdom signs, with France and Ukraine, the trilateral declaration adopted beside the Paris Declaration.".into(),
        ),
        (
            "UA",
            "6 January 2026: Ukraine signs, with France and the United Kingdom, the trilateral declaration adopted beside the Paris Declaration.".into(),
        ),
        (
            "UA",
            "President Zelensky: the commitments must be validated by national parliaments, the US Congress included, to avoid any political reversal later.".into(),
        ),
        ("DE", "6 January 2026: Germany takes part in the Paris meeting at the level of head of state or government and joins the Paris Declaration.".into()),
        (
            "US",
            "6 January 2026: the United States takes part in the Paris meeting (envoy Steve Witkoff) and is expected to lead the ceasefire monitoring and verification mechanism. It does not sign the Paris Declaration.".into(),
        ),
    ]
}
