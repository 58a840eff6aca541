//! Finding snapshots and streaming their rows.
//!
//! A scan directory holds one folder per snapshot with its complete parts, as
//! [`mailcensus_store::layout`] names them (writers use a temporary name until a
//! part is closed, so anything else is skipped). Files are read with a
//! projection mask by column name and streamed batch by batch: memory stays
//! bounded by one record batch whatever the size of the snapshot.
//!
//! Column names and types come from [`mod@mailcensus_store::schema`]; a categorical
//! column's text is read into its posture type ([`mailcensus_store::vocab`]),
//! and a value outside the vocabulary is an error, not a row that counts
//! nowhere.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, BooleanArray, Int32Array, LargeStringArray, ListArray, RecordBatch, StringArray,
    StringViewArray,
};
use arrow_schema::DataType;
use mailcensus_store::layout;
use mailcensus_store::schema::{self as col, Column};
use mailcensus_store::vocab::Label;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::ReportError as Error;
use crate::row::Row;

/// One snapshot: a scan date and its complete Parquet parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `YYYY-MM-DD`, from the folder name.
    pub date: String,
    /// Complete parts, sorted by path.
    pub files: Vec<PathBuf>,
}

/// The snapshots below `dir`, oldest first. `dir` may also be one partition
/// folder itself.
pub fn discover(dir: &Path) -> Result<Vec<Snapshot>, Error> {
    let own_date = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(layout::partition_date);
    if let Some(date) = own_date {
        let files = layout::part_files(dir)?;
        if files.is_empty() {
            return Err(Error::NoData(dir.to_path_buf()));
        }
        return Ok(vec![Snapshot {
            date: date.to_string(),
            files,
        }]);
    }
    let mut snapshots = Vec::new();
    for (date, path) in layout::partitions(dir)? {
        let files = layout::part_files(&path)?;
        if !files.is_empty() {
            snapshots.push(Snapshot { date, files });
        }
    }
    if snapshots.is_empty() {
        return Err(Error::NoData(dir.to_path_buf()));
    }
    Ok(snapshots)
}

fn wrong_type(path: &Path, column: &Column, found: &DataType) -> Error {
    Error::ColumnType {
        path: path.to_path_buf(),
        column: column.name,
        found: found.to_string(),
        expected: column.ty.to_string(),
    }
}

/// A string column in any of arrow's string layouts.
#[derive(Clone, Copy)]
enum StrCol<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> StrCol<'a> {
    fn new(path: &Path, column: &Column, array: &'a dyn Array) -> Result<Self, Error> {
        match array.data_type() {
            DataType::Utf8 => Ok(StrCol::Utf8(array.as_string::<i32>())),
            DataType::LargeUtf8 => Ok(StrCol::Large(array.as_string::<i64>())),
            DataType::Utf8View => Ok(StrCol::View(array.as_string_view())),
            other => Err(wrong_type(path, column, other)),
        }
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            StrCol::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            StrCol::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            StrCol::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

/// A categorical string column, read into its vocabulary type `T`.
struct LabelCol<'a> {
    column: Column,
    text: Option<StrCol<'a>>,
}

impl LabelCol<'_> {
    fn get<T: Label>(&self, path: &Path, i: usize) -> Result<Option<T>, Error> {
        match self.text.and_then(|c| c.get(i)) {
            None => Ok(None),
            Some(label) => match T::from_label(label) {
                Some(value) => Ok(Some(value)),
                None => Err(Error::Vocabulary {
                    path: path.to_path_buf(),
                    column: self.column.name,
                    value: label.to_string(),
                }),
            },
        }
    }
}

/// A `list<utf8>` column.
struct ListCol<'a> {
    list: &'a ListArray,
    values: StrCol<'a>,
}

impl<'a> ListCol<'a> {
    fn new(path: &Path, column: &Column, array: &'a dyn Array) -> Result<Self, Error> {
        let list = array
            .as_list_opt::<i32>()
            .ok_or_else(|| wrong_type(path, column, array.data_type()))?;
        let values = StrCol::new(path, column, list.values().as_ref())?;
        Ok(ListCol { list, values })
    }

