//! Aggregation of one snapshot: headline counts, coverage, distributions,
//! DMARCbis readiness and the same counts per sector, size class and DNS
//! operator.
//!
//! Each row is tested once against every [`METRICS`] predicate into a bit set,
//! which is then added to the snapshot and to each of its groups; that keeps the
//! cost per row flat however many groupings are reported. The same bits, with
//! the row's DNS operator and MX provider, feed the attribution of changes
//! between snapshots ([`crate::attribution`]) and, on the latest snapshot, the
//! look-alike search ([`crate::lookalike`]).

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use mailcensus_store::vocab::{AllQualifier, DnssecStatus, MxStatus, Policy};

use crate::attribution::Tracker;
use crate::groups::{self, NO_MX, fold};
pub use crate::groups::{OTHER, UNKNOWN};
use crate::lookalike::{Collector, Lookalikes};
use crate::metrics::{METRICS, dmarc_valid, error_of, metric_index, pct, present};
use crate::row::Row;
use crate::sectors::SectorMap;

const _: () = assert!(METRICS.len() <= 64, "metric bits must fit a u64");

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
    /// Names the row stands for: 1, or for `other` how many were folded into it.
    pub members: u64,
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
    /// In a folded distribution, the names the row stands for (more than one
    /// for `other`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u64>,
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
    /// MX providers: the registrable domain of each domain's most preferred
    /// exchange, `self-hosted` in one row, providers below the minimum share
    /// in `other` ([`crate::groups`]).
    pub mx_providers: Distribution,
    /// Microsoft 365: legacy `*.mail.protection.outlook.com` vs DANE-capable `*.mx.microsoft`.
    pub microsoft365: Distribution,
    /// DMARC report platforms: the first third-party `rua` destination by
    /// registrable domain, `same domain` in one row, platforms below the
    /// minimum share in `other`.
    pub dmarc_rua_destinations: Distribution,
    /// Why DNSSEC-bogus domains fail: `dnssec_reason` (RFC 8914 names), every value.
    pub dnssec_bogus_reasons: Distribution,
    /// Why DNSSEC could not be determined: `dnssec_reason` of `error` rows.
    pub dnssec_error_reasons: Distribution,
}

/// An error share above the report's threshold, and the figures it weakens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// The error metric, e.g. `dnssec_error`.
    pub error_metric: &'static str,
    /// Its count and share of every scanned domain.
    pub error: Figure,
    /// The threshold it exceeds, in percent.
    pub threshold_pct: f64,
    /// The metrics read from the same column, whose shares it leaves open.
    pub metrics: Vec<&'static str>,
}

/// How much of a snapshot is known (issue 16 item 7; DESIGN.md "Statistics").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Scanned domains: the denominator.
    pub domains: u64,
    /// Domains whose resolution failed (lame, timed out, bogus): nothing
    /// about them is known.
    pub unresolved: Figure,
    /// Domains with at least one status column `error`.
    pub any_error: Figure,
    /// The threshold above which an error share is flagged, in percent.
    pub max_error_share: f64,
    /// Error shares above the threshold, in metric order.
    pub warnings: Vec<Warning>,
}

/// DMARCbis readiness (RFC 9989 §4.7): of the domains that publish DMARC
/// (valid or invalid), how many use the tags RFC 9989 adds (`np`, `psd`,
/// `t`) and how many still rely on `pct` other than 100, which RFC 9989
/// removes (a receiver following it applies the policy to every message).
///
/// `np`, `t` and `pct` are the contract's columns (`dmarc_np` is the `np`
/// receivers apply: null when not published or malformed). The contract has
/// no `psd` column: it is read from `dmarc_record` with the posture crate's
/// own DMARC reader (a receiver's reading: a malformed `psd` does not count).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dmarcbis {
    /// Domains that publish DMARC: the denominator.
    pub base: u64,
    /// `np` published (valid).
    pub np: Figure,
    /// `psd` published (valid), from the record text.
    pub psd: Figure,
    /// `t` published (`y` or `n`).
    pub t: Figure,
    /// `t=y`: the policy is in test mode.
    pub t_test: Figure,
    /// `pct` published with a value other than 100.
    pub pct_not_100: Figure,
}

