//! Engine counters, readable while a scan runs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters; every field only grows.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub sent_udp: AtomicU64,
    pub sent_tcp: AtomicU64,
    pub tcp_connections: AtomicU64,
    pub received: AtomicU64,
    pub accepted: AtomicU64,
    pub timeouts: AtomicU64,
    pub retries: AtomicU64,
    pub mismatched: AtomicU64,
    pub late: AtomicU64,
    pub unsolicited: AtomicU64,
    pub malformed: AtomicU64,
    pub truncated: AtomicU64,
    pub transport_errors: AtomicU64,
    pub breaker_openings: AtomicU64,
    pub domains: AtomicU64,
    pub cache_hits: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A snapshot of the engine's counters, for progress lines and run manifests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// UDP datagrams sent (first attempts and retries).
    pub sent_udp: u64,
    /// Queries written to a TCP connection after a truncated UDP answer.
    pub sent_tcp: u64,
    /// TCP connections opened (connection attempts, failed ones included).
    /// Connections are pooled and pipelined (RFC 7766 §6.2.1), so this stays
    /// far below `sent_tcp`: at most
    /// [`TCP_CONNECTIONS_PER_UPSTREAM`](crate::TCP_CONNECTIONS_PER_UPSTREAM)
    /// per upstream at a time, renewed only when idle or closed.
    pub tcp_connections: u64,
    /// UDP datagrams received, whatever they were (TCP answers are not
    /// counted here).
    pub received: u64,
    /// Responses accepted for an outstanding query.
    pub accepted: u64,
    /// Attempts that timed out.
    pub timeouts: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Datagrams or TCP messages whose id matched an outstanding query (of
    /// that socket or connection) but whose source, direction or question
    /// did not: dropped (RFC 5452 §9.1).
    pub mismatched: u64,
    /// Responses that arrived after their query had timed out.
    pub late: u64,
    /// Datagrams or TCP messages matching no outstanding or recent query of
    /// their socket or connection (including bytes too short for a DNS
    /// header).
    pub unsolicited: u64,
    /// Matched responses that could not be decoded (`Failure::Malformed`).
    pub malformed: u64,
    /// Truncated (TC=1) UDP answers, each repeated over TCP.
    pub truncated: u64,
    /// Send errors, and TCP queries failed because their connection could
    /// not be opened, broke, or was closed by the server before answering.
    pub transport_errors: u64,
    /// Times every upstream was benched at once (circuit breaker opened).
    pub breaker_openings: u64,
    /// Domains finished.
    pub domains: u64,
    /// Shared-cache lookups answered without a query.
    pub cache_hits: u64,
    /// The adaptive window's current limit (queries in flight).
    pub window: u64,
}

impl StatsSnapshot {
    /// Queries sent, UDP and TCP, retries included.
    pub fn queries_sent(&self) -> u64 {
        self.sent_udp + self.sent_tcp
    }
}

impl Counters {
    pub fn snapshot(&self, window: u64) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            sent_udp: get(&self.sent_udp),
            sent_tcp: get(&self.sent_tcp),
            tcp_connections: get(&self.tcp_connections),
            received: get(&self.received),
            accepted: get(&self.accepted),
            timeouts: get(&self.timeouts),
            retries: get(&self.retries),
            mismatched: get(&self.mismatched),
            late: get(&self.late),
            unsolicited: get(&self.unsolicited),
            malformed: get(&self.malformed),
            truncated: get(&self.truncated),
            transport_errors: get(&self.transport_errors),
            breaker_openings: get(&self.breaker_openings),
            domains: get(&self.domains),
            cache_hits: get(&self.cache_hits),
            window,
        }
    }
}
