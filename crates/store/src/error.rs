//! The store's error type.
//!
//! One rule for every message: it says what the store was doing and on which
//! file, and never repeats the text of its `source()`; a caller prints the
//! chain (`error: cause: cause…`) and each cause appears once.

use std::error::Error as StdError;
use std::path::PathBuf;

/// An error of another crate, kept as a `source()`.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong while writing or resuming a dataset.
///
/// Every variant that concerns a file names it, so an operator reading the
/// message knows which disk or directory to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A filesystem operation failed (disk full, unwritable directory, …).
    #[error("{action} {}", path.display())]
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
    #[error("cannot write Parquet part {}", path.display())]
    Parquet {
        /// The temporary file of the part.
        path: PathBuf,
        /// The encoder's error, as [`cause`] unwraps it.
        source: BoxError,
    },
    /// Building an Arrow record batch failed (a bug: the builders and the
    /// schema disagree).
    #[error("cannot build an Arrow record batch")]
    Arrow(#[source] BoxError),
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
    /// An earlier error stopped the writer; the message is the earlier
    /// error's whole chain (that error was returned once already, so it is
    /// not kept as a source).
    #[error("the Parquet writer stopped after an earlier error: {0}")]
    Stopped(String),
}

impl From<arrow_schema::ArrowError> for StoreError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        StoreError::Arrow(cause(e))
    }
}

/// An arrow or parquet error as a `source()`. Their wrapping variants
/// (`ParquetError::External`, `ArrowError::ExternalError` and `IoError`) print
/// the wrapped error's text *and* return it as their source, so a printed
/// chain would say it twice: they are unwrapped to the error inside (an
/// `io::Error` such as "No space left on device", typically).
pub fn cause(error: impl Into<BoxError>) -> BoxError {
    use arrow_schema::ArrowError;
    use parquet::errors::ParquetError;
    let mut error: BoxError = error.into();
    loop {
        error = match error.downcast::<ParquetError>() {
            Ok(parquet) => match *parquet {
                ParquetError::External(inner) => inner,
                other => return Box::new(other),
            },
            Err(other) => match other.downcast::<ArrowError>() {
                Ok(arrow) => match *arrow {
                    ArrowError::ExternalError(inner) => inner,
                    ArrowError::IoError(_, io) => Box::new(io),
                    other => return Box::new(other),
                },
                Err(other) => return other,
            },
        };
    }
}

/// The error and its causes on one line, `error: cause: cause…`.
pub fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let causes = std::iter::successors(Some(error), |e| (*e).source());
    causes
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
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

pub(crate) fn parquet(
    path: impl Into<PathBuf>,
) -> impl FnOnce(parquet::errors::ParquetError) -> StoreError {
    let path = path.into();
    move |source| StoreError::Parquet {
        path,
        source: cause(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each cause of a chain once: a message that quoted its source, or a
    /// wrapped arrow/parquet error, would say "No space left" twice.
    #[test]
    fn chains_say_each_cause_once() {
        let disk_full =
            || std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device");
        let errors = [
            StoreError::Io {
                action: "cannot write part",
                path: "/x/part".into(),
                source: disk_full(),
            },
            parquet("/x/.part.tmp")(parquet::errors::ParquetError::External(Box::new(
                disk_full(),
            ))),
            StoreError::from(arrow_schema::ArrowError::ExternalError(Box::new(
                parquet::errors::ParquetError::External(Box::new(disk_full())),
            ))),
        ];
        for error in errors {
            let text = chain_text(&error);
            assert_eq!(text.matches("No space left").count(), 1, "{text}");
        }
    }
}
