//! DANE for SMTP (RFC 7672): TLSA at `_25._tcp.<mx host>`.
//!
//! A TLSA record (RFC 6698 §2.1) is usable for SMTP (RFC 7672 §3.1) when:
//! * its certificate usage is DANE-TA(2) or DANE-EE(3) — PKIX-TA(0) and
//!   PKIX-EE(1) are "unusable" for SMTP (RFC 7672 §3.1.3);
//! * its selector is Cert(0) or SPKI(1) (RFC 6698 §2.1.2);
//! * its matching type is Full(0) with non-empty data, SHA2-256(1) with 32
//!   bytes, or SHA2-512(2) with 64 bytes (RFC 6698 §2.1.3, RFC 7671 §10.1.2).
//!
//! Only a TLSA RRset the validating resolver authenticated (AD set, asked
//! with DO=1) is usable: RFC 6698 §4.1 requires the records to be validated,
//! and RFC 7672 §2.2 makes a client treat an "insecure" TLSA RRset as if
//! there were none. The census does not ignore such a set, though: a host
//! that publishes TLSA nobody can use is a misconfiguration worth counting.
//!
//! Per host ([`Validated`] lookup of `_25._tcp.<host>`):
//! * records with AD, all well-formed and at least one usable → usable;
//! * records with AD but a record outside the rules above (an undefined
//!   usage, selector or matching type, or a digest of the wrong length), or
//!   only PKIX usages → `invalid` (published, protects nothing);
//! * records without AD (an unsigned zone, or a resolver that did not
//!   validate) → `invalid` (published, not usable: RFC 6698 §4.1);
//! * NODATA or NXDOMAIN, with or without AD → no TLSA (an unvalidated denial
//!   is still a denial: a client could do no more with it);
//! * a failed lookup, or one missing from the evidence → unknown.
//!
//! The MX RRset (RFC 7672 §2.2.1). Decision: `valid` requires the MX RRset
//! itself to be validated (AD on the MX answer). §2.2.1 lets a client use
//! DANE with MX hosts obtained from an "insecure" MX RRset (a signed hosting
//! provider serving unsigned customer zones), but that protection is not
//! end to end: an attacker who forges the unsigned MX RRset points the
//! sender at hosts without TLSA and strips DANE, and widely deployed senders
//! only apply DANE when the MX RRset validated. So an insecure MX RRset whose
//! hosts publish TLSA is `invalid` (published, not usable end to end); with
//! no TLSA at any host it stays `absent`.
//!
//! Per domain (DESIGN.md `dane_status`):
//! * MX `error` → `error`; MX absent, null MX, or no usable exchange →
//!   `absent` (no SMTP server to protect);
//! * any host `invalid`, some hosts usable and others authoritatively
//!   without TLSA, or any host publishing TLSA while the MX RRset is not
//!   validated → `invalid`. Decision: this wins over a failed lookup
//!   elsewhere, because whatever the unknown host holds, "every MX host has
//!   a validated, usable TLSA RRset behind a validated MX RRset" is already
//!   false;
//! * otherwise any unknown host → `error`;
//! * every host usable (and the MX RRset validated) → `valid`; no host with
//!   TLSA → `absent`.
//!
//! Limits: the AD bit is taken from the resolver on trust, so the path
//! between the crawler and its validating resolver must be trusted (RFC 4035
//! §3.2.3, RFC 6698 §4.1: a validating stub or a trusted channel). A TLSA
//! rdata the engine cannot decode reaches us as `Failed(Malformed)`, hence
//! `error` rather than `invalid`. The certificates behind the records are
//! not fetched: `valid` says the DNS side is right, not that the server's
//! certificate matches.

use std::collections::HashMap;
use std::sync::Arc;

use crate::evidence::{Lookup, TlsaRecord, Validated};
use crate::mx::{MxPosture, MxStatus};
use crate::status::Status;

/// The TLSA query name for an MX host (RFC 7672 §2.2.3).
pub fn tlsa_name(host: &str) -> String {
    format!("_25._tcp.{host}")
}

