//! Flags at and beyond their limits, as a user types them: every value outside
//! a flag's documented range is clap's usage error (exit 2) before anything
//! runs, in every command alike, and nothing panics or allocates without bound.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture_zone() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../input/testdata/zone/fixture.zone")
}

fn mailcensus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `scan FIXTURE --resolver 127.0.0.1:9 --out <tmp> ARGS`: the resolver and
/// the output are valid, so only ARGS can be refused.
fn scan(out_dir: &Path, args: &[&str]) -> Output {
    let zone = fixture_zone();
    let mut argv = vec![
        "scan",
        zone.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ];
    if !args.iter().any(|a| a.starts_with("--resolver")) {
        argv.extend(["--resolver", "127.0.0.1:9"]);
    }
    argv.extend(args);
    mailcensus(&argv)
}

fn assert_usage_error(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: expected clap's usage error (exit 2), got {:?}:\n{}",
        out.status,
        stderr(out)
    );
    // clap's own usage error, not a later failure that also exits 2.
    assert!(
        stderr(out).contains("error:") && stderr(out).contains("--help"),
        "{what}: not clap's usage error:\n{}",
        stderr(out)
    );
}

/// Issue 18 item 8: `:0`, `0.0.0.0`, broadcast and multicast addresses can
/// never be a resolver; they are refused while the flags are parsed.
#[test]
fn resolver_addresses_that_cannot_answer_are_refused_at_parse_time() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    for bad in [
        "127.0.0.1:0",
        "0.0.0.0",
        "0.0.0.0:53",
        "[::]:53",
        "255.255.255.255",
        "224.0.0.251:5353",
        "[ff02::fb]:5353",
        "[::ffff:0.0.0.0]:53",
    ] {
        let out = scan(&out_dir, &["--resolver", bad]);
        assert_usage_error(&out, bad);
        assert!(stderr(&out).contains(bad), "{bad}: {}", stderr(&out));
        assert!(!out_dir.exists(), "{bad}: wrote output before failing");
    }
}

/// Issue 18 item 9: `--concurrency 18446744073709551615` panicked in tokio
/// (exit 101), `10000000` aborted on an 8 GB allocation, `99999999999` hung.
/// Every numeric flag of every command has a range and is refused outside it.
#[test]
fn numeric_flags_out_of_range_are_usage_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let scan_cases: &[(&str, &[&str])] = &[
        (
            "--concurrency",
            &["0", "10000000", "99999999999", "18446744073709551615", "-1"],
        ),
        ("--udp-sockets", &["0", "100000"]),
        ("--qps", &["0", "4294967296"]),
        ("--qps-per-upstream", &["0", "100000000"]),
        ("--timeout-ms", &["0", "18446744073709551615"]),
        ("--retries", &["4294967295", "11"]),
        ("--part-rows", &["0", "18446744073709551615"]),
        ("--depth", &["0", "1000"]),
        ("--shards", &["0", "4294967295"]),
        ("--shard", &["0/4294967295"]),
    ];
    for (flag, values) in scan_cases {
        for value in *values {
            let arg = format!("{flag}={value}");
            let out = scan(&out_dir, &[&arg]);
            assert_usage_error(&out, &format!("scan {arg}"));
            assert!(!out_dir.exists(), "scan {arg}: wrote output before failing");
        }
    }
    // The config file's values are held to the same ranges.
    for (key, value) in [
        ("concurrency", "10000000"),
        ("retries", "99"),
        ("depth", "0"),
    ] {
        let config = dir.path().join("scan.toml");
        std::fs::write(&config, format!("{key} = {value}\n")).unwrap();
        let out = scan(&out_dir, &["--config", config.to_str().unwrap()]);
        assert_usage_error(&out, &format!("config {key} = {value}"));
        assert!(stderr(&out).contains(key), "{}", stderr(&out));
    }
    let zone = fixture_zone();
    let zone = zone.to_str().unwrap();
    for (argv, what) in [
        (vec!["domains", zone, "--depth=0"], "domains --depth 0"),
        (
            vec!["domains", zone, "--depth=1000"],
            "domains --depth 1000",
        ),
        (vec!["domains", zone, "--shards=0"], "domains --shards 0"),
        (
            vec!["domains", zone, "--shard=1/4294967295"],
            "domains --shard 1/4294967295",
        ),
        (
            vec!["report", dir.path().to_str().unwrap(), "--top=0"],
            "report --top 0",
        ),
        (
            vec![
                "report",
                dir.path().to_str().unwrap(),
                "--top=18446744073709551615",
            ],
            "report --top huge",
        ),
    ] {
        let out = mailcensus(&argv);
        assert_usage_error(&out, what);
    }
}

/// Every range is in the help, and every default inside its range.
#[test]
fn the_help_states_each_numeric_flags_range() {
    let out = mailcensus(&["scan", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    for flag in [
        "--concurrency",
        "--udp-sockets",
        "--qps <",
        "--qps-per-upstream",
        "--timeout-ms",
        "--retries",
        "--part-rows",
        "--depth",
        "--shards",
    ] {
        let start = help
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
        let block: String = help[start..]
            .lines()
            .enumerate()
            .take_while(|(i, line)| *i == 0 || !line.trim_start().starts_with("--"))
            .map(|(_, line)| format!("{line} "))
            .collect();
        // Help text is wrapped to the terminal: compare with blanks collapsed.
        let block = block.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(block.contains("[range: "), "{flag} has no range:\n{block}");
    }
}

/// Issue 18 item 10: `--scan-date 26-12-01` wrote `scan_date=0026-12-01` and
/// `2026-1-5` was normalised silently: only `YYYY-MM-DD` is accepted.
#[test]
fn scan_date_accepts_exactly_yyyy_mm_dd() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    for bad in [
        "26-12-01",
        "2026-1-5",
        "2026-01-5",
        "+2026-01-05",
        " 2026-01-05",
        "2026-02-30",
        "20260105",
        "12026-01-05",
    ] {
        let arg = format!("--scan-date={bad}");
        let out = scan(&out_dir, &[&arg]);
        assert_usage_error(&out, &arg);
        assert!(!out_dir.exists(), "{arg}: wrote output before failing");
    }
}
