//! The SPF processing limits of the records the generator plants, counted
//! straight from RFC 7208 (not with the posture crate, so that the end-to-end
//! test compares two independent readings of the same records).
//!
//! Only the small subset of SPF the generator writes is understood: space
//! separated terms, `include:`/`redirect=` targets without macros.
//!
//! * §4.6.4: `include`, `a`, `mx`, `ptr`, `exists` and `redirect` each cost one
//!   DNS lookup; `all`, `ip4`, `ip6`, `exp` cost none; more than 10 is a
//!   permerror. Evaluation aborts at the 11th, so that is the count reported.
//! * §5.1: terms after `all` are never reached; §6.1: `redirect` is ignored
//!   when the record has an `all`.
//! * §4.6.4: an include/redirect target answering NXDOMAIN or NODATA is a void
//!   lookup; §5.2 / §6.1: an include or redirect target without an SPF record
//!   is a permerror.

use std::collections::HashMap;

/// RFC 7208 §4.6.4 lookup limit.
pub const MAX_LOOKUPS: i32 = 10;

/// What the walk over an SPF record's include/redirect tree found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// DNS-querying terms counted, capped at `MAX_LOOKUPS + 1`.
    pub lookups: i32,
    /// Targets that answered NXDOMAIN or NODATA.
    pub voids: i32,
    /// Why the tree breaks the RFC, if it does.
    pub invalid: Option<String>,
}

/// The TXT RRsets of include/redirect targets: `None` = NXDOMAIN.
pub type Targets = HashMap<String, Option<Vec<String>>>;

/// Whether a TXT string is an SPF record (RFC 7208 §4.5: `v=spf1` then a space
/// or the end, case-insensitive).
pub fn is_spf(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// Walks `record` (a single, syntactically valid record).
pub fn walk(record: &str, targets: &Targets) -> Walk {
    let mut w = Walk {
        lookups: 0,
        voids: 0,
        invalid: None,
    };
    let mut chain = Vec::new();
    let mut over = false;
    visit(record, targets, &mut w, &mut chain, &mut over);
    w
}

fn count(w: &mut Walk, over: &mut bool) -> bool {
    if *over {
        return false;
    }
    w.lookups += 1;
    if w.lookups > MAX_LOOKUPS {
        *over = true;
        w.invalid = Some("more than 10 DNS lookups".into());
        return false;
    }
    true
}

fn visit(record: &str, targets: &Targets, w: &mut Walk, chain: &mut Vec<String>, over: &mut bool) {
    let terms: Vec<&str> = record.split_ascii_whitespace().skip(1).collect();
    let has_all = terms.iter().any(|t| mechanism(t) == "all");
    let mut redirect = None;
    for term in terms {
        if let Some(target) = term.strip_prefix("redirect=") {
            redirect = Some(target.to_owned());
            continue;
        }
        let mech = mechanism(term);
        if mech == "all" {
            break;
        }
        if matches!(mech, "include" | "a" | "mx" | "ptr" | "exists") {
            if !count(w, over) {
                return;
            }
            if mech == "include"
                && let Some((_, target)) = term.split_once(':')
            {
                follow(target, targets, w, chain, over);
                if *over {
                    return;
                }
            }
        }
    }
    if let (false, Some(target)) = (has_all, redirect) {
        if !count(w, over) {
            return;
        }
        follow(&target, targets, w, chain, over);
    }
}

fn mechanism(term: &str) -> &str {
    let t = term.trim_start_matches(['+', '-', '~', '?']);
    let end = t.find([':', '/', '=']).unwrap_or(t.len());
    &t[..end]
}

fn follow(target: &str, targets: &Targets, w: &mut Walk, chain: &mut Vec<String>, over: &mut bool) {
    let target = target.trim_end_matches('.').to_ascii_lowercase();
    if chain.contains(&target) {
        w.invalid.get_or_insert_with(|| format!("loop at {target}"));
        return;
    }
    let records = match targets.get(&target) {
        Some(Some(records)) if !records.is_empty() => records,
        _ => {
            w.voids += 1;
            w.invalid
                .get_or_insert_with(|| format!("{target} has no SPF record (void)"));
            return;
        }
    };
    let spf: Vec<&String> = records.iter().filter(|r| is_spf(r)).collect();
    match spf.as_slice() {
        [one] => {
            chain.push(target);
            visit(one, targets, w, chain, over);
            chain.pop();
        }
        [] => {
            w.invalid
                .get_or_insert_with(|| format!("{target} has no SPF record"));
        }
        _ => {
            w.invalid
                .get_or_insert_with(|| format!("{target} has several SPF records"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(list: &[(&str, Option<&[&str]>)]) -> Targets {
        list.iter()
            .map(|(n, r)| {
                (
                    (*n).to_owned(),
                    r.map(|r| r.iter().map(|s| (*s).to_owned()).collect()),
                )
            })
            .collect()
    }

    #[test]
    fn rfc7208_4_6_4_counting_table() {
        let t = targets(&[
            ("inc.x", Some(&["v=spf1 a mx -all"])),
            ("deep.x", Some(&["v=spf1 include:inc.x include:inc.x ~all"])),
            ("text.x", Some(&["hello"])),
            ("gone.x", None),
            ("r.x", Some(&["v=spf1 ptr ?all"])),
        ]);
        let cases: &[(&str, i32, i32, bool)] = &[
            ("v=spf1 -all", 0, 0, false),
            ("v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all", 0, 0, false),
            ("v=spf1 a mx -all", 2, 0, false),
            ("v=spf1 include:inc.x -all", 3, 0, false),
            // §5.1: terms after all are not reached.
            ("v=spf1 -all include:inc.x", 0, 0, false),
            // §6.1: redirect ignored with all; followed without.
            ("v=spf1 redirect=r.x -all", 0, 0, false),
            ("v=spf1 mx redirect=r.x", 3, 0, false),
            // 1 + (1 + 2) * 2 = 7, then 2 more: 9; another include: over.
            ("v=spf1 include:deep.x a mx -all", 9, 0, false),
            ("v=spf1 include:deep.x include:deep.x -all", 11, 0, true),
            ("v=spf1 include:text.x -all", 1, 0, true),
            ("v=spf1 include:gone.x -all", 1, 1, true),
        ];
        for (record, lookups, voids, invalid) in cases {
            let w = walk(record, &t);
            assert_eq!(
                (w.lookups, w.voids, w.invalid.is_some()),
                (*lookups, *voids, *invalid),
                "{record}: {w:?}"
            );
        }
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
}
