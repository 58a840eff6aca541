//! The headline metrics: one stable key, a label, a one-sentence definition and
//! a predicate over a [`Row`] each. The denominator of every percentage is every
//! scanned domain (DESIGN.md "Statistics"), so a failed probe lowers no share
//! silently: each status column also has its `error` share.
//!
//! The notebooks compute the same predicates in SQL; a change here must be made
//! there too (the notebook test compares the figures exactly).

use mailcensus_store::vocab::{
    AllQualifier, BimiStatus, DkimStatus, DnssecStatus, MxStatus, Policy, Resolution, Status,
};

use crate::row::Row;

/// One headline metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Stable key used in JSON and CSV output.
    pub key: &'static str,
    /// Short human label.
    pub label: &'static str,
    /// One-sentence definition, printed under the table.
    pub definition: &'static str,
    /// Whether a row counts.
    pub test: fn(&Row<'_>) -> bool,
}

/// Whether a status is `valid` or `invalid`: a record is published.
pub fn present(status: Option<Status>) -> bool {
    matches!(status, Some(Status::Valid | Status::Invalid))
}

fn spf_present(r: &Row<'_>) -> bool {
    present(r.spf_status)
}

fn spf_all_is(r: &Row<'_>, q: AllQualifier) -> bool {
    spf_present(r) && r.spf_all == Some(q)
}

/// Whether the row's DMARC record is valid.
pub fn dmarc_valid(r: &Row<'_>) -> bool {
    r.dmarc_status == Some(Status::Valid)
}

/// `dmarc_p` is the policy receivers apply (RFC 7489 §6.3, §6.6.3): a record
/// made `invalid` by a malformed tag still applies it, so policy figures count
/// it whatever the status (DESIGN.md "Statistics").
fn dmarc_p_is(r: &Row<'_>, p: Policy) -> bool {
    r.dmarc_p == Some(p)
}

/// Whether the row has an enforcing DMARC policy: the policy receivers apply
/// is `quarantine` or `reject`, whatever else in the record is broken
/// (DESIGN.md "Statistics").
pub fn dmarc_enforcing(r: &Row<'_>) -> bool {
    matches!(r.dmarc_p, Some(Policy::Quarantine | Policy::Reject))
}

macro_rules! metric {
    ($key:literal, $label:literal, $def:literal, $test:expr) => {
        Metric {
            key: $key,
            label: $label,
            definition: $def,
            test: $test,
        }
    };
}

