//! The crate's error type.

use std::path::PathBuf;

/// Errors that stop reading an input. Per-line problems (a malformed record, a
/// rejected name) are not errors: they are counted in [`crate::ReadStats`] and
/// reading goes on. The underlying I/O error is the `source()`, not repeated
/// in the message: print the chain (e.g. `{:#}` with anyhow).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The input could not be opened (missing, permissions, a directory).
    #[error("{path}: cannot open")]
    Open {
        /// The input as given.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading or decompressing failed: truncated or corrupt compressed data, or
    /// an I/O error. `offset` is the count of compressed bytes read from the file
    /// when the error surfaced (the decoder reads ahead, so it is an upper bound).
    #[error("{path}: read error near compressed byte offset {offset}")]
    Read {
        /// The input as given.
        path: PathBuf,
        /// Compressed bytes consumed so far.
        offset: u64,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `$INCLUDE` in a zone file. Refused: a dump never needs it, and following
    /// file paths taken from downloaded data is a risk (RFC 1035 §5.1 defines it).
    /// In a file it is met by the first pass, before any domain is yielded.
    #[error(
        "{path}:{line}: $INCLUDE is not supported (refusing to follow paths named in zone data)"
    )]
    Include {
        /// The input as given.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
    },
    /// A `--shard I/N` value that does not parse or has `I >= N` or `N == 0`.
    #[error("invalid shard {0:?}: expected I/N with 0 <= I < N")]
    InvalidShard(String),
    /// `--shards N` was given but neither `JOB_COMPLETION_INDEX` nor
    /// `SLURM_ARRAY_TASK_ID` is set (or holds a number below N).
    #[error("--shards {count}: {reason}")]
    ShardIndex {
        /// The shard count asked for.
        count: u32,
        /// What was wrong with the environment.
        reason: String,
    },
    /// An invalid option value (e.g. `--depth 0`).
    #[error("invalid option: {0}")]
    Option(String),
}
