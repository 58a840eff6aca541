//! Engine settings and their defaults, the probe names, and upstream
//! addresses.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use crate::error::DnsError;

/// Default of [`EngineConfig::concurrency`]: queries in flight at most.
pub const DEFAULT_CONCURRENCY: usize = 1000;

/// Default of [`EngineConfig::timeout`]: the per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2000);

/// Default of [`EngineConfig::retries`]: attempts after the first.
pub const DEFAULT_RETRIES: u32 = 2;

/// Default of [`EngineConfig::udp_sockets`]: UDP sockets per address family,
/// each on its own random port with its own 16-bit id space (RFC 5452 §9.2,
/// §4.3).
///
/// Every socket has a sender and a receiver task, and more sockets split the
/// same traffic into smaller bursts per system call with more wake-ups. A
/// resolver that spreads clients over its threads by source port
/// (SO_REUSEPORT: Knot, Unbound, BIND) serves the scan on at most this many
/// threads: more sockets help against a many-threaded resolver on its own
/// machine, fewer when it shares the scanner's cores (BENCHMARKS.md has the
/// measurements behind the default). Two id spaces keep the table sparse
/// enough at tens of thousands of queries in flight that a free random id is
/// found in a few draws.
pub const DEFAULT_UDP_SOCKETS: usize = 2;

/// The probes of the plan in DESIGN.md, selectable with `--probes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Probe {
    /// `MX <d>`.
    Mx,
    /// `TXT <d>` and include/redirect targets.
    Spf,
    /// `TXT _dmarc.<d>` and report authorisations.
    Dmarc,
    /// `DS`/`DNSKEY <d>`.
    Dnssec,
    /// `TXT default._bimi.<d>`.
    Bimi,
    /// `TXT _mta-sts.<d>`.
    MtaSts,
    /// `TXT _smtp._tls.<d>`.
    Tlsrpt,
    /// `TXT _domainkey.<d>`.
    Dkim,
    /// `TLSA _25._tcp.<mx host>` (needs the MX probe, which it turns on).
    Dane,
}

impl Probe {
    /// Every probe, in plan order.
    pub const ALL: [Probe; 9] = [
        Probe::Mx,
        Probe::Spf,
        Probe::Dmarc,
        Probe::Dnssec,
        Probe::Bimi,
        Probe::MtaSts,
        Probe::Tlsrpt,
        Probe::Dkim,
        Probe::Dane,
    ];

    /// The name used by `--probes`.
    pub fn name(&self) -> &'static str {
        match self {
            Probe::Mx => "mx",
            Probe::Spf => "spf",
            Probe::Dmarc => "dmarc",
            Probe::Dnssec => "dnssec",
            Probe::Bimi => "bimi",
            Probe::MtaSts => "mta-sts",
            Probe::Tlsrpt => "tlsrpt",
            Probe::Dkim => "dkim",
            Probe::Dane => "dane",
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Probe {
    type Err = DnsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Probe::ALL
            .iter()
            .copied()
            .find(|probe| probe.name() == wanted)
            .ok_or_else(|| DnsError::UnknownProbe(s.to_string()))
    }
}

/// A `--probes` list: comma-separated probe names (`mx,spf,dmarc`), or `all`.
/// Duplicates are dropped, plan order is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSet(pub Vec<Probe>);

impl FromStr for ProbeSet {
    type Err = DnsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chosen = Vec::new();
        for item in s.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            if item.eq_ignore_ascii_case("all") {
                chosen.extend(Probe::ALL);
            } else {
                chosen.push(item.parse::<Probe>()?);
            }
        }
        if chosen.is_empty() {
            return Err(DnsError::UnknownProbe(s.to_string()));
        }
        Ok(ProbeSet(
            Probe::ALL
                .iter()
                .copied()
                .filter(|probe| chosen.contains(probe))
                .collect(),
        ))
    }
}

/// Engine settings. Building one makes no network call.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Upstream resolvers.
    pub resolvers: Vec<SocketAddr>,
    /// Upper bound of queries in flight (the adaptive window never exceeds it).
    pub concurrency: usize,
    /// Global rate cap, queries per second.
    pub qps: Option<u32>,
    /// Per-upstream rate cap, queries per second.
    pub qps_per_upstream: Option<u32>,
    /// Per-attempt timeout: the wait of a query's last attempt, and the cap
    /// of the earlier attempts' retransmit timeout, which follows the
    /// upstream's measured round-trip time (RFC 6298).
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// The probes to run.
    pub probes: Vec<Probe>,
    /// Burst allowed above the rate caps (queries); `None`: a hundredth of a
    /// second's worth of the cap, at least 1.
    pub rate_burst: Option<u32>,
    /// Lower bound of the adaptive window.
    pub window_floor: usize,
    /// Domains probed at the same time by [`Engine::run`]; 0: half of
    /// `concurrency`, at most 4,096.
    pub domains_in_flight: usize,
    /// How long a query waits, in total, for a benched upstream set to come
    /// back (circuit breaker) before it fails with a timeout.
    pub outage_patience: Duration,
    /// Entries of each shared cache (SPF targets, TLSA of MX hosts).
    pub cache_capacity: usize,
    /// UDP sockets per address family; see [`DEFAULT_UDP_SOCKETS`].
    pub udp_sockets: usize,
}

