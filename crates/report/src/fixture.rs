//! Synthetic scan rows written as contract Parquet, for tests, the notebook
//! fixture and the benchmark generator. The report never uses it to read.
//!
//! Rows are the store's own [`Row`]s and are written by the store's own
//! [`DatasetWriter`], so a fixture has the contract's schema, layout and
//! vocabularies by construction: there is no second description of them here.

use std::path::{Path, PathBuf};

use mailcensus_store::posture::bimi::BimiPosture;
use mailcensus_store::posture::dmarc::DmarcPosture;
use mailcensus_store::posture::dnssec::DnssecPosture;
use mailcensus_store::posture::mx::MxPosture;
use mailcensus_store::posture::spf::SpfPosture;
use mailcensus_store::vocab::{AllQualifier, DnssecStatus, Label, MxStatus, Policy};
use mailcensus_store::{DatasetWriter, Row, RunConfig, Shard, Summary, sample};

use crate::ReportError;
use crate::metrics::present;

/// `scanned_at` of fixture rows: 2026-01-01T00:00:00Z.
pub const SCANNED_AT_MS: i64 = 1_767_225_600_000;

/// The `scan_id` of fixture datasets.
pub const SCAN_ID: &str = "fixture";

/// A resolved domain with every probe authoritatively absent (DNSSEC
/// `insecure`): the base that tests and fixtures modify.
pub fn absent(domain: &str) -> Row {
    Row {
        seq: 0,
        domain: domain.to_string(),
        suffix: domain.rsplit('.').next().unwrap_or("").to_string(),
        ns_hosts: Vec::new(),
        scanned_at_ms: SCANNED_AT_MS,
        posture: sample::absent_posture(),
        queries: 9,
        elapsed_ms: 1,
    }
}

/// Marks `row` as a domain whose resolution failed: `resolution` and every
/// probe's status are `error` (a failure is never absence).
pub fn mark_error(row: &mut Row) {
    row.posture = sample::error_posture();
}

/// Sets the DNSSEC status, with the algorithm list a scan gives it: one
/// algorithm (13) for a signed domain, none otherwise.
pub fn set_dnssec(row: &mut Row, status: DnssecStatus) {
    row.posture.dnssec = Some(DnssecPosture {
        status,
        algorithms: if status == DnssecStatus::Secure {
            vec![13]
        } else {
            Vec::new()
        },
        ..DnssecPosture::insecure()
    });
}

/// The value labelled `label` in vocabulary `T`.
pub fn label<T: Label>(label: &str) -> Result<T, ReportError> {
    T::from_label(label)
        .ok_or_else(|| ReportError::Fixture(format!("{label:?} is not in the vocabulary")))
}

fn optional<T: Label>(text: Option<&str>) -> Result<Option<T>, ReportError> {
    text.filter(|s| !s.is_empty()).map(label).transpose()
}

/// Writes one snapshot dated `date` below `dir`, as one shard of `shards`,
/// with the store's writer (its layout, its manifest, its Parquet). Rows are
/// numbered in the order given, whatever their `seq`.
pub fn write_shard(
    dir: &Path,
    date: &str,
    shard: Shard,
    rows: impl IntoIterator<Item = Row>,
) -> Result<Summary, ReportError> {
    let mut writer = DatasetWriter::create(RunConfig::new(dir, date, shard, SCAN_ID))?;
    for (seq, mut row) in (0u64..).zip(rows) {
        row.seq = seq;
        writer.push(&row)?;
    }
    Ok(writer.finish()?)
}

/// Writes `rows` as the single shard of snapshot `date` below `dir`; returns
/// the partition folder.
pub fn write_snapshot(dir: &Path, date: &str, rows: &[Row]) -> Result<PathBuf, ReportError> {
    write_shard(dir, date, Shard::SINGLE, rows.iter().cloned())?;
    Ok(mailcensus_store::partition_dir(dir, date))
}