/// Every figure of one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotReport {
    /// Scan date `YYYY-MM-DD`.
    pub date: String,
    /// Scanned domains: the denominator of the headline.
    pub domains: u64,
    /// How much is known, and the error shares above the threshold.
    pub coverage: Coverage,
    /// Headline figures.
    pub headline: Headline,
    /// Distributions.
    pub distributions: Distributions,
    /// DMARCbis readiness.
    pub dmarcbis: Dmarcbis,
    /// Per sector (empty without a sector file), sorted by name, `unknown` last.
    pub sectors: Vec<Group>,
    /// Per size class (empty without size classes), sorted by name, `unknown` last.
    pub size_classes: Vec<Group>,
    /// Per DNS operator: operators with at least the minimum share by
    /// domains, then `self-hosted`, `other` and `unknown` (no NS).
    pub dns_operators: Vec<Group>,
    /// Look-alikes of the `--brands` (latest snapshot only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookalikes: Option<Lookalikes>,
}

/// The `include:` targets of an SPF record (RFC 7208 §5.2), lower-cased and
/// unique. Simple whitespace tokenising: macros are kept as written.
pub fn spf_includes(record: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in record.split_ascii_whitespace() {
        let t = token.trim_start_matches(['+', '-', '~', '?']);
        if t.len() > 8 && t[..8].eq_ignore_ascii_case("include:") {
            let target = groups::norm_host(&t[8..]).into_owned();
            if !target.is_empty() && !out.contains(&target) {
                out.push(target);
            }
        }
    }
    out
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

/// The bits of every `*_error` metric.
fn error_mask() -> u64 {
    METRICS
        .iter()
        .enumerate()
        .filter(|(_, m)| m.key.ends_with("_error"))
        .fold(0, |acc, (i, _)| acc | (1 << i))
}

/// What an aggregation computes besides the headline.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'s> {
    /// Entries of top-N lists; also caps the rows of folded tables.
    pub top_n: usize,
    /// Minimum share (percent of the table's base) for an operator, MX
    /// provider or report platform to get its own row.
    pub min_share: f64,
    /// Error share (percent) above which a figure carries a warning.
    pub max_error_share: f64,
    /// The sector join, if any.
    pub sectors: Option<&'s SectorMap>,
}

impl Default for Settings<'_> {
    fn default() -> Self {
        Settings {
            top_n: 20,
            min_share: 0.5,
            max_error_share: 5.0,
            sectors: None,
        }
    }
}

#[derive(Debug, Default)]
struct Readiness {
    base: u64,
    np: u64,
    psd: u64,
    t: u64,
    t_test: u64,
    pct_not_100: u64,
}

/// Accumulates one snapshot.
#[derive(Debug)]
pub struct Aggregator<'s> {
    date: String,
    settings: Settings<'s>,
    tracker: Option<&'s mut Tracker>,
    lookalikes: Option<Collector<'s>>,
    errors: u64,
    total: Counts,
    any_error: u64,
    dmarc_ladder: [u64; 7],
    spf_all: [u64; 5],
    spf_lookups: [u64; 13],
    includes: HashMap<String, u64>,
    mx_providers: HashMap<String, u64>,
    mx_present: u64,
    ms365: [u64; 3],
    rua_dest: HashMap<String, u64>,
    rua_present: u64,
    readiness: Readiness,
    bogus_reasons: HashMap<String, u64>,
    error_reasons: HashMap<String, u64>,
    by_sector: HashMap<String, Counts>,
    by_size: HashMap<String, Counts>,
    by_operator: HashMap<String, Counts>,
}

impl<'s> Aggregator<'s> {
    /// A new aggregator for the snapshot of `date`, listing `top_n` entries in
    /// top-N tables, joining `sectors` when given, with the default minimum
    /// share and error-share threshold (the scan's summary uses it).
    pub fn new(date: &str, top_n: usize, sectors: Option<&'s SectorMap>) -> Self {
        Self::with_settings(
            date,
            Settings {
                top_n,
                sectors,
                ..Settings::default()
            },
        )
    }

