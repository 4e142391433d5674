//! The status engine: from verified feeds to who is bound by what, since when, and by
//! which entries — a pure function of the roster, the ledger and a date.
//!
//! It follows the Vienna Convention on the Law of Treaties as SPEC.md, "Status",
//! spells out:
//!
//! - a parliamentary vote authorises consent; it is never consent (Art. 14, 16);
//! - consent is established by the Art. 16 act: for a deposit, only once the
//!   depositary's receipt is in the depositary's feed; a definitive signature binds on
//!   signing where the instrument allows it (Art. 12);
//! - entry into force follows the instrument's rule, and for a state that consents
//!   later, the rule's period from its own consent (Art. 24);
//! - a withdrawal takes effect on its effective date, never earlier than the
//!   instrument's notice period allows (Art. 54–56);
//! - a correction supersedes the entry it names, in the same feed;
//! - consent given without a step the member's procedure profile requires still binds,
//!   with a warning naming the step (Art. 46);
//! - everything is computed "as of" a day: acts dated later do not count;
//! - a fork in any feed a status rests on makes that status disputed;
//! - a state's relation to an instrument is a history in time: the status on day D is
//!   that history on D, built from the acts dated on or before D. A state is
//!   contracting from the establishment of a consent until a withdrawal takes effect,
//!   may consent again later, and counts towards entry into force only while
//!   contracting.
//!
//! Problems that do not invalidate the ledger (a receipt from someone who is not the
//! depositary, a reference to an unknown instrument, a vote whose counts contradict its
//! result) become warnings beside the status they concern.

mod act;
mod change;
mod engine;
mod force;
mod history;
mod index;
mod stage;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::ids::{Digest, EntryId, MemberCode, Seq};
use crate::payload::{
    ConsentMeans, EntryIntoForce, Means, Nature, Pillar, Quantity, SignatureType, StepResult,
    Votes, WithdrawalRule,
};

pub use act::Act;
pub use change::{Change, Summary, What, changes};
pub use engine::compute;
pub use index::Index;

/// Where a fact comes from: an entry of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EntryRef {
    pub member: MemberCode,
    pub seq: Seq,
    pub id: EntryId,
}

impl std::fmt::Display for EntryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.member, self.seq, self.id.short())
    }
}

/// The entries a fact rests on: the entry itself and, if it was corrected, the
/// correction that gave it its present content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    pub entry: EntryRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_by: Option<EntryRef>,
}

/// The stage of one member for one instrument, in the order a state moves through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    None,
    Signed,
    /// At least one domestic step is recorded; not every required one has passed.
    DomesticApprovalInProgress,
    /// Every step the profile requires has passed; the state may now consent.
    ApprovedDomestically,
    /// The state recorded its consent; the depositary's receipt is not in the ledger.
    ConsentExpressed,
    /// Consent established (a contracting state); not yet in force for it.
    Bound,
    /// Applying the instrument provisionally (Art. 25), not yet a party.
    ProvisionallyApplying,
    /// In force for the state.
    Party,
    /// The state made clear its intention not to become a party (Art. 18(a)): its
    /// signature no longer obliges it, and any provisional application ended (Art. 25(2)).
    NotBecomingParty,
    /// The withdrawal has taken effect.
    Withdrawn,
    /// A feed this status rests on has forked: it cannot be decided.
    Disputed,
}

impl Stage {
    /// On the way to being bound but not there: signed, in domestic approval,
    /// approved, or consent expressed and awaiting the deposit's receipt.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Stage::Signed
                | Stage::DomesticApprovalInProgress
                | Stage::ApprovedDomestically
                | Stage::ConsentExpressed
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::None => "none",
            Stage::Signed => "signed",
            Stage::DomesticApprovalInProgress => "domestic approval in progress",
            Stage::ApprovedDomestically => "approved domestically",
            Stage::ConsentExpressed => "consent expressed, awaiting deposit receipt",
            Stage::Bound => "bound (contracting, not yet in force)",
            Stage::ProvisionallyApplying => "provisionally applying",
            Stage::Party => "party (in force)",
            Stage::NotBecomingParty => "not becoming a party (Art. 18)",
            Stage::Withdrawn => "withdrawn",
            Stage::Disputed => "DISPUTED (fork)",
        }
    }
}

