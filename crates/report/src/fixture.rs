//! Writes [`OwnedRow`]s as Parquet with the full column set of the DESIGN.md
//! contract, for tests, the notebook fixture and the benchmark generator.
//! The report never uses it to read.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder, UInt8Builder};
use arrow_array::{
    ArrayRef, BooleanArray, Int32Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::Error;
use crate::row::OwnedRow;

fn list_utf8() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// The contract schema (every column, in contract order).
pub fn schema() -> Schema {
    let s = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    let l = |n: &str| Field::new(n, list_utf8(), false);
    let i = |n: &str| Field::new(n, DataType::Int32, true);
    let b = |n: &str| Field::new(n, DataType::Boolean, true);
    Schema::new(vec![
        s("domain", false),
        s("suffix", false),
        s("scan_id", false),
        Field::new(
            "scanned_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        s("resolution", false),
        l("ns_hosts"),
        s("mx_status", false),
        l("mx_hosts"),
        s("spf_status", false),
        s("spf_record", true),
        s("spf_all", true),
        i("spf_lookups"),
        i("spf_void_lookups"),
        s("spf_error", true),
        s("dmarc_status", false),
        s("dmarc_record", true),
        s("dmarc_error", true),
        s("dmarc_p", true),
        s("dmarc_sp", true),
        s("dmarc_np", true),
        i("dmarc_pct"),
        b("dmarc_t"),
        l("dmarc_rua"),
        l("dmarc_ruf"),
        b("dmarc_rua_authorized"),
        s("dnssec_status", false),
        Field::new(
            "dnssec_algorithms",
            DataType::List(Arc::new(Field::new_list_field(DataType::UInt8, true))),
            false,
        ),
        s("bimi_status", false),
        s("bimi_logo", true),
        s("bimi_authority", true),
        s("mta_sts_status", false),
        s("tlsrpt_status", false),
        s("dkim_status", false),
        s("dane_status", false),
        b("parked"),
        i("queries"),
        i("elapsed_ms"),
    ])
}

fn strs<'a>(rows: &'a [OwnedRow], f: impl Fn(&'a OwnedRow) -> Option<&'a str>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<StringArray>())
}

fn lists<'a>(rows: &'a [OwnedRow], f: impl Fn(&'a OwnedRow) -> &'a [String]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new())
        .with_field(Arc::new(Field::new_list_field(DataType::Utf8, true)));
    for r in rows {
        for v in f(r) {
            b.values().append_value(v);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// One record batch of `rows` in the contract schema, as scanned at `scanned_at_ms`.
pub fn batch(rows: &[OwnedRow], scanned_at_ms: i64) -> Result<RecordBatch, Error> {
    let empty: &[String] = &[];
    let ints = |f: fn(&OwnedRow) -> Option<i32>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Int32Array>())
    };
    let bools = |f: fn(&OwnedRow) -> Option<bool>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<BooleanArray>())
    };
    let mut algs = ListBuilder::new(UInt8Builder::new())
        .with_field(Arc::new(Field::new_list_field(DataType::UInt8, true)));
    for r in rows {
        if r.dnssec_status == "secure" {
            algs.values().append_value(13);
        }
        algs.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        strs(rows, |r| Some(&r.domain)),
        strs(rows, |r| Some(r.domain.rsplit('.').next().unwrap_or(""))),
        strs(rows, |_| Some("fixture")),
        Arc::new(
            TimestampMillisecondArray::from(vec![scanned_at_ms; rows.len()]).with_timezone("UTC"),
        ),
        strs(rows, |r| Some(&r.resolution)),
        lists(rows, |r| &r.ns_hosts),
        strs(rows, |r| Some(&r.mx_status)),
        lists(rows, |r| &r.mx_hosts),
        strs(rows, |r| Some(&r.spf_status)),
        strs(rows, |r| r.spf_record.as_deref()),
        strs(rows, |r| r.spf_all.as_deref()),
        ints(|r| r.spf_lookups),
        ints(|r| r.spf_lookups.map(|_| 0)),
        strs(rows, |_| None),
        strs(rows, |r| Some(&r.dmarc_status)),
        strs(rows, |_| None),
        strs(rows, |_| None),
        strs(rows, |r| r.dmarc_p.as_deref()),
        strs(rows, |_| None),
        strs(rows, |_| None),
        ints(|r| r.dmarc_pct),
        bools(|_| None),
        lists(rows, |r| &r.dmarc_rua),
        lists(rows, |_| empty),
        bools(|r| r.dmarc_rua_authorized),
        strs(rows, |r| Some(&r.dnssec_status)),
        Arc::new(algs.finish()),
        strs(rows, |r| Some(&r.bimi_status)),
        strs(rows, |r| r.bimi_logo.as_deref()),
        strs(rows, |_| None),
        strs(rows, |r| Some(&r.mta_sts_status)),
        strs(rows, |r| Some(&r.tlsrpt_status)),
        strs(rows, |r| Some(&r.dkim_status)),
        strs(rows, |r| Some(&r.dane_status)),
        bools(|r| r.parked),
        ints(|_| Some(9)),
        ints(|_| Some(1)),
    ];
    RecordBatch::try_new(Arc::new(schema()), columns)
        .map_err(|e| Error::Arrow(Default::default(), e))
}

