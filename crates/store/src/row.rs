//! One output row and its columnar builder.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder,
    UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field};
use mailcensus_posture::Posture;

use crate::error::Result;
use crate::schema::schema;

/// One domain's row, as the scan hands it to the store.
///
/// `scan_id` is not here: it is the same for every row of a run and comes
/// from the writer's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Position of the domain in the (sharded, deduplicated) input stream.
    /// Rows reach the writer in strictly increasing `seq`; gaps are allowed
    /// (input items that produce no row).
    pub seq: u64,
    /// `domain`: lowercase A-label, no trailing dot.
    pub domain: String,
    /// `suffix`: the zone's origin, e.g. `be`.
    pub suffix: String,
    /// `ns_hosts`: the delegation's name servers as the dump lists them.
    pub ns_hosts: Vec<String>,
    /// `scanned_at`, milliseconds since the Unix epoch (UTC).
    pub scanned_at_ms: i64,
    /// The classified columns.
    pub posture: Posture,
    /// `queries`: DNS queries spent on this domain.
    pub queries: u32,
    /// `elapsed_ms`: wall time from the first query to the classification.
    pub elapsed_ms: u32,
}

/// The value of each counted column (see [`crate::schema::COUNTED_COLUMNS`])
/// for a row; `null` for a deselected probe.
pub(crate) fn categorical_values(row: &Row) -> [(&'static str, &'static str); 13] {
    use crate::schema::{
        BIMI_STATUS, DANE_STATUS, DKIM_STATUS, DMARC_P, DMARC_STATUS, DNSSEC_STATUS,
        MTA_STS_STATUS, MX_STATUS, PARKED, RESOLUTION, SPF_ALL, SPF_STATUS, TLSRPT_STATUS,
    };
    let p = &row.posture;
    fn or_null(v: Option<&'static str>) -> &'static str {
        v.unwrap_or("null")
    }
    [
        (RESOLUTION.name, p.resolution.label()),
        (
            MX_STATUS.name,
            or_null(p.mx.as_ref().map(|m| m.status.label())),
        ),
        (
            SPF_STATUS.name,
            or_null(p.spf.as_ref().map(|s| s.status.label())),
        ),
        (
            SPF_ALL.name,
            or_null(p.spf.as_ref().and_then(|s| s.all).map(|a| a.label())),
        ),
        (
            DMARC_STATUS.name,
            or_null(p.dmarc.as_ref().map(|d| d.status.label())),
        ),
        (
            DMARC_P.name,
            or_null(p.dmarc.as_ref().and_then(|d| d.p).map(|v| v.label())),
        ),
        (
            DNSSEC_STATUS.name,
            or_null(p.dnssec.as_ref().map(|d| d.status.label())),
        ),
        (
            BIMI_STATUS.name,
            or_null(p.bimi.as_ref().map(|b| b.status.label())),
        ),
        (MTA_STS_STATUS.name, or_null(p.mta_sts.map(|s| s.label()))),
        (TLSRPT_STATUS.name, or_null(p.tlsrpt.map(|s| s.label()))),
        (DKIM_STATUS.name, or_null(p.dkim.map(|s| s.label()))),
        (DANE_STATUS.name, or_null(p.dane.map(|s| s.label()))),
        (PARKED.name, if p.parked { "true" } else { "false" }),
    ]
}

/// Value counts per counted column: column → value → rows.
pub type Counts = BTreeMap<String, BTreeMap<String, u64>>;

/// Value counts of the rows of one open part, keyed by the static labels so
/// counting a row allocates nothing.
pub(crate) type PartCounts = BTreeMap<&'static str, BTreeMap<&'static str, u64>>;

pub(crate) fn count_row(counts: &mut PartCounts, row: &Row) {
    for (column, value) in categorical_values(row) {
        *counts.entry(column).or_default().entry(value).or_default() += 1;
    }
}

pub(crate) fn merge_counts(into: &mut Counts, from: &PartCounts) {
    for (column, values) in from {
        let target = into.entry((*column).to_owned()).or_default();
        for (value, n) in values {
            *target.entry((*value).to_owned()).or_default() += n;
        }
    }
}

fn list_utf8() -> ListBuilder<StringBuilder> {
    ListBuilder::new(StringBuilder::new())
        .with_field(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn append_strings(builder: &mut ListBuilder<StringBuilder>, values: Option<&[String]>) {
    match values {
        Some(values) => {
            for v in values {
                builder.values().append_value(v);
            }
            builder.append(true);
        }
        None => builder.append(false),
    }
}

/// Counts and durations beyond `i32::MAX` cannot occur in practice; saturating
/// keeps a corrupt value from wrapping negative.
fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Accumulates rows column by column and turns them into a [`RecordBatch`] of
/// the contract [`schema`].
#[derive(Debug)]
pub struct BatchBuilder {
    scan_id: String,
    len: usize,
    domain: StringBuilder,
    suffix: StringBuilder,
    scan_id_col: StringBuilder,
    scanned_at: TimestampMillisecondBuilder,
    resolution: StringBuilder,
    ns_hosts: ListBuilder<StringBuilder>,
    mx_status: StringBuilder,
    mx_hosts: ListBuilder<StringBuilder>,
    spf_status: StringBuilder,
    spf_record: StringBuilder,
    spf_all: StringBuilder,
    spf_lookups: Int32Builder,
    spf_void_lookups: Int32Builder,
    spf_error: StringBuilder,
    dmarc_status: StringBuilder,
    dmarc_record: StringBuilder,
    dmarc_error: StringBuilder,
    dmarc_p: StringBuilder,
    dmarc_sp: StringBuilder,
    dmarc_np: StringBuilder,
    dmarc_pct: Int32Builder,
    dmarc_t: BooleanBuilder,
    dmarc_rua: ListBuilder<StringBuilder>,
    dmarc_ruf: ListBuilder<StringBuilder>,
    dmarc_rua_authorized: BooleanBuilder,
    dnssec_status: StringBuilder,
    dnssec_algorithms: ListBuilder<UInt8Builder>,
    dnssec_reason: StringBuilder,
    bimi_status: StringBuilder,
    bimi_logo: StringBuilder,
    bimi_authority: StringBuilder,
    mta_sts_status: StringBuilder,
    tlsrpt_status: StringBuilder,
    dkim_status: StringBuilder,
    dane_status: StringBuilder,
    parked: BooleanBuilder,
    queries: Int32Builder,
    elapsed_ms: Int32Builder,
}

impl BatchBuilder {
    /// An empty builder; every row gets `scan_id` in its `scan_id` column.
    pub fn new(scan_id: impl Into<String>) -> Self {
        BatchBuilder {
            scan_id: scan_id.into(),
            len: 0,
            domain: StringBuilder::new(),
            suffix: StringBuilder::new(),
            scan_id_col: StringBuilder::new(),
            scanned_at: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            resolution: StringBuilder::new(),
            ns_hosts: list_utf8(),
            mx_status: StringBuilder::new(),
            mx_hosts: list_utf8(),
            spf_status: StringBuilder::new(),
            spf_record: StringBuilder::new(),
            spf_all: StringBuilder::new(),
            spf_lookups: Int32Builder::new(),
            spf_void_lookups: Int32Builder::new(),
            spf_error: StringBuilder::new(),
            dmarc_status: StringBuilder::new(),
            dmarc_record: StringBuilder::new(),
            dmarc_error: StringBuilder::new(),
            dmarc_p: StringBuilder::new(),
            dmarc_sp: StringBuilder::new(),
            dmarc_np: StringBuilder::new(),
            dmarc_pct: Int32Builder::new(),
            dmarc_t: BooleanBuilder::new(),
            dmarc_rua: list_utf8(),
            dmarc_ruf: list_utf8(),
            dmarc_rua_authorized: BooleanBuilder::new(),
            dnssec_status: StringBuilder::new(),
            dnssec_algorithms: ListBuilder::new(UInt8Builder::new())
                .with_field(Arc::new(Field::new_list_field(DataType::UInt8, true))),
            dnssec_reason: StringBuilder::new(),
            bimi_status: StringBuilder::new(),
            bimi_logo: StringBuilder::new(),
            bimi_authority: StringBuilder::new(),
            mta_sts_status: StringBuilder::new(),
            tlsrpt_status: StringBuilder::new(),
            dkim_status: StringBuilder::new(),
            dane_status: StringBuilder::new(),
            parked: BooleanBuilder::new(),
            queries: Int32Builder::new(),
            elapsed_ms: Int32Builder::new(),
        }
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no row is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one row.
    pub fn push(&mut self, row: &Row) {
        let p = &row.posture;
        self.len += 1;
        self.domain.append_value(&row.domain);
        self.suffix.append_value(&row.suffix);
        self.scan_id_col.append_value(&self.scan_id);
        self.scanned_at.append_value(row.scanned_at_ms);
        self.resolution.append_value(p.resolution.label());
        append_strings(&mut self.ns_hosts, Some(&row.ns_hosts));

        let mx = p.mx.as_ref();
        self.mx_status.append_option(mx.map(|m| m.status.label()));
        append_strings(&mut self.mx_hosts, mx.map(|m| m.hosts.as_slice()));

        let spf = p.spf.as_ref();
        self.spf_status.append_option(spf.map(|s| s.status.label()));
        self.spf_record
            .append_option(spf.and_then(|s| s.record.as_deref()));
        self.spf_all
            .append_option(spf.and_then(|s| s.all).map(|a| a.label()));
        self.spf_lookups.append_option(spf.and_then(|s| s.lookups));
        self.spf_void_lookups
            .append_option(spf.and_then(|s| s.void_lookups));
        self.spf_error
            .append_option(spf.and_then(|s| s.error.as_deref()));

        let dmarc = p.dmarc.as_ref();
        self.dmarc_status
            .append_option(dmarc.map(|d| d.status.label()));
        self.dmarc_record
            .append_option(dmarc.and_then(|d| d.record.as_deref()));
        self.dmarc_error
            .append_option(dmarc.and_then(|d| d.error.as_deref()));
        self.dmarc_p
            .append_option(dmarc.and_then(|d| d.p).map(|v| v.label()));
        self.dmarc_sp
            .append_option(dmarc.and_then(|d| d.sp).map(|v| v.label()));
        self.dmarc_np
            .append_option(dmarc.and_then(|d| d.np).map(|v| v.label()));
        self.dmarc_pct.append_option(dmarc.and_then(|d| d.pct));
        self.dmarc_t.append_option(dmarc.and_then(|d| d.t));
        append_strings(&mut self.dmarc_rua, dmarc.map(|d| d.rua.as_slice()));
        append_strings(&mut self.dmarc_ruf, dmarc.map(|d| d.ruf.as_slice()));
        self.dmarc_rua_authorized
            .append_option(dmarc.and_then(|d| d.rua_authorized));

        let dnssec = p.dnssec.as_ref();
        self.dnssec_status
            .append_option(dnssec.map(|d| d.status.label()));
        match dnssec {
            Some(d) => {
                self.dnssec_algorithms.values().append_slice(&d.algorithms);
                self.dnssec_algorithms.append(true);
            }
            None => self.dnssec_algorithms.append(false),
        }
        self.dnssec_reason
            .append_option(dnssec.and_then(|d| d.reason.as_deref()));

        let bimi = p.bimi.as_ref();
        self.bimi_status
            .append_option(bimi.map(|b| b.status.label()));
        self.bimi_logo
            .append_option(bimi.and_then(|b| b.logo.as_deref()));
        self.bimi_authority
            .append_option(bimi.and_then(|b| b.authority.as_deref()));

        self.mta_sts_status
            .append_option(p.mta_sts.map(|s| s.label()));
        self.tlsrpt_status
            .append_option(p.tlsrpt.map(|s| s.label()));
        self.dkim_status.append_option(p.dkim.map(|s| s.label()));
        self.dane_status.append_option(p.dane.map(|s| s.label()));
        self.parked.append_value(p.parked);
        self.queries.append_value(to_i32(row.queries));
        self.elapsed_ms.append_value(to_i32(row.elapsed_ms));
    }

    /// Takes the pending rows as a record batch and resets the builder.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        self.len = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.domain.finish()),
            Arc::new(self.suffix.finish()),
            Arc::new(self.scan_id_col.finish()),
            Arc::new(self.scanned_at.finish()),
            Arc::new(self.resolution.finish()),
            Arc::new(self.ns_hosts.finish()),
            Arc::new(self.mx_status.finish()),
            Arc::new(self.mx_hosts.finish()),
            Arc::new(self.spf_status.finish()),
            Arc::new(self.spf_record.finish()),
            Arc::new(self.spf_all.finish()),
            Arc::new(self.spf_lookups.finish()),
            Arc::new(self.spf_void_lookups.finish()),
            Arc::new(self.spf_error.finish()),
            Arc::new(self.dmarc_status.finish()),
            Arc::new(self.dmarc_record.finish()),
            Arc::new(self.dmarc_error.finish()),
            Arc::new(self.dmarc_p.finish()),
            Arc::new(self.dmarc_sp.finish()),
            Arc::new(self.dmarc_np.finish()),
            Arc::new(self.dmarc_pct.finish()),
            Arc::new(self.dmarc_t.finish()),
            Arc::new(self.dmarc_rua.finish()),
            Arc::new(self.dmarc_ruf.finish()),
            Arc::new(self.dmarc_rua_authorized.finish()),
            Arc::new(self.dnssec_status.finish()),
            Arc::new(self.dnssec_algorithms.finish()),
            Arc::new(self.dnssec_reason.finish()),
            Arc::new(self.bimi_status.finish()),
            Arc::new(self.bimi_logo.finish()),
            Arc::new(self.bimi_authority.finish()),
            Arc::new(self.mta_sts_status.finish()),
            Arc::new(self.tlsrpt_status.finish()),
            Arc::new(self.dkim_status.finish()),
            Arc::new(self.dane_status.finish()),
            Arc::new(self.parked.finish()),
            Arc::new(self.queries.finish()),
            Arc::new(self.elapsed_ms.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate_instead_of_wrapping() {
        for (input, want) in [
            (0, 0),
            (7, 7),
            (i32::MAX as u32, i32::MAX),
            (u32::MAX, i32::MAX),
        ] {
            assert_eq!(to_i32(input), want);
        }
    }

    #[test]
    fn counts_merge_by_column_and_value() {
        let mut a = Counts::new();
        let mut first = PartCounts::new();
        let mut second = PartCounts::new();
        count_row(&mut first, &crate::sample::row(7, "be"));
        count_row(&mut second, &crate::sample::row(7, "be"));
        count_row(&mut second, &crate::sample::row(3, "be"));
        merge_counts(&mut a, &first);
        merge_counts(&mut a, &second);
        assert_eq!(a["parked"]["true"], 2);
        assert_eq!(a["resolution"]["nxdomain"], 1);
        assert_eq!(a["resolution"]["ok"], 2);
        assert_eq!(a.len(), crate::schema::COUNTED_COLUMNS.len());
        for column in crate::schema::COUNTED_COLUMNS {
            assert!(a.contains_key(column.name), "{column}");
        }
    }
}
