//! Property tests for the SPF parser and classifier.
//!
//! * No input panics `parse`, `select`, `targets_of` or `classify`: arbitrary
//!   strings and bytes, and SPF-shaped noise (`v=spf1` plus printable ASCII).
//! * For records generated from the RFC 7208 grammar, `parse` accepts them
//!   and `parse(display(parse(s))) == parse(s)`; the normal form is a fixed
//!   point of `display ∘ parse`.

use std::collections::HashMap;
use std::sync::Arc;

use mailcensus_posture::spf::{self, AllQualifier, HostQuery, SpfLookups};
use mailcensus_posture::{Failure, Lookup, MxRecord, Outcome, Status, TxtRecord};
use proptest::prelude::*;

/// A label of a domain name (letters, digits, `-`, `_`).
fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_][a-zA-Z0-9_-]{0,9}"
}

/// A top label per RFC 7208 §7.1.
fn toplabel() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{2,6}",
        "[a-z0-9]{0,3}[a-z][a-z0-9]{0,3}",
        "[0-9]{1,3}-[a-z0-9]{1,3}"
    ]
}

fn macro_expand() -> impl Strategy<Value = String> {
    (
        "[slodiphvSLODIPHV]",
        "[0-9]{0,2}",
        any::<bool>(),
        "[.+,/_=-]{0,3}",
    )
        .prop_map(|(letter, digits, reverse, delimiters)| {
            format!(
                "%{{{letter}{digits}{}{delimiters}}}",
                if reverse { "r" } else { "" }
            )
        })
}

/// A domain-spec: optional macro parts, then labels and a top label, or a
/// trailing macro.
fn literal_domain() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(label(), 1..4),
        toplabel(),
        any::<bool>(),
    )
        .prop_map(|(labels, top, dot)| {
            format!("{}.{top}{}", labels.join("."), if dot { "." } else { "" })
        })
}

fn domain_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => literal_domain(),
        1 => (macro_expand(), literal_domain()).prop_map(|(m, l)| format!("{m}.{l}")),
        1 => (label(), macro_expand()).prop_map(|(l, m)| format!("{l}.{m}")),
        1 => macro_expand(),
        1 => (label(), prop_oneof![Just("%%"), Just("%_"), Just("%-")], toplabel())
            .prop_map(|(l, esc, top)| format!("{l}{esc}x.{top}")),
    ]
}

fn dual_cidr() -> impl Strategy<Value = String> {
    (
        proptest::option::of(0u8..=32),
        proptest::option::of(0u8..=128),
    )
        .prop_map(|(v4, v6)| {
            let mut out = String::new();
            if let Some(v4) = v4 {
                out.push_str(&format!("/{v4}"));
            }
            if let Some(v6) = v6 {
                out.push_str(&format!("//{v6}"));
            }
            out
        })
}

