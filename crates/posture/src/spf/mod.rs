//! SPF (RFC 7208): record selection, term grammar, lookup counting.
//!
//! * [`select`] picks the SPF record of a TXT RRset (§4.5);
//! * [`parse`] turns it into a typed [`SpfRecord`] (§4.6.1, §5, §6, §7.1),
//!   whose `Display` is a normalised form that parses back to the same value;
//! * [`classify`] gives the `spf_*` columns, walking the include/redirect
//!   tree and the `a`/`mx` mechanism targets through evidence the engine
//!   collected (see `classify.rs` for what is counted and why).
//!
//! The engine drives the walk: it asks [`targets_of`] which names a TXT
//! RRset's SPF record points at, fetches them (through its shared cache),
//! and repeats on what comes back, until no new name appears or the lookup
//! limit is passed. For every record it fetched (the apex's, owned by the
//! domain, and each target's, owned by the target name) it asks
//! [`host_queries_of`] which `A` and `MX` queries the record's `a` and `mx`
//! mechanisms make, and fetches those too. Then [`classify`] reads the
//! collected evidence ([`SpfLookups`]).

use std::collections::HashMap;
use std::sync::Arc;

use crate::evidence::{Lookup, MxRecord, Outcome, TxtRecord};
use crate::status::Status;

mod classify;
mod parse;
mod types;

pub(crate) use classify::host_query;
pub use classify::{MAX_LOOKUPS, MAX_MX_RECORDS, MAX_VOID_LOOKUPS};
pub use parse::{Selection, SpfError, SpfErrorKind, is_spf, parse, select};
pub use types::{
    Directive, DomainSpec, DualCidr, MacroExpand, MacroPart, MacroString, Mechanism, Modifier,
    Qualifier, SpfRecord, Term,
};

/// `spf_all`: the qualifier that ends evaluation for a sender no mechanism
/// matches (the record's own `all`, else its redirect target's).
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
    /// `spf_all`: the qualifier that ends evaluation for a sender no
    /// mechanism matches: the record's own first `all` term, else, when the
    /// record has a `redirect` (RFC 7208 §6.1), the `all` its target ends
    /// with, followed along a redirect chain. `None` when no `all` is
    /// reached (a chain that ends without one is neutral, §4.7, but
    /// publishes no qualifier), when the chain cannot be followed (a macro
    /// target, a loop, a target missing, failed or without a valid SPF
    /// record), or when the record does not parse. An `all` inside an
    /// included record does not count: it ends the include, not the
    /// evaluation (§5.2).
    pub all: Option<AllQualifier>,
    /// `spf_lookups`: DNS-querying terms over the include/redirect tree
    /// (RFC 7208 §4.6.4), reachable terms only; counting stops at the first
    /// lookup past the limit (so at most 11). `None` when the record is
    /// absent, does not parse, or the status is `error` (the count would be
    /// a lower bound).
    pub lookups: Option<i32>,
    /// `spf_void_lookups`: lookups answering NODATA or NXDOMAIN (RFC 7208
    /// §4.6.4) over the walk: include and redirect targets (TXT), `a`
    /// targets (A) and `mx` targets (MX), written without macros; `None`
    /// when `lookups` is.
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

/// The lookups the SPF classifier follows besides the apex TXT RRset, each
/// keyed by lowercase name without trailing dot, as the engine collected
/// them ([`crate::DomainEvidence`] holds the three maps). A name missing from
/// its map was not looked up.
#[derive(Debug, Clone, Copy)]
pub struct SpfLookups<'a> {
    /// `TXT` of every include/redirect target ([`targets_of`]).
    pub txt: &'a HashMap<String, Arc<Lookup<TxtRecord>>>,
    /// The outcome of `A` for every `a` mechanism target ([`HostQuery::A`]).
    pub a: &'a HashMap<String, Outcome>,
    /// `MX` of every `mx` mechanism target ([`HostQuery::Mx`]).
    pub mx: &'a HashMap<String, Arc<Lookup<MxRecord>>>,
}

impl SpfLookups<'_> {
    fn txt(&self, name: &str) -> Option<&Lookup<TxtRecord>> {
        self.txt.get(name).map(Arc::as_ref)
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
/// void-lookup count and the MX-record limit of §4.6.4.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostQuery {
    /// `A <name>` for an `a` mechanism.
    A(String),
    /// `MX <name>` for an `mx` mechanism.
    Mx(String),
}

/// The `a` and `mx` mechanism targets, written without macros, of the SPF
/// record selected from `txt` published at `owner` (a bare `a` or `mx`
/// targets `owner` itself, lowercased, without a trailing dot): reachable
/// terms only (up to the first `all`, §5.1), in evaluation order, each query
/// once. Empty when the RRset holds no single SPF record that parses. The
/// engine asks `A` (not `AAAA`: a census has no sender address to pick the
/// family by, §5.3) and `MX` for each, and records the outcomes in
/// [`crate::DomainEvidence::spf_a`] and [`crate::DomainEvidence::spf_mx`].
pub fn host_queries_of(owner: &str, txt: &Lookup<TxtRecord>) -> Vec<HostQuery> {
    classify::host_queries_of(owner, txt)
}

/// Classifies the apex TXT RRset of `domain` (lowercase, no trailing dot:
/// the target of a bare `a` or `mx` in the apex record), following the
/// include/redirect targets and `a`/`mx` targets in `lookups`.
///
/// * apex lookup failed → `error`; NODATA, NXDOMAIN or no SPF record →
///   `absent` (with `spf_error` naming TXT records that look like SPF but
///   are not, §4.5);
/// * several SPF records, a syntax error, a broken or missing-SPF
///   include/redirect target, a loop, more than 10 lookups, more than 2 void
///   lookups, or an `mx` target with more than 10 MX records → `invalid`
///   (RFC 7208 §4.5, §4.6, §4.6.4, §5.2, §6.1);
/// * otherwise, a target (TXT, A or MX) that failed or was not fetched →
///   `error`;
/// * else `valid`.
///
/// Never panics, whatever the records hold.
pub fn classify(domain: &str, apex: &Lookup<TxtRecord>, lookups: SpfLookups<'_>) -> SpfPosture {
    classify::classify(domain, apex, lookups)
}
