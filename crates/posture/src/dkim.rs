//! The DKIM hint (RFC 8020 applied to `_domainkey.<d>`).
//!
//! DKIM keys live at `<selector>._domainkey.<d>` (RFC 6376 §3.6.2.1) and
//! selectors cannot be enumerated. RFC 8020 §2 makes NXDOMAIN mean "nothing
//! exists at or below this name", so NXDOMAIN for `_domainkey.<d>` says no key
//! is published, while NOERROR (with or without TXT data: an empty
//! non-terminal) says something is there. The hint is literal, as DESIGN.md
//! requires: a wildcard answers NOERROR and reads as `likely`.

use crate::evidence::Outcome;

/// `dkim_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DkimStatus {
    /// `_domainkey.<d>` exists (NOERROR, with or without data).
    Likely,
    /// `_domainkey.<d>` is NXDOMAIN.
    Absent,
    /// The query failed.
    Error,
}

impl DkimStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            DkimStatus::Likely => "likely",
            DkimStatus::Absent => "absent",
            DkimStatus::Error => "error",
        }
    }
}

/// Classifies the outcome of `TXT _domainkey.<d>`.
pub fn classify(outcome: Outcome) -> DkimStatus {
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
            assert_eq!(classify(outcome), want, "{outcome:?}");
        }
    }
}
