//! MX and null MX (RFC 7505).
//!
//! RFC 7505 §3: a domain that accepts no mail publishes a single MX record with
//! preference 0 and an empty exchange (the root, `.`): "The single RDATA field
//! ... MUST be a single MX resource record with preference 0 and a null
//! exchange" and "Domains that advertise a null MX MUST NOT advertise any other
//! MX RR". A null MX beside other MX records is therefore `invalid`.
//!
//! Decision: an exchange of `.` with a non-zero preference is not a null MX
//! (§3 requires preference 0); alone it is still "no usable exchange", and
//! beside others it is a mistake, so both count as `invalid`.

use crate::evidence::{Lookup, MxRecord};
use crate::status::{Status, negative_status};

/// `mx_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MxStatus {
    /// At least one ordinary MX record.
    Present,
    /// A sole `MX 0 .` (RFC 7505 §3).
    NullMx,
    /// A null MX beside other MX records (RFC 7505 §3: "MUST NOT").
    Invalid,
    /// NODATA or NXDOMAIN.
    Absent,
    /// The query failed.
    Error,
}

impl MxStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            MxStatus::Present => "present",
            MxStatus::NullMx => "null_mx",
            MxStatus::Invalid => "invalid",
            MxStatus::Absent => "absent",
            MxStatus::Error => "error",
        }
    }
}

/// `mx_status` and `mx_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxPosture {
    /// The status.
    pub status: MxStatus,
    /// Exchanges, lowercase without trailing dot, in preference order (ties
    /// broken by name, so the column is deterministic).
    pub hosts: Vec<String>,
}

impl MxPosture {
    /// An authoritative absence.
    pub fn absent() -> Self {
        MxPosture {
            status: MxStatus::Absent,
            hosts: Vec::new(),
        }
    }
}

/// Normalises an exchange name: lowercase, no trailing dot; the root is `""`.
/// The engine keys TLSA lookups by the same form.
pub fn normalize_host(exchange: &str) -> String {
    exchange.trim_end_matches('.').to_ascii_lowercase()
}

/// Classifies the apex MX RRset.
pub fn classify(lookup: &Lookup<MxRecord>) -> MxPosture {
    match negative_status(lookup) {
        Some(Status::Error) => {
            return MxPosture {
                status: MxStatus::Error,
                hosts: Vec::new(),
            };
        }
        Some(_) => return MxPosture::absent(),
        None => {}
    }
    let mut records: Vec<(u16, String)> = lookup
        .records()
        .iter()
        .map(|mx| (mx.preference, normalize_host(&mx.exchange)))
        .collect();
    records.sort();
    records.dedup();
    let roots = records.iter().filter(|(_, host)| host.is_empty()).count();
    let status = match (roots, records.len()) {
        (0, _) => MxStatus::Present,
        (1, 1) if records[0].0 == 0 => MxStatus::NullMx,
        _ => MxStatus::Invalid,
    };
    // A host listed twice (different preferences) appears once, at its
    // most preferred place: the column lists exchanges, not records.
    let mut hosts: Vec<String> = Vec::with_capacity(records.len());
    for (_, host) in records {
        if !host.is_empty() && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    MxPosture { status, hosts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Failure;

    fn mx(list: &[(u16, &str)]) -> Lookup<MxRecord> {
        Lookup::from_records(
            list.iter()
                .map(|(preference, exchange)| MxRecord {
                    preference: *preference,
                    exchange: (*exchange).to_owned(),
                })
                .collect(),
        )
    }

    /// RFC 7505 §3 and RFC 5321 §5.1 (preference order).
    #[test]
    fn rfc7505_3_table() {
        let table: &[(Lookup<MxRecord>, MxStatus, &[&str])] = &[
            (mx(&[(0, ".")]), MxStatus::NullMx, &[]),
            (mx(&[(0, "")]), MxStatus::NullMx, &[]),
            (
                mx(&[(10, "mx.example.")]),
                MxStatus::Present,
                &["mx.example"],
            ),
            (
                mx(&[(20, "B.example."), (10, "c.example"), (10, "a.example.")]),
                MxStatus::Present,
                &["a.example", "c.example", "b.example"],
            ),
            // §3: "MUST NOT advertise any other MX RR" beside a null MX.
            (
                mx(&[(0, "."), (10, "mx.example.")]),
                MxStatus::Invalid,
                &["mx.example"],
            ),
            // §3: the null MX has preference 0.
            (mx(&[(10, ".")]), MxStatus::Invalid, &[]),
            // The same record twice in the evidence is one record (an RRset is a set).
            (mx(&[(0, "."), (0, ".")]), MxStatus::NullMx, &[]),
            // One exchange at two preferences is listed once, at the lower.
            (
                mx(&[(20, "a.example."), (10, "b.example"), (5, "A.example")]),
                MxStatus::Present,
                &["a.example", "b.example"],
            ),
            (Lookup::NoData, MxStatus::Absent, &[]),
            (Lookup::NxDomain, MxStatus::Absent, &[]),
            (Lookup::Failed(Failure::Timeout), MxStatus::Error, &[]),
            (Lookup::Failed(Failure::ServFail), MxStatus::Error, &[]),
        ];
        for (lookup, status, hosts) in table {
            let got = classify(lookup);
            assert_eq!(got.status, *status, "{lookup:?}");
            assert_eq!(got.hosts, *hosts, "{lookup:?}");
        }
    }
}
