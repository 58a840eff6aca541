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
