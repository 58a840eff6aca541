//! SPF findings, and the include/redirect tree behind the lookup count.
//!
//! The tree is walked the way `spf::classify` counts (RFC 7208 §4.6.4):
//! reachable directives in order (up to the first `all`, §5.1), each
//! `include`, `a`, `mx`, `ptr` and `exists` one lookup, then a `redirect`
//! when the record has no `all` (§6.1). Unlike the classifier it does not
//! stop at the 11th lookup: it shows every branch the engine fetched, and
//! marks a branch `partial` where it reached a target that was not looked
//! up (the engine stops fetching past the limit), that failed, or whose name
//! depends on the sender (macros). Verdicts and thresholds stay the
//! posture's: the tree only says where the lookups come from.

use super::{Code, Finding, failed, plural, quote};
use crate::domain::{DomainEvidence, Posture};
use crate::evidence::{Failure, Lookup, Outcome};
use crate::mx::MxStatus;
use crate::spf::{
    self, AllQualifier, DomainSpec, HostQuery, Mechanism, Selection, SpfRecord, host_query,
};
use crate::status::Status;

/// Branches walked at most: a bound on what a hostile set of records can
/// make the walk (and the text) grow to.
const MAX_BRANCHES: usize = 100;

/// One node of the SPF tree: a record reached through `include` or
/// `redirect` (or the domain's own, at the root), or a leaf for another
/// DNS-querying mechanism (`a`, `mx`, `ptr`, `exists`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfBranch {
    /// The term that reaches it as the record writes it (`include:_spf.x`,
    /// `redirect=x`, `mx`, `a:smtp.x`); the domain itself at the root.
    pub term: String,
    /// What was found there.
    pub state: BranchState,
    /// The DNS-querying terms this branch costs (RFC 7208 §4.6.4): the term
    /// itself (none for the root) and every one evaluation can reach below
    /// it. A lower bound when `partial`.
    pub lookups: u32,
    /// Part of the branch could not be walked (not looked up, failed, a
    /// macro): `lookups` is a lower bound.
    pub partial: bool,
    /// The DNS-querying terms of its record, in evaluation order.
    pub children: Vec<SpfBranch>,
}

/// What an [`SpfBranch`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BranchState {
    /// The one SPF record published there, as published.
    Record(String),
    /// No SPF record: NXDOMAIN, NODATA, or TXT records none of which is SPF
    /// (`Outcome::Answer`).
    NoRecord(Outcome),
    /// Several SPF records.
    Several(usize),
    /// The record does not parse; the parser's reason.
    Unparsable(String),
    /// The TXT lookup failed.
    Failed(Failure),
    /// The engine did not look it up (past the lookup limit).
    NotLookedUp,
    /// The target contains macros: its name depends on the sender.
    Macro,
    /// The target appears above itself.
    Loop,
    /// An `a`, `mx`, `ptr` or `exists` mechanism (a leaf); for `a` and `mx`
    /// written without macros, how their `A` or `MX` lookup ended (`None`
    /// when it was not made).
    Mechanism(Option<Outcome>),
}

impl SpfBranch {
    /// True when a receiver would return permerror at this target (RFC 7208
    /// §5.2, §6.1, §4.6.4): no single parsable SPF record, or a loop.
    pub fn is_broken(&self) -> bool {
        matches!(
            self.state,
            BranchState::NoRecord(_)
                | BranchState::Several(_)
                | BranchState::Unparsable(_)
                | BranchState::Loop
        )
    }
}

/// A void lookup (RFC 7208 §4.6.4): a lookup that found no name or no
/// record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidLookup {
    /// The term that made it (`include:x`, `a:smtp.x`, `mx`).
    pub term: String,
    /// The query, `TXT x`, `A x` or `MX x`.
    pub query: String,
    /// `nxdomain` or `nodata`.
    pub outcome: Outcome,
}

