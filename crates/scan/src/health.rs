//! Resolver health (issue 18 item 6): a short probe of each upstream before a
//! scan, and a watchdog that stops a scan whose every upstream has gone silent.
//!
//! Without them a dead resolver cost 376 s for 20 domains at about one query
//! a second, and the run "succeeded" with every row `error`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mailcensus_dns::{Engine, EngineConfig, StatsSnapshot};
use mailcensus_posture::{Failure, Lookup};

use crate::ScanError;

/// The name asked by the probe: `invalid.` is special-use (RFC 6761 §6.4),
/// so a resolver answers NXDOMAIN for it, most of them from their own
/// defaults (Unbound, Knot Resolver) without sending anything further.
/// Any answer, NXDOMAIN or SERVFAIL included, shows the resolver is there.
pub const PROBE_NAME: &str = "invalid";

/// Per-attempt timeout of the probe; it makes two attempts.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// What the probe of one upstream found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolverCheck {
    /// The upstream.
    pub resolver: SocketAddr,
    /// Why it cannot serve the scan; `None` when it answered.
    pub problem: Option<String>,
}

/// Asks each upstream `MX invalid.` (at once, two attempts of
/// [`PROBE_TIMEOUT`] each) and reports which answered. An upstream that
/// answers REFUSED is reported too: it would refuse the scan's queries alike
/// (an access-control list). Makes no other query.
pub async fn check_resolvers(resolvers: &[SocketAddr]) -> Result<Vec<ResolverCheck>, ScanError> {
    let mut probes = Vec::new();
    for &resolver in resolvers {
        let mut config = EngineConfig::new(vec![resolver]);
        config.timeout = PROBE_TIMEOUT;
        config.retries = 1;
        config.concurrency = 4;
        config.udp_sockets = 1;
        config.outage_patience = PROBE_TIMEOUT;
        let engine = Engine::new(config)?;
        probes.push(tokio::spawn(async move {
            // A hard bound over the engine's own timeouts and backoff.
            let bound = PROBE_TIMEOUT * 3;
            let problem = match tokio::time::timeout(bound, engine.lookup_mx(PROBE_NAME)).await {
                Err(_) | Ok(Lookup::Failed(Failure::Timeout)) => Some(format!(
                    "no answer to a probe within {:.1} s",
                    (PROBE_TIMEOUT * 2).as_secs_f64()
                )),
                Ok(Lookup::Failed(Failure::Transport)) => {
                    Some("the probe could not be sent or its connection broke".to_string())
                }
                Ok(Lookup::Failed(Failure::Refused)) => Some(
                    "it refuses queries from this host (REFUSED; check its access control)"
                        .to_string(),
                ),
                Ok(_) => None,
            };
            ResolverCheck { resolver, problem }
        }));
    }
    let mut checks = Vec::new();
    for probe in probes {
        checks.push(
            probe
                .await
                .map_err(|_| ScanError::Panicked("resolver probe"))?,
        );
    }
    Ok(checks)
}

/// Notices when every upstream has been silent for too long: queries went
/// out while domains were in flight, and no response was accepted since.
/// Fed one engine snapshot per tick; nothing in flight resets it, so a pause
/// of the input is not taken for a dead resolver.
#[derive(Debug)]
pub(crate) struct Watchdog {
    limit: Duration,
    accepted: u64,
    sent: u64,
    silent_since: Option<Instant>,
}

impl Watchdog {
    pub(crate) fn new(limit: Duration) -> Self {
        Watchdog {
            limit,
            accepted: 0,
            sent: 0,
            silent_since: None,
        }
    }

    /// True once nothing has been answered for the limit.
    pub(crate) fn observe(&mut self, stats: &StatsSnapshot, in_flight: bool, now: Instant) -> bool {
        let sent = stats.queries_sent();
        if stats.accepted > self.accepted || !in_flight {
            self.silent_since = None;
        } else if sent > self.sent && self.silent_since.is_none() {
            self.silent_since = Some(now);
        }
        self.accepted = stats.accepted;
        self.sent = sent;
        self.silent_since
            .is_some_and(|since| now.duration_since(since) >= self.limit)
    }

    /// How long the upstreams have been silent.
    pub(crate) fn silent_for(&self, now: Instant) -> Duration {
        self.silent_since
            .map_or(Duration::ZERO, |since| now.duration_since(since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(sent: u64, accepted: u64) -> StatsSnapshot {
        let mut s = StatsSnapshot::default();
        s.sent_udp = sent;
        s.accepted = accepted;
        s
    }

    /// Silence counts only while queries go out with domains in flight.
    #[test]
    fn watchdog_fires_after_the_limit_of_silence_with_work_in_flight() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut w = Watchdog::new(Duration::from_secs(1));
        assert!(!w.observe(&stats(10, 5), true, at(0)), "answers came");
        assert!(!w.observe(&stats(20, 5), true, at(100)), "silence starts");
        assert!(!w.observe(&stats(30, 5), true, at(900)));
        assert!(w.observe(&stats(30, 5), true, at(1100)), "1 s of silence");
        assert_eq!(w.silent_for(at(1100)), Duration::from_millis(1000));
        // An answer resets it.
        assert!(!w.observe(&stats(30, 6), true, at(1200)));
        assert!(
            !w.observe(&stats(30, 6), true, at(5000)),
            "nothing sent since"
        );
        // Nothing in flight (the input paused) resets it too.
        assert!(!w.observe(&stats(40, 6), true, at(5100)));
        assert!(!w.observe(&stats(40, 6), false, at(9000)));
        assert!(!w.observe(&stats(40, 6), true, at(9500)));
    }
}
