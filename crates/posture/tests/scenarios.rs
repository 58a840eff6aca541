//! Scenario files under `testdata/<protocol>/`: one case per line, the
//! expected status first, then the records, tab-separated. Comments (`#`) cite
//! the RFC section each block exercises.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use std::collections::HashMap;
use std::path::PathBuf;

use mailcensus_posture::{Lookup, MxRecord, TxtRecord, bimi, dmarc, mta_sts, mx, tlsrpt};

struct Case {
    line: usize,
    expected: String,
    fields: Vec<String>,
}

fn cases(protocol: &str) -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(protocol)
        .join("records.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let cases: Vec<Case> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let mut fields = line.split('\t').map(str::to_owned);
            let expected = fields.next().unwrap_or_default();
            Case {
                line: index + 1,
                expected,
                fields: fields.collect(),
            }
        })
        .collect();
    assert!(cases.len() >= 5, "{path:?} has too few cases");
    cases
}

fn txt(records: &[String]) -> Lookup<TxtRecord> {
    Lookup::from_records(
        records
            .iter()
            .map(|r| TxtRecord::single(r.as_str()))
            .collect(),
    )
}

fn check(protocol: &str, classify: impl Fn(&Case) -> String) {
    let mut failures = Vec::new();
    let all = cases(protocol);
    for case in &all {
        let got = classify(case);
        if got != case.expected {
            failures.push(format!(
                "line {}: {:?} expected {} got {got}",
                case.line, case.fields, case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{protocol}:\n{}", failures.join("\n"));
    eprintln!("{protocol}: {} scenarios", all.len());
}

#[test]
fn dmarc_scenarios() {
    check("dmarc", |case| {
        dmarc::classify("example.com", &txt(&case.fields), &HashMap::new())
            .status
            .label()
            .to_owned()
    });
}

#[test]
fn bimi_scenarios() {
    check("bimi", |case| {
        bimi::classify(&txt(&case.fields)).status.label().to_owned()
    });
}

#[test]
fn mta_sts_scenarios() {
    check("mta_sts", |case| {
        mta_sts::classify(&txt(&case.fields)).label().to_owned()
    });
}

#[test]
fn tlsrpt_scenarios() {
    check("tlsrpt", |case| {
        tlsrpt::classify(&txt(&case.fields)).label().to_owned()
    });
}

#[test]
fn mx_scenarios() {
    check("mx", |case| {
        let [hosts, records] = case.fields.as_slice() else {
            return format!("malformed scenario line {}", case.line);
        };
        let records: Vec<MxRecord> = records
            .split(',')
            .map(|item| {
                let (preference, exchange) = item.trim().split_once(' ').unwrap();
                MxRecord {
                    preference: preference.parse().unwrap(),
                    exchange: exchange.to_owned(),
                }
            })
            .collect();
        let got = mx::classify(&Lookup::from_records(records));
        let want_hosts: Vec<&str> = hosts.split(',').filter(|h| !h.is_empty()).collect();
        if got.hosts != want_hosts {
            return format!("hosts {:?}", got.hosts);
        }
        got.status.label().to_owned()
    });
}
