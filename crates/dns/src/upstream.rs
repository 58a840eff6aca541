//! Upstream health: benching, probing back, and the circuit breaker.
//!
//! An upstream whose attempts keep timing out with no answer in between is
//! benched for a while (doubling while it stays dead, up to a cap). When the
//! bench expires it gets traffic again: the first answers reinstate it, more
//! timeouts bench it again. When every upstream is benched at once, queries
//! wait (the breaker is open) instead of burning their retries, and the engine
//! logs it loudly: millions of domains marked `error` because a resolver
//! restarted would be a wrong measurement.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::stats::Counters;

/// Consecutive timeouts, with no answer between them, that bench an upstream.
const BENCH_AFTER: u32 = 64;
const BENCH_FIRST: Duration = Duration::from_millis(250);
const BENCH_MAX: Duration = Duration::from_secs(8);

struct Upstream {
    addr: SocketAddr,
    consecutive_losses: AtomicU32,
    /// Nanoseconds since the pool's epoch until which it is benched; 0 = active.
    /// Once expired, the upstream is half-open: one probe query at a time.
    benched_until: AtomicU64,
    /// A half-open probe query is in flight.
    probing: AtomicBool,
    /// The current bench length in milliseconds (doubles while it stays dead).
    bench_ms: AtomicU64,
    /// Smoothed round-trip time and its variation, microseconds (RFC 6298
    /// §2); 0 until the first answer.
    srtt_us: AtomicU64,
    rttvar_us: AtomicU64,
}

/// The lowest retransmit timeout: RFC 6298 says 1 s for TCP over the
/// internet; a DNS answer on a LAN or loopback arrives within milliseconds,
/// and a resolver that recurses shows it in its variation.
const MIN_RTO: Duration = Duration::from_millis(100);

/// The upstream resolvers and their health.
pub(crate) struct Pool {
    upstreams: Vec<Upstream>,
    next: AtomicUsize,
    epoch: Instant,
    breaker_open: AtomicBool,
    /// Wakes queries held by the breaker when an upstream answers again.
    recovered: Notify,
}

/// The choice for one attempt.
pub(crate) enum Pick {
    /// Send to this upstream; `probe` when it is the half-open probe of a
    /// benched upstream.
    Use {
        index: usize,
        addr: SocketAddr,
        probe: bool,
    },
    /// Every upstream is benched: wait at most this long (or until one
    /// recovers), then ask again.
    Wait(Duration),
}

/// How often queries held by the breaker look again while a probe is out.
const PROBE_POLL: Duration = Duration::from_millis(250);

impl Pool {
    pub fn new(addrs: &[SocketAddr]) -> Self {
        Pool {
            upstreams: addrs
                .iter()
                .map(|&addr| Upstream {
                    addr,
                    consecutive_losses: AtomicU32::new(0),
                    benched_until: AtomicU64::new(0),
                    probing: AtomicBool::new(false),
                    bench_ms: AtomicU64::new(millis(BENCH_FIRST)),
                    srtt_us: AtomicU64::new(0),
                    rttvar_us: AtomicU64::new(0),
                })
                .collect(),
            next: AtomicUsize::new(0),
            epoch: Instant::now(),
            breaker_open: AtomicBool::new(false),
            recovered: Notify::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.upstreams.len()
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Picks an active upstream, round-robin, avoiding `avoid` (the one the
    /// previous attempt used) when another is active; else the half-open
    /// probe of a benched one whose bench expired; else tells to wait.
    pub fn pick(&self, avoid: Option<usize>, counters: &Counters) -> Pick {
        let n = self.upstreams.len();
        let now = self.now();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut fallback = None;
        let mut soonest = u64::MAX;
        for offset in 0..n {
            let index = (start + offset) % n;
            let Some(upstream) = self.upstreams.get(index) else {
                continue;
            };
            let until = upstream.benched_until.load(Ordering::Acquire);
            if until != 0 {
                if until > now {
                    soonest = soonest.min(until);
                } else if upstream
                    .probing
                    .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Pick::Use {
                        index,
                        addr: upstream.addr,
                        probe: true,
                    };
                } else {
                    soonest = soonest.min(now.saturating_add(millis(PROBE_POLL) * 1_000_000));
                }
                continue;
            }
            if Some(index) == avoid && n > 1 {
                fallback.get_or_insert(index);
                continue;
            }
            return Pick::Use {
                index,
                addr: upstream.addr,
                probe: false,
            };
        }
        if let Some(index) = fallback
            && let Some(upstream) = self.upstreams.get(index)
        {
            return Pick::Use {
                index,
                addr: upstream.addr,
                probe: false,
            };
        }
        if !self.breaker_open.swap(true, Ordering::AcqRel) {
            Counters::bump(&counters.breaker_openings);
            tracing::error!(
                upstreams = n,
                "every upstream resolver is failing: pausing queries until one answers again \
                 (domains wait instead of being recorded as errors)"
            );
        }
        Pick::Wait(
            Duration::from_nanos(soonest.saturating_sub(now))
                .clamp(Duration::from_millis(1), PROBE_POLL),
        )
    }

    /// Waits for `wait`, or less if an upstream recovers meanwhile.
    pub async fn hold(&self, wait: Duration) {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.recovered.notified() => {}
        }
    }

    /// Records the round-trip time of an answer from upstream `index`
    /// (RFC 6298 §2.2–2.3; races between answers only blur the average).
    pub fn sample(&self, index: usize, rtt: Duration) {
        let Some(upstream) = self.upstreams.get(index) else {
            return;
        };
        let r = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX).max(1);
        let srtt = upstream.srtt_us.load(Ordering::Relaxed);
        if srtt == 0 {
            upstream.srtt_us.store(r, Ordering::Relaxed);
            upstream.rttvar_us.store(r / 2, Ordering::Relaxed);
            return;
        }
        let rttvar = upstream.rttvar_us.load(Ordering::Relaxed);
        upstream
            .rttvar_us
            .store((3 * rttvar + srtt.abs_diff(r)) / 4, Ordering::Relaxed);
        upstream
            .srtt_us
            .store((7 * srtt + r) / 8, Ordering::Relaxed);
    }

