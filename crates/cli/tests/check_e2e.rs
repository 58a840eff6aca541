//! `mailcensus check` end to end, through Unbound (validating) in front of
//! Knot serving the committed sample universe (`datasets/sample`):
//!
//! * for a stratified subset of the universe (one domain per distinct
//!   combination of the categorical columns the manifest counts, a few
//!   hundred domains), `check --format json` equals, column by column, the
//!   row `mailcensus scan` wrote for the same names (`scan_id`,
//!   `scanned_at`, `queries` and `elapsed_ms` aside), read back from its
//!   Parquet through the store's contract;
//! * the text of characteristic domains equals the golden files of
//!   `testdata/check/` (regenerate with `MAILCENSUS_UPDATE_GOLDEN=1`);
//! * exit codes 0 and 1, and one domain answered well under a second.
//!
//! One testbed serves every part (starting Knot with ~10k zones takes
//! seconds). The subset comes from the planted ground truth, so it covers
//! every combination whatever the classifiers say.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::parquet_rows::{read_rows, rows_by_domain};
use mailcensus_posture::findings::Code;
use mailcensus_store::schema::{
    COLUMNS, COUNTED_COLUMNS, ELAPSED_MS, QUERIES, SCAN_ID, SCANNED_AT,
};
use mailcensus_testbed::detached;
use mailcensus_testbed::universe::read_truth;
use serde_json::{Map, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/check")
}

/// Characteristic sample domains whose text output is pinned.
const GOLDEN: [(&str, &str); 11] = [
    ("parked", "barwonkux.mctest"),
    (
        "over the SPF lookup limit, void lookups",
        "bairnalzut983.mctest",
    ),
    ("DNSSEC bogus (signature expired)", "cugri.mctest"),
    ("DMARC phased rollout with pct", "beexkoomwen.mctest"),
    ("external rua not authorised, BIMI", "belpes.mctest"),
    (
        "malformed DMARC tag, DNSSEC and DANE valid",
        "bimnit-paisvu.mctest",
    ),
    ("null MX, not parked", "barbruslin.mctest"),
    ("+all", "benbroor.mctest"),
    ("does not exist", "beestrun.mctest"),
    ("TLSA without DNSSEC", "baiklailstil377.mctest"),
    ("DKIM hint unknown (wildcard)", "baittul-camux.mctest"),
];

/// The detached testbed of `mailcensus-testbed start`, stopped on drop.
struct Testbed {
    state: tempfile::TempDir,
    resolver: String,
}

impl Testbed {
    fn start_sample() -> Testbed {
        let state = tempfile::tempdir().unwrap();
        let started = detached::start(
            &repo().join("datasets/sample"),
            state.path(),
            &detached::Settings::default(),
        )
        .unwrap_or_else(|err| {
            panic!("the testbed did not start (run scripts/install-deps.sh?): {err}")
        });
        let running = match started {
            detached::Started::Up(running) | detached::Started::AlreadyRunning(running) => running,
        };
        Testbed {
            resolver: running.unbound.to_string(),
            state,
        }
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        let _ = detached::stop(self.state.path());
    }
}

