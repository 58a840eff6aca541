//! `mailcensus domains` as a user runs it: the binary, real files, exit codes.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../input/testdata")
        .join(path)
}

fn domains(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .arg("domains")
        .args(args)
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn fixture_zone_prints_its_expected_domains() {
    let zone = testdata("zone/fixture.zone");
    let out = domains(&[zone.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<String> = std::fs::read_to_string(testdata("zone/fixture.expected"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(lines(&out), expected);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("domains"),
        "no summary on stderr: {summary}"
    );
}

#[test]
fn shards_are_disjoint_and_cover_the_input() {
    let zone = testdata("zone/fixture.zone");
    let all = lines(&domains(&[zone.to_str().unwrap()]));
    let mut union = Vec::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let out = domains(&[zone.to_str().unwrap(), "--shard", &shard]);
        assert!(out.status.success());
        union.extend(lines(&out));
    }
    let mut sorted_all = all.clone();
    sorted_all.sort();
    union.sort();
    assert_eq!(union, sorted_all, "shards overlap or miss domains");
}

#[test]
fn shard_index_comes_from_the_job_environment() {
    let zone = testdata("zone/fixture.zone");
    let explicit = domains(&[zone.to_str().unwrap(), "--shard", "1/2"]);
    let from_env = Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .args(["domains", zone.to_str().unwrap(), "--shards", "2"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env("JOB_COMPLETION_INDEX", "1")
        .output()
        .unwrap();
    assert!(from_env.status.success());
    assert_eq!(lines(&from_env), lines(&explicit));
    let neither = Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .args(["domains", zone.to_str().unwrap(), "--shards", "2"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .unwrap();
    assert!(!neither.status.success());
}

#[test]
fn truncated_gzip_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.zone.gz");
    let text = std::fs::read(testdata("zone/fixture.zone")).unwrap();
    let mut gz = Vec::new();
    {
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        enc.write_all(&text.repeat(50)).unwrap();
        enc.finish().unwrap();
    }
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let out = domains(&[path.to_str().unwrap()]);
    assert!(!out.status.success(), "a truncated input must fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut.zone.gz"),
        "error does not name the file: {stderr}"
    );
}

#[test]
fn missing_input_fails_before_any_output() {
    let out = domains(&["/nonexistent/zone.txt"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/zone.txt"));
}
