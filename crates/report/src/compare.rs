//! `--compare DATE_A DATE_B`: which domains adopted, dropped, strengthened or
//! weakened SPF, DMARC enforcement and DNSSEC between two snapshots, and the
//! regressions a registry notifies operators of, listed per DNS operator
//! (issue 16 item 3): enforcing DMARC to none, SPF lost, DNSSEC turned bogus,
//! DANE lost.
//!
//! Each topic ranks a domain on a small ladder where 0 means "not adopted".
//! A domain whose column is `error` on either date is counted as `unknown`,
//! never as a change: an overloaded resolver must not look like a regression.
//! Snapshot A is held in memory as domain → ranks (about 40 bytes per domain
//! plus the name); snapshot B is streamed against it. A regression is listed
//! under the domain's DNS operator on date B ([`crate::groups::dns_operator`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use mailcensus_store::vocab::{AllQualifier, DnssecStatus, Policy, Status};
use serde::Serialize;

use crate::ReportError;
use crate::groups::dns_operator;
use crate::read::{Snapshot, for_each_row};
use crate::row::{COMPARE_COLUMNS, Row};

/// Compared topics, in output order.
pub const TOPICS: &[&str] = &["spf", "dmarc_enforcement", "dnssec"];
/// Kinds of change, in output order.
pub const CHANGES: &[&str] = &["adopted", "dropped", "strengthened", "weakened"];

const UNKNOWN: u8 = u8::MAX;

/// SPF: 0 absent, 1 invalid, 2 valid with `+all`/`?all`/no all, 3 `~all`, 4 `-all`.
fn spf_rank(r: &Row<'_>) -> u8 {
    match r.spf_status {
        Some(Status::Absent) => 0,
        Some(Status::Invalid) => 1,
        Some(Status::Valid) => match r.spf_all {
            Some(AllQualifier::Fail) => 4,
            Some(AllQualifier::SoftFail) => 3,
            _ => 2,
        },
        Some(Status::Error) | None => UNKNOWN,
    }
}

/// DMARC enforcement: 0 not enforcing, 1 quarantine with pct<100, 2 quarantine,
/// 3 reject with pct<100, 4 reject. By the policy receivers apply (`dmarc_p`),
/// which an `invalid` record still has when only a tag was malformed
/// (RFC 7489 §6.3), as the headline's "DMARC enforcing" counts it.
fn dmarc_rank(r: &Row<'_>) -> u8 {
    match r.dmarc_status {
        Some(Status::Absent) => 0,
        Some(Status::Valid | Status::Invalid) => {
            let partial = u8::from(r.dmarc_pct.is_some_and(|p| p < 100));
            match r.dmarc_p {
                Some(Policy::Quarantine) => 2 - partial,
                Some(Policy::Reject) => 4 - partial,
                Some(Policy::None) | None => 0,
            }
        }
        Some(Status::Error) | None => UNKNOWN,
    }
}

/// DNSSEC: 1 secure, 0 insecure or bogus.
fn dnssec_rank(r: &Row<'_>) -> u8 {
    match r.dnssec_status {
        Some(DnssecStatus::Secure) => 1,
        Some(DnssecStatus::Insecure | DnssecStatus::Bogus) => 0,
        Some(DnssecStatus::Error) | None => UNKNOWN,
    }
}

/// Whether DNSSEC is bogus: 1 bogus, 0 secure or insecure.
fn bogus_rank(r: &Row<'_>) -> u8 {
    match r.dnssec_status {
        Some(DnssecStatus::Bogus) => 1,
        Some(DnssecStatus::Secure | DnssecStatus::Insecure) => 0,
        Some(DnssecStatus::Error) | None => UNKNOWN,
    }
}

/// DANE: 1 valid, 0 invalid or absent.
fn dane_rank(r: &Row<'_>) -> u8 {
    match r.dane_status {
        Some(Status::Valid) => 1,
        Some(Status::Invalid | Status::Absent) => 0,
        Some(Status::Error) | None => UNKNOWN,
    }
}

/// Ranks per topic, then the bogus and DANE flags of the regressions.
fn ranks(r: &Row<'_>) -> [u8; 5] {
    [
        spf_rank(r),
        dmarc_rank(r),
        dnssec_rank(r),
        bogus_rank(r),
        dane_rank(r),
    ]
}

