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
//!   status column's `error` share is shown beside the adoption figures, with a
//!   warning where it exceeds `--max-error-share` ([`aggregate::Coverage`]);
//! * trends across snapshots ([`Trend`]) and, for each pair of consecutive
//!   snapshots, what caused each change: its split among DNS operators and
//!   MX providers ([`attribution`]);
//! * distributions (DMARC policy ladder, SPF all-qualifier and lookup counts, top
//!   SPF include targets, MX providers, Microsoft 365 legacy vs `mx.microsoft`,
//!   DMARC report platforms) and DMARCbis readiness;
//! * the headline per sector and size class ([`sectors`]) and per DNS operator,
//!   operators, providers and platforms grouped by registrable domain with
//!   self-hosted ones in one row and those below `--min-share` in `other`
//!   ([`groups`]);
//! * look-alikes of the analyst's brands with their mail posture ([`lookalike`]);
//! * a two-date comparison with regressions per DNS operator ([`compare`]).
//!
//! [`render`] writes it as Markdown, one self-contained HTML file with inline SVG
//! charts ([`render::svg`]), CSV (formula-injection safe) or JSON (every figure,
//! stable keys).
//!
//! Everything that came from DNS (TXT content, host names) is attacker-controlled:
//! renderers escape it for their format.
#![deny(missing_docs)]

pub mod aggregate;
pub mod attribution;
pub mod compare;
pub mod fixture;
pub mod groups;
pub mod lookalike;
pub mod metrics;
pub mod read;
pub mod render;
pub mod row;
pub mod sectors;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use aggregate::{Aggregator, Settings, SnapshotReport};
pub use attribution::Change;
pub use compare::Comparison;
pub use lookalike::Brands;
pub use row::Row;
pub use sectors::SectorMap;

/// Version of the JSON layout; bumped when a key changes meaning or goes away.
pub const SCHEMA: &str = "mailcensus-report/2";

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
    /// The brand file is malformed.
    #[error("brand file: {0}")]
    Brands(String),
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
    /// Entries of top-N lists (include targets); also caps the named rows of
    /// the operator, MX provider and report platform tables.
    pub top_n: usize,
    /// Minimum share (percent of the table's base) for a DNS operator, MX
    /// provider or report platform to get its own row; the rest are `other`.
    pub min_share: f64,
    /// Error share (percent) above which a figure carries a visible warning.
    pub max_error_share: f64,
    /// The sector join, if any.
    pub sectors: Option<SectorMap>,
    /// Brands whose look-alikes to list, if any.
    pub brands: Option<Brands>,
    /// Two dates to compare.
    pub compare: Option<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            top_n: 20,
            min_share: 0.5,
            max_error_share: 5.0,
            sectors: None,
            brands: None,
            compare: None,
        }
    }
}

/// One metric across the snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendRow {
    /// The metric's key.
    pub metric: &'static str,
    /// Domains meeting it, per snapshot.
    pub counts: Vec<u64>,
    /// Its share, per snapshot (one decimal).
    pub pct: Vec<f64>,
    /// The share of its column that could not be determined, per snapshot.
    pub error_pct: Vec<f64>,
}

/// The trend table: the headline shares of [`metrics::TREND_METRICS`] over
/// the snapshots, with their error shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// Snapshot dates, oldest first.
    pub dates: Vec<String>,
    /// Scanned domains per snapshot.
    pub domains: Vec<u64>,
    /// One row per trend metric.
    pub metrics: Vec<TrendRow>,
}

impl Trend {
    /// The trend table of `snapshots`.
    pub fn of(snapshots: &[SnapshotReport]) -> Self {
        let figure = |s: &SnapshotReport, key: &str| {
            metrics::metric_index(key).map_or(0, |i| s.headline.0.metrics[i])
        };
        Trend {
            dates: snapshots.iter().map(|s| s.date.clone()).collect(),
            domains: snapshots.iter().map(|s| s.domains).collect(),
            metrics: metrics::TREND_METRICS
                .iter()
                .map(|key| TrendRow {
                    metric: key,
                    counts: snapshots.iter().map(|s| figure(s, key)).collect(),
                    pct: snapshots
                        .iter()
                        .map(|s| metrics::pct(figure(s, key), s.domains))
                        .collect(),
                    error_pct: snapshots
                        .iter()
                        .map(|s| {
                            let e = metrics::error_of(key).map_or(0, |e| figure(s, e));
                            metrics::pct(e, s.domains)
                        })
                        .collect(),
                })
                .collect(),
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
    /// The threshold of the error-share warnings, in percent.
    pub max_error_share: f64,
    /// The minimum share of a named row in the operator, MX provider and
    /// report platform tables, in percent.
    pub min_share: f64,
    /// Snapshots, oldest first.
    pub snapshots: Vec<SnapshotReport>,
    /// The headline shares over time.
    pub trend: Trend,
    /// What caused each change, per pair of consecutive snapshots, oldest first.
    pub changes: Vec<Change>,
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
    let mut tracker = (snaps.len() > 1).then(attribution::Tracker::new);
    for (k, snap) in snaps.iter().enumerate() {
        let settings = Settings {
            top_n: opts.top_n,
            min_share: opts.min_share,
            max_error_share: opts.max_error_share,
            sectors: opts.sectors.as_ref(),
        };
        let mut agg = Aggregator::with_settings(&snap.date, settings);
        if let Some(t) = tracker.as_mut() {
            agg = agg.with_tracker(t);
        }
        // Look-alikes are searched in the latest snapshot: the domains
        // delegated now.
        if let Some(brands) = opts.brands.as_ref().filter(|_| k + 1 == snaps.len()) {
            agg = agg.with_lookalikes(lookalike::Collector::new(brands, &snap.date));
        }
        rows_read += read::for_each_row(&snap.files, row::REPORT_COLUMNS, |r| agg.add(r))?;
        let report = agg.finish();
        if let Some(t) = tracker.as_mut() {
            t.finish_snapshot(&report.date, report.domains);
        }
        snapshots.push(report);
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
        max_error_share: opts.max_error_share,
        min_share: opts.min_share,
        trend: Trend::of(&snapshots),
        snapshots,
        changes: tracker
            .map(attribution::Tracker::into_changes)
            .unwrap_or_default(),
        compare,
        rows_read,
    })
}
