//! SPF (RFC 7208): record selection, term grammar, lookup counting.
//!
//! * [`select`] picks the SPF record of a TXT RRset (§4.5);
//! * [`parse`] turns it into a typed [`SpfRecord`] (§4.6.1, §5, §6, §7.1),
//!   whose `Display` is a normalised form that parses back to the same value;
//! * [`classify`] gives the `spf_*` columns, walking the include/redirect
//!   tree through evidence the engine collected (see `classify.rs` for what
//!   is counted and why).
//!
//! The engine drives the include/redirect walk: it asks [`targets_of`] which
//! names a TXT RRset's SPF record points at, fetches them (through its shared
//! cache), and repeats on what comes back, until no new name appears or the
//! lookup limit is passed; then [`classify`] reads the collected evidence.

use std::collections::HashMap;
use std::sync::Arc;

use crate::evidence::{Lookup, TxtRecord};
use crate::status::Status;

mod classify;
mod parse;
mod types;

pub use classify::{MAX_LOOKUPS, MAX_VOID_LOOKUPS};
pub use parse::{Selection, SpfError, SpfErrorKind, is_spf, parse, select};
pub use types::{
    Directive, DomainSpec, DualCidr, MacroExpand, MacroPart, MacroString, Mechanism, Modifier,
    Qualifier, SpfRecord, Term,
};

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
    /// `spf_record`: the selected record, strings joined (`None` when there
    /// is none, or several: then `error` gives their count).
    pub record: Option<String>,
    /// `spf_all`: the qualifier of the record's own first `all` term; `None`
    /// when it has none, or when the record does not parse (its terms are
    /// not trusted then). An `all` inside an included record does not count.
    pub all: Option<AllQualifier>,
    /// `spf_lookups`: DNS-querying terms over the include/redirect tree
    /// (RFC 7208 §4.6.4), reachable terms only; counting stops at the first
    /// lookup past the limit (so at most 11). `None` when the record is
    /// absent, does not parse, or the status is `error` (the count would be
    /// a lower bound).
    pub lookups: Option<i32>,
    /// `spf_void_lookups`: include/redirect targets answering NODATA or
    /// NXDOMAIN (RFC 7208 §4.6.4); `None` when `lookups` is.
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
/// sender and cannot be resolved by a census. Only targets evaluation can
/// reach are returned: includes up to the first `all` (RFC 7208 §5.1), and
/// `redirect` only when there is no `all` (§6.1). Order is evaluation order.
pub fn targets_of(txt: &Lookup<TxtRecord>) -> Vec<String> {
    classify::targets_of(txt)
}

/// A query an `a` or `mx` mechanism makes (RFC 7208 §5.3, §5.4), for the
/// void-lookup count and the MX-host limit of §4.6.4.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostQuery {
    /// `A <name>` for an `a` mechanism.
    A(String),
    /// `MX <name>` for an `mx` mechanism.
    Mx(String),
}

/// The `a` and `mx` mechanism targets, written without macros, of the SPF
/// record selected from `txt` published at `owner` (a bare `a` or `mx`
/// targets `owner` itself), in evaluation order, reachable terms only.
/// Interim: returns nothing until the classifier counts them (issue 12).
pub fn host_queries_of(owner: &str, txt: &Lookup<TxtRecord>) -> Vec<HostQuery> {
    let _ = (owner, txt);
    Vec::new()
}

/// Classifies the apex TXT RRset, following include/redirect targets in `targets`.
///
/// * apex lookup failed → `error`; NODATA, NXDOMAIN or no SPF record → `absent`;
/// * several SPF records, a syntax error, a broken or missing-SPF
///   include/redirect target, a loop, more than 10 lookups or more than 2
///   void lookups → `invalid` (RFC 7208 §4.5, §4.6, §4.6.4, §5.2, §6.1);
/// * otherwise, a target that failed or was not fetched → `error`;
/// * else `valid`.
///
/// Never panics, whatever the records hold.
pub fn classify(apex: &Lookup<TxtRecord>, targets: &dyn SpfTargets) -> SpfPosture {
    classify::classify(apex, targets)
}