/// The SPF tree of the domain's record and its void lookups in evaluation
/// order; `None` when the apex holds no single SPF record that parses.
pub fn spf_tree(evidence: &DomainEvidence) -> Option<(SpfBranch, Vec<VoidLookup>)> {
    let apex = evidence.apex_txt.as_ref()?;
    let Selection::One(text) = spf::select(apex.records()) else {
        return None;
    };
    let record = spf::parse(&text).ok()?;
    let domain = normalise(&evidence.domain);
    let mut walk = Walk {
        evidence,
        branches: 0,
        voids: Vec::new(),
    };
    let mut chain = vec![domain.clone()];
    let (lookups, partial, children) = walk.record(&domain, &record, &mut chain);
    let root = SpfBranch {
        term: domain,
        state: BranchState::Record(text),
        lookups,
        partial,
        children,
    };
    Some((root, walk.voids))
}

fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

struct Walk<'a> {
    evidence: &'a DomainEvidence,
    branches: usize,
    voids: Vec<VoidLookup>,
}

impl Walk<'_> {
    /// The lookups, partiality and children of the record at `owner`.
    fn record(
        &mut self,
        owner: &str,
        record: &SpfRecord,
        chain: &mut Vec<String>,
    ) -> (u32, bool, Vec<SpfBranch>) {
        let mut lookups = 0;
        let mut partial = false;
        let mut children = Vec::new();
        let mut add = |child: SpfBranch, lookups: &mut u32, partial: &mut bool| {
            *lookups += child.lookups;
            *partial |= child.partial;
            children.push(child);
        };
        for directive in record.reachable_directives() {
            let mechanism = &directive.mechanism;
            if !mechanism.queries_dns() {
                continue;
            }
            let term = directive.to_string();
            let child = match mechanism {
                Mechanism::Include(spec) => self.target(term, spec, chain),
                _ => self.mechanism(owner, term, mechanism),
            };
            add(child, &mut lookups, &mut partial);
        }
        if let Some(spec) = record.effective_redirect() {
            let child = self.target(format!("redirect={spec}"), spec, chain);
            add(child, &mut lookups, &mut partial);
        }
        (lookups, partial, children)
    }

    /// A leaf: `a`, `mx`, `ptr`, `exists`, one lookup each; the void
    /// lookups of `a`/`mx` (RFC 7208 §4.6.4).
    fn mechanism(&mut self, owner: &str, term: String, mechanism: &Mechanism) -> SpfBranch {
        // `ptr`, `exists` and macro targets: nothing the census can ask.
        let outcome = host_query(owner, mechanism).and_then(|query| {
            let (rrtype, name, outcome) = match &query {
                HostQuery::A(name) => ("A", name, self.evidence.spf_a.get(name).copied()),
                HostQuery::Mx(name) => (
                    "MX",
                    name,
                    self.evidence.spf_mx.get(name).map(|l| l.outcome()),
                ),
            };
            if let Some(outcome @ (Outcome::NoData | Outcome::NxDomain)) = outcome {
                self.voids.push(VoidLookup {
                    term: term.clone(),
                    query: format!("{rrtype} {name}"),
                    outcome,
                });
            }
            outcome
        });
        SpfBranch {
            term,
            state: BranchState::Mechanism(outcome),
            lookups: 1,
            partial: false,
            children: Vec::new(),
        }
    }

    /// An `include` or `redirect` target.
    fn target(&mut self, term: String, spec: &DomainSpec, chain: &mut Vec<String>) -> SpfBranch {
        let leaf = |state: BranchState, partial: bool| SpfBranch {
            term: term.clone(),
            state,
            lookups: 1,
            partial,
            children: Vec::new(),
        };
        let Some(target) = spec.target() else {
            return leaf(BranchState::Macro, true);
        };
        if chain.contains(&target) {
            return leaf(BranchState::Loop, false);
        }
        self.branches += 1;
        if self.branches > MAX_BRANCHES {
            return leaf(BranchState::NotLookedUp, true);
        }
        let Some(lookup) = self.evidence.spf_targets.get(&target) else {
            return leaf(BranchState::NotLookedUp, true);
        };
        let records = match lookup.as_ref() {
            Lookup::Failed(failure) => return leaf(BranchState::Failed(*failure), true),
            Lookup::NoData | Lookup::NxDomain => {
                let outcome = lookup.outcome();
                self.voids.push(VoidLookup {
                    term: term.clone(),
                    query: format!("TXT {target}"),
                    outcome,
                });
                return leaf(BranchState::NoRecord(outcome), false);
            }
            Lookup::Records(records) => records,
        };
        let text = match spf::select(records) {
            Selection::One(text) => text,
            Selection::None => return leaf(BranchState::NoRecord(Outcome::Answer), false),
            Selection::Several(found) => return leaf(BranchState::Several(found.len()), false),
        };
        let record = match spf::parse(&text) {
            Ok(record) => record,
            Err(err) => return leaf(BranchState::Unparsable(err.to_string()), false),
        };
        chain.push(target.clone());
        let (lookups, partial, children) = self.record(&target, &record, chain);
        chain.pop();
        SpfBranch {
            term,
            state: BranchState::Record(text),
            lookups: 1 + lookups,
            partial,
            children,
        }
    }
}