    fn fill(&self, i: usize, out: &mut Vec<&'a str>) {
        out.clear();
        if self.list.is_null(i) {
            return;
        }
        let offsets = self.list.value_offsets();
        let (start, end) = (offsets[i], offsets[i + 1]);
        for j in start..end {
            if let Some(v) = usize::try_from(j).ok().and_then(|j| self.values.get(j)) {
                out.push(v);
            }
        }
    }
}

fn fill<'a>(list: &Option<ListCol<'a>>, i: usize, out: &mut Vec<&'a str>) {
    match list {
        Some(l) => l.fill(i, out),
        None => out.clear(),
    }
}

fn int(array: Option<&Int32Array>, i: usize) -> Option<i32> {
    array.and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
}

fn bool(array: Option<&BooleanArray>, i: usize) -> Option<bool> {
    array.and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
}

/// The columns of one batch that [`Row`] reads, each `None` when not projected.
struct Columns<'a> {
    domain: Option<StrCol<'a>>,
    resolution: LabelCol<'a>,
    ns_hosts: Option<ListCol<'a>>,
    mx_status: LabelCol<'a>,
    mx_hosts: Option<ListCol<'a>>,
    spf_status: LabelCol<'a>,
    spf_record: Option<StrCol<'a>>,
    spf_all: LabelCol<'a>,
    spf_lookups: Option<&'a Int32Array>,
    dmarc_status: LabelCol<'a>,
    dmarc_record: Option<StrCol<'a>>,
    dmarc_p: LabelCol<'a>,
    dmarc_np: LabelCol<'a>,
    dmarc_pct: Option<&'a Int32Array>,
    dmarc_t: Option<&'a BooleanArray>,
    dmarc_rua: Option<ListCol<'a>>,
    dmarc_rua_authorized: Option<&'a BooleanArray>,
    dnssec_status: LabelCol<'a>,
    dnssec_reason: Option<StrCol<'a>>,
    bimi_status: LabelCol<'a>,
    mta_sts_status: LabelCol<'a>,
    tlsrpt_status: LabelCol<'a>,
    dkim_status: LabelCol<'a>,
    dane_status: LabelCol<'a>,
    parked: Option<&'a BooleanArray>,
}

impl<'a> Columns<'a> {
    fn new(path: &Path, batch: &'a RecordBatch) -> Result<Self, Error> {
        let array = |c: &Column| batch.column_by_name(c.name).map(|a| a.as_ref());
        let text = |c: &Column| array(c).map(|a| StrCol::new(path, c, a)).transpose();
        let label = |c: Column| {
            Ok::<_, Error>(LabelCol {
                column: c,
                text: text(&c)?,
            })
        };
        let list = |c: &Column| array(c).map(|a| ListCol::new(path, c, a)).transpose();
        let ints = |c: &Column| {
            array(c)
                .map(|a| {
                    a.as_primitive_opt::<Int32Type>()
                        .ok_or_else(|| wrong_type(path, c, a.data_type()))
                })
                .transpose()
        };
        let bools = |c: &Column| {
            array(c)
                .map(|a| {
                    a.as_boolean_opt()
                        .ok_or_else(|| wrong_type(path, c, a.data_type()))
                })
                .transpose()
        };
        Ok(Columns {
            domain: text(&col::DOMAIN)?,
            resolution: label(col::RESOLUTION)?,
            ns_hosts: list(&col::NS_HOSTS)?,
            mx_status: label(col::MX_STATUS)?,
            mx_hosts: list(&col::MX_HOSTS)?,
            spf_status: label(col::SPF_STATUS)?,
            spf_record: text(&col::SPF_RECORD)?,
            spf_all: label(col::SPF_ALL)?,
            spf_lookups: ints(&col::SPF_LOOKUPS)?,
            dmarc_status: label(col::DMARC_STATUS)?,
            dmarc_record: text(&col::DMARC_RECORD)?,
            dmarc_p: label(col::DMARC_P)?,
            dmarc_np: label(col::DMARC_NP)?,
            dmarc_pct: ints(&col::DMARC_PCT)?,
            dmarc_t: bools(&col::DMARC_T)?,
            dmarc_rua: list(&col::DMARC_RUA)?,
            dmarc_rua_authorized: bools(&col::DMARC_RUA_AUTHORIZED)?,
            dnssec_status: label(col::DNSSEC_STATUS)?,
            dnssec_reason: text(&col::DNSSEC_REASON)?,
            bimi_status: label(col::BIMI_STATUS)?,
            mta_sts_status: label(col::MTA_STS_STATUS)?,
            tlsrpt_status: label(col::TLSRPT_STATUS)?,
            dkim_status: label(col::DKIM_STATUS)?,
            dane_status: label(col::DANE_STATUS)?,
            parked: bools(&col::PARKED)?,
        })
    }
}

