//! Aggregation of one snapshot: headline counts, distributions and the same
//! counts per sector, size class and DNS operator.
//!
//! Each row is tested once against every [`METRICS`] predicate into a bit set,
//! which is then added to the snapshot and to each of its groups; that keeps the
//! cost per row flat however many groupings are reported.

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use mailcensus_store::vocab::{AllQualifier, DnssecStatus, MxStatus, Policy};

use crate::metrics::{METRICS, dmarc_valid, pct, present};
use crate::row::Row;
use crate::sectors::SectorMap;

const _: () = assert!(METRICS.len() <= 64, "metric bits must fit a u64");

/// The label of domains without a sector, or without name servers.
pub const UNKNOWN: &str = "unknown";
/// The label that collects the groups beyond the top N.
pub const OTHER: &str = "other";

/// Headline counts over a set of domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Domains in the set: the denominator.
    pub domains: u64,
    /// One count per entry of [`METRICS`].
    pub metrics: Vec<u64>,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            domains: 0,
            metrics: vec![0; METRICS.len()],
        }
    }
}

impl Counts {
    fn add_bits(&mut self, bits: u64) {
        self.domains += 1;
        let mut b = bits;
        while b != 0 {
            let i = b.trailing_zeros() as usize;
            self.metrics[i] += 1;
            b &= b - 1;
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.domains += other.domains;
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            *a += b;
        }
    }

    /// The count of metric `key`, if it exists.
    pub fn get(&self, key: &str) -> Option<u64> {
        crate::metrics::metric_index(key).map(|i| self.metrics[i])
    }
}

/// The bit set of metrics a row satisfies.
pub fn metric_bits(row: &Row<'_>) -> u64 {
    METRICS.iter().enumerate().fold(
        0,
        |acc, (i, m)| if (m.test)(row) { acc | (1 << i) } else { acc },
    )
}

/// A count with its percentage (one decimal) of a stated base.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    /// Domains counted.
    pub count: u64,
    /// `count` as a percentage of the base, one decimal, rounded half up.
    pub pct: f64,
}

impl Figure {
    /// `count` out of `base`.
    pub fn of(count: u64, base: u64) -> Self {
        Figure {
            count,
            pct: pct(count, base),
        }
    }
}

/// Headline figures keyed by metric, serialised as a JSON object in [`METRICS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline(pub Counts);

impl Headline {
    /// Every metric with its figure, in table order.
    pub fn figures(&self) -> impl Iterator<Item = (&'static crate::metrics::Metric, Figure)> + '_ {
        METRICS
            .iter()
            .zip(&self.0.metrics)
            .map(|(m, c)| (m, Figure::of(*c, self.0.domains)))
    }
}

impl Serialize for Headline {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(METRICS.len()))?;
        for (m, f) in self.figures() {
            map.serialize_entry(m.key, &f)?;
        }
        map.end()
    }
}

/// The headline of one group (a sector, size class or DNS operator).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The group's name (user- or DNS-supplied text: escape before display).
    pub name: String,
    /// Domains in the group: the denominator of its percentages.
    pub domains: u64,
    /// Figures of the group.
    pub headline: Headline,
}

/// One bar of a distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// The value (DNS-derived for include targets and providers: escape it).
    pub value: String,
    /// Domains in the bucket.
    pub count: u64,
    /// Percentage of the distribution's base.
    pub pct: f64,
}

/// A distribution over a base set of domains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// What the base counts, e.g. `spf_present`.
    pub base: &'static str,
    /// Domains in the base: the denominator of the buckets.
    pub base_count: u64,
    /// Distinct values seen (for top-N lists, how many were cut).
    pub distinct: u64,
    /// Buckets in display order.
    pub buckets: Vec<Bucket>,
}

/// Every distribution of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distributions {
    /// DMARC policy ladder, none → quarantine → reject, split by pct.
    pub dmarc_policy: Distribution,
    /// SPF all-qualifier among domains with SPF.
    pub spf_all: Distribution,
    /// SPF lookup counts among domains with SPF.
    pub spf_lookups: Distribution,
    /// Top SPF `include:` targets (a domain counts once per target).
    pub spf_include_targets: Distribution,
    /// Top MX providers by registrable domain of the exchange.
    pub mx_providers: Distribution,
    /// Microsoft 365: legacy `*.mail.protection.outlook.com` vs DANE-capable `*.mx.microsoft`.
    pub microsoft365: Distribution,
    /// DMARC aggregate-report destinations by registrable domain of the receiver.
    pub dmarc_rua_destinations: Distribution,
    /// Why DNSSEC-bogus domains fail: `dnssec_reason` (RFC 8914 names), every value.
    pub dnssec_bogus_reasons: Distribution,
    /// Why DNSSEC could not be determined: `dnssec_reason` of `error` rows.
    pub dnssec_error_reasons: Distribution,
}

