//! MX and null MX (RFC 7505).
//!
//! TODO(posture helper): implement `classify` per RFC 7505 §3 and unit tests.

use crate::evidence::{Lookup, MxRecord};

/// `mx_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MxStatus {
    /// At least one ordinary MX record.
    Present,
    /// A sole `MX 0 .` (RFC 7505 §3).
    NullMx,
    /// A null MX beside other MX records (RFC 7505 §3: "MUST NOT").
    Invalid,
    /// NODATA or NXDOMAIN.
    Absent,
    /// The query failed.
    Error,
}

impl MxStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            MxStatus::Present => "present",
            MxStatus::NullMx => "null_mx",
            MxStatus::Invalid => "invalid",
            MxStatus::Absent => "absent",
            MxStatus::Error => "error",
        }
    }
}

/// `mx_status` and `mx_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxPosture {
    /// The status.
    pub status: MxStatus,
    /// Exchanges, lowercase without trailing dot, in preference order (ties
    /// broken by name, so the column is deterministic).
    pub hosts: Vec<String>,
}

impl MxPosture {
    /// An authoritative absence.
    pub fn absent() -> Self {
        MxPosture {
            status: MxStatus::Absent,
            hosts: Vec::new(),
        }
    }
}

/// Classifies the apex MX RRset.
pub fn classify(lookup: &Lookup<MxRecord>) -> MxPosture {
    let _ = lookup;
    MxPosture {
        status: MxStatus::Error,
        hosts: Vec::new(),
    }
}
