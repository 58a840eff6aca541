//! The mailcensus resolver engine.
//!
//! It runs the per-domain probe plan of `DESIGN.md` ("Probe plan") for millions
//! of domains through one or more upstream resolvers, and hands each domain's
//! [`DomainEvidence`] to [`mailcensus_posture::classify_domain`].
//!
//! Layers, bottom up:
//! - **transport**: queries written in wire form (byte-identical to
//!   hickory-proto's encoding) and sent in bursts (`sendmmsg`) from a few UDP
//!   sockets on random ephemeral ports with random ids; answers read in
//!   bursts (`recvmmsg`) and decoded with hickory-proto as far as the engine
//!   reads them (RCODE, AD, TC, the Extended DNS Error of RFC 8914, the
//!   records of the asked type). A
//!   response is accepted only when the socket, the source address, the id and
//!   the question (name case-insensitively, type, class) match an outstanding
//!   query (RFC 5452 §9.1); anything else is dropped and counted. EDNS0 with a
//!   1232-byte buffer (the DNS Flag Day 2020 value); TC=1 repeats the query
//!   over TCP (RFC 7766 §5) with RFC 1035 §4.2.2 length-prefixed framing, on
//!   a few pooled connections per upstream that carry many queries at once
//!   and take their answers in any order (RFC 7766 §6.2.1.1, §7), matched
//!   like UDP answers but per connection.
//! - **politeness**: an adaptive (AIMD) window of queries in
//!   flight between a floor and `concurrency`, a global `qps` cap and a
//!   per-upstream cap, each governor limiter paced by one task.
//! - **upstreams**: per-attempt timeout (early attempts use a retransmit
//!   timeout from the measured round-trip time, RFC 6298), bounded retries
//!   with backoff, a retry
//!   goes to another upstream when there is one; an upstream that keeps timing
//!   out is benched and probed back; when every upstream is benched the engine
//!   pauses (circuit breaker) and says so through `tracing`.
//! - **probes** ([`Engine`]): MX first, RFC 8020 short-circuit on NXDOMAIN,
//!   then the other selected probes concurrently, with shared bounded caches
//!   (in-flight de-duplication) for SPF include/redirect targets, SPF `a`/`mx`
//!   targets and the TLSA of MX hosts. MX, TLSA, DS and DNSKEY go out with
//!   DO=1 and their AD flag is kept; a DS/DNSKEY SERVFAIL is confirmed by a
//!   second plain attempt, then asked with CD=1; the DKIM hint asks a name
//!   below `_domainkey.<d>` that cannot exist.
//!
//! Every query ends in exactly one outcome (answer, NODATA, NXDOMAIN or a
//! [`Failure`](mailcensus_posture::Failure)); a failure is never turned into absence.
//!
//! Modules import one way, bottom up: `wire` (query and answer bytes) <-
//! `pending` (the outstanding-query table, and the transport's error) <-
//! `udp` / `tcp` <- `transport` <- `decode` (answers to posture evidence) <-
//! `engine` (the probe plan and retries); `config` and `error` sit below
//! all of them and `lib.rs` only re-exports.
#![deny(missing_docs)]

mod cache;
mod config;
mod datagrams;
mod decode;
mod engine;
mod error;
mod limits;
mod pending;
mod stats;
mod tcp;
mod transport;
mod udp;
mod upstream;
mod wire;
mod woken;

pub use config::{
    DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_TIMEOUT, DEFAULT_UDP_SOCKETS, EngineConfig,
    Probe, ProbeSet, parse_resolver, system_resolvers,
};
pub use engine::{DomainResult, Engine};
pub use error::DnsError;
pub use stats::StatsSnapshot;
pub use tcp::TCP_CONNECTIONS_PER_UPSTREAM;