/// Builds a row from a compact description: the domain, then `key=value`
/// tokens, each optional (defaults are [`absent`]):
///
/// `res=ok|nxdomain|error`, `ns=h1,h2`, `mx=STATUS[:h1,h2]`,
/// `spf=STATUS[:ALL[:LOOKUPS]]`, `inc=t1,t2` (SPF include targets, which also
/// build `spf_record`), `dmarc=STATUS[:P[:PCT]]`, `rua=u1,u2`, `auth=true|false`,
/// `dnssec=S`, `bimi=S`, `logo=TEXT`, `sts=S`, `tlsrpt=S`, `dkim=S`, `dane=S`,
/// `parked=true`, and `err` (every status column `error`, as a lame delegation).
/// Values are the contract's labels; any other is an error.
///
/// ```
/// use mailcensus_store::vocab::{AllQualifier, Policy};
/// let r = mailcensus_report::fixture::compact("a.example spf=valid:-all:2 dmarc=valid:reject")?;
/// assert_eq!(r.posture.spf.unwrap().all, Some(AllQualifier::Fail));
/// assert_eq!(r.posture.dmarc.unwrap().p, Some(Policy::Reject));
/// # Ok::<(), mailcensus_report::ReportError>(())
/// ```
pub fn compact(desc: &str) -> Result<Row, ReportError> {
    let mut tokens = desc.split_ascii_whitespace();
    let mut r = absent(tokens.next().unwrap_or(""));
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
        let first = parts.next().unwrap_or("");
        let p = &mut r.posture;
        let spf = p.spf.get_or_insert_with(SpfPosture::absent);
        match k {
            "res" => p.resolution = label(first)?,
            "ns" => r.ns_hosts = list(v),
            "mx" => {
                let status = label(first)?;
                let hosts = if status == MxStatus::NullMx {
                    vec![".".to_string()]
                } else {
                    list(parts.next().unwrap_or(""))
                };
                p.mx = Some(MxPosture { status, hosts });
            }
            "spf" => {
                spf.status = label(first)?;
                spf.all = optional::<AllQualifier>(parts.next())?;
                spf.lookups = parts.next().and_then(|s| s.parse().ok()).or(Some(0));
            }
            "inc" => includes = list(v),
            "dmarc" => {
                let dmarc = p.dmarc.get_or_insert_with(DmarcPosture::absent);
                dmarc.status = label(first)?;
                dmarc.p = optional::<Policy>(parts.next())?;
                dmarc.pct = parts.next().and_then(|s| s.parse().ok());
            }
            "rua" => p.dmarc.get_or_insert_with(DmarcPosture::absent).rua = list(v),
            "auth" => {
                p.dmarc
                    .get_or_insert_with(DmarcPosture::absent)
                    .rua_authorized = Some(first == "true");
            }
            "dnssec" => set_dnssec(&mut r, label(first)?),
            "why" => {
                if let Some(dnssec) = r.posture.dnssec.as_mut() {
                    dnssec.reason = Some(v.to_string());
                }
            }
            "bimi" => p.bimi.get_or_insert_with(BimiPosture::absent).status = label(first)?,
            "logo" => p.bimi.get_or_insert_with(BimiPosture::absent).logo = Some(v.to_string()),
            "sts" => p.mta_sts = Some(label(first)?),
            "tlsrpt" => p.tlsrpt = Some(label(first)?),
            "dkim" => p.dkim = Some(label(first)?),
            "dane" => p.dane = Some(label(first)?),
            "parked" => p.parked = first == "true",
            "err" => mark_error(&mut r),
            other => {
                return Err(ReportError::Fixture(format!(
                    "unknown key {other:?} in {desc:?}"
                )));
            }
        }
    }
    let spf = r.posture.spf.get_or_insert_with(SpfPosture::absent);
    if present(Some(spf.status)) {
        let mut rec = String::from("v=spf1");
        for i in &includes {
            rec.push_str(" include:");
            rec.push_str(i);
        }
        if let Some(a) = spf.all {
            rec.push(' ');
            rec.push_str(a.label());
        }
        spf.record = Some(rec);
        spf.void_lookups = spf.lookups.map(|_| 0);
    } else {
        spf.lookups = None;
    }
    Ok(r)
}
