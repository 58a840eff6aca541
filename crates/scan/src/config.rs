//! What a scan does, as plain values, with each default defined here once.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use mailcensus_dns::{EngineConfig, ProbeSet};
use mailcensus_input::{Format, ReaderOptions, Shard};
use mailcensus_store::Tuning;

/// Starting a run or continuing one (issue 18 item 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ResumeMode {
    /// Start a new run; refused where this shard already has one.
    #[default]
    Never,
    /// Continue the run; refused where there is none.
    Always,
    /// Continue the run if this shard has one, else start it: the one command
    /// line a Kubernetes pod or Slurm task can be restarted with. Decided
    /// under the shard's lock, so two starts cannot both create a run.
    Auto,
}

/// Everything a scan needs. [`ScanConfig::default`] holds the defaults; the
/// engine, reader and writer settings take theirs from those crates' own
/// defaults, so a number is never written twice.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Zone dumps or domain lists; `-` reads stdin.
    pub inputs: Vec<PathBuf>,
    /// Upstream resolvers.
    pub resolvers: Vec<SocketAddr>,
    /// Dataset directory; parts go to `out/scan_date=YYYY-MM-DD/`.
    pub out: PathBuf,
    /// Most queries in flight.
    pub concurrency: usize,
    /// UDP sockets per address family.
    pub udp_sockets: usize,
    /// Global rate cap, queries per second.
    pub qps: Option<u32>,
    /// Rate cap per upstream, queries per second.
    pub qps_per_upstream: Option<u32>,
    /// Probes to run.
    pub probes: ProbeSet,
    /// This process's shard.
    pub shard: Shard,
    /// Date partition, `YYYY-MM-DD`.
    pub scan_date: String,
    /// Whether to start a run or continue the interrupted run of the same
    /// inputs, date and shard.
    pub resume: ResumeMode,
    /// Per-attempt query timeout.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// Rows per Parquet part.
    pub part_rows: u64,
    /// Labels below the zone apex where registrations sit.
    pub depth: usize,
    /// Input format instead of sniffing each input.
    pub format: Option<Format>,
    /// How far the feeder may run ahead of the oldest unwritten domain;
    /// `None`: see [`ScanConfig::max_lag`].
    pub reorder_lag: Option<u64>,
    /// After a stop, how long the domains in flight may take to finish;
    /// those still unfinished then are left for a resume. The default, 15 s,
    /// fits in Kubernetes' default 30 s grace between SIGTERM and SIGKILL.
    pub drain_timeout: Duration,
    /// When every upstream has answered nothing for this long while domains
    /// were in flight, the scan stops as [`crate::End::ResolversSilent`]:
    /// complete parts are kept and a resume continues. Default 60 s, far
    /// above a healthy resolver's slowest answer.
    pub silent_resolver_limit: Duration,
    /// Fault injection for tests: every part file refuses writes with
    /// `StorageFull` after this many bytes, as a full disk would.
    #[doc(hidden)]
    pub fail_after_bytes: Option<u64>,
}

impl Default for ScanConfig {
    /// No inputs, no resolvers, `out` the current directory, today's date
    /// (UTC), shard 0 of 1, and the engine's, reader's and writer's defaults.
    fn default() -> Self {
        let engine = EngineConfig::new(Vec::new());
        let reader = ReaderOptions::default();
        ScanConfig {
            inputs: Vec::new(),
            resolvers: engine.resolvers,
            out: PathBuf::from("."),
            concurrency: engine.concurrency,
            udp_sockets: engine.udp_sockets,
            qps: engine.qps,
            qps_per_upstream: engine.qps_per_upstream,
            probes: ProbeSet(engine.probes),
            shard: reader.shard.unwrap_or(Shard { index: 0, count: 1 }),
            scan_date: chrono::Utc::now().date_naive().to_string(),
            resume: ResumeMode::Never,
            timeout: engine.timeout,
            retries: engine.retries,
            part_rows: Tuning::default().rows_per_part,
            depth: reader.depth,
            format: reader.format,
            reorder_lag: None,
            drain_timeout: Duration::from_secs(15),
            silent_resolver_limit: Duration::from_secs(60),
            fail_after_bytes: None,
        }
    }
}

