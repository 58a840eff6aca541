//! From the apex TXT RRset and the evidence behind it to `spf_*`.
//!
//! A census knows no sender, so it cannot evaluate `check_host()`. It checks
//! what a receiver would find wrong whatever the sender: record selection,
//! syntax, and the processing limits over the include/redirect tree and the
//! `a`/`mx` targets, counted for the worst case (every reachable term
//! evaluated). What counts:
//!
//! * A lookup (RFC 7208 §4.6.4) is each `include`, `a`, `mx`, `ptr`, `exists`
//!   directive and each followed `redirect`; `all`, `ip4`, `ip6` and `exp`
//!   cost none. More than 10 over the tree → `invalid`.
//! * Only reachable terms count: directives after the first `all` "MUST be
//!   ignored" (§5.1), and `redirect` is ignored when the record has an `all`
//!   (§6.1) — it is syntax-checked, neither counted nor followed.
//! * The tree is walked in evaluation order (directives, then `redirect`),
//!   depth first; counting stops at the first lookup beyond the limit, so an
//!   over-limit record reports `spf_lookups = 11`. What lies beyond is not
//!   looked at.
//! * A void lookup (§4.6.4: NXDOMAIN, or NOERROR with no answer; limit 2,
//!   more → `invalid`) is counted wherever the walk makes a query a census
//!   can make: the TXT lookup of an include or redirect target, the `A`
//!   lookup of an `a` target and the `MX` lookup of an `mx` target (the
//!   domain itself for a bare `a` or `mx`, the target's own name inside an
//!   included or redirected record). Each mechanism counts, so `a a a` at a
//!   name without an address is three. An include or redirect target that
//!   answers NODATA or NXDOMAIN is also `invalid` on its own: an include
//!   target without an SPF record is a `permerror` (§5.2), and so is a
//!   redirect target without one (§6.1). A target whose TXT RRset has several
//!   SPF records, or a broken one, is `invalid` too (§4.5, §4.6).
//! * An `a` target is looked up as `A` only: which of `A`/`AAAA` a receiver
//!   asks depends on the sender's address (§5.3), and the census has none.
//!   A name with only `AAAA` counts as void here.
//! * An `mx` target whose MX RRset holds more than 10 records → `invalid`
//!   (§4.6.4: "the evaluation of each "MX" record MUST NOT result in
//!   querying more than 10 address records"; the suite's `mx-limit`). The
//!   address lookups of the MX hosts themselves are not made.
//! * A target that appears again below itself, the domain itself included,
//!   is a loop → `invalid` (evaluation would exhaust the lookup limit). The
//!   same target reached twice on different branches is not a loop; it is
//!   counted twice.
//! * A target with `%{…}` macros is counted, never followed: its name depends
//!   on the sender.
//! * A target whose lookup (TXT, A or MX) failed, or that is missing from the
//!   evidence (the engine did not fetch it), is not evidence of absence:
//!   unless the record is invalid anyway (including a lookup count already
//!   over the limit, which the unseen part can only raise), the result is
//!   `error`, and `spf_error` names the target and the failure. An `invalid`
//!   finding wins over an unresolved target because it holds whatever the
//!   target would have said.
//!
//! `spf_all` follows a `redirect` when the record has no `all` (§6.1): the
//! qualifier that ends evaluation for a sender no mechanism matches is then
//! the redirect target's, and so on along the chain (at most
//! [`MAX_LOOKUPS`] hops, stopping at a loop, a macro, or a target that is
//! missing, failed or has no single valid SPF record).

use super::parse::{Selection, parse, select};
use super::types::{DomainSpec, Mechanism, Qualifier, SpfRecord};
use super::{AllQualifier, HostQuery, SpfLookups, SpfPosture};
use crate::evidence::{Lookup, Outcome, TxtRecord};
use crate::status::Status;

/// RFC 7208 §4.6.4: "SPF implementations MUST limit the total number of
/// those terms to 10 during SPF evaluation".
pub const MAX_LOOKUPS: i32 = 10;

/// RFC 7208 §4.6.4: "SPF implementations SHOULD limit "void lookups" to two".
pub const MAX_VOID_LOOKUPS: i32 = 2;

/// RFC 7208 §4.6.4: the evaluation of one `mx` mechanism "MUST NOT result in
/// querying more than 10 address records", so an MX RRset of more than 10
/// records is a `permerror`.
pub const MAX_MX_RECORDS: usize = 10;

impl From<Qualifier> for AllQualifier {
    fn from(q: Qualifier) -> Self {
        match q {
            Qualifier::Pass => AllQualifier::Pass,
            Qualifier::Fail => AllQualifier::Fail,
            Qualifier::SoftFail => AllQualifier::SoftFail,
            Qualifier::Neutral => AllQualifier::Neutral,
        }
    }
}

