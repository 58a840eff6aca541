//! The Arrow schema of the Parquet contract (DESIGN.md, "Output contract").
//!
//! Each column is one constant ([`DOMAIN`], [`SPF_STATUS`], …) holding its
//! name, type and nullability; [`COLUMNS`] lists them in file order. Readers
//! (the report, tests) name columns through these constants, never by a
//! string of their own, and check a file's types against [`Column::ty`]. The
//! values of the status columns are the labels of the posture types that
//! [`crate::vocab`] re-exports.

use std::sync::{Arc, LazyLock};

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Version of the column contract written into every part's key-value metadata
/// (`mailcensus.schema_version`) and into the manifest. Bump it on any change
/// of a column's name, type, nullability or vocabulary.
///
/// * 1: the first contract.
/// * 2: `dnssec_reason` (after `dnssec_algorithms`); `dkim_status` gains
///   `unknown`; DMARC look-alikes are `absent`, not `invalid`.
pub const SCHEMA_VERSION: u32 = 2;

/// Key-value metadata keys of every part (Parquet footer `key_value_metadata`).
pub mod meta {
    /// [`SCHEMA_VERSION`](super::SCHEMA_VERSION), decimal.
    pub const SCHEMA_VERSION: &str = "mailcensus.schema_version";
    /// The scan's identifier (also the `scan_id` column).
    pub const SCAN_ID: &str = "mailcensus.scan_id";
    /// The scan date, `YYYY-MM-DD`.
    pub const SCAN_DATE: &str = "mailcensus.scan_date";
    /// The version of the tool that wrote the part.
    pub const TOOL_VERSION: &str = "mailcensus.tool_version";
    /// The shard, `i/N`.
    pub const SHARD: &str = "mailcensus.shard";
    /// The scan's options, JSON.
    pub const OPTIONS: &str = "mailcensus.options";
    /// The resolvers, a JSON array of strings.
    pub const RESOLVERS: &str = "mailcensus.resolvers";
    /// The inputs, a JSON array of `{path, size, fingerprint}`.
    pub const INPUTS: &str = "mailcensus.inputs";
    /// The part's sequence number within its shard.
    pub const PART: &str = "mailcensus.part";
    /// First input sequence number the part covers (inclusive).
    pub const SEQ_START: &str = "mailcensus.seq_start";
    /// End of the input sequence range the part covers (exclusive).
    pub const SEQ_END: &str = "mailcensus.seq_end";
}

/// The type of a column, as far as the contract distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `utf8`.
    Utf8,
    /// `timestamp(ms, "UTC")`.
    TimestampMsUtc,
    /// `int32`.
    Int32,
    /// `bool`.
    Bool,
    /// `list<utf8>`.
    ListUtf8,
    /// `list<uint8>`.
    ListUint8,
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ColumnType::Utf8 => "utf8",
            ColumnType::TimestampMsUtc => "timestamp(ms, UTC)",
            ColumnType::Int32 => "int32",
            ColumnType::Bool => "bool",
            ColumnType::ListUtf8 => "list<utf8>",
            ColumnType::ListUint8 => "list<uint8>",
        })
    }
}

impl ColumnType {
    /// The Arrow type. List children are `Field::new_list_field(_, true)`
    /// (named `item`, nullable), which is what the Arrow list builders produce.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::TimestampMsUtc => {
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
            }
            ColumnType::Int32 => DataType::Int32,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::ListUtf8 => {
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
            }
            ColumnType::ListUint8 => {
                DataType::List(Arc::new(Field::new_list_field(DataType::UInt8, true)))
            }
        }
    }
}

/// One column of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Column type.
    pub ty: ColumnType,
    /// Whether the column may be null. Status columns are null only when their
    /// probe was deselected with `--probes`.
    pub nullable: bool,
    /// Whether Parquet dictionary encoding is turned off for it: near-unique
    /// columns gain nothing from a dictionary that overflows anyway.
    pub no_dictionary: bool,
}