/// The status of every registered instrument, as of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub as_of: Date,
    pub instruments: Vec<InstrumentStatus>,
    /// Problems not tied to one instrument and member.
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub source: Option<EntryRef>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstrumentStatus {
    /// The id of the entry that registered it.
    pub id: EntryId,
    pub registered: Source,
    pub short: String,
    pub title: String,
    pub nature: Nature,
    pub adopted: Date,
    pub text_sha256: Option<Digest>,
    pub parties: Vec<MemberCode>,
    pub depositary: Option<MemberCode>,
    pub consent_means: Vec<Means>,
    pub entry_into_force: EntryIntoForce,
    pub withdrawal: WithdrawalRule,
    /// Whether a state may ratify, accept or approve without having signed.
    pub ratification_without_signature: bool,
    /// The day the instrument entered (or, if later than `as_of`, will enter) into force.
    pub in_force_on: Option<Date>,
    /// The consents that brought it into force, in order of establishment.
    pub in_force_by: Vec<MemberCode>,
    pub illustrative: bool,
    pub counts: Counts,
    /// One row per party and per member with an entry about it, in code order.
    pub members: Vec<MemberStatus>,
    pub commitments: Vec<CommitmentFact>,
}

impl Status {
    /// Finds an instrument by its short name, its full id, or a unique prefix of its id
    /// (at least 8 hex digits).
    pub fn find(&self, query: &str) -> Result<&InstrumentStatus, String> {
        match self.lookup(query) {
            Lookup::One(i) => Ok(i),
            Lookup::None(e) => Err(e),
            Lookup::Many(many) => Err(format!(
                "{query:?} names {} instruments; give the id instead: {}",
                many.len(),
                many.iter()
                    .map(|i| i.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// [`Status::find`], telling an unknown name from an ambiguous one, so that a page
    /// can offer the candidates (HTTP 300) rather than a bare "not found".
    pub fn lookup(&self, query: &str) -> Lookup<'_> {
        let by_name: Vec<_> = self
            .instruments
            .iter()
            .filter(|i| i.short == query)
            .collect();
        let found: Vec<_> = if by_name.is_empty() && query.len() >= 8 {
            self.instruments
                .iter()
                .filter(|i| i.id.to_string().starts_with(query))
                .collect()
        } else {
            by_name
        };
        match found.as_slice() {
            [one] => Lookup::One(one),
            [] => Lookup::None(format!(
                "no instrument {:?} as of {} (known: {})",
                // A query can be any length a URL allows; the sentence names its start.
                query.chars().take(80).collect::<String>(),
                self.as_of,
                self.instruments
                    .iter()
                    .map(|i| format!("{} {}", i.short, i.id.short()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Lookup::Many(found),
        }
    }
}

/// What a query for an instrument names.
#[derive(Debug)]
pub enum Lookup<'a> {
    One(&'a InstrumentStatus),
    /// Nothing: the sentence says what is known.
    None(String),
    /// Several instruments share the short name (or the prefix).
    Many(Vec<&'a InstrumentStatus>),
}

impl InstrumentStatus {
    pub fn member(&self, code: MemberCode) -> Option<&MemberStatus> {
        self.members.iter().find(|m| m.member == code)
    }

    /// The headline: "4 of 37 bound".
    pub fn headline(&self) -> String {
        match self.nature {
            Nature::Political => format!(
                "{} of {} participants signed (political: binds no one in law)",
                self.counts.signed,
                self.parties.len()
            ),
            Nature::Legal => format!(
                "{} of {} bound, {} in force",
                self.counts.bound,
                self.parties.len(),
                self.counts.parties
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub signed: u32,
    /// Consent established and not withdrawn (contracting states, parties included).
    pub bound: u32,
    /// In force for them.
    pub parties: u32,
    pub withdrawn: u32,
    pub disputed: u32,
}

/// One member's status for one instrument, with the facts and the entries proving them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberStatus {
    pub member: MemberCode,
    pub name: String,
    pub stage: Stage,
    /// The first day of the stage (of the stage the acts give, when disputed); `None`
    /// while the stage is `none` and always was.
    pub since: Option<Date>,
    /// A contracting state on the day: consent established, no withdrawal in effect.
    pub contracting: bool,
    /// The stage on each day up to the status's day: each element is the day a stage
    /// began. It never changes for past days as the status's day moves on.
    pub history: Vec<StageFrom>,
    /// The domestic procedure profile applied.
    pub procedure: String,
    pub signature: Option<SignatureFact>,
    pub steps: Vec<StepFact>,
    pub consent: Option<ConsentFact>,
    /// The Art. 16 act that established consent for the latest period as a contracting
    /// state: a receipt, or a definitive signature.
    pub established: Option<EstablishedFact>,
    /// The day it enters (or entered) into force for this member, in that period.
    pub in_force_on: Option<Date>,
    pub provisional: Option<ProvisionalFact>,
    /// The withdrawal that ends (or will end) that period.
    pub withdrawal: Option<WithdrawalFact>,
    /// Every period as a contracting state, oldest first (a state may withdraw and
    /// consent again).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<PeriodFact>,
    /// Instruments of consent the depositary returned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<ReturnFact>,
    /// The notified intention not to become a party (Art. 18(a)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intention: Option<DatedFact>,
    pub warnings: Vec<String>,
    /// The feeds this status rests on: a fork in any of them makes it disputed.
    pub depends_on: Vec<MemberCode>,
    /// Every entry this status rests on, in (member, seq) order.
    pub proof: Vec<EntryRef>,
    /// At least one of those entries describes an illustrative event.
    pub illustrative: bool,
}

impl MemberStatus {
    /// A contracting state on the day (parties included), and not disputed.
    pub fn is_bound(&self) -> bool {
        self.contracting && self.stage != Stage::Disputed
    }
}

/// One element of a member's history: the stage it was in from a day on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StageFrom {
    pub from: Date,
    pub stage: Stage,
}

/// One period as a contracting state: from the establishment of consent until a
/// withdrawal takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodFact {
    /// The instrument of consent received (none for a definitive signature).
    pub consent: Option<ConsentFact>,
    pub established: EstablishedFact,
    /// The day the instrument entered (or enters) into force for the member in this
    /// period, if it does before the period ends.
    pub in_force_on: Option<Date>,
    pub withdrawal: Option<WithdrawalFact>,
}

/// An instrument of consent the depositary returned: it establishes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnFact {
    /// The consent returned.
    pub consent: EntryRef,
    pub date: Date,
    pub reason: String,
    pub source: Source,
}

/// An act known by its date and its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DatedFact {
    pub date: Date,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureFact {
    pub date: Date,
    #[serde(rename = "type")]
    pub signature_type: SignatureType,
    pub signatory: Option<String>,
    pub source: Source,
    /// The confirmation of a signature *ad referendum* (Art. 12(2)(b)): from then on a
    /// full signature, counted from its own date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<DatedFact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepFact {
    pub step: String,
    pub body: String,
    pub action: String,
    pub date: Date,
    pub votes: Option<Votes>,
    /// The profile's threshold for this step, in words, when the profile knows it.
    pub threshold: Option<String>,
    /// The result that counts: the vote counts' verdict where the profile's threshold
    /// decides, else the result recorded.
    pub result: StepResult,
    /// The result recorded, when the counts contradict it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_result: Option<StepResult>,
    pub reference: Option<String>,
    /// The profile requires this step before consent.
    pub required: bool,
    /// The step of the profile this one prevails over, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prevails_over: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentFact {
    pub means: ConsentMeans,
    /// The UN Treaty Collection's marker: "" ratification, A, AA, a.
    pub marker: &'static str,
    pub date: Date,
    pub declarations: Vec<String>,
    pub reservations: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstablishedFact {
    /// The date of deposit (or of the definitive signature).
    pub date: Date,
    pub by: Establishment,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Establishment {
    DepositReceipt,
    DefinitiveSignature,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionalFact {
    pub date: Date,
    pub scope: Option<String>,
    pub source: Source,
    /// The day it ended: the intention not to become a party was notified (Art. 25(2)),
    /// or a withdrawal took effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WithdrawalFact {
    pub notified: Date,
    /// The day it takes effect: the later of the date given and the notice period's end.
    pub effective: Date,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitmentFact {
    pub member: MemberCode,
    pub pillar: Pillar,
    pub description: String,
    pub quantity: Option<Quantity>,
    pub conditions: Vec<String>,
    pub date: Date,
    pub illustrative: bool,
    pub source: Source,
}
