//! The DKIM hint (RFC 8020 applied to `_domainkey.<d>`).
//!
//! TODO(posture helper): implement and test.

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
    let _ = outcome;
    DkimStatus::Error
}