impl Column {
    /// The Arrow field of the column.
    pub fn field(&self) -> Field {
        Field::new(self.name, self.ty.data_type(), self.nullable)
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const fn col(name: &'static str, ty: ColumnType, nullable: bool) -> Column {
    Column {
        name,
        ty,
        nullable,
        no_dictionary: false,
    }
}

const fn unique(name: &'static str, ty: ColumnType, nullable: bool) -> Column {
    Column {
        name,
        ty,
        nullable,
        no_dictionary: true,
    }
}

use ColumnType::{Bool, Int32, ListUint8, ListUtf8, TimestampMsUtc, Utf8};

// The columns, one constant each: the name, type and nullability of every
// column are written here and nowhere else.

/// `domain`: lowercase A-label, no trailing dot.
pub const DOMAIN: Column = unique("domain", Utf8, false);
/// `suffix`: the zone's origin, e.g. `be`.
pub const SUFFIX: Column = col("suffix", Utf8, false);
/// `scan_id`: the scan's identifier, the same for every row of a run.
pub const SCAN_ID: Column = col("scan_id", Utf8, false);
/// `scanned_at`: when the domain was classified.
pub const SCANNED_AT: Column = col("scanned_at", TimestampMsUtc, false);
/// `resolution`: `ok`, `nxdomain` or `error` ([`crate::vocab::Resolution`]).
pub const RESOLUTION: Column = col("resolution", Utf8, false);
/// `ns_hosts`: the delegation's name servers as the zone dump lists them.
pub const NS_HOSTS: Column = col("ns_hosts", ListUtf8, false);
/// `mx_status`: [`crate::vocab::MxStatus`].
pub const MX_STATUS: Column = col("mx_status", Utf8, true);
/// `mx_hosts`: the exchanges, in preference order.
pub const MX_HOSTS: Column = col("mx_hosts", ListUtf8, true);
/// `spf_status`: [`crate::vocab::Status`].
pub const SPF_STATUS: Column = col("spf_status", Utf8, true);
/// `spf_record`: the SPF record as published.
pub const SPF_RECORD: Column = unique("spf_record", Utf8, true);
/// `spf_all`: [`crate::vocab::AllQualifier`]: the qualifier that ends evaluation.
pub const SPF_ALL: Column = col("spf_all", Utf8, true);
/// `spf_lookups`: DNS-querying terms over the include/redirect tree (RFC 7208 §4.6.4).
pub const SPF_LOOKUPS: Column = col("spf_lookups", Int32, true);
/// `spf_void_lookups`: lookups answered NXDOMAIN or with no answer (RFC 7208 §4.6.4).
pub const SPF_VOID_LOOKUPS: Column = col("spf_void_lookups", Int32, true);
/// `spf_error`: why the SPF record is invalid, or what was discarded.
pub const SPF_ERROR: Column = col("spf_error", Utf8, true);
/// `dmarc_status`: [`crate::vocab::Status`].
pub const DMARC_STATUS: Column = col("dmarc_status", Utf8, true);
/// `dmarc_record`: the DMARC record as published.
pub const DMARC_RECORD: Column = unique("dmarc_record", Utf8, true);
/// `dmarc_error`: why the DMARC record is invalid, or what was discarded.
pub const DMARC_ERROR: Column = col("dmarc_error", Utf8, true);
/// `dmarc_p`: [`crate::vocab::Policy`] that receivers apply; null when absent.
pub const DMARC_P: Column = col("dmarc_p", Utf8, true);
/// `dmarc_sp`: `sp=` as a [`crate::vocab::Policy`]; null when absent.
pub const DMARC_SP: Column = col("dmarc_sp", Utf8, true);
/// `dmarc_np`: `np=` as a [`crate::vocab::Policy`] (RFC 9989); null when absent.
pub const DMARC_NP: Column = col("dmarc_np", Utf8, true);
/// `dmarc_pct`: `pct=`; null when absent.
pub const DMARC_PCT: Column = col("dmarc_pct", Int32, true);
/// `dmarc_t`: the RFC 9989 test flag; null when absent.
pub const DMARC_T: Column = col("dmarc_t", Bool, true);
/// `dmarc_rua`: aggregate-report URIs as published.
pub const DMARC_RUA: Column = col("dmarc_rua", ListUtf8, true);
/// `dmarc_ruf`: failure-report URIs as published.
pub const DMARC_RUF: Column = col("dmarc_ruf", ListUtf8, true);
/// `dmarc_rua_authorized`: every external rua/ruf destination authorised (RFC 7489 §7.1); null when none is external.
pub const DMARC_RUA_AUTHORIZED: Column = col("dmarc_rua_authorized", Bool, true);
/// `dnssec_status`: [`crate::vocab::DnssecStatus`].
pub const DNSSEC_STATUS: Column = col("dnssec_status", Utf8, true);
/// `dnssec_algorithms`: the DNSKEY algorithm numbers.
pub const DNSSEC_ALGORITHMS: Column = col("dnssec_algorithms", ListUint8, true);
/// `dnssec_reason`: for `bogus` and `error`, the resolver's Extended DNS Error (RFC 8914) as a snake_case name.
pub const DNSSEC_REASON: Column = col("dnssec_reason", Utf8, true);
/// `bimi_status`: [`crate::vocab::BimiStatus`].
pub const BIMI_STATUS: Column = col("bimi_status", Utf8, true);
/// `bimi_logo`: the `l=` URI.
pub const BIMI_LOGO: Column = col("bimi_logo", Utf8, true);
/// `bimi_authority`: the `a=` URI.
pub const BIMI_AUTHORITY: Column = col("bimi_authority", Utf8, true);
/// `mta_sts_status`: [`crate::vocab::Status`].
pub const MTA_STS_STATUS: Column = col("mta_sts_status", Utf8, true);
/// `tlsrpt_status`: [`crate::vocab::Status`].
pub const TLSRPT_STATUS: Column = col("tlsrpt_status", Utf8, true);
/// `dkim_status`: [`crate::vocab::DkimStatus`].
pub const DKIM_STATUS: Column = col("dkim_status", Utf8, true);
/// `dane_status`: [`crate::vocab::Status`].
pub const DANE_STATUS: Column = col("dane_status", Utf8, true);
/// `parked`: null MX, `v=spf1 -all` and DMARC `p=reject` together.
pub const PARKED: Column = col("parked", Bool, false);
/// `queries`: DNS queries spent on the domain.
pub const QUERIES: Column = col("queries", Int32, false);
/// `elapsed_ms`: wall time spent on the domain.
pub const ELAPSED_MS: Column = col("elapsed_ms", Int32, false);

/// Every column of the contract, in file order.
pub const COLUMNS: [Column; 38] = [
    DOMAIN,
    SUFFIX,
    SCAN_ID,
    SCANNED_AT,
    RESOLUTION,
    NS_HOSTS,
    MX_STATUS,
    MX_HOSTS,
    SPF_STATUS,
    SPF_RECORD,
    SPF_ALL,
    SPF_LOOKUPS,
    SPF_VOID_LOOKUPS,
    SPF_ERROR,
    DMARC_STATUS,
    DMARC_RECORD,
    DMARC_ERROR,
    DMARC_P,
    DMARC_SP,
    DMARC_NP,
    DMARC_PCT,
    DMARC_T,
    DMARC_RUA,
    DMARC_RUF,
    DMARC_RUA_AUTHORIZED,
    DNSSEC_STATUS,
    DNSSEC_ALGORITHMS,
    DNSSEC_REASON,
    BIMI_STATUS,
    BIMI_LOGO,
    BIMI_AUTHORITY,
    MTA_STS_STATUS,
    TLSRPT_STATUS,
    DKIM_STATUS,
    DANE_STATUS,
    PARKED,
    QUERIES,
    ELAPSED_MS,
];

/// The categorical columns whose value counts the manifest keeps.
pub const COUNTED_COLUMNS: [Column; 13] = [
    RESOLUTION,
    MX_STATUS,
    SPF_STATUS,
    SPF_ALL,
    DMARC_STATUS,
    DMARC_P,
    DNSSEC_STATUS,
    BIMI_STATUS,
    MTA_STS_STATUS,
    TLSRPT_STATUS,
    DKIM_STATUS,
    DANE_STATUS,
    PARKED,
];

/// The column named `name`, if the contract has one.
pub fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(
        COLUMNS.iter().map(Column::field).collect::<Vec<_>>(),
    ))
});

/// The Arrow schema of every part (shared, cheap to clone).
pub fn schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}
