//! The SPF processing limits of the records the generator plants, counted
//! straight from RFC 7208 (not with the posture crate, so that the end-to-end
//! test compares two independent readings of the same records).
//!
//! Only the small subset of SPF the generator writes is understood: space
//! separated terms, targets without macros (a target with `%` is counted but
//! never looked up, as a census cannot know the sender).
//!
//! * §4.6.4: `include`, `a`, `mx`, `ptr`, `exists` and `redirect` each cost one
//!   DNS lookup; `all`, `ip4`, `ip6`, `exp` cost none; more than 10 is a
//!   permerror. Evaluation aborts at the 11th, so that is the count reported.
//! * §5.1: terms after `all` are never reached; §6.1: `redirect` is ignored
//!   when the record has an `all`.
//! * §4.6.4 void lookups: a query that answers NXDOMAIN or NOERROR with no
//!   answer. Counted over the queries the terms themselves make: the TXT of an
//!   include/redirect target, `A <target>` for an `a` mechanism and
//!   `MX <target>` for an `mx` mechanism (a bare `a`/`mx` targets the name whose
//!   record is being evaluated: the domain, or the include/redirect target).
//!   More than 2 is a permerror. The count covers every query the walk reaches
//!   (it stops only at the 11th lookup), so `spf_void_lookups` may exceed 3.
//! * §4.6.4: an `mx` mechanism whose target has more than 10 MX records is a
//!   permerror (at most 10 address lookups per `mx`).
//! * §5.2 / §6.1: an include or redirect target without an SPF record is a
//!   permerror (and, when it answers NXDOMAIN or NODATA, a void lookup too).
//! * §6.1: the qualifier that ends evaluation for a sender no mechanism matches
//!   is the record's own `all`; without one, the `redirect` target's, followed.

/// RFC 7208 §4.6.4 lookup limit.
pub const MAX_LOOKUPS: i32 = 10;
/// RFC 7208 §4.6.4 void-lookup limit.
pub const MAX_VOID_LOOKUPS: i32 = 2;
/// RFC 7208 §4.6.4: address lookups per `mx` mechanism, hence MX records.
pub const MAX_MX_HOSTS: usize = 10;

/// What a resolver answers for one question, as the walk needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// RCODE 3.
    NxDomain,
    /// NOERROR, no record of the type.
    NoData,
    /// The records: TXT as their joined text (RFC 7208 §3.3), others as RDATA.
    Records(Vec<String>),
    /// SERVFAIL or no answer.
    Failed,
}

/// The DNS the walk asks: `A`, `MX` or `TXT` of a name (lowercase, no
/// trailing dot).
pub trait Resolve {
    /// The answer to `rtype name`.
    fn answer(&self, name: &str, rtype: &str) -> Answer;
}

/// What the walk over an SPF record's tree found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// DNS-querying terms counted, capped at `MAX_LOOKUPS + 1`.
    pub lookups: i32,
    /// Void lookups over every query the walk reached.
    pub voids: i32,
    /// Why the tree breaks the RFC, if it does.
    pub invalid: Option<String>,
    /// A query of the tree that failed (the result would be `error`).
    pub unresolved: Option<String>,
    /// The `all` qualifier that ends evaluation (own, else the redirect
    /// target's), as `-all`, `~all`, `?all` or `+all`.
    pub all: Option<String>,
}

/// Whether a TXT string is an SPF record (RFC 7208 §4.5: `v=spf1` then a space
/// or the end, case-insensitive).
pub fn is_spf(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// Walks `record` (a single, syntactically valid record) published at `owner`.
pub fn walk(record: &str, owner: &str, dns: &dyn Resolve) -> Walk {
    let mut w = Walker {
        dns,
        walk: Walk {
            lookups: 0,
            voids: 0,
            invalid: None,
            unresolved: None,
            all: None,
        },
        over: false,
        chain: vec![owner.to_ascii_lowercase()],
    };
    let all = w.visit(record, &owner.to_ascii_lowercase());
    w.walk.all = all;
    if w.walk.voids > MAX_VOID_LOOKUPS {
        w.walk.invalid = Some(format!(
            "more than {MAX_VOID_LOOKUPS} void lookups ({})",
            w.walk.voids
        ));
    }
    w.walk
}

/// The qualifier of the record's own first `all` (RFC 7208 §5.1), if any.
pub fn own_all(record: &str) -> Option<String> {
    record.split_ascii_whitespace().skip(1).find_map(|t| {
        let q = match t.to_ascii_lowercase().as_str() {
            "-all" => "-all",
            "~all" => "~all",
            "?all" => "?all",
            "+all" | "all" => "+all",
            _ => return None,
        };
        Some(q.to_owned())
    })
}

struct Walker<'a> {
    dns: &'a dyn Resolve,
    walk: Walk,
    over: bool,
    chain: Vec<String>,
}

