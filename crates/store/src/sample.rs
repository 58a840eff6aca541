//! Synthetic rows for tests, examples and benchmarks: deterministic, varied,
//! covering every value of every vocabulary and every null the contract allows.

use mailcensus_posture::bimi::{BimiPosture, BimiStatus};
use mailcensus_posture::dkim::DkimStatus;
use mailcensus_posture::dmarc::{DmarcPosture, Policy};
use mailcensus_posture::dnssec::{DnssecPosture, DnssecStatus};
use mailcensus_posture::mx::{MxPosture, MxStatus};
use mailcensus_posture::spf::{AllQualifier, SpfPosture};
use mailcensus_posture::{Posture, Resolution, Status};

use crate::row::Row;

/// SplitMix64: a good-enough, dependency-free mixer for picking variants.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pick<T: Copy>(h: u64, shift: u32, values: &[T]) -> T {
    let n = values.len() as u64;
    // `values` is never empty here; index 0 is a harmless fallback.
    let i = usize::try_from((h >> shift) % n.max(1)).unwrap_or(0);
    values[i]
}

/// A resolved domain with every probe authoritatively absent and DNSSEC
/// `insecure`: the base of hand-made rows.
pub fn absent_posture() -> Posture {
    Posture {
        resolution: Resolution::Ok,
        mx: Some(MxPosture::absent()),
        spf: Some(SpfPosture::absent()),
        dmarc: Some(DmarcPosture::absent()),
        dnssec: Some(DnssecPosture::insecure()),
        bimi: Some(BimiPosture::absent()),
        mta_sts: Some(Status::Absent),
        tlsrpt: Some(Status::Absent),
        dkim: Some(DkimStatus::Absent),
        dane: Some(Status::Absent),
        parked: false,
    }
}

/// A domain whose every probe failed, as a lame delegation's: `error` in
/// every status column, `dnssec_status` included (DESIGN.md, "Decisions
/// that follow from it"), and no reason or detail.
pub fn error_posture() -> Posture {
    Posture {
        resolution: Resolution::Error,
        mx: Some(MxPosture {
            status: MxStatus::Error,
            hosts: Vec::new(),
        }),
        spf: Some(SpfPosture {
            status: Status::Error,
            ..SpfPosture::absent()
        }),
        dmarc: Some(DmarcPosture {
            status: Status::Error,
            ..DmarcPosture::absent()
        }),
        dnssec: Some(DnssecPosture {
            status: DnssecStatus::Error,
            // A lame delegation's SERVFAIL or timeout carries no Extended
            // DNS Error from Unbound 1.17 (datasets/README.md).
            reason: Some("unspecified".into()),
            ..DnssecPosture::insecure()
        }),
        bimi: Some(BimiPosture {
            status: BimiStatus::Error,
            ..BimiPosture::absent()
        }),
        mta_sts: Some(Status::Error),
        tlsrpt: Some(Status::Error),
        dkim: Some(DkimStatus::Error),
        dane: Some(Status::Error),
        parked: false,
    }
}

