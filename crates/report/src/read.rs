//! Finding snapshots and streaming their rows.
//!
//! A scan directory holds one folder per snapshot, `scan_date=YYYY-MM-DD/`, with
//! complete parts named `part-*.parquet` (writers use a temporary name until a
//! part is closed, so anything else is skipped). Files are read with a
//! projection mask by column name and streamed batch by batch: memory stays
//! bounded by one record batch whatever the size of the snapshot.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, BooleanArray, Int32Array, LargeStringArray, ListArray, RecordBatch, StringArray,
    StringViewArray,
};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::Error;
use crate::row::Row;

/// One snapshot: a scan date and its complete Parquet parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `YYYY-MM-DD`, from the folder name.
    pub date: String,
    /// Complete parts, sorted by path.
    pub files: Vec<PathBuf>,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn parts_in(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut parts = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io(dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io(dir.to_path_buf(), e))?;
        let path = entry.path();
        let complete = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("part-") && n.ends_with(".parquet"));
        if complete && path.is_file() {
            parts.push(path);
        }
    }
    parts.sort();
    Ok(parts)
}

/// The snapshots below `dir`, oldest first. `dir` may also be one
/// `scan_date=…` folder itself.
pub fn discover(dir: &Path) -> Result<Vec<Snapshot>, Error> {
    let own_date = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("scan_date="))
        .filter(|d| is_date(d));
    if let Some(date) = own_date {
        let files = parts_in(dir)?;
        if files.is_empty() {
            return Err(Error::NoData(dir.to_path_buf()));
        }
        return Ok(vec![Snapshot {
            date: date.to_string(),
            files,
        }]);
    }
    let mut snapshots = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io(dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io(dir.to_path_buf(), e))?;
        let path = entry.path();
        let Some(date) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("scan_date="))
            .filter(|d| is_date(d))
            .map(str::to_string)
        else {
            continue;
        };
        if !path.is_dir() {
            continue;
        }
        let files = parts_in(&path)?;
        if !files.is_empty() {
            snapshots.push(Snapshot { date, files });
        }
    }
    if snapshots.is_empty() {
        return Err(Error::NoData(dir.to_path_buf()));
    }
    snapshots.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(snapshots)
}