/// Regressions, in output order.
pub const REGRESSIONS: &[&str] = &[
    "dmarc_enforcing_to_none",
    "spf_lost",
    "dnssec_bogus",
    "dane_lost",
];

/// Which [`REGRESSIONS`] a domain suffered from ranks `a` to ranks `b`. An
/// `error` on either date is no regression.
fn regressions(a: &[u8; 5], b: &[u8; 5]) -> [bool; 4] {
    let known = |x: u8| x != UNKNOWN;
    [
        // Enforcing (quarantine or reject, any pct) to not enforcing: p=none,
        // no policy, or no record (RFC 7489 §6.3).
        known(a[1]) && known(b[1]) && a[1] > 0 && b[1] == 0,
        // A v=spf1 record (valid or invalid) to none.
        known(a[0]) && known(b[0]) && a[0] > 0 && b[0] == 0,
        // Secure or insecure to bogus.
        known(a[3]) && a[3] == 0 && b[3] == 1,
        // DANE valid to invalid or absent.
        known(b[4]) && a[4] == 1 && b[4] == 0,
    ]
}

/// The regressions of one DNS operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OperatorRegressions {
    /// The DNS operator on the later date (DNS-derived: escape before display).
    pub dns_operator: String,
    /// Domains with at least one regression.
    pub domains: u64,
    /// Enforcing DMARC to not enforcing.
    pub dmarc_enforcing_to_none: u64,
    /// SPF record removed.
    pub spf_lost: u64,
    /// DNSSEC turned bogus.
    pub dnssec_bogus: u64,
    /// DANE valid to not valid.
    pub dane_lost: u64,
    /// `(regression index, domain)`, sorted; exported as files, not in JSON.
    #[serde(skip)]
    pub list: Vec<(usize, String)>,
}

/// The change of one topic from rank `a` to rank `b`, as an index into
/// [`CHANGES`], 4 for unchanged and 5 for unknown.
fn change(a: u8, b: u8) -> usize {
    match (a, b) {
        (UNKNOWN, _) | (_, UNKNOWN) => 5,
        (0, 0) => 4,
        (0, _) => 0,
        (_, 0) => 1,
        (a, b) if b > a => 2,
        (a, b) if b < a => 3,
        _ => 4,
    }
}

/// Counts for one topic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TopicChange {
    /// `spf`, `dmarc_enforcement` or `dnssec`.
    pub topic: String,
    /// Not adopted on A, adopted on B.
    pub adopted: u64,
    /// Adopted on A, not on B.
    pub dropped: u64,
    /// Adopted on both, higher rank on B.
    pub strengthened: u64,
    /// Adopted on both, lower rank on B.
    pub weakened: u64,
    /// Same rank on both.
    pub unchanged: u64,
    /// `error` on either date.
    pub unknown: u64,
}

/// The comparison of two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// The earlier date.
    pub date_a: String,
    /// The later date.
    pub date_b: String,
    /// Domains in both snapshots (the only ones compared).
    pub common: u64,
    /// Domains only in A (deleted from the zone).
    pub only_a: u64,
    /// Domains only in B (newly registered).
    pub only_b: u64,
    /// One entry per topic of [`TOPICS`].
    pub topics: Vec<TopicChange>,
    /// Changed domains per `(topic, change)`, sorted; exported as files, not in JSON.
    #[serde(skip)]
    pub domains: Vec<((usize, usize), Vec<String>)>,
    /// Regressions per DNS operator, most regressed domains first.
    pub regressions: Vec<OperatorRegressions>,
}

