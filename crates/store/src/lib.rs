//! Arrow schema, Parquet parts and the run manifest of a mailcensus scan.
//!
//! The scan hands the store one [`Row`] per input domain, in input order. The
//! store turns rows into Arrow record batches of the contract [`schema()`]
//! (DESIGN.md, "Output contract"; every column is documented in
//! `docs/schema.md`) and writes them as zstd Parquet parts:
//!
//! ```text
//! DIR/scan_date=YYYY-MM-DD/part-<shard>-<part>.parquet   e.g. part-00003-00012.parquet
//! DIR/scan_date=YYYY-MM-DD/_manifest-<shard>.json
//! ```
//!
//! The store is the one description of that contract, for writers and readers
//! alike: [`mod@schema`] names every column with its type and nullability (one
//! constant per column, e.g. [`schema::SPF_STATUS`]), [`layout`] builds and
//! parses the file and folder names, and [`vocab`] maps the categorical
//! columns' labels to the posture types and back. The report, its fixtures and
//! the tests read Parquet through these, never through names of their own.
//!
//! [`json`] gives a row as the JSON object of the same contract (what
//! `mailcensus check --format json` prints), through the same builder.
//!
//! Exactly once: a part is written under a hidden temporary name, closed,
//! fsynced and renamed, and only then listed in the manifest together with the
//! range of input sequence numbers it covers. After a crash,
//! [`DatasetWriter::resume`] checks the manifest against the run, removes the
//! crash's leftovers and says where in the input to continue, so the parts of
//! a finished run hold every input domain once.
//!
//! The manifest's leading `_` and the temporary files' leading `.` follow the
//! Hadoop/Hive convention that pyarrow, Spark and Trino use to skip files that
//! are not data, so the directory opens as a dataset as is.
//!
//! [`DatasetWriter`] is synchronous; [`spawn`] moves it to its own thread
//! behind a bounded channel so encoding and disk I/O do not hold up the engine.
#![deny(missing_docs)]

mod error;
mod handle;
pub mod json;
pub mod layout;
mod lock;
mod manifest;
mod row;
pub mod sample;
pub mod schema;
pub mod vocab;
mod writer;

/// The posture types a [`Row`] carries and [`vocab`] labels, re-exported so
/// that writers of rows (the report's fixtures) need no other crate.
pub use mailcensus_posture as posture;

pub use error::{BoxError, Result, StoreError, cause, chain_text};
pub use handle::{WriterHandle, spawn};
pub use layout::{
    Shard, manifest_file_name, manifest_path, part_file_name, part_temp_name, partition_dir,
};
pub use lock::{RunLock, lock_file_name};
pub use manifest::{
    InputFile, MANIFEST_FORMAT, Manifest, PartInfo, STREAM_UNREAD, fingerprint, stream_fingerprint,
    unfinished_runs,
};
pub use row::{BatchBuilder, Counts, Row};
pub use schema::{SCHEMA_VERSION, schema};
pub use writer::{DatasetWriter, Resume, RunConfig, Summary, Tuning};