impl Walker<'_> {
    fn invalid(&mut self, why: String) {
        self.walk.invalid.get_or_insert(why);
    }

    /// Counts one lookup; false once the limit is passed (the walk stops).
    fn count(&mut self) -> bool {
        if self.over {
            return false;
        }
        self.walk.lookups += 1;
        if self.walk.lookups > MAX_LOOKUPS {
            self.over = true;
            self.walk.invalid = Some("more than 10 DNS lookups".into());
            return false;
        }
        true
    }

    /// Evaluates one record published at `owner`; returns the qualifier that
    /// ends it (own `all`, else the redirect target's).
    fn visit(&mut self, record: &str, owner: &str) -> Option<String> {
        let terms: Vec<&str> = record.split_ascii_whitespace().skip(1).collect();
        let own = own_all(record);
        let redirect = terms
            .iter()
            .find_map(|t| t.strip_prefix("redirect="))
            .map(str::to_owned);
        for term in terms {
            if is_modifier(term) {
                continue;
            }
            let mech = mechanism(term);
            if mech == "all" {
                break;
            }
            if !matches!(mech, "include" | "a" | "mx" | "ptr" | "exists") {
                continue;
            }
            if !self.count() {
                return own;
            }
            let target = domain_spec(term);
            match mech {
                "include" => {
                    if let Some(target) = target {
                        self.follow(target, "include");
                    }
                }
                "a" | "mx" => {
                    let name = target.unwrap_or(owner);
                    self.host(name, if mech == "a" { "A" } else { "MX" });
                }
                _ => {}
            }
            if self.over {
                return own;
            }
        }
        if own.is_some() {
            return own;
        }
        let target = redirect?;
        if !self.count() {
            return None;
        }
        self.follow(&target, "redirect")
    }

    /// The `A` or `MX` query of an `a`/`mx` mechanism.
    fn host(&mut self, name: &str, rtype: &str) {
        if name.contains('%') {
            return;
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match self.dns.answer(&name, rtype) {
            Answer::NxDomain | Answer::NoData => self.walk.voids += 1,
            Answer::Records(r) if rtype == "MX" && r.len() > MAX_MX_HOSTS => {
                self.invalid(format!("{name} has {} MX hosts (more than 10)", r.len()));
            }
            Answer::Records(_) => {}
            Answer::Failed => {
                self.walk
                    .unresolved
                    .get_or_insert_with(|| format!("{rtype} {name} failed"));
            }
        }
    }

    /// Follows an include/redirect target; returns its ending qualifier.
    fn follow(&mut self, target: &str, kind: &str) -> Option<String> {
        if target.contains('%') {
            return None;
        }
        let target = target.trim_end_matches('.').to_ascii_lowercase();
        if self.chain.contains(&target) {
            self.invalid(format!("{kind} loop at {target}"));
            return None;
        }
        let records = match self.dns.answer(&target, "TXT") {
            Answer::Records(records) if !records.is_empty() => records,
            Answer::Failed => {
                self.walk
                    .unresolved
                    .get_or_insert_with(|| format!("TXT {target} failed"));
                return None;
            }
            _ => {
                self.walk.voids += 1;
                self.invalid(format!("{kind} target {target} has no SPF record (void)"));
                return None;
            }
        };
        let spf: Vec<&String> = records.iter().filter(|r| is_spf(r)).collect();
        match spf.as_slice() {
            [one] => {
                let one = (*one).clone();
                self.chain.push(target.clone());
                let all = self.visit(&one, &target);
                self.chain.pop();
                all
            }
            [] => {
                self.invalid(format!("{kind} target {target} has no SPF record"));
                None
            }
            _ => {
                self.invalid(format!("{kind} target {target} has several SPF records"));
                None
            }
        }
    }
}

/// `name=value` with a name of letters (RFC 7208 §4.6.1 modifier).
fn is_modifier(term: &str) -> bool {
    match term.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        }
        None => false,
    }
}

fn mechanism(term: &str) -> &str {
    let t = term.trim_start_matches(['+', '-', '~', '?']);
    let end = t.find([':', '/', '=']).unwrap_or(t.len());
    &t[..end]
}