/// Every headline metric, in table order.
pub const METRICS: &[Metric] = &[
    metric!(
        "nxdomain",
        "NXDOMAIN",
        "The domain's MX query answered NXDOMAIN (RFC 8020): delegated but not resolving.",
        |r| r.resolution == Some(Resolution::NxDomain)
    ),
    metric!(
        "spf_present",
        "SPF present",
        "spf_status is valid or invalid: a v=spf1 TXT record is published at the apex.",
        spf_present
    ),
    metric!(
        "spf_valid",
        "SPF valid",
        "spf_status is valid: exactly one v=spf1 record that parses and stays within RFC 7208 limits.",
        |r| r.spf_status == Some(Status::Valid)
    ),
    metric!(
        "spf_all_fail",
        "SPF -all",
        "SPF is present and its all mechanism is -all (hard fail).",
        |r| spf_all_is(r, AllQualifier::Fail)
    ),
    metric!(
        "spf_all_softfail",
        "SPF ~all",
        "SPF is present and its all mechanism is ~all (soft fail).",
        |r| spf_all_is(r, AllQualifier::SoftFail)
    ),
    metric!(
        "spf_all_neutral",
        "SPF ?all",
        "SPF is present and its all mechanism is ?all (neutral).",
        |r| spf_all_is(r, AllQualifier::Neutral)
    ),
    metric!(
        "spf_all_pass",
        "SPF +all",
        "SPF is present and its all mechanism is +all, which authorises every sender.",
        |r| spf_all_is(r, AllQualifier::Pass)
    ),
    metric!(
        "spf_over_10_lookups",
        "SPF > 10 lookups",
        "The SPF include/redirect tree needs more than 10 DNS lookups (RFC 7208 §4.6.4), so receivers return permerror.",
        |r| r.spf_lookups.is_some_and(|n| n > 10)
    ),
    metric!(
        "dmarc_present",
        "DMARC present",
        "dmarc_status is valid or invalid: a v=DMARC1 record is published at _dmarc.<domain> (other TXT there is discarded, as receivers discard it: RFC 7489 §6.6.3).",
        |r| present(r.dmarc_status)
    ),
    metric!(
        "dmarc_valid",
        "DMARC valid",
        "dmarc_status is valid: one DMARC record that parses (RFC 7489, RFC 9989).",
        dmarc_valid
    ),
    metric!(
        "dmarc_p_none",
        "DMARC p=none",
        "The policy receivers apply is none (monitoring only): dmarc_p, whatever the record's status.",
        |r| dmarc_p_is(r, Policy::None)
    ),
    metric!(
        "dmarc_p_quarantine",
        "DMARC p=quarantine",
        "The policy receivers apply is quarantine: dmarc_p, whatever the record's status.",
        |r| dmarc_p_is(r, Policy::Quarantine)
    ),
    metric!(
        "dmarc_p_reject",
        "DMARC p=reject",
        "The policy receivers apply is reject: dmarc_p, whatever the record's status.",
        |r| dmarc_p_is(r, Policy::Reject)
    ),
    metric!(
        "dmarc_enforcing",
        "DMARC enforcing",
        "The policy receivers apply (dmarc_p) is quarantine or reject, even where a malformed tag makes the record invalid (RFC 7489 §6.3).",
        dmarc_enforcing
    ),
    metric!(
        "dmarc_pct_below_100",
        "DMARC pct < 100",
        "DMARC is valid and pct= is below 100, so the policy applies to a sample only.",
        |r| dmarc_valid(r) && r.dmarc_pct.is_some_and(|p| p < 100)
    ),
    metric!(
        "dmarc_rua_present",
        "DMARC rua",
        "DMARC is valid and names at least one aggregate-report (rua) destination.",
        |r| dmarc_valid(r) && !r.dmarc_rua.is_empty()
    ),
    metric!(
        "dmarc_rua_unauthorized",
        "DMARC external rua unauthorised",
        "An external rua/ruf destination does not authorise the domain (RFC 7489 §7.1), so it receives no reports.",
        |r| r.dmarc_rua_authorized == Some(false)
    ),
    metric!(
        "dnssec_secure",
        "DNSSEC secure",
        "dnssec_status is secure: the validating resolver authenticated the domain's chain of trust.",
        |r| r.dnssec_status == Some(DnssecStatus::Secure)
    ),
    metric!(
        "dnssec_bogus",
        "DNSSEC bogus",
        "dnssec_status is bogus: the parent publishes DS, the validating resolver answers SERVFAIL twice and the data comes back with CD=1; the reasons table names why.",
        |r| r.dnssec_status == Some(DnssecStatus::Bogus)
    ),
    metric!(
        "null_mx",
        "Null MX",
        "mx_status is null_mx: the sole MX is \"0 .\" (RFC 7505), the domain accepts no mail.",
        |r| r.mx_status == Some(MxStatus::NullMx)
    ),
    metric!(
        "parked",
        "Parked",
        "Null MX, v=spf1 -all and DMARC p=reject together: the domain is locked down against spoofing.",
        |r| r.parked == Some(true)
    ),
    metric!(
        "bimi_valid",
        "BIMI",
        "bimi_status is valid: a BIMI record at default._bimi.<domain> that parses.",
        |r| r.bimi_status == Some(BimiStatus::Valid)
    ),
    metric!(
        "mta_sts_valid",
        "MTA-STS",
        "mta_sts_status is valid: a v=STSv1 record at _mta-sts.<domain> (RFC 8461).",
        |r| r.mta_sts_status == Some(Status::Valid)
    ),
    metric!(
        "tlsrpt_valid",
        "TLS-RPT",
        "tlsrpt_status is valid: a v=TLSRPTv1 record at _smtp._tls.<domain> (RFC 8460).",
        |r| r.tlsrpt_status == Some(Status::Valid)
    ),
    metric!(
        "dkim_likely",
        "DKIM hint",
        "dkim_status is likely: _domainkey.<domain> exists (NOERROR) while a name that cannot exist below it does not, a hint that DKIM keys are published (RFC 8020).",
        |r| r.dkim_status == Some(DkimStatus::Likely)
    ),
    metric!(
        "dkim_unknown",
        "DKIM hint unknown",
        "dkim_status is unknown: the zone answers names that do not exist (a wildcard, or compact denial, RFC 9824), so _domainkey says nothing.",
        |r| r.dkim_status == Some(DkimStatus::Unknown)
    ),
    metric!(
        "dane_valid",
        "DANE",
        "dane_status is valid: the MX RRset and every MX host's TLSA RRset at _25._tcp validate (AD) and hold a usable record (RFC 7672 §2.2): DANE needs DNSSEC.",
        |r| r.dane_status == Some(Status::Valid)
    ),
    metric!(
        "resolution_error",
        "Error: resolution",
        "resolution is error: the domain's first query failed, so nothing about it is known.",
        |r| r.resolution == Some(Resolution::Error)
    ),
    metric!("mx_error", "Error: MX", "mx_status is error.", |r| r
        .mx_status
        == Some(MxStatus::Error)),
    metric!(
        "spf_error",
        "Error: SPF",
        "spf_status is error (a TXT lookup in the SPF tree failed).",
        |r| r.spf_status == Some(Status::Error)
    ),
    metric!(
        "dmarc_error",
        "Error: DMARC",
        "dmarc_status is error.",
        |r| r.dmarc_status == Some(Status::Error)
    ),
    metric!(
        "dnssec_error",
        "Error: DNSSEC",
        "dnssec_status is error.",
        |r| r.dnssec_status == Some(DnssecStatus::Error)
    ),
    metric!("bimi_error", "Error: BIMI", "bimi_status is error.", |r| r
        .bimi_status
        == Some(BimiStatus::Error)),
    metric!(
        "mta_sts_error",
        "Error: MTA-STS",
        "mta_sts_status is error.",
        |r| r.mta_sts_status == Some(Status::Error)
    ),
    metric!(
        "tlsrpt_error",
        "Error: TLS-RPT",
        "tlsrpt_status is error.",
        |r| r.tlsrpt_status == Some(Status::Error)
    ),
    metric!("dkim_error", "Error: DKIM", "dkim_status is error.", |r| r
        .dkim_status
        == Some(DkimStatus::Error)),
    metric!("dane_error", "Error: DANE", "dane_status is error.", |r| r
        .dane_status
        == Some(Status::Error)),
];

