//! One scanned domain as the report sees it: the columns it reads, borrowed
//! from a record batch, the categorical ones as the posture types the store
//! writes them from ([`mailcensus_store::vocab`]).

use mailcensus_store::schema::{
    BIMI_STATUS, Column, DANE_STATUS, DKIM_STATUS, DMARC_NP, DMARC_P, DMARC_PCT, DMARC_RECORD,
    DMARC_RUA, DMARC_RUA_AUTHORIZED, DMARC_STATUS, DMARC_T, DNSSEC_REASON, DNSSEC_STATUS, DOMAIN,
    MTA_STS_STATUS, MX_HOSTS, MX_STATUS, NS_HOSTS, PARKED, RESOLUTION, SPF_ALL, SPF_LOOKUPS,
    SPF_RECORD, SPF_STATUS, TLSRPT_STATUS,
};
use mailcensus_store::vocab::{
    AllQualifier, BimiStatus, DkimStatus, DnssecStatus, MxStatus, Policy, Resolution, Status,
};

/// The columns of the Parquet contract (DESIGN.md "Output contract") that the
/// report reads. Every other column is left out of the projection.
pub const REPORT_COLUMNS: &[Column] = &[
    DOMAIN,
    RESOLUTION,
    NS_HOSTS,
    MX_STATUS,
    MX_HOSTS,
    SPF_STATUS,
    SPF_RECORD,
    SPF_ALL,
    SPF_LOOKUPS,
    DMARC_STATUS,
    DMARC_RECORD,
    DMARC_P,
    DMARC_NP,
    DMARC_PCT,
    DMARC_T,
    DMARC_RUA,
    DMARC_RUA_AUTHORIZED,
    DNSSEC_STATUS,
    DNSSEC_REASON,
    BIMI_STATUS,
    MTA_STS_STATUS,
    TLSRPT_STATUS,
    DKIM_STATUS,
    DANE_STATUS,
    PARKED,
];

/// Columns the contract gained after its first version (schema version 2:
/// `dnssec_reason`). A file written before them lacks them; they read as null
/// there rather than refusing a snapshot a nightly run wrote last year.
pub const LATER_COLUMNS: &[Column] = &[DNSSEC_REASON];

/// The columns `--compare` needs: enough to rank SPF, DMARC enforcement and
/// DNSSEC, to see DANE lost, and the name servers that name the DNS operator
/// a regression is listed under.
pub const COMPARE_COLUMNS: &[Column] = &[
    DOMAIN,
    NS_HOSTS,
    SPF_STATUS,
    SPF_ALL,
    DMARC_STATUS,
    DMARC_P,
    DMARC_PCT,
    DNSSEC_STATUS,
    DANE_STATUS,
];

/// A borrowed view of one row. Columns outside the projection, and nulls (a
/// deselected probe, an absent tag), read as `None`, empty strings or empty
/// lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct Row<'a> {
    /// Lowercase A-label, no trailing dot.
    pub domain: &'a str,
    /// Whether the domain resolved.
    pub resolution: Option<Resolution>,
    /// Name servers of the delegation.
    pub ns_hosts: &'a [&'a str],
    /// The apex MX RRset's status.
    pub mx_status: Option<MxStatus>,
    /// Mail exchanges in preference order.
    pub mx_hosts: &'a [&'a str],
    /// SPF status.
    pub spf_status: Option<Status>,
    /// The SPF record as published (attacker-controlled text).
    pub spf_record: Option<&'a str>,
    /// The qualifier that ends SPF evaluation; `None` when there is none.
    pub spf_all: Option<AllQualifier>,
    /// DNS-querying terms counted over the include/redirect tree (RFC 7208 §4.6.4).
    pub spf_lookups: Option<i32>,
    /// DMARC status.
    pub dmarc_status: Option<Status>,
    /// The DMARC record as published (attacker-controlled text); `None` when
    /// there is none, or more than one.
    pub dmarc_record: Option<&'a str>,
    /// The policy receivers apply, `None` when the tag is absent.
    pub dmarc_p: Option<Policy>,
    /// The `np` receivers apply (RFC 9989), `None` when not published.
    pub dmarc_np: Option<Policy>,
    /// `pct=` (RFC 7489 §6.3), `None` when absent.
    pub dmarc_pct: Option<i32>,
    /// `t=` (RFC 9989 test flag), `None` when absent.
    pub dmarc_t: Option<bool>,
    /// Aggregate-report URIs as published.
    pub dmarc_rua: &'a [&'a str],
    /// Every external destination authorised (RFC 7489 §7.1); `None` if none is external.
    pub dmarc_rua_authorized: Option<bool>,
    /// DNSSEC status.
    pub dnssec_status: Option<DnssecStatus>,
    /// Why DNSSEC is `bogus` or `error`: the resolver's Extended DNS Error
    /// name (RFC 8914), `unspecified` without one (DNS-derived: escape it).
    pub dnssec_reason: Option<&'a str>,
    /// BIMI status (the common vocabulary plus `declined`).
    pub bimi_status: Option<BimiStatus>,
    /// MTA-STS status.
    pub mta_sts_status: Option<Status>,
    /// TLS-RPT status.
    pub tlsrpt_status: Option<Status>,
    /// The DKIM hint.
    pub dkim_status: Option<DkimStatus>,
    /// DANE status.
    pub dane_status: Option<Status>,
    /// Null MX, `v=spf1 -all` and DMARC p=reject together.
    pub parked: Option<bool>,
}