/// Compares snapshots `a` and `b`.
pub fn compare(a: &Snapshot, b: &Snapshot) -> Result<Comparison, ReportError> {
    let mut before: HashMap<Box<str>, [u8; 5]> = HashMap::new();
    for_each_row(&a.files, COMPARE_COLUMNS, |r| {
        before.insert(r.domain.into(), ranks(r));
    })?;
    let mut topics: Vec<TopicChange> = TOPICS
        .iter()
        .map(|t| TopicChange {
            topic: (*t).to_string(),
            ..TopicChange::default()
        })
        .collect();
    let mut lists: Vec<Vec<String>> = vec![Vec::new(); TOPICS.len() * CHANGES.len()];
    let (mut common, mut only_b) = (0u64, 0u64);
    let mut by_operator: HashMap<String, OperatorRegressions> = HashMap::new();
    for_each_row(&b.files, COMPARE_COLUMNS, |r| {
        let Some(ra) = before.remove(r.domain) else {
            only_b += 1;
            return;
        };
        common += 1;
        let rb = ranks(r);
        let lost = regressions(&ra, &rb);
        if lost.iter().any(|x| *x) {
            let op = dns_operator(r.domain, r.ns_hosts)
                .unwrap_or_else(|| crate::groups::UNKNOWN.to_string());
            let entry = by_operator.entry(op).or_default();
            entry.domains += 1;
            for (i, hit) in lost.iter().enumerate() {
                if *hit {
                    let n = match i {
                        0 => &mut entry.dmarc_enforcing_to_none,
                        1 => &mut entry.spf_lost,
                        2 => &mut entry.dnssec_bogus,
                        _ => &mut entry.dane_lost,
                    };
                    *n += 1;
                    entry.list.push((i, r.domain.to_string()));
                }
            }
        }
        for (t, topic) in topics.iter_mut().enumerate() {
            let c = change(ra[t], rb[t]);
            match c {
                0 => topic.adopted += 1,
                1 => topic.dropped += 1,
                2 => topic.strengthened += 1,
                3 => topic.weakened += 1,
                4 => topic.unchanged += 1,
                _ => topic.unknown += 1,
            }
            if c < CHANGES.len() {
                lists[t * CHANGES.len() + c].push(r.domain.to_string());
            }
        }
    })?;
    let domains = lists
        .into_iter()
        .enumerate()
        .map(|(i, mut v)| {
            v.sort_unstable();
            ((i / CHANGES.len(), i % CHANGES.len()), v)
        })
        .collect();
    let mut regressions: Vec<OperatorRegressions> = by_operator
        .into_iter()
        .map(|(name, mut o)| {
            o.dns_operator = name;
            o.list.sort_unstable();
            o
        })
        .collect();
    regressions.sort_by(|x, y| {
        y.domains
            .cmp(&x.domains)
            .then_with(|| x.dns_operator.cmp(&y.dns_operator))
    });
    Ok(Comparison {
        date_a: a.date.clone(),
        date_b: b.date.clone(),
        common,
        only_a: before.len() as u64,
        only_b,
        topics,
        domains,
        regressions,
    })
}

/// Writes one CSV file per `(topic, change)`, `TOPIC_CHANGE.csv` with a
/// `domain` header, into `dir`. Cells are neutralised like every CSV we write.
pub fn export(cmp: &Comparison, dir: &Path) -> Result<Vec<std::path::PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(ReportError::io("create directory", dir))?;
    let mut written = Vec::new();
    for ((t, c), domains) in &cmp.domains {
        let path = dir.join(format!("{}_{}.csv", TOPICS[*t], CHANGES[*c]));
        let file = std::fs::File::create(&path).map_err(ReportError::io("create", &path))?;
        let mut w = std::io::BufWriter::new(file);
        let io = |e| ReportError::io("write", &path)(e);
        writeln!(w, "{}", mailcensus_store::schema::DOMAIN.name).map_err(io)?;
        for d in domains {
            writeln!(w, "{}", crate::render::csv::cell(d)).map_err(io)?;
        }
        w.flush().map_err(io)?;
        written.push(path);
    }
    // The regressions, one line per (operator, regression, domain), so a
    // registry can filter by operator and notify it.
    let path = dir.join("regressions.csv");
    let file = std::fs::File::create(&path).map_err(ReportError::io("create", &path))?;
    let mut w = std::io::BufWriter::new(file);
    let io = |e| ReportError::io("write", &path)(e);
    writeln!(w, "dns_operator,regression,domain").map_err(io)?;
    let cell = crate::render::csv::cell;
    for o in &cmp.regressions {
        for (i, d) in &o.list {
            writeln!(
                w,
                "{},{},{}",
                cell(&o.dns_operator),
                REGRESSIONS[*i],
                cell(d)
            )
            .map_err(io)?;
        }
    }
    w.flush().map_err(io)?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_classification() {
        for (a, b, want) in [
            (0, 0, 4),
            (0, 3, 0),
            (2, 0, 1),
            (2, 4, 2),
            (4, 3, 3),
            (3, 3, 4),
            (UNKNOWN, 4, 5),
            (0, UNKNOWN, 5),
        ] {
            assert_eq!(change(a, b), want, "{a}->{b}");
        }
    }
}
