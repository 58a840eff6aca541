//! Helpers shared by the integration tests: fixtures and a `kdig` wrapper.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use mailcensus_testbed::{ZoneSpec, binaries_available, servers::find_binary};

/// Fails (never skips) when the servers are not installed: CI installs them.
pub fn require_servers() {
    assert!(
        binaries_available() && find_binary("kdig").is_some(),
        "knotd, unbound or kdig missing: run scripts/install-deps.sh (installs knot, \
         knot-dnsutils, unbound, dnsperf, ldnsutils)"
    );
}

pub fn testdata(topic: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(topic)
}

/// The zones of `dir/zones.list` (lines `name file`, file relative to `dir`).
pub fn zones_of(dir: &Path) -> Vec<ZoneSpec> {
    let list = std::fs::read_to_string(dir.join("zones.list")).unwrap();
    list.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut it = l.split_whitespace();
            let name = it.next().unwrap();
            let file = it.next().unwrap();
            ZoneSpec::new(name, dir.join(file))
        })
        .collect()
}

pub fn trust_anchors_of(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("trust-anchors"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// What `kdig` printed, parsed.
#[derive(Debug)]
pub struct Dig {
    pub status: String,
    pub flags: Vec<String>,
    /// Answer-section RRs, whitespace-normalised.
    pub answer: Vec<String>,
    pub raw: String,
}

impl Dig {
    pub fn has_flag(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }
    /// The RDATA of answer RRs of `rtype`.
    pub fn rdata(&self, rtype: &str) -> Vec<String> {
        self.answer
            .iter()
            .filter_map(|rr| {
                let f: Vec<&str> = rr.split_whitespace().collect();
                (f.len() >= 5 && f[3] == rtype).then(|| f[4..].join(" "))
            })
            .collect()
    }
}

/// `kdig @addr name type` with extra options (`+dnssec`, `+cd`, `+tcp`…).
pub fn kdig(addr: SocketAddr, name: &str, rtype: &str, opts: &[&str]) -> Dig {
    let kdig = find_binary("kdig").expect("kdig: run scripts/install-deps.sh");
    let out = Command::new(kdig)
        .arg(format!("@{}", addr.ip()))
        .arg("-p")
        .arg(addr.port().to_string())
        .args(["+timeout=5", "+retry=1"])
        .args(opts)
        .arg(name)
        .arg(rtype)
        .output()
        .unwrap();
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut status = String::new();
    let mut flags = Vec::new();
    let mut answer = Vec::new();
    let mut in_answer = false;
    for line in raw.lines() {
        if let Some(i) = line.find("status: ") {
            status = line[i + 8..].split(';').next().unwrap().trim().to_owned();
        } else if let Some(rest) = line.strip_prefix(";; Flags: ") {
            flags = rest
                .split(';')
                .next()
                .unwrap()
                .split_whitespace()
                .map(str::to_owned)
                .collect();
        } else if line.starts_with(";; ANSWER SECTION:") {
            in_answer = true;
        } else if in_answer {
            if line.trim().is_empty() || line.starts_with(";;") {
                in_answer = false;
            } else {
                answer.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
    }
    Dig {
        status,
        flags,
        answer,
        raw,
    }
}

/// The text of a TXT RDATA as kdig prints it: quoted strings joined (RFC 7208
/// §3.3), `\"`, `\\` and `\DDD` unescaped.
pub fn txt_text(rdata: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = rdata.bytes().peekable();
    let mut quoted = false;
    while let Some(b) = bytes.next() {
        match (quoted, b) {
            (false, b'"') => quoted = true,
            (true, b'"') => quoted = false,
            (true, b'\\') => {
                let mut digits = Vec::new();
                while digits.len() < 3 && bytes.peek().is_some_and(u8::is_ascii_digit) {
                    digits.push(bytes.next().unwrap());
                }
                if digits.is_empty() {
                    if let Some(c) = bytes.next() {
                        out.push(c);
                    }
                } else {
                    out.push(String::from_utf8(digits).unwrap().parse::<u8>().unwrap());
                }
            }
            (true, c) => out.push(c),
            (false, _) => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn require_ldns() {
    assert!(
        find_binary("ldns-keygen").is_some() && find_binary("ldns-signzone").is_some(),
        "ldns-keygen/ldns-signzone missing: run scripts/install-deps.sh (installs ldnsutils)"
    );
}
