//! The committed sample universe (datasets/sample): it matches the generator,
//! and the testbed script serves it as planted.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{kdig, require_servers, txt_text};
use mailcensus_testbed::universe::{UniverseOptions, planned_truth, read_truth};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn committed_truth_is_what_the_generator_plans() {
    let committed = read_truth(&repo().join("datasets/sample/truth.jsonl.gz")).unwrap();
    let planned = planned_truth(&UniverseOptions::new(10_000, 1)).unwrap();
    assert_eq!(committed.len(), 10_000);
    assert!(
        committed == planned,
        "datasets/sample is stale: run datasets/make-sample.sh"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("datasets/sample/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["headline"]["spf_present_pct"], 52.4);
    assert_eq!(summary["headline"]["dmarc_present_pct"], 10.5);
    // Issue 12: DANE needs DNSSEC (RFC 7672 §2.2), so the valid share cannot
    // exceed the secure one; every bogus or failed DNSSEC row has a reason.
    let h = &summary["headline"];
    assert!(
        h["dane_valid_pct"].as_f64().unwrap() <= h["dnssec_secure_pct"].as_f64().unwrap(),
        "{h}"
    );
    assert!(
        committed
            .iter()
            .filter(|t| matches!(t.dnssec_status.as_str(), "bogus" | "error"))
            .all(|t| t.dnssec_reason.is_some())
    );
    let sectors = std::fs::read_to_string(repo().join("datasets/sectors.csv")).unwrap();
    assert_eq!(sectors.lines().count(), 10_001);
}

#[test]
fn testbed_script_serves_the_committed_sample() {
    require_servers();
    let truth = read_truth(&repo().join("datasets/sample/truth.jsonl.gz")).unwrap();
    let state = tempfile::tempdir().unwrap();
    let script = repo().join("scripts/testbed.sh");
    let st = state.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("bash")
            .arg(&script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "start",
        repo().join("datasets/sample").to_str().unwrap(),
        st,
    ]);
    let ub: std::net::SocketAddr = std::fs::read_to_string(state.path().join("unbound.addr"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let secure = truth.iter().find(|t| t.dnssec_status == "secure").unwrap();
    assert!(kdig(ub, &secure.domain, "DNSKEY", &["+dnssec"]).has_flag("ad"));
    let bogus = truth.iter().find(|t| t.dnssec_status == "bogus").unwrap();
    assert_eq!(kdig(ub, &bogus.domain, "SOA", &[]).status, "SERVFAIL");
    for t in truth
        .iter()
        .filter(|t| t.spf_status == "valid")
        .step_by(400)
    {
        let texts: Vec<String> = kdig(ub, &t.domain, "TXT", &[])
            .rdata("TXT")
            .iter()
            .map(|r| txt_text(r))
            .collect();
        assert!(
            texts.contains(t.spf_record.as_ref().unwrap()),
            "{}: {texts:?}",
            t.domain
        );
    }
    run(&["stop", st]);
}
