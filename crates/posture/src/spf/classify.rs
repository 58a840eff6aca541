//! From the apex TXT RRset and the include/redirect evidence to `spf_*`.
//!
//! A census knows no sender, so it cannot evaluate `check_host()`. It checks
//! what a receiver would find wrong whatever the sender: record selection,
//! syntax, and the processing limits over the include/redirect tree, counted
//! for the worst case (every reachable term evaluated). What counts:
//!
//! * A lookup (RFC 7208 §4.6.4) is each `include`, `a`, `mx`, `ptr`, `exists`
//!   directive and each followed `redirect`; `all`, `ip4`, `ip6` and `exp`
//!   cost none. More than 10 over the tree → `invalid`.
//! * Only reachable terms count: directives after the first `all` "MUST be
//!   ignored" (§5.1), and `redirect` is ignored when the record has an `all`
//!   (§6.1) — it is syntax-checked, neither counted nor followed.
//! * The tree is walked in evaluation order (directives, then `redirect`),
//!   depth first; counting stops at the first lookup beyond the limit, so an
//!   over-limit record reports `spf_lookups = 11`.
//! * An include or redirect target that answers NODATA or NXDOMAIN is a void
//!   lookup (§4.6.4, limit 2); it is also already `invalid`, since an include
//!   target without an SPF record is a `permerror` (§5.2) and so is a
//!   redirect target without one (§6.1). A target whose TXT RRset has several
//!   SPF records, or a broken one, is `invalid` too (§4.5, §4.6).
//! * A target that appears again below itself is a loop → `invalid`
//!   (evaluation would exhaust the lookup limit). The same target reached
//!   twice on different branches is not a loop; it is counted twice. The
//!   classifier is not told the apex name, so a loop back to the apex is
//!   seen one step later, when the apex's record comes back as a target
//!   (one more lookup counted; the verdict is the same).
//! * A target with `%{…}` macros is counted, never followed: its name depends
//!   on the sender.
//! * A target whose lookup failed, or that is missing from the evidence (the
//!   engine did not fetch it), is not evidence of absence: unless the record is
//!   invalid anyway (including a lookup count already over the limit, which
//!   the unseen part can only raise), the result is `error`, and `spf_error`
//!   names the target and the failure. An `invalid` finding wins over an
//!   unresolved target because it holds whatever the target would have said.

use super::parse::{Selection, parse, select};
use super::types::{DomainSpec, Mechanism, Qualifier, SpfRecord};
use super::{AllQualifier, SpfPosture, SpfTargets};
use crate::evidence::{Lookup, TxtRecord};
use crate::status::Status;

/// RFC 7208 §4.6.4: "SPF implementations MUST limit the total number of
/// those terms to 10 during SPF evaluation".
pub const MAX_LOOKUPS: i32 = 10;

/// RFC 7208 §4.6.4: "SPF implementations SHOULD limit 'void lookups' to two".
pub const MAX_VOID_LOOKUPS: i32 = 2;

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

pub(super) fn targets_of(txt: &Lookup<TxtRecord>) -> Vec<String> {
    match select(txt.records()) {
        Selection::One(text) => parse(&text)
            .map(|record| record_targets(&record))
            .unwrap_or_default(),
        Selection::None | Selection::Several(_) => Vec::new(),
    }
}

pub(super) fn classify(apex: &Lookup<TxtRecord>, targets: &dyn SpfTargets) -> SpfPosture {
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
        Selection::None => return SpfPosture::absent(),
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
    let mut walk = Walk {
        targets,
        lookups: 0,
        voids: 0,
        over_limit: false,
        invalid: None,
        unresolved: None,
    };
    walk.record(&record, &mut Vec::new());
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
        all: record.all().map(AllQualifier::from),
        lookups: counted.then_some(walk.lookups),
        void_lookups: counted.then_some(walk.voids),
        error,
    }
}

/// The depth-first walk over the include/redirect tree.
struct Walk<'a> {
    targets: &'a dyn SpfTargets,
    lookups: i32,
    voids: i32,
    over_limit: bool,
    /// The first reason the tree is broken.
    invalid: Option<String>,
    /// The first target that could not be read.
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
        self.lookups += 1;
        if self.lookups > MAX_LOOKUPS {
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

    fn record(&mut self, record: &SpfRecord, chain: &mut Vec<String>) {
        for directive in record.reachable_directives() {
            if directive.mechanism.queries_dns() && !self.count() {
                return;
            }
            if let Mechanism::Include(spec) = &directive.mechanism {
                self.follow(spec, "include", chain);
            }
        }
        if let Some(spec) = record.effective_redirect() {
            if !self.count() {
                return;
            }
            self.follow(spec, "redirect", chain);
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
        let Some(lookup) = self.targets.txt(&target) else {
            self.unresolved(format!("{kind} target {target} was not looked up"));
            return;
        };
        let records = match lookup {
            Lookup::Records(records) => records,
            Lookup::NoData | Lookup::NxDomain => {
                self.voids += 1;
                self.invalid(format!(
                    "{kind} target {target} has no SPF record ({}) (RFC 7208 {})",
                    lookup.outcome().label(),
                    if kind == "include" { "§5.2" } else { "§6.1" }
                ));
                if self.voids > MAX_VOID_LOOKUPS {
                    self.invalid(format!(
                        "more than {MAX_VOID_LOOKUPS} void lookups (RFC 7208 §4.6.4)"
                    ));
                }
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
                    "{kind} target {target} has no SPF record (RFC 7208 {})",
                    if kind == "include" { "§5.2" } else { "§6.1" }
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
                chain.push(target);
                self.record(&record, chain);
                chain.pop();
            }
            Err(err) => self.invalid(format!("{kind} target {target}: {err}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::evidence::Failure;

    fn txt(records: &[&str]) -> Lookup<TxtRecord> {
        Lookup::from_records(records.iter().map(|r| TxtRecord::single(*r)).collect())
    }

    fn targets(entries: &[(&str, Lookup<TxtRecord>)]) -> HashMap<String, Lookup<TxtRecord>> {
        entries
            .iter()
            .map(|(name, lookup)| ((*name).to_owned(), lookup.clone()))
            .collect()
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
                "",
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
                "include loop: e3.example -> e2.example -> e3.example",
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
            let map = targets(&c.targets);
            let got = classify(&c.apex, &map);
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

    #[test]
    fn spf_all_is_the_records_own_all() {
        let cases = [
            ("v=spf1 -all", Some(AllQualifier::Fail)),
            ("v=spf1 ~all", Some(AllQualifier::SoftFail)),
            ("v=spf1 ?all", Some(AllQualifier::Neutral)),
            ("v=spf1 all", Some(AllQualifier::Pass)),
            ("v=spf1 +all", Some(AllQualifier::Pass)),
            ("v=spf1 mx", None),
            // The included record's `all` is not the domain's.
            ("v=spf1 include:inc.example", None),
        ];
        let map = targets(&[("inc.example", txt(&["v=spf1 -all"]))]);
        for (record, want) in cases {
            let got = classify(&txt(&[record]), &map);
            assert_eq!(got.all, want, "{record}");
            assert_eq!(got.record.as_deref(), Some(record));
        }
    }

    #[test]
    fn void_lookups_are_counted() {
        let map = targets(&[
            ("a.example", Lookup::NxDomain),
            ("b.example", Lookup::NoData),
        ]);
        let got = classify(
            &txt(&["v=spf1 include:a.example include:b.example -all"]),
            &map,
        );
        assert_eq!((got.status, got.void_lookups), (Status::Invalid, Some(2)));
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