    /// A new aggregator for the snapshot of `date`.
    pub fn with_settings(date: &str, settings: Settings<'s>) -> Self {
        Aggregator {
            date: date.to_string(),
            settings,
            tracker: None,
            lookalikes: None,
            errors: error_mask(),
            total: Counts::default(),
            any_error: 0,
            dmarc_ladder: [0; 7],
            spf_all: [0; 5],
            spf_lookups: [0; 13],
            includes: HashMap::new(),
            mx_providers: HashMap::new(),
            mx_present: 0,
            ms365: [0; 3],
            rua_dest: HashMap::new(),
            rua_present: 0,
            readiness: Readiness::default(),
            bogus_reasons: HashMap::new(),
            error_reasons: HashMap::new(),
            by_sector: HashMap::new(),
            by_size: HashMap::new(),
            by_operator: HashMap::new(),
        }
    }

    /// Also feeds each domain's bits, DNS operator and MX provider to the
    /// attribution of changes between snapshots.
    pub fn with_tracker(mut self, tracker: &'s mut Tracker) -> Self {
        self.tracker = Some(tracker);
        self
    }

    /// Also searches the domains for look-alikes of `collector`'s brands.
    pub fn with_lookalikes(mut self, collector: Collector<'s>) -> Self {
        self.lookalikes = Some(collector);
        self
    }

    /// Adds one domain.
    pub fn add(&mut self, r: &Row<'_>) {
        let bits = metric_bits(r);
        self.total.add_bits(bits);
        if bits & self.errors != 0 {
            self.any_error += 1;
        }

        if present(r.dmarc_status) {
            let d = &mut self.readiness;
            d.base += 1;
            d.np += u64::from(r.dmarc_np.is_some());
            d.t += u64::from(r.dmarc_t.is_some());
            d.t_test += u64::from(r.dmarc_t == Some(true));
            d.pct_not_100 += u64::from(r.dmarc_pct.is_some_and(|p| p != 100));
            let psd = r.dmarc_record.is_some_and(|rec| {
                mailcensus_store::posture::dmarc::read(rec)
                    .record
                    .psd
                    .is_some()
            });
            d.psd += u64::from(psd);
        }

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
                self.rua_present += 1;
                let platform = groups::report_platform(r.domain, r.dmarc_rua);
                bump(&mut self.rua_dest, platform.as_deref().unwrap_or(UNKNOWN));
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

        let mut mx = None;
        if r.mx_status == Some(MxStatus::Present) {
            self.mx_present += 1;
            let (mut legacy, mut modern) = (false, false);
            for host in r.mx_hosts {
                let h = groups::norm_host(host);
                legacy |= h.ends_with(".mail.protection.outlook.com");
                modern |= h.ends_with(".mx.microsoft");
            }
            mx = groups::mx_provider(r.domain, r.mx_hosts);
            bump(&mut self.mx_providers, mx.as_deref().unwrap_or(UNKNOWN));
            match (legacy, modern) {
                (true, true) => self.ms365[2] += 1,
                (true, false) => self.ms365[0] += 1,
                (false, true) => self.ms365[1] += 1,
                (false, false) => {}
            }
        }

        if let Some(map) = self.settings.sectors {
            let (sector, size) = map.get(r.domain);
            bump_group(&mut self.by_sector, sector.unwrap_or(UNKNOWN), bits);
            if map.has_size_classes() {
                bump_group(&mut self.by_size, size.unwrap_or(UNKNOWN), bits);
            }
        }

        let operator = groups::dns_operator(r.domain, r.ns_hosts);
        let operator = operator.as_deref().unwrap_or(UNKNOWN);
        bump_group(&mut self.by_operator, operator, bits);
        if let Some(t) = self.tracker.as_deref_mut() {
            t.add(r.domain, bits, operator, mx.as_deref().unwrap_or(NO_MX));
        }
        if let Some(c) = self.lookalikes.as_mut() {
            c.add(r, operator);
        }
    }

