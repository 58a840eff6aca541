//! Loopback Knot and Unbound serving the test zones of `testdata/zones`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use mailcensus_dns::{EngineConfig, Probe};
use mailcensus_testbed::{KnotServer, TestbedError, UnboundOptions, UnboundServer, ZoneSpec};
use tempfile::TempDir;

pub fn zones_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/zones")
}

/// Fails the test (never skips it) when the servers cannot run.
pub fn started<T>(what: &str, result: Result<T, TestbedError>) -> T {
    match result {
        Ok(server) => server,
        Err(TestbedError::BinaryMissing { name }) => panic!(
            "{name} is not installed: run scripts/install-deps.sh (the DNS tests need knotd and unbound)"
        ),
        Err(err) => panic!("{what} did not start: {err}"),
    }
}

pub struct Testbed {
    pub knot: KnotServer,
    pub unbound: Option<UnboundServer>,
    pub dir: TempDir,
}

/// The child zones Unbound reaches through stub zones (their delegations in
/// the parent carry no port); `lame.mcdns` is deliberately not one of them.
const CHILDREN: [&str; 5] = [
    "secure.mcdns",
    "insecure.mcdns",
    "bogus.mcdns",
    "expired.mcdns",
    "island.mcdns",
];

fn zone_specs() -> Vec<ZoneSpec> {
    let dir = zones_dir();
    vec![
        ZoneSpec::new("mcdns", dir.join("mcdns.zone.signed")),
        ZoneSpec::new("secure.mcdns", dir.join("secure.mcdns.zone.signed")),
        ZoneSpec::new("bogus.mcdns", dir.join("bogus.mcdns.zone.signed")),
        ZoneSpec::new("insecure.mcdns", dir.join("insecure.mcdns.zone")),
        ZoneSpec::new("expired.mcdns", dir.join("expired.mcdns.zone.signed")),
        ZoneSpec::new("island.mcdns", dir.join("island.mcdns.zone.signed")),
    ]
}

/// Knot alone (authoritative answers, no validation).
pub fn knot() -> Testbed {
    let dir = TempDir::new().unwrap();
    let knot = started(
        "knotd",
        KnotServer::start(&zone_specs(), &dir.path().join("knot")),
    );
    Testbed {
        knot,
        unbound: None,
        dir,
    }
}

/// Knot behind a validating Unbound with the test TLD's trust anchor.
pub fn knot_and_unbound() -> Testbed {
    knot_and_unbound_with(&[])
}

/// The same, with extra lines in Unbound's `server:` clause.
pub fn knot_and_unbound_with(extra_server_lines: &[&str]) -> Testbed {
    let mut bed = knot();
    let anchor = std::fs::read_to_string(zones_dir().join("trust-anchor.ds")).unwrap();
    let mut options = UnboundOptions::new(bed.knot.addr);
    options.stub_zones = std::iter::once("mcdns")
        .chain(CHILDREN)
        .map(str::to_string)
        .collect();
    options.trust_anchors = vec![anchor];
    options.extra_server_lines = extra_server_lines
        .iter()
        .map(|line| line.to_string())
        .collect();
    let unbound = started(
        "unbound",
        UnboundServer::start(&options, &bed.dir.path().join("unbound")),
    );
    bed.unbound = Some(unbound);
    bed
}

impl Testbed {
    pub fn resolver(&self) -> SocketAddr {
        self.unbound.as_ref().map_or(self.knot.addr, |u| u.addr)
    }
}

pub fn config(resolvers: Vec<SocketAddr>) -> EngineConfig {
    let mut config = EngineConfig::new(resolvers);
    config.timeout = Duration::from_millis(800);
    config.retries = 2;
    config.concurrency = 200;
    config.probes = Probe::ALL.to_vec();
    config
}