/// Classifies DANE from the MX posture, whether the MX RRset was validated
/// (AD on the MX answer), and the TLSA lookups of its hosts (keyed by host);
/// the rules are in the module docs.
pub fn classify(
    mx: &MxPosture,
    mx_authenticated: bool,
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
        .map(|host| host_verdict(tlsa.get(host).map(Arc::as_ref)))
        .collect();
    let count = |want: Host| verdicts.iter().filter(|v| **v == want).count();
    let (usable, invalid) = (count(Host::Usable), count(Host::Invalid));
    let (none, unknown) = (count(Host::None), count(Host::Unknown));
    let published = usable + invalid > 0;
    // RFC 7672 §2.2.1, decided in the module docs: TLSA behind an MX RRset
    // that did not validate is not usable end to end.
    if invalid > 0 || (usable > 0 && none > 0) || (published && !mx_authenticated) {
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

/// One host's TLSA RRset (module docs): only validated records can be
/// usable (RFC 6698 §4.1, RFC 7672 §2.2).
fn host_verdict(tlsa: Option<&Validated<TlsaRecord>>) -> Host {
    let Some(tlsa) = tlsa else {
        return Host::Unknown;
    };
    match &tlsa.lookup {
        Lookup::Failed(_) => Host::Unknown,
        Lookup::NoData | Lookup::NxDomain => Host::None,
        Lookup::Records(records) => {
            let usable_set = records.iter().all(well_formed) && records.iter().any(usable);
            if tlsa.authenticated && usable_set {
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

    fn validated(
        entries: &[(&str, Lookup<TlsaRecord>, bool)],
    ) -> HashMap<String, Arc<Validated<TlsaRecord>>> {
        entries
            .iter()
            .map(|(host, lookup, ad)| {
                let lookup = lookup.clone();
                let tlsa = if *ad {
                    Validated::authenticated(lookup)
                } else {
                    Validated::unvalidated(lookup)
                };
                ((*host).to_owned(), Arc::new(tlsa))
            })
            .collect()
    }

    /// RFC 6698 §4.1 and RFC 7672 §2.2: only a TLSA RRset the resolver
    /// validated (AD) is usable; RFC 7672 §2.2.1 and the decision in the
    /// module docs: `valid` also needs a validated MX RRset.
    #[test]
    fn rfc6698_4_1_rfc7672_2_2_1_validation_table() {
        let good = || Lookup::Records(vec![tlsa(3, 1, 1, 32)]);
        let failed = || Lookup::Failed(Failure::ServFail);
        let two = present(&["a.example", "b.example"]);
        type Row<'a> = (
            &'a str,
            bool,
            Vec<(&'a str, Lookup<TlsaRecord>, bool)>,
            Status,
        );
        let table: Vec<Row<'_>> = vec![
            (
                "§2.2: both validated, MX validated",
                true,
                vec![("a.example", good(), true), ("b.example", good(), true)],
                Status::Valid,
            ),
            (
                "§4.1: one RRset unsigned → published, not usable",
                true,
                vec![("a.example", good(), true), ("b.example", good(), false)],
                Status::Invalid,
            ),
            (
                "§4.1: every RRset unsigned → invalid, never valid",
                true,
                vec![("a.example", good(), false), ("b.example", good(), false)],
                Status::Invalid,
            ),
            (
                "§4.1: unsigned wins over a failed lookup elsewhere",
                true,
                vec![("a.example", good(), false), ("b.example", failed(), false)],
                Status::Invalid,
            ),
            (
                "§2.2: an unvalidated NODATA/NXDOMAIN is still no TLSA",
                true,
                vec![
                    ("a.example", Lookup::NoData, false),
                    ("b.example", Lookup::NxDomain, false),
                ],
                Status::Absent,
            ),
            (
                "§2.2.1: validated TLSA behind an insecure MX RRset → invalid",
                false,
                vec![("a.example", good(), true), ("b.example", good(), true)],
                Status::Invalid,
            ),
            (
                "§2.2.1: insecure MX RRset, TLSA at one host, the other failed → invalid",
                false,
                vec![("a.example", good(), true), ("b.example", failed(), false)],
                Status::Invalid,
            ),
            (
                "§2.2.1: insecure MX RRset, no TLSA anywhere → absent",
                false,
                vec![
                    ("a.example", Lookup::NoData, false),
                    ("b.example", Lookup::NxDomain, false),
                ],
                Status::Absent,
            ),
            (
                "§2.2.1: insecure MX RRset, no TLSA known, one lookup failed → error",
                false,
                vec![
                    ("a.example", Lookup::NoData, false),
                    ("b.example", failed(), false),
                ],
                Status::Error,
            ),
            (
                "§2.2: validated MX, one host validated, the other NODATA → invalid",
                true,
                vec![
                    ("a.example", good(), true),
                    ("b.example", Lookup::NoData, true),
                ],
                Status::Invalid,
            ),
        ];
        for (rule, mx_ad, entries, want) in table {
            assert_eq!(
                classify(&two, mx_ad, &validated(&entries)),
                want,
                "{rule}: {entries:?}"
            );
        }
        // A null MX or no MX has nothing to protect, validated or not.
        for mx in [
            MxPosture::absent(),
            MxPosture {
                status: MxStatus::NullMx,
                hosts: vec![],
            },
        ] {
            assert_eq!(classify(&mx, false, &HashMap::new()), Status::Absent);
        }
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
