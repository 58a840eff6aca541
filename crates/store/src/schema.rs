//! The Arrow schema of the Parquet contract (DESIGN.md, "Output contract").
//!
//! The column list lives in one table, [`COLUMNS`], so the schema, the batch
//! builder's test and `docs/schema.md` can be checked against each other.

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
#[derive(Debug, Clone, Copy)]
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

/// Every column of the contract, in file order.
pub const COLUMNS: [Column; 38] = [
    unique("domain", Utf8, false),
    col("suffix", Utf8, false),
    col("scan_id", Utf8, false),
    col("scanned_at", TimestampMsUtc, false),
    col("resolution", Utf8, false),
    col("ns_hosts", ListUtf8, false),
    col("mx_status", Utf8, true),
    col("mx_hosts", ListUtf8, true),
    col("spf_status", Utf8, true),
    unique("spf_record", Utf8, true),
    col("spf_all", Utf8, true),
    col("spf_lookups", Int32, true),
    col("spf_void_lookups", Int32, true),
    col("spf_error", Utf8, true),
    col("dmarc_status", Utf8, true),
    unique("dmarc_record", Utf8, true),
    col("dmarc_error", Utf8, true),
    col("dmarc_p", Utf8, true),
    col("dmarc_sp", Utf8, true),
    col("dmarc_np", Utf8, true),
    col("dmarc_pct", Int32, true),
    col("dmarc_t", Bool, true),
    col("dmarc_rua", ListUtf8, true),
    col("dmarc_ruf", ListUtf8, true),
    col("dmarc_rua_authorized", Bool, true),
    col("dnssec_status", Utf8, true),
    col("dnssec_algorithms", ListUint8, true),
    col("dnssec_reason", Utf8, true),
    col("bimi_status", Utf8, true),
    col("bimi_logo", Utf8, true),
    col("bimi_authority", Utf8, true),
    col("mta_sts_status", Utf8, true),
    col("tlsrpt_status", Utf8, true),
    col("dkim_status", Utf8, true),
    col("dane_status", Utf8, true),
    col("parked", Bool, false),
    col("queries", Int32, false),
    col("elapsed_ms", Int32, false),
];

/// The categorical columns whose value counts the manifest keeps.
pub const COUNTED_COLUMNS: [&str; 13] = [
    "resolution",
    "mx_status",
    "spf_status",
    "spf_all",
    "dmarc_status",
    "dmarc_p",
    "dnssec_status",
    "bimi_status",
    "mta_sts_status",
    "tlsrpt_status",
    "dkim_status",
    "dane_status",
    "parked",
];

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|c| Field::new(c.name, c.ty.data_type(), c.nullable))
            .collect::<Vec<_>>(),
    ))
});

/// The Arrow schema of every part (shared, cheap to clone).
pub fn schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}
