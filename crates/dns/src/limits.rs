//! Politeness: the adaptive in-flight window and the rate caps.
//!
//! The window is AIMD as in TCP congestion control (RFC 5681 §3.1): it starts
//! small and doubles per round trip (slow start) until the first loss, then
//! grows by one query per window of answers and halves on loss, never below
//! the floor nor above `concurrency`. A window set far above what the server's
//! receive buffer holds therefore shrinks instead of becoming a retry storm.
//!
//! Rate caps use governor. Many tasks awaiting one governor limiter wake
//! together and burn CPU (DESIGN.md), so each limiter has one pacing task: it
//! asks governor for as many cells as there are waiters and hands them out as
//! semaphore permits.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use governor::{Quota, RateLimiter};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

/// Slow start ends here even without a loss (RFC 5681's ssthresh): a single
/// server's receive buffer holds only a couple of hundred queries (Knot's,
/// measured: DESIGN.md "Testing ground"), and each overshoot costs a
/// retransmit per lost query; the window keeps growing additively after it.
/// A higher threshold was measured to overshoot more (BENCHMARKS.md,
/// "Resolver engine").
const SLOW_START_THRESHOLD: usize = 128;

/// Window increments per window's worth of answers in congestion avoidance:
/// one, as TCP. A faster growth overshot the server's receive buffer more
/// often, for no throughput (measured against Knot: BENCHMARKS.md,
/// "Resolver engine").
const GROWTH_PER_WINDOW: usize = 1;

/// Losses in one measurement period that cut the window. One: tolerating a
/// small share of a window's queries lost, as dnsperf does, raised the
/// timeouts and lowered throughput against Knot (BENCHMARKS.md, "Resolver
/// engine"), since every lost query stalls its domain for a full timeout.
fn loss_tolerance(_limit: usize) -> usize {
    1
}

/// How an attempt ended, for the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// An answer came back in time.
    Delivered,
    /// The attempt sent at this instant timed out.
    Lost(Instant),
    /// Neither (local error): the window does not move.
    Neutral,
}

/// The adaptive window of queries in flight.
pub(crate) struct Window {
    permits: Arc<Semaphore>,
    limit: AtomicUsize,
    /// Permits to retire as they come back, after a decrease.
    debt: AtomicUsize,
    floor: usize,
    ceiling: usize,
    delivered: AtomicUsize,
    slow_start: AtomicBool,
    /// Answers and losses in the current measurement period (about four
    /// windows of queries, or since the last cut).
    period_answers: AtomicUsize,
    period_losses: AtomicUsize,
    /// Nanoseconds since `epoch` of the last decrease. As TCP cuts once per
    /// window of losses (RFC 6582 §3.2), a loss of a query sent before the
    /// last cut does not cut again, and cuts are at least `cooldown` apart.
    last_cut: AtomicU64,
    cooldown: Duration,
    epoch: Instant,
}

impl Window {
    pub fn new(floor: usize, ceiling: usize, cooldown: Duration) -> Self {
        let ceiling = ceiling.max(1);
        let floor = floor.clamp(1, ceiling);
        let initial = floor.max(64).min(ceiling);
        Window {
            permits: Arc::new(Semaphore::new(initial)),
            limit: AtomicUsize::new(initial),
            debt: AtomicUsize::new(0),
            floor,
            ceiling,
            delivered: AtomicUsize::new(0),
            slow_start: AtomicBool::new(true),
            period_answers: AtomicUsize::new(0),
            period_losses: AtomicUsize::new(0),
            last_cut: AtomicU64::new(0),
            cooldown,
            epoch: Instant::now(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    pub async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.permits).acquire_owned().await.ok()
    }

    /// Returns a permit with what its attempt taught us.
    pub fn release(&self, permit: OwnedSemaphorePermit, signal: Signal) {
        match signal {
            Signal::Delivered => self.on_delivered(),
            Signal::Lost(sent) => self.on_lost(sent),
            Signal::Neutral => {}
        }
        let repaid = self
            .debt
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |debt| {
                debt.checked_sub(1)
            })
            .is_ok();
        if repaid {
            permit.forget();
        } else {
            drop(permit);
        }
    }

    fn on_delivered(&self) {
        let limit = self.limit();
        if self.period_answers.fetch_add(1, Ordering::Relaxed) + 1 > 4 * limit {
            self.period_answers.store(0, Ordering::Relaxed);
            self.period_losses.store(0, Ordering::Relaxed);
        }
        if limit >= self.ceiling {
            return;
        }
        let grow = if self.slow_start.load(Ordering::Relaxed) && limit < SLOW_START_THRESHOLD {
            true
        } else {
            // Congestion avoidance (RFC 5681 §3.1).
            let count = self.delivered.fetch_add(1, Ordering::Relaxed) + 1;
            if count >= (limit / GROWTH_PER_WINDOW).max(1) {
                self.delivered.store(0, Ordering::Relaxed);
                true
            } else {
                false
            }
        };
        if grow
            && self
                .limit
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |l| {
                    (l < self.ceiling).then_some(l + 1)
                })
                .is_ok()
        {
            let cancelled = self
                .debt
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |debt| {
                    debt.checked_sub(1)
                })
                .is_ok();
            if !cancelled {
                self.permits.add_permits(1);
            }
        }
    }

    fn on_lost(&self, sent: Instant) {
        self.slow_start.store(false, Ordering::Relaxed);
        let losses = self.period_losses.fetch_add(1, Ordering::Relaxed) + 1;
        if losses < loss_tolerance(self.limit()) {
            return;
        }
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let sent = u64::try_from(sent.saturating_duration_since(self.epoch).as_nanos())
            .unwrap_or(u64::MAX);
        let last = self.last_cut.load(Ordering::Relaxed);
        let cooldown = u64::try_from(self.cooldown.as_nanos()).unwrap_or(u64::MAX);
        if last != 0 && (sent < last || now.saturating_sub(last) < cooldown) {
            return;
        }
        if self
            .last_cut
            .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let mut cut = 0;
        let _ = self
            .limit
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |limit| {
                let target = (limit / 2).max(self.floor);
                cut = limit.saturating_sub(target);
                (cut > 0).then_some(target)
            });
        self.period_answers.store(0, Ordering::Relaxed);
        self.period_losses.store(0, Ordering::Relaxed);
        if cut > 0 {
            // Take back idle permits now, the rest as they are returned.
            let taken = self.permits.forget_permits(cut);
            self.debt.fetch_add(cut - taken, Ordering::AcqRel);
        }
    }
}

