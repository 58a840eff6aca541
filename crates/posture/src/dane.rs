//! DANE for SMTP (RFC 7672): TLSA at `_25._tcp.<mx host>`.
//!
//! A TLSA record (RFC 6698 §2.1) is usable for SMTP (RFC 7672 §3.1) when:
//! * its certificate usage is DANE-TA(2) or DANE-EE(3) — PKIX-TA(0) and
//!   PKIX-EE(1) are "unusable" for SMTP (RFC 7672 §3.1.3);
//! * its selector is Cert(0) or SPKI(1) (RFC 6698 §2.1.2);
//! * its matching type is Full(0) with non-empty data, SHA2-256(1) with 32
//!   bytes, or SHA2-512(2) with 64 bytes (RFC 6698 §2.1.3, RFC 7671 §10.1.2).
//!
//! Per host: a TLSA RRset with a record outside those rules (an undefined
//! usage, selector or matching type, or a digest of the wrong length) is
//! malformed; an RRset whose records are all well-formed but none usable
//! (only PKIX usages) protects nothing; both make the host `invalid`. NODATA
//! or NXDOMAIN: no TLSA. A failed lookup, or one missing from the evidence:
//! unknown.
//!
//! Per domain (DESIGN.md `dane_status`):
//! * MX `error` → `error`; MX absent, null MX, or no usable exchange →
//!   `absent` (no SMTP server to protect);
//! * any host `invalid`, or some hosts with a usable RRset and others
//!   authoritatively without → `invalid`. Decision: this wins over a failed
//!   lookup elsewhere, because whatever the unknown host holds, "every MX host
//!   has a usable TLSA RRset" is already false;
//! * otherwise any unknown host → `error`;
//! * every host usable → `valid`; no host with TLSA → `absent`.
//!
//! Limits: the AD bit on TLSA answers is not part of the evidence, so an
//! unsigned TLSA RRset (which RFC 7672 §2.2 says a client must ignore) counts
//! here; and a TLSA rdata the engine cannot decode reaches us as
//! `Failed(Malformed)`, hence `error` rather than `invalid`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::evidence::{Lookup, TlsaRecord, Validated};
use crate::mx::{MxPosture, MxStatus};
use crate::status::Status;

/// The TLSA query name for an MX host (RFC 7672 §2.2.3).
pub fn tlsa_name(host: &str) -> String {
    format!("_25._tcp.{host}")
}

