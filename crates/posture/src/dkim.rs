//! The DKIM hint (RFC 8020 applied to `_domainkey.<d>`).
//!
//! DKIM keys live at `<selector>._domainkey.<d>` (RFC 6376 §3.6.2.1) and
//! selectors cannot be enumerated. RFC 8020 §2 makes NXDOMAIN mean "nothing
//! exists at or below this name", so NXDOMAIN for `_domainkey.<d>` says no key
//! is published, while NOERROR (with or without TXT data: an empty
//! non-terminal) says something is there. The hint is literal, as DESIGN.md
//! requires: a wildcard answers NOERROR and reads as `likely`.

use crate::evidence::{Lookup, Outcome, TxtRecord};

/// The label asked below `_domainkey.<d>` to learn whether the zone answers
/// names that do not exist (a wildcard, or compact denial of existence,
/// RFC 9824). Fixed, so answers can be compared across domains and runs;
/// random, so no real selector has it.
pub const NONEXISTENT_LABEL: &str = "mc-q7vx3k9z2w-none";

/// What the engine learnt about `_domainkey.<d>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimEvidence {
    /// The outcome of `TXT _domainkey.<d>`.
    pub domainkey: Outcome,
    /// `TXT <NONEXISTENT_LABEL>._domainkey.<d>`, asked only when `_domainkey.<d>`
    /// answered NOERROR (with or without data).
    pub nonexistent: Option<Lookup<TxtRecord>>,
}

/// `dkim_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DkimStatus {
    /// `_domainkey.<d>` exists (NOERROR, with or without data).
    Likely,
    /// `_domainkey.<d>` is NXDOMAIN.
    Absent,
    /// The zone answers NOERROR for a name that cannot exist below
    /// `_domainkey.<d>` (a wildcard, or compact denial of existence, RFC 9824):
    /// the NOERROR at `_domainkey.<d>` says nothing.
    Unknown,
    /// The query failed.
    Error,
}

impl DkimStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            DkimStatus::Likely => "likely",
            DkimStatus::Absent => "absent",
            DkimStatus::Unknown => "unknown",
            DkimStatus::Error => "error",
        }
    }
}

/// Classifies the DKIM evidence.
pub fn classify(evidence: &DkimEvidence) -> DkimStatus {
    classify_outcome(evidence.domainkey)
}

fn classify_outcome(outcome: Outcome) -> DkimStatus {
    match outcome {
        Outcome::Answer | Outcome::NoData => DkimStatus::Likely,
        Outcome::NxDomain => DkimStatus::Absent,
        Outcome::Failed(_) => DkimStatus::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Failure;

    /// RFC 8020 §2 applied to `_domainkey.<d>`.
    #[test]
    fn rfc8020_2_table() {
        let table = [
            (Outcome::Answer, DkimStatus::Likely),
            (Outcome::NoData, DkimStatus::Likely),
            (Outcome::NxDomain, DkimStatus::Absent),
            (Outcome::Failed(Failure::Timeout), DkimStatus::Error),
            (Outcome::Failed(Failure::ServFail), DkimStatus::Error),
            (Outcome::Failed(Failure::Refused), DkimStatus::Error),
            (Outcome::Failed(Failure::OtherRcode(4)), DkimStatus::Error),
        ];
        for (outcome, want) in table {
            assert_eq!(classify_outcome(outcome), want, "{outcome:?}");
        }
    }
}
