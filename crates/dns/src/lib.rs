//! The mailcensus resolver engine.
//!
//! TODO(dns helper): transport, upstream pool, retries, rate limits, adaptive
//! window, shared caches, probe plan. The public API below is what the `scan`
//! command is written against; extend it, but keep these shapes.
#![deny(missing_docs)]

use std::net::SocketAddr;
use std::time::Duration;

use mailcensus_posture::{DomainEvidence, Posture};

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
    /// `TLSA _25._tcp.<mx host>`.
    Dane,
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
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// The probes to run.
    pub probes: Vec<Probe>,
}

/// One domain's result.
#[derive(Debug, Clone)]
pub struct DomainResult {
    /// The domain.
    pub domain: String,
    /// What the engine found.
    pub evidence: DomainEvidence,
    /// The classification of that evidence.
    pub posture: Posture,
    /// Queries sent for this domain (retries included, cache hits excluded).
    pub queries: u32,
    /// Wall time from first query to classification.
    pub elapsed: Duration,
}