/// A Parquet file being written batch by batch (zstd, as the store does).
pub struct Writer {
    path: std::path::PathBuf,
    inner: ArrowWriter<std::fs::File>,
    scanned_at_ms: i64,
}

impl Writer {
    /// Creates `path` (and its parent folders).
    pub fn create(path: &Path, scanned_at_ms: i64) -> Result<Self, Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_path_buf(), e))?;
        }
        let file = std::fs::File::create(path).map_err(|e| Error::Io(path.to_path_buf(), e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let inner = ArrowWriter::try_new(file, Arc::new(schema()), Some(props))
            .map_err(|e| Error::Parquet(path.to_path_buf(), e))?;
        Ok(Writer {
            path: path.to_path_buf(),
            inner,
            scanned_at_ms,
        })
    }

    /// Appends `rows`.
    pub fn write(&mut self, rows: &[OwnedRow]) -> Result<(), Error> {
        let b = batch(rows, self.scanned_at_ms)?;
        self.inner
            .write(&b)
            .map_err(|e| Error::Parquet(self.path.clone(), e))
    }

    /// Writes the footer.
    pub fn close(self) -> Result<(), Error> {
        self.inner
            .close()
            .map_err(|e| Error::Parquet(self.path, e))?;
        Ok(())
    }
}

/// Writes `batches` of rows to `path` (zstd, as the store does).
pub fn write_parquet<'a>(
    path: &Path,
    batches: impl IntoIterator<Item = &'a [OwnedRow]>,
    scanned_at_ms: i64,
) -> Result<(), Error> {
    let mut w = Writer::create(path, scanned_at_ms)?;
    for rows in batches {
        w.write(rows)?;
    }
    w.close()
}

/// Writes `rows` as the single part of snapshot `date` below `dir`.
pub fn write_snapshot(
    dir: &Path,
    date: &str,
    rows: &[OwnedRow],
) -> Result<std::path::PathBuf, Error> {
    let path = dir
        .join(format!("scan_date={date}"))
        .join("part-0000-000000.parquet");
    write_parquet(&path, [rows], 1_767_225_600_000)?;
    Ok(path)
}

/// Builds a row from a compact description: the domain, then `key=value`
/// tokens, each optional (defaults are [`OwnedRow::absent`]):
///
/// `res=ok|nxdomain|error`, `ns=h1,h2`, `mx=STATUS[:h1,h2]`,
/// `spf=STATUS[:ALL[:LOOKUPS]]`, `inc=t1,t2` (SPF include targets, which also
/// build `spf_record`), `dmarc=STATUS[:P[:PCT]]`, `rua=u1,u2`, `auth=true|false`,
/// `dnssec=S`, `bimi=S`, `logo=TEXT`, `sts=S`, `tlsrpt=S`, `dkim=S`, `dane=S`,
/// `parked=true`, and `err` (every status column `error`, as a lame delegation).
///
/// ```
/// let r = mailcensus_report::fixture::compact("a.example spf=valid:-all:2 dmarc=valid:reject");
/// assert_eq!(r.spf_all.as_deref(), Some("-all"));
/// assert_eq!(r.dmarc_p.as_deref(), Some("reject"));
/// ```
pub fn compact(desc: &str) -> OwnedRow {
    let mut tokens = desc.split_ascii_whitespace();
    let mut r = OwnedRow::absent(tokens.next().unwrap_or(""));
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut includes = Vec::new();
    for t in tokens {
        let (k, v) = t.split_once('=').unwrap_or((t, ""));
        let mut parts = v.split(':');
        let first = parts.next().unwrap_or("").to_string();
        match k {
            "res" => r.resolution = first,
            "ns" => r.ns_hosts = list(v),
            "mx" => {
                r.mx_status = first;
                r.mx_hosts = list(parts.next().unwrap_or(""));
                if r.mx_status == "null_mx" {
                    r.mx_hosts = vec![".".to_string()];
                }
            }
            "spf" => {
                r.spf_status = first;
                r.spf_all = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
                r.spf_lookups = parts.next().and_then(|s| s.parse().ok()).or(Some(0));
            }
            "inc" => includes = list(v),
            "dmarc" => {
                r.dmarc_status = first;
                r.dmarc_p = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
                r.dmarc_pct = parts.next().and_then(|s| s.parse().ok());
            }
            "rua" => r.dmarc_rua = list(v),
            "auth" => r.dmarc_rua_authorized = Some(first == "true"),
            "dnssec" => r.dnssec_status = first,
            "bimi" => r.bimi_status = first,
            "logo" => r.bimi_logo = Some(v.to_string()),
            "sts" => r.mta_sts_status = first,
            "tlsrpt" => r.tlsrpt_status = first,
            "dkim" => r.dkim_status = first,
            "dane" => r.dane_status = first,
            "parked" => r.parked = Some(first == "true"),
            "err" => r.mark_error(),
            _ => {}
        }
    }
    if matches!(r.spf_status.as_str(), "valid" | "invalid") {
        let mut rec = String::from("v=spf1");
        for i in &includes {
            rec.push_str(" include:");
            rec.push_str(i);
        }
        if let Some(a) = &r.spf_all {
            rec.push(' ');
            rec.push_str(a);
        }
        r.spf_record = Some(rec);
    } else {
        r.spf_lookups = None;
    }
    r
}
