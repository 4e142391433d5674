//! Domestic procedure profiles: how each state authorises itself to be bound.
//!
//! A roster names one profile per member. A profile lists the domestic steps in their
//! usual order, the body that takes each, and the threshold a vote must meet; `required`
//! steps are those the constitution requires before consent may be given. None of them
//! binds the state internationally: only the Art. 16 act (the deposit, exchange or
//! notification of the instrument of consent) does, and a profile names who performs it.
//! A state that consents without a required step is still bound (VCLT Art. 46), and the
//! status engine warns, naming the step.
//!
//! Profiles are data: adding a state's procedure is adding an entry to [`PROFILES`].

use serde::Serialize;

use crate::payload::Votes;

/// What a vote needs to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Threshold {
    /// An act, not a vote (a transmittal, a promulgation, the laying of a text).
    None,
    /// More votes for than against.
    Majority,
    /// Two thirds of the members present (US Senate, Art. II §2): abstentions count as
    /// present, so `for` must be at least two thirds of for + against + abstaining.
    TwoThirdsPresent,
    /// More than half of the body's full membership, e.g. 226 of 450 in the Rada.
    AbsoluteMajority { of: u32 },
    /// Passes unless the body resolves against it within the period (UK CRaG 2010,
    /// s. 20: 21 sitting days; Dutch tacit approval: 30 days).
    NoResolutionAgainst { days: u32 },
}

impl Threshold {
    /// Whether `votes` meet this threshold; `None` when votes do not decide it.
    pub fn passes(self, votes: &Votes) -> Option<bool> {
        let (yes, no, abstain) = (
            u64::from(votes.r#for),
            u64::from(votes.against),
            u64::from(votes.abstaining),
        );
        match self {
            Threshold::None | Threshold::NoResolutionAgainst { .. } => None,
            Threshold::Majority => Some(yes > no),
            Threshold::TwoThirdsPresent => Some(yes * 3 >= (yes + no + abstain) * 2 && yes > 0),
            Threshold::AbsoluteMajority { of } => Some(yes * 2 > u64::from(of)),
        }
    }

    /// The threshold in words, for tables and warnings.
    pub fn describe(self) -> String {
        match self {
            Threshold::None => "no vote".into(),
            Threshold::Majority => "majority of votes cast".into(),
            Threshold::TwoThirdsPresent => "two thirds of members present".into(),
            Threshold::AbsoluteMajority { of } => {
                format!("absolute majority: {} of {of}", of / 2 + 1)
            }
            Threshold::NoResolutionAgainst { days } => {
                format!("no resolution against within {days} days")
            }
        }
    }
}

/// One domestic step of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepDef {
    /// The name entries use in their `step` field, e.g. `senate-vote`.
    pub id: &'static str,
    pub body: &'static str,
    pub action: &'static str,
    pub threshold: Threshold,
    /// Required by the constitution before consent is given.
    pub required: bool,
    /// The step this one prevails over: when this step passes, the other counts as
    /// satisfied, whatever its own record says (Japan's House of Representatives over
    /// the House of Councillors, Art. 61; the Bundestag over a Bundesrat objection,
    /// Art. 77(4); the Assemblée nationale's final reading, Art. 45(4)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<&'static str>,
}

/// A state's procedure for authorising consent to be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub id: &'static str,
    pub name: &'static str,
    /// Who performs the Art. 16 act that binds the state internationally.
    pub binding_act: &'static str,
    pub steps: &'static [StepDef],
}

impl Profile {
    pub fn step(&self, id: &str) -> Option<&'static StepDef> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn required(&self) -> impl Iterator<Item = &'static StepDef> {
        self.steps.iter().filter(|s| s.required)
    }

    /// The steps that prevail over step `id` when they pass.
    pub fn overriding(&self, id: &str) -> impl Iterator<Item = &'static StepDef> {
        self.steps.iter().filter(move |s| s.overrides == Some(id))
    }
}

/// Finds a profile by its id.
pub fn profile(id: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.id == id)
}

/// The ids of every profile, for messages.
pub fn profile_ids() -> String {
    PROFILES.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
}

const fn step(
    id: &'static str,
    body: &'static str,
    action: &'static str,
    threshold: Threshold,
    required: bool,
) -> StepDef {
    StepDef {
        id,
        body,
        action,
        threshold,
        required,
        overrides: None,
    }
}

/// A step that, when it passes, prevails over step `over` (see [`StepDef::overrides`]).
/// It is never required itself: it is the constitution's way round a refusal.
const fn prevails(
    id: &'static str,
    body: &'static str,
    action: &'static str,
    threshold: Threshold,
    over: &'static str,
) -> StepDef {
    StepDef {
        id,
        body,
        action,
        threshold,
        required: false,
        overrides: Some(over),
    }
}

