//! `mailcensus scan` failing early and clearly, before any DNS traffic: bad
//! output directories and bad configuration.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture_zone() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../input/testdata/zone/fixture.zone")
}

fn scan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .arg("scan")
        .arg(fixture_zone())
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_unwritable_out_dir_is_a_clear_error_and_writes_no_part() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out_dir = blocker.join("out");
    let out = scan(&[
        "--resolver",
        "127.0.0.1:9",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("a-file"),
        "the error should name the directory: {}",
        stderr(&out)
    );
    assert!(!out_dir.exists());
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scan.toml");
    std::fs::write(&config, "qps_per_upstream = 10\n").unwrap();
    let out = scan(&["--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(text.contains("scan.toml"), "{text}");
    assert!(text.contains("qps_per_upstream"), "{text}");
}

#[test]
fn flags_win_over_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let config = dir.path().join("scan.toml");
    std::fs::write(
        &config,
        format!(
            "resolver = [\"not-an-address\"]\nout = \"{}\"\nprobes = \"nonsense\"\n",
            dir.path().join("from-config").display()
        ),
    )
    .unwrap();
    // The config's resolver and probes are invalid: reaching the output
    // directory error proves the flags replaced them, and the flag's --out
    // (not the config's) is the one reported.
    let flag_out = blocker.join("out");
    let out = scan(&[
        "--config",
        config.to_str().unwrap(),
        "--resolver",
        "127.0.0.1:9",
        "--probes",
        "mx,spf",
        "--out",
        flag_out.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(text.contains("a-file"), "{text}");
    assert!(!dir.path().join("from-config").exists());
    // Without the flags, the config's values are used, and refused.
    let out = scan(&["--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not-an-address"), "{}", stderr(&out));
}

#[test]
fn a_bad_scan_date_or_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let base = [
        "--resolver",
        "127.0.0.1:9",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    for extra in [
        ["--scan-date", "23/11/2026"],
        ["--shard", "3/3"],
        ["--probes", "mx,nonsense"],
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let out = scan(&args);
        assert!(!out.status.success(), "{extra:?} accepted");
        assert!(!out_dir.exists(), "{extra:?} wrote output before failing");
    }
}