/// Streams every row of `files`, reading only `columns`, and calls `f` on each.
/// Returns the number of rows. A column named in `columns` but missing from a
/// file is an error: a report silently built on absent data would publish zeros.
pub fn for_each_row(
    files: &[PathBuf],
    columns: &[Column],
    mut f: impl FnMut(&Row<'_>),
) -> Result<u64, Error> {
    let mut rows = 0u64;
    for path in files {
        let file = File::open(path).map_err(Error::io("open", path))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(Error::parquet(path))?;
        let schema = builder.parquet_schema();
        // Top-level column index by name; a list column spans several leaves,
        // so match on the root of each leaf's path.
        let mut roots = Vec::new();
        for column in columns {
            let found = schema
                .columns()
                .iter()
                .enumerate()
                .find(|(_, c)| c.path().parts().first().map(String::as_str) == Some(column.name))
                .map(|(i, _)| schema.get_column_root_idx(i));
            match found {
                Some(root) => roots.push(root),
                None if crate::row::LATER_COLUMNS.contains(column) => {}
                None => {
                    return Err(Error::MissingColumn {
                        path: path.clone(),
                        column: column.name,
                    });
                }
            }
        }
        let mask = ProjectionMask::roots(schema, roots);
        let reader = builder
            .with_projection(mask)
            .build()
            .map_err(Error::parquet(path))?;
        for batch in reader {
            let batch = batch.map_err(Error::parquet(path))?;
            let c = Columns::new(path, &batch)?;
            // Reused per row; they borrow from this batch, so they live with it.
            let (mut ns, mut mx, mut rua) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..batch.num_rows() {
                fill(&c.ns_hosts, i, &mut ns);
                fill(&c.mx_hosts, i, &mut mx);
                fill(&c.dmarc_rua, i, &mut rua);
                let row = Row {
                    domain: c.domain.and_then(|d| d.get(i)).unwrap_or(""),
                    resolution: c.resolution.get(path, i)?,
                    ns_hosts: &ns,
                    mx_status: c.mx_status.get(path, i)?,
                    mx_hosts: &mx,
                    spf_status: c.spf_status.get(path, i)?,
                    spf_record: c.spf_record.and_then(|r| r.get(i)),
                    spf_all: c.spf_all.get(path, i)?,
                    spf_lookups: int(c.spf_lookups, i),
                    dmarc_status: c.dmarc_status.get(path, i)?,
                    dmarc_record: c.dmarc_record.and_then(|r| r.get(i)),
                    dmarc_p: c.dmarc_p.get(path, i)?,
                    dmarc_np: c.dmarc_np.get(path, i)?,
                    dmarc_pct: int(c.dmarc_pct, i),
                    dmarc_t: bool(c.dmarc_t, i),
                    dmarc_rua: &rua,
                    dmarc_rua_authorized: bool(c.dmarc_rua_authorized, i),
                    dnssec_status: c.dnssec_status.get(path, i)?,
                    dnssec_reason: c.dnssec_reason.and_then(|r| r.get(i)),
                    bimi_status: c.bimi_status.get(path, i)?,
                    mta_sts_status: c.mta_sts_status.get(path, i)?,
                    tlsrpt_status: c.tlsrpt_status.get(path, i)?,
                    dkim_status: c.dkim_status.get(path, i)?,
                    dane_status: c.dane_status.get(path, i)?,
                    parked: bool(c.parked, i),
                };
                f(&row);
                rows += 1;
            }
        }
    }
    Ok(rows)
}
