//! DNSSEC status of a domain, as seen through a validating resolver.
//!
//! TODO(posture helper): implement and test.

use crate::evidence::{Lookup, Outcome};

/// What the engine learnt about a domain's DNSSEC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnssecEvidence {
    /// `DS <d>` (asked with DO=1): the algorithm number of each DS record.
    pub ds: Lookup<u8>,
    /// Whether the resolver set AD on the DS answer (or its authenticated denial).
    pub ds_authenticated: bool,
    /// `DNSKEY <d>` (asked with DO=1): the algorithm number of each DNSKEY.
    pub dnskey: Lookup<u8>,
    /// Whether the resolver set AD on the DNSKEY answer.
    pub dnskey_authenticated: bool,
    /// When DS or DNSKEY came back SERVFAIL, the outcome of the same query
    /// retried with CD=1: an answer there means the data exists but does not
    /// validate (bogus); a failure there too means the servers are broken (error).
    pub checking_disabled_retry: Option<Outcome>,
}

/// `dnssec_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnssecStatus {
    /// Validated: the resolver set AD on the DNSKEY answer.
    Secure,
    /// No chain of trust reaches the domain (no DS at the parent).
    Insecure,
    /// A chain of trust exists but does not validate.
    Bogus,
    /// Could not be determined.
    Error,
}

impl DnssecStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            DnssecStatus::Secure => "secure",
            DnssecStatus::Insecure => "insecure",
            DnssecStatus::Bogus => "bogus",
            DnssecStatus::Error => "error",
        }
    }
}

/// `dnssec_status` and `dnssec_algorithms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnssecPosture {
    /// The status.
    pub status: DnssecStatus,
    /// The distinct DNSKEY algorithm numbers, ascending.
    pub algorithms: Vec<u8>,
}

impl DnssecPosture {
    /// An unsigned domain.
    pub fn insecure() -> Self {
        DnssecPosture {
            status: DnssecStatus::Insecure,
            algorithms: Vec::new(),
        }
    }
}

/// Classifies DNSSEC evidence.
pub fn classify(evidence: &DnssecEvidence) -> DnssecPosture {
    let _ = evidence;
    DnssecPosture {
        status: DnssecStatus::Error,
        algorithms: Vec::new(),
    }
}