/// Every figure of one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotReport {
    /// Scan date `YYYY-MM-DD`.
    pub date: String,
    /// Scanned domains: the denominator of the headline.
    pub domains: u64,
    /// Headline figures.
    pub headline: Headline,
    /// Distributions.
    pub distributions: Distributions,
    /// Per sector (empty without a sector file), sorted by name, `unknown` last.
    pub sectors: Vec<Group>,
    /// Per size class (empty without size classes), sorted by name, `unknown` last.
    pub size_classes: Vec<Group>,
    /// Per DNS operator: top N by domains, then `other`, then `unknown` (no NS).
    pub dns_operators: Vec<Group>,
}

/// Lower-cases and strips the trailing dot of a host name, borrowing when it can.
fn norm_host(host: &str) -> std::borrow::Cow<'_, str> {
    let h = host.strip_suffix('.').unwrap_or(host);
    if h.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(h.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(h)
    }
}

/// The registrable domain (public suffix + 1) of `host`, or the host itself
/// when the list has no rule for it.
pub fn registrable(host: &str) -> String {
    let h = norm_host(host);
    psl::domain_str(&h).unwrap_or(&h).to_string()
}

/// The `include:` targets of an SPF record (RFC 7208 §5.2), lower-cased and
/// unique. Simple whitespace tokenising: macros are kept as written.
pub fn spf_includes(record: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in record.split_ascii_whitespace() {
        let t = token.trim_start_matches(['+', '-', '~', '?']);
        if t.len() > 8 && t[..8].eq_ignore_ascii_case("include:") {
            let target = norm_host(&t[8..]).into_owned();
            if !target.is_empty() && !out.contains(&target) {
                out.push(target);
            }
        }
    }
    out
}

/// The receiving host of a DMARC `rua`/`ruf` URI (`mailto:x@host!10m`,
/// RFC 7489 §6.2), if it is a mailto URI.
pub fn rua_host(uri: &str) -> Option<&str> {
    let u = uri.trim();
    let rest = if u.len() >= 7 && u[..7].eq_ignore_ascii_case("mailto:") {
        &u[7..]
    } else {
        return None;
    };
    let host = rest.rsplit_once('@')?.1;
    let host = host.split('!').next().unwrap_or(host).trim();
    (!host.is_empty()).then_some(host)
}

fn bump(map: &mut HashMap<String, u64>, key: &str) {
    if let Some(c) = map.get_mut(key) {
        *c += 1;
    } else {
        map.insert(key.to_string(), 1);
    }
}

fn bump_group(map: &mut HashMap<String, Counts>, key: &str, bits: u64) {
    if let Some(c) = map.get_mut(key) {
        c.add_bits(bits);
    } else {
        let mut c = Counts::default();
        c.add_bits(bits);
        map.insert(key.to_string(), c);
    }
}

const DMARC_LADDER: &[&str] = &[
    "none",
    "none, pct<100",
    "quarantine",
    "quarantine, pct<100",
    "reject",
    "reject, pct<100",
    "unspecified",
];
const SPF_ALL: &[&str] = &["-all", "~all", "?all", "+all", "none"];
const MS365: &[&str] = &["mail.protection.outlook.com", "mx.microsoft", "both"];

/// Accumulates one snapshot.
#[derive(Debug)]
pub struct Aggregator<'s> {
    date: String,
    top_n: usize,
    sectors: Option<&'s SectorMap>,
    total: Counts,
    dmarc_ladder: [u64; 7],
    spf_all: [u64; 5],
    spf_lookups: [u64; 13],
    includes: HashMap<String, u64>,
    mx_providers: HashMap<String, u64>,
    mx_present: u64,
    ms365: [u64; 3],
    rua_dest: HashMap<String, u64>,
    bogus_reasons: HashMap<String, u64>,
    error_reasons: HashMap<String, u64>,
    by_sector: HashMap<String, Counts>,
    by_size: HashMap<String, Counts>,
    by_operator: HashMap<String, Counts>,
    scratch: Vec<String>,
}

impl<'s> Aggregator<'s> {
    /// A new aggregator for the snapshot of `date`, listing `top_n` entries in
    /// top-N tables, joining `sectors` when given.
    pub fn new(date: &str, top_n: usize, sectors: Option<&'s SectorMap>) -> Self {
        Aggregator {
            date: date.to_string(),
            top_n,
            sectors,
            total: Counts::default(),
            dmarc_ladder: [0; 7],
            spf_all: [0; 5],
            spf_lookups: [0; 13],
            includes: HashMap::new(),
            mx_providers: HashMap::new(),
            mx_present: 0,
            ms365: [0; 3],
            rua_dest: HashMap::new(),
            bogus_reasons: HashMap::new(),
            error_reasons: HashMap::new(),
            by_sector: HashMap::new(),
            by_size: HashMap::new(),
            by_operator: HashMap::new(),
            scratch: Vec::new(),
        }
    }