/// Every branch below `root`, depth first, with `f` deciding which to keep.
fn collect<'a>(
    root: &'a SpfBranch,
    keep: &dyn Fn(&SpfBranch) -> bool,
    out: &mut Vec<&'a SpfBranch>,
) {
    for child in &root.children {
        if keep(child) {
            out.push(child);
        }
        collect(child, keep, out);
    }
}

/// "5 lookups", "at least 6 lookups".
fn lookups_text(branch: &SpfBranch) -> String {
    let n = plural(branch.lookups as usize, "lookup", "lookups");
    if branch.partial {
        format!("at least {n}")
    } else {
        n
    }
}

fn state_text(state: &BranchState) -> String {
    match state {
        BranchState::NoRecord(Outcome::Answer) => "TXT records, none of them SPF".to_owned(),
        BranchState::NoRecord(outcome) => format!("no SPF record ({})", outcome.label()),
        BranchState::Several(n) => format!("{n} SPF records"),
        BranchState::Unparsable(err) => format!("a record that does not parse: {err}"),
        BranchState::Loop => "a loop back to a record above it".to_owned(),
        BranchState::Failed(failure) => failed(*failure),
        BranchState::NotLookedUp => "not looked up".to_owned(),
        BranchState::Macro => "a name built from macros".to_owned(),
        BranchState::Record(_) | BranchState::Mechanism(_) => "a record".to_owned(),
    }
}

pub(super) fn findings(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let Some(spf) = &posture.spf else {
        return;
    };
    let domain = &evidence.domain;
    let no_mail = posture
        .mx
        .as_ref()
        .is_some_and(|mx| mx.status == MxStatus::NullMx);
    let apex = evidence.apex_txt.as_ref();
    match spf.status {
        Status::Error => {
            let message = match apex.and_then(Lookup::failure) {
                Some(failure) => format!("The TXT records of {domain} {}.", failed(failure)),
                None => format!(
                    "The SPF record was found, but a lookup it needs could not be obtained: {}.",
                    spf.error.as_deref().unwrap_or("a target was not looked up")
                ),
            };
            out.push(
                Finding::new(
                    Code::SpfUnresolved,
                    message,
                    "Receivers meeting the same failure return a temporary error (temperror) and \
                     may defer the mail or accept it unchecked: the SPF verdict is unknown, not \
                     absent.",
                )
                .fix("Run the check again; if it persists, make sure every name the record points at answers."),
            );
            return;
        }
        Status::Absent => {
            absent(evidence, spf.error.is_some(), no_mail, out);
            return;
        }
        Status::Invalid => invalid(evidence, posture, out),
        Status::Valid => {}
    }
    qualifiers(evidence, posture, out);
}

