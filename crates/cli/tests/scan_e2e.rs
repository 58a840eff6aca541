//! `mailcensus scan` end to end, through Unbound (validating) in front of Knot
//! serving the committed sample universe (`datasets/sample`, 10,000 domains):
//!
//! * a clean scan reproduces the planted ground truth for every domain and
//!   every contract column, and its summary percentages equal the planted ones;
//! * scans killed with SIGKILL at random points and continued with `--resume`
//!   end with the same rows: no domain missing, none written twice.
//!
//! Both run against one testbed (starting Knot with ~10k zones takes seconds).
//! The ground truth comes from the generator's plan, never from the posture
//! classifiers, so this test can fail.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::parquet_rows::{part_files, read_rows, rows_by_domain};
use mailcensus_testbed::universe::read_truth;
use serde_json::{Map, Value};

const SCAN_DATE: &str = "2026-11-23";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The loopback testbed started by `scripts/testbed.sh`, stopped on drop.
struct Testbed {
    state: tempfile::TempDir,
    resolver: String,
}

impl Testbed {
    fn start_sample() -> Testbed {
        let state = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(repo().join("scripts/testbed.sh"))
            .arg("start")
            .arg(repo().join("datasets/sample"))
            .arg(state.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the testbed did not start (run scripts/install-deps.sh?):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let resolver = std::fs::read_to_string(state.path().join("unbound.addr"))
            .unwrap()
            .trim()
            .to_string();
        Testbed { state, resolver }
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/testbed.sh"))
            .arg("stop")
            .arg(self.state.path())
            .output();
    }
}

fn scan_command(bed: &Testbed, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailcensus"));
    cmd.arg("scan")
        .arg(repo().join("datasets/sample/dump.zone"))
        .args(["--resolver", &bed.resolver])
        .arg("--out")
        .arg(out)
        .args(["--scan-date", SCAN_DATE])
        .args(extra)
        .stdin(Stdio::null());
    cmd
}

/// The planted value of every column, keyed by domain.
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

/// Every column of every planted domain must be as planted; error texts are not
/// planted (null in the truth) and are compared only where the truth has one.
fn assert_matches_truth(
    rows: &BTreeMap<String, Map<String, Value>>,
    truth: &BTreeMap<String, Map<String, Value>>,
) {
    let mut mismatches = Vec::new();
    for (domain, planted) in truth {
        let Some(row) = rows.get(domain) else {
            mismatches.push(format!("{domain}: no row"));
            continue;
        };
        for (column, want) in planted {
            if want.is_null() && column.ends_with("_error") {
                continue;
            }
            let got = row.get(column).unwrap_or(&Value::Null);
            if got != want {
                mismatches.push(format!("{domain}.{column}: planted {want}, scanned {got}"));
            }
        }
    }
    let extra: Vec<_> = rows.keys().filter(|d| !truth.contains_key(*d)).collect();
    assert!(
        extra.is_empty(),
        "rows for domains not in the input: {extra:?}"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}

#[test]
fn scan_reproduces_the_planted_universe_and_resumes_exactly_once_after_kill_9() {
    let bed = Testbed::start_sample();
    let truth = truth();
    assert_eq!(truth.len(), 10_000);

    // A clean run.
    let clean = tempfile::tempdir().unwrap();
    let summary_path = clean.path().join("summary.json");
    let status = scan_command(&bed, clean.path(), &["--summary-json"])
        .arg(&summary_path)
        .status()
        .unwrap();
    assert!(status.success(), "clean scan failed: {status}");
    let rows = rows_by_domain(read_rows(clean.path()));
    assert_eq!(rows.len(), 10_000);
    assert_matches_truth(&rows, &truth);

    // The summary's headline percentages are the planted ones.
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    let planted: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("datasets/sample/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["domains"], 10_000);
    for (metric, planted_key) in [
        ("spf_present", "spf_present_pct"),
        ("dmarc_present", "dmarc_present_pct"),
    ] {
        assert_eq!(
            summary["headline"][metric]["pct"], planted["headline"][planted_key],
            "{metric}"
        );
    }
    assert_eq!(summary["headline"]["spf_present"]["pct"], 52.4);
    assert_eq!(summary["headline"]["dmarc_present"]["pct"], 10.5);

    // Killed at random points, then resumed until complete. Small parts and a
    // rate cap make the kills land mid-run, between and inside parts.
    let killed = tempfile::tempdir().unwrap();
    let seed: u64 = std::env::var("MAILCENSUS_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64
        });
    eprintln!("kill points from seed {seed} (set MAILCENSUS_KILL_SEED to replay)");
    let mut rng = SplitMix(seed);
    let throttle = ["--part-rows", "300", "--qps", "8000"];
    let mut attempts = 0;
    let mut complete = false;
    while !complete {
        attempts += 1;
        assert!(attempts <= 12, "the scan did not complete in 12 attempts");
        let mut cmd = scan_command(&bed, killed.path(), &throttle);
        if attempts > 1 {
            cmd.arg("--resume");
        }
        let mut child = cmd.stdout(Stdio::null()).spawn().unwrap();
        // Three kills, 0.5 to 4 s into an attempt; then let it finish.
        let kill_after = (attempts <= 3).then(|| Duration::from_millis(500 + rng.below(3500)));
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "attempt {attempts} failed: {status}");
                complete = true;
                break;
            }
            if kill_after.is_some_and(|after| started.elapsed() >= after) {
                child.kill().unwrap(); // SIGKILL: no chance to flush anything
                child.wait().unwrap();
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "attempt {attempts} hung"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let parts = part_files(killed.path());
    assert!(parts.len() > 3, "expected many small parts, got {parts:?}");
    let resumed = rows_by_domain(read_rows(killed.path()));
    assert_eq!(resumed.len(), 10_000, "domains lost or duplicated");
    assert_matches_truth(&resumed, &truth);

    // A resume of a complete run has nothing to do and changes nothing.
    let before = part_files(killed.path());
    let status = scan_command(&bed, killed.path(), &["--resume"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(part_files(killed.path()), before);
}

/// A tiny deterministic generator for kill points (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}