    /// Adds one domain.
    pub fn add(&mut self, r: &Row<'_>) {
        let bits = metric_bits(r);
        self.total.add_bits(bits);

        if dmarc_valid(r) {
            let partial = usize::from(r.dmarc_pct.is_some_and(|p| p < 100));
            let rung = match r.dmarc_p {
                Some(Policy::None) => partial,
                Some(Policy::Quarantine) => 2 + partial,
                Some(Policy::Reject) => 4 + partial,
                None => 6,
            };
            self.dmarc_ladder[rung] += 1;
            if !r.dmarc_rua.is_empty() {
                self.scratch.clear();
                for uri in r.dmarc_rua {
                    if let Some(host) = rua_host(uri) {
                        let reg = registrable(host);
                        if !self.scratch.contains(&reg) {
                            self.scratch.push(reg);
                        }
                    }
                }
                for d in &self.scratch {
                    bump(&mut self.rua_dest, d);
                }
            }
        }

        let reasons = match r.dnssec_status {
            Some(DnssecStatus::Bogus) => Some(&mut self.bogus_reasons),
            Some(DnssecStatus::Error) => Some(&mut self.error_reasons),
            _ => None,
        };
        if let Some(reasons) = reasons {
            // A snapshot written before `dnssec_reason` existed has none.
            bump(reasons, r.dnssec_reason.unwrap_or(UNKNOWN));
        }

        if present(r.spf_status) {
            let q = match r.spf_all {
                Some(AllQualifier::Fail) => 0,
                Some(AllQualifier::SoftFail) => 1,
                Some(AllQualifier::Neutral) => 2,
                Some(AllQualifier::Pass) => 3,
                None => 4,
            };
            self.spf_all[q] += 1;
            let l = match r.spf_lookups {
                Some(n) if n > 10 => 11,
                Some(n) => usize::try_from(n).unwrap_or(0),
                None => 12,
            };
            self.spf_lookups[l] += 1;
            if let Some(rec) = r.spf_record {
                for t in spf_includes(rec) {
                    bump(&mut self.includes, &t);
                }
            }
        }

        if r.mx_status == Some(MxStatus::Present) {
            self.mx_present += 1;
            self.scratch.clear();
            let (mut legacy, mut modern) = (false, false);
            for host in r.mx_hosts {
                let h = norm_host(host);
                legacy |= h.ends_with(".mail.protection.outlook.com");
                modern |= h.ends_with(".mx.microsoft");
                let reg = registrable(&h);
                if !self.scratch.contains(&reg) {
                    self.scratch.push(reg);
                }
            }
            for d in &self.scratch {
                bump(&mut self.mx_providers, d);
            }
            match (legacy, modern) {
                (true, true) => self.ms365[2] += 1,
                (true, false) => self.ms365[0] += 1,
                (false, true) => self.ms365[1] += 1,
                (false, false) => {}
            }
        }

        if let Some(map) = self.sectors {
            let (sector, size) = map.get(r.domain);
            bump_group(&mut self.by_sector, sector.unwrap_or(UNKNOWN), bits);
            if map.has_size_classes() {
                bump_group(&mut self.by_size, size.unwrap_or(UNKNOWN), bits);
            }
        }

        // A domain's operator is the registrable domain of its first listed name
        // server, so each domain counts in exactly one operator row.
        match r.ns_hosts.first() {
            Some(ns) => {
                let h = norm_host(ns);
                let op = psl::domain_str(&h).unwrap_or(&h);
                bump_group(&mut self.by_operator, op, bits);
            }
            None => bump_group(&mut self.by_operator, UNKNOWN, bits),
        }
    }

