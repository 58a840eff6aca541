//! The store's error type.

use std::path::PathBuf;

/// Everything that can go wrong while writing or resuming a dataset.
///
/// Every variant that concerns a file names it, so an operator reading the
/// message knows which disk or directory to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A filesystem operation failed (disk full, unwritable directory, …).
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What the store was doing, e.g. "cannot create directory".
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The Parquet encoder failed; a write error of the disk underneath shows
    /// up here too, and the part is discarded.
    #[error("cannot write Parquet part {}: {source}", path.display())]
    Parquet {
        /// The temporary file of the part.
        path: PathBuf,
        /// The encoder's error.
        source: parquet::errors::ParquetError,
    },
    /// Building an Arrow record batch failed (a bug: the builders and the
    /// schema disagree).
    #[error("cannot build Arrow batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// A manifest could not be read or parsed.
    #[error("cannot read manifest {}: {reason}", path.display())]
    ManifestRead {
        /// The manifest.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A run was started where a manifest for the same shard already exists.
    #[error(
        "a run already exists at {} (use --resume to continue it, or another --out / --scan-date)",
        path.display()
    )]
    AlreadyExists {
        /// The existing manifest.
        path: PathBuf,
    },
    /// Another process holds this shard's lock (see [`crate::RunLock`]).
    #[error(
        "another scan is writing this shard: {} is locked by {holder} (one process per shard and scan date; wait for it, or stop it first)",
        path.display()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// What the holder wrote: its PID, host and start time.
        holder: String,
    },
    /// `--resume` found no manifest to continue.
    #[error("nothing to resume: no manifest at {}", path.display())]
    NoManifest {
        /// Where the manifest was expected.
        path: PathBuf,
    },
    /// The manifest does not describe the run being resumed.
    #[error("cannot resume from {}: {what} differ (manifest: {manifest}; now: {current})", path.display())]
    ResumeMismatch {
        /// The manifest.
        path: PathBuf,
        /// Which setting differs.
        what: &'static str,
        /// The manifest's value.
        manifest: String,
        /// The current value.
        current: String,
    },
    /// A part the manifest lists as complete is missing or has another size.
    #[error("dataset damaged: part {} listed in the manifest {problem}", path.display())]
    PartDamaged {
        /// The part.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Rows must arrive in strictly increasing input sequence.
    #[error(
        "row for input sequence {got} arrived after sequence {after} (rows must arrive in input order)"
    )]
    OutOfOrder {
        /// The offending sequence number.
        got: u64,
        /// The smallest sequence number allowed.
        after: u64,
    },
    /// An invalid setting (shard, scan date, sizes).
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// An earlier error stopped the writer; the message is the earlier error.
    #[error("the Parquet writer stopped after an earlier error: {0}")]
    Stopped(String),
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}
