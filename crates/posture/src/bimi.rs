//! BIMI assertion records (draft-brand-indicators-for-message-identification).
//!
//! TODO(posture helper): implement and test.

use crate::evidence::{Lookup, TxtRecord};

/// `bimi_status`: the common vocabulary plus `declined`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BimiStatus {
    /// A valid assertion record with a logo.
    Valid,
    /// `v=BIMI1; l=; a=;`: the domain declines to participate.
    Declined,
    /// Found but broken.
    Invalid,
    /// Authoritatively absent.
    Absent,
    /// The query failed.
    Error,
}

impl BimiStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            BimiStatus::Valid => "valid",
            BimiStatus::Declined => "declined",
            BimiStatus::Invalid => "invalid",
            BimiStatus::Absent => "absent",
            BimiStatus::Error => "error",
        }
    }
}

/// `bimi_status`, `bimi_logo`, `bimi_authority`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BimiPosture {
    /// The status.
    pub status: BimiStatus,
    /// The `l=` URI, when the record is valid and it is not empty.
    pub logo: Option<String>,
    /// The `a=` URI, when the record is valid and it is not empty.
    pub authority: Option<String>,
}

impl BimiPosture {
    /// An authoritative absence.
    pub fn absent() -> Self {
        BimiPosture {
            status: BimiStatus::Absent,
            logo: None,
            authority: None,
        }
    }
}

/// Classifies `TXT default._bimi.<d>`.
pub fn classify(lookup: &Lookup<TxtRecord>) -> BimiPosture {
    let _ = lookup;
    BimiPosture {
        status: BimiStatus::Error,
        logo: None,
        authority: None,
    }
}