fn check(bed: &Testbed, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .arg("check")
        .args(args)
        .args(["--resolver", &bed.resolver])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The planted rows, keyed by domain.
fn truth() -> BTreeMap<String, Map<String, Value>> {
    read_truth(&repo().join("datasets/sample/truth.jsonl.gz"))
        .unwrap()
        .into_iter()
        .map(|t| {
            let Value::Object(row) = serde_json::to_value(&t).unwrap() else {
                panic!("truth rows are objects")
            };
            (t.domain, row)
        })
        .collect()
}

/// One domain (the first by name) per distinct combination of the counted
/// categorical columns, plus the golden ones.
fn stratified(truth: &BTreeMap<String, Map<String, Value>>) -> Vec<String> {
    let mut by_key: BTreeMap<String, String> = BTreeMap::new();
    for (domain, row) in truth {
        let key: Vec<String> = COUNTED_COLUMNS
            .iter()
            .map(|c| row.get(c.name).unwrap_or(&Value::Null).to_string())
            .collect();
        by_key
            .entry(key.join("|"))
            .or_insert_with(|| domain.clone());
    }
    let mut domains: Vec<String> = by_key.into_values().collect();
    for (_, domain) in GOLDEN {
        if !domains.iter().any(|d| d == domain) {
            domains.push(domain.to_owned());
        }
    }
    domains
}

/// `scan` of the domains as a list, its rows read back from Parquet.
fn scan_rows(bed: &Testbed, domains: &[String]) -> BTreeMap<String, Map<String, Value>> {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("subset.txt");
    std::fs::write(&list, domains.join("\n") + "\n").unwrap();
    let out_dir = tmp.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .arg("scan")
        .arg(&list)
        .args(["--resolver", &bed.resolver])
        .arg("--out")
        .arg(&out_dir)
        .args(["--scan-date", "2026-11-23"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "scan failed: {status}");
    rows_by_domain(read_rows(&out_dir))
}

fn compare_with_scan(bed: &Testbed, domains: &[String]) {
    let rows = scan_rows(bed, domains);
    assert_eq!(rows.len(), domains.len());
    let out = check(
        bed,
        &["-", "--format", "json"],
        &(domains.join("\n") + "\n"),
    );
    // The subset holds lame and bogus domains: some probe ended in `error`.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), domains.len());
    let aside = [SCAN_ID.name, SCANNED_AT.name, QUERIES.name, ELAPSED_MS.name];
    let mut keys: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    keys.push("findings");
    let mut mismatches = Vec::new();
    for (line, domain) in lines.iter().zip(domains) {
        let object: Map<String, Value> = serde_json::from_str(line).unwrap();
        // Keys: the contract's, in file order, then `findings`.
        let order: Vec<usize> = keys
            .iter()
            .map(|k| line.find(&format!("\"{k}\":")).unwrap_or(usize::MAX))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "key order: {line}");
        assert_eq!(object.len(), keys.len(), "{line}");
        assert_eq!(object["domain"], Value::from(domain.as_str()));
        let scanned = &rows[domain];
        for column in COLUMNS.iter().filter(|c| !aside.contains(&c.name)) {
            let (got, want) = (&object[column.name], &scanned[column.name]);
            if got != want {
                mismatches.push(format!("{domain}.{column}: check {got}, scan {want}"));
            }
        }
        for finding in object["findings"].as_array().unwrap() {
            let finding = finding.as_object().unwrap();
            let fields: Vec<&str> = finding.keys().map(String::as_str).collect();
            assert_eq!(fields, ["code", "message", "protocol", "rfc", "severity"]);
            let code = Code::ALL
                .iter()
                .find(|c| c.label() == finding["code"])
                .unwrap_or_else(|| panic!("unknown code in {line}"));
            assert_eq!(finding["protocol"], code.protocol().label());
            assert_eq!(finding["severity"], code.severity().label());
            assert_eq!(finding["rfc"], code.rfc());
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches between check and scan, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}

fn golden(bed: &Testbed) {
    let update = std::env::var_os("MAILCENSUS_UPDATE_GOLDEN").is_some();
    std::fs::create_dir_all(golden_dir()).unwrap();
    let mut stale = Vec::new();
    for (what, domain) in GOLDEN {
        let out = check(bed, &[domain, "--format", "text", "--color", "never"], "");
        let text = String::from_utf8(out.stdout).unwrap();
        let path = golden_dir().join(format!("{domain}.txt"));
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if text != want {
            stale.push(format!(
                "{what} ({domain}) differs from {}:\n{text}",
                path.display()
            ));
        }
        assert!(
            !text.contains('\u{1b}'),
            "{domain}: colour with --color never"
        );
    }
    assert!(
        stale.is_empty(),
        "{}\n(run with MAILCENSUS_UPDATE_GOLDEN=1 to regenerate after an intended change)",
        stale.join("\n")
    );
}

fn exit_codes_and_speed(bed: &Testbed, truth: &BTreeMap<String, Map<String, Value>>) {
    // A clean domain: 0. A lame one: 1.
    let out = check(bed, &["barwonkux.mctest", "--format", "json"], "");
    assert_eq!(out.status.code(), Some(0));
    let lame = truth
        .iter()
        .find(|(_, row)| row["resolution"] == "error" && row["dnssec_status"] == "error")
        .map(|(d, _)| d.clone())
        .unwrap();
    // Short timeouts: a lame delegation fails either way, sooner.
    let out = check(
        bed,
        &[
            &lame,
            "--format",
            "json",
            "--timeout-ms",
            "300",
            "--retries",
            "1",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{lame}");
    // One domain Unbound has not seen yet, process start included.
    let fresh = truth
        .iter()
        .rev()
        .find(|(_, row)| row["resolution"] == "ok" && row["spf_lookups"].as_i64() > Some(3))
        .map(|(d, _)| d.clone())
        .unwrap();
    let started = Instant::now();
    let out = check(bed, &[&fresh, "--format", "text"], "");
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{fresh}");
    eprintln!("check {fresh}: {elapsed:?}");
    assert!(elapsed < Duration::from_millis(900), "{fresh}: {elapsed:?}");
}

#[test]
fn check_equals_the_scan_row_and_explains_characteristic_domains() {
    let bed = Testbed::start_sample();
    let truth = truth();
    exit_codes_and_speed(&bed, &truth);
    golden(&bed);
    let subset = stratified(&truth);
    assert!(
        (200..1000).contains(&subset.len()),
        "{} domains",
        subset.len()
    );
    compare_with_scan(&bed, &subset);
}