/// The domain-spec after `:` (up to a CIDR length), if written.
fn domain_spec(term: &str) -> Option<&str> {
    let (_, rest) = term.split_once(':')?;
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&rest[..end]).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Names with their answers; anything else is NXDOMAIN.
    struct Map(HashMap<(String, &'static str), Answer>);

    impl Resolve for Map {
        fn answer(&self, name: &str, rtype: &str) -> Answer {
            let key = (name.to_owned(), rtype);
            match self.0.get(&key) {
                Some(a) => a.clone(),
                // A name that has some other type: NODATA.
                None if self.0.keys().any(|(n, _)| n == name) => Answer::NoData,
                None => Answer::NxDomain,
            }
        }
    }

    fn map(list: &[(&str, &'static str, &[&str])]) -> Map {
        Map(list
            .iter()
            .map(|(n, t, r)| {
                (
                    ((*n).to_owned(), *t),
                    Answer::Records(r.iter().map(|s| (*s).to_owned()).collect()),
                )
            })
            .collect())
    }

    fn dns() -> Map {
        let eleven: Vec<String> = (1..=11).map(|i| format!("10 mx{i}.pool.x.")).collect();
        let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
        let mut m = map(&[
            ("d.x", "A", &["127.0.0.1"]),
            ("d.x", "MX", &["10 mail.d.x."]),
            ("nomx.x", "A", &["127.0.0.1"]),
            ("inc.x", "TXT", &["v=spf1 a mx -all"]),
            ("inc.x", "A", &["127.0.0.1"]),
            ("inc.x", "MX", &["10 inc.x."]),
            ("hollow.x", "TXT", &["v=spf1 a mx -all"]),
            (
                "deep.x",
                "TXT",
                &["v=spf1 include:inc.x include:inc.x ~all"],
            ),
            ("text.x", "TXT", &["hello"]),
            ("r.x", "TXT", &["v=spf1 ptr ?all"]),
            ("rr.x", "TXT", &["v=spf1 redirect=r.x"]),
            ("pool.x", "MX", &eleven),
            ("ten.x", "MX", &eleven[..10]),
        ]);
        m.0.insert(("broken.x".into(), "TXT"), Answer::Failed);
        m
    }

    #[test]
    fn rfc7208_4_6_4_counting_table() {
        let d = dns();
        // (record at d.x, lookups, voids, invalid, all)
        let cases: &[(&str, i32, i32, bool, Option<&str>)] = &[
            ("v=spf1 -all", 0, 0, false, Some("-all")),
            (
                "v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all",
                0,
                0,
                false,
                Some("-all"),
            ),
            ("v=spf1 a mx -all", 2, 0, false, Some("-all")),
            ("v=spf1 include:inc.x -all", 3, 0, false, Some("-all")),
            // §5.1: terms after all are not reached.
            ("v=spf1 -all include:gone.x", 0, 0, false, Some("-all")),
            // §6.1: redirect ignored with all; followed without, its all applies.
            ("v=spf1 redirect=r.x -all", 0, 0, false, Some("-all")),
            ("v=spf1 mx redirect=r.x", 3, 0, false, Some("?all")),
            ("v=spf1 redirect=rr.x", 3, 0, false, Some("?all")),
            ("v=spf1 redirect=gone.x", 1, 1, true, None),
            // 1 + (1 + 2) * 2 = 7, then 2 more: 9; another include: over.
            ("v=spf1 include:deep.x a mx -all", 9, 0, false, Some("-all")),
            (
                "v=spf1 include:deep.x include:deep.x -all",
                11,
                0,
                true,
                Some("-all"),
            ),
            ("v=spf1 include:text.x -all", 1, 0, true, Some("-all")),
            ("v=spf1 include:gone.x -all", 1, 1, true, Some("-all")),
            // §4.6.4 voids at a/mx targets: hollow.x has TXT only (NODATA twice).
            ("v=spf1 include:hollow.x -all", 3, 2, false, Some("-all")),
            (
                "v=spf1 a:gone.x include:hollow.x -all",
                4,
                3,
                true,
                Some("-all"),
            ),
            (
                "v=spf1 include:hollow.x include:hollow.x -all",
                6,
                4,
                true,
                Some("-all"),
            ),
            // A bare mx targets the record's own name: nomx.x has no MX.
            ("v=spf1 mx a:nomx.x ~all", 2, 0, false, Some("~all")),
            // §4.6.4: more than 10 MX hosts behind an mx target.
            ("v=spf1 mx:pool.x -all", 1, 0, true, Some("-all")),
            ("v=spf1 mx:ten.x -all", 1, 0, false, Some("-all")),
            ("v=spf1 a:pool.x/24 -all", 1, 1, false, Some("-all")),
            // Macros: counted, never looked up.
            (
                "v=spf1 a:%{i}.gone.x exists:%{i}.x -all",
                2,
                0,
                false,
                Some("-all"),
            ),
        ];
        for (record, lookups, voids, invalid, all) in cases {
            let w = walk(record, "d.x", &d);
            assert_eq!(
                (w.lookups, w.voids, w.invalid.is_some(), w.all.as_deref()),
                (*lookups, *voids, *invalid, *all),
                "{record}: {w:?}"
            );
        }
        let w = walk("v=spf1 mx -all", "nomx.x", &d);
        assert_eq!((w.lookups, w.voids), (1, 1), "bare mx at nomx.x: {w:?}");
        let w = walk("v=spf1 include:broken.x -all", "d.x", &d);
        assert!(w.unresolved.is_some() && w.invalid.is_none(), "{w:?}");
    }

    #[test]
    fn spf_selection_rfc7208_4_5() {
        for (text, want) in [
            ("v=spf1 -all", true),
            ("V=SPF1 -all", true),
            ("v=spf1", true),
            ("v=spf10 -all", false),
            (" v=spf1 -all", false),
            ("spf1", false),
        ] {
            assert_eq!(is_spf(text), want, "{text:?}");
        }
    }

    #[test]
    fn own_all_is_the_first_all_rfc7208_5_1() {
        for (t, want) in [
            ("v=spf1 -all", Some("-all")),
            ("v=spf1 mx all", Some("+all")),
            ("v=spf1 redirect=x.mctest", None),
            ("v=spf1 ?all -all", Some("?all")),
        ] {
            assert_eq!(own_all(t).as_deref(), want, "{t}");
        }
    }
}