    /// The snapshot's figures.
    pub fn finish(self) -> SnapshotReport {
        let n = self.total.domains;
        let spf_present = self.spf_all.iter().sum();
        let dmarc_valid = self.dmarc_ladder.iter().sum();
        let metric = |key: &str| {
            crate::metrics::metric_index(key)
                .map(|i| self.total.metrics[i])
                .unwrap_or(0)
        };
        let rua_present = metric("dmarc_rua_present");
        let bogus = metric("dnssec_bogus");
        let errors = metric("dnssec_error");
        let fixed =
            |base: &'static str, base_count: u64, labels: &[&str], counts: &[u64]| Distribution {
                base,
                base_count,
                distinct: labels.len() as u64,
                buckets: labels
                    .iter()
                    .zip(counts)
                    .map(|(l, c)| Bucket {
                        value: (*l).to_string(),
                        count: *c,
                        pct: pct(*c, base_count),
                    })
                    .collect(),
            };
        let lookup_labels: Vec<String> = (0..=10)
            .map(|i| i.to_string())
            .chain([">10".to_string(), "unknown".to_string()])
            .collect();
        let lookup_refs: Vec<&str> = lookup_labels.iter().map(String::as_str).collect();
        let top_n = self.top_n;
        let distributions = Distributions {
            dmarc_policy: fixed("dmarc_valid", dmarc_valid, DMARC_LADDER, &self.dmarc_ladder),
            spf_all: fixed("spf_present", spf_present, SPF_ALL, &self.spf_all),
            spf_lookups: fixed("spf_present", spf_present, &lookup_refs, &self.spf_lookups),
            spf_include_targets: top("spf_present", spf_present, self.includes, top_n),
            mx_providers: top("mx_present", self.mx_present, self.mx_providers, top_n),
            microsoft365: fixed("mx_present", self.mx_present, MS365, &self.ms365),
            dmarc_rua_destinations: top("dmarc_rua_present", rua_present, self.rua_dest, top_n),
            dnssec_bogus_reasons: top("dnssec_bogus", bogus, self.bogus_reasons, usize::MAX),
            dnssec_error_reasons: top("dnssec_error", errors, self.error_reasons, usize::MAX),
        };
        SnapshotReport {
            date: self.date,
            domains: n,
            headline: Headline(self.total),
            distributions,
            sectors: sorted_groups(self.by_sector),
            size_classes: sorted_groups(self.by_size),
            dns_operators: top_groups(self.by_operator, top_n),
        }
    }
}

fn top(base: &'static str, base_count: u64, map: HashMap<String, u64>, n: usize) -> Distribution {
    let distinct = map.len() as u64;
    let mut v: Vec<(String, u64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    Distribution {
        base,
        base_count,
        distinct,
        buckets: v
            .into_iter()
            .map(|(value, count)| Bucket {
                value,
                count,
                pct: pct(count, base_count),
            })
            .collect(),
    }
}

fn group(name: String, c: Counts) -> Group {
    Group {
        name,
        domains: c.domains,
        headline: Headline(c),
    }
}

fn sorted_groups(map: HashMap<String, Counts>) -> Vec<Group> {
    let mut v: Vec<(String, Counts)> = map.into_iter().collect();
    v.sort_by(|a, b| {
        (a.0 == UNKNOWN)
            .cmp(&(b.0 == UNKNOWN))
            .then_with(|| a.0.cmp(&b.0))
    });
    v.into_iter().map(|(k, c)| group(k, c)).collect()
}

fn top_groups(map: HashMap<String, Counts>, n: usize) -> Vec<Group> {
    let mut unknown = None;
    let mut v: Vec<(String, Counts)> = Vec::with_capacity(map.len());
    for (k, c) in map {
        if k == UNKNOWN {
            unknown = Some(c);
        } else {
            v.push((k, c));
        }
    }
    v.sort_by(|a, b| b.1.domains.cmp(&a.1.domains).then_with(|| a.0.cmp(&b.0)));
    let mut other: Option<Counts> = None;
    for (_, c) in v.iter().skip(n) {
        other.get_or_insert_with(Counts::default).merge(c);
    }
    v.truncate(n);
    let mut out: Vec<Group> = v.into_iter().map(|(k, c)| group(k, c)).collect();
    if let Some(c) = other {
        out.push(group(OTHER.to_string(), c));
    }
    if let Some(c) = unknown {
        out.push(group(UNKNOWN.to_string(), c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spf_include_targets_are_tokenised() {
        for (rec, want) in [
            (
                "v=spf1 include:_spf.google.com ~all",
                vec!["_spf.google.com"],
            ),
            (
                "v=spf1 +include:A.example -include:b.example. include:a.example -all",
                vec!["a.example", "b.example"],
            ),
            ("v=spf1 include: ip4:192.0.2.1 redirect=x.example", vec![]),
            (
                "v=spf1 INCLUDE:spf.protection.outlook.com",
                vec!["spf.protection.outlook.com"],
            ),
        ] {
            assert_eq!(spf_includes(rec), want, "{rec}");
        }
    }

    #[test]
    fn rua_hosts_come_from_mailto_uris() {
        for (uri, want) in [
            ("mailto:dmarc@rua.example.net", Some("rua.example.net")),
            ("mailto:a@b@c.example!10m", Some("c.example")),
            ("MAILTO:x@Y.example", Some("Y.example")),
            ("https://report.example/", None),
            ("mailto:nobody", None),
        ] {
            assert_eq!(rua_host(uri), want, "{uri}");
        }
    }

    #[test]
    fn registrable_domain_uses_the_public_suffix_list() {
        for (host, want) in [
            ("ns1.example.co.uk.", "example.co.uk"),
            ("mx1.MAIL.protection.outlook.com", "outlook.com"),
            ("a.b.example.be", "example.be"),
        ] {
            assert_eq!(registrable(host), want, "{host}");
        }
    }
}