/// The include and redirect targets evaluation could follow from `record`,
/// in evaluation order, without duplicates.
pub(super) fn record_targets(record: &SpfRecord) -> Vec<String> {
    let includes = record
        .reachable_directives()
        .filter_map(|d| match &d.mechanism {
            Mechanism::Include(spec) => spec.target(),
            _ => None,
        });
    let redirect = record.effective_redirect().and_then(DomainSpec::target);
    let mut out: Vec<String> = Vec::new();
    for target in includes.chain(redirect) {
        if !out.contains(&target) {
            out.push(target);
        }
    }
    out
}

/// The single SPF record of a TXT RRset that parses.
fn selected_record(txt: &Lookup<TxtRecord>) -> Option<SpfRecord> {
    match select(txt.records()) {
        Selection::One(text) => parse(&text).ok(),
        Selection::None | Selection::Several(_) => None,
    }
}

pub(super) fn targets_of(txt: &Lookup<TxtRecord>) -> Vec<String> {
    selected_record(txt)
        .map(|record| record_targets(&record))
        .unwrap_or_default()
}

/// Lowercase, without the trailing dot: how names are keyed in the evidence.
fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// The query an `a` or `mx` directive makes from a record at `owner`, or
/// `None` for another mechanism or a target with macros. (Also what the
/// findings of `mailcensus check` list as void lookups.)
pub(crate) fn host_query(owner: &str, mechanism: &Mechanism) -> Option<HostQuery> {
    let target = |domain: &Option<DomainSpec>| match domain {
        Some(spec) => spec.target(),
        None => Some(normalise(owner)),
    };
    match mechanism {
        Mechanism::A { domain, .. } => target(domain).map(HostQuery::A),
        Mechanism::Mx { domain, .. } => target(domain).map(HostQuery::Mx),
        _ => None,
    }
}

pub(super) fn host_queries_of(owner: &str, txt: &Lookup<TxtRecord>) -> Vec<HostQuery> {
    let Some(record) = selected_record(txt) else {
        return Vec::new();
    };
    let mut out: Vec<HostQuery> = Vec::new();
    for directive in record.reachable_directives() {
        if let Some(query) = host_query(owner, &directive.mechanism)
            && !out.contains(&query)
        {
            out.push(query);
        }
    }
    out
}

/// `spf_error` for an RRset without an SPF record but with TXT records that
/// look like one (`v=spf10`, a leading space, a tab after `v=spf1`): DESIGN.md
/// asks that what was discarded be named. `None` when nothing looks like SPF.
fn look_alikes_error(records: &[TxtRecord]) -> Option<String> {
    let alikes: Vec<String> = records
        .iter()
        .map(TxtRecord::joined)
        .filter(|text| {
            text.trim_start()
                .get(..5)
                .is_some_and(|start| start.eq_ignore_ascii_case("v=spf"))
        })
        .collect();
    if alikes.is_empty() {
        return None;
    }
    Some(crate::discarded::describe(
        "no SPF record",
        ", not starting with `v=spf1` and a space or the end (RFC 7208 §4.5)",
        &alikes,
    ))
}

pub(super) fn classify(
    domain: &str,
    apex: &Lookup<TxtRecord>,
    lookups: SpfLookups<'_>,
) -> SpfPosture {
    let records = match apex {
        Lookup::Records(records) => records,
        Lookup::NoData | Lookup::NxDomain => return SpfPosture::absent(),
        Lookup::Failed(failure) => {
            return SpfPosture {
                status: Status::Error,
                error: Some(format!("apex TXT lookup failed: {failure}")),
                ..SpfPosture::absent()
            };
        }
    };
    let text = match select(records) {
        Selection::None => {
            return SpfPosture {
                error: look_alikes_error(records),
                ..SpfPosture::absent()
            };
        }
        Selection::Several(found) => {
            return SpfPosture {
                status: Status::Invalid,
                error: Some(format!(
                    "{} SPF records at the apex; exactly one is allowed (RFC 7208 §4.5)",
                    found.len()
                )),
                ..SpfPosture::absent()
            };
        }
        Selection::One(text) => text,
    };
    let record = match parse(&text) {
        Ok(record) => record,
        Err(err) => {
            return SpfPosture {
                status: Status::Invalid,
                record: Some(text),
                error: Some(err.to_string()),
                ..SpfPosture::absent()
            };
        }
    };
    let domain = normalise(domain);
    let mut walk = Walk {
        lookups,
        count: 0,
        voids: 0,
        over_limit: false,
        invalid: None,
        unresolved: None,
    };
    walk.record(&domain, &record, &mut vec![domain.clone()]);
    let (status, error) = match (walk.invalid, walk.unresolved) {
        (Some(reason), _) => (Status::Invalid, Some(reason)),
        (None, Some(reason)) => (Status::Error, Some(reason)),
        (None, None) => (Status::Valid, None),
    };
    // Counts seen through a failure are only lower bounds: not reported.
    let counted = status != Status::Error;
    SpfPosture {
        status,
        record: Some(text),
        all: final_all(&domain, &record, lookups),
        lookups: counted.then_some(walk.count),
        void_lookups: counted.then_some(walk.voids),
        error,
    }
}

