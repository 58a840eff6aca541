//! The mailcensus scan pipeline: zone in, Parquet out, exactly once.
//!
//! [`Scan::new`] takes a plain [`ScanConfig`] (no flags, no files: the binary
//! turns those into one) and opens, or on `resume` continues, the run's
//! dataset; [`Scan::run`] drives four stages, each on its own thread or task:
//!
//! 1. the **feeder** (a thread) streams the inputs through `mailcensus-input`,
//!    numbers each unique domain of this shard with its input sequence, skips
//!    what a resumed run already wrote, and hands domains to the engine;
//! 2. the **engine** (`mailcensus-dns`, tokio) probes them and classifies
//!    (`mailcensus-posture`);
//! 3. the **collector** (a thread) puts results back into input order and
//!    hands rows to the **writer** (`mailcensus-store`, its own thread).
//!
//! Because rows reach the writer in input order, every complete Parquet part
//! covers a contiguous range of the input stream and the manifest records where
//! it ends; a resumed run re-reads the same stream and skips exactly that
//! prefix. The feeder runs at most a bounded window ahead of the oldest
//! unwritten domain, and waits on it (no polling), so the reorder buffer stays
//! bounded whatever one slow domain does.
//!
//! When the `stop` future given to [`Scan::run`] completes, the feeder stops;
//! what is in flight is finished and written, the last part is closed, and the
//! [`Outcome`] says the run was interrupted. Signals, progress display and
//! summaries belong to the caller; [`Scan::progress`] gives it a
//! [`ProgressHandle`] to read while the scan runs.
#![deny(missing_docs)]

mod config;
mod health;
mod progress;
mod reorder;
mod run;
mod window;

pub use config::{ResumeMode, ScanConfig, check_resolver};
pub use health::{PROBE_NAME, PROBE_TIMEOUT, ResolverCheck, check_resolvers};
pub use progress::{ProgressHandle, Snapshot};
pub use reorder::{DuplicateSeq, Reorder};
pub use run::{End, Outcome, Resumed, Scan};

/// Why a scan could not start or could not finish its output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The dataset could not be opened, written or closed.
    #[error(transparent)]
    Store(#[from] mailcensus_store::StoreError),
    /// A row could not be written.
    #[error("writing Parquet")]
    Write(#[source] mailcensus_store::StoreError),
    /// The engine refused its settings or could not open its sockets.
    #[error(transparent)]
    Dns(#[from] mailcensus_dns::DnsError),
    /// A setting cannot work (e.g. a resolver address no server answers from).
    #[error("invalid scan setting: {0}")]
    Config(String),
    /// An input could not be opened.
    #[error(transparent)]
    Input(#[from] mailcensus_input::InputError),
    /// A pipeline thread could not be started.
    #[error("starting the {what} thread")]
    Thread {
        /// Which thread.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A pipeline thread or task panicked.
    #[error("the {0} panicked")]
    Panicked(&'static str),
    /// A result came twice: a bug, reported rather than written twice.
    #[error(transparent)]
    Duplicate(#[from] DuplicateSeq),
    /// Results ended with a gap: the domains before them never came back.
    #[error(
        "{pending} results arrived without the domains before them; nothing after sequence {watermark} was written"
    )]
    Gap {
        /// Results left in the reorder buffer.
        pending: usize,
        /// The first sequence that never came.
        watermark: u64,
    },
}