struct PacerShared {
    tokens: Semaphore,
    waiting: AtomicUsize,
    wake: Notify,
}

/// A rate cap: one governor limiter, one pacing task.
pub(crate) struct Pacer {
    shared: Arc<PacerShared>,
    task: JoinHandle<()>,
}

impl Drop for Pacer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct WaitingGuard<'a>(&'a AtomicUsize);

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Pacer {
    /// A cap of `per_second` with `burst` cells of burst (at least 1).
    /// Must be called inside a tokio runtime.
    pub fn new(per_second: NonZeroU32, burst: Option<u32>) -> Self {
        let default_burst = per_second.get() / 100;
        let burst =
            NonZeroU32::new(burst.unwrap_or(default_burst).max(1)).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst));
        let shared = Arc::new(PacerShared {
            tokens: Semaphore::new(0),
            waiting: AtomicUsize::new(0),
            wake: Notify::new(),
        });
        let pacing = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            loop {
                let waiting = pacing.waiting.load(Ordering::Acquire);
                let want = waiting.saturating_sub(pacing.tokens.available_permits());
                if want == 0 {
                    pacing.wake.notified().await;
                    continue;
                }
                let mut granted = 0;
                let mut wait = Duration::from_millis(1);
                while granted < want {
                    match limiter.check() {
                        Ok(()) => granted += 1,
                        Err(not_until) => {
                            wait = not_until
                                .wait_time_from(governor::clock::Clock::now(
                                    &governor::clock::DefaultClock::default(),
                                ))
                                .max(Duration::from_millis(1));
                            break;
                        }
                    }
                }
                if granted > 0 {
                    pacing.tokens.add_permits(granted);
                }
                if granted < want {
                    tokio::time::sleep(wait).await;
                }
            }
        });
        Pacer { shared, task }
    }

    /// Waits for one query's worth of rate.
    pub async fn acquire(&self) {
        self.shared.waiting.fetch_add(1, Ordering::AcqRel);
        let _guard = WaitingGuard(&self.shared.waiting);
        self.shared.wake.notify_one();
        if let Ok(permit) = self.shared.tokens.acquire().await {
            permit.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lose(window: &Window, sent: Instant) {
        for _ in 0..loss_tolerance(window.limit()) {
            let permit = window.acquire().await.unwrap();
            window.release(permit, Signal::Lost(sent));
        }
    }

    #[tokio::test]
    async fn window_halves_on_loss_and_stays_within_bounds() {
        let window = Window::new(8, 100, Duration::ZERO);
        assert_eq!(window.limit(), 64);
        for _ in 0..100 {
            let permit = window.acquire().await.unwrap();
            window.release(permit, Signal::Delivered);
        }
        assert_eq!(window.limit(), 100, "slow start grows up to the ceiling");
        let permit = window.acquire().await.unwrap();
        window.release(permit, Signal::Lost(Instant::now()));
        assert_eq!(window.limit(), 50);
        for _ in 0..10 {
            lose(&window, Instant::now()).await;
        }
        assert_eq!(window.limit(), 8, "never below the floor");
        assert_eq!(window.permits.available_permits(), 8);
        // Congestion avoidance: +1 per window of answers.
        for _ in 0..8 {
            let permit = window.acquire().await.unwrap();
            window.release(permit, Signal::Delivered);
        }
        assert_eq!(window.limit(), 9);
        assert_eq!(window.permits.available_permits(), 9);
    }

    /// Regression guard: one burst of losses detected a timeout later used to
    /// halve the window again and again down to the floor.
    #[tokio::test]
    async fn losses_sent_before_a_cut_do_not_cut_again() {
        let window = Window::new(8, 100, Duration::ZERO);
        let before = Instant::now();
        lose(&window, Instant::now()).await;
        assert_eq!(window.limit(), 32);
        for _ in 0..5 {
            lose(&window, before).await;
        }
        assert_eq!(window.limit(), 32);
    }

    #[tokio::test]
    async fn cut_while_permits_are_out_is_repaid_on_return() {
        let window = Window::new(2, 4, Duration::ZERO);
        let held: Vec<_> = [(); 4]
            .iter()
            .map(|_| window.permits.clone().try_acquire_owned().unwrap())
            .collect();
        let probe = window.permits.clone();
        assert_eq!(probe.available_permits(), 0);
        let mut held = held.into_iter();
        window.release(held.next().unwrap(), Signal::Lost(Instant::now()));
        window.release(held.next().unwrap(), Signal::Lost(Instant::now()));
        assert_eq!(window.limit(), 2);
        for permit in held {
            window.release(permit, Signal::Neutral);
        }
        assert_eq!(probe.available_permits(), 2);
    }
}