/// `spf_all`: the record's own `all`, else its redirect target's, followed
/// (RFC 7208 §6.1); see the module docs for where the chain stops.
fn final_all(domain: &str, record: &SpfRecord, lookups: SpfLookups<'_>) -> Option<AllQualifier> {
    let mut seen: Vec<String> = vec![domain.to_owned()];
    let mut current = record.clone();
    for _ in 0..=MAX_LOOKUPS {
        if let Some(qualifier) = current.all() {
            return Some(qualifier.into());
        }
        let target = current.effective_redirect()?.target()?;
        if seen.contains(&target) {
            return None;
        }
        current = selected_record(lookups.txt(&target)?)?;
        seen.push(target);
    }
    None
}

/// The depth-first walk over the include/redirect tree and the `a`/`mx`
/// targets.
struct Walk<'a> {
    lookups: SpfLookups<'a>,
    /// DNS-querying terms counted so far (`spf_lookups`).
    count: i32,
    /// Void lookups so far (`spf_void_lookups`).
    voids: i32,
    over_limit: bool,
    /// The first reason the tree is broken.
    invalid: Option<String>,
    /// The first lookup that could not be read.
    unresolved: Option<String>,
}

impl Walk<'_> {
    fn invalid(&mut self, reason: String) {
        if self.invalid.is_none() {
            self.invalid = Some(reason);
        }
    }

    fn unresolved(&mut self, reason: String) {
        if self.unresolved.is_none() {
            self.unresolved = Some(reason);
        }
    }

    /// Counts one lookup; false once the limit is passed (the walk stops).
    fn count(&mut self) -> bool {
        if self.over_limit {
            return false;
        }
        self.count += 1;
        if self.count > MAX_LOOKUPS {
            self.over_limit = true;
            // This reason wins over an earlier one: it is the limit the column
            // documents, and it holds however the rest of the tree looks.
            self.invalid = Some(format!(
                "more than {MAX_LOOKUPS} DNS lookups over the include/redirect tree (RFC 7208 §4.6.4)"
            ));
            return false;
        }
        true
    }

    /// Counts one void lookup (§4.6.4).
    fn void(&mut self) {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            self.invalid(format!(
                "more than {MAX_VOID_LOOKUPS} void lookups (RFC 7208 §4.6.4)"
            ));
        }
    }

    /// Walks the record published at `owner`; `chain` holds the names from
    /// the domain down to `owner`.
    fn record(&mut self, owner: &str, record: &SpfRecord, chain: &mut Vec<String>) {
        for directive in record.reachable_directives() {
            if directive.mechanism.queries_dns() && !self.count() {
                return;
            }
            if let Mechanism::Include(spec) = &directive.mechanism {
                self.follow(spec, "include", chain);
            } else if let Some(query) = host_query(owner, &directive.mechanism) {
                self.host(&query);
            }
        }
        if let Some(spec) = record.effective_redirect() {
            if !self.count() {
                return;
            }
            self.follow(spec, "redirect", chain);
        }
    }

    /// The `A` lookup of an `a` target or the `MX` lookup of an `mx` target:
    /// void lookups and the MX-record limit (§4.6.4).
    fn host(&mut self, query: &HostQuery) {
        let (kind, name, outcome, mx_records) = match query {
            HostQuery::A(name) => ("a", name, self.lookups.a.get(name).copied(), 0),
            HostQuery::Mx(name) => {
                let lookup = self.lookups.mx.get(name);
                let records = lookup.map_or(0, |l| l.records().len());
                ("mx", name, lookup.map(|l| l.outcome()), records)
            }
        };
        let rrtype = if kind == "a" { "A" } else { "MX" };
        match outcome {
            None => self.unresolved(format!("{kind} target {name} was not looked up ({rrtype})")),
            Some(Outcome::NoData | Outcome::NxDomain) => self.void(),
            Some(Outcome::Failed(failure)) => self.unresolved(format!(
                "{kind} target {name}: {rrtype} lookup failed ({failure})"
            )),
            Some(Outcome::Answer) => {
                if mx_records > MAX_MX_RECORDS {
                    self.invalid(format!(
                        "mx target {name} has {mx_records} MX records; more than \
                         {MAX_MX_RECORDS} is a permerror (RFC 7208 §4.6.4)"
                    ));
                }
            }
        }
    }

    fn follow(&mut self, spec: &DomainSpec, kind: &str, chain: &mut Vec<String>) {
        if self.over_limit {
            return;
        }
        // Macro targets depend on the sender: counted by the caller, not followed.
        let Some(target) = spec.target() else {
            return;
        };
        if chain.contains(&target) {
            let path: Vec<&str> = chain.iter().map(String::as_str).collect();
            self.invalid(format!(
                "{kind} loop: {} -> {target} (RFC 7208 §4.6.4)",
                path.join(" -> ")
            ));
            return;
        }
        let Some(lookup) = self.lookups.txt(&target) else {
            self.unresolved(format!("{kind} target {target} was not looked up"));
            return;
        };
        let section = if kind == "include" { "§5.2" } else { "§6.1" };
        let records = match lookup {
            Lookup::Records(records) => records,
            Lookup::NoData | Lookup::NxDomain => {
                self.invalid(format!(
                    "{kind} target {target} has no SPF record ({}) (RFC 7208 {section})",
                    lookup.outcome().label(),
                ));
                self.void();
                return;
            }
            Lookup::Failed(failure) => {
                self.unresolved(format!(
                    "{kind} target {target}: TXT lookup failed ({failure})"
                ));
                return;
            }
        };
        let text = match select(records) {
            Selection::One(text) => text,
            Selection::None => {
                self.invalid(format!(
                    "{kind} target {target} has no SPF record (RFC 7208 {section})"
                ));
                return;
            }
            Selection::Several(found) => {
                self.invalid(format!(
                    "{kind} target {target} has {} SPF records (RFC 7208 §4.5)",
                    found.len()
                ));
                return;
            }
        };
        match parse(&text) {
            Ok(record) => {
                chain.push(target.clone());
                self.record(&target, &record, chain);
                chain.pop();
            }
            Err(err) => self.invalid(format!("{kind} target {target}: {err}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::evidence::{Failure, MxRecord};

    fn txt(records: &[&str]) -> Lookup<TxtRecord> {
        Lookup::from_records(records.iter().map(|r| TxtRecord::single(*r)).collect())
    }

    /// The domain the tests classify.
    const DOMAIN: &str = "example.com";

    /// Evidence for a test: the TXT targets given, and `A` and `MX` answered
    /// for every name the tables use (so the `a`/`mx` rules stay out of the
    /// way) unless a test overrides them.
    struct Zone {
        txt: HashMap<String, Arc<Lookup<TxtRecord>>>,
        a: HashMap<String, Outcome>,
        mx: HashMap<String, Arc<Lookup<MxRecord>>>,
    }

    fn mx_records(n: usize) -> Lookup<MxRecord> {
        Lookup::from_records(
            (0..n)
                .map(|i| MxRecord {
                    preference: 10,
                    exchange: format!("mx{i}.example.net."),
                })
                .collect(),
        )
    }

    impl Zone {
        fn new(targets: &[(&str, Lookup<TxtRecord>)]) -> Self {
            let hosts = [
                DOMAIN,
                "inc.example",
                "_spf.example",
                "a.example",
                "e1.example",
                "e2.example",
                "e3.example",
            ];
            Zone {
                txt: targets
                    .iter()
                    .map(|(name, lookup)| ((*name).to_owned(), Arc::new(lookup.clone())))
                    .collect(),
                a: hosts
                    .iter()
                    .map(|h| ((*h).to_owned(), Outcome::Answer))
                    .collect(),
                mx: hosts
                    .iter()
                    .map(|h| ((*h).to_owned(), Arc::new(mx_records(1))))
                    .collect(),
            }
        }

        fn a(mut self, name: &str, outcome: Option<Outcome>) -> Self {
            match outcome {
                Some(outcome) => self.a.insert(name.to_owned(), outcome),
                None => self.a.remove(name),
            };
            self
        }

        fn mx(mut self, name: &str, lookup: Option<Lookup<MxRecord>>) -> Self {
            match lookup {
                Some(lookup) => self.mx.insert(name.to_owned(), Arc::new(lookup)),
                None => self.mx.remove(name),
            };
            self
        }

        fn classify(&self, apex: &Lookup<TxtRecord>) -> SpfPosture {
            let lookups = SpfLookups {
                txt: &self.txt,
                a: &self.a,
                mx: &self.mx,
            };
            classify(DOMAIN, apex, lookups)
        }
    }

    struct Case {
        rule: &'static str,
        apex: Lookup<TxtRecord>,
        targets: Vec<(&'static str, Lookup<TxtRecord>)>,
        status: Status,
        lookups: Option<i32>,
        error_has: &'static str,
    }

    fn case(
        rule: &'static str,
        apex: Lookup<TxtRecord>,
        targets: Vec<(&'static str, Lookup<TxtRecord>)>,
        status: Status,
        lookups: Option<i32>,
        error_has: &'static str,
    ) -> Case {
        Case {
            rule,
            apex,
            targets,
            status,
            lookups,
            error_has,
        }
    }

    #[test]
    fn classification_table() {
        use Status::{Absent, Error, Invalid, Valid};
        let ten_a = "v=spf1 a a a a a a a a a a";
        let cases = vec![
            case(
                "§4.4 apex failure",
                Lookup::Failed(Failure::Timeout),
                vec![],
                Error,
                None,
                "apex TXT lookup failed: timeout",
            ),
            case("§4.4 NXDOMAIN", Lookup::NxDomain, vec![], Absent, None, ""),
            case("§4.4 NODATA", Lookup::NoData, vec![], Absent, None, ""),
            case(
                "§4.5 no SPF",
                txt(&["v=spf10", " v=spf1 -all"]),
                vec![],
                Absent,
                None,
                "2 TXT records discarded",
            ),
            case(
                "§4.5 several",
                txt(&["v=spf1 -all", "v=spf1 -all"]),
                vec![],
                Invalid,
                None,
                "2 SPF records",
            ),
            case(
                "§4.6 syntax",
                txt(&["v=spf1 -all moo"]),
                vec![],
                Invalid,
                None,
                "unknown mechanism `moo`",
            ),
            case(
                "§4.6.4 ip4/all cost nothing",
                txt(&["v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all"]),
                vec![],
                Valid,
                Some(0),
                "",
            ),
            case(
                "§4.6.4 ten lookups",
                txt(&[ten_a]),
                vec![],
                Valid,
                Some(10),
                "",
            ),
            case(
                "§4.6.4 eleven lookups",
                txt(&["v=spf1 a a a a a a a a a a mx"]),
                vec![],
                Invalid,
                Some(11),
                "more than 10 DNS lookups",
            ),
            case(
                "§5.1 terms after all ignored",
                txt(&["v=spf1 a a a a a a a a a a -all mx include:x.example"]),
                vec![],
                Valid,
                Some(10),
                "",
            ),
            case(
                "§6.1 redirect ignored with all",
                txt(&["v=spf1 redirect=loop.example ~all"]),
                vec![],
                Valid,
                Some(0),
                "",
            ),
            case(
                "§4.6.4 include tree counted",
                txt(&["v=spf1 a include:inc.example mx -all"]),
                vec![("inc.example", txt(&[ten_a]))],
                Invalid,
                Some(11),
                "more than 10",
            ),
            case(
                "§4.6.4 include tree within limit",
                txt(&["v=spf1 include:inc.example -all"]),
                vec![("inc.example", txt(&["v=spf1 a a a a a a a a a"]))],
                Valid,
                Some(10),
                "",
            ),
            case(
                "§5.2 include target NXDOMAIN",
                txt(&["v=spf1 include:gone.example -all"]),
                vec![("gone.example", Lookup::NxDomain)],
                Invalid,
                Some(1),
                "include target gone.example has no SPF record (nxdomain)",
            ),
            case(
                "§5.2 include target without SPF",
                txt(&["v=spf1 include:other.example -all"]),
                vec![("other.example", txt(&["v=spfl am not an SPF record"]))],
                Invalid,
                Some(1),
                "has no SPF record",
            ),
            case(
                "§5.2 include target broken",
                txt(&["v=spf1 include:bad.example -all"]),
                vec![("bad.example", txt(&["v=spf1 include +all"]))],
                Invalid,
                Some(1),
                "include target bad.example: `include` needs a domain-spec",
            ),
            case(
                "§4.5 include target with two records",
                txt(&["v=spf1 include:two.example -all"]),
                vec![("two.example", txt(&["v=spf1 -all", "v=spf1 +all"]))],
                Invalid,
                Some(1),
                "has 2 SPF records",
            ),
            case(
                "§6.1 redirect target without SPF",
                txt(&["v=spf1 redirect=empty.example"]),
                vec![("empty.example", Lookup::NoData)],
                Invalid,
                Some(1),
                "redirect target empty.example has no SPF record (nodata)",
            ),
            case(
                "§6.1 redirect followed",
                txt(&["v=spf1 mx redirect=_spf.example"]),
                vec![("_spf.example", txt(&["v=spf1 a ptr -all"]))],
                Valid,
                Some(4),
                "",
            ),
            case(
                "§4.6.4 include loop",
                txt(&["v=spf1 include:e3.example"]),
                vec![
                    ("e3.example", txt(&["v=spf1 include:e2.example"])),
                    ("e2.example", txt(&["v=spf1 include:e3.example"])),
                ],
                Invalid,
                Some(3),
                "include loop: example.com -> e3.example -> e2.example -> e3.example",
            ),
            case(
                "§4.6.4 loop back to the domain itself",
                txt(&["v=spf1 a include:example.com"]),
                vec![],
                Invalid,
                Some(2),
                "include loop: example.com -> example.com",
            ),
            case(
                "§4.6.4 redirect loop",
                txt(&["v=spf1 ip4:192.0.2.1 redirect=e1.example"]),
                vec![(
                    "e1.example",
                    txt(&["v=spf1 ip4:192.0.2.1 redirect=e1.example"]),
                )],
                Invalid,
                Some(2),
                "redirect loop",
            ),
            case(
                "§4.6.4 same target twice is no loop",
                txt(&["v=spf1 include:a.example include:a.example -all"]),
                vec![("a.example", txt(&["v=spf1 ip4:192.0.2.1"]))],
                Valid,
                Some(2),
                "",
            ),
            case(
                "§4.6.4 macro target counted, not followed",
                txt(&["v=spf1 include:%{d}._spf.example redirect=%{d2}.example"]),
                vec![],
                Valid,
                Some(2),
                "",
            ),
            case(
                "include target timeout → error",
                txt(&["v=spf1 include:slow.example -all"]),
                vec![("slow.example", Lookup::Failed(Failure::ServFail))],
                Error,
                None,
                "include target slow.example: TXT lookup failed (servfail)",
            ),
            case(
                "include target not fetched → error",
                txt(&["v=spf1 include:unfetched.example -all"]),
                vec![],
                Error,
                None,
                "include target unfetched.example was not looked up",
            ),
            case(
                "not fetched, but already over the limit → invalid",
                txt(&["v=spf1 include:unfetched.example a a a a a a a a a a"]),
                vec![],
                Invalid,
                Some(11),
                "more than 10",
            ),
            case(
                "failure beside a certain permerror → invalid",
                txt(&["v=spf1 include:slow.example include:gone.example -all"]),
                vec![
                    ("slow.example", Lookup::Failed(Failure::Timeout)),
                    ("gone.example", Lookup::NxDomain),
                ],
                Invalid,
                Some(2),
                "gone.example has no SPF record",
            ),
        ];
        for c in cases {
            let got = Zone::new(&c.targets).classify(&c.apex);
            assert_eq!(got.status, c.status, "{}: {got:?}", c.rule);
            assert_eq!(got.lookups, c.lookups, "{}: {got:?}", c.rule);
            let error = got.error.clone().unwrap_or_default();
            assert!(error.contains(c.error_has), "{}: {error:?}", c.rule);
            assert_eq!(
                c.error_has.is_empty(),
                got.error.is_none(),
                "{}: {got:?}",
                c.rule
            );
        }
    }

    /// RFC 7208 §6.1 and §5.2: `spf_all` is the record's own `all`, else the
    /// one its redirect chain ends with; an included record's `all` ends the
    /// include, not the evaluation.
    #[test]
    fn rfc7208_6_1_spf_all_follows_redirect() {
        use AllQualifier::{Fail, Neutral, Pass, SoftFail};
        let zone = Zone::new(&[
            ("inc.example", txt(&["v=spf1 -all"])),
            ("_spf.host.example", txt(&["v=spf1 ip4:192.0.2.0/24 -all"])),
            ("hop1.example", txt(&["v=spf1 redirect=hop2.example"])),
            ("hop2.example", txt(&["v=spf1 ~all"])),
            ("noall.example", txt(&["v=spf1 ip4:192.0.2.1"])),
            ("loop1.example", txt(&["v=spf1 redirect=loop2.example"])),
            ("loop2.example", txt(&["v=spf1 redirect=loop1.example"])),
            ("self.example", txt(&["v=spf1 redirect=example.com"])),
            ("nospf.example", txt(&["hello"])),
            ("two.example", txt(&["v=spf1 -all", "v=spf1 +all"])),
            ("broken.example", txt(&["v=spf1 -all moo"])),
            ("slow.example", Lookup::Failed(Failure::Timeout)),
        ]);
        let cases: &[(&str, Option<AllQualifier>)] = &[
            ("v=spf1 -all", Some(Fail)),
            ("v=spf1 ~all", Some(SoftFail)),
            ("v=spf1 ?all", Some(Neutral)),
            ("v=spf1 all", Some(Pass)),
            ("v=spf1 +all", Some(Pass)),
            ("v=spf1 mx", None),
            ("v=spf1 include:inc.example", None),
            ("v=spf1 redirect=_spf.host.example", Some(Fail)),
            ("v=spf1 mx redirect=_spf.host.example", Some(Fail)),
            ("v=spf1 redirect=hop1.example", Some(SoftFail)),
            ("v=spf1 ?all redirect=_spf.host.example", Some(Neutral)),
            ("v=spf1 redirect=noall.example", None),
            ("v=spf1 redirect=loop1.example", None),
            ("v=spf1 redirect=self.example", None),
            ("v=spf1 redirect=%{d}.example", None),
            ("v=spf1 redirect=gone.example", None),
            ("v=spf1 redirect=nospf.example", None),
            ("v=spf1 redirect=two.example", None),
            ("v=spf1 redirect=broken.example", None),
            ("v=spf1 redirect=slow.example", None),
        ];
        for (record, want) in cases {
            let got = zone.classify(&txt(&[record]));
            assert_eq!(got.all, *want, "{record}: {got:?}");
            assert_eq!(got.record.as_deref(), Some(*record));
        }
    }

    /// RFC 7208 §4.6.4 void lookups over include/redirect targets and over
    /// `a` and `mx` targets, and the limit of 10 MX records per `mx`.
    #[test]
    fn rfc7208_4_6_4_void_lookups_and_mx_limit_table() {
        use Status::{Error, Invalid, Valid};
        let nx = Some(Outcome::NxDomain);
        let nodata = Some(Outcome::NoData);
        type Row<'a> = (&'a str, &'a str, Zone, Status, Option<i32>, &'a str);
        let rows: Vec<Row<'_>> = vec![
            (
                "include/redirect targets",
                "v=spf1 include:a1.example include:a2.example -all",
                Zone::new(&[
                    ("a1.example", Lookup::NxDomain),
                    ("a2.example", Lookup::NoData),
                ]),
                Invalid,
                Some(2),
                "include target a1.example has no SPF record",
            ),
            (
                "two void a targets are allowed",
                "v=spf1 a:gone1.example a:gone2.example -all",
                Zone::new(&[])
                    .a("gone1.example", nx)
                    .a("gone2.example", nodata),
                Valid,
                Some(2),
                "",
            ),
            (
                "three void a targets",
                "v=spf1 a:gone1.example a:gone2.example a:gone3.example -all",
                Zone::new(&[])
                    .a("gone1.example", nx)
                    .a("gone2.example", nodata)
                    .a("gone3.example", nx),
                Invalid,
                Some(3),
                "more than 2 void lookups",
            ),
            (
                "each mechanism counts: a a a at a name without address",
                "v=spf1 a a a -all",
                Zone::new(&[]).a(DOMAIN, nodata),
                Invalid,
                Some(3),
                "more than 2 void lookups",
            ),
            (
                "issue 12: include target `v=spf1 a mx -all` with nothing behind it",
                "v=spf1 a include:bare.example -all",
                Zone::new(&[("bare.example", txt(&["v=spf1 a mx -all"]))])
                    .a(DOMAIN, nodata)
                    .a("bare.example", nodata)
                    .mx("bare.example", Some(Lookup::NoData)),
                Invalid,
                Some(4),
                "more than 2 void lookups",
            ),
            (
                "void mx targets count",
                "v=spf1 mx:m1.example mx:m2.example mx:m3.example -all",
                Zone::new(&[])
                    .mx("m1.example", Some(Lookup::NxDomain))
                    .mx("m2.example", Some(Lookup::NoData))
                    .mx("m3.example", Some(Lookup::NxDomain)),
                Invalid,
                Some(3),
                "more than 2 void lookups",
            ),
            (
                "a bare a inside an included record targets the include's name",
                "v=spf1 include:inc2.example -all",
                Zone::new(&[("inc2.example", txt(&["v=spf1 a a a -all"]))]).a("inc2.example", nx),
                Invalid,
                Some(4),
                "more than 2 void lookups",
            ),
            (
                "eleven MX records",
                "v=spf1 mx:big.example -all",
                Zone::new(&[]).mx("big.example", Some(mx_records(11))),
                Invalid,
                Some(1),
                "mx target big.example has 11 MX records",
            ),
            (
                "ten MX records",
                "v=spf1 mx:big.example -all",
                Zone::new(&[]).mx("big.example", Some(mx_records(10))),
                Valid,
                Some(1),
                "",
            ),
            (
                "a bare mx with eleven MX records",
                "v=spf1 mx -all",
                Zone::new(&[]).mx(DOMAIN, Some(mx_records(11))),
                Invalid,
                Some(1),
                "mx target example.com has 11 MX records",
            ),
            (
                "a target failed → error",
                "v=spf1 a:slow.example -all",
                Zone::new(&[]).a("slow.example", Some(Outcome::Failed(Failure::ServFail))),
                Error,
                None,
                "a target slow.example: A lookup failed (servfail)",
            ),
            (
                "mx target failed → error",
                "v=spf1 mx:slow.example -all",
                Zone::new(&[]).mx("slow.example", Some(Lookup::Failed(Failure::Timeout))),
                Error,
                None,
                "mx target slow.example: MX lookup failed (timeout)",
            ),
            (
                "a target not fetched → error",
                "v=spf1 a:unfetched.example -all",
                Zone::new(&[]),
                Error,
                None,
                "a target unfetched.example was not looked up (A)",
            ),
            (
                "mx target not fetched → error",
                "v=spf1 mx -all",
                Zone::new(&[]).mx(DOMAIN, None),
                Error,
                None,
                "mx target example.com was not looked up (MX)",
            ),
            (
                "not fetched beyond the limit, record invalid by the limit → invalid",
                "v=spf1 a a a a a a a a a a a:unfetched.example -all",
                Zone::new(&[]),
                Invalid,
                Some(11),
                "more than 10",
            ),
            (
                "failure beside three voids → invalid",
                "v=spf1 a:slow.example a:g1.example a:g2.example a:g3.example -all",
                Zone::new(&[])
                    .a("slow.example", Some(Outcome::Failed(Failure::Timeout)))
                    .a("g1.example", nx)
                    .a("g2.example", nx)
                    .a("g3.example", nx),
                Invalid,
                Some(4),
                "more than 2 void lookups",
            ),
            (
                "a macro target is counted, not looked up",
                "v=spf1 a:%{d}.example mx:%{i}.example -all",
                Zone::new(&[]),
                Valid,
                Some(2),
                "",
            ),
            (
                "§5.1: a target after all is never evaluated",
                "v=spf1 -all a:unfetched.example",
                Zone::new(&[]),
                Valid,
                Some(0),
                "",
            ),
        ];
        for (rule, record, zone, status, lookups, error_has) in rows {
            let got = zone.classify(&txt(&[record]));
            assert_eq!(got.status, status, "{rule}: {got:?}");
            assert_eq!(got.lookups, lookups, "{rule}: {got:?}");
            let error = got.error.clone().unwrap_or_default();
            assert!(error.contains(error_has), "{rule}: {error:?}");
            assert_eq!(error_has.is_empty(), got.error.is_none(), "{rule}: {got:?}");
        }
    }

    #[test]
    fn void_lookups_are_counted() {
        let zone = Zone::new(&[("inc.example", txt(&["v=spf1 a -all"]))])
            .a("gone.example", Some(Outcome::NxDomain))
            .a("inc.example", Some(Outcome::NoData));
        let got = zone.classify(&txt(&["v=spf1 a:gone.example include:inc.example a -all"]));
        assert_eq!((got.status, got.void_lookups), (Status::Valid, Some(2)));
        let zone = Zone::new(&[]);
        let got = zone.classify(&txt(&["v=spf1 a mx -all"]));
        assert_eq!((got.status, got.void_lookups), (Status::Valid, Some(0)));
    }

    /// The queries `a` and `mx` make (RFC 7208 §5.3, §5.4): reachable
    /// (§5.1), written without macros, bare ones at the owner.
    #[test]
    fn host_queries_of_table() {
        use HostQuery::{A, Mx};
        let q = |name: &str| name.to_owned();
        let cases: Vec<(&str, Vec<HostQuery>)> = vec![
            (
                "v=spf1 a mx a:Mail.Example.NET. mx:mx.example.net/24 -all",
                vec![
                    A(q("owner.example")),
                    Mx(q("owner.example")),
                    A(q("mail.example.net")),
                    Mx(q("mx.example.net")),
                ],
            ),
            ("v=spf1 a a/24 a//64 -all", vec![A(q("owner.example"))]),
            ("v=spf1 a:%{d}.example mx:%{i}.x.example -all", vec![]),
            ("v=spf1 -all a mx", vec![]),
            (
                "v=spf1 ip4:192.0.2.1 include:x.example redirect=y.example",
                vec![],
            ),
            ("v=spf1 a bogus", vec![]),
        ];
        for (record, want) in cases {
            assert_eq!(
                host_queries_of("Owner.Example.", &txt(&[record])),
                want,
                "{record}"
            );
        }
        assert!(host_queries_of("o.example", &txt(&["v=spf1 a", "v=spf1 mx"])).is_empty());
        assert!(host_queries_of("o.example", &Lookup::NxDomain).is_empty());
    }

    /// DESIGN.md: look-alikes are discarded and named; other TXT is not.
    #[test]
    fn rfc7208_4_5_look_alikes_are_named() {
        let zone = Zone::new(&[]);
        let got = zone.classify(&txt(&[
            "v=spf10 -all",
            "google-site-verification=x",
            " v=spf1 -all",
        ]));
        assert_eq!(got.status, Status::Absent);
        assert_eq!(
            got.error.as_deref(),
            Some(
                "no SPF record: 2 TXT records discarded, not starting with `v=spf1` and a space \
                 or the end (RFC 7208 §4.5): \"v=spf10 -all\", \" v=spf1 -all\""
            )
        );
        let got = zone.classify(&txt(&["v=spf1\t-all"]));
        assert!(got.error.is_some_and(|e| e.contains("\"v=spf1\\t-all\"")));
        let got = zone.classify(&txt(&["google-site-verification=x"]));
        assert_eq!((got.status, got.error), (Status::Absent, None));
    }

    #[test]
    fn targets_of_reachable_includes_and_redirect() {
        let cases: [(&str, &[&str]); 6] = [
            (
                "v=spf1 include:A.example include:b.example. include:a.example -all",
                &["a.example", "b.example"],
            ),
            ("v=spf1 mx redirect=_spf.Example", &["_spf.example"]),
            (
                "v=spf1 include:a.example redirect=r.example -all",
                &["a.example"],
            ),
            ("v=spf1 -all include:after.example", &[]),
            ("v=spf1 include:%{d}.example", &[]),
            ("v=spf1 include:a.example bogus", &[]),
        ];
        for (record, want) in cases {
            assert_eq!(targets_of(&txt(&[record])), want, "{record}");
        }
        assert!(targets_of(&txt(&["v=spf1 include:a.example", "v=spf1 -all"])).is_empty());
        assert!(targets_of(&Lookup::Failed(Failure::Timeout)).is_empty());
    }
}