impl EngineConfig {
    /// Defaults for these resolvers: every probe, no rate cap,
    /// [`DEFAULT_CONCURRENCY`] queries in flight, [`DEFAULT_TIMEOUT`],
    /// [`DEFAULT_RETRIES`], [`DEFAULT_UDP_SOCKETS`].
    pub fn new(resolvers: Vec<SocketAddr>) -> Self {
        EngineConfig {
            resolvers,
            concurrency: DEFAULT_CONCURRENCY,
            qps: None,
            qps_per_upstream: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            probes: Probe::ALL.to_vec(),
            rate_burst: None,
            window_floor: 32,
            domains_in_flight: 0,
            outage_patience: Duration::from_secs(120),
            cache_capacity: 100_000,
            udp_sockets: DEFAULT_UDP_SOCKETS,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), DnsError> {
        if self.resolvers.is_empty() {
            return Err(DnsError::NoResolvers);
        }
        if self.concurrency == 0 {
            return Err(DnsError::InvalidConfig(
                "concurrency must be at least 1".into(),
            ));
        }
        if self.timeout.is_zero() {
            return Err(DnsError::InvalidConfig("timeout must be positive".into()));
        }
        if self.qps == Some(0) || self.qps_per_upstream == Some(0) {
            return Err(DnsError::InvalidConfig("a qps cap must be positive".into()));
        }
        if self.udp_sockets == 0 {
            return Err(DnsError::InvalidConfig(
                "udp sockets must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// The nameservers of `/etc/resolv.conf`, port 53: the default upstreams.
pub fn system_resolvers() -> Result<Vec<SocketAddr>, DnsError> {
    let path = "/etc/resolv.conf";
    let text = std::fs::read_to_string(path).map_err(|source| DnsError::ReadResolvConf {
        path: path.to_string(),
        source,
    })?;
    let found = parse_resolv_conf(&text);
    if found.is_empty() {
        return Err(DnsError::NoSystemResolvers(path.to_string()));
    }
    Ok(found)
}

fn parse_resolv_conf(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            if words.next()? != "nameserver" {
                return None;
            }
            // A link-local IPv6 address may carry a zone (`fe80::1%eth0`).
            let addr = words.next()?.split('%').next()?;
            addr.parse::<IpAddr>()
                .ok()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .collect()
}

/// Parses `IP`, `IP:PORT`, `[IPv6]:PORT` (port 53 by default), for `--resolver`.
pub fn parse_resolver(text: &str) -> Result<SocketAddr, DnsError> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| DnsError::InvalidConfig(format!("not a resolver address: {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_lists_parse() {
        let cases: &[(&str, Option<&[Probe]>)] = &[
            ("mx", Some(&[Probe::Mx])),
            (
                "dmarc, MX,spf",
                Some(&[Probe::Mx, Probe::Spf, Probe::Dmarc]),
            ),
            ("mta_sts,mta-sts", Some(&[Probe::MtaSts])),
            ("all", Some(&Probe::ALL)),
            ("mx,smtp", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = text.parse::<ProbeSet>().ok().map(|set| set.0);
            assert_eq!(parsed.as_deref(), *expected, "{text:?}");
        }
    }

    #[test]
    fn config_without_sockets_is_refused() {
        let mut config = EngineConfig::new(vec!["127.0.0.1:53".parse().unwrap()]);
        assert!(config.validate().is_ok());
        config.udp_sockets = 0;
        assert!(matches!(
            config.validate(),
            Err(DnsError::InvalidConfig(message)) if message.contains("udp sockets")
        ));
    }

    #[test]
    fn resolv_conf_nameservers() {
        let text = "# comment\nsearch example\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\nnameserver bogus\noptions edns0\n";
        let found = parse_resolv_conf(text);
        assert_eq!(
            found,
            vec![
                "127.0.0.53:53".parse::<SocketAddr>().unwrap(),
                "[fe80::1]:53".parse::<SocketAddr>().unwrap(),
            ]
        );
    }

    #[test]
    fn resolver_addresses() {
        let cases = [
            ("127.0.0.1", Some("127.0.0.1:53")),
            ("127.0.0.1:5353", Some("127.0.0.1:5353")),
            ("[::1]:5300", Some("[::1]:5300")),
            ("::1", Some("[::1]:53")),
            ("resolver.example", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_resolver(text).ok();
            let expected = expected.map(|e| e.parse::<SocketAddr>().unwrap());
            assert_eq!(parsed, expected, "{text}");
        }
    }
}
