//! A bounded cache with in-flight de-duplication, for what many domains share
//! (SPF include/redirect targets, TLSA of MX hosts).
//!
//! The first domain to ask for a name makes the query; every other domain
//! asking meanwhile waits for that same answer, and later ones read it. The
//! cache holds at most `capacity` names, evicting the oldest first. Failures
//! are handed to the domains that waited for them but not kept: the next
//! domain asks again, so one lost packet does not turn a popular include
//! target into `error` for the rest of the scan. Answers are kept for the
//! cache's lifetime whatever their TTL: a census is a snapshot.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use mailcensus_posture::Lookup;
use tokio::sync::OnceCell;

type Cell<T> = Arc<OnceCell<Arc<Lookup<T>>>>;

struct Inner<T> {
    map: HashMap<String, Cell<T>>,
    order: VecDeque<String>,
}

pub(crate) struct SharedCache<T> {
    inner: Mutex<Inner<T>>,
    capacity: usize,
}

impl<T> SharedCache<T> {
    pub fn new(capacity: usize) -> Self {
        SharedCache {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The lookup of `key`, made by `fetch` unless cached or in flight.
    /// Returns whether it was served without running `fetch` here.
    pub async fn get_or_fetch<F, Fut>(&self, key: &str, fetch: F) -> (Arc<Lookup<T>>, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Lookup<T>>,
    {
        let cell = {
            let mut inner = self.lock();
            match inner.map.get(key) {
                Some(cell) => Arc::clone(cell),
                None => {
                    let cell: Cell<T> = Arc::new(OnceCell::new());
                    inner.map.insert(key.to_string(), Arc::clone(&cell));
                    inner.order.push_back(key.to_string());
                    while inner.order.len() > self.capacity {
                        if let Some(old) = inner.order.pop_front() {
                            inner.map.remove(&old);
                        }
                    }
                    cell
                }
            }
        };
        let mut fetched_here = false;
        let value = cell
            .get_or_init(|| {
                fetched_here = true;
                async { Arc::new(fetch().await) }
            })
            .await
            .clone();
        if value.failure().is_some() {
            let mut inner = self.lock();
            if inner
                .map
                .get(key)
                .is_some_and(|current| Arc::ptr_eq(current, &cell))
            {
                inner.map.remove(key);
            }
        }
        (value, !fetched_here)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailcensus_posture::Failure;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn concurrent_askers_share_one_fetch() {
        let cache = Arc::new(SharedCache::<u8>::new(10));
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = Arc::clone(&cache);
            let fetches = Arc::clone(&fetches);
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch("_spf.example", || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Lookup::Records(vec![7])
                    })
                    .await
            }));
        }
        for task in tasks {
            let (value, _) = task.await.unwrap();
            assert_eq!(*value, Lookup::Records(vec![7]));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failures_are_not_kept_and_size_is_bounded() {
        let cache = SharedCache::<u8>::new(3);
        let (_, hit) = cache
            .get_or_fetch("a", || async { Lookup::Failed(Failure::Timeout) })
            .await;
        assert!(!hit);
        let (value, hit) = cache.get_or_fetch("a", || async { Lookup::NoData }).await;
        assert!(!hit, "a failure must be asked again");
        assert_eq!(*value, Lookup::NoData);
        let (_, hit) = cache.get_or_fetch("a", || async { Lookup::NxDomain }).await;
        assert!(hit);
        for name in ["b", "c", "d", "e"] {
            cache.get_or_fetch(name, || async { Lookup::NoData }).await;
        }
        assert!(cache.len() <= 3);
    }
}