    /// The timeout of an attempt that is not the last: SRTT + 4·RTTVAR
    /// (RFC 6298 §2.3), between [`MIN_RTO`] and `cap`; `cap` before any answer.
    pub fn retransmit_timeout(&self, index: usize, cap: Duration) -> Duration {
        let Some(upstream) = self.upstreams.get(index) else {
            return cap;
        };
        let srtt = upstream.srtt_us.load(Ordering::Relaxed);
        if srtt == 0 {
            return cap;
        }
        let rttvar = upstream.rttvar_us.load(Ordering::Relaxed);
        let rto = Duration::from_micros(srtt.saturating_add(rttvar.saturating_mul(4)));
        rto.max(MIN_RTO).min(cap)
    }

    /// An answer (any RCODE) came back from upstream `index`.
    pub fn answered(&self, index: usize) {
        let Some(upstream) = self.upstreams.get(index) else {
            return;
        };
        upstream.consecutive_losses.store(0, Ordering::Relaxed);
        if upstream.benched_until.swap(0, Ordering::AcqRel) != 0 {
            upstream
                .bench_ms
                .store(millis(BENCH_FIRST), Ordering::Relaxed);
            tracing::info!(upstream = %upstream.addr, "upstream resolver answers again");
        }
        upstream.probing.store(false, Ordering::Release);
        if self.breaker_open.swap(false, Ordering::AcqRel) {
            tracing::warn!(upstream = %upstream.addr, "an upstream resolver answers again: resuming queries");
            self.recovered.notify_waiters();
        }
    }

    /// An attempt to upstream `index` timed out or broke.
    pub fn lost(&self, index: usize, probe: bool) {
        let Some(upstream) = self.upstreams.get(index) else {
            return;
        };
        let now = self.now();
        if probe {
            // The half-open probe failed: bench again, for longer.
            let bench = (upstream.bench_ms.load(Ordering::Relaxed) * 2).min(millis(BENCH_MAX));
            upstream.bench_ms.store(bench, Ordering::Relaxed);
            upstream.benched_until.store(
                now.saturating_add(bench * 1_000_000).max(1),
                Ordering::Release,
            );
            upstream.probing.store(false, Ordering::Release);
            tracing::warn!(upstream = %upstream.addr, bench_ms = bench, "upstream resolver still not answering");
            return;
        }
        if upstream.benched_until.load(Ordering::Acquire) != 0 {
            // A straggler sent before the bench: already accounted for.
            return;
        }
        let losses = upstream.consecutive_losses.fetch_add(1, Ordering::Relaxed) + 1;
        if losses < BENCH_AFTER {
            return;
        }
        let bench = upstream.bench_ms.load(Ordering::Relaxed);
        if upstream
            .benched_until
            .compare_exchange(
                0,
                now.saturating_add(bench * 1_000_000).max(1),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            upstream.consecutive_losses.store(0, Ordering::Relaxed);
            tracing::warn!(upstream = %upstream.addr, bench_ms = bench, "upstream resolver benched after repeated timeouts");
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retransmit_timeout_follows_rfc6298_within_bounds() {
        let pool = Pool::new(&["127.0.0.1:53".parse().unwrap()]);
        let cap = Duration::from_secs(2);
        assert_eq!(pool.retransmit_timeout(0, cap), cap, "no sample yet");
        let steps = [
            // (sample, expected RTO): SRTT + 4·RTTVAR, floor MIN_RTO, cap.
            (Duration::from_millis(2), MIN_RTO),
            (
                Duration::from_millis(800),
                Duration::from_micros(101_750 + 4 * 200_250),
            ),
            (Duration::from_secs(30), cap),
        ];
        for (sample, expected) in steps {
            pool.sample(0, sample);
            assert_eq!(
                pool.retransmit_timeout(0, cap),
                expected,
                "after {sample:?}"
            );
        }
    }

    #[test]
    fn benched_upstreams_open_the_breaker_and_one_probe_goes_out() {
        let pool = Pool::new(&[
            "127.0.0.1:53".parse().unwrap(),
            "127.0.0.2:53".parse().unwrap(),
        ]);
        let counters = Counters::default();
        for index in 0..2 {
            for _ in 0..BENCH_AFTER {
                pool.lost(index, false);
            }
        }
        assert!(matches!(pool.pick(None, &counters), Pick::Wait(_)));
        assert_eq!(counters.snapshot(0).breaker_openings, 1);
        // Expire the first bench: exactly one half-open probe is let through.
        pool.upstreams[0].benched_until.store(1, Ordering::Release);
        assert!(matches!(
            pool.pick(None, &counters),
            Pick::Use {
                index: 0,
                probe: true,
                ..
            }
        ));
        assert!(matches!(pool.pick(None, &counters), Pick::Wait(_)));
        pool.answered(0);
        assert!(matches!(
            pool.pick(Some(1), &counters),
            Pick::Use {
                index: 0,
                probe: false,
                ..
            }
        ));
        assert_eq!(counters.snapshot(0).breaker_openings, 1);
    }
}