use Threshold::{AbsoluteMajority, Majority, NoResolutionAgainst, TwoThirdsPresent};

/// Every profile this version knows.
pub const PROFILES: &[Profile] = &[
    Profile {
        id: "us-article-ii",
        name: "United States: Article II treaty",
        binding_act: "the President ratifies after the Senate's advice and consent, and the instrument of ratification is deposited",
        // congress.gov's order: transmittal, referral, hearing and report, floor vote.
        steps: &[
            step(
                "transmittal",
                "President",
                "transmits the treaty to the Senate",
                Threshold::None,
                false,
            ),
            step(
                "referral",
                "Senate",
                "refers the treaty to the Committee on Foreign Relations",
                Threshold::None,
                false,
            ),
            step(
                "committee-report",
                "Senate Committee on Foreign Relations",
                "reports the resolution of advice and consent",
                Majority,
                false,
            ),
            step(
                "senate-vote",
                "Senate",
                "gives its advice and consent to ratification",
                TwoThirdsPresent,
                true,
            ),
        ],
    },
    Profile {
        id: "us-congressional-executive",
        name: "United States: congressional-executive agreement",
        binding_act: "the President concludes the agreement as the statute authorises, and consent is deposited or notified",
        steps: &[
            step(
                "house-vote",
                "House of Representatives",
                "passes the approving bill",
                Majority,
                true,
            ),
            step(
                "senate-vote",
                "Senate",
                "passes the approving bill",
                Majority,
                true,
            ),
            step(
                "enactment",
                "President",
                "signs the approving bill into law",
                Threshold::None,
                true,
            ),
        ],
    },
    Profile {
        id: "us-sole-executive",
        name: "United States: sole executive agreement",
        binding_act: "the President concludes the agreement under his own constitutional authority",
        steps: &[step(
            "congress-notified",
            "Department of State",
            "reports the agreement to Congress (Case-Zablocki Act)",
            Threshold::None,
            false,
        )],
    },
    Profile {
        id: "gb-crag2010",
        name: "United Kingdom: Constitutional Reform and Governance Act 2010, Part 2",
        binding_act: "the Government deposits the instrument of ratification after the CRaG period",
        steps: &[
            step(
                "laid",
                "Parliament",
                "the treaty is laid before both Houses with an explanatory memorandum",
                Threshold::None,
                true,
            ),
            step(
                "crag-period",
                "House of Commons",
                "21 sitting days pass without a resolution that the treaty should not be ratified",
                NoResolutionAgainst { days: 21 },
                true,
            ),
        ],
    },
    Profile {
        id: "fr-art53",
        name: "France: Constitution, Art. 53 (loi autorisant la ratification)",
        binding_act: "the President of the Republic ratifies, and the instrument is deposited",
        steps: &[
            step(
                "assemblee-vote",
                "Assemblée nationale",
                "adopts the bill authorising ratification",
                Majority,
                true,
            ),
            step(
                "senat-vote",
                "Sénat",
                "adopts the bill authorising ratification",
                Majority,
                true,
            ),
            prevails(
                "assemblee-final-reading",
                "Assemblée nationale",
                "adopts the bill in a final reading after a joint committee, over the Sénat (Art. 45(4))",
                Majority,
                "senat-vote",
            ),
            step(
                "conseil-constitutionnel",
                "Conseil constitutionnel",
                "rules on the conformity of the commitment with the Constitution (Art. 54)",
                Threshold::None,
                false,
            ),
            step(
                "promulgation",
                "President of the Republic",
                "promulgates the law authorising ratification",
                Threshold::None,
                true,
            ),
        ],
    },
    Profile {
        id: "de-art59",
        name: "Germany: Basic Law, Art. 59(2) (Vertragsgesetz)",
        binding_act: "the Federal President ratifies, and the instrument is deposited",
        steps: &[
            step(
                "bundestag-vote",
                "Bundestag",
                "adopts the Vertragsgesetz",
                Majority,
                true,
            ),
            step(
                "bundesrat",
                "Bundesrat",
                "consents, or does not object, to the Vertragsgesetz",
                Majority,
                true,
            ),
            prevails(
                "bundestag-override",
                "Bundestag",
                "rejects the Bundesrat's objection (Einspruchsgesetz, Art. 77(4)): a majority of its members",
                AbsoluteMajority { of: 630 },
                "bundesrat",
            ),
            step(
                "promulgation",
                "Federal President",
                "signs and promulgates the Vertragsgesetz",
                Threshold::None,
                true,
            ),
        ],
    },
    Profile {
        id: "ua-rada-law",
        name: "Ukraine: law on ratification by the Verkhovna Rada",
        binding_act: "the instrument of ratification is deposited after the law enters into force",
        steps: &[
            step(
                "rada-vote",
                "Verkhovna Rada",
                "adopts the law on ratification",
                AbsoluteMajority { of: 450 },
                true,
            ),
            step(
                "presidential-signature",
                "President of Ukraine",
                "signs the law on ratification",
                Threshold::None,
                true,
            ),
        ],
    },
    Profile {
        id: "nl-states-general",
        name: "Netherlands: approval by the States General (Kingdom Act on Treaties)",
        binding_act: "the Government deposits the instrument of acceptance or ratification",
        steps: &[
            step(
                "submitted",
                "States General",
                "the treaty is submitted to both chambers",
                Threshold::None,
                true,
            ),
            step(
                "approval",
                "States General",
                "approve the treaty, expressly or tacitly (30 days without a request for express approval)",
                NoResolutionAgainst { days: 30 },
                true,
            ),
        ],
    },
    Profile {
        id: "jp-diet",
        name: "Japan: Diet approval (Constitution, Art. 61 and 73)",
        binding_act: "the Cabinet concludes the treaty and the instrument is deposited",
        steps: &[
            step(
                "cabinet-decision",
                "Cabinet",
                "decides to submit the treaty to the Diet",
                Threshold::None,
                false,
            ),
            step(
                "representatives-vote",
                "House of Representatives",
                "approves the treaty",
                Majority,
                true,
            ),
            step(
                "councillors-vote",
                "House of Councillors",
                "approves the treaty (the House of Representatives prevails after 30 days)",
                Majority,
                true,
            ),
            prevails(
                "representatives-prevails",
                "House of Representatives",
                "its decision becomes the Diet's: the Councillors disagreed and the joint committee failed, or 30 days passed (Art. 61, 60(2))",
                Threshold::None,
                "councillors-vote",
            ),
        ],
    },
    Profile {
        id: "tr-gna-law",
        name: "Türkiye: law approving ratification by the Grand National Assembly",
        binding_act: "the President ratifies by decision, and the instrument is deposited",
        steps: &[
            step(
                "gna-vote",
                "Grand National Assembly",
                "adopts the law approving ratification",
                Majority,
                true,
            ),
            step(
                "presidential-decision",
                "President",
                "decides on ratification and publishes it in the Official Gazette",
                Threshold::None,
                true,
            ),
        ],
    },
    Profile {
        id: "generic",
        name: "Generic: approval by the competent national authority",
        binding_act: "the competent authority deposits the instrument of consent",
        steps: &[step(
            "approval",
            "the competent national authority",
            "approves the instrument under national law",
            Threshold::None,
            true,
        )],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn votes(r#for: u32, against: u32, abstaining: u32) -> Votes {
        Votes {
            r#for,
            against,
            abstaining,
        }
    }

    #[test]
    fn thresholds_count_as_their_bodies_do() {
        assert_eq!(TwoThirdsPresent.passes(&votes(67, 33, 0)), Some(true));
        assert_eq!(TwoThirdsPresent.passes(&votes(66, 34, 0)), Some(false));
        assert_eq!(TwoThirdsPresent.passes(&votes(60, 30, 0)), Some(true));
        assert_eq!(
            AbsoluteMajority { of: 450 }.passes(&votes(226, 0, 0)),
            Some(true)
        );
        assert_eq!(
            AbsoluteMajority { of: 450 }.passes(&votes(225, 0, 0)),
            Some(false)
        );
        assert_eq!(Majority.passes(&votes(10, 10, 5)), Some(false));
        assert_eq!(Threshold::None.passes(&votes(1, 0, 0)), None);
    }

    #[test]
    fn profiles_are_well_formed() {
        for p in PROFILES {
            assert!(
                p.required().count() > 0 || p.id == "us-sole-executive",
                "{}",
                p.id
            );
            let mut ids: Vec<_> = p.steps.iter().map(|s| s.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), p.steps.len(), "{}: duplicate step", p.id);
            assert_eq!(profile(p.id), Some(p));
            for s in p.steps.iter().filter(|s| s.overrides.is_some()) {
                let over = s.overrides.and_then(|o| p.step(o));
                assert!(
                    over.is_some_and(|o| o.required && o.overrides.is_none()) && !s.required,
                    "{}: {} prevails over a step that is not a required step of the profile",
                    p.id,
                    s.id
                );
            }
        }
    }
}