/// A string column in any of arrow's string layouts.
#[derive(Clone, Copy)]
enum StrCol<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> StrCol<'a> {
    fn new(name: &str, array: &'a dyn Array) -> Result<Self, Error> {
        match array.data_type() {
            DataType::Utf8 => Ok(StrCol::Utf8(array.as_string::<i32>())),
            DataType::LargeUtf8 => Ok(StrCol::Large(array.as_string::<i64>())),
            DataType::Utf8View => Ok(StrCol::View(array.as_string_view())),
            other => Err(Error::ColumnType(name.to_string(), other.to_string())),
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

/// A `list<utf8>` column.
struct ListCol<'a> {
    list: &'a ListArray,
    values: StrCol<'a>,
}

impl<'a> ListCol<'a> {
    fn new(name: &str, array: &'a dyn Array) -> Result<Self, Error> {
        let list = array
            .as_list_opt::<i32>()
            .ok_or_else(|| Error::ColumnType(name.to_string(), array.data_type().to_string()))?;
        let values = StrCol::new(name, list.values().as_ref())?;
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

/// The projected columns of one batch, each `None` when not projected.
struct Columns<'a> {
    str_cols: Vec<Option<StrCol<'a>>>,
    lists: Vec<Option<ListCol<'a>>>,
    ints: Vec<Option<&'a Int32Array>>,
    bools: Vec<Option<&'a BooleanArray>>,
}

const STR_NAMES: &[&str] = &[
    "domain",
    "resolution",
    "mx_status",
    "spf_status",
    "spf_record",
    "spf_all",
    "dmarc_status",
    "dmarc_p",
    "dnssec_status",
    "bimi_status",
    "mta_sts_status",
    "tlsrpt_status",
    "dkim_status",
    "dane_status",
];
const LIST_NAMES: &[&str] = &["ns_hosts", "mx_hosts", "dmarc_rua"];
const INT_NAMES: &[&str] = &["spf_lookups", "dmarc_pct"];
const BOOL_NAMES: &[&str] = &["dmarc_rua_authorized", "parked"];

impl<'a> Columns<'a> {
    fn new(batch: &'a RecordBatch) -> Result<Self, Error> {
        let str_cols = STR_NAMES
            .iter()
            .map(|n| {
                batch
                    .column_by_name(n)
                    .map(|a| StrCol::new(n, a.as_ref()))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let lists = LIST_NAMES
            .iter()
            .map(|n| {
                batch
                    .column_by_name(n)
                    .map(|a| ListCol::new(n, a.as_ref()))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let ints = INT_NAMES
            .iter()
            .map(|n| {
                batch
                    .column_by_name(n)
                    .map(|a| {
                        a.as_primitive_opt::<Int32Type>().ok_or_else(|| {
                            Error::ColumnType(n.to_string(), a.data_type().to_string())
                        })
                    })
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let bools = BOOL_NAMES
            .iter()
            .map(|n| {
                batch
                    .column_by_name(n)
                    .map(|a| {
                        a.as_boolean_opt().ok_or_else(|| {
                            Error::ColumnType(n.to_string(), a.data_type().to_string())
                        })
                    })
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        Ok(Columns {
            str_cols,
            lists,
            ints,
            bools,
        })
    }

    fn s(&self, idx: usize, i: usize) -> Option<&'a str> {
        self.str_cols[idx].and_then(|c| c.get(i))
    }

    fn int(&self, idx: usize, i: usize) -> Option<i32> {
        self.ints[idx].and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
    }

    fn bool(&self, idx: usize, i: usize) -> Option<bool> {
        self.bools[idx].and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
    }
}

/// Streams every row of `files`, reading only `columns`, and calls `f` on each.
/// Returns the number of rows. A column named in `columns` but missing from a
/// file is an error: a report silently built on absent data would publish zeros.
pub fn for_each_row(
    files: &[PathBuf],
    columns: &[&str],
    mut f: impl FnMut(&Row<'_>),
) -> Result<u64, Error> {
    let mut rows = 0u64;
    for path in files {
        let file = File::open(path).map_err(|e| Error::Io(path.clone(), e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| Error::Parquet(path.clone(), e))?;
        let schema = builder.parquet_schema();
        // Top-level column index by name; a list column spans several leaves,
        // so match on the root of each leaf's path.
        let mut roots = Vec::new();
        for name in columns {
            let found = schema
                .columns()
                .iter()
                .enumerate()
                .find(|(_, c)| c.path().parts().first().map(String::as_str) == Some(*name))
                .map(|(i, _)| schema.get_column_root_idx(i));
            match found {
                Some(root) => roots.push(root),
                None => return Err(Error::MissingColumn(path.clone(), (*name).to_string())),
            }
        }
        let mask = ProjectionMask::roots(schema, roots);
        let reader = builder
            .with_projection(mask)
            .build()
            .map_err(|e| Error::Parquet(path.clone(), e))?;
        for batch in reader {
            let batch = batch.map_err(|e| Error::Arrow(path.clone(), e))?;
            let cols = Columns::new(&batch)?;
            // Reused per row; they borrow from this batch, so they live with it.
            let (mut ns, mut mx, mut rua) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..batch.num_rows() {
                for (buf, idx) in [(&mut ns, 0), (&mut mx, 1), (&mut rua, 2)] {
                    match &cols.lists[idx] {
                        Some(l) => l.fill(i, buf),
                        None => buf.clear(),
                    }
                }
                let row = Row {
                    domain: cols.s(0, i).unwrap_or(""),
                    resolution: cols.s(1, i).unwrap_or(""),
                    ns_hosts: &ns,
                    mx_status: cols.s(2, i).unwrap_or(""),
                    mx_hosts: &mx,
                    spf_status: cols.s(3, i).unwrap_or(""),
                    spf_record: cols.s(4, i),
                    spf_all: cols.s(5, i),
                    spf_lookups: cols.int(0, i),
                    dmarc_status: cols.s(6, i).unwrap_or(""),
                    dmarc_p: cols.s(7, i),
                    dmarc_pct: cols.int(1, i),
                    dmarc_rua: &rua,
                    dmarc_rua_authorized: cols.bool(0, i),
                    dnssec_status: cols.s(8, i).unwrap_or(""),
                    bimi_status: cols.s(9, i).unwrap_or(""),
                    mta_sts_status: cols.s(10, i).unwrap_or(""),
                    tlsrpt_status: cols.s(11, i).unwrap_or(""),
                    dkim_status: cols.s(12, i).unwrap_or(""),
                    dane_status: cols.s(13, i).unwrap_or(""),
                    parked: cols.bool(1, i),
                };
                f(&row);
                rows += 1;
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_iso() {
        for (s, ok) in [
            ("2026-11-23", true),
            ("2026-1-23", false),
            ("2026_11_23", false),
            ("20261123ab", false),
            ("", false),
        ] {
            assert_eq!(is_date(s), ok, "{s}");
        }
    }
}
