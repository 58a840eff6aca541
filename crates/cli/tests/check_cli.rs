//! `mailcensus check` without a testbed: usage errors exit 2 before any
//! query, a resolver that cannot answer exits 1 and is never reported as
//! missing records, and `docs/check.md` documents every finding code as the
//! code declares it.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mailcensus_posture::findings::Code;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .arg("check")
        .args(args)
        .env_remove("NO_COLOR")
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

/// A loopback port nothing listens on (bound, then released).
fn dead_resolver() -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().to_string()
}

/// Exit 2: usage errors, reported on stderr, with nothing on stdout.
#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let bad_config = tmp.path().join("bad.toml");
    std::fs::write(&bad_config, "timeout_ms = 5\n").unwrap();
    let not_toml = tmp.path().join("not.toml");
    std::fs::write(&not_toml, "resolver = [\n").unwrap();
    let missing = tmp.path().join("missing.toml");
    let resolver = dead_resolver();
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("no domain", vec![], ""),
        (
            "unknown flag",
            vec!["x.example".into(), "--bogus".into()],
            "",
        ),
        (
            "bad format",
            vec!["x.example".into(), "--format".into(), "xml".into()],
            "",
        ),
        (
            "bad colour",
            vec!["x.example".into(), "--color".into(), "sometimes".into()],
            "",
        ),
        (
            "not a domain",
            vec!["bad..name".into(), "--resolver".into(), resolver.clone()],
            "",
        ),
        (
            "ANSI in a name",
            vec![
                "\x1b[31mred.example".into(),
                "--resolver".into(),
                resolver.clone(),
            ],
            "",
        ),
        (
            "resolver not an address",
            vec![
                "x.example".into(),
                "--resolver".into(),
                "resolver.example".into(),
            ],
            "",
        ),
        (
            "zero timeout",
            vec![
                "x.example".into(),
                "--resolver".into(),
                resolver.clone(),
                "--timeout-ms".into(),
                "0".into(),
            ],
            "",
        ),
        (
            "config key with _",
            vec![
                "x.example".into(),
                "--resolver".into(),
                resolver.clone(),
                "--config".into(),
                bad_config.display().to_string(),
            ],
            "",
        ),
        (
            "config not TOML",
            vec![
                "x.example".into(),
                "--config".into(),
                not_toml.display().to_string(),
            ],
            "",
        ),
        (
            "config missing",
            vec![
                "x.example".into(),
                "--config".into(),
                missing.display().to_string(),
            ],
            "",
        ),
        (
            "empty stdin",
            vec!["-".into(), "--resolver".into(), resolver.clone()],
            "# nothing\n\n",
        ),
        (
            "bad name on stdin",
            vec!["-".into(), "--resolver".into(), resolver.clone()],
            "ok.example\nbad..name\n",
        ),
    ];
    for (what, args, stdin) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = check(&args, stdin);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{what}: stdout {:?}", out.stdout);
        assert!(!out.stderr.is_empty(), "{what}: no message");
        // Even an argument's escape sequence is not echoed raw.
        assert!(!out.stderr.contains(&0x1b), "{what}: {:?}", out.stderr);
    }
}

/// Exit 1: the resolver cannot answer. Every column says `error` and the
/// text says the answers could not be obtained, never that a record is
/// missing (DESIGN.md: a failure is never `absent`).
#[test]
fn a_resolver_that_cannot_answer_exits_1_and_reports_no_missing_record() {
    let resolver = dead_resolver();
    let common = [
        "unanswered.example",
        "--resolver",
        &resolver,
        "--timeout-ms",
        "200",
        "--retries",
        "0",
    ];
    let started = Instant::now();
    let out = check(&[&common[..], &["--format", "json"]].concat(), "");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["resolution"], "error");
    for column in [
        "mx_status",
        "spf_status",
        "dmarc_status",
        "dnssec_status",
        "dkim_status",
    ] {
        assert_eq!(line[column], "error", "{column}");
    }
    let codes: Vec<&str> = line["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"domain_unresolved"), "{codes:?}");
    assert!(codes.iter().all(|c| !c.ends_with("_absent")), "{codes:?}");

    let out = check(
        &[&common[..], &["--format", "text", "--color", "never"]].concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("could not be obtained"), "{text}");
    assert!(!text.contains("publishes no"), "{text}");
    // Section lines (`  SPF        error …`) never say `absent`.
    for line in text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
    {
        assert!(!line.contains("absent"), "{line}");
    }
    assert!(text.contains("  SPF        error"), "{text}");
}

/// `--format auto` writes JSON Lines when stdout is not a terminal, and
/// `-` reads names from stdin, normalised and de-duplicated like scan input.
#[test]
fn auto_format_off_a_terminal_is_json_lines_and_stdin_is_read() {
    let resolver = dead_resolver();
    let out = check(
        &[
            "-",
            "B\u{fc}cher.example",
            "--resolver",
            &resolver,
            "--timeout-ms",
            "100",
            "--retries",
            "0",
        ],
        "one.example\n# comment\nONE.example.\nxn--bcher-kva.example\n",
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let domains: Vec<&str> = lines
        .iter()
        .map(|l| l["domain"].as_str().unwrap())
        .collect();
    assert_eq!(domains, ["one.example", "xn--bcher-kva.example"]);
    assert_eq!(lines[0]["suffix"], "example");
    assert_eq!(lines[0]["ns_hosts"], serde_json::json!([]));
    assert!(lines[0]["scan_id"].as_str().unwrap().starts_with("check-"));
}

/// Every code is documented with its protocol, severity and reference, in
/// the order of the table, and the table names no other code.
#[test]
fn docs_list_every_finding_code_as_declared() {
    let doc = std::fs::read_to_string(repo().join("docs/check.md")).unwrap();
    let rows: Vec<&str> = doc
        .lines()
        .filter(|l| l.starts_with("| `") && l.matches('|').count() == 6)
        .collect();
    assert_eq!(rows.len(), Code::ALL.len(), "{rows:#?}");
    for (row, code) in rows.iter().zip(Code::ALL) {
        let want = format!(
            "| `{}` | {} | {} | {} |",
            code.label(),
            code.protocol().label(),
            code.severity().label(),
            code.rfc()
        );
        assert!(
            row.starts_with(&want),
            "docs row {row:?}, code says {want:?}"
        );
    }
}
