//! Polling a `join!` branch only when it was woken.
//!
//! `tokio::join!` polls every unfinished branch whenever any of them wakes
//! the task. A domain's probe plan joins eight branches whose answers come
//! back one at a time, so each query's chain of futures (retries, window,
//! timer, reply channel) was polled six to seven times per answer, for
//! nothing but the last: a large share of the engine's instructions
//! (callgrind; figures in BENCHMARKS.md, "Resolver engine"). A [`Woken`]
//! branch gets its own waker, which marks it and wakes the task; polled
//! unmarked, it returns `Pending` at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

struct Mark {
    woken: AtomicBool,
    /// The task polling the join.
    task: AtomicWaker,
}

impl Wake for Mark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// A branch of a join, polled only after its own waker fired (and once at
/// the start). Boxed: the branch's state stays where it is when the join's
/// future moves.
pub(crate) struct Woken<F: Future> {
    inner: Pin<Box<F>>,
    mark: Arc<Mark>,
    waker: Waker,
}

/// Wraps `inner` as a [`Woken`] branch.
pub(crate) fn woken<F: Future>(inner: F) -> Woken<F> {
    let mark = Arc::new(Mark {
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    Woken {
        inner: Box::pin(inner),
        waker: Waker::from(Arc::clone(&mark)),
        mark,
    }
}

impl<F: Future> Future for Woken<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        // Registered before the mark is read: a wake in between finds the
        // task registered and marks the branch, so it is not lost.
        this.mark.task.register(cx.waker());
        if !this.mark.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let mut own = Context::from_waker(&this.waker);
        this.inner.as_mut().poll(&mut own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// Counts its polls; ready after `ready_after` of them, waking itself
    /// each time so a woken wrapper polls it again.
    struct Counted {
        polls: Arc<AtomicUsize>,
        ready_after: usize,
    }

    impl Future for Counted {
        type Output = usize;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            let n = self.polls.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= self.ready_after {
                Poll::Ready(n)
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// Counts the polls of the future it wraps.
    struct PollCount<F> {
        inner: Pin<Box<F>>,
        polls: Arc<AtomicUsize>,
    }

    impl<F: Future> Future for PollCount<F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            self.inner.as_mut().poll(cx)
        }
    }

    /// A branch that is not woken is not polled while another branch of
    /// the join makes progress, and every branch still completes.
    #[tokio::test]
    async fn only_woken_branches_are_polled() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let busy = Arc::new(AtomicUsize::new(0));
        let idle_polls = Arc::new(AtomicUsize::new(0));
        let idle = PollCount {
            inner: Box::pin(async move { rx.await.unwrap() }),
            polls: Arc::clone(&idle_polls),
        };
        let sender = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            tx.send(7).unwrap();
        };
        let (a, b, ()) = tokio::join!(
            woken(Counted {
                polls: Arc::clone(&busy),
                ready_after: 50,
            }),
            woken(idle),
            sender,
        );
        assert_eq!((a, b), (50, 7));
        assert_eq!(busy.load(Ordering::Relaxed), 50);
        // Polled at the start and once after its answer: the 49 wake-ups of
        // the busy branch did not reach it (plain join! polls it 50 times).
        assert_eq!(idle_polls.load(Ordering::Relaxed), 2);
    }
}