fn mixed_case(name: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), name.len()).prop_map(move |upper| {
        name.chars()
            .zip(upper)
            .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

fn directive() -> impl Strategy<Value = String> {
    let mechanism = prop_oneof![
        mixed_case("all"),
        (mixed_case("include"), domain_spec()).prop_map(|(n, d)| format!("{n}:{d}")),
        (
            mixed_case("a"),
            proptest::option::of(domain_spec()),
            dual_cidr()
        )
            .prop_map(|(n, d, c)| format!(
                "{n}{}{c}",
                d.map(|d| format!(":{d}")).unwrap_or_default()
            )),
        (
            mixed_case("mx"),
            proptest::option::of(domain_spec()),
            dual_cidr()
        )
            .prop_map(|(n, d, c)| format!(
                "{n}{}{c}",
                d.map(|d| format!(":{d}")).unwrap_or_default()
            )),
        (mixed_case("ptr"), proptest::option::of(domain_spec()))
            .prop_map(|(n, d)| format!("{n}{}", d.map(|d| format!(":{d}")).unwrap_or_default())),
        (any::<[u8; 4]>(), proptest::option::of(0u8..=32)).prop_map(|(ip, len)| format!(
            "ip4:{}{}",
            std::net::Ipv4Addr::from(ip),
            len.map(|l| format!("/{l}")).unwrap_or_default()
        )),
        (any::<[u8; 16]>(), proptest::option::of(0u8..=128)).prop_map(|(ip, len)| format!(
            "ip6:{}{}",
            std::net::Ipv6Addr::from(ip),
            len.map(|l| format!("/{l}")).unwrap_or_default()
        )),
        (mixed_case("exists"), domain_spec()).prop_map(|(n, d)| format!("{n}:{d}")),
    ];
    (
        prop_oneof![Just(""), Just("+"), Just("-"), Just("~"), Just("?")],
        mechanism,
    )
        .prop_map(|(q, m)| format!("{q}{m}"))
}

/// Unknown modifiers: `name=macro-string`, with any macro letter.
fn unknown_modifier() -> impl Strategy<Value = String> {
    (
        "[a-zA-Z][a-zA-Z0-9._-]{0,8}",
        proptest::collection::vec(
            prop_oneof![
                "[!-$&-~]{1,6}",
                macro_expand(),
                Just("%{c}".to_owned()),
                Just("%%".to_owned())
            ],
            0..3,
        ),
    )
        .prop_filter("not a known modifier", |(name, _)| {
            !name.eq_ignore_ascii_case("redirect") && !name.eq_ignore_ascii_case("exp")
        })
        .prop_map(|(name, value)| format!("{name}={}", value.concat()))
}

fn valid_record() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("v=spf1"), Just("V=SPF1"), Just("v=Spf1")],
        proptest::collection::vec(prop_oneof![4 => directive(), 1 => unknown_modifier()], 0..8),
        proptest::option::of(domain_spec()),
        proptest::option::of(domain_spec()),
        proptest::collection::vec(1usize..3, 10),
        any::<bool>(),
    )
        .prop_map(|(version, mut terms, redirect, exp, gaps, trailing)| {
            if let Some(r) = redirect {
                terms.push(format!("redirect={r}"));
            }
            if let Some(e) = exp {
                terms.push(format!("exp={e}"));
            }
            let mut out = version.to_owned();
            for (i, term) in terms.iter().enumerate() {
                out.push_str(&" ".repeat(gaps.get(i % gaps.len()).copied().unwrap_or(1)));
                out.push_str(term);
            }
            if trailing {
                out.push(' ');
            }
            out
        })
}

fn lookup_of(records: Vec<String>, outcome: u8) -> Lookup<TxtRecord> {
    match outcome % 5 {
        0 => Lookup::NxDomain,
        1 => Lookup::Failed(Failure::Timeout),
        _ => Lookup::from_records(records.into_iter().map(TxtRecord::single).collect()),
    }
}

