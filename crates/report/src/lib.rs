//! Adoption figures from mailcensus scan Parquet: the library behind
//! `mailcensus report`.
//!
//! The report reads one or many snapshots (the dataset layout, column names and
//! types, and status vocabularies of the Parquet contract all come from
//! `mailcensus-store`: [`mailcensus_store::layout`], [`mod@mailcensus_store::schema`],
//! [`mailcensus_store::vocab`]) with a projection of the columns it needs,
//! streaming record batches ([`read`]), and aggregates them ([`aggregate`]) into:
//!
//! * a headline table per snapshot, with the definitions of DESIGN.md
//!   "Statistics" ([`metrics`]): the denominator is every scanned domain, and every
//!   status column's `error` share is shown beside the adoption figures;
//! * distributions (DMARC policy ladder, SPF all-qualifier and lookup counts, top
//!   SPF include targets, MX providers, Microsoft 365 legacy vs `mx.microsoft`,
//!   DMARC report destinations);
//! * the headline per sector and size class ([`sectors`]) and per DNS operator;
//! * trends across snapshots and a two-date comparison ([`compare`]).
//!
//! [`render`] writes it as Markdown, one self-contained HTML file with inline SVG
//! charts ([`render::svg`]), CSV (formula-injection safe) or JSON (every figure,
//! stable keys).
//!
//! Everything that came from DNS (TXT content, host names) is attacker-controlled:
//! renderers escape it for their format.
#![deny(missing_docs)]

pub mod aggregate;
pub mod compare;
pub mod fixture;
pub mod metrics;
pub mod read;
pub mod render;
pub mod row;
pub mod sectors;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use aggregate::{Aggregator, SnapshotReport};
pub use compare::Comparison;
pub use row::Row;
pub use sectors::SectorMap;

/// Version of the JSON layout; bumped when a key changes meaning or goes away.
pub const SCHEMA: &str = "mailcensus-report/1";

/// Errors of the report.
///
/// A message says what the report was doing and on which file, and never
/// repeats its `source()`'s text: a caller prints the chain, each cause once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or directory could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What the report was doing, e.g. "read sector file".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A Parquet file could not be opened or decoded.
    #[error("cannot read Parquet file {}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The decoder's error ([`mailcensus_store::cause`] unwraps the
        /// wrappers that would repeat an I/O error's text).
        source: mailcensus_store::BoxError,
    },
    /// A file lacks a column the report needs.
    #[error("{}: no column `{column}`", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A column has a type the contract does not allow.
    #[error("{}: column `{column}` has type {found}, the contract says {expected}", path.display())]
    ColumnType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// Its type in the file.
        found: String,
        /// Its type in the contract.
        expected: String,
    },
    /// A categorical column holds a value outside its vocabulary (a file of a
    /// newer contract, or a damaged one): counting it nowhere would lower
    /// every share silently.
    #[error("{}: column `{column}` holds {value:?}, which is not in its vocabulary", path.display())]
    Vocabulary {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// The value.
        value: String,
    },
    /// No snapshot below the directory.
    #[error("{}: no {} snapshot", .0.display(), mailcensus_store::layout::PATTERN)]
    NoData(PathBuf),
    /// A `--compare` date has no snapshot.
    #[error("no snapshot dated {0}")]
    NoSnapshot(String),
    /// The sector file is malformed.
    #[error("sector file: {0}")]
    Sectors(String),
    /// A fixture description names a value outside the contract.
    #[error("fixture: {0}")]
    Fixture(String),
    /// Encoding the JSON report failed.
    #[error("cannot encode the report as JSON")]
    Json(#[from] serde_json::Error),
    /// Listing the dataset, or writing a fixture with the store's writer,
    /// failed (the store's own message and causes).
    #[error(transparent)]
    Store(#[from] mailcensus_store::StoreError),
}

impl ReportError {
    /// An I/O error while doing `action` on `path`.
    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        move |source| Self::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// A Parquet or Arrow error while reading `path`.
    pub(crate) fn parquet<E: Into<mailcensus_store::BoxError>>(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(E) -> ReportError {
        let path = path.into();
        move |error| ReportError::Parquet {
            path,
            source: mailcensus_store::cause(error),
        }
    }
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct Options {
    /// Entries of top-N lists (include targets, MX providers, DNS operators).
    pub top_n: usize,
    /// The sector join, if any.
    pub sectors: Option<SectorMap>,
    /// Two dates to compare.
    pub compare: Option<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            top_n: 20,
            sectors: None,
            compare: None,
        }
    }
}

/// A metric's definition, for the JSON `definitions` object.
#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    /// Human label.
    pub label: &'static str,
    /// One-sentence definition.
    pub definition: &'static str,
}

/// Every metric's definition keyed by metric, serialised in table order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Definitions;

impl Serialize for Definitions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(metrics::METRICS.len()))?;
        for m in metrics::METRICS {
            map.serialize_entry(
                m.key,
                &Definition {
                    label: m.label,
                    definition: m.definition,
                },
            )?;
        }
        map.end()
    }
}

/// The whole report: every figure of every snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// Metric definitions.
    pub definitions: Definitions,
    /// Snapshots, oldest first.
    pub snapshots: Vec<SnapshotReport>,
    /// The `--compare` result, if asked for.
    pub compare: Option<Comparison>,
    /// Rows read (all snapshots, plus the comparison's second pass).
    #[serde(skip)]
    pub rows_read: u64,
}

/// Reads the snapshots below `dir` and computes the report.
pub fn build(dir: &Path, opts: &Options) -> Result<Report, ReportError> {
    let snaps = read::discover(dir)?;
    let mut snapshots = Vec::with_capacity(snaps.len());
    let mut rows_read = 0;
    for snap in &snaps {
        let mut agg = Aggregator::new(&snap.date, opts.top_n, opts.sectors.as_ref());
        rows_read += read::for_each_row(&snap.files, row::REPORT_COLUMNS, |r| agg.add(r))?;
        snapshots.push(agg.finish());
    }
    let compare = match &opts.compare {
        Some((a, b)) => {
            let find = |d: &str| {
                snaps
                    .iter()
                    .find(|s| s.date == d)
                    .ok_or_else(|| ReportError::NoSnapshot(d.to_string()))
            };
            let c = compare::compare(find(a)?, find(b)?)?;
            rows_read += 2 * c.common + c.only_a + c.only_b;
            Some(c)
        }
        None => None,
    };
    Ok(Report {
        schema: SCHEMA,
        definitions: Definitions,
        snapshots,
        compare,
        rows_read,
    })
}
