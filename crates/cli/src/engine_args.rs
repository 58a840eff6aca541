//! The resolver-engine flags `scan` and `check` share, defined once: each
//! with its help, default and range beside it. Both commands flatten
//! [`EngineArgs`] into their flags, and both `--config` files take the same
//! keys (the long flags' names), so a check runs against the resolvers, caps
//! and timeouts a scan of the same file would use.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use mailcensus_dns::EngineConfig;
use mailcensus_scan::check_resolver;

use crate::limits::{self, Usage};
use crate::scan_config::{default_config, millis};

/// Flags of the resolver engine, and the same keys of the config file.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EngineArgs {
    /// Upstream resolver, IP or IP:PORT; repeat for a pool. Default: the
    /// nameservers of /etc/resolv.conf. Port 0, 0.0.0.0/::, broadcast and
    /// multicast addresses are refused.
    #[arg(long, value_name = "IP[:PORT]", value_parser = resolver_text)]
    #[serde(default)]
    pub resolver: Vec<String>,

    /// Global rate cap in queries per second; none unless given.
    /// [range: 1-10000000]
    #[arg(long, value_name = "QPS", value_parser = limits::ranged::<u32>(limits::QPS))]
    pub qps: Option<u32>,

    /// Rate cap per upstream resolver, in queries per second; none unless
    /// given. [range: 1-10000000]
    #[arg(long, value_name = "QPS", value_parser = limits::ranged::<u32>(limits::QPS))]
    pub qps_per_upstream: Option<u32>,

    /// Per-attempt query timeout in milliseconds. [range: 10-60000]
    #[arg(long, value_name = "MS", default_value_t = millis(default_config().timeout),
          value_parser = limits::ranged::<u64>(limits::TIMEOUT_MS))]
    pub timeout_ms: u64,

    /// Attempts after the first, each to another upstream when there is one.
    /// [range: 0-10]
    #[arg(long, value_name = "N", default_value_t = default_config().retries,
          value_parser = limits::ranged::<u32>(limits::RETRIES))]
    pub retries: u32,
}

/// The config file's keys for these flags.
pub const KEYS: [&str; 5] = [
    "resolver",
    "qps",
    "qps-per-upstream",
    "timeout-ms",
    "retries",
];

impl EngineArgs {
    /// The numeric settings against their ranges: flags were checked by
    /// clap, values from a config file are checked here, as usage errors.
    pub fn check_ranges(&self) -> Result<(), Usage> {
        let optional = |v: Option<u32>| v.map(u64::from);
        let checks = [
            ("qps", optional(self.qps), limits::QPS),
            (
                "qps-per-upstream",
                optional(self.qps_per_upstream),
                limits::QPS,
            ),
            ("timeout-ms", Some(self.timeout_ms), limits::TIMEOUT_MS),
            ("retries", Some(u64::from(self.retries)), limits::RETRIES),
        ];
        for (key, value, range) in checks {
            if let Some(value) = value {
                limits::check(key, value, &range)?;
            }
        }
        Ok(())
    }

    /// The upstream resolvers: the flags' (or the file's, checked here as a
    /// usage error), else the nameservers of /etc/resolv.conf.
    pub fn resolvers(&self) -> anyhow::Result<Vec<SocketAddr>> {
        if self.resolver.is_empty() {
            let found = mailcensus_dns::system_resolvers().context("no --resolver given")?;
            return found
                .into_iter()
                .map(|addr| {
                    check_resolver(addr).map_err(|e| anyhow::anyhow!("/etc/resolv.conf: {e}"))
                })
                .collect();
        }
        Ok(self
            .resolver
            .iter()
            .map(|text| parse_resolver_text(text).map_err(Usage))
            .collect::<Result<_, _>>()?)
    }

    /// The per-query settings of an engine.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Sets the engine's timeout, retries and rate caps from these flags.
    pub fn apply(&self, engine: &mut EngineConfig) {
        engine.timeout = self.timeout();
        engine.retries = self.retries;
        engine.qps = self.qps;
        engine.qps_per_upstream = self.qps_per_upstream;
    }
}

/// `--resolver`: an address a resolver can answer from (issue 18 item 8).
pub fn parse_resolver_text(text: &str) -> Result<SocketAddr, String> {
    let addr = mailcensus_dns::parse_resolver(text).map_err(|e| e.to_string())?;
    check_resolver(addr).map_err(|e| format!("{text}: {e}"))
}

/// clap's parser for `--resolver`: checks, and keeps the text as given.
fn resolver_text(text: &str) -> Result<String, String> {
    parse_resolver_text(text).map(|_| text.to_string())
}
