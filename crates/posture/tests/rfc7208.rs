//! The RFC 7208 conformance suite (openspf / pyspf `rfc7208-tests.yml`, BSD
//! licence, in `testdata/rfc7208/`) driven through the census classifier.
//!
//! For each test, the evidence is built from the test's `zonedata` the way
//! the engine would: the TXT RRset of the mailfrom domain (the HELO name when
//! mailfrom is empty), then, breadth first, the TXT RRset of every target
//! [`spf::targets_of`] names. The suite's conventions (as pyspf's driver
//! applies them): `SPF` records stand in for `TXT` records at a name with no
//! `TXT` entry at all; `TXT: NONE` means the name has no TXT; `TIMEOUT`
//! before any TXT record makes the TXT query time out; a name not in the zone
//! is NXDOMAIN; CNAMEs are followed.
//!
//! The suite tests a full `check_host()`; a census checks what holds for
//! every sender. Expected results map to `spf_status` as follows:
//! * `permerror` (record selection, syntax, processing limits) → `invalid`;
//! * `none` → `absent`;
//! * `temperror` → `error`;
//! * `pass`, `fail`, `softfail`, `neutral` → `valid`: the record is sound,
//!   and the result only depends on the sender's IP;
//! * a list of results accepts any of their mappings.
//!
//! [`EXCEPTIONS`] lists the tests where the suite's result comes from
//! evaluation against a particular sender and the census must answer
//! differently, each with its reason; [`SKIPPED`] lists tests the census
//! cannot decide at all. Both lists are asserted to be exactly the set of
//! tests that need them, so neither can hide a regression.

use std::collections::{BTreeMap, HashMap, VecDeque};

use mailcensus_posture::spf::{self, SpfPosture};
use mailcensus_posture::{Failure, Lookup, Status, TxtRecord};
use serde::Deserialize;
use serde_yaml::Value;

const SUITE: &str = include_str!("../testdata/rfc7208/rfc7208-tests.yml");

/// Tests whose expected census status differs from the mapping of the
/// suite's result, with the expected status and the reason.
const EXCEPTIONS: &[(&str, Status, &str)] = &[
    (
        "include-at-limit",
        Status::Invalid,
        "the census counts the worst case: `a include:inc(8 × a) mx` is 11 lookups; \
         the suite's sender matches the first `a`, so evaluation stops at 1",
    ),
    (
        "exists-dnserr",
        Status::Valid,
        "the suite's temperror is the A lookup of the `exists:` target timing out \
         during evaluation; the census does not make mechanism lookups, and the \
         record itself is sound",
    ),
];

/// Tests the census cannot decide, with the reason.
const SKIPPED: &[(&str, &str)] = &[
    (
        "mx-limit",
        "permerror because the `mx` target's MX RRset has more than 10 hosts \
         (§4.6.4); the classifier is given TXT evidence only, not the MX RRsets \
         of mechanism targets (sender-independent, so a possible extension)",
    ),
    (
        "void-over-limit",
        "void lookups from `a:` targets: the census resolves only include/redirect \
         targets, not A/MX records of mechanism targets (sender-independent, so a \
         possible extension)",
    ),
];

#[derive(Debug, Deserialize)]
struct Scenario {
    description: String,
    #[serde(default)]
    tests: BTreeMap<String, TestCase>,
    #[serde(default)]
    zonedata: BTreeMap<String, Vec<Value>>,
}

#[derive(Debug, Deserialize)]
struct TestCase {
    #[serde(default)]
    helo: Value,
    #[serde(default)]
    mailfrom: Value,
    result: Value,
}

/// One RR of the zone, as the suite writes it.
#[derive(Debug, Clone)]
enum Rr {
    Timeout,
    Txt(Option<Vec<String>>),
    Spf(Vec<String>),
    Cname(String),
    Other,
}

struct Zone {
    names: HashMap<String, Vec<Rr>>,
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    }
}

fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Zone {
    fn new(data: &BTreeMap<String, Vec<Value>>) -> Self {
        let mut names = HashMap::new();
        for (name, rrs) in data {
            let parsed = rrs
                .iter()
                .map(|rr| match rr {
                    Value::String(s) if s == "TIMEOUT" => Rr::Timeout,
                    Value::Mapping(map) => match map.iter().next() {
                        Some((Value::String(kind), value)) => match kind.as_str() {
                            "TXT" if scalar(value) == "NONE" => Rr::Txt(None),
                            "TXT" => Rr::Txt(Some(strings(value))),
                            "SPF" => Rr::Spf(strings(value)),
                            "CNAME" => Rr::Cname(normalise(&scalar(value))),
                            _ => Rr::Other,
                        },
                        _ => Rr::Other,
                    },
                    _ => Rr::Other,
                })
                .collect();
            names.insert(normalise(name), parsed);
        }
        Zone { names }
    }

    /// The TXT lookup of `name`, with the suite's conventions (module docs).
    fn txt(&self, name: &str) -> Lookup<TxtRecord> {
        let mut name = normalise(name);
        for _ in 0..8 {
            let Some(rrs) = self.names.get(&name) else {
                return Lookup::NxDomain;
            };
            if let Some(target) = rrs.iter().find_map(|rr| match rr {
                Rr::Cname(target) => Some(target.clone()),
                _ => None,
            }) {
                name = target;
                continue;
            }
            let has_txt = rrs.iter().any(|rr| matches!(rr, Rr::Txt(_)));
            let mut records = Vec::new();
            for rr in rrs {
                match rr {
                    Rr::Timeout if records.is_empty() => return Lookup::Failed(Failure::Timeout),
                    Rr::Txt(Some(strings)) => {
                        records.push(TxtRecord::from_strings(strings.clone()))
                    }
                    _ => {}
                }
            }
            if !has_txt {
                records.extend(rrs.iter().filter_map(|rr| match rr {
                    Rr::Spf(strings) => Some(TxtRecord::from_strings(strings.clone())),
                    _ => None,
                }));
                if records.is_empty() && rrs.iter().any(|rr| matches!(rr, Rr::Timeout)) {
                    return Lookup::Failed(Failure::Timeout);
                }
            }
            return Lookup::from_records(records);
        }
        // A CNAME chain too long or looping: the resolver would SERVFAIL.
        Lookup::Failed(Failure::ServFail)
    }
}

/// Gathers evidence the way the engine does, then classifies.
fn classify_in(zone: &Zone, domain: &str) -> SpfPosture {
    let apex = zone.txt(domain);
    let mut targets: HashMap<String, Lookup<TxtRecord>> = HashMap::new();
    let mut queue: VecDeque<String> = spf::targets_of(&apex).into();
    while let Some(name) = queue.pop_front() {
        if targets.contains_key(&name) || targets.len() >= 100 {
            continue;
        }
        let lookup = zone.txt(&name);
        queue.extend(spf::targets_of(&lookup));
        targets.insert(name, lookup);
    }
    spf::classify(&apex, &targets)
}

fn expected_statuses(result: &Value) -> Vec<Status> {
    strings(result)
        .iter()
        .map(|r| match r.as_str() {
            "permerror" => Status::Invalid,
            "none" => Status::Absent,
            "temperror" => Status::Error,
            _ => Status::Valid,
        })
        .collect()
}

#[test]
fn rfc7208_suite() {
    let mut run = 0;
    let mut passed = 0;
    let mut skipped = Vec::new();
    let mut excepted = Vec::new();
    let mut failures = Vec::new();
    let mut by_result: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for document in serde_yaml::Deserializer::from_str(SUITE) {
        let scenario = Scenario::deserialize(document).expect("suite document");
        let zone = Zone::new(&scenario.zonedata);
        for (name, test) in &scenario.tests {
            if let Some((_, reason)) = SKIPPED.iter().find(|(n, _)| n == name) {
                skipped.push(format!("{name}: {reason}"));
                continue;
            }
            run += 1;
            let mailfrom = scalar(&test.mailfrom);
            let domain = match mailfrom.rsplit_once('@') {
                Some((_, domain)) => domain.to_owned(),
                None if mailfrom.is_empty() => scalar(&test.helo),
                None => mailfrom.clone(),
            };
            let posture = classify_in(&zone, &domain);
            let want = match EXCEPTIONS.iter().find(|(n, _, _)| n == name) {
                Some((_, status, _)) => {
                    excepted.push(name.clone());
                    vec![*status]
                }
                None => expected_statuses(&test.result),
            };
            let key = strings(&test.result).join("|");
            let entry = by_result.entry(key).or_default();
            entry.0 += 1;
            if std::env::var_os("RFC7208_VERBOSE").is_some() {
                println!(
                    "  {name:<32} {:<22} {:<8} {}",
                    strings(&test.result).join("|"),
                    posture.status,
                    posture.error.as_deref().unwrap_or("")
                );
            }
            if want.contains(&posture.status) {
                passed += 1;
                entry.1 += 1;
            } else {
                failures.push(format!(
                    "[{}] {name} ({domain}): suite {:?} → want {:?}, got {} ({:?}, record {:?})",
                    scenario.description,
                    strings(&test.result),
                    want,
                    posture.status,
                    posture.error,
                    posture.record,
                ));
            }
        }
    }
    println!(
        "RFC 7208 suite: {run} run, {passed} passed ({} of them by a listed exception), {} skipped",
        excepted.len(),
        skipped.len()
    );
    for (result, (total, ok)) in &by_result {
        println!("  suite result {result:<22} {ok}/{total}");
    }
    for s in &skipped {
        println!("  skipped {s}");
    }
    for (name, status, reason) in EXCEPTIONS {
        println!("  exception {name} → {status}: {reason}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        excepted.len(),
        EXCEPTIONS.len(),
        "every exception names a test"
    );
    assert_eq!(skipped.len(), SKIPPED.len(), "every skip names a test");
    assert_eq!(run + skipped.len(), 203, "the suite's test count changed");
    assert_eq!(passed, run);
}
