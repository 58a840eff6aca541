//! A domain that publishes hostile records, served by Knot behind Unbound on
//! loopback: TXT records with ANSI escape sequences (recolour, clear the
//! screen, retitle the window), C0 and C1 control characters, DEL, a
//! right-to-left override, a 4 kB record, and an MX host whose name holds an
//! escape character. `mailcensus check` must show all of it escaped: no
//! control character from DNS reaches the terminal, in text (plain or
//! coloured) or in JSON, and the 4 kB record is cut with a marker. The JSON
//! still carries every value exactly.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mailcensus_testbed::{
    KnotOptions, KnotServer, TestbedError, UnboundOptions, UnboundServer, ZoneSpec,
};

const DOMAIN: &str = "evil.mchostile";

/// The 4 kB record: sixteen 255-byte character-strings (RFC 1035 §3.3.14).
fn long_strings() -> Vec<String> {
    (0..16).map(|i| format!("{:x}", i).repeat(255)).collect()
}

/// The zones, in RFC 1035 master-file syntax: `\027` is ESC, `\007` BEL,
/// `\127` DEL, `\194\155` the UTF-8 of U+009B (a one-byte CSI to some
/// terminals), `\226\128\174` the UTF-8 of U+202E (right-to-left override).
fn write_zones(dir: &Path) -> Vec<ZoneSpec> {
    let parent = "$ORIGIN mchostile.\n$TTL 300\n\
        @ SOA ns.mchostile. hostmaster.mchostile. 1 3600 600 86400 300\n\
        @ NS ns.mchostile.\nns A 127.0.0.1\n\
        evil NS ns.evil.mchostile.\nns.evil A 127.0.0.1\n";
    let long: Vec<String> = long_strings().iter().map(|s| format!("\"{s}\"")).collect();
    let child = format!(
        "$ORIGIN evil.mchostile.\n$TTL 300\n\
         @ SOA ns hostmaster 1 3600 600 86400 300\n\
         @ NS ns\nns A 127.0.0.1\n\
         @ MX 10 mail\n\
         @ MX 20 \\027\\09131mx\n\
         @ TXT \"v=spf1 ip4:192.0.2.1 \\027[31mred\\027[0m \\127\\194\\155\\226\\128\\174 -all\"\n\
         @ TXT \"not spf\"\n\
         _dmarc TXT \"v=DMARC1; p=reject; rua=mailto:\\027[5mblink@evil.mchostile\"\n\
         _dmarc TXT \"del\\127 nul\\000 c1\\194\\155\\049m csi\"\n\
         _mta-sts TXT {}\n\
         _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@evil.mchostile\\226\\128\\174gpj.exe\"\n\
         default._bimi TXT \"v=BIMI1; l=https://evil.mchostile/\\194\\155\\051\\049m.svg\"\n\
         default._bimi TXT \"\\027]0;owned\\007\\027[2J\\027[H title and clear\"\n\
         _domainkey TXT \"\\027[8mhidden\"\n",
        long.join(" ")
    );
    std::fs::write(dir.join("mchostile.zone"), parent).unwrap();
    std::fs::write(dir.join("evil.mchostile.zone"), child).unwrap();
    vec![
        ZoneSpec::new("mchostile", dir.join("mchostile.zone")),
        ZoneSpec::new(DOMAIN, dir.join("evil.mchostile.zone")),
    ]
}

fn started<T>(what: &str, result: Result<T, TestbedError>) -> T {
    match result {
        Ok(server) => server,
        Err(TestbedError::BinaryMissing { name }) => {
            panic!("{name} is not installed: run scripts/install-deps.sh")
        }
        Err(err) => panic!("{what} did not start: {err}"),
    }
}

fn check(resolver: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailcensus"))
        .args(["check", DOMAIN, "--resolver", resolver])
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// No control character (C0 but newline, DEL, C1), no bidi override, no
/// zero-width character: what a terminal could act on or hide.
fn assert_inert(what: &str, text: &str) {
    for (n, line) in text.lines().enumerate() {
        for c in line.chars() {
            let hostile = c.is_control()
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
            assert!(!hostile, "{what}, line {}: {c:?} in {line:?}", n + 1);
        }
    }
}

/// The text without the colour sequences `check` writes itself: SGR
/// `ESC [ <0|1|31|32|33|35> m`, and nothing else starting with ESC.
fn strip_own_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('\u{1b}') {
        out.push_str(&rest[..at]);
        let seq = &rest[at..];
        let own = [
            "\u{1b}[0m",
            "\u{1b}[1m",
            "\u{1b}[31m",
            "\u{1b}[32m",
            "\u{1b}[33m",
            "\u{1b}[35m",
        ]
        .into_iter()
        .find(|s| seq.starts_with(s));
        let Some(own) = own else {
            panic!(
                "an escape sequence check did not write: {:?}",
                &seq[..seq.len().min(20)]
            );
        };
        rest = &seq[own.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn hostile_records_are_shown_escaped_never_raw() {
    let dir = tempfile::tempdir().unwrap();
    let zones = write_zones(dir.path());
    let knot_options = KnotOptions {
        ready_timeout: Duration::from_secs(20),
        ..KnotOptions::default()
    };
    let knot = started(
        "knotd",
        KnotServer::start_with(&zones, &dir.path().join("knot"), &knot_options),
    );
    let mut options = UnboundOptions::new(knot.addr);
    options.stub_zones = vec!["mchostile".to_owned(), DOMAIN.to_owned()];
    let unbound = started(
        "unbound",
        UnboundServer::start(&options, &dir.path().join("unbound")),
    );
    let resolver = unbound.addr.to_string();

    // Plain text.
    let out = check(&resolver, &["--format", "text", "--color", "never"]);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{:?}",
        out.status
    );
    assert_inert("text", &text);
    for shown in [
        "\\x1b[31mred\\x1b[0m \\x7f\\x9b\\u{202e} -all",
        "\\x1b]0;owned\\x07\\x1b[2J",
        "del\\x7f nul\\x00 c1\\x9b1m csi",
        "tls@evil.mchostile\\u{202e}gpj.exe",
        "\\x1b[5mblink@evil.mchostile",
    ] {
        assert!(text.contains(shown), "{shown:?} not shown in:\n{text}");
    }
    // The 4 kB record: cut, with the marker, and nothing near its size.
    let total: usize = long_strings().iter().map(String::len).sum();
    assert!(
        text.contains(&format!("… [cut: {total} bytes in all]")),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.chars().count() < 2048),
        "a long line"
    );
    assert!(text.len() < 20_000, "{} bytes", text.len());

    // Coloured: only check's own colour sequences, the rest as above.
    let out = check(&resolver, &["--format", "text", "--color", "always"]);
    let coloured = String::from_utf8(out.stdout).unwrap();
    let stripped = strip_own_colours(&coloured);
    assert_inert("coloured text", &stripped);
    assert!(stripped.contains("\\x1b[31mred\\x1b[0m"));

    // JSON: inert on a terminal too, and every value as published.
    let out = check(&resolver, &["--format", "json"]);
    let line = String::from_utf8(out.stdout).unwrap();
    assert_inert("json", &line);
    let row: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        row["spf_record"],
        "v=spf1 ip4:192.0.2.1 \u{1b}[31mred\u{1b}[0m \u{7f}\u{9b}\u{202e} -all"
    );
    assert_eq!(
        row["dmarc_record"],
        "v=DMARC1; p=reject; rua=mailto:\u{1b}[5mblink@evil.mchostile"
    );
    let hosts = row["mx_hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2, "{row}");
}
