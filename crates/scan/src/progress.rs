//! Counters the stages share, and the snapshot a caller reads while a scan runs.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use mailcensus_dns::Engine;

/// Counters shared by the stages.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) domains_done: AtomicU64,
    pub(crate) domains_error: AtomicU64,
    /// Domains handed to the engine (this attempt, plus the resumed prefix).
    pub(crate) domains_fed: AtomicU64,
    /// The feeder has read the whole input.
    pub(crate) input_done: AtomicBool,
    /// Unique domains of the shard, when counted before the scan; 0: unknown.
    pub(crate) domains_total: AtomicU64,
    /// The most results the reorder buffer held at once.
    pub(crate) reorder_peak: AtomicUsize,
    /// Set once the reader and engine exist.
    pub(crate) sources: OnceLock<(mailcensus_input::Progress, Engine)>,
}

/// A point-in-time view of a running scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snapshot {
    /// Domains written (in input order), the resumed prefix included.
    pub domains_done: u64,
    /// Domains whose `resolution` is `error`.
    pub domains_error: u64,
    /// Domains read from the input and handed to the engine so far.
    pub domains_fed: u64,
    /// Whether the input has been read to its end (then `domains_fed` is the total).
    pub input_done: bool,
    /// Unique domains of the shard in the input, when known: counted before
    /// the scan (a zone file), or once the input has been read to its end.
    pub domains_total: Option<u64>,
    /// Queries sent so far.
    pub queries: u64,
    /// Input bytes consumed so far.
    pub bytes_read: u64,
    /// Input bytes in total, when known (all inputs are files).
    pub bytes_total: Option<u64>,
    /// The most results the reorder buffer has held at once; never more than
    /// [`crate::ScanConfig::max_lag`].
    pub reorder_peak: usize,
}

/// Reads a scan's progress from any thread, while it runs and after.
#[derive(Clone)]
pub struct ProgressHandle {
    pub(crate) shared: Arc<Shared>,
}

impl ProgressHandle {
    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        let s = &self.shared;
        let (queries, bytes_read, bytes_total) = match s.sources.get() {
            Some((input, engine)) => (
                engine.stats().queries_sent(),
                input.bytes_read(),
                input.bytes_total(),
            ),
            None => (0, 0, None),
        };
        Snapshot {
            domains_done: s.domains_done.load(Ordering::Relaxed),
            domains_error: s.domains_error.load(Ordering::Relaxed),
            domains_fed: s.domains_fed.load(Ordering::Relaxed),
            input_done: s.input_done.load(Ordering::Relaxed),
            domains_total: match s.domains_total.load(Ordering::Relaxed) {
                0 if s.input_done.load(Ordering::Relaxed) => {
                    Some(s.domains_fed.load(Ordering::Relaxed))
                }
                0 => None,
                n => Some(n),
            },
            queries,
            bytes_read,
            bytes_total,
            reorder_peak: s.reorder_peak.load(Ordering::Relaxed),
        }
    }
}