    /// The snapshot's figures.
    pub fn finish(self) -> SnapshotReport {
        let n = self.total.domains;
        let spf_present = self.spf_all.iter().sum();
        let dmarc_valid = self.dmarc_ladder.iter().sum();
        let metric = |key: &str| {
            metric_index(key)
                .map(|i| self.total.metrics[i])
                .unwrap_or(0)
        };
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
                        members: None,
                    })
                    .collect(),
            };
        let lookup_labels: Vec<String> = (0..=10)
            .map(|i| i.to_string())
            .chain([">10".to_string(), "unknown".to_string()])
            .collect();
        let lookup_refs: Vec<&str> = lookup_labels.iter().map(String::as_str).collect();
        let Settings {
            top_n, min_share, ..
        } = self.settings;
        let distributions = Distributions {
            dmarc_policy: fixed("dmarc_valid", dmarc_valid, DMARC_LADDER, &self.dmarc_ladder),
            spf_all: fixed("spf_present", spf_present, SPF_ALL, &self.spf_all),
            spf_lookups: fixed("spf_present", spf_present, &lookup_refs, &self.spf_lookups),
            spf_include_targets: top("spf_present", spf_present, self.includes, top_n),
            mx_providers: folded(
                "mx_present",
                self.mx_present,
                self.mx_providers,
                min_share,
                top_n,
            ),
            microsoft365: fixed("mx_present", self.mx_present, MS365, &self.ms365),
            dmarc_rua_destinations: folded(
                "dmarc_rua_present",
                self.rua_present,
                self.rua_dest,
                min_share,
                top_n,
            ),
            dnssec_bogus_reasons: top("dnssec_bogus", bogus, self.bogus_reasons, usize::MAX),
            dnssec_error_reasons: top("dnssec_error", errors, self.error_reasons, usize::MAX),
        };
        let d = &self.readiness;
        let dmarcbis = Dmarcbis {
            base: d.base,
            np: Figure::of(d.np, d.base),
            psd: Figure::of(d.psd, d.base),
            t: Figure::of(d.t, d.base),
            t_test: Figure::of(d.t_test, d.base),
            pct_not_100: Figure::of(d.pct_not_100, d.base),
        };
        let max_error_share = self.settings.max_error_share;
        let warnings = METRICS
            .iter()
            .zip(&self.total.metrics)
            .filter(|(m, c)| m.key.ends_with("_error") && pct(**c, n) > max_error_share)
            .map(|(m, c)| Warning {
                error_metric: m.key,
                error: Figure::of(*c, n),
                threshold_pct: max_error_share,
                metrics: METRICS
                    .iter()
                    .filter(|x| error_of(x.key) == Some(m.key))
                    .map(|x| x.key)
                    .collect(),
            })
            .collect();
        let coverage = Coverage {
            domains: n,
            unresolved: Figure::of(metric("resolution_error"), n),
            any_error: Figure::of(self.any_error, n),
            max_error_share,
            warnings,
        };
        let operators = self
            .by_operator
            .into_iter()
            .map(|(k, c)| (k, (c.domains, c)))
            .collect();
        let dns_operators = fold(operators, n, min_share, top_n, |a: &mut Counts, b| {
            a.merge(b)
        })
        .into_iter()
        .map(|f| Group {
            name: f.name,
            domains: f.domains,
            members: f.members,
            headline: Headline(f.value),
        })
        .collect();
        SnapshotReport {
            date: self.date,
            domains: n,
            coverage,
            headline: Headline(self.total),
            distributions,
            dmarcbis,
            sectors: sorted_groups(self.by_sector),
            size_classes: sorted_groups(self.by_size),
            dns_operators,
            lookalikes: self.lookalikes.map(Collector::finish),
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
                members: None,
            })
            .collect(),
    }
}

/// A distribution folded by [`fold`]: one row per name with at least
/// `min_share` percent of the base, the categories, then `other`.
fn folded(
    base: &'static str,
    base_count: u64,
    map: HashMap<String, u64>,
    min_share: f64,
    cap: usize,
) -> Distribution {
    let distinct = map.len() as u64;
    let rows = map.into_iter().map(|(k, c)| (k, (c, ()))).collect();
    Distribution {
        base,
        base_count,
        distinct,
        buckets: fold(rows, base_count, min_share, cap, |_, _| {})
            .into_iter()
            .map(|f| Bucket {
                pct: pct(f.domains, base_count),
                value: f.name,
                count: f.domains,
                members: Some(f.members),
            })
            .collect(),
    }
}

fn sorted_groups(map: HashMap<String, Counts>) -> Vec<Group> {
    let mut v: Vec<(String, Counts)> = map.into_iter().collect();
    v.sort_by(|a, b| {
        (a.0 == UNKNOWN)
            .cmp(&(b.0 == UNKNOWN))
            .then_with(|| a.0.cmp(&b.0))
    });
    v.into_iter()
        .map(|(name, c)| Group {
            name,
            domains: c.domains,
            members: 1,
            headline: Headline(c),
        })
        .collect()
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
}
