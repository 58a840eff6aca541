//! One scanned domain as the report sees it: the columns it reads, borrowed
//! from a record batch (or from an [`OwnedRow`] in tests and fixtures).

/// The columns of the Parquet contract (DESIGN.md "Output contract") that the
/// report reads. Every other column is left out of the projection.
pub const REPORT_COLUMNS: &[&str] = &[
    "domain",
    "resolution",
    "ns_hosts",
    "mx_status",
    "mx_hosts",
    "spf_status",
    "spf_record",
    "spf_all",
    "spf_lookups",
    "dmarc_status",
    "dmarc_p",
    "dmarc_pct",
    "dmarc_rua",
    "dmarc_rua_authorized",
    "dnssec_status",
    "bimi_status",
    "mta_sts_status",
    "tlsrpt_status",
    "dkim_status",
    "dane_status",
    "parked",
];

/// The columns `--compare` needs: enough to rank SPF, DMARC enforcement and DNSSEC.
pub const COMPARE_COLUMNS: &[&str] = &[
    "domain",
    "spf_status",
    "spf_all",
    "dmarc_status",
    "dmarc_p",
    "dmarc_pct",
    "dnssec_status",
];

/// A borrowed view of one row. Columns outside the projection read as empty
/// strings, `None` or empty lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct Row<'a> {
    /// Lowercase A-label, no trailing dot.
    pub domain: &'a str,
    /// `ok`, `nxdomain` or `error`.
    pub resolution: &'a str,
    /// Name servers of the delegation.
    pub ns_hosts: &'a [&'a str],
    /// `present`, `null_mx`, `invalid`, `absent`, `error`.
    pub mx_status: &'a str,
    /// Mail exchanges in preference order.
    pub mx_hosts: &'a [&'a str],
    /// Common status vocabulary.
    pub spf_status: &'a str,
    /// The SPF record as published (attacker-controlled text).
    pub spf_record: Option<&'a str>,
    /// `-all`, `~all`, `?all`, `+all` or `None`.
    pub spf_all: Option<&'a str>,
    /// DNS-querying terms counted over the include/redirect tree (RFC 7208 §4.6.4).
    pub spf_lookups: Option<i32>,
    /// Common status vocabulary.
    pub dmarc_status: &'a str,
    /// `none`, `quarantine`, `reject` or `None` when the tag is absent.
    pub dmarc_p: Option<&'a str>,
    /// `pct=` (RFC 7489 §6.3), `None` when absent.
    pub dmarc_pct: Option<i32>,
    /// Aggregate-report URIs as published.
    pub dmarc_rua: &'a [&'a str],
    /// Every external destination authorised (RFC 7489 §7.1); `None` if none is external.
    pub dmarc_rua_authorized: Option<bool>,
    /// `secure`, `insecure`, `bogus`, `error`.
    pub dnssec_status: &'a str,
    /// Common vocabulary plus `declined`.
    pub bimi_status: &'a str,
    /// Common status vocabulary.
    pub mta_sts_status: &'a str,
    /// Common status vocabulary.
    pub tlsrpt_status: &'a str,
    /// `likely`, `absent`, `error`.
    pub dkim_status: &'a str,
    /// Common status vocabulary.
    pub dane_status: &'a str,
    /// Null MX, `v=spf1 -all` and DMARC p=reject together.
    pub parked: Option<bool>,
}

/// An owned row, for tests, fixtures and the benchmark generator.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)] // the fields mirror [`Row`]
pub struct OwnedRow {
    pub domain: String,
    pub resolution: String,
    pub ns_hosts: Vec<String>,
    pub mx_status: String,
    pub mx_hosts: Vec<String>,
    pub spf_status: String,
    pub spf_record: Option<String>,
    pub spf_all: Option<String>,
    pub spf_lookups: Option<i32>,
    pub dmarc_status: String,
    pub dmarc_p: Option<String>,
    pub dmarc_pct: Option<i32>,
    pub dmarc_rua: Vec<String>,
    pub dmarc_rua_authorized: Option<bool>,
    pub dnssec_status: String,
    pub bimi_status: String,
    pub bimi_logo: Option<String>,
    pub mta_sts_status: String,
    pub tlsrpt_status: String,
    pub dkim_status: String,
    pub dane_status: String,
    pub parked: Option<bool>,
}

impl OwnedRow {
    /// Marks the domain as one whose resolution failed: `resolution` and every
    /// probe's status are `error` (a failure is never absence).
    pub fn mark_error(&mut self) {
        self.resolution = "error".to_string();
        for status in [
            &mut self.mx_status,
            &mut self.spf_status,
            &mut self.dmarc_status,
            &mut self.dnssec_status,
            &mut self.bimi_status,
            &mut self.mta_sts_status,
            &mut self.tlsrpt_status,
            &mut self.dkim_status,
            &mut self.dane_status,
        ] {
            *status = "error".to_string();
        }
    }

    /// A resolved domain with every probe authoritatively absent: the base that
    /// tests and fixtures modify.
    pub fn absent(domain: &str) -> Self {
        let absent = || "absent".to_string();
        OwnedRow {
            domain: domain.to_string(),
            resolution: "ok".to_string(),
            mx_status: absent(),
            spf_status: absent(),
            dmarc_status: absent(),
            dnssec_status: "insecure".to_string(),
            bimi_status: absent(),
            mta_sts_status: absent(),
            tlsrpt_status: absent(),
            dkim_status: absent(),
            dane_status: absent(),
            parked: Some(false),
            ..OwnedRow::default()
        }
    }

    /// Calls `f` with a borrowed view of this row.
    pub fn with_view<R>(&self, f: impl FnOnce(&Row<'_>) -> R) -> R {
        let ns: Vec<&str> = self.ns_hosts.iter().map(String::as_str).collect();
        let mx: Vec<&str> = self.mx_hosts.iter().map(String::as_str).collect();
        let rua: Vec<&str> = self.dmarc_rua.iter().map(String::as_str).collect();
        let row = Row {
            domain: &self.domain,
            resolution: &self.resolution,
            ns_hosts: &ns,
            mx_status: &self.mx_status,
            mx_hosts: &mx,
            spf_status: &self.spf_status,
            spf_record: self.spf_record.as_deref(),
            spf_all: self.spf_all.as_deref(),
            spf_lookups: self.spf_lookups,
            dmarc_status: &self.dmarc_status,
            dmarc_p: self.dmarc_p.as_deref(),
            dmarc_pct: self.dmarc_pct,
            dmarc_rua: &rua,
            dmarc_rua_authorized: self.dmarc_rua_authorized,
            dnssec_status: &self.dnssec_status,
            bimi_status: &self.bimi_status,
            mta_sts_status: &self.mta_sts_status,
            tlsrpt_status: &self.tlsrpt_status,
            dkim_status: &self.dkim_status,
            dane_status: &self.dane_status,
            parked: self.parked,
        };
        f(&row)
    }
}
