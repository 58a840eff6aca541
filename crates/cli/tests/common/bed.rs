//! A small loopback testbed for CLI tests: a generated flat universe served by
//! Knot behind Unbound (both stopped on drop), with its dump and its domains.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mailcensus_testbed::universe::{Layout, UniverseOptions, generate, read_truth};
use mailcensus_testbed::{KnotServer, TestbedError, UnboundOptions, UnboundServer, ZoneSpec};

/// Date of every test scan.
pub const SCAN_DATE: &str = "2026-11-23";

/// Knot and Unbound serving a universe of `domains` flat delegations.
pub struct Bed {
    pub dir: tempfile::TempDir,
    _knot: KnotServer,
    pub unbound: UnboundServer,
    pub domains: Vec<String>,
}

/// Fails the test (never skips it) when the servers cannot run.
fn started<T>(what: &str, result: Result<T, TestbedError>) -> T {
    match result {
        Ok(server) => server,
        Err(TestbedError::BinaryMissing { name }) => {
            panic!("{name} is not installed: run scripts/install-deps.sh")
        }
        Err(err) => panic!("{what} did not start: {err}"),
    }
}

impl Bed {
    pub fn start(domains: usize) -> Bed {
        let dir = tempfile::tempdir().unwrap();
        let universe = dir.path().join("universe");
        let opts = UniverseOptions {
            layout: Some(Layout::Flat),
            dead_lame: Some(0),
            ..UniverseOptions::new(domains, 5)
        };
        generate(&opts, &universe).unwrap();
        let zones: Vec<ZoneSpec> = std::fs::read_to_string(universe.join("zones.list"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut it = l.split_whitespace();
                let name = it.next().unwrap();
                ZoneSpec::new(name, universe.join(it.next().unwrap()))
            })
            .collect();
        let knot = started("knotd", KnotServer::start(&zones, &dir.path().join("knot")));
        let mut options = UnboundOptions::new(knot.addr);
        options.stub_zones = vec![opts.tld.clone()];
        let unbound = started(
            "unbound",
            UnboundServer::start(&options, &dir.path().join("unbound")),
        );
        let domains = read_truth(&universe.join("truth.jsonl"))
            .unwrap()
            .into_iter()
            .map(|t| t.domain)
            .collect();
        Bed {
            dir,
            _knot: knot,
            unbound,
            domains,
        }
    }

    pub fn dump(&self) -> PathBuf {
        self.dir.path().join("universe/dump.zone")
    }

    pub fn resolver(&self) -> SocketAddr {
        self.unbound.addr
    }

    /// The domains as a plain list file.
    pub fn list(&self) -> PathBuf {
        let path = self.dir.path().join("domains.list");
        std::fs::write(&path, self.domains.join("\n") + "\n").unwrap();
        path
    }

    /// `mailcensus scan INPUT --resolver <unbound> --out OUT --scan-date …`.
    pub fn scan(&self, input: &Path, out: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailcensus"));
        cmd.arg("scan")
            .arg(input)
            .args(["--resolver", &self.resolver().to_string()])
            .arg("--out")
            .arg(out)
            .args(["--scan-date", SCAN_DATE, "--timeout-ms", "800"])
            .stdin(Stdio::null());
        cmd
    }
}

/// The manifest of shard 0 under `out`, as JSON.
pub fn manifest(out: &Path) -> serde_json::Value {
    let path = out.join(format!("scan_date={SCAN_DATE}/_manifest-00000.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