/// No SPF record: none at all, or only look-alikes.
fn absent(evidence: &DomainEvidence, lookalikes: bool, no_mail: bool, out: &mut Vec<Finding>) {
    let domain = &evidence.domain;
    let publish = if no_mail {
        "Publish `v=spf1 -all` as the only SPF record: the domain sends no mail.".to_owned()
    } else {
        format!(
            "Publish one TXT record at {domain} beginning with `v=spf1 `, listing the servers \
             that send its mail and ending with `-all` (or `~all` while you check)."
        )
    };
    if lookalikes {
        let texts: Vec<String> = evidence
            .apex_txt
            .as_ref()
            .map(|l| l.records())
            .unwrap_or_default()
            .iter()
            .map(|r| r.joined())
            .filter(|text| {
                text.trim_start()
                    .get(..5)
                    .is_some_and(|start| start.eq_ignore_ascii_case("v=spf"))
            })
            .collect();
        let quoted: Vec<String> = texts.iter().map(|t| quote(t)).collect();
        out.push(
            Finding::new(
                Code::SpfLookalike,
                format!(
                    "{} at {domain} {} like SPF but {} discarded: {}.",
                    plural(texts.len(), "TXT record", "TXT records"),
                    if texts.len() == 1 { "looks" } else { "look" },
                    if texts.len() == 1 { "is" } else { "are" },
                    quoted.join(", ")
                ),
                "Receivers select only records that begin with exactly `v=spf1` followed by a \
                 space or the end of the record: these do not, so the domain has no SPF policy \
                 at all.",
            )
            .fix(if no_mail {
                publish
            } else {
                "Make the record begin with `v=spf1 ` exactly: no leading space, no other \
                 version, no missing space."
                    .to_owned()
            }),
        );
        return;
    }
    out.push(
        Finding::new(
            Code::SpfAbsent,
            format!("{domain} publishes no SPF record."),
            if no_mail {
                "Anyone can send mail in its name, and receivers have no SPF policy to fail it with."
            } else {
                "Receivers cannot tell the domain's own mail servers from anyone else's: SPF \
                 evaluates to none for every message."
            },
        )
        .fix(publish),
    );
}

/// Why an `invalid` SPF status is invalid, from the same evidence.
fn invalid(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let Some(spf) = &posture.spf else {
        return;
    };
    let domain = &evidence.domain;
    let records = evidence
        .apex_txt
        .as_ref()
        .map(|l| l.records())
        .unwrap_or_default();
    match spf::select(records) {
        Selection::Several(found) => {
            out.push(
                Finding::new(
                    Code::SpfMultiple,
                    format!("{domain} publishes {} SPF records.", found.len()),
                    "With more than one `v=spf1` record receivers return permerror: SPF fails \
                     for every message, whichever record was meant.",
                )
                .fix("Merge them into one record."),
            );
            return;
        }
        Selection::One(text) => {
            if let Err(err) = spf::parse(&text) {
                out.push(
                    Finding::new(
                        Code::SpfSyntax,
                        format!("The SPF record does not parse: {err}."),
                        "A syntax error anywhere makes receivers return permerror for the whole \
                         record: none of its mechanisms apply.",
                    )
                    .fix("Correct the term named above."),
                );
                return;
            }
        }
        Selection::None => {}
    }
    let before = out.len();
    let tree = spf_tree(evidence);
    let limit = spf::MAX_LOOKUPS;
    if spf.lookups.is_some_and(|n| n > limit) {
        let branches: Vec<String> = tree
            .as_ref()
            .map(|(root, _)| {
                root.children
                    .iter()
                    .map(|b| format!("{} {}", b.term, lookups_text(b)))
                    .collect()
            })
            .unwrap_or_default();
        let total = tree
            .as_ref()
            .map(|(root, _)| lookups_text(root))
            .unwrap_or_else(|| format!("more than {limit} lookups"));
        out.push(
            Finding::new(
                Code::SpfLookupLimit,
                format!(
                    "Evaluating the record takes {total}, more than the {limit} allowed: {}.",
                    branches.join("; ")
                ),
                "Receivers stop at the 11th lookup and return permerror: SPF then fails for \
                 every message, and DMARC can pass only through DKIM.",
            )
            .fix(
                "Remove includes of services that no longer send for the domain, replace \
                 includes of your own servers by their ip4:/ip6: ranges, or move some senders \
                 to a subdomain with its own SPF record.",
            ),
        );
    }
    if let Some(counted) = spf.void_lookups.filter(|n| *n > spf::MAX_VOID_LOOKUPS) {
        let listed: &[VoidLookup] = tree.as_ref().map_or(&[], |(_, voids)| voids);
        let voids: Vec<String> = listed
            .iter()
            .map(|v| format!("{} ({}: {})", v.term, v.query, v.outcome.label()))
            .collect();
        // The column stops counting at the lookup limit; the tree walks on.
        let n = listed
            .len()
            .max(usize::try_from(counted).unwrap_or_default());
        out.push(
            Finding::new(
                Code::SpfVoidLimit,
                format!(
                    "The record makes {}, more than the {} allowed: {}.",
                    plural(n, "void lookup", "void lookups"),
                    spf::MAX_VOID_LOOKUPS,
                    voids.join("; ")
                ),
                "A void lookup asks for a name that does not exist or has no record; receivers \
                 may return permerror after two of them, which fails SPF for every message.",
            )
            .fix("Remove the mechanisms that point at names without records, or create those records."),
        );
    }
    if let Some((root, _)) = &tree {
        let mut broken = Vec::new();
        collect(
            root,
            &|b| b.is_broken() && b.state != BranchState::Loop,
            &mut broken,
        );
        if !broken.is_empty() {
            let list: Vec<String> = broken
                .iter()
                .map(|b| format!("{} has {}", b.term, state_text(&b.state)))
                .collect();
            out.push(
                Finding::new(
                    Code::SpfTargetBroken,
                    format!("{}.", list.join("; ")),
                    "An include whose target has no single valid SPF record is a permerror for \
                     the whole record, and so is such a redirect target.",
                )
                .fix("Fix each target named above, or remove the term that points at it."),
            );
        }
    }
    if out.len() == before {
        // Invalid for a reason the rules above do not name (a loop, an `mx`
        // target with more than 10 MX records): the classifier's own words.
        out.push(
            Finding::new(
                Code::SpfInvalid,
                format!(
                    "The SPF record is invalid: {}.",
                    spf.error.as_deref().unwrap_or("see the record")
                ),
                "Receivers return permerror: SPF fails for every message.",
            )
            .fix("Correct the problem named above."),
        );
    }
}

