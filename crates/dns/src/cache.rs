//! A bounded cache with in-flight de-duplication, for what many domains share
//! (SPF include/redirect targets and `a`/`mx` targets, TLSA of MX hosts).
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

use mailcensus_posture::{Lookup, Outcome, Validated};
use tokio::sync::OnceCell;

/// What a [`SharedCache`] holds: a value that says whether it records a
/// failure (handed to the domains that waited for it, never kept).
pub(crate) trait Cacheable {
    /// The value records a failed query.
    fn failed(&self) -> bool;
}

impl<T> Cacheable for Lookup<T> {
    fn failed(&self) -> bool {
        self.failure().is_some()
    }
}

impl<T> Cacheable for Validated<T> {
    fn failed(&self) -> bool {
        self.lookup.failed()
    }
}

impl Cacheable for Outcome {
    fn failed(&self) -> bool {
        self.is_failure()
    }
}

type Cell<V> = Arc<OnceCell<Arc<V>>>;

struct Inner<V> {
    map: HashMap<String, Cell<V>>,
    order: VecDeque<String>,
}

/// Values shared by name: each domain gets the same `Arc`, never a copy.
pub(crate) struct SharedCache<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
}

impl<V: Cacheable> SharedCache<V> {
    pub fn new(capacity: usize) -> Self {
        SharedCache {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<V>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value of `key`, made by `fetch` unless cached or in flight.
    /// Returns whether it was served without running `fetch` here.
    pub async fn get_or_fetch<F, Fut>(&self, key: &str, fetch: F) -> (Arc<V>, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = {
            let mut inner = self.lock();
            match inner.map.get(key) {
                Some(cell) => Arc::clone(cell),
                None => {
                    let cell: Cell<V> = Arc::new(OnceCell::new());
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
        if value.failed() {
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
        let cache = Arc::new(SharedCache::<Lookup<u8>>::new(10));
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
        let cache = SharedCache::<Lookup<u8>>::new(3);
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

    /// A validated lookup is kept with its AD flag, and handed out as the
    /// same allocation (no copy per domain); a failed one is not kept.
    #[tokio::test]
    async fn validated_lookups_are_shared_not_copied() {
        let cache = SharedCache::<Validated<u8>>::new(10);
        let (first, hit) = cache
            .get_or_fetch("mx.example", || async {
                Validated::authenticated(Lookup::Records(vec![3]))
            })
            .await;
        assert!(!hit);
        let (second, hit) = cache
            .get_or_fetch("mx.example", || async {
                Validated::unvalidated(Lookup::NoData)
            })
            .await;
        assert!(hit);
        assert!(Arc::ptr_eq(&first, &second));
        assert!(second.authenticated);
        let (_, hit) = cache
            .get_or_fetch("other.example", || async {
                Validated::unvalidated(Lookup::Failed(Failure::ServFail))
            })
            .await;
        assert!(!hit);
        let (again, hit) = cache
            .get_or_fetch("other.example", || async {
                Validated::authenticated(Lookup::NxDomain)
            })
            .await;
        assert!(!hit, "a failure must be asked again");
        assert_eq!(again.lookup, Lookup::NxDomain);
        let outcomes = SharedCache::<Outcome>::new(10);
        outcomes
            .get_or_fetch("a", || async { Outcome::Failed(Failure::Timeout) })
            .await;
        let (value, hit) = outcomes
            .get_or_fetch("a", || async { Outcome::NoData })
            .await;
        assert!(!hit);
        assert_eq!(*value, Outcome::NoData);
    }
}