/// SPF-shaped noise that points at a few shared names, so includes,
/// redirects and loops among them happen often.
fn noisy_record() -> impl Strategy<Value = String> {
    let term = prop_oneof![
        Just("include:a.example".to_owned()),
        Just("include:b.example".to_owned()),
        Just("redirect=c.example".to_owned()),
        Just("redirect=a.example".to_owned()),
        Just("mx".to_owned()),
        Just("a".to_owned()),
        Just("a:a.example".to_owned()),
        Just("mx:b.example".to_owned()),
        Just("-all".to_owned()),
        "[ -~]{0,12}",
    ];
    (
        prop_oneof![
            Just("v=spf1".to_owned()),
            Just("v=spf1 ".to_owned()),
            "[ -~]{0,8}"
        ],
        proptest::collection::vec(term, 0..14),
    )
        .prop_map(|(v, terms)| format!("{v} {}", terms.join(" ")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        let _ = spf::parse(&s);
        let _ = spf::parse(&format!("v=spf1 {s}"));
    }

    #[test]
    fn parse_never_panics_on_spf_shaped_noise(s in "v=spf1( [!-~]{0,16}){0,10}") {
        if let Ok(record) = spf::parse(&s) {
            // Whatever parses has a normal form that parses to the same value.
            prop_assert_eq!(spf::parse(&record.to_string()), Ok(record));
        }
    }

    #[test]
    fn selection_and_targets_never_panic_on_bytes(
        strings in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4),
    ) {
        let record = TxtRecord { strings };
        let _ = spf::select(std::slice::from_ref(&record));
        let lookup = Lookup::Records(vec![record]);
        let _ = spf::targets_of(&lookup);
        let _ = spf::host_queries_of("example.com", &lookup);
        let (txt, a, mx) = (HashMap::new(), HashMap::new(), HashMap::new());
        let _ = spf::classify("example.com", &lookup, SpfLookups { txt: &txt, a: &a, mx: &mx });
    }

    #[test]
    fn classify_never_panics_on_any_tree(
        apex in proptest::collection::vec(noisy_record(), 0..3),
        a in proptest::collection::vec(noisy_record(), 0..3),
        b in proptest::collection::vec(noisy_record(), 0..3),
        c in proptest::collection::vec(noisy_record(), 0..3),
        outcomes in any::<[u8; 3]>(),
        drop_b in any::<bool>(),
        hosts in proptest::collection::vec(any::<u8>(), 1..8),
    ) {
        let apex = Lookup::from_records(apex.into_iter().map(TxtRecord::single).collect());
        let mut targets = HashMap::new();
        targets.insert("a.example".to_owned(), Arc::new(lookup_of(a, outcomes[0])));
        if !drop_b {
            targets.insert("b.example".to_owned(), Arc::new(lookup_of(b, outcomes[1])));
        }
        targets.insert("c.example".to_owned(), Arc::new(lookup_of(c, outcomes[2])));
        // A and MX of every a/mx target, as the engine gathers them, with
        // outcomes drawn from `hosts`.
        let mut a_outcomes = HashMap::new();
        let mut mx_lookups = HashMap::new();
        let owners = std::iter::once(("example.com".to_owned(), &apex))
            .chain(targets.iter().map(|(name, lookup)| (name.clone(), lookup.as_ref())));
        for (i, query) in owners
            .flat_map(|(owner, lookup)| spf::host_queries_of(&owner, lookup))
            .enumerate()
        {
            let pick = hosts[i % hosts.len()];
            match query {
                HostQuery::A(name) => {
                    let outcome = match pick % 4 {
                        0 => Outcome::NxDomain,
                        1 => Outcome::NoData,
                        2 => Outcome::Failed(Failure::ServFail),
                        _ => Outcome::Answer,
                    };
                    a_outcomes.entry(name).or_insert(outcome);
                }
                HostQuery::Mx(name) => {
                    let lookup = match pick % 4 {
                        0 => Lookup::NxDomain,
                        1 => Lookup::Failed(Failure::Timeout),
                        n => Lookup::from_records(
                            (0..usize::from(pick / 4 % 13) + usize::from(n == 2))
                                .map(|i| MxRecord { preference: 0, exchange: format!("mx{i}.example") })
                                .collect(),
                        ),
                    };
                    mx_lookups.entry(name).or_insert(Arc::new(lookup));
                }
            }
        }
        let lookups = SpfLookups { txt: &targets, a: &a_outcomes, mx: &mx_lookups };
        let posture = spf::classify("example.com", &apex, lookups);
        // Counts are never beyond the first lookup past the limit.
        prop_assert!(posture.lookups.unwrap_or(0) <= spf::MAX_LOOKUPS + 1);
        // RFC 7208 §4.6.4: a valid record stays within both limits, and a
        // count is reported exactly when the status is not error.
        if posture.status == Status::Valid {
            prop_assert!(posture.lookups.unwrap_or(99) <= spf::MAX_LOOKUPS);
            prop_assert!(posture.void_lookups.unwrap_or(99) <= spf::MAX_VOID_LOOKUPS);
        }
        let counted = matches!(posture.status, Status::Valid | Status::Invalid) && posture.record.is_some();
        prop_assert_eq!(posture.void_lookups.is_some(), counted && posture.lookups.is_some());
        // §6.1: a record's own `all` is its `spf_all`, redirect or not.
        if let Some(record) = posture.record.as_deref().and_then(|r| spf::parse(r).ok())
            && let Some(own) = record.all()
        {
            prop_assert_eq!(posture.all.map(|q| q.label()), Some(AllQualifier::from(own).label()));
        }
    }

    #[test]
    fn generated_valid_records_parse_and_round_trip(s in valid_record()) {
        let parsed = match spf::parse(&s) {
            Ok(parsed) => parsed,
            Err(err) => return Err(TestCaseError::fail(format!("{s:?}: {err}"))),
        };
        let normal = parsed.to_string();
        prop_assert_eq!(spf::parse(&normal), Ok(parsed), "{:?} → {:?}", s, normal);
        // The normal form is a fixed point.
        prop_assert_eq!(spf::parse(&normal).map(|r| r.to_string()), Ok(normal));
    }
}