/// The metrics drawn in trend charts and the per-group (sector, operator) charts.
pub const KEY_METRICS: &[&str] = &[
    "spf_present",
    "spf_valid",
    "dmarc_present",
    "dmarc_enforcing",
    "dnssec_secure",
    "null_mx",
    "mta_sts_valid",
    "dane_valid",
];

/// The headline shares drawn together in the trend chart that opens a
/// report over several snapshots, and attributed to DNS operators and MX
/// providers between consecutive snapshots (issue 16).
pub const TREND_METRICS: &[&str] = &[
    "spf_present",
    "dmarc_present",
    "dmarc_enforcing",
    "dnssec_secure",
    "null_mx",
    "mta_sts_valid",
    "dane_valid",
];

/// The `*_error` metric that says how much of metric `key` could not be
/// determined: the error share of the status column the metric reads. `None`
/// for the error metrics themselves.
///
/// `parked` reads three columns; its error share is taken as the MX
/// column's, the first a parked domain needs (a null MX). `nxdomain` and the
/// resolution error are both read from `resolution`.
pub fn error_of(key: &str) -> Option<&'static str> {
    if key.ends_with("_error") {
        return None;
    }
    Some(match key {
        "nxdomain" => "resolution_error",
        "null_mx" | "parked" => "mx_error",
        k if k.starts_with("spf_") => "spf_error",
        k if k.starts_with("dmarc_") => "dmarc_error",
        k if k.starts_with("dnssec_") => "dnssec_error",
        k if k.starts_with("bimi_") => "bimi_error",
        k if k.starts_with("mta_sts_") => "mta_sts_error",
        k if k.starts_with("tlsrpt_") => "tlsrpt_error",
        k if k.starts_with("dkim_") => "dkim_error",
        k if k.starts_with("dane_") => "dane_error",
        _ => return None,
    })
}

/// Index of `key` in [`METRICS`].
pub fn metric_index(key: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.key == key)
}

/// `count / total` as a percentage in tenths, rounded half up with integer
/// arithmetic so every consumer (the notebooks included) gets the same digit.
pub fn pct_tenths(count: u64, total: u64) -> u64 {
    if total == 0 {
        return 0;
    }
    let (c, t) = (u128::from(count), u128::from(total));
    let tenths = (2000 * c + t) / (2 * t);
    u64::try_from(tenths).unwrap_or(u64::MAX)
}

/// The percentage with one decimal, as a number (`52.4`).
pub fn pct(count: u64, total: u64) -> f64 {
    // Exact for any realistic count: tenths stay far below 2^53.
    pct_tenths(count, total) as f64 / 10.0
}

/// The percentage with one decimal, as text (`52.4`).
pub fn pct_text(count: u64, total: u64) -> String {
    let t = pct_tenths(count, total);
    format!("{}.{}", t / 10, t % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_up_to_one_decimal() {
        for (count, total, text) in [
            (0, 0, "0.0"),
            (0, 7, "0.0"),
            (1, 3, "33.3"),
            (2, 3, "66.7"),
            (1, 8, "12.5"),
            (1, 2000, "0.1"), // 0.05 rounds up
            (1, 2001, "0.0"),
            (524, 1000, "52.4"),
            (7, 7, "100.0"),
        ] {
            assert_eq!(pct_text(count, total), text, "{count}/{total}");
        }
    }

    #[test]
    fn metric_keys_are_unique_and_snake_case() {
        let mut keys: Vec<_> = METRICS.iter().map(|m| m.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), METRICS.len());
        assert!(keys.iter().all(|k| {
            k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }));
        for k in KEY_METRICS.iter().chain(TREND_METRICS) {
            assert!(metric_index(k).is_some(), "{k}");
        }
    }

    /// Every adoption figure has the error share of the column it reads
    /// beside it (DESIGN.md "Statistics"; issue 16 item 7).
    #[test]
    fn every_adoption_metric_names_an_existing_error_metric() {
        for m in METRICS {
            match error_of(m.key) {
                Some(e) => assert!(metric_index(e).is_some(), "{} -> {e}", m.key),
                None => assert!(m.key.ends_with("_error"), "{} has no error share", m.key),
            }
        }
        assert_eq!(error_of("dnssec_secure"), Some("dnssec_error"));
        assert_eq!(error_of("null_mx"), Some("mx_error"));
        assert_eq!(error_of("dane_error"), None);
    }
}
