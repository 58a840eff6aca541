//! DMARC (RFC 7489, RFC 9989 "DMARCbis").
//!
//! TODO(posture helper): split into types.rs / parse.rs / classify.rs and implement.

use std::collections::HashMap;

use crate::evidence::{Lookup, TxtRecord};
use crate::status::Status;

/// A DMARC policy (`p`, `sp`, `np`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `none`.
    None,
    /// `quarantine`.
    Quarantine,
    /// `reject`.
    Reject,
}

impl Policy {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

/// The `dmarc_*` columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcPosture {
    /// `dmarc_status`.
    pub status: Status,
    /// `dmarc_record`: the record (strings joined) when exactly one TXT is there.
    pub record: Option<String>,
    /// `dmarc_error`.
    pub error: Option<String>,
    /// `dmarc_p`.
    pub p: Option<Policy>,
    /// `dmarc_sp`.
    pub sp: Option<Policy>,
    /// `dmarc_np` (RFC 9989).
    pub np: Option<Policy>,
    /// `dmarc_pct` (RFC 7489; removed by RFC 9989 but kept for measurement).
    pub pct: Option<i32>,
    /// `dmarc_t` (RFC 9989 test flag).
    pub t: Option<bool>,
    /// `dmarc_rua`.
    pub rua: Vec<String>,
    /// `dmarc_ruf`.
    pub ruf: Vec<String>,
    /// `dmarc_rua_authorized`: every external destination authorised
    /// (RFC 7489 §7.1); `None` when no destination is external.
    pub rua_authorized: Option<bool>,
}

impl DmarcPosture {
    /// No DMARC record.
    pub fn absent() -> Self {
        DmarcPosture {
            status: Status::Absent,
            record: None,
            error: None,
            p: None,
            sp: None,
            np: None,
            pct: None,
            t: None,
            rua: Vec::new(),
            ruf: Vec::new(),
            rua_authorized: None,
        }
    }
}

/// The authorisation query names (`<d>._report._dmarc.<dest>`, RFC 7489 §7.1)
/// for the external report destinations of the DMARC record in `txt`.
pub fn authorization_names(domain: &str, txt: &Lookup<TxtRecord>) -> Vec<String> {
    let _ = (domain, txt);
    Vec::new()
}

/// Classifies `TXT _dmarc.<domain>` and the authorisation lookups, keyed by
/// the names [`authorization_names`] returned.
pub fn classify(
    domain: &str,
    txt: &Lookup<TxtRecord>,
    authorizations: &HashMap<String, Lookup<TxtRecord>>,
) -> DmarcPosture {
    let _ = (domain, txt, authorizations);
    DmarcPosture {
        status: Status::Error,
        ..DmarcPosture::absent()
    }
}