/// The synthetic row of input sequence `seq` (domain `d<seq>.<suffix>`).
///
/// Every 97th row is `nxdomain`, every 89th an all-`error` row, every 13th has
/// the DMARC probe deselected (null `dmarc_*`), every 11th a parked domain.
pub fn row(seq: u64, suffix: &str) -> Row {
    let h = mix(seq);
    let domain = format!("d{seq}.{suffix}");
    let statuses = Status::ALL;
    let posture = if seq % 97 == 3 {
        Posture {
            resolution: Resolution::NxDomain,
            ..absent_posture()
        }
    } else if seq % 89 == 5 {
        let mut p = error_posture();
        for text in [
            p.spf.as_mut().map(|s| &mut s.error),
            p.dmarc.as_mut().map(|d| &mut d.error),
        ]
        .into_iter()
        .flatten()
        {
            *text = Some("timeout".into());
        }
        if let Some(d) = p.dnssec.as_mut() {
            d.reason = Some("no_reachable_authority".into());
        }
        p
    } else if seq % 11 == 7 {
        Posture {
            mx: Some(MxPosture {
                status: MxStatus::NullMx,
                hosts: Vec::new(),
            }),
            spf: Some(SpfPosture {
                status: Status::Valid,
                record: Some("v=spf1 -all".into()),
                all: Some(AllQualifier::Fail),
                lookups: Some(0),
                void_lookups: Some(0),
                error: None,
            }),
            dmarc: Some(DmarcPosture {
                status: Status::Valid,
                record: Some("v=DMARC1; p=reject".into()),
                p: Some(Policy::Reject),
                ..DmarcPosture::absent()
            }),
            parked: true,
            ..absent_posture()
        }
    } else {
        let mx_status = pick(
            h,
            0,
            &[
                MxStatus::Present,
                MxStatus::Present,
                MxStatus::Present,
                MxStatus::Absent,
                MxStatus::Invalid,
                MxStatus::Error,
            ],
        );
        let mx_hosts = match mx_status {
            MxStatus::Present | MxStatus::Invalid => {
                vec![
                    format!("mx1.{domain}"),
                    format!("mx{}.provider.example", h % 50),
                ]
            }
            _ => Vec::new(),
        };
        let spf_status = pick(h, 4, &statuses);
        let spf = SpfPosture {
            status: spf_status,
            record: matches!(spf_status, Status::Valid | Status::Invalid)
                .then(|| format!("v=spf1 include:_spf.provider{}.example ~all", h % 1000)),
            all: (spf_status == Status::Valid).then(|| {
                pick(
                    h,
                    8,
                    &[
                        AllQualifier::Fail,
                        AllQualifier::SoftFail,
                        AllQualifier::Neutral,
                        AllQualifier::Pass,
                    ],
                )
            }),
            lookups: matches!(spf_status, Status::Valid | Status::Invalid)
                .then_some(((h >> 12) % 14) as i32),
            void_lookups: matches!(spf_status, Status::Valid | Status::Invalid)
                .then_some(((h >> 16) % 3) as i32),
            error: match spf_status {
                Status::Invalid => Some("more than 10 DNS lookups".into()),
                Status::Error => Some("include target timed out".into()),
                _ => None,
            },
        };
        let dmarc = (seq % 13 != 1).then(|| {
            let status = pick(h, 20, &statuses);
            let valid = status == Status::Valid;
            let policy = |shift| {
                pick(
                    h,
                    shift,
                    &[
                        Some(Policy::None),
                        Some(Policy::Quarantine),
                        Some(Policy::Reject),
                        None,
                    ],
                )
            };
            let external = (h >> 40).is_multiple_of(3);
            DmarcPosture {
                status,
                record: matches!(status, Status::Valid | Status::Invalid)
                    .then(|| format!("v=DMARC1; p=none; rua=mailto:d@{domain}")),
                error: (status == Status::Invalid).then(|| "unknown policy".into()),
                p: if valid {
                    policy(24).or(Some(Policy::None))
                } else {
                    None
                },
                sp: if valid { policy(26) } else { None },
                np: if valid { policy(28) } else { None },
                pct: (valid && (h >> 30).is_multiple_of(4)).then_some(((h >> 32) % 101) as i32),
                t: (valid && (h >> 34).is_multiple_of(5)).then_some((h >> 36).is_multiple_of(2)),
                rua: if valid {
                    vec![format!("mailto:dmarc@{domain}")]
                } else {
                    Vec::new()
                },
                ruf: if valid && external {
                    vec!["mailto:ruf@reports.example".into()]
                } else {
                    Vec::new()
                },
                rua_authorized: (valid && external).then_some((h >> 42).is_multiple_of(2)),
                ..DmarcPosture::absent()
            }
        });
        let dnssec_status = pick(
            h,
            44,
            &[
                DnssecStatus::Insecure,
                DnssecStatus::Insecure,
                DnssecStatus::Secure,
                DnssecStatus::Bogus,
                DnssecStatus::Error,
            ],
        );
        let bimi_status = pick(
            h,
            48,
            &[
                BimiStatus::Absent,
                BimiStatus::Valid,
                BimiStatus::Declined,
                BimiStatus::Invalid,
                BimiStatus::Error,
            ],
        );
        Posture {
            resolution: Resolution::Ok,
            dane: Some(if mx_hosts.is_empty() {
                Status::Absent
            } else {
                pick(h, 52, &statuses)
            }),
            mx: Some(MxPosture {
                status: mx_status,
                hosts: mx_hosts,
            }),
            spf: Some(spf),
            dmarc,
            dnssec: Some(DnssecPosture {
                status: dnssec_status,
                algorithms: match dnssec_status {
                    DnssecStatus::Secure | DnssecStatus::Bogus => vec![8, 13],
                    _ => Vec::new(),
                },
                reason: match dnssec_status {
                    DnssecStatus::Bogus => Some("signature_expired".into()),
                    DnssecStatus::Error => Some("unspecified".into()),
                    _ => None,
                },
            }),
            bimi: Some(BimiPosture {
                status: bimi_status,
                logo: (bimi_status == BimiStatus::Valid)
                    .then(|| format!("https://{domain}/logo.svg")),
                authority: (bimi_status == BimiStatus::Valid && (h >> 56).is_multiple_of(2))
                    .then(|| format!("https://{domain}/vmc.pem")),
            }),
            mta_sts: Some(pick(h, 54, &statuses)),
            tlsrpt: Some(pick(h, 57, &statuses)),
            dkim: Some(pick(
                h,
                60,
                &[
                    DkimStatus::Likely,
                    DkimStatus::Absent,
                    DkimStatus::Unknown,
                    DkimStatus::Error,
                ],
            )),
            parked: false,
        }
    };
    Row {
        seq,
        ns_hosts: if seq.is_multiple_of(7) {
            Vec::new()
        } else {
            vec![
                format!("ns1.dns{}.example", h % 20),
                format!("ns2.dns{}.example", h % 20),
            ]
        },
        domain,
        suffix: suffix.to_owned(),
        scanned_at_ms: 1_795_000_000_000 + (seq as i64) * 3,
        posture,
        queries: 8 + (h % 12) as u32,
        elapsed_ms: (h % 900) as u32,
    }
}