/// The qualifier that ends evaluation, and `ptr`.
fn qualifiers(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let Some(spf) = &posture.spf else {
        return;
    };
    let record = evidence
        .apex_txt
        .as_ref()
        .and_then(|apex| match spf::select(apex.records()) {
            Selection::One(text) => spf::parse(&text).ok(),
            _ => None,
        });
    let Some(record) = record else {
        return;
    };
    let via = if record.all().is_some() {
        "ends with"
    } else {
        "ends, through its redirect, with"
    };
    match spf.all {
        Some(AllQualifier::Pass) => out.push(
            Finding::new(
                Code::SpfPlusAll,
                format!("The record {via} `+all`: every host on the internet passes SPF for {}.", evidence.domain),
                "`all` always matches, so anyone can send mail that passes SPF in the domain's \
                 name, and with DMARC that pass is aligned: forgers are authorised.",
            )
            .fix("List the servers that send the domain's mail and end the record with `-all` (or `~all` while you check)."),
        ),
        Some(AllQualifier::Neutral) => out.push(
            Finding::new(
                Code::SpfNeutralAll,
                format!("The record {via} `?all`: for senders it does not list, SPF asserts nothing."),
                "A neutral result must be treated exactly like no SPF record at all, so SPF \
                 fails no forged message.",
            )
            .fix("End the record with `-all` (or `~all`) once every legitimate sender is listed."),
        ),
        None if spf.status == Status::Valid && record.redirect().is_none() => out.push(
            Finding::new(
                Code::SpfNoAll,
                "The record has neither an `all` term nor a redirect: senders it does not list get neutral.",
                "Evaluation that reaches the end of a record returns neutral, as with `?all`: \
                 SPF fails no forged message.",
            )
            .fix("End the record with `-all` (or `~all`)."),
        ),
        _ => {}
    }
    if record
        .reachable_directives()
        .any(|d| matches!(d.mechanism, Mechanism::Ptr(_)))
    {
        out.push(
            Finding::new(
                Code::SpfPtr,
                "The record uses the `ptr` mechanism.",
                "`ptr` SHOULD NOT be used: it is slow and unreliable, costs receivers several \
                 lookups, and many skip it.",
            )
            .fix("Replace `ptr` by the ip4:/ip6: ranges or a: names of the servers it meant."),
        );
    }
}
