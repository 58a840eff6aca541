//! SPF (RFC 7208): record selection, term grammar, lookup counting.
//!
//! TODO(posture helper): split into types.rs / parse.rs / classify.rs and implement.
//!
//! The engine drives the include/redirect walk: it asks [`targets_of`] which
//! names a TXT RRset's SPF record points at, fetches them (through its shared
//! cache), and repeats on what comes back, until no new name appears or the
//! lookup limit is passed; then [`classify`] reads the collected evidence.

use std::collections::HashMap;
use std::sync::Arc;

use crate::evidence::{Lookup, TxtRecord};
use crate::status::Status;

/// `spf_all`: the qualifier of the record's own `all` term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllQualifier {
    /// `-all`.
    Fail,
    /// `~all`.
    SoftFail,
    /// `?all`.
    Neutral,
    /// `+all` or `all`.
    Pass,
}

impl AllQualifier {
    /// The stable label the store writes (`-all`, `~all`, `?all`, `+all`).
    pub fn label(&self) -> &'static str {
        match self {
            AllQualifier::Fail => "-all",
            AllQualifier::SoftFail => "~all",
            AllQualifier::Neutral => "?all",
            AllQualifier::Pass => "+all",
        }
    }
}

/// The `spf_*` columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfPosture {
    /// `spf_status`.
    pub status: Status,
    /// `spf_record`: the selected record, strings joined.
    pub record: Option<String>,
    /// `spf_all`.
    pub all: Option<AllQualifier>,
    /// `spf_lookups`: DNS-querying terms over the include/redirect tree
    /// (RFC 7208 §4.6.4).
    pub lookups: Option<i32>,
    /// `spf_void_lookups`: include/redirect targets answering NODATA or NXDOMAIN
    /// (RFC 7208 §4.6.4).
    pub void_lookups: Option<i32>,
    /// `spf_error`: why the record is invalid or could not be classified.
    pub error: Option<String>,
}

impl SpfPosture {
    /// No SPF record.
    pub fn absent() -> Self {
        SpfPosture {
            status: Status::Absent,
            record: None,
            all: None,
            lookups: None,
            void_lookups: None,
            error: None,
        }
    }
}

/// Where the classifier finds the TXT RRsets of include/redirect targets.
pub trait SpfTargets {
    /// The TXT lookup of `name` (lowercase, no trailing dot), if the engine made it.
    fn txt(&self, name: &str) -> Option<&Lookup<TxtRecord>>;
}

impl SpfTargets for HashMap<String, Arc<Lookup<TxtRecord>>> {
    fn txt(&self, name: &str) -> Option<&Lookup<TxtRecord>> {
        self.get(name).map(Arc::as_ref)
    }
}

impl SpfTargets for HashMap<String, Lookup<TxtRecord>> {
    fn txt(&self, name: &str) -> Option<&Lookup<TxtRecord>> {
        self.get(name)
    }
}

/// The include and redirect targets (lowercase, no trailing dot) of the SPF
/// record selected from a TXT RRset; empty when there is no single valid
/// record. Targets containing macros are not returned: they depend on the
/// sender and cannot be resolved by a census.
pub fn targets_of(txt: &Lookup<TxtRecord>) -> Vec<String> {
    let _ = txt;
    Vec::new()
}

/// Classifies the apex TXT RRset, following include/redirect targets in `targets`.
pub fn classify(apex: &Lookup<TxtRecord>, targets: &dyn SpfTargets) -> SpfPosture {
    let _ = (apex, targets);
    SpfPosture {
        status: Status::Error,
        ..SpfPosture::absent()
    }
}