impl ScanConfig {
    /// The options that decide what a row says: a resume must use the same.
    /// Rates and concurrency may change between attempts and are left out.
    pub(crate) fn output_options(&self) -> serde_json::Value {
        serde_json::json!({
            "probes": self.probes.0.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "timeout_ms": self.timeout.as_millis() as u64,
            "retries": self.retries,
            "depth": self.depth,
            "format": self.format.map(|f| format!("{f:?}")),
        })
    }

    pub(crate) fn engine_config(&self) -> EngineConfig {
        let mut engine = EngineConfig::new(self.resolvers.clone());
        engine.concurrency = self.concurrency;
        engine.udp_sockets = self.udp_sockets;
        engine.qps = self.qps;
        engine.qps_per_upstream = self.qps_per_upstream;
        engine.timeout = self.timeout;
        engine.retries = self.retries;
        engine.probes = self.probes.0.clone();
        engine
    }

    /// How far the feeder may run ahead of the oldest unwritten domain. It
    /// bounds the reorder buffer: a domain stuck in retries holds back at most
    /// this many. Unless [`ScanConfig::reorder_lag`] says otherwise, eight
    /// windows of queries, at least 10,000.
    pub fn max_lag(&self) -> u64 {
        self.reorder_lag
            .unwrap_or_else(|| (self.concurrency as u64).saturating_mul(8).max(10_000))
            .max(1)
    }

    /// A scan identifier: date, shard and start time, unique enough to tell
    /// runs apart in a dataset (a resumed run keeps its first identifier).
    pub(crate) fn new_scan_id(&self) -> String {
        format!(
            "{}-s{}of{}-{}",
            self.scan_date,
            self.shard.index,
            self.shard.count,
            chrono::Utc::now().format("%H%M%S%3f")
        )
    }
}

/// Refuses an address that no resolver can answer from: port 0, the
/// unspecified address (`0.0.0.0`, `::`), the IPv4 limited broadcast
/// address and multicast groups (a unicast DNS query is sent to one host,
/// RFC 1035 §4.2.1). IPv4-mapped IPv6 forms are judged as the IPv4 address.
/// The message names the address and why.
pub fn check_resolver(addr: SocketAddr) -> Result<SocketAddr, String> {
    let why = match addr.ip().to_canonical() {
        _ if addr.port() == 0 => Some("port 0 is not a port a server listens on"),
        ip if ip.is_unspecified() => Some("the unspecified address is not a host"),
        IpAddr::V4(ip) if ip.is_broadcast() => Some("a broadcast address is not a host"),
        ip if ip.is_multicast() => Some("a multicast address is not a host"),
        _ => None,
    };
    match why {
        Some(why) => Err(format!("resolver {addr} refused: {why}")),
        None => Ok(addr),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may unwrap
    use super::*;

    /// Issue 18 item 8: addresses that cannot be a resolver.
    #[test]
    fn check_resolver_table() {
        let cases = [
            ("127.0.0.1:53", true),
            ("[::1]:5300", true),
            ("192.0.2.255:53", true), // a directed broadcast cannot be told from a host
            ("127.0.0.1:0", false),
            ("0.0.0.0:53", false),
            ("[::]:53", false),
            ("255.255.255.255:53", false),
            ("224.0.0.251:5353", false),
            ("[ff02::fb]:5353", false),
            ("[::ffff:0.0.0.0]:53", false),
            ("[::ffff:224.0.0.1]:53", false),
        ];
        for (text, ok) in cases {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(check_resolver(addr).is_ok(), ok, "{text}");
        }
    }
}
