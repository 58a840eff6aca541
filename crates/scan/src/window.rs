//! The bounded hand-off between the feeder and the collector.
//!
//! The feeder may hand the engine input sequence `seq` only while
//! `seq < watermark + lag`, where the watermark is the collector's
//! [`crate::reorder::Reorder::watermark`]. The collector advances the watermark
//! as rows go to the writer, which wakes a waiting feeder; stopping the scan (or
//! the collector ending) wakes it too, so it never waits on a window that will
//! not move again.

use std::sync::{Condvar, Mutex, MutexGuard};

/// A window of `lag` sequence numbers above the watermark.
#[derive(Debug)]
pub(crate) struct Window {
    lag: u64,
    state: Mutex<State>,
    moved: Condvar,
}

#[derive(Debug)]
struct State {
    watermark: u64,
    closed: bool,
}

impl Window {
    pub(crate) fn new(watermark: u64, lag: u64) -> Self {
        Window {
            lag,
            state: Mutex::new(State {
                watermark,
                closed: false,
            }),
            moved: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only two plain numbers behind.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Blocks until `seq` is inside the window; false once the window is closed.
    pub(crate) fn admit(&self, seq: u64) -> bool {
        let mut state = self.lock();
        while !state.closed && seq >= state.watermark.saturating_add(self.lag) {
            state = self
                .moved
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        !state.closed
    }

    /// Everything below `watermark` has been written.
    pub(crate) fn advance(&self, watermark: u64) {
        let mut state = self.lock();
        if watermark > state.watermark {
            state.watermark = watermark;
            self.moved.notify_all();
        }
    }

    /// Admits nothing more and wakes the feeder.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.moved.notify_all();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn admits_inside_the_window_and_waits_beyond_it() {
        let window = Arc::new(Window::new(10, 3));
        assert!(window.admit(12));
        let waiting = {
            let window = Arc::clone(&window);
            std::thread::spawn(move || window.admit(13))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiting.is_finished(), "13 is outside [10, 13)");
        window.advance(11);
        assert!(waiting.join().unwrap());
    }

    #[test]
    fn closing_wakes_a_waiting_feeder() {
        let window = Arc::new(Window::new(0, 1));
        let waiting = {
            let window = Arc::clone(&window);
            std::thread::spawn(move || window.admit(5))
        };
        std::thread::sleep(Duration::from_millis(50));
        window.close();
        assert!(!waiting.join().unwrap());
        assert!(!window.admit(0));
    }
}