/// Classifies DANE from the MX posture and the TLSA lookups of its hosts
/// (keyed by host).
pub fn classify(
    mx: &MxPosture,
    _mx_authenticated: bool,
    tlsa: &HashMap<String, Arc<Validated<TlsaRecord>>>,
) -> Status {
    match mx.status {
        MxStatus::Error => return Status::Error,
        MxStatus::Absent | MxStatus::NullMx => return Status::Absent,
        MxStatus::Present | MxStatus::Invalid => {}
    }
    if mx.hosts.is_empty() {
        return Status::Absent;
    }
    let verdicts: Vec<Host> = mx
        .hosts
        .iter()
        .map(|host| host_verdict(tlsa.get(host).map(|v| &v.lookup)))
        .collect();
    let count = |want: Host| verdicts.iter().filter(|v| **v == want).count();
    let (usable, none, unknown) = (count(Host::Usable), count(Host::None), count(Host::Unknown));
    if count(Host::Invalid) > 0 || (usable > 0 && none > 0) {
        Status::Invalid
    } else if unknown > 0 {
        Status::Error
    } else if usable == verdicts.len() {
        Status::Valid
    } else {
        Status::Absent
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    Usable,
    Invalid,
    None,
    Unknown,
}

/// RFC 6698 §2.1 field ranges and RFC 7671 §10.1.2 digest lengths.
pub fn well_formed(record: &TlsaRecord) -> bool {
    let data_ok = match record.matching_type {
        0 => !record.data.is_empty(),
        1 => record.data.len() == 32,
        2 => record.data.len() == 64,
        _ => false,
    };
    record.usage <= 3 && record.selector <= 1 && data_ok
}

/// Usable for SMTP (RFC 7672 §3.1): well-formed, and DANE-TA or DANE-EE.
pub fn usable(record: &TlsaRecord) -> bool {
    well_formed(record) && matches!(record.usage, 2 | 3)
}

fn host_verdict(lookup: Option<&Lookup<TlsaRecord>>) -> Host {
    match lookup {
        None | Some(Lookup::Failed(_)) => Host::Unknown,
        Some(Lookup::NoData | Lookup::NxDomain) => Host::None,
        Some(Lookup::Records(records)) => {
            if records.iter().all(well_formed) && records.iter().any(usable) {
                Host::Usable
            } else {
                Host::Invalid
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Failure;

    fn tlsa(usage: u8, selector: u8, matching_type: u8, len: usize) -> TlsaRecord {
        TlsaRecord {
            usage,
            selector,
            matching_type,
            data: vec![0xab; len],
        }
    }

    /// RFC 6698 §2.1, RFC 7671 §10.1.2, RFC 7672 §3.1: one record at a time.
    #[test]
    fn rfc7672_3_1_record_table() {
        let table = [
            (tlsa(3, 1, 1, 32), true, true),
            (tlsa(2, 0, 2, 64), true, true),
            (tlsa(3, 0, 0, 800), true, true),
            (tlsa(1, 1, 1, 32), true, false),
            (tlsa(0, 0, 1, 32), true, false),
            (tlsa(3, 1, 1, 31), false, false),
            (tlsa(3, 1, 1, 64), false, false),
            (tlsa(3, 1, 2, 32), false, false),
            (tlsa(3, 1, 0, 0), false, false),
            (tlsa(4, 1, 1, 32), false, false),
            (tlsa(3, 2, 1, 32), false, false),
            (tlsa(3, 1, 3, 32), false, false),
        ];
        for (record, formed, use_ok) in table {
            assert_eq!(well_formed(&record), formed, "{record:?}");
            assert_eq!(usable(&record), use_ok, "{record:?}");
        }
    }

    fn present(hosts: &[&str]) -> MxPosture {
        MxPosture {
            status: MxStatus::Present,
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        }
    }

    fn map(entries: &[(&str, Lookup<TlsaRecord>)]) -> HashMap<String, Arc<Validated<TlsaRecord>>> {
        entries
            .iter()
            .map(|(host, lookup)| {
                (
                    (*host).to_owned(),
                    Arc::new(Validated::authenticated(lookup.clone())),
                )
            })
            .collect()
    }

    /// DESIGN.md `dane_status` over RFC 7672 §2.2 per-host results.
    #[test]
    fn rfc7672_2_2_domain_table() {
        let good = || Lookup::Records(vec![tlsa(3, 1, 1, 32)]);
        let pkix_only = || Lookup::Records(vec![tlsa(1, 1, 1, 32)]);
        let mixed = || Lookup::Records(vec![tlsa(3, 1, 1, 32), tlsa(3, 1, 1, 5)]);
        let failed = || Lookup::Failed(Failure::Timeout);
        let two = present(&["a.example", "b.example"]);
        type Row<'a> = (MxPosture, Vec<(&'a str, Lookup<TlsaRecord>)>, Status);
        let table: Vec<Row<'_>> = vec![
            (
                two.clone(),
                vec![("a.example", good()), ("b.example", good())],
                Status::Valid,
            ),
            (
                two.clone(),
                vec![("a.example", good()), ("b.example", Lookup::NoData)],
                Status::Invalid,
            ),
            (
                two.clone(),
                vec![
                    ("a.example", Lookup::NxDomain),
                    ("b.example", Lookup::NoData),
                ],
                Status::Absent,
            ),
            (
                two.clone(),
                vec![("a.example", good()), ("b.example", failed())],
                Status::Error,
            ),
            (
                two.clone(),
                vec![("a.example", Lookup::NoData), ("b.example", failed())],
                Status::Error,
            ),
            (two.clone(), vec![("a.example", good())], Status::Error),
            (
                two.clone(),
                vec![("a.example", mixed()), ("b.example", failed())],
                Status::Invalid,
            ),
            (
                two.clone(),
                vec![("a.example", pkix_only()), ("b.example", good())],
                Status::Invalid,
            ),
            (
                two.clone(),
                vec![("a.example", good()), ("b.example", Lookup::NoData)],
                Status::Invalid,
            ),
            (MxPosture::absent(), vec![], Status::Absent),
            (
                MxPosture {
                    status: MxStatus::NullMx,
                    hosts: vec![],
                },
                vec![],
                Status::Absent,
            ),
            (
                MxPosture {
                    status: MxStatus::Error,
                    hosts: vec![],
                },
                vec![],
                Status::Error,
            ),
            (
                MxPosture {
                    status: MxStatus::Invalid,
                    hosts: vec!["a.example".into()],
                },
                vec![("a.example", good())],
                Status::Valid,
            ),
            (
                MxPosture {
                    status: MxStatus::Invalid,
                    hosts: vec![],
                },
                vec![],
                Status::Absent,
            ),
        ];
        for (mx, entries, want) in table {
            assert_eq!(
                classify(&mx, true, &map(&entries)),
                want,
                "{mx:?} {entries:?}"
            );
        }
    }
}
